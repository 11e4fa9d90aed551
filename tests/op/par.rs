//! Pushed authorization requests (RFC 9126): `/par` authenticates the client and checks
//! the request as `/authorize` would, the `request_uri` it returns starts one authorization
//! with the pushed parameters only, once, before it expires, for that client; a client
//! (or the provider) may require them.

use oidc_edge::op::form::{Params, encode};
use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

const PUSHER: &str = "pusher";
const PUSHER_REDIRECT: &str = "https://pusher.example/cb";
const PUSHER_SECRET: &str = "pusher-secret-0123456789abcdefghijklmnop";
const URN: &str = "urn:ietf:params:oauth:request_uri:";

/// The test configuration with a confidential, first-party client that must push its
/// requests (RFC 9126 §6 `require_pushed_authorization_requests`).
fn config() -> Value {
    let mut config = config_json();
    let hash = oidc_edge::op::password::PasswordHash::create(PUSHER_SECRET.as_bytes(), 1_000)
        .unwrap()
        .to_string();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": PUSHER, "client_type": "confidential",
        "token_endpoint_auth_method": "client_secret_basic", "client_secret_hash": hash,
        "redirect_uris": [PUSHER_REDIRECT], "scopes": ["openid", "email"], "first_party": true,
        "require_pushed_authorization_requests": true
    }));
    config
}

fn par_request(form: &[(&str, &str)]) -> Request {
    Request::new("POST", &format!("{ISSUER}/par")).with_form(form)
}

/// The SPA's authorization request as form pairs (what it would put in the query).
fn spa_request<'a>(start: &'a AuthStart, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", SPA_REDIRECT),
        ("scope", "openid email"),
        ("state", start.state.as_str()),
        ("nonce", start.nonce.as_str()),
        ("code_challenge", start.pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    form.extend_from_slice(extra);
    form
}

/// The PUSHER's request, authenticated with HTTP Basic.
fn pusher_push(op: &Op, start: &AuthStart, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![
        ("response_type", "code"),
        ("client_id", PUSHER),
        ("redirect_uri", PUSHER_REDIRECT),
        ("scope", "openid"),
        ("state", start.state.as_str()),
        ("code_challenge", start.pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    form.extend_from_slice(extra);
    op.send(&par_request(&form).with_header("authorization", &basic(PUSHER, PUSHER_SECRET)))
}

/// The `request_uri` of a successful push.
#[track_caller]
fn pushed(response: &Response) -> String {
    assert_eq!(response.status, 201, "{}", text(response));
    body(response)["request_uri"].as_str().unwrap().to_owned()
}

fn authorize_with(client_id: &str, request_uri: &str, extra: &[(&str, &str)]) -> String {
    let mut query = vec![("client_id", client_id), ("request_uri", request_uri)];
    query.extend_from_slice(extra);
    format!("/authorize?{}", encode(&query))
}

#[track_caller]
fn assert_error_page(response: &Response, code: &str) {
    assert_eq!(response.status, 400, "{}", text(response));
    assert!(response.header("location").is_none(), "sent to the client");
    assert!(text(response).contains(code), "{code}: {}", text(response));
}

/// RFC 9126 §2.2: 201 with a `request_uri` (the URN of §2.2) and `expires_in`, not
/// cacheable; §4: `/authorize` with it ends at the client with a code that exchanges.
#[test]
fn a_pushed_request_starts_the_authorization() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let response = op.send(&par_request(&spa_request(&start, &[])));
    let request_uri = pushed(&response);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(body(&response)["expires_in"], 60, "lifetimes.par's default");
    let reference = request_uri
        .strip_prefix(URN)
        .expect("the RFC 9126 §2.2 URN");
    assert!(
        reference.len() >= 43,
        "at least 256 random bits: {reference}"
    );

    let browser = Browser::new(&op);
    let to_login = location(&browser.get(&authorize_with(SPA, &request_uri, &[])));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(back.starts_with(SPA_REDIRECT), "{back}");
    let params = redirect_params(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert_eq!(params.get("iss"), Some(ISSUER), "RFC 9207");
    let tokens = exchange(&op, &start, params.get("code").unwrap());
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
}

/// RFC 9126 §4: the pushed parameters are the request; those in the query beside
/// `request_uri` (another redirect URI, scope or state) change nothing.
#[test]
fn only_the_pushed_parameters_count() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let request_uri = pushed(&op.send(&par_request(&spa_request(&start, &[]))));
    let browser = Browser::new(&op);
    let to_login = location(&browser.get(&authorize_with(
        SPA,
        &request_uri,
        &[
            ("redirect_uri", "https://evil.example/cb"),
            ("scope", "openid profile offline_access"),
            ("state", "attacker"),
            ("prompt", "none"),
        ],
    )));
    assert!(
        to_login.starts_with("/login?tx="),
        "prompt=none was not pushed: {to_login}"
    );
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let params = redirect_params(&back);
    assert!(back.starts_with(SPA_REDIRECT), "{back}");
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    let tokens = body(&exchange(&op, &start, params.get("code").unwrap()));
    assert_eq!(tokens["scope"], "openid email", "the pushed scope");
    assert!(tokens.get("refresh_token").is_none());
}

/// RFC 9126 §4 ("one-time use"), §2.2 (`expires_in`): a used request_uri, an expired one
/// and one pushed by another client are `invalid_request_uri`, shown on a page (the
/// redirect URI is in the request that cannot be had).
#[test]
fn a_request_uri_is_used_once_before_it_expires_by_its_client() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let request_uri = pushed(&op.send(&par_request(&spa_request(&start, &[]))));
    let browser = Browser::new(&op);
    assert_eq!(
        browser.get(&authorize_with(SPA, &request_uri, &[])).status,
        303
    );
    assert_error_page(
        &browser.get(&authorize_with(SPA, &request_uri, &[])),
        "invalid_request_uri",
    );

    let request_uri = pushed(&op.send(&par_request(&spa_request(&start, &[]))));
    op.advance(60);
    assert_error_page(
        &browser.get(&authorize_with(SPA, &request_uri, &[])),
        "invalid_request_uri",
    );

    // Another client cannot start the request (and the URI is spent by the attempt).
    let request_uri = pushed(&op.send(&par_request(&spa_request(&start, &[]))));
    assert_error_page(
        &browser.get(&authorize_with(THIRD, &request_uri, &[])),
        "invalid_request_uri",
    );
    assert_error_page(
        &browser.get(&authorize_with(SPA, &request_uri, &[])),
        "invalid_request_uri",
    );

    // Made-up references never reach a pushed request.
    for forged in [
        format!("{URN}short"),
        format!("{URN}{}", "A".repeat(43)),
        format!("{}x", &request_uri[..request_uri.len() - 1]),
    ] {
        assert_error_page(
            &browser.get(&authorize_with(SPA, &forged, &[])),
            "invalid_request_uri",
        );
    }
}

