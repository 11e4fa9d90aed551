//! `tls_client_auth` (RFC 8705 §2.1): the client presents a TLS client certificate that the
//! host verified against the certificate authorities the deployment trusts (on Workers:
//! Cloudflare's mTLS settings for the host name), whose subject DN is the one the client
//! registered (`tls_client_auth_subject_dn`, §2.1.2). The trust is in the authority: any
//! certificate it issued with that subject is the client's.
//!
//! Refused: no certificate; one the host did not verify (self-signed, expired, of an
//! authority it does not trust) or knows revoked; another subject. The DNs are compared as
//! [`DistinguishedName`] documents: RFC 4514 RDN by RDN, types without case, values exactly.

use crate::op::config::Client;
use crate::op::http::Request;
use crate::op::mtls::{self, DistinguishedName};

/// Whether the request's certificate authenticates `client`.
pub fn verify(client: &Client, req: &Request) -> bool {
    let (Some(expected), Some(certificate)) =
        (&client.tls_client_auth_subject_dn, mtls::presented(req))
    else {
        return false;
    };
    certificate.verified()
        && DistinguishedName::parse(certificate.subject_dn())
            .is_ok_and(|presented| !presented.is_empty() && presented == *expected)
}
