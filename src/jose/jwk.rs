//! JSON Web Keys (RFC 7517) for the algorithms in [`Alg`], and RFC 7638 thumbprints.
//!
//! Parsing is strict: members have their JSON types, key material is canonical base64url
//! of the exact length for its curve, RSA moduli are 2048–4096 bits. With the `rustcrypto`
//! feature the key is also parsed once, here, into a RustCrypto key (points must lie on the
//! curve, a private key must match its public half), so verification never re-parses it;
//! without it those checks are made by the backend that first uses the key
//! ([`super::material`]).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::alg::{Alg, KeyKind};
use super::material::{self, Material, RsaPrivate};
#[cfg(feature = "rustcrypto")]
pub use super::material::{PrivateKey, PublicKey};
use crate::{Error, b64, json};

/// Largest JWK accepted, in bytes of JSON (a 4096-bit RSA private key is about 3.2 KB).
pub const MAX_JWK_LEN: usize = 16 * 1024;
/// Largest JWKS accepted, in bytes of JSON.
pub const MAX_JWKS_LEN: usize = 64 * 1024;
/// Most keys accepted in one JWKS.
pub const MAX_JWKS_KEYS: usize = 64;

/// RSA moduli accepted, in bits: below 2048 is broken, above 4096 is a CPU-exhaustion
/// lever (RFC 7518 §3.3 requires 2048 or more).
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;

/// One JSON Web Key.
#[derive(Clone)]
pub struct Jwk {
    kid: Option<String>,
    alg: Option<String>,
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
    /// The required public members (RFC 7638 §3.2) in lexicographic order.
    members: Vec<(&'static str, String)>,
    /// The required members as canonical JSON (RFC 7638 §3.3), and its thumbprint:
    /// computed once, since key caches, DPoP bindings and the package's pure-Rust module
    /// ask for them on every verification.
    canonical: String,
    thumbprint: String,
    material: Material,
}

impl core::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.member("kty"))
            .field("crv", &self.member("crv"))
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private", &self.is_private().then_some("***"))
            .finish()
    }
}

impl Jwk {
    /// Parses a JWK from JSON text.
    pub fn from_json(text: &[u8]) -> Result<Jwk, Error> {
        Jwk::from_object(&json::parse_object(text, MAX_JWK_LEN, "JWK")?)
    }

