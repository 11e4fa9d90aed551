//! The npm package's pure-Rust module: the core's RustCrypto code (P-256, P-384, RSA,
//! Ed25519) for the JS API's `wasm` backend, built as a wasm module of its own so the
//! package's core module stays small. The core module loads it on first use
//! (`src/wasm/rustcrypto.js`) and calls it from `src/wasm/rust_backend.rs`; results come
//! back as `oidc_edge::jose::outcome` numbers. `DpopKey`'s `wasm` backend
//! (`src/wasm/dpop-key.js`) calls it directly: `dpopKey`, `signEs256`, `generateP256`.
//!
//! Keys arrive as JWK JSON text (the core has checked a public key's shape already); here
//! they are parsed with the `rustcrypto` checks (points on the curve, private halves that
//! match), once, and kept by the SHA-256 of their text (a private JWK's text is not kept;
//! its parsed key wipes itself when dropped).

// No panics on the request path (a panic traps the isolate and fails every request in
// flight); the same lints as the core, src/lib.rs, says why.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::arithmetic_side_effects,
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::unwrap_in_result,
        clippy::panic_in_result_fn,
        clippy::get_unwrap,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

use std::cell::RefCell;
use std::rc::Rc;

use oidc_edge::Error;
use oidc_edge::cache::BoundedCache;
use oidc_edge::jose::{Alg, HashAlg, Jwk, KeyKind, crypto, outcome};
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

/// Most parsed keys kept; past it the cache starts over (keys rotate rarely).
const MAX_KEYS: usize = 64;

thread_local! {
    /// Parsed keys by the SHA-256 of their JWK text: a P-256 key keeps its verification
    /// table here.
    static KEYS: RefCell<BoundedCache<[u8; 32], Rc<Jwk>>> = RefCell::new(BoundedCache::new(MAX_KEYS));
}

/// The key `jwk` describes, parsed on first use.
fn key(jwk: &str) -> Result<Rc<Jwk>, Error> {
    let id: [u8; 32] = Sha256::digest(jwk.as_bytes()).into();
    if let Some(key) = KEYS.with(|keys| keys.borrow().get(&id)) {
        return Ok(key);
    }
    let key = Rc::new(Jwk::from_json(jwk.as_bytes())?);
    KEYS.with(|keys| keys.borrow_mut().insert(id, key.clone()));
    Ok(key)
}

/// Checks `signature` over `message` with the public JWK `jwk` under `alg`.
#[wasm_bindgen]
pub fn verify(jwk: &str, alg: &str, message: &[u8], signature: &[u8]) -> u32 {
    // `crypto::verify` refuses a key of another kind than `alg` needs.
    let result = key(jwk)
        .and_then(|key| crypto::verify(Alg::parse(alg)?, key.public_key(), message, signature));
    outcome::encode(&result)
}

/// The SHA-2 digest `hash` ("SHA-256", "SHA-384" or "SHA-512") of `data`: the core's
/// `at_hash` / `c_hash` where WebCrypto is not used (its module carries SHA-256 only). Empty
/// for another name.
#[wasm_bindgen]
pub fn digest(hash: &str, data: &[u8]) -> Vec<u8> {
    [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512]
        .into_iter()
        .find(|alg| alg.name() == hash)
        .map_or_else(Vec::new, |alg| alg.digest(data))
}

/// The ES256 signature (r || s) over `message` with the private P-256 JWK `jwk`; empty
/// when `jwk` is not one.
#[wasm_bindgen(js_name = signEs256)]
pub fn sign_es256(jwk: &str, message: &[u8]) -> Vec<u8> {
    key(jwk)
        .and_then(|key| key.es256_signature(message))
        .map_or_else(|_| Vec::new(), |signature| signature.to_vec())
}

/// What `DpopKey` (src/wasm/dpop-key.js) holds of a private P-256 JWK once it passes every
/// check (shape, point on the curve, a private half that matches): `[canonical public JWK
/// (RFC 7638 §3.3), thumbprint]`. A key that does not pass, is not a private P-256 key or
/// is not for signing ES256 throws `[code, message]`, the core error's, which the caller
/// turns into an `OidcEdgeError`.
#[wasm_bindgen(js_name = dpopKey)]
pub fn dpop_key(jwk: &str) -> Result<js_sys::Array, js_sys::Array> {
    let refused = |err: Error| js_sys::Array::of2(&err.code().into(), &err.message().into());
    let key = key(jwk).map_err(refused)?;
    if key.kind() != KeyKind::P256 || !key.is_private() {
        return Err(refused(Error::JwkInvalid {
            reason: "a DPoP key must be a private P-256 JWK",
        }));
    }
    // Its `alg`, `use` and `key_ops`, when given, must allow signing ES256 (RFC 7517 §4.2–4.4).
    if !key.may_sign(Alg::Es256) {
        return Err(refused(Error::KeyAlgMismatch));
    }
    Ok(js_sys::Array::of2(
        &key.canonical_json().into(),
        &key.thumbprint().into(),
    ))
}

/// A fresh private P-256 JWK as JSON text; empty when the platform's random number
/// generator failed.
#[wasm_bindgen(js_name = generateP256)]
pub fn generate_p256() -> String {
    oidc_edge::jose::jwk::generate_p256_json()
        .map(|jwk| jwk.to_string())
        .unwrap_or_default()
}
