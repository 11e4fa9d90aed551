//! A client's metadata, checked by one validator wherever the client comes from: written
//! by the operator in `OIDC_CONFIG`, registered at `/register` (RFC 7591), or described by
//! its own metadata document (draft-ietf-oauth-client-id-metadata-document). The names are
//! those of the IANA "OAuth Dynamic Client Registration Metadata" registry; what a
//! self-asserted client may not claim (being first-party, browser origins, an operator's
//! secret hash or token format) and what it may only name with care (URIs the provider
//! fetches, grants without a user) is decided here by its [`ClientSource`].

use serde_json::Value;

use super::fields::{MAX_DISPLAY_LEN, check_display_text, check_id, is_scope_char, parse_hash};
use super::reader::Obj;
use super::uri::{check_fetch_uri, check_native_redirect_uri, check_origin, check_redirect_uri};
use super::{
    ApplicationType, AuthMethod, Client, ClientOrigin, ClientType, ConfigError, GrantType,
    TokenFormat,
};
use crate::jose::Alg;
use crate::op::types::{ClientId, RedirectUri};

/// Who vouches for a client's metadata.
#[derive(Debug, Clone, Copy)]
pub enum ClientSource<'a> {
    /// The operator, in `OIDC_CONFIG`.
    Configured,
    /// The client itself: registered at `/register`, or by its metadata document.
    SelfAsserted(&'a SelfAsserted<'a>),
}

/// What a client that vouches for itself may have.
#[derive(Debug, Clone, Copy)]
pub struct SelfAsserted<'a> {
    /// How it arrived: [`ClientOrigin::Registered`] or [`ClientOrigin::MetadataDocument`].
    pub origin: ClientOrigin,
    /// The scopes it may be registered for.
    pub scopes: &'a [String],
    /// Whether it may use `client_credentials` (tokens with no user behind them): only
    /// clients registered with the operator's initial access token.
    pub client_credentials: bool,
    /// Whether the URIs the provider fetches or posts to may be on `localhost`.
    pub allow_loopback_fetch: bool,
}

/// Members only the operator may set: a self-asserted client that names one is refused.
const OPERATOR_ONLY: [&str; 5] = [
    "client_secret_hash",
    "allowed_origins",
    "first_party",
    "access_token_format",
    // A profile's rules are checked against the provider's keys and lifetimes at start,
    // which a client arriving later would skip.
    "profile",
];

/// The members a client object may have.
const CLIENT_FIELDS: &[&str] = &[
    "client_id",
    "client_type",
    "token_endpoint_auth_method",
    "client_secret_hash",
    "application_type",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "scopes",
    "allowed_origins",
    "first_party",
    "dpop_bound_access_tokens",
    // RFC 8705 §2.1.2 and §3.4: `mtls.rs`.
    "tls_client_auth_subject_dn",
    "tls_client_certificate_bound_access_tokens",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "id_token_signed_response_alg",
    "introspection_signed_response_alg",
    // RFC 9126 §6, RFC 9101 §10.5, JARM §3: `authorization.rs`.
    "require_pushed_authorization_requests",
    "require_signed_request_object",
    "request_object_signing_alg",
    "authorization_signed_response_alg",
    // The FAPI 2.0 Security Profile: `profile.rs`.
    "profile",
    "client_name",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "jwks",
    "access_token_format",
    "jwks_uri",
    "token_exchange_impersonation",
    // CIBA Core §4: `ciba.rs`.
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
];

