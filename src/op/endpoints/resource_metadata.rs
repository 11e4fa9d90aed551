//! `/.well-known/oauth-protected-resource/api/me`: the metadata of the provider's own
//! resource API (RFC 9728 §2, at the path §3.1 derives from the resource's URL), so a
//! client that meets `/api/me` learns which authorization server to ask and how it takes
//! tokens: DPoP-bound ones, and certificate-bound ones (RFC 8705). It takes no bearer token
//! that is neither, which RFC 9728 has no member to say;
//! `dpop_bound_access_tokens_required` is false because a certificate-bound token needs no
//! DPoP proof (§2: DPoP "always" required would be untrue), and a bearer token is refused
//! with a DPoP challenge.

use serde_json::json;

use crate::op::http::Response;
use crate::op::provider::Provider;
use crate::op::resource::CHALLENGE_ALGS;

/// Handles `GET /.well-known/oauth-protected-resource/api/me`.
pub fn handle(op: &Provider) -> Response {
    let issuer = &op.config.issuer;
    let algs: Vec<&str> = CHALLENGE_ALGS.iter().map(|alg| alg.as_str()).collect();
    let metadata = json!({
        "resource": op.own_api,
        "authorization_servers": [issuer],
        "bearer_methods_supported": ["header"],
        "dpop_signing_alg_values_supported": algs,
        "dpop_bound_access_tokens_required": false,
        "tls_client_certificate_bound_access_tokens": true,
    });
    Response::json(200, &metadata).with_header("cache-control", "public, max-age=300")
}
