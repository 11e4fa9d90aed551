//! JOSE: algorithms, keys, compact JWS and JWT validation.

pub mod alg;
pub mod crypto;
pub mod es256;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub mod verifier;

pub use alg::{Alg, HashAlg, KeyKind};
pub use jwk::{Jwk, JwkSet, PrivateKey, PublicKey};
pub use jws::{CompactJws, Header};
pub use jwt::{Claims, Validation, Verified};
pub use verifier::{RustCrypto, SignatureVerifier};
