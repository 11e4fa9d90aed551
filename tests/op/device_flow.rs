//! The device authorization grant (RFC 8628): `/device_authorization` (§3.1, §3.2), the
//! verification page `/device` (§3.3, §5.1, §5.4, §6.1) and the device-code polls at the
//! token endpoint (§3.4, §3.5), with the clock moved for expiry and `slow_down`.

use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

const TV: &str = "tv";
const KIOSK: &str = "kiosk";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const API: &str = "https://api.example/";

/// The test configuration with a public device client (`tv`, which may refresh), a
/// confidential one (`kiosk`) and a resource.
fn device_op() -> Op {
    device_op_with(|_| {})
}

fn device_op_with(change: impl FnOnce(&mut Value)) -> Op {
    let mut config = config_json();
    let secret_hash = config["clients"][2]["client_secret_hash"].clone();
    let clients = config["clients"].as_array_mut().unwrap();
    clients.push(json!({
        "client_id": TV, "client_type": "public", "client_name": "Living-room TV",
        "grant_types": [GRANT, "refresh_token"],
        "scopes": ["openid", "profile", "email", "offline_access", "api:read"]
    }));
    clients.push(json!({
        "client_id": KIOSK, "client_type": "confidential", "token_endpoint_auth_method": "client_secret_basic",
        "client_secret_hash": secret_hash, "grant_types": [GRANT], "scopes": ["openid", "api:read"]
    }));
    config["resources"] = json!([{ "resource": API, "scopes": ["api:read"] }]);
    change(&mut config);
    Op::with_config(config)
}

fn authorization_request(form: &[(&str, &str)]) -> Request {
    Request::new("POST", &absolute("/device_authorization")).with_form(form)
}

/// A device authorization request of the TV; the response body.
fn start(op: &Op, scope: &str) -> Value {
    let response = op.send(&authorization_request(&[
        ("client_id", TV),
        ("scope", scope),
    ]));
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

fn poll(op: &Op, client_id: &str, device_code: &str) -> Response {
    op.send(&token_request(&[
        ("grant_type", GRANT),
        ("device_code", device_code),
        ("client_id", client_id),
    ]))
}

fn error_of(response: &Response) -> String {
    assert_eq!(response.status, 400, "{}", text(response));
    body(response)["error"].as_str().unwrap().to_owned()
}

/// Submits the form of `page` with its hidden fields and `fields`.
fn submit(browser: &Browser<'_>, page: &Response, fields: &[(&str, &str)]) -> Response {
    submit_form(browser, "/device", &hidden_fields(&text(page)), fields)
}

/// A browser signed in at `/device` as `username`, with the code form in front of it.
fn signed_in<'a>(op: &'a Op, username: &str, password: &str) -> (Browser<'a>, Response) {
    let (browser, code_form) =
        signed_in_at(op, "/device", "to connect a device", username, password);
    assert!(
        text(&code_form).contains("name=\"user_code\""),
        "{}",
        text(&code_form)
    );
    (browser, code_form)
}

/// Signs in as demo, enters `typed`, and answers `decision`; the final page.
fn answer(op: &Op, typed: &str, decision: &str) -> Response {
    let (browser, code_form) = signed_in(op, "demo", "correct horse");
    let approve = submit(&browser, &code_form, &[("user_code", typed)]);
    assert_eq!(approve.status, 200, "{}", text(&approve));
    submit(&browser, &approve, &[("decision", decision)])
}

/// RFC 8628 §3.2: the response's members; §6.1: the user code's shape; §4: discovery.
#[test]
fn device_authorization_response() {
    let op = device_op();
    let response = op.send(&authorization_request(&[
        ("client_id", TV),
        ("scope", "openid"),
    ]));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let started = body(&response);
    let device_code = started["device_code"].as_str().unwrap();
    assert_eq!(device_code.len(), 43, "256 random bits");
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(
        user_code
            .bytes()
            .filter(|b| *b != b'-')
            .all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b)),
        "{user_code}"
    );
    assert_eq!(started["verification_uri"], format!("{ISSUER}/device"));
    assert_eq!(
        started["verification_uri_complete"],
        format!("{ISSUER}/device?user_code={user_code}")
    );
    assert_eq!(started["expires_in"], 600);
    assert_eq!(started["interval"], 5);
    // Stored only by hash: no record holds either code.
    let other = start(&op, "openid");
    assert_ne!(other["device_code"], started["device_code"]);
    assert_ne!(other["user_code"], started["user_code"]);

    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/oauth-authorization-server"),
    )));
    assert_eq!(
        doc["device_authorization_endpoint"],
        format!("{ISSUER}/device_authorization")
    );
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );
}

