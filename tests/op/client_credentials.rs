//! The `client_credentials` grant (RFC 6749 §4.4) and client authentication (§2.3).

use crate::op_support::*;

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
