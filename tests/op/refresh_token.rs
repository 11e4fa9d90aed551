//! The `refresh_token` grant (RFC 6749 §6): rotation and reuse detection (RFC 9700 §4.14.2).

use oidc_edge::op::Request;

use crate::op_support::*;

/// RFC 6749 §6 and OAuth 2.0 Security BCP §4.14.2: rotation on every use, the same
/// successor for a quick retry, and reuse after the grace window revokes the family, its
/// access tokens included.
#[test]
fn refresh_rotation_and_reuse_detection() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let first = body(&exchange(&op, &start, &code));
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: &str| {
        op.send(&token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", SPA),
        ]))
    };

    let second = body(&refresh(&rt1));
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert!(second["id_token"].is_string() && second["access_token"] != first["access_token"]);
    op.advance(5);
    let retry = body(&refresh(&rt1));
    assert_eq!(
        retry["refresh_token"],
        rt2.as_str(),
        "a retry within the grace window gets the same successor"
    );

    let third = body(&refresh(&rt2));
    let rt3 = third["refresh_token"].as_str().unwrap().to_owned();
    op.advance(60);
    let reuse = refresh(&rt2);
    assert_eq!(body(&reuse)["error"], "invalid_grant");
    assert_eq!(
        body(&refresh(&rt3))["error"],
        "invalid_grant",
        "the whole family is revoked"
    );
    // Its access tokens too (they name the family as `gid`): the thief's and the client's.
    for tokens in [&first, &second, &third] {
        let access = tokens["access_token"].as_str().unwrap();
        let userinfo = op.send(
            &Request::new("GET", &absolute("/userinfo"))
                .with_header("authorization", &format!("Bearer {access}")),
        );
        assert_eq!(userinfo.status, 401, "access token of a revoked family");
    }

    let narrowed = {
        let (_b, start, code) = sign_in(&op, "openid email offline_access");
        let rt = body(&exchange(&op, &start, &code))["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        body(&op.send(&token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", SPA),
            ("scope", "openid profile"),
        ])))
    };
    assert_eq!(narrowed["error"], "invalid_scope");
}

/// RFC 9700 §4.14.2: a reused refresh token is judged as a reuse whatever else the request
/// gets wrong; a wider scope than granted (RFC 6749 §6) does not spare the family.
#[test]
fn a_reuse_that_asks_for_more_scope_still_revokes_the_family() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let first = body(&exchange(&op, &start, &code));
    let refresh = |token: &str, scope: Option<&str>| {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", SPA),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        op.send(&token_request(&form))
    };
    let rt0 = first["refresh_token"].as_str().unwrap();
    let rotated = body(&refresh(rt0, None));
    let rt1 = rotated["refresh_token"].as_str().unwrap();
    op.advance(31);
    let reuse = refresh(rt0, Some("openid offline_access profile"));
    // The reuse is the answer: it says the family ended.
    assert_eq!(body(&reuse)["error"], "invalid_grant", "{}", text(&reuse));
    assert_eq!(
        body(&refresh(rt1, None))["error"],
        "invalid_grant",
        "the family is revoked"
    );
}

/// RFC 6749 §6: the old refresh token goes once a new one is issued. A refresh that issued
/// nothing (signing failed, a 503) rotated nothing, so the client's retry, even long after
/// the grace window, is a first use and not a reuse that revokes the family.
#[test]
fn a_failed_refresh_leaves_the_token_for_a_late_retry() {
    let op = Op::new();
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let rt1 = body(&exchange(&op, &start, &code))["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt1.as_str()),
        ("client_id", SPA),
    ];
    let failed = op.send_with_signer_down(&token_request(&form));
    assert_eq!(failed.status, 503, "{}", text(&failed));
    assert_eq!(body(&failed)["error"], "temporarily_unavailable");
    op.advance(300);
    let retried = op.send(&token_request(&form));
    assert_eq!(retried.status, 200, "{}", text(&retried));
    let rt2 = body(&retried)["refresh_token"].as_str().unwrap().to_owned();
    let next = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &rt2),
        ("client_id", SPA),
    ]));
    assert_eq!(next.status, 200, "the family lives: {}", text(&next));
}
