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

/// OpenID Connect Core §3.1.2.1: what `prompt=login` and `max_age` ask holds on every page
/// the flow reaches, not only at `/authorize`: a browser sent to the login page cannot
/// take the transaction to the consent page with its old session instead; a sign-in made
/// for the request is what answers it.
#[test]
fn the_consent_page_does_not_skip_a_sign_in_the_request_asked_for() {
    let op = Op::new();
    let (browser, _start, _code) = sign_in(&op, "openid");
    for extra in [("prompt", "login"), ("max_age", "60")] {
        op.advance(120);
        let start = AuthStart::new();
        let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[extra])));
        let tx = to_login
            .strip_prefix("/login?tx=")
            .expect(&to_login)
            .to_owned();
        let consent = browser.get(&format!("/consent?tx={tx}"));
        assert_eq!(
            location(&consent),
            format!("/login?tx={tx}"),
            "{extra:?}: {}",
            text(&consent)
        );
        let signed_in = location(&browser.login(&to_login, "demo", "correct horse"));
        let params = redirect_params(&signed_in);
        assert!(params.get("code").is_some(), "{extra:?}: {signed_in}");
        let tokens = body(&exchange(&op, &start, params.get("code").unwrap()));
        let claims = jwt_payload(tokens["id_token"].as_str().unwrap());
        assert_eq!(claims["auth_time"], op.now(), "{extra:?}: a new sign-in");
    }
}

/// OpenID Connect Core §3.1.2.1, the rule behind the test above: a sign-in made after the
/// request is taken whatever its `auth_time` (an upstream provider's, whose clock may lag
/// ours); a session from before it only without `prompt=login`, and within `max_age`.
#[test]
fn which_sign_ins_a_request_takes() {
    use oidc_edge::op::flow::signed_in_as_asked;
    use oidc_edge::op::records::{AuthRequest, Session};
    let request = |force_login: bool, max_age: Option<i64>| -> AuthRequest {
        serde_json::from_value(serde_json::json!({
            "client_id": SPA, "redirect_uri": SPA_REDIRECT, "scope": "openid", "state": null,
            "nonce": null, "code_challenge": null, "max_age": max_age, "force_login": force_login,
            "force_consent": false, "dpop_jkt": null, "browser": "b", "asked_at": 1_000,
        }))
        .unwrap()
    };
    let session = |auth_time: i64, signed_in_at: i64| -> Session {
        serde_json::from_value(serde_json::json!({
            "sub": "demo", "auth_time": auth_time, "sid": "s", "signed_in_at": signed_in_at,
        }))
        .unwrap()
    };
    for (force_login, max_age, auth_time, signed_in_at, taken) in [
        (true, None, 990, 1_010, true),
        (false, Some(0), 990, 1_010, true),
        (true, None, 900, 900, false),
        (false, None, 900, 900, true),
        (false, Some(60), 950, 950, true),
        (false, Some(60), 900, 900, false),
    ] {
        assert_eq!(
            signed_in_as_asked(
                &session(auth_time, signed_in_at),
                &request(force_login, max_age)
            ),
            taken,
            "prompt=login {force_login}, max_age {max_age:?}, auth_time {auth_time}, signed in at {signed_in_at}"
        );
    }
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
