//! The pushed authorization request endpoint (RFC 9126 §2): an authenticated client posts
//! its authorization request (its parameters, or a signed request object) and gets a
//! `request_uri` to send the user to `/authorize` with.
//!
//! The client authenticates as at the token endpoint (RFC 9126 §2: "the same rules as for
//! the token endpoint"; a public client names itself with `client_id`). The request is
//! checked here by the code `/authorize` runs (`authorize::validate`), so what would fail
//! there fails now, with a JSON error to the client (§2.3) rather than in the user's
//! browser; `/authorize` checks it again when it is used.

use serde_json::json;

use crate::jose::SignatureVerifier;
use crate::op::authorize::validate::{self, Source};
use crate::op::authorize::{par, request_object};
use crate::op::clients::auth;
use crate::op::error::OpError;
use crate::op::http::{Request, Response};
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::store::Store;

/// The parameters that authenticate the client at this endpoint, not part of the request.
const CLIENT_AUTH_PARAMS: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// Handles `POST /par`.
pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    match push(op, req, services).await {
        Ok(response) => response,
        Err(err) => err.to_response(),
    }
}

async fn push<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, OpError> {
    if !req.has_form_body() {
        return Err(OpError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    let params = req.params().map_err(OpError::InvalidRequest)?;
    let client = auth::authenticate(op, req, &params, services).await?;
    // §2.1: a pushed request is not itself a reference to another.
    if params.has("request_uri") {
        return Err(OpError::InvalidRequest(
            "request_uri cannot be pushed (RFC 9126 §2.1)".into(),
        ));
    }
    let params = CLIENT_AUTH_PARAMS
        .into_iter()
        .fold(params, |params, name| params.without(name));
    // §3: with a request object, its parameters are the request, whatever else the form
    // holds.
    let (params, signed) = match params.get("request") {
        Some(object) => (
            request_object::verify(op, &client, object, services).await?,
            true,
        ),
        None => (params, false),
    };
    if params
        .get("client_id")
        .is_some_and(|id| id != client.client_id.as_str())
    {
        return Err(OpError::InvalidRequest(
            "client_id differs from the authenticated client".into(),
        ));
    }
    let reply = validate::reply(&client, &params)?;
    let source = Source {
        pushed: true,
        signed,
    };
    validate::check(op, &client, &reply, &params, source)?;
    let (request_uri, expires_in) =
        par::push(op, &client.client_id, params.clone(), signed, services).await?;
    // §2.2: 201 Created, not cacheable.
    Ok(Response::json(
        201,
        &json!({ "request_uri": request_uri, "expires_in": expires_in }),
    )
    .no_store())
}
