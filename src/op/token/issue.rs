//! The token response (RFC 6749 §5.1): the access token, and the ID token when a user
//! granted `openid` (OpenID Connect Core §3.1.3.3). Every grant answers through [`issue`];
//! the JWTs themselves are built in `jwt.rs`.

use serde_json::{Value, json};

use super::binding::{self, Binding};
use super::jwt::{self, AccessGrant, Exchanged, IdGrant, set_member};
use super::target::Target;
use crate::op::claims::RequestedClaims;
use crate::op::config::Client;
use crate::op::config::TokenFormat;
use crate::op::error::OpError;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Key, OpaqueAccessTokens};
use crate::op::types::Scope;
use crate::op::users::{self, Profile};
use crate::random;
use crate::store::Store;

/// What one token response is about.
#[derive(Debug)]
pub struct Issue<'a> {
    /// The access token's `jti`, chosen by the grant so it can record it first.
    pub jti: &'a str,
    /// The refresh family the tokens belong to (`gid` in the access token).
    pub grant: Option<&'a str>,
    /// The subject: a user, or the client itself.
    pub sub: &'a str,
    /// The user, when one granted the tokens.
    pub user: Option<&'a dyn Profile>,
    /// The granted scope (what the ID token and the refresh token cover).
    pub scope: &'a Scope,
    /// What the access token is for: its audience, scopes and lifetime (RFC 8707).
    pub target: &'a Target,
    /// When the user authenticated.
    pub auth_time: Option<i64>,
    /// The session's `sid`.
    pub sid: Option<&'a str>,
    /// The authentication request's `nonce`, for the ID token.
    pub nonce: Option<&'a str>,
    /// The DPoP key or certificate the access token is bound to.
    pub binding: Option<&'a Binding>,
    /// The claims the authorization request asked for one by one (OpenID Connect Core
    /// §5.5), when a user granted the tokens.
    pub claims: Option<&'a RequestedClaims>,
    /// What a token exchange adds to the access token (RFC 8693 §4.1 `act`, and the
    /// grants it came from); `None` for every other grant.
    pub exchanged: Option<&'a Exchanged>,
}

/// Signs the access token (and the ID token when `openid` was granted to a user) and
/// returns the response body.
pub async fn issue<S: Store, P, V>(
    op: &Provider,
    client: &Client,
    what: Issue<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let lifetimes = &op.config.lifetimes;
    let target = what.target;
    let requested = what.claims.filter(|_| what.user.is_some());
    let grant = AccessGrant {
        alg: op.keys.default_algorithm(),
        jti: what.jti,
        issuer: &op.config.issuer,
        sub: what.sub,
        client_id: &client.client_id,
        audience: &target.audience,
        scope: &target.scope,
        auth_time: what.auth_time,
        binding: what.binding,
        sid: what.sid,
        grant: what.grant,
        userinfo_claims: requested.map_or(&[], |c| c.userinfo.as_slice()),
        lifetime: target.lifetime,
        exchanged: what.exchanged,
    };
    let access_token = match target.format {
        TokenFormat::Jwt => {
            jwt::access_token(&op.keys, services.signer, &grant, services.now).await?
        }
        // The same claims, stored under the token's hash for as long as it lives; the
        // token itself is 256 random bits and says nothing.
        TokenFormat::Opaque => {
            let token = random::token(32)?;
            let Value::Object(claims) = jwt::access_token_claims(&grant, services.now) else {
                return Err(OpError::TemporarilyUnavailable);
            };
            records::put(
                services.store,
                &Key::<OpaqueAccessTokens>::new(&token),
                &claims,
                target.lifetime,
            )
            .await?;
            token
        }
    };
    // RFC 6749 §5.1: `scope` is the access token's, which resources may narrow.
    let mut body = json!({
        "access_token": access_token,
        "token_type": binding::token_type(what.binding),
        "expires_in": target.lifetime,
        "scope": target.scope,
    });
    if let (Some(user), Some(auth_time), Some(sid)) = (what.user, what.auth_time, what.sid)
        && what.scope.has("openid")
    {
        let id_token = jwt::id_token(
            &op.keys,
            services.signer,
            user,
            &IdGrant {
                alg: id_token_alg(op, client),
                issuer: &op.config.issuer,
                client_id: &client.client_id,
                nonce: what.nonce,
                auth_time,
                sid,
                access_token: &access_token,
                acr: users::acr(&op.config, user),
                scope: what.scope,
                claims: requested.map_or(&[], |c| c.id_token.as_slice()),
                lifetime: lifetimes.id_token,
            },
            services.now,
        )
        .await?;
        set_member(&mut body, "id_token", json!(id_token));
    }
    Ok(body)
}

/// The algorithm of `client`'s ID tokens and logout tokens: its
/// `id_token_signed_response_alg` (OpenID Connect Registration §2), else RS256 when a key
/// signs it, else the provider's default.
pub(crate) fn id_token_alg(op: &Provider, client: &Client) -> crate::jose::Alg {
    client
        .id_token_signed_response_alg
        .unwrap_or_else(|| op.keys.id_token_algorithm())
}
