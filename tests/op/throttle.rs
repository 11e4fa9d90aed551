//! Sign-in throttling (OWASP ASVS v4 2.2.1: anti-automation against credential guessing;
//! RFC 6585 §4: 429 with `Retry-After`). Attempts are counted per username, whether it
//! exists or not, and per client address (`CF-Connecting-IP`).

use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::throttle::{self, Verdict};
use oidc_edge::op::{Request, Response};
use oidc_edge::time::UnixTime;
use serde_json::json;

use crate::op_support::*;

/// A provider whose limits are 3 attempts per username and 5 per address in 600 s.
fn op_with_limits() -> Op {
    let mut config = config_json();
    config["login_limits"] = json!({ "per_username": 3, "per_address": 5, "window": 600 });
    Op::with_config(config)
}

/// One submission of the login form from `address` (if any): the response.
fn submit(op: &Op, username: &str, password: &str, address: Option<&str>) -> Response {
    let browser = Browser::new(op);
    let to_login = location(&browser.get(&AuthStart::new().url(SPA, SPA_REDIRECT, "openid", &[])));
    let html = text(&browser.get(&to_login));
    let form = [
        ("tx", hidden(&html, "tx")),
        ("csrf", hidden(&html, "csrf")),
        ("username", username.to_owned()),
        ("password", password.to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let req = Request::new("POST", &absolute("/login")).with_form(&form);
    browser.send(match address {
        Some(address) => req.with_header("cf-connecting-ip", address),
        None => req,
    })
}

fn signed_in(response: &Response) -> bool {
    response.status == 303 && location(response).starts_with(SPA_REDIRECT)
}

/// The N+1th attempt for a username is refused with 429 and `Retry-After`, the right
/// password included; an unknown username is refused the same way after as many; a new
/// window lets the right password in.
#[test]
fn attempts_per_username_are_limited() {
    let op = op_with_limits();
    for _ in 0..3 {
        assert_eq!(submit(&op, "demo", "wrong", None).status, 401);
        assert_eq!(submit(&op, "nobody", "wrong", None).status, 401);
    }
    let known = submit(&op, "demo", "correct horse", None);
    let unknown = submit(&op, "nobody", "correct horse", None);
    for refused in [&known, &unknown] {
        assert_eq!(refused.status, 429);
        let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=600).contains(&retry), "{retry}");
        assert!(text(refused).contains("Too many sign-in attempts"));
    }
    // The two refusals are the same page apart from the username echoed in the form.
    assert_eq!(
        text(&known).replace("demo", "X").len(),
        text(&unknown).replace("nobody", "X").len()
    );
    // Case does not make a new username.
    assert_eq!(submit(&op, "DEMO", "wrong", None).status, 429);
    op.advance(600);
    assert!(signed_in(&submit(&op, "demo", "correct horse", None)));
}

/// Attempts count, successes included: a user who mistyped twice and got in has one
/// attempt left in the window.
#[test]
fn successes_count_too() {
    let op = op_with_limits();
    for _ in 0..2 {
        assert_eq!(submit(&op, "demo", "wrong", None).status, 401);
    }
    assert!(signed_in(&submit(&op, "demo", "correct horse", None)));
    assert_eq!(submit(&op, "demo", "correct horse", None).status, 429);
}

/// One address guessing across many usernames is limited too; another address is not.
#[test]
fn attempts_per_address_are_limited() {
    let op = op_with_limits();
    for i in 0..5 {
        let response = submit(&op, &format!("user{i}"), "wrong", Some("203.0.113.7"));
        assert_eq!(response.status, 401);
    }
    let refused = submit(&op, "demo", "correct horse", Some("203.0.113.7"));
    assert_eq!(refused.status, 429);
    assert!(signed_in(&submit(
        &op,
        "demo",
        "correct horse",
        Some("198.51.100.2")
    )));
}

