//! The provider's [`Effect`]s, carried out after the answer: each runs in `waitUntil`, so
//! the user's response never waits on a client's endpoint, and the runtime keeps the
//! isolate alive until they finish (at most 30 s after the response). Each POST goes through
//! fetch.js's `postStatus` within [`EFFECT_TIMEOUT_MS`]: no redirect followed (a 3xx is a
//! failure: CIBA Core 1.0 §10.2 forbids following one), and only the answer's status read,
//! its body cancelled unread (both specifications say to ignore it), so a 2xx is a delivery
//! whatever its body's size.
//!
//! Each POST's end is logged with the endpoint's URL without its query (which may carry a
//! client's own key): a delivery (`console.log`) with its status; a failure (`console.error`)
//! with the status answered, or the kind of failure (`failed`, `timed_out`) and the runtime's
//! error message. Never the body or the `Authorization` field. A failure changes nothing
//! else: back-channel logout is best effort by design (Back-Channel Logout 1.0 §2.8, the
//! RP's session may already be gone), and a CIBA client that missed its ping polls for its
//! tokens.

use oidc_edge::op::http::without_query;
use oidc_edge::op::{EFFECT_TIMEOUT_MS, Effect};
use worker::{Context, console_error, console_log};

use crate::fetch;

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
            authorization,
            body,
        } => {
            let authorization = authorization.as_ref().map(|a| a.expose());
            let shown = without_query(&url);
            match fetch::post(&url, content_type, authorization, &body, EFFECT_TIMEOUT_MS).await {
                Ok(status) if (200..300).contains(&status) => {
                    console_log!("oidc-edge: POST {shown} answered {status}");
                }
                Ok(status) => console_error!("oidc-edge: POST {shown} answered {status}"),
                Err((error, detail)) => {
                    console_error!("oidc-edge: POST {shown}: {error} ({detail})");
                }
            }
        }
        // `Effect` may grow; a Worker built against a newer core logs what it cannot do.
        _ => console_error!("oidc-edge: an effect this Worker does not know was skipped"),
    }
}
