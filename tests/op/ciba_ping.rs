//! CIBA in ping mode (OpenID Connect Client-Initiated Backchannel Authentication Core 1.0
//! §5, §10.2): the client metadata (§4), the `client_notification_token` of each request
//! (§7.1), the notification POSTed when the user allows or denies at `/ciba` (§10.2), and the
//! token endpoint afterwards, as in poll mode (§7.3, §10.1, §11). The provider only asks its
//! host to send the notification (an `Effect`); these tests read that request as the host
//! would send it, and never carry it out: a notification that never arrives is what a
//! failing endpoint looks like to the provider.

use oidc_edge::op::config::{Config, TokenDelivery};
use std::cell::RefCell;

use oidc_edge::op::{Effect, Request, Response};
use serde_json::{Value, json};

use super::ciba::{GRANT, answer, ask_as, at_the_page, error_of, form_of, poll_as};
use crate::op_support::*;

/// The ping client, and its notification endpoint.
const BRANCH: &str = "branch";
const ENDPOINT: &str = "https://branch.example/ciba/notify?tenant=7";
/// A poll client beside it.
const DESK: &str = "call-centre";
/// A token of the client's (RFC 6750 §2.1 syntax, every kind of character it allows).
const NOTIFY_TOKEN: &str = "8d67dc78-7faa.4d41_aabd~67707b374255+x/y==";

fn ping_op() -> Op {
    let mut config = config_json();
    config["clients"]
        .as_array_mut()
        .unwrap()
        .extend([ping_client(ENDPOINT), poll_client()]);
    Op::with_config(config)
}

fn ping_client(endpoint: &str) -> Value {
    let secret_hash = config_json()["clients"][2]["client_secret_hash"].clone();
    json!({
        "client_id": BRANCH, "client_type": "confidential", "client_secret_hash": secret_hash,
        "client_name": "Bank branch", "grant_types": [GRANT, "refresh_token"],
        "backchannel_token_delivery_mode": "ping",
        "backchannel_client_notification_endpoint": endpoint,
        "scopes": ["openid", "profile", "offline_access"]
    })
}

fn poll_client() -> Value {
    let secret_hash = config_json()["clients"][2]["client_secret_hash"].clone();
    json!({
        "client_id": DESK, "client_type": "confidential", "client_secret_hash": secret_hash,
        "grant_types": [GRANT], "backchannel_token_delivery_mode": "poll", "scopes": ["openid"]
    })
}

/// A request of the ping client for user demo, showing `message`; its `auth_req_id`.
fn ask(op: &Op, message: &str) -> String {
    let response = ask_as(
        op,
        BRANCH,
        &[
            ("scope", "openid profile"),
            ("login_hint", "demo"),
            ("binding_message", message),
            ("client_notification_token", NOTIFY_TOKEN),
        ],
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)["auth_req_id"].as_str().unwrap().to_owned()
}

/// The user signs in at `/ciba` and answers the request showing `message`.
fn decide(op: &Op, message: &str, decision: &str) -> Response {
    let (browser, list) = at_the_page(op, "demo", "correct horse");
    let done = answer(&browser, &form_of(&list, message), decision);
    assert_eq!(done.status, 200, "{}", text(&done));
    done
}

/// The one ping a response asks its host to send: URL, content type, `Authorization`, body.
fn the_ping(response: &Response) -> (String, String, Option<String>, Value) {
    assert_eq!(response.effects.len(), 1, "{:?}", response.effects);
    let Some(Effect::Post {
        url,
        content_type,
        authorization,
        body,
    }) = response.effects.first()
    else {
        panic!("not a POST: {:?}", response.effects);
    };
    (
        url.clone(),
        (*content_type).to_owned(),
        authorization.as_ref().map(|a| a.expose().to_owned()),
        serde_json::from_slice(body).unwrap(),
    )
}

fn config_with(client: Value, issuer: &str) -> Result<Config, oidc_edge::op::config::ConfigError> {
    let mut config = config_json();
    config["issuer"] = issuer.into();
    config["clients"].as_array_mut().unwrap().push(client);
    Config::from_json(&config.to_string())
}

