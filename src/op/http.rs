//! HTTP as plain values: the provider takes a [`Request`] and returns a [`Response`], and
//! the host (the Worker, a test) converts to and from its own types.

use crate::op::form;
use crate::op::kept::FETCH_TIMEOUT_MS;
use crate::op::mtls::ClientCertificate;
use crate::secret::Secret;

/// Largest request body read, in bytes. Every endpoint's input is a small form.
pub const MAX_BODY_LEN: usize = 64 * 1024;
/// Most header fields considered; beyond it a request is refused.
pub const MAX_HEADERS: usize = 100;

/// Whether a `Content-Type` field value is of the media type `essence` (`type/subtype`,
/// RFC 9110 §8.3.1: compared in any case, parameters such as `charset` allowed).
pub fn has_media_type(content_type: &str, essence: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(essence))
}

/// Whether `token` has the syntax of a Bearer token (RFC 6750 §2.1 `b64token`):
/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. What the provider
/// puts after `Bearer ` in an `Authorization` field it sends, so nothing else may: no
/// spaces, no line breaks, nothing outside ASCII.
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// An HTTP request as the provider sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, upper case (`GET`, `POST`…).
    pub method: String,
    /// The absolute request URL.
    pub url: String,
    /// Header fields with lower-cased names, in order, repeated names kept.
    pub headers: Vec<(String, String)>,
    /// The body (at most [`MAX_BODY_LEN`] bytes: the host refuses longer ones).
    pub body: Vec<u8>,
    /// The TLS client certificate the connection presented, as the host reports it
    /// (RFC 8705); `None` without one. Only the host sets it, from what its TLS stack
    /// saw: nothing in the request (no header) ever does.
    pub client_certificate: Option<ClientCertificate>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: &str, url: &str) -> Request {
        Request {
            method: method.to_ascii_uppercase(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            client_certificate: None,
        }
    }

    /// This request as if it came over a TLS connection that presented `certificate`.
    pub fn with_client_certificate(mut self, certificate: ClientCertificate) -> Request {
        self.client_certificate = Some(certificate);
        self
    }

    /// This request with one more header field.
    pub fn with_header(mut self, name: &str, value: &str) -> Request {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// This request with a form body (`application/x-www-form-urlencoded`).
    pub fn with_form(self, pairs: &[(&str, &str)]) -> Request {
        let mut request = self.with_header("content-type", "application/x-www-form-urlencoded");
        request.body = form::encode(pairs).into_bytes();
        request
    }

    /// The first value of a header field.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header field.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The path of the URL (`/token`), without query.
    pub fn path(&self) -> &str {
        let after_scheme = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        let path_and_query = after_scheme
            .find('/')
            .and_then(|i| after_scheme.get(i..))
            .unwrap_or("/");
        path_and_query.split(['?', '#']).next().unwrap_or("/")
    }

    /// The raw query string, if any.
    pub fn query(&self) -> &str {
        let without_fragment = self.url.split('#').next().unwrap_or_default();
        without_fragment.split_once('?').map_or("", |(_, q)| q)
    }

    /// The URL without query and fragment, as DPoP's `htu` compares it.
    pub fn url_without_query(&self) -> &str {
        without_query(&self.url)
    }

    /// A cookie's value from the `Cookie` header fields.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.header_all("cookie")
            .into_iter()
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// Whether the body is declared as a form (`application/x-www-form-urlencoded`,
    /// parameters such as `charset` allowed).
    pub fn has_form_body(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| has_media_type(ct, "application/x-www-form-urlencoded"))
    }

    /// The parameters: the query for GET, the form body for POST (OpenID Connect Core
    /// §3.1.2.1 allows both at the authorization endpoint; the other endpoints take what
    /// their method carries). The error is a description for the client.
    pub fn params(&self) -> Result<form::Params, String> {
        let text = if self.method == "POST" {
            if !self.has_form_body() {
                return Err("POST bodies must be application/x-www-form-urlencoded".into());
            }
            std::str::from_utf8(&self.body).map_err(|_| "the body is not UTF-8".to_owned())?
        } else {
            self.query()
        };
        form::Params::parse(text).map_err(|err| match err {
            form::FormError::Repeated(name) => format!("parameter {name} is repeated"),
            form::FormError::TooLarge => "too many or too long parameters".into(),
            form::FormError::Malformed => "malformed parameter encoding".into(),
        })
    }
}

