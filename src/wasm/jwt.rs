//! `verifyJwt`, `validateIdToken` and `createKeySet` (the core a page loads, feature
//! `js-page`), `validateAccessToken` (the resource-server module, `js-server`: a signing-in
//! page never checks an access token). Both modules read key sets the same way.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{JSON, Promise};
#[cfg(feature = "js-page")]
use js_sys::{Object, WeakMap};
use wasm_bindgen::prelude::*;

use super::error::into_js_error;
use super::job::spawn;
use super::options::{self, Options};
use super::webcrypto::Backend;
use crate::Error;
use crate::cache::SmallCache;
use crate::jose::JwkSet;
use crate::jose::jwt::Verified;
#[cfg(feature = "js-page")]
use crate::jose::jwt::{Validation, verify_with};
#[cfg(feature = "js-server")]
use crate::oidc::{AccessTokenExpectations, validate_access_token_with};
#[cfg(feature = "js-page")]
use crate::oidc::{IdTokenExpectations, validate_id_token_with};

#[wasm_bindgen(typescript_custom_section)]
const TS_JWT: &'static str = r#"
/** A JSON Web Key (RFC 7517). */
export type JWK = { kty: string; [member: string]: unknown };
/** A JSON Web Key Set (RFC 7517 §5). */
export type JWKS = { keys: JWK[] };
/** A key set made by `createKeySet`: a deep-frozen copy of a JWKS, checked once. */
export type KeySet = Readonly<JWKS> & { readonly __oidcEdgeKeySet: never };

/** A JWS header (RFC 7515 §4.1). */
export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [parameter: string]: unknown;
}

/** A JWT's claims: the registered ones (RFC 7519 §4.1), of the types the checks enforce. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** NumericDate: seconds since the Unix epoch. */
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** The claims of an ID token that `validateIdToken` accepted (OpenID Connect Core §2). */
export interface IdTokenClaims extends JwtClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  /** Checked against `maxAge` when given. */
  auth_time?: number;
  /** Checked against `nonce` when given. */
  nonce?: string;
  /** The client the token was issued to (Core §3.1.3.7 steps 4-5). */
  azp?: string;
  // Standard, but their types are not checked: test them before use.
  acr?: unknown;
  amr?: unknown;
  at_hash?: unknown;
  c_hash?: unknown;
  /** Session ID (OpenID Connect Front-Channel / Back-Channel Logout). */
  sid?: unknown;
}

/** The claims of an access token that `validateAccessToken` accepted (RFC 9068 §2.2). */
export interface AccessTokenClaims extends JwtClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  /** Space-separated scopes (RFC 9068 §2.2.3). */
  scope?: string;
  // Standard, but their types are not checked: test them before use.
  auth_time?: unknown;
  acr?: unknown;
  amr?: unknown;
  /** Confirmation (RFC 7800): `jkt` for a DPoP-bound token (RFC 9449 §6.1). */
  cnf?: unknown;
}

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
  /** Default true: a token without `exp` is refused (`jwt_claim_missing`). false accepts
   *  tokens that never expire; `exp`, when present, is checked either way. */
  requireExp?: boolean;
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

export interface VerifiedJwt<Claims extends JwtClaims = JwtClaims> {
  header: JwsHeader;
  payload: Claims;
}
"#;

const COMMON: [&str; 4] = ["algorithms", "clockTolerance", "currentTime", "backend"];

/// Which token rules a call applies.
#[derive(Clone, Copy)]
enum Profile {
    /// RFC 7519 / RFC 8725 with the caller's options.
    #[cfg(feature = "js-page")]
    Jwt,
    /// OpenID Connect Core §3.1.3.7.
    #[cfg(feature = "js-page")]
    IdToken,
    /// RFC 9068 §4.
    #[cfg(feature = "js-server")]
    AccessToken,
}

/// Verifies a JWT's signature with `keys` (a JWKS or one JWK) and its claims with
/// `options` (RFC 7519, RFC 8725): `exp` is required unless `requireExp: false`. Resolves
/// to `{ header, payload }`; rejects with an error whose `code` says why
/// (`signature_invalid`, `jwt_expired`, `alg_not_allowed`…).
#[cfg(feature = "js-page")]
#[wasm_bindgen(js_name = verifyJwt, unchecked_return_type = "Promise<VerifiedJwt>")]
pub fn verify_jwt(
    token: String,
    #[wasm_bindgen(unchecked_param_type = "KeySet | JWKS | JWK")] keys: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyOptions")] options: JsValue,
) -> Promise {
    spawn(check(Profile::Jwt, token, keys, options))
}

/// Validates an OpenID Connect ID token (Core §3.1.3.7): signature, iss, aud, azp, exp,
/// iat, nonce, auth_time with max_age, at_hash and c_hash. Resolves to the claims.
#[cfg(feature = "js-page")]
#[wasm_bindgen(js_name = validateIdToken, unchecked_return_type = "Promise<IdTokenClaims>")]
pub fn validate_id_token(
    token: String,
    #[wasm_bindgen(unchecked_param_type = "KeySet | JWKS | JWK")] keys: JsValue,
    #[wasm_bindgen(unchecked_param_type = "IdTokenOptions")] options: JsValue,
) -> Promise {
    spawn(check(Profile::IdToken, token, keys, options))
}

