//! Key material as RustCrypto keys: the checks that need the curve or the modulus.

use crypto_bigint::ConcatenatingMul;
use p256::elliptic_curve::point::AffineCoordinates as _;
use zeroize::Zeroizing;

use super::{MISMATCH as MISMATCH_REASON, NOT_A_POINT, NOT_ON_CURVE as NOT_ON_CURVE_REASON};
use super::{RSA_INVALID, RsaPrivate, SCALAR_RANGE as SCALAR_RANGE_REASON};
use crate::Error;
use crate::jose::KeyKind;

/// RSA moduli accepted, in bits (the JWK parser has checked the length already).
const RSA_BITS: core::ops::RangeInclusive<usize> = 2048..=4096;

const NOT_ON_CURVE: Error = Error::JwkInvalid {
    reason: NOT_ON_CURVE_REASON,
};
const MISMATCH: Error = Error::JwkInvalid {
    reason: MISMATCH_REASON,
};
const SCALAR_RANGE: Error = Error::JwkInvalid {
    reason: SCALAR_RANGE_REASON,
};

/// A parsed public key, ready for verification.
#[derive(Clone)]
pub enum PublicKey {
    /// ECDSA P-256.
    P256(crate::jose::es256::P256Key),
    /// ECDSA P-384.
    P384(p384::ecdsa::VerifyingKey),
    /// RSA, 2048–4096 bits.
    Rsa(Box<rsa::RsaPublicKey>),
    /// Ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    /// The kind of key, which decides the algorithms it may verify.
    pub fn kind(&self) -> KeyKind {
        match self {
            PublicKey::P256(_) => KeyKind::P256,
            PublicKey::P384(_) => KeyKind::P384,
            PublicKey::Rsa(_) => KeyKind::Rsa,
            PublicKey::Ed25519(_) => KeyKind::Ed25519,
        }
    }
}

/// Private key material. Kept only for the kinds this crate signs with; the others are
/// checked and then held only to be wiped.
#[derive(Clone)]
pub enum PrivateKey {
    /// An ECDSA P-256 signing key (ES256).
    P256(p256::ecdsa::SigningKey),
    /// Private members of another kind of key, checked, held only to be wiped.
    Other(Zeroizing<Vec<u8>>),
}

/// The parsed public key and, for a private JWK, the private key.
#[derive(Clone)]
pub struct Material {
    /// The public key.
    pub public: PublicKey,
    /// The private key, if the JWK had private members.
    pub private: Option<PrivateKey>,
}

impl Material {
    /// The kind of key, which decides the algorithms it may verify.
    pub fn kind(&self) -> KeyKind {
        self.public.kind()
    }

    /// Whether private members came with the key.
    pub fn is_private(&self) -> bool {
        self.private.is_some()
    }

    /// The same material without its private key.
    pub fn without_private(&self) -> Material {
        Material {
            public: self.public.clone(),
            private: None,
        }
    }
}

/// An EC key on `kind`'s curve (P-256 or P-384); `x`, `y` and `d` have the curve's length.
/// The point is built from its coordinates, which checks both are below p and that it is
/// on the curve: `from_sec1_bytes` would do the same for the uncompressed form, but also
/// brings point decompression (square roots in the field, about 12 KB of wasm) for the
/// compressed forms a JWK never carries.
pub fn ec(
    kind: KeyKind,
    x: &[u8],
    y: &[u8],
    d: Option<Zeroizing<Vec<u8>>>,
) -> Result<Material, Error> {
    if kind == KeyKind::P256 {
        let public = p256::AffinePoint::from_coordinates(&field_bytes(x)?, &field_bytes(y)?)
            .into_option()
            .and_then(|point| p256::ecdsa::VerifyingKey::from_affine(point).ok())
            .ok_or(NOT_ON_CURVE)?;
        let private = match d {
            None => None,
            Some(d) => {
                let signing = p256::ecdsa::SigningKey::from_slice(&d).map_err(|_| SCALAR_RANGE)?;
                if *signing.verifying_key() != public {
                    return Err(MISMATCH);
                }
                Some(PrivateKey::P256(signing))
            }
        };
        Ok(Material {
            public: PublicKey::P256(public.into()),
            private,
        })
    } else {
        let public = p384::AffinePoint::from_coordinates(&field_bytes(x)?, &field_bytes(y)?)
            .into_option()
            .and_then(|point| p384::ecdsa::VerifyingKey::from_affine(point).ok())
            .ok_or(NOT_ON_CURVE)?;
        let private = match d {
            None => None,
            Some(d) => {
                let signing = p384::ecdsa::SigningKey::from_slice(&d).map_err(|_| SCALAR_RANGE)?;
                if *signing.verifying_key() != public {
                    return Err(MISMATCH);
                }
                Some(PrivateKey::Other(d))
            }
        };
        Ok(Material {
            public: PublicKey::P384(public),
            private,
        })
    }
}

/// A coordinate as the curve crate's field bytes.
fn field_bytes<N: p256::elliptic_curve::array::ArraySize>(
    bytes: &[u8],
) -> Result<p256::elliptic_curve::array::Array<u8, N>, Error> {
    p256::elliptic_curve::array::Array::try_from(bytes).map_err(|_| Error::JwkInvalid {
        reason: "EC coordinate has the wrong length",
    })
}

/// An Ed25519 key; `d` (the seed) must derive `x`.
pub fn okp(x: &[u8; 32], d: Option<Zeroizing<Vec<u8>>>) -> Result<Material, Error> {
    let public = ed25519_dalek::VerifyingKey::from_bytes(x).map_err(|_| Error::JwkInvalid {
        reason: NOT_A_POINT,
    })?;
    let private = match d {
        None => None,
        Some(d) => {
            let seed: [u8; 32] = d.as_slice().try_into().map_err(|_| Error::JwkInvalid {
                reason: "d has the wrong length",
            })?;
            if ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key() != public {
                return Err(MISMATCH);
            }
            Some(PrivateKey::Other(d))
        }
    };
    Ok(Material {
        public: PublicKey::Ed25519(public),
        private,
    })
}

/// An RSA key; `n` is 2048–4096 bits, `n` and `e` minimal big-endian integers. A private
/// key's primes must be the factors of this modulus, or the private half belongs to
/// another key. (This crate never signs with RSA, so the other private members are only
/// checked for shape.)
pub fn rsa(n: &[u8], e: &[u8], private: Option<RsaPrivate>) -> Result<Material, Error> {
    let public =
        rsa::RsaPublicKey::new_with_size_limits(uint(n)?, uint(e)?, RSA_BITS).map_err(|_| {
            Error::JwkInvalid {
                reason: RSA_INVALID,
            }
        })?;
    let private = match private {
        None => None,
        Some(private) => {
            let product = uint(&private.p)?.concatenating_mul(&uint(&private.q)?);
            if *product.to_be_bytes_trimmed_vartime() != *n {
                return Err(MISMATCH);
            }
            Some(PrivateKey::Other(private.material))
        }
    };
    Ok(Material {
        public: PublicKey::Rsa(Box::new(public)),
        private,
    })
}

fn uint(bytes: &[u8]) -> Result<rsa::BoxedUint, Error> {
    let invalid = || Error::JwkInvalid {
        reason: "RSA integer is malformed",
    };
    let bits = u32::try_from(bytes.len())
        .ok()
        .and_then(|len| len.checked_mul(8))
        .ok_or_else(invalid)?;
    rsa::BoxedUint::from_be_slice(bytes, bits).map_err(|_| invalid())
}
