//! `DpopKey`, `verifyDpopProof`, `dpopNonce`, `dpopErrorResponse` (RFC 9449).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::error::into_js_error;
use super::job::{settled, spawn};
use super::options::{self, Options};
use super::rust_backend;
use super::settle::settle;
use super::webcrypto::{Backend, Subtle, hash_name, object, set, subtle};
use crate::Error;
use crate::dpop::check::{self, NoncePolicy, ProofCheck};
use crate::dpop::proof::{self, ProofClaims};
use crate::dpop::{NonceKey, nonce};
use crate::jose::{Alg, Jwk, KeyKind};
use crate::store::MemoryStore;
use crate::time::{Clock, SystemClock, UnixTime};

#[wasm_bindgen(module = "/src/wasm/idb.js")]
extern "C" {
    // Both are async JS functions: failures reject the promise, they never throw.
    #[wasm_bindgen(js_name = idbPut)]
    fn idb_put(name: &str, record: JsValue) -> Promise;
    #[wasm_bindgen(js_name = idbGet)]
    fn idb_get(name: &str) -> Promise;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_DPOP: &'static str = r#"
export interface DpopProofInput {
  /** The request method, e.g. "POST". */
  htm: string;
  /** The request URI; query and fragment are dropped (RFC 9449 §4.2). */
  htu: string;
  /** The access token the request carries: adds `ath`. */
  accessToken?: string;
  /** The server's latest `DPoP-Nonce`. */
  nonce?: string;
  /** Issue time in Unix seconds (default: now). */
  iat?: number;
}

export interface DpopCheck {
  /** The request method. */
  htm: string;
  /** The request URI (query and fragment ignored). */
  htu: string;
  /** The access token presented with the proof: `ath` must match. Requires `jkt`: a
   *  proof only shows that its sender holds the key the token is bound to once that key
   *  is compared (RFC 9449 §7.1). */
  accessToken?: string;
  /** The token's `cnf.jkt`: the proof key's thumbprint must match. Required with
   *  `accessToken`; at a token endpoint, the `dpop_jkt` of the authorization request. */
  jkt?: string;
  /** Require exactly this nonce. */
  nonce?: string;
  /** Require a nonce made by `dpopNonce` with this secret (current or previous step). */
  nonceSecret?: Uint8Array;
  /** Nonce time step in seconds (default 300). */
  nonceStep?: number;
  /** Accepted algorithms (default: all asymmetric JWS algorithms). */
  algorithms?: string[];
  /** Oldest accepted `iat`, seconds before now (default 300): jose's `maxTokenAge`. */
  maxTokenAge?: number;
  /** Accepted clock skew in seconds (default 5). */
  clockTolerance?: number;
  /** Unix time in seconds to check at (default: now). */
  currentTime?: number;
  /** Remember each `jti` in this process to refuse replays (default true). Turn off only
   *  when you record `jti` yourself, e.g. in shared storage. */
  replayCheck?: boolean;
  /** "webcrypto" (default where the runtime has it) or "wasm" (pure Rust). */
  backend?: "webcrypto" | "wasm";
}

export interface DpopErrorOptions {
  /** "resource" (401 + WWW-Authenticate, RFC 9449 §7.1) or "token" (400 JSON, §5). */
  endpoint?: "resource" | "token";
  /** Algorithms to list in the challenge. */
  algorithms?: string[];
  /** With `use_dpop_nonce`: the secret to mint the `DPoP-Nonce` header from. */
  nonceSecret?: Uint8Array;
  /** The URL of the resource's RFC 9728 metadata document, named in the challenge as
   *  `resource_metadata` (RFC 9728 §5.1). */
  resourceMetadata?: string;
  nonceStep?: number;
  currentTime?: number;
}

export interface DpopErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description?: string };
}
"#;

/// The signing half of a DPoP key.
#[derive(Clone)]
enum Signer {
    /// A non-extractable WebCrypto `CryptoKey`.
    WebCrypto {
        subtle: Subtle,
        private_key: JsValue,
    },
    /// A P-256 key held in wasm memory, as its private JWK's JSON text: what the pure-Rust
    /// backend signs with (`rust_backend`).
    Wasm(Rc<Zeroizing<String>>),
}

/// A DPoP key pair (P-256, ES256). In browsers the private key is a non-extractable
/// WebCrypto key that can be kept in IndexedDB; the `wasm` backend holds it in Rust for
/// runtimes without WebCrypto and for fixed test keys.
#[wasm_bindgen]
pub struct DpopKey {
    signer: Signer,
    public: Jwk,
    thumbprint: String,
}

