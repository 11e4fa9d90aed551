//! The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2), GET and
//! POST, `response_type=code` only.
//!
//! Order matters: until the client and the redirect URI are known to match, errors are
//! shown on a page, never sent anywhere (RFC 6749 §4.1.2.1); after that they go to the
//! redirect URI with the client's `state`.

use crate::op::claims::{self, ClaimsRequest, RequestedClaims};
use crate::op::clients::registry;
use crate::op::config::{Client, GrantType};
use crate::op::error::OpError;
use crate::op::flow::{self, browser_hash};
use crate::op::form::Params;
use crate::op::http::{Request, Response};
use crate::op::pages;
use crate::op::provider::{Provider, Services};
use crate::op::records::AuthRequest;
use crate::op::token::jwt::scope_of_claim;
use crate::op::token::target;
use crate::op::types::{RedirectUri, Scope};
use crate::pkce::CodeChallenge;
use crate::store::Store;

/// Longest `state` / `nonce` accepted.
const MAX_STATE_LEN: usize = 1024;

/// Handles `/authorize`.
pub async fn handle<S: Store, P, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    let params = match req.params() {
        Ok(params) => params,
        Err(description) => return pages::error(400, "invalid_request", &description),
    };
    let found = match params.get("client_id") {
        Some(id) => registry::find(op, id, services).await,
        None => Ok(None),
    };
    let client = match found {
        Ok(Some(client)) => client,
        Ok(None) => return pages::error(400, "invalid_client", "unknown or missing client_id"),
        Err(err) => return flow::page_or_error(Err(err)),
    };
    let client = &*client;
    let Some(redirect_uri) = params
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
    else {
        return pages::error(
            400,
            "invalid_request",
            "missing redirect_uri, or not one registered for this client",
        );
    };
    let state = params.get("state");
    if state.is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return pages::error(400, "invalid_request", "state is too long");
    }
    let (browser, set_cookie) = match flow::browser(op, req) {
        Ok(pair) => pair,
        Err(_) => return pages::error(503, "temporarily_unavailable", "try again"),
    };
    let request = match validate(op, client, redirect_uri, &params, &browser) {
        Ok(request) => request,
        Err(err) => return flow::error_redirect(op, redirect_uri, state, &err),
    };
    let response = match decide(op, request, req, services).await {
        Ok(response) => response,
        Err(err) => flow::error_redirect(op, redirect_uri, state, &err),
    };
    match set_cookie {
        Some(cookie) => response.with_header("set-cookie", &cookie),
        None => response,
    }
}

/// Checks every parameter after client and redirect URI, building the request to keep.
fn validate(
    op: &Provider,
    client: &Client,
    redirect_uri: &str,
    params: &Params,
    browser: &str,
) -> Result<(AuthRequest, bool), OpError> {
    if params.has("request") {
        return Err(OpError::RequestObjectNotSupported("request_not_supported"));
    }
    if params.has("request_uri") {
        return Err(OpError::RequestObjectNotSupported(
            "request_uri_not_supported",
        ));
    }
    match params.get("response_type") {
        Some("code") => {}
        Some(_) => return Err(OpError::UnsupportedResponseType),
        None => return Err(OpError::InvalidRequest("response_type is required".into())),
    }
    if params.get("response_mode").is_some_and(|m| m != "query") {
        return Err(OpError::InvalidRequest(
            "only response_mode=query is supported".into(),
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
    if !essential_acr.is_empty() && !essential_acr.contains(&op.config.password_acr) {
        return Err(OpError::AccessDenied);
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
        redirect_uri: RedirectUri::new(redirect_uri),
        scope,
        state: params.get("state").map(str::to_owned),
        nonce: nonce.map(str::to_owned),
        code_challenge,
        max_age,
        force_login,
        force_consent,
        dpop_jkt: dpop_jkt.map(str::to_owned),
        browser: browser_hash(browser),
        claims: requested,
        required_sub,
        resources,
    };
    Ok((request, none))
}

/// What happens now: a code at once (signed in, fresh enough, consented), the consent
/// page, or the login page; with `prompt=none`, an error instead of any page.
async fn decide<S: Store, P, V>(
    op: &Provider,
    (request, prompt_none): (AuthRequest, bool),
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, OpError> {
    let session = flow::session(op, req, services).await?;
    // A session of another user than the `claims` parameter names is no use (OpenID
    // Connect Core §5.5.1): the login page, or `login_required` with `prompt=none`.
    let other_user = session
        .as_ref()
        .is_some_and(|s| !flow::is_requested_subject(s, &request));
    let usable = session.filter(|s| {
        !request.force_login && !other_user && flow::fresh_enough(s, &request, services.now.0)
    });
    let Some(session) = usable else {
        if prompt_none && other_user {
            return Err(OpError::SubjectUnavailable);
        }
        if prompt_none {
            return Err(OpError::LoginRequired);
        }
        let tx = flow::save_transaction(&request, services).await?;
        return Ok(Response::redirect(&format!("/login?tx={tx}")).no_store());
    };
    if flow::needs_consent(op, &request, &session.sub, services).await? {
        if prompt_none {
            return Err(OpError::ConsentRequired);
        }
        let tx = flow::save_transaction(&request, services).await?;
        return Ok(Response::redirect(&format!("/consent?tx={tx}")).no_store());
    }
    Ok(flow::issue_code(op, request, &session, None, services).await?)
}

/// The requested scopes, each allowed for the client, deduplicated, in request order
/// (also the device authorization request's, RFC 8628 §3.1).
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
