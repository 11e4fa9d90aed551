//! The login form's password checks and what each costs. Timing must tell an attacker
//! neither which usernames exist nor which users have cheaper hashes (OWASP ASVS v4
//! 2.2.1, user enumeration), so every check costs the PBKDF2 iterations of the dearest
//! hash configured.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers fail loudly

mod op_support;

use oidc_edge::op::password::PasswordHash;
use op_support::*;

/// A configuration whose two users have hashes of different cost: "demo" 10,000
/// iterations, "second" 30,000.
fn op_with_uneven_hashes() -> Op {
    let mut config = config_json();
    let dear = PasswordHash::create(b"second user pw", 30_000).unwrap();
    config["users"][1]["password_hash"] = dear.to_string().into();
    Op::with_config(config)
}

/// The PBKDF2 iterations one login attempt runs, and whether it signed in.
fn attempt(op: &Op, username: &str, password: &str) -> (u64, bool) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[])));
    op.pbkdf2_iterations.set(0);
    let response = browser.login(&to_login, username, password);
    let signed_in = response.status == 303 || response.status == 302;
    (op.pbkdf2_iterations.get(), signed_in)
}

/// Cheap or dear hash, right or wrong password, known or unknown user: one cost. (Before
/// the padding, "demo" cost 10,000 and an unknown user 30,000: a 3x gap in time.)
#[test]
fn every_password_check_costs_the_dearest_hash() {
    let op = op_with_uneven_hashes();
    let cases = [
        ("demo", "correct horse", true),
        ("demo", "wrong", false),
        ("second", "second user pw", true),
        ("second", "wrong", false),
        ("nobody", "wrong", false),
        ("", "", false),
    ];
    for (username, password, succeeds) in cases {
        let (iterations, signed_in) = attempt(&op, username, password);
        assert_eq!(signed_in, succeeds, "{username}/{password}");
        assert_eq!(iterations, 30_000, "{username}/{password}");
    }
}

/// With one cost for all, nothing is added: a check costs its hash.
#[test]
fn equal_hashes_need_no_padding() {
    let op = Op::new();
    for (username, password) in [("demo", "correct horse"), ("demo", "x"), ("nobody", "x")] {
        assert_eq!(attempt(&op, username, password).0, 10_000, "{username}");
    }
}
