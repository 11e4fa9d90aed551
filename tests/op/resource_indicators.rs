//! Resource indicators (RFC 8707): `resource` at `/authorize` and `/token` makes an access
//! token for that API: `aud` the resource, only the scopes it takes, its lifetime; a
//! refresh may narrow to any resource authorized; anything else is `invalid_target`. The
//! provider's own API is a resource too, and `/userinfo` refuses a token for another.

use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

const API: &str = "https://api.example/";
const OTHER: &str = "https://other.example/v1";
const OWN_API: &str = "https://op.example/api/me";

/// The test configuration with two resources, and clients allowed their scopes.
fn op() -> Op {
    let mut config = config_json();
    config["clients"][0]["scopes"] = json!([
        "openid",
        "profile",
        "email",
        "offline_access",
        "api:read",
        "api:write"
    ]);
    config["resources"] = json!([
        { "resource": API, "scopes": ["api:read"] },
        { "resource": OTHER, "scopes": ["api:write"], "access_token_lifetime": 120 }
    ]);
    Op::with_config(config)
}

/// Signs in with `scope` and the `resource`s, and exchanges the code with `token_resources`.
fn tokens(op: &Op, scope: &str, resources: &[&str], token_resources: &[&str]) -> Response {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let extra: Vec<(&str, &str)> = resources.iter().map(|r| ("resource", *r)).collect();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, scope, &extra)));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let params = redirect_params(&back);
    let code = params.get("code").unwrap_or_else(|| panic!("{back}"));
    let mut form = code_form(&start, code).to_vec();
    form.extend(token_resources.iter().map(|r| ("resource", *r)));
    op.send(&token_request(&form))
}

fn refresh(op: &Op, refresh_token: &str, resources: &[&str]) -> Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", SPA),
    ];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    op.send(&token_request(&form))
}

#[track_caller]
fn assert_error(response: &Response, error: &str) {
    assert_eq!(response.status, 400, "{}", text(response));
    assert_eq!(body(response)["error"], error, "{}", text(response));
}

/// RFC 8707 §2, §2.2: a token for one resource has it as its audience and only its
/// scopes; the ID token and the refresh token still cover the whole grant; `/userinfo`
/// (the provider itself) refuses the token.
#[test]
fn a_token_for_one_resource() {
    let op = op();
    let response = tokens(
        &op,
        "openid offline_access api:read api:write",
        &[API],
        &[API],
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    let tokens = body(&response);
    let access = jwt_payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], API);
    assert_eq!(access["scope"], "api:read");
    assert_eq!(
        tokens["scope"], "api:read",
        "RFC 6749 §5.1: the access token's scope"
    );
    assert_eq!(tokens["expires_in"], 600);
    assert!(tokens["id_token"].is_string() && tokens["refresh_token"].is_string());

    let userinfo = op.send(&Request::new("GET", &absolute("/userinfo")).with_header(
        "authorization",
        &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
    ));
    assert_eq!(userinfo.status, 401);
    assert!(
        userinfo
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\""),
        "{:?}",
        userinfo.header("www-authenticate")
    );

    // §2.2: not authorized, so not available at the token endpoint either.
    let refreshed = refresh(&op, tokens["refresh_token"].as_str().unwrap(), &[OTHER]);
    assert_error(&refreshed, "invalid_target");
}