/// `lifetimes.device_code` is the codes' `expires_in`.
#[test]
fn the_lifetime_is_configured() {
    let op = device_op_with(|config| config["lifetimes"]["device_code"] = json!(900));
    assert_eq!(start(&op, "openid")["expires_in"], 900);
}

/// RFC 8628 §3.1: a confidential client authenticates as at the token endpoint; the
/// client must be registered for the grant; scopes and resources are checked up front.
#[test]
fn device_authorization_request_rules() {
    let op = device_op();
    let kiosk = |auth: Option<&str>, form: &[(&str, &str)]| {
        let req = authorization_request(form);
        op.send(&match auth {
            Some(auth) => req.with_header("authorization", auth),
            None => req,
        })
    };
    let ok = kiosk(
        Some(&basic(KIOSK, SERVICE_SECRET)),
        &[("scope", "api:read")],
    );
    assert_eq!(ok.status, 200, "{}", text(&ok));
    let unauthenticated = kiosk(None, &[("client_id", KIOSK), ("scope", "api:read")]);
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(body(&unauthenticated)["error"], "invalid_client");
    let wrong = kiosk(Some(&basic(KIOSK, "wrong")), &[("scope", "api:read")]);
    assert_eq!(body(&wrong)["error"], "invalid_client");

    let not_registered = op.send(&authorization_request(&[
        ("client_id", SPA),
        ("scope", "openid"),
    ]));
    assert_eq!(body(&not_registered)["error"], "unauthorized_client");
    let refused =
        |form: &[(&str, &str)]| body(&op.send(&authorization_request(form)))["error"].clone();
    assert_eq!(
        refused(&[("client_id", TV), ("scope", "openid admin")]),
        "invalid_scope"
    );
    assert_eq!(refused(&[("client_id", TV)]), "invalid_scope");
    assert_eq!(
        refused(&[
            ("client_id", TV),
            ("scope", "api:read"),
            ("resource", "https://elsewhere.example/")
        ]),
        "invalid_target"
    );
    assert_eq!(
        refused(&[("client_id", "nobody"), ("scope", "openid")]),
        "invalid_client"
    );
    let not_a_form = op.send(&Request::new("POST", &absolute("/device_authorization")));
    assert_eq!(body(&not_a_form)["error"], "invalid_request");
    assert_eq!(
        op.send(&Request::new("GET", &absolute("/device_authorization")))
            .status,
        405
    );
}

/// RFC 8628 §3.3-§3.5 end to end: pending until the user approves at `/device`, then the
/// tokens with an ID token (`openid` was asked, OpenID Connect Core §3.1.3.3) and a refresh
/// token (`offline_access`); then the code is spent.
#[test]
fn approved_on_the_page_then_tokens_once() {
    let op = device_op();
    let started = start(&op, "openid profile offline_access");
    let device_code = started["device_code"].as_str().unwrap();
    assert_eq!(
        error_of(&poll(&op, TV, device_code)),
        "authorization_pending"
    );

    let signed_in_at = op.now();
    let (browser, code_form) = signed_in(&op, "demo", "correct horse");
    let approve = submit(
        &browser,
        &code_form,
        &[("user_code", started["user_code"].as_str().unwrap())],
    );
    let page = text(&approve);
    // §5.4: who asks, for what, and the code to compare with the device's.
    assert!(
        page.contains("Living-room TV") && page.contains("<code>tv</code>"),
        "{page}"
    );
    assert!(page.contains("Your name and basic profile"), "{page}");
    assert!(
        page.contains(started["user_code"].as_str().unwrap()),
        "{page}"
    );
    assert!(page.contains("a code someone else gave you"), "{page}");
    let done = submit(&browser, &approve, &[("decision", "allow")]);
    assert_eq!(done.status, 200);
    assert!(text(&done).contains("Device connected"));

    op.advance(5);
    let tokens = poll(&op, TV, device_code);
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert_eq!(tokens.header("cache-control"), Some("no-store"));
    let tokens = body(&tokens);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile offline_access");
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims = jwt_payload(id_token);
    assert_eq!(claims["sub"], "248289761001");
    assert_eq!(claims["aud"], TV);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["auth_time"], signed_in_at);
    assert_eq!(claims["name"], "Demo User");
    assert!(claims.get("nonce").is_none() && claims.get("sid").is_some());
    let access = jwt_payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["client_id"], TV);
    assert!(access.get("gid").is_some(), "revocable with its grant");

    // Spent: every later poll is invalid_grant (§3.5: the code is no longer usable).
    assert_eq!(error_of(&poll(&op, TV, device_code)), "invalid_grant");
    op.advance(5);
    assert_eq!(error_of(&poll(&op, TV, device_code)), "invalid_grant");

    // The refresh token refreshes like any other (RFC 6749 §6).
    let refreshed = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", TV),
    ]));
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    assert!(body(&refreshed)["id_token"].is_string());
    let userinfo = op.send(&Request::new("GET", &absolute("/userinfo")).with_header(
        "authorization",
        &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
    ));
    assert_eq!(body(&userinfo)["sub"], "248289761001");
}

