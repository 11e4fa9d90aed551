//! The route table: one declaration per endpoint, from which everything else about a path
//! follows — dispatch, `405` with `Allow`, CORS and its preflight, and the endpoint's entry
//! in the discovery document. Adding an endpoint is its own module under `endpoints/`, one
//! [`Route`] here, and one arm in [`Provider::handle`]'s dispatch.
//!
//! This module is the only one that knows every endpoint; the endpoints know the
//! [`Provider`] state and never the router, so nothing cycles back.

use super::config::Config;
use super::cors::Cors;
use super::endpoints;
use super::http::{Request, Response};
use super::password::Pbkdf2;
use super::provider::{Provider, Services};
use crate::jose::SignatureVerifier;
use crate::store::Store;

/// What serves a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// OpenID Connect Discovery 1.0 §4 and RFC 8414 §3.
    Discovery,
    /// The public signing keys (RFC 7517 §5).
    Jwks,
    /// The authorization endpoint (RFC 6749 §3.1).
    Authorize,
    /// The login page.
    Login,
    /// The consent page.
    Consent,
    /// The token endpoint (RFC 6749 §3.2).
    Token,
    /// The UserInfo endpoint (OpenID Connect Core §5.3).
    Userinfo,
    /// The revocation endpoint (RFC 7009 §2).
    Revoke,
    /// The introspection endpoint (RFC 7662 §2).
    Introspect,
    /// The device authorization endpoint (RFC 8628 §3.1).
    DeviceAuthorization,
    /// The device verification page (RFC 8628 §3.3).
    Device,
    /// The backchannel authentication endpoint (OpenID Connect CIBA Core 1.0 §7).
    BcAuthorize,
    /// The page where the user answers CIBA requests.
    Ciba,
    /// RP-Initiated Logout 1.0.
    EndSession,
    /// The provider's own DPoP-protected resource API.
    ApiMe,
    /// That API's protected-resource metadata (RFC 9728 §3).
    ApiMeMetadata,
    /// Dynamic client registration (RFC 7591 §3), when `registration.enabled`.
    Register,
    /// A registered client's configuration endpoint (RFC 7592 §2), when
    /// `registration.enabled`.
    ClientConfiguration,
    /// Where the login page sends the user to sign in at an upstream provider, when
    /// `upstream_providers` lists one.
    UpstreamStart,
    /// Where an upstream provider sends the user back (OpenID Connect Core §3.1.2.5).
    UpstreamCallback,
    /// The pushed authorization request endpoint (RFC 9126 §2).
    Par,
}

/// One endpoint's declaration.
#[derive(Debug)]
pub struct Route {
    /// The path, matched exactly; one that ends with `/` is a prefix, and the rest of the
    /// request's path (not empty, no further `/`) is the endpoint's to read.
    pub path: &'static str,
    /// The methods it answers, as the `Allow` header lists them. A `HEAD` is answered as
    /// the `GET` would be, without the body.
    pub methods: &'static str,
    /// Who may call it from a page on another origin, with which methods (Fetch §3.2):
    /// `cors.rs`.
    pub cors: Cors,
    /// Its metadata name in the discovery document, if it is advertised there.
    pub discovery: Option<&'static str>,
    /// What serves it.
    pub endpoint: Endpoint,
    /// Whether it is also served on the mTLS endpoint origin (`mtls.endpoint_origin`,
    /// RFC 8705 §5): the endpoints that take a TLS client certificate, listed in discovery's
    /// `mtls_endpoint_aliases` when they are advertised. Nothing else is served there.
    pub mtls: bool,
}

/// Where the metadata of the provider's own API is (RFC 9728 §3.1: the well-known prefix,
/// then the API's path).
pub const OWN_API_METADATA_PATH: &str = "/.well-known/oauth-protected-resource/api/me";

