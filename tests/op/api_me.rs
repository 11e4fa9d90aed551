//! `GET /api/me`, the provider's resource API of sender-constrained tokens, with DPoP:
//! RFC 9449 §7.1 (the DPoP scheme and its challenges), §7.2 (no downgrade to Bearer), §9
//! (resource-server nonces), §4.3 (proof replay, `ath`, the bound key). Certificate-bound
//! tokens there are tests/op/mtls.rs.

use crate::op_support::*;
use oidc_edge::op::{Request, Response};
use serde_json::Value;

const API: &str = "https://op.example/api/me";

fn api(access: &str, scheme: &str, proof: Option<&str>) -> Request {
    let req = Request::new("GET", API).with_header("authorization", &format!("{scheme} {access}"));
    match proof {
        Some(proof) => req.with_header("dpop", proof),
        None => req,
    }
}

fn challenge(response: &Response) -> &str {
    response.header("www-authenticate").unwrap_or_default()
}

/// The nonce the API hands out on its first `use_dpop_nonce` answer (§9).
fn api_nonce(op: &Op, key: &oidc_edge::jose::Jwk, access: &str) -> String {
    let proof = dpop_proof(op, key, "GET", API, Some(access), None);
    let first = op.send(&api(access, "DPoP", Some(&proof)));
    assert_eq!(first.status, 401);
    assert!(
        challenge(&first).starts_with("DPoP error=\"use_dpop_nonce\""),
        "{}",
        challenge(&first)
    );
    first.header("dpop-nonce").unwrap().to_owned()
}

/// §7.1 and §9: a bound token with a proof carrying the server's nonce gets the answer.
#[test]
fn answers_a_dpop_bound_request_after_the_nonce_round_trip() {
    let op = Op::new();
    let key = dpop_key(21);
    let (_browser, tokens) = dpop_sign_in(&op, &key, "openid profile");
    let access = tokens["access_token"].as_str().unwrap();
    let nonce = api_nonce(&op, &key, access);
    let proof = dpop_proof(&op, &key, "GET", API, Some(access), Some(&nonce));
    let ok = op.send(&api(access, "DPoP", Some(&proof)));
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let body = ok.json_body();
    assert_eq!(body["sub"], "248289761001");
    assert_eq!(body["client_id"], SPA);
    assert_eq!(body["scope"], "openid profile");
    assert_eq!(body["jkt"], Value::from(key.thumbprint()));
    assert!(body["exp"].as_i64().unwrap() > op.now());
    assert_eq!(ok.header("cache-control"), Some("no-store"));
    assert!(
        ok.header("dpop-nonce").is_some(),
        "§9: the next nonce rides along"
    );
}

/// §4.3 step 12 (jti replay), the bound key (§4.3 step 11 / §6) and `ath` (§4.3 step 10).
#[test]
fn refuses_replayed_proofs_other_keys_and_other_tokens() {
    let op = Op::new();
    let key = dpop_key(22);
    let (_browser, tokens) = dpop_sign_in(&op, &key, "openid");
    let access = tokens["access_token"].as_str().unwrap();
    let nonce = api_nonce(&op, &key, access);
    let proof = dpop_proof(&op, &key, "GET", API, Some(access), Some(&nonce));
    assert_eq!(op.send(&api(access, "DPoP", Some(&proof))).status, 200);

    let replayed = op.send(&api(access, "DPoP", Some(&proof)));
    assert_eq!(replayed.status, 401);
    assert_eq!(replayed.json_body()["error"], "invalid_dpop_proof");
    assert!(challenge(&replayed).starts_with("DPoP error=\"invalid_dpop_proof\""));

    let thief = dpop_key(23);
    let stolen = dpop_proof(&op, &thief, "GET", API, Some(access), Some(&nonce));
    let stolen = op.send(&api(access, "DPoP", Some(&stolen)));
    assert_eq!(stolen.status, 401);
    assert_eq!(stolen.json_body()["error"], "invalid_dpop_proof");

    // A proof made for another access token (ath mismatch).
    let (_b2, other_tokens) = dpop_sign_in(&op, &key, "openid");
    let other_access = other_tokens["access_token"].as_str().unwrap();
    let wrong_ath = dpop_proof(&op, &key, "GET", API, Some(other_access), Some(&nonce));
    let wrong_ath = op.send(&api(access, "DPoP", Some(&wrong_ath)));
    assert_eq!(wrong_ath.json_body()["error"], "invalid_dpop_proof");

    // A proof for another URL (htu) or method (htm).
    let other_url = dpop_proof(
        &op,
        &key,
        "GET",
        &format!("{ISSUER}/userinfo"),
        Some(access),
        Some(&nonce),
    );
    assert_eq!(
        op.send(&api(access, "DPoP", Some(&other_url))).json_body()["error"],
        "invalid_dpop_proof"
    );
    let other_method = dpop_proof(&op, &key, "POST", API, Some(access), Some(&nonce));
    assert_eq!(
        op.send(&api(access, "DPoP", Some(&other_method)))
            .json_body()["error"],
        "invalid_dpop_proof"
    );

    // A nonce the server never issued.
    let forged = dpop_proof(
        &op,
        &key,
        "GET",
        API,
        Some(access),
        Some("not-a-server-nonce"),
    );
    let forged = op.send(&api(access, "DPoP", Some(&forged)));
    assert_eq!(forged.json_body()["error"], "use_dpop_nonce");
}