/// Two polls of one approved code, in flight together: one gets the tokens.
#[test]
fn concurrent_polls_get_the_tokens_once() {
    let op = device_op();
    let started = start(&op, "openid");
    let device_code = started["device_code"].as_str().unwrap();
    answer(&op, started["user_code"].as_str().unwrap(), "allow");
    let request = token_request(&[
        ("grant_type", GRANT),
        ("device_code", device_code),
        ("client_id", TV),
    ]);
    let (a, b) = op.send_together(&request);
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
}

/// RFC 8628 §3.5: a poll within the interval is `slow_down`, and the interval is 5 s
/// longer "for this and all subsequent requests"; a client that waits the interval is
/// never told to slow down.
#[test]
fn polling_too_fast_is_slow_down() {
    let op = device_op();
    let started = start(&op, "openid");
    let device_code = started["device_code"].as_str().unwrap();
    let polled = |after: i64| {
        op.advance(after);
        error_of(&poll(&op, TV, device_code))
    };
    // Every 5 s, as told: pending each time.
    for _ in 0..6 {
        assert_eq!(polled(5), "authorization_pending");
    }
    assert_eq!(polled(1), "slow_down");
    // Waiting the old interval is still too fast: it is 10 s now.
    assert_eq!(polled(5), "slow_down");
    // Now 15 s; waited.
    assert_eq!(polled(15), "authorization_pending");
    assert_eq!(polled(15), "authorization_pending");
    // Within the interval's current slot (slots start at multiples of it).
    assert_eq!(polled(5), "slow_down");
    assert_eq!(polled(20), "authorization_pending");
    // Another request's interval is its own.
    let other = start(&op, "openid");
    let other_code = other["device_code"].as_str().unwrap();
    assert_eq!(
        error_of(&poll(&op, TV, other_code)),
        "authorization_pending"
    );
    op.advance(5);
    assert_eq!(
        error_of(&poll(&op, TV, other_code)),
        "authorization_pending"
    );
}

/// RFC 8628 §3.5: `expired_token` once `expires_in` has passed, answered or not; the page
/// no longer finds the code; long after, the code is unknown.
#[test]
fn expired_codes() {
    let op = device_op();
    let started = start(&op, "openid");
    let device_code = started["device_code"].as_str().unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    op.advance(599);
    assert_eq!(
        error_of(&poll(&op, TV, device_code)),
        "authorization_pending"
    );
    op.advance(1);
    assert_eq!(error_of(&poll(&op, TV, device_code)), "expired_token");
    let (browser, code_form) = signed_in(&op, "demo", "correct horse");
    let late = submit(&browser, &code_form, &[("user_code", user_code)]);
    assert_eq!(late.status, 400);
    assert!(text(&late).contains("not valid, or it has expired"));

    // Approved in time, polled too late.
    let approved = start(&op, "openid");
    answer(&op, approved["user_code"].as_str().unwrap(), "allow");
    op.advance(600);
    assert_eq!(
        error_of(&poll(&op, TV, approved["device_code"].as_str().unwrap())),
        "expired_token"
    );
    op.advance(3600);
    assert_eq!(error_of(&poll(&op, TV, device_code)), "invalid_grant");
}

