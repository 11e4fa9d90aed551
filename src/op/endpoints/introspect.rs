//! The introspection endpoint (RFC 7662): a resource server, or a confidential client, asks
//! whether a token is active and what it carries.
//!
//! The caller authenticates as at the token endpoint (`op::clients::auth`), and only a
//! confidential client may ask (§2.1: the endpoint "MUST" require authorization; a public
//! client has no credentials, so anyone could claim to be it). Such a client may ask
//! about any token issued here, as node-oidc-provider allows by default: a resource server
//! is a confidential client, and the configuration does not say which client serves which
//! resource (§4 leaves the policy to the server). What a caller learns is only of tokens
//! it already holds.
//!
//! What is active (§2.2):
//! - an access token (an RFC 9068 JWT issued here, checked as a resource checks it) whose
//!   grant (`gid`) is not revoked;
//! - a refresh token whose grant record stands, that has not been rotated out, and whose
//!   family is not revoked.
//!
//! Everything else (expired, revoked, rotated, unknown, malformed, another issuer's) is
//! `{"active": false}` and nothing more, so the answer never says which (§2.2).
//!
//! With `Accept: application/token-introspection+jwt` the answer is a JWT signed by the
//! provider (RFC 9701): for a resource server that must show a third party what it relied
//! on, or that receives the answer through an intermediary.

use serde_json::{Map, Value, json};

use crate::jose::SignatureVerifier;
use crate::op::clients::auth::{Origins, token_form};
use crate::op::clients::registry;
use crate::op::config::{Client, GrantType};
use crate::op::error::OpError;
use crate::op::grant::lifecycle;
use crate::op::http::{Request, Response};
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Grant, Grants, Key, Mark, Rotations};
use crate::op::resource::access_token_claims;
use crate::op::token::{Binding, jwt};
use crate::op::users;
use crate::store::Store;

/// The media type of an RFC 9701 answer (§5, §12.2).
pub const JWT_MEDIA_TYPE: &str = "application/token-introspection+jwt";

/// The claims of an access token an answer repeats (RFC 7662 §2.2), when the token has them.
const ACCESS_TOKEN_MEMBERS: [&str; 11] = [
    "scope",
    "client_id",
    "sub",
    "aud",
    "iss",
    "exp",
    "iat",
    "nbf",
    "jti",
    "cnf",
    // RFC 8693 §4.1: who acts for the subject, in a token from a token exchange.
    "act",
];

/// Handles `POST /introspect`.
pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    match run(op, req, services).await {
        Ok(response) => response,
        Err(err) => err.to_response(),
    }
}

async fn run<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, OpError> {
    let (params, client, token) = token_form(op, req, Origins::Ignored, services).await?;
    if client.is_public() {
        // §2.1: the caller must be authorized; a public client cannot prove who it is.
        return Err(OpError::InvalidClient { basic: false });
    }
    let token = token.as_str();
    // §2.1: the hint only orders the search; an unknown hint is ignored.
    let access_first = params.get("token_type_hint") != Some("refresh_token");
    let found = if access_first {
        match access_token(op, token, services).await? {
            Some(found) => Some(found),
            None => refresh_token(op, token, services).await?,
        }
    } else {
        match refresh_token(op, token, services).await? {
            Some(found) => Some(found),
            None => access_token(op, token, services).await?,
        }
    };
    let answer = match found {
        Some(mut members) => {
            members.insert("active".into(), Value::Bool(true));
            Value::Object(members)
        }
        None => json!({ "active": false }),
    };
    if wants_jwt(req) {
        signed(op, &client, answer, services).await
    } else {
        // §2.2: the answer is about a token's state at this moment: never cached.
        Ok(Response::json(200, &answer).no_store())
    }
}

