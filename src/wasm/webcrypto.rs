//! The WebCrypto signature backend: `crypto.subtle.verify` with keys imported once per
//! (JWK thumbprint, algorithm) and cached. Where the runtime lacks WebCrypto or refuses an
//! algorithm (Ed25519 on older runtimes), the pure-Rust backend ([`super::rust_backend`])
//! takes over for that key. `WebCryptoSigner` (feature `rustcrypto`, the provider) signs
//! the provider's tokens with its key imported non-extractable.

use std::cell::RefCell;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

use super::rust_backend;
use super::settle::settle;
use crate::Error;
use crate::cache::SmallCache;
use crate::jose::{Alg, HashAlg, Jwk, KeyKind, SignatureVerifier};
#[cfg(feature = "rustcrypto")]
use crate::op::signer::{SignatureFuture, TokenSigner};

#[wasm_bindgen]
extern "C" {
    /// `globalThis.crypto`: read directly rather than through `js_sys::global()`, whose
    /// four fallbacks (`globalThis`, `self`, `window`, `global`) cost glue and imports in
    /// every page; every runtime the package supports has `globalThis`.
    #[wasm_bindgen(thread_local_v2, js_namespace = globalThis, js_name = crypto)]
    static GLOBAL_CRYPTO: JsValue;

    /// `SubtleCrypto`, declared here with just the methods used, typed loosely.
    #[derive(Clone)]
    pub type Subtle;

    /// `subtle.generateKey(algorithm, extractable, usages)`.
    #[wasm_bindgen(method, catch, js_name = generateKey)]
    pub fn generate_key(
        this: &Subtle,
        algorithm: &Object,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    /// `subtle.exportKey(format, key)`.
    #[wasm_bindgen(method, catch, js_name = exportKey)]
    pub fn export_key(this: &Subtle, format: &str, key: &JsValue) -> Result<Promise, JsValue>;

    /// `subtle.sign(algorithm, key, data)`.
    #[wasm_bindgen(method, catch)]
    pub fn sign(
        this: &Subtle,
        algorithm: &Object,
        key: &JsValue,
        data: &[u8],
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &Subtle,
        format: &str,
        key: &Object,
        algorithm: &Object,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    /// `subtle.digest(algorithm, data)`.
    #[wasm_bindgen(method, catch)]
    fn digest(this: &Subtle, algorithm: &str, data: &[u8]) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn verify(
        this: &Subtle,
        algorithm: &Object,
        key: &JsValue,
        signature: &[u8],
        data: &[u8],
    ) -> Result<Promise, JsValue>;
}

/// Most imported keys kept; past it the cache starts over (keys rotate rarely).
const MAX_CACHED_KEYS: usize = 64;

thread_local! {
    /// `crypto.subtle`, looked up once: every verification asks for it.
    static SUBTLE: Option<Subtle> = find_subtle();

    /// The `verify` parameters of each algorithm, built once (WebCrypto only reads them).
    static VERIFY_PARAMS: RefCell<Vec<(Alg, Object)>> = const { RefCell::new(Vec::new()) };

    /// Imported `CryptoKey`s by (thumbprint, alg); `None` records that WebCrypto refused
    /// the import, so the fallback is chosen without asking again.
    static IMPORTED: RefCell<SmallCache<(String, Alg), Option<JsValue>>> =
        RefCell::new(SmallCache::new(MAX_CACHED_KEYS));
}

/// `globalThis.crypto.subtle`, if the runtime has it.
pub fn subtle() -> Option<Subtle> {
    SUBTLE.with(Clone::clone)
}

fn find_subtle() -> Option<Subtle> {
    let crypto = GLOBAL_CRYPTO.with(JsValue::clone);
    if crypto.is_undefined() || crypto.is_null() {
        return None;
    }
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
    (!subtle.is_undefined() && !subtle.is_null()).then(|| subtle.unchecked_into())
}

/// The backend a JS call verifies with. One type for both, so each exported function is
/// compiled once rather than once per backend (the package is size-sensitive).
pub enum Backend {
    /// `crypto.subtle`, with the pure-Rust backend for keys it refuses.
    WebCrypto(WebCrypto),
    /// The pure-Rust backend only.
    Rust,
}

impl Backend {
    /// WebCrypto where the runtime has it, unless `prefer_wasm`.
    pub fn choose(prefer_wasm: bool) -> Backend {
        match subtle() {
            Some(subtle) if !prefer_wasm => Backend::WebCrypto(WebCrypto(subtle)),
            _ => Backend::Rust,
        }
    }
}

impl SignatureVerifier for Backend {
    async fn verify(
        &self,
        alg: Alg,
        key: &Jwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if let Backend::WebCrypto(webcrypto) = self
            && let Some(crypto_key) = webcrypto.imported(alg, key).await
        {
            return webcrypto.verify(alg, &crypto_key, message, signature).await;
        }
        // The pure-Rust backend, for `backend: "wasm"` and for a key WebCrypto refused.
        rust_backend::verify(alg, key, message, signature).await
    }

    /// SHA-256 in Rust (PKCE and thumbprints need it anyway); SHA-384 and SHA-512, which
    /// only `at_hash` / `c_hash` of some ID tokens need, by WebCrypto or the pure-Rust
    /// module: 1.4 KB gzipped less for every page (benches/README.md, "Package size").
    /// One promise either way, so that the token check's future gains one state only.
    async fn digest(&self, hash: HashAlg, data: &[u8]) -> Result<Vec<u8>, Error> {
        let promise = match (hash, self) {
            (HashAlg::Sha256, _) => return Ok(Sha256::digest(data).to_vec()),
            (_, Backend::WebCrypto(webcrypto)) => webcrypto.0.digest(hash.name(), data),
            #[cfg(feature = "rustcrypto")]
            (_, Backend::Rust) => return Ok(hash.digest(data)),
            #[cfg(not(feature = "rustcrypto"))]
            (_, Backend::Rust) => rust_backend::digest(hash, data),
        };
        let digest = settle(promise.map_err(|_| Error::CryptoUnavailable)?)
            .await
            .map_err(|_| Error::CryptoUnavailable)?;
        Ok(Uint8Array::new(&digest).to_vec())
    }
}

/// Verifies with WebCrypto.
pub struct WebCrypto(Subtle);

impl WebCrypto {
    /// Checks `signature` with an imported key.
    async fn verify(
        &self,
        alg: Alg,
        crypto_key: &JsValue,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let promise = self
            .0
            .verify(&cached_verify_params(alg), crypto_key, signature, message)
            .map_err(|_| Error::CryptoUnavailable)?;
        let ok = settle(promise)
            .await
            .map_err(|_| Error::CryptoUnavailable)?;
        if ok.as_bool() == Some(true) {
            Ok(())
        } else {
            Err(Error::SignatureInvalid)
        }
    }

    /// The cached `CryptoKey` for (key, alg), importing it on first use.
    async fn imported(&self, alg: Alg, key: &Jwk) -> Option<JsValue> {
        let cache_key = (key.thumbprint(), alg);
        if let Some(cached) = IMPORTED.with(|c| c.borrow().get(&cache_key)) {
            return cached;
        }
        let imported = self.import(alg, key).await;
        IMPORTED.with(|c| c.borrow_mut().insert(cache_key, imported.clone()));
        imported
    }

    async fn import(&self, alg: Alg, key: &Jwk) -> Option<JsValue> {
        // Only the required members: WebCrypto checks `alg`, `use` and `key_ops` against
        // the import parameters, and this crate has already applied those rules itself.
        let jwk = Object::new();
        for (name, value) in key.required_members() {
            set(&jwk, name, &JsValue::from_str(value));
        }
        let usages = Array::of1(&"verify".into());
        let promise = self
            .0
            .import_key("jwk", &jwk, &import_params(alg), false, &usages)
            .ok()?;
        settle(promise).await.ok()
    }
}

/// Sets a property on a plain object.
pub fn set(target: &Object, name: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(name), value);
}

/// A plain object with these members.
pub fn object(members: &[(&str, JsValue)]) -> Object {
    let out = Object::new();
    for (name, value) in members {
        set(&out, name, value);
    }
    out
}

/// The WebCrypto name of `alg`'s hash.
pub fn hash_name(alg: Alg) -> JsValue {
    JsValue::from_str(alg.hash().name())
}

/// The `importKey` algorithm for `alg` (WebCrypto §ECDSA, §RSASSA-PKCS1-v1_5, §RSA-PSS, §Ed25519).
fn import_params(alg: Alg) -> Object {
    match (alg, alg.key_kind()) {
        (_, KeyKind::P256) => object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]),
        (_, KeyKind::P384) => object(&[("name", "ECDSA".into()), ("namedCurve", "P-384".into())]),
        (Alg::Ps256 | Alg::Ps384 | Alg::Ps512, _) => {
            object(&[("name", "RSA-PSS".into()), ("hash", hash_name(alg))])
        }
        (_, KeyKind::Rsa) => object(&[
            ("name", "RSASSA-PKCS1-v1_5".into()),
            ("hash", hash_name(alg)),
        ]),
        (_, KeyKind::Ed25519) => object(&[("name", "Ed25519".into())]),
    }
}

