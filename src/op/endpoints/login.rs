//! The login page: a username and password form (unless `password_login` is off) and a
//! "Continue with …" link per upstream provider (`upstream_providers`), CSRF-protected and
//! bound to the browser that started the authorization request. Passwords are checked
//! with PBKDF2-SHA256 through the host's [`Pbkdf2`] (WebCrypto's native implementation on
//! Workers); a sign-in at an upstream provider starts at `/upstream/start` and ends at
//! `/upstream/callback`, which come back here for the session and the rest of the flow.

use crate::op::clients::registry;
use crate::op::error::OpError;
use crate::op::flow;
use crate::op::form::{self, Params};
use crate::op::http::{Request, Response};
use crate::op::pages::{self, ClientView, LoginPage, UpstreamLink};
use crate::op::password::{Pbkdf2, verify_password_padded};
use crate::op::provider::{Provider, SESSION_COOKIE, Services};
use crate::op::records::{self, AuthRequest, Key, Session, Sessions};
use crate::op::routes::UPSTREAM_START_PATH;
use crate::op::throttle::{self, Verdict};
use crate::op::users;
use crate::store::Store;
use crate::{Error, random};

/// The CSRF purpose of the links that start a sign-in at an upstream provider.
pub(crate) const UPSTREAM_CSRF_PURPOSE: &str = "upstream";

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
    if req.method == "GET" {
        return show(op, tx, browser, &request, "", None, services).await;
    }
    // No password form is shown, so none is taken (nor its CSRF token looked for).
    if !op.config.password_login {
        let page = show(op, tx, browser, &request, "", Some(NO_PASSWORDS), services).await?;
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
    match sign_in(op, req, username, password, services).await? {
        SignIn::Throttled { retry_after } => {
            let message = throttled_message(retry_after);
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
            Ok(too_many_attempts(page, retry_after))
        }
        SignIn::Wrong => show(op, tx, browser, &request, username, Some(WRONG), services).await,
        SignIn::SignedIn { cookie, session } => {
            let response = continue_flow(op, request, &session, tx, browser, services).await?;
            Ok(response.with_header("set-cookie", &cookie))
        }
    }
}

/// What the login page says when the user who signed in is not the one the client's
/// request names (`id_token_hint`, or the `sub` of its `claims` parameter).
pub(crate) const NOT_WANTED: &str =
    "The application asked for another account. Sign in with that account to continue.";

/// What a password sent where passwords are off (`password_login`) gets.
const NO_PASSWORDS: &str =
    "Passwords are not accepted here: continue with one of the providers below.";

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
        // Counted as one of the address's failures when it was attempted.
        return Ok(SignIn::Wrong);
    };
    throttle::succeeded(limits, services.store, req, services.now).await?;
    let (cookie, session) = start_session(op, req, &sub, services.now.0, services).await?;
    Ok(SignIn::SignedIn { cookie, session })
}

/// The sign-in form of a page that signs its user in itself (`/device`, `/ciba`): the
/// login page's form, posting back to its `action` with its `hidden` fields and `csrf`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageForm<'a> {
    /// Where the form posts: the page itself.
    pub action: &'a str,
    /// What signing in is for, shown under the title ("to connect a device").
    pub purpose: &'a str,
    /// The page's own fields, carried through the sign-in.
    pub hidden: &'a [(&'a str, &'a str)],
    /// The form's CSRF token.
    pub csrf: &'a str,
}

/// `form` as a page; `failed` is the username tried and what went wrong.
pub(crate) fn page_sign_in_form(
    op: &Provider,
    form: PageForm<'_>,
    failed: Option<(&str, &str)>,
) -> Response {
    pages::login(&LoginPage {
        action: form.action,
        hidden: form.hidden,
        csrf: form.csrf,
        client: None,
        purpose: form.purpose,
        provider_name: &op.config.provider_name,
        username: failed.map_or("", |(username, _)| username),
        error: failed.map(|(_, error)| error),
        redirect_origin: None,
        password: op.config.password_login,
        upstreams: &[],
    })
}

