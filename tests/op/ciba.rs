//! CIBA in poll mode (OpenID Connect Client-Initiated Backchannel Authentication Core
//! 1.0): `/bc-authorize` (§7.1-§7.3, the §13 errors), the user's page `/ciba`, and the
//! polls at the token endpoint (§10.1, §11), with the clock moved for expiry and
//! `slow_down`.

use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

pub(crate) const GRANT: &str = "urn:openid:params:grant-type:ciba";
const DESK: &str = "call-centre";
const TILL: &str = "till";

fn ciba_op() -> Op {
    let mut config = config_json();
    let secret_hash = config["clients"][2]["client_secret_hash"].clone();
    let clients = config["clients"].as_array_mut().unwrap();
    for (id, name) in [(DESK, "Bank call centre"), (TILL, "Shop till")] {
        clients.push(json!({
            "client_id": id, "client_type": "confidential", "client_secret_hash": secret_hash,
            "client_name": name, "grant_types": [GRANT, "refresh_token"],
            "backchannel_token_delivery_mode": "poll",
            "scopes": ["openid", "profile", "email", "offline_access"]
        }));
    }
    Op::with_config(config)
}

/// `/bc-authorize` from `client` with `form`.
pub(crate) fn ask_as(op: &Op, client: &str, form: &[(&str, &str)]) -> Response {
    op.send(
        &Request::new("POST", &absolute("/bc-authorize"))
            .with_form(form)
            .with_header("authorization", &basic(client, SERVICE_SECRET)),
    )
}