/// Every path the provider answers.
pub const ROUTES: &[Route] = &[
    Route {
        path: "/.well-known/openid-configuration",
        methods: "GET, HEAD",
        cors: Cors::Public("GET"),
        discovery: None,
        endpoint: Endpoint::Discovery,
        mtls: false,
    },
    Route {
        path: "/.well-known/oauth-authorization-server",
        methods: "GET, HEAD",
        cors: Cors::Public("GET"),
        discovery: None,
        endpoint: Endpoint::Discovery,
        mtls: false,
    },
    Route {
        path: "/jwks",
        methods: "GET, HEAD",
        cors: Cors::Public("GET"),
        discovery: Some("jwks_uri"),
        endpoint: Endpoint::Jwks,
        mtls: false,
    },
    Route {
        path: "/authorize",
        methods: "GET, POST",
        cors: Cors::None,
        discovery: Some("authorization_endpoint"),
        endpoint: Endpoint::Authorize,
        mtls: false,
    },
    Route {
        path: "/login",
        methods: "GET, POST",
        cors: Cors::None,
        discovery: None,
        endpoint: Endpoint::Login,
        mtls: false,
    },
    Route {
        path: "/consent",
        methods: "GET, POST",
        cors: Cors::None,
        discovery: None,
        endpoint: Endpoint::Consent,
        mtls: false,
    },
    Route {
        path: "/token",
        methods: "POST",
        cors: Cors::Clients("POST"),
        discovery: Some("token_endpoint"),
        endpoint: Endpoint::Token,
        mtls: true,
    },
    Route {
        path: "/userinfo",
        methods: "GET, POST",
        cors: Cors::Clients("GET, POST"),
        discovery: Some("userinfo_endpoint"),
        endpoint: Endpoint::Userinfo,
        mtls: true,
    },
    Route {
        path: "/revoke",
        methods: "POST",
        cors: Cors::Clients("POST"),
        discovery: Some("revocation_endpoint"),
        endpoint: Endpoint::Revoke,
        mtls: true,
    },
    Route {
        path: "/introspect",
        methods: "POST",
        // Resource servers call it, not browser apps: public clients may not.
        cors: Cors::None,
        discovery: Some("introspection_endpoint"),
        endpoint: Endpoint::Introspect,
        mtls: true,
    },
    Route {
        path: "/device_authorization",
        methods: "POST",
        // Devices and command-line tools call it, not browser apps.
        cors: Cors::None,
        discovery: Some("device_authorization_endpoint"),
        endpoint: Endpoint::DeviceAuthorization,
        mtls: true,
    },
    Route {
        path: "/device",
        methods: "GET, POST",
        cors: Cors::None,
        discovery: None,
        endpoint: Endpoint::Device,
        mtls: false,
    },
    Route {
        path: "/bc-authorize",
        methods: "POST",
        // Confidential clients call it from their servers.
        cors: Cors::None,
        discovery: Some("backchannel_authentication_endpoint"),
        endpoint: Endpoint::BcAuthorize,
        mtls: true,
    },
    Route {
        path: "/ciba",
        methods: "GET, POST",
        cors: Cors::None,
        discovery: None,
        endpoint: Endpoint::Ciba,
        mtls: false,
    },
    Route {
        path: "/end_session",
        methods: "GET, POST",
        cors: Cors::None,
        discovery: Some("end_session_endpoint"),
        endpoint: Endpoint::EndSession,
        mtls: false,
    },
    Route {
        path: "/api/me",
        methods: "GET, HEAD",
        cors: Cors::Clients("GET"),
        discovery: None,
        endpoint: Endpoint::ApiMe,
        mtls: true,
    },
    Route {
        path: OWN_API_METADATA_PATH,
        methods: "GET, HEAD",
        cors: Cors::Public("GET"),
        discovery: None,
        endpoint: Endpoint::ApiMeMetadata,
        mtls: false,
    },
    Route {
        path: "/register",
        methods: "POST",
        cors: Cors::Registration("POST"),
        discovery: Some("registration_endpoint"),
        endpoint: Endpoint::Register,
        mtls: false,
    },
    Route {
        path: CLIENT_CONFIGURATION_PREFIX,
        methods: "GET, PUT, DELETE",
        cors: Cors::Registration("GET, PUT, DELETE"),
        discovery: None,
        endpoint: Endpoint::ClientConfiguration,
        mtls: false,
    },
    Route {
        path: UPSTREAM_START_PATH,
        methods: "GET",
        cors: Cors::None,
        discovery: None,
        endpoint: Endpoint::UpstreamStart,
        mtls: false,
    },
    Route {
        path: UPSTREAM_CALLBACK_PATH,
        methods: "GET",
        cors: Cors::None,
        discovery: None,
        endpoint: Endpoint::UpstreamCallback,
        mtls: false,
    },
    Route {
        path: "/par",
        methods: "POST",
        // A browser app may push its own requests, as it calls the token endpoint.
        cors: Cors::Clients("POST"),
        discovery: Some("pushed_authorization_request_endpoint"),
        endpoint: Endpoint::Par,
        mtls: true,
    },
];

