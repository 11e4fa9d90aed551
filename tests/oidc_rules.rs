//! ID token rules (OpenID Connect Core 1.0 §3.1.3.7) and JWT access-token rules (RFC 9068 §4).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use oidc_edge::jose::Alg;
use oidc_edge::oidc::{
    AccessTokenExpectations, IdTokenExpectations, token_hash, validate_access_token,
    validate_id_token,
};
use oidc_edge::time::UnixTime;
use serde_json::{Value, json};
use support::{NOW, TestKey, good_claims, with};

fn expectations() -> IdTokenExpectations {
    IdTokenExpectations {
        issuer: "https://op.example".into(),
        client_id: "client-1".into(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        ..IdTokenExpectations::default()
    }
}

fn id_claims() -> Value {
    with(
        good_claims(),
        json!({ "nonce": "n-0S6_WzA2Mj", "auth_time": NOW - 100 }),
    )
}

fn id_code(
    key: &TestKey,
    header: Value,
    claims: Value,
    expected: &IdTokenExpectations,
) -> &'static str {
    let token = key.sign(header, claims);
    match validate_id_token(&token, &key.jwks(), expected, UnixTime(NOW)) {
        Ok(_) => "ok",
        Err(err) => err.code(),
    }
}

#[test]
fn a_good_id_token_validates() {
    let key = TestKey::new(3, "k");
    assert_eq!(
        id_code(&key, json!({ "typ": "JWT" }), id_claims(), &expectations()),
        "ok"
    );
}

/// §3.1.3.7 steps 2, 3, 9, 10 and §2 (sub is REQUIRED).
#[test]
fn required_claims_and_issuer_audience() {
    let key = TestKey::new(3, "k");
    for name in ["iss", "sub", "aud", "exp", "iat"] {
        let claims = with(id_claims(), json!({ name: null }));
        assert_eq!(
            id_code(&key, json!({}), claims, &expectations()),
            "jwt_claim_missing",
            "{name}"
        );
    }
    let wrong_iss = with(id_claims(), json!({ "iss": "https://op.example/" }));
    assert_eq!(
        id_code(&key, json!({}), wrong_iss, &expectations()),
        "jwt_issuer_mismatch"
    );
    let wrong_aud = with(id_claims(), json!({ "aud": ["other"] }));
    assert_eq!(
        id_code(&key, json!({}), wrong_aud, &expectations()),
        "jwt_audience_mismatch"
    );
}

/// §3.1.3.7 steps 4–5: azp with several audiences, and azp must be the client.
#[test]
fn authorized_party() {
    let key = TestKey::new(3, "k");
    let several = with(id_claims(), json!({ "aud": ["client-1", "api"] }));
    assert_eq!(
        id_code(&key, json!({}), several.clone(), &expectations()),
        "id_token_azp_mismatch"
    );
    let with_azp = with(several, json!({ "azp": "client-1" }));
    assert_eq!(id_code(&key, json!({}), with_azp, &expectations()), "ok");
    let other_azp = with(id_claims(), json!({ "azp": "client-2" }));
    assert_eq!(
        id_code(&key, json!({}), other_azp, &expectations()),
        "id_token_azp_mismatch"
    );
    let azp_number = with(id_claims(), json!({ "azp": 1 }));
    assert_eq!(
        id_code(&key, json!({}), azp_number, &expectations()),
        "jwt_claim_invalid"
    );
}

/// §3.1.3.7 step 11: the nonce must be present and equal when one was sent.
#[test]
fn nonce() {
    let key = TestKey::new(3, "k");
    let other = with(id_claims(), json!({ "nonce": "replayed" }));
    assert_eq!(
        id_code(&key, json!({}), other, &expectations()),
        "id_token_nonce_mismatch"
    );
    let absent = with(id_claims(), json!({ "nonce": null }));
    assert_eq!(
        id_code(&key, json!({}), absent.clone(), &expectations()),
        "jwt_claim_missing"
    );
    let no_nonce_sent = IdTokenExpectations {
        nonce: None,
        ..expectations()
    };
    assert_eq!(id_code(&key, json!({}), absent, &no_nonce_sent), "ok");
    let wrong_type = with(id_claims(), json!({ "nonce": 5 }));
    assert_eq!(
        id_code(&key, json!({}), wrong_type, &expectations()),
        "jwt_claim_invalid"
    );
}

/// §3.1.3.7 step 13: with max_age, auth_time is required and must be recent enough.
#[test]
fn max_age_and_auth_time() {
    let key = TestKey::new(3, "k");
    let max_age = IdTokenExpectations {
        max_age: Some(100),
        ..expectations()
    };
    assert_eq!(id_code(&key, json!({}), id_claims(), &max_age), "ok");
    let stale = with(id_claims(), json!({ "auth_time": NOW - 101 }));
    assert_eq!(
        id_code(&key, json!({}), stale.clone(), &max_age),
        "id_token_auth_time_too_old"
    );
    let tolerant = IdTokenExpectations {
        clock_tolerance: 1,
        ..max_age.clone()
    };
    assert_eq!(id_code(&key, json!({}), stale, &tolerant), "ok");
    let missing = with(id_claims(), json!({ "auth_time": null }));
    assert_eq!(
        id_code(&key, json!({}), missing, &max_age),
        "jwt_claim_missing"
    );
    let string = with(id_claims(), json!({ "auth_time": "yesterday" }));
    assert_eq!(
        id_code(&key, json!({}), string, &expectations()),
        "jwt_claim_invalid"
    );
}

