//! The pure-Rust backend as the JS API and the Worker reach it: signature checks for keys
//! WebCrypto cannot take (or with `backend: "wasm"`), and the P-256 keys the `wasm` DPoP
//! backend holds.
//!
//! With the `rustcrypto` feature (the Worker, the wasm tests) the code runs in this
//! module. The npm package's core module is built without it: the same code is then the
//! package's second module, `rustcrypto/` (`oidc_edge_rustcrypto_bg.wasm`), which
//! `rustcrypto.js` loads the first time one of these functions is called. Results cross
//! between the two as [`crate::jose::outcome`] numbers.

use zeroize::Zeroizing;

#[cfg(not(feature = "rustcrypto"))]
use js_sys::Promise;
#[cfg(not(feature = "rustcrypto"))]
use wasm_bindgen::JsValue;

use crate::Error;
use crate::jose::{Alg, Jwk};
#[cfg(not(feature = "rustcrypto"))]
use crate::jose::{HashAlg, outcome};

/// Checks `signature` over `message` with `key` under `alg`.
pub async fn verify(alg: Alg, key: &Jwk, message: &[u8], signature: &[u8]) -> Result<(), Error> {
    #[cfg(feature = "rustcrypto")]
    {
        use crate::jose::SignatureVerifier as _;
        crate::jose::RustCrypto
            .verify(alg, key, message, signature)
            .await
    }
    #[cfg(not(feature = "rustcrypto"))]
    {
        let code = module::load()
            .await?
            .verify(key.canonical_json(), alg.as_str(), message, signature)
            .map_err(|_| Error::CryptoUnavailable)?;
        outcome::decode(code)
    }
}

/// The promise of the digest `hash` of `data` by the pure-Rust module (`rustcrypto.js`
/// loads it first): `at_hash` / `c_hash` where WebCrypto is not used. (With the
/// `rustcrypto` feature the backend hashes in-process.)
#[cfg(not(feature = "rustcrypto"))]
pub fn digest(hash: HashAlg, data: &[u8]) -> Result<Promise, JsValue> {
    module::rust_digest(hash.name(), data)
}

/// Checks what a private JWK's shape does not show: its points are on the curve and the
/// private half matches the public one.
pub async fn check_key(jwk: &str) -> Result<(), Error> {
    #[cfg(feature = "rustcrypto")]
    {
        Jwk::from_json(jwk.as_bytes()).map(drop)
    }
    #[cfg(not(feature = "rustcrypto"))]
    {
        let code = module::load()
            .await?
            .check(jwk)
            .map_err(|_| Error::CryptoUnavailable)?;
        outcome::decode(code)
    }
}

/// The ES256 signature (r || s, RFC 7518 §3.4) over `message` with the private P-256 JWK
/// `jwk` (already accepted by [`check_key`]).
pub async fn sign_es256(jwk: &str, message: &[u8]) -> Result<Vec<u8>, Error> {
    // In-process the key is parsed on every call: only the wasm tests build the JS API
    // with `rustcrypto`; the package's module keeps parsed keys.
    #[cfg(feature = "rustcrypto")]
    let signature = Jwk::from_json(jwk.as_bytes())?
        .es256_signature(message)?
        .to_vec();
    #[cfg(not(feature = "rustcrypto"))]
    let signature = module::load()
        .await?
        .sign_es256(jwk, message)
        .map_err(|_| Error::CryptoUnavailable)?;
    // The module answers an empty signature for a key that is not a private P-256 key.
    if signature.is_empty() {
        return Err(Error::KeyAlgMismatch);
    }
    Ok(signature)
}

/// A fresh private P-256 JWK (`kty`, `crv`, `x`, `y`, `d`) as JSON text.
pub async fn generate_p256() -> Result<Zeroizing<String>, Error> {
    #[cfg(feature = "rustcrypto")]
    return crate::jose::jwk::generate_p256_json();
    #[cfg(not(feature = "rustcrypto"))]
    {
        let jwk = module::load()
            .await?
            .generate_p256()
            .map_err(|_| Error::CryptoUnavailable)?;
        // The module answers "" when the platform's random number generator failed.
        if jwk.is_empty() {
            return Err(Error::RandomUnavailable);
        }
        Ok(Zeroizing::new(jwk))
    }
}

#[cfg(not(feature = "rustcrypto"))]
mod module {
    use js_sys::Promise;
    use wasm_bindgen::prelude::*;

    use super::super::settle::settle;
    use crate::Error;

    #[wasm_bindgen(module = "/src/wasm/rustcrypto.js")]
    extern "C" {
        /// The loaded module's exports, or a promise of them while it loads.
        #[wasm_bindgen(js_name = rustCrypto)]
        fn rust_crypto() -> JsValue;

        /// The promise of the module's `digest` (a `Uint8Array`), loading it first.
        #[wasm_bindgen(js_name = rustDigest, catch)]
        pub fn rust_digest(hash: &str, data: &[u8]) -> Result<Promise, JsValue>;

        /// The exports of `rustcrypto/` (see its `lib.rs`).
        pub type Module;

        #[wasm_bindgen(method, catch)]
        pub fn verify(
            this: &Module,
            jwk: &str,
            alg: &str,
            message: &[u8],
            signature: &[u8],
        ) -> Result<u32, JsValue>;

        #[wasm_bindgen(method, catch)]
        pub fn check(this: &Module, jwk: &str) -> Result<u32, JsValue>;

        #[wasm_bindgen(method, catch, js_name = signEs256)]
        pub fn sign_es256(this: &Module, jwk: &str, message: &[u8]) -> Result<Vec<u8>, JsValue>;

        #[wasm_bindgen(method, catch, js_name = generateP256)]
        pub fn generate_p256(this: &Module) -> Result<String, JsValue>;
    }

    /// The module, loading it on first use. A load that fails (no network, a bundler
    /// that left the file out) is [`Error::CryptoUnavailable`], and the next call tries
    /// again.
    pub async fn load() -> Result<Module, Error> {
        let exports = rust_crypto();
        let exports = match exports.dyn_into::<Promise>() {
            Ok(loading) => settle(loading)
                .await
                .map_err(|_| Error::CryptoUnavailable)?,
            Err(ready) => ready,
        };
        Ok(exports.unchecked_into())
    }
}
