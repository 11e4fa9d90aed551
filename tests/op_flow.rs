//! The provider engine end to end, natively: memory store, a moving clock, every rule of
//! the authorization code flow, refresh rotation, client credentials and DPoP binding.
#![cfg(not(target_arch = "wasm32"))]

mod op_support;

use oidc_edge::jose::Alg;
use oidc_edge::oidc::{
    AccessTokenExpectations, IdTokenExpectations, validate_access_token, validate_id_token,
};
use oidc_edge::op::Request;
use oidc_edge::time::UnixTime;
use op_support::*;
use serde_json::Value;

fn body(response: &oidc_edge::op::Response) -> Value {
    response.json_body()
}

fn text(response: &oidc_edge::op::Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// OpenID Connect Discovery §3 / RFC 8414 §2: both documents, only what is supported.
#[test]
fn discovery_and_jwks() {
    let op = Op::new();
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc = body(&op.send(&Request::new("GET", &absolute(path))));
        assert_eq!(doc["issuer"], ISSUER);
        assert_eq!(doc["token_endpoint"], format!("{ISSUER}/token"));
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert_eq!(doc["end_session_endpoint"], format!("{ISSUER}/end_session"));
        for missing in [
            "introspection_endpoint",
            "revocation_endpoint",
            "pushed_authorization_request_endpoint",
            "device_authorization_endpoint",
        ] {
            assert!(
                doc.get(missing).is_none(),
                "{missing}: not implemented, so not advertised"
            );
        }
    }
    let jwks = op.send(&Request::new("GET", &absolute("/jwks")));
    let keys = body(&jwks);
    assert_eq!(keys["keys"][0]["kid"], "k1");
    assert!(keys["keys"][0].get("d").is_none());
    assert_eq!(
        op.send(&Request::new("POST", &absolute("/jwks"))).status,
        405
    );
    assert_eq!(
        op.send(&Request::new("GET", &absolute("/nope"))).status,
        404
    );
}

/// OpenID Connect Core §3.1: the whole code flow with PKCE through the login page, and the
/// tokens checked with the core's own RP rules.
#[test]
fn code_flow_with_pkce_issues_valid_tokens() {
    let op = Op::new();
    let (_browser, start, code) = sign_in(&op, "openid profile email offline_access");
    let response = exchange(&op, &start, &code);
    assert_eq!(response.status, 200, "{}", text(&response));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let tokens = body(&response);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 600);
    let id_token = tokens["id_token"].as_str().unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    let claims = validate_id_token(
        id_token,
        &op.jwks,
        &IdTokenExpectations {
            issuer: ISSUER.into(),
            client_id: SPA.into(),
            nonce: Some(start.nonce.clone()),
            access_token: Some(access_token.into()),
            max_age: Some(60),
            algorithms: vec![Alg::Es256],
            ..IdTokenExpectations::default()
        },
        UnixTime(op.now()),
    )
    .unwrap();
    let claims = claims.claims();
    assert_eq!(claims.string("sub").unwrap(), Some("248289761001"));
    assert_eq!(claims.string("email").unwrap(), Some("demo@example.com"));
    assert_eq!(claims.string("name").unwrap(), Some("Demo User"));
    assert!(
        claims.get("at_hash").is_some()
            && claims.get("sid").is_some()
            && claims.get("auth_time").is_some()
    );
    let at = validate_access_token(
        access_token,
        &op.jwks,
        &AccessTokenExpectations {
            issuer: ISSUER.into(),
            audience: ISSUER.into(),
            ..Default::default()
        },
        UnixTime(op.now()),
    )
    .unwrap();
    assert_eq!(at.header().typ.as_deref(), Some("at+jwt"));
    assert_eq!(at.claims().string("client_id").unwrap(), Some(SPA));
    assert!(tokens["refresh_token"].is_string());

    let userinfo = op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("Bearer {access_token}")),
    );
    assert_eq!(userinfo.status, 200, "{}", text(&userinfo));
    assert_eq!(body(&userinfo)["email"], "demo@example.com");
}

