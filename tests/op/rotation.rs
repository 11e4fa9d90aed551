//! Signing-key rotation in the middle of live sessions. A new key is added after the
//! others and signs from then on (RFC 7517 §5: every key stays published while tokens it
//! signed live). What is in flight keeps working, because CSRF tokens, DPoP nonces
//! (RFC 9449 §8) and refresh successors are keyed by `OIDC_SERVER_SECRET`, not by a
//! signing key: an open login form, a refresh token, a nonce handed out before.

use oidc_edge::jose::CompactJws;

use crate::op_support::*;

const TOKEN_URL: &str = "https://op.example/token";

/// The `kid` in a JWT's header.
fn kid_of(jwt: &str) -> String {
    CompactJws::parse(jwt)
        .unwrap()
        .header()
        .kid
        .clone()
        .unwrap()
}

#[test]
fn rotation_keeps_forms_refresh_tokens_and_nonces_in_flight() {
    let op = Op::new();
    let (_browser, start, code) = sign_in(&op, "openid offline_access");
    let tokens = body(&exchange(&op, &start, &code));
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let old_id_token = tokens["id_token"].as_str().unwrap().to_owned();
    assert_eq!(kid_of(&old_id_token), "k1");

    // A login form opened before the rotation, submitted after it.
    let browser = Browser::new(&op);
    let to_login = location(&browser.get(&AuthStart::new().url(SPA, SPA_REDIRECT, "openid", &[])));
    let form = text(&browser.get(&to_login));
    let (tx, csrf) = (hidden(&form, "tx"), hidden(&form, "csrf"));
    // A DPoP nonce handed out before the rotation.
    let key = dpop_key(41);
    let refused = op.send(
        &token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "unknown"),
        ])
        .with_header(
            "dpop",
            &dpop_proof(&op, &key, "POST", TOKEN_URL, None, None),
        ),
    );
    let nonce = refused.header("dpop-nonce").unwrap().to_owned();

    op.rotate_keys("k2");

    let refreshed = op.send(
        &token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", SPA),
        ])
        .with_header(
            "dpop",
            &dpop_proof(&op, &key, "POST", TOKEN_URL, None, Some(&nonce)),
        ),
    );
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    let refreshed = body(&refreshed);
    assert_eq!(refreshed["token_type"], "DPoP");
    assert_eq!(kid_of(refreshed["id_token"].as_str().unwrap()), "k2");

    let signed_in = browser.post(
        "/login",
        &[
            ("tx", &tx),
            ("csrf", &csrf),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert!(
        location(&signed_in).starts_with(SPA_REDIRECT),
        "{}",
        text(&signed_in)
    );

    // Both keys are published: a relying party that fetches the JWKS now still verifies
    // the token the old key signed.
    let jwks = body(&op.send(&oidc_edge::op::Request::new("GET", &absolute("/jwks"))));
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["k1", "k2"]);
}
