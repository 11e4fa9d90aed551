//! An upstream provider's discovery document (OpenID Connect Discovery 1.0 §4), fetched at
//! `{issuer}/.well-known/openid-configuration` through the host's
//! [`Fetcher`](crate::op::fetch::Fetcher) and kept per provider for as long as the answer's
//! `Cache-Control` says, within the bounds a client's `jwks_uri` is kept in
//! (`clients::jwks_uri`). A failed fetch is not tried again for
//! `clients::jwks_uri::REFETCH_INTERVAL`, and a document fetched earlier stays in use
//! meanwhile if it has not expired.
//!
//! The document is read strictly, since it decides where the user is sent and where the
//! provider's client secret goes: its `issuer` must be the configured one exactly (§4.3:
//! the defence against a document that speaks for another provider), every endpoint must
//! pass the rule the issuer passed (`config::check_upstream_uri`), it must offer the code
//! flow, and PKCE with S256 when it lists its methods.

use std::sync::{Arc, PoisonError};

use serde_json::{Map, Value};

use crate::cache::BoundedCache;
use crate::jose::Alg;
use crate::json;
use crate::op::clients::jwks_uri::{
    DEFAULT_LIFETIME, FETCH_TIMEOUT_MS, FETCH_TIMEOUT_SECONDS, MAX_LIFETIME, MIN_LIFETIME,
    REFETCH_INTERVAL,
};
use crate::op::config::{UpstreamProvider, check_upstream_uri, is_loopback_issuer};
use crate::op::fetch::{FetchLimits, Fetched, max_age};
use crate::op::provider::{Provider, Services};

/// The longest discovery document read, in bytes: real ones are a few kilobytes.
pub const MAX_METADATA_LEN: usize = 64 * 1024;

/// What the provider needs of an upstream's discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Where the user is sent to sign in (`authorization_endpoint`).
    pub authorization_endpoint: String,
    /// Where the code is exchanged (`token_endpoint`).
    pub token_endpoint: String,
    /// Where its ID-token keys are (`jwks_uri`).
    pub jwks_uri: String,
    /// Whether it sends `iss` in every authorization response (RFC 9207 §3,
    /// `authorization_response_iss_parameter_supported`): then a response without it is
    /// refused.
    pub iss_parameter: bool,
    /// The algorithms its ID tokens may be signed with (`id_token_signing_alg_values_supported`,
    /// those this crate verifies); the allow-list of every ID token from it.
    pub algorithms: Vec<Alg>,
}

/// What the provider keeps of one upstream's document.
#[derive(Clone)]
pub(crate) struct Kept {
    /// The document; `None` when the last fetch failed and nothing earlier is still valid.
    metadata: Option<Arc<Metadata>>,
    /// Until when (Unix seconds, exclusive) this entry answers without a fetch.
    until: i64,
    /// When a fetch last started (Unix seconds).
    fetched_at: i64,
}

/// The upstreams' documents, by provider `id`.
pub(crate) type Discovered = BoundedCache<String, Kept>;

/// Where an issuer's discovery document is (OpenID Connect Discovery §4.1): the issuer
/// without a trailing `/`, then the well-known path.
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.strip_suffix('/').unwrap_or(issuer)
    )
}