/// RFC 6749 §4.1.2 / §10.5: codes are single use; a replay revokes what the code issued.
#[test]
fn code_replay_is_refused_and_revokes_its_tokens() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let first = body(&exchange(&op, &start, &code));
    let replay = exchange(&op, &start, &code);
    assert_eq!(replay.status, 400);
    assert_eq!(body(&replay)["error"], "invalid_grant");
    let access = first["access_token"].as_str().unwrap();
    let userinfo = op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("Bearer {access}")),
    );
    assert_eq!(userinfo.status, 401);
    assert!(
        userinfo
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );
    let refresh = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ("client_id", SPA),
    ]));
    assert_eq!(body(&refresh)["error"], "invalid_grant");
}

/// RFC 6749 §4.1.2 without `offline_access`: no refresh token is issued, and a replay still
/// revokes the access token (the code's grant record names it either way).
#[test]
fn code_replay_without_offline_access_revokes_the_access_token() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid");
    let first = body(&exchange(&op, &start, &code));
    assert!(first.get("refresh_token").is_none());
    let access = first["access_token"].as_str().unwrap();
    let call = || {
        op.send(
            &Request::new("GET", &absolute("/userinfo"))
                .with_header("authorization", &format!("Bearer {access}")),
        )
    };
    assert_eq!(call().status, 200);
    assert_eq!(
        body(&exchange(&op, &start, &code))["error"],
        "invalid_grant"
    );
    assert_eq!(call().status, 401);
}

/// RFC 6749 §4.1.3: the code is bound to its client, redirect URI and PKCE verifier;
/// RFC 7636 §4.6 and the lifetime of codes.
#[test]
fn code_binding_rules() {
    let op = Op::new();
    let cases: [(&str, Vec<(&str, String)>); 4] = [
        ("wrong verifier", vec![("code_verifier", "x".repeat(43))]),
        ("no verifier", vec![]),
        (
            "wrong redirect",
            vec![("redirect_uri", "https://spa.example/other".into())],
        ),
        (
            "malformed verifier",
            vec![("code_verifier", "short".into())],
        ),
    ];
    for (what, overrides) in cases {
        let (_b, start, code) = sign_in(&op, "openid");
        let verifier = start.pkce.verifier.expose().to_owned();
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", SPA_REDIRECT.into()),
            ("client_id", SPA.into()),
        ];
        if what != "no verifier" {
            form.push(("code_verifier", verifier));
        }
        for (k, v) in overrides {
            form.retain(|(name, _)| *name != k);
            form.push((k, v));
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = op.send(&token_request(&pairs));
        assert_eq!(
            body(&response)["error"],
            "invalid_grant",
            "{what}: {}",
            text(&response)
        );
    }
    let (_b, start, code) = sign_in(&op, "openid");
    op.advance(61);
    assert_eq!(
        body(&exchange(&op, &start, &code))["error"],
        "invalid_grant",
        "expired code"
    );
}

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
    assert_eq!(
        redirected(&[("request", "eyJ")], "openid"),
        "request_not_supported"
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

/// The login form: wrong passwords, unknown users, CSRF and the browser binding.
#[test]
fn login_page_rules() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[])));
    let page = browser.get(&to_login);
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("form-action 'self' https://spa.example")
    );
    let cookie = browser
        .cookies
        .borrow()
        .iter()
        .find(|(n, _)| n == "oe_browser")
        .cloned();
    assert!(cookie.is_some());
    let html = text(&page);
    let (tx, csrf) = (hidden(&html, "tx"), hidden(&html, "csrf"));

    let wrong = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "nope"),
        ],
    );
    assert_eq!(wrong.status, 401);
    assert!(text(&wrong).contains("Wrong username or password"));
    let unknown = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "ghost"),
            ("password", "x"),
        ],
    );
    assert_eq!(unknown.status, 401);
    let forged = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", "forged"),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(forged.status, 403);
    // Another browser (no binding cookie, or another one) cannot finish this transaction.
    let other = Browser::new(&op);
    let stolen = other.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(stolen.status, 400);
    let _ = other.get(&start.url(SPA, SPA_REDIRECT, "openid", &[]));
    let stolen = other.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(stolen.status, 400);

    let ok = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    let session_cookie = ok
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("oe_session="))
        .unwrap();
    assert!(
        session_cookie.1.contains("HttpOnly")
            && session_cookie.1.contains("SameSite=Lax")
            && session_cookie.1.contains("Secure")
    );
    assert!(location(&ok).starts_with(SPA_REDIRECT));
    // The transaction is spent.
    let replay = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(replay.status, 400);
}

