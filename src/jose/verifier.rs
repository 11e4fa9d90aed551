//! Where signatures get checked: a small async trait, so the JS API can hand the work to
//! WebCrypto (asynchronous by nature) while native code and runtimes without WebCrypto use
//! the pure-Rust backend through the same token rules.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use super::alg::{Alg, HashAlg};
use super::jwk::Jwk;
use crate::Error;

/// Checks one signature with one key.
#[allow(async_fn_in_trait)] // Used single-threaded (wasm) or with ready futures; no Send bound wanted.
pub trait SignatureVerifier {
    /// `Ok(())` when `signature` over `message` verifies with `key` under `alg`;
    /// [`Error::SignatureInvalid`] when it does not.
    async fn verify(
        &self,
        alg: Alg,
        key: &Jwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error>;

    /// The digest `hash` of `data`, for `at_hash` / `c_hash` (OpenID Connect Core
    /// §3.1.3.6). In Rust by default; the JS API's backend leaves SHA-384 and SHA-512 to
    /// WebCrypto (or the pure-Rust module), so that the package's core module carries
    /// SHA-256 only.
    async fn digest(&self, hash: HashAlg, data: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(hash.digest(data))
    }
}

/// The pure-Rust backend: RustCrypto's p256, p384, rsa and ed25519-dalek. Its futures are
/// always ready.
#[cfg(feature = "rustcrypto")]
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

#[cfg(feature = "rustcrypto")]
impl SignatureVerifier for RustCrypto {
    async fn verify(
        &self,
        alg: Alg,
        key: &Jwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        super::crypto::verify(alg, key.public_key(), message, signature)
    }
}

/// Runs a future that completes without waiting (one built only on `RustCrypto` and a
/// synchronous store such as `MemoryStore`), so synchronous callers share the
/// asynchronous rules instead of duplicating them. A future that does wait is a bug in
/// the caller; it is reported as [`Error::CryptoUnavailable`], never spun on.
pub fn run_ready<T>(future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => Err(Error::CryptoUnavailable),
    }
}
