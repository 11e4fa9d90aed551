//! A client's keys at its `jwks_uri` (RFC 7591 §2), read by the rules of an inline `jwks`
//! ([`parse_jwks`]: public keys only, each with a `kid`), fetched and kept per URI by the
//! rules of every document the provider fetches ([`crate::op::kept`]).
//!
//! A client that rotates its keys signs with a new `kid` before the cached keys expire: an
//! assertion naming a key the cached set lacks fetches the set again (`refetched`), at
//! most once per [`REFETCH_INTERVAL`](crate::op::kept::REFETCH_INTERVAL) per URI. A failed
//! fetch (no answer, not 200, too large, not a JWKS of public keys) authenticates nobody
//! with those keys; keys fetched earlier and not yet expired stay in use, and expired ones
//! are not used while they are fetched again (`kept::WhileFetching::Nothing`).
//!
//! The URI itself was checked with the configuration (`https://`, or `http://` on a
//! loopback host, no fragment); the host fetches it without following redirects.

use std::sync::Arc;

use serde_json::Value;

use crate::jose::jwk::MAX_JWKS_LEN;
use crate::json;
use crate::op::clients::keys::{ClientKeys, parse_jwks};
use crate::op::kept::{Kept, WhileFetching};
use crate::op::provider::{Provider, Services};

/// The longest JWKS read, in bytes: the limit of every JWKS this crate parses.
pub const MAX_DOCUMENT_LEN: usize = MAX_JWKS_LEN;

/// The keys of every `jwks_uri`, by URI.
pub(crate) type RemoteKeySets = Kept<ClientKeys>;

/// Room for the keys of `capacity` URIs.
pub(crate) fn cache(capacity: usize) -> RemoteKeySets {
    Kept::new(capacity, MAX_DOCUMENT_LEN, WhileFetching::Nothing)
}

/// The keys at `uri` to check an assertion with: the kept ones while they last, else
/// fetched now. `None` when there are none to be had (the fetch failed, now or less than
/// [`REFETCH_INTERVAL`](crate::op::kept::REFETCH_INTERVAL) ago).
pub(crate) async fn current<S, P, V>(
    op: &Provider,
    uri: &str,
    services: &Services<'_, S, P, V>,
) -> Option<Arc<ClientKeys>> {
    let (fetcher, now) = (services.fetcher, services.now);
    op.remote_keys.current(uri, uri, fetcher, now, read).await
}

/// The keys at `uri` fetched again, because an assertion named a key the kept ones lack:
/// `Some` only when a fetch happened now and succeeded. Not when one started less than
/// [`REFETCH_INTERVAL`](crate::op::kept::REFETCH_INTERVAL) ago.
pub(crate) async fn refetched<S, P, V>(
    op: &Provider,
    uri: &str,
    services: &Services<'_, S, P, V>,
) -> Option<Arc<ClientKeys>> {
    let (fetcher, now) = (services.fetcher, services.now);
    op.remote_keys.refetched(uri, uri, fetcher, now, read).await
}

/// The keys of a body: a JWKS of public keys by the rules of an inline `jwks`.
fn read(body: &[u8]) -> Option<ClientKeys> {
    let document = json::parse_object(body, MAX_DOCUMENT_LEN, "JWKS").ok()?;
    parse_jwks(&Value::Object(document)).ok()
}