/// Consent for a third-party client: asked once, deny and allow, remembered.
#[test]
fn consent_page() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(THIRD, THIRD_REDIRECT, "openid email", &[])));
    let to_consent = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(to_consent.starts_with("/consent?tx="), "{to_consent}");
    let page = browser.get(&to_consent);
    let html = text(&page);
    assert!(html.contains("third-party") && html.contains("email"));
    let (tx, csrf) = (hidden(&html, "tx"), hidden(&html, "csrf"));
    let forged = browser.post(
        "/consent",
        &[("tx", &tx), ("csrf", "x"), ("decision", "allow")],
    );
    assert_eq!(forged.status, 403);
    let denied = location(&browser.post(
        "/consent",
        &[("tx", &tx), ("csrf", &csrf), ("decision", "deny")],
    ));
    assert_eq!(redirect_params(&denied).get("error"), Some("access_denied"));

    let again = location(&browser.get(&start.url(
        THIRD,
        THIRD_REDIRECT,
        "openid email",
        &[("prompt", "none")],
    )));
    assert_eq!(
        redirect_params(&again).get("error"),
        Some("consent_required")
    );
    let to_consent = location(&browser.get(&start.url(THIRD, THIRD_REDIRECT, "openid email", &[])));
    let html = text(&browser.get(&to_consent));
    let allowed = location(&browser.post(
        "/consent",
        &[
            ("tx", &hidden(&html, "tx")),
            ("csrf", &hidden(&html, "csrf")),
            ("decision", "allow"),
        ],
    ));
    let code = redirect_params(&allowed).get("code").unwrap().to_owned();
    let remembered = location(&browser.get(&start.url(THIRD, THIRD_REDIRECT, "openid", &[])));
    assert!(
        remembered.starts_with(THIRD_REDIRECT) && remembered.contains("code="),
        "{remembered}"
    );

    // The confidential client authenticates with client_secret_post; a wrong secret is 401.
    let exchange = |secret: &str| {
        op.send(&token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", THIRD_REDIRECT),
            ("client_id", THIRD),
            ("client_secret", secret),
            ("code_verifier", start.pkce.verifier.expose()),
        ]))
    };
    let bad = exchange("wrong");
    assert_eq!(
        (bad.status, body(&bad)["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // Client authentication runs before the code is taken, so the failed attempt did not
    // spend it.
    assert_eq!(exchange(SERVICE_SECRET).status, 200);
}

/// RFC 6749 §6 and OAuth 2.0 Security BCP §4.14.2: rotation on every use, the same
/// successor for a quick retry, and reuse after the grace window revokes the family, its
/// access tokens included.
#[test]
fn refresh_rotation_and_reuse_detection() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let first = body(&exchange(&op, &start, &code));
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: &str| {
        op.send(&token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", SPA),
        ]))
    };

    let second = body(&refresh(&rt1));
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert!(second["id_token"].is_string() && second["access_token"] != first["access_token"]);
    op.advance(5);
    let retry = body(&refresh(&rt1));
    assert_eq!(
        retry["refresh_token"],
        rt2.as_str(),
        "a retry within the grace window gets the same successor"
    );

    let third = body(&refresh(&rt2));
    let rt3 = third["refresh_token"].as_str().unwrap().to_owned();
    op.advance(60);
    let reuse = refresh(&rt2);
    assert_eq!(body(&reuse)["error"], "invalid_grant");
    assert_eq!(
        body(&refresh(&rt3))["error"],
        "invalid_grant",
        "the whole family is revoked"
    );
    // Its access tokens too (they name the family as `gid`): the thief's and the client's.
    for tokens in [&first, &second, &third] {
        let access = tokens["access_token"].as_str().unwrap();
        let userinfo = op.send(
            &Request::new("GET", &absolute("/userinfo"))
                .with_header("authorization", &format!("Bearer {access}")),
        );
        assert_eq!(userinfo.status, 401, "access token of a revoked family");
    }

    let narrowed = {
        let (_b, start, code) = sign_in(&op, "openid email offline_access");
        let rt = body(&exchange(&op, &start, &code))["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        body(&op.send(&token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", SPA),
            ("scope", "openid profile"),
        ])))
    };
    assert_eq!(narrowed["error"], "invalid_scope");
}