/// The members of an active access token, or `None` if `token` is not one.
async fn access_token<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    token: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Map<String, Value>>, OpError> {
    // A store failure reading an opaque token is not an answer about it.
    let claims = match access_token_claims(op, token, services).await {
        Ok(claims) => claims,
        Err(crate::Error::StoreUnavailable) => return Err(OpError::TemporarilyUnavailable),
        Err(_) => return Ok(None),
    };
    if lifecycle::token_revoked(&claims, services).await? {
        return Ok(None);
    }
    // Not active once its client is gone (RFC 7592 §2.3), as at the resources.
    let client_id = claims
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if registry::find(op, client_id, services).await?.is_none() {
        return Ok(None);
    }
    let mut members: Map<String, Value> = ACCESS_TOKEN_MEMBERS
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), claims.get(*name)?.clone())))
        .collect();
    // RFC 9449 §6.2: a DPoP-bound token says so, with its key's thumbprint in `cnf`. A
    // certificate-bound one is a Bearer token with `cnf.x5t#S256` (RFC 8705 §3.2).
    let bound = claims.get("cnf").and_then(|c| c.get("jkt")).is_some();
    members.insert(
        "token_type".into(),
        json!(if bound { "DPoP" } else { "Bearer" }),
    );
    Ok(Some(members))
}

/// The members of an active refresh token, or `None` if `token` is not one.
async fn refresh_token<S: Store, P, V>(
    op: &Provider,
    token: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Map<String, Value>>, OpError> {
    let (record, rotated): (Option<Grant>, Option<Mark>) = futures_util::future::try_join(
        records::get(services.store, &Key::<Grants>::new(token)),
        records::get(services.store, &Key::<Rotations>::new(token)),
    )
    .await?;
    // A grant record without `refreshable` was never handed out as a refresh token; one
    // rotated out no longer refreshes (its retry within the grace is the successor's).
    let Some(record) = record.filter(|r| r.refreshable && rotated.is_none()) else {
        return Ok(None);
    };
    if lifecycle::family_revoked(&record.family, services).await? {
        return Ok(None);
    }
    // Active only while the token endpoint would take it (`grants::refresh_token`): its
    // client is still registered and may refresh, its user still exists.
    let client = registry::find(op, record.client_id.as_str(), services).await?;
    let refreshes = client.is_some_and(|c| c.allows_grant(GrantType::RefreshToken));
    if !refreshes || users::find(op, &record.sub, services).await?.is_none() {
        return Ok(None);
    }
    let mut members = Map::new();
    members.insert("scope".into(), json!(record.scope.as_str()));
    members.insert("client_id".into(), json!(record.client_id.as_str()));
    members.insert("sub".into(), json!(record.sub));
    members.insert("iss".into(), json!(op.config.issuer));
    members.insert("token_type".into(), json!("refresh_token"));
    // RFC 9449 §6.2, RFC 8705 §3.2: what a public client's refresh token is bound to.
    let binding = match (&record.jkt, &record.x5t) {
        (Some(jkt), _) => Some(Binding::Dpop(jkt.clone())),
        (None, Some(x5t)) => Some(Binding::Certificate(x5t.clone())),
        (None, None) => None,
    };
    if let Some(binding) = binding {
        members.insert("cnf".into(), binding.cnf());
    }
    Ok(Some(members))
}

/// Whether the caller asked for the JWT answer (RFC 9701 §4: `Accept` names its type), and
/// not with `q=0`, which says "not acceptable" (RFC 9110 §12.4.2).
fn wants_jwt(req: &Request) -> bool {
    req.header_all("accept").iter().any(|accept| {
        accept.split(',').any(|range| {
            let mut parts = range.split(';');
            let named = parts
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(JWT_MEDIA_TYPE));
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .or_else(|| p.trim().strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            named && !refused
        })
    })
}

/// The RFC 9701 answer: the introspection response as the `token_introspection` claim of
/// a JWT from this provider to `client`, signed with its
/// `introspection_signed_response_alg`, else RS256 (§6) when a key signs it, else the
/// provider's default.
async fn signed<S, P, V>(
    op: &Provider,
    client: &Client,
    answer: Value,
    services: &Services<'_, S, P, V>,
) -> Result<Response, OpError> {
    let token = jwt::introspection_response(
        &op.keys,
        services.signer,
        client
            .introspection_signed_response_alg
            .unwrap_or_else(|| op.keys.id_token_algorithm()),
        &op.config.issuer,
        client.client_id.as_str(),
        answer,
        services.now,
    )
    .await?;
    Ok(Response {
        status: 200,
        headers: vec![("content-type".into(), JWT_MEDIA_TYPE.into())],
        body: token.into_bytes(),
        effects: Vec::new(),
    }
    .no_store())
}