/// An HTTP response from the provider, and what the host is to do besides answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Work for the host after the answer ([`Effect`]); the Worker runs it in
    /// `waitUntil`, so the answer never waits on it.
    pub effects: Vec<Effect>,
}

/// Something the provider asks its host to do: the engine stays sans-IO (it sends
/// nothing itself, like quinn's transmit queue) and its host carries these out after
/// answering. A failure changes nothing in the answer already given.
///
/// `Debug` shows where and what kind of request, never its credentials: a POST's
/// `Authorization` and body (a CIBA ping's `auth_req_id`, a logout token) are left out.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// POST `body` (of type `content_type`) to `url`: a back-channel logout token
    /// (OpenID Connect Back-Channel Logout 1.0 §2.5), or a CIBA ping (CIBA Core 1.0
    /// §10.2). Fire and forget, within [`EFFECT_TIMEOUT_MS`]: no redirect followed (a 3xx
    /// is a failure), and only the answer's status read: its body, which both specifications
    /// say to ignore, is cancelled unread, so an endpoint answering a large page is still
    /// a delivery.
    Post {
        /// Where.
        url: String,
        /// The body's media type.
        content_type: &'static str,
        /// The `Authorization` field, if any (a CIBA ping's `Bearer` token): a credential
        /// of the client's, which `Debug` never shows and a host never logs.
        authorization: Option<Secret>,
        /// The body: a credential too (the `auth_req_id`, the logout token), never shown.
        body: Vec<u8>,
    },
}

impl core::fmt::Debug for Effect {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Effect::Post {
                url,
                content_type,
                authorization,
                body,
            } => f
                .debug_struct("Post")
                .field("url", &without_query(url))
                .field("content_type", content_type)
                .field("authorization", &authorization.as_ref().map(|_| "***"))
                .field("body_len", &body.len())
                .finish(),
        }
    }
}

/// `url` without its query and fragment: what `Debug` and logs show of a URL, since a
/// query may carry a client's own key or token (a `jwks_uri`, a notification endpoint).
pub fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or_default()
}

/// How long an [`Effect::Post`] may take, from the request to the answer's status: as
/// long as a document fetch may take.
pub const EFFECT_TIMEOUT_MS: u32 = FETCH_TIMEOUT_MS;

