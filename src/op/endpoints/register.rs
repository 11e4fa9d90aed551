//! The registration endpoint (RFC 7591 §3), `POST /register`, when `registration.enabled`:
//! a client sends its metadata as JSON and gets a `client_id`, a secret if it authenticates
//! with one, and the registration access token and URI with which it reads, updates and
//! deletes its registration (RFC 7592, `endpoints::client_configuration`).
//!
//! The metadata goes through the validator configured clients go through
//! (`clients::metadata`), with the rules of a client that vouches for itself: no
//! first-party consent, no CORS origins, only the scopes the provider offers, URIs it
//! fetches on public hosts, `client_credentials` only with the operator's initial access
//! token. Registration is open, or needs that token (RFC 7591 §3: a Bearer token, whose
//! PBKDF2 hash is configured). Each address (`CF-Connecting-IP`; an IPv6 address by its /64,
//! `throttle::address_subject`) may try
//! [`REGISTRATIONS_PER_ADDRESS`] times per [`REGISTRATION_WINDOW`], counted before anything
//! else is checked; bodies over [`MAX_METADATA_LEN`] are refused.
//!
//! The whole deployment stores at most `registration.max_per_hour` registrations per
//! window, counted once a registration has passed every check and is about to be stored.
//! Pages on every origin may register (`op::cors`), so a page many people visit can make
//! each visitor's browser register from that visitor's own address, where the per-address
//! limit never bites; the deployment-wide count is what bounds the records such a flood
//! leaves in the store. Its price: while a flood lasts, registration is refused to
//! everyone until the window turns (clients in the configuration, and those named by a
//! metadata document, are not affected). Counting only what passed the checks keeps
//! malformed requests, and guesses at the initial access token, from using it up.

use serde_json::{Map, Value, json};

use crate::op::clients::metadata::{self, MAX_METADATA_LEN, MetadataError};
use crate::op::clients::registered::{self, LIFETIME};
use crate::op::config::{AuthMethod, Client};
use crate::op::http::{self, Request, Response};
use crate::op::password::{Pbkdf2, verify_password};
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Key, RegisteredClient, RegisteredClients};
use crate::op::routes::CLIENT_CONFIGURATION_PREFIX;
use crate::op::throttle::{self, Verdict};
use crate::store::Store;
use crate::{Error, json};

/// Registration attempts allowed per client address in a window.
pub const REGISTRATIONS_PER_ADDRESS: u64 = 20;
/// The window of [`REGISTRATIONS_PER_ADDRESS`], in seconds.
pub const REGISTRATION_WINDOW: u64 = 3600;

/// Every way registration and its management fail, each with its status and code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The metadata (RFC 7591 §3.2.2): `invalid_redirect_uri`, `invalid_client_metadata`.
    Metadata(MetadataError),
    /// `invalid_token` (401, RFC 6750 §3.1): the initial access token or the registration
    /// access token is missing (`None`) or wrong.
    InvalidToken(Option<&'static str>),
    /// The body is larger than [`MAX_METADATA_LEN`] (413).
    TooLarge,
    /// Too many registrations from the address (429).
    TooMany {
        /// Seconds until the window turns.
        retry_after: u64,
    },
    /// The deployment has stored `registration.max_per_hour` registrations in this
    /// window (429).
    DeploymentFull {
        /// Seconds until the window turns.
        retry_after: u64,
    },
    /// Storage failed (503): the client may retry.
    Unavailable,
}

impl From<MetadataError> for RegistrationError {
    fn from(err: MetadataError) -> RegistrationError {
        RegistrationError::Metadata(err)
    }
}

impl From<Error> for RegistrationError {
    fn from(_: Error) -> RegistrationError {
        RegistrationError::Unavailable
    }
}

/// `invalid_client_metadata` with `description`.
pub fn invalid_metadata(description: impl Into<String>) -> RegistrationError {
    RegistrationError::Metadata(MetadataError::InvalidClientMetadata(description.into()))
}

impl RegistrationError {
    /// The JSON error response, never cached.
    pub fn to_response(&self) -> Response {
        let (status, code, description) = match self {
            RegistrationError::Metadata(err) => (400, err.code(), err.description().to_owned()),
            RegistrationError::InvalidToken(None) => (
                401,
                "invalid_token",
                "a Bearer token is required".to_owned(),
            ),
            RegistrationError::InvalidToken(Some(why)) => (401, "invalid_token", (*why).to_owned()),
            RegistrationError::TooLarge => (
                413,
                "invalid_client_metadata",
                format!("the metadata is larger than {MAX_METADATA_LEN} bytes"),
            ),
            RegistrationError::TooMany { .. } => (
                429,
                "too_many_requests",
                "too many registrations from this address; try again later".to_owned(),
            ),
            RegistrationError::DeploymentFull { .. } => (
                429,
                "too_many_requests",
                "the provider takes no more registrations this hour; try again later".to_owned(),
            ),
            RegistrationError::Unavailable => (
                503,
                "temporarily_unavailable",
                "storage is temporarily unavailable".to_owned(),
            ),
        };
        let response = Response::json(
            status,
            &json!({ "error": code, "error_description": description }),
        )
        .no_store();
        match self {
            // RFC 6750 §3.1: without credentials, a challenge without an error code.
            RegistrationError::InvalidToken(None) => {
                response.with_header("www-authenticate", "Bearer")
            }
            RegistrationError::InvalidToken(Some(why)) => response.with_header(
                "www-authenticate",
                &format!("Bearer error=\"invalid_token\", error_description=\"{why}\""),
            ),
            RegistrationError::TooMany { retry_after }
            | RegistrationError::DeploymentFull { retry_after } => {
                response.with_header("retry-after", &retry_after.to_string())
            }
            _ => response,
        }
    }
}

