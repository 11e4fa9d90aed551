//! The local account of a user who signs in at an upstream provider.
//!
//! Its subject is derived, not assigned: SHA-256 over the provider's `id` and the upstream
//! `sub` (each length-prefixed, under a label of its own), base64url. Issuer and subject
//! together identify a user for good (OpenID Connect Core §2: `sub` is "never reassigned"),
//! so the local subject is the same at every sign-in, at every location at once, with no
//! record to race on or to lose: a store that is emptied, or a write not yet propagated,
//! cannot give one person two subjects. It is not keyed with a server secret, which could
//! then never change without changing every such user; it reveals nothing the upstream's
//! own `sub` does not. One upstream user gets one subject per configured provider (`id`),
//! so renaming an `id` makes new accounts.
//!
//! What the account holds beyond its subject, the claims the configuration maps from the
//! upstream's ID token, is kept in the store ([`UpstreamAccounts`]), rewritten at each
//! sign-in: tokens, refreshed ID tokens and UserInfo answers read it there.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::op::config::UpstreamProvider;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Key, UpstreamAccounts};
use crate::store::Store;
use crate::{Error, b64};

/// A user known through an upstream provider, as kept in the store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpstreamAccount {
    /// The local subject ([`local_subject`]).
    pub sub: String,
    /// The upstream provider's `id`.
    pub provider: String,
    /// The user's `sub` there, for the operator's records.
    pub upstream_sub: String,
    /// Our claims, mapped from the upstream's at the last sign-in.
    pub claims: Map<String, Value>,
    /// When the user last signed in there (Unix seconds).
    pub signed_in_at: i64,
}

/// The local subject of the user `upstream_sub` at the provider `provider_id`: 43
/// base64url characters.
pub fn local_subject(provider_id: &str, upstream_sub: &str) -> String {
    let mut hash = Sha256::new();
    for part in [
        "oidc-edge upstream subject".as_bytes(),
        provider_id.as_bytes(),
        upstream_sub.as_bytes(),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    b64::encode(&hash.finalize())
}

/// Whether `sub` has the shape of a local subject made here, before it is looked up.
pub fn is_local_subject(sub: &str) -> bool {
    sub.len() == 43
        && sub
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// How long an account is kept after a sign-in: the longer of the refresh-token and session
/// lifetimes, so that the session and the refresh token of that sign-in find it.
///
/// A refresh does not write it again: that would be a store write per refresh (and Workers
/// KV takes one write per second per key) for claims no fresher than the last sign-in. Each
/// rotation keeps its successor for a whole refresh-token lifetime, so a refresh family
/// used on past the account ends when the account expires, as it would for a removed user,
/// and the user signs in at the upstream again, which writes the account anew with the
/// upstream's current claims. Personal claims are thus kept no longer than this after the
/// last sign-in. A request whose `id_token_hint` names an account that has expired is not
/// ended for it (`users::hinted_user_gone`): the sign-in that writes the account again is
/// offered.
pub fn account_ttl(op: &Provider) -> u64 {
    let lifetimes = &op.config.lifetimes;
    lifetimes.refresh_token.max(lifetimes.session)
}

/// Keeps the account of a sign-in at `provider`: its subject, and our claims from the
/// upstream's `claims`.
pub async fn keep<S: Store, P, V>(
    op: &Provider,
    provider: &UpstreamProvider,
    upstream_sub: &str,
    claims: &Map<String, Value>,
    services: &Services<'_, S, P, V>,
) -> Result<UpstreamAccount, Error> {
    let account = UpstreamAccount {
        sub: local_subject(&provider.id, upstream_sub),
        provider: provider.id.clone(),
        upstream_sub: upstream_sub.to_owned(),
        claims: provider.map_claims(claims),
        signed_in_at: services.now.0,
    };
    let key = Key::<UpstreamAccounts>::new(&account.sub);
    records::put(services.store, &key, &account, account_ttl(op)).await?;
    Ok(account)
}

/// The account with local subject `sub`, if one is kept and its provider is still
/// configured (removing a provider ends its users' tokens, as removing a user does).
pub async fn find<S: Store, P, V>(
    op: &Provider,
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<UpstreamAccount>, Error> {
    if op.config.upstream_providers.is_empty() {
        return Ok(None);
    }
    let account = stored(sub, services).await?;
    Ok(account.filter(|account| op.config.upstream_provider(&account.provider).is_some()))
}

/// The account kept under the local subject `sub`, whichever provider it names, configured
/// or not: for telling an account of a removed provider from one that is not (or not yet,
/// at this location) in the store.
pub async fn stored<S: Store, P, V>(
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<UpstreamAccount>, Error> {
    if !is_local_subject(sub) {
        return Ok(None);
    }
    let account = records::get(services.store, &Key::<UpstreamAccounts>::new(sub)).await?;
    Ok(account.filter(|account: &UpstreamAccount| account.sub == sub))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_stable_and_distinct() {
        let sub = local_subject("corp", "248289761001");
        assert_eq!(sub, local_subject("corp", "248289761001"));
        assert!(is_local_subject(&sub));
        assert_ne!(sub, local_subject("other", "248289761001"));
        assert_ne!(sub, local_subject("corp", "248289761002"));
        // Length prefixes: moving a character from one part to the other changes it.
        assert_ne!(local_subject("ab", "c"), local_subject("a", "bc"));
        assert!(!is_local_subject("248289761001"));
    }
}
