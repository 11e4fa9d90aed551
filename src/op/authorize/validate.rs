//! The checks of an authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1
//! and the extensions this provider supports), run on the request's parameters wherever
//! they came from: `/authorize` and `/par` both call these, so a pushed request is
//! refused at push time for what would refuse it at `/authorize`.
//!
//! [`reply`] comes first: until the client and the redirect URI are known to match, an
//! error cannot be sent to the client (RFC 6749 §4.1.2.1). [`check`] does the rest; its
//! errors go to the client through the [`Reply`].

use super::id_token_hint;
use super::response_mode::{Reply, ResponseMode};
use crate::jose::SignatureVerifier;
use crate::op::claims::{self, ClaimsRequest, RequestedClaims};
use crate::op::config::{Client, GrantType};
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::pages;
use crate::op::provider::{Provider, Services};
use crate::op::records::AuthRequest;
use crate::op::token::jwt::scope_of_claim;
use crate::op::token::target;
use crate::op::types::{RedirectUri, Scope};
use crate::pkce::CodeChallenge;

/// Longest `state` / `nonce` accepted.
const MAX_STATE_LEN: usize = 1024;

/// Where the parameters came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Source {
    /// Pushed to `/par` by the authenticated client (RFC 9126).
    pub pushed: bool,
    /// The members of a request object the client signed (RFC 9101).
    pub signed: bool,
}

/// Where errors and the answer go: the redirect URI, registered for the client and
/// compared exactly (RFC 9700 §2.1; a native app's loopback port aside, RFC 8252 §7.3),
/// the `state`, and the response mode (`query` when the
/// one asked for is refused: [`check`] then refuses the request).
pub fn reply<'p>(client: &'p Client, params: &'p Params) -> Result<Reply<'p>, OpError> {
    let Some(redirect_uri) = params
        .get("redirect_uri")
        .filter(|uri| client.accepts_redirect_uri(uri))
    else {
        return Err(OpError::InvalidRequest(
            "missing redirect_uri, or not one registered for this client".into(),
        ));
    };
    let state = params.get("state");
    if state.is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return Err(OpError::InvalidRequest("state is too long".into()));
    }
    Ok(Reply {
        client_id: &client.client_id,
        redirect_uri,
        state,
        mode: ResponseMode::parse(params.get("response_mode"))
            .ok()
            .filter(|mode| !mode.is_form_post() || pages::is_http(redirect_uri))
            .unwrap_or_default(),
    })
}