/// RFC 6749 §4.4 and §2.3.1: client credentials with HTTP Basic.
#[test]
fn client_credentials() {
    let op = Op::new();
    let basic = |id: &str, secret: &str| {
        use base64ct::Encoding;
        format!(
            "Basic {}",
            base64ct::Base64::encode_string(format!("{id}:{secret}").as_bytes())
        )
    };
    let request = |auth: &str, form: &[(&str, &str)]| {
        op.send(&token_request(form).with_header("authorization", auth))
    };
    let ok = request(
        &basic(SERVICE, SERVICE_SECRET),
        &[("grant_type", "client_credentials"), ("scope", "api:read")],
    );
    assert_eq!(ok.status, 200, "{}", text(&ok));
    let tokens = body(&ok);
    assert_eq!(tokens["scope"], "api:read");
    assert!(tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none());
    let wrong = request(
        &basic(SERVICE, "nope"),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(wrong.status, 401);
    assert!(
        wrong
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    let both = request(
        &basic(SERVICE, SERVICE_SECRET),
        &[("grant_type", "client_credentials"), ("client_secret", "x")],
    );
    assert_eq!(body(&both)["error"], "invalid_request");
    let scope = request(
        &basic(SERVICE, SERVICE_SECRET),
        &[("grant_type", "client_credentials"), ("scope", "openid")],
    );
    assert_eq!(body(&scope)["error"], "invalid_scope");
    let public = op.send(&token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", SPA),
    ]));
    assert_eq!(body(&public)["error"], "unauthorized_client");
    let grant = request(
        &basic(SERVICE, SERVICE_SECRET),
        &[("grant_type", "password")],
    );
    assert_eq!(body(&grant)["error"], "unsupported_grant_type");
}

