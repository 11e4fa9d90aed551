//! A client's keys at its `jwks_uri` (RFC 7591 §2): fetched through the host's
//! [`Fetcher`](crate::op::fetch::Fetcher), read by the rules of an inline `jwks`
//! ([`parse_jwks`]: public keys only, each with a `kid`), and kept per URI in the provider
//! for as long as the answer's `Cache-Control: max-age` says, within [`MIN_LIFETIME`] and
//! [`MAX_LIFETIME`] ([`DEFAULT_LIFETIME`] without one).
//!
//! A client that rotates its keys signs with a new `kid` before the cached keys expire: an
//! assertion naming a key the cached set lacks fetches the set again, at most once per
//! [`REFETCH_INTERVAL`] per URI, so assertions with made-up `kid`s cannot make the provider
//! fetch on every request. A failed fetch (no answer, not 200, too large, not a JWKS of
//! public keys) authenticates nobody with those keys, and is not tried again for
//! [`REFETCH_INTERVAL`] either; keys fetched earlier and not yet expired stay in use.
//!
//! The URI itself was checked with the configuration (`https://`, or `http://` on a
//! loopback host, no fragment); the host fetches it without following redirects.

use std::sync::{Arc, PoisonError};

use serde_json::Value;

use crate::cache::BoundedCache;
use crate::jose::jwk::MAX_JWKS_LEN;
use crate::json;
use crate::op::clients::keys::{ClientKeys, parse_jwks};
use crate::op::fetch::{FetchLimits, Fetched, max_age};
use crate::op::provider::{Provider, Services};

/// The longest JWKS read, in bytes: the limit of every JWKS this crate parses.
pub const MAX_DOCUMENT_LEN: usize = MAX_JWKS_LEN;
/// How long a fetch may take, headers and body, in milliseconds.
pub const FETCH_TIMEOUT_MS: u32 = 5_000;
/// The shortest time keys are kept, in seconds, whatever the answer says (`no-store`
/// included): below it, a busy client would cost a fetch per assertion.
pub const MIN_LIFETIME: u64 = 60;
/// The longest time keys are kept, in seconds: a key the client withdraws (compromised,
/// retired) stops verifying within a day however long its server said to cache it.
pub const MAX_LIFETIME: u64 = 86_400;
/// How long keys are kept when the answer says nothing about it, in seconds.
pub const DEFAULT_LIFETIME: u64 = 300;
/// The least time between two fetches of one URI that are not due to expiry, in seconds:
/// after a fetch for an unknown `kid`, and after a failed fetch.
pub const REFETCH_INTERVAL: i64 = 60;

/// What the provider keeps of one `jwks_uri`.
#[derive(Clone)]
pub(crate) struct RemoteKeys {
    /// The keys; `None` when the last fetch failed and nothing earlier is still valid.
    keys: Option<Arc<ClientKeys>>,
    /// Until when (Unix seconds, exclusive) this entry answers without a fetch.
    until: i64,
    /// When a fetch of the URI last started (Unix seconds).
    fetched_at: i64,
}

/// The keys of every `jwks_uri`, by URI.
pub(crate) type RemoteKeySets = BoundedCache<String, RemoteKeys>;

/// The keys at `uri` to check an assertion with: the kept ones while they last, else
/// fetched now. `None` when there are none to be had (the fetch failed, now or less than
/// [`REFETCH_INTERVAL`] ago).
pub(crate) async fn current<S, P, V>(
    op: &Provider,
    uri: &str,
    services: &Services<'_, S, P, V>,
) -> Option<Arc<ClientKeys>> {
    let kept = kept(op, uri);
    if let Some(entry) = &kept
        && services.now.0 < entry.until
    {
        return entry.keys.clone();
    }
    // A fetch started within its timeout may still be under way: requests arriving
    // meanwhile (a burst of assertions naming the client, signed or not) take what is kept
    // rather than each sending the client's server a request of its own.
    if let Some(entry) = &kept
        && services.now.0 < entry.fetched_at.saturating_add(FETCH_TIMEOUT_SECONDS)
    {
        return entry.keys.clone();
    }
    fetch(op, uri, services, kept).await
}

