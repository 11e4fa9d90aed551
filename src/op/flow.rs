//! The steps the authorization pages share: the browser binding, the session, consent,
//! and ending the flow with a code (or an error) at the client's redirect URI.

use super::authorize::response_mode::{self, Reply};
use super::clients::registry;
use super::config::{ApplicationType, Client};
use super::error::OpError;
use super::form::Params;
use super::http::{Request, Response};
use super::pages;
use super::provider::{BROWSER_COOKIE, Provider, SESSION_COOKIE, Services};
use super::records::{
    self, AuthRequest, AuthRequests, Code, Codes, Consents, Decision, Key, Session, SessionClients,
    Sessions,
};
use super::users;
use crate::store::Store;
use crate::{Error, random};

/// How long an authorization request may wait for login and consent.
pub const TRANSACTION_TTL: u64 = 600;
/// How long a consent is remembered.
pub const CONSENT_TTL: u64 = 365 * 24 * 3600;

/// Whether a cookie value has the shape of ours (base64url of 32 bytes); anything else is
/// ignored rather than looked up.
fn well_formed(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The browser-binding value, and a `Set-Cookie` when a new one had to be made.
pub fn browser(op: &Provider, req: &Request) -> Result<(String, Option<String>), Error> {
    match op
        .cookie_value(req, BROWSER_COOKIE)
        .filter(|v| well_formed(v))
    {
        Some(value) => Ok((value.to_owned(), None)),
        None => {
            let value = random::token(32)?;
            let cookie = op.cookie(BROWSER_COOKIE, &value, TRANSACTION_TTL * 2);
            Ok((value, Some(cookie)))
        }
    }
}

/// The hash under which a transaction remembers its browser.
pub fn browser_hash(browser: &str) -> String {
    records::hashed("browser", browser)
}

/// The signed-in user, if the session cookie names a live session.
pub async fn session<S: Store, P, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Session>, Error> {
    match session_cookie(op, req) {
        Some(value) => records::get(services.store, &Key::<Sessions>::new(value)).await,
        None => Ok(None),
    }
}

/// The session cookie's value, if the request carries a well-formed one.
pub(crate) fn session_cookie<'r>(op: &Provider, req: &'r Request) -> Option<&'r str> {
    op.cookie_value(req, SESSION_COOKIE)
        .filter(|v| well_formed(v))
}

/// Whether `session` is a sign-in the request takes (OpenID Connect Core §3.1.2.1): one
/// made after the request was (at the login page it was sent to, which asks what
/// `prompt=login` and `max_age` ask, of the user or of an upstream provider), or, without
/// `prompt=login`, one whose `auth_time` is at most `max_age` seconds before the request.
/// Measured from the request, not from now, so a sign-in made for it stays good on the
/// pages after (consent takes the user a while; `max_age=0` would otherwise never pass),
/// and a session from before it that the request does not take never is, whichever page
/// the flow is sent on from.
pub fn signed_in_as_asked(session: &Session, request: &AuthRequest) -> bool {
    if session.signed_in_at >= request.asked_at {
        return true;
    }
    !request.force_login
        && request
            .max_age
            .is_none_or(|max_age| session.auth_time >= request.asked_at.saturating_sub(max_age))
}

/// Whether the session is recent enough for `max_age` (OpenID Connect Core §3.1.2.1).
pub fn fresh_enough(session: &Session, request: &AuthRequest, now: i64) -> bool {
    request
        .max_age
        .is_none_or(|max_age| now.saturating_sub(session.auth_time) <= max_age)
}

/// Whether the session's user is the one the request's `claims` parameter asks the ID
/// token to be about, when it names one (OpenID Connect Core §5.5.1).
pub fn is_requested_subject(session: &Session, request: &AuthRequest) -> bool {
    request
        .required_sub
        .as_deref()
        .is_none_or(|sub| sub == session.sub)
}

