//! DPoP-bound tokens at the token endpoint and the resources (RFC 9449 §5, §7, §8).

use oidc_edge::oidc::{AccessTokenExpectations, validate_access_token};
use oidc_edge::op::Request;
use oidc_edge::time::UnixTime;

use crate::op_support::*;

/// RFC 9449 §5, §6, §7, §8: a nonce round trip, bound tokens, userinfo demanding the proof,
/// public-client refresh tokens bound to the key.
#[test]
fn dpop_bound_tokens() {
    let op = Op::new();
    let key = dpop_key(11);
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let token_url = format!("{ISSUER}/token");
    let form = code_form(&start, &code);
    let first = op.send(&token_request(&form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, None),
    ));
    assert_eq!(first.status, 400);
    assert_eq!(body(&first)["error"], "use_dpop_nonce");
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let second = op.send(&token_request(&form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(second.status, 200, "{}", text(&second));
    assert!(second.header("dpop-nonce").is_some());
    let tokens = body(&second);
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    let at = validate_access_token(
        access,
        &op.jwks,
        &AccessTokenExpectations {
            issuer: ISSUER.into(),
            audience: ISSUER.into(),
            ..Default::default()
        },
        UnixTime(op.now()),
    )
    .unwrap();
    assert_eq!(at.claims().get("cnf").unwrap()["jkt"], key.thumbprint());

    let userinfo_url = format!("{ISSUER}/userinfo");
    let as_bearer = op.send(
        &Request::new("GET", &userinfo_url)
            .with_header("authorization", &format!("Bearer {access}")),
    );
    assert_eq!(
        as_bearer.status, 401,
        "RFC 9449 §7.2: no downgrade to Bearer"
    );
    let no_proof = op.send(
        &Request::new("GET", &userinfo_url).with_header("authorization", &format!("DPoP {access}")),
    );
    assert_eq!(no_proof.status, 401);
    assert!(
        no_proof
            .header("www-authenticate")
            .unwrap()
            .starts_with("DPoP error=\"invalid_dpop_proof\"")
    );
    let proof = dpop_proof(&op, &key, "GET", &userinfo_url, Some(access), None);
    let ok = op.send(
        &Request::new("GET", &userinfo_url)
            .with_header("authorization", &format!("DPoP {access}"))
            .with_header("dpop", &proof),
    );
    assert_eq!(ok.status, 200, "{}", text(&ok));
    let replayed = op.send(
        &Request::new("GET", &userinfo_url)
            .with_header("authorization", &format!("DPoP {access}"))
            .with_header("dpop", &proof),
    );
    assert_eq!(replayed.status, 401, "the proof is single use");
    let other = dpop_key(12);
    let stolen = dpop_proof(&op, &other, "GET", &userinfo_url, Some(access), None);
    let stolen = op.send(
        &Request::new("GET", &userinfo_url)
            .with_header("authorization", &format!("DPoP {access}"))
            .with_header("dpop", &stolen),
    );
    assert_eq!(
        stolen.status, 401,
        "a token used with another key is refused"
    );

    // The public client's refresh token is bound to the key too.
    let rt = tokens["refresh_token"].as_str().unwrap();
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("client_id", SPA),
    ];
    let nonce = second.header("dpop-nonce").unwrap().to_owned();
    let with_other = op.send(&token_request(&refresh_form).with_header(
        "dpop",
        &dpop_proof(&op, &other, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(body(&with_other)["error"], "invalid_grant");
    let without = op.send(&token_request(&refresh_form));
    assert_eq!(body(&without)["error"], "invalid_grant");
    let with_key = op.send(&token_request(&refresh_form).with_header(
        "dpop",
        &dpop_proof(&op, &key, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(with_key.status, 200, "{}", text(&with_key));
    assert_eq!(body(&with_key)["token_type"], "DPoP");
}
