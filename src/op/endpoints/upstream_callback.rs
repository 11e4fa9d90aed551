//! `GET /upstream/callback`: where an upstream provider sends the user back (OpenID
//! Connect Core §3.1.2.5, RFC 9207 §2).
//!
//! The `state` is consumed first (one answer per sign-in, replays find nothing), then must
//! belong to this browser and to an authorization request still waiting. Without those the
//! answer is nobody's: an error page, and the code is never used. With them, the answer is
//! checked and its code exchanged (`upstream::callback`); a sign-in that succeeds keeps the
//! user's account, starts a session here and goes on as after a password (consent if
//! needed, then the code to the client); one that fails shows the login page again with
//! what went wrong, the request still waiting, so the user can try again or sign in
//! another way.

use crate::op::endpoints::login;
use crate::op::flow;
use crate::op::http::{Request, Response};
use crate::op::pages;
use crate::op::provider::{BROWSER_COOKIE, Provider, Services};
use crate::op::records::{self, Key, UpstreamStates};
use crate::op::upstream::account;
use crate::op::upstream::callback::{self, Failure};
use crate::store::Store;
use crate::{Error, jose::SignatureVerifier};

const EXPIRED: &str = "This sign-in has expired, was already used, or was started in another browser. Start again from the application.";

/// Handles `/upstream/callback`.
pub async fn handle<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    flow::page_or_error(run(op, req, services).await)
}

async fn run<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let params = match req.params() {
        Ok(params) => params,
        Err(description) => return Ok(pages::error(400, "invalid_request", &description)),
    };
    let expired = || pages::error(400, "invalid_request", EXPIRED);
    // Ours are 32 random bytes in base64url; anything else is not looked up.
    let state = params.get("state").unwrap_or_default();
    let well_formed = state.len() == 43
        && state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Ok(expired());
    }
    let Some(pending) =
        records::consume(services.store, &Key::<UpstreamStates>::new(state)).await?
    else {
        return Ok(expired());
    };
    // The waiting request, only in the browser that started it (its binding cookie): an
    // answer carried to another browser finishes nothing there.
    let Some(browser) = op.cookie_value(req, BROWSER_COOKIE) else {
        return Ok(expired());
    };
    let Some(request) = flow::load_transaction(&pending.tx, browser, services).await? else {
        return Ok(expired());
    };
    // A provider removed from the configuration since the sign-in started.
    let Some(provider) = op.config.upstream_provider(&pending.provider) else {
        return Ok(expired());
    };
    let tx = pending.tx.as_str();
    let signed_in = match callback::finish(op, provider, &pending, &params, services).await {
        Ok(signed_in) => signed_in,
        Err(failure) => {
            let (status, message) = match failure {
                Failure::Unreachable => (
                    503,
                    format!(
                        "{} cannot be reached right now. Try again in a moment, or sign in another way.",
                        provider.name
                    ),
                ),
                Failure::Refused(code) => (
                    403,
                    format!("{} did not sign you in ({code}).", provider.name),
                ),
                Failure::Unverified(code) => (
                    400,
                    format!(
                        "The answer from {} could not be verified ({code}). Try again, or sign in another way.",
                        provider.name
                    ),
                ),
            };
            let page = login::show(op, tx, browser, &request, "", Some(&message), services).await?;
            return Ok(login::with_status(page, status));
        }
    };
    let account = account::keep(
        op,
        provider,
        &signed_in.upstream_sub,
        &signed_in.claims,
        services,
    )
    .await?;
    // When the user authenticated there, which `max_age` is judged by from now on.
    let auth_time = signed_in.auth_time.unwrap_or(services.now.0);
    let (cookie, session) =
        login::start_session(op, req, &account.sub, auth_time, services).await?;
    let response = login::continue_flow(op, request, &session, tx, browser, services).await?;
    Ok(response.with_header("set-cookie", &cookie))
}
