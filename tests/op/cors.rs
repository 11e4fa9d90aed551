//! CORS (Fetch §3.2) for browser apps and MCP hosts on other origins: public documents
//! open to every origin with `*` (OpenID Connect Discovery §4, RFC 8414 §3, RFC 7517,
//! RFC 9728 §3), registration from any origin (RFC 7591 §3, RFC 7592 §2), and the client
//! endpoints (RFC 6749 §3.2 token, RFC 7009 revocation, RFC 9126 PAR, OpenID Connect Core
//! §5.3 UserInfo) answering a preflight for any origin that could be a client's and the
//! request only for its own client's origins: a configured client's `allowed_origins`, a
//! registered or metadata-document web client's redirect origins, none for a native app.
//! A refused origin consumes nothing: the same code, refresh token or request works from
//! the right origin afterwards.

use oidc_edge::op::cors::Cors;
use oidc_edge::op::routes;
use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

const APP: &str = "https://app.example";
const APP_REDIRECT: &str = "https://app.example/callback";
/// A second redirect URI of the registered app, on an origin with a port.
const APP_ADMIN_REDIRECT: &str = "https://admin.app.example:8443/cb";
const ELSEWHERE: &str = "https://elsewhere.example";
const DOC: &str = "https://app.example/oauth/client.json";
const ADDRESS: &str = "203.0.113.7";

/// The test configuration with `registration` as given.
fn op_with_registration(registration: Value) -> Op {
    let mut config = config_json();
    config["registration"] = registration;
    Op::with_config(config)
}

/// A preflight for `method` at `path` from `origin`, asking for `headers`.
fn preflight(op: &Op, path: &str, origin: &str, method: &str, headers: &str) -> Response {
    op.send(
        &Request::new("OPTIONS", &absolute(path))
            .with_header("origin", origin)
            .with_header("access-control-request-method", method)
            .with_header("access-control-request-headers", headers),
    )
}

/// A JSON request to `path` from a page on `origin`.
fn json_from(origin: &str, method: &str, path: &str, body: &Value) -> Request {
    let mut req = Request::new(method, &absolute(path))
        .with_header("origin", origin)
        .with_header("content-type", "application/json")
        .with_header("cf-connecting-ip", ADDRESS);
    req.body = body.to_string().into_bytes();
    req
}