/// Such a page's sign-in form, submitted: the `Set-Cookie` of the new session, or the form
/// again (a wrong password; a sign-in limit, with 429).
pub(crate) async fn page_sign_in<S: Store, P: Pbkdf2, V>(
    op: &Provider,
    req: &Request,
    params: &Params,
    form: PageForm<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Result<String, Response>, Error> {
    let username = params.get("username").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    if !op.config.password_login {
        let page = page_sign_in_form(op, form, Some((username, NO_PASSWORDS)));
        return Ok(Err(with_status(page, 403)));
    }
    Ok(
        match sign_in(op, req, username, password, services).await? {
            SignIn::Throttled { retry_after } => Err(too_many_attempts(
                page_sign_in_form(op, form, Some((username, &throttled_message(retry_after)))),
                retry_after,
            )),
            SignIn::Wrong => Err(page_sign_in_form(op, form, Some((username, WRONG)))),
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
    with_status(page, 429).with_header("retry-after", &retry_after.to_string())
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
    // Only the ways of signing in that meet an essential `acr` (OpenID Connect Core
    // §5.5.1.1); `flow::issue_code` refuses the others, whatever is posted.
    let upstreams: Vec<UpstreamLink<'_>> = op
        .config
        .upstream_providers
        .iter()
        .zip(&hrefs)
        .filter(|(provider, _)| request.accepts_acr(&provider.acr))
        .map(|(provider, href)| UpstreamLink {
            name: &provider.name,
            href,
        })
        .collect();
    Ok(pages::login(&LoginPage {
        action: "/login",
        hidden: &[("tx", tx)],
        csrf: &csrf,
        client: Some(client),
        purpose: "",
        provider_name: &op.config.provider_name,
        username,
        error,
        redirect_origin: pages::form_target(&request.redirect_uri),
        password: op.config.password_login && request.accepts_acr(&op.config.password_acr),
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
/// (a fresh one at every sign-in, so none is ever adopted) and stored only as a hash. The
/// browser's session before it is ended. If it was the same user's, the new one keeps its
/// `sid`: the clients it signed in to stay on the list of those told when it ends
/// (Back-Channel Logout 1.0 §2), rather than on the list of a session no logout reaches.
pub(crate) async fn start_session<S: Store, P, V>(
    op: &Provider,
    req: &Request,
    sub: &str,
    auth_time: i64,
    services: &Services<'_, S, P, V>,
) -> Result<(String, Session), Error> {
    let before = match flow::session_cookie(op, req) {
        Some(value) => {
            let key = Key::<Sessions>::new(value);
            records::get(services.store, &key)
                .await?
                .map(|session| (key, session))
        }
        None => None,
    };
    let sid = match &before {
        Some((_, session)) if session.sub == sub => session.sid.clone(),
        _ => random::token(16)?,
    };
    let value = random::token(32)?;
    let session = Session {
        sub: sub.to_owned(),
        auth_time,
        sid,
        signed_in_at: services.now.0,
    };
    let ttl = op.config.lifetimes.session;
    records::put(services.store, &Key::<Sessions>::new(&value), &session, ttl).await?;
    if let Some((key, _)) = before {
        records::delete(services.store, &key).await?;
    }
    Ok((op.cookie(SESSION_COOKIE, &value, ttl), session))
}

/// After login (a password here, or an upstream provider's answer): the consent page if
/// needed, else the code. A sign-in of a class the request does not accept goes straight
/// to `flow::issue_code`, which refuses it, rather than asking the user to consent first.
/// A sign-in as another user than the request wants (its `id_token_hint`, or the `sub` of
/// its `claims` parameter) shows the login page again, the request still waiting in
/// `browser`; when the hinted user can no longer sign in here at all, the request ends
/// with `login_required` instead.
pub(crate) async fn continue_flow<S: Store, P, V>(
    op: &Provider,
    request: AuthRequest,
    session: &Session,
    tx: &str,
    browser: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    // OpenID Connect Core §3.1.2.1 and §5.5.1 leave open what follows when the user signed
    // in by the request is not the one it names ("SHOULD return an error, such as
    // login_required"; "MUST NOT reply with an ID Token or Access Token for a different
    // user"). This asks again, as node-oidc-provider does for both (its login prompt's
    // `id_token_hint` and `claims_id_token_sub_value` checks request a sign-in for as long
    // as the signed-in subject differs; `login_required` only with `prompt=none`), rather
    // than ending the flow at once: the usual cause is a user who signed in with the wrong
    // one of their accounts, who can put it right here, where an error would send them back
    // to the client, which would send them here again. Nothing is given away by this: no
    // code is issued for another user (`flow::issue_code` checks again), the page does not
    // say whom the request names, and the request waits no longer than any other
    // (`flow::TRANSACTION_TTL`). A "Continue with" link on the page asks the upstream for a
    // fresh sign-in (`endpoints::upstream_start`), or it would answer with the same account.
    if !flow::is_hinted_subject(session, &request) || !flow::is_requested_subject(session, &request)
    {
        // Asking again would be in vain: no sign-in can be the hinted user's.
        if let Some(hinted) = request.hinted_sub.as_deref()
            && users::hinted_user_gone(op, hinted, services).await?
        {
            let gone = OpError::HintedUserGone;
            return flow::refuse(op, &request, &gone, Some(tx), services).await;
        }
        return show(op, tx, browser, &request, "", Some(NOT_WANTED), services).await;
    }
    if flow::meets_acr(op, &session.sub, &request, services).await?
        && flow::needs_consent(op, &request, &session.sub, services).await?
    {
        return Ok(Response::redirect(&format!("/consent?tx={tx}")).no_store());
    }
    flow::issue_code(op, request, session, Some(tx), services).await
}
