//! The provider: configuration, keys and derived secrets, and the router that sends each
//! request to its endpoint and puts the common headers (CORS, security) on every answer.

use serde_json::Value;

use super::config::Config;
use super::endpoints;
use super::http::{Request, Response};
use super::keys::SigningKeys;
use super::password::{MIN_USER_ITERATIONS, PasswordHash, Pbkdf2};
use super::secrets::ServerSecrets;
use super::signer::TokenSigner;
use crate::jose::{JwkSet, SignatureVerifier};
use crate::store::Store;
use crate::time::UnixTime;

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
    /// The current time.
    pub now: UnixTime,
}

/// An OpenID Provider.
#[derive(Debug)]
pub struct Provider {
    pub(crate) config: Config,
    pub(crate) keys: SigningKeys,
    pub(crate) secrets: ServerSecrets,
    /// The discovery document, built once.
    pub(crate) discovery: Value,
    /// The public JWKS, built once.
    pub(crate) jwks: Value,
    /// The same keys, parsed for verifying the provider's own access tokens.
    pub(crate) verify_keys: JwkSet,
    /// The PBKDF2 iterations every password check costs: the highest count among the
    /// users' hashes. Cheaper hashes are padded up to it.
    pub(crate) password_cost: u32,
    /// Checked against when a username is unknown, at `password_cost`, so that costs what
    /// a known one costs.
    pub(crate) decoy_hash: PasswordHash,
    /// Whether cookies may omit `Secure` (an `http://localhost` issuer in development).
    pub(crate) insecure_cookies: bool,
}

impl Provider {
    /// A provider for `config`, signing with `keys`. Server secrets (CSRF, DPoP nonces,
    /// refresh successors) are derived from the newest signing key, so one secret in the
    /// environment configures everything; rotating keys rotates them too.
    pub fn new(config: Config, keys: SigningKeys) -> Provider {
        let secrets = ServerSecrets::derive(&keys.current().1.to_bytes());
        let discovery = endpoints::discovery::document(&config);
        let jwks = keys.public_jwks();
        let verify_keys = keys.public_jwk_set();
        let insecure_cookies = config.issuer.starts_with("http://");
        let password_cost = config
            .users
            .iter()
            .map(|u| u.password_hash.iterations())
            .max()
            .unwrap_or(MIN_USER_ITERATIONS);
        let decoy_hash = PasswordHash::decoy(password_cost);
        Provider {
            config,
            keys,
            secrets,
            discovery,
            jwks,
            verify_keys,
            password_cost,
            decoy_hash,
            insecure_cookies,
        }
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

    /// Answers one request. Never panics and never answers 500 for bad input: every
    /// failure is a protocol error or a 4xx page.
    pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
        &self,
        req: &Request,
        services: &Services<'_, S, P, V>,
    ) -> Response {
        let path = req.path();
        let method = req.method.as_str();
        let response = match (method, path) {
            ("OPTIONS", _) => return self.preflight(req),
            ("GET" | "HEAD", "/.well-known/openid-configuration")
            | ("GET" | "HEAD", "/.well-known/oauth-authorization-server") => {
                Response::json(200, &self.discovery)
                    .with_header("cache-control", "public, max-age=300")
            }
            ("GET" | "HEAD", "/jwks") => Response::json(200, &self.jwks)
                .set_header("content-type", "application/jwk-set+json")
                .with_header("cache-control", "public, max-age=300"),
            ("GET" | "POST", "/authorize") => {
                endpoints::authorize::handle(self, req, services).await
            }
            ("GET" | "POST", "/login") => endpoints::login::handle(self, req, services).await,
            ("GET" | "POST", "/consent") => endpoints::consent::handle(self, req, services).await,
            ("POST", "/token") => endpoints::token::handle(self, req, services).await,
            ("GET" | "POST", "/userinfo") => endpoints::userinfo::handle(self, req, services).await,
            ("GET" | "POST", "/end_session") => {
                endpoints::end_session::handle(self, req, services).await
            }
            ("GET" | "HEAD", "/api/me") => endpoints::api_me::handle(self, req, services).await,
            (_, "/authorize" | "/login" | "/consent" | "/userinfo" | "/end_session") => {
                method_not_allowed("GET, POST")
            }
            (_, "/token") => method_not_allowed("POST"),
            (
                _,
                "/jwks"
                | "/api/me"
                | "/.well-known/openid-configuration"
                | "/.well-known/oauth-authorization-server",
            ) => method_not_allowed("GET, HEAD"),
            _ => Response::json(404, &serde_json::json!({ "error": "not_found" })).no_store(),
        };
        let response = if method == "HEAD" {
            Response {
                body: Vec::new(),
                ..response
            }
        } else {
            response
        };
        self.with_cors(req, response)
    }

    /// The `Set-Cookie` attributes: host-only, HttpOnly, SameSite=Lax, and Secure
    /// unless the issuer is plain-HTTP localhost.
    pub(crate) fn cookie(&self, name: &str, value: &str, max_age: u64) -> String {
        let secure = if self.insecure_cookies {
            ""
        } else {
            "; Secure"
        };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }

    /// Whether an origin belongs to a configured client.
    fn allowed_origin(&self, origin: &str) -> bool {
        self.config
            .clients
            .iter()
            .any(|c| c.allowed_origins.iter().any(|o| o == origin))
    }

    /// CORS (Fetch §3.2) for the endpoints a browser app calls, only for the origins the
    /// configuration lists. Pages and `/authorize` are navigations, not fetches: no CORS.
    fn with_cors(&self, req: &Request, response: Response) -> Response {
        let cors_path = matches!(
            req.path(),
            "/token"
                | "/userinfo"
                | "/api/me"
                | "/jwks"
                | "/.well-known/openid-configuration"
                | "/.well-known/oauth-authorization-server"
        );
        match req.header("origin") {
            Some(origin) if cors_path && self.allowed_origin(origin) => response
                .with_header("access-control-allow-origin", origin)
                .with_header(
                    "access-control-expose-headers",
                    "DPoP-Nonce, WWW-Authenticate",
                )
                .with_header("vary", "Origin"),
            _ if cors_path => response.with_header("vary", "Origin"),
            _ => response,
        }
    }

    /// Answers a CORS preflight.
    fn preflight(&self, req: &Request) -> Response {
        let Some(origin) = req.header("origin").filter(|o| self.allowed_origin(o)) else {
            return Response::empty(403);
        };
        let methods = match req.path() {
            "/token" => "POST",
            "/userinfo" => "GET, POST",
            "/api/me" => "GET",
            "/jwks"
            | "/.well-known/openid-configuration"
            | "/.well-known/oauth-authorization-server" => "GET",
            _ => return Response::empty(403),
        };
        Response::empty(204)
            .with_header("access-control-allow-origin", origin)
            .with_header("access-control-allow-methods", methods)
            .with_header(
                "access-control-allow-headers",
                "Authorization, Content-Type, DPoP",
            )
            .with_header("access-control-max-age", "600")
            .with_header("vary", "Origin")
    }
}

fn method_not_allowed(allow: &str) -> Response {
    Response::json(405, &serde_json::json!({ "error": "method_not_allowed" }))
        .with_header("allow", allow)
}
