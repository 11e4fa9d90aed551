//! Core errors as JavaScript `Error` objects with a stable `code`.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::Error;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR: &'static str = r#"
/** Every error thrown by this package: a plain `Error` with a stable machine-readable `code`. */
export interface OidcEdgeError extends Error {
  name: "OidcEdgeError";
  /** Stable code, e.g. "pkce_verifier_length", "invalid_length", "jwt_expired". */
  code: string;
}
"#;

/// A JS `Error` named `OidcEdgeError` with `code` set to the core error's code.
pub fn into_js_error(err: Error) -> JsValue {
    let js = js_sys::Error::new(&err.message());
    js.set_name("OidcEdgeError");
    // Reflect::set on a fresh, non-frozen Error object cannot fail.
    let _ = Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(err.code()),
    );
    js.into()
}

/// Reads an optional JS number argument as an integer in `min..=max`.
///
/// wasm-bindgen's own integer conversion would wrap `-1` to 4294967295 and truncate
/// `64.5` to 64; taking an `f64` and checking it here rejects both with a clear error.
pub fn integer_arg(
    value: Option<f64>,
    default: usize,
    what: &'static str,
    min: usize,
    max: usize,
) -> Result<usize, JsValue> {
    let Some(value) = value else {
        return Ok(default);
    };
    let out_of_range = || into_js_error(Error::InvalidLength { what, min, max });
    if value.fract() != 0.0 || value < min as f64 || value > max as f64 {
        return Err(out_of_range());
    }
    // Exact: `value` is an integer within min..=max, both small usizes.
    Ok(value as usize)
}
