//! Hostile requests to the provider, natively: every header and parameter the OP reads,
//! on every endpoint, with non-ASCII text (multi-byte characters at the offsets parsers
//! slice at), invalid percent-escapes, invalid UTF-8, empty and oversized values. The
//! provider must answer each with a 4xx (or a page), never a 5xx and never a panic: on
//! Workers a panic traps the instance and fails every request in flight on the isolate.
//! `Op::send` asserts the status; a panic fails the test. The same inputs reach the real
//! Worker on `wrangler dev` in tests/e2e/hostile.test.mjs, alongside legitimate traffic.

use crate::op_support::*;
use base64ct::Encoding;
use oidc_edge::op::Request;

/// Values that have broken parsers: a multi-byte character where a fixed-width prefix
/// (`Basic `, `Bearer `, `DPoP `) is sliced off, lone and truncated escapes, bytes that
/// decode to invalid UTF-8, controls, and a value past every size limit.
fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "",
        " ",
        "é",
        "Basicé",
        "Basicéééé",
        "Basic é",
        "Bearé",
        "Beareré",
        "Bearer é",
        "DPoPé",
        "DPoP é",
        "ééééééé",
        "%",
        "%G0",
        "%C3%28",
        "%FF",
        "%e9",
        "%+A",
        "%00",
        "a=b=c",
        "\u{0}",
        "\u{7f}\u{80}\u{ff}",
        "\u{10348}\u{10348}",
        "e30.e30.",
        "e30.e30.e30",
        "....",
        "https://evil.example/",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    values.push("é".repeat(40_000)); // 80 KB of two-byte characters
    values.push("A".repeat(70_000));
    values
}

