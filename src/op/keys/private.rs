//! The private half of one signing key: parsed from its JWK, signing in Rust, and handed to
//! a host's own crypto as the JWK members `importKey` takes.
//!
//! Four kinds, one algorithm each (RFC 7518 §3.1, RFC 8037 §3.1): P-256 signs ES256, an RSA
//! key RS256 or PS256 (the JWK's `alg` says which; one key never signs both, so a signature
//! made under one scheme is never an oracle for the other), Ed25519 signs EdDSA.

use core::fmt;

use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BoxedUint, RsaPrivateKey};
use serde_json::{Map, Value};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Error;
use crate::jose::Alg;

/// Bits of the RSA keys `generate` makes (RFC 7518 §3.3: at least 2048).
const RSA_GENERATED_BITS: usize = 2048;

/// A private signing key and the one algorithm it signs with. `Debug` names the algorithm
/// only.
#[derive(Clone)]
pub enum PrivateKey {
    /// ECDSA P-256 (ES256).
    Es256(p256::ecdsa::SigningKey),
    /// RSA under RSASSA-PKCS1-v1_5 (RS256) or RSASSA-PSS (PS256), `alg` saying which.
    Rsa {
        /// `Alg::Rs256` or `Alg::Ps256`.
        alg: Alg,
        /// The key, checked and with its CRT values computed.
        key: Box<RsaPrivateKey>,
    },
    /// Ed25519 (EdDSA).
    EdDsa(ed25519_dalek::SigningKey),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.alg().as_str())
    }
}

/// Why a JWK is not a usable private signing key: a message for the member at fault.
pub struct Refusal {
    /// The JWK member the message is about (`""` for the key as a whole).
    pub member: &'static str,
    /// What is wrong, for the configuration error.
    pub message: String,
}

impl Refusal {
    fn new(member: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            member,
            message: message.into(),
        }
    }
}

impl PrivateKey {
    /// The algorithm this key signs with.
    pub fn alg(&self) -> Alg {
        match self {
            PrivateKey::Es256(_) => Alg::Es256,
            PrivateKey::Rsa { alg, .. } => *alg,
            PrivateKey::EdDsa(_) => Alg::EdDsa,
        }
    }

    /// The one algorithm a private JWK signs with, from its `kty`, `crv` and `alg` (if
    /// present): ES256 for P-256, EdDSA for Ed25519, RS256 or PS256 for RSA (RS256 if the
    /// JWK does not say).
    pub fn algorithm_of(obj: &Map<String, Value>, alg: Option<&str>) -> Result<Alg, Refusal> {
        let kty = member(obj, "kty")?.unwrap_or_default();
        let crv = member(obj, "crv")?;
        match (kty, crv) {
            ("EC", Some("P-256")) => only_alg(alg, Alg::Es256, "a P-256 key"),
            ("OKP", Some("Ed25519")) => only_alg(alg, Alg::EdDsa, "an Ed25519 key"),
            ("RSA", _) => match alg {
                None | Some("RS256") => Ok(Alg::Rs256),
                Some("PS256") => Ok(Alg::Ps256),
                Some(_) => Err(Refusal::new(
                    "alg",
                    "must be \"RS256\" or \"PS256\" for an RSA key (RS256 if absent)",
                )),
            },
            ("EC", _) => Err(Refusal::new(
                "crv",
                "must be \"P-256\": the provider signs with EC keys on P-256 only (ES256)",
            )),
            ("OKP", _) => Err(Refusal::new(
                "crv",
                "must be \"Ed25519\": the provider signs with OKP keys on Ed25519 only (EdDSA)",
            )),
            _ => Err(Refusal::new(
                "kty",
                "must be \"EC\" (P-256, ES256), \"RSA\" (RS256 or PS256) or \"OKP\" (Ed25519, EdDSA)",
            )),
        }
    }

