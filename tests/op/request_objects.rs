//! Signed request objects (RFC 9101, JAR): the authorization request as a JWT the client
//! signed with one of its registered keys, by value at `/authorize` or pushed to `/par`;
//! its parameters are the request, and anything not signed by the client, not for this
//! provider, long-lived, expired or replayed is `invalid_request_object`.

use oidc_edge::jose::Alg;
use oidc_edge::op::form::encode;
use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

const SIGNER: &str = "signer";
const SIGNER_REDIRECT: &str = "https://signer.example/cb";
const STRICT: &str = "strict";
const STRICT_REDIRECT: &str = "https://strict.example/cb";

/// A provider with SIGNER (ES256 key `signer-key`, first-party, private_key_jwt) and
/// STRICT (`require_signed_request_object`, only ES256), each with its own key.
fn op_with(signer: &ClientKey, strict: &ClientKey) -> Op {
    let mut config = config_json();
    let clients = config["clients"].as_array_mut().unwrap();
    clients.push(json!({
        "client_id": SIGNER, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": { "keys": [signer.public] },
        "redirect_uris": [SIGNER_REDIRECT], "scopes": ["openid", "email"], "first_party": true
    }));
    clients.push(json!({
        "client_id": STRICT, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": { "keys": [strict.public] },
        "redirect_uris": [STRICT_REDIRECT], "scopes": ["openid"], "first_party": true,
        "require_signed_request_object": true, "request_object_signing_alg": "ES256"
    }));
    Op::with_config(config)
}

fn keys() -> (ClientKey, ClientKey) {
    (
        client_key(Alg::Es256, "signer-key"),
        client_key(Alg::Es256, "strict-key"),
    )
}

/// The request object a well-behaved client makes (what oauth4webapi's
/// `issueRequestObject` does): the whole request, `iss`, `aud`, `jti`, `iat`, `nbf`, `exp`.
fn object(op: &Op, client_id: &str, redirect_uri: &str, start: &AuthStart, jti: &str) -> Value {
    json!({
        "iss": client_id, "aud": ISSUER, "jti": jti,
        "iat": op.now(), "nbf": op.now(), "exp": op.now() + 60,
        "client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri,
        "scope": "openid", "state": start.state, "nonce": start.nonce,
        "code_challenge": start.pkce.challenge.as_str(), "code_challenge_method": "S256",
    })
}

fn by_value(client_id: &str, request: &str, extra: &[(&str, &str)]) -> String {
    let mut query = vec![("client_id", client_id), ("request", request)];
    query.extend_from_slice(extra);
    format!("/authorize?{}", encode(&query))
}

/// The page (the request's redirect URI cannot be trusted) naming `code`.
#[track_caller]
fn assert_refused(response: &Response, why: &str) {
    assert_eq!(response.status, 400, "{why}: {}", text(response));
    assert!(response.header("location").is_none(), "{why}: redirected");
    assert!(
        text(response).contains("invalid_request_object"),
        "{why}: {}",
        text(response)
    );
}

/// A push of `form` to `/par`, the client authenticated with a fresh assertion.
fn push_request(op: &Op, key: &ClientKey, client_id: &str, form: &[(&str, &str)]) -> Request {
    let jti = oidc_edge::random::token(16).unwrap();
    let auth = sign(key, &assertion_claims(op, client_id, &jti), &[]);
    let form = with_assertion(form, &auth);
    Request::new("POST", &format!("{ISSUER}/par")).with_form(&form)
}

fn push(op: &Op, key: &ClientKey, client_id: &str, form: &[(&str, &str)]) -> Response {
    op.send(&push_request(op, key, client_id, form))
}

