//! What the provider reads from elsewhere on the web: a client's keys at its `jwks_uri`
//! (RFC 7591 §2), client ID metadata documents ([`crate::op::clients::document`]), and,
//! as a relying party of an upstream provider, that provider's discovery document, keys,
//! token endpoint and UserInfo endpoint ([`crate::op::upstream`]). The core is sans-IO, so
//! the request is the host's ([`Fetcher`], in [`Services`](crate::op::Services)); what is
//! fetched, how much of it is read and for how long it is kept are the core's
//! ([`crate::op::kept`]).

use core::future::Future;
use core::pin::Pin;

/// The future of one request.
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Fetched, FetchError>> + 'a>>;

/// How much a request may read, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// The most body bytes read: past it the request fails with [`FetchError::TooLarge`]
    /// (from `Content-Length` before reading, or while reading), never truncated.
    pub max_bytes: usize,
    /// The whole request, headers and body, in milliseconds: past it,
    /// [`FetchError::TimedOut`].
    pub timeout_ms: u32,
}

/// Fetches documents for the provider. Object-safe (one boxed future per request), so
/// [`Services`](crate::op::Services) carries it without another type parameter.
///
/// A host implements [`Fetcher::get`] as a plain `GET` of `url`, which the core has already
/// checked (`https://`, or `http://` on a loopback host for a configured client's
/// `jwks_uri`; on a public host for what a client names itself, and for an upstream
/// provider's documents outside development): no cookies, credentials or
/// client certificates; **no redirect followed** (a 3xx is answered as it is, and the core
/// refuses it: a redirect could move the request to another host); `limits` enforced.
/// Nothing else of the request is the host's to choose.
///
/// [`Fetcher::post_form`] and [`Fetcher::get_bearer`] are the two requests that carry
/// something of the provider's: a token request to an upstream provider, with the
/// provider's client credentials there, and a UserInfo request with the access token that
/// upstream issued.
pub trait Fetcher {
    /// The answer to `GET url`, any status; an error only when there is no answer within
    /// `limits` (or no answer at all: the network, DNS, TLS, a refused connection).
    fn get<'a>(&'a self, url: &'a str, limits: FetchLimits) -> FetchFuture<'a>;

    /// The answer to a `POST` of `post.form` (`application/x-www-form-urlencoded`) to
    /// `post.url`, with `Authorization: post.authorization` when given and
    /// `Accept: application/json`; any status, under the same rules and limits as
    /// [`Fetcher::get`] (no redirect followed, no cookies). The authorization is a
    /// credential: a host never logs it, nor the form.
    fn post_form<'a>(&'a self, post: FormPost<'a>, limits: FetchLimits) -> FetchFuture<'a>;

    /// The answer to `GET get.url` with `Authorization: Bearer get.access_token` (RFC 6750
    /// §2.1) and `Accept: application/json`; any status, under the same rules and limits as
    /// [`Fetcher::get`]. The access token is a credential: a host never logs it.
    fn get_bearer<'a>(&'a self, get: BearerGet<'a>, limits: FetchLimits) -> FetchFuture<'a>;
}

/// A GET the provider makes with an access token: a UserInfo request at an upstream
/// provider (OpenID Connect Core §5.3.1).
#[derive(Clone, Copy)]
pub struct BearerGet<'a> {
    /// Where, already checked by the core.
    pub url: &'a str,
    /// The access token, sent as a Bearer token.
    pub access_token: &'a str,
}

impl core::fmt::Debug for BearerGet<'_> {
    /// The URL without its query only: the access token is a credential, and a query may
    /// carry one too.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BearerGet")
            .field("url", &crate::op::http::without_query(self.url))
            .finish_non_exhaustive()
    }
}

/// A form POST the provider makes: a token request at an upstream provider (RFC 6749
/// §4.1.3).
#[derive(Clone, Copy)]
pub struct FormPost<'a> {
    /// Where, already checked by the core.
    pub url: &'a str,
    /// The `Authorization` field (`Basic …`, RFC 6749 §2.3.1), if any.
    pub authorization: Option<&'a str>,
    /// The form, already encoded.
    pub form: &'a [u8],
}

impl core::fmt::Debug for FormPost<'_> {
    /// The URL without its query only: the form and the authorization carry credentials,
    /// and a query may carry one too.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FormPost")
            .field("url", &crate::op::http::without_query(self.url))
            .finish_non_exhaustive()
    }
}