/// A request of the call centre for user demo; the response body.
fn ask(op: &Op, message: &str) -> Value {
    let response = ask_as(
        op,
        DESK,
        &[
            ("scope", "openid profile offline_access"),
            ("login_hint", "demo"),
            ("binding_message", message),
        ],
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

pub(crate) fn poll_as(op: &Op, client: &str, auth_req_id: &str) -> Response {
    op.send(
        &token_request(&[("grant_type", GRANT), ("auth_req_id", auth_req_id)])
            .with_header("authorization", &basic(client, SERVICE_SECRET)),
    )
}

pub(crate) fn error_of(response: &Response) -> String {
    assert!(
        matches!(response.status, 400 | 401),
        "{} {}",
        response.status,
        text(response)
    );
    body(response)["error"].as_str().unwrap().to_owned()
}

/// A browser signed in at `/ciba` as `username`, with the list in front of it.
pub(crate) fn at_the_page<'a>(
    op: &'a Op,
    username: &str,
    password: &str,
) -> (Browser<'a>, Response) {
    signed_in_at(
        op,
        "/ciba",
        "to answer sign-in requests from your apps",
        username,
        password,
    )
}

/// The answer form of the request whose binding message is `message`: its fields.
pub(crate) fn form_of(list: &Response, message: &str) -> Vec<(String, String)> {
    let html = text(list);
    let section = html
        .split("<section>")
        .find(|s| s.contains(message))
        .unwrap_or_else(|| panic!("no request showing {message:?} in {html}"));
    hidden_fields(section)
}

pub(crate) fn answer(browser: &Browser<'_>, form: &[(String, String)], decision: &str) -> Response {
    submit_form(browser, "/ciba", form, &[("decision", decision)])
}

/// §7.3: the acknowledgement; §4: discovery names the endpoint, the poll and ping modes
/// (`ciba_ping.rs`) and no user code.
#[test]
fn backchannel_authentication_response() {
    let op = ciba_op();
    let response = ask_as(&op, DESK, &[("scope", "openid"), ("login_hint", "demo")]);
    assert_eq!(response.status, 200, "{}", text(&response));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let started = body(&response);
    assert_eq!(started["auth_req_id"].as_str().unwrap().len(), 43);
    assert_eq!(started["expires_in"], 300);
    assert_eq!(started["interval"], 5);
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert_eq!(
        doc["backchannel_authentication_endpoint"],
        format!("{ISSUER}/bc-authorize")
    );
    assert_eq!(
        doc["backchannel_token_delivery_modes_supported"],
        json!(["poll", "ping"])
    );
    assert_eq!(doc["backchannel_user_code_parameter_supported"], false);
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );
    // Without a CIBA client, none of it.
    let plain = Op::new();
    let doc = body(&plain.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert!(doc.get("backchannel_authentication_endpoint").is_none());
    assert!(
        doc.get("backchannel_token_delivery_modes_supported")
            .is_none()
    );
}

/// §7.1 and §13: the request's rules and their error codes.
#[test]
fn request_rules() {
    let op = ciba_op();
    let refused = |form: &[(&str, &str)]| error_of(&ask_as(&op, DESK, form));
    assert_eq!(
        refused(&[("scope", "profile"), ("login_hint", "demo")]),
        "invalid_scope"
    );
    assert_eq!(
        refused(&[("scope", "openid admin"), ("login_hint", "demo")]),
        "invalid_scope"
    );
    assert_eq!(
        refused(&[("scope", "openid"), ("login_hint", "nobody")]),
        "unknown_user_id"
    );
    assert_eq!(refused(&[("scope", "openid")]), "invalid_request");
    assert_eq!(
        refused(&[
            ("scope", "openid"),
            ("login_hint", "demo"),
            ("id_token_hint", "x.y.z")
        ]),
        "invalid_request"
    );
    for unsupported in ["login_hint_token", "user_code", "request"] {
        assert_eq!(
            refused(&[
                ("scope", "openid"),
                ("login_hint", "demo"),
                (unsupported, "x")
            ]),
            "invalid_request",
            "{unsupported}"
        );
    }
    for message in ["a\u{7}bell", &"x".repeat(65), " padded"] {
        assert_eq!(
            refused(&[
                ("scope", "openid"),
                ("login_hint", "demo"),
                ("binding_message", message)
            ]),
            "invalid_binding_message"
        );
    }
    for expiry in ["0", "-5", "1.5", "soon"] {
        assert_eq!(
            refused(&[
                ("scope", "openid"),
                ("login_hint", "demo"),
                ("requested_expiry", expiry)
            ]),
            "invalid_request",
            "{expiry}"
        );
    }
    let expires_in = |expiry: &str| {
        body(&ask_as(
            &op,
            DESK,
            &[
                ("scope", "openid"),
                ("login_hint", "demo"),
                ("requested_expiry", expiry),
            ],
        ))["expires_in"]
            .clone()
    };
    assert_eq!(expires_in("120"), 120);
    assert_eq!(expires_in("86400"), 300, "no longer than lifetimes.ciba");
    // Client authentication (§7.1) and the grant.
    let anonymous = op.send(
        &Request::new("POST", &absolute("/bc-authorize")).with_form(&[
            ("client_id", DESK),
            ("scope", "openid"),
            ("login_hint", "demo"),
        ]),
    );
    assert_eq!(anonymous.status, 401);
    assert_eq!(body(&anonymous)["error"], "invalid_client");
    let service = ask_as(&op, SERVICE, &[("scope", "openid"), ("login_hint", "demo")]);
    assert_eq!(error_of(&service), "unauthorized_client");
}

/// The whole poll-mode flow: pending; the user signs in at `/ciba`, sees who asks, for
/// what, with the binding message, and allows; the poll gets the tokens with an ID token
/// about that user (OpenID Connect Core §3.1.3.3), once.
#[test]
fn approved_at_the_page_then_tokens_once() {
    let op = ciba_op();
    let started = ask(&op, "Transfer 4711");
    let auth_req_id = started["auth_req_id"].as_str().unwrap();
    assert_eq!(
        error_of(&poll_as(&op, DESK, auth_req_id)),
        "authorization_pending"
    );
    let signed_in_at = op.now();
    let (browser, list) = at_the_page(&op, "demo", "correct horse");
    let html = text(&list);
    assert!(
        html.contains("Bank call centre") && html.contains("<code>call-centre</code>"),
        "{html}"
    );
    assert!(
        html.contains("Transfer 4711") && html.contains("Your name and basic profile"),
        "{html}"
    );
    let done = answer(&browser, &form_of(&list, "Transfer 4711"), "allow");
    assert_eq!(done.status, 200, "{}", text(&done));
    assert!(text(&done).contains("Allowed"));
    assert!(
        !text(&browser.get("/ciba")).contains("Transfer 4711"),
        "answered: no longer listed"
    );

    op.advance(5);
    let tokens = poll_as(&op, DESK, auth_req_id);
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let tokens = body(&tokens);
    let claims = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "248289761001");
    assert_eq!(claims["aud"], DESK);
    assert_eq!(claims["auth_time"], signed_in_at);
    assert!(claims.get("at_hash").is_some() && claims.get("nonce").is_none());
    assert!(tokens["refresh_token"].is_string());
    assert_eq!(error_of(&poll_as(&op, DESK, auth_req_id)), "invalid_grant");
    // The ID token is a hint for the next request (§7.1 id_token_hint) of this client only.
    let hinted = ask_as(
        &op,
        DESK,
        &[
            ("scope", "openid"),
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
        ],
    );
    assert_eq!(hinted.status, 200, "{}", text(&hinted));
    let elsewhere = ask_as(
        &op,
        TILL,
        &[
            ("scope", "openid"),
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
        ],
    );
    assert_eq!(error_of(&elsewhere), "invalid_request");
}