/// RFC 9101 §5.1, §6.3: a request object by value starts the authorization; both
/// `typ` values a client may send (§4: `oauth-authz-req+jwt`; none; `JWT`) are accepted.
#[test]
fn a_signed_request_object_is_the_request() {
    let (signer, strict) = keys();
    let op = op_with(&signer, &strict);
    for (i, header) in [
        vec![("typ", json!("oauth-authz-req+jwt"))],
        vec![],
        vec![("typ", json!("JWT"))],
    ]
    .into_iter()
    .enumerate()
    {
        let start = AuthStart::new();
        let claims = object(&op, SIGNER, SIGNER_REDIRECT, &start, &format!("ok-{i}"));
        let browser = Browser::new(&op);
        let to_login =
            location(&browser.get(&by_value(SIGNER, &sign(&signer, &claims, &header), &[])));
        let back = location(&browser.login(&to_login, "demo", "correct horse"));
        assert!(back.starts_with(SIGNER_REDIRECT), "{back}");
        let params = redirect_params(&back);
        assert_eq!(params.get("state"), Some(start.state.as_str()));
        assert_eq!(params.get("iss"), Some(ISSUER));
        assert!(params.get("code").is_some());
    }
}

/// RFC 9101 §5: the parameters outside the object are not used; `client_id` outside must
/// name the object's client.
#[test]
fn parameters_outside_the_object_are_ignored() {
    let (signer, strict) = keys();
    let op = op_with(&signer, &strict);
    let start = AuthStart::new();
    let request = sign(
        &signer,
        &object(&op, SIGNER, SIGNER_REDIRECT, &start, "outside"),
        &[],
    );
    let browser = Browser::new(&op);
    let to_login = location(&browser.get(&by_value(
        SIGNER,
        &request,
        &[
            ("redirect_uri", "https://evil.example/cb"),
            ("state", "attacker"),
            ("scope", "openid email"),
            ("response_mode", "form_post"),
        ],
    )));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(back.starts_with(SIGNER_REDIRECT), "{back}");
    assert_eq!(
        redirect_params(&back).get("state"),
        Some(start.state.as_str())
    );

    // The object of one client sent in the name of another.
    let other = sign(
        &signer,
        &object(&op, SIGNER, SIGNER_REDIRECT, &start, "other"),
        &[],
    );
    assert_refused(
        &Browser::new(&op).get(&by_value(STRICT, &other, &[])),
        "client_id outside differs",
    );
}

/// RFC 9101 §6.1, §10.8; RFC 8725 §3.1, §3.11: what is refused, each as
/// `invalid_request_object` on a page.
#[test]
fn hostile_request_objects_are_refused() {
    let (signer, strict) = keys();
    let op = op_with(&signer, &strict);
    let start = AuthStart::new();
    let good = |jti: &str| object(&op, SIGNER, SIGNER_REDIRECT, &start, jti);
    let b64 = |v: &Value| oidc_edge::b64::encode(v.to_string().as_bytes());
    let unsigned = format!("{}.{}.", b64(&json!({ "alg": "none" })), b64(&good("none")));
    let hs256 = {
        let header = json!({ "alg": "HS256", "kid": "signer-key" });
        format!("{}.{}.c2lnbmF0dXJl", b64(&header), b64(&good("hs256")))
    };
    let stranger = client_key(Alg::Es256, "signer-key");
    let now = op.now();
    let cases: Vec<(&str, String)> = vec![
        ("alg none", unsigned),
        ("HS256", hs256),
        (
            "another key, same kid",
            sign(&stranger, &good("stranger"), &[]),
        ),
        (
            "another client's key",
            sign(&strict, &good("strict-key"), &[]),
        ),
        (
            "expired",
            sign(&signer, &with(good("expired"), "exp", json!(now - 60)), &[]),
        ),
        (
            "not yet valid",
            sign(&signer, &with(good("nbf"), "nbf", json!(now + 600)), &[]),
        ),
        (
            "exp over an hour away",
            sign(&signer, &with(good("far"), "exp", json!(now + 3601)), &[]),
        ),
        (
            "exp over an hour after nbf",
            sign(
                &signer,
                &with(
                    with(good("window"), "nbf", json!(now - 3000)),
                    "exp",
                    json!(now + 1000),
                ),
                &[],
            ),
        ),
        (
            "no exp",
            sign(&signer, &with(good("no-exp"), "exp", Value::Null), &[]),
        ),
        (
            "no jti",
            sign(&signer, &with(good("x"), "jti", Value::Null), &[]),
        ),
        (
            "another audience",
            sign(
                &signer,
                &with(good("aud"), "aud", json!("https://other.example")),
                &[],
            ),
        ),
        (
            "another audience besides this one",
            sign(
                &signer,
                &with(
                    good("aud2"),
                    "aud",
                    json!([ISSUER, "https://other.example"]),
                ),
                &[],
            ),
        ),
        (
            "another issuer",
            sign(&signer, &with(good("iss"), "iss", json!(STRICT)), &[]),
        ),
        (
            "no iss",
            sign(&signer, &with(good("no-iss"), "iss", Value::Null), &[]),
        ),
        (
            "another client_id inside",
            sign(&signer, &with(good("cid"), "client_id", json!(STRICT)), &[]),
        ),
        (
            "another token type",
            sign(&signer, &good("typ"), &[("typ", json!("dpop+jwt"))]),
        ),
        (
            "a request_uri inside",
            sign(
                &signer,
                &with(good("nested"), "request_uri", json!("urn:x")),
                &[],
            ),
        ),
        (
            "a request inside",
            sign(
                &signer,
                &with(good("nested2"), "request", json!("eyJ")),
                &[],
            ),
        ),
        (
            "an array where one value goes",
            sign(&signer, &with(good("arr"), "scope", json!(["openid"])), &[]),
        ),
        ("not a JWS", "not.a.jws".to_owned()),
        ("encrypted (five parts)", "a.b.c.d.e".to_owned()),
    ];
    for (why, request) in cases {
        assert_refused(
            &Browser::new(&op).get(&by_value(SIGNER, &request, &[])),
            why,
        );
    }
    // None of them spent the jti it carried: the good object with that jti still works.
    let response = Browser::new(&op).get(&by_value(
        SIGNER,
        &sign(&signer, &good("expired"), &[]),
        &[],
    ));
    assert_eq!(response.status, 303, "{}", text(&response));
}