/// Handles `POST /register`.
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
    let verdict = throttle::per_address(
        services.store,
        req,
        "register",
        REGISTRATIONS_PER_ADDRESS,
        REGISTRATION_WINDOW,
        services.now,
    )
    .await?;
    if let Verdict::Refused { retry_after } = verdict {
        return Err(RegistrationError::TooMany { retry_after });
    }
    if let Some(hash) = &op.config.registration.initial_access_token_hash {
        let token = bearer_token(req).ok_or(RegistrationError::InvalidToken(None))?;
        let valid = verify_password(hash, token.as_bytes(), services.pbkdf2).await?;
        if !valid {
            return Err(RegistrationError::InvalidToken(Some(
                "the initial access token is not valid",
            )));
        }
    }
    let submitted = json_body(req)?;
    let client_credentials = op.config.registration.initial_access_token_hash.is_some();
    let client_id = registered::new_client_id(op)?;
    let read = metadata::read(
        &submitted,
        &client_id,
        &registered::rules(op, client_credentials),
        AuthMethod::ClientSecretBasic,
    )?;
    check_keys(op, &read.client)?;
    let verdict = throttle::deployment_wide(
        services.store,
        "register",
        op.config.registration.max_per_hour,
        REGISTRATION_WINDOW,
        services.now,
    )
    .await?;
    if let Verdict::Refused { retry_after } = verdict {
        return Err(RegistrationError::DeploymentFull { retry_after });
    }
    let now = services.now.0;
    let expires_at = now.saturating_add(i64::try_from(LIFETIME).unwrap_or(i64::MAX));
    let secret = if registered::uses_secret(&read.client) {
        Some(registered::new_secret()?)
    } else {
        None
    };
    let (access_token, access_token_hash) = registered::new_access_token()?;
    let record = RegisteredClient {
        metadata: read.registered,
        secret_hash: secret.as_ref().map(|(_, hash)| hash.clone()),
        access_token_hash,
        issued_at: now,
        expires_at,
    };
    let written = records::reserve(
        services.store,
        &Key::<RegisteredClients>::new(&client_id),
        &record,
        LIFETIME,
    )
    .await?;
    if !written {
        // 128 random bits met a registered id: nothing is overwritten.
        return Err(RegistrationError::Unavailable);
    }
    let client = registered::client_of(op, &client_id, &record)?;
    registered::remember(op, &client_id, Some(std::sync::Arc::new(client)), now);
    let mut body = describe(op, &client_id, &record);
    if let Some((secret, _)) = &secret {
        body.insert("client_secret".into(), json!(secret));
    }
    body.insert("registration_access_token".into(), json!(access_token));
    // RFC 7591 §3.2.1: 201 Created, never cached (it holds credentials).
    Ok(Response::json(201, &Value::Object(body)).no_store_credentials())
}

/// The answer's members for a registration (RFC 7591 §3.2.1, RFC 7592 §3): the registered
/// metadata, `client_id`, when it was issued, when its secret (if any) expires, and the
/// client configuration endpoint. Credentials are the caller's to add.
pub fn describe(op: &Provider, client_id: &str, record: &RegisteredClient) -> Map<String, Value> {
    let mut body = record.metadata.clone();
    body.insert("client_id".into(), json!(client_id));
    body.insert("client_id_issued_at".into(), json!(record.issued_at));
    if record.secret_hash.is_some() {
        body.insert("client_secret_expires_at".into(), json!(record.expires_at));
    }
    body.insert(
        "registration_client_uri".into(),
        json!(format!(
            "{}{CLIENT_CONFIGURATION_PREFIX}{client_id}",
            op.config.issuer
        )),
    );
    body
}

/// The algorithms the client names each have a key that signs with them.
pub fn check_keys(op: &Provider, client: &Client) -> Result<(), RegistrationError> {
    client
        .check_signing_keys(&op.keys)
        .map_err(|err| invalid_metadata(format!("{}: {}", err.path, err.message)))
}

/// The JSON object of the request's body (RFC 7591 §3.1: `application/json`), at most
/// [`MAX_METADATA_LEN`] bytes, every member name once.
pub fn json_body(req: &Request) -> Result<Map<String, Value>, RegistrationError> {
    let json_type = req
        .header("content-type")
        .is_some_and(|ct| http::has_media_type(ct, "application/json"));
    if !json_type {
        return Err(invalid_metadata(
            "the metadata must be sent as a JSON object (Content-Type: application/json)",
        ));
    }
    if req.body.len() > MAX_METADATA_LEN {
        return Err(RegistrationError::TooLarge);
    }
    json::parse_object(&req.body, MAX_METADATA_LEN, "client metadata")
        .map_err(|err| invalid_metadata(format!("the metadata is not a JSON object: {err}")))
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1; the scheme in any case),
/// if there is exactly one such header.
pub fn bearer_token(req: &Request) -> Option<&str> {
    let fields = req.header_all("authorization");
    let [authorization] = fields.as_slice() else {
        return None;
    };
    let authorization: &str = authorization;
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}
