//! The provider's configuration: the `OIDC_CONFIG` JSON of DESIGN.md ("Configuration"),
//! parsed strictly and checked once, at start.
//!
//! Users write this document by hand, so every mistake is an error naming the field, as a
//! path (`clients[1].redirect_uris[0]`, `lifetimes.code`): unknown fields (typos), repeated
//! member names, values of the wrong JSON type, and combinations the protocol forbids.
//! Whole-document errors (not JSON, too large) have the path `OIDC_CONFIG`. Messages never
//! repeat a hash.

use core::fmt;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::clients::keys::ClientKeys;
use super::keys::SigningKeys;
use super::mtls::DistinguishedName;
use super::password::PasswordHash;
use super::types::{ClientId, RedirectUri};
use crate::jose::Alg;
use crate::{Error, json};

mod authorization;
mod ciba;
mod client;
mod fields;
mod mtls;
mod profile;
mod reader;
mod registration;
mod resources;
mod upstream;
mod uri;

pub use authorization::AuthorizationRules;
pub use ciba::TokenDelivery;
pub(crate) use client::parse_client;
pub use client::{ClientSource, SelfAsserted};
use fields::{parse_lifetimes, parse_login_limits, parse_user};
pub use mtls::Mtls;
pub use profile::{FAPI2_ALGORITHMS, Profile};
use reader::Obj;
pub use registration::{DEFAULT_MAX_PER_HOUR, MAX_PER_HOUR_RANGE, Registration};
pub use resources::Resource;
pub use upstream::UpstreamProvider;
use uri::check_issuer;
pub use uri::{check_client_id_url, check_fetch_uri, check_upstream_uri, is_loopback_issuer};
pub(crate) use uri::{is_scheme, is_web_origin};

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
    /// How many sign-in attempts are allowed.
    pub login_limits: LoginLimits,
    /// The provider's name on its pages; by default the issuer's host.
    pub provider_name: String,
    /// Plain words for scopes on the consent page, over the built-in ones
    /// ([`Config::scope_description`]).
    pub scope_descriptions: BTreeMap<String, String>,
    /// The APIs access tokens may be asked for (RFC 8707), besides the provider's own
    /// ([`Config::resource`]).
    pub resources: Vec<Resource>,
    /// The Authentication Context Class Reference of a sign-in with a password here
    /// (OpenID Connect Core §2 `acr`), in every ID token.
    pub password_acr: String,
    /// Clients that arrive on their own: dynamic registration, metadata documents.
    pub registration: Registration,
    /// The OpenID Providers users may sign in at instead (`upstream_providers`).
    pub upstream_providers: Vec<UpstreamProvider>,
    /// Whether the login page offers the password form (`password_login`, default true);
    /// when not, users sign in only at an upstream provider.
    pub password_login: bool,
    /// The scopes a client that registers itself may have ([`Config::offered_scopes`]).
    offered_scopes: Vec<String>,
    /// The issuer's web origin ([`Config::issuer_origin`]).
    issuer_origin: String,
    /// Every client's authorization requests come through `/par` (RFC 9126 §5), whatever
    /// the client's own `require_pushed_authorization_requests` says.
    pub require_pushed_authorization_requests: bool,
    /// Where clients reach the endpoints that take TLS client certificates, when that is
    /// another origin than the issuer's (`mtls`, RFC 8705 §5).
    pub mtls: Option<Mtls>,
}

/// The `acr` of a password sign-in unless the configuration names another: level 1 of the
/// ISO/IEC 29115 scale OpenID Connect Core §2 refers to (one factor), as widely used.
pub const DEFAULT_PASSWORD_ACR: &str = "1";

/// The form of an access token (DESIGN.md `access_token_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenFormat {
    /// A signed RFC 9068 JWT: a resource server checks it on its own.
    #[default]
    Jwt,
    /// A random string, stored by its hash with what it grants: checked here, through
    /// `/introspect` for other resource servers (RFC 7662).
    Opaque,
}

impl TokenFormat {
    /// The format named `name` (`"jwt"` or `"opaque"`), if any.
    pub fn parse(name: &str) -> Option<TokenFormat> {
        match name {
            "jwt" => Some(TokenFormat::Jwt),
            "opaque" => Some(TokenFormat::Opaque),
            _ => None,
        }
    }
}

/// The path of the provider's own resource API, a resource every configuration has.
pub const OWN_API_PATH: &str = "/api/me";

