//! Users, wherever they are kept: in the configuration (a password here), or in the store
//! (an account of a sign-in at an upstream provider, `upstream::account`). Tokens,
//! UserInfo and introspection find a token's user through [`find`], and read it through
//! [`Profile`], whichever kind it is.

use serde_json::{Map, Value};

use crate::Error;
use crate::op::config::{Config, User};
use crate::op::provider::{Provider, Services};
use crate::op::upstream::account::{self, UpstreamAccount};
use crate::store::Store;

/// What tokens and UserInfo say of a user.
pub trait Profile: core::fmt::Debug {
    /// The subject.
    fn sub(&self) -> &str;
    /// The profile claims (OpenID Connect Core §5.1), never protocol claims.
    fn claims(&self) -> &Map<String, Value>;
    /// The `id` of the upstream provider the user signs in at; `None` for a password here.
    fn upstream(&self) -> Option<&str>;
}

impl Profile for User {
    fn sub(&self) -> &str {
        &self.sub
    }

    fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    fn upstream(&self) -> Option<&str> {
        None
    }
}

impl Profile for UpstreamAccount {
    fn sub(&self) -> &str {
        &self.sub
    }

    fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    fn upstream(&self) -> Option<&str> {
        Some(&self.provider)
    }
}

/// A user found by subject.
#[derive(Debug, Clone)]
pub enum Found<'a> {
    /// A user of the configuration.
    Configured(&'a User),
    /// An account of an upstream sign-in.
    Upstream(UpstreamAccount),
}

impl Profile for Found<'_> {
    fn sub(&self) -> &str {
        match self {
            Found::Configured(user) => user.sub(),
            Found::Upstream(account) => account.sub(),
        }
    }

    fn claims(&self) -> &Map<String, Value> {
        match self {
            Found::Configured(user) => user.claims(),
            Found::Upstream(account) => account.claims(),
        }
    }

    fn upstream(&self) -> Option<&str> {
        match self {
            Found::Configured(user) => user.upstream(),
            Found::Upstream(account) => account.upstream(),
        }
    }
}

/// The user with subject `sub`: a configured one, else a kept account of an upstream
/// sign-in whose provider is still configured. `None` when there is neither (a removed
/// user, or the subject of a client).
pub async fn find<'a, S: Store, P, V>(
    op: &'a Provider,
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Found<'a>>, Error> {
    if let Some(user) = op.config.user(sub) {
        return Ok(Some(Found::Configured(user)));
    }
    Ok(account::find(op, sub, services).await?.map(Found::Upstream))
}

/// Whether the user `sub` that a request's `id_token_hint` names is gone for good: no
/// sign-in here can ever be theirs, so a login page would wait in vain. Asked only when
/// the request would otherwise show the login page (no usable session of that user):
/// a live session of the user answers whatever this would say.
///
/// Gone: a configured user while passwords are off (a password is the one way such a user
/// signs in), a subject neither configured nor shaped like an upstream account's (a
/// removed user), and the account of an upstream provider no longer configured (or of
/// any, when none is). Not gone: a configured user while passwords are on, and an
/// upstream account's subject whose account is kept for a configured provider, or not
/// found at all. An account is not found once it has expired ([`account::account_ttl`]),
/// or, in Workers KV, at another location for up to a minute after a first sign-in
/// elsewhere; either way a sign-in at the upstream writes it (again), so the login page is
/// the answer. The cost is a login page that waits in vain for a removed user whose
/// subject has that shape.
pub async fn hinted_user_gone<S: Store, P, V>(
    op: &Provider,
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    if op.config.user(sub).is_some() {
        return Ok(!op.config.password_login);
    }
    if !account::is_local_subject(sub) {
        return Ok(true);
    }
    Ok(match account::stored(sub, services).await? {
        Some(account) => op.config.upstream_provider(&account.provider).is_none(),
        None => op.config.upstream_providers.is_empty(),
    })
}

/// The `acr` of the user's sign-in (OpenID Connect Core §2): the configured one of the
/// upstream provider the user signs in at, else `password_acr`.
pub fn acr<'c>(config: &'c Config, user: &dyn Profile) -> &'c str {
    user.upstream()
        .and_then(|id| config.upstream_provider(id))
        .map_or(config.password_acr.as_str(), |provider| {
            provider.acr.as_str()
        })
}

/// The `amr` of a sign-in at an upstream provider (RFC 8176 §2, "fed": federated
/// authentication).
pub const FEDERATED_AMR: &str = "fed";