/// §4: `backchannel_token_delivery_mode: "ping"` needs a
/// `backchannel_client_notification_endpoint`, an https URL (plain http on a loopback host
/// only beside a development issuer there); the endpoint is read with ping mode only, and
/// push mode is refused. Each error names its field.
#[test]
fn configuration_rules() {
    let issuer = ISSUER;
    let dev_issuer = "http://localhost:8787";
    let endpoint_path = "clients[3].backchannel_client_notification_endpoint";
    let mode_path = "clients[3].backchannel_token_delivery_mode";
    let config = config_with(ping_client(ENDPOINT), issuer).unwrap();
    assert_eq!(
        config
            .client(BRANCH)
            .unwrap()
            .backchannel_token_delivery_mode,
        Some(TokenDelivery::Ping {
            notification_endpoint: ENDPOINT.into()
        })
    );
    let refused = |client: Value, issuer: &str| {
        let err = config_with(client, issuer).unwrap_err();
        (err.path, err.message)
    };

    let mut no_endpoint = ping_client(ENDPOINT);
    no_endpoint
        .as_object_mut()
        .unwrap()
        .remove("backchannel_client_notification_endpoint");
    let (path, message) = refused(no_endpoint, issuer);
    assert_eq!(path, endpoint_path);
    assert!(message.contains("required"), "{message}");

    // http on a loopback host: for a development issuer only.
    let loopback = ping_client("http://127.0.0.1:9000/notify");
    let (path, message) = refused(loopback.clone(), issuer);
    assert_eq!(path, endpoint_path);
    assert!(message.contains("https"), "{message}");
    assert!(config_with(loopback, dev_issuer).is_ok());
    for bad in [
        "http://branch.example/notify",
        "https://branch.example/notify#x",
        "/notify",
        "https://user@branch.example/notify",
        "ftp://branch.example/notify",
    ] {
        for issuer in [issuer, dev_issuer] {
            assert_eq!(refused(ping_client(bad), issuer).0, endpoint_path, "{bad}");
        }
    }

    let mut with_poll = ping_client(ENDPOINT);
    with_poll["backchannel_token_delivery_mode"] = "poll".into();
    assert_eq!(refused(with_poll, issuer).0, endpoint_path);
    let mut with_no_mode = poll_client();
    with_no_mode["grant_types"] = json!(["client_credentials"]);
    with_no_mode
        .as_object_mut()
        .unwrap()
        .remove("backchannel_token_delivery_mode");
    with_no_mode["backchannel_client_notification_endpoint"] = ENDPOINT.into();
    assert_eq!(refused(with_no_mode, issuer).0, endpoint_path);

    let mut push = ping_client(ENDPOINT);
    push["backchannel_token_delivery_mode"] = "push".into();
    let (path, message) = refused(push, issuer);
    assert_eq!(path, mode_path);
    assert!(message.contains("push"), "{message}");
}

/// §7.1: a ping client's request carries a `client_notification_token`, a bearer token
/// (RFC 6750 §2.1) of at most 1024 characters: missing, longer or of other characters, the
/// request is refused with `invalid_request`. A poll client's is not needed.
#[test]
fn client_notification_token_rules() {
    let op = ping_op();
    let with_token = |token: Option<&str>| {
        let mut form = vec![("scope", "openid"), ("login_hint", "demo")];
        if let Some(token) = token {
            form.push(("client_notification_token", token));
        }
        ask_as(&op, BRANCH, &form)
    };
    let longest = "t".repeat(1024);
    assert_eq!(with_token(Some(&longest)).status, 200);
    let longer = "t".repeat(1025);
    for bad in [
        None,
        Some(""),
        Some(longer.as_str()),
        Some("two words"),
        Some("a=b"),
        Some("tab\t"),
    ] {
        let response = with_token(bad);
        assert_eq!(error_of(&response), "invalid_request", "{bad:?}");
        let description = body(&response)["error_description"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            description.contains("client_notification_token"),
            "{description}"
        );
    }
    // §7.3: `interval` is given in ping mode as in poll mode.
    let started = body(&with_token(Some(NOTIFY_TOKEN)));
    assert_eq!(started["interval"], 5);
    // A poll client is never notified: no token needed, and one sent is not kept.
    let poll = ask_as(
        &op,
        DESK,
        &[
            ("scope", "openid"),
            ("login_hint", "demo"),
            ("binding_message", "Poll me"),
            ("client_notification_token", NOTIFY_TOKEN),
        ],
    );
    assert_eq!(poll.status, 200, "{}", text(&poll));
    assert!(decide(&op, "Poll me", "allow").effects.is_empty());
    assert_eq!(
        ask_as(&op, DESK, &[("scope", "openid"), ("login_hint", "demo")]).status,
        200
    );
}

