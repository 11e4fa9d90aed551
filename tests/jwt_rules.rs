//! JWT validation rules (RFC 7519, RFC 7515, RFC 8725) on the pure-Rust backend.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use oidc_edge::b64;
use oidc_edge::jose::jwt::verify;
use oidc_edge::jose::{Alg, JwkSet, Validation};
use oidc_edge::time::UnixTime;
use serde_json::json;
use support::{NOW, TestKey, good_claims, with};

fn strict() -> Validation {
    Validation {
        issuers: vec!["https://op.example".into()],
        audiences: vec!["client-1".into()],
        ..Validation::default()
    }
}

fn code(token: &str, keys: &JwkSet, validation: &Validation) -> &'static str {
    match verify(token, keys, validation, UnixTime(NOW)) {
        Ok(_) => "ok",
        Err(err) => err.code(),
    }
}

#[test]
fn a_good_token_verifies_and_exposes_header_and_claims() {
    let key = TestKey::new(7, "es-1");
    let token = key.sign(json!({ "typ": "JWT" }), good_claims());
    let verified = verify(&token, &key.jwks(), &strict(), UnixTime(NOW)).unwrap();
    assert_eq!(verified.header().alg, Alg::Es256);
    assert_eq!(verified.claims().string("sub").unwrap(), Some("user-1"));
    assert_eq!(verified.key().kid(), Some("es-1"));
}

/// RFC 7515 §5.2 step 8: the signature covers header and payload; any change breaks it.
#[test]
fn tampering_and_the_wrong_key_fail_the_signature() {
    let key = TestKey::new(7, "es-1");
    let token = key.sign(json!({}), good_claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged_payload = b64::encode(
        with(good_claims(), json!({ "sub": "admin" }))
            .to_string()
            .as_bytes(),
    );
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(code(&tampered, &key.jwks(), &strict()), "signature_invalid");

    let other = TestKey::new(9, "es-1");
    assert_eq!(code(&token, &other.jwks(), &strict()), "signature_invalid");
}

/// RFC 7519 §4.1.4, §4.1.5, §4.1.6 with a clock tolerance.
#[test]
fn time_claims_with_tolerance() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    let expired = key.sign(json!({}), with(good_claims(), json!({ "exp": NOW })));
    assert_eq!(code(&expired, &keys, &strict()), "jwt_expired");
    let tolerant = Validation {
        clock_tolerance: 5,
        ..strict()
    };
    assert_eq!(code(&expired, &keys, &tolerant), "ok");
    let long_expired = key.sign(json!({}), with(good_claims(), json!({ "exp": NOW - 5 })));
    assert_eq!(code(&long_expired, &keys, &tolerant), "jwt_expired");

    let early = key.sign(json!({}), with(good_claims(), json!({ "nbf": NOW + 1 })));
    assert_eq!(code(&early, &keys, &strict()), "jwt_not_yet_valid");
    assert_eq!(code(&early, &keys, &tolerant), "ok");

    let future_iat = key.sign(json!({}), with(good_claims(), json!({ "iat": NOW + 60 })));
    assert_eq!(code(&future_iat, &keys, &strict()), "jwt_issued_in_future");

    let fractional = key.sign(
        json!({}),
        with(good_claims(), json!({ "exp": NOW as f64 + 0.5 })),
    );
    assert_eq!(code(&fractional, &keys, &strict()), "ok");
}

/// RFC 7519 §4.1.1 and §4.1.3: issuer equality; aud as a string or an array.
#[test]
fn issuer_and_audience() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    let wrong_iss = key.sign(
        json!({}),
        with(good_claims(), json!({ "iss": "https://evil.example" })),
    );
    assert_eq!(code(&wrong_iss, &keys, &strict()), "jwt_issuer_mismatch");
    let no_iss = key.sign(json!({}), with(good_claims(), json!({ "iss": null })));
    assert_eq!(code(&no_iss, &keys, &strict()), "jwt_claim_missing");

    let wrong_aud = key.sign(json!({}), with(good_claims(), json!({ "aud": "client-2" })));
    assert_eq!(code(&wrong_aud, &keys, &strict()), "jwt_audience_mismatch");
    let array_aud = key.sign(
        json!({}),
        with(good_claims(), json!({ "aud": ["x", "client-1"] })),
    );
    assert_eq!(code(&array_aud, &keys, &strict()), "ok");
    let no_aud = key.sign(json!({}), with(good_claims(), json!({ "aud": null })));
    assert_eq!(code(&no_aud, &keys, &strict()), "jwt_claim_missing");
    assert_eq!(code(&no_aud, &keys, &Validation::default()), "ok");
}

