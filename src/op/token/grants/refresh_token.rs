//! `refresh_token` (RFC 6749 §6) with rotation on every use and reuse detection (OAuth 2.0
//! Security BCP, RFC 9700 §4.14.2): each use gets a successor; a token used again after a
//! short grace revokes its whole family. Public clients' tokens are bound to their DPoP
//! key (RFC 9449 §5) or their TLS client certificate (RFC 8705 §4).

use futures_util::future::try_join;
use serde_json::{Value, json};

use super::super::issue::{Issue, issue};
use super::super::jwt::set_member;
use super::super::target;
use super::super::{Binding, TokenRequest};
use crate::op::error::OpError;
use crate::op::grant::lifecycle;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Grant, Grants, Key, Mark, Rotations};
use crate::op::types::Scope;
use crate::op::users;
use crate::random;
use crate::store::Store;

/// How long after a rotation the old refresh token still gets the same successor: a
/// client whose response was lost in transit retries within seconds.
pub const REFRESH_GRACE_SECONDS: i64 = 30;

/// Rotates the refresh token and issues fresh tokens.
pub async fn exchange<S: Store, P, V>(
    op: &Provider,
    TokenRequest {
        client,
        params,
        binding,
        certificate,
    }: TokenRequest<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let token = params
        .get("refresh_token")
        .ok_or_else(|| OpError::InvalidRequest("refresh_token is required".into()))?;
    let key = Key::<Grants>::new(token);
    let rotation = Key::<Rotations>::new(token);
    let invalid =
        || OpError::InvalidGrant("the refresh token is invalid, expired or revoked".into());
    // The token's record and its rotation mark are both named by the token: read together.
    let (record, rotated): (Option<Grant>, Option<Mark>) = try_join(
        records::get(services.store, &key),
        records::get(services.store, &rotation),
    )
    .await?;
    let Some(record) = record else {
        return Err(invalid());
    };
    // A grant record without `offline_access` was never handed out as a refresh token.
    if !record.refreshable || record.client_id != client.client_id {
        return Err(invalid());
    }
    if record.jkt.is_some() && record.jkt.as_deref() != binding.as_ref().and_then(Binding::jkt) {
        return Err(OpError::InvalidGrant(
            "the refresh token is bound to another DPoP key".into(),
        ));
    }
    // RFC 8705 §4: a public client's certificate-bound refresh token is used over a
    // connection that presents that certificate.
    if record.x5t.is_some() && record.x5t != certificate {
        return Err(OpError::InvalidGrant(
            "the refresh token is bound to another TLS client certificate".into(),
        ));
    }
    let successor = op.secrets.successor(token);
    // RFC 8707 §2.2: a refresh may ask for a token for any resource the grant covers.
    let narrowed = narrowed_scope(&record.scope, params.get("scope")).and_then(|scope| {
        let resources = target::chosen(&record.resources, target::requested(op, params)?)?;
        let target = target::target(op, client, &resources, &scope)?;
        Ok((scope, target))
    });
    // A configured user is found without a store read; an upstream sign-in's account is
    // read from the store.
    let found = users::find(op, &record.sub, services).await?;
    let ((scope, target), user) = match (narrowed, found.ok_or_else(invalid)) {
        (Ok(narrowed), Ok(user)) => (narrowed, user),
        (Err(refused), _) | (_, Err(refused)) => {
            // A reused token is judged as a reuse whatever else the request gets wrong.
            if let Some(rotated) = &rotated {
                let moved_on: Option<Mark> =
                    records::get(services.store, &Key::<Rotations>::new(&successor)).await?;
                judge_reuse(rotated, moved_on.is_some(), &record.family, services).await?;
            }
            return Err(refused);
        }
    };
    let lifetime = op.config.lifetimes.refresh_token;
    // The first use rotates; a reuse asks whether the successor has moved on since (the
    // only case that reads it). Returns whether it has.
    let rotate = async {
        if rotated.is_some() {
            let mark: Option<Mark> =
                records::get(services.store, &Key::<Rotations>::new(&successor)).await?;
            return Ok(mark.is_some());
        }
        // The successor first, then the rotation mark. Records are never rewritten: the
        // mark is a key of its own, written once, so a location that has not yet seen it
        // and rotates the same token again writes an identical successor and cannot erase
        // a mark the successor's own rotation left (found by tests/kv_consistency.rs).
        // Written once the family is found not revoked and the tokens are signed (below).
        records::put(
            services.store,
            &Key::<Grants>::new(&successor),
            &record,
            lifetime,
        )
        .await?;
        let mark = Mark { at: services.now.0 };
        records::put(services.store, &rotation, &mark, lifetime).await?;
        Ok::<bool, crate::Error>(false)
    };
    let jti = random::token(16)?;
    let sign = issue(
        op,
        client,
        Issue {
            jti: &jti,
            grant: Some(&record.family),
            sub: &record.sub,
            user: Some(&user),
            scope: &scope,
            target: &target,
            auth_time: Some(record.auth_time),
            sid: Some(&record.sid),
            nonce: None,
            binding: binding.as_ref(),
            // The claims the authorization request asked for (OpenID Connect Core §5.5)
            // are part of the grant: refreshed ID tokens and UserInfo keep honoring them.
            claims: Some(&record.claims),
            exchanged: None,
        },
        services,
    );
    // The family's revocation and the tokens at once, then the rotation: a signing
    // failure (a 503) rotates nothing, so the client's retry, however late, is not a
    // reuse (RFC 6749 §6: the old token goes only once a new one is issued). No token
    // leaves before the rotation is written.
    let (revoked, mut body) = try_join(
        async {
            lifecycle::family_revoked(&record.family, services)
                .await
                .map_err(OpError::from)
        },
        sign,
    )
    .await?;
    if revoked {
        return Err(invalid());
    }
    let moved_on = rotate.await?;
    if let Some(rotated) = &rotated {
        judge_reuse(rotated, moved_on, &record.family, services).await?;
    }
    set_member(&mut body, "refresh_token", json!(successor));
    Ok(body)
}

/// A reused token (rotated at `rotated.at`): a lost response retried within the grace
/// window gets the same successor, as long as that successor has not moved on itself
/// (`moved_on`); anything else is treated as theft and ends the whole family (RFC 9700
/// §4.14.2).
async fn judge_reuse<S: Store, P, V>(
    rotated: &Mark,
    moved_on: bool,
    family: &str,
    services: &Services<'_, S, P, V>,
) -> Result<(), OpError> {
    let retry = services.now.0.saturating_sub(rotated.at) <= REFRESH_GRACE_SECONDS && !moved_on;
    if retry {
        return Ok(());
    }
    lifecycle::revoke_family(family, services).await?;
    Err(OpError::InvalidGrant(
        "the refresh token was already used; its family is revoked".into(),
    ))
}

/// RFC 6749 §6: a refresh may ask for fewer scopes, never more.
fn narrowed_scope(granted: &Scope, asked: Option<&str>) -> Result<Scope, OpError> {
    let Some(asked) = asked else {
        return Ok(granted.clone());
    };
    let asked: Vec<&str> = asked.split(' ').filter(|s| !s.is_empty()).collect();
    if asked.is_empty() || asked.iter().any(|s| !granted.has(s)) {
        return Err(OpError::InvalidScope(
            "a refresh may only narrow the granted scope".into(),
        ));
    }
    Ok(Scope::new(asked.join(" ")))
}
