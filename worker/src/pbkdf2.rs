//! PBKDF2-HMAC-SHA256 through the runtime's WebCrypto (`crypto.subtle.deriveBits`):
//! native code, so a 100,000-iteration password check fits the Workers CPU budget where
//! the same work in wasm would not.

use oidc_edge::Error;
use oidc_edge::op::password::Pbkdf2;
use web_sys::{SubtleCrypto, WorkerGlobalScope};
use worker::js_sys::{Array, Object, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// WebCrypto PBKDF2.
pub struct WebCryptoPbkdf2;

fn subtle() -> Result<SubtleCrypto, Error> {
    let scope: WorkerGlobalScope = worker::js_sys::global().unchecked_into();
    Ok(scope
        .crypto()
        .map_err(|_| Error::CryptoUnavailable)?
        .subtle())
}

fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), Error> {
    Reflect::set(object, &JsValue::from_str(name), value)
        .map(|_| ())
        .map_err(|_| Error::CryptoUnavailable)
}

impl Pbkdf2 for WebCryptoPbkdf2 {
    async fn derive(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], Error> {
        let subtle = subtle()?;
        let unavailable = |_| Error::CryptoUnavailable;
        let usages = Array::of1(&JsValue::from_str("deriveBits"));
        let key = JsFuture::from(
            subtle
                .import_key_with_str("raw", &Uint8Array::from(password), "PBKDF2", false, &usages)
                .map_err(unavailable)?,
        )
        .await
        .map_err(unavailable)?;
        let params = Object::new();
        set(&params, "name", &"PBKDF2".into())?;
        set(&params, "hash", &"SHA-256".into())?;
        set(&params, "salt", &Uint8Array::from(salt))?;
        set(&params, "iterations", &JsValue::from(iterations))?;
        let bits = JsFuture::from(
            subtle
                .derive_bits_with_object(&params, &key.unchecked_into(), 256)
                .map_err(unavailable)?,
        )
        .await
        .map_err(unavailable)?;
        Uint8Array::new(&bits)
            .to_vec()
            .try_into()
            .map_err(|_| Error::CryptoUnavailable)
    }
}
