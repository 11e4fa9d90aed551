//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client
//! whose `client_id` is an `https` URL is described by the JSON document at that URL.
//!
//! The URL must be one the draft allows (§3: a path, no dot segments, no fragment, no user
//! information) on a public host (no private, loopback or link-local address, nor
//! `localhost` unless `registration.allow_loopback_fetch`). It is fetched and kept per URL
//! by the rules of every document the provider fetches ([`crate::op::kept`]: the host's
//! [`Fetcher`](crate::op::fetch::Fetcher), no redirect followed, a `jwks_uri`'s size limit,
//! kept for as long as the answer's `Cache-Control` says, within bounds). The document must
//! be a 200 with a JSON object whose `client_id` is the URL exactly (§4.1), without a shared
//! secret (§4: `none` or `private_key_jwt` only); its metadata is read by the validator
//! every client goes through. A failure (no answer, not 200, too large, too slow, not such a
//! document) makes the client unknown, and the URL is not fetched again for
//! [`REFETCH_INTERVAL`](crate::op::kept::REFETCH_INTERVAL). While an expired document is
//! fetched again, requests meanwhile take the client it described
//! (`kept::WhileFetching::Stale`) rather than find it unknown.

use std::sync::Arc;

use serde_json::Value;

use crate::json;
use crate::op::clients::jwks_uri::MAX_DOCUMENT_LEN;
use crate::op::clients::metadata;
use crate::op::config::{AuthMethod, Client, ClientOrigin, SelfAsserted, check_client_id_url};
use crate::op::kept::{Kept, WhileFetching};
use crate::op::provider::{Provider, Services};

/// The most documents a provider keeps at once.
pub(crate) const CACHE_SIZE: usize = 256;

/// The documents' clients, by URL.
pub(crate) type Documents = Kept<Client>;

/// Room for [`CACHE_SIZE`] documents.
pub(crate) fn cache() -> Documents {
    Kept::new(CACHE_SIZE, MAX_DOCUMENT_LEN, WhileFetching::Stale)
}

/// The fields a metadata document must not have (§4: a secret published to the world).
const SECRET_FIELDS: [&str; 2] = ["client_secret", "client_secret_expires_at"];

/// The client whose `client_id` is `url`, if `url` is a document URL allowed here and the
/// document there describes a client.
pub async fn find<S, P, V>(
    op: &Provider,
    url: &str,
    services: &Services<'_, S, P, V>,
) -> Option<Arc<Client>> {
    let allow_loopback = op.config.registration.allow_loopback_fetch;
    if check_client_id_url(url, allow_loopback).is_err() {
        return None;
    }
    let read = |body: &[u8]| read(op, url, body);
    let (fetcher, now) = (services.fetcher, services.now);
    op.metadata_documents
        .current(url, url, fetcher, now, read)
        .await
}

/// The client a document describes.
fn read(op: &Provider, url: &str, body: &[u8]) -> Option<Client> {
    let document = json::parse_object(body, MAX_DOCUMENT_LEN, "client metadata").ok()?;
    // §4.1: the document names itself, compared as a plain string.
    if document.get("client_id").and_then(Value::as_str) != Some(url) {
        return None;
    }
    if SECRET_FIELDS
        .iter()
        .any(|name| document.contains_key(*name))
    {
        return None;
    }
    let rules = SelfAsserted {
        origin: ClientOrigin::MetadataDocument,
        scopes: op.config.offered_scopes(),
        // Anyone can publish a document: no tokens without a user behind them.
        client_credentials: false,
        allow_loopback_fetch: op.config.registration.allow_loopback_fetch,
    };
    let client = metadata::read(&document, url, &rules, AuthMethod::None)
        .ok()?
        .client;
    // As at `/register`: an algorithm no key signs with would fail at the first token.
    client.check_signing_keys(&op.keys).ok()?;
    Some(client)
}

/// The host of a document URL (`app.example`, `app.example:8443`), for the pages: who is
/// asking is whoever controls it.
pub fn host_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    rest.get(..end)
}
