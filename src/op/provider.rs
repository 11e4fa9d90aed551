//! The provider's state: configuration, keys and derived secrets, and what is built from
//! them once. Answering requests is the route table's business (`routes.rs`), so the
//! endpoints depend on this module and this module on none of them.

use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

use super::clients::document::{self, Documents};
use super::clients::jwks_uri::{self, RemoteKeySets};
use super::clients::registered::{self, RegisteredCache};
use super::config::{Config, ConfigError, OWN_API_PATH};
use super::fetch::Fetcher;
use super::http::Request;
use super::keys::SigningKeys;
use super::password::{MIN_USER_ITERATIONS, PasswordHash};
use super::secrets::ServerSecrets;
use super::signer::TokenSigner;
use super::upstream::metadata::{self, Discovered};
use crate::cache::BoundedCache;
use crate::jose::JwkSet;
use crate::jose::jwt::Validation;
use crate::secret::Secret;
use crate::time::UnixTime;

/// Claims of access tokens that passed every check, with their `exp`, by token hash.
pub(crate) type CheckedAccessTokens = BoundedCache<[u8; 32], (f64, Arc<Map<String, Value>>)>;

/// How many checked access tokens a provider remembers (about a kilobyte each).
const MAX_CHECKED_ACCESS_TOKENS: usize = 1024;

/// What the provider needs from its host for one request.
pub struct Services<'a, S, P, V> {
    /// Storage.
    pub store: &'a S,
    /// PBKDF2 (WebCrypto on Workers).
    pub pbkdf2: &'a P,
    /// Signature checks of DPoP proofs and of the provider's own access tokens.
    pub verifier: &'a V,
    /// Signs the provider's tokens ([`SigningKeys`] itself signs in Rust).
    pub signer: &'a dyn TokenSigner,
    /// GETs what the provider reads from elsewhere: clients' `jwks_uri`
    /// ([`NoFetch`](super::fetch::NoFetch) for a host that fetches nothing).
    pub fetcher: &'a dyn Fetcher,
    /// The current time.
    pub now: UnixTime,
}

/// A cookie the provider sets. Wherever cookies are `Secure`, its name carries the
/// `__Host-` prefix (RFC 6265bis §4.1.3.2): a browser then takes it only from this host,
/// over https, with `Path=/` and no `Domain`, so a sibling subdomain or a plain-http page
/// cannot plant or shadow it (session fixation, login CSRF with the attacker's own
/// browser binding). Plain-HTTP localhost, where `Secure` is impossible, keeps the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cookie {
    plain: &'static str,
    host_only: &'static str,
}

/// The session cookie: its value is a bearer secret, stored only as a hash.
pub const SESSION_COOKIE: Cookie = Cookie {
    plain: "oe_session",
    host_only: "__Host-oe_session",
};
/// The browser-binding cookie: ties a login transaction to the browser that started it.
pub const BROWSER_COOKIE: Cookie = Cookie {
    plain: "oe_browser",
    host_only: "__Host-oe_browser",
};

/// An OpenID Provider.
#[derive(Debug)]
pub struct Provider {
    pub(crate) config: Config,
    pub(crate) keys: SigningKeys,
    pub(crate) secrets: ServerSecrets,
    /// The discovery document as sent, built on first request (`endpoints::discovery`):
    /// serialising it on every request cost more than the rest of the request.
    pub(crate) discovery: OnceLock<Vec<u8>>,
    /// The public JWKS as sent, serialised once.
    pub(crate) jwks: Vec<u8>,
    /// The same keys, parsed for verifying the provider's own access tokens.
    pub(crate) verify_keys: JwkSet,
    /// What every access token issued here must satisfy (RFC 9068 §4), for every audience
    /// the provider issues tokens for: built once, read on every uncached check.
    pub(crate) access_token_rules: Validation,
    /// The provider's own API as a resource: `{issuer}/api/me`.
    pub(crate) own_api: String,
    /// Access tokens that passed every check at a resource, by their SHA-256, with their
    /// `exp` (`resource::access_token_claims`).
    pub(crate) checked_access_tokens: Mutex<CheckedAccessTokens>,
    /// The keys of clients' `jwks_uri`, by URI, with when to fetch them again
    /// (`clients::jwks_uri`). With only configured URIs as keys it never fills up; clients
    /// that arrive on their own share it, bounded.
    pub(crate) remote_keys: RemoteKeySets,
    /// Clients registered at `/register`, as last read (`clients::registered`).
    pub(crate) registered_clients: Mutex<RegisteredCache>,
    /// Clients described by metadata documents, by URL (`clients::document`).
    pub(crate) metadata_documents: Documents,
    /// The PBKDF2 iterations every password check costs: the highest count among the
    /// users' hashes. Cheaper hashes are padded up to it.
    pub(crate) password_cost: u32,
    /// Checked against when a username is unknown, at `password_cost`, so that costs what
    /// a known one costs.
    pub(crate) decoy_hash: PasswordHash,
    /// Whether cookies may omit `Secure` (an `http://localhost` issuer in development).
    pub(crate) insecure_cookies: bool,
    /// The upstream providers' discovery documents, by provider id (`upstream::metadata`).
    pub(crate) upstream_metadata: Discovered,
    /// The client secrets at the upstream providers, by provider id, as the host read them
    /// ([`Provider::with_upstream_secrets`]).
    upstream_secrets: Vec<(String, Secret)>,
}