/// Whether the session's user is the one the request's `id_token_hint` names, when it has
/// one (OpenID Connect Core §3.1.2.1). A `sub` is compared as this provider puts it in the
/// client's ID tokens: it issues public subjects only (discovery's
/// `subject_types_supported`), the user's own `sub` for every client, so the hint's `sub`
/// is the session's as it is. A pairwise subject type would compare the `sub` computed for
/// the request's client here.
pub fn is_hinted_subject(session: &Session, request: &AuthRequest) -> bool {
    request
        .hinted_sub
        .as_deref()
        .is_none_or(|sub| sub == session.sub)
}

/// Whether the user `sub` signs in with a context class the request accepts
/// ([`AuthRequest::accepts_acr`]): a user's class is that of the way they sign in
/// ([`users::acr`]: the password, or their upstream provider).
pub async fn meets_acr<S: Store, P, V>(
    op: &Provider,
    sub: &str,
    request: &AuthRequest,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    if request.essential_acr.is_empty() {
        return Ok(true);
    }
    Ok(users::find(op, sub, services)
        .await?
        .is_some_and(|user| request.accepts_acr(users::acr(&op.config, &user))))
}

fn consent_key(sub: &str, client_id: &str) -> Key<Consents> {
    Key::new(&format!("{sub}\n{client_id}"))
}

/// Whether the user must be asked: never for first-party clients (unless
/// `prompt=consent`), always for other native apps, otherwise when some requested scope or
/// claim asked for by name was not granted before.
pub async fn needs_consent<S: Store, P, V>(
    op: &Provider,
    request: &AuthRequest,
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let client = registry::find(op, &request.client_id, services).await?;
    if request.force_consent {
        return Ok(true);
    }
    match client.as_deref() {
        Some(client) if client.first_party => return Ok(false),
        // RFC 8252 §8.6: any app on the device can claim a native app's scheme or listen
        // on its loopback port, and start a request in its name; a consent given before
        // says nothing about who asks now.
        Some(client) if client.application_type == ApplicationType::Native => return Ok(true),
        _ => {}
    }
    let granted: Option<Vec<String>> =
        records::get(services.store, &consent_key(sub, &request.client_id)).await?;
    let granted = granted.unwrap_or_default();
    Ok(!consent_entries(request).all(|entry| granted.contains(&entry)))
}

/// What a consent to `request` grants, as remembered: its scopes, and each claim asked for
/// by name (OpenID Connect Core §5.5) as `claim <name>`, which no scope token can equal (a
/// scope token has no space, RFC 6749 §3.3).
fn consent_entries(request: &AuthRequest) -> impl Iterator<Item = String> + '_ {
    request.scope.names().map(str::to_owned).chain(
        request
            .requested_claim_names()
            .into_iter()
            .map(|name| format!("claim {name}")),
    )
}