/// RFC 9101 §10.2 (replay), as FAPI 2.0 Message Signing requires: a `jti` is accepted once
/// per client, however the object is sent.
#[test]
fn a_request_object_is_used_once() {
    let (signer, strict) = keys();
    let op = op_with(&signer, &strict);
    let start = AuthStart::new();
    let request = sign(
        &signer,
        &object(&op, SIGNER, SIGNER_REDIRECT, &start, "once"),
        &[],
    );
    assert_eq!(
        Browser::new(&op)
            .get(&by_value(SIGNER, &request, &[]))
            .status,
        303
    );
    assert_refused(
        &Browser::new(&op).get(&by_value(SIGNER, &request, &[])),
        "replayed",
    );
    // A new object with the same jti is a replay too; pushing it is refused as well.
    let again = sign(
        &signer,
        &with(
            object(&op, SIGNER, SIGNER_REDIRECT, &start, "once"),
            "exp",
            json!(op.now() + 90),
        ),
        &[],
    );
    assert_refused(
        &Browser::new(&op).get(&by_value(SIGNER, &again, &[])),
        "same jti",
    );
    let pushed = push(&op, &signer, SIGNER, &[("request", &again)]);
    assert_eq!(pushed.status, 400, "{}", text(&pushed));
    assert_eq!(body(&pushed)["error"], "invalid_request_object");
}

/// RFC 9449 §8: a client that pushes a request object with a DPoP proof and is asked for
/// the server's nonce sends the same request again (openid-client does, with the object it
/// signed once). The first answer did not take the object, so its `jti` is not spent; the
/// object is still used once.
#[test]
fn a_dpop_nonce_retry_pushes_the_same_request_object() {
    let (signer, strict) = keys();
    let op = op_with(&signer, &strict);
    let start = AuthStart::new();
    let request = sign(
        &signer,
        &object(&op, SIGNER, SIGNER_REDIRECT, &start, "nonce-retry"),
        &[],
    );
    let key = dpop_key(7);
    let par_url = format!("{ISSUER}/par");
    let form = [("request", request.as_str())];
    let first = op.send(
        &push_request(&op, &signer, SIGNER, &form)
            .with_header("dpop", &dpop_proof(&op, &key, "POST", &par_url, None, None)),
    );
    assert_eq!(body(&first)["error"], "use_dpop_nonce", "{}", text(&first));
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let proof = || dpop_proof(&op, &key, "POST", &par_url, None, Some(&nonce));
    let retried = op.send(&push_request(&op, &signer, SIGNER, &form).with_header("dpop", &proof()));
    assert_eq!(retried.status, 201, "{}", text(&retried));
    let again = op.send(&push_request(&op, &signer, SIGNER, &form).with_header("dpop", &proof()));
    assert_eq!(
        body(&again)["error"],
        "invalid_request_object",
        "{}",
        text(&again)
    );
}

