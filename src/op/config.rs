//! The provider's configuration: the `OIDC_CONFIG` JSON of DESIGN.md ("Configuration"),
//! parsed strictly and checked once, at start.
//!
//! Users write this document by hand, so every mistake is an error naming the field, as a
//! path (`clients[1].redirect_uris[0]`, `lifetimes.code`): unknown fields (typos), repeated
//! member names, values of the wrong JSON type, and combinations the protocol forbids.
//! Whole-document errors (not JSON, too large) have the path `OIDC_CONFIG`. Messages never
//! repeat a hash.

use core::fmt;

use serde_json::{Map, Value};

use super::password::{MAX_USER_ITERATIONS, MIN_USER_ITERATIONS, PasswordHash};
use crate::{Error, json};

/// Largest configuration accepted, in bytes of JSON.
pub const MAX_CONFIG_LEN: usize = 1024 * 1024;
/// Longest `client_id` and `sub` accepted, in characters (OpenID Connect Core §2 caps `sub`
/// at 255 ASCII characters).
pub const MAX_ID_LEN: usize = 255;

/// The path of whole-document errors.
const ROOT: &str = "OIDC_CONFIG";

/// A configuration mistake: where (`path`) and what (`message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The field, as a path: `issuer`, `clients[1].redirect_uris[0]`,
    /// `OIDC_SIGNING_KEYS.keys[0].kid`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The issuer identifier: an https URL (http only for a loopback host), without query,
    /// fragment or trailing slash (OpenID Connect Discovery §3, RFC 8414 §2).
    pub issuer: String,
    /// The registered clients, `client_id`s unique.
    pub clients: Vec<Client>,
    /// The users, `sub`s and usernames unique.
    pub users: Vec<User>,
    /// How long issued artifacts live.
    pub lifetimes: Lifetimes,
}

/// RFC 6749 §2.1 client types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientType {
    /// Cannot keep a secret (SPAs, native apps): no client authentication, PKCE required.
    Public,
    /// Authenticates at the token endpoint with a secret.
    Confidential,
}

impl ClientType {
    /// The configuration name: `public` or `confidential`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Public => "public",
            ClientType::Confidential => "confidential",
        }
    }

    /// The type named `name`, if any.
    pub fn parse(name: &str) -> Option<ClientType> {
        [ClientType::Public, ClientType::Confidential]
            .into_iter()
            .find(|t| t.as_str() == name)
    }
}

/// Token endpoint authentication methods (RFC 7591 §2, OpenID Connect Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// No client authentication (public clients).
    None,
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    ClientSecretPost,
}

impl AuthMethod {
    /// The registered name: `none`, `client_secret_basic` or `client_secret_post`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
        }
    }

    /// The method named `name`, if any.
    pub fn parse(name: &str) -> Option<AuthMethod> {
        [
            AuthMethod::None,
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
        ]
        .into_iter()
        .find(|m| m.as_str() == name)
    }
}

/// Grant types a client may use (RFC 6749 §4.1, §4.4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// `authorization_code`.
    AuthorizationCode,
    /// `refresh_token`.
    RefreshToken,
    /// `client_credentials`.
    ClientCredentials,
}

impl GrantType {
    /// The registered name, as in the token request's `grant_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    /// The grant type named `name`, if any.
    pub fn parse(name: &str) -> Option<GrantType> {
        [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ]
        .into_iter()
        .find(|g| g.as_str() == name)
    }
}

/// One registered client. `Debug` never shows the secret hash.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client identifier: 1 to 255 visible ASCII characters.
    pub client_id: String,
    /// Public or confidential.
    pub client_type: ClientType,
    /// `none` for public clients; `client_secret_basic` (the default) or
    /// `client_secret_post` for confidential ones.
    pub token_endpoint_auth_method: AuthMethod,
    /// The secret's hash: present exactly for confidential clients.
    pub client_secret_hash: Option<PasswordHash>,
    /// Redirect URIs, compared exactly (RFC 9700 §2.1; RFC 6749 §3.1.2).
    pub redirect_uris: Vec<String>,
    /// Where `/end_session` may send the user back (RP-Initiated Logout §3).
    pub post_logout_redirect_uris: Vec<String>,
    /// The grant types the client may use; `["authorization_code"]` when absent
    /// (RFC 7591 §2).
    pub grant_types: Vec<GrantType>,
    /// The scopes the client may request (RFC 6749 §3.3 scope tokens).
    pub scopes: Vec<String>,
    /// Browser origins allowed to call the token endpoint (CORS), as
    /// `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    /// Consent is implied (the operator's own application).
    pub first_party: bool,
    /// Access tokens must be DPoP-bound (RFC 9449 §5.2 client metadata).
    pub dpop_bound_access_tokens: bool,
}