/// What the consent page says of the scopes it knows, unless the configuration says
/// otherwise (OpenID Connect Core §5.4, §11).
const SCOPE_DESCRIPTIONS: [(&str, &str); 6] = [
    ("openid", "Sign you in and know who you are"),
    ("profile", "Your name and basic profile"),
    ("email", "Your email address"),
    ("address", "Your postal address"),
    ("phone", "Your phone number"),
    (
        "offline_access",
        "Keep access while you are away (until you sign out or revoke it)",
    ),
];

/// The most scope descriptions a configuration may hold.
const MAX_SCOPE_DESCRIPTIONS: usize = 100;

/// Sign-in attempts allowed per username (whether it exists or not) and failed ones per
/// client address, in a window. The window is fixed (it starts at multiples of its length), so
/// at its turn up to twice a limit can pass in quick succession.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Attempts per username: 1 to 1,000 (default 10).
    pub per_username: u64,
    /// Failed attempts per client address (`CF-Connecting-IP`; an IPv6 address by its /64):
    /// 1 to 100,000 (default 100; many users can share one address behind a NAT).
    pub per_address: u64,
    /// The window in seconds: 60 to 86,400 (default 900).
    pub window: u64,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            per_username: 10,
            per_address: 100,
            window: 900,
        }
    }
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
    /// A JWT signed with one of the client's keys (RFC 7523 §2.2, OpenID Connect Core §9).
    PrivateKeyJwt,
    /// A TLS client certificate the host verified against the certificate authorities it
    /// trusts, with the subject DN the client registered (RFC 8705 §2.1).
    TlsClientAuth,
    /// A TLS client certificate, self-signed or not, that heads the `x5c` of one of the
    /// client's keys (RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    /// Every method, in the order the configuration reference lists them.
    pub const ALL: [AuthMethod; 6] = [
        AuthMethod::None,
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::TlsClientAuth,
        AuthMethod::SelfSignedTlsClientAuth,
    ];

    /// The registered name (RFC 7591 §2, RFC 8705 §2.1.1 and §2.2.1).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// The method named `name`, if any.
    pub fn parse(name: &str) -> Option<AuthMethod> {
        AuthMethod::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// Whether the client proves itself with the TLS client certificate of the request
    /// (RFC 8705 §2): the request itself names the client with `client_id` only.
    pub fn is_mtls(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
    }
}

/// Grant types a client may use (RFC 6749 §4.1, §4.4, §6; RFC 8628 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// `authorization_code`.
    AuthorizationCode,
    /// `refresh_token`.
    RefreshToken,
    /// `client_credentials`.
    ClientCredentials,
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4).
    DeviceCode,
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693 §2.1).
    TokenExchange,
    /// `urn:openid:params:grant-type:ciba` (OpenID Connect CIBA Core 1.0 §10.1).
    Ciba,
}

impl GrantType {
    /// Every grant type, in the order the configuration reference lists them.
    pub const ALL: [GrantType; 6] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::DeviceCode,
        GrantType::TokenExchange,
        GrantType::Ciba,
    ];

    /// The registered name, as in the token request's `grant_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            GrantType::Ciba => "urn:openid:params:grant-type:ciba",
        }
    }

    /// The grant type named `name`, if any.
    pub fn parse(name: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == name)
    }

    /// Whether only the operator gives this grant, never a client's own metadata: token
    /// exchange swaps users' tokens and CIBA sends users requests by name; the device grant
    /// has a user approve a code a device shows, the remote phishing RFC 8628 §5.4 warns
    /// of, under a name the client chose itself.
    pub fn operator_only(self) -> bool {
        matches!(
            self,
            GrantType::TokenExchange | GrantType::Ciba | GrantType::DeviceCode
        )
    }

    /// Whether a user approves this grant, so its tokens may come with a refresh token
    /// (`offline_access`).
    pub fn has_user(self) -> bool {
        matches!(
            self,
            GrantType::AuthorizationCode | GrantType::DeviceCode | GrantType::Ciba
        )
    }
}

/// Where a client's metadata comes from, which is what vouches for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOrigin {
    /// The operator's configuration.
    Configured,
    /// Registered at `/register` by itself (RFC 7591), kept in the store.
    Registered,
    /// Its `client_id` is the URL of its metadata document, fetched
    /// (draft-ietf-oauth-client-id-metadata-document).
    MetadataDocument,
}

