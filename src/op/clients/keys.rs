//! A client's keys (RFC 7591 §2 `jwks`): what its `private_key_jwt` assertions and its
//! request objects (RFC 9101) are checked with, and the certificates its keys carry in
//! `x5c` (RFC 7517 §4.7), which `self_signed_tls_client_auth` matches (RFC 8705 §2.2).
//!
//! A key's certificate counts only when it carries that key ([`CertifiedKey`]): RFC 7517
//! §4.7 requires it, and a certificate registered beside a key it does not carry is one the
//! client never showed it holds the key of.

use base64ct::Encoding;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::jose::{Jwk, JwkSet};
use crate::op::mtls::CertifiedKey;
use crate::op::mtls::certified_key::{OTHER_KEY, SKIPPED_JWK};

/// The longest certificate read from an `x5c`, in bytes of DER.
pub const MAX_CERTIFICATE_LEN: usize = 16 * 1024;

/// What a client registered as its keys.
#[derive(Debug, Clone)]
pub struct ClientKeys {
    /// The public keys its JWTs are checked with.
    pub set: JwkSet,
    /// The SHA-256 of the DER of the first certificate of each key's `x5c` that carries
    /// that key (RFC 7517 §4.7): the certificates the client may present with
    /// `self_signed_tls_client_auth`.
    pub certificates: Vec<[u8; 32]>,
    /// The first `x5c` that does not read as such certificates, or whose first certificate
    /// carries another key than its JWK's: where (below `jwks`) and why. Only a client that
    /// authenticates with its certificates is refused for it (`config::mtls`); to every
    /// other use of the keys an `x5c` means nothing, and keys registered before
    /// certificates were read must go on working.
    pub unreadable_certificate: Option<(String, &'static str)>,
}

impl ClientKeys {
    /// Whether the certificate with SHA-256 `sha256` heads one of the keys' `x5c`.
    pub fn has_certificate(&self, sha256: &[u8; 32]) -> bool {
        self.certificates.iter().any(|c| c == sha256)
    }
}

/// A client's `jwks`: a JWKS of public keys, each with a `kid` (an assertion names its key),
/// of a type that signs (RFC 7517 §4), never a private or symmetric key; the certificates
/// of the `x5c`s that read as base64 DER and carry their JWK's key. An error is the path
/// below `jwks` (`""`, or `.keys[0].d`) and a message.
pub fn parse_jwks(value: &Value) -> Result<ClientKeys, (String, String)> {
    let refused = |at: String, message: &str| Err((at, message.to_owned()));
    let Value::Object(obj) = value else {
        return refused(String::new(), "must be a JWKS object: {\"keys\": [...]}");
    };
    if obj.contains_key("kty") {
        return refused(
            String::new(),
            "must be a JWKS, {\"keys\": [...]}, not a single JWK",
        );
    }
    // Each `x5c`: where, its JWK, and its first certificate's DER or why it does not read.
    let mut chains = Vec::new();
    if let Some(Value::Array(keys)) = obj.get("keys") {
        for (i, key) in keys.iter().enumerate() {
            let at = format!(".keys[{i}]");
            let Value::Object(key) = key else {
                return refused(at, "must be a JWK object");
            };
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                if key.contains_key(private) {
                    return refused(
                        format!("{at}.{private}"),
                        "must not be here: a client registers its public keys only",
                    );
                }
            }
            if !matches!(key.get("kid"), Some(Value::String(kid)) if !kid.is_empty()) {
                return refused(
                    format!("{at}.kid"),
                    "is required: assertions name their key by kid",
                );
            }
            if let Some(chain) = key.get("x5c") {
                chains.push((at, key, first_certificate(chain)));
            }
        }
    }
    // The set first: it bounds the number of keys before any is parsed again below.
    let set = JwkSet::from_object(obj).map_err(|err| (String::new(), err.to_string()))?;
    if set.keys().is_empty() {
        return refused(
            String::new(),
            "must hold at least one public key of a supported type (EC P-256 or P-384, RSA, Ed25519)",
        );
    }
    let mut certificates = Vec::new();
    let mut unreadable_certificate = None;
    for (at, key, first) in chains {
        let checked = first.and_then(|der| match carries_its_key(key, &der) {
            Ok(()) => Ok(der),
            Err(message) => Err(("[0]".to_owned(), message)),
        });
        match checked {
            Ok(der) => certificates.push(Sha256::digest(&der).into()),
            Err((below, message)) if unreadable_certificate.is_none() => {
                unreadable_certificate = Some((format!("{at}.x5c{below}"), message));
            }
            Err(_) => {}
        }
    }
    Ok(ClientKeys {
        set,
        certificates,
        unreadable_certificate,
    })
}

/// Whether the DER certificate `der` carries the key of the JWK `key` (RFC 7517 §4.7). A
/// JWK of a type [`JwkSet`] skips has no key to compare with: its certificate is refused.
fn carries_its_key(key: &Map<String, Value>, der: &[u8]) -> Result<(), &'static str> {
    let certified = CertifiedKey::read(der)?;
    let jwk = match Jwk::from_object(key) {
        Ok(jwk) => jwk,
        Err(Error::JwkUnsupported { .. }) => return Err(SKIPPED_JWK),
        // The set read this key, so it is well formed; a key that is not has no certificate.
        Err(_) => return Err(OTHER_KEY),
    };
    if certified.is_key_of(&jwk) {
        Ok(())
    } else {
        Err(OTHER_KEY)
    }
}

/// The DER of the first certificate of an `x5c` (RFC 7517 §4.7: a non-empty array of
/// base64, not base64url, DER certificates), each of which must read.
fn first_certificate(chain: &Value) -> Result<Vec<u8>, (String, &'static str)> {
    let Value::Array(items) = chain else {
        return Err((String::new(), "must be an array of base64 DER certificates"));
    };
    let mut first = None;
    for (i, item) in items.iter().enumerate() {
        let der = item
            .as_str()
            .filter(|text| text.len() <= MAX_CERTIFICATE_LEN.saturating_mul(2))
            .and_then(|text| base64ct::Base64::decode_vec(text).ok())
            // A DER certificate is a SEQUENCE.
            .filter(|der| der.first() == Some(&0x30) && der.len() <= MAX_CERTIFICATE_LEN)
            .ok_or((
                format!("[{i}]"),
                "must be a DER certificate in base64 (RFC 7517 §4.7: not base64url)",
            ))?;
        if first.is_none() {
            first = Some(der);
        }
    }
    first.ok_or((String::new(), "must hold at least one certificate"))
}
