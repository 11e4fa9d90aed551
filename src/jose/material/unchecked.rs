//! Key material without RustCrypto: the members' shape was checked by the JWK parser; the
//! curve and modulus checks are left to the backend that uses the key (see the module
//! docs of `material`).

use zeroize::Zeroizing;

use super::RsaPrivate;
use crate::Error;
use crate::jose::KeyKind;

/// A key's kind and, for a private JWK, its private members (wiped on drop).
#[derive(Clone)]
pub struct Material {
    kind: KeyKind,
    private: Option<Zeroizing<Vec<u8>>>,
}

impl Material {
    /// The kind of key, which decides the algorithms it may verify.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Whether private members came with the key.
    pub fn is_private(&self) -> bool {
        self.private.is_some()
    }

    /// The same material without its private members.
    pub fn without_private(&self) -> Material {
        Material {
            kind: self.kind,
            private: None,
        }
    }
}

/// An EC key on `kind`'s curve; `x`, `y` and `d` have the curve's length.
pub fn ec(
    kind: KeyKind,
    _x: &[u8],
    _y: &[u8],
    d: Option<Zeroizing<Vec<u8>>>,
) -> Result<Material, Error> {
    Ok(Material { kind, private: d })
}

/// An Ed25519 key; `x` and `d` are 32 bytes.
pub fn okp(_x: &[u8; 32], d: Option<Zeroizing<Vec<u8>>>) -> Result<Material, Error> {
    Ok(Material {
        kind: KeyKind::Ed25519,
        private: d,
    })
}

/// An RSA key; `n` is 2048–4096 bits, `n` and `e` minimal big-endian integers.
pub fn rsa(_n: &[u8], _e: &[u8], private: Option<RsaPrivate>) -> Result<Material, Error> {
    Ok(Material {
        kind: KeyKind::Rsa,
        private: private.map(|p| p.material),
    })
}
