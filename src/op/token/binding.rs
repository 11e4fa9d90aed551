//! What the tokens of one token request are bound to, their `cnf` claim: a DPoP key
//! (RFC 9449 §6.1) or the TLS client certificate of the request (RFC 8705 §3.1). Never
//! both: one token, one proof of possession, so no resource has to guess which one it
//! checks.
//!
//! - A client registered with `tls_client_certificate_bound_access_tokens` gets
//!   certificate-bound tokens. Its token requests must present a certificate (RFC 8705
//!   §3.4 leaves a request without one to the server: refused here, so such a client never
//!   holds a bearer token), and must not carry a DPoP proof besides.
//! - Otherwise a DPoP proof binds the tokens to its key; a client registered with
//!   `dpop_bound_access_tokens` must send one.
//! - Otherwise the tokens are bearer tokens.
//!
//! A certificate-bound token is used with the `Bearer` scheme, over a connection that
//! presents the same certificate (RFC 8705 §3); its `token_type` stays `Bearer`.

use serde_json::{Value, json};

use super::proof_key;
use crate::jose::SignatureVerifier;
use crate::op::config::Client;
use crate::op::error::OpError;
use crate::op::http::Request;
use crate::op::mtls;
use crate::op::provider::{Provider, Services};
use crate::store::Store;

/// The `cnf` member of a certificate thumbprint (RFC 8705 §3.1).
pub const X5T_S256: &str = "x5t#S256";

/// What a token is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// A DPoP key, by its RFC 7638 thumbprint (`cnf.jkt`).
    Dpop(String),
    /// A TLS client certificate, by its SHA-256 thumbprint, base64url (`cnf.x5t#S256`).
    Certificate(String),
}

impl Binding {
    /// The DPoP key's thumbprint, for a DPoP binding.
    pub fn jkt(&self) -> Option<&str> {
        match self {
            Binding::Dpop(jkt) => Some(jkt),
            Binding::Certificate(_) => None,
        }
    }

    /// The certificate's thumbprint, for a certificate binding.
    pub fn x5t(&self) -> Option<&str> {
        match self {
            Binding::Certificate(x5t) => Some(x5t),
            Binding::Dpop(_) => None,
        }
    }

    /// The `cnf` claim (RFC 7800 §3.1) that says it.
    pub fn cnf(&self) -> Value {
        match self {
            Binding::Dpop(jkt) => json!({ "jkt": jkt }),
            Binding::Certificate(x5t) => json!({ X5T_S256: x5t }),
        }
    }

    /// The binding a `cnf` claim states, if it states one this provider makes.
    pub fn of_cnf(cnf: Option<&Value>) -> Option<Binding> {
        let text = |name: &str| {
            cnf.and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        text("jkt")
            .map(Binding::Dpop)
            .or_else(|| text(X5T_S256).map(Binding::Certificate))
    }
}

/// The `token_type` of an access token bound as `binding` (RFC 9449 §5: `DPoP` for a
/// DPoP-bound one; RFC 8705 keeps `Bearer`).
pub fn token_type(binding: Option<&Binding>) -> &'static str {
    match binding {
        Some(Binding::Dpop(_)) => "DPoP",
        _ => "Bearer",
    }
}

/// The thumbprint (`x5t#S256`) of the certificate the request presents, if any (and not
/// known revoked).
pub fn presented_thumbprint(req: &Request) -> Option<String> {
    mtls::presented(req).map(|certificate| certificate.thumbprint())
}

/// What the tokens of this token request of `client`'s are bound to, after every check
/// of the DPoP proof (`proof_key`) or the certificate.
pub(crate) async fn of_request<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    client: &Client,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Binding>, OpError> {
    let dpop = !req.header_all("dpop").is_empty();
    if client.tls_client_certificate_bound_access_tokens {
        if dpop {
            return Err(OpError::InvalidRequest(
                "this client's tokens are bound to its TLS client certificate (RFC 8705 §3): send no DPoP proof"
                    .into(),
            ));
        }
        return presented_thumbprint(req)
            .map(|x5t| Some(Binding::Certificate(x5t)))
            .ok_or_else(|| {
                OpError::InvalidRequest(
                    "this client's tokens are bound to its TLS client certificate: call the token endpoint over mutual TLS (RFC 8705 §3)"
                        .into(),
                )
            });
    }
    if client.dpop_bound_access_tokens && !dpop {
        return Err(OpError::InvalidRequest("this client must use DPoP".into()));
    }
    Ok(proof_key(op, req, client, services)
        .await?
        .map(Binding::Dpop))
}
