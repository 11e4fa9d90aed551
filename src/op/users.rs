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

/// Whether the user `sub` can still sign in here: a configured user while passwords are
/// accepted (a password is the one way such a user signs in), or the kept account of an
/// upstream sign-in whose provider is still configured (its user signs in there again).
/// Nobody else can: a removed user, an account of a removed provider, a client's subject.
///
/// An upstream account is kept longer than any `id_token_hint` naming it is accepted
/// ([`account::account_ttl`]), so a hint's user is never taken for gone while they could
/// sign in at the upstream again.
pub async fn can_sign_in<S: Store, P, V>(
    op: &Provider,
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    Ok(match find(op, sub, services).await? {
        Some(Found::Configured(_)) => op.config.password_login,
        Some(Found::Upstream(_)) => true,
        None => false,
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
