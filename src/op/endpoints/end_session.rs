//! `/end_session`: OpenID Connect RP-Initiated Logout 1.0. The client sends the user here
//! with the ID token it holds (`id_token_hint`) and where to come back
//! (`post_logout_redirect_uri`, registered and matched exactly, §3); the provider ends its
//! session and sends the user back. Without a hint that names the current session the
//! user confirms first (§2: a logout must not be forced on a user by a third party), in a
//! CSRF-protected form.
//!
//! Only the session the request presents is ended. A cross-site POST carries no session
//! cookie under `SameSite=Lax`, yet its browser applies any `Set-Cookie` in the answer:
//! so a request without the cookie changes nothing, and no answer clears a cookie the
//! request did not send. Otherwise any page could sign its visitors out.

use std::borrow::Cow;

use serde_json::Value;

use crate::Error;
use crate::jose::SignatureVerifier;
use crate::op::backchannel;
use crate::op::clients::registry;
use crate::op::config::Client;
use crate::op::flow;
use crate::op::form::Params;
use crate::op::http::{Request, Response};
use crate::op::pages::{self, LogoutPage};
use crate::op::provider::{BROWSER_COOKIE, Provider, SESSION_COOKIE, Services};
use crate::op::records::{self, Key, Sessions};
use crate::op::token::own_id_token::{self, Expect, Expiry};
use crate::store::Store;

/// The CSRF purpose of the confirmation form.
const CSRF_PURPOSE: &str = "logout";

/// Handles `/end_session` (GET and POST).
pub async fn handle<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    flow::page_or_error(run(op, req, services).await)
}

/// What the request asks, once validated.
struct Logout<'p> {
    /// The hint's `sub` and `sid`, when a valid hint came.
    hinted: Option<(String, String)>,
    /// The client the user came from.
    client: Option<Cow<'p, Client>>,
    /// Where to send the user afterwards (registered for `client`).
    redirect: Option<&'p str>,
    /// The client's `state`, returned unchanged.
    state: Option<&'p str>,
}

async fn run<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let params = match req.params() {
        Ok(params) => params,
        Err(description) => return Ok(pages::error(400, "invalid_request", &description)),
    };
    let logout = match validate(op, &params, services).await {
        Ok(logout) => logout,
        Err(Refusal::Invalid(description)) => {
            return Ok(pages::error(400, "invalid_request", description));
        }
        Err(Refusal::Store(err)) => return Err(err),
    };
    let presented = op.cookie_value(req, SESSION_COOKIE);
    let session = flow::session(op, req, services).await?;
    let hint_names_session = match (&session, &logout.hinted) {
        (Some(session), Some((sub, sid))) => session.sub == *sub && session.sid == *sid,
        _ => false,
    };
    // No live session (none presented, or one already ended): nothing to confirm.
    let confirmed = session.is_none() || hint_names_session || confirmed_by_form(op, req, &params);
    if !confirmed {
        return confirmation_page(op, req, &logout);
    }
    let response = match logout.redirect {
        Some(uri) => {
            let state: Vec<(&str, &str)> = logout.state.map(|s| ("state", s)).into_iter().collect();
            flow::redirect_to(uri, &state)
        }
        None => pages::signed_out(),
    };
    let Some(value) = presented else {
        return Ok(response);
    };
    // The clients the session signed in to are told it ended (Back-Channel Logout 1.0).
    // Their notices are made before the session goes: should making them fail (a 503),
    // the session is still there for the retry to end, and to tell them then.
    let notices = match &session {
        Some(session) => backchannel::notices(op, session, services).await?,
        None => Vec::new(),
    };
    records::delete(services.store, &Key::<Sessions>::new(value)).await?;
    Ok(response
        .with_header("set-cookie", &op.cookie(SESSION_COOKIE, "", 0))
        .with_effects(notices))
}