/// The client described by `value` (an object of [`CLIENT_FIELDS`] members), at `path` for
/// errors, by the rules of `source`.
pub(crate) fn parse_client(
    value: &Value,
    path: String,
    source: ClientSource<'_>,
) -> Result<Client, ConfigError> {
    let obj = Obj::new(value, path)?;
    obj.only(CLIENT_FIELDS)?;
    let asserted = match source {
        ClientSource::Configured => None,
        ClientSource::SelfAsserted(rules) => Some(rules),
    };
    if asserted.is_some()
        && let Some(name) = OPERATOR_ONLY.iter().find(|name| obj.get(name).is_some())
    {
        return Err(ConfigError::new(
            obj.at(name),
            "is for the operator to set, in the configuration",
        ));
    }

    let client_id = obj.required_string("client_id")?;
    check_id(client_id).map_err(|m| ConfigError::new(obj.at("client_id"), m))?;

    let client_type = ClientType::parse(obj.required_string("client_type")?).ok_or_else(|| {
        ConfigError::new(
            obj.at("client_type"),
            "must be \"public\" or \"confidential\"",
        )
    })?;

    let method_path = obj.at("token_endpoint_auth_method");
    let method = match obj.string("token_endpoint_auth_method")? {
        None if client_type == ClientType::Public => AuthMethod::None,
        None => AuthMethod::ClientSecretBasic,
        // OpenID Connect Core §9: client_secret_jwt signs with the secret itself, which
        // would have to be stored in clear; only its hash is kept here.
        Some("client_secret_jwt") => {
            return Err(ConfigError::new(
                &method_path,
                "client_secret_jwt is not supported: it needs the client secret in clear, and only its hash is stored; use private_key_jwt",
            ));
        }
        Some(name) => AuthMethod::parse(name).ok_or_else(|| {
            ConfigError::new(
                &method_path,
                "must be \"none\", \"client_secret_basic\", \"client_secret_post\", \"private_key_jwt\", \"tls_client_auth\" or \"self_signed_tls_client_auth\"",
            )
        })?,
    };
    match (client_type, method) {
        (ClientType::Public, AuthMethod::None) => {}
        (ClientType::Public, _) => {
            return Err(ConfigError::new(
                method_path,
                "must be \"none\" for a public client (it cannot keep a secret)",
            ));
        }
        (ClientType::Confidential, AuthMethod::None) => {
            return Err(ConfigError::new(
                method_path,
                "must be \"client_secret_basic\", \"client_secret_post\", \"private_key_jwt\", \"tls_client_auth\" or \"self_signed_tls_client_auth\" for a confidential client",
            ));
        }
        (ClientType::Confidential, _) => {}
    }

    // draft-ietf-oauth-client-id-metadata-document §4: such a client has no secret to share
    // with every server that reads its document. A key or a certificate it holds is fine.
    if asserted.is_some_and(|rules| rules.origin == ClientOrigin::MetadataDocument)
        && matches!(
            method,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    {
        return Err(ConfigError::new(
            method_path,
            "must be \"none\", \"private_key_jwt\", \"tls_client_auth\" or \"self_signed_tls_client_auth\" for a client identified by its metadata document (a shared secret is no secret there)",
        ));
    }

    let secret_path = obj.at("client_secret_hash");
    let uses_secret = matches!(
        method,
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
    );
    let client_secret_hash = match (client_type, obj.string("client_secret_hash")?) {
        (ClientType::Public, None) => None,
        (ClientType::Public, Some(_)) => {
            return Err(ConfigError::new(
                secret_path,
                "a public client has no secret: remove it, or make the client confidential",
            ));
        }
        (ClientType::Confidential, Some(_)) if !uses_secret => {
            return Err(ConfigError::new(
                secret_path,
                format!(
                    "a client that authenticates with {} has no secret: remove it",
                    method.as_str()
                ),
            ));
        }
        (ClientType::Confidential, None) if !uses_secret => None,
        // The provider issues a self-asserted client's secret, and sets its hash after.
        (ClientType::Confidential, None) if asserted.is_some() => None,
        (ClientType::Confidential, None) => {
            return Err(ConfigError::new(
                secret_path,
                "is required for a confidential client (make one with `oidc-edge hash-secret`)",
            ));
        }
        (ClientType::Confidential, Some(phc)) => {
            Some(parse_hash(phc, &secret_path, 1, "a client secret hash")?)
        }
    };

    let grant_types = match obj.get("grant_types") {
        None => vec![GrantType::AuthorizationCode],
        Some(_) => {
            let names = obj.strings("grant_types")?;
            if names.is_empty() {
                return Err(ConfigError::new(
                    obj.at("grant_types"),
                    "must list at least one grant type",
                ));
            }
            let mut grants = Vec::with_capacity(names.len());
            for (path, name) in names {
                let grant = GrantType::parse(name).ok_or_else(|| {
                    ConfigError::new(&path, format!("must be one of {}", grant_names()))
                })?;
                if grant == GrantType::ClientCredentials && client_type == ClientType::Public {
                    return Err(ConfigError::new(
                        path,
                        "client_credentials is only for confidential clients (RFC 6749 §4.4)",
                    ));
                }
                if grant == GrantType::ClientCredentials
                    && asserted.is_some_and(|rules| !rules.client_credentials)
                {
                    return Err(ConfigError::new(
                        path,
                        "client_credentials (tokens with no user behind them) is only for clients registered with the operator's initial access token",
                    ));
                }
                // RFC 8693 §2.1: the client is trusted with other parties' tokens; one that
                // cannot prove who it is could not be held to that.
                if grant == GrantType::TokenExchange && client_type == ClientType::Public {
                    return Err(ConfigError::new(
                        path,
                        "token exchange is only for confidential clients (RFC 8693 §2.1)",
                    ));
                }
                // CIBA Core §7.1: the backchannel request is authenticated; anyone could
                // otherwise send a user requests in a public client's name.
                if grant == GrantType::Ciba && client_type == ClientType::Public {
                    return Err(ConfigError::new(
                        path,
                        "CIBA is only for confidential clients (CIBA Core §7.1)",
                    ));
                }
                // The operator grants these, not the client itself (`operator_only` says
                // why). Registration leaves them out beside the code grant
                // (`clients::metadata::read`); asked for otherwise, they end here.
                if grant.operator_only() && asserted.is_some() {
                    return Err(ConfigError::new(
                        path,
                        "is only for clients the operator configures",
                    ));
                }
                grants.push(grant);
            }
            grants
        }
    };

    let application_type = match obj.string("application_type")? {
        None | Some("web") => ApplicationType::Web,
        Some("native") => ApplicationType::Native,
        Some(_) => {
            return Err(ConfigError::new(
                obj.at("application_type"),
                "must be \"web\" or \"native\" (OpenID Connect Registration §2)",
            ));
        }
    };
    let redirect_check = match application_type {
        ApplicationType::Web => check_redirect_uri,
        ApplicationType::Native => check_native_redirect_uri,
    };
    let redirect_uris = uri_list(&obj, "redirect_uris", redirect_check)?;
    let post_logout_redirect_uris = uri_list(&obj, "post_logout_redirect_uris", redirect_check)?;
    let allowed_origins = uri_list(&obj, "allowed_origins", check_origin)?;
    // Back-Channel Logout 1.0 §2.2: an absolute URI without a fragment; https, or http
    // on a loopback host for development.
    // The provider posts to it and fetches a `jwks_uri`: on a self-asserted client's word,
    // only on public hosts (no requests into the operator's network on a stranger's behalf).
    let fetched = |uri: &str| match asserted {
        None => check_redirect_uri(uri),
        Some(rules) => check_fetch_uri(uri, rules.allow_loopback_fetch),
    };
    let backchannel_logout_uri = match obj.string("backchannel_logout_uri")? {
        Some(uri) => Some(
            fetched(uri)
                .map(|()| uri.to_owned())
                .map_err(|m| ConfigError::new(obj.at("backchannel_logout_uri"), m))?,
        ),
        None => None,
    };

    // RFC 7591 §2: what people are shown about the client on the login and consent pages.
    let client_name = match obj.string("client_name")? {
        Some(name) => Some(
            check_display_text(name, MAX_DISPLAY_LEN)
                .map(|()| name.to_owned())
                .map_err(|m| ConfigError::new(obj.at("client_name"), m))?,
        ),
        None => None,
    };
    let web_uri = |name: &str| -> Result<Option<String>, ConfigError> {
        match obj.string(name)? {
            Some(uri) => check_redirect_uri(uri)
                .map(|()| Some(uri.to_owned()))
                .map_err(|m| ConfigError::new(obj.at(name), m)),
            None => Ok(None),
        }
    };
    let (logo_uri, policy_uri, tos_uri) = (
        web_uri("logo_uri")?,
        web_uri("policy_uri")?,
        web_uri("tos_uri")?,
    );

    let jwks = match obj.get("jwks") {
        Some(value) => Some(
            crate::op::clients::keys::parse_jwks(value)
                .map_err(|(at, m)| ConfigError::new(format!("{}{at}", obj.at("jwks")), m))?,
        ),
        None => None,
    };
    // RFC 7591 §2: the keys by value or by reference; the host fetches them, without
    // following redirects, from https (http only on a loopback host).
    let jwks_uri = match obj.string("jwks_uri")? {
        Some(uri) => Some(
            fetched(uri)
                .map(|()| uri.to_owned())
                .map_err(|m| ConfigError::new(obj.at("jwks_uri"), m))?,
        ),
        None => None,
    };
    if jwks.is_some() && jwks_uri.is_some() {
        // RFC 7591 §2: "MUST NOT both be present".
        return Err(ConfigError::new(
            obj.at("jwks_uri"),
            "give jwks or jwks_uri, not both",
        ));
    }
    if method == AuthMethod::PrivateKeyJwt && jwks.is_none() && jwks_uri.is_none() {
        return Err(ConfigError::new(
            obj.at("jwks"),
            "is required for private_key_jwt (or jwks_uri): the public keys the client signs its assertions with",
        ));
    }

    let mtls = super::mtls::parse_client_mtls(&obj, method, jwks.as_ref(), jwks_uri.is_some())?;

    let authorization =
        super::authorization::parse(&obj, jwks.is_some() || jwks_uri.is_some(), signing_alg)?;

    if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(ConfigError::new(
            obj.at("redirect_uris"),
            "authorization_code needs at least one redirect URI",
        ));
    }
    if grant_types.contains(&GrantType::RefreshToken) && !grant_types.iter().any(|g| g.has_user()) {
        return Err(ConfigError::new(
            obj.at("grant_types"),
            "refresh_token is only issued with a grant a user approves (authorization_code, the device grant or CIBA): add one or remove refresh_token",
        ));
    }

    let backchannel_token_delivery_mode =
        super::ciba::parse(&obj, &grant_types, asserted.is_none())?;
    let token_exchange_impersonation = obj.bool("token_exchange_impersonation")?;
    if token_exchange_impersonation && asserted.is_some() {
        return Err(ConfigError::new(
            obj.at("token_exchange_impersonation"),
            "is only for clients the operator configures",
        ));
    }

    if obj.get("scopes").is_none() {
        return Err(ConfigError::new(obj.at("scopes"), "is required"));
    }
    let scope_list = obj.strings("scopes")?;
    if scope_list.is_empty() {
        return Err(ConfigError::new(
            obj.at("scopes"),
            "must list at least one scope",
        ));
    }
    let mut scopes = Vec::with_capacity(scope_list.len());
    for (path, scope) in scope_list {
        if scope.is_empty() || !scope.bytes().all(is_scope_char) {
            return Err(ConfigError::new(
                path,
                "must be a scope token: visible ASCII without spaces, '\"' or '\\' (RFC 6749 §3.3)",
            ));
        }
        if asserted.is_some_and(|rules| !rules.scopes.iter().any(|s| s == scope)) {
            return Err(ConfigError::new(
                path,
                "is not a scope this provider offers to clients that register themselves",
            ));
        }
        scopes.push(scope.to_owned());
    }

    let client = Client {
        client_id: ClientId::new(client_id),
        client_type,
        token_endpoint_auth_method: method,
        client_secret_hash,
        application_type,
        redirect_uris: redirect_uris.into_iter().map(RedirectUri::from).collect(),
        post_logout_redirect_uris: post_logout_redirect_uris
            .into_iter()
            .map(RedirectUri::from)
            .collect(),
        grant_types,
        scopes,
        allowed_origins,
        first_party: obj.bool("first_party")?,
        dpop_bound_access_tokens: obj.bool("dpop_bound_access_tokens")?,
        tls_client_certificate_bound_access_tokens: mtls.certificate_bound_access_tokens,
        tls_client_auth_subject_dn: mtls.subject_dn,
        backchannel_logout_uri,
        backchannel_logout_session_required: obj.bool("backchannel_logout_session_required")?,
        id_token_signed_response_alg: signing_alg(&obj, "id_token_signed_response_alg")?,
        introspection_signed_response_alg: signing_alg(&obj, "introspection_signed_response_alg")?,
        access_token_format: token_format(&obj)?,
        client_name,
        logo_uri,
        policy_uri,
        tos_uri,
        jwks,
        jwks_uri,
        origin: asserted.map_or(ClientOrigin::Configured, |rules| rules.origin),
        token_exchange_impersonation,
        backchannel_token_delivery_mode,
        authorization,
        profile: None,
    };
    super::profile::apply(&obj, client)
}