/// `lifetimes.par` sets `expires_in`, and a request_uri ends then even though the store
/// keeps records for at least a minute.
#[test]
fn lifetimes_par_bounds_the_request_uri() {
    let mut config = config();
    config["lifetimes"]["par"] = json!(10);
    let op = Op::with_config(config);
    let start = AuthStart::new();
    let response = op.send(&par_request(&spa_request(&start, &[])));
    assert_eq!(body(&response)["expires_in"], 10);
    let request_uri = pushed(&response);
    op.advance(10);
    assert_error_page(
        &Browser::new(&op).get(&authorize_with(SPA, &request_uri, &[])),
        "invalid_request_uri",
    );
    let request_uri = pushed(&op.send(&par_request(&spa_request(&start, &[]))));
    op.advance(9);
    assert_eq!(
        Browser::new(&op)
            .get(&authorize_with(SPA, &request_uri, &[]))
            .status,
        303
    );
}

/// RFC 9126 §2: the client authenticates as at the token endpoint; without its
/// credentials, with wrong ones, or with two methods, nothing is pushed (401
/// `invalid_client`, RFC 6749 §5.2).
#[test]
fn a_confidential_client_must_authenticate() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let form = [
        ("response_type", "code"),
        ("client_id", PUSHER),
        ("redirect_uri", PUSHER_REDIRECT),
        ("scope", "openid"),
        ("code_challenge", start.pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (why, request) in [
        ("no credentials", par_request(&form)),
        (
            "wrong secret",
            par_request(&form).with_header("authorization", &basic(PUSHER, "wrong")),
        ),
        (
            "another client's secret",
            par_request(&form).with_header("authorization", &basic(THIRD, SERVICE_SECRET)),
        ),
    ] {
        let response = op.send(&request);
        assert!(
            response.status == 401 || response.status == 400,
            "{why}: {}",
            text(&response)
        );
        assert!(
            matches!(
                body(&response)["error"].as_str(),
                Some("invalid_client" | "invalid_request")
            ),
            "{why}: {}",
            text(&response)
        );
        assert!(body(&response).get("request_uri").is_none(), "{why}");
    }
    let unauthenticated = op.send(&par_request(&form));
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(body(&unauthenticated)["error"], "invalid_client");
    assert_eq!(pusher_push(&op, &start, &[]).status, 201);

    // Only POST, only a form.
    let get = op.send(&Request::new("GET", &format!("{ISSUER}/par")));
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
    let mut json_body = Request::new("POST", &format!("{ISSUER}/par"))
        .with_header("content-type", "application/json")
        .with_header("authorization", &basic(PUSHER, PUSHER_SECRET));
    json_body.body = br#"{"response_type":"code"}"#.to_vec();
    assert_eq!(body(&op.send(&json_body))["error"], "invalid_request");
}

/// RFC 9126 §2.1, §2.3: the request is checked when it is pushed, by the rules of
/// `/authorize`, and refused with the JSON error `/authorize` would have sent.
#[test]
fn a_request_is_checked_when_it_is_pushed() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    // The SPA's request with `changes` made and `without` left out.
    let refused = |changes: &[(&str, &str)], without: &[&str]| {
        let mut form: Vec<(&str, &str)> = spa_request(&start, &[])
            .into_iter()
            .filter(|(name, _)| !without.contains(name) && !changes.iter().any(|(c, _)| c == name))
            .collect();
        form.extend_from_slice(changes);
        let response = op.send(&par_request(&form));
        assert_eq!(response.status, 400, "{}", text(&response));
        assert_eq!(response.header("cache-control"), Some("no-store"));
        body(&response)["error"].as_str().unwrap().to_owned()
    };
    assert_eq!(refused(&[("scope", "openid admin")], &[]), "invalid_scope");
    assert_eq!(
        refused(&[("redirect_uri", "https://evil.example/cb")], &[]),
        "invalid_request"
    );
    assert_eq!(
        refused(&[], &["code_challenge", "code_challenge_method"]),
        "invalid_request"
    );
    assert_eq!(
        refused(&[("response_type", "token")], &[]),
        "unsupported_response_type"
    );
    assert_eq!(
        refused(&[("response_mode", "fragment")], &[]),
        "invalid_request"
    );
    assert_eq!(refused(&[("prompt", "bogus")], &[]), "invalid_request");
    assert_eq!(
        refused(&[("resource", "https://unknown.example/")], &[]),
        "invalid_target"
    );
    // §2.1: a pushed request is not a reference to another one.
    assert_eq!(
        refused(&[("request_uri", &format!("{URN}{}", "A".repeat(43)))], &[]),
        "invalid_request"
    );
}

