//! Mutual TLS (RFC 8705): the client certificate facts a request carries
//! ([`ClientCertificate`], set by the host), the distinguished names `tls_client_auth`
//! compares ([`DistinguishedName`]), the key a registered certificate carries
//! ([`CertifiedKey`], which must be its JWK's), and the certificate a request presents for
//! authentication and token binding ([`presented`]).
//!
//! The provider terminates no TLS: the host in front of it (Cloudflare's edge, for the
//! Worker) requests and verifies the certificate and reports what it found. Client
//! authentication with it is `clients::auth::tls_client_auth` and
//! `clients::auth::self_signed_tls_client_auth`; certificate-bound tokens are
//! `token::binding` and `resource`.

pub mod certificate;
pub mod certified_key;
pub mod dn;

pub use certificate::ClientCertificate;
pub use certified_key::CertifiedKey;
pub use dn::DistinguishedName;

use crate::op::http::Request;

/// The certificate the request presents, unless the host knows it revoked: a revoked
/// certificate is treated as none at all.
pub fn presented(req: &Request) -> Option<&ClientCertificate> {
    req.client_certificate.as_ref().filter(|c| !c.revoked())
}
