//! Dynamic client registration (RFC 7591) and its management (RFC 7592): `/register` and
//! `/register/<client_id>`, the rules a client that registers itself is held to (the same
//! validator as configured clients, with what only the operator may grant refused), the
//! initial access token, the per-address limit, and registered clients at every endpoint.

use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::Request;
use oidc_edge::op::clients::registered::LIFETIME;
use oidc_edge::op::config::Config;
use oidc_edge::op::password::PasswordHash;
use oidc_edge::store::Records;
use serde_json::{Value, json};

use crate::op_support::*;

const APP_REDIRECT: &str = "https://app.example/callback";
const API: &str = "https://api.example/";
const INITIAL_TOKEN: &str = "initial-access-token-0123456789abcdefghij";
const ADDRESS: &str = "203.0.113.7";

/// The test configuration with registration on (and `extra` members in `registration`),
/// and one API whose scopes registered clients may ask for.
fn op_with(extra: Value) -> Op {
    let mut config = config_json();
    let mut registration = json!({ "enabled": true });
    for (name, value) in extra.as_object().unwrap() {
        registration[name] = value.clone();
    }
    config["registration"] = registration;
    config["resources"] = json!([{ "resource": API, "scopes": ["api:read"] }]);
    Op::with_config(config)
}

fn open_op() -> Op {
    op_with(json!({}))
}

fn op_with_initial_token() -> Op {
    let hash = PasswordHash::create(INITIAL_TOKEN.as_bytes(), 1_000).unwrap();
    op_with(json!({ "initial_access_token_hash": hash.to_string() }))
}

/// A JSON request to `path` with `method`, from [`ADDRESS`].
fn json_request(method: &str, path: &str, body: &Value) -> Request {
    json_request_from(method, path, body, ADDRESS)
}

/// A JSON request to `path` with `method`, from `address` (`CF-Connecting-IP`).
fn json_request_from(method: &str, path: &str, body: &Value, address: &str) -> Request {
    let mut req = Request::new(method, &absolute(path))
        .with_header("content-type", "application/json")
        .with_header("cf-connecting-ip", address);
    req.body = body.to_string().into_bytes();
    req
}

fn register(op: &Op, metadata: &Value) -> oidc_edge::op::Response {
    op.send(&json_request("POST", "/register", metadata))
}

/// Registers `metadata` from the `n`th of many addresses: for tests that register more
/// often than one address may.
fn register_from(op: &Op, metadata: &Value, n: usize) -> oidc_edge::op::Response {
    op.send(&json_request_from(
        "POST",
        "/register",
        metadata,
        &format!("198.51.100.{n}"),
    ))
}

/// Registers `metadata`, which must succeed; the answer's members.
fn registered(op: &Op, metadata: &Value) -> Value {
    let answer = register(op, metadata);
    assert_eq!(answer.status, 201, "{}", text(&answer));
    body(&answer)
}

fn spa_metadata() -> Value {
    json!({
        "redirect_uris": [APP_REDIRECT],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "client_name": "Registered App",
        "scope": "openid email offline_access"
    })
}