/// §7.1: `id_token_hint` is an ID token the provider issued to the client (typed
/// `JWT`, RFC 7519 §5.1, as the provider types its ID tokens), never one of its access tokens, which say `at+jwt` (RFC 9068
/// §2.1). Claims that pass as a hint (this issuer, the client as `aud`, a user's `sub`),
/// signed with the provider's key, are refused as `at+jwt` and taken as `JWT`.
#[test]
fn a_hint_typed_as_an_access_token_is_refused() {
    let op = ciba_op();
    let claims = json!({
        "iss": ISSUER, "aud": DESK, "sub": "248289761001",
        "iat": op.now(), "exp": op.now() + 600,
    });
    let hinted = |typ: &str| {
        ask_as(
            &op,
            DESK,
            &[
                ("scope", "openid"),
                ("id_token_hint", &provider_signed(&op, typ, &claims)),
            ],
        )
    };
    let refused = hinted("at+jwt");
    assert_eq!(error_of(&refused), "invalid_request");
    assert!(
        body(&refused)["error_description"]
            .as_str()
            .unwrap()
            .contains("id_token_hint"),
        "{}",
        text(&refused)
    );
    let accepted = hinted("JWT");
    assert_eq!(accepted.status, 200, "{}", text(&accepted));
}

/// Only the user a request names sees it and can answer it: another signed-in user's page
/// lists nothing, and in a browser that showed the request to its user, the form (its CSRF
/// token valid there) does nothing once another user signs in.
#[test]
fn only_the_named_user_answers() {
    let op = ciba_op();
    let started = ask(&op, "Pay 12 EUR");
    let auth_req_id = started["auth_req_id"].as_str().unwrap();
    let (_, theirs) = at_the_page(&op, "second", "second user pw");
    assert!(
        text(&theirs).contains("No application is waiting"),
        "{}",
        text(&theirs)
    );
    let (shared, list) = at_the_page(&op, "demo", "correct horse");
    let form = form_of(&list, "Pay 12 EUR");
    // The next person at this browser signs in as themselves.
    let again = shared.post(
        "/ciba",
        &[
            ("step", "sign_in"),
            ("csrf", &op_sign_in_csrf(&shared)),
            ("username", "second"),
            ("password", "second user pw"),
        ],
    );
    assert_eq!(location(&again), "/ciba");
    let forged = answer(&shared, &form, "allow");
    assert_eq!(forged.status, 400, "{}", text(&forged));
    assert!(text(&forged).contains("No longer waiting"));
    assert_eq!(
        error_of(&poll_as(&op, DESK, auth_req_id)),
        "authorization_pending"
    );
    // Without the page's token: 403.
    let no_token = shared.post(
        "/ciba",
        &[
            ("step", "decide"),
            ("number", &form[1].1),
            ("request", &form[2].1),
            ("decision", "allow"),
        ],
    );
    assert_eq!(no_token.status, 403);
    // demo's own answer counts, once.
    let (demo, list) = at_the_page(&op, "demo", "correct horse");
    let form = form_of(&list, "Pay 12 EUR");
    assert!(text(&answer(&demo, &form, "deny")).contains("Denied"));
    assert_eq!(
        answer(&demo, &form, "allow").status,
        400,
        "answered already"
    );
    op.advance(5);
    assert_eq!(error_of(&poll_as(&op, DESK, auth_req_id)), "access_denied");
}