/// What kind of application a client is (OpenID Connect Registration §2
/// `application_type`), which decides the redirect URIs it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApplicationType {
    /// A web application: https redirect URIs (http on loopback for development).
    #[default]
    Web,
    /// An app on the user's device (RFC 8252): private-use schemes too, and a loopback IP
    /// redirect URI matches on any port (§7.3).
    Native,
}

impl ApplicationType {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }
}

/// One registered client. `Debug` never shows the secret hash.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client identifier: 1 to 255 visible ASCII characters.
    pub client_id: ClientId,
    /// Public or confidential.
    pub client_type: ClientType,
    /// `none` for public clients; `client_secret_basic` (the default),
    /// `client_secret_post`, `private_key_jwt`, `tls_client_auth` or
    /// `self_signed_tls_client_auth` for confidential ones.
    pub token_endpoint_auth_method: AuthMethod,
    /// The secret's hash: present exactly for confidential clients that authenticate with
    /// a secret.
    pub client_secret_hash: Option<PasswordHash>,
    /// Web or native (OpenID Connect Registration §2).
    pub application_type: ApplicationType,
    /// Redirect URIs, compared exactly (RFC 9700 §2.1; RFC 6749 §3.1.2) but for the port of
    /// a native app's loopback ones: [`Client::accepts_redirect_uri`].
    pub redirect_uris: Vec<RedirectUri>,
    /// Where `/end_session` may send the user back (RP-Initiated Logout §3).
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// The grant types the client may use; `["authorization_code"]` when absent
    /// (RFC 7591 §2).
    pub grant_types: Vec<GrantType>,
    /// The scopes the client may request (RFC 6749 §3.3 scope tokens).
    pub scopes: Vec<String>,
    /// The browser origins that may call the provider as a configured client (CORS), as
    /// `scheme://host[:port]`; operator-only, so empty for a client that arrived on its own,
    /// whose origins [`Client::allows_origin`] derives from its redirect URIs.
    pub allowed_origins: Vec<String>,
    /// Consent is implied (the operator's own application).
    pub first_party: bool,
    /// Access tokens must be DPoP-bound (RFC 9449 §5.2 client metadata).
    pub dpop_bound_access_tokens: bool,
    /// Access tokens are bound to the TLS client certificate of the token request, which
    /// must then present one (RFC 8705 §3.4); never with `dpop_bound_access_tokens`.
    pub tls_client_certificate_bound_access_tokens: bool,
    /// The subject DN the certificate of a `tls_client_auth` client must have (RFC 8705
    /// §2.1.2), as RFC 4514 writes it and [`DistinguishedName`] compares it.
    pub tls_client_auth_subject_dn: Option<DistinguishedName>,
    /// Where logout tokens are POSTed when a session the client signed in with ends
    /// (OpenID Connect Back-Channel Logout 1.0 §2.2).
    pub backchannel_logout_uri: Option<String>,
    /// Whether the client needs `sid` in logout tokens (§2.2; it is always sent).
    pub backchannel_logout_session_required: bool,
    /// The algorithm of the client's ID tokens and logout tokens (OpenID Connect
    /// Registration §2); `None`: [`SigningKeys::id_token_algorithm`](crate::op::keys::SigningKeys::id_token_algorithm).
    pub id_token_signed_response_alg: Option<Alg>,
    /// The algorithm of the JWT answers the client gets from `/introspect` (RFC 9701 §6);
    /// `None`: as its ID tokens.
    pub introspection_signed_response_alg: Option<Alg>,
    /// The name people see on the login and consent pages (RFC 7591 §2).
    pub client_name: Option<String>,
    /// A logo shown on the consent page: an https URL (RFC 7591 §2).
    pub logo_uri: Option<String>,
    /// The client's privacy policy, linked from the consent page (RFC 7591 §2).
    pub policy_uri: Option<String>,
    /// The client's terms of service, linked from the consent page (RFC 7591 §2).
    pub tos_uri: Option<String>,
    /// The client's public keys (RFC 7591 §2 `jwks`): what its `private_key_jwt`
    /// assertions and request objects are checked with, and the certificates of their
    /// `x5c` (`self_signed_tls_client_auth`).
    pub jwks: Option<ClientKeys>,
    /// The form of the client's access tokens for the provider itself (those without a
    /// resource; a resource's own format decides for tokens for it).
    pub access_token_format: TokenFormat,
    /// Where the client publishes its public keys instead (RFC 7591 §2 `jwks_uri`):
    /// fetched by the host and kept by the provider (`clients::jwks_uri`); never with `jwks`.
    pub jwks_uri: Option<String>,
    /// Where the client comes from.
    pub origin: ClientOrigin,
    /// Whether a token exchange (RFC 8693) without an `actor_token` may give the client a
    /// token that is the subject's own, with no `act` claim (§1.1 impersonation); otherwise
    /// it must name the actor.
    pub token_exchange_impersonation: bool,
    /// How the client gets the tokens of its CIBA requests (CIBA Core §4
    /// `backchannel_token_delivery_mode`, with the `backchannel_client_notification_endpoint`
    /// of ping mode): required with the CIBA grant.
    pub backchannel_token_delivery_mode: Option<TokenDelivery>,
    /// How its authorization requests come and their answers go (PAR, request objects,
    /// JARM).
    pub authorization: AuthorizationRules,
    /// The profile it is held to (`"fapi2"`: the FAPI 2.0 Security Profile).
    pub profile: Option<Profile>,
}

