//! The fields of a client, a user and the lifetimes: one parser each, every rule a message
//! that names the field.

use serde_json::{Map, Value};

use super::reader::Obj;
use super::uri::{check_origin, check_redirect_uri};
use super::{
    AuthMethod, Client, ClientType, ConfigError, GrantType, Lifetimes, LoginLimits, MAX_ID_LEN,
    PROTECTED_CLAIMS, TokenFormat, User,
};
use crate::jose::Alg;
use crate::op::password::{MAX_USER_ITERATIONS, MIN_USER_ITERATIONS, PasswordHash};
use crate::op::types::{ClientId, RedirectUri};

const CLIENT_FIELDS: &[&str] = &[
    "client_id",
    "client_type",
    "token_endpoint_auth_method",
    "client_secret_hash",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "scopes",
    "allowed_origins",
    "first_party",
    "dpop_bound_access_tokens",
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
];

pub(super) fn parse_client(value: &Value, path: String) -> Result<Client, ConfigError> {
    let obj = Obj::new(value, path)?;
    obj.only(CLIENT_FIELDS)?;

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
                "must be \"none\", \"client_secret_basic\", \"client_secret_post\" or \"private_key_jwt\"",
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
                "must be \"client_secret_basic\", \"client_secret_post\" or \"private_key_jwt\" for a confidential client",
            ));
        }
        (ClientType::Confidential, _) => {}
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
                "a client that authenticates with private_key_jwt has no secret: remove it",
            ));
        }
        (ClientType::Confidential, None) if !uses_secret => None,
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
                    ConfigError::new(
                        &path,
                        "must be \"authorization_code\", \"refresh_token\" or \"client_credentials\"",
                    )
                })?;
                if grant == GrantType::ClientCredentials && client_type == ClientType::Public {
                    return Err(ConfigError::new(
                        path,
                        "client_credentials is only for confidential clients (RFC 6749 §4.4)",
                    ));
                }
                grants.push(grant);
            }
            grants
        }
    };

    let redirect_uris = uri_list(&obj, "redirect_uris", check_redirect_uri)?;
    let post_logout_redirect_uris =
        uri_list(&obj, "post_logout_redirect_uris", check_redirect_uri)?;
    let allowed_origins = uri_list(&obj, "allowed_origins", check_origin)?;
    // Back-Channel Logout 1.0 §2.2: an absolute URI without a fragment; https, or http
    // on a loopback host for development.
    let backchannel_logout_uri = match obj.string("backchannel_logout_uri")? {
        Some(uri) => Some(
            check_redirect_uri(uri)
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
    let jwks_uri = web_uri("jwks_uri")?;
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

    let authorization =
        super::authorization::parse(&obj, jwks.is_some() || jwks_uri.is_some(), signing_alg)?;

    if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(ConfigError::new(
            obj.at("redirect_uris"),
            "authorization_code needs at least one redirect URI",
        ));
    }
    if grant_types.contains(&GrantType::RefreshToken)
        && !grant_types.contains(&GrantType::AuthorizationCode)
    {
        return Err(ConfigError::new(
            obj.at("grant_types"),
            "refresh_token is only issued with authorization_code: add it or remove refresh_token",
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
        scopes.push(scope.to_owned());
    }

    let client = Client {
        client_id: ClientId::new(client_id),
        client_type,
        token_endpoint_auth_method: method,
        client_secret_hash,
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
        authorization,
        profile: None,
    };
    super::profile::apply(&obj, client)
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

pub(super) fn parse_user(value: &Value, path: String) -> Result<User, ConfigError> {
    let obj = Obj::new(value, path)?;
    obj.only(&["sub", "username", "password_hash", "claims"])?;

    let sub = obj.required_string("sub")?;
    check_id(sub).map_err(|m| ConfigError::new(obj.at("sub"), m))?;

    let username = obj.required_string("username")?;
    if username.is_empty() || username.chars().count() > MAX_ID_LEN {
        return Err(ConfigError::new(
            obj.at("username"),
            "must be 1 to 255 characters",
        ));
    }
    if username.chars().any(char::is_control) || username.trim() != username {
        return Err(ConfigError::new(
            obj.at("username"),
            "must not contain control characters or begin or end with whitespace",
        ));
    }

    let hash_path = obj.at("password_hash");
    let phc = obj.required_string("password_hash")?;
    let password_hash = parse_hash(phc, &hash_path, MIN_USER_ITERATIONS, "a password hash")?;

    let claims = match obj.get("claims") {
        None => Map::new(),
        Some(Value::Object(claims)) => {
            check_claims(claims, &obj.at("claims"))?;
            claims.clone()
        }
        Some(_) => {
            return Err(ConfigError::new(obj.at("claims"), "must be a JSON object"));
        }
    };

    Ok(User {
        sub: sub.to_owned(),
        username: username.to_owned(),
        password_hash,
        claims,
    })
}

/// A PHC hash with `min..=MAX_USER_ITERATIONS` iterations.
fn parse_hash(phc: &str, path: &str, min: u32, what: &str) -> Result<PasswordHash, ConfigError> {
    let hash = PasswordHash::parse(phc).map_err(|err| ConfigError::new(path, err.reason))?;
    if !(min..=MAX_USER_ITERATIONS).contains(&hash.iterations()) {
        return Err(ConfigError::new(
            path,
            format!(
                "{what} must use {min} to {MAX_USER_ITERATIONS} iterations (Cloudflare's \
                 runtime refuses PBKDF2 above {MAX_USER_ITERATIONS}); this one uses {}",
                hash.iterations()
            ),
        ));
    }
    Ok(hash)
}

/// OpenID Connect Core §5.1 claims with a fixed JSON type, so a typo there is caught here
/// rather than by a relying party.
fn check_claims(claims: &Map<String, Value>, path: &str) -> Result<(), ConfigError> {
    for (name, value) in claims {
        let at = format!("{path}.{name}");
        if PROTECTED_CLAIMS.contains(&name.as_str()) {
            return Err(ConfigError::new(
                at,
                "is a protocol claim the provider sets itself; it cannot be configured",
            ));
        }
        let expected = match name.as_str() {
            "email_verified" | "phone_number_verified" => {
                value.is_boolean().then_some(()).ok_or("a boolean")
            }
            "updated_at" => value
                .is_u64()
                .then_some(())
                .ok_or("a number of seconds since the epoch"),
            "address" => value.is_object().then_some(()).ok_or("a JSON object"),
            "name" | "given_name" | "family_name" | "middle_name" | "nickname"
            | "preferred_username" | "profile" | "picture" | "website" | "email" | "gender"
            | "birthdate" | "zoneinfo" | "locale" | "phone_number" => {
                value.is_string().then_some(()).ok_or("a string")
            }
            "" => Err("a non-empty claim name"),
            _ => Ok(()),
        };
        if let Err(expected) = expected {
            return Err(ConfigError::new(
                at,
                format!("must be {expected} (OpenID Connect Core §5.1)"),
            ));
        }
    }
    Ok(())
}

pub(super) fn parse_lifetimes(value: &Value) -> Result<Lifetimes, ConfigError> {
    let obj = Obj::new(value, "lifetimes".to_owned())?;
    obj.only(&[
        "code",
        "access_token",
        "id_token",
        "refresh_token",
        "session",
        "par",
    ])?;
    let defaults = Lifetimes::default();
    let read = |name: &str, default: u64, max: u64| -> Result<u64, ConfigError> {
        let Some(seconds) = obj.u64(name)? else {
            return Ok(default);
        };
        if !(60..=max).contains(&seconds) {
            return Err(ConfigError::new(
                obj.at(name),
                format!("must be 60 to {max} seconds"),
            ));
        }
        Ok(seconds)
    };
    Ok(Lifetimes {
        code: read("code", defaults.code, 600)?,
        access_token: read("access_token", defaults.access_token, 86_400)?,
        id_token: read("id_token", defaults.id_token, 86_400)?,
        refresh_token: read("refresh_token", defaults.refresh_token, 31_536_000)?,
        session: read("session", defaults.session, 2_592_000)?,
        // RFC 9126 §2.2: a pushed request is used at once; its record is checked for
        // expiry when it is taken, so it may live shorter than a store's least TTL.
        par: match obj.u64("par")? {
            None => defaults.par,
            Some(seconds @ 10..=600) => seconds,
            Some(_) => {
                return Err(ConfigError::new(obj.at("par"), "must be 10 to 600 seconds"));
            }
        },
    })
}

/// `login_limits`: each member optional, each within its range.
pub(super) fn parse_login_limits(value: &Value) -> Result<LoginLimits, ConfigError> {
    let obj = Obj::new(value, "login_limits".to_owned())?;
    obj.only(&["per_username", "per_address", "window"])?;
    let defaults = LoginLimits::default();
    let read = |name: &str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
        match obj.u64(name)? {
            None => Ok(default),
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(_) => Err(ConfigError::new(
                obj.at(name),
                format!("must be {min} to {max}"),
            )),
        }
    };
    Ok(LoginLimits {
        per_username: read("per_username", defaults.per_username, 1, 1_000)?,
        per_address: read("per_address", defaults.per_address, 1, 100_000)?,
        window: read("window", defaults.window, 60, 86_400)?,
    })
}

// --- Identifiers ----------------------------------------------------------------------

/// `client_id` and `sub`: 1 to 255 visible ASCII characters (RFC 6749 Appendix A.1 allows
/// spaces in a client id; this provider does not, as they break Basic authentication and
/// logs).
fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err("must be 1 to 255 characters");
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be visible ASCII, without spaces");
    }
    Ok(())
}

/// The longest name shown on a page: a client's, the provider's.
pub(super) const MAX_DISPLAY_LEN: usize = 100;

/// Text shown to people: 1 to `max` characters, no control characters, no whitespace at
/// either end (it is escaped on the page; this keeps it readable and one line).
pub(super) fn check_display_text(text: &str, max: usize) -> Result<(), String> {
    let count = text.chars().count();
    if count == 0 || count > max {
        return Err(format!("must be 1 to {max} characters"));
    }
    if text.chars().any(char::is_control) || text.trim() != text {
        return Err(
            "must not contain control characters or begin or end with whitespace".to_owned(),
        );
    }
    Ok(())
}

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
pub(super) fn is_scope_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}
