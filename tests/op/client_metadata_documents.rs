//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): an
//! `https` URL as `client_id`, its document fetched through the host's `Fetcher` (the test
//! web here), checked, kept per its caching headers; refused for private addresses,
//! mismatched ids, shared secrets, oversized or slow documents.

use oidc_edge::op::Request;
use oidc_edge::op::fetch::{FetchError, FetchLimits};
use serde_json::{Value, json};

use crate::op_support::*;

const DOC: &str = "https://app.example/oauth/client.json";
const REDIRECT: &str = "https://app.example/callback";

/// The test configuration with metadata documents on (and `extra` in `registration`).
fn op_with(issuer: &str, extra: Value) -> Op {
    let mut config = config_json();
    config["issuer"] = json!(issuer);
    let mut registration = json!({ "client_id_metadata_documents": true });
    for (name, value) in extra.as_object().unwrap() {
        registration[name] = value.clone();
    }
    config["registration"] = registration;
    Op::with_config(config)
}

fn op() -> Op {
    op_with(ISSUER, json!({}))
}

/// A document for `url`, as an MCP client publishes one.
fn document(url: &str) -> Value {
    json!({
        "client_id": url,
        "client_name": "Example MCP Client",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "openid email offline_access"
    })
}

/// `GET /authorize` for `client_id` in a fresh browser.
fn authorize(op: &Op, client_id: &str) -> oidc_edge::op::Response {
    Browser::new(op).get(&AuthStart::new().url(client_id, REDIRECT, "openid email", &[]))
}

/// Whether `/authorize` found the client (it goes on to the login page).
fn known(op: &Op, client_id: &str) -> bool {
    let answer = authorize(op, client_id);
    match answer.status {
        303 => true,
        400 => {
            assert!(
                text(&answer).contains("invalid_client"),
                "{}",
                text(&answer)
            );
            false
        }
        other => panic!("unexpected {other}: {}", text(&answer)),
    }
}

/// Discovery says so only when on (draft §5).
#[test]
fn discovery_says_documents_are_supported_only_when_on() {
    let discovery = |op: &Op| {
        body(&op.send(&Request::new(
            "GET",
            &absolute("/.well-known/oauth-authorization-server"),
        )))
    };
    assert!(
        discovery(&Op::new())
            .get("client_id_metadata_document_supported")
            .is_none()
    );
    let on = discovery(&op());
    assert_eq!(on["client_id_metadata_document_supported"], true);
    assert!(
        on.get("registration_endpoint").is_none(),
        "registration is another switch"
    );
    // Off, a URL client_id is an unknown client and nothing is fetched.
    let off = Op::new();
    off.web.serve_json(DOC, None, &document(DOC));
    assert!(!known(&off, DOC));
    assert_eq!(off.web.gets(DOC), 0);
}

/// The document's client completes a code flow with PKCE; the consent page shows the
/// document's host (draft §6.1: whoever controls it is who is asking). The document is
/// fetched once, with the `jwks_uri` limits (64 KiB, 5 s), and kept for its `max-age`
/// (RFC 9111 §5.2.2.1): a cache hit, then a fetch again once it is stale.
#[test]
fn a_document_client_signs_in_and_its_document_is_kept_per_max_age() {
    let op = op();
    op.web.serve_json(DOC, Some("max-age=600"), &document(DOC));
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(DOC, REDIRECT, "openid email", &[])));
    assert_eq!(op.web.gets(DOC), 1);
    assert_eq!(
        op.web.last_limits(),
        Some(FetchLimits {
            max_bytes: 64 * 1024,
            timeout_ms: 5_000
        })
    );
    let to_consent = location(&browser.login(&to_login, "demo", "correct horse"));
    let html = text(&browser.get(&to_consent));
    assert!(
        html.contains("described by <strong>app.example</strong>"),
        "{html}"
    );
    assert!(html.contains("Example MCP Client"));
    let back = location(&browser.answer_consent(&html, "allow"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let tokens = op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("client_id", DOC),
        ("code_verifier", start.pkce.verifier.expose()),
    ]));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let access_token = body(&tokens)["access_token"].as_str().unwrap().to_owned();
    let userinfo = op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("Bearer {access_token}")),
    );
    assert_eq!(userinfo.status, 200, "{}", text(&userinfo));
    assert_eq!(
        op.web.gets(DOC),
        1,
        "kept: every later lookup was a cache hit"
    );

    op.advance(599);
    assert!(known(&op, DOC));
    assert_eq!(op.web.gets(DOC), 1);
    op.advance(1);
    assert!(known(&op, DOC));
    assert_eq!(op.web.gets(DOC), 2, "stale after max-age: fetched again");
}

