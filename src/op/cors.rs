//! CORS (Fetch §3.2): which answers a page on another origin may read. Each route declares
//! one policy (`routes.rs`), by who calls it:
//!
//! - public documents (discovery, the JWKS, protected-resource metadata): every origin,
//!   with `*`. The answer is the same for every request, so it needs no `Vary: Origin`.
//! - registration (RFC 7591, RFC 7592): every origin, with `*`, as a browser MCP host must
//!   register. A page adds one thing a script with curl lacks: the addresses of everyone
//!   who visits it, each of whom its script can make register, out of reach of the
//!   per-address limit. What bounds that is the deployment-wide limit
//!   (`registration.max_per_hour`, `endpoints::register`), at the price of refusing
//!   everyone's registrations while a flood lasts.
//! - client endpoints (token, revocation, PAR, UserInfo, the provider's own API): a
//!   preflight carries no client, so it is answered for any origin that is a client's or
//!   could be one (`Provider::may_be_client_origin`); the request itself is decided once
//!   its client is known (`Provider::origin_allowed_for`): an origin that client does not
//!   allow is refused with `invalid_request` before anything single-use is spent: a code,
//!   a refresh token, a `private_key_jwt` assertion's or a DPoP proof's `jti` all stay
//!   good from the right origin. That refusal is readable by the page, as every
//!   answer of the route is to an origin the preflight accepts: it says nothing a request
//!   from curl would not, and a readable error names the mistake where a network error
//!   would look like an outage.
//!
//! No policy involves credentials (`Access-Control-Allow-Credentials` is never sent): tokens
//! travel in headers and bodies, never in cookies.

use super::config::{Client, is_web_origin};
use super::http::{Request, Response};
use super::provider::Provider;

/// Who may read a route's answers from another origin, with the methods a preflight allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cors {
    /// No one: pages and `/authorize` are navigations, not fetches, and the endpoints that
    /// servers and devices call (introspection, device authorization, CIBA) are no page's.
    None,
    /// Every origin, with `*`: documents anyone may read.
    Public(&'static str),
    /// Every origin, with `*`, sending `Authorization` (an initial or registration access
    /// token) and `Content-Type` (JSON): dynamic registration and its management.
    Registration(&'static str),
    /// Browser apps as clients: origins that are a client's, each request checked against
    /// its own client.
    Clients(&'static str),
}

/// The request headers a browser app sends to a client endpoint.
const CLIENT_REQUEST_HEADERS: &str = "Authorization, Content-Type, DPoP";
/// The response headers of a client endpoint a browser app reads.
const CLIENT_EXPOSED_HEADERS: &str = "DPoP-Nonce, WWW-Authenticate";
/// The request headers a registration sends.
const REGISTRATION_REQUEST_HEADERS: &str = "Authorization, Content-Type";
/// The response headers of registration a page reads: the challenge of a missing initial
/// access token, and when to come back after the rate limit.
const REGISTRATION_EXPOSED_HEADERS: &str = "WWW-Authenticate, Retry-After";
/// How long a browser may keep a preflight's answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The request's `Origin` (RFC 6454 §7): `None` without one. A request with several is no
/// browser's, and counts as one from an origin nothing allows (`""`).
pub(crate) fn request_origin(req: &Request) -> Option<&str> {
    match req.header_all("origin").as_slice() {
        [] => None,
        [origin] => Some(origin),
        _ => Some(""),
    }
}

impl Provider {
    /// Whether `origin` is a client's, or could be: one a configured client lists, or, when
    /// clients may arrive on their own (registration or metadata documents), any web origin
    /// (https, or http on loopback), where a client could have its redirect URI.
    pub(crate) fn may_be_client_origin(&self, origin: &str) -> bool {
        self.config
            .clients
            .iter()
            .any(|c| c.allowed_origins.iter().any(|o| o == origin))
            || (self.config.registration.any() && is_web_origin(origin))
    }

    /// Whether the request may call a client endpoint as `client`: it comes from no
    /// browser page (no `Origin`), from the issuer's own origin (same-origin: no CORS), or
    /// from an origin the client allows ([`Client::allows_origin`]). The issuer's origin is
    /// the one a browser sends (lowercase host, no default port), not the configured text,
    /// which may differ in either.
    pub(crate) fn origin_allowed_for(&self, req: &Request, client: &Client) -> bool {
        match request_origin(req) {
            None => true,
            Some(origin) => origin == self.config.issuer_origin() || client.allows_origin(origin),
        }
    }

    /// The CORS headers of an answer on a route with policy `cors`.
    pub(crate) fn with_cors(&self, req: &Request, cors: Cors, response: Response) -> Response {
        match cors {
            Cors::None => response,
            Cors::Public(_) => response.with_header("access-control-allow-origin", "*"),
            Cors::Registration(_) => response
                .with_header("access-control-allow-origin", "*")
                .with_header(
                    "access-control-expose-headers",
                    REGISTRATION_EXPOSED_HEADERS,
                ),
            // The answer depends on the origin: caches keep them apart.
            Cors::Clients(_) => match request_origin(req) {
                Some(origin) if self.may_be_client_origin(origin) => response
                    .with_header("access-control-allow-origin", origin)
                    .with_header("access-control-expose-headers", CLIENT_EXPOSED_HEADERS)
                    .with_header("vary", "Origin"),
                _ => response.with_header("vary", "Origin"),
            },
        }
    }

    /// Answers a CORS preflight (Fetch §3.2.2) on a route with policy `cors`: `403` unless
    /// the route and the origin allow it.
    pub(crate) fn preflight(&self, req: &Request, cors: Cors) -> Response {
        let allowed = |methods: &str, headers: &str| {
            Response::empty(204)
                .with_header("access-control-allow-methods", methods)
                .with_header("access-control-allow-headers", headers)
                .with_header("access-control-max-age", PREFLIGHT_MAX_AGE)
        };
        match cors {
            Cors::None => Response::empty(403),
            // Any header: nothing is sent with credentials (`*` covers every header but
            // `Authorization`, which no public document reads).
            Cors::Public(methods) => {
                allowed(methods, "*").with_header("access-control-allow-origin", "*")
            }
            Cors::Registration(methods) => allowed(methods, REGISTRATION_REQUEST_HEADERS)
                .with_header("access-control-allow-origin", "*"),
            Cors::Clients(methods) => match request_origin(req) {
                Some(origin) if self.may_be_client_origin(origin) => {
                    allowed(methods, CLIENT_REQUEST_HEADERS)
                        .with_header("access-control-allow-origin", origin)
                        .with_header("vary", "Origin")
                }
                _ => Response::empty(403),
            },
        }
    }
}
