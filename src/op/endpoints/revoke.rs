//! The revocation endpoint (RFC 7009): a client tells the provider it no longer needs a
//! token. The client authenticates exactly as at the token endpoint (RFC 7009 §2.1 over
//! `op::clients::auth`: a confidential client with its credentials, a public client by
//! its `client_id`), and only its own tokens are revoked.
//!
//! What a token is revoked through is its grant, the refresh family (`op::grant::lifecycle`):
//!
//! - a refresh token revokes its whole family, and with it every access token that names
//!   the family as `gid` (§2.1: the server "SHOULD also invalidate all access tokens based
//!   on the same authorization grant");
//! - an access token (an RFC 9068 JWT issued here, checked as a resource checks it) is
//!   revoked through the family it names as `gid`, its refresh tokens included: §2.1
//!   allows revoking "the respective authorization grant" with it, and access tokens are
//!   self-contained, so the family's notice is the only mark resources read. A token
//!   without `gid` (client credentials) has no grant to revoke and stays valid until it
//!   expires (minutes); the answer is still 200, as §2.2 answers for any token it does
//!   not revoke. An expired access token needs no revocation: 200.
//!
//! Every token that is not the authenticated client's — another client's, unknown,
//! malformed, expired — is answered 200 and left alone: §2.2 answers invalid tokens with
//! 200, and the same answer for another client's token tells the caller nothing about it
//! (§2.1 has the server refuse such a request; refusing it with an error would confirm
//! that the token exists).
//!
//! Revocation reaches other locations within the store's propagation, as §2.2 allows.

use serde_json::Value;

use crate::jose::SignatureVerifier;
use crate::op::clients::auth::{Origins, token_form};
use crate::op::config::Client;
use crate::op::error::OpError;
use crate::op::grant::lifecycle;
use crate::op::http::{Request, Response};
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Grant, Grants, Key};
use crate::op::resource::access_token_claims;
use crate::store::Store;

/// The token types this endpoint looks a token up as (RFC 7009 §2.1, §4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenType {
    /// `refresh_token`.
    Refresh,
    /// `access_token`.
    Access,
}

/// Handles `POST /revoke`.
pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    match run(op, req, services).await {
        // §2.2: the body is ignored, the status says it all.
        Ok(()) => Response::empty(200).no_store(),
        Err(err) => err.to_response(),
    }
}

async fn run<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<(), OpError> {
    let (params, client, token) = token_form(op, req, Origins::Client, services).await?;
    let token = token.as_str();
    // §2.1: the hint only orders the search, which extends to the other type when the
    // token is not found as the hinted one. §2.2: "An invalid token type hint value is
    // ignored by the authorization server and does not influence the revocation response."
    let order = match params.get("token_type_hint") {
        Some("access_token") => [TokenType::Access, TokenType::Refresh],
        _ => [TokenType::Refresh, TokenType::Access],
    };
    for kind in order {
        let found = match kind {
            TokenType::Refresh => revoke_refresh_token(token, &client, services).await?,
            TokenType::Access => revoke_access_token(op, token, &client, services).await?,
        };
        if found {
            break;
        }
    }
    Ok(())
}

/// Revokes the family of `token` if it is a refresh token of `client`. Returns whether it
/// is a refresh token at all (whoever's it is).
async fn revoke_refresh_token<S: Store, P, V>(
    token: &str,
    client: &Client,
    services: &Services<'_, S, P, V>,
) -> Result<bool, OpError> {
    let record: Option<Grant> = records::get(services.store, &Key::<Grants>::new(token)).await?;
    // A grant record without `refreshable` was never handed out as a refresh token.
    let Some(record) = record.filter(|record| record.refreshable) else {
        return Ok(false);
    };
    if record.client_id == client.client_id {
        lifecycle::revoke_family(&record.family, services).await?;
    }
    Ok(true)
}

/// Revokes the family an access token of `client` names (`gid`). Returns whether `token`
/// is an unexpired access token issued here at all (to whichever client).
async fn revoke_access_token<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    token: &str,
    client: &Client,
    services: &Services<'_, S, P, V>,
) -> Result<bool, OpError> {
    // Not ours, forged, or expired (§2.2: nothing left to revoke): not an access token here.
    // A store failure reading an opaque token is not an answer about it.
    let claims = match access_token_claims(op, token, services).await {
        Ok(claims) => claims,
        Err(crate::Error::StoreUnavailable) => return Err(OpError::TemporarilyUnavailable),
        Err(_) => return Ok(false),
    };
    let issued_to = claims.get("client_id").and_then(Value::as_str);
    if issued_to != Some(client.client_id.as_str()) {
        return Ok(true);
    }
    // §2.1 allows revoking the grant with the token: the family is what resources read
    // (`gid`). Without one (client credentials) nothing revokes the token before `exp`.
    if let Some(family) = claims.get("gid").and_then(Value::as_str) {
        lifecycle::revoke_family(family, services).await?;
    }
    Ok(true)
}