/// Why a logout request is not carried out.
enum Refusal {
    /// The request is wrong: shown on a 400 page.
    Invalid(&'static str),
    /// The store failed while looking up the client.
    Store(Error),
}

/// Checks the hint, the client and the redirect URI (§2, §3). Failures are shown on a
/// page, never sent to an unvalidated URI.
async fn validate<'p, S: Store, P, V: SignatureVerifier>(
    op: &'p Provider,
    params: &'p Params,
    services: &Services<'_, S, P, V>,
) -> Result<Logout<'p>, Refusal> {
    let mut hint_audience = None;
    let hinted = match params.get("id_token_hint") {
        Some(token) => {
            let claims = verify_hint(op, token, services)
                .await
                .ok_or(Refusal::Invalid(
                    "The id_token_hint is not an ID token issued by this provider.",
                ))?;
            let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
            hint_audience = text("aud");
            Some((
                text("sub").unwrap_or_default(),
                text("sid").unwrap_or_default(),
            ))
        }
        None => None,
    };
    let client_id = match (params.get("client_id"), hint_audience.as_deref()) {
        (Some(given), Some(audience)) if given != audience => {
            return Err(Refusal::Invalid(
                "client_id is not the audience of the id_token_hint.",
            ));
        }
        (Some(given), _) => Some(given),
        (None, audience) => audience,
    };
    let client = match client_id {
        Some(id) => Some(
            registry::find(op, id, services)
                .await
                .map_err(Refusal::Store)?
                .ok_or(Refusal::Invalid("Unknown client_id."))?,
        ),
        None => None,
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        Some(uri) => {
            let client = client.as_ref().ok_or(Refusal::Invalid(
                "A post_logout_redirect_uri needs a client_id or an id_token_hint to match it against.",
            ))?;
            // Matched exactly, so the request's own text is the registered URI.
            if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return Err(Refusal::Invalid(
                    "The post_logout_redirect_uri is not registered for this client.",
                ));
            }
            Some(uri)
        }
        None => None,
    };
    Ok(Logout {
        hinted,
        client,
        redirect,
        state: params.get("state"),
    })
}

/// The hint's claims, if it is an ID token this provider signed for one of its clients.
/// Expiry is tolerated up to one session lifetime (§2: an expired ID token is still a fine
/// hint; older than a session it can name no live session).
async fn verify_hint<S, P, V: SignatureVerifier>(
    op: &Provider,
    token: &str,
    services: &Services<'_, S, P, V>,
) -> Option<serde_json::Map<String, Value>> {
    let expect = Expect {
        audience: None,
        expiry: Expiry::WithinASession,
        required: &["sub", "sid", "aud"],
    };
    let verified = own_id_token::verified(op, token, &expect, services).await?;
    Some(verified.claims().as_map().clone())
}

/// Whether this is the confirmation form's POST, with a valid CSRF token.
fn confirmed_by_form(op: &Provider, req: &Request, params: &Params) -> bool {
    let Some(browser) = op.cookie_value(req, BROWSER_COOKIE) else {
        return false;
    };
    req.method == "POST"
        && params.get("confirm") == Some("yes")
        && op.secrets.csrf_valid(
            params.get("csrf").unwrap_or_default(),
            CSRF_PURPOSE,
            "",
            browser,
        )
}

/// "Sign out of the provider?", carrying the validated request in hidden fields.
fn confirmation_page(op: &Provider, req: &Request, logout: &Logout<'_>) -> Result<Response, Error> {
    let (browser, new_cookie) = flow::browser(op, req)?;
    let csrf = op.secrets.csrf_token(CSRF_PURPOSE, "", &browser);
    let page = pages::logout(&LogoutPage {
        csrf: &csrf,
        client_id: logout.client.as_ref().map(|c| c.client_id.as_str()),
        post_logout_redirect_uri: logout.redirect,
        state: logout.state,
    });
    Ok(match new_cookie {
        Some(cookie) => page.with_header("set-cookie", &cookie),
        None => page,
    })
}