/// An answer goes to the request its form was shown for: the form's number cannot point
/// it at another of the user's requests.
#[test]
fn an_answer_is_for_the_request_shown() {
    let op = ciba_op();
    let first = ask(&op, "First");
    let second = ask(&op, "Second");
    let (browser, list) = at_the_page(&op, "demo", "correct horse");
    let mut form = form_of(&list, "First");
    form[1].1 = form_of(&list, "Second")[1].1.clone();
    let moved = answer(&browser, &form, "allow");
    assert_eq!(moved.status, 400, "{}", text(&moved));
    for started in [&first, &second] {
        assert_eq!(
            error_of(&poll_as(
                &op,
                DESK,
                started["auth_req_id"].as_str().unwrap()
            )),
            "authorization_pending"
        );
    }
}

/// The sign-in form's CSRF token in `browser`: from the sign-in form a signed-out browser
/// with the same binding cookie is shown.
fn op_sign_in_csrf(browser: &Browser<'_>) -> String {
    let binding: Vec<(String, String)> = browser
        .cookies
        .borrow()
        .iter()
        .filter(|(name, _)| name.contains("browser"))
        .cloned()
        .collect();
    let signed_out = Browser::new(browser.op);
    *signed_out.cookies.borrow_mut() = binding;
    hidden(&text(&signed_out.get("/ciba")), "csrf")
}

/// §11: `expired_token` after `expires_in`, `slow_down` when polled within the interval
/// (which then grows by 5 s), `invalid_grant` for another client's `auth_req_id`.
#[test]
fn polling_rules() {
    let op = ciba_op();
    let started = ask(&op, "Open account");
    let auth_req_id = started["auth_req_id"].as_str().unwrap();
    assert_eq!(
        error_of(&poll_as(&op, DESK, auth_req_id)),
        "authorization_pending"
    );
    op.advance(1);
    assert_eq!(error_of(&poll_as(&op, DESK, auth_req_id)), "slow_down");
    op.advance(5);
    assert_eq!(error_of(&poll_as(&op, DESK, auth_req_id)), "slow_down");
    op.advance(15);
    assert_eq!(
        error_of(&poll_as(&op, DESK, auth_req_id)),
        "authorization_pending"
    );
    assert_eq!(error_of(&poll_as(&op, TILL, auth_req_id)), "invalid_grant");
    let missing = op.send(
        &token_request(&[("grant_type", GRANT)])
            .with_header("authorization", &basic(DESK, SERVICE_SECRET)),
    );
    assert_eq!(error_of(&missing), "invalid_request");
    op.advance(300);
    assert_eq!(error_of(&poll_as(&op, DESK, auth_req_id)), "expired_token");
    let (_, list) = at_the_page(&op, "demo", "correct horse");
    assert!(
        !text(&list).contains("Open account"),
        "expired: no longer listed"
    );
}

/// Two polls of one approved request, in flight together: one gets the tokens.
#[test]
fn concurrent_polls_get_the_tokens_once() {
    let op = ciba_op();
    let started = ask(&op, "Sign contract");
    let (browser, list) = at_the_page(&op, "demo", "correct horse");
    answer(&browser, &form_of(&list, "Sign contract"), "allow");
    let request = token_request(&[
        ("grant_type", GRANT),
        ("auth_req_id", started["auth_req_id"].as_str().unwrap()),
    ])
    .with_header("authorization", &basic(DESK, SERVICE_SECRET));
    let (a, b) = op.send_together(&request);
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
}

/// The page lists the user's newest waiting requests, newest first.
#[test]
fn the_page_lists_the_newest_first() {
    let op = ciba_op();
    for n in 1..=12 {
        ask(&op, &format!("Request {n:02}"));
    }
    let (_, list) = at_the_page(&op, "demo", "correct horse");
    let html = text(&list);
    let shown: Vec<usize> = (1..=12)
        .filter_map(|n| html.find(&format!("Request {n:02}")))
        .collect();
    assert_eq!(shown.len(), 10, "the ten newest");
    assert!(!html.contains("Request 01") && !html.contains("Request 02"));
    assert!(html.find("Request 12") < html.find("Request 03"));
}

