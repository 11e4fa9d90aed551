//! The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2), GET and
//! POST, `response_type=code` only, its parameters in the request itself, in a signed
//! request object (RFC 9101) or pushed before (RFC 9126): `authorize::source`.
//!
//! Order matters: until the client and the redirect URI are known to match, errors are
//! shown on a page, never sent anywhere (RFC 6749 §4.1.2.1); after that they go to the
//! redirect URI with the client's `state`, in the response mode asked for.

use crate::jose::SignatureVerifier;
use crate::op::authorize::response_mode::{self, Reply};
use crate::op::authorize::{source, validate};
use crate::op::clients::registry;
use crate::op::config::Client;
use crate::op::error::OpError;
use crate::op::flow::{self, browser_hash};
use crate::op::form::Params;
use crate::op::http::{Request, Response};
use crate::op::pages;
use crate::op::provider::{Provider, Services};
use crate::op::records::AuthRequest;
use crate::op::users;
use crate::store::Store;

/// Handles `/authorize`.
pub async fn handle<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    // What the request itself carries; with a request object or a pushed request, only
    // `client_id` and the way to the request are read from it (`authorize::source`).
    let params = match req.params() {
        Ok(params) => params,
        Err(description) => return pages::error(400, "invalid_request", &description),
    };
    let found = match params.get("client_id") {
        Some(id) => registry::find(op, id, services).await,
        None => Ok(None),
    };
    let client = match found {
        Ok(Some(client)) => client,
        Ok(None) => return pages::error(400, "invalid_client", "unknown or missing client_id"),
        Err(err) => return flow::page_or_error(Err(err)),
    };
    let client = &*client;
    let (request, source) = match source::resolve(op, client, params.clone(), services).await {
        Ok(resolved) => resolved,
        Err(err) => return unresolved(op, client, &params, &err, services).await,
    };
    let reply = match validate::reply(client, &request) {
        Ok(reply) => reply,
        Err(err) => return page(&err),
    };
    let (browser, set_cookie) = match flow::browser(op, req) {
        Ok(pair) => pair,
        Err(_) => return pages::error(503, "temporarily_unavailable", "try again"),
    };
    let decided = match validate::check(op, client, &reply, &request, source, services).await {
        Ok((mut request, none)) => {
            request.browser = browser_hash(&browser);
            decide(op, (request, none), req, services).await
        }
        Err(err) => Err(err),
    };
    let response = match decided {
        Ok(response) => response,
        Err(err) => refuse(op, &reply, &err, services).await,
    };
    match set_cookie {
        Some(cookie) => response.with_header("set-cookie", &cookie),
        None => response,
    }
}

/// The answer when the request object or pushed request cannot be had: sent to the
/// client when the parameters outside name one of its redirect URIs (any of them is the
/// client's own), else shown on a page.
async fn unresolved<S: Store, P, V>(
    op: &Provider,
    client: &Client,
    outside: &Params,
    err: &OpError,
    services: &Services<'_, S, P, V>,
) -> Response {
    match validate::reply(client, outside) {
        Ok(reply) => refuse(op, &reply, err, services).await,
        Err(_) => page(err),
    }
}

/// `err` sent to the client as the reply says; a page if even that fails.
async fn refuse<S: Store, P, V>(
    op: &Provider,
    reply: &Reply<'_>,
    err: &OpError,
    services: &Services<'_, S, P, V>,
) -> Response {
    flow::page_or_error(response_mode::deliver_error(op, reply, err, services).await)
}

/// `err` on a page, for what cannot go to the client.
fn page(err: &OpError) -> Response {
    let status = if *err == OpError::TemporarilyUnavailable {
        503
    } else {
        400
    };
    pages::error(status, err.code(), &err.description())
}

/// What happens now: a code at once (signed in, fresh enough, consented), the consent
/// page, or the login page; with `prompt=none`, an error instead of any page.
async fn decide<S: Store, P, V>(
    op: &Provider,
    (request, prompt_none): (AuthRequest, bool),
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, OpError> {
    let session = flow::session(op, req, services).await?;
    // A session of another user than the `claims` parameter names is no use (OpenID
    // Connect Core §5.5.1): the login page, or `login_required` with `prompt=none`.
    let other_user = session
        .as_ref()
        .is_some_and(|s| !flow::is_requested_subject(s, &request));
    // Nor is a session of another user than the `id_token_hint` names (Core §3.1.2.1: a
    // positive response only if "the End-User identified by the ID Token is logged in or
    // is logged in by the request"): the login page, or `login_required` with
    // `prompt=none`.
    let not_hinted = session
        .as_ref()
        .is_some_and(|s| !flow::is_hinted_subject(s, &request));
    // A session whose user signs in with another context class than an essential `acr`
    // asks for (§5.5.1.1) is no use either: the login page offers the ways that meet it.
    let class_met = match &session {
        Some(s) => flow::meets_acr(op, &s.sub, &request, services).await?,
        None => true,
    };
    let usable = session.filter(|s| {
        !request.force_login
            && !other_user
            && !not_hinted
            && class_met
            && flow::fresh_enough(s, &request, services.now.0)
    });
    let Some(session) = usable else {
        if prompt_none && other_user {
            return Err(OpError::SubjectUnavailable);
        }
        if prompt_none && not_hinted {
            return Err(OpError::NotTheHintedUser);
        }
        if prompt_none {
            return Err(OpError::LoginRequired);
        }
        // A hint naming a user who can no longer sign in here can never be answered: ended
        // now (`login_required`, Core §3.1.2.6) rather than with a login page no sign-in
        // gets past. Judged only here, with no usable session of that user: a live session
        // answers without it, and the store's account of an upstream user may lag behind
        // a sign-in at another location. The client holds that ID token, so this tells it
        // little it could not learn at `/userinfo`; a `sub` the `claims` parameter names is
        // not judged so, which would tell any client which subjects exist.
        if let Some(hinted) = request.hinted_sub.as_deref()
            && users::hinted_user_gone(op, hinted, services).await?
        {
            return Err(OpError::HintedUserGone);
        }
        let tx = flow::save_transaction(&request, services).await?;
        return Ok(Response::redirect(&format!("/login?tx={tx}")).no_store());
    };
    if flow::needs_consent(op, &request, &session.sub, services).await? {
        if prompt_none {
            return Err(OpError::ConsentRequired);
        }
        let tx = flow::save_transaction(&request, services).await?;
        return Ok(Response::redirect(&format!("/consent?tx={tx}")).no_store());
    }
    Ok(flow::issue_code(op, request, &session, None, services).await?)
}