/// The grant type names, quoted, for the error that lists them.
fn grant_names() -> String {
    let names: Vec<String> = GrantType::ALL
        .iter()
        .map(|g| format!("\"{}\"", g.as_str()))
        .collect();
    names.join(", ")
}

/// `access_token_format`, of a client or a resource: `"jwt"` (the default) or `"opaque"`.
pub(super) fn token_format(obj: &Obj<'_>) -> Result<TokenFormat, ConfigError> {
    match obj.string("access_token_format")? {
        None => Ok(TokenFormat::Jwt),
        Some(name) => TokenFormat::parse(name).ok_or_else(|| {
            ConfigError::new(
                obj.at("access_token_format"),
                "must be \"jwt\" (RFC 9068) or \"opaque\" (checked through /introspect)",
            )
        }),
    }
}

/// An algorithm the provider can sign with (`ES256`, `RS256`, `PS256` or `EdDSA`), if
/// given; whether a configured key signs with it is checked with the keys
/// ([`super::Config::check_signing_keys`]).
fn signing_alg(obj: &Obj<'_>, name: &str) -> Result<Option<Alg>, ConfigError> {
    let Some(text) = obj.string(name)? else {
        return Ok(None);
    };
    match Alg::parse(text) {
        Ok(alg @ (Alg::Es256 | Alg::Rs256 | Alg::Ps256 | Alg::EdDsa)) => Ok(Some(alg)),
        _ => Err(ConfigError::new(
            obj.at(name),
            "must be \"ES256\", \"RS256\", \"PS256\" or \"EdDSA\" (the algorithms the provider signs with)",
        )),
    }
}