/// RFC 8628 §3.5: a denial is `access_denied`, on every poll after it.
#[test]
fn denied_requests() {
    let op = device_op();
    let started = start(&op, "openid");
    let device_code = started["device_code"].as_str().unwrap();
    let done = answer(&op, started["user_code"].as_str().unwrap(), "deny");
    assert!(text(&done).contains("Request denied"));
    assert_eq!(error_of(&poll(&op, TV, device_code)), "access_denied");
    op.advance(5);
    assert_eq!(error_of(&poll(&op, TV, device_code)), "access_denied");
}

/// RFC 8628 §3.4: a device code is its client's alone; another client's poll is
/// `invalid_grant` and spends nothing.
#[test]
fn another_clients_device_code() {
    let op = device_op();
    let started = start(&op, "openid api:read");
    let device_code = started["device_code"].as_str().unwrap();
    answer(&op, started["user_code"].as_str().unwrap(), "allow");
    let kiosk = op.send(
        &token_request(&[("grant_type", GRANT), ("device_code", device_code)])
            .with_header("authorization", &basic(KIOSK, SERVICE_SECRET)),
    );
    assert_eq!(error_of(&kiosk), "invalid_grant");
    // A client without the grant is refused before the code is read.
    let spa = poll(&op, SPA, device_code);
    assert_eq!(error_of(&spa), "unauthorized_client");
    assert_eq!(poll(&op, TV, device_code).status, 200);
    // Malformed polls.
    let missing = op.send(&token_request(&[("grant_type", GRANT), ("client_id", TV)]));
    assert_eq!(error_of(&missing), "invalid_request");
    assert_eq!(error_of(&poll(&op, TV, "not-a-code")), "invalid_grant");
}

/// RFC 8707 §2.2: a device request's resource is the token's audience.
#[test]
fn tokens_for_a_resource() {
    let op = device_op();
    let response = op.send(&authorization_request(&[
        ("client_id", TV),
        ("scope", "openid api:read"),
        ("resource", API),
    ]));
    let started = body(&response);
    answer(&op, started["user_code"].as_str().unwrap(), "allow");
    let tokens = body(&poll(&op, TV, started["device_code"].as_str().unwrap()));
    let access = jwt_payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], API);
    assert_eq!(access["scope"], "api:read");
}

/// RFC 8628 §6.1: the code is compared without case or hyphen; §3.3.1: the complete URI
/// prefills it, still to be confirmed.
#[test]
fn user_codes_are_typed_loosely() {
    let op = device_op();
    let started = start(&op, "openid");
    let user_code = started["user_code"].as_str().unwrap();
    let loose = user_code.replace('-', " ").to_lowercase();
    let done = answer(&op, &loose, "allow");
    assert!(text(&done).contains("Device connected"), "{}", text(&done));

    let second = start(&op, "openid");
    let complete = second["verification_uri_complete"].as_str().unwrap();
    let browser = Browser::new(&op);
    let sign_in = browser.get(complete);
    assert_eq!(hidden(&text(&sign_in), "user_code"), second["user_code"]);
    let back = location(&submit(
        &browser,
        &sign_in,
        &[("username", "demo"), ("password", "correct horse")],
    ));
    assert_eq!(absolute(&back), complete, "back to the page with the code");
    let code_form = browser.get(&back);
    assert!(text(&code_form).contains(&format!(
        "value=\"{}\"",
        second["user_code"].as_str().unwrap()
    )));
    assert_eq!(
        error_of(&poll(&op, TV, second["device_code"].as_str().unwrap())),
        "authorization_pending",
        "prefilled is not approved"
    );
}

/// One answer per request: a second tab, or another user, finds it answered; the first
/// answer stands.
#[test]
fn a_request_is_answered_once() {
    let op = device_op();
    let started = start(&op, "openid");
    let user_code = started["user_code"].as_str().unwrap();
    let (demo, demo_form) = signed_in(&op, "demo", "correct horse");
    let (second, second_form) = signed_in(&op, "second", "second user pw");
    let demo_approve = submit(&demo, &demo_form, &[("user_code", user_code)]);
    let second_approve = submit(&second, &second_form, &[("user_code", user_code)]);
    assert_eq!(demo_approve.status, 200);
    assert_eq!(second_approve.status, 200);
    assert!(
        text(&submit(&second, &second_approve, &[("decision", "deny")])).contains("Request denied")
    );
    let late = submit(&demo, &demo_approve, &[("decision", "allow")]);
    assert_eq!(late.status, 400);
    assert!(text(&late).contains("already been used"));
    assert_eq!(
        error_of(&poll(&op, TV, started["device_code"].as_str().unwrap())),
        "access_denied"
    );
    let again = submit(&demo, &demo_form, &[("user_code", user_code)]);
    assert!(text(&again).contains("already been used"));
}

