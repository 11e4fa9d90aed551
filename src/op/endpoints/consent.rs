//! The consent page: which scopes the client asks for, allow or deny. Skipped for
//! first-party clients and for scopes already granted.

use crate::Error;
use crate::op::clients::registry;
use crate::op::error::OpError;
use crate::op::flow;
use crate::op::http::{Request, Response};
use crate::op::pages::{self, ClientView, ConsentPage};
use crate::op::provider::{Provider, Services};
use crate::store::Store;

const EXPIRED: &str =
    "This request has expired or was opened in another browser. Start again from the application.";

/// Handles `/consent`.
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
    // A session from before what `prompt=login` or `max_age` ask (Core §3.1.2.1) is no
    // sign-in for this request: the login page, where `/authorize` sent the browser.
    let Some(session) = flow::session(op, req, services)
        .await?
        .filter(|session| flow::signed_in_as_asked(session, &request))
    else {
        return Ok(Response::redirect(&format!("/login?tx={tx}")).no_store());
    };
    if req.method == "GET" {
        let scopes: Vec<(&str, Option<&str>)> = request
            .scope
            .split(' ')
            .map(|scope| (scope, op.config.scope_description(scope)))
            .collect();
        let registered = registry::find(op, &request.client_id, services).await?;
        let client = registered
            .as_deref()
            .map_or_else(|| ClientView::bare(&request.client_id), ClientView::of);
        return Ok(pages::consent(&ConsentPage {
            tx,
            csrf: &op.secrets.csrf_token("consent", tx, browser),
            client,
            provider_name: &op.config.provider_name,
            scopes: &scopes,
            claims: &request.requested_claim_names(),
            redirect_origin: pages::form_target(&request.redirect_uri),
        }));
    }
    if !op.secrets.csrf_valid(
        params.get("csrf").unwrap_or_default(),
        "consent",
        tx,
        browser,
    ) {
        return Ok(pages::error(
            403,
            "invalid_request",
            "The form expired. Go back and try again.",
        ));
    }
    match params.get("decision") {
        Some("allow") => {
            // A flow that ends refused grants nothing: were the consent remembered, the
            // client's next request for this user would skip this page.
            if let Some(error) = flow::refusal(op, &request, &session, services).await? {
                return flow::refuse(op, &request, &error, Some(tx), services).await;
            }
            flow::remember_consent(&request, &session.sub, services).await?;
            flow::issue_code(op, request, &session, Some(tx), services).await
        }
        Some("deny") => {
            flow::refuse(op, &request, &OpError::AccessDenied, Some(tx), services).await
        }
        _ => Ok(pages::error(
            400,
            "invalid_request",
            "decision must be allow or deny",
        )),
    }
}