/// Registers a public web client with two redirect URIs, from a page on its origin; its
/// answer.
fn register_app(op: &Op) -> Value {
    let answer = op.send(&json_from(
        APP,
        "POST",
        "/register",
        &json!({
            "redirect_uris": [APP_REDIRECT, APP_ADMIN_REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "openid email offline_access"
        }),
    ));
    assert_eq!(answer.status, 201, "{}", text(&answer));
    body(&answer)
}

/// Signs "demo" in for `client_id` at `redirect_uri`, consenting; the code.
fn code_for(op: &Op, start: &AuthStart, client_id: &str, redirect_uri: &str) -> String {
    let browser = Browser::new(op);
    let url = start.url(client_id, redirect_uri, "openid email offline_access", &[]);
    let to_login = location(&browser.get(&url));
    let after_login = location(&browser.login(&to_login, "demo", "correct horse"));
    let back = if after_login.starts_with("/consent") {
        let html = text(&browser.get(&after_login));
        location(&browser.answer_consent(&html, "allow"))
    } else {
        after_login
    };
    assert!(back.starts_with(redirect_uri), "{back}");
    redirect_params(&back).get("code").unwrap().to_owned()
}

/// A token request with `form`, from `origin` when given.
fn token_from(origin: Option<&str>, form: &[(&str, &str)]) -> Request {
    let req = token_request(form);
    match origin {
        Some(origin) => req.with_header("origin", origin),
        None => req,
    }
}

/// `(status, error)` of an OAuth error answer.
fn error_of(answer: &Response) -> (u16, String) {
    (
        answer.status,
        body(answer)["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Whether the answer names `origin` as the one allowed to read it, and varies by origin.
fn readable_by(answer: &Response, origin: &str) -> bool {
    answer.header("access-control-allow-origin") == Some(origin)
        && answer
            .header("vary")
            .is_some_and(|vary| vary.contains("Origin"))
}

/// Fetch §3.2.3, §3.2.5: discovery (both paths), the JWKS and the protected-resource
/// metadata are read by any page with `*`, the same answer whatever the origin (so no
/// `Vary: Origin`), and a preflight from any origin is answered; no credentials.
#[test]
fn public_documents_are_open_to_every_origin() {
    let op = Op::new();
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/jwks",
        "/.well-known/oauth-protected-resource/api/me",
    ] {
        for origin in [Some("https://mcp-host.example"), Some("null"), None] {
            let mut req = Request::new("GET", &absolute(path));
            if let Some(origin) = origin {
                req = req.with_header("origin", origin);
            }
            let answer = op.send(&req);
            assert_eq!(answer.status, 200, "{path}");
            assert_eq!(
                answer.header("access-control-allow-origin"),
                Some("*"),
                "{path} {origin:?}"
            );
            assert_eq!(answer.header("access-control-allow-credentials"), None);
            assert!(
                !answer.header("vary").unwrap_or_default().contains("Origin"),
                "{path}: the same for every origin"
            );
        }
        let pre = preflight(
            &op,
            path,
            "https://mcp-host.example",
            "GET",
            "mcp-protocol-version",
        );
        assert_eq!(pre.status, 204, "{path}");
        assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
        assert_eq!(pre.header("access-control-allow-methods"), Some("GET"));
        assert_eq!(pre.header("access-control-allow-headers"), Some("*"));
        assert_eq!(pre.header("access-control-allow-credentials"), None);
    }
}

/// RFC 7591 §3 and RFC 7592 §2 from a page: the preflight allows `Authorization` (initial
/// and registration access tokens), `Content-Type` (JSON) and each endpoint's methods, and
/// every answer is readable with `*`; with registration off there is nothing to preflight.
#[test]
fn registration_answers_pages_on_any_origin() {
    let op = op_with_registration(json!({ "enabled": true }));
    let host = "https://mcp-host.example";
    let pre = preflight(&op, "/register", host, "POST", "content-type");
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert_eq!(pre.header("access-control-allow-methods"), Some("POST"));
    let headers = pre.header("access-control-allow-headers").unwrap();
    assert!(headers.contains("Authorization") && headers.contains("Content-Type"));

    let created = register_app(&op);
    let client_id = created["client_id"].as_str().unwrap();
    let token = created["registration_access_token"].as_str().unwrap();
    let path = format!("/register/{client_id}");
    let pre = preflight(&op, &path, host, "PUT", "authorization, content-type");
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        pre.header("access-control-allow-methods"),
        Some("GET, PUT, DELETE")
    );
    let read = op.send(
        &Request::new("GET", &absolute(&path))
            .with_header("origin", host)
            .with_header("authorization", &format!("Bearer {token}")),
    );
    assert_eq!(read.status, 200, "{}", text(&read));
    assert_eq!(read.header("access-control-allow-origin"), Some("*"));
    // An error is readable too, with the challenge it carries.
    let refused = op.send(&Request::new("GET", &absolute(&path)).with_header("origin", host));
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("access-control-allow-origin"), Some("*"));
    assert!(
        refused
            .header("access-control-expose-headers")
            .unwrap()
            .contains("WWW-Authenticate")
    );

    let off = Op::new();
    let pre = preflight(&off, "/register", host, "POST", "content-type");
    assert_eq!(pre.status, 403);
    assert_eq!(pre.header("access-control-allow-origin"), None);
}

/// A registered web client's origins are those of its redirect URIs (https, or http on
/// loopback): the code is redeemed, the refresh token used, UserInfo read, a request
/// pushed and a token revoked from them. From another origin, which the preflight cannot
/// tell apart (any web origin could be a client's while registration is on), each request
/// is refused with a readable `invalid_request` once the client is known, and nothing is
/// consumed: the same code, refresh token and access token work afterwards.
#[test]
fn a_registered_clients_origins_are_its_redirect_origins() {
    let op = op_with_registration(json!({ "enabled": true }));
    let client_id = register_app(&op)["client_id"].as_str().unwrap().to_owned();
    let pre = preflight(&op, "/token", ELSEWHERE, "POST", "content-type, dpop");
    assert_eq!(pre.status, 204, "a preflight carries no client");
    assert_eq!(pre.header("access-control-allow-origin"), Some(ELSEWHERE));
    for not_web in ["null", "http://app.example", "https://app.example/", ""] {
        let pre = preflight(&op, "/token", not_web, "POST", "content-type");
        assert_eq!(pre.status, 403, "{not_web:?} is no client's origin");
    }

    let start = AuthStart::new();
    let code = code_for(&op, &start, &client_id, APP_REDIRECT);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", APP_REDIRECT),
        ("client_id", client_id.as_str()),
        ("code_verifier", start.pkce.verifier.expose()),
    ];
    let refused = op.send(&token_from(Some(ELSEWHERE), &form));
    assert_eq!(error_of(&refused), (400, "invalid_request".to_owned()));
    assert!(readable_by(&refused, ELSEWHERE), "the page reads why");
    // Two Origin fields are no browser's.
    let doubled = op.send(&token_from(Some(APP), &form).with_header("origin", APP));
    assert_eq!(error_of(&doubled), (400, "invalid_request".to_owned()));
    let tokens = op.send(&token_from(Some(APP), &form));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert!(readable_by(&tokens, APP));
    let tokens = body(&tokens);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    // The refresh token, from the other redirect URI's origin (its port kept).
    let admin = "https://admin.app.example:8443";
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", client_id.as_str()),
    ];
    let refused = op.send(&token_from(Some(ELSEWHERE), &refresh_form));
    assert_eq!(error_of(&refused), (400, "invalid_request".to_owned()));
    let refreshed = op.send(&token_from(Some(admin), &refresh_form));
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    assert!(readable_by(&refreshed, admin));

    // UserInfo: the token's client decides.
    let userinfo = |origin: &str| {
        op.send(
            &Request::new("GET", &absolute("/userinfo"))
                .with_header("origin", origin)
                .with_header("authorization", &format!("Bearer {access}")),
        )
    };
    let refused = userinfo(ELSEWHERE);
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_request")
    );
    assert!(readable_by(&refused, ELSEWHERE));
    let read = userinfo(APP);
    assert_eq!(read.status, 200, "{}", text(&read));
    assert!(readable_by(&read, APP));

    // A pushed request (RFC 9126 §2) is stored only for the client's origin.
    let push_start = AuthStart::new();
    let pushed = |origin: &str| {
        op.send(
            &Request::new("POST", &absolute("/par"))
                .with_form(&[
                    ("response_type", "code"),
                    ("client_id", client_id.as_str()),
                    ("redirect_uri", APP_REDIRECT),
                    ("scope", "openid"),
                    ("code_challenge", push_start.pkce.challenge.as_str()),
                    ("code_challenge_method", "S256"),
                ])
                .with_header("origin", origin),
        )
    };
    assert_eq!(
        error_of(&pushed(ELSEWHERE)),
        (400, "invalid_request".to_owned())
    );
    let accepted = pushed(APP);
    assert_eq!(accepted.status, 201, "{}", text(&accepted));
    assert!(readable_by(&accepted, APP));

    // Revocation (RFC 7009 §2.1) from elsewhere revokes nothing.
    let revoke = |origin: &str| {
        op.send(
            &Request::new("POST", &absolute("/revoke"))
                .with_form(&[("token", access), ("client_id", client_id.as_str())])
                .with_header("origin", origin),
        )
    };
    assert_eq!(
        error_of(&revoke(ELSEWHERE)),
        (400, "invalid_request".to_owned())
    );
    assert_eq!(userinfo(APP).status, 200, "still valid");
    assert_eq!(revoke(APP).status, 200);
    assert_eq!(userinfo(APP).status, 401, "revoked from its own origin");
}