impl Response {
    /// A response with a status and no body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            effects: Vec::new(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response::json_text(status, body.to_string().into_bytes())
    }

    /// A JSON response of already serialised `body`.
    pub fn json_text(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            effects: Vec::new(),
        }
    }

    /// An HTML page.
    pub fn html(status: u16, body: String) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
            effects: Vec::new(),
        }
    }

    /// A `303 See Other` redirect (the browser follows it with `GET`, whatever the
    /// request method was).
    pub fn redirect(location: &str) -> Response {
        Response::empty(303).with_header("location", location)
    }

    /// This response with more work for the host.
    pub fn with_effects(mut self, effects: impl IntoIterator<Item = Effect>) -> Response {
        self.effects.extend(effects);
        self
    }

    /// This response with one more header field.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// This response with a header field set to one value, replacing any it had.
    pub fn set_header(mut self, name: &str, value: &str) -> Response {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.with_header(name, value)
    }

    /// This response marked as not to be stored by any cache (RFC 9111 §5.2.2.5). `Pragma`
    /// is not sent: RFC 9111 §5.4 deprecates it, and every cache since HTTP/1.1 obeys
    /// `Cache-Control`; each field a response carries is work on every hop.
    pub fn no_store(self) -> Response {
        self.with_header("cache-control", "no-store")
    }

    /// This response marked as holding tokens or credentials (an access or refresh token, an
    /// authorization, device or CIBA request code, a client secret or registration access
    /// token): [`Response::no_store`], plus the `Pragma: no-cache` RFC 6749 §5.1 asks for
    /// beside it on such responses.
    pub fn no_store_credentials(self) -> Response {
        self.no_store().with_header("pragma", "no-cache")
    }

    /// The first value of a header field.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not JSON), for tests and adapters.
    pub fn json_body(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9111 §5.2.2.5 everywhere; RFC 6749 §5.1's Pragma only beside credentials
    /// (RFC 9111 §5.4 deprecates it).
    #[test]
    fn no_store_and_pragma() {
        let plain = Response::empty(200).no_store();
        assert_eq!(plain.header("cache-control"), Some("no-store"));
        assert_eq!(plain.header("pragma"), None);
        let credentials = Response::empty(200).no_store_credentials();
        assert_eq!(credentials.header("cache-control"), Some("no-store"));
        assert_eq!(credentials.header("pragma"), Some("no-cache"));
    }

    /// RFC 9110 §8.3.1: the type and subtype compared in any case, parameters ignored.
    #[test]
    fn media_types() {
        for yes in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            " application/json ;charset=UTF-8",
        ] {
            assert!(has_media_type(yes, "application/json"), "{yes}");
        }
        for no in [
            "application/jwt",
            "text/json",
            "application/jsonx",
            "application/json-seq",
            "",
        ] {
            assert!(!has_media_type(no, "application/json"), "{no}");
        }
    }

    /// RFC 6750 §2.1 `b64token`.
    #[test]
    fn bearer_token_syntax() {
        for good in [
            "a",
            "8d67dc78-7faa-4d41",
            "a+/b=",
            "x==",
            "-._~",
            "eyJ.eyJ.c2ln",
        ] {
            assert!(is_b64token(good), "{good}");
        }
        for bad in ["", "=", "a b", "a=b", "a\r\nX: y", "é", "a\0", "\"a\""] {
            assert!(!is_b64token(bad), "{bad:?}");
        }
    }

    #[test]
    fn url_parts_and_cookies() {
        let req = Request::new("get", "https://op.example/authorize?a=1&b=2#f")
            .with_header("Cookie", "x=1; oe_session=abc")
            .with_header("cookie", "y=2");
        assert_eq!(req.method, "GET");
        assert_eq!(req.path(), "/authorize");
        assert_eq!(req.query(), "a=1&b=2");
        assert_eq!(req.url_without_query(), "https://op.example/authorize");
        assert_eq!(req.cookie("oe_session"), Some("abc"));
        assert_eq!(req.cookie("y"), Some("2"));
        assert_eq!(req.cookie("z"), None);
        assert_eq!(Request::new("GET", "https://op.example").path(), "/");
    }

    /// An effect's `Debug` names the request (URL without query, media type, body length)
    /// and never shows its credentials: neither the `Authorization` field nor the body, as text or
    /// as the bytes a derived `Debug` would print.
    #[test]
    fn effect_debug_hides_the_credentials() {
        let body = br#"{"auth_req_id":"the-auth-req-id"}"#.to_vec();
        let effect = Effect::Post {
            url: "https://client.example/ciba?tenant_key=the-tenant-key#frag".into(),
            content_type: "application/json",
            authorization: Some(Secret::new("Bearer the-notification-token".into())),
            body: body.clone(),
        };
        let shown = format!("{effect:?} {effect:#?}");
        assert!(shown.contains("https://client.example/ciba"), "{shown}");
        assert!(shown.contains("application/json"), "{shown}");
        assert!(shown.contains(&body.len().to_string()), "{shown}");
        // The query may carry a client's own key: shown without it.
        for hidden in [
            "the-auth-req-id",
            "the-notification-token",
            "Bearer",
            "tenant_key",
            "frag",
        ] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        // The body's bytes as a derived `Debug` prints them (`[123, 34, …]`).
        let as_bytes = format!("{:?}", &body[..8]);
        let as_bytes = as_bytes.trim_end_matches(']');
        assert!(!shown.contains(as_bytes), "{shown}");
    }
}