/// The scopes `sub` granted `client_id`: those its consent remembers, or every scope of a
/// first-party client (whose consent is implied); none for a client no longer registered.
pub async fn granted_scopes<S: Store, P, V>(
    op: &Provider,
    sub: &str,
    client_id: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Vec<String>, Error> {
    let Some(client) = registry::find(op, client_id, services).await? else {
        return Ok(Vec::new());
    };
    if client.first_party {
        return Ok(client.scopes.clone());
    }
    let granted: Option<Vec<String>> =
        records::get(services.store, &consent_key(sub, client_id)).await?;
    // Claims asked for by name are remembered beside the scopes as `claim <name>`.
    Ok(granted
        .unwrap_or_default()
        .into_iter()
        .filter(|entry| !entry.contains(' ') && client.allows_scope(entry))
        .collect())
}

/// Remembers that the user granted the request's scopes and named claims to its client.
pub async fn remember_consent<S: Store, P, V>(
    request: &AuthRequest,
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<(), Error> {
    let key = consent_key(sub, &request.client_id);
    let mut granted: Vec<String> = records::get(services.store, &key)
        .await?
        .unwrap_or_default();
    for entry in consent_entries(request) {
        if !granted.contains(&entry) {
            granted.push(entry);
        }
    }
    records::put(services.store, &key, &granted, CONSENT_TTL).await
}

/// Stores a waiting request and returns its transaction id.
pub async fn save_transaction<S: Store, P, V>(
    request: &AuthRequest,
    services: &Services<'_, S, P, V>,
) -> Result<String, Error> {
    let tx = random::token(32)?;
    records::put(
        services.store,
        &Key::<AuthRequests>::new(&tx),
        request,
        TRANSACTION_TTL,
    )
    .await?;
    Ok(tx)
}

/// The waiting request of a transaction, if it exists and belongs to this browser.
pub async fn load_transaction<S: Store, P, V>(
    tx: &str,
    browser: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<AuthRequest>, Error> {
    if !well_formed(tx) {
        return Ok(None);
    }
    let request: Option<AuthRequest> =
        records::get(services.store, &Key::<AuthRequests>::new(tx)).await?;
    Ok(request.filter(|r| {
        crate::secret::constant_time_eq(r.browser.as_bytes(), browser_hash(browser).as_bytes())
    }))
}

/// Why the flow must end without a code for the signed-in `session`, if it must: when
/// the sign-in is older than `prompt=login` or `max_age` let it be, `login_required`
/// (the login page asks for a new one first, so this is reached only by a page sent on
/// from it); when the request's `claims` parameter asks for an ID token about another
/// user than the signed-in one, `login_required` (OpenID Connect Core §5.5.1: the provider "MUST NOT
/// reply with an ID Token or Access Token for a different user"), and so when its
/// `id_token_hint` names another user (§3.1.2.1); `access_denied` when it asks for an
/// essential `acr` the sign-in does not meet (§5.5.1.1: the authentication failed). For
/// another user, the login page asks for the one named first (`endpoints::login`), so this
/// is reached only when the session changed meanwhile (in another tab, before consent).
///
/// [`issue_code`] asks this before any code; the consent page asks it before remembering
/// a consent, since a flow that ends refused grants nothing.
pub async fn refusal<S: Store, P, V>(
    op: &Provider,
    request: &AuthRequest,
    session: &Session,
    services: &Services<'_, S, P, V>,
) -> Result<Option<OpError>, Error> {
    Ok(if !signed_in_as_asked(session, request) {
        Some(OpError::LoginRequired)
    } else if !is_requested_subject(session, request) {
        Some(OpError::SubjectUnavailable)
    } else if !is_hinted_subject(session, request) {
        Some(OpError::NotTheHintedUser)
    } else if !meets_acr(op, &session.sub, request, services).await? {
        Some(OpError::AccessDenied)
    } else {
        None
    })
}

/// Ends the flow with `error` at the client's redirect URI, in the request's response
/// mode; the transaction, if any, is removed.
pub async fn refuse<S: Store, P, V>(
    op: &Provider,
    request: &AuthRequest,
    error: &OpError,
    tx: Option<&str>,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    if let Some(tx) = tx {
        records::delete(services.store, &Key::<AuthRequests>::new(tx)).await?;
    }
    response_mode::deliver_error(op, &Reply::of(request), error, services).await
}

/// Ends the flow successfully: stores a single-use code and answers the client with
/// `code`, `state` and `iss` (RFC 9207) in the request's response mode. The transaction,
/// if any, is removed. A flow the signed-in user may not finish ([`refusal`]) ends with
/// that error instead. Every way to a code comes through here.
pub async fn issue_code<S: Store, P, V>(
    op: &Provider,
    request: AuthRequest,
    session: &Session,
    tx: Option<&str>,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    if let Some(error) = refusal(op, &request, session, services).await? {
        return refuse(op, &request, &error, tx, services).await;
    }
    let code = random::token(32)?;
    let record = Code {
        request,
        sub: session.sub.clone(),
        auth_time: session.auth_time,
        sid: session.sid.clone(),
    };
    records::put(
        services.store,
        &Key::<Codes>::new(&code),
        &record,
        op.config.lifetimes.code,
    )
    .await?;
    if let Some(client) = registry::find(op, &record.request.client_id, services).await? {
        remember_session_client(op, &client, &record.sid, services).await?;
    }
    if let Some(tx) = tx {
        records::delete(services.store, &Key::<AuthRequests>::new(tx)).await?;
    }
    response_mode::deliver(
        op,
        &Reply::of(&record.request),
        &[("code", code.as_str())],
        services,
    )
    .await
}

/// Notes that the session `sid` signed in to `client` (a code issued to it, or a device or
/// CIBA request approved in that session), if the client is to be told when the session
/// ends (Back-Channel Logout 1.0 §2.6): its ID tokens carry that `sid`. Written once per
/// client and session, for as long as a session lives.
pub(crate) async fn remember_session_client<S: Store, P, V>(
    op: &Provider,
    client: &Client,
    sid: &str,
    services: &Services<'_, S, P, V>,
) -> Result<(), Error> {
    if client.backchannel_logout_uri.is_none() {
        return Ok(());
    }
    let client_id = &client.client_id;
    let key = Key::<SessionClients>::new(sid);
    let mut clients = records::get(services.store, &key)
        .await?
        .unwrap_or_default();
    if clients.contains(client_id) {
        return Ok(());
    }
    clients.push(client_id.clone());
    records::put(services.store, &key, &clients, op.config.lifetimes.session).await
}

/// A 303 to `uri` with `params` added to its query.
pub use super::authorize::response_mode::redirect_to;

/// What a login or consent page works on: its parameters, the browser binding and the
/// waiting authorization request.
pub struct PageRequest<'r> {
    /// The query (GET) or form (POST) parameters.
    pub params: Params,
    /// The browser-binding cookie value.
    pub browser: &'r str,
    /// The transaction id.
    pub tx: String,
    /// The authorization request waiting on this page.
    pub request: AuthRequest,
}

/// Reads a page request; `Ok(Err(page))` is the error page to show instead (malformed
/// parameters, or a transaction that expired or belongs to another browser: `expired`).
pub async fn page_request<'r, S: Store, P, V>(
    op: &Provider,
    req: &'r Request,
    services: &Services<'_, S, P, V>,
    expired: &str,
) -> Result<Result<PageRequest<'r>, Response>, Error> {
    let params = match req.params() {
        Ok(params) => params,
        Err(description) => return Ok(Err(pages::error(400, "invalid_request", &description))),
    };
    let Some(browser) = op.cookie_value(req, BROWSER_COOKIE) else {
        return Ok(Err(pages::error(400, "invalid_request", expired)));
    };
    let tx = params.get("tx").unwrap_or_default().to_owned();
    let Some(request) = load_transaction(&tx, browser, services).await? else {
        return Ok(Err(pages::error(400, "invalid_request", expired)));
    };
    Ok(Ok(PageRequest {
        params,
        browser,
        tx,
        request,
    }))
}

