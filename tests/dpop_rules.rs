//! DPoP (RFC 9449): proofs built here, and the server-side checks of §4.3.
#![cfg(not(target_arch = "wasm32"))]
// Helpers outside `#[test]` functions unwrap too; clippy only exempts the test functions.
#![allow(clippy::unwrap_used)]

mod support;

use oidc_edge::b64;
use oidc_edge::dpop::check::replay_key;
use oidc_edge::dpop::proof::{ProofClaims, sign_es256};
use oidc_edge::dpop::{
    NonceKey, NoncePolicy, ProofCheck, check_proof, oauth_error, www_authenticate,
};
use oidc_edge::jose::verifier::{RustCrypto, run_ready};
use oidc_edge::jose::{Alg, Jwk};
use oidc_edge::store::MemoryStore;
use oidc_edge::time::{FixedClock, UnixTime};
use oidc_edge::{Error, dpop};
use serde_json::{Value, json};
use support::TestKey;

/// RFC 9449 §5 Figure 5 (decoded in §4.2 Figure 4): an ES256 proof for
/// `POST https://server.example.com/token` at iat 1562262616.
const RFC9449_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
const RFC9449_IAT: i64 = 1_562_262_616;
const TOKEN_URI: &str = "https://server.example.com/token";
const NOW: i64 = 1_800_000_000;

type Store = MemoryStore<FixedClock>;

fn store() -> Store {
    MemoryStore::new(FixedClock(UnixTime(NOW)))
}

/// Runs a check with the pure-Rust backend and the memory store (always ready).
fn run(
    headers: &[&str],
    check: &ProofCheck<'_>,
    now: i64,
    replay: Option<&Store>,
) -> Result<dpop::CheckedProof, Error> {
    run_ready(check_proof(
        headers,
        check,
        UnixTime(now),
        &RustCrypto,
        replay,
    ))
}

fn code(result: Result<dpop::CheckedProof, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(err) => err.code(),
    }
}

/// A private JWK for [`TestKey`] with `d`, so proofs can be built in Rust.
fn private_jwk(key: &TestKey) -> Jwk {
    let mut jwk = key.public_jwk();
    jwk["d"] = Value::String(b64::encode(&key.signing.to_bytes()));
    Jwk::from_json(jwk.to_string().as_bytes()).unwrap()
}