/// RFC 9126 §5, §6: a client registered with `require_pushed_authorization_requests` is
/// refused at `/authorize` without a pushed request (the error at its redirect URI), and
/// served with one.
#[test]
fn a_client_may_require_pushed_requests() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let browser = Browser::new(&op);
    let plain = browser.get(&start.url(PUSHER, PUSHER_REDIRECT, "openid", &[]));
    let params = redirect_params(&location(&plain));
    assert_eq!(params.get("error"), Some("invalid_request"));
    assert_eq!(params.get("state"), Some(start.state.as_str()));

    let request_uri = pushed(&pusher_push(&op, &start, &[]));
    let to_login = location(&browser.get(&authorize_with(PUSHER, &request_uri, &[])));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(back.starts_with(PUSHER_REDIRECT), "{back}");
    assert!(redirect_params(&back).get("code").is_some(), "{back}");

    // The others are not held to it.
    assert!(
        location(&Browser::new(&op).get(&start.url(SPA, SPA_REDIRECT, "openid", &[])))
            .starts_with("/login")
    );
}

/// RFC 9126 §5: the provider-wide switch holds every client to it, and discovery says so
/// (`require_pushed_authorization_requests`), beside the endpoint (§5).
#[test]
fn the_provider_may_require_pushed_requests() {
    let plain = Op::with_config(config());
    let doc = body(&plain.send(&Request::new(
        "GET",
        &absolute("/.well-known/oauth-authorization-server"),
    )));
    assert_eq!(
        doc["pushed_authorization_request_endpoint"],
        format!("{ISSUER}/par")
    );
    assert_eq!(doc["require_pushed_authorization_requests"], false);

    let mut config = config();
    config["require_pushed_authorization_requests"] = json!(true);
    let op = Op::with_config(config);
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert_eq!(doc["require_pushed_authorization_requests"], true);
    let start = AuthStart::new();
    let browser = Browser::new(&op);
    let refused = redirect_params(&location(&browser.get(&start.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[],
    ))));
    assert_eq!(refused.get("error"), Some("invalid_request"));
    let request_uri = pushed(&op.send(&par_request(&spa_request(&start, &[]))));
    assert!(location(&browser.get(&authorize_with(SPA, &request_uri, &[]))).starts_with("/login"));
}