/// §10.2: when the user allows, the provider asks its host to POST to the client's
/// notification endpoint, with `Authorization: Bearer <client_notification_token>` and the
/// JSON body `{"auth_req_id": …}` (that the host follows no redirect is checked on the
/// Worker, tests/e2e/ciba.test.mjs); the client then gets its tokens at the token endpoint
/// (§10.1), once. Neither credential shows in `Debug`.
#[test]
fn an_approval_pings_the_client() {
    let op = ping_op();
    let auth_req_id = ask(&op, "Loan 12");
    let done = decide(&op, "Loan 12", "allow");
    assert!(text(&done).contains("Allowed"));
    let (url, content_type, authorization, body_json) = the_ping(&done);
    assert_eq!(url, ENDPOINT);
    assert_eq!(content_type, "application/json");
    assert_eq!(authorization, Some(format!("Bearer {NOTIFY_TOKEN}")));
    assert_eq!(body_json, json!({ "auth_req_id": auth_req_id }));
    let printed = format!("{:?}", done.effects);
    assert!(!printed.contains(NOTIFY_TOKEN), "{printed}");
    assert!(!printed.contains(&auth_req_id), "{printed}");

    let tokens = poll_as(&op, BRANCH, &auth_req_id);
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let claims = jwt_payload(body(&tokens)["id_token"].as_str().unwrap());
    assert_eq!(claims["aud"], BRANCH);
    assert_eq!(claims["sub"], "248289761001");
    assert_eq!(
        error_of(&poll_as(&op, BRANCH, &auth_req_id)),
        "invalid_grant"
    );
}

/// §10.2: a notification that never arrives (the endpoint down, slow, answering an error)
/// loses nothing: the user's page was answered before it was sent, and the client that
/// calls the token endpoint as in poll mode gets its tokens. Each request is notified once,
/// with its own `auth_req_id`, and an answer given again notifies nobody.
#[test]
fn a_lost_notification_leaves_the_approval_redeemable() {
    let op = ping_op();
    let first = ask(&op, "First");
    let second = ask(&op, "Second");
    let (browser, list) = at_the_page(&op, "demo", "correct horse");
    let form = form_of(&list, "Second");
    let done = answer(&browser, &form, "allow");
    assert_eq!(done.status, 200, "{}", text(&done));
    assert_eq!(the_ping(&done).3, json!({ "auth_req_id": second }));
    // The form again: no longer waiting, no second notification.
    let again = answer(&browser, &form, "allow");
    assert_eq!(again.status, 400);
    assert!(again.effects.is_empty());
    // The ping is dropped, as a failing endpoint would: the client polls.
    op.advance(60);
    let tokens = poll_as(&op, BRANCH, &second);
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert_eq!(
        error_of(&poll_as(&op, BRANCH, &first)),
        "authorization_pending"
    );
}

/// §10.2: a denial is notified as well ("after a successful or failed end-user
/// authentication"), and the token endpoint then answers `access_denied` (§11).
#[test]
fn a_denial_pings_the_client_then_access_denied() {
    let op = ping_op();
    let auth_req_id = ask(&op, "Wire 99");
    let done = decide(&op, "Wire 99", "deny");
    assert!(text(&done).contains("Denied"));
    let (url, _, authorization, body_json) = the_ping(&done);
    assert_eq!(url, ENDPOINT);
    assert_eq!(authorization, Some(format!("Bearer {NOTIFY_TOKEN}")));
    assert_eq!(body_json, json!({ "auth_req_id": auth_req_id }));
    assert_eq!(
        error_of(&poll_as(&op, BRANCH, &auth_req_id)),
        "access_denied"
    );
}

/// §7.3, §10.2, §11: a ping client that polls all the same is held to the interval
/// (`slow_down` within it, as in poll mode), and the call it makes on its ping gets the
/// tokens at once, even within the interval of its last poll: the answer is there, so
/// there is nothing to slow down.
#[test]
fn a_ping_client_is_held_to_the_interval_until_its_ping() {
    let op = ping_op();
    let auth_req_id = ask(&op, "Early");
    assert_eq!(
        error_of(&poll_as(&op, BRANCH, &auth_req_id)),
        "authorization_pending"
    );
    op.advance(1);
    assert_eq!(error_of(&poll_as(&op, BRANCH, &auth_req_id)), "slow_down");
    let done = decide(&op, "Early", "allow");
    assert_eq!(
        the_ping(&done).3,
        json!({ "auth_req_id": auth_req_id }),
        "the ping names the request"
    );
    // Still within the (now longer) interval of the last poll.
    let tokens = poll_as(&op, BRANCH, &auth_req_id);
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
}

