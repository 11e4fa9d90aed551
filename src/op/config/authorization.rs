//! What a client's authorization requests must be and how their answers are signed: pushed
//! (RFC 9126 §6), signed request objects (RFC 9101 §10.5, OpenID Connect Registration §2)
//! and signed responses (JARM §3). Kept apart from the other client fields because these
//! rules belong together: each needs the client's keys, or the provider's, or both.

use super::reader::Obj;
use super::{Client, ConfigError};
use crate::jose::Alg;

/// A client's rules for its authorization requests and responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthorizationRules {
    /// Its requests come through `/par` only (RFC 9126 §6).
    pub require_pushed_authorization_requests: bool,
    /// Its requests are signed request objects only (RFC 9101 §10.5), by value or pushed.
    pub require_signed_request_object: bool,
    /// The one algorithm its request objects may be signed with (OpenID Connect
    /// Registration §2); `None`: whichever its key signs with.
    pub request_object_signing_alg: Option<Alg>,
    /// The algorithm of its signed authorization responses (JARM §3); `None`:
    /// [`SigningKeys::id_token_algorithm`](crate::op::keys::SigningKeys::id_token_algorithm),
    /// RS256 where a key signs it as JARM makes the default.
    pub authorization_signed_response_alg: Option<Alg>,
}

/// Reads the rules of the client at `obj`; `has_keys` tells whether it registered keys
/// (`jwks` or `jwks_uri`), without which it cannot sign a request object.
pub(super) fn parse(
    obj: &Obj<'_>,
    has_keys: bool,
    signing_alg: impl Fn(&Obj<'_>, &str) -> Result<Option<Alg>, ConfigError>,
) -> Result<AuthorizationRules, ConfigError> {
    let require_signed_request_object = obj.bool("require_signed_request_object")?;
    let request_object_signing_alg = match obj.string("request_object_signing_alg")? {
        None => None,
        // Every asymmetric algorithm verifies; `none` and HMAC never do (RFC 9101 §6.1
        // allows `none` only where the request is otherwise protected, never here).
        Some(text) => Some(Alg::parse(text).map_err(|_| {
            ConfigError::new(
                obj.at("request_object_signing_alg"),
                "must be an asymmetric JWS algorithm (ES256, ES384, RS256, RS384, RS512, PS256, PS384, PS512 or EdDSA): request objects signed with none or a shared secret are refused",
            )
        })?),
    };
    if (require_signed_request_object || request_object_signing_alg.is_some()) && !has_keys {
        let field = if require_signed_request_object {
            "require_signed_request_object"
        } else {
            "request_object_signing_alg"
        };
        return Err(ConfigError::new(
            obj.at(field),
            "needs the client's public keys (jwks or jwks_uri) to check its request objects with",
        ));
    }
    Ok(AuthorizationRules {
        require_pushed_authorization_requests: obj.bool("require_pushed_authorization_requests")?,
        require_signed_request_object,
        request_object_signing_alg,
        authorization_signed_response_alg: signing_alg(obj, "authorization_signed_response_alg")?,
    })
}

impl Client {
    /// Whether the client registered keys it signs with (`jwks` or `jwks_uri`).
    pub fn has_keys(&self) -> bool {
        self.jwks.is_some() || self.jwks_uri.is_some()
    }
}
