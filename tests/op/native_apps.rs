//! Native apps (RFC 8252; OpenID Connect Registration §2 `application_type`): private-use
//! URI scheme redirects (§7.1) and loopback redirects on any port (§7.3), for configured
//! and self-registered clients, with every other redirect URI still compared exactly.

use oidc_edge::op::Request;
use oidc_edge::op::config::Config;
use serde_json::{Value, json};

use crate::op_support::*;

const NATIVE: &str = "native-app";
const LOOPBACK_V4: &str = "http://127.0.0.1/oauth/callback";
const LOOPBACK_V6: &str = "http://[::1]:8400/oauth/callback";
const PRIVATE_USE: &str = "com.example.app:/oauth2redirect";
const LOCALHOST: &str = "http://localhost:8400/oauth/callback";

/// The test configuration plus a public native app (and `extra` members for it), with
/// registration open.
fn op_with_native(extra: Value) -> Op {
    let mut config = config_json();
    let mut client = json!({
        "client_id": NATIVE, "client_type": "public", "token_endpoint_auth_method": "none",
        "application_type": "native",
        "redirect_uris": [LOOPBACK_V4, LOOPBACK_V6, PRIVATE_USE, LOCALHOST],
        "grant_types": ["authorization_code"], "scopes": ["openid"]
    });
    for (name, value) in extra.as_object().unwrap() {
        client[name] = value.clone();
    }
    config["clients"].as_array_mut().unwrap().push(client);
    config["registration"] = json!({ "enabled": true });
    Op::with_config(config)
}

/// Signs "demo" in for `client_id` with `redirect_uri` and returns where the code went,
/// or the status of the page shown instead.
fn authorize(op: &Op, client_id: &str, redirect_uri: &str) -> Result<(AuthStart, String), u16> {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let first = browser.get(&start.url(client_id, redirect_uri, "openid", &[]));
    if first.status != 303 {
        return Err(first.status);
    }
    let mut back = location(&browser.login(&location(&first), "demo", "correct horse"));
    if back.starts_with("/consent?") {
        let html = text(&browser.get(&back));
        back = location(&browser.answer_consent(&html, "allow"));
    }
    Ok((start, back))
}

/// The status of the page shown instead of a redirect for `redirect_uri`.
fn refused(op: &Op, client_id: &str, redirect_uri: &str) -> u16 {
    match authorize(op, client_id, redirect_uri) {
        Err(status) => status,
        Ok((_, back)) => panic!("{redirect_uri} was accepted: {back}"),
    }
}

fn exchange_at(op: &Op, client_id: &str, start: &AuthStart, code: &str, redirect: &str) -> u16 {
    op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("client_id", client_id),
        ("code_verifier", start.pkce.verifier.expose()),
    ]))
    .status
}

/// RFC 8252 §7.3: "The authorization server MUST allow any port to be specified at the
/// time of the request for loopback IP redirect URIs". The code goes to the port asked for,
/// and the token request must name that same URI (RFC 6749 §4.1.3).
#[test]
fn a_loopback_ip_redirect_matches_on_any_port() {
    let op = op_with_native(json!({}));
    for requested in [
        "http://127.0.0.1:51004/oauth/callback",
        "http://127.0.0.1/oauth/callback",
        "http://[::1]:61023/oauth/callback",
    ] {
        let (start, back) = authorize(&op, NATIVE, requested).unwrap();
        assert!(back.starts_with(&format!("{requested}?")), "{back}");
        let code = redirect_params(&back).get("code").unwrap().to_owned();
        let other_port = requested
            .replace("51004", "51005")
            .replace("61023", "61024");
        if other_port != requested {
            assert_eq!(exchange_at(&op, NATIVE, &start, &code, &other_port), 400);
        }
        assert_eq!(exchange_at(&op, NATIVE, &start, &code, requested), 200);
    }
}

