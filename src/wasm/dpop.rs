//! `DpopKey` and `dpopNonce` (RFC 9449): what a client makes proofs with, and the nonce a
//! server hands out (synchronous, so it stays in the core: `dpopErrorResponse` in
//! `server-module.js` mints one with it). Checking proofs is the resource-server module's
//! (`dpop_check.rs`).

use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::error::into_js_error;
use super::job::{settled, spawn};
use super::options::{self, Options};
use super::rust_backend;
use super::settle::settle;
use super::webcrypto::{Subtle, hash_name, object, set, subtle};
use crate::Error;
use crate::dpop::proof::{self, ProofClaims};
use crate::dpop::{NonceKey, nonce};
use crate::jose::{Alg, Jwk, KeyKind};
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
