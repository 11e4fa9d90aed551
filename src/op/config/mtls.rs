//! Mutual TLS in the configuration (RFC 8705).
//!
//! A client's metadata ([`parse_client_mtls`]): `tls_client_auth_subject_dn` (§2.1.2),
//! required with `tls_client_auth` and meaningless without it; the keys whose `x5c`
//! `self_signed_tls_client_auth` matches (§2.2); and
//! `tls_client_certificate_bound_access_tokens` (§3.4), never beside
//! `dpop_bound_access_tokens`: a token is bound one way.
//!
//! The top-level `mtls` ([`Mtls`]): the origin where clients reach the endpoints that take
//! TLS client certificates, when the issuer's own origin does not ask for one (§5). A
//! deployment that turns on client certificates for a separate host name names it here;
//! discovery then lists those endpoints on it (`mtls_endpoint_aliases`), and the provider
//! answers them there, and nothing else.
//!
//! ```json
//! "mtls": { "endpoint_origin": "https://mtls.example.com" }
//! ```

use serde_json::Value;

use super::reader::Obj;
use super::uri::{check_origin, web_origin_of};
use super::{AuthMethod, ConfigError};
use crate::op::clients::keys::ClientKeys;
use crate::op::mtls::DistinguishedName;

/// A client's mutual-TLS metadata.
pub(super) struct ClientMtls {
    /// `tls_client_auth_subject_dn`, read: present exactly for `tls_client_auth`.
    pub(super) subject_dn: Option<DistinguishedName>,
    /// `tls_client_certificate_bound_access_tokens`.
    pub(super) certificate_bound_access_tokens: bool,
}

/// The mutual-TLS metadata of the client at `obj`, which authenticates with `method` and
/// registered `jwks` (or a `jwks_uri`, when `jwks_uri`).
pub(super) fn parse_client_mtls(
    obj: &Obj<'_>,
    method: AuthMethod,
    jwks: Option<&ClientKeys>,
    jwks_uri: bool,
) -> Result<ClientMtls, ConfigError> {
    let dn_path = obj.at("tls_client_auth_subject_dn");
    let subject_dn = match obj.string("tls_client_auth_subject_dn")? {
        None if method == AuthMethod::TlsClientAuth => {
            return Err(ConfigError::new(
                dn_path,
                "is required for tls_client_auth (RFC 8705 §2.1.2): the subject DN of the client's certificate as RFC 4514 writes it, e.g. CN=client,O=Example,C=US",
            ));
        }
        None => None,
        Some(_) if method != AuthMethod::TlsClientAuth => {
            return Err(ConfigError::new(
                dn_path,
                "is only for a client whose token_endpoint_auth_method is tls_client_auth",
            ));
        }
        Some(text) => {
            let dn = DistinguishedName::parse(text).map_err(|m| {
                ConfigError::new(
                    &dn_path,
                    format!("{m} (RFC 4514, e.g. CN=client,O=Example,C=US)"),
                )
            })?;
            if dn.is_empty() {
                return Err(ConfigError::new(
                    dn_path,
                    "must name at least one attribute: an empty DN would match certificates with no subject",
                ));
            }
            Some(dn)
        }
    };
    if method == AuthMethod::SelfSignedTlsClientAuth {
        match jwks {
            None if !jwks_uri => {
                return Err(ConfigError::new(
                    obj.at("jwks"),
                    "is required for self_signed_tls_client_auth (or jwks_uri): keys whose x5c holds the client's certificate (RFC 8705 §2.2)",
                ));
            }
            Some(ClientKeys {
                unreadable_certificate: Some((below, message)),
                ..
            }) => {
                return Err(ConfigError::new(
                    format!("{}{below}", obj.at("jwks")),
                    *message,
                ));
            }
            Some(keys) if keys.certificates.is_empty() => {
                return Err(ConfigError::new(
                    obj.at("jwks"),
                    "has no key with an x5c: self_signed_tls_client_auth takes the certificate that heads a key's x5c (RFC 8705 §2.2)",
                ));
            }
            _ => {}
        }
    }
    let certificate_bound_access_tokens = obj.bool("tls_client_certificate_bound_access_tokens")?;
    if certificate_bound_access_tokens && obj.bool("dpop_bound_access_tokens")? {
        return Err(ConfigError::new(
            obj.at("tls_client_certificate_bound_access_tokens"),
            "cannot be true beside dpop_bound_access_tokens: a token is bound one way, to a DPoP key or to a certificate",
        ));
    }
    Ok(ClientMtls {
        subject_dn,
        certificate_bound_access_tokens,
    })
}

/// Where certificate-taking endpoints are served besides the issuer's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mtls {
    /// `https://host[:port]`, lower case, without a path: as a request URL begins.
    pub endpoint_origin: String,
    /// Its host, which [`Mtls::serves`] compares every request's with.
    host: String,
}

impl Mtls {
    /// Whether `url` (an absolute request URL) is for the endpoint origin's host, by any
    /// scheme or port: the edge may take HTTPS on other ports than 443 (and plain HTTP) for
    /// a host, and the rule that the host serves no pages must hold on all of them.
    pub fn serves(&self, url: &str) -> bool {
        host_of(url).is_some_and(|asked| asked.eq_ignore_ascii_case(&self.host))
    }
}

/// The host of an absolute URL, without user information, port or a final dot.
fn host_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_and_port.starts_with('[') {
        host_and_port.split_inclusive(']').next()?
    } else {
        host_and_port.split(':').next()?
    };
    Some(host.strip_suffix('.').unwrap_or(host))
}

/// `mtls`, for a provider at `issuer` (already checked).
pub(super) fn parse_mtls(value: &Value, issuer: &str) -> Result<Mtls, ConfigError> {
    let obj = Obj::new(value, "mtls".to_owned())?;
    obj.only(&["endpoint_origin"])?;
    let path = obj.at("endpoint_origin");
    let origin = obj.required_string("endpoint_origin")?;
    check_origin(origin).map_err(|m| ConfigError::new(&path, m))?;
    if !origin.starts_with("https://") {
        return Err(ConfigError::new(
            path,
            "must be an https origin: a client certificate is presented in a TLS handshake",
        ));
    }
    // Compared with the origin a client reaches the issuer at, not the configured text,
    // whose host may be in capitals or carry the default port.
    if web_origin_of(issuer).as_deref() == Some(origin) {
        return Err(ConfigError::new(
            path,
            "is the issuer's own origin: leave mtls out when the issuer's host asks for client certificates",
        ));
    }
    // `check_origin` read a host, so there is one; without a port or a final dot.
    let host = host_of(origin).unwrap_or_default().to_owned();
    Ok(Mtls {
        endpoint_origin: origin.to_owned(),
        host,
    })
}
