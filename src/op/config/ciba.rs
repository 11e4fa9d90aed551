//! How a client gets the tokens of its CIBA requests (OpenID Connect CIBA Core 1.0 §4, §5):
//! `backchannel_token_delivery_mode` and, in ping mode, the
//! `backchannel_client_notification_endpoint` the provider POSTs to when the user answers.
//! Kept apart from the other client fields because they only mean something together.

use super::reader::Obj;
use super::uri::{check_redirect_uri, is_loopback_issuer};
use super::{Client, ConfigError, GrantType};

/// How a client gets the tokens of its CIBA requests (CIBA Core §5). Push mode, where the
/// provider would send the tokens themselves to the client, is not offered (FAPI-CIBA
/// forbids it too): in both modes here the tokens come from the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenDelivery {
    /// `poll` (CIBA Core §5): the client polls the token endpoint until the user answers.
    Poll,
    /// `ping` (CIBA Core §5, §10.2): when the user answers, the provider POSTs the request's
    /// `auth_req_id` to `notification_endpoint`, and the client then calls the token
    /// endpoint as in poll mode.
    Ping {
        /// The client's `backchannel_client_notification_endpoint` (CIBA Core §4).
        notification_endpoint: String,
    },
}

impl TokenDelivery {
    /// The mode's registered name (CIBA Core §4).
    pub fn name(&self) -> &'static str {
        match self {
            TokenDelivery::Poll => "poll",
            TokenDelivery::Ping { .. } => "ping",
        }
    }
}

const MODE: &str = "backchannel_token_delivery_mode";
const ENDPOINT: &str = "backchannel_client_notification_endpoint";

/// The delivery mode of the client at `obj`, which may use `grant_types`; `configured`
/// tells whether the operator vouches for it (CIBA is for those clients only, so a client
/// that registers itself may not name an endpoint the provider would POST to).
pub(super) fn parse(
    obj: &Obj<'_>,
    grant_types: &[GrantType],
    configured: bool,
) -> Result<Option<TokenDelivery>, ConfigError> {
    let endpoint = obj.string(ENDPOINT)?;
    if endpoint.is_some() && !configured {
        return Err(ConfigError::new(
            obj.at(ENDPOINT),
            "is only for clients the operator configures",
        ));
    }
    let mode = match obj.string(MODE)? {
        None => None,
        Some("poll") => Some(TokenDelivery::Poll),
        Some("ping") => {
            let Some(endpoint) = endpoint else {
                return Err(ConfigError::new(
                    obj.at(ENDPOINT),
                    "is required with backchannel_token_delivery_mode \"ping\": the provider POSTs there when the user answers (CIBA Core §4)",
                ));
            };
            // CIBA Core §4: an https URL. Plain http on a loopback host passes here for a
            // development issuer only, which `check_endpoints` holds it to once the issuer
            // is known.
            check_redirect_uri(endpoint).map_err(|m| ConfigError::new(obj.at(ENDPOINT), m))?;
            Some(TokenDelivery::Ping {
                notification_endpoint: endpoint.to_owned(),
            })
        }
        Some("push") => {
            return Err(ConfigError::new(
                obj.at(MODE),
                "\"push\" is not supported (FAPI-CIBA forbids it): use \"poll\" or \"ping\", where tokens come from the token endpoint (CIBA Core §5)",
            ));
        }
        Some(_) => {
            return Err(ConfigError::new(
                obj.at(MODE),
                "must be \"poll\" or \"ping\" (CIBA Core §5)",
            ));
        }
    };
    if endpoint.is_some() && !matches!(mode, Some(TokenDelivery::Ping { .. })) {
        return Err(ConfigError::new(
            obj.at(ENDPOINT),
            "is only read with backchannel_token_delivery_mode \"ping\" (CIBA Core §4)",
        ));
    }
    if grant_types.contains(&GrantType::Ciba) && mode.is_none() {
        return Err(ConfigError::new(
            obj.at(MODE),
            "is required with urn:openid:params:grant-type:ciba: \"poll\" or \"ping\" (CIBA Core §4)",
        ));
    }
    Ok(mode)
}

/// Holds every ping client's notification endpoint to https unless `issuer` is itself a
/// development issuer on a loopback host (the rule of `registration.allow_loopback_fetch`):
/// a production provider never POSTs a client's notification token in clear.
pub(super) fn check_endpoints(issuer: &str, clients: &[Client]) -> Result<(), ConfigError> {
    if is_loopback_issuer(issuer) {
        return Ok(());
    }
    for (i, client) in clients.iter().enumerate() {
        if let Some(TokenDelivery::Ping {
            notification_endpoint,
        }) = &client.backchannel_token_delivery_mode
            && !notification_endpoint.starts_with("https://")
        {
            return Err(ConfigError::new(
                format!("clients[{i}].{ENDPOINT}"),
                "must be https (CIBA Core §4); http on a loopback host only with an http://localhost (or loopback) issuer, for development",
            ));
        }
    }
    Ok(())
}
