//! JWT access tokens for resource servers: RFC 9068 §4.

use crate::Error;
use crate::jose::jwt::{Validation, Verified, verify_with};
#[cfg(feature = "rustcrypto")]
use crate::jose::verifier::{RustCrypto, run_ready};
use crate::jose::{Alg, JwkSet, SignatureVerifier};
use crate::time::UnixTime;

/// What a resource server expects of an access token.
#[derive(Debug, Clone, Default)]
pub struct AccessTokenExpectations {
    /// The authorization server's issuer identifier (`iss` must equal it).
    pub issuer: String,
    /// This resource server's identifier (`aud` must contain it).
    pub audience: String,
    /// Scopes the token must all carry in its `scope` claim.
    pub required_scopes: Vec<String>,
    /// Algorithm allow-list; empty means every asymmetric algorithm.
    pub algorithms: Vec<Alg>,
    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    pub clock_tolerance: i64,
}

/// [`validate_access_token_with`] on the pure-Rust backend, synchronously.
#[cfg(feature = "rustcrypto")]
pub fn validate_access_token(
    token: &str,
    keys: &JwkSet,
    expected: &AccessTokenExpectations,
    now: UnixTime,
) -> Result<Verified, Error> {
    run_ready(validate_access_token_with(
        token,
        keys,
        expected,
        now,
        &RustCrypto,
    ))
}

/// Validates a JWT access token per RFC 9068 §4: `typ` must be `at+jwt` (or
/// `application/at+jwt`), `iss` and `aud` must match, and `iss`, `exp`, `aud`, `sub`,
/// `client_id`, `iat` and `jti` must be present (§2.2). `scope` is a space-separated string.
pub async fn validate_access_token_with<V: SignatureVerifier>(
    token: &str,
    keys: &JwkSet,
    expected: &AccessTokenExpectations,
    now: UnixTime,
    verifier: &V,
) -> Result<Verified, Error> {
    if expected.issuer.is_empty() || expected.audience.is_empty() {
        return Err(Error::InvalidOption {
            name: "issuer/audience".into(),
            reason: "both are required",
        });
    }
    let validation = Validation {
        issuers: vec![expected.issuer.clone()],
        audiences: vec![expected.audience.clone()],
        algorithms: expected.algorithms.clone(),
        typ: Some("at+jwt".to_owned()),
        clock_tolerance: expected.clock_tolerance,
        required_claims: ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"]
            .map(String::from)
            .to_vec(),
    };
    let verified = verify_with(token, keys, &validation, now, verifier).await?;
    let claims = verified.claims();
    claims.string("client_id")?;
    let granted: Vec<&str> = claims
        .string("scope")?
        .map(|s| s.split(' ').collect())
        .unwrap_or_default();
    if let Some(missing) = expected
        .required_scopes
        .iter()
        .find(|s| !granted.contains(&s.as_str()))
    {
        return Err(Error::InsufficientScope {
            scope: missing.clone(),
        });
    }
    Ok(verified)
}