    /// The private key of a JWK that signs with `alg` ([`PrivateKey::algorithm_of`]) and
    /// whose public members `crate::jose::Jwk` has already checked (the point on its curve,
    /// `p · q = n`, `d` deriving `x`). RSA keys are rebuilt from `n`, `e`, `d`, `p` and `q`
    /// and checked whole (RFC 8017 §3.2); the JWK's `dp`, `dq` and `qi` must be the values
    /// that follow, since a host that signs with a wrong CRT value produces a signature
    /// that gives the key away.
    pub fn from_jwk(obj: &Map<String, Value>, alg: Alg) -> Result<PrivateKey, Refusal> {
        match alg {
            Alg::Es256 => {
                let d = bytes(obj, "d")?;
                let key = p256::ecdsa::SigningKey::from_slice(&d)
                    .map_err(|_| Refusal::new("d", "is not a P-256 private key"))?;
                Ok(PrivateKey::Es256(key))
            }
            Alg::EdDsa => {
                let d = bytes(obj, "d")?;
                let seed: [u8; 32] = d
                    .as_slice()
                    .try_into()
                    .map_err(|_| Refusal::new("d", "must be 32 bytes (an Ed25519 seed)"))?;
                Ok(PrivateKey::EdDsa(ed25519_dalek::SigningKey::from_bytes(
                    &seed,
                )))
            }
            Alg::Rs256 | Alg::Ps256 => Ok(PrivateKey::Rsa {
                alg,
                key: Box::new(rsa_key(obj)?),
            }),
            _ => Err(Refusal::new(
                "alg",
                "is not an algorithm the provider signs with",
            )),
        }
    }

    /// The JWS signature of `message` (RFC 7518 §3.3 – §3.5, RFC 8037 §3.1). RSA signs with
    /// blinding and PSS with a fresh 32-byte salt, both from the system's random source.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _, Signer as _};
        match self {
            PrivateKey::Es256(key) => Ok(crate::jose::es256::sign(key, message).to_vec()),
            PrivateKey::EdDsa(key) => Ok(key.sign(message).to_bytes().to_vec()),
            PrivateKey::Rsa { alg, key } => {
                let mut rng = getrandom::SysRng;
                let signature = if *alg == Alg::Ps256 {
                    rsa::pss::SigningKey::<Sha256>::new(RsaPrivateKey::clone(key))
                        .try_sign_with_rng(&mut rng, message)
                        .map(|s| s.to_vec())
                } else {
                    rsa::pkcs1v15::SigningKey::<Sha256>::new(RsaPrivateKey::clone(key))
                        .try_sign_with_rng(&mut rng, message)
                        .map(|s| s.to_vec())
                };
                signature.map_err(|_| Error::RandomUnavailable)
            }
        }
    }

    /// The members of the private JWK a host imports (WebCrypto `importKey("jwk", …)`),
    /// without `alg`, `kid` or `use`; secret values wiped when dropped. For RSA they are
    /// the checked key's own, so the host never signs with a CRT value it was handed.
    pub fn import_members(&self) -> Vec<(&'static str, Zeroizing<String>)> {
        let text = |s: &str| Zeroizing::new(s.to_owned());
        let b64 = |bytes: &[u8]| Zeroizing::new(crate::b64::encode(bytes));
        match self {
            PrivateKey::Es256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                // SEC 1 §2.3.3 uncompressed: 0x04, then x and y of 32 bytes each.
                let (x, y) = point
                    .as_bytes()
                    .get(1..)
                    .and_then(|xy| xy.split_at_checked(32))
                    .unwrap_or_default();
                vec![
                    ("kty", text("EC")),
                    ("crv", text("P-256")),
                    ("x", b64(x)),
                    ("y", b64(y)),
                    ("d", b64(&key.to_bytes())),
                ]
            }
            PrivateKey::EdDsa(key) => vec![
                ("kty", text("OKP")),
                ("crv", text("Ed25519")),
                ("x", b64(key.verifying_key().as_bytes())),
                ("d", b64(key.as_bytes())),
            ],
            PrivateKey::Rsa { key, .. } => {
                let mut members = vec![
                    ("kty", text("RSA")),
                    ("n", b64(&key.n().to_be_bytes_trimmed_vartime())),
                    ("e", b64(&key.e().to_be_bytes_trimmed_vartime())),
                ];
                members.extend(
                    rsa_private_values(key)
                        .into_iter()
                        .map(|(name, value)| (name, b64(&value))),
                );
                members
            }
        }
    }

    /// A new key for `alg` as private JWK members (no `kid`, `alg` or `use`): P-256 for
    /// ES256, 2048-bit RSA with e = 65537 for RS256 and PS256, Ed25519 for EdDSA.
    pub fn generate(alg: Alg) -> Result<PrivateKey, Error> {
        let unsupported = || Error::InvalidOption {
            name: "alg".to_owned(),
            reason: "must be ES256, RS256, PS256 or EdDSA",
        };
        match alg {
            Alg::Es256 => {
                let members = crate::jose::jwk::generate_p256_members()?;
                let d = members
                    .get("d")
                    .and_then(Value::as_str)
                    .ok_or(Error::RandomUnavailable)?;
                let d = Zeroizing::new(crate::b64::decode(d)?);
                p256::ecdsa::SigningKey::from_slice(&d)
                    .map(PrivateKey::Es256)
                    .map_err(|_| Error::RandomUnavailable)
            }
            Alg::EdDsa => {
                let mut seed = Zeroizing::new([0u8; 32]);
                crate::random::fill(seed.as_mut())?;
                Ok(PrivateKey::EdDsa(ed25519_dalek::SigningKey::from_bytes(
                    &seed,
                )))
            }
            Alg::Rs256 | Alg::Ps256 => {
                let mut rng = rsa::rand_core::UnwrapErr(getrandom::SysRng);
                let key = RsaPrivateKey::new(&mut rng, RSA_GENERATED_BITS)
                    .map_err(|_| Error::RandomUnavailable)?;
                Ok(PrivateKey::Rsa {
                    alg,
                    key: Box::new(key),
                })
            }
            _ => Err(unsupported()),
        }
    }
}