/// Validates a JWT access token as a resource server (RFC 9068 §4): typ `at+jwt`,
/// signature, iss, aud, exp, required claims and scopes. Resolves to `{ header, payload }`.
#[cfg(feature = "js-server")]
#[wasm_bindgen(
    js_name = validateAccessToken,
    unchecked_return_type = "Promise<VerifiedJwt<AccessTokenClaims>>"
)]
pub fn validate_access_token(
    token: String,
    #[wasm_bindgen(unchecked_param_type = "KeySet | JWKS | JWK")] keys: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AccessTokenOptions")] options: JsValue,
) -> Promise {
    spawn(check(Profile::AccessToken, token, keys, options))
}

/// The three exports in one future type, so the package carries one state machine instead
/// of three (the package is size-sensitive). Run by [`spawn`]: everything up to the
/// WebCrypto calls happens inside the exported call.
async fn check(
    profile: Profile,
    token: String,
    keys: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let allowed: &[&str] = match profile {
        #[cfg(feature = "js-page")]
        Profile::Jwt => &["issuer", "audience", "typ", "requiredClaims", "requireExp"],
        #[cfg(feature = "js-page")]
        Profile::IdToken => &[
            "issuer",
            "clientId",
            "nonce",
            "maxAge",
            "accessToken",
            "code",
        ],
        #[cfg(feature = "js-server")]
        Profile::AccessToken => &["issuer", "audience", "requiredScopes"],
    };
    let run = async {
        let options = Options::new(&options, &[&COMMON[..], allowed].concat())?;
        let algorithms = options.algorithms()?;
        let clock_tolerance = options.seconds("clockTolerance")?.unwrap_or(0);
        let keys = key_set(&keys)?;
        let now = options.now()?;
        let backend = Backend::choose(options.prefers_wasm_backend()?);
        match profile {
            #[cfg(feature = "js-page")]
            Profile::Jwt => {
                let mut required_claims = options.strings("requiredClaims")?;
                // A token that never expires is valid for whoever holds it, forever: refused
                // unless asked for, as the ID-token and access-token rules always do.
                if options.boolean("requireExp")?.unwrap_or(true)
                    && !required_claims.iter().any(|name| name == "exp")
                {
                    required_claims.push("exp".to_owned());
                }
                let validation = Validation {
                    issuers: options.strings("issuer")?,
                    audiences: options.strings("audience")?,
                    algorithms,
                    typ: options.string("typ")?,
                    clock_tolerance,
                    required_claims,
                };
                verify_with(&token, &keys, &validation, now, &backend)
                    .await
                    .map(header_and_payload)
            }
            #[cfg(feature = "js-page")]
            Profile::IdToken => {
                let expected = IdTokenExpectations {
                    issuer: options.required_string("issuer")?,
                    client_id: options.required_string("clientId")?,
                    nonce: options.string("nonce")?,
                    max_age: options.seconds("maxAge")?,
                    access_token: options.string("accessToken")?,
                    code: options.string("code")?,
                    algorithms,
                    clock_tolerance,
                };
                validate_id_token_with(&token, &keys, &expected, now, &backend)
                    .await
                    .map(|verified| parse_json(verified.claims().json()))
            }
            #[cfg(feature = "js-server")]
            Profile::AccessToken => {
                let expected = AccessTokenExpectations {
                    issuer: options.required_string("issuer")?,
                    audience: options.required_string("audience")?,
                    required_scopes: options.strings("requiredScopes")?,
                    algorithms,
                    clock_tolerance,
                };
                validate_access_token_with(&token, &keys, &expected, now, &backend)
                    .await
                    .map(header_and_payload)
            }
        }
    };
    run.await.map_err(into_js_error)
}

/// Most distinct key sets kept parsed; past it the cache starts over.
const MAX_CACHED_SETS: usize = 16;

thread_local! {
    /// Parsed key sets by their JSON text: parsing happens once per distinct JWKS, not
    /// once per token.
    static KEY_SETS: RefCell<SmallCache<String, Rc<JwkSet>>> =
        RefCell::new(SmallCache::new(MAX_CACHED_SETS));

    /// The number of each key set `createKeySet` made, by the (frozen) object itself: a
    /// verification with one of them finds its parsed form without copying or hashing its
    /// text. Entries go with the objects. (The resource-server module, which makes no sets,
    /// reads them as plain objects: `plain_sets`.)
    #[cfg(feature = "js-page")]
    static MADE_SETS: WeakMap = WeakMap::new();

    /// Parsed `createKeySet` sets by number, and the last number given. Numbers are never
    /// reused (2^53 of them fit a JS number exactly), so a number in a set's entry can
    /// only ever find that set.
    #[cfg(feature = "js-page")]
    static MADE_PARSED: RefCell<(SmallCache<u64, Rc<JwkSet>>, u64)> =
        RefCell::new((SmallCache::new(MAX_CACHED_SETS), 0));
}

