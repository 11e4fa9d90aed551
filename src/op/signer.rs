//! Who signs the provider's tokens. The engine builds each JWS signing input and asks a
//! [`TokenSigner`] for the ES256 signature, so a host with native crypto (WebCrypto on
//! Workers: about a tenth of the CPU of P-256 in wasm) signs there, and everything else
//! uses the keys in Rust.

use core::future::Future;
use core::pin::Pin;

use super::keys::SigningKeys;
use crate::Error;

/// The future of one signature: `r || s`, 64 bytes (RFC 7518 §3.4).
pub type SignatureFuture<'a> = Pin<Box<dyn Future<Output = Result<[u8; 64], Error>> + 'a>>;

/// Signs with the provider's key `kid`. Object-safe (one boxed future per token), so
/// [`crate::op::Services`] carries it without another type parameter.
pub trait TokenSigner {
    /// The ES256 signature of `signing_input` with the key `kid`; [`Error::KeyNotFound`]
    /// when this signer does not hold that key.
    fn sign_es256<'a>(&'a self, kid: &'a str, signing_input: &'a [u8]) -> SignatureFuture<'a>;
}

/// The pure-Rust signer: the keys themselves (RustCrypto p256, deterministic RFC 6979
/// nonces).
impl TokenSigner for SigningKeys {
    fn sign_es256<'a>(&'a self, kid: &'a str, signing_input: &'a [u8]) -> SignatureFuture<'a> {
        let result = self
            .signing_key(kid)
            .map(|key| crate::jose::es256::sign(key, signing_input));
        Box::pin(core::future::ready(result.ok_or(Error::KeyNotFound)))
    }
}