/// `d`, `p`, `q`, `dp`, `dq` and `qi` of a checked key (RFC 7518 §6.3.2), as big-endian
/// bytes without leading zeros, wiped when dropped.
fn rsa_private_values(key: &RsaPrivateKey) -> Vec<(&'static str, Zeroizing<Vec<u8>>)> {
    let be = |n: &BoxedUint| Zeroizing::new(n.to_be_bytes_trimmed_vartime().into_vec());
    let mut values = vec![("d", be(key.d()))];
    let primes = key.primes();
    for (name, prime) in ["p", "q"].into_iter().zip(primes) {
        values.push((name, be(prime.as_ref())));
    }
    if let (Some(dp), Some(dq), Some(qi)) = (key.dp(), key.dq(), key.crt_coefficient()) {
        values.push(("dp", be(dp)));
        values.push(("dq", be(dq)));
        values.push(("qi", be(&qi)));
    }
    values
}

/// The RSA private key of `obj`, rebuilt from `n`, `e`, `d`, `p`, `q` and checked.
fn rsa_key(obj: &Map<String, Value>) -> Result<RsaPrivateKey, Refusal> {
    let uint = |name: &'static str| -> Result<BoxedUint, Refusal> {
        let value = bytes(obj, name)?;
        let bits = u32::try_from(value.len())
            .ok()
            .and_then(|len| len.checked_mul(8))
            .ok_or_else(|| Refusal::new(name, "is too long"))?;
        BoxedUint::from_be_slice(&value, bits)
            .map_err(|_| Refusal::new(name, "is not a big-endian integer"))
    };
    let key = RsaPrivateKey::from_components(
        uint("n")?,
        uint("e")?,
        uint("d")?,
        vec![uint("p")?, uint("q")?],
    )
    .map_err(|_| {
        Refusal::new(
            "",
            "is not a consistent RSA private key (n, e, d, p and q do not agree)",
        )
    })?;
    for (name, value) in rsa_private_values(&key) {
        if matches!(name, "dp" | "dq" | "qi") && *bytes(obj, name)? != *value {
            return Err(Refusal::new(
                name,
                "does not follow from d, p and q: the key file is damaged",
            ));
        }
    }
    if !matches!(key.primes().len(), 2) || key.dp().is_none() {
        return Err(Refusal::new("", "must be a two-prime RSA key"));
    }
    Ok(key)
}

/// `name` as a string member, if present.
fn member<'a>(obj: &'a Map<String, Value>, name: &'static str) -> Result<Option<&'a str>, Refusal> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Refusal::new(name, "must be a string")),
    }
}

/// The base64url-decoded member `name`, required.
fn bytes(obj: &Map<String, Value>, name: &'static str) -> Result<Zeroizing<Vec<u8>>, Refusal> {
    let text = member(obj, name)?.ok_or_else(|| Refusal::new(name, "is required"))?;
    crate::b64::decode(text)
        .map(Zeroizing::new)
        .map_err(|_| Refusal::new(name, "must be base64url without padding"))
}

/// `only`, unless the JWK's `alg` names another.
fn only_alg(alg: Option<&str>, only: Alg, what: &str) -> Result<Alg, Refusal> {
    match alg {
        Some(alg) if alg != only.as_str() => Err(Refusal::new(
            "alg",
            format!("must be \"{}\" for {what} if present", only.as_str()),
        )),
        _ => Ok(only),
    }
}
