//! Client profiles: `"profile": "fapi2"` holds a client to the FAPI 2.0 Security Profile
//! (Final, §5). What the profile makes a choice of one value is set by it (pushed requests)
//! and refused when written otherwise; what leaves a choice (the client authentication
//! method, how tokens are sender-constrained, the algorithms) must be a choice the profile
//! allows. Tokens are DPoP-bound unless the client asks for certificate-bound ones
//! (`tls_client_certificate_bound_access_tokens`, RFC 8705 §3). Rules that
//! need the lifetimes or the signing keys are checked with them ([`check_lifetimes`],
//! [`check_keys`]); the rest is enforced per request (PKCE, the algorithms of what the
//! client signs).

use serde_json::Value;

use super::reader::Obj;
use super::{AuthMethod, Client, ClientType, ConfigError, Lifetimes};
use crate::jose::Alg;
use crate::op::keys::SigningKeys;

/// A profile a client is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The FAPI 2.0 Security Profile.
    Fapi2,
}

/// The algorithms of every JWS a FAPI 2.0 client or its provider makes (FAPI 2.0 Security
/// Profile §5.4.1: PS256, ES256, or EdDSA with Ed25519).
pub const FAPI2_ALGORITHMS: [Alg; 3] = [Alg::Ps256, Alg::Es256, Alg::EdDsa];

/// The longest a FAPI 2.0 client's authorization codes may live (§5.3.2.1: "a maximum
/// authorization code lifetime of 60 seconds").
pub const FAPI2_MAX_CODE_LIFETIME: u64 = 60;
/// A FAPI 2.0 client's `request_uri` lives less than this (§5.3.2.2: "expires_in values
/// of less than 600 seconds").
pub const FAPI2_PAR_LIFETIME_BELOW: u64 = 600;

impl Client {
    /// Whether the client is held to the FAPI 2.0 Security Profile.
    pub fn is_fapi2(&self) -> bool {
        self.profile == Some(Profile::Fapi2)
    }

    /// The algorithms the client's own JWTs (assertions, request objects, DPoP proofs) may
    /// use; empty: every asymmetric one its key allows.
    pub fn signing_algorithms(&self) -> &'static [Alg] {
        if self.is_fapi2() {
            &FAPI2_ALGORITHMS
        } else {
            &[]
        }
    }
}

/// Reads `profile` and holds the parsed client at `obj` to it.
pub(super) fn apply(obj: &Obj<'_>, mut client: Client) -> Result<Client, ConfigError> {
    let profile = match obj.string("profile")? {
        None => return Ok(client),
        Some("fapi2") => Profile::Fapi2,
        Some(_) => {
            return Err(ConfigError::new(
                obj.at("profile"),
                "must be \"fapi2\" (the FAPI 2.0 Security Profile)",
            ));
        }
    };
    client.profile = Some(profile);
    // §5.3.2.1 / §5.3.3: confidential clients authenticating with private_key_jwt or mutual
    // TLS (RFC 8705 §2).
    if client.client_type != ClientType::Confidential
        || !matches!(
            client.token_endpoint_auth_method,
            AuthMethod::PrivateKeyJwt
                | AuthMethod::TlsClientAuth
                | AuthMethod::SelfSignedTlsClientAuth
        )
    {
        return refuse_at(
            obj,
            "token_endpoint_auth_method",
            "must be \"private_key_jwt\", \"tls_client_auth\" or \"self_signed_tls_client_auth\" in a confidential client",
            "§5.3.3",
        );
    }
    // §5.3.2.2: authorization requests only through PAR.
    if obj.get("require_pushed_authorization_requests") == Some(&Value::Bool(false)) {
        return refuse_at(
            obj,
            "require_pushed_authorization_requests",
            "cannot be false: requests are pushed",
            "§5.3.2.2",
        );
    }
    client.authorization.require_pushed_authorization_requests = true;
    // §5.3.2.1: sender-constrained access tokens only: bound to the client's certificate
    // when it asks for that (RFC 8705 §3; never beside DPoP, `mtls.rs`), else to a DPoP key.
    if !client.tls_client_certificate_bound_access_tokens {
        if obj.get("dpop_bound_access_tokens") == Some(&Value::Bool(false)) {
            return refuse_at(
                obj,
                "dpop_bound_access_tokens",
                "cannot be false without tls_client_certificate_bound_access_tokens: access tokens are sender-constrained (DPoP or mutual TLS)",
                "§5.3.2.1",
            );
        }
        client.dpop_bound_access_tokens = true;
    }
    // §5.4.1: the algorithms named for the client must be the profile's.
    for (field, alg) in [
        (
            "request_object_signing_alg",
            client.authorization.request_object_signing_alg,
        ),
        (
            "authorization_signed_response_alg",
            client.authorization.authorization_signed_response_alg,
        ),
        (
            "id_token_signed_response_alg",
            client.id_token_signed_response_alg,
        ),
        (
            "introspection_signed_response_alg",
            client.introspection_signed_response_alg,
        ),
    ] {
        if alg.is_some_and(|alg| !FAPI2_ALGORITHMS.contains(&alg)) {
            return refuse_at(obj, field, "must be PS256, ES256 or EdDSA", "§5.4.1");
        }
    }
    Ok(client)
}