const NOT_KEYS: Error = Error::JwkInvalid {
    reason: "keys must be a JWKS or a JWK object",
};

/// Checks a JWKS (or one JWK) once and returns a deep-frozen copy of it to pass to
/// `verifyJwt`, `validateIdToken` and `validateAccessToken`: what `jose`'s
/// `createLocalJWKSet` is to `jwtVerify`. Plain JWKS objects work too, at the cost of a
/// `JSON.stringify` per call to find their parsed form; a frozen copy cannot change after
/// it was checked, so it needs none. Throws `jwk_invalid`… for a set that does not parse.
#[cfg(feature = "js-page")]
#[wasm_bindgen(js_name = createKeySet, unchecked_return_type = "KeySet")]
pub fn create_key_set(
    #[wasm_bindgen(unchecked_param_type = "JWKS | JWK")] keys: JsValue,
) -> Result<JsValue, JsValue> {
    let text = json_text(&keys).map_err(into_js_error)?;
    let set = parsed(text.clone()).map_err(into_js_error)?;
    let copy = JSON::parse(&text).map_err(|_| into_js_error(NOT_KEYS))?;
    deep_freeze(&copy);
    let number = MADE_PARSED.with(|made| {
        let (_, next) = &mut *made.borrow_mut();
        // A u64 counter: 2^64 sets are never made.
        *next = next.saturating_add(1);
        *next
    });
    remember_made(number, set);
    MADE_SETS.with(|made| made.set(copy.unchecked_ref(), &JsValue::from_f64(number as f64)));
    Ok(copy)
}

/// Keeps the parsed form of made set `number`; past [`MAX_CACHED_SETS`] the others go (a
/// set whose parsed form went is parsed again from its frozen copy when next used).
#[cfg(feature = "js-page")]
fn remember_made(number: u64, set: Rc<JwkSet>) {
    MADE_PARSED.with(|made| made.borrow_mut().0.insert(number, set));
}

/// Freezes an object and everything in it (a JWK's members are strings and arrays).
#[cfg(feature = "js-page")]
fn deep_freeze(value: &JsValue) {
    if let Some(object) = value.dyn_ref::<Object>() {
        for member in Object::values(object).iter() {
            deep_freeze(&member);
        }
        Object::freeze(object);
    }
}

/// The JSON text of a key set: the string itself, or `JSON.stringify` of the object.
fn json_text(keys: &JsValue) -> Result<String, Error> {
    if !keys.is_string() && !keys.is_object() {
        return Err(NOT_KEYS);
    }
    options::json_text(keys, NOT_KEYS)
}

/// The parsed key set for a `createKeySet` result, a JS JWKS / JWK object, or JSON text.
fn key_set(keys: &JsValue) -> Result<Rc<JwkSet>, Error> {
    #[cfg(feature = "js-page")]
    if let Some(set) = made_set(keys)? {
        return Ok(set);
    }
    super::plain_sets::parsed(keys, || json_text(keys), parsed)
}

/// The parsed form of a set `createKeySet` made, or `None` for any other value.
#[cfg(feature = "js-page")]
fn made_set(keys: &JsValue) -> Result<Option<Rc<JwkSet>>, Error> {
    // `is_object` is a `typeof` test; `dyn_ref::<Object>` would be an `instanceof` call.
    let made = keys
        .is_object()
        .then(|| MADE_SETS.with(|made| made.get(keys.unchecked_ref()).as_f64()))
        .flatten();
    let Some(number) = made else {
        return Ok(None);
    };
    let number = number as u64;
    if let Some(set) = MADE_PARSED.with(|made| made.borrow().0.get(&number)) {
        return Ok(Some(set));
    }
    let set = parsed(json_text(keys)?)?;
    remember_made(number, set.clone());
    Ok(Some(set))
}

/// The parsed key set of a JSON text, from the cache when it was seen before.
fn parsed(text: String) -> Result<Rc<JwkSet>, Error> {
    if let Some(set) = KEY_SETS.with(|c| c.borrow().get(&text)) {
        return Ok(set);
    }
    let set = Rc::new(JwkSet::from_json(text.as_bytes())?);
    KEY_SETS.with(|c| c.borrow_mut().insert(text, set.clone()));
    Ok(set)
}

/// `{ header, payload }` in one `JSON.parse`: both texts are single objects the strict
/// parser accepted, so splicing them into one object's text is exact (and one call into
/// JS instead of five).
fn header_and_payload(verified: Verified) -> JsValue {
    let (header, claims) = verified.into_parts();
    let mut text = String::with_capacity(
        header
            .json
            .len()
            .saturating_add(claims.json().len())
            .saturating_add(24),
    );
    for part in [
        r#"{"header":"#,
        &header.json,
        r#","payload":"#,
        claims.json(),
        "}",
    ] {
        text.push_str(part);
    }
    parse_json(&text)
}

/// The engine's own `JSON.parse` of text already checked by the strict parser (one
/// object, no repeated names): exact, fast, and no serializer in the package.
fn parse_json(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::NULL)
}
