//! Pushed authorization requests (RFC 9126): the request a client pushed to `/par`,
//! checked there, kept under a random `request_uri` for `lifetimes.par` seconds, and taken
//! once at `/authorize`.
//!
//! The record is consumed from the strongly consistent store (`records::consume`), so a
//! `request_uri` starts at most one authorization (§4: "one-time use"); a replay, another
//! client's `client_id`, or a URI past its `expires_in` is `invalid_request_uri`.

use serde::{Deserialize, Serialize};

use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Key, PushedRequests};
use crate::op::types::ClientId;
use crate::store::Store;
use crate::{Error, random};

/// What every `request_uri` issued here starts with (RFC 9126 §2.2).
pub const URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// A pushed request, waiting for `/authorize`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushedRequest {
    /// The client that pushed it, authenticated at `/par`.
    pub client_id: ClientId,
    /// Its parameters, as checked (a request object's members, when it was one).
    pub params: Params,
    /// Whether they came from a signed request object (RFC 9101).
    pub signed: bool,
    /// Until when it may be used (Unix seconds, exclusive): the store keeps records for
    /// at least a minute, which may be longer than `lifetimes.par`.
    pub expires_at: i64,
}

/// Keeps `params`, pushed by `client_id`, and returns their `request_uri` and `expires_in`.
pub async fn push<S: Store, P, V>(
    op: &Provider,
    client_id: &ClientId,
    params: Params,
    signed: bool,
    services: &Services<'_, S, P, V>,
) -> Result<(String, u64), Error> {
    let reference = random::token(32)?;
    let lifetime = op.config.lifetimes.par;
    let record = PushedRequest {
        client_id: client_id.clone(),
        params,
        signed,
        expires_at: services
            .now
            .0
            .saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
    };
    records::put(
        services.store,
        &Key::<PushedRequests>::new(&reference),
        &record,
        lifetime,
    )
    .await?;
    Ok((format!("{URN_PREFIX}{reference}"), lifetime))
}

/// Takes the request pushed under `request_uri` (one of ours: it starts with
/// [`URN_PREFIX`]) for `client_id`, once.
pub async fn take<S: Store, P, V>(
    request_uri: &str,
    client_id: &ClientId,
    services: &Services<'_, S, P, V>,
) -> Result<PushedRequest, OpError> {
    let invalid = || {
        OpError::InvalidRequestUri(
            "the request_uri is unknown, used or expired: push the request again".into(),
        )
    };
    let reference = request_uri.strip_prefix(URN_PREFIX).ok_or_else(invalid)?;
    // The shape of the references made here (32 random bytes, base64url): anything else is
    // refused without a store round trip.
    if reference.len() != 43
        || !reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(invalid());
    }
    let pushed = records::consume(services.store, &Key::<PushedRequests>::new(reference))
        .await?
        .ok_or_else(invalid)?;
    if services.now.0 >= pushed.expires_at {
        return Err(invalid());
    }
    // RFC 9126 §4: the request_uri is bound to the client that pushed it.
    if pushed.client_id != *client_id {
        return Err(OpError::InvalidRequestUri(
            "the request_uri was pushed by another client".into(),
        ));
    }
    Ok(pushed)
}
