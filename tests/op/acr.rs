//! The Authentication Context Class Reference (OpenID Connect Core §2 `acr`): in every ID
//! token, the class a password sign-in meets (`password_acr`); `acr_values` are voluntary
//! (§3.1.2.1); `acr` asked for as an Essential Claim that cannot be met is a failed
//! authentication (§5.5.1.1).

use oidc_edge::jose::CompactJws;
use oidc_edge::op::Request;
use serde_json::{Value, json};

use crate::op_support::*;

fn id_token_claims(tokens: &Value) -> Value {
    let jws = CompactJws::parse(tokens["id_token"].as_str().unwrap()).unwrap();
    serde_json::from_slice(jws.payload()).unwrap()
}

/// The location `/authorize` sends the signed-in browser to with `extra` parameters.
fn authorize(op: &Op, extra: &[(&str, &str)]) -> (AuthStart, String) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", extra)));
    if !to_login.starts_with("/login") {
        return (start, to_login);
    }
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    (start, back)
}

/// §2: `acr` is in every ID token, the default class or the configured one; discovery lists
/// it (Discovery §3 `acr_values_supported`, `claims_supported`).
#[test]
fn every_id_token_names_the_context_class() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid");
    assert_eq!(
        id_token_claims(&body(&exchange(&op, &start, &code)))["acr"],
        "1"
    );
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert_eq!(doc["acr_values_supported"], json!(["1"]));
    assert!(
        doc["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("acr"))
    );

    let mut config = config_json();
    config["password_acr"] = json!("urn:example:loa:password");
    let op = Op::with_config(config);
    let (_b, start, code) = sign_in(&op, "openid");
    assert_eq!(
        id_token_claims(&body(&exchange(&op, &start, &code)))["acr"],
        "urn:example:loa:password"
    );
}

/// §3.1.2.1: `acr_values` are voluntary: asked for a class the sign-in does not meet, the
/// provider still answers, with the class it met. Malformed ones are `invalid_request`.
#[test]
fn acr_values_are_voluntary() {
    let op = Op::new();
    let (start, back) = authorize(&op, &[("acr_values", "urn:example:mfa 1")]);
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    assert_eq!(
        id_token_claims(&body(&exchange(&op, &start, &code)))["acr"],
        "1"
    );
    let (_start, back) = authorize(&op, &[("acr_values", "urn:example:mfa")]);
    assert!(redirect_params(&back).get("code").is_some(), "{back}");
    let (_start, back) = authorize(&op, &[("acr_values", "a  b")]);
    assert_eq!(redirect_params(&back).get("error"), Some("invalid_request"));
}

/// §5.5.1.1: `acr` as an Essential Claim: met, the flow goes on; not met, the request fails
/// as a failed authentication (`access_denied`), before any sign-in.
#[test]
fn an_essential_acr_must_be_met() {
    let op = Op::new();
    let met = r#"{"id_token":{"acr":{"essential":true,"values":["urn:example:mfa","1"]}}}"#;
    let (start, back) = authorize(&op, &[("claims", met)]);
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    assert_eq!(
        id_token_claims(&body(&exchange(&op, &start, &code)))["acr"],
        "1"
    );

    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let unmet = r#"{"id_token":{"acr":{"essential":true,"value":"urn:example:mfa"}}}"#;
    let back =
        location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("claims", unmet)])));
    let params = redirect_params(&back);
    assert_eq!(params.get("error"), Some("access_denied"), "{back}");
    assert_eq!(params.get("state"), Some(start.state.as_str()));

    // Not essential: voluntary, like acr_values.
    let voluntary = r#"{"id_token":{"acr":{"values":["urn:example:mfa"]}}}"#;
    let (_start, back) = authorize(&op, &[("claims", voluntary)]);
    assert!(redirect_params(&back).get("code").is_some(), "{back}");
}

/// `password_acr` is one visible-ASCII token.
#[test]
fn password_acr_rules() {
    use oidc_edge::op::config::Config;
    for bad in [
        json!(""),
        json!("two words"),
        json!(1),
        json!("x".repeat(256)),
    ] {
        let mut config = config_json();
        config["password_acr"] = bad.clone();
        let err = Config::from_json(&config.to_string()).unwrap_err();
        assert_eq!(err.path, "password_acr", "{bad}: {err}");
    }
}
