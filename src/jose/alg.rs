//! The closed set of JWS algorithms this crate verifies (RFC 7518 §3, RFC 8037 §3.1).
//!
//! The key decides the algorithm, never the token: every `Alg` belongs to exactly one
//! [`KeyKind`], and a token whose `alg` does not fit the key is refused before any
//! cryptography runs. `none` and the HMAC family are known names that are always refused:
//! with public keys they are the classic algorithm-confusion attacks.

use core::fmt;

use crate::Error;

/// A JWS signature algorithm with an asymmetric key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512.
    Ps512,
    /// EdDSA with Ed25519 (RFC 8037).
    EdDsa,
}

/// The kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `kty: EC`, `crv: P-256`.
    P256,
    /// `kty: EC`, `crv: P-384`.
    P384,
    /// `kty: RSA`.
    Rsa,
    /// `kty: OKP`, `crv: Ed25519`.
    Ed25519,
}

/// The hash an algorithm uses; also picks the half-hash for `at_hash` / `c_hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// The digest of `data`, in Rust.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::{Digest, Sha256, Sha384, Sha512};
        match self {
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The WebCrypto name (`SHA-256`…), which the pure-Rust module's `digest` takes too.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }
}

impl Alg {
    /// Every algorithm, in the order discovery documents list them.
    pub const ALL: [Alg; 9] = [
        Alg::Es256,
        Alg::Es384,
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
        Alg::EdDsa,
    ];

    /// Parses a JWS `alg` value. `none` and `HS*` are [`Error::AlgNotAllowed`]; any other
    /// unknown name is [`Error::AlgUnsupported`].
    pub fn parse(name: &str) -> Result<Alg, Error> {
        Ok(match name {
            "ES256" => Alg::Es256,
            "ES384" => Alg::Es384,
            "RS256" => Alg::Rs256,
            "RS384" => Alg::Rs384,
            "RS512" => Alg::Rs512,
            "PS256" => Alg::Ps256,
            "PS384" => Alg::Ps384,
            "PS512" => Alg::Ps512,
            "EdDSA" => Alg::EdDsa,
            "none" | "HS256" | "HS384" | "HS512" => {
                return Err(Error::AlgNotAllowed {
                    alg: name.to_owned(),
                });
            }
            _ => {
                return Err(Error::AlgUnsupported {
                    alg: truncated(name),
                });
            }
        })
    }

    /// The registered name (RFC 7518 §3.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
            Alg::EdDsa => "EdDSA",
        }
    }

    /// The kind of key this algorithm needs.
    pub fn key_kind(self) -> KeyKind {
        match self {
            Alg::Es256 => KeyKind::P256,
            Alg::Es384 => KeyKind::P384,
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => {
                KeyKind::Rsa
            }
            Alg::EdDsa => KeyKind::Ed25519,
        }
    }

    /// The hash the algorithm signs with (Ed25519's internal SHA-512 for EdDSA), which
    /// OpenID Connect also uses for `at_hash` and `c_hash`.
    pub fn hash(self) -> HashAlg {
        match self {
            Alg::Es256 | Alg::Rs256 | Alg::Ps256 => HashAlg::Sha256,
            Alg::Es384 | Alg::Rs384 | Alg::Ps384 => HashAlg::Sha384,
            Alg::Rs512 | Alg::Ps512 | Alg::EdDsa => HashAlg::Sha512,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An attacker-chosen name, shortened before it goes into an error message.
fn truncated(name: &str) -> String {
    name.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Alg::ALL {
            assert_eq!(Alg::parse(alg.as_str()).unwrap(), alg);
        }
    }

    /// RFC 8725 §3.1 / §3.2: `none` and HMAC with a public key are refused outright.
    #[test]
    fn none_and_hmac_are_never_allowed() {
        for name in ["none", "HS256", "HS384", "HS512"] {
            assert_eq!(Alg::parse(name).unwrap_err().code(), "alg_not_allowed");
        }
    }

    #[test]
    fn unknown_and_wrong_case_names_are_unsupported() {
        for name in ["", "es256", "RS1", "ES512", "EdDSA ", "ES256K", "NONE"] {
            assert_eq!(
                Alg::parse(name).unwrap_err().code(),
                "alg_unsupported",
                "{name:?}"
            );
        }
    }
}
