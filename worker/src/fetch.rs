//! The core's [`Fetcher`] on Workers: the runtime's `fetch`, through fetch.js, which reads
//! the body under the size limit and the deadline the core asks for, and follows no
//! redirect. A failed request is logged with its URL (the core only learns that it failed:
//! the client is then not authenticated, the upstream sign-in fails, and the log says why),
//! without its query, which may carry a client's own key; never with a form, an
//! `Authorization` field or an access token.

use oidc_edge::op::fetch::{
    BearerGet, FetchError, FetchFuture, FetchLimits, Fetched, Fetcher, FormPost,
};
use oidc_edge::op::http::without_query;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::console_error;
use worker::js_sys::{Promise, Reflect, Uint8Array};
use worker::wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/fetch.js")]
extern "C" {
    #[wasm_bindgen(js_name = getCapped)]
    fn get_capped(url: &str, max_bytes: u32, timeout_ms: u32) -> Promise;
    #[wasm_bindgen(js_name = postFormCapped)]
    fn post_form_capped(
        url: &str,
        authorization: &str,
        form: &[u8],
        max_bytes: u32,
        timeout_ms: u32,
    ) -> Promise;
    #[wasm_bindgen(js_name = getBearerCapped)]
    fn get_bearer_capped(url: &str, access_token: &str, max_bytes: u32, timeout_ms: u32)
    -> Promise;
    #[wasm_bindgen(js_name = postStatus)]
    fn post_status(
        url: &str,
        content_type: &str,
        authorization: &str,
        body: &[u8],
        timeout_ms: u32,
    ) -> Promise;
}

/// One POST of the provider's own ([`Effect::Post`](oidc_edge::op::Effect)), within
/// `timeout_ms`: the status the endpoint answered (its body cancelled unread), or why there
/// was none and what the runtime said.
pub async fn post(
    url: &str,
    content_type: &str,
    authorization: Option<&str>,
    body: &[u8],
    timeout_ms: u32,
) -> Result<u16, (FetchError, String)> {
    let promise = post_status(
        url,
        content_type,
        authorization.unwrap_or_default(),
        body,
        timeout_ms,
    );
    status_of(&settled(promise).await?)
}

/// Requests with the runtime's `fetch`.
pub struct WorkerFetcher;

impl Fetcher for WorkerFetcher {
    fn get<'a>(&'a self, url: &'a str, limits: FetchLimits) -> FetchFuture<'a> {
        logged_send("GET", url, limits, move |max_bytes| {
            get_capped(url, max_bytes, limits.timeout_ms)
        })
    }

    fn post_form<'a>(&'a self, post: FormPost<'a>, limits: FetchLimits) -> FetchFuture<'a> {
        let authorization = post.authorization.unwrap_or_default();
        logged_send("POST", post.url, limits, move |max_bytes| {
            post_form_capped(
                post.url,
                authorization,
                post.form,
                max_bytes,
                limits.timeout_ms,
            )
        })
    }

    fn get_bearer<'a>(&'a self, get: BearerGet<'a>, limits: FetchLimits) -> FetchFuture<'a> {
        logged_send("GET", get.url, limits, move |max_bytes| {
            get_bearer_capped(get.url, get.access_token, max_bytes, limits.timeout_ms)
        })
    }
}

/// The request `start` makes (given the body limit as fetch.js takes it), its answer read
/// under `limits` and logged when it went wrong ([`logged`]): the one body of every
/// [`Fetcher`] method.
fn logged_send<'a>(
    method: &'static str,
    url: &'a str,
    limits: FetchLimits,
    start: impl FnOnce(u32) -> Promise + 'a,
) -> FetchFuture<'a> {
    Box::pin(async move { logged(method, url, send(limits, start).await) })
}

/// The request `start` makes, given the body limit as fetch.js takes it (a `u32`: a limit
/// beyond it is no limit a Worker could reach), and its answer read under `limits`.
async fn send(
    limits: FetchLimits,
    start: impl FnOnce(u32) -> Promise,
) -> Result<Fetched, (FetchError, String)> {
    let max_bytes = u32::try_from(limits.max_bytes).unwrap_or(u32::MAX);
    answer(start(max_bytes), limits).await
}

/// `answer`, after logging what went wrong with it: a status other than 200, or no answer.
fn logged(
    method: &str,
    url: &str,
    answer: Result<Fetched, (FetchError, String)>,
) -> Result<Fetched, FetchError> {
    // The query may carry a client's own key (a `jwks_uri`'s, a document's): never logged.
    let url = without_query(url);
    match &answer {
        Ok(fetched) if fetched.status != 200 => {
            console_error!("oidc-edge: {method} {url} answered {}", fetched.status);
        }
        Ok(_) => {}
        Err((error, detail)) => console_error!("oidc-edge: {method} {url}: {error} ({detail})"),
    }
    answer.map_err(|(error, _)| error)
}

/// The answer fetch.js resolved `promise` to, or why there is none and what the runtime said.
async fn answer(promise: Promise, limits: FetchLimits) -> Result<Fetched, (FetchError, String)> {
    let answer = settled(promise).await?;
    let field = |name: &str| field(&answer, name);
    let status = status_of(&answer)?;
    let body = field("body")
        .map(|b| Uint8Array::new(&b).to_vec())
        .unwrap_or_default();
    if body.len() > limits.max_bytes {
        return Err((FetchError::TooLarge, format!("{} bytes", body.len())));
    }
    Ok(Fetched {
        status,
        cache_control: field("cacheControl").and_then(|c| c.as_string()),
        content_type: field("contentType").and_then(|c| c.as_string()),
        body,
    })
}

/// What fetch.js resolved `promise` to, when it is an answer: not a `failure` it reports,
/// nor a rejection (which fetch.js never makes, but the runtime could).
async fn settled(promise: Promise) -> Result<JsValue, (FetchError, String)> {
    let answer = JsFuture::from(promise)
        .await
        .map_err(|err| (FetchError::Failed, format!("{err:?}")))?;
    match field(&answer, "failure") {
        Some(failure) => Err(failure_of(&failure, &answer)),
        None => Ok(answer),
    }
}

/// The HTTP status of fetch.js's answer (a number within 0..=999), or why it has none.
fn status_of(answer: &JsValue) -> Result<u16, (FetchError, String)> {
    let status = field(answer, "status")
        .and_then(|s| s.as_f64())
        .filter(|s| (0.0..=999.0).contains(s))
        .ok_or_else(|| {
            (
                FetchError::Failed,
                "fetch.js answered without a status".to_owned(),
            )
        })?;
    // Within 0..=999, checked above: the cast neither truncates nor wraps.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(status as u16)
}

/// The field `name` of fetch.js's answer, if it is set.
fn field(answer: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(answer, &JsValue::from_str(name))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

/// The error of an answer whose `failure` field is set, and the runtime's `detail`.
fn failure_of(failure: &JsValue, answer: &JsValue) -> (FetchError, String) {
    let detail = field(answer, "detail")
        .and_then(|d| d.as_string())
        .unwrap_or_default();
    let error = match failure.as_string().as_deref() {
        Some("too_large") => FetchError::TooLarge,
        Some("timed_out") => FetchError::TimedOut,
        _ => FetchError::Failed,
    };
    (error, detail)
}
