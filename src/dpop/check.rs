//! Checking DPoP proofs on the server (RFC 9449 §4.3), for the provider's token endpoint
//! and for resource servers (§7).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::htu;
use super::nonce::NonceKey;
use super::proof::access_token_hash;
use crate::jose::jwt::{Claims, same_media_type};
use crate::jose::{Alg, CompactJws, Jwk, SignatureVerifier};
use crate::secret::constant_time_eq;
use crate::store::Store;
use crate::time::UnixTime;
use crate::{Error, b64};

/// Largest proof accepted, in bytes: a header with an RSA-4096 `jwk` and a few claims.
pub const MAX_PROOF_LEN: usize = 8 * 1024;
/// Longest `jti` accepted.
pub const MAX_JTI_LEN: usize = 256;
/// Default age limit of a proof's `iat`, in seconds.
pub const DEFAULT_MAX_AGE: i64 = 300;
/// Default tolerance for clocks ahead of the server's, in seconds.
pub const DEFAULT_CLOCK_TOLERANCE: i64 = 5;

/// Members that only private (or symmetric) JWKs have (RFC 7518 §6.2.2, §6.3.2, §6.4).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// How the server treats nonces.
#[derive(Debug, Clone, Copy)]
pub enum NoncePolicy<'a> {
    /// No nonce is required (one present is ignored).
    NotRequired,
    /// The proof must carry exactly this nonce.
    Exact(&'a str),
    /// The proof must carry a nonce this key issued in the current or previous step.
    Stateless(&'a NonceKey),
}

/// What the request looks like and what the server requires of its proof.
#[derive(Debug, Clone)]
pub struct ProofCheck<'a> {
    /// The request method.
    pub method: &'a str,
    /// The request URI (query and fragment are ignored).
    pub uri: &'a str,
    /// The access token the request presents, if any: `ath` must then match.
    pub access_token: Option<&'a str>,
    /// The thumbprint the token is bound to (`cnf.jkt`), if any.
    pub bound_jkt: Option<&'a str>,
    /// The nonce rule.
    pub nonce: NoncePolicy<'a>,
    /// Accepted algorithms; empty means every asymmetric algorithm.
    pub algorithms: &'a [Alg],
    /// Oldest accepted `iat`, in seconds before now.
    pub max_age: i64,
    /// Accepted clock skew, in seconds.
    pub clock_tolerance: i64,
}

impl<'a> ProofCheck<'a> {
    /// A check for `method` and `uri` with the defaults: no token, no nonce, every
    /// algorithm, 300 s age, 5 s tolerance.
    pub fn new(method: &'a str, uri: &'a str) -> Self {
        ProofCheck {
            method,
            uri,
            access_token: None,
            bound_jkt: None,
            nonce: NoncePolicy::NotRequired,
            algorithms: &[],
            max_age: DEFAULT_MAX_AGE,
            clock_tolerance: DEFAULT_CLOCK_TOLERANCE,
        }
    }

    /// How long a used `jti` must be remembered: past that, `iat` alone rejects the proof.
    pub fn replay_window(&self) -> u64 {
        let window = self
            .max_age
            .max(0)
            .saturating_add(self.clock_tolerance.max(0).saturating_mul(2))
            .saturating_add(1);
        u64::try_from(window).unwrap_or(u64::MAX)
    }
}

/// A proof that passed every check.
#[derive(Debug, Clone)]
pub struct CheckedProof {
    /// The RFC 7638 thumbprint of the proof key: what tokens get bound to (`cnf.jkt`).
    pub jkt: String,
    /// The proof's `jti`.
    pub jti: String,
    /// The proof's `iat`.
    pub iat: i64,
    /// The proof's public key.
    pub key: Jwk,
}

