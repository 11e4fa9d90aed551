//! The oidc-edge OpenID Provider on Cloudflare Workers.
//!
//! A thin adapter: it reads the configuration from the environment, converts each Workers
//! request into the core's [`oidc_edge::op::Request`], lets [`oidc_edge::op::Provider`]
//! answer it with its store (Workers KV for cacheable records, a Durable Object for
//! single-use ones: [`edge`]), WebCrypto for PBKDF2, signature checks and token signing,
//! the runtime's `fetch` for clients' `jwks_uri` and upstream providers ([`fetch`]), the
//! upstream providers' client secrets from the bindings the configuration names, and the
//! clock of the runtime,
//! and converts the answer back. Protocol logic lives in the
//! core.

// No panics on the request path (a panic traps the isolate and fails every request in
// flight); the same lints as the core, src/lib.rs, says why.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::arithmetic_side_effects,
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::unwrap_in_result,
        clippy::panic_in_result_fn,
        clippy::get_unwrap,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

mod convert;
mod edge;
mod effects;
mod fetch;
mod kv;
mod objects;
mod pbkdf2;

use std::cell::RefCell;
use std::rc::Rc;

use oidc_edge::op::config::Config;
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::secrets::{SERVER_SECRET_VAR, ServerSecrets};
use oidc_edge::op::{Provider, Services};
use oidc_edge::time::{Clock, SystemClock};
use oidc_edge::wasm::webcrypto::{Backend, WebCryptoSigner};
use serde_json::json;
use std::task::Poll;

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen_futures::future_to_promise;
use worker::{Context, Env, Result, console_error, js_sys};

/// `GET /healthz`'s body: the status and the Worker's version, written once at build time
/// (a semantic version has no character JSON would escape).
const HEALTHY: &str = concat!(
    r#"{"status":"ok","version":""#,
    env!("CARGO_PKG_VERSION"),
    r#""}"#
);
/// The KV namespace binding (worker/wrangler.toml).
const KV_BINDING: &str = "OIDC_KV";
/// The variable choosing where single-use records live: `durable-object` (the default) or
/// `kv` (KV only, with the windows the README measures).
const STORE_VAR: &str = "OIDC_STORE";

thread_local! {
    /// The provider of this isolate, built from the environment on first use and rebuilt
    /// only if the environment changes (a new deployment gets a new isolate anyway).
    static PROVIDER: RefCell<Option<(Environment, Rc<Host>)>> = const { RefCell::new(None) };
    /// The provider and store of the last `env` object seen. The runtime hands every
    /// request of an isolate the same `env`, so a request that finds it here reads no
    /// binding at all: reading and comparing the configuration's text on every request
    /// cost more than serving a metadata document.
    static ISOLATE: RefCell<Option<Isolate>> = const { RefCell::new(None) };
}

/// What the requests of one `env` share.
struct Isolate {
    env: JsValue,
    host: Rc<Host>,
    store: Rc<edge::EdgeStore>,
}

/// What an isolate keeps between requests: the provider and its key imported into
/// WebCrypto (imported on first use: importing is asynchronous).
struct Host {
    provider: Provider,
    /// The keys imported into WebCrypto, on the first request that needs them.
    signer: RefCell<Option<Rc<WebCryptoSigner>>>,
}

impl Host {
    /// The WebCrypto signer for the keys that sign; a key the runtime refused to import
    /// signs in wasm (slower, same tokens).
    async fn signer(&self) -> Rc<WebCryptoSigner> {
        if let Some(signer) = self.signer.borrow().clone() {
            return signer;
        }
        let (signer, refused) = WebCryptoSigner::import(self.provider.signing_keys()).await;
        if !refused.is_empty() {
            // Once per isolate: the answer will not change.
            console_error!(
                "oidc-edge: WebCrypto refused the signing keys {refused:?}; they sign in wasm"
            );
        }
        let signer = Rc::new(signer);
        *self.signer.borrow_mut() = Some(signer.clone());
        signer
    }
}

