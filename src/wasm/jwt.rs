//! `verifyJwt`, `validateIdToken`, `validateAccessToken`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{JSON, Object, Reflect};
use serde_json::{Map, Value};

use wasm_bindgen::prelude::*;

use super::error::into_js_error;
use super::options::Options;
use super::webcrypto::Backend;
use crate::Error;
use crate::jose::JwkSet;
use crate::jose::jwt::{Validation, Verified, verify_with};
use crate::oidc::{
    AccessTokenExpectations, IdTokenExpectations, validate_access_token_with,
    validate_id_token_with,
};

#[wasm_bindgen(typescript_custom_section)]
const TS_JWT: &'static str = r#"
/** A JSON Web Key (RFC 7517). */
export type JWK = { kty: string; [member: string]: unknown };
/** A JSON Web Key Set (RFC 7517 §5). */
export type JWKS = { keys: JWK[] };

export interface VerifyOptions {
  /** Accepted `iss` value(s). */
  issuer?: string | string[];
  /** Accepted audience(s): `aud` must contain one. */
  audience?: string | string[];
  /** Algorithm allow-list (default: every asymmetric algorithm the key's type allows). */
  algorithms?: string[];
  /** Expected header `typ`, e.g. "at+jwt" (compared as a media type). */
  typ?: string;
  /** Seconds of clock skew tolerated on exp / nbf / iat (default 0). */
  clockTolerance?: number;
  /** Unix time in seconds to validate at (default: now). */
  currentTime?: number;
  /** Claims that must be present. */
  requiredClaims?: string[];
  /** "webcrypto" (default where the runtime has it) or "wasm" (pure Rust). */
  backend?: "webcrypto" | "wasm";
}

export interface IdTokenOptions {
  issuer: string;
  clientId: string;
  /** The nonce sent in the authentication request. */
  nonce?: string;
  /** The max_age sent, in seconds: auth_time is then required and checked. */
  maxAge?: number;
  /** The access token returned with the ID token: checks at_hash when present. */
  accessToken?: string;
  /** The authorization code: checks c_hash when present. */
  code?: string;
  algorithms?: string[];
  clockTolerance?: number;
  currentTime?: number;
  backend?: "webcrypto" | "wasm";
}

export interface AccessTokenOptions {
  issuer: string;
  /** This resource server's identifier: `aud` must contain it. */
  audience: string;
  /** Scopes the token must all carry. */
  requiredScopes?: string[];
  algorithms?: string[];
  clockTolerance?: number;
  currentTime?: number;
  backend?: "webcrypto" | "wasm";
}

export interface VerifiedJwt {
  header: { alg: string; kid?: string; typ?: string; [name: string]: unknown };
  payload: { [claim: string]: unknown };
}
"#;

const COMMON: [&str; 4] = ["algorithms", "clockTolerance", "currentTime", "backend"];

/// Verifies a JWT's signature with `keys` (a JWKS or one JWK) and its claims with
/// `options` (RFC 7519, RFC 8725). Resolves to `{ header, payload }`; rejects with an
/// error whose `code` says why (`signature_invalid`, `jwt_expired`, `alg_not_allowed`…).
#[wasm_bindgen(js_name = verifyJwt, unchecked_return_type = "Promise<VerifiedJwt>")]
pub async fn verify_jwt(
    token: &str,
    #[wasm_bindgen(unchecked_param_type = "JWKS | JWK")] keys: JsValue,
    #[wasm_bindgen(unchecked_param_type = "VerifyOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let run = async {
        let allowed = [
            &COMMON[..],
            &["issuer", "audience", "typ", "requiredClaims"],
        ]
        .concat();
        let options = Options::new(&options, &allowed)?;
        let validation = Validation {
            issuers: options.strings("issuer")?,
            audiences: options.strings("audience")?,
            algorithms: options.algorithms()?,
            typ: options.string("typ")?,
            clock_tolerance: options.seconds("clockTolerance")?.unwrap_or(0),
            required_claims: options.strings("requiredClaims")?,
        };
        let keys = key_set(&keys)?;
        let now = options.now()?;
        let backend = Backend::choose(options.prefers_wasm_backend()?);
        verify_with(token, &keys, &validation, now, &backend).await
    };
    run.await.map(header_and_payload).map_err(into_js_error)
}

