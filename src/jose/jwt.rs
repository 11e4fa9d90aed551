//! JWT validation (RFC 7519, with the rules of RFC 8725): the signature first, then the
//! registered claims with a clock tolerance, then the caller's expectations.
//!
//! Claims are only reachable through [`Verified`], which exists only after every check
//! passed. A registered claim with the wrong JSON type is an error, never "absent".

use serde_json::{Map, Value};

use super::alg::Alg;
use super::jwk::{Jwk, JwkSet};
use super::jws::{CompactJws, Header};
use super::verifier::SignatureVerifier;
#[cfg(feature = "rustcrypto")]
use super::verifier::{RustCrypto, run_ready};
use crate::time::UnixTime;
use crate::{Error, json};

/// Largest decoded claim set accepted, in bytes.
pub const MAX_CLAIMS_LEN: usize = 48 * 1024;

/// What a token must satisfy beyond its signature. The default checks the registered
/// time claims with no tolerance and accepts every asymmetric algorithm the key allows.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Accepted `iss` values; empty means `iss` is not checked (only its type).
    pub issuers: Vec<String>,
    /// Accepted audiences: `aud` must contain at least one; empty means not checked.
    pub audiences: Vec<String>,
    /// Algorithm allow-list; empty means every [`Alg`] (the key's type still decides).
    pub algorithms: Vec<Alg>,
    /// Expected header `typ`, compared as RFC 8725 §3.11 and RFC 7515 §4.1.9 describe
    /// (case-insensitive, `application/` prefix optional).
    pub typ: Option<String>,
    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    pub clock_tolerance: i64,
    /// Claims that must be present (any JSON type but `null`).
    pub required_claims: Vec<String>,
}

impl Validation {
    /// Header rules, checked before any key is touched.
    pub fn check_header(&self, header: &Header) -> Result<(), Error> {
        if !self.algorithms.is_empty() && !self.algorithms.contains(&header.alg) {
            return Err(Error::AlgNotAllowed {
                alg: header.alg.as_str().to_owned(),
            });
        }
        if let Some(expected) = &self.typ {
            let matches = header
                .typ
                .as_deref()
                .is_some_and(|typ| same_media_type(typ, expected));
            if !matches {
                return Err(Error::TypMismatch);
            }
        }
        Ok(())
    }

    /// Claim rules, checked after the signature.
    pub fn check_claims(&self, claims: &Claims, now: UnixTime) -> Result<(), Error> {
        let now = now.0 as f64;
        let tolerance = self.clock_tolerance.max(0) as f64;
        // Type checks of every registered claim, whether or not it is checked further.
        let exp = claims.numeric_date("exp")?;
        let nbf = claims.numeric_date("nbf")?;
        let iat = claims.numeric_date("iat")?;
        let iss = claims.string("iss")?;
        claims.string("sub")?;
        claims.string("jti")?;
        let aud = claims.audiences()?;

        if exp.is_some_and(|exp| now - tolerance >= exp) {
            return Err(Error::Expired);
        }
        if nbf.is_some_and(|nbf| now + tolerance < nbf) {
            return Err(Error::NotYetValid);
        }
        if iat.is_some_and(|iat| now + tolerance < iat) {
            return Err(Error::IssuedInFuture);
        }
        if !self.issuers.is_empty() {
            let iss = iss.ok_or_else(|| Error::ClaimMissing { name: "iss".into() })?;
            if !self.issuers.iter().any(|expected| expected == iss) {
                return Err(Error::IssuerMismatch);
            }
        }
        if !self.audiences.is_empty() {
            let aud = aud.ok_or_else(|| Error::ClaimMissing { name: "aud".into() })?;
            if !aud
                .iter()
                .any(|a| self.audiences.iter().any(|expected| expected == a))
            {
                return Err(Error::AudienceMismatch);
            }
        }
        for name in &self.required_claims {
            if claims.get(name).is_none_or(Value::is_null) {
                return Err(Error::ClaimMissing { name: name.clone() });
            }
        }
        Ok(())
    }
}

