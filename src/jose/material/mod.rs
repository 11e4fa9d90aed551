//! What a JWK's key material becomes once its members have the right shape.
//!
//! With the `rustcrypto` feature (native builds, the provider) the material is parsed into
//! RustCrypto keys here, which checks what needs the curve or the modulus: points lie on
//! their curve, the RSA key is well formed, a private key matches its public half.
//! Without it (the npm package's core module) the material is kept as checked members, and
//! those checks are made by whichever backend first uses the key: WebCrypto's `importKey`,
//! or the package's pure-Rust module (`rustcrypto/`), which runs the `rustcrypto` code.
//! Leaving the curve arithmetic out of the core module is what keeps it small.

#[cfg(feature = "rustcrypto")]
mod checked;
#[cfg(not(feature = "rustcrypto"))]
mod unchecked;

#[cfg(feature = "rustcrypto")]
pub use checked::{Material, PrivateKey, PublicKey, ec, okp, rsa};
#[cfg(not(feature = "rustcrypto"))]
pub use unchecked::{Material, ec, okp, rsa};

use zeroize::Zeroizing;

/// Why well-shaped key material is refused (the `reason` of [`crate::Error::JwkInvalid`]).
/// Listed once so the package's two modules can name a reason by its place in
/// [`REFUSALS`] (`jose::outcome`).
pub const NOT_ON_CURVE: &str = "EC point is not on the curve";
/// A private key that is not the private half of the public members.
pub const MISMATCH: &str = "private key does not match the public key";
/// An EC private scalar that is zero or not below the group order.
pub const SCALAR_RANGE: &str = "EC private scalar is out of range";
/// An Ed25519 `x` that is not the encoding of a curve point.
pub const NOT_A_POINT: &str = "Ed25519 public key is not a valid point";
/// An RSA modulus and exponent RustCrypto refuses (even modulus, exponent out of range).
pub const RSA_INVALID: &str = "RSA public key is invalid";

/// Every reason above, in a fixed order.
pub const REFUSALS: [&str; 5] = [
    NOT_ON_CURVE,
    MISMATCH,
    SCALAR_RANGE,
    NOT_A_POINT,
    RSA_INVALID,
];

/// The private members of an RSA JWK (RFC 7518 §6.3.2), decoded, in the order
/// `d`, `p`, `q`, `dp`, `dq`, `qi`.
pub struct RsaPrivate {
    /// All six members, concatenated: held only to be wiped.
    pub material: Zeroizing<Vec<u8>>,
    /// The first prime factor.
    pub p: Zeroizing<Vec<u8>>,
    /// The second prime factor.
    pub q: Zeroizing<Vec<u8>>,
}
