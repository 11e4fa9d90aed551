//! `verifyDpopProof` (RFC 9449 §4.3, §7.1, §8): the npm package's resource-server module
//! (feature `js-server`, `oidc_edge_server_bg.wasm`). A page that signs in never checks a
//! proof, so the proof rules a server needs (`htu` normalisation, nonce checks, the replay
//! memory) live in a module of their own, loaded on first use (`server-module.js`), and not in
//! the core a page loads.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::error::into_js_error;
use super::job::spawn;
use super::options::{self, Options};
use super::webcrypto::{Backend, set};
use crate::Error;
use crate::dpop::check::{self, NoncePolicy, ProofCheck};
use crate::dpop::{NonceKey, nonce};
use crate::store::MemoryStore;
use crate::time::SystemClock;

#[wasm_bindgen(typescript_custom_section)]
const TS_DPOP_CHECK: &'static str = r#"
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
"#;

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
        } else if options::is_array(&proof) == Some(true) {
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
