//! The core and the JS API compiled to wasm and run in headless Chromium
//! (`wasm-pack test --headless --chrome -- --features js`).
#![cfg(all(target_arch = "wasm32", feature = "js"))]
// clippy only recognises `#[test]` functions as tests, not `#[wasm_bindgen_test]` ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use js_sys::Reflect;
use oidc_edge::wasm::{create_pkce, pkce_challenge, random_token};
use oidc_edge::{CodeVerifier, Pkce};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// RFC 7636 Appendix B.
const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn code_of(err: JsValue) -> String {
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "thrown value is an Error"
    );
    Reflect::get(&err, &"code".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn string_field(obj: &JsValue, key: &str) -> String {
    Reflect::get(obj, &key.into()).unwrap().as_string().unwrap()
}

#[wasm_bindgen_test]
fn rfc7636_appendix_b_in_the_browser() {
    let verifier = CodeVerifier::parse(RFC7636_VERIFIER).unwrap();
    assert_eq!(verifier.challenge().as_str(), RFC7636_CHALLENGE);
    assert_eq!(
        pkce_challenge(RFC7636_VERIFIER.into()).unwrap(),
        RFC7636_CHALLENGE
    );
}

/// Randomness comes from crypto.getRandomValues through getrandom's wasm_js backend.
#[wasm_bindgen_test]
fn create_pkce_uses_browser_randomness() {
    let a = create_pkce(JsValue::UNDEFINED).unwrap();
    let b = create_pkce(43.0.into()).unwrap();
    let verifier = string_field(&a, "verifier");
    assert_eq!(verifier.len(), 64);
    assert_eq!(string_field(&b, "verifier").len(), 43);
    assert_eq!(string_field(&a, "method"), "S256");
    assert_eq!(
        string_field(&a, "challenge"),
        pkce_challenge(verifier.as_str().into()).unwrap()
    );
    assert_ne!(verifier, string_field(&b, "verifier"));
    assert!(Pkce::generate(128).is_ok());
}

/// RFC 7636 §4.1 violations surface as JS errors with stable codes.
#[wasm_bindgen_test]
fn errors_carry_stable_codes() {
    assert_eq!(
        code_of(pkce_challenge("short".into()).unwrap_err()),
        "pkce_verifier_length"
    );
    let bad_char = format!("{}+", "a".repeat(50));
    assert_eq!(
        code_of(pkce_challenge(bad_char.as_str().into()).unwrap_err()),
        "pkce_verifier_charset"
    );
    for bad in [42.0, 129.0, 64.5, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            code_of(create_pkce(bad.into()).unwrap_err()),
            "invalid_length"
        );
    }
    assert_eq!(
        code_of(random_token(8.0.into()).unwrap_err()),
        "invalid_length"
    );
    assert_eq!(random_token(JsValue::UNDEFINED).unwrap().len(), 43);
}

/// The provider's WebCrypto signer (what the Worker signs tokens with): it imports every
/// key that signs, and its ES256 (RFC 7518 §3.4: r || s), RS256, PS256 (§3.3, §3.5) and
/// EdDSA (RFC 8037 §3.1) signatures verify with the pure-Rust backend under the published
/// keys; it refuses a `kid` it does not hold and an algorithm a key does not do.
#[wasm_bindgen_test]
async fn webcrypto_token_signer_signs_every_algorithm() {
    use oidc_edge::jose::verifier::{RustCrypto, SignatureVerifier};
    use oidc_edge::jose::{Alg, JwkSet};
    use oidc_edge::op::TokenSigner;
    use oidc_edge::op::keys::SigningKeys;
    use oidc_edge::wasm::job::spawn;
    use oidc_edge::wasm::webcrypto::WebCryptoSigner;
    use wasm_bindgen_futures::JsFuture;

    const INPUT: &[u8] = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0";
    const ALGS: [Alg; 4] = [Alg::Rs256, Alg::Ps256, Alg::EdDsa, Alg::Es256];
    let keys: Vec<serde_json::Value> = ALGS
        .iter()
        .map(|alg| SigningKeys::generate_key(*alg, Some(alg.as_str())).unwrap())
        .collect();
    let keys =
        SigningKeys::from_jwks_json(&serde_json::json!({ "keys": keys }).to_string()).unwrap();
    let published = JwkSet::from_json(keys.public_jwks().to_string().as_bytes()).unwrap();
    // With feature `js`, promises are awaited inside the JS API's jobs (src/wasm/settle.rs).
    let signed = spawn(async move {
        let (signer, refused) = WebCryptoSigner::import(&keys).await;
        assert!(refused.is_empty(), "WebCrypto refused {refused:?}");
        for (i, alg) in ALGS.iter().enumerate() {
            let kid = alg.as_str();
            let signature = signer.sign(kid, *alg, INPUT).await.unwrap();
            let key = &published.keys()[i];
            assert_eq!(key.kid(), Some(kid));
            RustCrypto
                .verify(*alg, key, INPUT, &signature)
                .await
                .unwrap_or_else(|err| panic!("{kid}: {err}"));
            let mut tampered = INPUT.to_vec();
            tampered[0] ^= 1;
            assert!(
                RustCrypto
                    .verify(*alg, key, &tampered, &signature)
                    .await
                    .is_err()
            );
        }
        assert!(matches!(
            signer.sign("k2", Alg::Es256, INPUT).await,
            Err(oidc_edge::Error::KeyNotFound)
        ));
        assert!(matches!(
            signer.sign("RS256", Alg::Ps256, INPUT).await,
            Err(oidc_edge::Error::KeyAlgMismatch)
        ));
        Ok(JsValue::TRUE)
    });
    assert_eq!(JsFuture::from(signed).await.unwrap(), JsValue::TRUE);
}

/// The JS API's jobs (src/wasm/job.rs, drive.js): an outcome known before any await, two
/// awaits in a row handed to the JS driver (one a rejection), a future left waiting on
/// something no driver resumes, which fails the call instead of leaving it pending, and a
/// promise awaited outside any job, which is refused.
#[wasm_bindgen_test]
async fn jobs_settle_across_awaits_and_never_hang() {
    use js_sys::Promise;
    use oidc_edge::wasm::job::spawn;
    use oidc_edge::wasm::settle::settle;
    use wasm_bindgen_futures::JsFuture;

    let ready = spawn(async { Ok(JsValue::from(1)) });
    assert_eq!(JsFuture::from(ready).await.unwrap(), 1);
    let refused = spawn(async { Err(JsValue::from("early")) });
    assert_eq!(JsFuture::from(refused).await.unwrap_err(), "early");

    let two_awaits = spawn(async {
        let value = settle(Promise::resolve(&JsValue::from(2))).await?;
        let reason = settle(Promise::reject(&JsValue::from("no")))
            .await
            .unwrap_err();
        Ok(JsValue::from(format!(
            "{}{}",
            value.as_f64().unwrap(),
            reason.as_string().unwrap()
        )))
    });
    assert_eq!(JsFuture::from(two_awaits).await.unwrap(), "2no");

    let stuck = spawn(async {
        core::future::pending::<()>().await;
        Ok(JsValue::NULL)
    });
    assert_eq!(
        code_of(JsFuture::from(stuck).await.unwrap_err()),
        "crypto_unavailable"
    );

    // Outside a job a promise is not awaited through a second mechanism: it is refused.
    let outside = settle(Promise::resolve(&JsValue::from(3))).await;
    assert!(
        outside
            .unwrap_err()
            .as_string()
            .unwrap()
            .contains("outside a job")
    );
}