/// `(status, error, error_description)` of an answer.
fn error_of(answer: &oidc_edge::op::Response) -> (u16, String, String) {
    let json = body(answer);
    (
        answer.status,
        json["error"].as_str().unwrap_or_default().to_owned(),
        json["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// The client configuration endpoint of `client_id` with `token` (RFC 7592 §2).
fn manage(
    op: &Op,
    method: &str,
    client_id: &str,
    token: Option<&str>,
    body: &Value,
) -> oidc_edge::op::Response {
    op.send(&management_request(method, client_id, token, body))
}

/// A request to `/register/<client_id>` with `token` as its Bearer token.
fn management_request(method: &str, client_id: &str, token: Option<&str>, body: &Value) -> Request {
    let req = json_request(method, &format!("/register/{client_id}"), body);
    match token {
        Some(token) => req.with_header("authorization", &format!("Bearer {token}")),
        None => req,
    }
}

/// RFC 7592 §2.1-2.3: refused as a token not valid for the client.
#[track_caller]
fn assert_invalid_token(answer: &oidc_edge::op::Response) {
    assert_eq!(
        (answer.status, error_of(answer).1.as_str()),
        (401, "invalid_token"),
        "{}",
        text(answer)
    );
}

/// Walks a code flow for `client_id` as user "demo", consenting; the code.
fn code_for(browser: &Browser<'_>, start: &AuthStart, client_id: &str, scope: &str) -> String {
    let first = location(&browser.get(&start.url(client_id, APP_REDIRECT, scope, &[])));
    // Signed in and consented before: straight back to the client.
    let after_login = if first.starts_with("/login") {
        location(&browser.login(&first, "demo", "correct horse"))
    } else {
        first
    };
    let back = if after_login.starts_with("/consent") {
        let html = text(&browser.get(&after_login));
        assert!(
            html.contains("registered itself"),
            "the consent page says the client registered itself: {html}"
        );
        location(&browser.answer_consent(&html, "allow"))
    } else {
        after_login
    };
    assert!(back.starts_with(APP_REDIRECT), "{back}");
    redirect_params(&back).get("code").unwrap().to_owned()
}

/// RFC 8414 §2 / RFC 7591 §3: the endpoint exists, and is advertised, only when enabled.
#[test]
fn registration_is_served_and_advertised_only_when_enabled() {
    let off = Op::new();
    let discovery = body(&off.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert!(discovery.get("registration_endpoint").is_none());
    assert_eq!(register(&off, &spa_metadata()).status, 404);
    assert_eq!(
        manage(&off, "GET", "abcdefghijklmnopqrstuv", Some("x"), &json!({})).status,
        404
    );

    let on = open_op();
    let discovery = body(&on.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert_eq!(
        discovery["registration_endpoint"],
        format!("{ISSUER}/register")
    );
    for method in [
        "none",
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ] {
        assert!(
            discovery["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(method)),
            "{method}"
        );
    }
    assert!(
        discovery["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("api:read"))
    );
}

/// RFC 7591 §3.1, §3.2.1: a public client registers (201, never cached, every default made
/// explicit, a registration access token and URI, no secret) and completes a code flow
/// with PKCE, consent included, and a refresh.
#[test]
fn a_registered_public_client_completes_a_code_flow_with_pkce() {
    let op = open_op();
    let answer = register(&op, &spa_metadata());
    assert_eq!(answer.status, 201, "{}", text(&answer));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let client = body(&answer);
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    assert_eq!(client_id.len(), 22, "128 random bits");
    assert_eq!(client["client_id_issued_at"], op.now());
    assert!(
        client.get("client_secret").is_none() && client.get("client_secret_expires_at").is_none()
    );
    assert_eq!(
        client["registration_client_uri"],
        format!("{ISSUER}/register/{client_id}")
    );
    assert_eq!(
        client["registration_access_token"].as_str().unwrap().len(),
        43
    );
    assert_eq!(client["token_endpoint_auth_method"], "none");
    assert_eq!(client["response_types"], json!(["code"]));
    assert_eq!(
        client["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(client["scope"], "openid email offline_access");
    assert_eq!(client["client_name"], "Registered App");

    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let code = code_for(&browser, &start, &client_id, "openid email offline_access");
    // RFC 7636 §4.5: the verifier is required.
    let without_verifier = op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", APP_REDIRECT),
        ("client_id", &client_id),
    ]));
    assert_eq!(without_verifier.status, 400);
    let code = code_for(&browser, &start, &client_id, "openid email offline_access");
    let tokens = op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", APP_REDIRECT),
        ("client_id", &client_id),
        ("code_verifier", start.pkce.verifier.expose()),
    ]));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let tokens = body(&tokens);
    let id_token =
        oidc_edge::jose::CompactJws::parse(tokens["id_token"].as_str().unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(id_token.payload()).unwrap();
    assert_eq!(claims["aud"], client_id);
    let refreshed = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", &client_id),
    ]));
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    let userinfo = op.send(&Request::new("GET", &absolute("/userinfo")).with_header(
        "authorization",
        &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
    ));
    assert_eq!(userinfo.status, 200, "{}", text(&userinfo));
}

/// RFC 7591 §3: with an initial access token configured, registration needs it as a Bearer
/// token (RFC 6750 §3.1: 401 `invalid_token`, with a challenge); with it, a confidential
/// client gets a secret once (§3.2.1, with `client_secret_expires_at`) and may use
/// `client_credentials` (RFC 6749 §4.4).
#[test]
fn the_initial_access_token_is_required_and_grants_client_credentials() {
    let op = op_with_initial_token();
    let metadata = json!({ "grant_types": ["client_credentials"], "scope": "api:read", "client_name": "Batch" });
    let missing = register(&op, &metadata);
    assert_eq!(error_of(&missing).0, 401);
    assert_eq!(error_of(&missing).1, "invalid_token");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let wrong = op.send(&json_request("POST", "/register", &metadata).with_header(
        "authorization",
        "Bearer initial-access-token-0123456789abcdefghiX",
    ));
    assert_eq!(error_of(&wrong).0, 401);
    assert!(
        wrong
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );

    let answer = op.send(
        &json_request("POST", "/register", &metadata)
            .with_header("authorization", &format!("Bearer {INITIAL_TOKEN}")),
    );
    assert_eq!(answer.status, 201, "{}", text(&answer));
    let client = body(&answer);
    assert_eq!(
        client["token_endpoint_auth_method"], "client_secret_basic",
        "RFC 7591 §2 default"
    );
    assert_eq!(client["response_types"], json!([]));
    let secret = client["client_secret"].as_str().unwrap();
    assert_eq!(
        client["client_secret_expires_at"],
        op.now() + i64::try_from(LIFETIME).unwrap()
    );
    let client_id = client["client_id"].as_str().unwrap();
    let token = op.send(
        &token_request(&[("grant_type", "client_credentials")])
            .with_header("authorization", &basic(client_id, secret)),
    );
    assert_eq!(token.status, 200, "{}", text(&token));
    assert_eq!(body(&token)["scope"], "api:read");
    let wrong_secret = op.send(
        &token_request(&[("grant_type", "client_credentials")])
            .with_header("authorization", &basic(client_id, "not-the-secret")),
    );
    assert_eq!(wrong_secret.status, 401);
    // The secret is shown once: reading the registration does not repeat it. The
    // registration access token is part of the client information response (RFC 7592 §3,
    // REQUIRED): the one presented.
    let read = body(&manage(
        &op,
        "GET",
        client_id,
        client["registration_access_token"].as_str(),
        &json!({}),
    ));
    assert!(read.get("client_secret").is_none());
    assert_eq!(
        read["registration_access_token"],
        client["registration_access_token"]
    );
    assert_eq!(
        read["client_secret_expires_at"],
        client["client_secret_expires_at"]
    );
}

/// An update never adds `client_credentials`: a client registered openly, before the
/// operator required an initial access token, cannot grant itself tokens with no user by an
/// update (authorised by its registration access token alone) once the operator has. One
/// registered with the initial access token keeps the grant through an update.
#[test]
fn an_update_never_adds_client_credentials() {
    let mut config = config_json();
    config["registration"] = json!({ "enabled": true });
    config["resources"] = json!([{ "resource": API, "scopes": ["api:read"] }]);
    let op = Op::with_config(config.clone());
    let client = registered(
        &op,
        &json!({ "grant_types": ["authorization_code"], "redirect_uris": [APP_REDIRECT], "scope": "api:read" }),
    );
    let id = client["client_id"].as_str().unwrap();
    let token = client["registration_access_token"].as_str().unwrap();
    let hash = PasswordHash::create(INITIAL_TOKEN.as_bytes(), 1_000).unwrap();
    config["registration"]["initial_access_token_hash"] = json!(hash.to_string());
    op.deploy_config(config);
    let to_client_credentials =
        json!({ "client_id": id, "grant_types": ["client_credentials"], "scope": "api:read" });
    let (status, error, description) =
        error_of(&manage(&op, "PUT", id, Some(token), &to_client_credentials));
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(description.starts_with("grant_types[0]:"), "{description}");
    let secret = client["client_secret"].as_str().unwrap();
    let refused = op.send(
        &token_request(&[("grant_type", "client_credentials")])
            .with_header("authorization", &basic(id, secret)),
    );
    assert_eq!(refused.status, 400, "{}", text(&refused));

    // Registered with the initial access token: an update keeps the grant.
    let batch = body(
        &op.send(
            &json_request(
                "POST",
                "/register",
                &json!({ "grant_types": ["client_credentials"], "scope": "api:read" }),
            )
            .with_header("authorization", &format!("Bearer {INITIAL_TOKEN}")),
        ),
    );
    let batch_id = batch["client_id"].as_str().unwrap();
    let kept = manage(
        &op,
        "PUT",
        batch_id,
        batch["registration_access_token"].as_str(),
        &json!({ "client_id": batch_id, "grant_types": ["client_credentials"], "scope": "api:read", "client_name": "Batch" }),
    );
    assert_eq!(kept.status, 200, "{}", text(&kept));
    assert_eq!(body(&kept)["grant_types"], json!(["client_credentials"]));
}

/// Open registration never grants tokens without a user: anyone could register for them.
#[test]
fn open_registration_refuses_client_credentials() {
    let op = open_op();
    let (status, error, description) = error_of(&register(
        &op,
        &json!({ "grant_types": ["client_credentials"], "scope": "api:read" }),
    ));
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(description.starts_with("grant_types[0]:"), "{description}");
}

/// RFC 7591 §3.2.2 `invalid_redirect_uri`, by the rules of configured clients: exact URIs,
/// no fragment, https (http only on a loopback host, RFC 8252 §7.3), no custom scheme.
#[test]
fn redirect_uris_are_checked_as_configured_ones_are() {
    let op = open_op();
    for (uris, field) in [
        (json!(["https://app.example/cb#frag"]), "redirect_uris[0]"),
        (json!(["http://app.example/cb"]), "redirect_uris[0]"),
        (json!(["com.example.app:/callback"]), "redirect_uris[0]"),
        (
            json!(["https://app.example/cb", "javascript:alert(1)"]),
            "redirect_uris[1]",
        ),
        (json!(["https://user@app.example/cb"]), "redirect_uris[0]"),
        (json!([]), "redirect_uris"),
        (json!("https://app.example/cb"), "redirect_uris"),
    ] {
        let answer = register(
            &op,
            &json!({ "redirect_uris": uris, "token_endpoint_auth_method": "none" }),
        );
        let (status, error, description) = error_of(&answer);
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_redirect_uri"),
            "{uris}: {description}"
        );
        assert!(
            description.starts_with(&format!("{field}:")),
            "{uris}: {description}"
        );
    }
    let missing = error_of(&register(
        &op,
        &json!({ "token_endpoint_auth_method": "none" }),
    ));
    assert_eq!(
        missing.1, "invalid_redirect_uri",
        "authorization_code needs a redirect URI"
    );
    registered(
        &op,
        &json!({ "redirect_uris": ["http://localhost:5173/cb", "http://127.0.0.1:8080/cb"], "token_endpoint_auth_method": "none" }),
    );
}

