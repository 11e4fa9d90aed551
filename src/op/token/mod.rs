//! The token endpoint (RFC 6749 §3.2): it authenticates the client, decides what the
//! tokens are bound to (a DPoP proof's key, RFC 9449 §5, or the TLS client certificate,
//! RFC 8705 §3: `binding.rs`), and hands the request to the module of its `grant_type`
//! under `grants/`. Tokens are built in one place, `issue.rs` (the response) over `jwt.rs`
//! (the JWTs); the grant lifecycle they share with other endpoints is `op::grant`.
//!
//! Adding a grant is its module under `grants/`, its [`GrantType`], and one arm in
//! [`exchange`].

pub mod binding;
pub mod grants;
pub mod issue;
pub mod jwt;
pub mod own_id_token;
pub mod target;

use serde_json::Value;

pub use self::binding::Binding;
pub use self::jwt::{set_member, user_claims};
use crate::Error;
use crate::dpop::{NoncePolicy, ProofCheck, check_proof};
use crate::jose::SignatureVerifier;
use crate::op::clients::auth::{Origins, client_form};
use crate::op::config::{Client, GrantType};
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::http::{Request, Response};
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::store::Store;

/// What every grant works from: the authenticated client, the request's parameters, what
/// the tokens are to be bound to, and the certificate the request presents.
#[derive(Debug)]
pub struct TokenRequest<'r> {
    /// The client, authenticated and allowed this grant.
    pub client: &'r Client,
    /// The request body's parameters.
    pub params: &'r Params,
    /// The DPoP key or certificate the tokens are bound to, after every check.
    pub binding: Option<Binding>,
    /// The `x5t#S256` of the TLS client certificate the request presents (RFC 8705 §3.1),
    /// whether or not it binds the tokens: what a certificate-bound refresh token or
    /// subject token is checked against.
    pub certificate: Option<String>,
}

/// Handles `POST /token`.
pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    let dpop_used = !req.header_all("dpop").is_empty();
    let response = match run(op, req, services).await {
        Ok(body) => Response::json(200, &body).no_store_credentials(),
        Err(err) => err.to_response(),
    };
    // RFC 9449 §8: every answer to a DPoP request carries the nonce to use next.
    if dpop_used {
        response.with_header("dpop-nonce", &op.secrets.nonce().current(services.now))
    } else {
        response
    }
}

async fn run<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let (params, client) = client_form(op, req, Origins::Client, services).await?;
    let grant = match params.get("grant_type") {
        Some(name) => GrantType::parse(name).ok_or(OpError::UnsupportedGrantType)?,
        None => return Err(OpError::InvalidRequest("grant_type is required".into())),
    };
    if !client.allows_grant(grant) {
        return Err(OpError::UnauthorizedClient(format!(
            "this client may not use {}",
            grant.as_str()
        )));
    }
    let binding = binding::of_request(op, req, &client, services).await?;
    let request = TokenRequest {
        client: &client,
        params: &params,
        binding,
        certificate: binding::presented_thumbprint(req),
    };
    exchange(op, grant, request, services).await
}

/// The grant's own rules, and its tokens.
async fn exchange<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    grant: GrantType,
    request: TokenRequest<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    match grant {
        GrantType::AuthorizationCode => {
            grants::authorization_code::exchange(op, request, services).await
        }
        GrantType::RefreshToken => grants::refresh_token::exchange(op, request, services).await,
        GrantType::ClientCredentials => {
            grants::client_credentials::exchange(op, request, services).await
        }
        GrantType::DeviceCode => grants::device_code::exchange(op, request, services).await,
        GrantType::TokenExchange => grants::token_exchange::exchange(op, request, services).await,
        GrantType::Ciba => grants::ciba::exchange(op, request, services).await,
    }
}

/// The thumbprint of the key of the request's DPoP proof, after the checks the token
/// endpoint makes (RFC 9449 §4.3, a server nonce, §8, the algorithms of the client's
/// profile); `None` without a proof. `/par` checks a pushed request's proof the same way
/// (RFC 9449 §10.1).
pub(crate) async fn proof_key<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    client: &Client,
    services: &Services<'_, S, P, V>,
) -> Result<Option<String>, OpError> {
    let headers = req.header_all("dpop");
    if headers.is_empty() {
        return Ok(None);
    }
    let check = ProofCheck {
        nonce: NoncePolicy::Stateless(op.secrets.nonce()),
        // Every asymmetric algorithm, or those of the client's profile (FAPI 2.0 §5.4.1).
        algorithms: client.signing_algorithms(),
        ..ProofCheck::new("POST", req.url_without_query())
    };
    match check_proof(
        &headers,
        &check,
        services.now,
        services.verifier,
        Some(services.store),
    )
    .await
    {
        Ok(proof) => Ok(Some(proof.jkt)),
        Err(Error::StoreUnavailable) => Err(OpError::TemporarilyUnavailable),
        Err(err) => Err(OpError::Dpop(err)),
    }
}
