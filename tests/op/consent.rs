//! The consent page: the client's name and scopes, CSRF, allow and deny.

use crate::op_support::*;

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