/// RFC 9449 §5, §6, §7, §8: a nonce round trip, bound tokens, userinfo demanding the proof,
/// public-client refresh tokens bound to the key.
#[test]
fn dpop_bound_tokens() {
    let op = Op::new();
    let key = dpop_key(11);
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let token_url = format!("{ISSUER}/token");
    let form = code_form(&start, &code);
    let first = op.send(&token_request(&form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, None),
    ));
    assert_eq!(first.status, 400);
    assert_eq!(body(&first)["error"], "use_dpop_nonce");
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let second = op.send(&token_request(&form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(second.status, 200, "{}", text(&second));
    assert!(second.header("dpop-nonce").is_some());
    let tokens = body(&second);
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    let at = validate_access_token(
        access,
        &op.jwks,
        &AccessTokenExpectations {
            issuer: ISSUER.into(),
            audience: ISSUER.into(),
            ..Default::default()
        },
        UnixTime(op.now()),
    )
    .unwrap();
    assert_eq!(at.claims().get("cnf").unwrap()["jkt"], key.thumbprint());

    let userinfo_url = format!("{ISSUER}/userinfo");
    let as_bearer = op.send(
        &Request::new("GET", &userinfo_url)
            .with_header("authorization", &format!("Bearer {access}")),
    );
    assert_eq!(
        as_bearer.status, 401,
        "RFC 9449 §7.2: no downgrade to Bearer"
    );
    let no_proof = op.send(
        &Request::new("GET", &userinfo_url).with_header("authorization", &format!("DPoP {access}")),
    );
    assert_eq!(no_proof.status, 401);
    assert!(
        no_proof
            .header("www-authenticate")
            .unwrap()
            .starts_with("DPoP error=\"invalid_dpop_proof\"")
    );
    let proof = dpop_proof(&op, &key, "GET", &userinfo_url, Some(access), None);
    let ok = op.send(
        &Request::new("GET", &userinfo_url)
            .with_header("authorization", &format!("DPoP {access}"))
            .with_header("dpop", &proof),
    );
    assert_eq!(ok.status, 200, "{}", text(&ok));
    let replayed = op.send(
        &Request::new("GET", &userinfo_url)
            .with_header("authorization", &format!("DPoP {access}"))
            .with_header("dpop", &proof),
    );
    assert_eq!(replayed.status, 401, "the proof is single use");
    let other = dpop_key(12);
    let stolen = dpop_proof(&op, &other, "GET", &userinfo_url, Some(access), None);
    let stolen = op.send(
        &Request::new("GET", &userinfo_url)
            .with_header("authorization", &format!("DPoP {access}"))
            .with_header("dpop", &stolen),
    );
    assert_eq!(
        stolen.status, 401,
        "a token used with another key is refused"
    );

    // The public client's refresh token is bound to the key too.
    let rt = tokens["refresh_token"].as_str().unwrap();
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("client_id", SPA),
    ];
    let nonce = second.header("dpop-nonce").unwrap().to_owned();
    let with_other = op.send(&token_request(&refresh_form).with_header(
        "dpop",
        &dpop_proof(&op, &other, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(body(&with_other)["error"], "invalid_grant");
    let without = op.send(&token_request(&refresh_form));
    assert_eq!(body(&without)["error"], "invalid_grant");
    let with_key = op.send(&token_request(&refresh_form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(with_key.status, 200, "{}", text(&with_key));
    assert_eq!(body(&with_key)["token_type"], "DPoP");
}

/// RFC 9449 §10: dpop_jkt binds the code to a key at the authorization request.
#[test]
fn dpop_jkt_binds_the_code() {
    let op = Op::new();
    let key = dpop_key(21);
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let jkt = key.thumbprint();
    let to_login =
        location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("dpop_jkt", &jkt)])));
    let code = redirect_params(&location(&browser.login(
        &to_login,
        "demo",
        "correct horse",
    )))
    .get("code")
    .unwrap()
    .to_owned();
    let without = exchange(&op, &start, &code);
    assert_eq!(body(&without)["error"], "invalid_grant");
}

/// Fetch §3.2: CORS only for configured origins, with the headers an SPA must read.
#[test]
fn cors() {
    let op = Op::new();
    let token = token_request(&[("grant_type", "client_credentials")])
        .with_header("origin", "https://spa.example");
    let response = op.send(&token);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://spa.example")
    );
    assert!(
        response
            .header("access-control-expose-headers")
            .unwrap()
            .contains("DPoP-Nonce")
    );
    let evil = op.send(&token_request(&[]).with_header("origin", "https://evil.example"));
    assert!(evil.header("access-control-allow-origin").is_none());
    let preflight = op.send(
        &Request::new("OPTIONS", &absolute("/token")).with_header("origin", "https://spa.example"),
    );
    assert_eq!(preflight.status, 204);
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("DPoP")
    );
    let denied = op.send(
        &Request::new("OPTIONS", &absolute("/token")).with_header("origin", "https://evil.example"),
    );
    assert_eq!(denied.status, 403);
    let page = op.send(
        &Request::new("GET", &absolute("/login")).with_header("origin", "https://spa.example"),
    );
    assert!(
        page.header("access-control-allow-origin").is_none(),
        "pages are not CORS resources"
    );
}

