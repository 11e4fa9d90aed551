//! Compact JWS (RFC 7515 §7.1): parsing with size caps and strict encodings, header
//! rules, and ES256 signing.

use serde_json::{Map, Value};

use super::alg::Alg;
use crate::{Error, b64, json};

/// Largest compact JWS accepted, in bytes. ID and access tokens are a few KB; this leaves
/// room for large claim sets while bounding the work an attacker can ask for.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;
/// Largest decoded header accepted, in bytes (room for an embedded 4096-bit RSA `jwk`).
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// The protected header of a JWS, with the parameters this crate acts on typed and the
/// whole object kept for callers.
#[derive(Debug, Clone)]
pub struct Header {
    /// `alg`, from the closed set.
    pub alg: Alg,
    /// `kid`, if present.
    pub kid: Option<String>,
    /// `typ`, if present.
    pub typ: Option<String>,
    /// The whole header object.
    pub raw: Map<String, Value>,
    /// The header as decoded JSON text (checked: one object, no repeated names).
    pub json: String,
}

impl Header {
    /// The embedded `jwk` object (DPoP proofs carry one), if present; not yet parsed. The
    /// parse refused a `jwk` that is not an object.
    pub fn jwk(&self) -> Option<&Map<String, Value>> {
        self.raw.get("jwk").and_then(Value::as_object)
    }
}

/// A compact JWS split and decoded, its signature not yet checked.
#[derive(Debug, Clone)]
pub struct CompactJws<'t> {
    header: Header,
    /// `BASE64URL(header) "." BASE64URL(payload)`: what the signature covers.
    signing_input: &'t str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl<'t> CompactJws<'t> {
    /// Splits and decodes a compact JWS. Refuses oversize input, anything but three
    /// non-empty canonical base64url parts, JWE (five parts), and bad headers.
    pub fn parse(token: &'t str) -> Result<CompactJws<'t>, Error> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Error::TooLarge {
                what: "JWS",
                max: MAX_TOKEN_LEN,
            });
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            let reason = match token.split('.').count() {
                5 => "encrypted tokens (JWE) are not supported",
                _ => "a compact JWS has exactly three parts",
            };
            return Err(Error::JwsMalformed { reason });
        };
        if header_b64.is_empty() {
            return Err(Error::JwsMalformed {
                reason: "empty header",
            });
        }
        if header_b64.len() > b64::encoded_len(MAX_HEADER_LEN) {
            return Err(Error::TooLarge {
                what: "JWS header",
                max: MAX_HEADER_LEN,
            });
        }
        // The header first: an unsecured JWT (`alg: none`, empty signature, RFC 7519 §6.1)
        // is then refused for what it is, `alg_not_allowed`.
        let header = parse_header(&b64::decode_public(header_b64)?)?;
        if signature_b64.is_empty() {
            return Err(Error::JwsMalformed {
                reason: "empty signature",
            });
        }
        let payload = b64::decode_public(payload_b64)?;
        let signature = b64::decode_public(signature_b64)?;
        // Everything before the last dot: the token has exactly three parts.
        let signing_input = token
            .rsplit_once('.')
            .map_or(token, |(signing_input, _)| signing_input);
        Ok(CompactJws {
            header,
            signing_input,
            payload,
            signature,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The protected header, taking the token apart.
    pub fn into_header(self) -> Header {
        self.header
    }

    /// The decoded payload, unverified.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The bytes the signature covers.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The decoded signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

fn parse_header(bytes: &[u8]) -> Result<Header, Error> {
    let raw = json::parse_object(bytes, MAX_HEADER_LEN, "JWS header")?;
    // Valid JSON is valid UTF-8, so this conversion cannot fail after the parse.
    let json =
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::JsonInvalid { what: "JWS header" })?;
    let alg = match raw.get("alg") {
        Some(Value::String(alg)) => Alg::parse(alg)?,
        Some(_) => return Err(Error::HeaderInvalid { name: "alg" }),
        None => {
            return Err(Error::JwsMalformed {
                reason: "header has no alg",
            });
        }
    };
    let kid = optional_string(&raw, "kid")?;
    let typ = optional_string(&raw, "typ")?;
    // Read in place by `Header::jwk` (a copy of the object cost the package 0.4 KB).
    if matches!(raw.get("jwk"), Some(jwk) if !jwk.is_object()) {
        return Err(Error::HeaderInvalid { name: "jwk" });
    }
    check_crit(&raw)?;
    // RFC 7797 unencoded payloads change what is signed; refuse them outright.
    if raw.contains_key("b64") {
        return Err(Error::CritUnsupported {
            name: "b64".to_owned(),
        });
    }
    Ok(Header {
        alg,
        kid,
        typ,
        raw,
        json,
    })
}

/// RFC 7515 §4.1.11: `crit` is a non-empty array of names of extensions present in the
/// header; a recipient that does not understand one must reject the JWS. This crate
/// implements no extension, so any entry is refused, after the shape is checked.
fn check_crit(raw: &Map<String, Value>) -> Result<(), Error> {
    let Some(crit) = raw.get("crit") else {
        return Ok(());
    };
    let Value::Array(names) = crit else {
        return Err(Error::HeaderInvalid { name: "crit" });
    };
    let Some(first) = names.first() else {
        return Err(Error::HeaderInvalid { name: "crit" });
    };
    for name in names {
        let Value::String(name) = name else {
            return Err(Error::HeaderInvalid { name: "crit" });
        };
        if !raw.contains_key(name) {
            return Err(Error::HeaderInvalid { name: "crit" });
        }
    }
    Err(Error::CritUnsupported {
        name: first
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(32)
            .collect(),
    })
}

fn optional_string(raw: &Map<String, Value>, name: &'static str) -> Result<Option<String>, Error> {
    match raw.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::HeaderInvalid { name }),
    }
}

/// The JWS signing input (RFC 7515 §5.1 steps 1–6): `BASE64URL(header).BASE64URL(payload)`,
/// with `alg` set in `header` (any `alg` in it is replaced: the key decides).
pub fn signing_input(mut header: Map<String, Value>, alg: Alg, payload: &[u8]) -> String {
    header.insert("alg".to_owned(), Value::String(alg.as_str().to_owned()));
    // Serialising a Map<String, Value> cannot fail.
    let header_json = serde_json::to_vec(&header).unwrap_or_default();
    let mut input = b64::encode(&header_json);
    input.push('.');
    input.push_str(&b64::encode(payload));
    input
}

/// The compact serialisation: the signing input, a dot and the signature (RFC 7515 §7.1).
pub fn assemble(signing_input: &str, signature: &[u8]) -> String {
    let mut jws = signing_input.to_owned();
    jws.push('.');
    jws.push_str(&b64::encode(signature));
    jws
}

/// Signs `payload` as a compact JWS with ES256. `header` gets `alg` set (any `alg` in it
/// is replaced: the key decides).
#[cfg(feature = "rustcrypto")]
pub fn sign_es256(
    header: Map<String, Value>,
    payload: &[u8],
    key: &p256::ecdsa::SigningKey,
) -> String {
    let input = signing_input(header, Alg::Es256, payload);
    assemble(&input, &super::es256::sign(key, input.as_bytes()))
}