/// `typ` values compare case-insensitively, and `application/` may be left out
/// (RFC 7515 §4.1.9): `at+jwt` equals `application/AT+JWT`.
pub(crate) fn same_media_type(a: &str, b: &str) -> bool {
    fn short(t: &str) -> &str {
        match (t.get(..12), t.get(12..)) {
            (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("application/") => rest,
            _ => t,
        }
    }
    short(a).eq_ignore_ascii_case(short(b))
}

/// A JWT claim set with typed accessors that refuse wrong JSON types.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims(Map<String, Value>, String);

impl Claims {
    /// Parses a decoded JWS payload as a claim set: one JSON object, no duplicate names.
    pub fn parse(payload: &[u8]) -> Result<Claims, Error> {
        let map = json::parse_object(payload, MAX_CLAIMS_LEN, "JWT claims")?;
        // Valid JSON is valid UTF-8, so this cannot fail after the parse (and it carries no
        // replacement-character code, as a lossy conversion would).
        let json = String::from_utf8(payload.to_vec())
            .map_err(|_| Error::JsonInvalid { what: "JWT claims" })?;
        Ok(Claims(map, json))
    }

    /// The claim set as the token carried it: JSON text, checked by [`Claims::parse`].
    pub fn json(&self) -> &str {
        &self.1
    }

    /// Any claim, as JSON.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The whole claim set.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// A string claim: `Ok(None)` when absent, an error when present with another type.
    pub fn string(&self, name: &str) -> Result<Option<&str>, Error> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::ClaimInvalid {
                name: name.to_owned(),
            }),
        }
    }

    /// A NumericDate claim (RFC 7519 §2): a finite JSON number of seconds.
    pub fn numeric_date(&self, name: &str) -> Result<Option<f64>, Error> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_f64()
                    .filter(|v| v.is_finite())
                    .map(Some)
                    .ok_or_else(|| Error::ClaimInvalid {
                        name: name.to_owned(),
                    })
            }
            Some(_) => Err(Error::ClaimInvalid {
                name: name.to_owned(),
            }),
        }
    }

    /// `aud` (RFC 7519 §4.1.3): a string or an array of strings.
    pub fn audiences(&self) -> Result<Option<Vec<&str>>, Error> {
        let invalid = || Error::ClaimInvalid {
            name: "aud".to_owned(),
        };
        match self.0.get("aud") {
            None => Ok(None),
            Some(Value::String(aud)) => Ok(Some(vec![aud.as_str()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().ok_or_else(invalid))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(invalid()),
        }
    }
}

/// A JWT whose signature and claims passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    header: Header,
    claims: Claims,
    key: Jwk,
}

impl Verified {
    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The verified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The key that verified the signature.
    pub fn key(&self) -> &Jwk {
        &self.key
    }

    /// The header and claims, for callers that own the result.
    pub fn into_parts(self) -> (Header, Claims) {
        (self.header, self.claims)
    }
}

/// Verifies a compact JWT with `keys` and `validation` at time `now`, checking the
/// signature with `verifier`. Order: size and structure, header rules (allow-list, `typ`,
/// `crit`), key selection, signature, then claims: nothing about the claims is revealed
/// for a token whose signature fails.
pub async fn verify_with<V: SignatureVerifier>(
    token: &str,
    keys: &JwkSet,
    validation: &Validation,
    now: UnixTime,
    verifier: &V,
) -> Result<Verified, Error> {
    let jws = CompactJws::parse(token)?;
    let header = jws.header();
    validation.check_header(header)?;
    let mut verified_by = None;
    for key in keys.candidates(header.alg, header.kid.as_deref())? {
        match verifier
            .verify(header.alg, key, jws.signing_input(), jws.signature())
            .await
        {
            Ok(()) => {
                verified_by = Some(key);
                break;
            }
            Err(Error::SignatureInvalid) => {}
            Err(other) => return Err(other),
        }
    }
    let key = verified_by.ok_or(Error::SignatureInvalid)?;
    let claims = Claims::parse(jws.payload())?;
    validation.check_claims(&claims, now)?;
    Ok(Verified {
        header: jws.into_header(),
        claims,
        key: key.clone(),
    })
}

/// [`verify_with`] on the pure-Rust backend, synchronously.
#[cfg(feature = "rustcrypto")]
pub fn verify(
    token: &str,
    keys: &JwkSet,
    validation: &Validation,
    now: UnixTime,
) -> Result<Verified, Error> {
    run_ready(verify_with(token, keys, validation, now, &RustCrypto))
}