fn cached_verify_params(alg: Alg) -> Object {
    // A list, not a map: nine algorithms at most, and no hashing code in the package.
    VERIFY_PARAMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, params)) = cache.iter().find(|(cached, _)| *cached == alg) {
            return params.clone();
        }
        let params = verify_params(alg);
        cache.push((alg, params.clone()));
        params
    })
}

/// The `verify` algorithm for `alg`; PSS salts are as long as the hash (RFC 7518 §3.5).
fn verify_params(alg: Alg) -> Object {
    match alg {
        Alg::Es256 | Alg::Es384 => object(&[("name", "ECDSA".into()), ("hash", hash_name(alg))]),
        Alg::Rs256 | Alg::Rs384 | Alg::Rs512 => object(&[("name", "RSASSA-PKCS1-v1_5".into())]),
        Alg::Ps256 => object(&[("name", "RSA-PSS".into()), ("saltLength", 32.into())]),
        Alg::Ps384 => object(&[("name", "RSA-PSS".into()), ("saltLength", 48.into())]),
        Alg::Ps512 => object(&[("name", "RSA-PSS".into()), ("saltLength", 64.into())]),
        Alg::EdDsa => object(&[("name", "Ed25519".into())]),
    }
}

/// The provider's signing keys as non-extractable WebCrypto `CryptoKey`s: native P-256,
/// RSA and Ed25519 instead of the same in wasm, for every token the provider signs. A key
/// the runtime will not import (Ed25519 on an older runtime) signs in wasm, with the same
/// result.
#[cfg(feature = "rustcrypto")]
pub struct WebCryptoSigner {
    subtle: Option<Subtle>,
    /// `(kid, alg, CryptoKey)` of each key that signs and was imported.
    imported: Vec<(String, Alg, JsValue)>,
    /// The keys themselves, for those the runtime refused.
    keys: crate::op::keys::SigningKeys,
}