/// §3.1.3.6 / §3.3.2.11: at_hash and c_hash are the left half of SHA-256 for ES256.
#[test]
fn at_hash_and_c_hash() {
    let key = TestKey::new(3, "k");
    let with_token = IdTokenExpectations {
        access_token: Some("access-token-value".into()),
        code: Some("the-code".into()),
        ..expectations()
    };
    let hashes = with(
        id_claims(),
        json!({
            "at_hash": token_hash(Alg::Es256, "access-token-value"),
            "c_hash": token_hash(Alg::Es256, "the-code"),
        }),
    );
    assert_eq!(id_code(&key, json!({}), hashes.clone(), &with_token), "ok");
    let bad_at = with(
        hashes.clone(),
        json!({ "at_hash": token_hash(Alg::Es256, "other") }),
    );
    assert_eq!(
        id_code(&key, json!({}), bad_at, &with_token),
        "id_token_at_hash_mismatch"
    );
    let bad_c = with(hashes, json!({ "c_hash": token_hash(Alg::Es256, "other") }));
    assert_eq!(
        id_code(&key, json!({}), bad_c, &with_token),
        "id_token_c_hash_mismatch"
    );
}

/// OpenID Connect Core §3.1.3.6 example: at_hash of "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
/// with RS256 is "77QmUPtjPfzWtF2AnpK9RQ" (from §A.4's example ID token).
#[test]
fn at_hash_known_answer() {
    assert_eq!(
        token_hash(Alg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
        "77QmUPtjPfzWtF2AnpK9RQ"
    );
}

/// RFC 8725 §3.11: an access token or a DPoP proof presented as an ID token is refused.
#[test]
fn other_token_types_are_not_id_tokens() {
    let key = TestKey::new(3, "k");
    for typ in ["at+jwt", "dpop+jwt", "logout+jwt"] {
        assert_eq!(
            id_code(&key, json!({ "typ": typ }), id_claims(), &expectations()),
            "jwt_typ_mismatch",
            "{typ}"
        );
    }
}

fn at_expectations() -> AccessTokenExpectations {
    AccessTokenExpectations {
        issuer: "https://op.example".into(),
        audience: "https://api.example".into(),
        ..AccessTokenExpectations::default()
    }
}

fn at_claims() -> Value {
    json!({
        "iss": "https://op.example", "sub": "user-1", "aud": "https://api.example",
        "exp": NOW + 300, "iat": NOW - 1, "jti": "j-1", "client_id": "client-1",
        "scope": "openid profile api:read",
    })
}

fn at_code(
    key: &TestKey,
    header: Value,
    claims: Value,
    expected: &AccessTokenExpectations,
) -> &'static str {
    let token = key.sign(header, claims);
    match validate_access_token(&token, &key.jwks(), expected, UnixTime(NOW)) {
        Ok(_) => "ok",
        Err(err) => err.code(),
    }
}

/// RFC 9068 §4: typ at+jwt, required claims, iss and aud, and scopes.
#[test]
fn rfc9068_access_tokens() {
    let key = TestKey::new(4, "k");
    let typ = json!({ "typ": "at+jwt" });
    assert_eq!(
        at_code(&key, typ.clone(), at_claims(), &at_expectations()),
        "ok"
    );
    assert_eq!(
        at_code(
            &key,
            json!({ "typ": "application/at+jwt" }),
            at_claims(),
            &at_expectations()
        ),
        "ok"
    );
    assert_eq!(
        at_code(
            &key,
            json!({ "typ": "JWT" }),
            at_claims(),
            &at_expectations()
        ),
        "jwt_typ_mismatch"
    );
    assert_eq!(
        at_code(&key, json!({}), at_claims(), &at_expectations()),
        "jwt_typ_mismatch"
    );
    for name in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] {
        let claims = with(at_claims(), json!({ name: null }));
        assert_eq!(
            at_code(&key, typ.clone(), claims, &at_expectations()),
            "jwt_claim_missing",
            "{name}"
        );
    }
    let client_id_number = with(at_claims(), json!({ "client_id": 1 }));
    assert_eq!(
        at_code(&key, typ.clone(), client_id_number, &at_expectations()),
        "jwt_claim_invalid"
    );
    let scoped = AccessTokenExpectations {
        required_scopes: vec!["api:read".into()],
        ..at_expectations()
    };
    assert_eq!(at_code(&key, typ.clone(), at_claims(), &scoped), "ok");
    let write = AccessTokenExpectations {
        required_scopes: vec!["api:write".into()],
        ..at_expectations()
    };
    assert_eq!(
        at_code(&key, typ.clone(), at_claims(), &write),
        "insufficient_scope"
    );
    let prefix = AccessTokenExpectations {
        required_scopes: vec!["api".into()],
        ..at_expectations()
    };
    assert_eq!(
        at_code(&key, typ, at_claims(), &prefix),
        "insufficient_scope"
    );
}
