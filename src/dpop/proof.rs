//! Building DPoP proofs (RFC 9449 §4.2) for clients. The signing itself belongs to the
//! key's backend: [`sign_es256`] here for keys held in Rust, WebCrypto in the JS API.

use sha2::{Digest, Sha256};

use super::htu;
use crate::jose::{Alg, Jwk};
use crate::time::UnixTime;
use crate::{Error, b64, random};

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
    // The JSON is written out rather than built as `serde_json::Value`s: serialising a
    // `Value` brings serde_json's number formatting (floats included) into the package
    // for one integer, `iat`. Strings go through serde_json's string escaping.
    let jwk: Vec<String> = public_key
        .required_members()
        .map(|(name, value)| format!("{}:{}", json_string(name), json_string(value)))
        .collect();
    let header = format!(
        r#"{{"typ":"dpop+jwt","alg":{},"jwk":{{{}}}}}"#,
        json_string(alg.as_str()),
        jwk.join(",")
    );
    let mut body = format!(
        r#"{{"jti":{},"htm":{},"htu":{},"iat":{}"#,
        json_string(&random::token(16)?),
        json_string(claims.htm),
        json_string(&htu::normalize(claims.htu)?),
        claims.iat.0
    );
    if let Some(token) = claims.access_token {
        body.push_str(&format!(
            r#","ath":{}"#,
            json_string(&access_token_hash(token))
        ));
    }
    if let Some(nonce) = claims.nonce {
        body.push_str(&format!(r#","nonce":{}"#, json_string(nonce)));
    }
    body.push('}');
    Ok(format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(body.as_bytes())
    ))
}

/// `text` as a JSON string (RFC 8259 §7: quoted, with `"`, `\` and control characters
/// escaped).
fn json_string(text: &str) -> String {
    // Serialising a `str` cannot fail.
    serde_json::to_string(text).unwrap_or_default()
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
