//! The device authorization endpoint (RFC 8628 §3.1, §3.2): a client on a device without
//! a browser (a TV, a command-line tool) asks for a device code and a user code. The
//! client authenticates as at the token endpoint (`op::clients::auth`: a confidential
//! client with its credentials, a public one by its `client_id`) and must be registered
//! for the device grant; the scopes and resources it asks for are checked as
//! `/authorize` checks them, now, rather than when the user has already approved.

use serde_json::{Value, json};

use crate::jose::SignatureVerifier;
use crate::op::authorize::validate::requested_scope;
use crate::op::clients::auth::{Origins, client_form};
use crate::op::config::GrantType;
use crate::op::device::{self, user_code};
use crate::op::endpoints::device::complete_uri;
use crate::op::error::OpError;
use crate::op::http::{Request, Response};
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::op::token::target;
use crate::store::Store;

/// Handles `POST /device_authorization`.
pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    match run(op, req, services).await {
        // §3.2: the answer holds the device code, a credential: never cached.
        Ok(body) => Response::json(200, &body).no_store_credentials(),
        Err(err) => err.to_response(),
    }
}

async fn run<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let (params, client) = client_form(op, req, Origins::Ignored, services).await?;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(OpError::UnauthorizedClient(
            "this client may not use the device authorization grant".into(),
        ));
    }
    // RFC 6749 §3.3: required, as at /authorize; there is no default scope to fall back to.
    let scope = requested_scope(&client, params.get("scope"))?;
    // RFC 8707 §2: the resources the tokens may be for, each one this provider knows.
    let resources = target::requested(op, &params)?;
    let started = device::start(op, &client.client_id, scope, resources, services).await?;
    let issuer = &op.config.issuer;
    Ok(json!({
        "device_code": started.device_code,
        "user_code": user_code::display(&started.user_code),
        "verification_uri": format!("{issuer}{}", device::pages::ACTION),
        "verification_uri_complete": complete_uri(issuer, &started.user_code),
        "expires_in": started.expires_in,
        "interval": started.interval,
    }))
}