fn unsupported(reason: &'static str) -> Error {
    Error::InvalidOption {
        name: "backend".into(),
        reason,
    }
}

#[wasm_bindgen]
impl DpopKey {
    /// Creates a new key. `backend` defaults to "webcrypto" where the runtime has it;
    /// `extractable` (default false) only applies to WebCrypto keys.
    #[wasm_bindgen(unchecked_return_type = "Promise<DpopKey>")]
    pub fn generate(
        #[wasm_bindgen(
            unchecked_optional_param_type = "{ backend?: \"webcrypto\" | \"wasm\"; extractable?: boolean }"
        )]
        options: JsValue,
    ) -> Promise {
        spawn(async move {
            let run = async {
                let options = Options::new(&options, &["backend", "extractable"])?;
                let extractable = options.boolean("extractable")?.unwrap_or(false);
                match (options.string("backend")?.as_deref(), subtle()) {
                    (None | Some("webcrypto"), Some(subtle)) => {
                        generate_webcrypto(subtle, extractable).await
                    }
                    (Some("webcrypto"), None) => Err(unsupported("this runtime has no WebCrypto")),
                    (None | Some("wasm"), _) => generate_wasm().await,
                    (Some(_), _) => Err(unsupported("must be \"webcrypto\" or \"wasm\"")),
                }
            };
            run.await.map(JsValue::from).map_err(into_js_error)
        })
    }

    /// A key from a private P-256 JWK (`kty`, `crv`, `x`, `y`, `d`), on the wasm backend.
    #[wasm_bindgen(js_name = importJwk, unchecked_return_type = "Promise<DpopKey>")]
    pub fn import_jwk(
        #[wasm_bindgen(unchecked_param_type = "JWK")] private_jwk: JsValue,
    ) -> Promise {
        let text = json_text(&private_jwk).map(Zeroizing::new);
        spawn(async move {
            let run = async {
                let text = text?;
                let jwk = Jwk::from_json(text.as_bytes())?;
                if jwk.kind() != KeyKind::P256 || !jwk.is_private() {
                    return Err(Error::JwkInvalid {
                        reason: "a DPoP key must be a private P-256 JWK",
                    });
                }
                rust_backend::check_key(&text).await?;
                Ok(DpopKey::new(Signer::Wasm(Rc::new(text)), jwk.to_public()))
            };
            run.await.map(JsValue::from).map_err(into_js_error)
        })
    }

    /// The RFC 7638 thumbprint of the public key: what tokens are bound to (`cnf.jkt`).
    #[wasm_bindgen(getter)]
    pub fn thumbprint(&self) -> String {
        self.thumbprint.clone()
    }

    /// "webcrypto" or "wasm".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        match self.signer {
            Signer::WebCrypto { .. } => "webcrypto".into(),
            Signer::Wasm(_) => "wasm".into(),
        }
    }

    /// The private `CryptoKey` of a WebCrypto key (non-extractable unless generated with
    /// `extractable: true`), or `undefined` for the wasm backend.
    #[wasm_bindgen(getter, js_name = cryptoKey, unchecked_return_type = "CryptoKey | undefined")]
    pub fn crypto_key(&self) -> JsValue {
        match &self.signer {
            Signer::WebCrypto { private_key, .. } => private_key.clone(),
            Signer::Wasm(_) => JsValue::UNDEFINED,
        }
    }

    /// The public JWK (`kty`, `crv`, `x`, `y`), as it appears in proofs.
    #[wasm_bindgen(js_name = publicJwk, unchecked_return_type = "JWK")]
    pub fn public_jwk(&self) -> JsValue {
        let out = Object::new();
        for (name, value) in self.public.required_members() {
            set(&out, name, &JsValue::from_str(value));
        }
        out.into()
    }

    /// A DPoP proof JWT for one request (RFC 9449 §4.2): `typ` dpop+jwt, ES256, the public
    /// `jwk`, `htm`, normalised `htu`, `iat`, a fresh `jti`, and `ath` / `nonce` when given.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn proof(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DpopProofInput")] input: JsValue,
    ) -> Promise {
        // The job outlives this call: it takes its own handles to the key.
        let signer = self.signer.clone();
        let public = self.public.clone();
        spawn(async move {
            let run = async {
                let options = Options::new(&input, &["htm", "htu", "accessToken", "nonce", "iat"])?;
                let htm = options.required_string("htm")?;
                let htu = options.required_string("htu")?;
                let access_token = options.string("accessToken")?;
                let nonce = options.string("nonce")?;
                let iat = options
                    .seconds("iat")?
                    .map(UnixTime)
                    .unwrap_or_else(|| SystemClock.now());
                let claims = ProofClaims {
                    htm: &htm,
                    htu: &htu,
                    iat,
                    access_token: access_token.as_deref(),
                    nonce: nonce.as_deref(),
                };
                let input = proof::signing_input(&public, Alg::Es256, &claims)?;
                let signature = match &signer {
                    Signer::Wasm(jwk) => rust_backend::sign_es256(jwk, input.as_bytes()).await?,
                    Signer::WebCrypto {
                        subtle,
                        private_key,
                    } => {
                        let params =
                            object(&[("name", "ECDSA".into()), ("hash", hash_name(Alg::Es256))]);
                        let promise = subtle
                            .sign(&params, private_key, input.as_bytes())
                            .map_err(|_| Error::CryptoUnavailable)?;
                        let signature = settle(promise)
                            .await
                            .map_err(|_| Error::CryptoUnavailable)?;
                        Uint8Array::new(&signature).to_vec()
                    }
                };
                Ok(crate::jose::jws::assemble(&input, &signature))
            };
            run.await.map(JsValue::from).map_err(into_js_error)
        })
    }

    /// Stores the key in IndexedDB under `name` (browsers). Only WebCrypto keys can be
    /// saved: their private half stays a non-extractable `CryptoKey`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn save(&self, name: &str) -> Promise {
        let Signer::WebCrypto { private_key, .. } = &self.signer else {
            return settled(Err(into_js_error(unsupported(
                "only WebCrypto keys can be saved",
            ))));
        };
        let record = object(&[
            ("privateKey", private_key.clone()),
            ("publicJwk", self.public_jwk()),
        ]);
        let stored = idb_put(name, record.into());
        spawn(async move { settle(stored).await.map(|_| JsValue::UNDEFINED) })
    }

    /// The key saved under `name`, or `null`.
    #[wasm_bindgen(unchecked_return_type = "Promise<DpopKey | null>")]
    pub fn load(name: &str) -> Promise {
        let stored = idb_get(name);
        spawn(async move { load_record(settle(stored).await?) })
    }
}