/// Checks the `DPoP` header values of a request (RFC 9449 §4.3, steps 1–12) and records
/// the `jti` in `replay` so the proof cannot be used again (§11.1). Pass `None` for
/// `replay` only when the caller records `jti` itself.
pub async fn check_proof<V: SignatureVerifier, S: Store>(
    headers: &[&str],
    check: &ProofCheck<'_>,
    now: UnixTime,
    verifier: &V,
    replay: Option<&S>,
) -> Result<CheckedProof, Error> {
    // A comma cannot occur in a compact JWS: one means an HTTP stack joined several
    // `DPoP` header fields into one value (RFC 9110 §5.3).
    let [proof] = headers else {
        return Err(Error::DpopHeaderCount);
    };
    if proof.contains(',') {
        return Err(Error::DpopHeaderCount);
    }
    if proof.len() > MAX_PROOF_LEN {
        return Err(Error::TooLarge {
            what: "DPoP proof",
            max: MAX_PROOF_LEN,
        });
    }
    let jws = CompactJws::parse(proof)?;
    let header = jws.header();
    if !header
        .typ
        .as_deref()
        .is_some_and(|typ| same_media_type(typ, "dpop+jwt"))
    {
        return Err(Error::DpopTyp);
    }
    if !check.algorithms.is_empty() && !check.algorithms.contains(&header.alg) {
        return Err(Error::AlgNotAllowed {
            alg: header.alg.as_str().to_owned(),
        });
    }
    let raw_jwk = header.jwk().ok_or(Error::DpopJwkMissing)?;
    if PRIVATE_MEMBERS
        .iter()
        .any(|member| raw_jwk.contains_key(*member))
    {
        return Err(Error::DpopJwkPrivate);
    }
    let key = Jwk::from_object(raw_jwk)?;
    if !key.permits(header.alg) {
        return Err(Error::KeyAlgMismatch);
    }
    verifier
        .verify(header.alg, &key, jws.signing_input(), jws.signature())
        .await?;

    let claims = Claims::parse(jws.payload())?;
    let jti = required_string(&claims, "jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(Error::ClaimInvalid { name: "jti".into() });
    }
    let htm = required_string(&claims, "htm")?;
    let claimed_htu = required_string(&claims, "htu")?;
    let iat = claims
        .numeric_date("iat")?
        .ok_or_else(|| Error::ClaimMissing { name: "iat".into() })?;

    if htm != check.method {
        return Err(Error::DpopHtmMismatch);
    }
    let expected_uri = htu::normalize(check.uri)?;
    // RFC 9449 §4.2: `htu` carries no query and no fragment; one that does is not the
    // URI of this request, whatever it normalises to.
    match htu::normalize(claimed_htu) {
        Ok(claimed) if claimed == expected_uri && !claimed_htu.contains(['?', '#']) => {}
        _ => return Err(Error::DpopHtuMismatch),
    }
    check_nonce(claims.string("nonce")?, check.nonce, now)?;
    let tolerance = check.clock_tolerance.max(0) as f64;
    if iat < now.0.saturating_sub(check.max_age.max(0)) as f64 - tolerance {
        return Err(Error::DpopIatTooOld);
    }
    if iat > now.0 as f64 + tolerance {
        return Err(Error::DpopIatInFuture);
    }
    if let Some(token) = check.access_token {
        let ath = claims.string("ath")?.ok_or(Error::DpopAthMissing)?;
        if !constant_time_eq(ath.as_bytes(), access_token_hash(token).as_bytes()) {
            return Err(Error::DpopAthMismatch);
        }
    }
    let jkt = key.thumbprint();
    if let Some(bound) = check.bound_jkt
        && !constant_time_eq(bound.as_bytes(), jkt.as_bytes())
    {
        return Err(Error::DpopKeyMismatch);
    }
    // Last, so only proofs that passed everything else take room in the store.
    if let Some(store) = replay
        && !store
            .reserve(&replay_key(&jkt, jti), b"1", check.replay_window())
            .await?
    {
        return Err(Error::DpopReplay);
    }
    Ok(CheckedProof {
        jkt,
        jti: jti.to_owned(),
        iat: iat.floor() as i64,
        key,
    })
}

/// The store key recording a used `jti`: hashed, so its length is fixed and the
/// attacker-chosen `jti` never becomes a storage key verbatim; scoped by key thumbprint
/// because `jti` is only unique per key.
pub fn replay_key(jkt: &str, jti: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(jkt.as_bytes());
    hash.update(b"\0");
    hash.update(jti.as_bytes());
    // Joined by hand: `format!` here was the last use of `core::fmt` on the package's proof
    // check (scripts/wasm-fmt-trap.mjs).
    let mut key = String::from("dpop-jti:");
    key.push_str(&b64::encode(&hash.finalize()));
    key
}

fn check_nonce(nonce: Option<&str>, policy: NoncePolicy<'_>, now: UnixTime) -> Result<(), Error> {
    match (policy, nonce) {
        (NoncePolicy::NotRequired, _) => Ok(()),
        (_, None) => Err(Error::DpopNonceRequired),
        (NoncePolicy::Exact(expected), Some(nonce))
            if constant_time_eq(expected.as_bytes(), nonce.as_bytes()) =>
        {
            Ok(())
        }
        (NoncePolicy::Stateless(key), Some(nonce)) if key.accepts(nonce, now) => Ok(()),
        _ => Err(Error::DpopNonceInvalid),
    }
}

fn required_string<'c>(claims: &'c Claims, name: &str) -> Result<&'c str, Error> {
    claims.string(name)?.ok_or_else(|| Error::ClaimMissing {
        name: name.to_owned(),
    })
}

/// The RFC 9449 error code for a failed proof check: `use_dpop_nonce` when the client
/// should retry with the nonce it is given (§8), `invalid_dpop_proof` otherwise (§5, §7.1).
pub fn oauth_error(err: &Error) -> &'static str {
    match err {
        Error::DpopNonceRequired | Error::DpopNonceInvalid => "use_dpop_nonce",
        _ => "invalid_dpop_proof",
    }
}

/// A `WWW-Authenticate: DPoP …` challenge (RFC 9449 §7.1, RFC 6750 §3): `error` and an
/// optional description as quoted strings, and `algs` the server accepts.
pub fn www_authenticate(error: Option<&str>, description: Option<&str>, algs: &[Alg]) -> String {
    let mut params: Vec<String> = Vec::new();
    if let Some(error) = error {
        params.push(format!("error=\"{}\"", quoted(error)));
    }
    if let Some(description) = description {
        params.push(format!("error_description=\"{}\"", quoted(description)));
    }
    let algs: Vec<&str> = if algs.is_empty() {
        Alg::ALL.iter().map(|a| a.as_str()).collect()
    } else {
        algs.iter().map(|a| a.as_str()).collect()
    };
    params.push(format!("algs=\"{}\"", algs.join(" ")));
    format!("DPoP {}", params.join(", "))
}

/// Content for an HTTP quoted-string (RFC 9110 §5.6.4): printable ASCII, with `"` and
/// `\` escaped; anything else is dropped rather than risk header injection.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text
        .chars()
        .filter(|c| c.is_ascii() && (*c == ' ' || c.is_ascii_graphic()))
    {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The JSON error body of a token-endpoint DPoP failure (RFC 6749 §5.2 shape).
pub fn error_body(err: &Error) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("error".into(), Value::String(oauth_error(err).into()));
    body.insert("error_description".into(), Value::String(err.to_string()));
    body
}