/// What the client claims as `allowed_origins` is not its to claim (RFC 7591 §2: ignored):
/// only its redirect origins count.
#[test]
fn a_registered_client_cannot_add_origins() {
    let op = op_with_registration(json!({ "enabled": true }));
    let answer = op.send(&json_from(
        APP,
        "POST",
        "/register",
        &json!({ "redirect_uris": [APP_REDIRECT], "token_endpoint_auth_method": "none",
                 "allowed_origins": [ELSEWHERE] }),
    ));
    let client_id = body(&answer)["client_id"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "not-a-code"),
        ("redirect_uri", APP_REDIRECT),
        ("client_id", client_id.as_str()),
        ("code_verifier", "x"),
    ];
    let from = |origin| error_of(&op.send(&token_from(Some(origin), &form)));
    assert_eq!(from(ELSEWHERE), (400, "invalid_request".to_owned()));
    assert_eq!(
        from(APP),
        (400, "invalid_grant".to_owned()),
        "past the check"
    );
}

/// RFC 8252: a native app calls from no web page, so it has no origin, not even that of
/// its loopback redirect URI; requests without an `Origin` (the app itself) are untouched.
#[test]
fn native_apps_get_no_origins() {
    let op = op_with_registration(json!({ "enabled": true }));
    let answer = op.send(&json_from(
        APP,
        "POST",
        "/register",
        &json!({ "application_type": "native", "token_endpoint_auth_method": "none",
                 "redirect_uris": ["http://127.0.0.1/callback", "https://app.example/native"] }),
    ));
    assert_eq!(answer.status, 201, "{}", text(&answer));
    let client_id = body(&answer)["client_id"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "not-a-code"),
        ("redirect_uri", "http://127.0.0.1/callback"),
        ("client_id", client_id.as_str()),
        ("code_verifier", "x"),
    ];
    for origin in ["http://127.0.0.1", APP] {
        let refused = op.send(&token_from(Some(origin), &form));
        assert_eq!(
            error_of(&refused),
            (400, "invalid_request".to_owned()),
            "{origin}"
        );
    }
    let from_the_app = op.send(&token_from(None, &form));
    assert_eq!(error_of(&from_the_app), (400, "invalid_grant".to_owned()));
}

