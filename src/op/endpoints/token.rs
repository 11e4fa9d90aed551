//! The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6): `authorization_code` with PKCE,
//! `refresh_token` with rotation and reuse detection, `client_credentials`; DPoP-bound
//! tokens when the request carries a proof (RFC 9449 §5).

use futures_util::future::try_join;
use serde_json::{Value, json};

use super::authorize::params;
use crate::Error;
use crate::dpop::{NoncePolicy, ProofCheck, check_proof};
use crate::jose::SignatureVerifier;
use crate::op::client_auth::authenticate;
use crate::op::config::{Client, GrantType};
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::http::{Request, Response};
use crate::op::password::Pbkdf2;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Code, Refresh, Revoked};
use crate::op::tokens::{self, AccessGrant, IdGrant};
use crate::pkce::{CodeChallenge, CodeVerifier};
use crate::random;
use crate::store::Store;

/// How long after a rotation the old refresh token still gets the same successor: a
/// client whose response was lost in transit retries within seconds.
pub const REFRESH_GRACE_SECONDS: i64 = 30;

/// Handles `POST /token`.
pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    let dpop_used = !req.header_all("dpop").is_empty();
    let response = match run(op, req, services).await {
        Ok(body) => Response::json(200, &body).no_store(),
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
    if !req.has_form_body() {
        return Err(OpError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    let params = params(req).map_err(OpError::InvalidRequest)?;
    let client = authenticate(op, req, &params, services.pbkdf2).await?;
    let grant = match params.get("grant_type") {
        Some("authorization_code") => GrantType::AuthorizationCode,
        Some("refresh_token") => GrantType::RefreshToken,
        Some("client_credentials") => GrantType::ClientCredentials,
        Some(_) => return Err(OpError::UnsupportedGrantType),
        None => return Err(OpError::InvalidRequest("grant_type is required".into())),
    };
    if !client.allows_grant(grant) {
        return Err(OpError::UnauthorizedClient(format!(
            "this client may not use {}",
            grant.as_str()
        )));
    }
    let jkt = dpop_key(op, req, client, services).await?;
    match grant {
        GrantType::AuthorizationCode => {
            authorization_code(op, client, &params, jkt, services).await
        }
        GrantType::RefreshToken => refresh(op, client, &params, jkt, services).await,
        GrantType::ClientCredentials => {
            client_credentials(op, client, &params, jkt, services).await
        }
    }
}

/// The thumbprint of the request's DPoP key, after the full proof check with a server
/// nonce (RFC 9449 §4.3, §8); `None` without a proof.
async fn dpop_key<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    client: &Client,
    services: &Services<'_, S, P, V>,
) -> Result<Option<String>, OpError> {
    let headers = req.header_all("dpop");
    if headers.is_empty() {
        if client.dpop_bound_access_tokens {
            return Err(OpError::InvalidRequest("this client must use DPoP".into()));
        }
        return Ok(None);
    }
    let check = ProofCheck {
        nonce: NoncePolicy::Stateless(op.secrets.nonce()),
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

async fn authorization_code<S: Store, P, V>(
    op: &Provider,
    client: &Client,
    params: &Params,
    jkt: Option<String>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let code = params
        .get("code")
        .ok_or_else(|| OpError::InvalidRequest("code is required".into()))?;
    let code_key = records::key("code", code);
    // The code's grant record: stored under the code's derived first refresh token when the
    // code is exchanged, so its presence means "spent". On KV the code itself is never
    // deleted (`take` is a read there): the grant record is what refuses a second use.
    let first_refresh = op.secrets.first_refresh(code);
    let grant_key = records::key("refresh", &first_refresh);
    let (taken, spent): (Option<Code>, Option<Refresh>) = try_join(
        records::take(services.store, &code_key),
        records::get(services.store, &grant_key),
    )
    .await?;
    let (Some(record), None) = (taken, &spent) else {
        revoke_replayed_code(spent, services).await?;
        return Err(OpError::InvalidGrant(
            "the code is invalid, expired or already used".into(),
        ));
    };
    let request = &record.request;
    if request.client_id != client.client_id {
        return Err(OpError::InvalidGrant(
            "the code was issued to another client".into(),
        ));
    }
    if params.get("redirect_uri") != Some(request.redirect_uri.as_str()) {
        return Err(OpError::InvalidGrant(
            "redirect_uri does not match the authorization request".into(),
        ));
    }
    check_pkce(
        request.code_challenge.as_deref(),
        params.get("code_verifier"),
    )?;
    if let Some(expected) = &request.dpop_jkt
        && jkt.as_deref() != Some(expected.as_str())
    {
        return Err(OpError::InvalidGrant(
            "the DPoP key is not the one named by dpop_jkt".into(),
        ));
    }
    let user = op
        .config
        .user(&record.sub)
        .ok_or_else(|| OpError::InvalidGrant("the user no longer exists".into()))?;
    let refreshable = request.scope.split(' ').any(|s| s == "offline_access")
        && client.allows_grant(GrantType::RefreshToken);
    let access_jti = random::token(16)?;
    let lifetimes = &op.config.lifetimes;
    let grant_record = Refresh {
        // Derived from the code, so even two redemptions racing in two locations share
        // one family, and revoking it ends both.
        family: op.secrets.family_of(code),
        client_id: client.client_id.clone(),
        sub: record.sub.clone(),
        scope: request.scope.clone(),
        auth_time: record.auth_time,
        sid: record.sid.clone(),
        // RFC 9449 §5: refresh tokens of public clients are bound to the DPoP key.
        jkt: if client.is_public() {
            jkt.clone()
        } else {
            None
        },
        refreshable,
        code_access_jti: Some(access_jti.clone()),
    };
    // The record outlives whatever it guards: the code (a replay must find it), the access
    // token (a replay revokes it) and the refresh token, if one is issued.
    let ttl = if refreshable {
        lifetimes.refresh_token
    } else {
        lifetimes.access_token
    }
    .max(lifetimes.code)
    .max(lifetimes.access_token);
    // Written while the tokens are signed; the response waits for both, so no token
    // leaves without the record that lets a replay revoke it (RFC 6749 §4.1.2).
    let record_grant = async {
        records::put(services.store, &grant_key, &grant_record, ttl)
            .await
            .map_err(OpError::from)
    };
    let sign = issue(
        op,
        client,
        Issue {
            jti: &access_jti,
            grant: Some(&grant_record.family),
            sub: &record.sub,
            user: Some(user),
            scope: &request.scope,
            auth_time: Some(record.auth_time),
            sid: Some(&record.sid),
            nonce: request.nonce.as_deref(),
            jkt: jkt.as_deref(),
        },
        services,
    );
    let ((), issued) = try_join(record_grant, sign).await?;
    let mut body = issued.body;
    if refreshable {
        tokens::set_member(&mut body, "refresh_token", json!(first_refresh));
    }
    Ok(body)
}

/// RFC 7636 §4.6: with a challenge, the verifier must match it; without one, a verifier
/// is an error too (a downgrade attempt, OAuth 2.0 Security BCP §2.1.1).
fn check_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OpError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (Some(challenge), Some(verifier)) => {
            let verifier =
                CodeVerifier::parse(verifier).map_err(|e| OpError::InvalidGrant(e.to_string()))?;
            let challenge = CodeChallenge::parse_s256(challenge)
                .map_err(|e| OpError::InvalidGrant(e.to_string()))?;
            if challenge.is_satisfied_by(&verifier) {
                Ok(())
            } else {
                Err(OpError::InvalidGrant(
                    "code_verifier does not match the code_challenge".into(),
                ))
            }
        }
        (Some(_), None) => Err(OpError::InvalidGrant("code_verifier is required".into())),
        (None, Some(_)) => Err(OpError::InvalidGrant(
            "code_verifier given but no code_challenge was".into(),
        )),
    }
}

/// RFC 6749 §4.1.2: a code used twice revokes what its first use issued (`spent`, the
/// code's grant record, read with the code): its access token and its refresh family.
async fn revoke_replayed_code<S: Store, P, V>(
    spent: Option<Refresh>,
    services: &Services<'_, S, P, V>,
) -> Result<(), OpError> {
    let Some(Refresh {
        family,
        code_access_jti: Some(access_jti),
        ..
    }) = spent
    else {
        return Ok(());
    };
    // A burst of replays writes the revocation once (KV takes one write per key per second).
    let revoked_key = records::token_revoked_key(&access_jti);
    let already: Option<Revoked> = records::get(services.store, &revoked_key).await?;
    if already.is_some() {
        return Ok(());
    }
    let revoked = Revoked { at: services.now.0 };
    records::put(services.store, &revoked_key, &revoked, 86_400).await?;
    revoke_family(&family, services).await
}

/// Marks a refresh family revoked: no token of it will refresh again.
async fn revoke_family<S: Store, P, V>(
    family: &str,
    services: &Services<'_, S, P, V>,
) -> Result<(), OpError> {
    let revoked = Revoked { at: services.now.0 };
    Ok(records::put(
        services.store,
        &records::family_revoked_key(family),
        &revoked,
        31_536_000,
    )
    .await?)
}

async fn refresh<S: Store, P, V>(
    op: &Provider,
    client: &Client,
    params: &Params,
    jkt: Option<String>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let token = params
        .get("refresh_token")
        .ok_or_else(|| OpError::InvalidRequest("refresh_token is required".into()))?;
    let key = records::key("refresh", token);
    let invalid =
        || OpError::InvalidGrant("the refresh token is invalid, expired or revoked".into());
    let Some(record): Option<Refresh> = records::get(services.store, &key).await? else {
        return Err(invalid());
    };
    // A grant record without `offline_access` was never handed out as a refresh token.
    if !record.refreshable || record.client_id != client.client_id {
        return Err(invalid());
    }
    let (revoked, rotated): (Option<Revoked>, Option<Revoked>) = try_join(
        records::get(services.store, &records::family_revoked_key(&record.family)),
        records::get(services.store, &records::key("rotated", token)),
    )
    .await?;
    if revoked.is_some() {
        return Err(invalid());
    }
    if record.jkt.is_some() && record.jkt != jkt {
        return Err(OpError::InvalidGrant(
            "the refresh token is bound to another DPoP key".into(),
        ));
    }
    let successor = op.secrets.successor(token);
    if let Some(rotated) = &rotated {
        // A reused token: a lost response retried within the grace window gets the same
        // successor, as long as that successor has not moved on itself; anything else is
        // treated as theft and ends the whole family (OAuth 2.0 Security BCP §4.14.2).
        let successor_moved_on: Option<Revoked> =
            records::get(services.store, &records::key("rotated", &successor)).await?;
        let retry = services.now.0.saturating_sub(rotated.at) <= REFRESH_GRACE_SECONDS
            && successor_moved_on.is_none();
        if !retry {
            revoke_family(&record.family, services).await?;
            return Err(OpError::InvalidGrant(
                "the refresh token was already used; its family is revoked".into(),
            ));
        }
    }
    let scope = narrowed_scope(&record.scope, params.get("scope"))?;
    let user = op.config.user(&record.sub).ok_or_else(invalid)?;
    let jti = random::token(16)?;
    let sign = issue(
        op,
        client,
        Issue {
            jti: &jti,
            grant: Some(&record.family),
            sub: &record.sub,
            user: Some(user),
            scope: &scope,
            auth_time: Some(record.auth_time),
            sid: Some(&record.sid),
            nonce: None,
            jkt: jkt.as_deref(),
        },
        services,
    );
    let rotate = async {
        if rotated.is_some() {
            return Ok(());
        }
        // The successor first, then the rotation mark. Records are never rewritten: the
        // mark is a key of its own, written once, so a location that has not yet seen it
        // and rotates the same token again writes an identical successor and cannot erase
        // a mark the successor's own rotation left (found by tests/kv_consistency.rs).
        let lifetime = op.config.lifetimes.refresh_token;
        // The successor carries the grant on, not what the code's exchange issued.
        let next = Refresh {
            code_access_jti: None,
            ..record.clone()
        };
        records::put(
            services.store,
            &records::key("refresh", &successor),
            &next,
            lifetime,
        )
        .await?;
        let mark = Revoked { at: services.now.0 };
        records::put(
            services.store,
            &records::key("rotated", token),
            &mark,
            lifetime,
        )
        .await
        .map_err(OpError::from)
    };
    // Signing and the rotation writes overlap; the response waits for both.
    let (issued, ()) = try_join(sign, rotate).await?;
    let mut body = issued.body;
    tokens::set_member(&mut body, "refresh_token", json!(successor));
    Ok(body)
}

/// RFC 6749 §6: a refresh may ask for fewer scopes, never more.
fn narrowed_scope(granted: &str, asked: Option<&str>) -> Result<String, OpError> {
    let Some(asked) = asked else {
        return Ok(granted.to_owned());
    };
    let granted: Vec<&str> = granted.split(' ').collect();
    let asked: Vec<&str> = asked.split(' ').filter(|s| !s.is_empty()).collect();
    if asked.is_empty() || asked.iter().any(|s| !granted.contains(s)) {
        return Err(OpError::InvalidScope(
            "a refresh may only narrow the granted scope".into(),
        ));
    }
    Ok(asked.join(" "))
}

async fn client_credentials<S, P, V>(
    op: &Provider,
    client: &Client,
    params: &Params,
    jkt: Option<String>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let scope = match params.get("scope") {
        Some(asked) => {
            let asked: Vec<&str> = asked.split(' ').filter(|s| !s.is_empty()).collect();
            if let Some(bad) = asked
                .iter()
                .find(|s| !client.allows_scope(s) || ["openid", "offline_access"].contains(s))
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
            .filter(|s| !["openid", "offline_access"].contains(&s.as_str()))
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let issued = issue(
        op,
        client,
        Issue {
            jti: &random::token(16)?,
            grant: None,
            sub: &client.client_id,
            user: None,
            scope: &scope,
            auth_time: None,
            sid: None,
            nonce: None,
            jkt: jkt.as_deref(),
        },
        services,
    )
    .await?;
    Ok(issued.body)
}

/// What one token response is about.
struct Issue<'a> {
    jti: &'a str,
    /// The refresh family the tokens belong to (`gid` in the access token).
    grant: Option<&'a str>,
    sub: &'a str,
    user: Option<&'a crate::op::config::User>,
    scope: &'a str,
    auth_time: Option<i64>,
    sid: Option<&'a str>,
    nonce: Option<&'a str>,
    jkt: Option<&'a str>,
}

struct Issued {
    body: Value,
}

/// Signs the access token (and the ID token when `openid` was granted to a user).
async fn issue<S, P, V>(
    op: &Provider,
    client: &Client,
    what: Issue<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Issued, OpError> {
    let lifetimes = &op.config.lifetimes;
    let access_token = tokens::access_token(
        &op.keys,
        services.signer,
        &AccessGrant {
            jti: what.jti,
            issuer: &op.config.issuer,
            sub: what.sub,
            client_id: &client.client_id,
            scope: what.scope,
            auth_time: what.auth_time,
            jkt: what.jkt,
            sid: what.sid,
            grant: what.grant,
            lifetime: lifetimes.access_token,
        },
        services.now,
    )
    .await?;
    let mut body = json!({
        "access_token": access_token,
        "token_type": if what.jkt.is_some() { "DPoP" } else { "Bearer" },
        "expires_in": lifetimes.access_token,
        "scope": what.scope,
    });
    if let (Some(user), Some(auth_time), Some(sid)) = (what.user, what.auth_time, what.sid)
        && what.scope.split(' ').any(|s| s == "openid")
    {
        let id_token = tokens::id_token(
            &op.keys,
            services.signer,
            user,
            &IdGrant {
                issuer: &op.config.issuer,
                client_id: &client.client_id,
                nonce: what.nonce,
                auth_time,
                sid,
                access_token: &access_token,
                scope: what.scope,
                lifetime: lifetimes.id_token,
            },
            services.now,
        )
        .await?;
        tokens::set_member(&mut body, "id_token", json!(id_token));
    }
    Ok(Issued { body })
}