impl Provider {
    /// A provider for `config`, signing with `keys`, its CSRF tokens, DPoP nonces and
    /// refresh successors keyed by `secrets` (`OIDC_SERVER_SECRET`), which stay the same
    /// while the keys rotate.
    pub fn new(config: Config, keys: SigningKeys, secrets: ServerSecrets) -> Provider {
        let jwks = keys.public_jwks().to_string().into_bytes();
        let verify_keys = keys.public_jwk_set();
        let insecure_cookies = config.issuer.starts_with("http://");
        let password_cost = config
            .users
            .iter()
            .map(|u| u.password_hash.iterations())
            .max()
            .unwrap_or(MIN_USER_ITERATIONS);
        let decoy_hash = PasswordHash::decoy(password_cost);
        let mut jwks_uris: Vec<&str> = config
            .clients
            .iter()
            .filter_map(|c| c.jwks_uri.as_deref())
            .collect();
        jwks_uris.sort_unstable();
        jwks_uris.dedup();
        // Clients that arrive on their own may name any `jwks_uri`: room for as many as the
        // provider keeps such clients.
        let remote_keys_size = if config.registration.any() {
            jwks_uris.len().saturating_add(document::CACHE_SIZE)
        } else {
            jwks_uris.len().max(1)
        }
        // Each upstream provider's keys are kept there too.
        .saturating_add(config.upstream_providers.len());
        let own_api = format!("{}{OWN_API_PATH}", config.issuer);
        // One discovery document per upstream provider: the cache never fills up.
        let upstream_count = config.upstream_providers.len().max(1);
        // Itself, its own API and the configured resources (RFC 8707): which of them a
        // resource accepts is the resource's to check.
        let mut audiences = vec![config.issuer.clone(), own_api.clone()];
        audiences.extend(config.resources.iter().map(|r| r.resource.clone()));
        let access_token_rules = Validation {
            issuers: vec![config.issuer.clone()],
            audiences,
            algorithms: keys.algorithms(),
            typ: Some("at+jwt".to_owned()),
            clock_tolerance: 0,
            required_claims: ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"]
                .map(String::from)
                .to_vec(),
        };
        Provider {
            config,
            keys,
            secrets,
            discovery: OnceLock::new(),
            jwks,
            verify_keys,
            access_token_rules,
            own_api,
            checked_access_tokens: Mutex::new(BoundedCache::new(MAX_CHECKED_ACCESS_TOKENS)),
            remote_keys: jwks_uri::cache(remote_keys_size),
            registered_clients: Mutex::new(BoundedCache::new(registered::CACHE_SIZE)),
            metadata_documents: document::cache(),
            password_cost,
            decoy_hash,
            insecure_cookies,
            upstream_metadata: metadata::cache(upstream_count),
            upstream_secrets: Vec::new(),
        }
    }

    /// The provider with the client secrets it holds at its upstream providers: for each
    /// provider whose `client_secret_var` names a binding, `lookup` gives its value (a
    /// Worker secret). A missing or empty one is an error naming the binding, at start
    /// rather than at a user's first sign-in.
    pub fn with_upstream_secrets(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Provider, ConfigError> {
        let mut secrets = Vec::new();
        for (i, upstream) in self.config.upstream_providers.iter().enumerate() {
            let Some(var) = &upstream.client_secret_var else {
                continue;
            };
            let value = lookup(var).filter(|value| !value.is_empty()).ok_or_else(|| {
                ConfigError::new(
                    format!("upstream_providers[{i}].client_secret_var"),
                    format!(
                        "names {var}, which is not set (`wrangler secret put {var}`, and list it under [secrets] required in wrangler.toml)"
                    ),
                )
            })?;
            secrets.push((upstream.id.clone(), Secret::new(value)));
        }
        self.upstream_secrets = secrets;
        Ok(self)
    }

    /// The client secret at the upstream provider `id`, if the host gave one.
    pub(crate) fn upstream_secret(&self, id: &str) -> Option<&Secret> {
        self.upstream_secrets
            .iter()
            .find(|(provider, _)| provider == id)
            .map(|(_, secret)| secret)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The signing keys: the default [`TokenSigner`], and what a host imports into its
    /// own crypto.
    pub fn signing_keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// The `Set-Cookie` of `cookie`: host-only, HttpOnly, SameSite=Lax, and Secure (with
    /// the `__Host-` name) unless the issuer is plain-HTTP localhost.
    pub(crate) fn cookie(&self, cookie: Cookie, value: &str, max_age: u64) -> String {
        let name = self.cookie_name(cookie);
        let secure = if self.insecure_cookies {
            ""
        } else {
            "; Secure"
        };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }

    /// The value of `cookie` the request carries.
    pub(crate) fn cookie_value<'r>(&self, req: &'r Request, cookie: Cookie) -> Option<&'r str> {
        req.cookie(self.cookie_name(cookie))
    }

    /// The name `cookie` goes by here.
    pub fn cookie_name(&self, cookie: Cookie) -> &'static str {
        if self.insecure_cookies {
            cookie.plain
        } else {
            cookie.host_only
        }
    }
}