/// RFC 7591 §3.2.2 `invalid_client_metadata`: every other field, each error naming it.
#[test]
fn every_other_metadata_error_is_invalid_client_metadata() {
    let op = open_op();
    let private_jwk = json!({ "keys": [{ "kty": "EC", "crv": "P-256", "kid": "k", "x": "ulRC7mqY_KADUYmu-fbLt14WbbdvAHplBZTD1Z6lSKI", "y": "8EAmvC5hJUEmvNvwXqqUjqHFinhyxnQbfkf6-lLgXCs", "d": "AAAA" }] });
    let cases = [
        (
            json!({ "token_endpoint_auth_method": "client_secret_jwt" }),
            "token_endpoint_auth_method",
        ),
        (
            json!({ "token_endpoint_auth_method": "tls_client_auth" }),
            "tls_client_auth_subject_dn",
        ),
        (
            json!({ "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=a, O=b" }),
            "tls_client_auth_subject_dn",
        ),
        (
            json!({ "token_endpoint_auth_method": "self_signed_tls_client_auth" }),
            "jwks",
        ),
        (
            json!({ "token_endpoint_auth_method": 7 }),
            "token_endpoint_auth_method",
        ),
        (json!({ "grant_types": ["implicit"] }), "grant_types[0]"),
        (json!({ "grant_types": ["refresh_token"] }), "grant_types"),
        (json!({ "response_types": ["token"] }), "response_types[0]"),
        (json!({ "response_types": "code" }), "response_types"),
        (json!({ "response_types": [] }), "grant_types"),
        (json!({ "scope": "admin root" }), "scope"),
        (json!({ "scope": ["openid"] }), "scope"),
        (
            json!({ "logo_uri": "http://app.example/logo.png" }),
            "logo_uri",
        ),
        (json!({ "client_name": "x".repeat(101) }), "client_name"),
        (json!({ "client_name": "two\nlines" }), "client_name"),
        (json!({ "jwks": private_jwk }), "jwks.keys[0].d"),
        (
            json!({ "token_endpoint_auth_method": "private_key_jwt" }),
            "jwks",
        ),
        (
            json!({ "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://10.0.0.8/jwks" }),
            "jwks_uri",
        ),
        (
            json!({ "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://localhost/jwks" }),
            "jwks_uri",
        ),
        (
            json!({ "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://169.254.169.254/latest" }),
            "jwks_uri",
        ),
        (
            json!({ "backchannel_logout_uri": "https://192.168.0.1/logout" }),
            "backchannel_logout_uri",
        ),
        (
            json!({ "backchannel_logout_uri": "http://localhost/logout" }),
            "backchannel_logout_uri",
        ),
        (
            json!({ "id_token_signed_response_alg": "PS256" }),
            "id_token_signed_response_alg",
        ),
        (
            json!({ "id_token_signed_response_alg": "none" }),
            "id_token_signed_response_alg",
        ),
        (
            json!({ "dpop_bound_access_tokens": "yes" }),
            "dpop_bound_access_tokens",
        ),
    ];
    for (i, (extra, field)) in cases.into_iter().enumerate() {
        let mut metadata = json!({ "redirect_uris": [APP_REDIRECT] });
        for (name, value) in extra.as_object().unwrap() {
            metadata[name] = value.clone();
        }
        let (status, error, description) = error_of(&register_from(&op, &metadata, i));
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_client_metadata"),
            "{extra}: {description}"
        );
        assert!(
            description.starts_with(&format!("{field}:")),
            "{extra}: {description}"
        );
    }
    // Not JSON, or not declared as JSON.
    let mut not_json = json_request("POST", "/register", &json!({}));
    not_json.body = b"redirect_uris=https://app.example/cb".to_vec();
    assert_eq!(error_of(&op.send(&not_json)).1, "invalid_client_metadata");
    let form =
        Request::new("POST", &absolute("/register")).with_form(&[("redirect_uris", APP_REDIRECT)]);
    assert_eq!(error_of(&op.send(&form)).1, "invalid_client_metadata");
    let mut repeated = json_request("POST", "/register", &json!({}));
    repeated.body = br#"{"client_name":"a","client_name":"b","redirect_uris":["https://app.example/callback"]}"#.to_vec();
    assert_eq!(error_of(&op.send(&repeated)).1, "invalid_client_metadata");
}