impl Client {
    /// Whether the client is registered for grant type `g`.
    pub fn allows_grant(&self, g: GrantType) -> bool {
        self.grant_types.contains(&g)
    }

    /// Whether the client may request scope `s`.
    pub fn allows_scope(&self, s: &str) -> bool {
        self.scopes.iter().any(|scope| scope == s)
    }

    /// Whether the client is public.
    pub fn is_public(&self) -> bool {
        self.client_type == ClientType::Public
    }
}

/// One user. `Debug` never shows the password hash.
#[derive(Debug, Clone)]
pub struct User {
    /// The subject identifier: 1 to 255 visible ASCII characters, unique.
    pub sub: String,
    /// The login name, unique, compared exactly.
    pub username: String,
    /// The password's hash, 10,000 to [`MAX_USER_ITERATIONS`] iterations.
    pub password_hash: PasswordHash,
    /// Profile claims (OpenID Connect Core §5.1), never protocol claims.
    pub claims: Map<String, Value>,
}

/// Lifetimes, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Authorization codes: 60 to 600 (Workers KV's minimum TTL is 60 s; RFC 6749 §4.1.2
    /// recommends at most 10 minutes).
    pub code: u64,
    /// Access tokens: 60 to 86,400.
    pub access_token: u64,
    /// ID tokens: 60 to 86,400.
    pub id_token: u64,
    /// Refresh tokens: 60 to 31,536,000 (a year).
    pub refresh_token: u64,
    /// Login sessions at the provider: 60 to 2,592,000 (30 days).
    pub session: u64,
}

impl Default for Lifetimes {
    fn default() -> Lifetimes {
        Lifetimes {
            code: 60,
            access_token: 600,
            id_token: 600,
            refresh_token: 1_209_600,
            session: 86_400,
        }
    }
}

/// Claims a user's `claims` may not set: the issuer decides them (RFC 7519 §4.1,
/// OpenID Connect Core §2 and §3.1.3.6, RFC 9068 §2.2, RFC 7800, RFC 8693 §4.3).
pub const PROTECTED_CLAIMS: [&str; 18] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "nonce",
    "azp",
    "at_hash",
    "c_hash",
    "sid",
    "acr",
    "amr",
    "cnf",
    "scope",
    "client_id",
];

impl Config {
    /// Parses and checks the configuration.
    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        let root = json::parse_object(text.as_bytes(), MAX_CONFIG_LEN, "OIDC_CONFIG")
            .map_err(|err| document_error(text, &err))?;
        let root_value = Value::Object(root);
        let obj = Obj::new(&root_value, String::new())?;
        obj.only(&["issuer", "clients", "users", "lifetimes"])?;

        let issuer = obj.required_string("issuer")?;
        check_issuer(issuer).map_err(|m| ConfigError::new(obj.at("issuer"), m))?;

        let mut clients: Vec<Client> = Vec::new();
        for (i, value) in obj.array("clients")?.iter().enumerate() {
            let client = parse_client(value, format!("clients[{i}]"))?;
            if let Some(j) = clients.iter().position(|c| c.client_id == client.client_id) {
                return Err(ConfigError::new(
                    format!("clients[{i}].client_id"),
                    format!("duplicates clients[{j}].client_id"),
                ));
            }
            clients.push(client);
        }

        let mut users: Vec<User> = Vec::new();
        for (i, value) in obj.array("users")?.iter().enumerate() {
            let user = parse_user(value, format!("users[{i}]"))?;
            if let Some(j) = users.iter().position(|u| u.sub == user.sub) {
                return Err(ConfigError::new(
                    format!("users[{i}].sub"),
                    format!("duplicates users[{j}].sub"),
                ));
            }
            if let Some(j) = users.iter().position(|u| u.username == user.username) {
                return Err(ConfigError::new(
                    format!("users[{i}].username"),
                    format!("duplicates users[{j}].username"),
                ));
            }
            users.push(user);
        }