/// The forms are CSRF-protected: a decision needs the token this browser was shown for
/// this code; a sign-in or look-up needs this browser's token.
#[test]
fn forms_need_their_csrf_token() {
    let op = device_op();
    let started = start(&op, "openid");
    let user_code = started["user_code"].as_str().unwrap();
    let other = start(&op, "openid");
    let (browser, code_form) = signed_in(&op, "demo", "correct horse");
    let approve = submit(&browser, &code_form, &[("user_code", user_code)]);
    let csrf = hidden(&text(&approve), "csrf");
    let forged = |form: &[(&str, &str)]| browser.post("/device", form);
    // The token of one code does not decide another.
    let swapped = forged(&[
        ("step", "decide"),
        ("user_code", other["user_code"].as_str().unwrap()),
        ("csrf", &csrf),
        ("decision", "allow"),
    ]);
    assert_eq!(swapped.status, 403);
    let none = forged(&[
        ("step", "decide"),
        ("user_code", user_code),
        ("decision", "allow"),
    ]);
    assert_eq!(none.status, 403);
    // Nor in another browser, signed in as the same user.
    let (elsewhere, _) = signed_in(&op, "demo", "correct horse");
    let moved = elsewhere.post(
        "/device",
        &[
            ("step", "decide"),
            ("user_code", user_code),
            ("csrf", &csrf),
            ("decision", "allow"),
        ],
    );
    assert_eq!(moved.status, 403);
    let no_token = forged(&[("step", "code"), ("user_code", user_code)]);
    assert_eq!(no_token.status, 403);
    let login_without = Browser::new(&op).post(
        "/device",
        &[
            ("step", "sign_in"),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(login_without.status, 403);
    assert_eq!(forged(&[("step", "other")]).status, 400);
    for pending in [&started, &other] {
        assert_eq!(
            error_of(&poll(&op, TV, pending["device_code"].as_str().unwrap())),
            "authorization_pending"
        );
    }
    // The sign-in form's token is not the code form's.
    let signed_out = Browser::new(&op);
    let page = signed_out.get("/device");
    let token = hidden(&text(&page), "csrf");
    let refused = signed_out.post(
        "/device",
        &[("step", "code"), ("user_code", user_code), ("csrf", &token)],
    );
    assert_eq!(refused.status, 403);
}

/// RFC 8628 §5.1: look-ups of user codes are limited per browser (10 in 15 minutes), then
/// refused with 429 and `Retry-After`, even for the right code, until the window turns.
#[test]
fn guessing_user_codes_is_limited_per_browser() {
    let op = device_op();
    let started = start(&op, "openid");
    let (browser, code_form) = signed_in(&op, "demo", "correct horse");
    for _ in 0..10 {
        let guess = submit(&browser, &code_form, &[("user_code", "BCDF-GHJK")]);
        assert_eq!(guess.status, 400, "{}", text(&guess));
    }
    let right = submit(
        &browser,
        &code_form,
        &[("user_code", started["user_code"].as_str().unwrap())],
    );
    assert_eq!(right.status, 429);
    let retry: u64 = right.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(text(&right).contains("Too many codes tried"));
    // Another browser is not held back by this one's guesses.
    let (fresh, fresh_form) = signed_in(&op, "demo", "correct horse");
    let found = submit(
        &fresh,
        &fresh_form,
        &[("user_code", started["user_code"].as_str().unwrap())],
    );
    assert_eq!(found.status, 200);
    op.advance(900);
    let later = submit(
        &browser,
        &browser.get("/device"),
        &[("user_code", started["user_code"].as_str().unwrap())],
    );
    assert_ne!(later.status, 429);
}

/// The code form's submission of `code` by browser `b` (with its form's `csrf`), from
/// `address` (`CF-Connecting-IP`).
fn look_up_from(b: &Browser<'_>, csrf: &str, code: &str, address: &str) -> Response {
    b.send(
        Request::new("POST", &absolute("/device"))
            .with_form(&[("step", "code"), ("csrf", csrf), ("user_code", code)])
            .with_header("cf-connecting-ip", address),
    )
}

/// A third user, "third" with password "third user pw", for tests that spend two users'
/// user-code budgets.
fn add_third_user(config: &mut Value) {
    let hash = oidc_edge::op::password::PasswordHash::create(b"third user pw", 10_000).unwrap();
    config["users"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "sub": "u3", "username": "third", "password_hash": hash.to_string(), "claims": {} }));
}