/// What only the operator may grant is not the client's to claim: being first-party
/// (consent implied), CORS origins, a secret's hash, the token format, a security profile,
/// its own `client_id` or secret. None is registry metadata this provider reads from a
/// client, so each is ignored (RFC 7591 §2), never echoed, and never applied.
#[test]
fn a_registered_client_cannot_claim_what_only_the_operator_grants() {
    let op = open_op();
    let mut metadata = spa_metadata();
    for (name, value) in [
        ("first_party", json!(true)),
        ("allowed_origins", json!(["https://claimed.example"])),
        (
            "client_secret_hash",
            json!(
                "$pbkdf2-sha256$i=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            ),
        ),
        ("access_token_format", json!("opaque")),
        ("profile", json!("fapi2")),
        ("client_id", json!(SPA)),
        ("client_secret", json!("chosen")),
        ("software_id", json!("x")),
        ("contacts", json!(["a@example.com"])),
    ] {
        metadata[name] = value;
    }
    let client = registered(&op, &metadata);
    for name in [
        "first_party",
        "allowed_origins",
        "client_secret_hash",
        "access_token_format",
        "profile",
        "client_secret",
        "software_id",
        "contacts",
    ] {
        assert!(client.get(name).is_none(), "{name} echoed: {client}");
    }
    assert_ne!(client["client_id"], SPA);
    let client_id = client["client_id"].as_str().unwrap();
    // Not first-party: the consent page is shown (code_for asserts it says who registered).
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let code = code_for(&browser, &start, client_id, "openid email");
    let tokens = body(&op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", APP_REDIRECT),
        ("client_id", client_id),
        ("code_verifier", start.pkce.verifier.expose()),
    ])));
    assert_eq!(
        tokens["access_token"].as_str().unwrap().split('.').count(),
        3,
        "a JWT, not the opaque format it asked for"
    );
    // Its CORS origins are those of its redirect URIs (tests/op/cors.rs), not the ones it
    // claimed.
    let claimed = op.send(
        &token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", client_id),
        ])
        .with_header("origin", "https://claimed.example"),
    );
    assert_eq!(error_of(&claimed).1, "invalid_request");
}

/// RFC 7591 §3.2.1: scopes the provider does not offer to registered clients are left out
/// of what is registered, and the answer says what was; with none left, an error.
#[test]
fn scopes_not_offered_are_left_out() {
    let op = open_op();
    let mut metadata = spa_metadata();
    metadata["scope"] = json!("openid admin api:read openid");
    let client = registered(&op, &metadata);
    assert_eq!(client["scope"], "openid api:read");
    metadata.as_object_mut().unwrap().remove("scope");
    let all = registered(&op, &metadata);
    assert_eq!(
        all["scope"],
        "openid profile email address phone offline_access api:read"
    );
    // At /authorize, a scope not registered is invalid_scope.
    let client_id = client["client_id"].as_str().unwrap();
    let browser = Browser::new(&op);
    let refused =
        location(&browser.get(&AuthStart::new().url(client_id, APP_REDIRECT, "openid email", &[])));
    assert_eq!(
        redirect_params(&refused).get("error"),
        Some("invalid_scope")
    );
}

/// Bodies over 16 KiB are refused before they are parsed.
#[test]
fn oversized_metadata_is_refused() {
    let op = open_op();
    let mut metadata = spa_metadata();
    metadata["client_name"] = json!("n");
    metadata["padding"] = json!("x".repeat(16 * 1024));
    let answer = register(&op, &metadata);
    assert_eq!(answer.status, 413);
    assert_eq!(error_of(&answer).1, "invalid_client_metadata");
}

/// Each address may try 20 registrations an hour (counted before anything else, so
/// guesses at the initial access token count too); past it 429 with `Retry-After`
/// (RFC 6585 §4). Another address, or the next window, is not held back.
#[test]
fn registrations_per_address_are_limited() {
    let op = op_with_initial_token();
    // Windows start at multiples of an hour: start at the beginning of one.
    op.advance(3600 - op.now().rem_euclid(3600));
    let with_token = |address: &str| {
        op.send(
            &json_request_from("POST", "/register", &spa_metadata(), address)
                .with_header("authorization", &format!("Bearer {INITIAL_TOKEN}")),
        )
    };
    // A wrong token counts as an attempt.
    let guess = op.send(
        &json_request("POST", "/register", &spa_metadata())
            .with_header("authorization", "Bearer guess"),
    );
    assert_eq!(guess.status, 401);
    for i in 1..20 {
        let answer = with_token(ADDRESS);
        assert_eq!(answer.status, 201, "attempt {i}: {}", text(&answer));
    }
    let refused = with_token(ADDRESS);
    assert_eq!(refused.status, 429, "{}", text(&refused));
    assert_eq!(refused.header("retry-after"), Some("3600"));
    assert_eq!(with_token("198.51.100.4").status, 201, "another address");
    op.advance(3600);
    assert_eq!(with_token(ADDRESS).status, 201, "the next window");
}

/// One IPv6 host holds a whole /64 (RFC 4291 §2.5.4), so its addresses share one count: 20
/// registrations from 20 addresses of one /64, then 429 for a 21st address of it, while
/// another /64 is not held back. Otherwise 50 hosts could use up `max_per_hour` (1000).
#[test]
fn registrations_from_one_ipv6_64_are_counted_together() {
    let op = open_op();
    op.advance(3600 - op.now().rem_euclid(3600));
    let from = |address: &str| {
        op.send(&json_request_from(
            "POST",
            "/register",
            &spa_metadata(),
            address,
        ))
    };
    for i in 1..=20 {
        let answer = from(&format!("2001:db8:aa:bb::{i:x}"));
        assert_eq!(answer.status, 201, "address {i}: {}", text(&answer));
    }
    let refused = from("2001:db8:aa:bb:1234:5678:9abc:def0");
    assert_eq!(refused.status, 429, "{}", text(&refused));
    assert_eq!(from("2001:db8:aa:bc::1").status, 201, "another /64");
}

