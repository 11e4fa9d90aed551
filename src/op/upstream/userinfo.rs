//! The upstream's UserInfo endpoint (OpenID Connect Core §5.3): asked, at the callback,
//! for the mapped claims the upstream's ID token lacks.
//!
//! Many providers put only a few claims in their ID tokens and the rest of what the scopes
//! grant at UserInfo (Core §5.4: the scopes' claims "are returned from the UserInfo
//! Endpoint" when an access token is issued). So when the configuration's `claims` names
//! an upstream claim the ID token does not carry and the upstream's discovery document
//! names a `userinfo_endpoint`, that endpoint is asked once, with the access token of the
//! same token response, as a Bearer token (Core §5.3.1, RFC 6750 §2.1), through the host's
//! fetch with the limits of the upstream's other endpoints (no redirect followed, 64 KiB,
//! 5 s, https on a public host outside development). Nothing is asked when the ID token
//! already carries every mapped claim.
//!
//! The answer is read strictly:
//! - a 200 with `Content-Type: application/json` only (Core §5.3.2). A signed or encrypted
//!   answer (`application/jwt`, for a client registered at the upstream with
//!   `userinfo_signed_response_alg`) is refused, not read unverified: register this
//!   provider there without it.
//! - its `sub` must be the ID token's exactly (§5.3.2: otherwise "the UserInfo Response
//!   values MUST NOT be used"; the defence against a token substitution, §16.11).
//! - it adds only claims the ID token lacks: the ID token's values, signed and bound to
//!   this sign-in by its `nonce`, are never replaced.
//!
//! A failure fails the sign-in, with a stable code on the login page as every other
//! upstream failure, rather than going on without the claims: the account's claims are
//! rewritten at each sign-in, so going on would silently take a claim (an `email`) from a
//! user whose clients rely on it, for as long as the upstream's endpoint fails.

use serde_json::{Map, Value};

use super::callback::Failure;
use super::metadata::Metadata;
use crate::json;
use crate::op::config::UpstreamProvider;
use crate::op::fetch::{BearerGet, FetchLimits};
use crate::op::kept::FETCH_TIMEOUT_MS;
use crate::op::provider::Services;

/// The largest UserInfo answer read, in bytes: a profile is a few hundred.
pub const MAX_USERINFO_LEN: usize = 64 * 1024;

/// Whether the ID token's `claims` lack an upstream claim the configuration maps (absent,
/// or `null`, which Core §5.1 reads as absent).
pub fn lacks_mapped_claims(provider: &UpstreamProvider, claims: &Map<String, Value>) -> bool {
    provider
        .claims
        .iter()
        .any(|(_, theirs)| claims.get(theirs).is_none_or(Value::is_null))
}

/// `id_claims` (the ID token's, validated) with the claims they lack filled in from the
/// upstream's UserInfo endpoint, when it has one and a mapped claim is missing; as they
/// are otherwise. `tokens` is the token response that carried the ID token.
pub async fn complete<S, P, V>(
    provider: &UpstreamProvider,
    metadata: &Metadata,
    tokens: &Map<String, Value>,
    mut id_claims: Map<String, Value>,
    services: &Services<'_, S, P, V>,
) -> Result<Map<String, Value>, Failure> {
    let Some(endpoint) = metadata.userinfo_endpoint.as_deref() else {
        return Ok(id_claims);
    };
    if !lacks_mapped_claims(provider, &id_claims) {
        return Ok(id_claims);
    }
    let access_token = tokens
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| unverified("userinfo_access_token_missing"))?;
    // RFC 6749 §5.1: `token_type` is required and case-insensitive. Only a Bearer token can
    // be sent as one; a sender-constrained (DPoP) one would need a proof of a key this
    // provider does not hold for it.
    let bearer = tokens
        .get("token_type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.eq_ignore_ascii_case("bearer"));
    if !bearer {
        return Err(unverified("userinfo_token_type_unsupported"));
    }
    let get = BearerGet {
        url: endpoint,
        access_token,
    };
    let limits = FetchLimits {
        max_bytes: MAX_USERINFO_LEN,
        timeout_ms: FETCH_TIMEOUT_MS,
    };
    let answer = services
        .fetcher
        .get_bearer(get, limits)
        .await
        .map_err(|_| Failure::Unreachable)?;
    if answer.status != 200 {
        return Err(unverified("userinfo_refused"));
    }
    if !answer.content_type.as_deref().is_some_and(is_json) {
        return Err(unverified("userinfo_not_json"));
    }
    let userinfo = json::parse_object(&answer.body, MAX_USERINFO_LEN, "UserInfo response")
        .map_err(|_| unverified("userinfo_invalid"))?;
    // Both are validated strings by now: the ID token's `sub` was required non-empty.
    let same_subject = matches!(
        (userinfo.get("sub"), id_claims.get("sub")),
        (Some(Value::String(theirs)), Some(Value::String(ours))) if theirs == ours
    );
    if !same_subject {
        return Err(unverified("userinfo_sub_mismatch"));
    }
    for (name, value) in userinfo {
        let lacking = id_claims.get(&name).is_none_or(Value::is_null);
        if lacking {
            id_claims.insert(name, value);
        }
    }
    Ok(id_claims)
}

/// Whether a `Content-Type` is JSON: the media type `application/json` (RFC 8259 §11), any
/// case, parameters (`charset`) allowed.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// An answer that broke the rule `code`.
fn unverified(code: &str) -> Failure {
    Failure::Unverified(code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        for yes in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            " application/json ;charset=UTF-8",
        ] {
            assert!(is_json(yes), "{yes}");
        }
        for no in [
            "application/jwt",
            "text/json",
            "application/jsonx",
            "application/json-seq",
            "",
        ] {
            assert!(!is_json(no), "{no}");
        }
    }
}
