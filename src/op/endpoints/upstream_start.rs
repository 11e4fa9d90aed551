//! `GET /upstream/start`: where a login page's "Continue with …" link leads. It checks the
//! link (its transaction belongs to this browser, its CSRF token was made for this
//! transaction and browser) and sends the user to the upstream provider's authorization
//! endpoint (`upstream::authorization`), asking it for a fresh sign-in when the user
//! signed in here is not the one the request names.

use crate::Error;
use crate::op::endpoints::login::{self, UPSTREAM_CSRF_PURPOSE};
use crate::op::flow;
use crate::op::http::{Request, Response};
use crate::op::pages;
use crate::op::provider::{Provider, Services};
use crate::op::upstream::authorization;
use crate::store::Store;

const EXPIRED: &str = "This sign-in link has expired or was opened in another browser. Start again from the application.";

/// Handles `/upstream/start`.
pub async fn handle<S: Store, P, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    flow::page_or_error(run(op, req, services).await)
}

async fn run<S: Store, P, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let page = match flow::page_request(op, req, services, EXPIRED).await? {
        Ok(page) => page,
        Err(error_page) => return Ok(error_page),
    };
    let (params, browser, tx, request) =
        (page.params, page.browser, page.tx.as_str(), page.request);
    let csrf = params.get("csrf").unwrap_or_default();
    if !op
        .secrets
        .csrf_valid(csrf, UPSTREAM_CSRF_PURPOSE, tx, browser)
    {
        return Ok(pages::error(
            403,
            "invalid_request",
            "The link expired. Go back and try again.",
        ));
    }
    let id = params.get("provider").unwrap_or_default();
    // Only a provider the login page offered: one whose class meets an essential `acr`.
    let offered = op
        .config
        .upstream_provider(id)
        .filter(|provider| request.accepts_acr(&provider.acr));
    let Some(provider) = offered else {
        return Ok(pages::error(
            400,
            "invalid_request",
            "There is no such provider to sign in with.",
        ));
    };
    // The login page is shown for a user other than the one signed in here (the request's
    // `id_token_hint` or `claims` `sub` names another): the upstream, likely still signed in
    // as that user, is asked for a fresh sign-in (`prompt=login`), or it would answer with
    // the same account and the page would come back again. No `login_hint` is invented for
    // it: the hint's user is ours to name, not the upstream's.
    let fresh = flow::session(op, req, services)
        .await?
        .is_some_and(|session| {
            !flow::is_hinted_subject(&session, &request)
                || !flow::is_requested_subject(&session, &request)
        });
    match authorization::start(op, provider, tx, &request, fresh, services).await? {
        Some(redirect) => Ok(redirect),
        None => {
            let message = format!(
                "{} cannot be reached right now. Try again in a moment, or sign in another way.",
                provider.name
            );
            let page = login::show(op, tx, browser, &request, "", Some(&message), services).await?;
            Ok(login::with_status(page, 503))
        }
    }
}