/// §4.1: the document's `client_id` must be its URL, exactly.
#[test]
fn a_document_naming_another_client_is_refused() {
    let op = op();
    for (i, named) in [
        "https://app.example/oauth/other.json",
        "https://APP.example/oauth/client.json",
        "https://app.example/oauth/client.json/",
    ]
    .into_iter()
    .enumerate()
    {
        let url = format!("https://app{i}.example/oauth/client.json");
        op.web.serve_json(&url, None, &document(named));
        assert!(!known(&op, &url), "{named}");
    }
    let url = "https://missing-id.example/client.json";
    let mut doc = document(url);
    doc.as_object_mut().unwrap().remove("client_id");
    op.web.serve_json(url, None, &doc);
    assert!(!known(&op, url));
}

/// §3 and Security Considerations (SSRF): URLs on private, loopback or link-local
/// addresses, `localhost`, addresses in other notations, and URLs the draft does not
/// allow (no path, dot segments) are never fetched.
#[test]
fn private_and_malformed_document_urls_are_never_fetched() {
    let op = op();
    for url in [
        "https://10.0.0.1/client.json",
        "https://192.168.1.20/client.json",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/client.json",
        "https://[::1]/client.json",
        "https://127.0.0.1/client.json",
        "https://localhost/client.json",
        "https://0x7f000001/client.json",
        "https://app.example",
        "https://app.example/",
        "https://app.example/a/../client.json",
        "http://app.example/client.json",
    ] {
        op.web.serve_json(url, None, &document(url));
        assert!(!known(&op, url), "{url}");
        assert_eq!(op.web.gets(url), 0, "{url} was fetched");
    }
}

/// `registration.allow_loopback_fetch` lets a development setup (a loopback issuer) fetch
/// documents from `localhost`, still over https.
#[test]
fn loopback_documents_only_with_allow_loopback_fetch() {
    let url = "https://localhost:8443/client.json";
    let dev = op_with(
        "http://localhost:8787",
        json!({ "allow_loopback_fetch": true }),
    );
    dev.web.serve_json(url, None, &document(url));
    assert!(known(&dev, url));
    assert_eq!(dev.web.gets(url), 1);
    // Private addresses stay refused.
    let private = "https://10.0.0.1/client.json";
    dev.web.serve_json(private, None, &document(private));
    assert!(!known(&dev, private));
    assert_eq!(dev.web.gets(private), 0);

    let without = op_with("http://localhost:8787", json!({}));
    without.web.serve_json(url, None, &document(url));
    assert!(!known(&without, url));
    assert_eq!(without.web.gets(url), 0);
}