/// CIBA Core §7.3, §10.2: the store never holds the `auth_req_id`, a bearer credential of
/// the client's (the provider derives it from the request's id with its master secret, for
/// the ping too), and holds the ping's `client_notification_token` only while it may be
/// needed: until the user answers, allowing or denying, or the request expires (while the
/// request itself is kept to tell a late poll `expired_token`). A poll client's
/// `auth_req_id` is not stored either.
#[test]
fn the_store_holds_no_auth_req_id_and_the_notification_token_only_until_the_answer() {
    let op = ping_op();
    let holds = |text: &str| op.store.holds(text.as_bytes());
    for decision in ["allow", "deny"] {
        let message = format!("Keep {decision}");
        let auth_req_id = ask(&op, &message);
        assert!(!holds(&auth_req_id), "the auth_req_id is stored");
        assert!(holds(NOTIFY_TOKEN), "kept for the ping");
        let done = decide(&op, &message, decision);
        assert_eq!(the_ping(&done).3, json!({ "auth_req_id": auth_req_id }));
        assert!(
            !holds(NOTIFY_TOKEN),
            "kept after the ping was built ({decision})"
        );
        assert!(!holds(&auth_req_id));
    }
    let late = ask(&op, "Too late");
    assert!(holds(NOTIFY_TOKEN));
    op.advance(301);
    assert!(!holds(NOTIFY_TOKEN), "kept past the request's life");
    assert_eq!(error_of(&poll_as(&op, BRANCH, &late)), "expired_token");

    let poll = ask_as(&op, DESK, &[("scope", "openid"), ("login_hint", "demo")]);
    let poll_id = body(&poll)["auth_req_id"].as_str().unwrap().to_owned();
    assert_eq!(poll_id.len(), 43, "256 bits");
    assert!(!holds(&poll_id));
}

/// The notification token is taken from the store in one call, a single-use consume
/// (atomic where the store is strongly consistent), never read and then deleted with a
/// window between: no other answer can read it. The delete after it is for the store whose
/// consume is a plain read (KV alone), where it would otherwise stay until it expires.
#[test]
fn the_notification_token_is_taken_in_one_call() {
    let op = ping_op();
    let auth_req_id = ask(&op, "Once");
    let (browser, list) = at_the_page(&op, "demo", "correct horse");
    let mut form = form_of(&list, "Once");
    form.push(("decision".into(), "allow".into()));
    let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let calls = RefCell::new(Vec::new());
    let done = browser.cookies.send(
        Request::new("POST", &absolute("/ciba")).with_form(&fields),
        |req| {
            let (response, made) = op.send_logged(req);
            *calls.borrow_mut() = made;
            response
        },
    );
    assert_eq!(the_ping(&done).3, json!({ "auth_req_id": auth_req_id }));
    let on_the_token: Vec<&str> = calls
        .borrow()
        .iter()
        .filter(|(_, key)| key.starts_with("ciba-ping:"))
        .map(|(operation, _)| *operation)
        .collect();
    assert_eq!(on_the_token, ["consume", "delete"]);
}

/// §10.2 names the `auth_req_id` the client was given. After `OIDC_SERVER_SECRET` has
/// changed, the id derived again is another one, which no request is stored under: the
/// answer is stored and the page answered, but no ping names an id the client never had.
#[test]
fn no_ping_after_the_server_secret_has_changed() {
    let op = ping_op();
    let before = ask(&op, "Before");
    op.rotate_server_secret();
    let done = decide(&op, "Before", "allow");
    assert!(text(&done).contains("Allowed"));
    assert!(done.effects.is_empty(), "{:?}", done.effects);
    assert!(
        !op.store.holds(NOTIFY_TOKEN.as_bytes()),
        "the token is still taken"
    );
    // The client still redeems by polling with the id it holds (§7.3).
    op.advance(60);
    let tokens = poll_as(&op, BRANCH, &before);
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    // A request made under the new secret is pinged as ever.
    let auth_req_id = ask(&op, "After");
    let done = decide(&op, "After", "allow");
    assert_eq!(the_ping(&done).3, json!({ "auth_req_id": auth_req_id }));
}
