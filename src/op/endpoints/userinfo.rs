//! The UserInfo endpoint (OpenID Connect Core §5.3) as a protected resource: Bearer
//! tokens (RFC 6750), DPoP-bound tokens (RFC 9449 §7), which must come with a proof, and
//! certificate-bound tokens (RFC 8705 §3), which must come over a connection that presents
//! their certificate.

use serde_json::Value;

use crate::jose::SignatureVerifier;
use crate::op::http::{Request, Response};
use crate::op::provider::{Provider, Services};
use crate::op::resource::{Denied, Policy, Scheme, authorize_request};
use crate::op::token::jwt::USERINFO_CLAIMS;
use crate::op::token::user_claims;
use crate::op::users;
use crate::store::Store;

/// What `/userinfo` demands: an `openid` token, bearer or sender-constrained.
const POLICY: Policy<'static> = Policy {
    scopes: &["openid"],
    sender_constrained: false,
    require_nonce: false,
    own_api: false,
};

/// Handles `/userinfo`.
pub async fn handle<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    let claims = match authorize_request(op, req, services, &POLICY).await {
        Ok(claims) => claims,
        Err(denied) => return denied.to_response(op, services.now),
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
    // The claims the authorization request asked for the UserInfo response (OpenID
    // Connect Core §5.5), which the access token carries.
    let requested: Vec<&str> = claims
        .get(USERINFO_CLAIMS)
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let user = match users::find(op, text("sub"), services).await {
        Ok(user) => user,
        // The account could not be read: not a verdict on the token.
        Err(_) => {
            return Denied::new(503, "temporarily_unavailable", "try again", Scheme::Bearer)
                .to_response(op, services.now);
        }
    };
    match user {
        Some(user) => {
            let mut body = user_claims(&user, text("scope"), requested.iter().copied());
            // `auth_time` is the sign-in's, which the token carries too.
            if requested.contains(&"auth_time")
                && let Some(auth_time) = claims.get("auth_time").filter(|t| t.is_number())
            {
                body.insert("auth_time".into(), auth_time.clone());
            }
            Response::json(200, &Value::Object(body)).no_store()
        }
        // A client-credentials token names a client, not a user.
        None => Denied::new(
            401,
            "invalid_token",
            "the token's subject is not a user",
            Scheme::Bearer,
        )
        .to_response(op, services.now),
    }
}
