//! `urn:openid:params:grant-type:ciba` (OpenID Connect CIBA Core 1.0 §10.1): the client
//! polls with its `auth_req_id` until the user has answered at `/ciba` (`op::ciba`). A ping
//! client calls once it is notified, "as in poll mode" (§10.2), under the same rules: §7.3
//! gives the `interval` to clients in poll and ping modes alike, so one that calls early,
//! or missed its ping and polls, is held to it as well.
//!
//! Answers, in order (§11): an `auth_req_id` that is unknown or another client's is
//! `invalid_grant`; an expired one `expired_token`; one not answered yet
//! `authorization_pending`, or `slow_down` when polled faster than the interval; a denied
//! one `access_denied`; an approved one the tokens, once (`op::pending`, `approved`), with
//! an ID token (the request asked for `openid`) about the user the request named, who is
//! the only one who could approve it.

use serde_json::Value;

use super::super::TokenRequest;
use super::approved::{Approved, issue_once, spent};
use crate::op::ciba;
use crate::op::error::OpError;
use crate::op::pending;
use crate::op::provider::{Provider, Services};
use crate::store::Store;

/// Answers one poll.
pub async fn exchange<S: Store, P, V>(
    op: &Provider,
    request: TokenRequest<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let auth_req_id = request
        .params
        .get("auth_req_id")
        .ok_or_else(|| OpError::InvalidRequest("auth_req_id is required".into()))?;
    let Some(asked) = ciba::by_auth_req_id(auth_req_id, services).await? else {
        return Err(spent());
    };
    // §10.1: the client polls for its own request.
    if asked.client_id != request.client.client_id {
        return Err(spent());
    }
    let pending = asked.pending(op);
    let decision = pending::approval(&pending, services).await?;
    if decision.sub != asked.sub {
        return Err(spent());
    }
    let approved = Approved {
        code: auth_req_id,
        scope: &asked.scope,
        resources: &asked.resources,
        decision: &decision,
        records_ttl: pending.ttl,
    };
    issue_once(op, request, approved, services).await
}
