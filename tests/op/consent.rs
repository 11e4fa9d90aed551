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
    let allowed = location(&browser.answer_consent(&html, "allow"));
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

/// The consent page for `config`'s THIRD client asking `scope`, after a login: its HTML and
/// its CSP.
fn consent_page_of(op: &Op, scope: &str) -> (String, String) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(THIRD, THIRD_REDIRECT, scope, &[])));
    let to_consent = location(&browser.login(&to_login, "demo", "correct horse"));
    let page = browser.get(&to_consent);
    assert_eq!(page.status, 200, "{}", text(&page));
    let csp = page.header("content-security-policy").unwrap().to_owned();
    (text(&page), csp)
}

/// RFC 7591 §2: what people are shown of a client: its `client_name` beside its
/// `client_id`, its logo (allowed by the CSP for that origin only), links to its
/// `policy_uri` and `tos_uri`; scopes in plain words, configurable, with the scope itself;
/// the provider's own name on the login and consent pages. Everything is escaped.
#[test]
fn consent_shows_who_asks_in_plain_words() {
    let mut config = config_json();
    config["provider_name"] = serde_json::json!("Example <ID>");
    config["scope_descriptions"] = serde_json::json!({ "email": "Read your email address & name" });
    let third = &mut config["clients"][1];
    third["client_name"] = serde_json::json!("Acme <b>Mail</b>");
    third["logo_uri"] = serde_json::json!("https://cdn.acme.example/logo.png");
    third["policy_uri"] = serde_json::json!("https://acme.example/privacy?x=1&y=\"2\"");
    third["tos_uri"] = serde_json::json!("https://acme.example/terms");
    third["scopes"] = serde_json::json!(["openid", "email", "custom:scope"]);
    let op = Op::with_config(config);

    let browser = Browser::new(&op);
    let to_login =
        location(&browser.get(&AuthStart::new().url(THIRD, THIRD_REDIRECT, "openid email", &[])));
    let login = browser.get(&to_login);
    let login_html = text(&login);
    assert!(
        login_html.contains("<h1>Sign in to Example &lt;ID&gt;</h1>"),
        "{login_html}"
    );
    assert!(
        login_html
            .contains("<strong>Acme &lt;b&gt;Mail&lt;/b&gt;</strong> (<code>third-party</code>)")
    );
    assert!(login_html.contains("<title>Sign in · Example &lt;ID&gt;</title>"));
    assert!(
        login
            .header("content-security-policy")
            .unwrap()
            .contains("img-src https://cdn.acme.example;")
    );

    let (html, csp) = consent_page_of(&op, "openid email custom:scope");
    assert!(html.contains("<strong>Acme &lt;b&gt;Mail&lt;/b&gt;</strong> (<code>third-party</code>) asks to use your Example &lt;ID&gt; account to:"), "{html}");
    assert!(html.contains(
        "<img class=\"logo\" src=\"https://cdn.acme.example/logo.png\" alt=\"\" width=\"48\" height=\"48\">"
    ));
    assert!(csp.contains("img-src https://cdn.acme.example;"), "{csp}");
    assert!(!csp.contains("img-src *") && csp.contains("default-src 'none'"));
    // The configured words, the built-in ones, and the bare scope when there are none.
    assert!(html.contains(
        "<li>Read your email address &amp; name <span class=\"scope\">(<code>email</code>)</span></li>"
    ));
    assert!(html.contains("<li>Sign you in and know who you are <span class=\"scope\">(<code>openid</code>)</span></li>"));
    assert!(
        html.contains("<li><code>custom:scope</code></li>"),
        "{html}"
    );
    assert!(html.contains(
        "<a href=\"https://acme.example/privacy?x=1&amp;y=&quot;2&quot;\" rel=\"noopener noreferrer\">Privacy policy</a>"
    ));
    assert!(html.contains(
        "<a href=\"https://acme.example/terms\" rel=\"noopener noreferrer\">Terms of service</a>"
    ));
    assert!(!html.contains("<b>Mail"), "escaped");
}

