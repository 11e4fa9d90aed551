//! `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4, §3.5): the device polls
//! with its device code until the user has answered at `/device` (`op::device`).
//!
//! Answers, in order: a code that is unknown or another client's is `invalid_grant`; an
//! expired one `expired_token`; one not answered yet `authorization_pending`, or
//! `slow_down` when polled faster than the interval; a denied one `access_denied`; an
//! approved one the tokens — once. Like a code's exchange, the poll that issues them
//! writes the grant record, with `reserve`, under a refresh token derived from the device
//! code: of polls in flight at once exactly one writes it and answers with the tokens,
//! and every other poll, then or later, is `invalid_grant`. A second poll is not a replay
//! by someone else here (the device code never left the device), so it revokes nothing.

use futures_util::future::try_join;
use serde_json::{Value, json};

use super::super::TokenRequest;
use super::super::issue::{Issue, issue};
use super::super::jwt::set_member;
use super::super::target;
use crate::op::claims::RequestedClaims;
use crate::op::config::GrantType;
use crate::op::device::{self, Poll};
use crate::op::error::OpError;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Grant, Grants, Key};
use crate::random;
use crate::store::Store;

/// Answers one poll.
pub async fn exchange<S: Store, P, V>(
    op: &Provider,
    TokenRequest {
        client,
        params,
        jkt,
    }: TokenRequest<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let device_code = params
        .get("device_code")
        .ok_or_else(|| OpError::InvalidRequest("device_code is required".into()))?;
    let invalid =
        || OpError::InvalidGrant("the device code is invalid, or its tokens were issued".into());
    let Some(request) = device::by_device_code(device_code, services).await? else {
        return Err(invalid());
    };
    // §3.4: the client polls for its own code; another client's is as good as unknown.
    if request.client_id != client.client_id {
        return Err(invalid());
    }
    if services.now.0 >= request.expires_at {
        return Err(OpError::ExpiredToken);
    }
    let Some(answer) = device::decision(&request, services).await? else {
        return Err(match device::poll(op, &request, services).await? {
            Poll::Pending => OpError::AuthorizationPending,
            Poll::SlowDown => OpError::SlowDown,
        });
    };
    if !answer.approved {
        return Err(OpError::AccessDenied);
    }
    let user = op
        .config
        .user(&answer.sub)
        .ok_or_else(|| OpError::InvalidGrant("the user no longer exists".into()))?;
    // RFC 8707 §2.2: a token for the resources the poll names, within those requested.
    let target = target::target(
        op,
        client,
        &target::chosen(&request.resources, target::requested(op, params)?)?,
        &request.scope,
    )?;
    let refreshable =
        request.scope.has("offline_access") && client.allows_grant(GrantType::RefreshToken);
    let first_refresh = op.secrets.first_refresh(device_code);
    let grant_key = Key::<Grants>::new(&first_refresh);
    let grant_record = Grant {
        family: op.secrets.family_of(device_code),
        client_id: client.client_id.clone(),
        sub: answer.sub.clone(),
        scope: request.scope.clone(),
        auth_time: answer.auth_time,
        sid: answer.sid.clone(),
        // RFC 9449 §5: refresh tokens of public clients are bound to the DPoP key.
        jkt: if client.is_public() {
            jkt.clone()
        } else {
            None
        },
        refreshable,
        claims: RequestedClaims::default(),
        resources: request.resources.clone(),
    };
    let lifetimes = &op.config.lifetimes;
    // The record outlives what it guards: the access token, the refresh token if one is
    // issued, and the device code's own records (a late poll must still find it spent).
    let ttl = if refreshable {
        lifetimes.refresh_token
    } else {
        lifetimes.access_token
    }
    .max(lifetimes.device_code.saturating_mul(2));
    let record_grant = async {
        records::reserve(services.store, &grant_key, &grant_record, ttl)
            .await
            .map_err(OpError::from)
    };
    let access_jti = random::token(16)?;
    let sign = issue(
        op,
        client,
        Issue {
            jti: &access_jti,
            grant: Some(&grant_record.family),
            sub: &answer.sub,
            user: Some(user),
            scope: &request.scope,
            target: &target,
            auth_time: Some(answer.auth_time),
            sid: Some(&answer.sid),
            nonce: None,
            jkt: jkt.as_deref(),
            claims: None,
            exchanged: None,
        },
        services,
    );
    let (won, mut body) = try_join(record_grant, sign).await?;
    if !won {
        return Err(invalid());
    }
    if refreshable {
        set_member(&mut body, "refresh_token", json!(first_refresh));
    }
    Ok(body)
}
