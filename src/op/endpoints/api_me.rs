//! `GET /api/me`: the provider's own resource API, for the demo SPA and as the model of an
//! API that takes sender-constrained tokens only: DPoP-bound ones (RFC 9449 §7.1) whose
//! proofs carry a server nonce (§9), or certificate-bound ones (RFC 8705 §3) over a
//! connection that presents their certificate. It answers with who the token speaks for
//! and what it is bound to.

use serde_json::json;

use crate::jose::SignatureVerifier;
use crate::op::http::{Request, Response};
use crate::op::provider::{Provider, Services};
use crate::op::resource::{Policy, authorize_request};
use crate::op::token::binding::X5T_S256;
use crate::store::Store;

/// Sender-constrained tokens only, DPoP proofs with a nonce; any scope.
const POLICY: Policy<'static> = Policy {
    scopes: &[],
    sender_constrained: true,
    require_nonce: true,
    own_api: true,
};

/// Handles `GET /api/me`.
pub async fn handle<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    let claims = match authorize_request(op, req, services, &POLICY).await {
        Ok(claims) => claims,
        Err(denied) => return denied.to_response(op, services.now),
    };
    let cnf = claims.get("cnf");
    let body = json!({
        "sub": claims.get("sub"),
        "client_id": claims.get("client_id"),
        "scope": claims.get("scope"),
        "jkt": cnf.and_then(|cnf| cnf.get("jkt")),
        X5T_S256: cnf.and_then(|cnf| cnf.get(X5T_S256)),
        "exp": claims.get("exp"),
    });
    // RFC 9449 §9: the next nonce rides on every answer, so the client need not fail first.
    Response::json(200, &body)
        .no_store()
        .with_header("dpop-nonce", &op.secrets.nonce().current(services.now))
}
