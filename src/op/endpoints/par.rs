//! The pushed authorization request endpoint (RFC 9126 §2): an authenticated client posts
//! its authorization request (its parameters, or a signed request object) and gets a
//! `request_uri` to send the user to `/authorize` with.
//!
//! The client authenticates as at the token endpoint (RFC 9126 §2: "the same rules as for
//! the token endpoint"; a public client names itself with `client_id`). The request is
//! checked here by the code `/authorize` runs (`authorize::validate`), so what would fail
//! there fails now, with a JSON error to the client (§2.3) rather than in the user's
//! browser; `/authorize` checks it again when it is used.
//!
//! A DPoP proof sent with the push (RFC 9449 §10.1) binds the authorization code to its
//! key, as `dpop_jkt` does: the proof is checked as at the token endpoint (with the
//! server's nonce, §8) and its key's thumbprint becomes the request's `dpop_jkt`.

use serde_json::json;

use crate::jose::SignatureVerifier;
use crate::op::authorize::validate::{self, Source};
use crate::op::authorize::{par, request_object};
use crate::op::clients::auth;
use crate::op::error::OpError;
use crate::op::http::{Request, Response};
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::op::token;
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
    let response = match push(op, req, services).await {
        Ok(response) => response,
        Err(err) => err.to_response(),
    };
    // RFC 9449 §8: every answer to a DPoP request carries the nonce to use next.
    if req.header_all("dpop").is_empty() {
        response
    } else {
        response.with_header("dpop-nonce", &op.secrets.nonce().current(services.now))
    }
}

async fn push<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, OpError> {
    let (params, client) = auth::client_form(op, req, auth::Origins::Client, services).await?;
    // §2.1: a pushed request is not itself a reference to another.
    if params.has("request_uri") {
        return Err(OpError::InvalidRequest(
            "request_uri cannot be pushed (RFC 9126 §2.1)".into(),
        ));
    }
    let params = CLIENT_AUTH_PARAMS
        .into_iter()
        .fold(params, |params, name| params.without(name));
    // The proof before the request object: a push answered `use_dpop_nonce` (RFC 9449
    // §8) is sent again as it was, so it must not have spent the object's `jti`.
    let proven = token::proof_key(op, req, &client, services).await?;
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
    let params = match proven {
        None => params,
        Some(jkt) if params.get("dpop_jkt").is_none_or(|named| named == jkt) => {
            params.with("dpop_jkt", &jkt)
        }
        Some(_) => {
            return Err(OpError::InvalidRequest(
                "dpop_jkt names another key than the DPoP proof's (RFC 9449 §10.1)".into(),
            ));
        }
    };
    let reply = validate::reply(&client, &params)?;
    let source = Source {
        pushed: true,
        signed,
    };
    validate::check(op, &client, &reply, &params, source, services).await?;
    let (request_uri, expires_in) =
        par::push(op, &client.client_id, params.clone(), signed, services).await?;
    // §2.2: 201 Created, not cacheable.
    Ok(Response::json(
        201,
        &json!({ "request_uri": request_uri, "expires_in": expires_in }),
    )
    .no_store())
}