/// RFC 8628 §5.1: per address (`CF-Connecting-IP`), 100 look-ups in 15 minutes, whatever
/// browser (a guesser drops its cookies, not its address), an IPv6 address counted by its
/// /64 (a host holds a whole /64, RFC 4291 §2.5.4: a fresh address per guess gains nothing).
#[test]
fn guessing_user_codes_is_limited_per_address() {
    // Eleven sign-ins: past the default sign-in limit.
    let op = device_op_with(|config| {
        config["login_limits"] = json!({ "per_username": 100, "per_address": 100, "window": 900 });
        add_third_user(config);
    });
    let started = start(&op, "openid");
    // The guessing is shared by two accounts, each within its own limit (50).
    let (browser, code_form) = signed_in(&op, "third", "third user pw");
    let csrf_of = |b: &Browser<'_>| hidden(&text(&b.get("/device")), "csrf");
    let mut browsers = Vec::new();
    for i in 0..10 {
        let (b, _) = if i % 2 == 0 {
            signed_in(&op, "demo", "correct horse")
        } else {
            signed_in(&op, "second", "second user pw")
        };
        let csrf = csrf_of(&b);
        for j in 0..10 {
            let address = format!("2001:db8:5:6:{i:x}::{j:x}");
            assert_eq!(look_up_from(&b, &csrf, "BCDF-GHJK", &address).status, 400);
        }
        browsers.push(b);
    }
    let csrf = hidden(&text(&code_form), "csrf");
    let code = started["user_code"].as_str().unwrap();
    assert_eq!(
        look_up_from(&browser, &csrf, code, "2001:db8:5:6:ffff::1").status,
        429
    );
    assert_eq!(
        look_up_from(&browser, &csrf, code, "2001:db8:5:7::1").status,
        200
    );
}

/// RFC 8628 §5.1: per signed-in account, 50 look-ups in 15 minutes, whatever browser and
/// address (a guesser holding a /48 changes both, not its account); another account is
/// not held back.
#[test]
fn guessing_user_codes_is_limited_per_account() {
    let op = device_op_with(|config| {
        config["login_limits"] = json!({ "per_username": 100, "per_address": 100, "window": 900 });
    });
    let started = start(&op, "openid");
    let code = started["user_code"].as_str().unwrap();
    let guess = |b: &Browser<'_>, code: &str, address: &str| {
        look_up_from(b, &hidden(&text(&b.get("/device")), "csrf"), code, address)
    };
    for i in 0..5 {
        let (b, _) = signed_in(&op, "demo", "correct horse");
        for j in 0..10 {
            let address = format!("2001:db8:{i:x}:{j:x}::1");
            assert_eq!(guess(&b, "BCDF-GHJK", &address).status, 400);
        }
    }
    let (fresh, _) = signed_in(&op, "demo", "correct horse");
    let refused = guess(&fresh, code, "2001:db8:ff:1::1");
    assert_eq!(refused.status, 429);
    assert!(text(&refused).contains("Too many codes tried"));
    let (other, _) = signed_in(&op, "second", "second user pw");
    assert_eq!(guess(&other, code, "2001:db8:ff:2::1").status, 200);
}

/// The page signs people in with the login page's form and its limits (`login_limits`).
#[test]
fn signing_in_at_the_page_is_throttled_like_the_login_page() {
    let op = device_op_with(|config| {
        config["login_limits"] = json!({ "per_username": 3, "per_address": 50, "window": 600 });
    });
    let browser = Browser::new(&op);
    let page = browser.get("/device");
    for _ in 0..3 {
        let wrong = submit(
            &browser,
            &page,
            &[("username", "demo"), ("password", "nope")],
        );
        assert_eq!(wrong.status, 401);
        assert!(text(&wrong).contains("Wrong username or password."));
    }
    let refused = submit(
        &browser,
        &page,
        &[("username", "demo"), ("password", "correct horse")],
    );
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
    assert!(text(&refused).contains("Too many sign-in attempts"));
}

