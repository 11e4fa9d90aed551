//! The tokens of a request a user approved away from the client that polls for them (the
//! device grant, CIBA, either mode): issued once. Like a code's exchange, the poll that
//! issues them writes the grant record, with `reserve`, under a refresh token derived from
//! the code the client polls with: of polls in flight at once exactly one writes it and
//! answers with the tokens, and every other poll, then or later, is `invalid_grant`. A
//! second poll is the client's own retry, not someone else's replay (the polling code never
//! left the client), so it revokes nothing.

use serde_json::{Value, json};

use super::super::issue::{Issue, issue};
use super::super::jwt::set_member;
use super::super::target;
use super::super::{Binding, TokenRequest};
use crate::op::claims::RequestedClaims;
use crate::op::config::{Client, GrantType};
use crate::op::error::OpError;
use crate::op::flow;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Decision, Grant, Grants, Key};
use crate::op::types::Scope;
use crate::op::users;
use crate::random;
use crate::store::Store;

/// What was approved.
#[derive(Debug, Clone, Copy)]
pub struct Approved<'a> {
    /// The code the client polls with (a device code, an `auth_req_id`): 256 bits no one
    /// can guess (random, or derived with the master secret: `ServerSecrets::auth_req_id`),
    /// from which the grant record's token and family are derived.
    pub code: &'a str,
    /// The scopes asked for.
    pub scope: &'a Scope,
    /// The resources named (RFC 8707 §2), which the tokens may be for.
    pub resources: &'a [String],
    /// The user's approval.
    pub decision: &'a Decision,
    /// How long the request's own records are kept: the grant record outlives them, so a
    /// late poll still finds the code spent.
    pub records_ttl: u64,
}

/// The tokens, if this poll is the one that issues them; `invalid_grant` otherwise.
pub async fn issue_once<S: Store, P, V>(
    op: &Provider,
    TokenRequest {
        client,
        params,
        binding,
        ..
    }: TokenRequest<'_>,
    approved: Approved<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let answer = approved.decision;
    // A configured user, or the account of an upstream sign-in the user made at /device.
    let user = users::find(op, &answer.sub, services)
        .await?
        .ok_or_else(|| OpError::InvalidGrant("the user no longer exists".into()))?;
    // RFC 8707 §2.2: a token for the resources the poll names, within those requested.
    let target = target::target(
        op,
        client,
        &target::chosen(approved.resources, target::requested(op, params)?)?,
        approved.scope,
    )?;
    let refreshable =
        approved.scope.has("offline_access") && client.allows_grant(GrantType::RefreshToken);
    let first_refresh = op.secrets.first_refresh(approved.code);
    let grant_key = Key::<Grants>::new(&first_refresh);
    let grant_record = Grant {
        family: op.secrets.family_of(approved.code),
        client_id: client.client_id.clone(),
        sub: answer.sub.clone(),
        scope: approved.scope.clone(),
        auth_time: answer.auth_time,
        sid: answer.sid.clone(),
        // RFC 9449 §5, RFC 8705 §4: refresh tokens of public clients are bound to the DPoP
        // key or the certificate, as their access tokens are.
        jkt: public_binding(client, binding.as_ref(), Binding::jkt),
        x5t: public_binding(client, binding.as_ref(), Binding::x5t),
        refreshable,
        claims: RequestedClaims::default(),
        resources: approved.resources.to_vec(),
        polled: true,
    };
    let lifetimes = &op.config.lifetimes;
    // The record outlives what it guards: the access token, the refresh token if one is
    // issued, and the request's own records.
    let ttl = if refreshable {
        lifetimes.refresh_token
    } else {
        lifetimes.access_token
    }
    .max(approved.records_ttl);
    // The ID token names the session the user approved in: its client is told when that
    // session ends, as a code's client is (Back-Channel Logout 1.0 §2.6). Noted before the
    // grant record, so a failure here leaves the request unspent for the client's retry.
    flow::remember_session_client(op, client, &answer.sid, services).await?;
    // Signed (and an opaque token stored) before the grant record is written, not beside
    // it: a failure of either then leaves the request unspent for the client's retry
    // (`temporarily_unavailable` invites one, RFC 6749 §5.2). The write alone decides which
    // poll answers; a poll that loses it signed for nothing, which only costs it time.
    let access_jti = random::token(16)?;
    let mut body = issue(
        op,
        client,
        Issue {
            jti: &access_jti,
            grant: Some(&grant_record.family),
            sub: &answer.sub,
            user: Some(&user),
            scope: approved.scope,
            target: &target,
            auth_time: Some(answer.auth_time),
            sid: Some(&answer.sid),
            nonce: None,
            binding: binding.as_ref(),
            claims: None,
            exchanged: None,
        },
        services,
    )
    .await?;
    let won = records::reserve(services.store, &grant_key, &grant_record, ttl).await?;
    if !won {
        return Err(spent());
    }
    if refreshable {
        set_member(&mut body, "refresh_token", json!(first_refresh));
    }
    Ok(body)
}

/// What a public client's refresh token is bound to, as `part` of its tokens' binding:
/// a confidential client's refresh tokens are bound by its authentication instead
/// (RFC 9449 §5, RFC 8705 §4).
pub(super) fn public_binding(
    client: &Client,
    binding: Option<&Binding>,
    part: fn(&Binding) -> Option<&str>,
) -> Option<String> {
    binding
        .filter(|_| client.is_public())
        .and_then(part)
        .map(str::to_owned)
}

/// The answer to a code that is unknown, another client's, or spent.
pub fn spent() -> OpError {
    OpError::InvalidGrant("the code is invalid, or its tokens were issued".into())
}