/// A `DpopKey` from the IndexedDB record `save` wrote, or `null` when there is none.
fn load_record(record: JsValue) -> Result<JsValue, JsValue> {
    if record.is_undefined() || record.is_null() {
        // `null`, as the contract says (an `Option` would come out as `undefined`).
        return Ok(JsValue::NULL);
    }
    let run = || {
        let subtle = subtle().ok_or(unsupported("this runtime has no WebCrypto"))?;
        let private_key =
            Reflect::get(&record, &"privateKey".into()).map_err(|_| Error::JwkInvalid {
                reason: "stored DPoP key record is damaged",
            })?;
        let public = Reflect::get(&record, &"publicJwk".into()).map_err(|_| Error::JwkInvalid {
            reason: "stored DPoP key record is damaged",
        })?;
        let public = Jwk::from_json(json_text(&public)?.as_bytes())?;
        Ok(JsValue::from(DpopKey::new(
            Signer::WebCrypto {
                subtle,
                private_key,
            },
            public,
        )))
    };
    run().map_err(into_js_error)
}

impl DpopKey {
    fn new(signer: Signer, public: Jwk) -> DpopKey {
        let thumbprint = public.thumbprint();
        DpopKey {
            signer,
            public,
            thumbprint,
        }
    }
}

async fn generate_webcrypto(subtle: Subtle, extractable: bool) -> Result<DpopKey, Error> {
    let params = object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]);
    let usages = Array::of2(&"sign".into(), &"verify".into());
    let promise = subtle
        .generate_key(&params, extractable, &usages)
        .map_err(|_| Error::CryptoUnavailable)?;
    let pair = settle(promise)
        .await
        .map_err(|_| Error::CryptoUnavailable)?;
    let private_key =
        Reflect::get(&pair, &"privateKey".into()).map_err(|_| Error::CryptoUnavailable)?;
    let public_key =
        Reflect::get(&pair, &"publicKey".into()).map_err(|_| Error::CryptoUnavailable)?;
    let exported = subtle
        .export_key("jwk", &public_key)
        .map_err(|_| Error::CryptoUnavailable)?;
    let public_jwk = settle(exported)
        .await
        .map_err(|_| Error::CryptoUnavailable)?;
    let public = Jwk::from_json(json_text(&public_jwk)?.as_bytes())?;
    Ok(DpopKey::new(
        Signer::WebCrypto {
            subtle,
            private_key,
        },
        public.to_public(),
    ))
}