/// A store that fails answers 503 `temporarily_unavailable`, never a verdict.
#[test]
fn store_failures_are_503() {
    let op = device_op();
    let started = start(&op, "openid");
    let down = op.send_with_store_down(&authorization_request(&[
        ("client_id", TV),
        ("scope", "openid"),
    ]));
    assert_eq!(down.status, 503);
    assert_eq!(body(&down)["error"], "temporarily_unavailable");
    let polled = op.send_with_store_down(&token_request(&[
        ("grant_type", GRANT),
        ("device_code", started["device_code"].as_str().unwrap()),
        ("client_id", TV),
    ]));
    assert_eq!(polled.status, 503);
    let (browser, code_form) = signed_in(&op, "demo", "correct horse");
    let lookup = browser.cookies.send(
        Request::new("POST", &absolute("/device")).with_form(&[
            ("step", "code"),
            ("csrf", &hidden(&text(&code_form), "csrf")),
            ("user_code", started["user_code"].as_str().unwrap()),
        ]),
        |req| op.send_with_store_down(req),
    );
    assert_eq!(lookup.status, 503);
}

/// A method, a path and the parameters sent there.
type Form = (&'static str, &'static str, Vec<(&'static str, String)>);

/// Hostile input (the values of tests/op/hostile.rs's kind) in every parameter the device
/// endpoints read, signed in and not: a 4xx or a page, never a 5xx or a panic
/// (`Op::send` asserts the status).
#[test]
fn hostile_input_on_the_device_endpoints() {
    let op = device_op();
    let started = start(&op, "openid");
    let user_code = started["user_code"].as_str().unwrap().to_owned();
    let device_code = started["device_code"].as_str().unwrap().to_owned();
    let (signed_in, code_form) = signed_in(&op, "demo", "correct horse");
    let csrf = hidden(&text(&code_form), "csrf");
    let anonymous = Browser::new(&op);
    let values = [
        String::new(),
        "é".into(),
        "Basicé".into(),
        "%".into(),
        "%G0".into(),
        "%C3%28".into(),
        "%00".into(),
        "\u{0}".into(),
        "\u{10348}\u{10348}-\u{10348}".into(),
        "ẄDJB-MJHT".into(),
        "-".repeat(9),
        "é".repeat(5_000),
        "A".repeat(70_000),
    ];
    let forms: Vec<Form> = vec![
        (
            "POST",
            "/device_authorization",
            vec![
                ("client_id", TV.into()),
                ("scope", "openid".into()),
                ("resource", API.into()),
            ],
        ),
        (
            "POST",
            "/token",
            vec![
                ("grant_type", GRANT.into()),
                ("client_id", TV.into()),
                ("device_code", device_code.clone()),
            ],
        ),
        ("GET", "/device", vec![("user_code", user_code.clone())]),
        (
            "POST",
            "/device",
            vec![
                ("step", "sign_in".into()),
                ("csrf", csrf.clone()),
                ("username", "demo".into()),
                ("password", "x".into()),
                ("user_code", user_code.clone()),
            ],
        ),
        (
            "POST",
            "/device",
            vec![
                ("step", "code".into()),
                ("csrf", csrf.clone()),
                ("user_code", user_code.clone()),
            ],
        ),
        (
            "POST",
            "/device",
            vec![
                ("step", "decide".into()),
                ("csrf", csrf.clone()),
                ("user_code", user_code.clone()),
                ("decision", "maybe".into()),
            ],
        ),
    ];
    let mut sent = 0;
    for (method, path, params) in &forms {
        for (name, _) in params {
            for value in &values {
                // Raw: escapes stay as written, invalid ones included.
                let mut pairs: Vec<String> = params
                    .iter()
                    .filter(|(n, _)| n != name)
                    .map(|(n, v)| oidc_edge::op::form::encode(&[(n, v)]))
                    .collect();
                pairs.push(format!("{name}={value}"));
                let form = pairs.join("&");
                let req = if *method == "POST" {
                    let mut req = Request::new("POST", &absolute(path))
                        .with_header("content-type", "application/x-www-form-urlencoded");
                    req.body = form.into_bytes();
                    req
                } else {
                    Request::new("GET", &absolute(&format!("{path}?{form}")))
                };
                for who in [&anonymous, &signed_in] {
                    let response = who.send(req.clone());
                    assert!(response.status < 500, "{path} {name}={value:.40}");
                    sent += 1;
                }
            }
        }
    }
    assert!(sent > 300, "{sent}");
    // None of it answered the pending request.
    assert_eq!(
        error_of(&poll(&op, TV, &device_code)),
        "authorization_pending"
    );
}

/// Back-Channel Logout 1.0 §2.4-2.6: the device's ID token names the session the user
/// approved in (`sid`), so when that session ends, the device client is told, as a client
/// that got a code from it would be. (CIBA's tokens are issued by the same code,
/// `token::grants::approved`.)
#[test]
fn ending_the_session_tells_the_device_client() {
    use oidc_edge::op::Effect;

    let backchannel = "https://tv.example/backchannel";
    let op = device_op_with(|config| {
        let tv = config["clients"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|client| client["client_id"] == TV)
            .unwrap();
        tv["backchannel_logout_uri"] = json!(backchannel);
    });
    let started = start(&op, "openid");
    let (browser, code_form) = signed_in(&op, "demo", "correct horse");
    let approve = submit(
        &browser,
        &code_form,
        &[("user_code", started["user_code"].as_str().unwrap())],
    );
    let done = submit(&browser, &approve, &[("decision", "allow")]);
    assert!(text(&done).contains("Device connected"), "{}", text(&done));
    let tokens = poll(&op, TV, started["device_code"].as_str().unwrap());
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let id_token = body(&tokens)["id_token"].as_str().unwrap().to_owned();
    let sid = jwt_payload(&id_token)["sid"].clone();

    let ended = browser.get(&format!(
        "/end_session?{}",
        oidc_edge::op::form::encode(&[("id_token_hint", id_token.as_str())])
    ));
    let told: Vec<(&str, Value)> = ended
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Post { url, body, .. } => {
                let form =
                    oidc_edge::op::form::Params::parse(std::str::from_utf8(body).unwrap()).unwrap();
                Some((url.as_str(), jwt_payload(form.get("logout_token").unwrap())))
            }
            _ => None,
        })
        .collect();
    assert_eq!(told.len(), 1, "{:?}", ended.effects);
    let (url, logout) = &told[0];
    assert_eq!(*url, backchannel);
    assert_eq!(logout["aud"], TV);
    assert_eq!(logout["sid"], sid);
}