/// Registrations from many addresses, each under its own limit, still meet the
/// deployment's: `max_per_hour` are stored per hour, then 429 with `Retry-After` (RFC 6585
/// §4) for every address until the hour turns. Only registrations that passed every check
/// count: malformed metadata and a wrong initial access token use up nothing.
#[test]
fn registrations_across_the_deployment_are_limited() {
    let op = op_with(json!({ "max_per_hour": 3 }));
    // Windows start at multiples of an hour: start 100 s into one.
    op.advance(3600 - op.now().rem_euclid(3600) + 100);
    let malformed = json!({ "redirect_uris": ["not a uri"] });
    for n in 0..5 {
        assert_eq!(register_from(&op, &malformed, n).status, 400);
    }
    for n in 0..3 {
        let answer = register_from(&op, &spa_metadata(), n);
        assert_eq!(answer.status, 201, "registration {n}: {}", text(&answer));
    }
    let refused = register_from(&op, &spa_metadata(), 3);
    let (status, error, description) = error_of(&refused);
    assert_eq!((status, error.as_str()), (429, "too_many_requests"));
    assert!(description.contains("this hour"), "{description}");
    assert_eq!(refused.header("retry-after"), Some("3500"));
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    op.advance(3500);
    assert_eq!(
        register_from(&op, &spa_metadata(), 4).status,
        201,
        "the next hour"
    );

    // Behind an initial access token, guesses at it count toward nothing.
    let hash = PasswordHash::create(INITIAL_TOKEN.as_bytes(), 1_000).unwrap();
    let op = op_with(json!({ "initial_access_token_hash": hash.to_string(), "max_per_hour": 1 }));
    op.advance(3600 - op.now().rem_euclid(3600));
    let attempt = |token: &str, n: usize| {
        op.send(
            &json_request_from(
                "POST",
                "/register",
                &spa_metadata(),
                &format!("198.51.100.{n}"),
            )
            .with_header("authorization", &format!("Bearer {token}")),
        )
    };
    for n in 0..5 {
        assert_eq!(attempt("guess", n).status, 401);
    }
    assert_eq!(attempt(INITIAL_TOKEN, 5).status, 201);
    assert_eq!(attempt(INITIAL_TOKEN, 6).status, 429);
}

/// The deployment-wide limit's default and bounds (docs/configuration.md `registration`).
#[test]
fn the_deployment_limit_is_configured_within_bounds() {
    let with = |registration: Value| {
        let mut config = config_json();
        config["registration"] = registration;
        Config::from_json(&config.to_string())
    };
    let default = with(json!({ "enabled": true })).unwrap();
    assert_eq!(default.registration.max_per_hour, 1000);
    let set = with(json!({ "enabled": true, "max_per_hour": 1_000_000 })).unwrap();
    assert_eq!(set.registration.max_per_hour, 1_000_000);
    for wrong in [
        json!(0),
        json!(1_000_001),
        json!(-1),
        json!(2.5),
        json!("1000"),
    ] {
        let err = with(json!({ "enabled": true, "max_per_hour": wrong }))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("registration.max_per_hour: must be"),
            "{wrong}: {err}"
        );
    }
}

/// RFC 7592 §2.1: the registration is read with its registration access token; a missing
/// or wrong token, another client's, or a client that is not registered here (a
/// configured one, an unknown id) is `401 invalid_token`.
#[test]
fn reading_a_registration_needs_its_token() {
    let op = open_op();
    let first = registered(&op, &spa_metadata());
    let second = registered(&op, &spa_metadata());
    let id = first["client_id"].as_str().unwrap();
    let token = first["registration_access_token"].as_str().unwrap();
    let read = manage(&op, "GET", id, Some(token), &json!({}));
    assert_eq!(read.status, 200, "{}", text(&read));
    assert_eq!(read.header("cache-control"), Some("no-store"));
    let read = body(&read);
    for name in [
        "client_id",
        "client_id_issued_at",
        "redirect_uris",
        "scope",
        "registration_client_uri",
        "client_name",
    ] {
        assert_eq!(read[name], first[name], "{name}");
    }
    let missing = manage(&op, "GET", id, None, &json!({}));
    assert_eq!(
        (missing.status, error_of(&missing).1.as_str()),
        (401, "invalid_token")
    );
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let other_token = second["registration_access_token"].as_str().unwrap();
    for (client, token) in [
        (id, "wrong"),
        (id, other_token),
        (SPA, token),
        ("abcdefghijklmnopqrstuv", token),
        ("", token),
    ] {
        let answer = manage(&op, "GET", client, Some(token), &json!({}));
        assert_eq!(
            (answer.status, error_of(&answer).1.as_str()),
            (401, "invalid_token"),
            "{client}"
        );
        assert!(
            answer
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer error=\"invalid_token\"")
        );
    }
}

/// RFC 7592 §2.2: an update replaces the whole metadata (what is left out is removed); its
/// `client_id` must be present and the client's own, a `client_secret` must be the
/// client's, and the server's own fields are refused.
#[test]
fn an_update_replaces_the_metadata() {
    let op = open_op();
    let client = registered(&op, &spa_metadata());
    let id = client["client_id"].as_str().unwrap();
    let token = client["registration_access_token"].as_str().unwrap();
    let new_redirect = "https://app.example/new-callback";
    let update = json!({
        "client_id": id,
        "redirect_uris": [new_redirect],
        "token_endpoint_auth_method": "none",
        "scope": "openid"
    });
    let answer = manage(&op, "PUT", id, Some(token), &update);
    assert_eq!(answer.status, 200, "{}", text(&answer));
    let updated = body(&answer);
    // §2.2: the client information response of §3, the registration access token included
    // (the same one: it is not rotated).
    assert_eq!(updated["registration_access_token"], token);
    assert_eq!(updated["redirect_uris"], json!([new_redirect]));
    assert!(updated.get("client_name").is_none(), "left out, so removed");
    assert_eq!(updated["grant_types"], json!(["authorization_code"]));
    assert_eq!(
        updated["client_id_issued_at"],
        client["client_id_issued_at"]
    );
    let read = body(&manage(&op, "GET", id, Some(token), &json!({})));
    assert_eq!(read["redirect_uris"], json!([new_redirect]));
    // The old redirect URI no longer matches.
    let browser = Browser::new(&op);
    let old = browser.get(&AuthStart::new().url(id, APP_REDIRECT, "openid", &[]));
    assert_eq!(old.status, 400);

    for (body, field) in [
        (
            json!({ "redirect_uris": [new_redirect], "token_endpoint_auth_method": "none" }),
            "client_id",
        ),
        (
            json!({ "client_id": "another-client-id-00000", "redirect_uris": [new_redirect], "token_endpoint_auth_method": "none" }),
            "client_id",
        ),
        (
            json!({ "client_id": id, "redirect_uris": [new_redirect], "token_endpoint_auth_method": "none", "registration_access_token": token }),
            "registration_access_token",
        ),
        (
            json!({ "client_id": id, "redirect_uris": [new_redirect], "token_endpoint_auth_method": "none", "client_id_issued_at": 1 }),
            "client_id_issued_at",
        ),
        (
            json!({ "client_id": id, "redirect_uris": [new_redirect], "token_endpoint_auth_method": "none", "client_secret": "mine" }),
            "client_secret",
        ),
    ] {
        let (status, error, description) = error_of(&manage(&op, "PUT", id, Some(token), &body));
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_client_metadata"),
            "{body}"
        );
        assert!(
            description.starts_with(&format!("{field}:")),
            "{description}"
        );
    }
    let bad_uri = json!({ "client_id": id, "redirect_uris": ["https://app.example/#x"], "token_endpoint_auth_method": "none" });
    assert_eq!(
        error_of(&manage(&op, "PUT", id, Some(token), &bad_uri)).1,
        "invalid_redirect_uri"
    );
    assert_eq!(manage(&op, "PUT", id, Some("wrong"), &update).status, 401);

    // Becoming confidential: a secret is issued, once; staying so keeps it.
    let confidential = json!({ "client_id": id, "redirect_uris": [new_redirect], "token_endpoint_auth_method": "client_secret_post" });
    let answer = body(&manage(&op, "PUT", id, Some(token), &confidential));
    let secret = answer["client_secret"].as_str().unwrap().to_owned();
    let mut again = confidential.clone();
    again["client_secret"] = json!(secret);
    again["client_name"] = json!("Renamed");
    let answer = manage(&op, "PUT", id, Some(token), &again);
    assert_eq!(answer.status, 200, "{}", text(&answer));
    assert!(
        body(&answer).get("client_secret").is_none(),
        "the secret is kept, not reissued"
    );
    let wrong = op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("client_id", id),
        ("client_secret", "not-it"),
    ]));
    assert_eq!(wrong.status, 401);
    let right = op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("client_id", id),
        ("client_secret", &secret),
    ]));
    assert_eq!(
        error_of(&right).1,
        "invalid_grant",
        "authenticated, with a bad code"
    );
}