        let lifetimes = match obj.get("lifetimes") {
            None => Lifetimes::default(),
            Some(value) => parse_lifetimes(value)?,
        };

        Ok(Config {
            issuer: issuer.to_owned(),
            clients,
            users,
            lifetimes,
        })
    }

    /// The client with this `client_id`.
    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// The user with this username (compared exactly).
    pub fn user_by_username(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|u| u.username == username)
    }

    /// The user with this `sub`.
    pub fn user(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.sub == sub)
    }
}

/// A whole-document error, with serde_json's line and column for syntax errors.
fn document_error(text: &str, err: &Error) -> ConfigError {
    let message = match err {
        Error::JsonInvalid { .. } => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(syntax) => format!("is not valid JSON: {syntax}"),
            Ok(_) => "is not valid JSON".to_owned(),
        },
        Error::JsonDuplicateMember { .. } => {
            "repeats a member name in some object (each name may appear once)".to_owned()
        }
        other => other.to_string(),
    };
    ConfigError::new(ROOT, message)
}

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
];

fn parse_client(value: &Value, path: String) -> Result<Client, ConfigError> {
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
        Some(name) => AuthMethod::parse(name).ok_or_else(|| {
            ConfigError::new(
                &method_path,
                "must be \"none\", \"client_secret_basic\" or \"client_secret_post\"",
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
                "must be \"client_secret_basic\" or \"client_secret_post\" for a confidential client",
            ));
        }
        (ClientType::Confidential, _) => {}
    }

    let secret_path = obj.at("client_secret_hash");
    let client_secret_hash = match (client_type, obj.string("client_secret_hash")?) {
        (ClientType::Public, None) => None,
        (ClientType::Public, Some(_)) => {
            return Err(ConfigError::new(
                secret_path,
                "a public client has no secret: remove it, or make the client confidential",
            ));
        }
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

    Ok(Client {
        client_id: client_id.to_owned(),
        client_type,
        token_endpoint_auth_method: method,
        client_secret_hash,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        scopes,
        allowed_origins,
        first_party: obj.bool("first_party")?,
        dpop_bound_access_tokens: obj.bool("dpop_bound_access_tokens")?,
    })
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

fn parse_user(value: &Value, path: String) -> Result<User, ConfigError> {
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

fn parse_lifetimes(value: &Value) -> Result<Lifetimes, ConfigError> {
    let obj = Obj::new(value, "lifetimes".to_owned())?;
    obj.only(&[
        "code",
        "access_token",
        "id_token",
        "refresh_token",
        "session",
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

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
fn is_scope_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}

// --- URIs -----------------------------------------------------------------------------

/// The pieces of an absolute http(s) URI this module checks.
struct HttpUri<'a> {
    https: bool,
    host: &'a str,
    port: Option<&'a str>,
    /// Everything after the authority: path and query.
    rest: &'a str,
}

/// Hosts for which plain http is allowed: the loopback interface (RFC 8252 §7.3 and §8.3,
/// RFC 9700 §2.1).
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// Parses an absolute `https://` URI, or `http://` with a loopback host: visible ASCII, no
/// fragment, no user information, a host, an optional port of 1 to 65535.
fn parse_http_uri(text: &str) -> Result<HttpUri<'_>, &'static str> {
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be visible ASCII without spaces (percent-encode the rest)");
    }
    if text.contains('#') {
        return Err("must not contain a fragment (RFC 6749 §3.1.2)");
    }
    let (https, after) = if let Some(after) = text.strip_prefix("https://") {
        (true, after)
    } else if let Some(after) = text.strip_prefix("http://") {
        (false, after)
    } else {
        return Err(
            "must be an absolute https:// URI (http:// only for localhost, 127.0.0.1 or [::1])",
        );
    };
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if authority.contains('@') {
        return Err("must not contain user information (user@host)");
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or("has an unterminated IPv6 address")?;
        let (host, after_host) = authority.split_at(close + 1);
        let inner = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or_default();
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err("has an invalid IPv6 address");
        }
        match after_host {
            "" => (host, None),
            _ => (
                host,
                Some(
                    after_host
                        .strip_prefix(':')
                        .ok_or("has junk after the IPv6 address")?,
                ),
            ),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("must have a host");
    }
    if !host.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        return Err("has a host with characters a DNS name or IPv4 address cannot have");
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p));
        if !valid {
            return Err("has an invalid port (1 to 65535)");
        }
    }
    if !https && !LOOPBACK_HOSTS.contains(&host) {
        return Err("must use https (http only for localhost, 127.0.0.1 or [::1])");
    }
    Ok(HttpUri {
        https,
        host,
        port,
        rest,
    })
}