/// Entry point for every HTTP request the Worker receives: worker-build makes an exported
/// `fetch` the module's handler. It takes and returns the runtime's own request and
/// response (workers-rs's wrappers would parse the URL, copy the `cf` object and the
/// headers, and copy them back, on every request), and it returns the answer as soon as it
/// is known: a request that waits on nothing (discovery, JWKS, most refusals) is answered
/// within the first poll, without the promise, closures and microtask `future_to_promise`
/// adds; one that waits on the store or WebCrypto goes on as a promise.
#[wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> JsValue {
    let mut answer = Box::pin(answer(req, env, Context::new(ctx)));
    let mut first_poll = std::task::Context::from_waker(std::task::Waker::noop());
    match answer.as_mut().poll(&mut first_poll) {
        Poll::Ready(response) => response,
        // The promise's task polls it again at once, and what it waits on then keeps that
        // task's waker (a result that arrived in between is kept by its future, not lost).
        Poll::Pending => future_to_promise(async move { Ok(answer.await) }).into(),
    }
}

/// The response to one request, or a plain 500 if the runtime refused to build it.
async fn answer(req: web_sys::Request, env: Env, ctx: Context) -> JsValue {
    match handle(req, env, ctx).await {
        Ok(response) => response.into(),
        Err(err) => {
            console_error!("oidc-edge: no response could be built: {err}");
            match json_response(500, &json!({ "error": "server_error" })) {
                Ok(response) => response.into(),
                Err(err) => js_sys::Promise::reject(&JsValue::from(err)).into(),
            }
        }
    }
}

async fn handle(req: web_sys::Request, env: Env, ctx: Context) -> Result<web_sys::Response> {
    if convert::path_of(&req.url()) == "/healthz" {
        return healthz(&req.method());
    }
    let (host, store) = match isolate(&env) {
        Ok(isolate) => isolate,
        Err(message) => {
            // A misconfigured deployment is the one case answered with 500: nothing the
            // client sent is at fault. The message names the field, never a secret.
            console_error!("oidc-edge configuration error: {message}");
            return json_response(
                500,
                &json!({ "error": "server_error", "error_description": message }),
            );
        }
    };
    let request = match convert::request(req).await {
        Ok(request) => request,
        Err(convert::Refused(status, code)) => {
            return json_response(status, &json!({ "error": code }));
        }
    };
    let signer = host.signer().await;
    let services = Services {
        store: store.as_ref(),
        pbkdf2: &pbkdf2::WebCryptoPbkdf2,
        verifier: &Backend::choose(false),
        signer: signer.as_ref(),
        fetcher: &fetch::WorkerFetcher,
        now: SystemClock.now(),
    };
    let mut response = host.provider.handle(&request, &services).await;
    effects::spawn(&ctx, std::mem::take(&mut response.effects));
    convert::response(response)
}

/// The provider and store for `env`: those of the last request if it came with the same
/// `env` object, else built (or found) from its bindings.
fn isolate(env: &Env) -> std::result::Result<(Rc<Host>, Rc<edge::EdgeStore>), String> {
    let same = ISOLATE.with(|cached| {
        cached
            .borrow()
            .as_ref()
            .filter(|cached| cached.env == **env)
            .map(|cached| (cached.host.clone(), cached.store.clone()))
    });
    if let Some(same) = same {
        return Ok(same);
    }
    let host = host(env)?;
    let store = Rc::new(store(env)?);
    ISOLATE.with(|cached| {
        *cached.borrow_mut() = Some(Isolate {
            env: (**env).clone(),
            host: host.clone(),
            store: store.clone(),
        });
    });
    Ok((host, store))
}