/// §2: several resources at once: without `resource` at the token endpoint the token is
/// for all of them (the union of their scopes, the shortest lifetime); with one, for that
/// one; a refresh narrows to any of them and keeps the grant whole.
#[test]
fn several_resources_and_narrowing() {
    let op = op();
    let scope = "openid offline_access api:read api:write";
    let all = body(&tokens(&op, scope, &[API, OTHER], &[]));
    let access = jwt_payload(all["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], json!([API, OTHER]));
    assert_eq!(access["scope"], "api:read api:write");
    assert_eq!(all["expires_in"], 120);

    let one = body(&tokens(&op, scope, &[API, OTHER], &[OTHER]));
    let access = jwt_payload(one["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], OTHER);
    assert_eq!(access["scope"], "api:write");
    assert_eq!(
        access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(),
        120
    );

    let narrowed = refresh(&op, one["refresh_token"].as_str().unwrap(), &[API]);
    assert_eq!(narrowed.status, 200, "{}", text(&narrowed));
    let narrowed = body(&narrowed);
    let access = jwt_payload(narrowed["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], API);
    assert_eq!(access["scope"], "api:read");
    // The successor still covers both resources.
    let again = refresh(&op, narrowed["refresh_token"].as_str().unwrap(), &[OTHER]);
    assert_eq!(again.status, 200, "{}", text(&again));
    assert_eq!(
        jwt_payload(body(&again)["access_token"].as_str().unwrap())["aud"],
        OTHER
    );
    // Without resource: all the authorized ones.
    let whole = refresh(&op, body(&again)["refresh_token"].as_str().unwrap(), &[]);
    assert_eq!(
        jwt_payload(body(&whole)["access_token"].as_str().unwrap())["aud"],
        json!([API, OTHER])
    );
}

/// §2: an unknown resource, one with a fragment, or too many, at `/authorize`, is
/// `invalid_target` at the redirect URI, with `state` and `iss` (RFC 9207).
#[test]
fn unknown_resources_are_invalid_target() {
    let op = op();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let many: Vec<String> = (0..9).map(|i| format!("https://api{i}.example/")).collect();
    let mut cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("resource", "https://unknown.example/")],
        vec![("resource", "https://api.example/#frag")],
        vec![("resource", "https://api.example")],
        vec![("resource", API), ("resource", "urn:example:x")],
    ];
    cases.push(many.iter().map(|r| ("resource", r.as_str())).collect());
    for extra in cases {
        let back = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &extra)));
        let params = redirect_params(&back);
        assert_eq!(
            params.get("error"),
            Some("invalid_target"),
            "{extra:?}: {back}"
        );
        assert_eq!(params.get("state"), Some(start.state.as_str()));
        assert_eq!(params.get("iss"), Some(ISSUER));
    }
}

/// §2.2: the token request may only pick among the authorized resources; a resource none of
/// the granted scopes is for is `invalid_scope`.
#[test]
fn token_requests_stay_within_the_authorization() {
    let op = op();
    let scope = "openid offline_access api:read";
    assert_error(&tokens(&op, scope, &[API], &[OTHER]), "invalid_target");
    assert_error(
        &tokens(&op, scope, &[API], &["https://unknown.example/"]),
        "invalid_target",
    );
    assert_error(&tokens(&op, "openid", &[API], &[]), "invalid_scope");
    // Nothing authorized: any known resource may be named at the token endpoint.
    let late = tokens(&op, scope, &[], &[API]);
    assert_eq!(late.status, 200, "{}", text(&late));
    assert_eq!(
        jwt_payload(body(&late)["access_token"].as_str().unwrap())["aud"],
        API
    );
}

/// §2 for `client_credentials`: the client's token for one API.
#[test]
fn client_credentials_for_a_resource() {
    let op = op();
    let response = op.send(
        &token_request(&[("grant_type", "client_credentials"), ("resource", OTHER)])
            .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    let access = jwt_payload(body(&response)["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], OTHER);
    assert_eq!(access["scope"], "api:write");
    assert_eq!(body(&response)["expires_in"], 120);
}

/// The provider's own API is a resource (RFC 9728 §3.1 metadata at the well-known path):
/// a DPoP-bound token asked for it works there and not at `/userinfo`; a token for another
/// API is refused there, and its challenges name the metadata (RFC 9728 §5.1).
#[test]
fn the_providers_own_api_is_a_resource() {
    let op = op();
    let key = dpop_key(5);
    let token_url = format!("{ISSUER}/token");
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(
        SPA,
        SPA_REDIRECT,
        "openid profile",
        &[("resource", OWN_API)],
    )));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let form = code_form(&start, &code);
    let first = op.send(&token_request(&form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, None),
    ));
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let tokens = op.send(&token_request(&form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let access = body(&tokens)["access_token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_payload(&access)["aud"], OWN_API);

    let call = |token: &str, nonce: Option<&str>| {
        op.send(
            &Request::new("GET", OWN_API)
                .with_header("authorization", &format!("DPoP {token}"))
                .with_header(
                    "dpop",
                    &dpop_proof(&op, &key, "GET", OWN_API, Some(token), nonce),
                ),
        )
    };
    let first = call(&access, None);
    let api_nonce = first.header("dpop-nonce").unwrap().to_owned();
    let metadata =
        format!("resource_metadata=\"{ISSUER}/.well-known/oauth-protected-resource/api/me\"");
    assert!(
        first
            .header("www-authenticate")
            .unwrap()
            .contains(&metadata),
        "{:?}",
        first.header("www-authenticate")
    );
    let ok = call(&access, Some(&api_nonce));
    assert_eq!(ok.status, 200, "{}", text(&ok));

    let userinfo = op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("DPoP {access}"))
            .with_header(
                "dpop",
                &dpop_proof(
                    &op,
                    &key,
                    "GET",
                    &absolute("/userinfo"),
                    Some(&access),
                    None,
                ),
            ),
    );
    assert_eq!(userinfo.status, 401, "{}", text(&userinfo));

    let metadata_doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/oauth-protected-resource/api/me"),
    )));
    assert_eq!(metadata_doc["resource"], OWN_API);

    // Without credentials, the bare challenge names the metadata too.
    let bare = op.send(&Request::new("GET", OWN_API));
    let challenges: Vec<&str> = bare
        .headers
        .iter()
        .filter(|(name, _)| name == "www-authenticate")
        .map(|(_, value)| value.as_str())
        .collect();
    assert!(!challenges.is_empty());
    assert!(
        challenges.iter().all(|c| c.contains(&metadata)),
        "{challenges:?}"
    );
}