/// An IPv6 host holds a whole /64 (RFC 4291 §2.5.4): failures from five addresses of one /64 are
/// one address's, and the sixth address of it is refused; another /64 is not. An
/// IPv4-mapped IPv6 address counts as its IPv4 address.
#[test]
fn an_ipv6_address_is_counted_by_its_64() {
    let op = op_with_limits();
    for i in 1..=5 {
        let address = format!("2001:db8:7:8::{i:x}");
        assert_eq!(
            submit(&op, &format!("user{i}"), "wrong", Some(&address)).status,
            401
        );
    }
    let refused = submit(&op, "demo", "correct horse", Some("2001:db8:7:8:ffff::1"));
    assert_eq!(refused.status, 429, "another address of the same /64");
    assert!(signed_in(&submit(
        &op,
        "demo",
        "correct horse",
        Some("2001:db8:7:9::1")
    )));

    for i in 1..=5 {
        let address = if i % 2 == 0 {
            "::ffff:203.0.113.9"
        } else {
            "203.0.113.9"
        };
        assert_eq!(
            submit(&op, &format!("user{i}"), "wrong", Some(address)).status,
            401
        );
    }
    assert_eq!(
        submit(&op, "demo", "correct horse", Some("::ffff:203.0.113.9")).status,
        429
    );
}

/// An address's successes do not count against it: many people sign in from behind one
/// address.
#[test]
fn successes_from_one_address_are_not_limited() {
    let mut config = config_json();
    config["login_limits"] = json!({ "per_username": 100, "per_address": 2, "window": 600 });
    let op = Op::with_config(config);
    for _ in 0..5 {
        assert!(signed_in(&submit(
            &op,
            "demo",
            "correct horse",
            Some("203.0.113.9")
        )));
    }
    for _ in 0..2 {
        assert_eq!(
            submit(&op, "demo", "wrong", Some("203.0.113.9")).status,
            401
        );
    }
    assert_eq!(
        submit(&op, "demo", "correct horse", Some("203.0.113.9")).status,
        429
    );
}

/// The limits are configuration, checked like the rest of it.
#[test]
fn limits_are_configured_and_checked() {
    for (bad, path) in [
        (json!({ "per_username": 0 }), "login_limits.per_username"),
        (json!({ "window": 30 }), "login_limits.window"),
        (json!({ "per_adress": 5 }), "login_limits.per_adress"),
        (json!(5), "login_limits"),
    ] {
        let mut config = config_json();
        config["login_limits"] = bad;
        let err = oidc_edge::op::config::Config::from_json(&config.to_string()).unwrap_err();
        assert_eq!(err.path, path, "{err}");
    }
}

/// Guesses sent in parallel: an attempt still in flight (its password not yet checked)
/// counts as one of its address's failures, so attempts that all start before any ends are
/// held to the limit too; one that settles (signs in, or is refused) gives its place back.
#[test]
fn attempts_in_flight_count_against_their_address() {
    let op = op_with_limits();
    let limits = oidc_edge::op::config::LoginLimits {
        per_username: 3,
        per_address: 2,
        window: 600,
    };
    let from = |address: &str| {
        Request::new("POST", &absolute("/login")).with_header("cf-connecting-ip", address)
    };
    let attempt = |username: &str, address: &str| {
        run_ready(throttle::attempt(
            &limits,
            &op.store,
            &from(address),
            username,
            UnixTime(op.now()),
        ))
        .unwrap()
    };
    // Two attempts under way from one address, neither answered yet: the third waits.
    assert_eq!(attempt("user1", "203.0.113.7"), Verdict::Allowed);
    assert_eq!(attempt("user2", "203.0.113.7"), Verdict::Allowed);
    assert!(matches!(
        attempt("user3", "203.0.113.7"),
        Verdict::Refused { .. }
    ));
    assert_eq!(attempt("user3", "198.51.100.2"), Verdict::Allowed);
    // One of the two signs in: the address has one failure (the other), under its limit.
    run_ready(throttle::succeeded(
        &limits,
        &op.store,
        &from("203.0.113.7"),
        UnixTime(op.now()),
    ))
    .unwrap();
    assert_eq!(attempt("user4", "203.0.113.7"), Verdict::Allowed);
    assert!(matches!(
        attempt("user5", "203.0.113.7"),
        Verdict::Refused { .. }
    ));
}