/// The configuration: CIBA is for confidential clients, with a delivery mode.
#[test]
fn configuration_rules() {
    let hash = config_json()["clients"][2]["client_secret_hash"].clone();
    let with_client = |client: Value| {
        let mut config = config_json();
        config["clients"].as_array_mut().unwrap().push(client);
        oidc_edge::op::config::Config::from_json(&config.to_string())
    };
    let base = json!({
        "client_id": "x", "client_type": "confidential", "client_secret_hash": hash,
        "grant_types": [GRANT], "scopes": ["openid"], "backchannel_token_delivery_mode": "poll"
    });
    assert!(with_client(base.clone()).is_ok());
    let mut no_mode = base.clone();
    no_mode
        .as_object_mut()
        .unwrap()
        .remove("backchannel_token_delivery_mode");
    assert_eq!(
        with_client(no_mode).unwrap_err().path,
        "clients[3].backchannel_token_delivery_mode"
    );
    // Ping mode's rules are in `ciba_ping.rs`.
    for mode in ["push", "poll ", "Poll"] {
        let mut other = base.clone();
        other["backchannel_token_delivery_mode"] = json!(mode);
        let err = with_client(other).unwrap_err();
        assert_eq!(
            err.path, "clients[3].backchannel_token_delivery_mode",
            "{mode}"
        );
    }
    let public = json!({
        "client_id": "x", "client_type": "public", "grant_types": [GRANT],
        "scopes": ["openid"], "backchannel_token_delivery_mode": "poll"
    });
    assert_eq!(
        with_client(public).unwrap_err().path,
        "clients[3].grant_types[0]"
    );
}

/// Hostile input in every parameter `/bc-authorize` and `/ciba` read, signed in and not:
/// a 4xx or a page, never a 5xx or a panic (`Op::send` asserts the status).
#[test]
fn hostile_input_on_the_ciba_endpoints() {
    let op = ciba_op();
    let started = ask(&op, "Hostile");
    let (signed_in, list) = at_the_page(&op, "demo", "correct horse");
    let form = form_of(&list, "Hostile");
    let anonymous = Browser::new(&op);
    let values = [
        String::new(),
        "é".into(),
        "%".into(),
        "%C3%28".into(),
        "%00".into(),
        "\u{0}".into(),
        "18446744073709551616".into(),
        "-1".into(),
        "é".repeat(5_000),
        "A".repeat(70_000),
    ];
    let ask_form = [
        ("scope", "openid"),
        ("login_hint", "demo"),
        ("binding_message", "m"),
        ("requested_expiry", "60"),
        ("id_token_hint", "x"),
    ];
    let page_form: Vec<(&str, &str)> = form
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain([
            ("decision", "maybe"),
            ("username", "demo"),
            ("password", "x"),
        ])
        .collect();
    let mut sent = 0;
    for (path, params) in [("/bc-authorize", &ask_form[..]), ("/ciba", &page_form[..])] {
        for (name, _) in params {
            for value in &values {
                let mut pairs: Vec<String> = params
                    .iter()
                    .filter(|(n, _)| n != name)
                    .map(|(n, v)| oidc_edge::op::form::encode(&[(n, v)]))
                    .collect();
                pairs.push(format!("{name}={value}"));
                let mut req = Request::new("POST", &absolute(path))
                    .with_header("content-type", "application/x-www-form-urlencoded")
                    .with_header("authorization", &basic(DESK, SERVICE_SECRET));
                req.body = pairs.join("&").into_bytes();
                for who in [&anonymous, &signed_in] {
                    assert!(who.send(req.clone()).status < 500, "{path} {name}");
                    sent += 1;
                }
            }
        }
    }
    assert!(sent > 200, "{sent}");
    assert_eq!(
        error_of(&poll_as(
            &op,
            DESK,
            started["auth_req_id"].as_str().unwrap()
        )),
        "authorization_pending",
        "none of it answered the request"
    );
}