/// RFC 9101 §10.5 (`require_signed_request_object`), OpenID Connect Registration §2
/// (`request_object_signing_alg`): such a client's plain requests are refused, at
/// `/authorize` and at `/par`; its signed ones, by value or pushed, are served; an object
/// signed with another algorithm than the registered one is refused.
#[test]
fn a_client_may_require_signed_request_objects() {
    let (signer, strict) = keys();
    let op = op_with(&signer, &strict);
    let start = AuthStart::new();
    let plain = redirect_params(&location(&Browser::new(&op).get(&start.url(
        STRICT,
        STRICT_REDIRECT,
        "openid",
        &[],
    ))));
    assert_eq!(plain.get("error"), Some("invalid_request"));
    assert_eq!(plain.get("state"), Some(start.state.as_str()));

    let form = [
        ("response_type", "code"),
        ("client_id", STRICT),
        ("redirect_uri", STRICT_REDIRECT),
        ("scope", "openid"),
        ("code_challenge", start.pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let pushed_plain = push(&op, &strict, STRICT, &form);
    assert_eq!(pushed_plain.status, 400);
    assert_eq!(body(&pushed_plain)["error"], "invalid_request");

    let request = sign(
        &strict,
        &object(&op, STRICT, STRICT_REDIRECT, &start, "strict-1"),
        &[],
    );
    assert_eq!(
        Browser::new(&op)
            .get(&by_value(STRICT, &request, &[]))
            .status,
        303
    );

    // RFC 9126 §3: a request object pushed to /par; its parameters are the request.
    let request = sign(
        &strict,
        &object(&op, STRICT, STRICT_REDIRECT, &start, "strict-2"),
        &[],
    );
    let pushed = push(
        &op,
        &strict,
        STRICT,
        &[("request", &request), ("scope", "openid admin")],
    );
    assert_eq!(pushed.status, 201, "{}", text(&pushed));
    let request_uri = body(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let browser = Browser::new(&op);
    let query = encode(&[("client_id", STRICT), ("request_uri", &request_uri)]);
    let to_login = location(&browser.get(&format!("/authorize?{query}")));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(back.starts_with(STRICT_REDIRECT), "{back}");
    assert!(redirect_params(&back).get("code").is_some());

    // Registered for ES256 only: an RS256 key of the client does not pass.
    let rsa = client_key(Alg::Rs256, "strict-rsa");
    let mut config = config_json();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": STRICT, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": { "keys": [strict.public, rsa.public] },
        "redirect_uris": [STRICT_REDIRECT], "scopes": ["openid"],
        "require_signed_request_object": true, "request_object_signing_alg": "ES256"
    }));
    let op = Op::with_config(config);
    let request = sign(
        &rsa,
        &object(&op, STRICT, STRICT_REDIRECT, &start, "rsa"),
        &[],
    );
    assert_refused(
        &Browser::new(&op).get(&by_value(STRICT, &request, &[])),
        "RS256",
    );
}