fn proof(
    key: &Jwk,
    htm: &str,
    htu: &str,
    iat: i64,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> String {
    let claims = ProofClaims {
        htm,
        htu,
        iat: UnixTime(iat),
        access_token,
        nonce,
    };
    sign_es256(key, &claims).unwrap()
}

/// RFC 9449 §4.2 / §5: the example proof parses, verifies and yields its jti and key.
#[test]
fn rfc9449_example_proof() {
    let check = ProofCheck::new("POST", TOKEN_URI);
    let checked = run(&[RFC9449_PROOF], &check, RFC9449_IAT + 10, None).unwrap();
    assert_eq!(checked.jti, "-BwC3ESc6acc2lTc");
    assert_eq!(checked.iat, RFC9449_IAT);
    assert_eq!(checked.jkt, checked.key.thumbprint());
    assert_eq!(
        code(run(&[RFC9449_PROOF], &check, NOW, None)),
        "dpop_iat_too_old"
    );
    let get = ProofCheck::new("GET", TOKEN_URI);
    assert_eq!(
        code(run(&[RFC9449_PROOF], &get, RFC9449_IAT, None)),
        "dpop_htm_mismatch"
    );
}

/// §4.2: proofs built here carry typ, alg, the public jwk only, htm, normalised htu, iat,
/// a fresh jti, ath and nonce.
#[test]
fn built_proofs_have_the_required_shape() {
    let key = private_jwk(&TestKey::new(5, "dpop"));
    let token = proof(
        &key,
        "GET",
        "HTTPS://API.example.com:443/me?x=1#f",
        NOW,
        Some("at-123"),
        Some("n-1"),
    );
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&b64::decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&b64::decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(
        header["jwk"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["crv", "kty", "x", "y"]
    );
    assert_eq!(claims["htm"], "GET");
    assert_eq!(claims["htu"], "https://api.example.com/me");
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["ath"], dpop::access_token_hash("at-123"));
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["jti"].as_str().unwrap().len(), 22);
    let again = proof(&key, "GET", "https://api.example.com/me", NOW, None, None);
    let jti_again: Value =
        serde_json::from_slice(&b64::decode(again.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_ne!(jti_again["jti"], claims["jti"]);
    assert!(jti_again.get("ath").is_none());

    // The JSON is written by hand: whatever a caller passes comes back exactly (RFC 8259 §7).
    let odd = "a\"b\\c\u{1}\u{e9}";
    let escaped = proof(
        &key,
        "GET",
        "https://api.example.com/me",
        NOW,
        Some(odd),
        Some(odd),
    );
    let claims: Value =
        serde_json::from_slice(&b64::decode(escaped.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["nonce"], odd);
    assert_eq!(claims["ath"], dpop::access_token_hash(odd));
}

/// §4.3 steps 1–12 on a proof made here, with a token bound to the key.
#[test]
fn a_good_proof_passes_every_check() {
    let key = private_jwk(&TestKey::new(5, "dpop"));
    let jkt = key.thumbprint();
    let nonces = NonceKey::new(&[9; 32], 300).unwrap();
    let nonce = nonces.current(UnixTime(NOW));
    let token = proof(
        &key,
        "GET",
        "https://api.example.com/me",
        NOW - 2,
        Some("at-123"),
        Some(&nonce),
    );
    let check = ProofCheck {
        access_token: Some("at-123"),
        bound_jkt: Some(&jkt),
        nonce: NoncePolicy::Stateless(&nonces),
        algorithms: &[Alg::Es256],
        ..ProofCheck::new("GET", "https://api.example.com/me?page=2")
    };
    let store = store();
    let checked = run(&[&token], &check, NOW, Some(&store)).unwrap();
    assert_eq!(checked.jkt, jkt);
    assert_eq!(store.len(), 1);
}

/// §11.1: a proof is single use.
#[test]
fn replay_is_refused() {
    let key = private_jwk(&TestKey::new(5, "dpop"));
    let token = proof(&key, "POST", TOKEN_URI, NOW, None, None);
    let check = ProofCheck::new("POST", TOKEN_URI);
    let store = store();
    assert_eq!(code(run(&[&token], &check, NOW, Some(&store))), "ok");
    assert_eq!(
        code(run(&[&token], &check, NOW, Some(&store))),
        "dpop_replay"
    );
    // The record outlives the iat window, so the proof cannot come back after it expires.
    assert!(check.replay_window() as i64 > check.max_age + check.clock_tolerance);
    assert!(store.len() == 1);
    let _ = replay_key(&key.thumbprint(), "x");
}

/// §4.3 steps 8–9 and 11: method, URI and time window.
#[test]
fn htm_htu_and_iat_window() {
    let key = private_jwk(&TestKey::new(5, "dpop"));
    let check = ProofCheck::new("POST", TOKEN_URI);
    let case = |htm: &str, htu: &str, iat: i64| {
        code(run(
            &[&proof(&key, htm, htu, iat, None, None)],
            &check,
            NOW,
            None,
        ))
    };
    assert_eq!(case("POST", TOKEN_URI, NOW), "ok");
    assert_eq!(case("post", TOKEN_URI, NOW), "dpop_htm_mismatch");
    assert_eq!(case("GET", TOKEN_URI, NOW), "dpop_htm_mismatch");
    assert_eq!(
        case("POST", "https://server.example.com/other", NOW),
        "dpop_htu_mismatch"
    );
    assert_eq!(
        case("POST", "https://evil.example.com/token", NOW),
        "dpop_htu_mismatch"
    );
    // The builder drops query and fragment (RFC 9449 §4.2), so this proof passes.
    assert_eq!(
        case("POST", "https://server.example.com:443/token?q#f", NOW),
        "ok"
    );
    assert_eq!(case("POST", TOKEN_URI, NOW - 300 - 5), "ok");
    assert_eq!(case("POST", TOKEN_URI, NOW - 300 - 6), "dpop_iat_too_old");
    assert_eq!(case("POST", TOKEN_URI, NOW + 5), "ok");
    assert_eq!(case("POST", TOKEN_URI, NOW + 6), "dpop_iat_in_future");
}

/// §4.3 step 12 and §6: ath and the token's cnf.jkt.
#[test]
fn access_token_binding() {
    let key = private_jwk(&TestKey::new(5, "dpop"));
    let other = private_jwk(&TestKey::new(6, "other"));
    let check = ProofCheck {
        access_token: Some("at-123"),
        bound_jkt: Some(&key.thumbprint()),
        ..ProofCheck::new("GET", "https://api.example.com/me")
    };
    let uri = "https://api.example.com/me";
    let case = |k: &Jwk, ath: Option<&str>| {
        code(run(
            &[&proof(k, "GET", uri, NOW, ath, None)],
            &check,
            NOW,
            None,
        ))
    };
    assert_eq!(case(&key, Some("at-123")), "ok");
    assert_eq!(case(&key, None), "dpop_ath_missing");
    assert_eq!(case(&key, Some("at-456")), "dpop_ath_mismatch");
    assert_eq!(case(&other, Some("at-123")), "dpop_key_mismatch");
}

/// §8: nonces, and the mapping to use_dpop_nonce.
#[test]
fn nonces() {
    let key = private_jwk(&TestKey::new(5, "dpop"));
    let nonces = NonceKey::new(&[9; 32], 300).unwrap();
    let check = ProofCheck {
        nonce: NoncePolicy::Stateless(&nonces),
        ..ProofCheck::new("POST", TOKEN_URI)
    };
    let case = |nonce: Option<&str>| {
        run(
            &[&proof(&key, "POST", TOKEN_URI, NOW, None, nonce)],
            &check,
            NOW,
            None,
        )
    };
    let missing = case(None).unwrap_err();
    assert_eq!(missing.code(), "dpop_nonce_required");
    assert_eq!(oauth_error(&missing), "use_dpop_nonce");
    let stale = nonces.current(UnixTime(NOW - 600));
    assert_eq!(code(case(Some(&stale))), "dpop_nonce_invalid");
    assert_eq!(code(case(Some(&nonces.current(UnixTime(NOW))))), "ok");
    assert_eq!(code(case(Some(&nonces.current(UnixTime(NOW - 300))))), "ok");
    let exact = ProofCheck {
        nonce: NoncePolicy::Exact("abc"),
        ..ProofCheck::new("POST", TOKEN_URI)
    };
    let with_abc = proof(&key, "POST", TOKEN_URI, NOW, None, Some("abc"));
    assert_eq!(code(run(&[&with_abc], &exact, NOW, None)), "ok");
}

/// §4.3 steps 1–7: header count, typ, alg, jwk presence and privacy, signature.
#[test]
fn structural_rules() {
    let key = TestKey::new(5, "dpop");
    let check = ProofCheck::new("POST", TOKEN_URI);
    let claims = json!({ "jti": "j1", "htm": "POST", "htu": TOKEN_URI, "iat": NOW });
    let public = key.public_jwk();
    let sign =
        |header: Value| key.sign_raw(header.to_string().as_bytes(), claims.to_string().as_bytes());
    let good = sign(json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": public }));
    assert_eq!(code(run(&[&good], &check, NOW, None)), "ok");
    assert_eq!(code(run(&[], &check, NOW, None)), "dpop_header_count");
    assert_eq!(
        code(run(&[&good, &good], &check, NOW, None)),
        "dpop_header_count"
    );
    assert_eq!(
        code(run(
            &[&sign(
                json!({ "typ": "JWT", "alg": "ES256", "jwk": public })
            )],
            &check,
            NOW,
            None
        )),
        "dpop_typ"
    );
    assert_eq!(
        code(run(
            &[&sign(json!({ "alg": "ES256", "jwk": public }))],
            &check,
            NOW,
            None
        )),
        "dpop_typ"
    );
    // RFC 7515 §4.1.9: `application/dpop+jwt` is the same media type.
    let media_type = sign(json!({ "typ": "application/dpop+jwt", "alg": "ES256", "jwk": public }));
    assert_eq!(code(run(&[&media_type], &check, NOW, None)), "ok");
    // RFC 9449 §4.2: `htu` has no query part, even one that normalises away.
    let with_query = key.sign_raw(
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": public })
            .to_string()
            .as_bytes(),
        json!({ "jti": "j2", "htm": "POST", "htu": format!("{TOKEN_URI}?x=1"), "iat": NOW })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(
        code(run(&[&with_query], &check, NOW, None)),
        "dpop_htu_mismatch"
    );
    assert_eq!(
        code(run(
            &[&sign(json!({ "typ": "dpop+jwt", "alg": "ES256" }))],
            &check,
            NOW,
            None
        )),
        "dpop_jwk_missing"
    );
    let mut private = public.clone();
    private["d"] = Value::String(b64::encode(&key.signing.to_bytes()));
    let with_private = sign(json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": private }));
    assert_eq!(
        code(run(&[&with_private], &check, NOW, None)),
        "dpop_jwk_private"
    );
    let hs = sign(json!({ "typ": "dpop+jwt", "alg": "HS256", "jwk": public }));
    assert_eq!(code(run(&[&hs], &check, NOW, None)), "alg_not_allowed");
    let only_eddsa = ProofCheck {
        algorithms: &[Alg::EdDsa],
        ..check.clone()
    };
    assert_eq!(
        code(run(&[&good], &only_eddsa, NOW, None)),
        "alg_not_allowed"
    );
    let other_key = TestKey::new(6, "x").public_jwk();
    let wrong_key = sign(json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": other_key }));
    assert_eq!(
        code(run(&[&wrong_key], &check, NOW, None)),
        "signature_invalid"
    );
    let no_jti = key.sign_raw(
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": public })
            .to_string()
            .as_bytes(),
        json!({ "htm": "POST", "htu": TOKEN_URI, "iat": NOW })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(
        code(run(&[&no_jti], &check, NOW, None)),
        "jwt_claim_missing"
    );
    assert_eq!(
        code(run(&["x".repeat(9000).as_str()], &check, NOW, None)),
        "too_large"
    );
}

/// §7.1 / RFC 6750 §3: the challenge names the error and the accepted algorithms, and
/// escapes what would break the quoted string.
#[test]
fn www_authenticate_challenge() {
    assert_eq!(
        www_authenticate(
            Some("invalid_dpop_proof"),
            Some("bad \"htu\""),
            &[Alg::Es256, Alg::EdDsa]
        ),
        r#"DPoP error="invalid_dpop_proof", error_description="bad \"htu\"", algs="ES256 EdDSA""#
    );
    assert_eq!(
        www_authenticate(None, Some("line\r\nSet-Cookie: x"), &[Alg::Es256]),
        r#"DPoP error_description="lineSet-Cookie: x", algs="ES256""#
    );
}
