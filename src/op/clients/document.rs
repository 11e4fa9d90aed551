//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client
//! whose `client_id` is an `https` URL is described by the JSON document at that URL.
//!
//! The URL must be one the draft allows (§3: a path, no dot segments, no fragment, no user
//! information) on a public host (no private, loopback or link-local address, nor
//! `localhost` unless `registration.allow_loopback_fetch`). It is fetched as a client's
//! `jwks_uri` is (`clients::jwks_uri`: the host's [`Fetcher`](crate::op::fetch::Fetcher),
//! no redirect followed, the same size and time limits) and kept per URL for as long as the
//! answer's `Cache-Control` says, within the same bounds. The document must be a 200 with a
//! JSON object whose `client_id` is the URL exactly (§4.1), without a shared secret (§4:
//! `none` or `private_key_jwt` only); its metadata is read by the validator every client
//! goes through. A failure (no answer, not 200, too large, too slow, not such a document)
//! makes the client unknown, and the URL is not fetched again for
//! `clients::jwks_uri::REFETCH_INTERVAL`.

use std::sync::{Arc, PoisonError};

use serde_json::Value;

use crate::cache::BoundedCache;
use crate::json;
use crate::op::clients::jwks_uri::{
    DEFAULT_LIFETIME, FETCH_TIMEOUT_MS, FETCH_TIMEOUT_SECONDS, MAX_DOCUMENT_LEN, MAX_LIFETIME,
    MIN_LIFETIME, REFETCH_INTERVAL,
};
use crate::op::clients::metadata;
use crate::op::config::{AuthMethod, Client, ClientOrigin, SelfAsserted, check_client_id_url};
use crate::op::fetch::{FetchLimits, Fetched, max_age};
use crate::op::provider::{Provider, Services};

/// The most documents a provider keeps at once.
pub(crate) const CACHE_SIZE: usize = 256;

/// What the provider keeps of one document URL.
#[derive(Clone)]
pub(crate) struct Kept {
    /// The client; `None` when the last fetch failed.
    client: Option<Arc<Client>>,
    /// Until when (Unix seconds, exclusive) this entry answers without a fetch.
    until: i64,
    /// When a fetch of the URL last started (Unix seconds).
    fetched_at: i64,
}

/// The documents' clients, by URL.
pub(crate) type Documents = BoundedCache<String, Kept>;

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
    let now = services.now.0;
    let kept = documents(op).get(url);
    if let Some(entry) = &kept {
        // Kept and current, or a fetch of it still under way (requests meanwhile do not each
        // send the client's server one of their own).
        if now < entry.until || now < entry.fetched_at.saturating_add(FETCH_TIMEOUT_SECONDS) {
            return entry.client.clone();
        }
    }
    // Requests that arrive while this fetch is under way use what was kept, though stale
    // (for at most the fetch's time limit), rather than find the client unknown.
    keep(
        op,
        url,
        Kept {
            client: kept.and_then(|entry| entry.client),
            until: now,
            fetched_at: now,
        },
    );
    let limits = FetchLimits {
        max_bytes: MAX_DOCUMENT_LEN,
        timeout_ms: FETCH_TIMEOUT_MS,
    };
    let answer = services.fetcher.get(url, limits).await.ok();
    let read = answer.and_then(|answer| read(op, url, answer));
    let entry = match read {
        Some((client, lifetime)) => Kept {
            client: Some(Arc::new(client)),
            until: now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
            fetched_at: now,
        },
        None => Kept {
            client: None,
            until: now.saturating_add(REFETCH_INTERVAL),
            fetched_at: now,
        },
    };
    let client = entry.client.clone();
    keep(op, url, entry);
    client
}

/// The client a fetched answer describes, and how long to keep it.
fn read(op: &Provider, url: &str, answer: Fetched) -> Option<(Client, u64)> {
    // Anything else, redirects included (one could lead anywhere), is not the document.
    if answer.status != 200 {
        return None;
    }
    let document = json::parse_object(&answer.body, MAX_DOCUMENT_LEN, "client metadata").ok()?;
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
    let lifetime = answer
        .cache_control
        .as_deref()
        .and_then(max_age)
        .unwrap_or(DEFAULT_LIFETIME)
        .clamp(MIN_LIFETIME, MAX_LIFETIME);
    Some((client, lifetime))
}

fn documents(op: &Provider) -> std::sync::MutexGuard<'_, Documents> {
    // Entries are replaced whole: a poisoned lock's contents are as good as any.
    op.metadata_documents
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

fn keep(op: &Provider, url: &str, entry: Kept) {
    documents(op).insert(url.to_owned(), entry);
}

/// The host of a document URL (`app.example`, `app.example:8443`), for the pages: who is
/// asking is whoever controls it.
pub fn host_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    rest.get(..end)
}
