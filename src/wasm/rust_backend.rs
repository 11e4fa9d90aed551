//! The pure-Rust backend as the JS API and the Worker reach it: signature checks for keys
//! WebCrypto cannot take (or with `backend: "wasm"`), and the SHA-384 / SHA-512 digests the
//! core leaves to it. (`DpopKey`'s `wasm` backend calls the module from JavaScript:
//! `dpop-key.js`.)
//!
//! With the `rustcrypto` feature (the Worker, the wasm tests) the code runs in this
//! module. The npm package's core module is built without it: the same code is then the
//! package's second module, `rustcrypto/` (`oidc_edge_rustcrypto_bg.wasm`), which
//! `rustcrypto.js` loads the first time one of these functions is called. Results cross
//! between the two as [`crate::jose::outcome`] numbers.

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