#[cfg(feature = "rustcrypto")]
impl WebCryptoSigner {
    /// Imports every key of `keys` that signs, for signing only. Returns the signer and
    /// the `kid`s WebCrypto refused (those sign in wasm).
    pub async fn import(keys: &crate::op::keys::SigningKeys) -> (Self, Vec<String>) {
        let subtle = subtle();
        let mut imported = Vec::new();
        let mut refused = Vec::new();
        for (kid, key) in keys.signing() {
            let crypto_key = match &subtle {
                Some(subtle) => import_signing_key(subtle, key).await,
                None => None,
            };
            match crypto_key {
                Some(crypto_key) => imported.push((kid.to_owned(), key.alg(), crypto_key)),
                None => refused.push(kid.to_owned()),
            }
        }
        let signer = WebCryptoSigner {
            subtle,
            imported,
            keys: keys.clone(),
        };
        (signer, refused)
    }
}

/// `key` imported non-extractable for `sign`, or `None` if the runtime refused it.
#[cfg(feature = "rustcrypto")]
async fn import_signing_key(subtle: &Subtle, key: &crate::op::keys::PrivateKey) -> Option<JsValue> {
    let members = key.import_members();
    let jwk = Object::new();
    for (name, value) in &members {
        set(&jwk, name, &JsValue::from_str(value));
    }
    let usages = Array::of1(&"sign".into());
    let promise = subtle
        .import_key("jwk", &jwk, &import_params(key.alg()), false, &usages)
        .ok()?;
    settle(promise).await.ok()
}

#[cfg(feature = "rustcrypto")]
impl TokenSigner for WebCryptoSigner {
    fn sign<'a>(&'a self, kid: &'a str, alg: Alg, signing_input: &'a [u8]) -> SignatureFuture<'a> {
        let found = self.imported.iter().find(|(k, _, _)| k == kid);
        let (Some(subtle), Some((_, key_alg, key))) = (&self.subtle, found) else {
            return self.keys.sign(kid, alg, signing_input);
        };
        Box::pin(async move {
            if alg != *key_alg {
                return Err(Error::KeyAlgMismatch);
            }
            // The `sign` parameters are those of `verify` (WebCrypto §ECDSA, §RSA-PSS…).
            let promise = subtle
                .sign(&cached_verify_params(alg), key, signing_input)
                .map_err(|_| Error::CryptoUnavailable)?;
            let signature = settle(promise)
                .await
                .map_err(|_| Error::CryptoUnavailable)?;
            let signature = js_sys::Uint8Array::new(&signature).to_vec();
            // WebCrypto's ECDSA output is r || s, the JWS form (RFC 7518 §3.4).
            if alg == Alg::Es256 && signature.len() != 64 {
                return Err(Error::CryptoUnavailable);
            }
            Ok(signature)
        })
    }
}
