//! Who signs the provider's tokens. The engine builds each JWS signing input and asks a
//! [`TokenSigner`] for the signature with a key and an algorithm, so a host with native
//! crypto (WebCrypto on Workers: about a tenth of the CPU of P-256 in wasm) signs there,
//! and everything else uses the keys in Rust.

use core::future::Future;
use core::pin::Pin;

use super::keys::SigningKeys;
use crate::Error;
use crate::jose::Alg;

/// The future of one signature, in its JWS form (RFC 7518 §3: `r || s` for ECDSA).
pub type SignatureFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, Error>> + 'a>>;

/// Signs with the provider's keys. Object-safe (one boxed future per token), so
/// [`crate::op::Services`] carries it without another type parameter.
pub trait TokenSigner {
    /// The signature of `signing_input` with the key `kid` under `alg`;
    /// [`Error::KeyNotFound`] when this signer does not hold that key,
    /// [`Error::KeyAlgMismatch`] when the key does not sign with `alg`.
    fn sign<'a>(&'a self, kid: &'a str, alg: Alg, signing_input: &'a [u8]) -> SignatureFuture<'a>;
}

/// The pure-Rust signer: the keys themselves (RustCrypto: p256 with deterministic RFC 6979
/// nonces, rsa with blinding, ed25519-dalek).
impl TokenSigner for SigningKeys {
    fn sign<'a>(&'a self, kid: &'a str, alg: Alg, signing_input: &'a [u8]) -> SignatureFuture<'a> {
        let result = match self.signing_key(kid) {
            None => Err(Error::KeyNotFound),
            Some(key) if key.alg() != alg => Err(Error::KeyAlgMismatch),
            Some(key) => key.sign(signing_input),
        };
        Box::pin(core::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::verifier::run_ready;

    /// The Rust signer signs with the keys it holds, under the algorithm they do (RFC 7518
    /// §3.4: 64 bytes, `r || s`), and refuses another key or algorithm.
    #[test]
    fn rust_signer_refuses_other_keys_and_algorithms() {
        let jwks = SigningKeys::generate(Some("k1")).unwrap();
        let keys = SigningKeys::from_jwks_json(&jwks.to_string()).unwrap();
        let signature = run_ready(keys.sign("k1", Alg::Es256, b"input")).unwrap();
        assert_eq!(signature.len(), 64);
        assert_eq!(
            run_ready(keys.sign("k2", Alg::Es256, b"input")),
            Err(Error::KeyNotFound)
        );
        assert_eq!(
            run_ready(keys.sign("k1", Alg::Ps256, b"input")),
            Err(Error::KeyAlgMismatch)
        );
        assert_eq!(keys.kid_for(Alg::Es256), Some("k1"));
        assert_eq!(keys.kid_for(Alg::EdDsa), None);
    }
}
