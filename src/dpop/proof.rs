//! Building DPoP proofs (RFC 9449 §4.2) for Rust clients, with keys held in Rust
//! ([`sign_es256`]) or any signer over [`signing_input`]. The npm package makes the same
//! proofs in JavaScript (`src/wasm/dpop-key.js`): a page's wasm then carries no proof code.

use sha2::{Digest, Sha256};

use super::htu;
use crate::error::push_decimal;
use crate::jose::{Alg, Jwk};
use crate::time::UnixTime;
use crate::{Error, b64, json, random};

/// What one proof asserts.
#[derive(Debug, Clone)]
pub struct ProofClaims<'a> {
    /// The request method, e.g. `POST`.
    pub htm: &'a str,
    /// The request URI; query and fragment are dropped.
    pub htu: &'a str,
    /// Issue time.
    pub iat: UnixTime,
    /// The access token the request carries, for `ath`.
    pub access_token: Option<&'a str>,
    /// The server-provided nonce, if any.
    pub nonce: Option<&'a str>,
}

/// `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2).
pub fn access_token_hash(access_token: &str) -> String {
    b64::encode(&Sha256::digest(access_token.as_bytes()))
}

/// The proof's `BASE64URL(header) "." BASE64URL(claims)`, ready to be signed with the
/// private half of `public_key` under `alg`. A fresh random `jti` is included.
pub fn signing_input(
    public_key: &Jwk,
    alg: Alg,
    claims: &ProofClaims<'_>,
) -> Result<String, Error> {
    if !public_key.permits(alg) {
        return Err(Error::KeyAlgMismatch);
    }
    if !is_token(claims.htm) {
        return Err(Error::DpopHtmMismatch);
    }
    // The JSON is written out rather than built as `serde_json::Value`s and serialised:
    // the npm package then carries neither serde_json's serializer nor `core::fmt`.
    let mut header = String::from(r#"{"typ":"dpop+jwt","alg":"#);
    json::push_string(&mut header, alg.as_str());
    header.push_str(r#","jwk":{"#);
    for (i, (name, value)) in public_key.required_members().enumerate() {
        if i > 0 {
            header.push(',');
        }
        json::push_string(&mut header, name);
        header.push(':');
        json::push_string(&mut header, value);
    }
    header.push_str("}}");
    let mut body = String::from(r#"{"jti":"#);
    json::push_string(&mut body, &random::token(16)?);
    body.push_str(r#","htm":"#);
    json::push_string(&mut body, claims.htm);
    body.push_str(r#","htu":"#);
    json::push_string(&mut body, &htu::normalize(claims.htu)?);
    body.push_str(r#","iat":"#);
    if claims.iat.0 < 0 {
        body.push('-');
    }
    push_decimal(&mut body, claims.iat.0.unsigned_abs());
    if let Some(token) = claims.access_token {
        body.push_str(r#","ath":"#);
        json::push_string(&mut body, &access_token_hash(token));
    }
    if let Some(nonce) = claims.nonce {
        body.push_str(r#","nonce":"#);
        json::push_string(&mut body, nonce);
    }
    body.push('}');
    let mut input = b64::encode(header.as_bytes());
    input.push('.');
    input.push_str(&b64::encode(body.as_bytes()));
    Ok(input)
}

/// A complete ES256 proof with a P-256 private JWK held in Rust.
#[cfg(feature = "rustcrypto")]
pub fn sign_es256(key: &Jwk, claims: &ProofClaims<'_>) -> Result<String, Error> {
    if !matches!(key.private_key(), Some(crate::jose::PrivateKey::P256(_))) {
        return Err(Error::KeyAlgMismatch);
    }
    let input = signing_input(key, Alg::Es256, claims)?;
    Ok(crate::jose::jws::assemble(
        &input,
        &key.es256_signature(input.as_bytes())?,
    ))
}

/// An HTTP method token (RFC 9110 §5.6.2): `tchar`s only, 1 to 32 of them.
fn is_token(method: &str) -> bool {
    (1..=32).contains(&method.len())
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