/// An array of URI strings, each checked by `check`.
fn uri_list(
    obj: &Obj<'_>,
    name: &str,
    check: fn(&str) -> Result<(), &'static str>,
) -> Result<Vec<String>, ConfigError> {
    obj.strings(name)?
        .into_iter()
        .map(|(path, uri)| {
            check(uri)
                .map(|()| uri.to_owned())
                .map_err(|m| ConfigError::new(path, m))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rules(origin: ClientOrigin, scopes: &[String]) -> SelfAsserted<'_> {
        SelfAsserted {
            origin,
            scopes,
            client_credentials: false,
            allow_loopback_fetch: false,
        }
    }

    /// The validator itself refuses what only the operator may set, whatever reads the
    /// metadata before it: a self-asserted client never becomes first-party.
    #[test]
    fn a_self_asserted_client_cannot_set_operator_fields() {
        let scopes = vec!["openid".to_owned()];
        let base = json!({
            "client_id": "c", "client_type": "public", "token_endpoint_auth_method": "none",
            "redirect_uris": ["https://app.example/cb"], "scopes": ["openid"]
        });
        let asserted = rules(ClientOrigin::Registered, &scopes);
        let client = parse_client(&base, String::new(), ClientSource::SelfAsserted(&asserted));
        assert_eq!(
            client.map(|c| c.origin).ok(),
            Some(ClientOrigin::Registered)
        );
        for (name, value) in [
            ("first_party", json!(true)),
            ("allowed_origins", json!(["https://app.example"])),
            ("access_token_format", json!("opaque")),
            ("client_secret_hash", json!("x")),
        ] {
            let mut value_with = base.clone();
            value_with[name] = value;
            let err = parse_client(
                &value_with,
                String::new(),
                ClientSource::SelfAsserted(&asserted),
            )
            .err()
            .map(|e| e.path);
            assert_eq!(err.as_deref(), Some(name));
            assert!(
                parse_client(&value_with, String::new(), ClientSource::Configured).is_ok()
                    || name == "client_secret_hash"
            );
        }
        let mut other_scope = base.clone();
        other_scope["scopes"] = json!(["admin"]);
        let err = parse_client(
            &other_scope,
            String::new(),
            ClientSource::SelfAsserted(&asserted),
        );
        assert_eq!(err.err().map(|e| e.path).as_deref(), Some("scopes[0]"));
    }
}