fn refuse_at<T>(obj: &Obj<'_>, field: &str, why: &str, section: &str) -> Result<T, ConfigError> {
    Err(ConfigError::new(
        obj.at(field),
        format!("{why} for a client with profile fapi2 (FAPI 2.0 Security Profile {section})"),
    ))
}

/// The lifetimes a FAPI 2.0 client needs, when one is configured: codes of at most 60 s
/// (§5.3.2.1) and `request_uri`s of less than 600 s (§5.3.2.2).
pub(super) fn check_lifetimes(
    clients: &[Client],
    lifetimes: &Lifetimes,
) -> Result<(), ConfigError> {
    let Some(i) = clients.iter().position(Client::is_fapi2) else {
        return Ok(());
    };
    if lifetimes.code > FAPI2_MAX_CODE_LIFETIME {
        return Err(ConfigError::new(
            "lifetimes.code",
            format!(
                "must be at most {FAPI2_MAX_CODE_LIFETIME} s while clients[{i}] has profile fapi2 (FAPI 2.0 Security Profile §5.3.2.1)"
            ),
        ));
    }
    if lifetimes.par >= FAPI2_PAR_LIFETIME_BELOW {
        return Err(ConfigError::new(
            "lifetimes.par",
            format!(
                "must be less than {FAPI2_PAR_LIFETIME_BELOW} s while clients[{i}] has profile fapi2 (FAPI 2.0 Security Profile §5.3.2.2)"
            ),
        ));
    }
    Ok(())
}

/// The algorithms the provider signs a FAPI 2.0 client's tokens and responses with, as the
/// keys make them (the client's choice, or the default): each must be the profile's
/// (§5.4.1). `i` is the client's index, for the error's path.
pub(super) fn check_keys(i: usize, client: &Client, keys: &SigningKeys) -> Result<(), ConfigError> {
    if !client.is_fapi2() {
        return Ok(());
    }
    let defaulted = keys.id_token_algorithm();
    for (field, alg) in [
        (
            "id_token_signed_response_alg",
            client.id_token_signed_response_alg.unwrap_or(defaulted),
        ),
        (
            "authorization_signed_response_alg",
            client
                .authorization
                .authorization_signed_response_alg
                .unwrap_or(defaulted),
        ),
        (
            "introspection_signed_response_alg",
            client
                .introspection_signed_response_alg
                .unwrap_or(defaulted),
        ),
    ] {
        if !FAPI2_ALGORITHMS.contains(&alg) {
            return Err(ConfigError::new(
                format!("clients[{i}].{field}"),
                format!(
                    "is needed: by default it would be {} (what OIDC_SIGNING_KEYS makes the default), and a client with profile fapi2 takes PS256, ES256 or EdDSA only (FAPI 2.0 Security Profile §5.4.1)",
                    alg.as_str()
                ),
            ));
        }
    }
    let access = keys.default_algorithm();
    if !FAPI2_ALGORITHMS.contains(&access) {
        return Err(ConfigError::new(
            "OIDC_SIGNING_KEYS",
            format!(
                "signs access tokens with {} (its last key's algorithm), and clients[{i}] has profile fapi2, which takes PS256, ES256 or EdDSA only (FAPI 2.0 Security Profile §5.4.1): put a key of one of them last",
                access.as_str()
            ),
        ));
    }
    Ok(())
}