impl Client {
    /// Whether a browser app on `origin` may call the provider as this client (CORS,
    /// Fetch §3.2). A configured client lists its origins (`allowed_origins`): the operator
    /// said which. A client that arrived on its own (registered, or described by a metadata
    /// document) has the origins of its redirect URIs if it is a web application: the page
    /// the user returns to is the page that redeems the code. A native app has none: it
    /// calls from no web page.
    pub fn allows_origin(&self, origin: &str) -> bool {
        match self.origin {
            ClientOrigin::Configured => self.allowed_origins.iter().any(|o| o == origin),
            ClientOrigin::Registered | ClientOrigin::MetadataDocument => {
                self.application_type == ApplicationType::Web
                    && self
                        .redirect_uris
                        .iter()
                        .any(|uri| uri::web_origin_of(uri.as_str()).as_deref() == Some(origin))
            }
        }
    }

    /// Checks that a key signs with each algorithm the client names; the error's path is
    /// the field's name.
    pub fn check_signing_keys(&self, keys: &SigningKeys) -> Result<(), ConfigError> {
        for (field, alg) in [
            (
                "id_token_signed_response_alg",
                self.id_token_signed_response_alg,
            ),
            (
                "introspection_signed_response_alg",
                self.introspection_signed_response_alg,
            ),
            (
                "authorization_signed_response_alg",
                self.authorization.authorization_signed_response_alg,
            ),
        ] {
            if let Some(alg) = alg
                && keys.kid_for(alg).is_none()
            {
                return Err(ConfigError::new(
                    field,
                    format!(
                        "is {} but no key in OIDC_SIGNING_KEYS signs with it (add one: `oidc-edge keygen --alg {}`)",
                        alg.as_str(),
                        alg.as_str()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether `uri` is one of the client's redirect URIs: the same string (RFC 9700 §2.1),
    /// or, for a native app, a loopback IP one with the port it listens on today (RFC 8252
    /// §7.3).
    pub fn accepts_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|registered| {
            registered.as_str() == uri
                || (self.application_type == ApplicationType::Native
                    && uri::same_but_loopback_port(registered.as_str(), uri))
        })
    }

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
    /// The password's hash, 10,000 to [`MAX_USER_ITERATIONS`](super::password::MAX_USER_ITERATIONS) iterations.
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
    /// Device codes and their user codes (RFC 8628 §3.2 `expires_in`): 60 to 1,800.
    pub device_code: u64,
    /// CIBA requests (CIBA Core §7.3 `expires_in`, the most `requested_expiry` may ask):
    /// 60 to 1,800.
    pub ciba: u64,
    /// Pushed authorization requests (RFC 9126 §2.2 `expires_in`): 10 to 600.
    pub par: u64,
}

impl Default for Lifetimes {
    fn default() -> Lifetimes {
        Lifetimes {
            code: 60,
            access_token: 600,
            id_token: 600,
            refresh_token: 1_209_600,
            session: 86_400,
            device_code: 600,
            ciba: 300,
            par: 60,
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
        obj.only(&[
            "issuer",
            "clients",
            "users",
            "lifetimes",
            "login_limits",
            "provider_name",
            "scope_descriptions",
            "resources",
            "password_acr",
            "registration",
            "upstream_providers",
            "password_login",
            "require_pushed_authorization_requests",
            "mtls",
        ])?;

        let issuer = obj.required_string("issuer")?;
        check_issuer(issuer).map_err(|m| ConfigError::new(obj.at("issuer"), m))?;

        let mut clients: Vec<Client> = Vec::new();
        for (i, value) in obj.array("clients")?.iter().enumerate() {
            let client = parse_client(value, format!("clients[{i}]"), ClientSource::Configured)?;
            if let Some(j) = clients.iter().position(|c| c.client_id == client.client_id) {
                return Err(ConfigError::new(
                    format!("clients[{i}].client_id"),
                    format!("duplicates clients[{j}].client_id"),
                ));
            }
            clients.push(client);
        }
        ciba::check_endpoints(issuer, &clients)?;

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

        profile::check_lifetimes(&clients, &lifetimes)?;

        let login_limits = match obj.get("login_limits") {
            None => LoginLimits::default(),
            Some(value) => parse_login_limits(value)?,
        };

        let provider_name = match obj.string("provider_name")? {
            Some(name) => {
                fields::check_display_text(name, fields::MAX_DISPLAY_LEN)
                    .map_err(|m| ConfigError::new(obj.at("provider_name"), m))?;
                name.to_owned()
            }
            // check_issuer accepted it: scheme://host[:port], nothing after.
            None => issuer
                .split_once("://")
                .map_or(issuer, |(_, host)| host)
                .to_owned(),
        };
        let scope_descriptions = match obj.get("scope_descriptions") {
            None => BTreeMap::new(),
            Some(value) => parse_scope_descriptions(value)?,
        };

        let resources = resources::parse_resources(obj.array("resources")?, &lifetimes)?;
        let own_api = format!("{issuer}{OWN_API_PATH}");
        if let Some(i) = resources.iter().position(|r| r.resource == own_api) {
            return Err(ConfigError::new(
                format!("resources[{i}].resource"),
                format!("is the provider's own API, {own_api}, which is always a resource"),
            ));
        }

        let password_acr = match obj.string("password_acr")? {
            Some(acr) => {
                if acr.is_empty() || acr.len() > 255 || !acr.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(ConfigError::new(
                        obj.at("password_acr"),
                        "must be 1 to 255 visible ASCII characters without spaces (an absolute URI or a registered name, OpenID Connect Core §2)",
                    ));
                }
                acr.to_owned()
            }
            None => DEFAULT_PASSWORD_ACR.to_owned(),
        };

        let registration = match obj.get("registration") {
            None => Registration::default(),
            Some(value) => registration::parse_registration(value, issuer)?,
        };
        let upstream_providers = upstream::parse_upstream_providers(
            obj.array("upstream_providers")?,
            uri::is_loopback_issuer(issuer),
            &password_acr,
        )?;
        let password_login = match obj.get("password_login") {
            None => true,
            Some(_) => obj.bool("password_login")?,
        };
        if !password_login && upstream_providers.is_empty() {
            return Err(ConfigError::new(
                obj.at("password_login"),
                "is false, so users could sign in nowhere: list upstream_providers, or allow passwords",
            ));
        }
        // `/device` and `/ciba` sign their user in with the password form: an upstream
        // sign-in starts from a waiting authorization request, which they do not have.
        if !password_login
            && let Some((i, _)) = clients.iter().enumerate().find(|(_, c)| {
                c.allows_grant(GrantType::DeviceCode) || c.allows_grant(GrantType::Ciba)
            })
        {
            return Err(ConfigError::new(
                obj.at("password_login"),
                format!(
                    "is false, but clients[{i}] uses the device grant or CIBA, whose pages sign users in with a password"
                ),
            ));
        }
        // The identity scopes (OpenID Connect Core §5.4, §11), and what the configured APIs
        // take: what a client that registers itself may ask for.
        let mut offered_scopes: Vec<String> = SCOPE_DESCRIPTIONS
            .iter()
            .map(|(scope, _)| (*scope).to_owned())
            .collect();
        for scope in resources.iter().flat_map(|r| r.scopes.iter().flatten()) {
            if !offered_scopes.contains(scope) {
                offered_scopes.push(scope.clone());
            }
        }

        // check_issuer accepted it, so it has a web origin.
        let issuer_origin = uri::web_origin_of(issuer).unwrap_or_else(|| issuer.to_owned());
        Ok(Config {
            issuer: issuer.to_owned(),
            issuer_origin,
            clients,
            users,
            lifetimes,
            login_limits,
            provider_name,
            scope_descriptions,
            resources,
            password_acr,
            registration,
            upstream_providers,
            password_login,
            offered_scopes,
            require_pushed_authorization_requests: obj
                .bool("require_pushed_authorization_requests")?,
            mtls: match obj.get("mtls") {
                None => None,
                Some(value) => Some(mtls::parse_mtls(value, issuer)?),
            },
        })
    }

    /// The context classes a sign-in here can meet (OpenID Connect Core §2 `acr`), each
    /// once: the password's when passwords are on, and each upstream provider's. What
    /// discovery lists (`acr_values_supported`), and what an essential `acr` must name.
    pub fn acr_values(&self) -> Vec<&str> {
        let mut values: Vec<&str> = Vec::new();
        let password = self.password_login.then_some(self.password_acr.as_str());
        let upstreams = self.upstream_providers.iter().map(|p| p.acr.as_str());
        for acr in password.into_iter().chain(upstreams) {
            if !values.contains(&acr) {
                values.push(acr);
            }
        }
        values
    }

    /// The upstream provider with this `id`.
    pub fn upstream_provider(&self, id: &str) -> Option<&UpstreamProvider> {
        self.upstream_providers.iter().find(|p| p.id == id)
    }

    /// The resource named `uri` (RFC 8707 §2): a configured one, or the provider's own API
    /// (`{issuer}/api/me`, which takes every scope), exactly as written.
    pub fn resource(&self, uri: &str) -> Option<Resource> {
        if let Some(resource) = self.resources.iter().find(|r| r.resource == uri) {
            return Some(resource.clone());
        }
        let own = uri
            .strip_prefix(self.issuer.as_str())
            .is_some_and(|path| path == OWN_API_PATH);
        own.then(|| Resource {
            resource: uri.to_owned(),
            scopes: None,
            access_token_lifetime: self.lifetimes.access_token,
            access_token_format: TokenFormat::Jwt,
        })
    }

    /// Plain words for `scope` on the consent page: the configured ones, else the built-in
    /// ones, else none (the page shows the scope itself).
    pub fn scope_description(&self, scope: &str) -> Option<&str> {
        self.scope_descriptions
            .get(scope)
            .map(String::as_str)
            .or_else(|| {
                SCOPE_DESCRIPTIONS
                    .iter()
                    .find(|(name, _)| *name == scope)
                    .map(|(_, text)| *text)
            })
    }

    /// Checks what the configuration asks of the signing keys: every algorithm a client
    /// names has a key that signs with it. The Worker and `oidc-edge check-config --keys`
    /// run this at start, so a missing key is an error there, not at a client's first
    /// sign-in.
    pub fn check_signing_keys(&self, keys: &SigningKeys) -> Result<(), ConfigError> {
        for (i, client) in self.clients.iter().enumerate() {
            profile::check_keys(i, client, keys)?;
            client.check_signing_keys(keys).map_err(|err| {
                ConfigError::new(format!("clients[{i}].{}", err.path), err.message)
            })?;
        }
        Ok(())
    }

    /// The `Origin` a browser sends from the issuer's own pages (RFC 6454 §6.2): the
    /// issuer with its host in lowercase and without the scheme's default port, however
    /// the configuration writes it (`https://OP.example:443` is `https://op.example`).
    pub fn issuer_origin(&self) -> &str {
        &self.issuer_origin
    }

    /// The scopes a client that registers itself (or is described by its metadata
    /// document) may have: the identity scopes, and every scope a configured resource
    /// takes. Others are the operator's to give, in the configuration.
    pub fn offered_scopes(&self) -> &[String] {
        &self.offered_scopes
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

/// `scope_descriptions`: an object of scope tokens to plain words, each 1 to 200 characters.
fn parse_scope_descriptions(value: &Value) -> Result<BTreeMap<String, String>, ConfigError> {
    let Value::Object(entries) = value else {
        return Err(ConfigError::new(
            "scope_descriptions",
            "must be an object of scope to description",
        ));
    };
    if entries.len() > MAX_SCOPE_DESCRIPTIONS {
        return Err(ConfigError::new(
            "scope_descriptions",
            format!("must hold at most {MAX_SCOPE_DESCRIPTIONS} scopes"),
        ));
    }
    let mut out = BTreeMap::new();
    for (scope, text) in entries {
        let path = format!("scope_descriptions.{scope}");
        if scope.is_empty() || !scope.bytes().all(fields::is_scope_char) {
            return Err(ConfigError::new(
                path,
                "must be named by a scope token (RFC 6749 §3.3)",
            ));
        }
        let Value::String(text) = text else {
            return Err(ConfigError::new(path, "must be a string"));
        };
        fields::check_display_text(text, 200).map_err(|m| ConfigError::new(&path, m))?;
        out.insert(scope.clone(), text.clone());
    }
    Ok(out)
}
