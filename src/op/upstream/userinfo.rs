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
//! already carries every mapped claim. The access token must have the syntax RFC 6750 §2.1
//! gives a Bearer token, within [`MAX_ACCESS_TOKEN_LEN`]: it goes into a header field, and
//! a line break or a character outside ASCII would make the host's request fail with an
//! error that may repeat it.
//!
//! The answer is read strictly:
//! - a 200 with `Content-Type: application/json` only (Core §5.3.2). A signed or encrypted
//!   answer (`application/jwt`, for a client registered at the upstream with
//!   `userinfo_signed_response_alg`) is refused, not read unverified: register this
//!   provider there without it.
//! - its `sub` must be the ID token's exactly (§5.3.2: otherwise "the UserInfo Response
//!   values MUST NOT be used"; the defence against a token substitution, §16.11).
//! - it adds only claims the ID token lacks: the ID token's values, signed and bound to
//!   this sign-in by its `nonce`, are never replaced. A claim that says something of
//!   another (`email_verified` of `email`, `phone_number_verified` of `phone_number`, Core
//!   §5.1) is kept only with the value it speaks of: UserInfo's only beside UserInfo's
//!   value, or beside the ID token's when UserInfo's is the same; the ID token's is dropped
//!   when the value comes from UserInfo.
//!
//! A failure fails the sign-in, with a stable code on the login page as every other
//! upstream failure, rather than going on without the claims: the account's claims are
//! rewritten at each sign-in, so going on would silently take a claim (an `email`) from a
//! user whose clients rely on it, for as long as the upstream's endpoint fails.

use serde_json::{Map, Value};

use super::callback::{Failure, unverified};
use super::metadata::{Metadata, UserinfoEndpoint};
use crate::json;
use crate::op::config::UpstreamProvider;
use crate::op::fetch::{BearerGet, FetchLimits};
use crate::op::http::{has_media_type, is_b64token};
use crate::op::kept::FETCH_TIMEOUT_MS;
use crate::op::provider::Services;

/// The largest UserInfo answer read, in bytes: a profile is a few hundred.
pub const MAX_USERINFO_LEN: usize = 64 * 1024;

/// The longest upstream access token sent, in characters: the whole header block many
/// servers accept (8 KiB), so a longer one would be refused there anyway. JWT access
/// tokens with many claims run to a few kilobytes.
pub const MAX_ACCESS_TOKEN_LEN: usize = 8 * 1024;

/// The claims that say something of another claim's value (OpenID Connect Core §5.1),
/// each with the claim it speaks of.
const VERIFIED_OF: [(&str, &str); 2] = [
    ("email_verified", "email"),
    ("phone_number_verified", "phone_number"),
];

/// Whether the ID token's `claims` lack an upstream claim the configuration maps (absent,
/// or `null`, which Core §5.1 reads as absent).
pub fn lacks_mapped_claims(provider: &UpstreamProvider, claims: &Map<String, Value>) -> bool {
    provider
        .claims
        .iter()
        .any(|(_, theirs)| present(claims, theirs).is_none())
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
    if !lacks_mapped_claims(provider, &id_claims) {
        return Ok(id_claims);
    }
    let endpoint = match &metadata.userinfo_endpoint {
        UserinfoEndpoint::Absent => return Ok(id_claims),
        UserinfoEndpoint::Unusable => return Err(unverified("userinfo_endpoint_invalid")),
        UserinfoEndpoint::At(endpoint) => endpoint,
    };
    let access_token = tokens
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| unverified("userinfo_access_token_missing"))?;
    if access_token.len() > MAX_ACCESS_TOKEN_LEN || !is_b64token(access_token) {
        return Err(unverified("userinfo_access_token_invalid"));
    }
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
    let json_type = answer
        .content_type
        .as_deref()
        .is_some_and(|ct| has_media_type(ct, "application/json"));
    if !json_type {
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
    fill(&mut id_claims, userinfo);
    Ok(id_claims)
}

/// Adds to `id_claims` the `userinfo` claims they lack, keeping each `*_verified` claim
/// with the value it speaks of ([`VERIFIED_OF`]): a UserInfo `email_verified` beside the
/// ID token's `email` would otherwise vouch for an address UserInfo may not have meant.
fn fill(id_claims: &mut Map<String, Value>, mut userinfo: Map<String, Value>) {
    for (verified, of) in VERIFIED_OF {
        match (present(id_claims, of), present(&userinfo, of)) {
            // The ID token's value is kept: UserInfo's flag speaks of it only when
            // UserInfo's value is the same one.
            (Some(ours), theirs) => {
                if theirs != Some(ours) {
                    userinfo.remove(verified);
                }
            }
            // UserInfo's value is taken: its own flag (or none) goes with it, not one the
            // ID token issued beside no value.
            (None, Some(_)) => {
                id_claims.remove(verified);
            }
            // No value at all: a UserInfo flag about nothing is not taken.
            (None, None) => {
                userinfo.remove(verified);
            }
        }
    }
    for (name, value) in userinfo {
        if present(id_claims, &name).is_none() {
            id_claims.insert(name, value);
        }
    }
}

/// The claim `name` of `claims`, unless absent or `null` (Core §5.1 reads both alike).
fn present<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|value| !value.is_null())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    /// Core §5.1: `email_verified` "true if the End-User's e-mail address has been
    /// verified": it says so of one address, so it is kept only beside the address it came
    /// with (and so for `phone_number_verified`).
    #[test]
    fn a_verified_flag_stays_with_its_value() {
        for (id_token, userinfo, expected) in [
            // UserInfo's flag about another address than the ID token's: not taken.
            (
                json!({ "email": "a@x.example" }),
                json!({ "email": "b@x.example", "email_verified": true }),
                json!({ "email": "a@x.example" }),
            ),
            // About the same address: taken.
            (
                json!({ "email": "a@x.example" }),
                json!({ "email": "a@x.example", "email_verified": true }),
                json!({ "email": "a@x.example", "email_verified": true }),
            ),
            // A flag without the address it speaks of: not taken.
            (
                json!({ "email": "a@x.example" }),
                json!({ "email_verified": true }),
                json!({ "email": "a@x.example" }),
            ),
            (json!({}), json!({ "email_verified": true }), json!({})),
            // Both from UserInfo.
            (
                json!({ "email": null }),
                json!({ "email": "b@x.example", "email_verified": true }),
                json!({ "email": "b@x.example", "email_verified": true }),
            ),
            // The ID token's flag issued beside no address does not vouch for UserInfo's.
            (
                json!({ "email_verified": true }),
                json!({ "email": "b@x.example" }),
                json!({ "email": "b@x.example" }),
            ),
            (
                json!({ "email_verified": true }),
                json!({ "email": "b@x.example", "email_verified": false }),
                json!({ "email": "b@x.example", "email_verified": false }),
            ),
            // The ID token's pair is never replaced.
            (
                json!({ "email": "a@x.example", "email_verified": false }),
                json!({ "email": "a@x.example", "email_verified": true }),
                json!({ "email": "a@x.example", "email_verified": false }),
            ),
            (
                json!({ "phone_number": "+1 555" }),
                json!({ "phone_number": "+1 556", "phone_number_verified": true, "name": "N" }),
                json!({ "phone_number": "+1 555", "name": "N" }),
            ),
        ] {
            let mut claims = object(id_token.clone());
            fill(&mut claims, object(userinfo.clone()));
            assert_eq!(Value::Object(claims), expected, "{id_token} + {userinfo}");
        }
    }
}
