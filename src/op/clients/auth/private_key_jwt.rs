//! `private_key_jwt` (RFC 7523 §2.2 and §3, OpenID Connect Core §9): the client proves who
//! it is with a JWT signed by one of its registered keys (`jwks`, or those at its
//! `jwks_uri`: [`crate::op::clients::jwks_uri`]).
//!
//! The assertion must be signed with an asymmetric algorithm its key allows (the key
//! decides: `none` and HMAC never verify), name the client as both `iss` and `sub`, be meant
//! for this provider (`aud`: the issuer, the token endpoint, or the endpoint it is sent
//! to, on the issuer's origin or, when one is configured, its mTLS alias: RFC 8705 §5),
//! expire soon (`exp` at most [`MAX_LIFETIME`] ahead: a long-lived assertion is a
//! password by another name), and carry a `jti` that is accepted once (kept in the
//! single-use store until the assertion expires).

use serde_json::Value;

use crate::Error;
use crate::jose::jwt::Validation;
use crate::jose::{CompactJws, SignatureVerifier};
use crate::op::clients::signed_jwt;
use crate::op::config::Client;
use crate::op::error::OpError;
use crate::op::http::Request;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, ClientAssertions, Key, Mark};
use crate::store::Store;

/// `client_assertion_type` of a JWT assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The furthest ahead an assertion's `exp` may be, in seconds.
pub const MAX_LIFETIME: i64 = 300;
/// Seconds of clock skew tolerated between the client and the provider.
const CLOCK_TOLERANCE: i64 = 30;
/// The longest assertion read, in bytes: far above any real one, far below a body limit.
const MAX_ASSERTION_LEN: usize = 8 * 1024;

/// The client an assertion names as `sub`, read before it is verified, only to find whose
/// keys verify it; `None` if it is not a JWT with a string `sub`.
pub fn claimed_client(assertion: &str) -> Option<String> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return None;
    }
    let jws = CompactJws::parse(assertion).ok()?;
    let claims: Value = serde_json::from_slice(jws.payload()).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// Whether `assertion` authenticates `client` at the endpoint of `req`. A replayed `jti` is
/// a failed authentication, and so are keys at a `jwks_uri` that cannot be fetched; a store
/// failure is `temporarily_unavailable`.
pub async fn verify<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    client: &Client,
    assertion: &str,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<bool, OpError> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return Ok(false);
    }
    // This provider's own names only, never the host the request came in on (an
    // assertion made for another server and replayed here, or sent here through another
    // name, names that one): the issuer, the token endpoint, or the endpoint it reaches,
    // and those two at the mTLS alias (RFC 8705 §5), where a client that binds its tokens
    // to its certificate calls them.
    let issuer = &op.config.issuer;
    let mut audiences = vec![
        issuer.clone(),
        format!("{issuer}/token"),
        format!("{issuer}{}", req.path()),
    ];
    if let Some(mtls) = &op.config.mtls {
        let origin = &mtls.endpoint_origin;
        audiences.extend([format!("{origin}/token"), format!("{origin}{}", req.path())]);
    }
    let validation = Validation {
        issuers: vec![client.client_id.as_str().to_owned()],
        audiences: audiences.clone(),
        // Every asymmetric algorithm (each key allows only its own), or the client's
        // profile's.
        algorithms: client.signing_algorithms().to_vec(),
        typ: None,
        clock_tolerance: CLOCK_TOLERANCE,
        required_claims: ["iss", "sub", "aud", "exp", "jti"]
            .map(str::to_owned)
            .to_vec(),
    };
    let checked = signed_jwt::verify(op, client, assertion, &validation, services).await;
    let verified = match checked {
        Ok(verified) => verified,
        Err(Error::StoreUnavailable) => return Err(OpError::TemporarilyUnavailable),
        Err(_) => return Ok(false),
    };
    let claims = verified.claims();
    if claims.string("sub").ok().flatten() != Some(client.client_id.as_str()) {
        return Ok(false);
    }
    // An assertion meant for this provider and for others at once is not one for this
    // provider alone (the audience injection draft-ietf-oauth-rfc7523bis closes): every
    // audience it names must be one of ours.
    let Ok(Some(named)) = claims.audiences() else {
        return Ok(false);
    };
    if named
        .iter()
        .any(|aud| !audiences.iter().any(|ours| ours == aud))
    {
        return Ok(false);
    }
    // RFC 8725 §3.11: a token of another kind (an access token, a DPoP proof) signed by
    // the same key is not an assertion.
    if let Some(typ) = verified.header().typ.as_deref()
        && !matches!(
            typ.to_ascii_lowercase().as_str(),
            "jwt" | "client-authentication+jwt" | "application/client-authentication+jwt"
        )
    {
        return Ok(false);
    }
    let Ok(Some(exp)) = claims.numeric_date("exp") else {
        return Ok(false);
    };
    // The time claims are whole seconds here; a fraction changes nothing that matters.
    #[allow(clippy::cast_possible_truncation)]
    let exp = exp as i64;
    if exp.saturating_sub(services.now.0) > MAX_LIFETIME {
        return Ok(false);
    }
    let Ok(Some(jti)) = claims.string("jti") else {
        return Ok(false);
    };
    let key = Key::<ClientAssertions>::new(&format!("{}\0{jti}", client.client_id.as_str()));
    let ttl = u64::try_from(
        exp.saturating_sub(services.now.0)
            .saturating_add(CLOCK_TOLERANCE),
    )
    .unwrap_or(0);
    let first = records::reserve(services.store, &key, &Mark { at: services.now.0 }, ttl)
        .await
        .map_err(|_| OpError::TemporarilyUnavailable)?;
    Ok(first)
}