async fn generate_wasm() -> Result<DpopKey, Error> {
    let text = rust_backend::generate_p256().await?;
    let jwk = Jwk::from_json(text.as_bytes())?;
    Ok(DpopKey::new(Signer::Wasm(Rc::new(text)), jwk.to_public()))
}

/// JSON text of a JWK given as a JS object (or the string itself).
fn json_text(value: &JsValue) -> Result<String, Error> {
    options::json_text(
        value,
        Error::JwkInvalid {
            reason: "expected a JWK object",
        },
    )
}

thread_local! {
    /// `jti`s seen by `verifyDpopProof` in this process, each kept for its replay window.
    static SEEN_JTIS: RefCell<Option<Rc<MemoryStore<SystemClock>>>> = const { RefCell::new(None) };
}

fn seen_jtis() -> Rc<MemoryStore<SystemClock>> {
    SEEN_JTIS.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| Rc::new(MemoryStore::new(SystemClock)))
            .clone()
    })
}

/// Checks a DPoP proof as a resource server or token endpoint would (RFC 9449 §4.3).
/// `proof` is the `DPoP` header value (or all of them, as an array: exactly one must be
/// present). Resolves to `{ jkt, jti, iat }`; rejects with a `dpop_*` code (or a JOSE one)
/// and, when the proof is at fault, the OAuth error to answer with as `error`.
#[wasm_bindgen(
    js_name = verifyDpopProof,
    unchecked_return_type = "Promise<{ jkt: string; jti: string; iat: number }>"
)]
pub fn verify_dpop_proof(
    #[wasm_bindgen(unchecked_param_type = "string | string[] | null | undefined")] proof: JsValue,
    #[wasm_bindgen(unchecked_param_type = "DpopCheck")] options: JsValue,
) -> Promise {
    spawn(check_dpop_proof(proof, options))
}

/// Why `verifyDpopProof` failed: the call (its options, the runtime) or the proof. Only a
/// proof's failure is the client's, with an OAuth error to answer it with.
enum Failure {
    Call(Error),
    Proof(Error),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure::Call(err)
    }
}

impl Failure {
    /// The `OidcEdgeError`; a proof's failure carries, as `error`, the OAuth error the core
    /// classifies it as (RFC 9449 §7.1, §8: `invalid_dpop_proof` or `use_dpop_nonce`), so
    /// that `dpopErrorResponse` and `authenticateRequest` need not guess it from the code.
    /// A signature WebCrypto and the pure-Rust backend cannot check (`crypto_unavailable`)
    /// is the proof's too: the client chose its key. A store that cannot record the `jti`
    /// (`store_unavailable`) and the caller's options are not.
    fn into_js(self) -> JsValue {
        match self {
            Failure::Call(err) => into_js_error(err),
            Failure::Proof(err) => {
                let oauth_error = match err {
                    Error::InvalidOption { .. } | Error::StoreUnavailable => None,
                    ref proof => Some(check::oauth_error(proof)),
                };
                let js = into_js_error(err);
                if let Some(code) = oauth_error {
                    // An object the glue just made: setting a property cannot fail.
                    let _ = Reflect::set(&js, &"error".into(), &code.into());
                }
                js
            }
        }
    }
}

