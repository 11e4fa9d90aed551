//! Core errors as JavaScript `OidcEdgeError` objects with a stable `code`.

use wasm_bindgen::prelude::*;

use crate::Error;

#[wasm_bindgen(module = "/src/wasm/error.js")]
extern "C" {
    /// The package's one error class (src/wasm/error.js): errors made here are the same
    /// class as those the package's JavaScript throws, so `instanceof` holds for both.
    type OidcEdgeError;

    #[wasm_bindgen(constructor)]
    fn new(code: &str, message: &str) -> OidcEdgeError;
}

// The class is declared in error.d.ts, shipped beside this module's declarations.
#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR: &'static str = r#"
import type { OidcEdgeError } from "./error.js";
"#;

/// An `OidcEdgeError` with `code` set to the core error's code.
pub fn into_js_error(err: Error) -> JsValue {
    OidcEdgeError::new(err.code(), &err.message()).into()
}

/// Reads an optional JS number argument (`createPkce`, `randomToken`) as an integer in `min..=max`.
///
/// wasm-bindgen's own integer conversion would wrap `-1` to 4294967295 and truncate
/// `64.5` to 64; taking an `f64` and checking it here rejects both with a clear error.
#[cfg(feature = "js-page")]
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