/// A client ID metadata document's client (draft-ietf-oauth-client-id-metadata-document)
/// is held to the same rule as a registered one: its web redirect origins.
#[test]
fn a_metadata_document_client_gets_its_redirect_origins() {
    let op = op_with_registration(json!({ "client_id_metadata_documents": true }));
    op.web.serve_json(
        DOC,
        Some("max-age=300"),
        &json!({
            "client_id": DOC, "client_name": "Browser MCP Host",
            "redirect_uris": [APP_REDIRECT],
            "grant_types": ["authorization_code"], "response_types": ["code"],
            "token_endpoint_auth_method": "none"
        }),
    );
    let pre = preflight(&op, "/token", APP, "POST", "content-type");
    assert_eq!(pre.status, 204);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "not-a-code"),
        ("redirect_uri", APP_REDIRECT),
        ("client_id", DOC),
        ("code_verifier", "x"),
    ];
    let refused = op.send(&token_from(Some(ELSEWHERE), &form));
    assert_eq!(error_of(&refused), (400, "invalid_request".to_owned()));
    let passed = op.send(&token_from(Some(APP), &form));
    assert_eq!(error_of(&passed), (400, "invalid_grant".to_owned()));
    assert!(readable_by(&passed, APP));
}

/// A configured client keeps exactly the origins it lists: none derived from its redirect
/// URIs, and an origin another client lists is not its own. Without registration, no
/// other origin passes a preflight; a request from one is refused before the code is
/// spent, and the code then works from the listed origin. Requests without an `Origin`
/// (servers) and from the issuer's own origin (same-origin) are not CORS requests.
#[test]
fn configured_clients_keep_their_listed_origins() {
    let op = Op::new();
    let third = "https://third.example";
    let pre = preflight(&op, "/token", third, "POST", "content-type");
    assert_eq!(pre.status, 403, "a redirect origin is not a listed one");
    let third_form = [
        ("grant_type", "authorization_code"),
        ("code", "not-a-code"),
        ("redirect_uri", THIRD_REDIRECT),
        ("client_id", THIRD),
        ("client_secret", SERVICE_SECRET),
    ];
    let refused = op.send(&token_from(Some(third), &third_form));
    assert_eq!(error_of(&refused), (400, "invalid_request".to_owned()));
    assert_eq!(
        refused.header("access-control-allow-origin"),
        None,
        "an origin no client lists reads nothing"
    );
    // The SPA's origin is the SPA's, not the service's.
    let service = op.send(
        &token_from(
            Some("https://spa.example"),
            &[("grant_type", "client_credentials")],
        )
        .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
    );
    assert_eq!(error_of(&service), (400, "invalid_request".to_owned()));
    let from_server = op.send(
        &token_from(None, &[("grant_type", "client_credentials")])
            .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
    );
    assert_eq!(from_server.status, 200, "{}", text(&from_server));

    let (_browser, start, code) = sign_in(&op, "openid");
    let refused = op.send(&token_from(Some(third), &code_form(&start, &code)));
    assert_eq!(error_of(&refused), (400, "invalid_request".to_owned()));
    let tokens = op.send(&token_from(
        Some("https://spa.example"),
        &code_form(&start, &code),
    ));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert!(readable_by(&tokens, "https://spa.example"));

    let (_browser, start, code) = sign_in(&op, "openid");
    let same_origin = op.send(&token_from(Some(ISSUER), &code_form(&start, &code)));
    assert_eq!(same_origin.status, 200, "{}", text(&same_origin));
}