async fn check_dpop_proof(proof: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let run = async {
        let options = Options::new(
            &options,
            &[
                "htm",
                "htu",
                "accessToken",
                "jkt",
                "nonce",
                "nonceSecret",
                "nonceStep",
                "algorithms",
                "maxTokenAge",
                "clockTolerance",
                "currentTime",
                "replayCheck",
                "backend",
            ],
        )?;
        let headers: Vec<String> = if proof.is_undefined() || proof.is_null() {
            Vec::new()
        } else if let Some(one) = proof.as_string() {
            vec![one]
        } else if Array::is_array(&proof) {
            Array::from(&proof)
                .iter()
                .map(|v| v.as_string().ok_or(Failure::Proof(Error::DpopHeaderCount)))
                .collect::<Result<_, _>>()?
        } else {
            return Err(Failure::Proof(Error::DpopHeaderCount));
        };
        let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let htm = options.required_string("htm")?;
        let htu = options.required_string("htu")?;
        let access_token = options.string("accessToken")?;
        let jkt = options.string("jkt")?;
        // Without the token's key, `ath` would tie the proof to the token while nothing
        // ties the token to the proof's key: anyone holding the token could make one.
        if access_token.is_some() && jkt.is_none() {
            return Err(Error::InvalidOption {
                name: "jkt".into(),
                reason: "is required with accessToken (the token's cnf.jkt)",
            }
            .into());
        }
        let exact_nonce = options.string("nonce")?;
        let nonce_key = nonce_key(&options)?;
        let algorithms = options.algorithms()?;
        let nonce = match (&exact_nonce, &nonce_key) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidOption {
                    name: "nonce".into(),
                    reason: "give nonce or nonceSecret, not both",
                }
                .into());
            }
            (Some(exact), None) => NoncePolicy::Exact(exact),
            (None, Some(key)) => NoncePolicy::Stateless(key),
            (None, None) => NoncePolicy::NotRequired,
        };
        let check = ProofCheck {
            access_token: access_token.as_deref(),
            bound_jkt: jkt.as_deref(),
            nonce,
            algorithms: &algorithms,
            max_age: options
                .seconds("maxTokenAge")?
                .unwrap_or(check::DEFAULT_MAX_AGE),
            clock_tolerance: options
                .seconds("clockTolerance")?
                .unwrap_or(check::DEFAULT_CLOCK_TOLERANCE),
            ..ProofCheck::new(&htm, &htu)
        };
        let backend = Backend::choose(options.prefers_wasm_backend()?);
        let replay = options
            .boolean("replayCheck")?
            .unwrap_or(true)
            .then(seen_jtis);
        let checked = check::check_proof(
            &header_refs,
            &check,
            options.now()?,
            &backend,
            replay.as_deref(),
        )
        .await
        .map_err(Failure::Proof)?;
        let out = Object::new();
        set(&out, "jkt", &checked.jkt.into());
        set(&out, "jti", &checked.jti.into());
        set(&out, "iat", &JsValue::from_f64(checked.iat as f64));
        Ok(JsValue::from(out))
    };
    run.await.map_err(Failure::into_js)
}

fn nonce_key(options: &Options) -> Result<Option<NonceKey>, Error> {
    let Some(secret) = options.bytes("nonceSecret")? else {
        return Ok(None);
    };
    let step = options
        .seconds("nonceStep")?
        .unwrap_or(nonce::DEFAULT_STEP_SECONDS);
    NonceKey::new(&secret, step).map(Some)
}

/// A fresh server nonce for the `DPoP-Nonce` header (RFC 9449 §8): stateless, an HMAC of
/// the current time step; `verifyDpopProof` with the same `nonceSecret` accepts it for
/// one to two steps.
#[wasm_bindgen(js_name = dpopNonce)]
pub fn dpop_nonce(
    secret: &[u8],
    #[wasm_bindgen(unchecked_optional_param_type = "{ nonceStep?: number; currentTime?: number }")]
    options: JsValue,
) -> Result<String, JsValue> {
    let run = || {
        let options = Options::new(&options, &["nonceStep", "currentTime"])?;
        let step = options
            .seconds("nonceStep")?
            .unwrap_or(nonce::DEFAULT_STEP_SECONDS);
        Ok(NonceKey::new(secret, step)?.current(options.now()?))
    };
    run().map_err(into_js_error)
}

