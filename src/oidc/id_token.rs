//! ID token validation: OpenID Connect Core 1.0 §3.1.3.7 (code flow), with `at_hash`
//! (§3.1.3.8 / §3.2.2.9) and `c_hash` (§3.3.2.11) when the caller has the token or code.

use crate::jose::jwt::{Validation, Verified, same_media_type, verify_with};
#[cfg(feature = "rustcrypto")]
use crate::jose::verifier::{RustCrypto, run_ready};
use crate::jose::{Alg, JwkSet, SignatureVerifier};
use crate::secret::constant_time_eq;
use crate::time::UnixTime;
use crate::{Error, b64};

/// What the relying party knows and expects of an ID token.
#[derive(Debug, Clone, Default)]
pub struct IdTokenExpectations {
    /// The issuer (`iss` must equal it exactly, §3.1.3.7 step 2).
    pub issuer: String,
    /// This client's `client_id` (`aud` must contain it, step 3).
    pub client_id: String,
    /// The `nonce` sent in the authentication request, if any (step 11).
    pub nonce: Option<String>,
    /// The `max_age` sent, in seconds, if any (step 13: then `auth_time` is required).
    pub max_age: Option<i64>,
    /// The access token returned with the ID token, to check `at_hash` when present.
    pub access_token: Option<String>,
    /// The authorization code, to check `c_hash` when present.
    pub code: Option<String>,
    /// Algorithm allow-list (step 7); empty means every asymmetric algorithm.
    pub algorithms: Vec<Alg>,
    /// Seconds of clock skew tolerated on `exp`, `iat` and `auth_time`.
    pub clock_tolerance: i64,
}

/// [`validate_id_token_with`] on the pure-Rust backend, synchronously.
#[cfg(feature = "rustcrypto")]
pub fn validate_id_token(
    token: &str,
    keys: &JwkSet,
    expected: &IdTokenExpectations,
    now: UnixTime,
) -> Result<Verified, Error> {
    run_ready(validate_id_token_with(
        token,
        keys,
        expected,
        now,
        &RustCrypto,
    ))
}

/// Validates an ID token per OpenID Connect Core §3.1.3.7.
pub async fn validate_id_token_with<V: SignatureVerifier>(
    token: &str,
    keys: &JwkSet,
    expected: &IdTokenExpectations,
    now: UnixTime,
    verifier: &V,
) -> Result<Verified, Error> {
    if expected.issuer.is_empty() || expected.client_id.is_empty() {
        return Err(Error::InvalidOption {
            name: "issuer/clientId".into(),
            reason: "both are required",
        });
    }
    let validation = Validation {
        issuers: vec![expected.issuer.clone()],
        audiences: vec![expected.client_id.clone()],
        algorithms: expected.algorithms.clone(),
        // An ID token is typed `JWT` or not at all; any other `typ` (`at+jwt`,
        // `logout+jwt`, `dpop+jwt`) is another kind of token presented in its place.
        typ: None,
        clock_tolerance: expected.clock_tolerance,
        required_claims: ["iss", "sub", "aud", "exp", "iat"]
            .map(String::from)
            .to_vec(),
    };
    let verified = verify_with(token, keys, &validation, now, verifier).await?;
    if verified
        .header()
        .typ
        .as_deref()
        .is_some_and(|typ| !same_media_type(typ, "JWT"))
    {
        return Err(Error::TypMismatch);
    }
    let claims = verified.claims();

    // Step 4 and 5: several audiences need an azp, and an azp must be this client.
    let audiences = claims.audiences()?.unwrap_or_default();
    match claims.string("azp")? {
        Some(azp) if azp != expected.client_id => return Err(Error::AzpMismatch),
        None if audiences.len() > 1 => return Err(Error::AzpMismatch),
        _ => {}
    }

    // Step 11: the nonce, compared in constant time (it binds the token to this session).
    let nonce = claims.string("nonce")?;
    if let Some(expected_nonce) = &expected.nonce {
        let nonce = nonce.ok_or_else(|| Error::ClaimMissing {
            name: "nonce".into(),
        })?;
        if !constant_time_eq(nonce.as_bytes(), expected_nonce.as_bytes()) {
            return Err(Error::NonceMismatch);
        }
    }

    // Step 13: auth_time is required with max_age, and must be recent enough.
    let auth_time = claims.numeric_date("auth_time")?;
    if let Some(max_age) = expected.max_age {
        if max_age < 0 {
            return Err(Error::InvalidOption {
                name: "maxAge".into(),
                reason: "must not be negative",
            });
        }
        let auth_time = auth_time.ok_or_else(|| Error::ClaimMissing {
            name: "auth_time".into(),
        })?;
        let tolerance = expected.clock_tolerance.max(0);
        if now.0.saturating_sub(tolerance).saturating_sub(max_age) as f64 > auth_time {
            return Err(Error::AuthTimeTooOld);
        }
    }

    // at_hash / c_hash: optional in the code flow, but when present they must match.
    let alg = verified.header().alg;
    let hashes = [
        (
            claims.string("at_hash")?,
            expected.access_token.as_deref(),
            Error::AtHashMismatch,
        ),
        (
            claims.string("c_hash")?,
            expected.code.as_deref(),
            Error::CHashMismatch,
        ),
    ];
    for (claim, value, mismatch) in hashes {
        if let (Some(claim), Some(value)) = (claim, value) {
            // The verifier hashes: the JS API's asks WebCrypto for SHA-384 and SHA-512.
            let digest = verifier.digest(alg.hash(), value.as_bytes()).await?;
            if !constant_time_eq(claim.as_bytes(), half_hash(&digest).as_bytes()) {
                return Err(mismatch);
            }
        }
    }
    Ok(verified)
}

/// `at_hash` / `c_hash` (OpenID Connect Core §3.1.3.6): base64url of the left half of the
/// hash of the ASCII value, with the hash of the ID token's `alg` (SHA-512 for EdDSA).
pub fn token_hash(alg: Alg, value: &str) -> String {
    half_hash(&alg.hash().digest(value.as_bytes()))
}

fn half_hash(digest: &[u8]) -> String {
    b64::encode(digest.get(..digest.len() / 2).unwrap_or_default())
}