/// RFC 9101 §5.2, §7: a `request_uri` this provider did not issue is not fetched:
/// `request_uri_not_supported`, at the redirect URI when the query names a registered one.
#[test]
fn other_request_uris_are_not_fetched() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let browser = Browser::new(&op);
    let elsewhere = "https://spa.example/request.jwt";
    assert_error_page(
        &browser.get(&authorize_with(SPA, elsewhere, &[])),
        "request_uri_not_supported",
    );
    let redirected =
        browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("request_uri", elsewhere)]));
    let params: Params = redirect_params(&location(&redirected));
    assert_eq!(params.get("error"), Some("request_uri_not_supported"));
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert_eq!(op.web.gets(elsewhere), 0, "never fetched");
}

/// A push while the store is down is `temporarily_unavailable` (503), never a
/// request_uri that leads nowhere.
#[test]
fn a_push_fails_cleanly_when_the_store_is_down() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let response = op.send_with_store_down(&par_request(&spa_request(&start, &[])));
    assert_eq!(response.status, 503, "{}", text(&response));
    assert_eq!(body(&response)["error"], "temporarily_unavailable");
}

/// Fetch §3.2: a browser app at a configured origin may push its requests.
#[test]
fn a_browser_app_may_push() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let response = op
        .send(&par_request(&spa_request(&start, &[])).with_header("origin", "https://spa.example"));
    assert_eq!(response.status, 201);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://spa.example")
    );
}

/// RFC 9449 §10.1: a DPoP proof at `/par` binds the code to its key, as `dpop_jkt` does
/// (after the server's nonce, §8); a `dpop_jkt` naming another key, or a bad proof, is
/// refused; the code then exchanges only with a proof of that key.
#[test]
fn a_dpop_proof_at_par_binds_the_code() {
    let op = Op::with_config(config());
    let start = AuthStart::new();
    let key = dpop_key(5);
    let par_url = format!("{ISSUER}/par");
    let first = op.send(
        &par_request(&spa_request(&start, &[]))
            .with_header("dpop", &dpop_proof(&op, &key, "POST", &par_url, None, None)),
    );
    assert_eq!(first.status, 400, "{}", text(&first));
    assert_eq!(body(&first)["error"], "use_dpop_nonce");
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let proof = |key| dpop_proof(&op, key, "POST", &par_url, None, Some(&nonce));

    let other = dpop_key(6).thumbprint();
    let mismatch = op.send(
        &par_request(&spa_request(&start, &[("dpop_jkt", &other)]))
            .with_header("dpop", &proof(&key)),
    );
    assert_eq!(mismatch.status, 400);
    assert_eq!(body(&mismatch)["error"], "invalid_request");
    let wrong_htu = dpop_proof(
        &op,
        &key,
        "POST",
        &format!("{ISSUER}/token"),
        None,
        Some(&nonce),
    );
    let refused = op.send(&par_request(&spa_request(&start, &[])).with_header("dpop", &wrong_htu));
    assert_eq!(body(&refused)["error"], "invalid_dpop_proof");

    let answer = op.send(&par_request(&spa_request(&start, &[])).with_header("dpop", &proof(&key)));
    let request_uri = pushed(&answer);
    assert!(
        answer.header("dpop-nonce").is_some(),
        "RFC 9449 §8: the next nonce"
    );
    let browser = Browser::new(&op);
    let to_login = location(&browser.get(&authorize_with(SPA, &request_uri, &[])));
    let code = redirect_params(&location(&browser.login(
        &to_login,
        "demo",
        "correct horse",
    )))
    .get("code")
    .unwrap()
    .to_owned();
    let unbound = exchange(&op, &start, &code);
    assert_eq!(
        body(&unbound)["error"],
        "invalid_grant",
        "{}",
        text(&unbound)
    );
    let token_url = format!("{ISSUER}/token");
    let form = code_form(&start, &code);
    let nonce = op
        .send(&token_request(&form).with_header(
            "dpop",
            &dpop_proof(&op, &key, "POST", &token_url, None, None),
        ))
        .header("dpop-nonce")
        .unwrap()
        .to_owned();
    let tokens = op.send(&token_request(&form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert_eq!(body(&tokens)["token_type"], "DPoP");
}