/// Principle 4: a registered claim of the wrong JSON type is an error, never "absent",
/// even when the caller did not ask to check that claim.
#[test]
fn claims_of_the_wrong_type_are_errors() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    for bad in [
        json!({ "exp": "9999999999" }),
        json!({ "exp": null }),
        json!({ "nbf": true }),
        json!({ "iat": [1] }),
        json!({ "iss": 42 }),
        json!({ "sub": 42 }),
        json!({ "jti": {} }),
        json!({ "aud": 5 }),
        json!({ "aud": ["client-1", 5] }),
    ] {
        let mut claims = good_claims();
        for (k, v) in bad.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let token = key.sign(json!({}), claims);
        assert_eq!(
            code(&token, &keys, &Validation::default()),
            "jwt_claim_invalid",
            "{bad}"
        );
    }
}

#[test]
fn required_claims() {
    let key = TestKey::new(7, "es-1");
    let validation = Validation {
        required_claims: vec!["nonce".into()],
        ..strict()
    };
    let token = key.sign(json!({}), good_claims());
    assert_eq!(code(&token, &key.jwks(), &validation), "jwt_claim_missing");
    let token = key.sign(json!({}), with(good_claims(), json!({ "nonce": "n" })));
    assert_eq!(code(&token, &key.jwks(), &validation), "ok");
}

/// RFC 8725 §3.11 explicit typing; RFC 7515 §4.1.9 media-type comparison.
#[test]
fn typ_is_compared_as_a_media_type() {
    let key = TestKey::new(7, "es-1");
    let validation = Validation {
        typ: Some("at+jwt".into()),
        ..strict()
    };
    for (typ, expected) in [
        (json!("at+jwt"), "ok"),
        (json!("application/at+jwt"), "ok"),
        (json!("AT+JWT"), "ok"),
        (json!("JWT"), "jwt_typ_mismatch"),
        (json!("dpop+jwt"), "jwt_typ_mismatch"),
    ] {
        let token = key.sign(json!({ "typ": typ }), good_claims());
        assert_eq!(code(&token, &key.jwks(), &validation), expected, "{typ}");
    }
    let untyped = key.sign(json!({}), good_claims());
    assert_eq!(code(&untyped, &key.jwks(), &validation), "jwt_typ_mismatch");
    let wrong_type = key.sign(json!({ "typ": 1 }), good_claims());
    assert_eq!(
        code(&wrong_type, &key.jwks(), &strict()),
        "jws_header_invalid"
    );
}

