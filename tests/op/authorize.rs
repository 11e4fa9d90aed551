//! The authorization endpoint (RFC 6749 §3.1, §4.1.2.1; OpenID Connect Core §3.1.2):
//! where errors go, sessions, `prompt` and `max_age`.

use crate::op_support::*;

/// RFC 6749 §4.1.2.1: without a valid client and exact redirect URI, errors are shown,
/// never redirected; after that, they go to the redirect URI with state and iss.
#[test]
fn authorization_errors_go_where_they_should() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let unknown = browser.get(&start.url("nobody", SPA_REDIRECT, "openid", &[]));
    assert_eq!(unknown.status, 400);
    assert!(unknown.header("location").is_none());
    for redirect in [
        "https://spa.example/callback/",
        "https://spa.example/callback?x=1",
        "https://evil.example/callback",
    ] {
        let page = browser.get(&start.url(SPA, redirect, "openid", &[]));
        assert_eq!(page.status, 400, "{redirect}");
        assert!(page.header("location").is_none());
    }
    let repeated = browser.get(&format!(
        "{}&client_id={SPA}",
        start.url(SPA, SPA_REDIRECT, "openid", &[])
    ));
    assert_eq!(repeated.status, 400);

    let redirected = |extra: &[(&str, &str)], scope: &str| {
        let response = browser.get(&start.url(SPA, SPA_REDIRECT, scope, extra));
        let params = redirect_params(&location(&response));
        assert_eq!(params.get("state"), Some(start.state.as_str()));
        assert_eq!(params.get("iss"), Some(ISSUER));
        params.get("error").unwrap_or_default().to_owned()
    };
    // A repeated parameter makes the whole request untrustworthy: a page, not a redirect.
    let repeated_type =
        browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("response_type", "token")]));
    assert_eq!(repeated_type.status, 400);
    assert!(repeated_type.header("location").is_none());
    assert_eq!(redirected(&[], "openid admin"), "invalid_scope");
    assert_eq!(
        redirected(&[("prompt", "none")], "openid"),
        "login_required"
    );
    assert_eq!(
        redirected(&[("prompt", "bogus")], "openid"),
        "invalid_request"
    );
    // RFC 9101 §6.3: a request object that fails is refused (this client has no keys to
    // sign one); the redirect URI outside it is registered, so the error goes there.
    assert_eq!(
        redirected(&[("request", "eyJ")], "openid"),
        "invalid_request_object"
    );
    assert_eq!(
        redirected(&[("max_age", "-1")], "openid"),
        "invalid_request"
    );
    assert_eq!(
        redirected(&[("dpop_jkt", "short")], "openid"),
        "invalid_request"
    );

    let plain = format!(
        "/authorize?response_type=code&client_id={SPA}&redirect_uri={}&scope=openid&state={}&code_challenge={}&code_challenge_method=plain",
        oidc_edge::op::form::encode_component(SPA_REDIRECT),
        start.state,
        start.pkce.challenge.as_str()
    );
    assert_eq!(
        redirect_params(&location(&browser.get(&plain))).get("error"),
        Some("invalid_request")
    );
    let no_pkce = format!(
        "/authorize?response_type=code&client_id={SPA}&redirect_uri={}&scope=openid&state={}",
        oidc_edge::op::form::encode_component(SPA_REDIRECT),
        start.state
    );
    let params = redirect_params(&location(&browser.get(&no_pkce)));
    assert_eq!(params.get("error"), Some("invalid_request"));
    assert!(params.get("error_description").unwrap().contains("PKCE"));
}

/// OpenID Connect Core §3.1.2.1: an existing session skips the login page; prompt=login
/// and max_age force it again; prompt=none answers without a page.
#[test]
fn sessions_prompt_and_max_age() {
    let op = Op::new();
    let (browser, _start, _code) = sign_in(&op, "openid");
    let again = AuthStart::new();
    let direct = location(&browser.get(&again.url(SPA, SPA_REDIRECT, "openid", &[])));
    assert!(
        direct.starts_with(SPA_REDIRECT) && direct.contains("code="),
        "{direct}"
    );
    let silent =
        location(&browser.get(&again.url(SPA, SPA_REDIRECT, "openid", &[("prompt", "none")])));
    assert!(silent.contains("code="), "{silent}");
    let forced =
        location(&browser.get(&again.url(SPA, SPA_REDIRECT, "openid", &[("prompt", "login")])));
    assert!(forced.starts_with("/login?tx="), "{forced}");
    op.advance(120);
    let stale =
        location(&browser.get(&again.url(SPA, SPA_REDIRECT, "openid", &[("max_age", "60")])));
    assert!(stale.starts_with("/login?tx="), "{stale}");
    let stale_silent = location(&browser.get(&again.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("max_age", "60"), ("prompt", "none")],
    )));
    assert_eq!(
        redirect_params(&stale_silent).get("error"),
        Some("login_required")
    );
}