/// The route table decides: every endpoint where clients authenticate refuses a page on an
/// origin its client does not allow exactly when its route answers pages as clients'
/// (`Cors::Clients`: token, revocation, PAR); those that answer no page (introspection,
/// device authorization, CIBA) leave the `Origin` alone, as before.
#[test]
fn the_origin_check_follows_the_route_table() {
    let op = Op::new();
    for path in [
        "/token",
        "/revoke",
        "/par",
        "/introspect",
        "/device_authorization",
        "/bc-authorize",
    ] {
        let answer = op.send(
            &Request::new("POST", &absolute(path))
                .with_form(&[("grant_type", "client_credentials"), ("token", "x")])
                .with_header("authorization", &basic(SERVICE, SERVICE_SECRET))
                .with_header("origin", "https://spa.example"),
        );
        let description = body(&answer)["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let refused_for_origin = answer.status == 400 && description.contains("origin");
        let answers_pages = matches!(routes::route(path).unwrap().cors, Cors::Clients(_));
        assert_eq!(
            refused_for_origin,
            answers_pages,
            "{path}: {} {}",
            answer.status,
            text(&answer)
        );
    }
}

/// RFC 9449 §11.1 (a proof's `jti` is used once) meets Fetch §3.2: a DPoP proof sent from
/// an origin the client does not allow is refused before it is checked, so it is not spent.
/// At the token endpoint the same proof then redeems the same code from the client's
/// origin; at UserInfo (OpenID Connect Core §5.3) the same proof then reads the claims.
#[test]
fn a_refused_origin_spends_no_dpop_proof() {
    let op = Op::new();
    let spa = "https://spa.example";
    let key = dpop_key(21);
    let token_url = format!("{ISSUER}/token");
    let (_browser, start, code) = sign_in(&op, "openid email");
    let form = code_form(&start, &code);
    let first = op.send(&token_from(Some(spa), &form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, None),
    ));
    assert_eq!(body(&first)["error"], "use_dpop_nonce");
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let proof = dpop_proof(&op, &key, "POST", &token_url, None, Some(&nonce));
    let refused = op.send(&token_from(Some(ELSEWHERE), &form).with_header("dpop", &proof));
    assert_eq!(error_of(&refused), (400, "invalid_request".to_owned()));
    let tokens = op.send(&token_from(Some(spa), &form).with_header("dpop", &proof));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let tokens = body(&tokens);
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();

    let userinfo_url = format!("{ISSUER}/userinfo");
    let proof = dpop_proof(&op, &key, "GET", &userinfo_url, Some(access), None);
    let userinfo = |origin: &str| {
        op.send(
            &Request::new("GET", &userinfo_url)
                .with_header("origin", origin)
                .with_header("authorization", &format!("DPoP {access}"))
                .with_header("dpop", &proof),
        )
    };
    let refused = userinfo(ELSEWHERE);
    assert_eq!(refused.status, 400, "{}", text(&refused));
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_request")
    );
    let read = userinfo(spa);
    assert_eq!(read.status, 200, "{}", text(&read));
    assert_eq!(body(&read)["email"], "demo@example.com");
    assert_eq!(userinfo(spa).status, 401, "the proof is still single use");
}

