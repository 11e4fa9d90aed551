//! `dpopNonce` (RFC 9449 §8): the nonce a server hands out. It is synchronous (a Worker
//! calls it for every answer), so it stays in the core: `dpopErrorResponse` in
//! `server-module.js` mints one with it. Checking proofs is the resource-server module's
//! (`dpop_check.rs`); making them is `DpopKey`'s (`dpop-key.js`).

use wasm_bindgen::prelude::*;

use super::error::into_js_error;
use super::options::Options;
use crate::dpop::{NonceKey, nonce};

/// A fresh server nonce for the `DPoP-Nonce` header (RFC 9449 §8): stateless, an HMAC of
/// the current time step; `verifyDpopProof` with the same `nonceSecret` accepts it for
/// one to two steps.
#[wasm_bindgen(js_name = dpopNonce)]
pub fn dpop_nonce(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] secret: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "{ nonceStep?: number; currentTime?: number }")]
    options: JsValue,
) -> Result<String, JsValue> {
    // Anything but bytes is no secret: refused as a short one is, by `NonceKey::new`.
    let secret = secret
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
        .unwrap_or_default();
    let run = || {
        let options = Options::new(&options, &["nonceStep", "currentTime"])?;
        let step = options
            .seconds("nonceStep")?
            .unwrap_or(nonce::DEFAULT_STEP_SECONDS);
        Ok(NonceKey::new(&secret, step)?.current(options.now()?))
    };
    run().map_err(into_js_error)
}
