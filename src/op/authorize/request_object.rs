//! Signed request objects (RFC 9101, JWT-Secured Authorization Request): the
//! authorization request as the claims of a JWT the client signed with one of its
//! registered keys (`jwks` or `jwks_uri`), sent by value (`request`) to `/authorize` or
//! `/par`. Fetching one from elsewhere (`request_uri` other than a pushed request's) is not
//! offered.
//!
//! The key decides the algorithm: `none` and HMAC never verify (§6.1 allows unsigned
//! objects only where something else protects them; nothing does here), and a client
//! that registered `request_object_signing_alg` is held to it. The object is for this
//! provider (`aud` the issuer and nothing else) from this client (`iss` the `client_id`,
//! and a `client_id` member, if any, the same), of its kind (`typ`, if present,
//! `oauth-authz-req+jwt`, §4, or the generic `JWT`: never another token type signed by
//! the same key, RFC 8725 §3.11), short-lived (`exp` required and at most
//! [`MAX_LIFETIME`] ahead, and at most that after `nbf` or `iat`), and used once (its
//! `jti`, required, kept until it expires). Its members are then the request's parameters
//! (§4); none may be `request` or `request_uri`.

use serde_json::Value;

use crate::Error;
use crate::jose::SignatureVerifier;
use crate::jose::jwt::{Claims, Validation, same_media_type};
use crate::op::clients::signed_jwt;
use crate::op::config::Client;
use crate::op::error::OpError;
use crate::op::form::{FormError, Params, REPEATABLE};
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Key, Mark, RequestObjects};
use crate::store::Store;

/// The media type of a request object (RFC 9101 §10.8).
pub const TYP: &str = "oauth-authz-req+jwt";
/// The longest a request object may live, in seconds: from `nbf` (or `iat`, or now) to
/// `exp` (the bound of FAPI 2.0 Message Signing §5.3.1).
pub const MAX_LIFETIME: i64 = 3600;
/// Seconds of clock skew tolerated between the client and the provider.
const CLOCK_TOLERANCE: i64 = 30;
/// The claims of the JWT itself, which are not request parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

/// The parameters of `object`, a request object `client` signed; `invalid_request_object`
/// for anything it fails, `temporarily_unavailable` when the store fails.
pub async fn verify<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    client: &Client,
    object: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Params, OpError> {
    let invalid = |why: &str| OpError::InvalidRequestObject(format!("request object: {why}"));
    if !client.has_keys() {
        return Err(invalid(
            "the client registered no keys (jwks or jwks_uri) to check it with",
        ));
    }
    let validation = Validation {
        issuers: vec![client.client_id.as_str().to_owned()],
        audiences: vec![op.config.issuer.clone()],
        // The client's registered algorithm, else its profile's (every one for most).
        algorithms: match client.authorization.request_object_signing_alg {
            Some(alg) => vec![alg],
            None => client.signing_algorithms().to_vec(),
        },
        typ: None,
        clock_tolerance: CLOCK_TOLERANCE,
        required_claims: ["iss", "aud", "exp", "jti"].map(str::to_owned).to_vec(),
    };
    let verified = match signed_jwt::verify(op, client, object, &validation, services).await {
        Ok(verified) => verified,
        Err(Error::StoreUnavailable) => return Err(OpError::TemporarilyUnavailable),
        Err(Error::KeyNotFound | Error::SignatureInvalid | Error::KeyAlgMismatch) => {
            return Err(invalid("it is not signed by a key the client registered"));
        }
        Err(err) => return Err(invalid(&err.to_string())),
    };
    if let Some(typ) = verified.header().typ.as_deref()
        && !same_media_type(typ, TYP)
        && !same_media_type(typ, "JWT")
    {
        return Err(invalid("typ must be oauth-authz-req+jwt"));
    }
    let claims = verified.claims();
    // Every audience must be this provider: an object meant for several servers is one any
    // of them could replay here.
    let only_us = claims
        .audiences()
        .ok()
        .flatten()
        .is_some_and(|named| named.iter().all(|aud| *aud == op.config.issuer));
    if !only_us {
        return Err(invalid("aud must be the issuer alone"));
    }
    match claims.get("client_id") {
        None => {}
        Some(Value::String(id)) if id.as_str() == client.client_id.as_str() => {}
        Some(_) => return Err(invalid("client_id differs from the client's")),
    }
    let exp = whole_seconds(claims, "exp").unwrap_or(0);
    let now = services.now.0;
    let start = match (whole_seconds(claims, "nbf"), whole_seconds(claims, "iat")) {
        (Some(nbf), _) => nbf,
        (None, Some(iat)) => iat,
        (None, None) => now,
    };
    if exp.saturating_sub(now) > MAX_LIFETIME || exp.saturating_sub(start) > MAX_LIFETIME {
        return Err(invalid(&format!(
            "it may live at most {MAX_LIFETIME} seconds (exp)"
        )));
    }
    let params = parameters(claims).map_err(|why| invalid(&why))?;
    // Last, so that an object refused for another reason does not spend its jti.
    let jti = claims.string("jti").ok().flatten().unwrap_or_default();
    let key = Key::<RequestObjects>::new(&format!("{}\0{jti}", client.client_id.as_str()));
    let ttl = u64::try_from(exp.saturating_sub(now).saturating_add(CLOCK_TOLERANCE)).unwrap_or(0);
    let first = records::reserve(services.store, &key, &Mark { at: now }, ttl)
        .await
        .map_err(|_| OpError::TemporarilyUnavailable)?;
    if !first {
        return Err(invalid("it was used before (jti)"));
    }
    Ok(params)
}

/// A time claim in whole seconds (a fraction changes nothing that matters here); its type
/// was checked with the signature.
fn whole_seconds(claims: &Claims, name: &str) -> Option<i64> {
    #[allow(clippy::cast_possible_truncation)]
    claims.numeric_date(name).ok().flatten().map(|t| t as i64)
}

/// The request parameters the object's members are (RFC 9101 §4): strings as they are,
/// numbers and booleans as their JSON text, a JSON object (the `claims` parameter, OpenID
/// Connect Core §6.1) as JSON text, and an array only for a parameter that may repeat
/// (`resource`).
fn parameters(claims: &Claims) -> Result<Params, String> {
    let mut pairs: Vec<Result<(String, String), FormError>> = Vec::new();
    for (name, value) in claims.as_map() {
        if JWT_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        if name == "request" || name == "request_uri" {
            return Err(format!("it must not hold {name} (RFC 9101 §4)"));
        }
        match value {
            Value::Null => {}
            Value::String(text) => pairs.push(Ok((name.clone(), text.clone()))),
            Value::Number(_) | Value::Bool(_) | Value::Object(_) => {
                pairs.push(Ok((name.clone(), value.to_string())));
            }
            Value::Array(items) if REPEATABLE.contains(&name.as_str()) => {
                for item in items {
                    let Value::String(text) = item else {
                        return Err(format!("{name} must be an array of strings"));
                    };
                    pairs.push(Ok((name.clone(), text.clone())));
                }
            }
            Value::Array(_) => return Err(format!("{name} must not be an array")),
        }
    }
    Params::from_pairs(pairs).map_err(|err| match err {
        FormError::Repeated(name) => format!("{name} is repeated"),
        FormError::TooLarge => "too many or too long parameters".into(),
        FormError::Malformed => "malformed parameters".into(),
    })
}