/// §7.1/§7.2: Bearer tokens, unbound tokens and missing credentials get a DPoP challenge
/// (the API takes no other scheme), never the resource.
#[test]
fn refuses_everything_but_dpop_bound_tokens() {
    let op = Op::new();
    let key = dpop_key(24);
    let (_browser, tokens) = dpop_sign_in(&op, &key, "openid");
    let bound = tokens["access_token"].as_str().unwrap();

    let as_bearer = op.send(&api(bound, "Bearer", None));
    assert_eq!(as_bearer.status, 401);
    assert!(
        challenge(&as_bearer).starts_with("DPoP error=\"invalid_token\""),
        "{}",
        challenge(&as_bearer)
    );

    // An unbound token (a plain Bearer exchange), presented either way.
    let (_b, start, code) = sign_in(&op, "openid");
    let unbound = exchange(&op, &start, &code).json_body();
    let unbound = unbound["access_token"].as_str().unwrap();
    for scheme in ["Bearer", "DPoP"] {
        let proof = dpop_proof(&op, &key, "GET", API, Some(unbound), None);
        let refused = op.send(&api(unbound, scheme, Some(&proof)));
        assert_eq!(refused.status, 401, "{scheme}");
        assert_eq!(refused.json_body()["error"], "invalid_token", "{scheme}");
        assert!(
            challenge(&refused).starts_with("DPoP "),
            "{scheme}: {}",
            challenge(&refused)
        );
    }

    // RFC 6750 §3.1 / RFC 9449 §7.1: no credentials → a bare DPoP challenge with algs.
    let bare = op.send(&Request::new("GET", API));
    assert_eq!(bare.status, 401);
    let challenges: Vec<&str> = bare
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(challenges.len(), 1, "{challenges:?}");
    assert!(challenges[0].starts_with("DPoP algs=\""), "{challenges:?}");

    // A bound token without its proof.
    let no_proof = op.send(&api(bound, "DPoP", None));
    assert_eq!(no_proof.json_body()["error"], "invalid_dpop_proof");

    // A token that is not ours.
    let junk = op.send(&api("a.b.c", "DPoP", Some("x.y.z")));
    assert_eq!(junk.json_body()["error"], "invalid_token");
}

/// The API is an SPA's to call: CORS for configured origins only, and no other method.
#[test]
fn cors_and_methods() {
    let op = Op::new();
    let preflight = op.send(
        &Request::new("OPTIONS", API)
            .with_header("origin", "https://spa.example")
            .with_header("access-control-request-method", "GET")
            .with_header("access-control-request-headers", "authorization, dpop"),
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://spa.example")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET")
    );
    let foreign = op.send(
        &Request::new("OPTIONS", API)
            .with_header("origin", "https://evil.example")
            .with_header("access-control-request-method", "GET"),
    );
    assert_eq!(foreign.status, 403);
    let denied = op.send(&Request::new("GET", API).with_header("origin", "https://spa.example"));
    assert_eq!(
        denied.header("access-control-allow-origin"),
        Some("https://spa.example")
    );
    let exposed = denied
        .header("access-control-expose-headers")
        .unwrap_or_default();
    assert!(exposed.contains("DPoP-Nonce") && exposed.contains("WWW-Authenticate"));
    let post = op.send(&Request::new("POST", API));
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}

/// RFC 9728 §3.1: the API's metadata sits at the well-known path made from its URL; §2: it
/// names the API (`resource` equal to its URL, §3.3), the provider as its authorization
/// server, the header as the only way to send a token, DPoP's algorithms, and
/// certificate-bound tokens (RFC 8705), which need no DPoP proof: DPoP is not "always"
/// required.
#[test]
fn protected_resource_metadata() {
    let op = Op::new();
    let response = op.send(&Request::new(
        "GET",
        &absolute("/.well-known/oauth-protected-resource/api/me"),
    ));
    assert_eq!(response.status, 200);
    let metadata: Value = response.json_body();
    assert_eq!(metadata["resource"], API);
    assert_eq!(
        metadata["authorization_servers"],
        serde_json::json!([ISSUER])
    );
    assert_eq!(
        metadata["bearer_methods_supported"],
        serde_json::json!(["header"])
    );
    assert_eq!(metadata["dpop_bound_access_tokens_required"], false);
    assert_eq!(metadata["tls_client_certificate_bound_access_tokens"], true);
    assert!(
        metadata["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&"ES256".into())
    );
    let post = op.send(&Request::new(
        "POST",
        &absolute("/.well-known/oauth-protected-resource/api/me"),
    ));
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}