/// The store for this request: KV, and the Durable Object unless `OIDC_STORE` is `kv`.
fn store(env: &Env) -> std::result::Result<edge::EdgeStore, String> {
    let kv = env
        .kv(KV_BINDING)
        .map_err(|_| format!("{KV_BINDING}: no such KV namespace binding"))?;
    let mode = binding_text(env, STORE_VAR);
    let objects = match mode.as_deref().map(str::trim) {
        None | Some("" | "durable-object") => Some(objects::ObjectStore(
            env.durable_object(objects::BINDING).map_err(|_| {
                format!(
                    "{}: no such Durable Object binding (declare it in wrangler.toml, \
                     or set {STORE_VAR} = \"kv\" to keep single-use records in KV)",
                    objects::BINDING
                )
            })?,
        )),
        Some("kv") => None,
        Some(_) => {
            return Err(format!("{STORE_VAR}: must be \"durable-object\" or \"kv\""));
        }
    };
    Ok(edge::EdgeStore {
        kv: kv::KvRecords(kv),
        objects,
    })
}

/// A binding as text: secrets (`wrangler secret put`, `.dev.vars`) and plain vars alike.
fn binding_text(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
}

/// The three bindings the provider is built from, kept to notice a change.
#[derive(PartialEq, Eq)]
struct Environment {
    config: String,
    keys: String,
    secret: String,
}

/// The provider for this environment, checking `OIDC_CONFIG`, `OIDC_SIGNING_KEYS` and
/// `OIDC_SERVER_SECRET`.
fn host(env: &Env) -> std::result::Result<Rc<Host>, String> {
    let config = binding_text(env, "OIDC_CONFIG").ok_or("OIDC_CONFIG: not set")?;
    let keys = binding_text(env, "OIDC_SIGNING_KEYS").ok_or("OIDC_SIGNING_KEYS: not set")?;
    let secret = binding_text(env, SERVER_SECRET_VAR).ok_or(
        "OIDC_SERVER_SECRET: not set (make one with `oidc-edge server-secret`; \
         it keys CSRF tokens, DPoP nonces and refresh successors)",
    )?;
    let fingerprint = Environment {
        config,
        keys,
        secret,
    };
    if let Some(provider) = PROVIDER.with(|p| {
        p.borrow()
            .as_ref()
            .filter(|(f, _)| *f == fingerprint)
            .map(|(_, p)| p.clone())
    }) {
        return Ok(provider);
    }
    let config = Config::from_json(&fingerprint.config).map_err(|e| e.to_string())?;
    let keys = SigningKeys::from_jwks_json(&fingerprint.keys).map_err(|e| e.to_string())?;
    config
        .check_signing_keys(&keys)
        .map_err(|e| e.to_string())?;
    let secrets = ServerSecrets::from_text(&fingerprint.secret).map_err(|e| e.to_string())?;
    // The client secrets at upstream providers, from the bindings the configuration names
    // (a new value comes with a new deployment, hence a new isolate).
    let provider = Provider::new(config, keys, secrets)
        .with_upstream_secrets(|name| binding_text(env, name))
        .map_err(|e| e.to_string())?;
    let host = Rc::new(Host {
        provider,
        signer: RefCell::new(None),
    });
    PROVIDER.with(|p| *p.borrow_mut() = Some((fingerprint, host.clone())));
    Ok(host)
}

/// `/healthz`: `200 {"status":"ok","version":"…"}` for `GET` and `HEAD`, 405 otherwise.
fn healthz(method: &str) -> Result<web_sys::Response> {
    match method {
        "GET" | "HEAD" => convert::response(
            oidc_edge::op::Response::json_text(200, HEALTHY.as_bytes().to_vec()).no_store(),
        ),
        _ => convert::response(
            oidc_edge::op::Response::json(405, &json!({ "error": "method_not_allowed" }))
                .no_store()
                .with_header("allow", "GET, HEAD"),
        ),
    }
}

/// A JSON response that must not be cached.
fn json_response(status: u16, body: &serde_json::Value) -> Result<web_sys::Response> {
    convert::response(oidc_edge::op::Response::json(status, body).no_store())
}