/// RFC 7592 §2.3 against KV's propagation: a location that still reads the registration
/// after the client deleted itself elsewhere takes an update against it, and the client
/// stays deleted: the update is refused and writes nothing.
#[test]
fn an_update_against_a_stale_registration_does_not_bring_it_back() {
    let op = open_op();
    let (id, token) = registered_with_token(&op);
    let key = format!("client:{id}");
    let stale = run_ready(op.store.get(&key))
        .unwrap()
        .expect("the registration");
    assert_eq!(
        manage(&op, "DELETE", &id, Some(&token), &json!({})).status,
        204
    );
    // What a location that has not yet seen the deletion reads.
    run_ready(op.store.put(&key, &stale, 3_600)).unwrap();
    assert_invalid_token(&manage(&op, "PUT", &id, Some(&token), &renamed(&id)));
    assert_eq!(
        run_ready(op.store.get(&key)).unwrap(),
        Some(stale),
        "nothing written"
    );
}

/// The same with the deletion made while the update is under way: its mark lands as the
/// update writes, and the update takes its write back.
#[test]
fn an_update_racing_a_deletion_takes_its_write_back() {
    let op = open_op();
    let (id, token) = registered_with_token(&op);
    let deleting = DeletedMeanwhile {
        store: &op.store,
        client_id: &id,
        at: op.now(),
    };
    assert_invalid_token(&op.send_on(
        &management_request("PUT", &id, Some(&token), &renamed(&id)),
        &deleting,
    ));
    assert_eq!(
        run_ready(op.store.get(&format!("client:{id}"))).unwrap(),
        None
    );
}

/// A registered SPA: its `client_id` and registration access token.
fn registered_with_token(op: &Op) -> (String, String) {
    let client = registered(op, &spa_metadata());
    let field = |name: &str| client[name].as_str().unwrap().to_owned();
    (field("client_id"), field("registration_access_token"))
}

/// The SPA's metadata as an update of `id` sends it, with a new name.
fn renamed(id: &str) -> Value {
    let mut update = spa_metadata();
    update["client_id"] = json!(id);
    update["client_name"] = json!("Back again");
    update
}

/// The test's store, where a deletion of `client_id` (made at another location) lands its
/// mark just as the provider writes the client's registration.
struct DeletedMeanwhile<'a> {
    store: &'a oidc_edge::store::MemoryStore<TestClock>,
    client_id: &'a str,
    at: i64,
}

impl oidc_edge::store::Records for DeletedMeanwhile<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, oidc_edge::Error> {
        self.store.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl: u64) -> Result<(), oidc_edge::Error> {
        self.store.put(key, value, ttl).await?;
        if key == format!("client:{}", self.client_id) {
            let mark = json!({ "at": self.at }).to_string();
            let mark_key = format!("client-deleted:{}", self.client_id);
            self.store.put(&mark_key, mark.as_bytes(), 3_600).await?;
        }
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), oidc_edge::Error> {
        self.store.delete(key).await
    }
}

impl oidc_edge::store::SingleUse for DeletedMeanwhile<'_> {
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, oidc_edge::Error> {
        self.store.consume(key).await
    }
    async fn reserve(&self, key: &str, value: &[u8], ttl: u64) -> Result<bool, oidc_edge::Error> {
        self.store.reserve(key, value, ttl).await
    }
    async fn increment(&self, key: &str, ttl: u64) -> Result<u64, oidc_edge::Error> {
        self.store.increment(key, ttl).await
    }
}