/// The issuer: no query, no trailing slash (OpenID Connect Discovery §3, RFC 8414 §2).
fn check_issuer(text: &str) -> Result<(), &'static str> {
    let uri = parse_http_uri(text)?;
    if uri.rest.contains('?') {
        return Err("must not contain a query (OpenID Connect Discovery §3)");
    }
    if uri.rest.ends_with('/') {
        return Err("must not end with a slash (the discovery path is appended to it)");
    }
    Ok(())
}

/// A redirect URI (RFC 6749 §3.1.2): absolute, no fragment, https or http on loopback.
/// A query is allowed.
fn check_redirect_uri(text: &str) -> Result<(), &'static str> {
    parse_http_uri(text).map(|_| ())
}

/// An origin as browsers send it (RFC 6454 §6.2): `scheme://host[:port]`, lowercase, no
/// default port, no path, not even a trailing slash; otherwise it could never match the
/// `Origin` header.
fn check_origin(text: &str) -> Result<(), &'static str> {
    let uri = parse_http_uri(text)?;
    if !uri.rest.is_empty() {
        return Err("must be an origin, scheme://host[:port], without a path or trailing slash");
    }
    if uri.host.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("must have a lowercase host, as browsers send it");
    }
    let default_port = if uri.https { "443" } else { "80" };
    if uri.port == Some(default_port) {
        return Err("must leave out the default port, as browsers do");
    }
    Ok(())
}

// --- Reading JSON objects with paths --------------------------------------------------

/// A JSON object being read, with its path for errors.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, path: String) -> Result<Obj<'a>, ConfigError> {
        match value {
            Value::Object(map) => Ok(Obj { map, path }),
            _ => Err(ConfigError::new(
                if path.is_empty() {
                    ROOT.to_owned()
                } else {
                    path
                },
                "must be a JSON object",
            )),
        }
    }

    /// The path of member `name`.
    fn at(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Refuses members not in `known`, so typos are errors.
    fn only(&self, known: &[&str]) -> Result<(), ConfigError> {
        match self.map.keys().find(|name| !known.contains(&name.as_str())) {
            None => Ok(()),
            Some(name) => Err(ConfigError::new(
                self.at(name),
                format!("unknown field (expected one of: {})", known.join(", ")),
            )),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    fn string(&self, name: &str) -> Result<Option<&'a str>, ConfigError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ConfigError::new(self.at(name), "must be a string")),
        }
    }

    fn required_string(&self, name: &str) -> Result<&'a str, ConfigError> {
        self.string(name)?
            .ok_or_else(|| ConfigError::new(self.at(name), "is required"))
    }

    /// A boolean, `false` when absent.
    fn bool(&self, name: &str) -> Result<bool, ConfigError> {
        match self.map.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ConfigError::new(self.at(name), "must be true or false")),
        }
    }

    fn u64(&self, name: &str) -> Result<Option<u64>, ConfigError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(value) => value.as_u64().map(Some).ok_or_else(|| {
                ConfigError::new(self.at(name), "must be a whole number of seconds")
            }),
        }
    }

    /// An array, empty when absent.
    fn array(&self, name: &str) -> Result<&'a [Value], ConfigError> {
        match self.map.get(name) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(ConfigError::new(self.at(name), "must be an array")),
        }
    }

    /// An array of distinct strings, empty when absent, each with its path.
    fn strings(&self, name: &str) -> Result<Vec<(String, &'a str)>, ConfigError> {
        let mut out: Vec<(String, &'a str)> = Vec::new();
        for (i, item) in self.array(name)?.iter().enumerate() {
            let path = format!("{}[{i}]", self.at(name));
            let Value::String(s) = item else {
                return Err(ConfigError::new(path, "must be a string"));
            };
            if let Some(j) = out.iter().position(|(_, seen)| seen == s) {
                return Err(ConfigError::new(
                    path,
                    format!("duplicates {}[{j}]", self.at(name)),
                ));
            }
            out.push((path, s));
        }
        Ok(out)
    }
}