/// Validates an OpenID Connect ID token (Core §3.1.3.7): signature, iss, aud, azp, exp,
/// iat, nonce, auth_time with max_age, at_hash and c_hash. Resolves to the claims.
#[wasm_bindgen(js_name = validateIdToken, unchecked_return_type = "Promise<{ [claim: string]: unknown }>")]
pub async fn validate_id_token(
    token: &str,
    #[wasm_bindgen(unchecked_param_type = "JWKS | JWK")] keys: JsValue,
    #[wasm_bindgen(unchecked_param_type = "IdTokenOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let run = async {
        let allowed = [
            &COMMON[..],
            &[
                "issuer",
                "clientId",
                "nonce",
                "maxAge",
                "accessToken",
                "code",
            ],
        ]
        .concat();
        let options = Options::new(&options, &allowed)?;
        let expected = IdTokenExpectations {
            issuer: options.required_string("issuer")?,
            client_id: options.required_string("clientId")?,
            nonce: options.string("nonce")?,
            max_age: options.seconds("maxAge")?,
            access_token: options.string("accessToken")?,
            code: options.string("code")?,
            algorithms: options.algorithms()?,
            clock_tolerance: options.seconds("clockTolerance")?.unwrap_or(0),
        };
        let keys = key_set(&keys)?;
        let now = options.now()?;
        let backend = Backend::choose(options.prefers_wasm_backend()?);
        validate_id_token_with(token, &keys, &expected, now, &backend).await
    };
    run.await
        .map(|verified| to_js(verified.claims().as_map()))
        .map_err(into_js_error)
}

/// Validates a JWT access token as a resource server (RFC 9068 §4): typ `at+jwt`,
/// signature, iss, aud, exp, required claims and scopes. Resolves to `{ header, payload }`.
#[wasm_bindgen(js_name = validateAccessToken, unchecked_return_type = "Promise<VerifiedJwt>")]
pub async fn validate_access_token(
    token: &str,
    #[wasm_bindgen(unchecked_param_type = "JWKS | JWK")] keys: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AccessTokenOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let run = async {
        let allowed = [&COMMON[..], &["issuer", "audience", "requiredScopes"]].concat();
        let options = Options::new(&options, &allowed)?;
        let expected = AccessTokenExpectations {
            issuer: options.required_string("issuer")?,
            audience: options.required_string("audience")?,
            required_scopes: options.strings("requiredScopes")?,
            algorithms: options.algorithms()?,
            clock_tolerance: options.seconds("clockTolerance")?.unwrap_or(0),
        };
        let keys = key_set(&keys)?;
        let now = options.now()?;
        let backend = Backend::choose(options.prefers_wasm_backend()?);
        validate_access_token_with(token, &keys, &expected, now, &backend).await
    };
    run.await.map(header_and_payload).map_err(into_js_error)
}

/// Most distinct key sets kept parsed; past it the cache starts over.
const MAX_CACHED_SETS: usize = 16;

thread_local! {
    /// Parsed key sets by their JSON text: parsing (and validating points) happens once
    /// per distinct JWKS, not once per token.
    static KEY_SETS: RefCell<HashMap<String, Rc<JwkSet>>> = RefCell::new(HashMap::new());
}

/// The parsed key set for a JS JWKS / JWK object (or its JSON text).
fn key_set(keys: &JsValue) -> Result<Rc<JwkSet>, Error> {
    let text = match keys.as_string() {
        Some(text) => text,
        None if keys.is_object() => JSON::stringify(keys)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or(Error::JwkInvalid {
                reason: "keys must be a JWKS or a JWK object",
            })?,
        None => {
            return Err(Error::JwkInvalid {
                reason: "keys must be a JWKS or a JWK object",
            });
        }
    };
    if let Some(set) = KEY_SETS.with(|c| c.borrow().get(&text).cloned()) {
        return Ok(set);
    }
    let set = Rc::new(JwkSet::from_json(text.as_bytes())?);
    KEY_SETS.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= MAX_CACHED_SETS {
            cache.clear();
        }
        cache.insert(text, set.clone());
    });
    Ok(set)
}

fn header_and_payload(verified: Verified) -> JsValue {
    let (header, claims) = verified.into_parts();
    let out = Object::new();
    let _ = Reflect::set(&out, &"header".into(), &to_js(&header.raw));
    let _ = Reflect::set(&out, &"payload".into(), &to_js(claims.as_map()));
    out.into()
}

/// A JSON object as a plain JS object (through JSON text: exact, and fast in engines).
fn to_js(map: &Map<String, Value>) -> JsValue {
    let text = serde_json::to_string(map).unwrap_or_default();
    JSON::parse(&text).unwrap_or(JsValue::NULL)
}