/// Only the port is free: the scheme, the address, the path and the query are compared
/// exactly; `localhost` is a name (§8.3) and is compared exactly, port included.
#[test]
fn only_the_port_of_a_loopback_ip_is_free() {
    let op = op_with_native(json!({}));
    for uri in [
        "http://127.0.0.1:51004/oauth/callback/",
        "http://127.0.0.1:51004/oauth/other",
        "http://127.0.0.1:51004/oauth/callback?x=1",
        "http://127.0.0.2:51004/oauth/callback",
        "https://127.0.0.1:51004/oauth/callback",
        "http://[::1]:61023/oauth/Callback",
        "http://localhost:9999/oauth/callback",
        "http://localhost/oauth/callback",
        "com.example.app:/oauth2redirect/more",
    ] {
        assert_eq!(refused(&op, NATIVE, uri), 400, "{uri}");
    }
    let (_, back) = authorize(&op, NATIVE, LOCALHOST).unwrap();
    assert!(back.starts_with(&format!("{LOCALHOST}?")), "{back}");
}

/// RFC 9700 §2.1: a web client's redirect URIs are compared exactly, loopback ones too.
#[test]
fn a_web_client_has_no_free_port() {
    let op = op_with_native(json!({ "client_id": "web-app", "application_type": "web",
        "redirect_uris": [LOOPBACK_V4] }));
    assert_eq!(
        refused(&op, "web-app", "http://127.0.0.1:51004/oauth/callback"),
        400
    );
    let (_, back) = authorize(&op, "web-app", LOOPBACK_V4).unwrap();
    assert!(back.starts_with(&format!("{LOOPBACK_V4}?")), "{back}");
}