/// RFC 9101 §4 and OpenID Connect Core §6.1: members that are not strings (a number, the
/// `claims` object) are the parameters' text; `resource` may repeat as an array.
#[test]
fn members_of_other_json_types_are_parameters() {
    let signer = client_key(Alg::Es256, "signer-key");
    let mut config = config_json();
    config["resources"] = json!([{ "resource": "https://api.example/", "scopes": ["email"] }]);
    let clients = config["clients"].as_array_mut().unwrap();
    clients.push(json!({
        "client_id": SIGNER, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt", "jwks": { "keys": [signer.public] },
        "redirect_uris": [SIGNER_REDIRECT], "scopes": ["openid", "email"], "first_party": true
    }));
    let op = Op::with_config(config);
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let claims = object(&op, SIGNER, SIGNER_REDIRECT, &start, "types");
    let claims = with(claims, "max_age", json!(0));
    let claims = with(claims, "claims", json!({ "id_token": { "email": null } }));
    let claims = with(claims, "resource", json!(["https://api.example/"]));
    let to_login = location(&browser.get(&by_value(SIGNER, &sign(&signer, &claims, &[]), &[])));
    assert!(to_login.starts_with("/login"), "{to_login}");
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(redirect_params(&back).get("code").is_some(), "{back}");
    // A max_age of the wrong JSON type is refused as the query's would be.
    let bad = with(
        object(&op, SIGNER, SIGNER_REDIRECT, &start, "types-2"),
        "max_age",
        json!(-1),
    );
    let response = browser.get(&by_value(SIGNER, &sign(&signer, &bad, &[]), &[]));
    assert_eq!(
        redirect_params(&location(&response)).get("error"),
        Some("invalid_request")
    );
}

/// A client whose keys are at its `jwks_uri` signs request objects with them (RFC 7591 §2).
#[test]
fn keys_at_a_jwks_uri_verify_request_objects() {
    let key = client_key(Alg::Rs256, "uri-key");
    let uri = "https://rp.example/jwks.json";
    let mut config = config_json();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": SIGNER, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": uri,
        "redirect_uris": [SIGNER_REDIRECT], "scopes": ["openid"], "first_party": true
    }));
    let op = Op::with_config(config);
    op.web
        .serve_json(uri, None, &json!({ "keys": [key.public] }));
    let start = AuthStart::new();
    let request = sign(
        &key,
        &object(&op, SIGNER, SIGNER_REDIRECT, &start, "uri"),
        &[],
    );
    assert_eq!(
        Browser::new(&op)
            .get(&by_value(SIGNER, &request, &[]))
            .status,
        303
    );
    assert_eq!(op.web.gets(uri), 1);
}

/// RFC 9101 §10.5's metadata needs keys to check objects with; `none` and HMAC are never
/// a client's request-object algorithm.
#[test]
fn the_configuration_refuses_what_cannot_be_checked() {
    for (field, value) in [
        ("require_signed_request_object", json!(true)),
        ("request_object_signing_alg", json!("ES256")),
    ] {
        let mut config = config_json();
        config["clients"][1][field] = value;
        let err = oidc_edge::op::config::Config::from_json(&config.to_string()).unwrap_err();
        assert_eq!(err.path, format!("clients[1].{field}"), "{err}");
    }
    let key = client_key(Alg::Es256, "k");
    for alg in ["none", "HS256", "ES512"] {
        let mut config = config_json();
        config["clients"][1]["token_endpoint_auth_method"] = json!("private_key_jwt");
        config["clients"][1]
            .as_object_mut()
            .unwrap()
            .remove("client_secret_hash");
        config["clients"][1]["jwks"] = json!({ "keys": [key.public] });
        config["clients"][1]["request_object_signing_alg"] = json!(alg);
        let err = oidc_edge::op::config::Config::from_json(&config.to_string()).unwrap_err();
        assert_eq!(
            err.path, "clients[1].request_object_signing_alg",
            "{alg}: {err}"
        );
    }
}

/// RFC 9101 §10.1 (`request_parameter_supported`), OpenID Connect Discovery §3: request
/// objects by value, signed with asymmetric algorithms only; `request_uri` is not fetched.
#[test]
fn discovery_advertises_request_objects() {
    let (signer, strict) = keys();
    let op = op_with(&signer, &strict);
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert_eq!(doc["request_parameter_supported"], true);
    assert_eq!(doc["request_uri_parameter_supported"], false);
    let algs = doc["request_object_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.contains(&json!("ES256")) && algs.contains(&json!("PS256")));
    assert!(!algs.contains(&json!("none")) && !algs.contains(&json!("HS256")));
}