/// Where the login page's "Continue with …" links lead.
pub const UPSTREAM_START_PATH: &str = "/upstream/start";
/// The redirect URI this provider registers at its upstream providers.
pub const UPSTREAM_CALLBACK_PATH: &str = "/upstream/callback";

/// Where a registered client's configuration endpoint is: this, then its `client_id`
/// (RFC 7592 §3 `registration_client_uri`).
pub const CLIENT_CONFIGURATION_PREFIX: &str = "/register/";

/// Whether a request to `path` may use a TLS client certificate (a [`Route::mtls`]
/// endpoint): the only paths where the provider looks at one, so the only ones where a host
/// need read the facts (the Worker reads `request.cf` there alone).
pub fn takes_client_certificate(path: &str) -> bool {
    route(path).is_some_and(|route| route.mtls)
}

/// The route of `path`, if any: the one with this path, or the prefix route it extends by
/// one segment.
pub fn route(path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.path == path).or_else(|| {
        ROUTES.iter().find(|route| {
            route.path.ends_with('/')
                && path
                    .strip_prefix(route.path)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
        })
    })
}

impl Route {
    /// Whether the configuration turns the route on: registration's only when
    /// `registration.enabled`, upstream sign-in's only with `upstream_providers`. A route
    /// that is off is not found, and not advertised.
    pub fn enabled(&self, config: &Config) -> bool {
        match self.endpoint {
            Endpoint::Register | Endpoint::ClientConfiguration => config.registration.enabled,
            Endpoint::UpstreamStart | Endpoint::UpstreamCallback => {
                !config.upstream_providers.is_empty()
            }
            _ => true,
        }
    }

    /// Whether the route answers `method`.
    pub fn allows(&self, method: &str) -> bool {
        self.methods.split(", ").any(|allowed| allowed == method)
    }
}

impl Provider {
    /// Answers one request. Never panics and never answers 500 for bad input: every
    /// failure is a protocol error or a 4xx page.
    pub async fn handle<S: Store, P: Pbkdf2, V: SignatureVerifier>(
        &self,
        req: &Request,
        services: &Services<'_, S, P, V>,
    ) -> Response {
        let method = req.method.as_str();
        // RFC 8705 §5: the mTLS origin serves the endpoints that take a client certificate,
        // and nothing else (no pages, so no sign-in and no cookies there).
        let on_mtls_origin = self
            .config
            .mtls
            .as_ref()
            .is_some_and(|mtls| mtls.serves(&req.url));
        let found = route(req.path())
            .filter(|route| route.enabled(&self.config) && (route.mtls || !on_mtls_origin));
        let Some(route) = found else {
            if method == "OPTIONS" {
                return self.preflight(req, Cors::None);
            }
            let not_found = Response::json(404, &serde_json::json!({ "error": "not_found" }));
            return without_body_for_head(method, not_found.no_store());
        };
        if method == "OPTIONS" {
            return self.preflight(req, route.cors);
        }
        let response = if route.allows(method) {
            dispatch(self, route.endpoint, req, services).await
        } else {
            Response::json(405, &serde_json::json!({ "error": "method_not_allowed" }))
                .with_header("allow", route.methods)
        };
        let response = without_body_for_head(method, response);
        self.with_cors(req, route.cors, response)
    }
}