/// RFC 7523 §3 (7) (an assertion's `jti` is accepted once) meets Fetch §3.2: a
/// `private_key_jwt` assertion sent from an origin the client does not allow is refused
/// before the client is authenticated, so the same assertion then authenticates it from
/// its own origin.
#[test]
fn a_refused_origin_spends_no_client_assertion() {
    let batch = "browser-batch";
    let batch_origin = "https://batch.example";
    let key = client_key(oidc_edge::jose::Alg::Es256, "batch-key");
    let mut config = config_json();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": batch, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks_of(&[&key]),
        "grant_types": ["client_credentials"], "scopes": ["api:read"],
        "allowed_origins": [batch_origin]
    }));
    let op = Op::with_config(config);
    let assertion = sign(&key, &assertion_claims(&op, batch, "one-jti"), &[]);
    let form = with_assertion(
        &[("grant_type", "client_credentials"), ("scope", "api:read")],
        &assertion,
    );
    let refused = op.send(&token_from(Some(ELSEWHERE), &form));
    assert_eq!(error_of(&refused), (400, "invalid_request".to_owned()));
    let tokens = op.send(&token_from(Some(batch_origin), &form));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert!(readable_by(&tokens, batch_origin));
    let replayed = op.send(&token_from(Some(batch_origin), &form));
    assert_eq!(error_of(&replayed), (401, "invalid_client".to_owned()));
}

/// RFC 6454 §6.2: a browser on the issuer's own pages sends its origin with the host in
/// lowercase and without the default port, whatever case or port the configured issuer
/// is written with; such a request is same-origin, not a CORS request, for any client.
#[test]
fn the_issuers_own_origin_is_the_one_browsers_send() {
    let mut config = config_json();
    config["issuer"] = json!("https://OP.Example:443");
    let op = Op::with_config(config);
    let from = |origin: &str| {
        op.send(
            &token_from(Some(origin), &[("grant_type", "client_credentials")])
                .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
        )
    };
    let same_origin = from("https://op.example");
    assert_eq!(same_origin.status, 200, "{}", text(&same_origin));
    assert_eq!(
        error_of(&from("https://op.example:8443")),
        (400, "invalid_request".to_owned()),
        "another port is another origin"
    );
}

/// The deployment-wide registration limit (`registration.max_per_hour`) is what bounds a
/// page that makes its visitors' browsers register: past it a page reads the 429 and
/// `Retry-After` (RFC 6585 §4) like any other answer of the route.
#[test]
fn a_page_reads_the_deployment_registration_limit() {
    let op = op_with_registration(json!({ "enabled": true, "max_per_hour": 1 }));
    register_app(&op);
    // From the same address, well under its own limit of 20.
    let refused = op.send(&json_from(
        ELSEWHERE,
        "POST",
        "/register",
        &json!({ "redirect_uris": [APP_REDIRECT], "token_endpoint_auth_method": "none" }),
    ));
    assert_eq!(refused.status, 429, "{}", text(&refused));
    assert_eq!(refused.header("access-control-allow-origin"), Some("*"));
    assert!(refused.header("retry-after").is_some());
    assert!(
        refused
            .header("access-control-expose-headers")
            .unwrap()
            .contains("Retry-After")
    );
}
