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
pub fn create_pkce(length: Option<f64>) -> Result<JsValue, JsValue> {
    let len = integer_arg(
        length,
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
pub fn pkce_challenge(verifier: &str) -> Result<String, JsValue> {
    let verifier = CodeVerifier::parse(verifier).map_err(into_js_error)?;
    Ok(verifier.challenge().as_str().to_owned())
}

/// A base64url string of `bytes` random bytes (16–1024, default 32), for `state`,
/// `nonce` and similar values. Throws `invalid_length` for any other size.
#[wasm_bindgen(js_name = randomToken)]
pub fn random_token(bytes: Option<f64>) -> Result<String, JsValue> {
    let n = integer_arg(
        bytes,
        random::DEFAULT_TOKEN_BYTES,
        "token bytes",
        random::MIN_TOKEN_BYTES,
        random::MAX_TOKEN_BYTES,
    )?;
    random::token(n).map_err(into_js_error)
}