/// An answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The HTTP status.
    pub status: u16,
    /// The `Cache-Control` field, if any (every field line joined with `, `, as the Fetch
    /// standard's `Headers.get` gives it).
    pub cache_control: Option<String>,
    /// The `Content-Type` field, if any.
    pub content_type: Option<String>,
    /// The body, at most [`FetchLimits::max_bytes`] long.
    pub body: Vec<u8>,
}

/// Why a request has no answer. The core treats them alike (whoever needed the document does
/// without it); the distinction is for the host's logs and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    /// The body is longer than [`FetchLimits::max_bytes`].
    TooLarge,
    /// No whole answer within [`FetchLimits::timeout_ms`].
    TimedOut,
    /// No answer: the network, DNS, TLS, a refused connection, a host that cannot fetch.
    Failed,
}

impl core::fmt::Display for FetchError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            FetchError::TooLarge => "the document is larger than the limit",
            FetchError::TimedOut => "no answer within the time limit",
            FetchError::Failed => "no answer",
        })
    }
}

/// A host that fetches nothing: every request fails. For hosts without a network (and
/// tests that need none); a client with a `jwks_uri` then never authenticates, and no
/// upstream provider can be reached.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFetch;

impl Fetcher for NoFetch {
    fn get<'a>(&'a self, _url: &'a str, _limits: FetchLimits) -> FetchFuture<'a> {
        Box::pin(core::future::ready(Err(FetchError::Failed)))
    }

    fn post_form<'a>(&'a self, _post: FormPost<'a>, _limits: FetchLimits) -> FetchFuture<'a> {
        Box::pin(core::future::ready(Err(FetchError::Failed)))
    }

    fn get_bearer<'a>(&'a self, _get: BearerGet<'a>, _limits: FetchLimits) -> FetchFuture<'a> {
        Box::pin(core::future::ready(Err(FetchError::Failed)))
    }
}

/// The lifetime a `Cache-Control` field gives a response, in seconds (RFC 9111 §5.2.2):
/// `Some(0)` for `no-store` or `no-cache` (which win over any `max-age`), `Some(n)` for
/// `max-age=n` (quoted or not; the first one counts), `None` when it says neither. Other
/// directives (`s-maxage`, `private`, …) say nothing to this one cache.
pub fn max_age(cache_control: &str) -> Option<u64> {
    let mut max_age = None;
    for directive in cache_control.split(',') {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Some(0);
        }
        if max_age.is_none() && name.eq_ignore_ascii_case("max-age") {
            let digits = value.map(|v| v.trim_matches('"')).unwrap_or_default();
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                // RFC 9111 §1.2.2: a delta-seconds too large to hold is the largest there is.
                max_age = Some(digits.parse::<u64>().unwrap_or(u64::MAX));
            }
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::verifier::run_ready;

    /// `Debug` shows where a request goes, never a credential: not the access token or the
    /// form, and not the URL's query, which may carry one.
    #[test]
    fn debug_shows_no_credential() {
        let get = BearerGet {
            url: "https://up.example/userinfo?key=the-query-key",
            access_token: "the-access-token",
        };
        let post = FormPost {
            url: "https://up.example/token?key=the-query-key",
            authorization: Some("Basic the-basic-credentials"),
            form: b"code=the-code",
        };
        for shown in [format!("{get:?}"), format!("{post:?}")] {
            assert!(shown.contains("https://up.example/"), "{shown}");
            for secret in ["the-query-key", "the-access-token", "the-basic", "the-code"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
    }

    #[test]
    fn max_age_reads_the_directives_that_matter() {
        for (field, expected) in [
            ("max-age=600", Some(600)),
            ("public, max-age=86400, must-revalidate", Some(86_400)),
            ("MAX-AGE = \"120\"", Some(120)),
            ("max-age=60, max-age=7", Some(60)),
            ("s-maxage=600", None),
            ("max-age=", None),
            ("max-age=-1", None),
            ("max-age=1e3", None),
            ("max-age=99999999999999999999999", Some(u64::MAX)),
            ("max-age=600, no-cache", Some(0)),
            ("no-store", Some(0)),
            ("private", None),
            ("", None),
        ] {
            assert_eq!(max_age(field), expected, "{field:?}");
        }
    }

    #[test]
    fn no_fetch_fails() {
        let limits = FetchLimits {
            max_bytes: 1,
            timeout_ms: 1,
        };
        assert_eq!(
            run_ready(async {
                Ok::<_, crate::Error>(NoFetch.get("https://a.example/", limits).await)
            })
            .ok(),
            Some(Err(FetchError::Failed))
        );
    }
}