/// A configured resource that is the provider's own API, listed twice, or without scopes is
/// refused at start, as is a format other than `jwt` or `opaque`.
#[test]
fn resource_configuration_rules() {
    use oidc_edge::op::config::Config;
    let refused_at = |resources: Value, path: &str| {
        let mut config = config_json();
        config["resources"] = resources;
        let err = Config::from_json(&config.to_string()).unwrap_err();
        assert_eq!(err.path, path, "{err}");
    };
    refused_at(
        json!([{ "resource": OWN_API, "scopes": ["a"] }]),
        "resources[0].resource",
    );
    refused_at(
        json!([{ "resource": API, "scopes": ["a"] }, { "resource": API, "scopes": ["b"] }]),
        "resources[1].resource",
    );
    refused_at(json!([{ "resource": API }]), "resources[0].scopes");
    refused_at(
        json!([{ "resource": API, "scopes": [] }]),
        "resources[0].scopes",
    );
    refused_at(
        json!([{ "resource": "http://api.example/", "scopes": ["a"] }]),
        "resources[0].resource",
    );
    refused_at(
        json!([{ "resource": "https://api.example/#x", "scopes": ["a"] }]),
        "resources[0].resource",
    );
    refused_at(
        json!([{ "resource": API, "scopes": ["a"], "access_token_format": "reference" }]),
        "resources[0].access_token_format",
    );
    refused_at(
        json!([{ "resource": API, "scopes": ["a"], "access_token_lifetime": 30 }]),
        "resources[0].access_token_lifetime",
    );
    refused_at(
        json!([{ "resource": API, "scopes": ["a"], "extra": 1 }]),
        "resources[0].extra",
    );
}

/// The provider's own API takes every scope, so a token for it and another resource would
/// carry every granted scope to that other one: such a request is `invalid_target`.
#[test]
fn the_providers_own_api_is_never_asked_for_beside_another() {
    let op = op();
    let scope = "openid offline_access api:read api:write";
    assert_error(&tokens(&op, scope, &[API, OWN_API], &[]), "invalid_target");
    // Authorized together, taken one at a time.
    let own = tokens(&op, scope, &[API, OWN_API], &[API]);
    assert_eq!(own.status, 200, "{}", text(&own));
    assert_eq!(
        jwt_payload(body(&own)["access_token"].as_str().unwrap())["scope"],
        "api:read"
    );
}