/// RFC 8725 §3.1: the allow-list is enforced, `none` and HMAC are always refused.
#[test]
fn algorithm_allow_list_none_and_hmac() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    let only_rs = Validation {
        algorithms: vec![Alg::Rs256],
        ..strict()
    };
    let token = key.sign(json!({}), good_claims());
    assert_eq!(code(&token, &keys, &only_rs), "alg_not_allowed");

    let claims = b64::encode(good_claims().to_string().as_bytes());
    let none = format!("{}.{claims}.", b64::encode(br#"{"alg":"none"}"#));
    assert_eq!(code(&none, &keys, &strict()), "alg_not_allowed");
    let none_with_sig = format!("{}.{claims}.AAAA", b64::encode(br#"{"alg":"none"}"#));
    assert_eq!(code(&none_with_sig, &keys, &strict()), "alg_not_allowed");

    // HS256 "signed" with the public key's bytes as the HMAC secret: the classic
    // algorithm-confusion attack. Refused at the header, before any key is looked at.
    let hs = key.sign_raw(
        br#"{"alg":"HS256","kid":"es-1"}"#,
        good_claims().to_string().as_bytes(),
    );
    assert_eq!(code(&hs, &keys, &strict()), "alg_not_allowed");
}

/// DESIGN principle 3: a kid naming a key of another type is refused, not retried.
#[test]
fn kid_rules() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    let unknown_kid = key.sign(json!({ "kid": "nope" }), good_claims());
    assert_eq!(code(&unknown_kid, &keys, &strict()), "key_not_found");

    let rs_header = json!({ "alg": "RS256", "kid": "es-1" }).to_string();
    let rs = key.sign_raw(rs_header.as_bytes(), good_claims().to_string().as_bytes());
    assert_eq!(code(&rs, &keys, &strict()), "key_alg_mismatch");

    let no_kid = key.sign(json!({ "kid": null }), good_claims());
    assert_eq!(code(&no_kid, &keys, &strict()), "ok");
    let es384 = key.sign_raw(br#"{"alg":"ES384"}"#, good_claims().to_string().as_bytes());
    assert_eq!(code(&es384, &keys, &strict()), "key_not_found");
}

/// RFC 7515 §7.1 structure, RFC 4648 §5 strict base64url, size caps.
#[test]
fn malformed_and_oversize_tokens() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    let token = key.sign(json!({}), good_claims());
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(code("", &keys, &strict()), "jws_malformed");
    assert_eq!(code("a.b", &keys, &strict()), "jws_malformed");
    assert_eq!(code("a.b.c.d.e", &keys, &strict()), "jws_malformed");
    assert_eq!(
        code(&format!("{token}.x"), &keys, &strict()),
        "jws_malformed"
    );
    assert_eq!(
        code(
            &format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
            &keys,
            &strict()
        ),
        "invalid_base64url"
    );
    assert_eq!(
        code(
            &format!("{}.{}.{}==", parts[0], parts[1], parts[2]),
            &keys,
            &strict()
        ),
        "invalid_base64url"
    );
    assert_eq!(
        code(
            &format!("{}.{}+.{}", parts[0], parts[1], parts[2]),
            &keys,
            &strict()
        ),
        "invalid_base64url"
    );

    let huge = key.sign(
        json!({}),
        with(good_claims(), json!({ "pad": "x".repeat(70_000) })),
    );
    assert_eq!(code(&huge, &keys, &strict()), "too_large");
    let big_header = key.sign(json!({ "pad": "x".repeat(9_000) }), good_claims());
    assert_eq!(code(&big_header, &keys, &strict()), "too_large");
}

/// RFC 7515 §5.2 and RFC 7519 §4: duplicate names are rejected in header and claims.
#[test]
fn duplicate_members_are_rejected() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    let dup_header = key.sign_raw(
        br#"{"alg":"ES256","kid":"es-1","kid":"es-1"}"#,
        good_claims().to_string().as_bytes(),
    );
    assert_eq!(code(&dup_header, &keys, &strict()), "json_duplicate_member");
    let claims = good_claims().to_string();
    let dup_claims = format!(r#"{{"sub":"someone-else",{}"#, &claims[1..]);
    let token = key.sign_raw(br#"{"alg":"ES256","kid":"es-1"}"#, dup_claims.as_bytes());
    assert_eq!(code(&token, &keys, &strict()), "json_duplicate_member");
    let not_object = key.sign_raw(br#"{"alg":"ES256","kid":"es-1"}"#, b"[1,2]");
    assert_eq!(code(&not_object, &keys, &strict()), "json_not_object");
}

/// RFC 7515 §4.1.11: unknown critical extensions are refused; malformed `crit` too.
#[test]
fn crit_is_honoured() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    let unknown = key.sign(json!({ "crit": ["exp"], "exp": 1 }), good_claims());
    assert_eq!(code(&unknown, &keys, &strict()), "jws_crit_unsupported");
    for bad in [json!([]), json!("exp"), json!(["absent"]), json!([1])] {
        let token = key.sign(json!({ "crit": bad }), good_claims());
        assert_eq!(
            code(&token, &keys, &strict()),
            "jws_header_invalid",
            "{bad}"
        );
    }
    let b64_false = key.sign(json!({ "b64": false, "crit": ["b64"] }), good_claims());
    assert_eq!(code(&b64_false, &keys, &strict()), "jws_crit_unsupported");
}