/// A poll that fails after the user approved (here the signature; a store write would do
/// the same) spends nothing: the client's retry gets the tokens (RFC 6749 §5.2, a failure
/// of the provider's is no reason to start over), and only once.
#[test]
fn a_failed_poll_leaves_the_tokens_for_the_retry() {
    let op = device_op();
    let started = start(&op, "openid");
    let device_code = started["device_code"].as_str().unwrap();
    let done = answer(&op, started["user_code"].as_str().unwrap(), "allow");
    assert!(text(&done).contains("Device connected"), "{}", text(&done));
    let failed = op.send_with_signer_down(&token_request(&[
        ("grant_type", GRANT),
        ("device_code", device_code),
        ("client_id", TV),
    ]));
    assert_eq!(failed.status, 503, "{}", text(&failed));
    assert_eq!(body(&failed)["error"], "temporarily_unavailable");
    op.advance(5);
    let retried = poll(&op, TV, device_code);
    assert_eq!(retried.status, 200, "{}", text(&retried));
    op.advance(5);
    assert_eq!(error_of(&poll(&op, TV, device_code)), "invalid_grant");
}

/// A device code is no authorization code (RFC 8628 §3.5): sent as one by anyone, it is an
/// unknown code, and the replay rule of RFC 6749 §4.1.2 does not revoke the device's grant,
/// although the device grant's record is named the way a code's is.
#[test]
fn a_device_code_sent_as_a_code_revokes_nothing() {
    let op = device_op();
    let started = start(&op, "openid offline_access");
    let device_code = started["device_code"].as_str().unwrap();
    answer(&op, started["user_code"].as_str().unwrap(), "allow");
    let tokens = body(&poll(&op, TV, device_code));
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let as_code = op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", device_code),
        ("redirect_uri", SPA_REDIRECT),
        ("code_verifier", &"v".repeat(43)),
        ("client_id", SPA),
    ]));
    assert_eq!(error_of(&as_code), "invalid_grant", "{}", text(&as_code));
    let refreshed = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", TV),
    ]));
    assert_eq!(
        refreshed.status,
        200,
        "the device's grant lives: {}",
        text(&refreshed)
    );
}
