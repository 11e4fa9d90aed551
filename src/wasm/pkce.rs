//! `createPkce`, `pkceChallenge`, `randomToken`.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::error::{integer_arg, into_js_error};
use crate::pkce::{self, CodeVerifier, Pkce};
use crate::random;

#[wasm_bindgen(typescript_custom_section)]
const TS_PKCE: &'static str = r#"
/** A PKCE pair (RFC 7636). Keep `verifier` secret until the token request. */
export interface Pkce {
  verifier: string;
  challenge: string;
  method: "S256";
}
"#;

/// Creates a PKCE pair (RFC 7636 §4.1–4.2): a random verifier of `length` characters
/// (43–128, default 64) from the unreserved set, and its S256 challenge.
/// Throws `invalid_length` for any other length.
#[wasm_bindgen(js_name = createPkce, unchecked_return_type = "Pkce")]
pub fn create_pkce(
    #[wasm_bindgen(unchecked_optional_param_type = "number | null")] length: JsValue,
) -> Result<JsValue, JsValue> {
    let len = integer_arg(
        optional_number(&length),
        pkce::DEFAULT_VERIFIER_LEN,
        "verifier length",
        pkce::MIN_VERIFIER_LEN,
        pkce::MAX_VERIFIER_LEN,
    )?;
    let pair = Pkce::generate(len).map_err(into_js_error)?;
    let out = Object::new();
    for (key, value) in [
        ("verifier", pair.verifier.expose()),
        ("challenge", pair.challenge.as_str()),
        ("method", pair.method.as_str()),
    ] {
        Reflect::set(&out, &JsValue::from_str(key), &JsValue::from_str(value))?;
    }
    Ok(out.into())
}

/// The S256 code challenge of `verifier` (RFC 7636 §4.2). Throws
/// `pkce_verifier_length` or `pkce_verifier_charset` when the verifier breaks §4.1.
#[wasm_bindgen(js_name = pkceChallenge)]
pub fn pkce_challenge(
    #[wasm_bindgen(unchecked_param_type = "string")] verifier: JsValue,
) -> Result<String, JsValue> {
    // Anything but a string is no verifier: refused as the empty one is (§4.1, its length).
    let verifier =
        CodeVerifier::parse(&verifier.as_string().unwrap_or_default()).map_err(into_js_error)?;
    Ok(verifier.challenge().as_str().to_owned())
}

/// A base64url string of `bytes` random bytes (16–1024, default 32), for `state`,
/// `nonce` and similar values. Throws `invalid_length` for any other size.
#[wasm_bindgen(js_name = randomToken)]
pub fn random_token(
    #[wasm_bindgen(unchecked_optional_param_type = "number | null")] bytes: JsValue,
) -> Result<String, JsValue> {
    let n = integer_arg(
        optional_number(&bytes),
        random::DEFAULT_TOKEN_BYTES,
        "token bytes",
        random::MIN_TOKEN_BYTES,
        random::MAX_TOKEN_BYTES,
    )?;
    random::token(n).map_err(into_js_error)
}

/// An optional number argument as `integer_arg` reads it: `None` when left out (`undefined`
/// or `null`), and NaN (not an integer, so refused there) for anything that is not a number,
/// where the glue's own conversion would throw a `TypeError` (a BigInt, a Symbol) instead of
/// the package's error.
fn optional_number(value: &JsValue) -> Option<f64> {
    if value.is_undefined() || value.is_null() {
        None
    } else {
        Some(value.as_f64().unwrap_or(f64::NAN))
    }
}
