//! The login page: a username and password form, CSRF-protected and bound to the browser
//! that started the authorization request. Passwords are checked with PBKDF2-SHA256
//! through the host's [`Pbkdf2`] (WebCrypto's native implementation on Workers).

use crate::op::clients::registry;
use crate::op::flow;
use crate::op::form::Params;
use crate::op::http::{Request, Response};
use crate::op::pages::{self, ClientView, LoginPage};
use crate::op::password::{Pbkdf2, verify_password_padded};
use crate::op::provider::{Provider, SESSION_COOKIE, Services};
use crate::op::records::{self, AuthRequest, Key, Session, Sessions};
use crate::op::throttle::{self, Verdict};
use crate::store::Store;
use crate::{Error, random};

const EXPIRED: &str = "This sign-in link has expired or was opened in another browser. Start again from the application.";

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
    let csrf = op.secrets.csrf_token("login", tx, browser);
    let redirect_origin = pages::origin_of(&request.redirect_uri);
    let registered = registry::find(op, &request.client_id, services).await?;
    let client = registered
        .as_deref()
        .map_or_else(|| ClientView::bare(&request.client_id), ClientView::of);
    let hidden = [("tx", tx)];
    let form = |username: &str, error: Option<&str>| {
        pages::login(&LoginPage {
            action: "/login",
            hidden: &hidden,
            csrf: &csrf,
            client: Some(client),
            provider_name: &op.config.provider_name,
            username,
            error,
            redirect_origin,
        })
    };
    if req.method == "GET" {
        return Ok(form("", None));
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
    match sign_in(op, req, username, password, services).await? {
        SignIn::Throttled { retry_after } => Ok(too_many_attempts(
            form(username, Some(&throttled_message(retry_after))),
            retry_after,
        )),
        SignIn::Wrong => Ok(form(username, Some(WRONG))),
        SignIn::SignedIn { cookie, session } => {
            let response = continue_flow(op, request, &session, tx, services).await?;
            Ok(response.with_header("set-cookie", &cookie))
        }
    }
}

/// What the sign-in form says after a wrong username or password.
pub(crate) const WRONG: &str = "Wrong username or password.";

/// What came of one submitted username and password.
pub(crate) enum SignIn {
    /// Over a sign-in limit (`op::throttle`): no password was checked.
    Throttled {
        /// Seconds until the limit's window turns.
        retry_after: u64,
    },
    /// The username or the password is wrong.
    Wrong,
    /// Signed in: a new session, and the cookie that names it.
    SignedIn {
        /// The session cookie's `Set-Cookie`.
        cookie: String,
        /// The session.
        session: Session,
    },
}

/// One sign-in attempt, as every sign-in form makes it: counted against the username and
/// the address first (`op::throttle`), the password checked at the same cost whoever the
/// username names, a failure counted against the address, a success a new session.
pub(crate) async fn sign_in<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    username: &str,
    password: &str,
    services: &Services<'_, S, P, V>,
) -> Result<SignIn, Error> {
    let limits = &op.config.login_limits;
    let verdict = throttle::attempt(limits, services.store, req, username, services.now).await?;
    if let Verdict::Refused { retry_after } = verdict {
        return Ok(SignIn::Throttled { retry_after });
    }
    let Some(sub) = check_credentials(op, username, password, services).await? else {
        throttle::failed(limits, services.store, req, services.now).await?;
        return Ok(SignIn::Wrong);
    };
    let (cookie, session) = start_session(op, &sub, services).await?;
    Ok(SignIn::SignedIn { cookie, session })
}

/// The sign-in form of a page that signs its user in itself (`/device`, `/ciba`): the
/// login page's form, posting back to `action` with `hidden` and `csrf`; `failed` is the
/// username tried and what went wrong.
pub(crate) fn page_sign_in_form(
    op: &Provider,
    action: &str,
    hidden: &[(&str, &str)],
    csrf: &str,
    failed: Option<(&str, &str)>,
) -> Response {
    pages::login(&LoginPage {
        action,
        hidden,
        csrf,
        client: None,
        provider_name: &op.config.provider_name,
        username: failed.map_or("", |(username, _)| username),
        error: failed.map(|(_, error)| error),
        redirect_origin: None,
    })
}

/// Such a page's sign-in form, submitted: the `Set-Cookie` of the new session, or the form
/// again (a wrong password; a sign-in limit, with 429).
pub(crate) async fn page_sign_in<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    params: &Params,
    form: (&str, &[(&str, &str)], &str),
    services: &Services<'_, S, P, V>,
) -> Result<Result<String, Response>, Error> {
    let (action, hidden, csrf) = form;
    let username = params.get("username").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    Ok(
        match sign_in(op, req, username, password, services).await? {
            SignIn::Throttled { retry_after } => Err(too_many_attempts(
                page_sign_in_form(
                    op,
                    action,
                    hidden,
                    csrf,
                    Some((username, &throttled_message(retry_after))),
                ),
                retry_after,
            )),
            SignIn::Wrong => Err(page_sign_in_form(
                op,
                action,
                hidden,
                csrf,
                Some((username, WRONG)),
            )),
            SignIn::SignedIn { cookie, .. } => Ok(cookie),
        },
    )
}

/// What a page refused by a sign-in limit says.
pub(crate) fn throttled_message(retry_after: u64) -> String {
    let minutes = retry_after.div_ceil(60);
    format!("Too many sign-in attempts. Try again in {minutes} minutes.")
}

/// `page` as the answer to a request over a limit: 429 with `Retry-After` (RFC 6585 §4).
pub(crate) fn too_many_attempts(page: Response, retry_after: u64) -> Response {
    Response {
        status: 429,
        ..page
    }
    .with_header("retry-after", &retry_after.to_string())
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

/// A new session for `sub`: the cookie value is random and stored only as a hash.
async fn start_session<S: Store, P, V>(
    op: &Provider,
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<(String, Session), Error> {
    let value = random::token(32)?;
    let session = Session {
        sub: sub.to_owned(),
        auth_time: services.now.0,
        sid: random::token(16)?,
    };
    let ttl = op.config.lifetimes.session;
    records::put(services.store, &Key::<Sessions>::new(&value), &session, ttl).await?;
    Ok((op.cookie(SESSION_COOKIE, &value, ttl), session))
}

/// After login: the consent page if needed, else the code.
async fn continue_flow<S: Store, P, V>(
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