    /// Parses a JWK from a JSON object already decoded (a JWKS entry, a DPoP header `jwk`).
    pub fn from_object(obj: &Map<String, Value>) -> Result<Jwk, Error> {
        let kty = opt_str(obj, "kty")?.ok_or(Error::JwkInvalid {
            reason: "kty is missing",
        })?;
        let (members, material) = match kty {
            "EC" => parse_ec(obj)?,
            "RSA" => parse_rsa(obj)?,
            "OKP" => parse_okp(obj)?,
            "oct" => {
                return Err(Error::JwkUnsupported {
                    reason: "symmetric keys (kty oct) are not accepted for signatures",
                });
            }
            _ => {
                return Err(Error::JwkUnsupported {
                    reason: "unknown kty",
                });
            }
        };
        let key_ops = match obj.get("key_ops") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(Error::JwkInvalid {
                        reason: "key_ops must be an array of strings",
                    })?,
            ),
            Some(_) => {
                return Err(Error::JwkInvalid {
                    reason: "key_ops must be an array of strings",
                });
            }
        };
        let canonical = canonical_json(&members);
        let thumbprint = b64::encode(&Sha256::digest(canonical.as_bytes()));
        Ok(Jwk {
            kid: opt_str(obj, "kid")?.map(str::to_owned),
            alg: opt_str(obj, "alg")?.map(str::to_owned),
            key_use: opt_str(obj, "use")?.map(str::to_owned),
            key_ops,
            members,
            canonical,
            thumbprint,
            material,
        })
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The JWK's own `alg` member, if any.
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }

    /// The kind of key, which decides the algorithms it may verify.
    pub fn kind(&self) -> KeyKind {
        self.material.kind()
    }

    /// The parsed public key.
    #[cfg(feature = "rustcrypto")]
    pub fn public_key(&self) -> &PublicKey {
        &self.material.public
    }

    /// The parsed private key, if this JWK has private members.
    #[cfg(feature = "rustcrypto")]
    pub fn private_key(&self) -> Option<&PrivateKey> {
        self.material.private.as_ref()
    }

    /// Whether this JWK carries private members.
    pub fn is_private(&self) -> bool {
        self.material.is_private()
    }

    /// The same key without its private members.
    pub fn to_public(&self) -> Jwk {
        Jwk {
            material: self.material.without_private(),
            ..self.clone()
        }
    }

    /// Whether this key may verify `alg`: the key type fits, the JWK's `alg` (if any) is the
    /// same, `use` (if any) is `sig`, and `key_ops` (if any) includes `verify`
    /// (RFC 7517 §4.2–4.4, RFC 8725 §3.1).
    pub fn permits(&self, alg: Alg) -> bool {
        self.fits(alg, "verify")
    }

    /// Whether this key may sign under `alg`: a private key, whose type, `alg`, `use` and
    /// `key_ops` (which must then include `sign`) allow it, as [`Jwk::permits`] reads them.
    pub fn may_sign(&self, alg: Alg) -> bool {
        self.is_private() && self.fits(alg, "sign")
    }

    fn fits(&self, alg: Alg, operation: &str) -> bool {
        self.kind() == alg.key_kind()
            && self.alg.as_deref().is_none_or(|a| a == alg.as_str())
            && self.key_use.as_deref().is_none_or(|u| u == "sig")
            && self
                .key_ops
                .as_ref()
                .is_none_or(|ops| ops.iter().any(|op| op == operation))
    }

    /// The RFC 7638 JWK thumbprint: SHA-256 over the required members, base64url.
    pub fn thumbprint(&self) -> String {
        self.thumbprint.clone()
    }

    /// The required public members as canonical JSON (RFC 7638 §3.3): what the thumbprint
    /// hashes, and a complete public JWK.
    pub fn canonical_json(&self) -> &str {
        &self.canonical
    }

    /// The ES256 signature of `message` with this private P-256 key;
    /// [`Error::KeyAlgMismatch`] for any other key.
    #[cfg(feature = "rustcrypto")]
    pub fn es256_signature(&self, message: &[u8]) -> Result<[u8; 64], Error> {
        match self.private_key() {
            Some(PrivateKey::P256(key)) => Ok(super::es256::sign(key, message)),
            _ => Err(Error::KeyAlgMismatch),
        }
    }

    /// The public JWK as a JSON object: the required members plus `kid`, `alg`, `use` and
    /// `key_ops` when present. Never contains private members.
    pub fn public_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, v) in &self.members {
            out.insert((*k).to_owned(), Value::String(v.clone()));
        }
        for (k, v) in [
            ("kid", &self.kid),
            ("alg", &self.alg),
            ("use", &self.key_use),
        ] {
            if let Some(v) = v {
                out.insert(k.to_owned(), Value::String(v.clone()));
            }
        }
        if let Some(ops) = &self.key_ops {
            out.insert(
                "key_ops".to_owned(),
                ops.iter().cloned().map(Value::String).collect(),
            );
        }
        out
    }

    /// The required public members (RFC 7638 §3.2), lexicographically ordered.
    pub fn required_members(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.members.iter().map(|(k, v)| (*k, v.as_str()))
    }

    fn member(&self, name: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The members of a fresh private P-256 JWK (`kty`, `crv`, `x`, `y`, `d`), from the
/// platform CSPRNG. The caller adds `kid`, `alg` or `use` as it needs, then parses it.
#[cfg(feature = "rustcrypto")]
pub fn generate_p256_members() -> Result<Map<String, Value>, Error> {
    // 32 random bytes are out of range for a P-256 scalar with probability about 2^-32,
    // so a few tries always suffice.
    for _ in 0..8 {
        let mut seed = Zeroizing::new([0u8; 32]);
        crate::random::fill(seed.as_mut())?;
        let Ok(signing) = p256::ecdsa::SigningKey::from_slice(seed.as_ref()) else {
            continue;
        };
        let point = signing.verifying_key().to_sec1_point(false);
        let (x, y) = point
            .as_bytes()
            .get(1..)
            .ok_or(Error::CryptoUnavailable)?
            .split_at(32);
        let mut members = Map::new();
        for (name, value) in [
            ("kty", "EC".to_owned()),
            ("crv", "P-256".to_owned()),
            ("x", b64::encode(x)),
            ("y", b64::encode(y)),
            ("d", b64::encode(seed.as_ref())),
        ] {
            members.insert(name.to_owned(), Value::String(value));
        }
        return Ok(members);
    }
    Err(Error::RandomUnavailable)
}

/// [`generate_p256_members`] as JSON text, wiped on drop.
#[cfg(feature = "rustcrypto")]
pub fn generate_p256_json() -> Result<Zeroizing<String>, Error> {
    let members = generate_p256_members()?;
    // Serialising a map of strings cannot fail.
    Ok(Zeroizing::new(
        serde_json::to_string(&members).unwrap_or_default(),
    ))
}

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Clone, Default)]
pub struct JwkSet {
    keys: Vec<Jwk>,
}

impl JwkSet {
    /// Parses a JWKS from JSON text. Keys of a type or curve this crate does not support
    /// are skipped, as RFC 7517 §5 asks; malformed keys of a supported type are errors.
    pub fn from_json(text: &[u8]) -> Result<JwkSet, Error> {
        JwkSet::from_object(&json::parse_object(text, MAX_JWKS_LEN, "JWKS")?)
    }

