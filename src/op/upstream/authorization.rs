//! The authentication request to an upstream provider (OpenID Connect Core §3.1.2.1): the
//! code flow with PKCE S256 (RFC 7636), a `state` and a `nonce`, each 256 random bits.
//!
//! The `state` names a [`PendingSignIn`] in the store, written once and consumed once at
//! the callback: it holds which provider was asked and the waiting authorization request
//! (`tx`, which only the browser that asked can load), so the answer finishes exactly that
//! request in exactly that browser, once (RFC 9700 §4.7: CSRF and replay of the response). The
//! `nonce` binds the ID token to this sign-in (Core §3.1.2.1, §15.5.2), and the PKCE
//! verifier binds the code to it (RFC 9700 §2.1.1: a code injected into another sign-in
//! cannot be redeemed).

use serde::{Deserialize, Serialize};

use crate::op::config::UpstreamProvider;
use crate::op::flow::{TRANSACTION_TTL, redirect_to};
use crate::op::http::Response;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, AuthRequest, Key, UpstreamStates};
use crate::op::routes::UPSTREAM_CALLBACK_PATH;
use crate::op::upstream::metadata;
use crate::pkce::Pkce;
use crate::store::Store;
use crate::{Error, random};

/// A sign-in under way at an upstream provider, stored under its `state`.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// The provider's `id`.
    pub provider: String,
    /// The waiting authorization request's transaction id (which only the browser that
    /// started it can load: `flow::load_transaction`).
    pub tx: String,
    /// The `nonce` sent.
    pub nonce: String,
    /// The PKCE verifier of the challenge sent.
    pub code_verifier: String,
    /// The `max_age` sent, if any: the ID token must then carry a recent `auth_time`.
    pub max_age: Option<i64>,
}

/// The provider only: the rest are this sign-in's secrets.
impl core::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Where the upstream sends the user back: this provider's callback.
pub fn redirect_uri(op: &Provider) -> String {
    format!("{}{UPSTREAM_CALLBACK_PATH}", op.config.issuer)
}

/// Starts a sign-in at `provider` for `request`, waiting as `tx`: the redirect to the
/// upstream's authorization endpoint. `fresh`: the upstream is asked for a new sign-in
/// (`prompt=login`) whatever the request asks.
/// `None` when the upstream's discovery document cannot be had.
pub async fn start<S: Store, P, V>(
    op: &Provider,
    provider: &UpstreamProvider,
    tx: &str,
    request: &AuthRequest,
    fresh: bool,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Response>, Error> {
    let Some(metadata) = metadata::current(op, provider, services).await else {
        return Ok(None);
    };
    let state = random::token(32)?;
    let pkce = Pkce::generate(64)?;
    let pending = PendingSignIn {
        provider: provider.id.clone(),
        tx: tx.to_owned(),
        nonce: random::token(32)?,
        code_verifier: pkce.verifier.expose().to_owned(),
        max_age: request.max_age,
    };
    records::put(
        services.store,
        &Key::<UpstreamStates>::new(&state),
        &pending,
        TRANSACTION_TTL,
    )
    .await?;
    let scope = provider.scopes.join(" ");
    let redirect_uri = redirect_uri(op);
    let max_age = request.max_age.map(|seconds| seconds.to_string());
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", provider.client_id.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("scope", scope.as_str()),
        ("state", state.as_str()),
        ("nonce", pending.nonce.as_str()),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    // The client asked for a fresh sign-in (Core §3.1.2.1), or the caller wants one: the
    // upstream is asked for one too, or a session there would answer without the user
    // doing anything.
    if request.force_login || fresh {
        params.push(("prompt", "login"));
    }
    if let Some(max_age) = &max_age {
        params.push(("max_age", max_age));
    }
    Ok(Some(redirect_to(&metadata.authorization_endpoint, &params)))
}
