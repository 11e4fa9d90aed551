//! `self_signed_tls_client_auth` (RFC 8705 §2.2): the client presents a TLS client
//! certificate (self-signed or not; the host need not verify it) that it registered: the
//! first certificate of the `x5c` of one of its keys, inline (`jwks`) or at its `jwks_uri`,
//! when it carries that key (RFC 7517 §4.7, checked as the keys are read: `clients::keys`).
//! The certificate is matched by the SHA-256 of its DER encoding, what the host reports.
//!
//! A certificate missing from the kept keys of a `jwks_uri` fetches them again, at most
//! once per `jwks_uri::REFETCH_INTERVAL` (the client may have rolled its certificate over),
//! as an unknown `kid` does for `private_key_jwt`.

use crate::op::clients::jwks_uri;
use crate::op::config::Client;
use crate::op::http::Request;
use crate::op::mtls;
use crate::op::provider::{Provider, Services};

/// Whether the request's certificate authenticates `client`.
pub async fn verify<S, P, V>(
    op: &Provider,
    client: &Client,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> bool {
    let Some(certificate) = mtls::presented(req) else {
        return false;
    };
    let sha256 = certificate.sha256();
    match (&client.jwks, &client.jwks_uri) {
        (Some(keys), _) => keys.has_certificate(sha256),
        (None, Some(uri)) => {
            if jwks_uri::current(op, uri, services)
                .await
                .is_some_and(|keys| keys.has_certificate(sha256))
            {
                return true;
            }
            jwks_uri::refetched(op, uri, services)
                .await
                .is_some_and(|keys| keys.has_certificate(sha256))
        }
        (None, None) => false,
    }
}