/// Fetch failures: a document over 64 KiB, one that does not come within 5 s, no answer,
/// a redirect (never followed: it could lead to a private address), a status other than
/// 200, a body that is not a JSON object. Each makes the client unknown, and the URL is
/// not fetched again for a minute.
#[test]
fn oversized_slow_and_failed_documents_make_no_client() {
    let op = op();
    let big = "https://big.example/client.json";
    let mut padded = document(big);
    padded["client_name"] = json!("x".repeat(64 * 1024));
    op.web.serve_json(big, None, &padded);
    let slow = "https://slow.example/client.json";
    op.web.fail(slow, FetchError::TimedOut);
    let down = "https://down.example/client.json";
    op.web.fail(down, FetchError::Failed);
    let moved = "https://moved.example/client.json";
    op.web
        .serve(moved, 302, None, br#"{"location":"https://10.0.0.1/"}"#);
    let missing = "https://missing.example/client.json";
    op.web
        .serve_json(missing, None, &json!({ "error": "not found" }));
    op.web.serve(missing, 404, None, b"not found");
    let garbage = "https://garbage.example/client.json";
    op.web.serve(garbage, 200, None, b"<html>");
    for url in [big, slow, down, moved, missing, garbage] {
        assert!(!known(&op, url), "{url}");
        assert_eq!(op.web.gets(url), 1, "{url}");
    }
    // Not asked for again within a minute, even once it is fixed.
    op.web.serve_json(slow, None, &document(slow));
    op.advance(59);
    assert!(!known(&op, slow));
    assert_eq!(op.web.gets(slow), 1);
    op.advance(1);
    assert!(known(&op, slow));
    assert_eq!(op.web.gets(slow), 2);
}

/// §4: a document's client shares no secret (`none` or `private_key_jwt` only, no
/// `client_secret` in it), and gets no tokens without a user (`client_credentials`).
/// Its metadata is checked like any client's: a fragment in a redirect URI, a `jwks_uri`
/// on a private address, an algorithm no key of the provider signs with.
#[test]
fn a_document_is_held_to_the_rules_of_a_client_that_vouches_for_itself() {
    let op = op();
    let cases: [(&str, Value); 9] = [
        ("token_endpoint_auth_method", json!("client_secret_basic")),
        ("token_endpoint_auth_method", json!("client_secret_post")),
        ("client_secret", json!("published-to-the-world")),
        (
            "grant_types",
            json!(["authorization_code", "client_credentials"]),
        ),
        ("redirect_uris", json!(["https://app.example/cb#x"])),
        ("jwks_uri", json!("https://10.1.1.1/jwks")),
        ("first_party", json!("ignored, not refused")),
        // No key of this provider (ES256 only) signs with them.
        ("id_token_signed_response_alg", json!("RS256")),
        ("authorization_signed_response_alg", json!("PS256")),
    ];
    for (i, (name, value)) in cases.into_iter().enumerate() {
        let url = format!("https://doc{i}.example/client.json");
        let mut doc = document(&url);
        doc[name] = value.clone();
        op.web.serve_json(&url, None, &doc);
        let expected = name == "first_party";
        assert_eq!(known(&op, &url), expected, "{name}: {value}");
    }
    // Without a token_endpoint_auth_method it is a public client (it has no secret).
    let url = "https://public.example/client.json";
    let mut doc = document(url);
    doc.as_object_mut()
        .unwrap()
        .remove("token_endpoint_auth_method");
    op.web.serve_json(url, None, &doc);
    assert!(known(&op, url));
    let token = op.send(&token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", url),
    ]));
    assert_eq!(token.status, 400, "{}", text(&token));
}

/// The redirect URI must be one the document lists, compared exactly (RFC 6749 §3.1.2.3).
#[test]
fn redirect_uris_come_from_the_document() {
    let op = op();
    op.web.serve_json(DOC, None, &document(DOC));
    let elsewhere = Browser::new(&op).get(&AuthStart::new().url(
        DOC,
        "https://attacker.example/callback",
        "openid",
        &[],
    ));
    assert_eq!(elsewhere.status, 400);
    assert!(text(&elsewhere).contains("redirect_uri"));
}

/// Hostile `client_id`s where a document URL would be: non-ASCII hosts, zone ids, bad
/// ports, encoded dot segments, overlong URLs. Each is an unknown client, and none of them
/// is fetched.
#[test]
fn hostile_document_urls_are_refused_not_crashed_on() {
    let op = op();
    let long = format!("https://app.example/{}", "a".repeat(300));
    for url in [
        "https://\u{e9}.example/client.json",
        "https://[fe80::1%25eth0]/client.json",
        "https://app.example:0/client.json",
        "https://app.example:65536/client.json",
        "https://app.example/%2e%2E/client.json",
        "https://app.example/client.json\u{0}",
        "https://app.example/ client.json",
        "https://./client.json",
        "https:///client.json",
        "https://app.example\\@10.0.0.1/client.json",
        long.as_str(),
    ] {
        assert!(!known(&op, url), "{url:?}");
        assert_eq!(op.web.gets(url), 0, "{url:?} was fetched");
    }
}