/// The HTTP response for a failed DPoP or token check. `error` is an error thrown by
/// `verifyDpopProof` (answered with the `invalid_dpop_proof` or `use_dpop_nonce` it names
/// as `error`), by a token check such as `validateAccessToken` (`insufficient_scope`, else
/// `invalid_token`), or an OAuth error code such as "invalid_token". Resource endpoints
/// answer 401 with a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1); token endpoints
/// 400 with a JSON body (§5). `use_dpop_nonce` adds a fresh `DPoP-Nonce` when `nonceSecret` is given.
#[wasm_bindgen(js_name = dpopErrorResponse, unchecked_return_type = "DpopErrorResponse")]
pub fn dpop_error_response(
    #[wasm_bindgen(unchecked_param_type = "OidcEdgeError | string")] error: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "DpopErrorOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let options = Options::new(
            &options,
            &[
                "endpoint",
                "algorithms",
                "nonceSecret",
                "nonceStep",
                "currentTime",
                "resourceMetadata",
            ],
        )?;
        let metadata = options.string("resourceMetadata")?;
        if let Some(url) = &metadata {
            check_url(url, "resourceMetadata")?;
        }
        let (oauth_error, description) = match error.as_string() {
            Some(code) => (code, None),
            None => {
                let member = |name: &str| {
                    Reflect::get(&error, &name.into())
                        .ok()
                        .and_then(|value| value.as_string())
                };
                let code = member("code").unwrap_or_default();
                let message = member("message");
                // RFC 9449 §7.1 for the proof, RFC 6750 §3.1 for the token: a proof that
                // fails is `invalid_dpop_proof` (or `use_dpop_nonce`), as `verifyDpopProof`
                // names it in `error` whatever the code (a bad signature, a missing claim);
                // a token that fails (expired, another audience, a bad signature) is
                // `invalid_token`, and one that lacks a scope `insufficient_scope`. Errors
                // made elsewhere are mapped by their code.
                let named = member("error");
                let mapped = match named.as_deref() {
                    Some(named @ ("invalid_dpop_proof" | "use_dpop_nonce")) => named,
                    _ if code.starts_with("dpop_nonce_") => "use_dpop_nonce",
                    _ if code.starts_with("dpop_") => "invalid_dpop_proof",
                    _ if code == "insufficient_scope" => "insufficient_scope",
                    _ => "invalid_token",
                };
                (mapped.to_owned(), message)
            }
        };
        if !is_error_code(&oauth_error) {
            return Err(Error::InvalidOption {
                name: "error".into(),
                reason: "must be an OAuth error code or an OidcEdgeError",
            });
        }
        let resource = match options.string("endpoint")?.as_deref() {
            None | Some("resource") => true,
            Some("token") => false,
            Some(_) => {
                return Err(Error::InvalidOption {
                    name: "endpoint".into(),
                    reason: "must be \"resource\" or \"token\"",
                });
            }
        };
        let headers = Object::new();
        let status = if resource {
            let algorithms = options.algorithms()?;
            let mut challenge =
                check::www_authenticate(Some(&oauth_error), description.as_deref(), &algorithms);
            // RFC 9728 §5.1: where a client learns which authorization server to ask.
            if let Some(url) = &metadata {
                challenge.push_str(&format!(", resource_metadata=\"{url}\""));
            }
            set(&headers, "WWW-Authenticate", &challenge.into());
            // RFC 6750 §3.1: insufficient scope is 403; every other failure is 401.
            if oauth_error == "insufficient_scope" {
                403
            } else {
                401
            }
        } else {
            set(&headers, "Content-Type", &"application/json".into());
            set(&headers, "Cache-Control", &"no-store".into());
            400
        };
        if oauth_error == "use_dpop_nonce"
            && let Some(key) = nonce_key(&options)?
        {
            set(&headers, "DPoP-Nonce", &key.current(options.now()?).into());
        }
        let body = Object::new();
        set(&body, "error", &oauth_error.into());
        if let Some(description) = description {
            set(&body, "error_description", &description.into());
        }
        Ok(JsValue::from(object(&[
            ("status", status.into()),
            ("headers", headers.into()),
            ("body", body.into()),
        ])))
    };
    run().map_err(into_js_error)
}

/// RFC 6749 §5.2: error codes are `%x20-21 / %x23-5B / %x5D-7E`; this accepts the usual
/// lower-case-and-underscore shape only, which every registered code has.
fn is_error_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// Longest URL accepted in a challenge, in bytes.
const MAX_URL_LEN: usize = 2048;

/// An absolute `https://` URL (`http://` on a loopback host), visible ASCII, no fragment:
/// what RFC 9728 §2 and RFC 8707 §2 ask of a resource, and what is safe in a challenge's
/// quoted string.
fn check_url(url: &str, name: &'static str) -> Result<(), Error> {
    let invalid = |reason| Error::InvalidOption {
        name: name.into(),
        reason,
    };
    if url.len() > MAX_URL_LEN || !url.bytes().all(|b| b.is_ascii_graphic()) || url.contains('"') {
        return Err(invalid("must be a URL of visible ASCII, without quotes"));
    }
    if url.contains('#') {
        return Err(invalid("must not have a fragment"));
    }
    let loopback = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
        .iter()
        .any(|prefix| {
            url.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    if !url.starts_with("https://") && !loopback {
        return Err(invalid(
            "must be an https URL (http only on localhost, 127.0.0.1 or [::1])",
        ));
    }
    Ok(())
}
