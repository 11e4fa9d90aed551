//! The `authorization_code` grant (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9449 §10): valid
//! tokens, single use and what a replay revokes, and what a code is bound to.

use oidc_edge::jose::Alg;
use oidc_edge::oidc::{
    AccessTokenExpectations, IdTokenExpectations, validate_access_token, validate_id_token,
};
use oidc_edge::op::Request;
use oidc_edge::time::UnixTime;

use crate::op_support::*;

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
    // RFC 8176 §2: the user signed in with a password.
    assert_eq!(
        claims.get("amr"),
        Some(&serde_json::json!(["pwd"])),
        "amr (OpenID Connect Core §2)"
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

/// RFC 6749 §4.1.2 is about a code used twice; an exchange that issued nothing did not use
/// it. When signing fails after the code's record was written, the client's retry gets the
/// tokens, and a second exchange after that is still a replay.
#[test]
fn a_failed_exchange_leaves_the_code_for_the_retry() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let failed = op.send_with_signer_down(&token_request(&code_form(&start, &code)));
    assert_eq!(failed.status, 503, "{}", text(&failed));
    assert_eq!(body(&failed)["error"], "temporarily_unavailable");
    let retried = exchange(&op, &start, &code);
    assert_eq!(retried.status, 200, "{}", text(&retried));
    let tokens = body(&retried);
    let replay = exchange(&op, &start, &code);
    assert_eq!(body(&replay)["error"], "invalid_grant");
    // The replay revokes what the retry issued.
    let refresh = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
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

/// RFC 6749 §4.1.2: a spent code sent again is a replay whatever else the request gets
/// wrong (another verifier, another redirect URI: what an observer of the code would
/// send; a resource the authorization did not name, RFC 8707 §2.2), and revokes what the
/// code issued.
#[test]
fn a_replay_that_fails_the_codes_binding_still_revokes() {
    let op = Op::new();
    for wrong in [
        ("code_verifier", "x".repeat(43)),
        ("redirect_uri", "https://spa.example/other".to_owned()),
        ("resource", "https://unknown.example/".to_owned()),
    ] {
        let (_b, start, code) = sign_in(&op, "openid offline_access");
        let first = body(&exchange(&op, &start, &code));
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", SPA_REDIRECT.to_owned()),
            ("client_id", SPA.to_owned()),
            ("code_verifier", start.pkce.verifier.expose().to_owned()),
        ];
        form.retain(|(name, _)| *name != wrong.0);
        form.push((wrong.0, wrong.1.clone()));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let replay = op.send(&token_request(&pairs));
        assert_eq!(body(&replay)["error"], "invalid_grant", "{}", wrong.0);
        let access = first["access_token"].as_str().unwrap();
        let userinfo = op.send(
            &Request::new("GET", &absolute("/userinfo"))
                .with_header("authorization", &format!("Bearer {access}")),
        );
        assert_eq!(userinfo.status, 401, "{}: the first access token", wrong.0);
        let refresh = op.send(&token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ("client_id", SPA),
        ]));
        assert_eq!(body(&refresh)["error"], "invalid_grant", "{}", wrong.0);
    }
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
