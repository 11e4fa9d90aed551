//! A protected resource (`/userinfo`) and the access tokens it has already checked: the
//! provider remembers a token whose signature and claims passed (RFC 9068 §4), and what
//! time or a revocation changes still refuses it.

use oidc_edge::op::{Request, Response};

use crate::op_support::*;

fn userinfo(op: &Op, access_token: &str) -> Response {
    op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("Bearer {access_token}")),
    )
}

/// RFC 7519 §4.1.4: a token accepted while it was valid is refused from its `exp` on.
#[test]
fn a_checked_token_is_refused_once_it_expires() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid");
    let tokens = body(&exchange(&op, &start, &code));
    let access = tokens["access_token"].as_str().unwrap();
    let lifetime = tokens["expires_in"].as_i64().unwrap();
    assert_eq!(userinfo(&op, access).status, 200);
    op.advance(lifetime - 1);
    assert_eq!(userinfo(&op, access).status, 200, "one second before exp");
    op.advance(1);
    let expired = userinfo(&op, access);
    assert_eq!(expired.status, 401, "{}", text(&expired));
    assert!(
        expired
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );
}

/// RFC 7515 §5.2: another signature over the same claims is another token, checked on its
/// own, even right after the genuine one was accepted.
#[test]
fn a_token_with_a_changed_signature_is_checked_again() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid");
    let tokens = body(&exchange(&op, &start, &code));
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&op, access).status, 200);
    let (signed, signature) = access.rsplit_once('.').unwrap();
    let mut forged = signature.as_bytes().to_vec();
    forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
    let forged = format!("{signed}.{}", String::from_utf8(forged).unwrap());
    assert_eq!(userinfo(&op, &forged).status, 401);
    assert_eq!(
        userinfo(&op, access).status,
        200,
        "the genuine token still works"
    );
}
