//! The login page: a username and password form (unless `password_login` is off) and a
//! "Continue with …" link per upstream provider (`upstream_providers`), CSRF-protected and
//! bound to the browser that started the authorization request. Passwords are checked
//! with PBKDF2-SHA256 through the host's [`Pbkdf2`] (WebCrypto's native implementation on
//! Workers); a sign-in at an upstream provider starts at `/upstream/start` and ends at
//! `/upstream/callback`, which come back here for the session and the rest of the flow.

use crate::op::clients::registry;
use crate::op::flow;
use crate::op::form;
use crate::op::http::{Request, Response};
use crate::op::pages::{self, ClientView, LoginPage, UpstreamLink};
use crate::op::password::{Pbkdf2, verify_password_padded};
use crate::op::provider::{Provider, SESSION_COOKIE, Services};
use crate::op::records::{self, AuthRequest, Key, Session, Sessions};
use crate::op::routes::UPSTREAM_START_PATH;
use crate::op::throttle::{self, Verdict};
use crate::store::Store;
use crate::{Error, random};

const EXPIRED: &str = "This sign-in link has expired or was opened in another browser. Start again from the application.";

/// The CSRF purpose of the links that start a sign-in at an upstream provider.
pub(crate) const UPSTREAM_CSRF_PURPOSE: &str = "upstream";

/// Handles `/login`.
pub async fn handle<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    flow::page_or_error(run(op, req, services).await)
}

async fn run<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let page = match flow::page_request(op, req, services, EXPIRED).await? {
        Ok(page) => page,
        Err(error_page) => return Ok(error_page),
    };
    let (params, browser, tx, request) =
        (page.params, page.browser, page.tx.as_str(), page.request);
    if req.method == "GET" {
        return show(op, tx, browser, &request, "", None, services).await;
    }
    // No password form is shown, so none is taken (nor its CSRF token looked for).
    if !op.config.password_login {
        let message = "Passwords are not accepted here: continue with one of the providers below.";
        let page = show(op, tx, browser, &request, "", Some(message), services).await?;
        return Ok(with_status(page, 403));
    }
    if !op
        .secrets
        .csrf_valid(params.get("csrf").unwrap_or_default(), "login", tx, browser)
    {
        return Ok(pages::error(
            403,
            "invalid_request",
            "The form expired. Go back and try again.",
        ));
    }
    let username = params.get("username").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    let limits = &op.config.login_limits;
    let verdict = throttle::attempt(limits, services.store, req, username, services.now).await?;
    if let Verdict::Refused { retry_after } = verdict {
        let minutes = retry_after.div_ceil(60);
        let message = format!("Too many sign-in attempts. Try again in {minutes} minutes.");
        let page = show(
            op,
            tx,
            browser,
            &request,
            username,
            Some(&message),
            services,
        )
        .await?;
        return Ok(with_status(page, 429).with_header("retry-after", &retry_after.to_string()));
    }
    let Some(sub) = check_credentials(op, username, password, services).await? else {
        throttle::failed(limits, services.store, req, services.now).await?;
        let message = "Wrong username or password.";
        return show(op, tx, browser, &request, username, Some(message), services).await;
    };
    let (session_cookie, session) = start_session(op, &sub, services.now.0, services).await?;
    let response = continue_flow(op, request, &session, tx, services).await?;
    Ok(response.with_header("set-cookie", &session_cookie))
}

/// `page` with another status.
pub(crate) fn with_status(page: Response, status: u16) -> Response {
    Response { status, ..page }
}

/// The login page of the request waiting as `tx` in `browser`: the password form (with
/// `username` filled in) unless passwords are off, a link per upstream provider, and
/// `error` above them. A 200, or a 401 with an error.
pub(crate) async fn show<S: Store, P, V>(
    op: &Provider,
    tx: &str,
    browser: &str,
    request: &AuthRequest,
    username: &str,
    error: Option<&str>,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let registered = registry::find(op, &request.client_id, services).await?;
    let client = registered
        .as_deref()
        .map_or_else(|| ClientView::bare(&request.client_id), ClientView::of);
    let csrf = op.secrets.csrf_token("login", tx, browser);
    let upstream_csrf = op.secrets.csrf_token(UPSTREAM_CSRF_PURPOSE, tx, browser);
    let hrefs: Vec<String> = op
        .config
        .upstream_providers
        .iter()
        .map(|provider| {
            let query = form::encode(&[
                ("tx", tx),
                ("provider", provider.id.as_str()),
                ("csrf", upstream_csrf.as_str()),
            ]);
            format!("{UPSTREAM_START_PATH}?{query}")
        })
        .collect();
    let upstreams: Vec<UpstreamLink<'_>> = op
        .config
        .upstream_providers
        .iter()
        .zip(&hrefs)
        .map(|(provider, href)| UpstreamLink {
            name: &provider.name,
            href,
        })
        .collect();
    Ok(pages::login(&LoginPage {
        tx,
        csrf: &csrf,
        client,
        provider_name: &op.config.provider_name,
        username,
        error,
        redirect_origin: pages::origin_of(&request.redirect_uri),
        password: op.config.password_login,
        upstreams: &upstreams,
    }))
}

/// The user's `sub` when the password is right. Every check costs the same PBKDF2 work,
/// the highest iteration count configured: timing reveals neither which usernames exist
/// nor which users have cheaper hashes.
async fn check_credentials<S, P: Pbkdf2, V>(
    op: &Provider,
    username: &str,
    password: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<String>, Error> {
    match op.config.user_by_username(username) {
        Some(user) => {
            let ok = verify_password_padded(
                &user.password_hash,
                password.as_bytes(),
                services.pbkdf2,
                op.password_cost,
            )
            .await?;
            Ok(ok.then(|| user.sub.clone()))
        }
        None => {
            verify_password_padded(
                &op.decoy_hash,
                password.as_bytes(),
                services.pbkdf2,
                op.password_cost,
            )
            .await?;
            Ok(None)
        }
    }
}

/// A new session for `sub`, who authenticated at `auth_time`: the cookie value is random
/// and stored only as a hash.
pub(crate) async fn start_session<S: Store, P, V>(
    op: &Provider,
    sub: &str,
    auth_time: i64,
    services: &Services<'_, S, P, V>,
) -> Result<(String, Session), Error> {
    let value = random::token(32)?;
    let session = Session {
        sub: sub.to_owned(),
        auth_time,
        sid: random::token(16)?,
    };
    let ttl = op.config.lifetimes.session;
    records::put(services.store, &Key::<Sessions>::new(&value), &session, ttl).await?;
    Ok((op.cookie(SESSION_COOKIE, &value, ttl), session))
}

/// After login: the consent page if needed, else the code.
pub(crate) async fn continue_flow<S: Store, P, V>(
    op: &Provider,
    request: AuthRequest,
    session: &Session,
    tx: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    if flow::needs_consent(op, &request, &session.sub, services).await? {
        return Ok(Response::redirect(&format!("/consent?tx={tx}")).no_store());
    }
    flow::issue_code(op, request, session, Some(tx), services).await
}