/// [`FETCH_TIMEOUT_MS`] in whole seconds, rounded up.
pub(crate) const FETCH_TIMEOUT_SECONDS: i64 = (FETCH_TIMEOUT_MS as i64 + 999) / 1000;

/// The keys at `uri` fetched again, because an assertion named a key the kept ones lack:
/// `Some` only when a fetch happened now and succeeded. Not when one started less than
/// [`REFETCH_INTERVAL`] ago.
pub(crate) async fn refetched<S, P, V>(
    op: &Provider,
    uri: &str,
    services: &Services<'_, S, P, V>,
) -> Option<Arc<ClientKeys>> {
    let kept = kept(op, uri);
    if kept
        .as_ref()
        .is_some_and(|entry| services.now.0 < entry.fetched_at.saturating_add(REFETCH_INTERVAL))
    {
        return None;
    }
    fetch(op, uri, services, kept).await
}

fn kept(op: &Provider, uri: &str) -> Option<RemoteKeys> {
    // A panic elsewhere cannot leave an entry half-written (entries are replaced whole),
    // so a poisoned lock's contents are as good as any.
    op.remote_keys
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(uri)
}

fn keep(op: &Provider, uri: &str, entry: RemoteKeys) {
    op.remote_keys
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(uri.to_owned(), entry);
}

/// Fetches the keys at `uri` and keeps what came of it; the keys if it succeeded.
async fn fetch<S, P, V>(
    op: &Provider,
    uri: &str,
    services: &Services<'_, S, P, V>,
    kept: Option<RemoteKeys>,
) -> Option<Arc<ClientKeys>> {
    let now = services.now.0;
    // Keys fetched earlier and not expired stay in use if this fetch fails.
    let (valid, valid_until) = match kept {
        Some(entry) if now < entry.until => (entry.keys, entry.until),
        _ => (None, now),
    };
    // The attempt is marked before waiting on it: assertions with unknown kids that arrive
    // meanwhile do not fetch again.
    keep(
        op,
        uri,
        RemoteKeys {
            keys: valid.clone(),
            until: valid_until,
            fetched_at: now,
        },
    );
    let limits = FetchLimits {
        max_bytes: MAX_DOCUMENT_LEN,
        timeout_ms: FETCH_TIMEOUT_MS,
    };
    let fetched = services.fetcher.get(uri, limits).await.ok().and_then(read);
    let entry = match (&fetched, valid) {
        (Some((keys, lifetime)), _) => RemoteKeys {
            keys: Some(keys.clone()),
            until: now.saturating_add(i64::try_from(*lifetime).unwrap_or(i64::MAX)),
            fetched_at: now,
        },
        (None, Some(valid)) => RemoteKeys {
            keys: Some(valid),
            until: valid_until,
            fetched_at: now,
        },
        (None, None) => RemoteKeys {
            keys: None,
            until: now.saturating_add(REFETCH_INTERVAL),
            fetched_at: now,
        },
    };
    keep(op, uri, entry);
    fetched.map(|(keys, _)| keys)
}

/// The keys of an answer, and how long to keep them: a 200 whose body is a JWKS of public
/// keys by the rules of an inline `jwks`.
fn read(answer: Fetched) -> Option<(Arc<ClientKeys>, u64)> {
    // Anything else, redirects included, is not the client's keys.
    if answer.status != 200 {
        return None;
    }
    let document = json::parse_object(&answer.body, MAX_DOCUMENT_LEN, "JWKS").ok()?;
    let keys = parse_jwks(&Value::Object(document)).ok()?;
    let lifetime = answer
        .cache_control
        .as_deref()
        .and_then(max_age)
        .unwrap_or(DEFAULT_LIFETIME)
        .clamp(MIN_LIFETIME, MAX_LIFETIME);
    Some((Arc::new(keys), lifetime))
}
