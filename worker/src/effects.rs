//! The provider's [`Effect`]s, carried out after the answer: each runs in `waitUntil`, so
//! the user's response never waits on a client's endpoint, and the runtime keeps the
//! isolate alive until they finish (at most 30 s after the response). A failure is logged
//! and changes nothing else: back-channel logout is best effort by design (Back-Channel
//! Logout 1.0 §2.8, the RP's session may already be gone).

use oidc_edge::op::Effect;
use worker::js_sys::Uint8Array;
use worker::{Context, Fetch, Headers, Method, Request, RequestInit, console_error};

/// Starts every effect of a response.
pub fn spawn(ctx: &Context, effects: Vec<Effect>) {
    for effect in effects {
        ctx.wait_until(run(effect));
    }
}

async fn run(effect: Effect) {
    match effect {
        Effect::Post {
            url,
            content_type,
            body,
        } => match post(&url, content_type, &body).await {
            Ok(status) if (200..300).contains(&status) => {}
            Ok(status) => console_error!("oidc-edge: POST {url} answered {status}"),
            Err(err) => console_error!("oidc-edge: POST {url} failed: {err}"),
        },
        // `Effect` may grow; a Worker built against a newer core logs what it cannot do.
        _ => console_error!("oidc-edge: an effect this Worker does not know was skipped"),
    }
}

/// POSTs `body`; the status the endpoint answered.
async fn post(url: &str, content_type: &str, body: &[u8]) -> worker::Result<u16> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(Uint8Array::from(body).into()));
    let request = Request::new_with_init(url, &init)?;
    Ok(Fetch::Request(request).send().await?.status_code())
}