/// Checks every parameter after the reply's, building the request to keep (its
/// `browser` left for `/authorize` to bind) and whether it asked for `prompt=none`.
pub async fn check<S, P, V: SignatureVerifier>(
    op: &Provider,
    client: &Client,
    reply: &Reply<'_>,
    params: &Params,
    source: Source,
    services: &Services<'_, S, P, V>,
) -> Result<(AuthRequest, bool), OpError> {
    // RFC 9126 §5: a client (or a provider) that requires pushed requests takes no other.
    if !source.pushed
        && (client.authorization.require_pushed_authorization_requests
            || op.config.require_pushed_authorization_requests)
    {
        return Err(OpError::InvalidRequest(
            "this client must push its authorization requests to the pushed_authorization_request_endpoint (RFC 9126)".into(),
        ));
    }
    // RFC 9101 §10.5: such a client's requests are signed request objects only.
    if !source.signed && client.authorization.require_signed_request_object {
        return Err(OpError::InvalidRequest(
            "this client must send its authorization requests as signed request objects (RFC 9101)"
                .into(),
        ));
    }
    // What the request came through was resolved before: none can be left here.
    if params.has("request") || params.has("request_uri") {
        return Err(OpError::InvalidRequest(
            "request and request_uri cannot be combined or nested".into(),
        ));
    }
    match params.get("response_type") {
        Some("code") => {}
        Some(_) => return Err(OpError::UnsupportedResponseType),
        None => return Err(OpError::InvalidRequest("response_type is required".into())),
    }
    // The reply was read with the same mode, or with `query` if this refuses it.
    let response_mode = ResponseMode::parse(params.get("response_mode"))?;
    // A native app's private-use scheme is opened, not posted to (RFC 8252 §7.1).
    if response_mode.is_form_post() && !pages::is_http(reply.redirect_uri) {
        return Err(OpError::InvalidRequest(
            "form_post needs an http(s) redirect URI".into(),
        ));
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(OpError::UnauthorizedClient(
            "this client may not use the authorization code flow".into(),
        ));
    }
    let scope = requested_scope(client, params.get("scope"))?;
    // RFC 8707 §2: the resources the tokens may be for, each one this provider knows.
    let resources = target::requested(op, params)?;
    let code_challenge = match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, Some(_)) => {
            return Err(OpError::InvalidRequest(
                "code_challenge_method without code_challenge".into(),
            ));
        }
        (None, None) if client.is_public() => {
            return Err(OpError::InvalidRequest(
                "PKCE (code_challenge, S256) is required for public clients".into(),
            ));
        }
        // FAPI 2.0 Security Profile §5.3.2.2: PKCE with S256 for every client.
        (None, None) if client.is_fapi2() => {
            return Err(OpError::InvalidRequest(
                "PKCE (code_challenge, S256) is required by the FAPI 2.0 Security Profile".into(),
            ));
        }
        (None, None) => None,
        (Some(challenge), Some("S256")) => Some(
            CodeChallenge::parse_s256(challenge)
                .map_err(|e| OpError::InvalidRequest(e.to_string()))?
                .as_str()
                .to_owned(),
        ),
        (Some(_), _) => {
            return Err(OpError::InvalidRequest(
                "code_challenge_method must be S256".into(),
            ));
        }
    };
    let nonce = params.get("nonce");
    if nonce.is_some_and(|n| n.len() > MAX_STATE_LEN) {
        return Err(OpError::InvalidRequest("nonce is too long".into()));
    }
    let (force_login, force_consent, none) = prompt(params.get("prompt"))?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0 && text.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    OpError::InvalidRequest("max_age must be a non-negative integer".into())
                })?,
        ),
    };
    let dpop_jkt = params.get("dpop_jkt");
    if dpop_jkt.is_some_and(|j| j.len() != 43 || crate::b64::decode(j).is_err()) {
        return Err(OpError::InvalidRequest(
            "dpop_jkt must be a base64url SHA-256 thumbprint".into(),
        ));
    }
    if none && (force_login || force_consent) {
        return Err(OpError::InvalidRequest(
            "prompt=none cannot be combined with other values".into(),
        ));
    }
    // OpenID Connect Core §5.5. A client granted `openid` may ask for a claim by name if it
    // may ask for the scope that releases it (below); the consent page lists such claims
    // beside the scopes and a consent covers them. Without `openid` there is no ID token or
    // UserInfo response for them; the `sub` asked for still binds the request (§5.5.1: no
    // access token for another user).
    let ClaimsRequest {
        claims: requested,
        sub: required_sub,
        essential_acr,
    } = match params.get("claims") {
        Some(text) => claims::parse(text)?,
        None => ClaimsRequest::default(),
    };
    // OpenID Connect Core §3.1.2.1: `acr_values` are voluntary, and the one context class a
    // sign-in here has is returned whichever is asked; only their shape is checked. §5.5.1.1:
    // `acr` asked for as an Essential Claim that the sign-in cannot meet is a failed
    // authentication.
    if let Some(values) = params.get("acr_values")
        && (values.len() > MAX_STATE_LEN || values.split(' ').any(str::is_empty))
    {
        return Err(OpError::InvalidRequest(
            "acr_values must be space-separated values".into(),
        ));
    }
    // A class no way of signing in here meets fails at once, before any page.
    if !essential_acr.is_empty()
        && !op
            .config
            .acr_values()
            .iter()
            .any(|acr| essential_acr.iter().any(|value| value == acr))
    {
        return Err(OpError::AccessDenied);
    }
    // OpenID Connect Core §3.1.2.1: the user the client expects, as an ID token it holds.
    // Like a `sub` the `claims` parameter asks for, it binds the request with or without
    // `openid`: no code is issued for another user than the one the client named.
    let hinted_sub = id_token_hint::hinted_sub(op, client, params, services).await?;
    if let (Some(hinted), Some(required)) = (&hinted_sub, &required_sub)
        && hinted != required
    {
        return Err(OpError::InvalidRequest(
            "the id_token_hint and the claims parameter name different users".into(),
        ));
    }
    let requested = if scope.has("openid") {
        let mut requested = requested;
        // A claim asked for by name is released only to a client that may ask for the
        // scope releasing it: `claims` adds to what a request asks, never to what the
        // client may have (`auth_time`, the sign-in's, belongs to no scope).
        requested
            .retain(|name| scope_of_claim(name).is_none_or(|scope| client.allows_scope(scope)));
        requested
    } else {
        RequestedClaims::default()
    };
    let request = AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: RedirectUri::new(reply.redirect_uri),
        scope,
        state: reply.state.map(str::to_owned),
        nonce: nonce.map(str::to_owned),
        code_challenge,
        max_age,
        force_login,
        asked_at: services.now.0,
        force_consent,
        dpop_jkt: dpop_jkt.map(str::to_owned),
        browser: String::new(),
        claims: requested,
        required_sub,
        hinted_sub,
        resources,
        response_mode,
        essential_acr,
    };
    Ok((request, none))
}

/// The requested scopes, each allowed for the client, deduplicated, in request order (also
/// the device authorization request's, RFC 8628 §3.1, and the backchannel one's).
pub(crate) fn requested_scope(client: &Client, scope: Option<&str>) -> Result<Scope, OpError> {
    let scope = scope.ok_or_else(|| OpError::InvalidScope("scope is required".into()))?;
    let mut out: Vec<&str> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !client.allows_scope(s) {
            return Err(OpError::InvalidScope(format!(
                "scope {s:?} is not allowed for this client"
            )));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(OpError::InvalidScope("scope is required".into()));
    }
    Ok(Scope::new(out.join(" ")))
}

/// `prompt` (OpenID Connect Core §3.1.2.1): (login, consent, none).
fn prompt(value: Option<&str>) -> Result<(bool, bool, bool), OpError> {
    let mut out = (false, false, false);
    for p in value
        .unwrap_or_default()
        .split(' ')
        .filter(|p| !p.is_empty())
    {
        match p {
            "login" => out.0 = true,
            "consent" => out.1 = true,
            "none" => out.2 = true,
            "select_account" => {}
            _ => {
                return Err(OpError::InvalidRequest(format!(
                    "unsupported prompt value {p:?}"
                )));
            }
        }
    }
    Ok(out)
}
