//! `registration`: clients that arrive on their own. Dynamic client registration (RFC 7591,
//! managed per RFC 7592) at `/register`, open or behind an initial access token, and client
//! ID metadata documents (draft-ietf-oauth-client-id-metadata-document): an `https` URL as
//! `client_id`, whose document the provider fetches.

use serde_json::Value;

use super::reader::Obj;
use super::uri::is_loopback_issuer;
use super::{ConfigError, fields};
use crate::op::password::PasswordHash;

/// How clients may arrive without being configured.
#[derive(Debug, Clone)]
pub struct Registration {
    /// `/register` and `/register/<client_id>` are served (and advertised).
    pub enabled: bool,
    /// The hash of the initial access token a registration must present as a Bearer token
    /// (RFC 7591 §3); `None`: registration is open.
    pub initial_access_token_hash: Option<PasswordHash>,
    /// An `https` URL as `client_id` names the client's metadata document, fetched.
    pub client_id_metadata_documents: bool,
    /// Fetches on a client's word (metadata documents, registered clients' `jwks_uri` and
    /// `backchannel_logout_uri`) may reach `localhost`: only with a loopback issuer.
    pub allow_loopback_fetch: bool,
    /// Registrations the whole deployment stores per hour, whatever address they come
    /// from ([`MAX_PER_HOUR_RANGE`]). The per-address limit alone bounds nothing once
    /// registrations come from many addresses: a page anyone visits can make each
    /// visitor's browser register from that visitor's address.
    pub max_per_hour: u64,
}

/// The default of [`Registration::max_per_hour`]: room for many clients arriving at once
/// (a launch, a crowd of MCP hosts), while a flood stores at most this many records (each
/// kept a year) per hour.
pub const DEFAULT_MAX_PER_HOUR: u64 = 1_000;

/// The values `max_per_hour` may take.
pub const MAX_PER_HOUR_RANGE: core::ops::RangeInclusive<u64> = 1..=1_000_000;

impl Default for Registration {
    fn default() -> Registration {
        Registration {
            enabled: false,
            initial_access_token_hash: None,
            client_id_metadata_documents: false,
            allow_loopback_fetch: false,
            max_per_hour: DEFAULT_MAX_PER_HOUR,
        }
    }
}

impl Registration {
    /// Whether clients may arrive at all, by registration or by metadata document.
    pub fn any(&self) -> bool {
        self.enabled || self.client_id_metadata_documents
    }
}

/// `registration`, for a provider at `issuer` (already checked).
pub(super) fn parse_registration(value: &Value, issuer: &str) -> Result<Registration, ConfigError> {
    let obj = Obj::new(value, "registration".to_owned())?;
    obj.only(&[
        "enabled",
        "initial_access_token_hash",
        "client_id_metadata_documents",
        "allow_loopback_fetch",
        "max_per_hour",
    ])?;
    // DESIGN.md writes an open registration's hash as null.
    let initial_access_token_hash = match obj.get("initial_access_token_hash") {
        None | Some(Value::Null) => None,
        Some(_) => {
            let phc = obj.required_string("initial_access_token_hash")?;
            Some(fields::parse_hash(
                phc,
                &obj.at("initial_access_token_hash"),
                1,
                "an initial access token hash",
            )?)
        }
    };
    let allow_loopback_fetch = obj.bool("allow_loopback_fetch")?;
    if allow_loopback_fetch && !is_loopback_issuer(issuer) {
        return Err(ConfigError::new(
            obj.at("allow_loopback_fetch"),
            "is for development only: allowed with an http://localhost (or loopback) issuer, never in production",
        ));
    }
    let max_per_hour = match obj.get("max_per_hour") {
        None => DEFAULT_MAX_PER_HOUR,
        Some(value) => value
            .as_u64()
            .filter(|n| MAX_PER_HOUR_RANGE.contains(n))
            .ok_or_else(|| {
                ConfigError::new(
                    obj.at("max_per_hour"),
                    format!(
                        "must be a whole number of registrations, {} to {}",
                        MAX_PER_HOUR_RANGE.start(),
                        MAX_PER_HOUR_RANGE.end()
                    ),
                )
            })?,
    };
    Ok(Registration {
        enabled: obj.bool("enabled")?,
        initial_access_token_hash,
        client_id_metadata_documents: obj.bool("client_id_metadata_documents")?,
        allow_loopback_fetch,
        max_per_hour,
    })
}
