//! The provider's [`Effect`]s, carried out after the answer: each runs in `waitUntil`, so
//! the user's response never waits on a client's endpoint, and the runtime keeps the
//! isolate alive until they finish (at most 30 s after the response). Each POST goes through
//! fetch.js under [`EFFECT_LIMITS`], as the provider's other requests do: a deadline, no
//! redirect followed (a 3xx is a failure: CIBA Core 1.0 §10.2 forbids following one), the
//! answer's body read only up to the limit. A failure is logged with the URL and status only
//! (never the body or the `Authorization` field) and changes nothing else: back-channel
//! logout is best effort by design (Back-Channel Logout 1.0 §2.8, the RP's session may
//! already be gone), and a CIBA client that missed its ping polls for its tokens.

use oidc_edge::op::{EFFECT_LIMITS, Effect};
use worker::{Context, console_error};

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
            match fetch::post(&url, content_type, authorization, &body, EFFECT_LIMITS).await {
                Ok(status) if (200..300).contains(&status) => {}
                Ok(status) => console_error!("oidc-edge: POST {url} answered {status}"),
                Err((error, detail)) => {
                    console_error!("oidc-edge: POST {url}: {error} ({detail})");
                }
            }
        }
        // `Effect` may grow; a Worker built against a newer core logs what it cannot do.
        _ => console_error!("oidc-edge: an effect this Worker does not know was skipped"),
    }
}