/// The discovery document of `provider`: the kept one while it lasts, else fetched now.
/// `None` when there is none to be had (the fetch failed, now or less than
/// `REFETCH_INTERVAL` ago, or the document broke a rule).
pub(crate) async fn current<S, P, V>(
    op: &Provider,
    provider: &UpstreamProvider,
    services: &Services<'_, S, P, V>,
) -> Option<Arc<Metadata>> {
    let now = services.now.0;
    let kept = discovered(op).get(&provider.id);
    if let Some(entry) = &kept
        && (now < entry.until || now < entry.fetched_at.saturating_add(FETCH_TIMEOUT_SECONDS))
    {
        // Current, or a fetch of it still under way: sign-ins meanwhile take what is kept.
        return entry.metadata.clone();
    }
    let (valid, valid_until) = match kept {
        Some(entry) if now < entry.until => (entry.metadata, entry.until),
        _ => (None, now),
    };
    keep(
        op,
        &provider.id,
        Kept {
            metadata: valid.clone(),
            until: valid_until,
            fetched_at: now,
        },
    );
    let limits = FetchLimits {
        max_bytes: MAX_METADATA_LEN,
        timeout_ms: FETCH_TIMEOUT_MS,
    };
    let url = discovery_url(&provider.issuer);
    let development = is_loopback_issuer(&op.config.issuer);
    let fetched = services
        .fetcher
        .get(&url, limits)
        .await
        .ok()
        .and_then(|answer| read(provider, development, answer));
    let entry = match (fetched, valid) {
        (Some((metadata, lifetime)), _) => Kept {
            metadata: Some(Arc::new(metadata)),
            until: now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
            fetched_at: now,
        },
        (None, Some(valid)) => Kept {
            metadata: Some(valid),
            until: valid_until,
            fetched_at: now,
        },
        (None, None) => Kept {
            metadata: None,
            until: now.saturating_add(REFETCH_INTERVAL),
            fetched_at: now,
        },
    };
    let metadata = entry.metadata.clone();
    keep(op, &provider.id, entry);
    metadata
}

fn discovered(op: &Provider) -> std::sync::MutexGuard<'_, Discovered> {
    // Entries are replaced whole: a poisoned lock's contents are as good as any.
    op.upstream_metadata
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

fn keep(op: &Provider, id: &str, entry: Kept) {
    discovered(op).insert(id.to_owned(), entry);
}

/// The metadata an answer holds, and how long to keep it.
fn read(
    provider: &UpstreamProvider,
    development: bool,
    answer: Fetched,
) -> Option<(Metadata, u64)> {
    // Anything else, redirects included, is not the document.
    if answer.status != 200 {
        return None;
    }
    let document = json::parse_object(&answer.body, MAX_METADATA_LEN, "discovery document").ok()?;
    let metadata = parse(&document, provider, development).ok()?;
    let lifetime = answer
        .cache_control
        .as_deref()
        .and_then(max_age)
        .unwrap_or(DEFAULT_LIFETIME)
        .clamp(MIN_LIFETIME, MAX_LIFETIME);
    Some((metadata, lifetime))
}

/// The metadata of `document`, or the rule it breaks.
pub fn parse(
    document: &Map<String, Value>,
    provider: &UpstreamProvider,
    development: bool,
) -> Result<Metadata, &'static str> {
    let text = |name: &str| document.get(name).and_then(Value::as_str);
    // §4.3: the document of another issuer is not this provider's, whoever serves it.
    if text("issuer") != Some(provider.issuer.as_str()) {
        return Err("its issuer is not the configured one");
    }
    let endpoint = |name: &str| -> Result<String, &'static str> {
        let uri = text(name).ok_or("an endpoint is missing")?;
        check_upstream_uri(uri, development)?;
        Ok(uri.to_owned())
    };
    let authorization_endpoint = endpoint("authorization_endpoint")?;
    let token_endpoint = endpoint("token_endpoint")?;
    let jwks_uri = endpoint("jwks_uri")?;
    let lists = |name: &str, wanted: &str| {
        document
            .get(name)
            .and_then(Value::as_array)
            .is_some_and(|values| values.iter().any(|v| v.as_str() == Some(wanted)))
    };
    if !lists("response_types_supported", "code") {
        return Err("it does not offer the code flow");
    }
    // RFC 8414 §2: a provider that lists its PKCE methods and leaves S256 out would ignore
    // the challenge; one that lists none is trusted to check it (the nonce binds the ID
    // token to this sign-in either way).
    if document.contains_key("code_challenge_methods_supported")
        && !lists("code_challenge_methods_supported", "S256")
    {
        return Err("it does not support PKCE with S256");
    }
    let algorithms: Vec<Alg> = document
        .get("id_token_signing_alg_values_supported")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(|name| Alg::parse(name.as_str()?).ok())
                .collect()
        })
        .unwrap_or_default();
    // Discovery §3 requires the list; `none` and HS* are never among what this crate
    // verifies, so an empty list here means no ID token from it could pass.
    if algorithms.is_empty() {
        return Err("it signs ID tokens with no algorithm this provider verifies");
    }
    Ok(Metadata {
        authorization_endpoint,
        token_endpoint,
        jwks_uri,
        iss_parameter: document
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        algorithms,
    })
}
