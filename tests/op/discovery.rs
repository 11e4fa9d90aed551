//! Discovery (OpenID Connect Discovery 1.0, RFC 8414), the JWKS (RFC 7517) and CORS
//! (Fetch §3.2) for the endpoints a browser app calls.

use oidc_edge::op::Request;

use crate::op_support::*;

/// OpenID Connect Discovery §3 / RFC 8414 §2: both documents, only what is supported.
#[test]
fn discovery_and_jwks() {
    let op = Op::new();
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc = body(&op.send(&Request::new("GET", &absolute(path))));
        assert_eq!(doc["issuer"], ISSUER);
        assert_eq!(doc["token_endpoint"], format!("{ISSUER}/token"));
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        // Discovery §3: the claims ID tokens carry, `amr` (RFC 8176) among them.
        let claims = doc["claims_supported"].as_array().unwrap();
        for claim in ["sub", "auth_time", "amr", "sid", "email"] {
            assert!(claims.contains(&serde_json::json!(claim)), "{claim}");
        }
        assert_eq!(doc["end_session_endpoint"], format!("{ISSUER}/end_session"));
        // RFC 8414 §2: the revocation endpoint (RFC 7009), authenticating as /token does.
        assert_eq!(doc["revocation_endpoint"], format!("{ISSUER}/revoke"));
        assert_eq!(
            doc["revocation_endpoint_auth_methods_supported"],
            doc["token_endpoint_auth_methods_supported"]
        );
        // RFC 8414 §2: introspection (RFC 7662) for confidential clients only.
        assert_eq!(
            doc["introspection_endpoint"],
            format!("{ISSUER}/introspect")
        );
        assert_eq!(
            doc["introspection_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_basic", "client_secret_post"])
        );
        assert!(
            doc.get("pushed_authorization_request_endpoint").is_some(),
            "PAR is built (RFC 9126 §5)"
        );
        // RFC 8628 §4: routed, but no client here may use the device grant.
        assert!(doc.get("device_authorization_endpoint").is_none());
        let grants = doc["grant_types_supported"].as_array().unwrap();
        assert!(!grants.contains(&serde_json::json!(
            "urn:ietf:params:oauth:grant-type:device_code"
        )));
    }
    let jwks = op.send(&Request::new("GET", &absolute("/jwks")));
    let keys = body(&jwks);
    assert_eq!(keys["keys"][0]["kid"], "k1");
    assert!(keys["keys"][0].get("d").is_none());
    assert_eq!(
        op.send(&Request::new("POST", &absolute("/jwks"))).status,
        405
    );
    assert_eq!(
        op.send(&Request::new("GET", &absolute("/nope"))).status,
        404
    );
}

/// Fetch §3.2: CORS only for configured origins, with the headers an SPA must read.
#[test]
fn cors() {
    let op = Op::new();
    let token = token_request(&[("grant_type", "client_credentials")])
        .with_header("origin", "https://spa.example");
    let response = op.send(&token);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://spa.example")
    );
    assert!(
        response
            .header("access-control-expose-headers")
            .unwrap()
            .contains("DPoP-Nonce")
    );
    let evil = op.send(&token_request(&[]).with_header("origin", "https://evil.example"));
    assert!(evil.header("access-control-allow-origin").is_none());
    let preflight = op.send(
        &Request::new("OPTIONS", &absolute("/token")).with_header("origin", "https://spa.example"),
    );
    assert_eq!(preflight.status, 204);
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("DPoP")
    );
    let denied = op.send(
        &Request::new("OPTIONS", &absolute("/token")).with_header("origin", "https://evil.example"),
    );
    assert_eq!(denied.status, 403);
    let page = op.send(
        &Request::new("GET", &absolute("/login")).with_header("origin", "https://spa.example"),
    );
    assert!(
        page.header("access-control-allow-origin").is_none(),
        "pages are not CORS resources"
    );
}
