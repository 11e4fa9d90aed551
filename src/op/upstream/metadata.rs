//! An upstream provider's discovery document (OpenID Connect Discovery 1.0 §4), fetched at
//! `{issuer}/.well-known/openid-configuration` through the host's
//! [`Fetcher`](crate::op::fetch::Fetcher) and kept per provider by the rules of every
//! document the provider fetches ([`crate::op::kept`]: for as long as the answer's
//! `Cache-Control` says, within bounds; a failed fetch not tried again for a minute, a
//! document fetched earlier used meanwhile if it has not expired, and not once it has).
//!
//! The document is read strictly, since it decides where the user is sent and where the
//! provider's client secret goes: its `issuer` must be the configured one exactly (§4.3:
//! the defence against a document that speaks for another provider), every endpoint must
//! pass the rule the issuer passed (`config::check_upstream_uri`), it must offer the code
//! flow, and PKCE with S256 when it lists its methods. The UserInfo endpoint is optional
//! and held to the same rule, but one that breaks it does not refuse the document: it is
//! kept as unusable, never sent the access token, and fails only a sign-in that needs it
//! ([`UserinfoEndpoint`]).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::jose::Alg;
use crate::json;
use crate::op::config::{UpstreamProvider, check_upstream_uri, is_loopback_issuer};
use crate::op::kept::{Kept, WhileFetching};
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
    /// Its UserInfo endpoint (`userinfo_endpoint`, OpenID Connect Core §5.3): asked for the
    /// mapped claims its ID tokens lack.
    pub userinfo_endpoint: UserinfoEndpoint,
    /// Whether it sends `iss` in every authorization response (RFC 9207 §3,
    /// `authorization_response_iss_parameter_supported`): then a response without it is
    /// refused.
    pub iss_parameter: bool,
    /// The algorithms its ID tokens may be signed with (`id_token_signing_alg_values_supported`,
    /// those this crate verifies); the allow-list of every ID token from it.
    pub algorithms: Vec<Alg>,
}

/// The UserInfo endpoint a discovery document names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserinfoEndpoint {
    /// None: the member is absent, or `null` (read as absent, as OpenID Connect Core §5.1
    /// reads a `null` claim).
    Absent,
    /// A URL that passes the rule of the other endpoints: the access token may go there.
    At(String),
    /// A value that breaks that rule (not a string, `http://`, a private host). Not a
    /// reason to refuse the whole document: an upstream whose ID tokens carry every mapped
    /// claim never needs it. A sign-in that does fails with `userinfo_endpoint_invalid`.
    Unusable,
}

/// The upstreams' documents, by provider `id`.
pub(crate) type Discovered = Kept<Metadata>;

/// Room for the documents of `capacity` upstream providers.
pub(crate) fn cache(capacity: usize) -> Discovered {
    Kept::new(capacity, MAX_METADATA_LEN, WhileFetching::Nothing)
}

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
/// [`REFETCH_INTERVAL`](crate::op::kept::REFETCH_INTERVAL) ago, or the document broke a
/// rule).
pub(crate) async fn current<S, P, V>(
    op: &Provider,
    provider: &UpstreamProvider,
    services: &Services<'_, S, P, V>,
) -> Option<Arc<Metadata>> {
    let url = discovery_url(&provider.issuer);
    let development = is_loopback_issuer(&op.config.issuer);
    let read = |body: &[u8]| {
        let document = json::parse_object(body, MAX_METADATA_LEN, "discovery document").ok()?;
        parse(&document, provider, development).ok()
    };
    let (fetcher, now) = (services.fetcher, services.now);
    op.upstream_metadata
        .current(&provider.id, &url, fetcher, now, read)
        .await
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
    // Optional (Discovery §3 RECOMMENDED), but held to the same rule when named: the
    // access token goes there.
    let userinfo_endpoint = match document.get("userinfo_endpoint") {
        None | Some(Value::Null) => UserinfoEndpoint::Absent,
        Some(_) => {
            endpoint("userinfo_endpoint").map_or(UserinfoEndpoint::Unusable, UserinfoEndpoint::At)
        }
    };
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
        userinfo_endpoint,
        iss_parameter: document
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        algorithms,
    })
}
