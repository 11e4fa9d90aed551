//! `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4, §3.5): the device polls
//! with its device code until the user has answered at `/device` (`op::device`).
//!
//! Answers, in order: a code that is unknown or another client's is `invalid_grant`; an
//! expired one `expired_token`; one not answered yet `authorization_pending`, or
//! `slow_down` when polled faster than the interval; a denied one `access_denied`; an
//! approved one the tokens, once (`op::pending`, `approved`).

use serde_json::Value;

use super::super::TokenRequest;
use super::approved::{Approved, issue_once, spent};
use crate::op::device;
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
    let device_code = request
        .params
        .get("device_code")
        .ok_or_else(|| OpError::InvalidRequest("device_code is required".into()))?;
    let Some(pending_request) = device::by_device_code(device_code, services).await? else {
        return Err(spent());
    };
    // §3.4: the client polls for its own code; another client's is as good as unknown.
    if pending_request.client_id != request.client.client_id {
        return Err(spent());
    }
    let pending = pending_request.pending(op);
    let decision = pending::approval(&pending, services).await?;
    let approved = Approved {
        code: device_code,
        scope: &pending_request.scope,
        resources: &pending_request.resources,
        decision: &decision,
        records_ttl: pending.ttl,
    };
    issue_once(op, request, approved, services).await
}
