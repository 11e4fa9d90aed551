//! `id_token_hint` in an authorization request (OpenID Connect Core §3.1.2.1): an ID token
//! this provider issued to the requesting client, naming the user the client expects. Read
//! wherever the request came from (the query or form, a request object, a pushed request),
//! since it is one of the request's parameters like any other.
//!
//! The hint must be an ID token of this provider (`own_id_token`: its keys, its issuer,
//! `typ` `JWT`), issued to this client (its `aud`), with a `sub`. An expired one is a fine
//! hint up to a session's lifetime, as at `/end_session` and `/bc-authorize`: §3.1.2.1
//! makes it a hint "about the End-User's current or past authenticated session", and the
//! ID token a client holds has often expired; older than a session, it can name no live
//! session. Anything else is `invalid_request`, sent to the client.
//!
//! What the hint's `sub` then decides (a session of another user is not used) is in
//! `endpoints::authorize` and `endpoints::login`.

use crate::jose::SignatureVerifier;
use crate::op::config::Client;
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::provider::{Provider, Services};
use crate::op::token::own_id_token::{self, Expect, Expiry};

/// The `sub` of the request's `id_token_hint`, if it has one that this provider issued to
/// `client`; `invalid_request` for a hint that is not.
pub async fn hinted_sub<S, P, V: SignatureVerifier>(
    op: &Provider,
    client: &Client,
    params: &Params,
    services: &Services<'_, S, P, V>,
) -> Result<Option<String>, OpError> {
    let Some(token) = params.get("id_token_hint") else {
        return Ok(None);
    };
    // The audience is checked apart, to tell a client that sent another client's ID token
    // what is wrong: it holds that token, so this says nothing it does not know.
    let expect = Expect {
        audience: None,
        expiry: Expiry::WithinASession,
        required: &["sub", "aud"],
    };
    // `verified` does not say which check failed: another provider's token, a tampered
    // one, or one of ours past a session's lifetime (`Expiry::WithinASession`); the
    // description names both, so that an old hint of ours is not called foreign.
    let verified = own_id_token::verified(op, token, &expect, services)
        .await
        .ok_or_else(|| {
            OpError::InvalidRequest(
                "id_token_hint is not a valid ID token of this provider, or is older than a session"
                    .into(),
            )
        })?;
    let claims = verified.claims();
    let for_client = claims
        .audiences()
        .ok()
        .flatten()
        .is_some_and(|audiences| audiences.contains(&client.client_id.as_str()));
    if !for_client {
        return Err(OpError::InvalidRequest(
            "id_token_hint was issued to another client".into(),
        ));
    }
    let sub = claims
        .string("sub")
        .ok()
        .flatten()
        .filter(|sub| !sub.is_empty())
        .ok_or_else(|| OpError::InvalidRequest("id_token_hint has no sub".into()))?;
    Ok(Some(sub.to_owned()))
}
