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

/// The JWKS as a relying party fetches and caches it: the `kid`s it knows.
fn published_kids(op: &Op) -> Vec<String> {
    let jwks = body(&op.send(&oidc_edge::op::Request::new("GET", &absolute("/jwks"))));
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// A rotation in the three stages of `oidc-edge keys rotate` (publish, promote, retire),
/// deployed in the middle of live sessions: a relying party that cached the JWKS after the
/// publish meets no unknown `kid` (OpenID Connect Core §10.1.1), the new key signs only
/// after its promotion, the old key stays published until its tokens have expired, and a
/// refresh token and a login form from before the rotation work after it.
#[test]
fn staged_rotation_publishes_before_signing_and_retires_after_expiry() {
    use oidc_edge::jose::Alg;
    use oidc_edge::op::keys::rotation::{JWKS_MAX_AGE, Stage, rotate};

    const LIFETIME: u64 = 600;
    let op = Op::new();
    let (_browser, start, code) = sign_in(&op, "openid offline_access");
    let tokens = body(&exchange(&op, &start, &code));
    let mut refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let browser = Browser::new(&op);
    let to_login = location(&browser.get(&AuthStart::new().url(SPA, SPA_REDIRECT, "openid", &[])));
    let form = text(&browser.get(&to_login));
    let (tx, csrf) = (hidden(&form, "tx"), hidden(&form, "csrf"));
    let refresh_now = |refresh: &str| {
        let response = op.send(&token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", SPA),
        ]));
        assert_eq!(response.status, 200, "{}", text(&response));
        body(&response)
    };

    // 1. publish: served, not signing.
    let (keys, stage) =
        rotate(&op.keys_json(), Alg::Es256, op.now(), LIFETIME, Some("k2")).unwrap();
    assert_eq!(stage, Stage::Published { kid: "k2".into() });
    op.deploy_keys(keys);
    let cached_by_rp = published_kids(&op);
    assert_eq!(cached_by_rp, ["k1", "k2"]);
    let during = refresh_now(&refresh);
    refresh = during["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        kid_of(during["id_token"].as_str().unwrap()),
        "k1",
        "a published key does not sign"
    );
    assert_eq!(kid_of(during["access_token"].as_str().unwrap()), "k1");

    // Promoting before the JWKS's cache lifetime is over does nothing.
    let (same, stage) = rotate(&op.keys_json(), Alg::Es256, op.now() + 10, LIFETIME, None).unwrap();
    assert_eq!(same, op.keys_json());
    assert_eq!(
        stage,
        Stage::Wait {
            next: "promote",
            until: op.now() + JWKS_MAX_AGE
        }
    );

    // 2. promote, after the cache lifetime: the new key signs; every kid it signs with is
    // one the relying party cached.
    op.advance(JWKS_MAX_AGE);
    let (keys, stage) = rotate(&op.keys_json(), Alg::Es256, op.now(), LIFETIME, None).unwrap();
    assert_eq!(
        stage,
        Stage::Promoted {
            kid: "k2".into(),
            older: vec!["k1".into()]
        }
    );
    op.deploy_keys(keys);
    let after = refresh_now(&refresh);
    refresh = after["refresh_token"].as_str().unwrap().to_owned();
    for token in ["id_token", "access_token"] {
        let kid = kid_of(after[token].as_str().unwrap());
        assert_eq!(kid, "k2");
        assert!(
            cached_by_rp.contains(&kid),
            "{kid} unknown to the relying party's cache"
        );
    }
    assert_eq!(
        published_kids(&op),
        ["k1", "k2"],
        "the old key stays published"
    );
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

    // 3. retire: not while tokens k1 signed may live; after that, k1 goes.
    let (_, stage) = rotate(&op.keys_json(), Alg::Es256, op.now() + 1, LIFETIME, None).unwrap();
    assert_eq!(
        stage,
        Stage::Wait {
            next: "retire",
            until: op.now() + 600
        }
    );
    op.advance(600);
    let (keys, stage) = rotate(&op.keys_json(), Alg::Es256, op.now(), LIFETIME, None).unwrap();
    assert_eq!(
        stage,
        Stage::Retired {
            kids: vec!["k1".into()]
        }
    );
    op.deploy_keys(keys);
    assert_eq!(published_kids(&op), ["k2"]);
    refresh_now(&refresh);

    // And the next run starts the next rotation.
    let (_, stage) = rotate(&op.keys_json(), Alg::Es256, op.now(), LIFETIME, Some("k3")).unwrap();
    assert_eq!(stage, Stage::Published { kid: "k3".into() });
}

/// A rotation touches only its algorithm; a key marked `next` by hand (no recorded time)
/// starts its wait when the tool first sees it; a JWKS whose every key is `next` is refused,
/// as is any other `status`.
#[test]
fn rotation_rules() {
    use oidc_edge::jose::Alg;
    use oidc_edge::op::keys::SigningKeys;
    use oidc_edge::op::keys::rotation::{JWKS_MAX_AGE, Stage, rotate};
    use serde_json::json;

    let rsa = SigningKeys::generate_key(Alg::Rs256, Some("r1")).unwrap();
    let ec = SigningKeys::generate_key(Alg::Es256, Some("e1")).unwrap();
    let jwks = json!({ "keys": [rsa.clone(), ec.clone()] });
    let (published, stage) = rotate(&jwks, Alg::Rs256, 1000, 600, Some("r2")).unwrap();
    assert_eq!(stage, Stage::Published { kid: "r2".into() });
    let keys = SigningKeys::from_jwks_json(&published.to_string()).unwrap();
    assert_eq!(keys.kid_for(Alg::Rs256), Some("r1"));
    assert_eq!(keys.kid_for(Alg::Es256), Some("e1"));
    assert_eq!(keys.public_jwks()["keys"].as_array().unwrap().len(), 3);
    assert!(
        !keys.public_jwks().to_string().contains("status"),
        "the mark is not published"
    );

    // Publishing a key of an algorithm no key signs yet changes nothing until it is
    // promoted: the defaults stay those of the keys that sign.
    let es_only = json!({ "keys": [ec.clone()] });
    let (published, _) = rotate(&es_only, Alg::Rs256, 1000, 600, Some("r9")).unwrap();
    let keys = SigningKeys::from_jwks_json(&published.to_string()).unwrap();
    assert_eq!(keys.default_algorithm(), Alg::Es256);
    assert_eq!(keys.id_token_algorithm(), Alg::Es256);
    assert_eq!(keys.algorithms(), [Alg::Es256]);

    let mut by_hand = ec.clone();
    by_hand["kid"] = json!("e2");
    by_hand["status"] = json!("next");
    let jwks = json!({ "keys": [ec.clone(), by_hand] });
    let (recorded, stage) = rotate(&jwks, Alg::Es256, 5000, 600, None).unwrap();
    assert_eq!(
        stage,
        Stage::Wait {
            next: "promote",
            until: 5000 + JWKS_MAX_AGE
        }
    );
    assert_eq!(recorded["keys"][1]["published_at"], 5000);

    let mut only_next = ec.clone();
    only_next["status"] = json!("next");
    let err = SigningKeys::from_jwks_json(&json!({ "keys": [only_next] }).to_string()).unwrap_err();
    assert_eq!(err.path, "OIDC_SIGNING_KEYS.keys");
    let mut other = ec;
    other["status"] = json!("retired");
    let err = SigningKeys::from_jwks_json(&json!({ "keys": [other] }).to_string()).unwrap_err();
    assert_eq!(err.path, "OIDC_SIGNING_KEYS.keys[0].status");
}
