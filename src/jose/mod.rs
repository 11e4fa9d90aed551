//! JOSE: algorithms, keys, compact JWS and JWT validation.

pub mod alg;
#[cfg(feature = "rustcrypto")]
pub mod crypto;
#[cfg(feature = "rustcrypto")]
pub mod es256;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub mod material;
pub mod outcome;
pub mod verifier;

pub use alg::{Alg, HashAlg, KeyKind};
pub use jwk::{Jwk, JwkSet};
#[cfg(feature = "rustcrypto")]
pub use jwk::{PrivateKey, PublicKey};
pub use jws::{CompactJws, Header};
pub use jwt::{Claims, Validation, Verified};
#[cfg(feature = "rustcrypto")]
pub use verifier::RustCrypto;
pub use verifier::SignatureVerifier;
