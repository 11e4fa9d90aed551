//! The oidc-edge OpenID Provider on Cloudflare Workers.
//!
//! This crate is a thin adapter: it turns a Workers [`Request`] into a call on the sans-IO core
//! ([`oidc_edge`]) and the answer back into a [`Response`]. Protocol logic belongs in the core,
//! not here. For now the Worker only answers the health check, `GET /healthz`.
//!
//! Every response is JSON and carries `Cache-Control: no-store`; errors use the OAuth shape
//! `{"error": "<code>"}`.

use serde_json::{Value, json};
use worker::{Context, Env, Method, Request, Response, Result, event};

/// The Worker's version, reported by `GET /healthz`.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The methods `/healthz` accepts, as sent in the `Allow` header of its 405.
const HEALTHZ_ALLOW: &str = "GET, HEAD";

/// Entry point for every HTTP request the Worker receives.
///
/// The `#[event(fetch)]` macro exports it to JavaScript as the module's `fetch` handler.
#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    route(&req)
}

/// Dispatches a request on its path.
fn route(req: &Request) -> Result<Response> {
    match req.path().as_str() {
        "/healthz" => healthz(&req.method()),
        _ => error(404, "not_found", &[]),
    }
}

/// `/healthz`: `200 {"status":"ok","version":"…"}` for `GET` and `HEAD`, 405 otherwise.
fn healthz(method: &Method) -> Result<Response> {
    match method {
        Method::Get | Method::Head => {
            json_response(200, &[], &json!({ "status": "ok", "version": VERSION }))
        }
        _ => error(405, "method_not_allowed", &[("allow", HEALTHZ_ALLOW)]),
    }
}

/// An error response with the body `{"error": code}`.
fn error(status: u16, code: &str, headers: &[(&str, &str)]) -> Result<Response> {
    json_response(status, headers, &json!({ "error": code }))
}

/// A JSON response that must not be cached, with extra `headers`.
fn json_response(status: u16, headers: &[(&str, &str)], body: &Value) -> Result<Response> {
    let mut builder = Response::builder()
        .with_status(status)
        .with_header("cache-control", "no-store")?;
    for (name, value) in headers {
        builder = builder.with_header(name, value)?;
    }
    builder.from_json(body)
}