    /// Parses a JWKS object, or a single JWK object (an object with `kty`) as a set of one.
    pub fn from_object(obj: &Map<String, Value>) -> Result<JwkSet, Error> {
        if obj.contains_key("kty") {
            return Ok(JwkSet {
                keys: vec![Jwk::from_object(obj)?],
            });
        }
        let Some(Value::Array(entries)) = obj.get("keys") else {
            return Err(Error::JwkInvalid {
                reason: "a JWKS needs a \"keys\" array",
            });
        };
        if entries.len() > MAX_JWKS_KEYS {
            return Err(Error::TooLarge {
                what: "JWKS keys",
                max: MAX_JWKS_KEYS,
            });
        }
        let mut keys = Vec::with_capacity(entries.len());
        for entry in entries {
            let Value::Object(entry) = entry else {
                return Err(Error::JwkInvalid {
                    reason: "every JWKS entry must be an object",
                });
            };
            match Jwk::from_object(entry) {
                Ok(key) => keys.push(key),
                Err(Error::JwkUnsupported { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(JwkSet { keys })
    }

    /// A set of the given keys.
    pub fn new(keys: Vec<Jwk>) -> JwkSet {
        JwkSet { keys }
    }

    /// The keys.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The keys that may verify a token with this `alg` and `kid`.
    ///
    /// With a `kid`, only keys with that `kid` are considered; if some exist but none
    /// permits `alg`, that is [`Error::KeyAlgMismatch`] (a `kid` pointing at a key of
    /// another type is an attack or a misconfiguration, never a reason to try other keys).
    /// Without a `kid`, every key that permits `alg` is a candidate. No candidate at all is
    /// [`Error::KeyNotFound`].
    pub fn candidates(&self, alg: Alg, kid: Option<&str>) -> Result<Vec<&Jwk>, Error> {
        let named: Vec<&Jwk> = match kid {
            Some(kid) => self.keys.iter().filter(|k| k.kid() == Some(kid)).collect(),
            None => self.keys.iter().collect(),
        };
        let fitting: Vec<&Jwk> = named.iter().copied().filter(|k| k.permits(alg)).collect();
        match (fitting.is_empty(), kid.is_some() && !named.is_empty()) {
            (false, _) => Ok(fitting),
            (true, true) => Err(Error::KeyAlgMismatch),
            (true, false) => Err(Error::KeyNotFound),
        }
    }
}

/// RFC 7638 §3: the required members as canonical JSON (lexicographic order, no
/// whitespace), which the thumbprint hashes with SHA-256. The values are base64url or
/// fixed names, so nothing needs escaping.
fn canonical_json(members: &[(&'static str, String)]) -> String {
    let mut json = String::from("{");
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        for part in ["\"", name, "\":\"", value, "\""] {
            json.push_str(part);
        }
    }
    json.push('}');
    json
}

type Parsed = (Vec<(&'static str, String)>, Material);

fn parse_ec(obj: &Map<String, Value>) -> Result<Parsed, Error> {
    let crv = opt_str(obj, "crv")?.ok_or(Error::JwkInvalid {
        reason: "crv is missing",
    })?;
    let (crv, kind, coord_len) = match crv {
        "P-256" => ("P-256", KeyKind::P256, 32),
        "P-384" => ("P-384", KeyKind::P384, 48),
        _ => {
            return Err(Error::JwkUnsupported {
                reason: "EC curve other than P-256 or P-384",
            });
        }
    };
    let (x_text, x) = fixed_member(obj, "x", coord_len)?;
    let (y_text, y) = fixed_member(obj, "y", coord_len)?;
    let d = optional_fixed_member(obj, "d", coord_len)?;
    let material = material::ec(kind, &x, &y, d)?;
    let members = vec![
        ("crv", crv.to_owned()),
        ("kty", "EC".to_owned()),
        ("x", x_text.to_owned()),
        ("y", y_text.to_owned()),
    ];
    Ok((members, material))
}

fn parse_okp(obj: &Map<String, Value>) -> Result<Parsed, Error> {
    match opt_str(obj, "crv")? {
        Some("Ed25519") => {}
        Some(_) => {
            return Err(Error::JwkUnsupported {
                reason: "OKP curve other than Ed25519",
            });
        }
        None => {
            return Err(Error::JwkInvalid {
                reason: "crv is missing",
            });
        }
    }
    let (x_text, x) = fixed_member(obj, "x", 32)?;
    let x: [u8; 32] = x.as_slice().try_into().map_err(|_| Error::JwkInvalid {
        reason: "x has the wrong length",
    })?;
    let material = material::okp(&x, optional_fixed_member(obj, "d", 32)?)?;
    let members = vec![
        ("crv", "Ed25519".to_owned()),
        ("kty", "OKP".to_owned()),
        ("x", x_text.to_owned()),
    ];
    Ok((members, material))
}

fn parse_rsa(obj: &Map<String, Value>) -> Result<Parsed, Error> {
    let (n_text, n) = minimal_uint_member(obj, "n", RSA_MAX_BITS / 8)?;
    let (e_text, e) = minimal_uint_member(obj, "e", 8)?;
    // `n` has no leading zero octet (minimal_uint_member), so its first sets the length.
    let n_bits = n.first().map_or(0, |top| {
        n.len()
            .saturating_mul(8)
            .saturating_sub(top.leading_zeros() as usize)
    });
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&n_bits) {
        return Err(Error::JwkUnsupported {
            reason: "RSA modulus must be 2048 to 4096 bits",
        });
    }
    if obj.contains_key("oth") {
        return Err(Error::JwkUnsupported {
            reason: "multi-prime RSA keys (oth)",
        });
    }
    let private_names = ["d", "p", "q", "dp", "dq", "qi"];
    let present = private_names
        .iter()
        .filter(|name| obj.contains_key(**name))
        .count();
    let private = match present {
        0 => None,
        6 => {
            let mut private = RsaPrivate {
                material: Zeroizing::new(Vec::new()),
                p: Zeroizing::new(Vec::new()),
                q: Zeroizing::new(Vec::new()),
            };
            for name in private_names {
                let (_, bytes) = minimal_uint_member(obj, name, RSA_MAX_BITS / 8)?;
                private.material.extend_from_slice(&bytes);
                match name {
                    "p" => *private.p = bytes,
                    "q" => *private.q = bytes,
                    _ => drop(Zeroizing::new(bytes)),
                }
            }
            Some(private)
        }
        _ => {
            return Err(Error::JwkInvalid {
                reason: "RSA private key must have d, p, q, dp, dq and qi",
            });
        }
    };
    let members = vec![
        ("e", e_text.to_owned()),
        ("kty", "RSA".to_owned()),
        ("n", n_text.to_owned()),
    ];
    let material = material::rsa(&n, &e, private)?;
    Ok((members, material))
}

/// An optional string member; present with another JSON type is an error.
fn opt_str<'a>(obj: &'a Map<String, Value>, name: &'static str) -> Result<Option<&'a str>, Error> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::JwkInvalid {
            reason: member_not_string(name),
        }),
    }
}

fn member_not_string(name: &str) -> &'static str {
    match name {
        "kty" => "kty must be a string",
        "crv" => "crv must be a string",
        "kid" => "kid must be a string",
        "alg" => "alg must be a string",
        "use" => "use must be a string",
        _ => "key material must be a base64url string",
    }
}

/// A required base64url member of exactly `len` bytes.
fn fixed_member<'a>(
    obj: &'a Map<String, Value>,
    name: &'static str,
    len: usize,
) -> Result<(&'a str, Vec<u8>), Error> {
    let text = opt_str(obj, name)?.ok_or(Error::JwkInvalid {
        reason: "key material is missing",
    })?;
    let bytes = b64::decode(text).map_err(|_| Error::JwkInvalid {
        reason: "key material is not base64url",
    })?;
    if bytes.len() != len {
        return Err(Error::JwkInvalid {
            reason: "key material has the wrong length for the curve",
        });
    }
    Ok((text, bytes))
}

/// An optional private member of exactly `len` bytes, wiped on drop.
fn optional_fixed_member(
    obj: &Map<String, Value>,
    name: &'static str,
    len: usize,
) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    if !obj.contains_key(name) {
        return Ok(None);
    }
    let (_, bytes) = fixed_member(obj, name, len)?;
    Ok(Some(Zeroizing::new(bytes)))
}

/// A required unsigned big-endian integer (RFC 7518 §6.3.1): base64url, no leading zero
/// octet, at most `max_len` bytes.
fn minimal_uint_member<'a>(
    obj: &'a Map<String, Value>,
    name: &'static str,
    max_len: usize,
) -> Result<(&'a str, Vec<u8>), Error> {
    let text = opt_str(obj, name)?.ok_or(Error::JwkInvalid {
        reason: "RSA key member is missing",
    })?;
    if text.len() > b64::encoded_len(max_len) {
        return Err(Error::JwkUnsupported {
            reason: "RSA integer is longer than a 4096-bit key allows",
        });
    }
    let bytes = b64::decode(text).map_err(|_| Error::JwkInvalid {
        reason: "key material is not base64url",
    })?;
    match bytes.first() {
        None => Err(Error::JwkInvalid {
            reason: "RSA integer is empty",
        }),
        Some(0) => Err(Error::JwkInvalid {
            reason: "RSA integer has a leading zero octet",
        }),
        Some(_) => Ok((text, bytes)),
    }
}
