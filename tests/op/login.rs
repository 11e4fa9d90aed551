//! The login form's password checks and what each costs. Timing must tell an attacker
//! neither which usernames exist nor which users have cheaper hashes (OWASP ASVS v4
//! 2.2.1, user enumeration), so every check costs the PBKDF2 iterations of the dearest
//! hash configured.

use crate::op_support::*;
use oidc_edge::op::password::PasswordHash;

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

/// The login form: wrong passwords, unknown users, CSRF and the browser binding.
#[test]
fn login_page_rules() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[])));
    let page = browser.get(&to_login);
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("form-action 'self' https://spa.example")
    );
    let cookie = browser
        .cookies
        .borrow()
        .iter()
        .find(|(n, _)| n == "__Host-oe_browser")
        .cloned();
    assert!(cookie.is_some());
    let html = text(&page);
    let (tx, csrf) = (hidden(&html, "tx"), hidden(&html, "csrf"));

    let wrong = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "nope"),
        ],
    );
    assert_eq!(wrong.status, 401);
    assert!(text(&wrong).contains("Wrong username or password"));
    let unknown = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "ghost"),
            ("password", "x"),
        ],
    );
    assert_eq!(unknown.status, 401);
    let forged = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", "forged"),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(forged.status, 403);
    // Another browser (no binding cookie, or another one) cannot finish this transaction.
    let other = Browser::new(&op);
    let stolen = other.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(stolen.status, 400);
    let _ = other.get(&start.url(SPA, SPA_REDIRECT, "openid", &[]));
    let stolen = other.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(stolen.status, 400);

    let ok = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    let session_cookie = ok
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("__Host-oe_session="))
        .unwrap();
    assert!(
        session_cookie.1.contains("HttpOnly")
            && session_cookie.1.contains("SameSite=Lax")
            && session_cookie.1.contains("Secure")
    );
    assert!(location(&ok).starts_with(SPA_REDIRECT));
    // The transaction is spent.
    let replay = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(replay.status, 400);
}

/// Cookie fixation (RFC 6265bis §4.1.3.2, §8.6; RFC 9700 §4.4): a page on a sibling
/// subdomain or on plain http can set cookies for the provider's host under their plain
/// names, but not `__Host-` ones. Over https the provider sets and reads only the
/// prefixed names, so an attacker's own session or browser binding planted in the victim's
/// browser is never read: the victim is not signed in as the attacker, and the attacker's
/// login transaction does not complete in the victim's browser.
#[test]
fn planted_cookies_without_the_host_prefix_are_ignored() {
    let op = Op::new();
    let (attacker, _start, _code) = sign_in(&op, "openid");
    let planted: Vec<(String, String)> = attacker
        .cookies
        .borrow()
        .iter()
        .map(|(name, value)| (name.trim_start_matches("__Host-").to_owned(), value.clone()))
        .collect();
    assert!(planted.iter().any(|(name, _)| name == "oe_session"));
    let victim = Browser::new(&op);
    *victim.cookies.borrow_mut() = planted;
    let start = AuthStart::new();
    let back =
        location(&victim.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("prompt", "none")])));
    assert_eq!(
        redirect_params(&back).get("error"),
        Some("login_required"),
        "the planted session signed the victim in"
    );
}
