//! The CIBA page, `/ciba` (OpenID Connect CIBA Core 1.0 §8, the authentication device's
//! side): the user signs in here (the login page's form and limits) and sees the requests
//! waiting for them — the client's name, the scopes, the binding message — and approves or
//! denies each; a ping client is then notified (§10.2) after the page is answered.
//!
//! Each answer's form is CSRF-protected, its token bound to the request's id and the
//! browser. A request is found in the signed-in user's own inbox (by their `sub` and the
//! request's number), so nobody answers another user's request, whatever the form says.

use crate::Error;
use crate::op::ciba::pages::{self as ciba_pages, Waiting};
use crate::op::ciba::{self};
use crate::op::clients::registry;
use crate::op::endpoints::login::{self, PageForm};
use crate::op::flow;
use crate::op::form::Params;
use crate::op::http::{Request, Response};
use crate::op::pages::{self, ClientView};
use crate::op::password::Pbkdf2;
use crate::op::pending;
use crate::op::provider::{Provider, Services};
use crate::op::records::Session;
use crate::store::Store;

/// The CSRF purposes of the two forms.
const SIGN_IN: &str = "ciba sign-in";
const DECIDE: &str = "ciba decision";

/// Handles `/ciba`.
pub async fn handle<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    let response = flow::browser_page(op, req, async |params, browser| {
        answer(op, req, params, browser, services).await
    });
    flow::page_or_error(response.await)
}

async fn answer<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    params: &Params,
    browser: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let sign_in_csrf = op.secrets.csrf_token(SIGN_IN, "", browser);
    let sign_in_form = PageForm {
        action: ciba_pages::ACTION,
        purpose: "to answer sign-in requests from your apps",
        hidden: &[("step", "sign_in")],
        csrf: sign_in_csrf.as_str(),
    };
    let session = flow::session(op, req, services).await?;
    if req.method == "GET" {
        return Ok(match session {
            Some(session) => list(op, &session, browser, services).await?,
            None => login::page_sign_in_form(op, sign_in_form, None),
        });
    }
    let csrf = params.get("csrf").unwrap_or_default();
    match params.get("step") {
        Some("sign_in") => {
            if !op.secrets.csrf_valid(csrf, SIGN_IN, "", browser) {
                return Ok(expired());
            }
            Ok(
                match login::page_sign_in(op, req, params, sign_in_form, services).await? {
                    Ok(cookie) => Response::redirect(ciba_pages::ACTION)
                        .no_store()
                        .with_header("set-cookie", &cookie),
                    Err(form_again) => form_again,
                },
            )
        }
        Some("decide") => {
            let id = params.get("request").unwrap_or_default();
            if !op.secrets.csrf_valid(csrf, DECIDE, id, browser) {
                return Ok(expired());
            }
            let Some(session) = session else {
                return Ok(Response::redirect(ciba_pages::ACTION).no_store());
            };
            decide(op, params, id, &session, services).await
        }
        _ => Ok(pages::error(
            400,
            "invalid_request",
            "step must be sign_in or decide",
        )),
    }
}

/// The signed-in user's waiting requests.
async fn list<S: Store, P, V>(
    op: &Provider,
    session: &Session,
    browser: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let waiting = ciba::inbox(&session.sub, services).await?;
    let mut clients = Vec::with_capacity(waiting.len());
    for (_, request) in &waiting {
        clients.push(registry::find(op, &request.client_id, services).await?);
    }
    let csrfs: Vec<String> = waiting
        .iter()
        .map(|(_, request)| op.secrets.csrf_token(DECIDE, &request.id, browser))
        .collect();
    let shown: Vec<Waiting<'_>> = waiting
        .iter()
        .zip(&clients)
        .zip(&csrfs)
        .map(|(((number, request), client), csrf)| Waiting {
            number: *number,
            id: &request.id,
            csrf,
            client: client
                .as_deref()
                .map_or_else(|| ClientView::bare(&request.client_id), ClientView::of),
            binding_message: request.binding_message.as_deref(),
            scopes: request
                .scope
                .names()
                .map(|scope| (scope, op.config.scope_description(scope)))
                .collect(),
            minutes_left: request
                .expires_at
                .saturating_sub(services.now.0)
                .saturating_add(59)
                .checked_div(60)
                .unwrap_or(0),
        })
        .collect();
    Ok(ciba_pages::inbox(&op.config.provider_name, &shown))
}

/// An answer to request `id`, found in the signed-in user's inbox under the form's number.
async fn decide<S: Store, P, V>(
    op: &Provider,
    params: &Params,
    id: &str,
    session: &Session,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let answer = match flow::page_decision(params, session) {
        Ok(answer) => answer,
        Err(error_page) => return Ok(error_page),
    };
    let number = params
        .get("number")
        .filter(|n| n.len() <= 20 && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u64>().ok());
    let found = match number {
        Some(number) => ciba::in_inbox(&session.sub, number, services).await?,
        None => None,
    };
    let Some(request) = found.filter(|request| request.id == id) else {
        return Ok(gone());
    };
    if !pending::decide(&request.pending(op), &answer, services).await? {
        return Ok(gone());
    }
    // CIBA Core §10.2: a ping client is told of the answer, either way. The answer is stored
    // above, so the page and the client's tokens never depend on the ping arriving.
    let ping = ciba::ping::notice(op, &request, services).await;
    let page = if answer.approved {
        ciba_pages::answered(
            "Allowed",
            "The application continues with your account.",
            200,
        )
    } else {
        ciba_pages::answered("Denied", "The application was not given access.", 200)
    };
    Ok(page.with_effects(ping))
}

/// A request no longer waiting: answered, expired, or not this user's.
fn gone() -> Response {
    ciba_pages::answered(
        "No longer waiting",
        "This request was already answered, or it has expired.",
        400,
    )
}

/// A form whose CSRF token does not match.
fn expired() -> Response {
    pages::error(
        403,
        "invalid_request",
        "The form expired. Open the page again.",
    )
}