/// RFC 7592 §2.3: after a deletion the client is gone: its token no longer reads the
/// registration, `/authorize` does not know it, its refresh token is refused with it, its
/// access token is refused at `/userinfo` and inactive at `/introspect`.
#[test]
fn a_deleted_client_and_its_tokens_no_longer_work() {
    let op = open_op();
    let client = registered(&op, &spa_metadata());
    let id = client["client_id"].as_str().unwrap().to_owned();
    let token = client["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let code = code_for(&browser, &start, &id, "openid email offline_access");
    let tokens = body(&op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", APP_REDIRECT),
        ("client_id", &id),
        ("code_verifier", start.pkce.verifier.expose()),
    ])));
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let introspect = |token: &str| {
        body(
            &op.send(
                &Request::new("POST", &absolute("/introspect"))
                    .with_form(&[("token", token)])
                    .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
            ),
        )
    };
    assert_eq!(introspect(&access_token)["active"], true);

    let deleted = manage(&op, "DELETE", &id, Some(&token), &json!({}));
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    let gone = manage(&op, "GET", &id, Some(&token), &json!({}));
    assert_eq!(
        (gone.status, error_of(&gone).1.as_str()),
        (401, "invalid_token")
    );
    assert_eq!(
        manage(&op, "DELETE", &id, Some(&token), &json!({})).status,
        401
    );

    let authorize = browser.get(&AuthStart::new().url(&id, APP_REDIRECT, "openid", &[]));
    assert_eq!(authorize.status, 400);
    assert!(text(&authorize).contains("invalid_client"));
    let refresh = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", &id),
    ]));
    assert_eq!(
        (refresh.status, error_of(&refresh).1.as_str()),
        (401, "invalid_client")
    );
    let userinfo = op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("Bearer {access_token}")),
    );
    assert_eq!(userinfo.status, 401);
    assert!(
        userinfo
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(introspect(&access_token), json!({ "active": false }));
    assert_eq!(
        introspect(tokens["refresh_token"].as_str().unwrap()),
        json!({ "active": false })
    );
}

/// A registration ends after its lifetime (its secret's `client_secret_expires_at`).
#[test]
fn a_registration_ends_after_its_lifetime() {
    let op = open_op();
    let client = registered(&op, &spa_metadata());
    let id = client["client_id"].as_str().unwrap();
    let token = client["registration_access_token"].as_str();
    assert_eq!(manage(&op, "GET", id, token, &json!({})).status, 200);
    op.advance(i64::try_from(LIFETIME).unwrap());
    assert_eq!(manage(&op, "GET", id, token, &json!({})).status, 401);
    let authorize = Browser::new(&op).get(&AuthStart::new().url(id, APP_REDIRECT, "openid", &[]));
    assert_eq!(authorize.status, 400);
}

/// A store failure is a 503 to retry, never a registration half made or a 500.
#[test]
fn a_store_failure_is_a_503() {
    let op = open_op();
    let answer = op.send_with_store_down(&json_request("POST", "/register", &spa_metadata()));
    assert_eq!(
        (answer.status, error_of(&answer).1.as_str()),
        (503, "temporarily_unavailable")
    );
    let client = registered(&op, &spa_metadata());
    let id = client["client_id"].as_str().unwrap();
    let read = op.send_with_store_down(
        &json_request("GET", &format!("/register/{id}"), &json!({})).with_header(
            "authorization",
            &format!(
                "Bearer {}",
                client["registration_access_token"].as_str().unwrap()
            ),
        ),
    );
    assert_eq!(read.status, 503);
}

/// The configuration: `registration` is checked at start, and `allow_loopback_fetch` is
/// refused unless the issuer is plain-HTTP on a loopback host.
#[test]
fn the_registration_object_is_checked_at_start() {
    let with = |issuer: &str, registration: Value| {
        let mut config = config_json();
        config["issuer"] = json!(issuer);
        config["registration"] = registration;
        Config::from_json(&config.to_string())
    };
    assert!(
        with(
            ISSUER,
            json!({ "enabled": true, "initial_access_token_hash": null })
        )
        .is_ok()
    );
    let err = with(ISSUER, json!({ "allow_loopback_fetch": true })).unwrap_err();
    assert_eq!(err.path, "registration.allow_loopback_fetch");
    assert!(
        with(
            "http://localhost:8787",
            json!({ "allow_loopback_fetch": true })
        )
        .is_ok()
    );
    assert!(
        with(
            "http://127.0.0.1:8787",
            json!({ "allow_loopback_fetch": true })
        )
        .is_ok()
    );
    let err = with(ISSUER, json!({ "enabled": true, "open": true })).unwrap_err();
    assert_eq!(err.path, "registration.open");
    let err = with(ISSUER, json!({ "initial_access_token_hash": "secret" })).unwrap_err();
    assert_eq!(err.path, "registration.initial_access_token_hash");
    assert!(!err.message.contains("secret\""), "{err}");
}

/// Hostile bodies, paths and tokens at `/register` and `/register/<client_id>`: not JSON,
/// not UTF-8, not an object, nested deep, wrong types everywhere, control characters and
/// multi-byte text where ids and URIs go. Each is a 4xx (`Op::send` fails on a 5xx; a panic
/// fails the test), never a registration.
#[test]
fn hostile_registrations_are_refused_not_crashed_on() {
    let op = open_op();
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let bodies: Vec<Vec<u8>> = vec![
        b"\xff\xfe{}".to_vec(),
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"redirect_uris\"".to_vec(),
        deep.into_bytes(),
        br#"{"redirect_uris":[1,2,3]}"#.to_vec(),
        br#"{"redirect_uris":[null]}"#.to_vec(),
        br#"{"redirect_uris":{"a":"b"}}"#.to_vec(),
        br#"{"redirect_uris":["https://\u00e9.example/cb"]}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/\u0000"]}"#.to_vec(),
        br#"{"redirect_uris":["https://[::1"]}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example:99999/cb"]}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/cb"],"grant_types":"authorization_code"}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/cb"],"jwks":"not a jwks","token_endpoint_auth_method":"private_key_jwt"}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/cb"],"jwks":{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]},"token_endpoint_auth_method":"private_key_jwt"}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/cb"],"client_name":"\u0007bell"}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/cb"],"scope":"\u00e9 \u0000"}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/cb"],"response_types":[["code"]]}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/cb"],"id_token_signed_response_alg":"HS256"}"#.to_vec(),
        br#"{"redirect_uris":["https://a.example/cb"],"backchannel_logout_uri":"https://2130706433/x"}"#.to_vec(),
    ];
    for (i, bytes) in bodies.into_iter().enumerate() {
        let mut req = json_request_from("POST", "/register", &json!({}), &format!("192.0.2.{i}"));
        req.body = bytes.clone();
        let answer = op.send(&req);
        assert!(
            (400..500).contains(&answer.status),
            "{}: {} {}",
            String::from_utf8_lossy(&bytes),
            answer.status,
            text(&answer)
        );
    }
    let client = registered(&op, &spa_metadata());
    let id = client["client_id"].as_str().unwrap();
    for path in [
        "/register/%FF",
        "/register/\u{e9}\u{e9}",
        "/register/..",
        &format!("/register/{id}?x=1"),
        &format!("/register/{id}%00"),
    ] {
        let answer = op
            .send(&json_request("GET", path, &json!({})).with_header("authorization", "Bearer x"));
        assert!(
            (400..500).contains(&answer.status),
            "{path}: {}",
            answer.status
        );
    }
    for authorization in [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer \u{e9}",
        "Basic x",
        "bearer",
    ] {
        let answer = op.send(
            &json_request("GET", &format!("/register/{id}"), &json!({}))
                .with_header("authorization", authorization),
        );
        assert_eq!(answer.status, 401, "{authorization:?}");
    }
    // Two Authorization fields are no credential at all.
    let token = client["registration_access_token"].as_str().unwrap();
    let twice = op.send(
        &json_request("GET", &format!("/register/{id}"), &json!({}))
            .with_header("authorization", &format!("Bearer {token}"))
            .with_header("authorization", &format!("Bearer {token}")),
    );
    assert_eq!(twice.status, 401);
}

