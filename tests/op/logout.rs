//! `/end_session`: OpenID Connect RP-Initiated Logout 1.0 — §2 (the request, the
//! `id_token_hint`, confirmation), §3 (registered `post_logout_redirect_uri`, exact match,
//! `state` returned).

use crate::op_support::*;
use oidc_edge::op::{Request, form};

const BACK: &str = "https://spa.example/";

fn logout_url(params: &[(&str, &str)]) -> String {
    format!("/end_session?{}", form::encode(params))
}

/// Whether the browser still has a provider session: `prompt=none` answers with a code
/// only to a signed-in user (OpenID Connect Core §3.1.2.1).
fn signed_in(browser: &Browser<'_>) -> bool {
    let start = AuthStart::new();
    let back =
        location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("prompt", "none")])));
    let params = redirect_params(&back);
    match params.get("error") {
        Some("login_required") => false,
        Some(other) => panic!("unexpected error {other}"),
        None => true,
    }
}

fn id_token_of(op: &Op, start: &AuthStart, code: &str) -> String {
    exchange(op, start, code).json_body()["id_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// §2, §3: a valid hint for the current session and a registered URI: signed out at once,
/// sent back with `state`, the cookie cleared.
#[test]
fn hint_for_the_current_session_signs_out_and_returns() {
    let op = Op::new();
    let (browser, start, code) = sign_in(&op, "openid");
    let id_token = id_token_of(&op, &start, &code);
    assert!(signed_in(&browser));
    let response = browser.get(&logout_url(&[
        ("id_token_hint", &id_token),
        ("post_logout_redirect_uri", BACK),
        ("state", "s-123"),
    ]));
    assert_eq!(location(&response), "https://spa.example/?state=s-123");
    let cleared = response.header("set-cookie").unwrap();
    assert!(
        cleared.starts_with("__Host-oe_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert!(!signed_in(&browser));

    // The session record itself is gone: the old cookie value no longer signs anyone in.
    let (browser2, start2, code2) = sign_in(&op, "openid");
    let old_cookie = browser2.cookies.borrow().clone();
    let id_token2 = id_token_of(&op, &start2, &code2);
    let page = browser2.get(&logout_url(&[("id_token_hint", &id_token2)]));
    assert!(String::from_utf8_lossy(&page.body).contains("Signed out"));
    *browser2.cookies.borrow_mut() = old_cookie;
    assert!(
        !signed_in(&browser2),
        "a deleted session must not come back with its cookie"
    );
}

/// §2: an expired ID token is still a fine hint (within a session lifetime).
#[test]
fn expired_hint_is_accepted() {
    let op = Op::new();
    let (browser, start, code) = sign_in(&op, "openid");
    let id_token = id_token_of(&op, &start, &code);
    op.advance(3600);
    let response = browser.get(&logout_url(&[
        ("id_token_hint", &id_token),
        ("post_logout_redirect_uri", BACK),
    ]));
    assert_eq!(location(&response), BACK);
    assert!(!signed_in(&browser));
}

/// §2: without a hint naming this session the user confirms, through a CSRF-protected form.
#[test]
fn without_a_hint_the_user_confirms() {
    let op = Op::new();
    let (browser, _start, _code) = sign_in(&op, "openid");
    let page = browser.get(&logout_url(&[
        ("client_id", SPA),
        ("post_logout_redirect_uri", BACK),
        ("state", "xyz"),
    ]));
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(html.contains("Sign out?"));
    assert!(signed_in(&browser), "showing the page signs nobody out");
    let csrf = hidden(&html, "csrf");

    // A forged POST (no or wrong CSRF token) only shows the page again.
    let forged = browser.post("/end_session", &[("confirm", "yes"), ("csrf", "forged")]);
    assert_eq!(forged.status, 200);
    assert!(signed_in(&browser));
    // Another browser cannot use this browser's token.
    let other = Browser::new(&op);
    let cross = other.post("/end_session", &[("confirm", "yes"), ("csrf", &csrf)]);
    assert_eq!(cross.status, 200);
    assert!(signed_in(&browser));

    let confirmed = browser.post(
        "/end_session",
        &[
            ("confirm", "yes"),
            ("csrf", &csrf),
            ("client_id", &hidden(&html, "client_id")),
            (
                "post_logout_redirect_uri",
                &hidden(&html, "post_logout_redirect_uri"),
            ),
            ("state", &hidden(&html, "state")),
        ],
    );
    assert_eq!(location(&confirmed), "https://spa.example/?state=xyz");
    assert!(!signed_in(&browser));
}

/// A hint from another session (another user in this browser) is not enough: confirm.
#[test]
fn hint_of_another_session_asks_first() {
    let op = Op::new();
    let (_other_browser, start, code) = sign_in(&op, "openid");
    let foreign_hint = id_token_of(&op, &start, &code);
    let (browser, _s, _c) = sign_in(&op, "openid");
    let page = browser.get(&logout_url(&[
        ("id_token_hint", &foreign_hint),
        ("post_logout_redirect_uri", BACK),
    ]));
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("Sign out?"));
    assert!(signed_in(&browser));
}

/// §3: the redirect URI must be registered, matched exactly, and tied to a known client;
/// a bad hint is refused. Errors are pages, never redirects.
#[test]
fn bad_requests_are_pages_not_redirects() {
    let op = Op::new();
    let (browser, start, code) = sign_in(&op, "openid");
    let id_token = id_token_of(&op, &start, &code);
    let mut tampered = id_token.clone();
    tampered.pop();
    tampered.push(if id_token.ends_with('A') { 'B' } else { 'A' });
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
        vec![
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://spa.example/?x=1"),
        ],
        vec![
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://spa.example"),
        ],
        vec![("post_logout_redirect_uri", BACK)],
        vec![("client_id", "nobody"), ("post_logout_redirect_uri", BACK)],
        vec![("client_id", THIRD), ("id_token_hint", &id_token)],
        vec![("id_token_hint", &tampered)],
        vec![("id_token_hint", "not.a.jwt")],
    ];
    for params in cases {
        let response = browser.get(&logout_url(&params));
        assert_eq!(response.status, 400, "{params:?}");
        assert!(response.header("location").is_none(), "{params:?}");
        assert!(
            signed_in(&browser),
            "{params:?}: a refused request signs nobody out"
        );
    }
    // An access token is not an ID token (its typ is at+jwt).
    let access = exchange_access(&op);
    let response = browser.get(&logout_url(&[("id_token_hint", &access)]));
    assert_eq!(response.status, 400);
    // Far past a session lifetime, a hint names nothing.
    op.advance(2 * 86_400);
    let (browser, _s, _c) = sign_in(&op, "openid");
    let stale = browser.get(&logout_url(&[("id_token_hint", &id_token)]));
    assert_eq!(stale.status, 400);
}

/// §2: `id_token_hint` is an ID token the provider issued (typed `JWT`, RFC 7519 §5.1,
/// as the provider types its ID tokens), never one of its access tokens, which say `at+jwt` (RFC 9068 §2.1). The test
/// isolates the type: the claims of a real ID token for the current session, signed again
/// with the provider's key with `typ` `at+jwt`, are refused and sign nobody out; the same
/// claims signed again with `typ` `JWT` sign the user out.
#[test]
fn a_hint_typed_as_an_access_token_is_refused() {
    let op = Op::new();
    let (browser, start, code) = sign_in(&op, "openid");
    let tokens = exchange(&op, &start, &code).json_body();
    assert_eq!(
        jwt_header(tokens["access_token"].as_str().unwrap())["typ"],
        "at+jwt",
        "what the provider's access tokens say they are"
    );
    let claims = jwt_payload(tokens["id_token"].as_str().unwrap());
    let logout = |typ: &str| {
        browser.get(&logout_url(&[
            ("id_token_hint", &provider_signed(&op, typ, &claims)),
            ("post_logout_redirect_uri", BACK),
        ]))
    };
    let refused = logout("at+jwt");
    assert_eq!(refused.status, 400);
    assert!(
        String::from_utf8_lossy(&refused.body).contains("not an ID token"),
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
    assert!(signed_in(&browser));
    let accepted = logout("JWT");
    assert_eq!(location(&accepted), BACK);
    assert!(!signed_in(&browser));
}

fn exchange_access(op: &Op) -> String {
    let (_b, start, code) = sign_in(op, "openid");
    exchange(op, &start, &code).json_body()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Signing out with no session and nowhere to go: a plain "signed out" page; the endpoint
/// is advertised (RP-Initiated Logout §2.1).
#[test]
fn signed_out_page_and_discovery() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let page = browser.get("/end_session");
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("Signed out"));
    let discovery = browser.get("/.well-known/openid-configuration").json_body();
    assert_eq!(
        discovery["end_session_endpoint"],
        "https://op.example/end_session"
    );
    let put = op.send(&oidc_edge::op::Request::new(
        "PUT",
        &absolute("/end_session"),
    ));
    assert_eq!(put.status, 405);
}

/// §2 ("logout requests without a valid id_token_hint value are a potential means of
/// denial of service"): a cross-site POST carries no session cookie under `SameSite=Lax`,
/// yet its browser applies any `Set-Cookie` that comes back. Such a request must end
/// nothing and clear nothing, whatever fields it forges, the victim's own ID token
/// included. (Before the fix the answer cleared the session cookie, and the browser
/// applied it: any page could sign its visitors out.)
#[test]
fn a_cross_site_post_signs_nobody_out() {
    let op = Op::new();
    let (browser, start, code) = sign_in(&op, "openid");
    let id_token = id_token_of(&op, &start, &code);
    let forged: [&[(&str, &str)]; 4] = [
        &[],
        &[("confirm", "yes")],
        &[("confirm", "yes"), ("csrf", "forged")],
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", BACK),
        ],
    ];
    for form in forged {
        // The browser withholds its cookies from a cross-site POST, and keeps whatever the
        // answer sets (the jar applies every Set-Cookie).
        let response = browser
            .cookies
            .send(logout_post(form), |_withheld| op.send(&logout_post(form)));
        assert_eq!(response.header("set-cookie"), None, "{form:?}");
        assert!(
            signed_in(&browser),
            "{form:?}: signed out by a cross-site POST"
        );
    }
}

/// A POST to `/end_session` with `form` and no cookies.
fn logout_post(form: &[(&str, &str)]) -> oidc_edge::op::Request {
    oidc_edge::op::Request::new("POST", &absolute("/end_session")).with_form(form)
}

/// A cookie whose session has ended is cleared (the request presented it); nothing is
/// confirmed, since there is no session to end.
#[test]
fn a_stale_session_cookie_is_cleared_without_asking() {
    let op = Op::new();
    let (browser, start, code) = sign_in(&op, "openid");
    let id_token = id_token_of(&op, &start, &code);
    let stale = browser.cookies.borrow().clone();
    browser.get(&logout_url(&[("id_token_hint", &id_token)]));
    *browser.cookies.borrow_mut() = stale;
    let response = browser.get("/end_session");
    assert!(String::from_utf8_lossy(&response.body).contains("Signed out"));
    let cleared = response.header("set-cookie").unwrap();
    assert!(cleared.starts_with("__Host-oe_session=;"), "{cleared}");
}

/// A client of `op_with_backchannel`'s configuration and where it is told of logouts.
const SPA_BACKCHANNEL: &str = "https://spa.example/backchannel";

/// The default configuration with back-channel logout URIs for the SPA and the third-party
/// client (Back-Channel Logout 1.0 §2.2).
fn op_with_backchannel() -> Op {
    let mut config = config_json();
    config["clients"][0]["backchannel_logout_uri"] = SPA_BACKCHANNEL.into();
    config["clients"][0]["backchannel_logout_session_required"] = true.into();
    config["clients"][1]["backchannel_logout_uri"] = "https://third.example/backchannel".into();
    Op::with_config(config)
}

/// Back-Channel Logout 1.0 §2.4-2.6: ending a session asks the host to POST a logout token
/// to each client the session signed in to that has a `backchannel_logout_uri` (here the
/// SPA; the third-party client, never signed in to, is not told). The token is signed by
/// the provider, typed `logout+jwt`, for the client, with the session's `sub` and `sid`,
/// the logout event, and no `nonce` (§2.4).
#[test]
fn ending_a_session_tells_the_clients_it_signed_in_to() {
    use oidc_edge::jose::Validation;
    use oidc_edge::jose::jwt::verify;
    use oidc_edge::op::Effect;
    use oidc_edge::time::UnixTime;

    let op = op_with_backchannel();
    let (browser, start, code) = sign_in(&op, "openid");
    let id_token = id_token_of(&op, &start, &code);
    let response = browser.get(&logout_url(&[("id_token_hint", &id_token)]));
    assert_eq!(response.effects.len(), 1, "{:?}", response.effects);
    let Some(Effect::Post {
        url,
        content_type,
        authorization: None,
        body,
    }) = response.effects.first()
    else {
        panic!("not a POST: {:?}", response.effects);
    };
    assert_eq!(url, SPA_BACKCHANNEL);
    assert_eq!(*content_type, "application/x-www-form-urlencoded");
    let form = form::Params::parse(std::str::from_utf8(body).unwrap()).unwrap();
    let token = form.get("logout_token").unwrap();
    let validation = Validation {
        issuers: vec![ISSUER.into()],
        audiences: vec![SPA.into()],
        algorithms: Vec::new(),
        typ: Some("logout+jwt".into()),
        clock_tolerance: 0,
        required_claims: ["iat", "exp", "jti", "sub", "sid", "events"]
            .map(String::from)
            .to_vec(),
    };
    let logout = verify(token, &op.jwks, &validation, UnixTime(op.now())).unwrap();
    let hint = verify(
        &id_token,
        &op.jwks,
        &Validation {
            typ: None,
            required_claims: Vec::new(),
            ..validation.clone()
        },
        UnixTime(op.now()),
    )
    .unwrap();
    let claim = |verified: &oidc_edge::jose::jwt::Verified, name: &str| {
        verified.claims().get(name).cloned()
    };
    assert_eq!(claim(&logout, "sid"), claim(&hint, "sid"));
    assert_eq!(claim(&logout, "sub"), claim(&hint, "sub"));
    assert_eq!(claim(&logout, "nonce"), None);
    assert_eq!(
        claim(&logout, "events"),
        Some(serde_json::json!({ "http://schemas.openid.net/event/backchannel-logout": {} }))
    );
    // An ID token check cannot take it: its `typ` is not an ID token's.
    let as_id_token = Validation {
        typ: Some("JWT".into()),
        ..validation
    };
    assert!(verify(token, &op.jwks, &as_id_token, UnixTime(op.now())).is_err());

    // The session is gone: another logout has no one to tell.
    let again = browser.get(&logout_url(&[("id_token_hint", &id_token)]));
    assert!(again.effects.is_empty());
}

/// Back-Channel Logout 1.0 §2: a user who signs in again in the same browser (`prompt=login`
/// here) stays in the same session as far as the clients know: the same `sid` in the new
/// ID tokens, so the logout that ends it reaches the clients the first sign-in went to.
#[test]
fn signing_in_again_keeps_the_session_its_clients_know() {
    let op = op_with_backchannel();
    let (browser, start, code) = sign_in(&op, "openid");
    let first = jwt_payload(&id_token_of(&op, &start, &code));
    op.advance(60);
    let again = AuthStart::new();
    let to_login =
        location(&browser.get(&again.url(SPA, SPA_REDIRECT, "openid", &[("prompt", "login")])));
    assert!(to_login.starts_with("/login?tx="), "{to_login}");
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let id_token = id_token_of(&op, &again, &code);
    let second = jwt_payload(&id_token);
    assert_ne!(second["auth_time"], first["auth_time"], "a new sign-in");
    assert_eq!(second["sid"], first["sid"], "the same session");
    let ended = browser.get(&logout_url(&[("id_token_hint", &id_token)]));
    assert_eq!(ended.effects.len(), 1, "{:?}", ended.effects);
    assert!(!signed_in(&browser));
}

/// Back-Channel Logout 1.0 §2.5: a logout whose notices cannot be made (the signing failed,
/// a 503) ends nothing, so its retry still ends the session and tells the clients.
#[test]
fn a_failed_logout_leaves_the_session_for_the_retry() {
    let op = op_with_backchannel();
    let (browser, start, code) = sign_in(&op, "openid");
    let id_token = id_token_of(&op, &start, &code);
    let url = absolute(&logout_url(&[("id_token_hint", &id_token)]));
    let failed = browser.cookies.send(Request::new("GET", &url), |req| {
        op.send_with_signer_down(req)
    });
    assert_eq!(failed.status, 503, "{}", text(&failed));
    assert!(signed_in(&browser), "the session is still there");
    let ended = browser.get(&logout_url(&[("id_token_hint", &id_token)]));
    assert_eq!(ended.effects.len(), 1, "{:?}", ended.effects);
    assert!(!signed_in(&browser));
}

/// No session, no notice: a logout without the session cookie tells nobody.
#[test]
fn a_logout_without_the_session_tells_nobody() {
    let op = op_with_backchannel();
    let (_browser, start, code) = sign_in(&op, "openid");
    let id_token = id_token_of(&op, &start, &code);
    let stranger = Browser::new(&op);
    let response = stranger.get(&logout_url(&[("id_token_hint", &id_token)]));
    assert!(response.effects.is_empty());
}
