//! Opaque access tokens (`access_token_format: "opaque"`, per client or per resource): 256
//! random bits stored by their hash with what they grant; accepted by `/userinfo` and
//! `/api/me`, described by `/introspect` (RFC 7662 §2.2), revoked with their family
//! (RFC 7009 §2.1).

use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

const API: &str = "https://api.example/";

/// The SPA with opaque tokens, and a resource whose tokens are opaque.
fn op() -> Op {
    let mut config = config_json();
    config["clients"][0]["access_token_format"] = json!("opaque");
    config["clients"][0]["scopes"] =
        json!(["openid", "profile", "email", "offline_access", "api:read"]);
    config["resources"] = json!([
        { "resource": API, "scopes": ["api:read"], "access_token_format": "opaque" },
        { "resource": "https://jwt.example/", "scopes": ["api:read"] }
    ]);
    Op::with_config(config)
}

fn userinfo(op: &Op, token: &str) -> Response {
    op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("Bearer {token}")),
    )
}

fn introspect(op: &Op, token: &str) -> Value {
    let response = op.send(
        &Request::new("POST", &absolute("/introspect"))
            .with_form(&[("token", token)])
            .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

fn tokens(op: &Op, scope: &str, extra: &[(&str, &str)]) -> Value {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, scope, extra)));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let response = exchange(op, &start, &code);
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

/// An opaque token says nothing itself; `/userinfo` takes it, `/introspect` describes it as
/// a JWT would be described, and the ID token's `at_hash` is of the opaque string.
#[test]
fn an_opaque_token_works_where_a_jwt_does() {
    let op = op();
    let issued = tokens(&op, "openid email offline_access", &[]);
    let access = issued["access_token"].as_str().unwrap();
    assert_eq!(access.len(), 43, "256 bits, base64url");
    assert!(!access.contains('.'), "not a JWS");
    let info = userinfo(&op, access);
    assert_eq!(info.status, 200, "{}", text(&info));
    assert_eq!(body(&info)["email"], "demo@example.com");

    let answer = introspect(&op, access);
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], SPA);
    assert_eq!(answer["sub"], "248289761001");
    assert_eq!(answer["aud"], ISSUER);
    assert_eq!(answer["iss"], ISSUER);
    assert_eq!(answer["scope"], "openid email offline_access");
    assert_eq!(answer["exp"], op.now() + 600);
    assert_eq!(answer["token_type"], "Bearer");
    assert!(answer.get("gid").is_none());

    // A refresh gives another opaque token.
    let refreshed = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", issued["refresh_token"].as_str().unwrap()),
        ("client_id", SPA),
    ]));
    let refreshed = body(&refreshed);
    let second = refreshed["access_token"].as_str().unwrap();
    assert!(!second.contains('.') && second != access);
    assert_eq!(userinfo(&op, second).status, 200);
}

/// RFC 7009 §2.1: revoking the refresh token revokes its opaque access tokens too; an
/// expired or unknown opaque token is refused and inactive (RFC 7662 §2.2).
#[test]
fn revoked_expired_and_unknown_opaque_tokens() {
    let op = op();
    let issued = tokens(&op, "openid offline_access", &[]);
    let access = issued["access_token"].as_str().unwrap().to_owned();
    let revoked = op.send(&Request::new("POST", &absolute("/revoke")).with_form(&[
        ("token", issued["refresh_token"].as_str().unwrap()),
        ("client_id", SPA),
    ]));
    assert_eq!(revoked.status, 200);
    assert_eq!(userinfo(&op, &access).status, 401);
    assert_eq!(introspect(&op, &access), json!({ "active": false }));

    let fresh = tokens(&op, "openid", &[]);
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&op, &fresh).status, 200);
    op.advance(600);
    assert_eq!(userinfo(&op, &fresh).status, 401);
    assert_eq!(introspect(&op, &fresh), json!({ "active": false }));

    let unknown = "A".repeat(43);
    let refused = userinfo(&op, &unknown);
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(introspect(&op, &unknown), json!({ "active": false }));
}

/// A resource's format decides for tokens for it (RFC 8707); resources of different forms
/// cannot share one token.
#[test]
fn a_resource_decides_the_form_of_its_tokens() {
    let op = op();
    let for_api = tokens(&op, "openid api:read", &[("resource", API)]);
    let access = for_api["access_token"].as_str().unwrap();
    assert!(!access.contains('.'));
    let answer = introspect(&op, access);
    assert_eq!(answer["aud"], API);
    assert_eq!(answer["scope"], "api:read");
    assert_eq!(
        userinfo(&op, access).status,
        401,
        "a token for another resource"
    );

    let for_jwt = tokens(
        &op,
        "openid api:read",
        &[("resource", "https://jwt.example/")],
    );
    assert_eq!(
        for_jwt["access_token"].as_str().unwrap().split('.').count(),
        3
    );

    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(
        SPA,
        SPA_REDIRECT,
        "openid api:read",
        &[("resource", API), ("resource", "https://jwt.example/")],
    )));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let mixed = exchange(&op, &start, &code);
    assert_eq!(mixed.status, 400, "{}", text(&mixed));
    assert_eq!(body(&mixed)["error"], "invalid_target");
}

/// The format is `"jwt"` or `"opaque"`, for a client and for a resource.
#[test]
fn access_token_format_rules() {
    use oidc_edge::op::config::Config;
    let mut config = config_json();
    config["clients"][0]["access_token_format"] = json!("reference");
    let err = Config::from_json(&config.to_string()).unwrap_err();
    assert_eq!(err.path, "clients[0].access_token_format");
    let mut config = config_json();
    config["resources"] =
        json!([{ "resource": API, "scopes": ["a"], "access_token_format": "JWT" }]);
    let err = Config::from_json(&config.to_string()).unwrap_err();
    assert_eq!(err.path, "resources[0].access_token_format");
}