/// RFC 8693 §2.1, CIBA Core §7.1 and RFC 8628 §5.4: token exchange swaps users' tokens, CIBA
/// sends users requests by name and the device grant has users approve a code under the
/// client's own name, so a client that registered itself gets none of them, even behind the
/// initial access token; the operator configures such clients. Asked for alone, they are
/// refused. Impersonation is not registry
/// metadata, so it is ignored (RFC 7591 §2) and never applied.
#[test]
fn a_registered_client_cannot_take_token_exchange_or_ciba() {
    let op = op_with_initial_token();
    let with_token = |metadata: &Value| {
        op.send(
            &json_request("POST", "/register", metadata)
                .with_header("authorization", &format!("Bearer {INITIAL_TOKEN}")),
        )
    };
    for grant in [
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:openid:params:grant-type:ciba",
        // RFC 8628 §5.4: a user approves a code under the name the client gave itself.
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let mut metadata =
            json!({ "grant_types": [grant], "scope": "api:read", "client_name": "Gateway" });
        if grant.ends_with("ciba") {
            metadata["backchannel_token_delivery_mode"] = json!("poll");
        }
        let (status, error, _) = error_of(&with_token(&metadata));
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_client_metadata"),
            "{grant}"
        );
    }
    let answer = with_token(&json!({
        "grant_types": ["client_credentials"], "scope": "api:read",
        "token_exchange_impersonation": true,
    }));
    assert_eq!(answer.status, 201, "{}", text(&answer));
    assert!(body(&answer).get("token_exchange_impersonation").is_none());
}

/// RFC 7591 §3.2.1: a host that asks for every grant discovery lists, as VS Code does (the
/// code grant, refresh, and the device grant whenever `grant_types_supported` names it),
/// registers without the operator-only ones, and the answer says which it has; it cannot
/// use them.
#[test]
fn operator_only_grants_asked_for_beside_others_are_left_out() {
    let device = "urn:ietf:params:oauth:grant-type:device_code";
    let mut config = config_json();
    config["registration"] = json!({ "enabled": true });
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": "tv", "client_type": "public", "grant_types": [device], "scopes": ["openid"]
    }));
    let op = Op::with_config(config);
    let discovery = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    let supported = discovery["grant_types_supported"].as_array().unwrap();
    assert!(supported.contains(&json!(device)), "{supported:?}");
    let client = registered(
        &op,
        &json!({
            "client_name": "Visual Studio Code",
            "grant_types": ["authorization_code", "refresh_token", device],
            "response_types": ["code"],
            "redirect_uris": ["http://127.0.0.1:33418/"],
            "token_endpoint_auth_method": "none"
        }),
    );
    assert_eq!(
        client["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    let id = client["client_id"].as_str().unwrap();
    let refused = op.send(
        &Request::new("POST", &absolute("/device_authorization"))
            .with_form(&[("client_id", id), ("scope", "openid")]),
    );
    assert_eq!(refused.status, 400, "{}", text(&refused));
    assert_eq!(body(&refused)["error"], "unauthorized_client");
    // Without the code grant, the device grant was asked for in particular: refused, with
    // the reason.
    let (status, error, description) = error_of(&register(
        &op,
        &json!({
            "grant_types": [device, "refresh_token"],
            "redirect_uris": ["http://127.0.0.1:33418/"],
            "token_endpoint_auth_method": "none"
        }),
    ));
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(
        description.starts_with("grant_types[0]: is only for clients the operator configures"),
        "{description}"
    );
}

/// Metadata nested deeper than a registration can be stored and read back is refused, not
/// registered into a record no request could reach again (not even its deletion).
#[test]
fn deeply_nested_metadata_is_refused() {
    let op = open_op();
    let mut nested = json!("x");
    for _ in 0..20 {
        nested = json!([nested]);
    }
    let mut metadata = spa_metadata();
    metadata["jwks"] = json!({ "keys": [], "x": nested });
    let (status, error, description) = error_of(&register(&op, &metadata));
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(description.starts_with("jwks: nests"), "{description}");
    // Sixteen levels are taken, and the registration reads back.
    let mut deep = json!("x");
    for _ in 0..15 {
        deep = json!([deep]);
    }
    let key = json!({ "kty": "EC", "crv": "P-256", "kid": "k", "x": "ulRC7mqY_KADUYmu-fbLt14WbbdvAHplBZTD1Z6lSKI", "y": "8EAmvC5hJUEmvNvwXqqUjqHFinhyxnQbfkf6-lLgXCs" });
    let client = registered(
        &op,
        &json!({
            "redirect_uris": [APP_REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": { "keys": [key], "x": deep }
        }),
    );
    let id = client["client_id"].as_str().unwrap();
    let token = client["registration_access_token"].as_str();
    assert_eq!(manage(&op, "GET", id, token, &json!({})).status, 200);
}

/// RFC 9126 §6, RFC 9101 §10.5: a registered client may hold itself to pushed and signed
/// requests; what it asks for is registered, echoed and enforced.
#[test]
fn a_registered_client_may_require_pushed_requests() {
    let op = open_op();
    let mut metadata = spa_metadata();
    metadata["require_pushed_authorization_requests"] = json!(true);
    let client = registered(&op, &metadata);
    assert_eq!(
        client["require_pushed_authorization_requests"], true,
        "{client}"
    );
    let client_id = client["client_id"].as_str().unwrap();
    // A plain request at /authorize is refused: it must come through /par.
    let start = AuthStart::new();
    let answer = op.send(&Request::new(
        "GET",
        &absolute(&start.url(client_id, APP_REDIRECT, "openid", &[])),
    ));
    let text = format!(
        "{} {}",
        answer.header("location").unwrap_or_default(),
        text(&answer)
    );
    assert!(text.contains("invalid_request"), "{} {text}", answer.status);
}