/// A page that any browser may open (`/device`, `/ciba`): `answer` gets its parameters (the
/// query, or the form) and the browser binding, made now if the browser had none, whose
/// `Set-Cookie` then goes with the answer. Malformed parameters are an error page.
pub async fn browser_page(
    op: &Provider,
    req: &Request,
    answer: impl AsyncFnOnce(&Params, &str) -> Result<Response, Error>,
) -> Result<Response, Error> {
    let params = match req.params() {
        Ok(params) => params,
        Err(description) => return Ok(pages::error(400, "invalid_request", &description)),
    };
    let (browser, set_cookie) = browser(op, req)?;
    let response = answer(&params, &browser).await?;
    Ok(match set_cookie {
        Some(cookie) => response.with_header("set-cookie", &cookie),
        None => response,
    })
}

/// The answer the signed-in user gives on such a page (a device's request, a CIBA
/// request): the form's `decision`, `allow` or `deny`; else the error page to show.
pub fn page_decision(params: &Params, session: &Session) -> Result<Decision, Response> {
    let approved = match params.get("decision") {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return Err(pages::error(
                400,
                "invalid_request",
                "decision must be allow or deny",
            ));
        }
    };
    Ok(Decision {
        approved,
        sub: session.sub.clone(),
        auth_time: session.auth_time,
        sid: session.sid.clone(),
    })
}

/// A page handler's answer, with failures of the host (storage, cryptography, randomness)
/// and other errors as error pages.
pub fn page_or_error(result: Result<Response, Error>) -> Response {
    match result {
        Ok(response) => response,
        Err(err) if err.is_host_failure() => {
            pages::error(503, "temporarily_unavailable", "Please try again.")
        }
        Err(err) => pages::error(400, "invalid_request", &err.to_string()),
    }
}
