//! Client authentication at the token endpoint (RFC 6749 §2.3). The request presents its
//! credentials in one way ([`presented`]); the client is looked up; the way must be the
//! one it is registered with (`token_endpoint_auth_method`), and that method's module
//! checks them. Adding a method is its module here, its [`AuthMethod`], and one arm in
//! [`authenticate`].

pub mod client_secret;

use std::borrow::Cow;

use crate::op::clients::registry;
use crate::op::config::{AuthMethod, Client};
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::http::Request;
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::secret::Secret;

/// The credentials a request presents.
#[derive(Debug)]
pub struct Credentials {
    /// The client it names.
    pub client_id: String,
    /// How it authenticates.
    pub method: AuthMethod,
    /// The client secret, for the secret methods.
    pub secret: Option<Secret>,
}

/// The authenticated client of a token request.
pub async fn authenticate<'p, S, P: Pbkdf2, V>(
    op: &'p Provider,
    req: &Request,
    params: &Params,
    services: &Services<'_, S, P, V>,
) -> Result<Cow<'p, Client>, OpError> {
    let credentials = presented(req, params)?;
    let basic = credentials.method == AuthMethod::ClientSecretBasic;
    let client = registry::find(op, &credentials.client_id, services)
        .await?
        .ok_or(OpError::InvalidClient { basic })?;
    if client.token_endpoint_auth_method != credentials.method {
        return Err(OpError::InvalidClient { basic });
    }
    let verified = match credentials.method {
        AuthMethod::None => client.client_secret_hash.is_none(),
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
            client_secret::verify(&client, credentials.secret.as_ref(), services.pbkdf2).await?
        }
    };
    if verified {
        Ok(client)
    } else {
        Err(OpError::InvalidClient { basic })
    }
}

/// The one way the request authenticates: `Authorization: Basic`, a `client_secret` in
/// the body, or only a `client_id` (a public client). Two ways at once are refused
/// (RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request").
fn presented(req: &Request, params: &Params) -> Result<Credentials, OpError> {
    let basic = client_secret::from_authorization_header(req)?;
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
            })
        }
        (None, Some(secret)) => Ok(Credentials {
            client_id: body_client_id(params)?,
            method: AuthMethod::ClientSecretPost,
            secret: Some(Secret::new(secret.to_owned())),
        }),
        (None, None) => Ok(Credentials {
            client_id: body_client_id(params)?,
            method: AuthMethod::None,
            secret: None,
        }),
    }
}

fn body_client_id(params: &Params) -> Result<String, OpError> {
    params
        .get("client_id")
        .map(str::to_owned)
        .ok_or(OpError::InvalidClient { basic: false })
}