/// A method, a path, and the parameters sent there.
type Endpoint = (&'static str, &'static str, Vec<(&'static str, String)>);

/// Every endpoint with the parameters that get a request past the first checks, so a
/// hostile value in one of them reaches the code behind.
fn endpoints(code_challenge: &str) -> Vec<Endpoint> {
    let s = |v: &str| v.to_owned();
    let authorize = vec![
        ("response_type", s("code")),
        ("client_id", s(SPA)),
        ("redirect_uri", s(SPA_REDIRECT)),
        ("scope", s("openid offline_access")),
        ("state", s("st")),
        ("nonce", s("n")),
        ("code_challenge", s(code_challenge)),
        ("code_challenge_method", s("S256")),
        ("prompt", s("login")),
        ("max_age", s("60")),
        ("response_mode", s("query")),
        ("claims", s("{}")),
        ("request", s("x")),
        ("request_uri", s("x")),
        ("dpop_jkt", s("x")),
    ];
    let token_code = vec![
        ("grant_type", s("authorization_code")),
        ("code", s("c")),
        ("redirect_uri", s(SPA_REDIRECT)),
        ("client_id", s(SPA)),
        ("code_verifier", s(&"v".repeat(43))),
    ];
    let token_refresh = vec![
        ("grant_type", s("refresh_token")),
        ("refresh_token", s("r")),
        ("client_id", s(SPA)),
        ("scope", s("openid")),
    ];
    let token_client = vec![
        ("grant_type", s("client_credentials")),
        ("client_id", s(SERVICE)),
        ("client_secret", s(SERVICE_SECRET)),
        ("scope", s("api:read")),
    ];
    let login = vec![
        ("tx", s("t")),
        ("csrf", s("c")),
        ("username", s("demo")),
        ("password", s("pw")),
    ];
    let revoke_public = vec![
        ("token", s("r")),
        ("token_type_hint", s("refresh_token")),
        ("client_id", s(SPA)),
    ];
    let revoke_confidential = vec![
        ("token", s("e30.e30.e30")),
        ("token_type_hint", s("access_token")),
        ("client_id", s(THIRD)),
        ("client_secret", s(SERVICE_SECRET)),
    ];
    let consent = vec![("tx", s("t")), ("csrf", s("c")), ("decision", s("allow"))];
    let logout = vec![
        ("id_token_hint", s("e30.e30.e30")),
        ("post_logout_redirect_uri", s("https://spa.example/")),
        ("client_id", s(SPA)),
        ("state", s("st")),
        ("confirm", s("yes")),
        ("csrf", s("c")),
    ];
    let mut all = Vec::new();
    for method in ["GET", "POST"] {
        all.push((method, "/authorize", authorize.clone()));
        all.push((method, "/login", login.clone()));
        all.push((method, "/consent", consent.clone()));
        all.push((method, "/end_session", logout.clone()));
        all.push((method, "/userinfo", Vec::new()));
    }
    for form in [token_code, token_refresh, token_client] {
        all.push(("POST", "/token", form));
    }
    for form in [revoke_public, revoke_confidential] {
        all.push(("POST", "/revoke", form));
    }
    for path in [
        "/api/me",
        "/jwks",
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/nowhere",
    ] {
        all.push(("GET", path, Vec::new()));
    }
    all.push(("OPTIONS", "/token", Vec::new()));
    all.push(("OPTIONS", "/revoke", Vec::new()));
    // RFC 9126: the SPA's request, pushed.
    all.push(("POST", "/par", authorize));
    all
}

/// The headers the provider reads.
const HEADERS: &[&str] = &[
    "authorization",
    "dpop",
    "cookie",
    "origin",
    "content-type",
    "access-control-request-method",
    "host",
];

/// Raw form text for `pairs`, the `hostile` one written as is: invalid escapes and
/// characters reach the decoder untouched.
fn raw_form(pairs: &[(&str, String)], hostile: Option<(&str, &str)>) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .filter(|(name, _)| hostile.is_none_or(|(h, _)| h != *name))
        .map(|(name, value)| oidc_edge::op::form::encode(&[(name, value)]))
        .collect();
    if let Some((name, value)) = hostile {
        parts.push(format!("{name}={value}"));
    }
    parts.join("&")
}

fn request(method: &str, path: &str, form: &str) -> Request {
    match method {
        "POST" => {
            let mut req = Request::new("POST", &absolute(path))
                .with_header("content-type", "application/x-www-form-urlencoded");
            req.body = form.as_bytes().to_vec();
            req
        }
        _ if form.is_empty() => Request::new(method, &absolute(path)),
        _ => Request::new(method, &absolute(&format!("{path}?{form}"))),
    }
}

/// Each parameter of each endpoint, replaced by each hostile value (raw, so escapes stay
/// invalid), and each parameter sent twice: never a 5xx.
#[test]
fn hostile_parameters_are_refused_not_crashed_on() {
    let op = Op::new();
    let browser = Browser::new(&op);
    // A signed-in browser, so session-dependent code runs too.
    let (signed_in, _start, _code) = sign_in(&op, "openid");
    let challenge = oidc_edge::pkce::Pkce::generate(43).unwrap().challenge;
    let mut sent = 0;
    for (method, path, params) in endpoints(challenge.as_str()) {
        for (name, _) in &params {
            for value in hostile_values() {
                for who in [&browser, &signed_in] {
                    who.send(request(
                        method,
                        path,
                        &raw_form(&params, Some((name, &value))),
                    ));
                    sent += 1;
                }
            }
            let twice = format!("{}&{name}=again", raw_form(&params, None));
            browser.send(request(method, path, &twice));
        }
        // Invalid UTF-8 in the body, whatever the parameters.
        let mut req = request("POST", path, "");
        req.method = method.to_owned();
        req.body = b"a=\xff\xfe&b=\xc3\x28&%ff=%ff".to_vec();
        browser.send(req);
    }
    assert!(sent > 1_000, "{sent} requests");
}

/// Each header the provider reads, with each hostile value, on each endpoint.
#[test]
fn hostile_headers_are_refused_not_crashed_on() {
    let op = Op::new();
    let challenge = oidc_edge::pkce::Pkce::generate(43).unwrap().challenge;
    for (method, path, params) in endpoints(challenge.as_str()) {
        for header in HEADERS {
            for value in hostile_values() {
                let req = request(method, path, &raw_form(&params, None));
                op.send(&req.with_header(header, &value));
                // Repeated, and alongside a valid value.
                let req = request(method, path, &raw_form(&params, None));
                op.send(&req.with_header(header, &value).with_header(header, "x"));
            }
        }
    }
}

/// The crash this suite was written for: an `Authorization` value whose bytes 6 and 7 are
/// one character. The token endpoint answers 401 `invalid_client`, and keeps working.
#[test]
fn basic_with_a_multibyte_character_at_the_slice_point() {
    let op = Op::new();
    for value in ["Basicé", "Basicéééé", "basicé==", "BASICé"] {
        let req = token_request(&[("grant_type", "client_credentials")])
            .with_header("authorization", value);
        let response = op.send(&req);
        assert!(
            matches!(response.status, 400 | 401),
            "{value}: {}",
            response.status
        );
    }
    let ok = op.send(
        &token_request(&[("grant_type", "client_credentials"), ("scope", "api:read")]).with_header(
            "authorization",
            &format!(
                "Basic {}",
                base64ct::Base64::encode_string(format!("{SERVICE}:{SERVICE_SECRET}").as_bytes())
            ),
        ),
    );
    assert_eq!(ok.status, 200);
}

/// Hostile input: malformed, repeated, oversize and wrong-type requests get 4xx, never a
/// 500 or a panic (`Op::send` asserts the status).
#[test]
fn hostile_requests_get_client_errors() {
    let op = Op::new();
    let mut requests = vec![
        Request::new("POST", &absolute("/token")),
        Request::new("POST", &absolute("/token")).with_header("content-type", "application/json"),
        token_request(&[("grant_type", "authorization_code")]),
        token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", "x"),
        ]),
        Request::new("POST", &absolute("/token"))
            .with_header("content-type", "application/x-www-form-urlencoded"),
        Request::new("GET", &absolute("/userinfo")).with_header("authorization", "Bearer"),
        Request::new("GET", &absolute("/userinfo")).with_header("authorization", "Bearer a.b.c"),
        Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", "Basic Zm9vOmJhcg=="),
        Request::new("GET", &absolute("/login")),
        Request::new("GET", &absolute("/login?tx=%ZZ")),
        Request::new("GET", &absolute("/consent?tx=abc")),
        Request::new("GET", &absolute("/authorize?client_id=")),
        Request::new("PUT", &absolute("/token")),
        Request::new("GET", &absolute("/revoke?token=x&client_id=spa")),
        Request::new("POST", &absolute("/revoke")),
        Request::new("POST", &absolute("/revoke")).with_header("content-type", "text/plain"),
        Request::new("POST", &absolute("/revoke"))
            .with_form(&[("token", "x"), ("client_id", "nobody")]),
        Request::new("POST", &absolute("/revoke")).with_form(&[("client_id", SPA)]),
        Request::new("POST", &absolute("/revoke"))
            .with_form(&[("token", "x")])
            .with_header("authorization", "Basic !!!"),
        Request::new("GET", &absolute("/authorize?%")),
        Request::new("GET", &absolute("/api/me")).with_header("authorization", "DPoP"),
        Request::new("GET", &absolute("/api/me"))
            .with_header("authorization", "DPoP a.b.c")
            .with_header("dpop", "a.b.c")
            .with_header("dpop", "d.e.f"),
        Request::new("GET", &absolute("/end_session?id_token_hint=%ZZ")),
        Request::new("GET", &absolute("/end_session?state=a&state=b")),
        Request::new("POST", &absolute("/end_session")).with_header("content-type", "text/plain"),
        Request::new(
            "GET",
            &absolute(&format!(
                "/end_session?id_token_hint={}",
                "a".repeat(70_000)
            )),
        ),
    ];
    let mut garbage = token_request(&[("client_id", SPA), ("grant_type", "refresh_token")]);
    garbage.body = vec![0xff, 0xfe, b'=', b'&'];
    requests.push(garbage);
    let mut big = token_request(&[("grant_type", "refresh_token"), ("client_id", SPA)]);
    big.body
        .extend_from_slice(format!("&refresh_token={}", "a".repeat(70_000)).as_bytes());
    requests.push(big);
    requests.push(token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", SPA),
        ("client_id", SPA),
    ]));
    let mut big_revoke =
        Request::new("POST", &absolute("/revoke")).with_form(&[("client_id", SPA)]);
    big_revoke
        .body
        .extend_from_slice(format!("&token={}", "a".repeat(70_000)).as_bytes());
    requests.push(big_revoke);
    requests.push(
        token_request(&[("grant_type", "client_credentials")])
            .with_header("authorization", "Basic !!!")
            .with_header("dpop", "a,b"),
    );
    for req in &requests {
        let response = op.send(req);
        assert!(
            (400..500).contains(&response.status),
            "{} {} -> {}",
            req.method,
            req.url,
            response.status
        );
    }
}
