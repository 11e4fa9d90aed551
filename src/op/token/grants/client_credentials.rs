//! `client_credentials` (RFC 6749 §4.4): a confidential client asks for a token for
//! itself. No user, so no ID token, no refresh token, and neither `openid` nor
//! `offline_access` may be asked for.

use serde_json::Value;

use super::super::TokenRequest;
use super::super::issue::{Issue, issue};
use super::super::target;
use crate::op::error::OpError;
use crate::op::provider::{Provider, Services};
use crate::op::types::Scope;
use crate::random;
use crate::store::Store;

/// Scopes that only make sense with a user.
const USER_SCOPES: [&str; 2] = ["openid", "offline_access"];

/// Issues the client its access token.
pub async fn exchange<S: Store, P, V>(
    op: &Provider,
    TokenRequest {
        client,
        params,
        binding,
        ..
    }: TokenRequest<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let scope = Scope::new(match params.get("scope") {
        Some(asked) => {
            let asked: Vec<&str> = asked.split(' ').filter(|s| !s.is_empty()).collect();
            if let Some(bad) = asked
                .iter()
                .find(|s| !client.allows_scope(s) || USER_SCOPES.contains(s))
            {
                return Err(OpError::InvalidScope(format!(
                    "scope {bad:?} is not available to this client"
                )));
            }
            asked.join(" ")
        }
        None => client
            .scopes
            .iter()
            .filter(|s| !USER_SCOPES.contains(&s.as_str()))
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
    });
    // RFC 8707 §2.2: a token for the resources the request names, if any.
    let target = target::target(op, client, &target::requested(op, params)?, &scope)?;
    issue(
        op,
        client,
        Issue {
            jti: &random::token(16)?,
            grant: None,
            sub: &client.client_id,
            user: None,
            scope: &scope,
            target: &target,
            auth_time: None,
            sid: None,
            nonce: None,
            binding: binding.as_ref(),
            claims: None,
            exchanged: None,
        },
        services,
    )
    .await
}
