//! The client configuration endpoint (RFC 7592 §2), `/register/<client_id>`, when
//! `registration.enabled`: with its registration access token as a Bearer token, a client
//! registered at `/register` reads its registration (GET), replaces its metadata (PUT) or
//! deletes itself (DELETE). A missing or wrong token, or a client that is not registered
//! (never, no longer, or a configured one), is `401 invalid_token` alike (§2.1-2.3).
//!
//! An update goes through the validator registration used, with the whole metadata (§2.2:
//! what is left out is removed); its `client_id` must be the client's, a `client_secret`
//! in it must be the client's own (a client never chooses its secret), and the fields only
//! the server sets are refused. A client that changes to a secret method gets a secret
//! (once, in the answer); one that keeps a secret method keeps its secret. An update never
//! adds `client_credentials`, which only registering with the operator's initial access
//! token grants. A read and an update answer with the client information response of §3,
//! which includes the registration access token: the one presented (it is not rotated).
//! A deletion is final: an update made where the deleted registration is still read (KV's
//! propagation) is refused and written back out ([`registered::replace`]).
//! After a deletion the client is unknown everywhere the provider looks it up: its grants
//! can no longer be used, its tokens are refused at `/userinfo` and the provider's own API
//! and answered inactive by `/introspect` (a resource server that checks JWT access tokens
//! by their signature alone keeps accepting them until they expire).

use std::sync::Arc;

use serde_json::{Value, json};

use super::register::{
    RegistrationError, bearer_token, check_keys, describe, invalid_metadata, json_body,
};
use crate::op::clients::metadata;
use crate::op::clients::registered;
use crate::op::config::{AuthMethod, GrantType};
use crate::op::http::{Request, Response};
use crate::op::password::{PasswordHash, Pbkdf2, verify_password};
use crate::op::provider::{Provider, Services};
use crate::op::records::RegisteredClient;
use crate::op::routes::CLIENT_CONFIGURATION_PREFIX;
use crate::store::Store;

/// Fields the server sets, which an update must not send (RFC 7592 §2.2).
const SERVER_FIELDS: [&str; 4] = [
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

/// Handles `GET`, `PUT` and `DELETE` of `/register/<client_id>`.
pub async fn handle<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    match run(op, req, services).await {
        Ok(response) => response,
        Err(err) => err.to_response(),
    }
}

async fn run<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, RegistrationError> {
    let client_id = req
        .path()
        .strip_prefix(CLIENT_CONFIGURATION_PREFIX)
        .unwrap_or_default();
    let token = bearer_token(req).ok_or(RegistrationError::InvalidToken(None))?;
    let now = services.now.0;
    let record = registered::load(client_id, services)
        .await?
        .filter(|record| now < record.expires_at && registered::token_matches(record, token))
        .ok_or_else(token_not_valid)?;
    match req.method.as_str() {
        "PUT" => update(op, req, services, client_id, token, record).await,
        "DELETE" => {
            registered::delete(op, client_id, services).await?;
            // §2.3: 204, and the client is gone.
            Ok(Response::empty(204).no_store())
        }
        _ => {
            let mut body = describe(op, client_id, &record);
            body.insert("registration_access_token".into(), json!(token));
            Ok(Response::json(200, &Value::Object(body)).no_store_credentials())
        }
    }
}

/// §2.1-2.3: a wrong token and a client that is not registered are answered alike.
fn token_not_valid() -> RegistrationError {
    RegistrationError::InvalidToken(Some(
        "the registration access token is not valid for this client",
    ))
}

/// §2.2: replaces the client's metadata with the request's.
async fn update<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
    client_id: &str,
    token: &str,
    record: RegisteredClient,
) -> Result<Response, RegistrationError> {
    let mut submitted = json_body(req)?;
    match submitted.remove("client_id") {
        Some(Value::String(id)) if id == client_id => {}
        Some(_) => {
            return Err(invalid_metadata(format!(
                "client_id: must be this client's identifier, {client_id}: it cannot change (RFC 7592 §2.2)"
            )));
        }
        None => {
            return Err(invalid_metadata(
                "client_id: is required in an update (RFC 7592 §2.2)",
            ));
        }
    }
    if let Some(name) = SERVER_FIELDS
        .iter()
        .find(|name| submitted.contains_key(**name))
    {
        return Err(invalid_metadata(format!(
            "{name}: is set by the server and must not be sent in an update (RFC 7592 §2.2)"
        )));
    }
    if let Some(presented) = submitted.remove("client_secret") {
        let hash = record
            .secret_hash
            .as_deref()
            .and_then(|phc| PasswordHash::parse(phc).ok());
        let own = match (presented.as_str(), hash) {
            (Some(secret), Some(hash)) => {
                verify_password(&hash, secret.as_bytes(), services.pbkdf2).await?
            }
            _ => false,
        };
        if !own {
            return Err(invalid_metadata(
                "client_secret: is not this client's secret (a client cannot choose its secret, RFC 7592 §2.2)",
            ));
        }
    }
    // `client_credentials` is granted at registration, with the operator's initial access
    // token, and an update keeps it; it never adds it. The update is authorised by the
    // registration access token alone, so a client registered openly, before the operator
    // required an initial access token, would otherwise grant itself tokens with no user
    // behind them by sending one PUT once the operator had.
    let client_credentials = record
        .metadata
        .get("grant_types")
        .and_then(Value::as_array)
        .is_some_and(|grants| {
            grants
                .iter()
                .any(|g| g.as_str() == Some(GrantType::ClientCredentials.as_str()))
        });
    let read = metadata::read(
        &submitted,
        client_id,
        &registered::rules(op, client_credentials),
        AuthMethod::ClientSecretBasic,
    )?;
    check_keys(op, &read.client)?;
    let (secret_hash, issued_secret) =
        match (registered::uses_secret(&read.client), record.secret_hash) {
            (false, _) => (None, None),
            (true, Some(hash)) => (Some(hash), None),
            (true, None) => {
                let (secret, hash) = registered::new_secret()?;
                (Some(hash), Some(secret))
            }
        };
    let updated = RegisteredClient {
        metadata: read.registered,
        secret_hash,
        access_token_hash: record.access_token_hash,
        issued_at: record.issued_at,
        expires_at: record.expires_at,
    };
    let now = services.now.0;
    if !registered::replace(client_id, &updated, services).await? {
        // §2.2: deleted by a request that reached the store first; as for a client
        // that is no longer registered.
        registered::remember(op, client_id, None, now);
        return Err(token_not_valid());
    }
    let client = registered::client_of(op, client_id, &updated)?;
    registered::remember(op, client_id, Some(Arc::new(client)), now);
    let mut body = describe(op, client_id, &updated);
    if let Some(secret) = issued_secret {
        body.insert("client_secret".into(), json!(secret));
    }
    body.insert("registration_access_token".into(), json!(token));
    Ok(Response::json(200, &Value::Object(body)).no_store_credentials())
}