/// RFC 9110 §9.3.2: an answer to HEAD is the GET's without its content, whatever the
/// status (a 404 and a 405 included).
fn without_body_for_head(method: &str, response: Response) -> Response {
    if method == "HEAD" {
        Response {
            body: Vec::new(),
            ..response
        }
    } else {
        response
    }
}

/// Sends the request to its endpoint.
async fn dispatch<S: Store, P: Pbkdf2, V: SignatureVerifier>(
    op: &Provider,
    endpoint: Endpoint,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    match endpoint {
        Endpoint::Discovery => endpoints::discovery::handle(op),
        Endpoint::Jwks => endpoints::jwks::handle(op),
        Endpoint::Authorize => endpoints::authorize::handle(op, req, services).await,
        Endpoint::Login => endpoints::login::handle(op, req, services).await,
        Endpoint::Consent => endpoints::consent::handle(op, req, services).await,
        Endpoint::Token => crate::op::token::handle(op, req, services).await,
        Endpoint::Userinfo => endpoints::userinfo::handle(op, req, services).await,
        Endpoint::Revoke => endpoints::revoke::handle(op, req, services).await,
        Endpoint::Introspect => endpoints::introspect::handle(op, req, services).await,
        Endpoint::DeviceAuthorization => {
            endpoints::device_authorization::handle(op, req, services).await
        }
        Endpoint::Device => endpoints::device::handle(op, req, services).await,
        Endpoint::BcAuthorize => endpoints::bc_authorize::handle(op, req, services).await,
        Endpoint::Ciba => endpoints::ciba::handle(op, req, services).await,
        Endpoint::EndSession => endpoints::end_session::handle(op, req, services).await,
        Endpoint::ApiMe => endpoints::api_me::handle(op, req, services).await,
        Endpoint::ApiMeMetadata => endpoints::resource_metadata::handle(op),
        Endpoint::Register => endpoints::register::handle(op, req, services).await,
        Endpoint::ClientConfiguration => {
            endpoints::client_configuration::handle(op, req, services).await
        }
        Endpoint::UpstreamStart => endpoints::upstream_start::handle(op, req, services).await,
        Endpoint::UpstreamCallback => endpoints::upstream_callback::handle(op, req, services).await,
        Endpoint::Par => endpoints::par::handle(op, req, services).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_declared_once() {
        for (i, route) in ROUTES.iter().enumerate() {
            assert!(
                ROUTES
                    .iter()
                    .skip(i + 1)
                    .all(|other| other.path != route.path),
                "{} twice",
                route.path
            );
        }
    }

    #[test]
    fn methods_are_matched_exactly() {
        let jwks = route("/jwks").unwrap();
        assert!(jwks.allows("GET") && jwks.allows("HEAD") && !jwks.allows("POST"));
        let authorize = route("/authorize").unwrap();
        assert!(!authorize.allows("HEAD") && !authorize.allows("get"));
    }

    /// RFC 8705 §5: the endpoints that authenticate clients or check bound tokens, and no
    /// page.
    #[test]
    fn certificates_are_read_where_clients_authenticate_or_tokens_are_checked() {
        for path in [
            "/token",
            "/par",
            "/revoke",
            "/introspect",
            "/device_authorization",
            "/bc-authorize",
            "/userinfo",
            "/api/me",
        ] {
            assert!(takes_client_certificate(path), "{path}");
        }
        for path in ["/authorize", "/login", "/jwks", "/register", "/nowhere", ""] {
            assert!(!takes_client_certificate(path), "{path}");
        }
    }

    #[test]
    fn a_prefix_route_takes_one_more_segment() {
        let endpoint = |path: &str| route(path).map(|r| r.endpoint);
        assert_eq!(endpoint("/register"), Some(Endpoint::Register));
        assert_eq!(
            endpoint("/register/abc"),
            Some(Endpoint::ClientConfiguration)
        );
        assert_eq!(endpoint("/register/"), Some(Endpoint::ClientConfiguration));
        assert_eq!(endpoint("/register/a/b"), None);
        assert_eq!(endpoint("/registerx"), None);
        assert_eq!(endpoint("/jwks/x"), None);
    }
}
