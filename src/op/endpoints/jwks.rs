//! `/jwks`: the provider's public signing keys (RFC 7517 §5), every key it may sign with
//! or has signed with recently, so relying parties that cache the set meet no unknown `kid`.

use crate::op::http::Response;
use crate::op::provider::Provider;

/// Handles `GET /jwks`.
pub fn handle(op: &Provider) -> Response {
    Response::json_text(200, op.jwks.clone())
        .set_header("content-type", "application/jwk-set+json")
        .with_header("cache-control", "public, max-age=300")
}