/// Without the metadata: the client id alone, no image source in the CSP, and the
/// provider named by the issuer's host.
#[test]
fn consent_without_metadata_shows_the_client_id() {
    let op = Op::new();
    let (html, csp) = consent_page_of(&op, "openid email");
    assert!(
        html.contains("<code>third-party</code> asks to use your op.example account to:"),
        "{html}"
    );
    assert!(!html.contains("<img"));
    assert!(!html.contains("Privacy policy"));
    assert!(!csp.contains("img-src"), "{csp}");
}

/// What the configuration refuses of that metadata, naming the field.
#[test]
fn display_metadata_rules() {
    use oidc_edge::op::config::Config;
    let refused_at = |change: &dyn Fn(&mut serde_json::Value), path: &str| {
        let mut config = config_json();
        change(&mut config);
        let err = Config::from_json(&config.to_string()).unwrap_err();
        assert_eq!(err.path, path, "{err}");
    };
    let third = |name: &'static str, value: serde_json::Value| {
        move |c: &mut serde_json::Value| c["clients"][1][name] = value.clone()
    };
    refused_at(
        &third("client_name", serde_json::json!("")),
        "clients[1].client_name",
    );
    refused_at(
        &third("client_name", serde_json::json!("a\nb")),
        "clients[1].client_name",
    );
    refused_at(
        &third("client_name", serde_json::json!(" padded")),
        "clients[1].client_name",
    );
    refused_at(
        &third("client_name", serde_json::json!("x".repeat(101))),
        "clients[1].client_name",
    );
    refused_at(
        &third("logo_uri", serde_json::json!("http://cdn.example/logo.png")),
        "clients[1].logo_uri",
    );
    refused_at(
        &third("logo_uri", serde_json::json!("javascript:alert(1)")),
        "clients[1].logo_uri",
    );
    refused_at(
        &third("policy_uri", serde_json::json!("https://a.example/#top")),
        "clients[1].policy_uri",
    );
    refused_at(
        &third("tos_uri", serde_json::json!(7)),
        "clients[1].tos_uri",
    );
    refused_at(
        &|c| c["provider_name"] = serde_json::json!("\u{7}"),
        "provider_name",
    );
    refused_at(
        &|c| c["scope_descriptions"] = serde_json::json!([]),
        "scope_descriptions",
    );
    refused_at(
        &|c| c["scope_descriptions"] = serde_json::json!({ "bad scope": "x" }),
        "scope_descriptions.bad scope",
    );
    refused_at(
        &|c| c["scope_descriptions"] = serde_json::json!({ "email": "y".repeat(201) }),
        "scope_descriptions.email",
    );
    refused_at(
        &|c| c["scope_descriptions"] = serde_json::json!({ "email": 1 }),
        "scope_descriptions.email",
    );
}

/// OpenID Connect Core §5.5: claims asked for by name are released beyond the scopes', so
/// the consent page lists them and a consent covers them: a later request for a claim not
/// consented to asks again.
#[test]
fn claims_asked_for_by_name_are_consented_to() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let asking = |claims: &str| {
        location(&browser.get(&start.url(THIRD, THIRD_REDIRECT, "openid", &[("claims", claims)])))
    };
    // THIRD may ask for `email` (the scope releasing these claims), so it may ask for them.
    let to_login = asking(r#"{"id_token":{"email":null}}"#);
    let to_consent = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(to_consent.starts_with("/consent?tx="), "{to_consent}");
    let html = text(&browser.get(&to_consent));
    assert!(
        html.contains(
            "<li>Your <code>email</code> <span class=\"scope\">(asked for by name)</span></li>"
        ),
        "{html}"
    );
    let allowed = location(&browser.answer_consent(&html, "allow"));
    assert!(allowed.starts_with(THIRD_REDIRECT), "{allowed}");

    let remembered = asking(r#"{"id_token":{"email":null}}"#);
    assert!(
        remembered.starts_with(THIRD_REDIRECT),
        "consented before: {remembered}"
    );
    let new_claim = asking(r#"{"userinfo":{"email_verified":null}}"#);
    assert!(
        new_claim.starts_with("/consent?tx="),
        "a claim not consented to: {new_claim}"
    );
    let html = text(&browser.get(&new_claim));
    assert!(html.contains("<code>email_verified</code>"), "{html}");
}
