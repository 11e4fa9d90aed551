//! The signed authorization response (JARM, JWT Secured Authorization Response Mode for
//! OAuth 2.0, §2.1): the response parameters as claims of one JWT the provider signs,
//! with `iss` (the provider: RFC 9207's mix-up defence inside the signature), `aud` (the
//! client, so a response cannot be replayed to another client) and a short `exp`.
//!
//! It is signed with the client's `authorization_signed_response_alg`, else RS256 when a
//! key signs it (JARM §3 makes RS256 the default), else the provider's default algorithm:
//! the rule of ID tokens ([`SigningKeys::id_token_algorithm`]).
//!
//! [`SigningKeys::id_token_algorithm`]: crate::op::keys::SigningKeys::id_token_algorithm

use serde_json::{Map, Value};

use crate::Error;
use crate::op::clients::registry;
use crate::op::provider::{Provider, Services};
use crate::op::token::jwt::sign;
use crate::store::Store;

/// The response JWT for `client_id` carrying `params` (the code and state, or the error).
/// It lives as long as the code it carries (`lifetimes.code`): it is read at once, by
/// the client the browser brings it to.
pub async fn response<S: Store, P, V>(
    op: &Provider,
    client_id: &str,
    params: &[(&str, &str)],
    services: &Services<'_, S, P, V>,
) -> Result<String, Error> {
    let client = registry::find(op, client_id, services).await?;
    let alg = client
        .and_then(|c| c.authorization.authorization_signed_response_alg)
        .unwrap_or_else(|| op.keys.id_token_algorithm());
    let lifetime = i64::try_from(op.config.lifetimes.code).unwrap_or(i64::MAX);
    let mut claims = Map::new();
    // The response parameters first, so no parameter can stand in for a claim below.
    for (name, value) in params {
        claims.insert((*name).to_owned(), Value::String((*value).to_owned()));
    }
    claims.insert("iss".into(), Value::String(op.config.issuer.clone()));
    claims.insert("aud".into(), Value::String(client_id.to_owned()));
    claims.insert("exp".into(), services.now.0.saturating_add(lifetime).into());
    sign(
        &op.keys,
        services.signer,
        alg,
        "JWT",
        &Value::Object(claims),
    )
    .await
}
