//! Client authentication at the token endpoint (RFC 6749 §2.3), and at every endpoint that
//! authenticates clients the same way (revocation, introspection). The request presents its
//! credentials in one way ([`presented`]); the client is looked up; the way must be the
//! one it is registered with (`token_endpoint_auth_method`), and that method's module
//! checks them. Adding a method is its module here, its [`AuthMethod`], and one arm in
//! [`authenticate`].
//!
//! A request that names its client with `client_id` alone is a public client's, or one
//! that authenticates with its TLS client certificate (RFC 8705 §2: the certificate is the
//! credential, and the body carries only `client_id`): which one is the client's
//! registered method.

pub mod client_secret;
pub mod private_key_jwt;
pub mod self_signed_tls_client_auth;
pub mod tls_client_auth;

use std::borrow::Cow;

use crate::jose::SignatureVerifier;
use crate::op::clients::registry;
use crate::op::config::{AuthMethod, Client};
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::http::Request;
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::secret::Secret;
use crate::store::Store;

/// The credentials a request presents. `Debug` shows neither the secret nor the
/// assertion (a bearer credential until it expires).
pub struct Credentials {
    /// The client it names.
    pub client_id: String,
    /// How it authenticates: [`AuthMethod::None`] when the request names the client with
    /// `client_id` alone, which a client registered for mutual TLS does too.
    pub method: AuthMethod,
    /// The client secret, for the secret methods.
    pub secret: Option<Secret>,
    /// The signed assertion, for `private_key_jwt`.
    pub assertion: Option<String>,
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("method", &self.method)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("assertion", &self.assertion.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Whether an endpoint answers pages on other origins as its clients' (its route's CORS is
/// [`Cors::Clients`](crate::op::cors::Cors::Clients)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origins {
    /// It does: a request from a page must come from an origin its client allows
    /// (`Provider::origin_allowed_for`), checked once the client is found and before its
    /// credentials are, so a refused request consumes nothing (not even an assertion's
    /// `jti`).
    Client,
    /// It does not: no page may read its answers, and the `Origin` is not looked at.
    Ignored,
}

/// A form POST from an authenticated client, as the token endpoint and every endpoint
/// that authenticates as it does take one (`/par`, `/device_authorization`,
/// `/bc-authorize`): the form body (`invalid_request` otherwise) and its client,
/// authenticated, from an origin it allows where `origins` says so.
pub async fn client_form<'p, S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &'p Provider,
    req: &Request,
    origins: Origins,
    services: &Services<'_, S, P, V>,
) -> Result<(Params, Cow<'p, Client>), OpError> {
    if !req.has_form_body() {
        return Err(OpError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    let params = req.params().map_err(OpError::InvalidRequest)?;
    let client = authenticate(op, req, &params, origins, services).await?;
    Ok((params, client))
}

/// A [`client_form`] with a `token`, as `/revoke` and `/introspect` take one.
pub async fn token_form<'p, S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &'p Provider,
    req: &Request,
    origins: Origins,
    services: &Services<'_, S, P, V>,
) -> Result<(Params, Cow<'p, Client>, String), OpError> {
    let (params, client) = client_form(op, req, origins, services).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OpError::InvalidRequest("token is required".into()))?
        .to_owned();
    Ok((params, client, token))
}

