//! The backchannel authentication endpoint, `/bc-authorize` (OpenID Connect CIBA Core 1.0
//! §7): a confidential client registered for CIBA names a user and asks for their approval,
//! which the user gives at `/ciba`; the client then calls the token endpoint with the
//! `auth_req_id` it gets here: polling (poll mode), or once told the user answered (ping
//! mode, with the `client_notification_token` it sends here, `op::ciba::ping`).
//!
//! The user is named by exactly one hint (§7.1): `login_hint` (their username here) or
//! `id_token_hint` (an ID token this provider issued to this client; expired ones are fine
//! hints, up to a session's lifetime). `login_hint_token`, `user_code` and signed request
//! objects are not supported. Errors are those of §13: `unknown_user_id` for a hint that
//! names nobody, `invalid_binding_message`, `invalid_scope`, `unauthorized_client`,
//! `invalid_request`.

use serde_json::{Value, json};

use crate::jose::SignatureVerifier;
use crate::op::authorize::validate::requested_scope;
use crate::op::ciba::{self, Ask, ping};
use crate::op::clients::auth::{Origins, client_form};
use crate::op::config::{Client, GrantType, TokenDelivery};
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::http::{Request, Response};
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::op::token::own_id_token::{self, Expect, Expiry};
use crate::op::token::target;
use crate::op::users::{self, Profile};
use crate::store::Store;

/// The longest binding message, in characters: it is shown on two small screens.
pub const MAX_BINDING_MESSAGE: usize = 64;

/// Handles `POST /bc-authorize`.
pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    match run(op, req, services).await {
        // §7.3: the answer holds the auth_req_id, a credential: never cached.
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
    if !client.allows_grant(GrantType::Ciba) || client.backchannel_token_delivery_mode.is_none() {
        return Err(OpError::UnauthorizedClient(
            "this client may not use CIBA".into(),
        ));
    }
    for unsupported in ["request", "login_hint_token", "user_code"] {
        if params.has(unsupported) {
            return Err(OpError::InvalidRequest(format!(
                "{unsupported} is not supported"
            )));
        }
    }
    // §7.1: a ping client's requests each carry the token its notification is sent with; a
    // poll client's are never notified, so whatever it sends is not kept.
    let client_notification_token = match client.backchannel_token_delivery_mode {
        Some(TokenDelivery::Ping { .. }) => Some(ping::notification_token(
            params.get("client_notification_token"),
        )?),
        _ => None,
    };
    let scope = requested_scope(&client, params.get("scope"))?;
    // §7.1: a CIBA request is an OpenID Connect authentication request.
    if !scope.has("openid") {
        return Err(OpError::InvalidScope(
            "scope must include openid (CIBA Core §7.1)".into(),
        ));
    }
    let sub = user_of_hint(op, &client, &params, services).await?;
    let binding_message = binding_message(params.get("binding_message"))?;
    let expires_in = expiry(op, params.get("requested_expiry"))?;
    // RFC 8707 §2: the resources the tokens may be for, each one this provider knows.
    let resources = target::requested(op, &params)?;
    let started = ciba::start(
        op,
        Ask {
            client_id: &client.client_id,
            sub: &sub,
            scope,
            binding_message,
            resources,
            expires_in,
            client_notification_token,
        },
        services,
    )
    .await?;
    Ok(json!({
        "auth_req_id": started.auth_req_id,
        "expires_in": started.expires_in,
        "interval": started.interval,
    }))
}

/// The `sub` the request's one hint names (§7.1).
async fn user_of_hint<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    client: &Client,
    params: &Params,
    services: &Services<'_, S, P, V>,
) -> Result<String, OpError> {
    match (params.get("login_hint"), params.get("id_token_hint")) {
        (Some(username), None) => op
            .config
            .user_by_username(username)
            .map(|user| user.sub.clone())
            .ok_or(OpError::UnknownUserId),
        (None, Some(token)) => {
            let sub = hinted_sub(op, client, token, services)
                .await
                .ok_or_else(|| {
                    OpError::InvalidRequest(
                        "id_token_hint is not an ID token this provider issued to this client"
                            .into(),
                    )
                })?;
            // A configured user, or the account of an upstream sign-in.
            users::find(op, &sub, services)
                .await?
                .map(|user| user.sub().to_owned())
                .ok_or(OpError::UnknownUserId)
        }
        _ => Err(OpError::InvalidRequest(
            "exactly one of login_hint and id_token_hint is required".into(),
        )),
    }
}

/// The `sub` of an ID token this provider signed for `client`; expired ones are fine hints
/// up to a session's lifetime.
async fn hinted_sub<S, P, V: SignatureVerifier>(
    op: &Provider,
    client: &Client,
    token: &str,
    services: &Services<'_, S, P, V>,
) -> Option<String> {
    let expect = Expect {
        audience: Some(&client.client_id),
        expiry: Expiry::WithinASession,
        required: &["sub", "aud"],
    };
    let verified = own_id_token::verified(op, token, &expect, services).await?;
    verified
        .claims()
        .string("sub")
        .ok()
        .flatten()
        .map(str::to_owned)
}

/// The binding message (§7.1): shown on both devices, so short plain text; anything else
/// is `invalid_binding_message` (§13).
fn binding_message(message: Option<&str>) -> Result<Option<String>, OpError> {
    let Some(message) = message else {
        return Ok(None);
    };
    let plain = message.chars().count() <= MAX_BINDING_MESSAGE
        && !message.chars().any(char::is_control)
        && message.trim() == message;
    if !plain {
        return Err(OpError::InvalidBindingMessage(format!(
            "binding_message must be at most {MAX_BINDING_MESSAGE} characters of plain text"
        )));
    }
    Ok(Some(message.to_owned()))
}

/// The request's life (§7.1 `requested_expiry`: a positive integer of seconds), within
/// `lifetimes.ciba`.
fn expiry(op: &Provider, requested: Option<&str>) -> Result<u64, OpError> {
    let lifetime = op.config.lifetimes.ciba;
    let Some(text) = requested else {
        return Ok(lifetime);
    };
    let seconds = text
        .parse::<u64>()
        .ok()
        .filter(|s| *s > 0 && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            OpError::InvalidRequest("requested_expiry must be a positive integer".into())
        })?;
    Ok(seconds.min(lifetime))
}