/// Hostile input: malformed, repeated, oversize and wrong-type requests get 4xx, never a
/// 500 or a panic (`Op::send` asserts the status).
#[test]
fn hostile_requests_get_client_errors() {
    let op = Op::new();
    let mut requests = vec![
        Request::new("POST", &absolute("/token")),
        Request::new("POST", &absolute("/token")).with_header("content-type", "application/json"),
        token_request(&[("grant_type", "authorization_code")]),
        token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", "x"),
        ]),
        Request::new("POST", &absolute("/token"))
            .with_header("content-type", "application/x-www-form-urlencoded"),
        Request::new("GET", &absolute("/userinfo")).with_header("authorization", "Bearer"),
        Request::new("GET", &absolute("/userinfo")).with_header("authorization", "Bearer a.b.c"),
        Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", "Basic Zm9vOmJhcg=="),
        Request::new("GET", &absolute("/login")),
        Request::new("GET", &absolute("/login?tx=%ZZ")),
        Request::new("GET", &absolute("/consent?tx=abc")),
        Request::new("GET", &absolute("/authorize?client_id=")),
        Request::new("PUT", &absolute("/token")),
        Request::new("GET", &absolute("/authorize?%")),
        Request::new("GET", &absolute("/api/me")).with_header("authorization", "DPoP"),
        Request::new("GET", &absolute("/api/me"))
            .with_header("authorization", "DPoP a.b.c")
            .with_header("dpop", "a.b.c")
            .with_header("dpop", "d.e.f"),
        Request::new("GET", &absolute("/end_session?id_token_hint=%ZZ")),
        Request::new("GET", &absolute("/end_session?state=a&state=b")),
        Request::new("POST", &absolute("/end_session")).with_header("content-type", "text/plain"),
        Request::new(
            "GET",
            &absolute(&format!(
                "/end_session?id_token_hint={}",
                "a".repeat(70_000)
            )),
        ),
    ];
    let mut garbage = token_request(&[("client_id", SPA), ("grant_type", "refresh_token")]);
    garbage.body = vec![0xff, 0xfe, b'=', b'&'];
    requests.push(garbage);
    let mut big = token_request(&[("grant_type", "refresh_token"), ("client_id", SPA)]);
    big.body
        .extend_from_slice(format!("&refresh_token={}", "a".repeat(70_000)).as_bytes());
    requests.push(big);
    requests.push(token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", SPA),
        ("client_id", SPA),
    ]));
    requests.push(
        token_request(&[("grant_type", "client_credentials")])
            .with_header("authorization", "Basic !!!")
            .with_header("dpop", "a,b"),
    );
    for req in &requests {
        let response = op.send(req);
        assert!(
            (400..500).contains(&response.status),
            "{} {} -> {}",
            req.method,
            req.url,
            response.status
        );
    }
}

/// Records are stored under hashes: no code, token or session value is a store key.
#[test]
fn store_keys_never_contain_secrets() {
    let op = Op::new();
    let (browser, start, code) = sign_in(&op, "openid offline_access");
    let tokens = body(&exchange(&op, &start, &code));
    let rt = tokens["refresh_token"].as_str().unwrap();
    let session = browser
        .cookies
        .borrow()
        .iter()
        .find(|(n, _)| n == "oe_session")
        .unwrap()
        .1
        .clone();
    let dump = format!("{:?}", op.store);
    for secret in [code.as_str(), rt, session.as_str()] {
        assert!(
            !dump.contains(secret),
            "a secret value appears in the store"
        );
    }
}