/// The authenticated client of a token request.
pub async fn authenticate<'p, S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &'p Provider,
    req: &Request,
    params: &Params,
    origins: Origins,
    services: &Services<'_, S, P, V>,
) -> Result<Cow<'p, Client>, OpError> {
    let credentials = presented(req, params)?;
    let basic = credentials.method == AuthMethod::ClientSecretBasic;
    let client = registry::find(op, &credentials.client_id, services)
        .await?
        .ok_or(OpError::InvalidClient { basic })?;
    if origins == Origins::Client && !op.origin_allowed_for(req, &client) {
        return Err(OpError::InvalidRequest(
            "this origin is not allowed for the client (CORS)".into(),
        ));
    }
    let registered = client.token_endpoint_auth_method;
    let by_client_id_alone = credentials.method == AuthMethod::None && registered.is_mtls();
    if registered != credentials.method && !by_client_id_alone {
        return Err(OpError::InvalidClient { basic });
    }
    let verified = match registered {
        AuthMethod::None => client.client_secret_hash.is_none(),
        AuthMethod::TlsClientAuth => tls_client_auth::verify(&client, req),
        AuthMethod::SelfSignedTlsClientAuth => {
            self_signed_tls_client_auth::verify(op, &client, req, services).await
        }
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
            client_secret::verify(&client, credentials.secret.as_ref(), services.pbkdf2).await?
        }
        AuthMethod::PrivateKeyJwt => match &credentials.assertion {
            Some(assertion) => {
                private_key_jwt::verify(op, &client, assertion, req, services).await?
            }
            None => false,
        },
    };
    if verified {
        Ok(client)
    } else {
        Err(OpError::InvalidClient { basic })
    }
}

/// The one way the request authenticates: `Authorization: Basic`, a `client_secret` in
/// the body, a `client_assertion` (RFC 7521 §4.2), or only a `client_id` (a public client, or
/// one that authenticates with its TLS client certificate).
/// Two ways at once are refused (RFC 6749 §2.3: "MUST NOT use more than one authentication
/// method in each request").
fn presented(req: &Request, params: &Params) -> Result<Credentials, OpError> {
    let basic = client_secret::from_authorization_header(req)?;
    if let Some(assertion) = params.get("client_assertion") {
        if basic.is_some() || params.get("client_secret").is_some() {
            return Err(OpError::InvalidRequest(
                "use one client authentication method, not several".into(),
            ));
        }
        if params.get("client_assertion_type") != Some(private_key_jwt::ASSERTION_TYPE) {
            return Err(OpError::InvalidRequest(format!(
                "client_assertion_type must be {}",
                private_key_jwt::ASSERTION_TYPE
            )));
        }
        // RFC 7521 §4.2: client_id is optional; when present it names the same client.
        let claimed = private_key_jwt::claimed_client(assertion)
            .ok_or(OpError::InvalidClient { basic: false })?;
        if params.get("client_id").is_some_and(|id| id != claimed) {
            return Err(OpError::InvalidClient { basic: false });
        }
        return Ok(Credentials {
            client_id: claimed,
            method: AuthMethod::PrivateKeyJwt,
            secret: None,
            assertion: Some(assertion.to_owned()),
        });
    }
    if params.get("client_assertion_type").is_some() {
        return Err(OpError::InvalidRequest(
            "client_assertion_type without client_assertion".into(),
        ));
    }
    match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => Err(OpError::InvalidRequest(
            "use one client authentication method, not several".into(),
        )),
        (Some((client_id, secret)), None) => {
            if params
                .get("client_id")
                .is_some_and(|body_id| body_id != client_id)
            {
                return Err(OpError::InvalidRequest(
                    "client_id differs from the authenticated client".into(),
                ));
            }
            Ok(Credentials {
                client_id,
                method: AuthMethod::ClientSecretBasic,
                secret: Some(secret),
                assertion: None,
            })
        }
        (None, Some(secret)) => Ok(Credentials {
            client_id: body_client_id(params)?,
            method: AuthMethod::ClientSecretPost,
            secret: Some(Secret::new(secret.to_owned())),
            assertion: None,
        }),
        (None, None) => Ok(Credentials {
            client_id: body_client_id(params)?,
            method: AuthMethod::None,
            secret: None,
            assertion: None,
        }),
    }
}

fn body_client_id(params: &Params) -> Result<String, OpError> {
    params
        .get("client_id")
        .map(str::to_owned)
        .ok_or(OpError::InvalidClient { basic: false })
}