/// RFC 8252 §7.1: the app's private-use scheme gets the code like any redirect URI.
#[test]
fn a_private_use_scheme_gets_the_code() {
    let op = op_with_native(json!({}));
    let (start, back) = authorize(&op, NATIVE, PRIVATE_USE).unwrap();
    assert!(back.starts_with(&format!("{PRIVATE_USE}?")), "{back}");
    let params = redirect_params(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert_eq!(params.get("iss"), Some(ISSUER));
    let code = params.get("code").unwrap().to_owned();
    assert_eq!(exchange_at(&op, NATIVE, &start, &code, PRIVATE_USE), 200);
}

/// RFC 8252 §7.1: a private-use scheme is a domain name in reverse order; one without a
/// period ("myapp") is not, and neither is any scheme a browser itself acts on. A web
/// client may have none (OpenID Connect Registration §2).
#[test]
fn only_native_apps_have_reverse_domain_schemes() {
    let config = |application_type: &str, uri: &str| {
        let mut config = config_json();
        config["clients"].as_array_mut().unwrap().push(json!({
            "client_id": "app", "client_type": "public", "token_endpoint_auth_method": "none",
            "application_type": application_type, "redirect_uris": [uri],
            "grant_types": ["authorization_code"], "scopes": ["openid"]
        }));
        Config::from_json(&config.to_string())
    };
    for accepted in [
        "com.example.app:/oauth2redirect",
        "com.example.app://callback",
        "net.example-app+v2.x:/cb?mode=1",
    ] {
        assert!(config("native", accepted).is_ok(), "{accepted}");
        let err = config("web", accepted).unwrap_err();
        assert_eq!(err.path, "clients[3].redirect_uris[0]", "{accepted}");
    }
    for refused in [
        "myapp:/callback",
        "javascript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "com.example.app:",
        ".example:/cb",
        "example.:/cb",
        "1com.example:/cb",
        "com.example.app:/cb#frag",
        "com.example.app:/c b",
        "http://app.example/cb",
        "HTTP://127.0.0.1/cb",
    ] {
        assert!(config("native", refused).is_err(), "{refused}");
    }
    let err = config("desktop", "https://app.example/cb").unwrap_err();
    assert_eq!(err.path, "clients[3].application_type");
}

fn register(op: &Op, metadata: &Value) -> oidc_edge::op::Response {
    let mut req = Request::new("POST", &absolute("/register"))
        .with_header("content-type", "application/json")
        .with_header("cf-connecting-ip", "203.0.113.9");
    req.body = metadata.to_string().into_bytes();
    op.send(&req)
}

/// RFC 7591 §2 with OpenID Connect Registration §2: a native app registers itself with a
/// loopback redirect and a private-use one, and signs in on the port it has today; the
/// answer says what it was registered as, `web` when it did not say.
#[test]
fn a_registered_native_app_signs_in_on_any_port() {
    let op = op_with_native(json!({}));
    let registered = register(
        &op,
        &json!({ "application_type": "native", "token_endpoint_auth_method": "none",
                 "redirect_uris": ["http://127.0.0.1/callback", "org.example.tool:/callback"] }),
    );
    assert_eq!(registered.status, 201, "{}", text(&registered));
    let answer = body(&registered);
    assert_eq!(answer["application_type"], "native");
    let client_id = answer["client_id"].as_str().unwrap().to_owned();
    let requested = "http://127.0.0.1:49152/callback";
    let (start, back) = authorize(&op, &client_id, requested).unwrap();
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    assert_eq!(exchange_at(&op, &client_id, &start, &code, requested), 200);

    let web = register(
        &op,
        &json!({ "token_endpoint_auth_method": "none",
                 "redirect_uris": ["org.example.tool:/callback"] }),
    );
    assert_eq!(web.status, 400);
    assert_eq!(body(&web)["error"], "invalid_redirect_uri");
    let plain = register(
        &op,
        &json!({ "token_endpoint_auth_method": "none",
                 "redirect_uris": ["https://tool.example/callback"] }),
    );
    assert_eq!(body(&plain)["application_type"], "web");
}

/// RFC 8252 §8.6: another app on the device can claim a native app's scheme or port and
/// ask in its name, so a consent given before is not taken as given again: the user is
/// asked each time, and `prompt=none` is `consent_required`.
#[test]
fn a_native_app_is_asked_for_consent_every_time() {
    let op = op_with_native(json!({}));
    let browser = Browser::new(&op);
    let ask = |extra: &[(&str, &str)]| {
        let start = AuthStart::new();
        location(&browser.get(&start.url(NATIVE, LOOPBACK_V4, "openid", extra)))
    };
    let to_login = ask(&[]);
    let to_consent = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(to_consent.starts_with("/consent?"), "{to_consent}");
    let html = text(&browser.get(&to_consent));
    let back = location(&browser.answer_consent(&html, "allow"));
    assert!(redirect_params(&back).get("code").is_some(), "{back}");
    // Signed in and consented: asked again all the same.
    assert!(ask(&[]).starts_with("/consent?"));
    let none = ask(&[("prompt", "none")]);
    assert_eq!(
        redirect_params(&none).get("error"),
        Some("consent_required"),
        "{none}"
    );

    // A web client's consent is remembered.
    let op = op_with_native(json!({ "client_id": "web-app", "application_type": "web",
        "redirect_uris": [LOOPBACK_V4] }));
    let (_, back) = authorize(&op, "web-app", LOOPBACK_V4).unwrap();
    assert!(redirect_params(&back).get("code").is_some());
}

/// The pages whose form ends in a redirect to a private-use scheme allow that scheme in
/// `form-action` (browsers check the redirect after a POST), and nothing more of the URI;
/// `form_post` cannot post to an app's scheme and is refused, the error going by query.
#[test]
fn forms_may_end_at_the_apps_scheme() {
    let op = op_with_native(json!({}));
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(NATIVE, PRIVATE_USE, "openid", &[])));
    let login = browser.get(&to_login);
    let csp = login.header("content-security-policy").unwrap().to_owned();
    assert!(
        csp.contains("form-action 'self' com.example.app:;"),
        "{csp}"
    );
    let to_consent = location(&browser.login(&to_login, "demo", "correct horse"));
    let consent = browser.get(&to_consent);
    let csp = consent.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' com.example.app:;"),
        "{csp}"
    );

    let start = AuthStart::new();
    let refused = location(&browser.get(&start.url(
        NATIVE,
        PRIVATE_USE,
        "openid",
        &[("response_mode", "form_post")],
    )));
    assert!(refused.starts_with(&format!("{PRIVATE_USE}?")), "{refused}");
    let params = redirect_params(&refused);
    assert_eq!(params.get("error"), Some("invalid_request"));
    assert_eq!(params.get("state"), Some(start.state.as_str()));
}
