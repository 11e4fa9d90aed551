//! The URIs a configuration holds: the issuer, redirect URIs and CORS origins.

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
        let (host, after_host) = authority
            .split_at_checked(close.saturating_add(1))
            .ok_or("has an unterminated IPv6 address")?;
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
pub(super) fn check_issuer(text: &str) -> Result<(), &'static str> {
    let uri = parse_http_uri(text)?;
    if uri.rest.contains('?') {
        return Err("must not contain a query (OpenID Connect Discovery §3)");
    }
    if uri.rest.ends_with('/') {
        return Err("must not end with a slash (the discovery path is appended to it)");
    }
    // Discovery allows an issuer with a path, but this provider serves every endpoint
    // from the root of its host: with a path, discovery and every endpoint it advertises
    // would answer 404 (found by the config fuzz target).
    if !uri.rest.is_empty() {
        return Err("must not have a path: the provider serves from the root of its host");
    }
    Ok(())
}

/// A redirect URI (RFC 6749 §3.1.2): absolute, no fragment, https or http on loopback.
/// A query is allowed.
pub(super) fn check_redirect_uri(text: &str) -> Result<(), &'static str> {
    parse_http_uri(text).map(|_| ())
}

/// A native app's redirect URI (RFC 8252 §7): what [`check_redirect_uri`] takes, or a
/// private-use scheme (§7.1) named after a domain the app controls, in reverse order
/// (`com.example.app:/callback`). The period that makes it a reverse domain name is what
/// keeps out `javascript:`, `data:`, `file:` and every other scheme a browser acts on.
pub(super) fn check_native_redirect_uri(text: &str) -> Result<(), &'static str> {
    if parse_http_uri(text).is_ok() {
        return Ok(());
    }
    let Some((scheme, rest)) = text.split_once(':') else {
        return check_redirect_uri(text);
    };
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        return check_redirect_uri(text);
    }
    if !is_scheme(scheme)
        || !scheme.contains('.')
        || scheme.starts_with('.')
        || scheme.ends_with('.')
    {
        return Err(
            "must be https, http on a loopback address, or a private-use scheme named after a \
             domain in reverse order, such as com.example.app:/callback (RFC 8252 §7.1)",
        );
    }
    if rest.is_empty() || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be visible ASCII without spaces, with a path after the scheme");
    }
    if text.contains('#') {
        return Err("must not contain a fragment (RFC 6749 §3.1.2)");
    }
    Ok(())
}

/// Whether `text` is a URI scheme (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
pub(crate) fn is_scheme(text: &str) -> bool {
    text.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Whether `requested` is `registered` with another port, both being `http` URIs on a
/// loopback IP literal: RFC 8252 §7.3 has a native app listen on whatever port the
/// system gives it at the time of the request. Not `localhost`, a name that may resolve
/// elsewhere (§8.3): it is compared exactly, as every other URI is.
pub(super) fn same_but_loopback_port(registered: &str, requested: &str) -> bool {
    let loopback_ip = |uri: &HttpUri<'_>| !uri.https && matches!(uri.host, "127.0.0.1" | "[::1]");
    match (parse_http_uri(registered), parse_http_uri(requested)) {
        (Ok(r), Ok(q)) => {
            loopback_ip(&r) && loopback_ip(&q) && r.host == q.host && r.rest == q.rest
        }
        _ => false,
    }
}

/// An origin as browsers send it (RFC 6454 §6.2): `scheme://host[:port]`, lowercase, no
/// default port, no path, not even a trailing slash; otherwise it could never match the
/// `Origin` header.
pub(super) fn check_origin(text: &str) -> Result<(), &'static str> {
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

/// Whether `text` could be the `Origin` a browser app sends from the web (RFC 6454 §6.2):
/// an origin as [`check_origin`] takes one, so https, or http on a loopback host.
pub(crate) fn is_web_origin(text: &str) -> bool {
    check_origin(text).is_ok()
}

/// The origin a browser sends from a page at `uri` (RFC 6454 §6.2): `scheme://host[:port]`
/// with the host in lowercase and without the scheme's default port; `None` for what is not
/// an https URI or an http one on a loopback host (a private-use scheme has no web origin).
pub(crate) fn web_origin_of(uri: &str) -> Option<String> {
    let parsed = parse_http_uri(uri).ok()?;
    let scheme = if parsed.https { "https" } else { "http" };
    let default_port = if parsed.https { "443" } else { "80" };
    let host = parsed.host.to_ascii_lowercase();
    Some(match parsed.port.filter(|port| *port != default_port) {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// What a URI's host is, for the URIs the provider fetches on a client's word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostKind {
    /// A DNS name, or an address on the public internet.
    Public,
    /// `localhost` (RFC 6761 §6.3: and every name under it) or a loopback address.
    Loopback,
    /// An address of a private, link-local, shared, reserved or documentation range, or an
    /// address written in a form that is not the canonical one (`0x7f.1`, `2130706433`):
    /// what a URL parser would make of it is not what this check would read.
    Private,
}

/// The kind of `host`, as [`parse_http_uri`] returns it (a name, a dotted IPv4 address or
/// a bracketed IPv6 one). A DNS name counts as public: where it resolves is the runtime's
/// to police (on Workers, `global_fetch_strictly_public` and Cloudflare's own network).
fn host_kind(host: &str) -> HostKind {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    if host == "localhost" || host.ends_with(".localhost") {
        return HostKind::Loopback;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return match inner.parse::<std::net::Ipv6Addr>() {
            Ok(address) => ipv6_kind(address),
            Err(_) => HostKind::Private,
        };
    }
    // WHATWG URL §3.5 ("ends in a number"): a host whose last label is a number is an IPv4
    // address to a URL parser, in whatever base and with however many parts it is written.
    let last = host.rsplit('.').next().unwrap_or_default();
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last
                .strip_prefix("0x")
                .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit())));
    if !numeric {
        // A name of one label (`intranet`, `metadata`) is resolved by local search domains,
        // never on the public internet; empty or overlong labels are no name at all.
        let labels_ok = host
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63);
        return if labels_ok && host.contains('.') {
            HostKind::Public
        } else {
            HostKind::Private
        };
    }
    match canonical_ipv4(host) {
        Some(address) => ipv4_kind(address),
        None => HostKind::Private,
    }
}

/// A dotted-decimal IPv4 address with four parts and no leading zeros, the one form read
/// here; `None` for every other form.
fn canonical_ipv4(host: &str) -> Option<std::net::Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    let canonical = parts.len() == 4
        && parts.iter().all(|part| {
            !part.is_empty()
                && part.len() <= 3
                && part.bytes().all(|b| b.is_ascii_digit())
                && (part.len() == 1 || !part.starts_with('0'))
        });
    if !canonical {
        return None;
    }
    host.parse().ok()
}

fn ipv4_kind(address: std::net::Ipv4Addr) -> HostKind {
    if address.is_loopback() {
        return HostKind::Loopback;
    }
    let [a, b, c, _] = address.octets();
    let special = address.is_private()
        || address.is_link_local()
        || address.is_unspecified()
        || address.is_broadcast()
        || address.is_documentation()
        || address.is_multicast()
        || a == 0
        // Shared address space (RFC 6598), IETF protocol assignments (RFC 6890),
        // benchmarking (RFC 2544), reserved (RFC 1112).
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240;
    if special {
        HostKind::Private
    } else {
        HostKind::Public
    }
}

fn ipv6_kind(address: std::net::Ipv6Addr) -> HostKind {
    if address.is_loopback() {
        return HostKind::Loopback;
    }
    if let Some(v4) = address.to_ipv4_mapped() {
        return ipv4_kind(v4);
    }
    let [first, second, ..] = address.segments();
    // Global unicast only (RFC 4291 §2.4: 2000::/3), without the ranges in it that carry
    // or stand for other addresses: IETF protocol assignments and Teredo (2001::/23),
    // documentation (2001:db8::/32), 6to4 (2002::/16).
    let global = (first & 0xe000) == 0x2000
        && !(first == 0x2001 && second < 0x0200)
        && !(first == 0x2001 && second == 0x0db8)
        && first != 0x2002;
    if global {
        HostKind::Public
    } else {
        HostKind::Private
    }
}

/// A URI the provider fetches (or posts to) because a client that registered itself, or
/// that a metadata document describes, named it: `https://` on a public host, or on
/// `localhost` and loopback addresses when `allow_loopback` (`registration.allow_loopback_fetch`,
/// for development). A configured client's URIs are the operator's and follow
/// `check_redirect_uri` instead.
pub fn check_fetch_uri(text: &str, allow_loopback: bool) -> Result<(), &'static str> {
    let uri = parse_http_uri(text)?;
    if !uri.https {
        return Err("must be an https:// URI: the provider fetches it");
    }
    match host_kind(uri.host) {
        HostKind::Public => Ok(()),
        HostKind::Loopback if allow_loopback => Ok(()),
        HostKind::Loopback => Err(
            "must name a public host: the provider does not fetch from localhost (registration.allow_loopback_fetch allows it in development)",
        ),
        HostKind::Private => Err(
            "must name a public host: the provider does not fetch from private, link-local or reserved addresses, nor from addresses in uncommon notations",
        ),
    }
}

/// An upstream provider's issuer, and every endpoint its discovery document names, which
/// the provider fetches and posts to as a relying party: `https://` on a public host; on
/// `localhost` or a loopback address (`http://` or `https://`) only when `development` (the
/// provider's own issuer is on localhost), so a second provider on the same machine can be
/// the upstream in development and tests, and never in production.
pub fn check_upstream_uri(text: &str, development: bool) -> Result<(), &'static str> {
    let uri = parse_http_uri(text)?;
    match host_kind(uri.host) {
        HostKind::Public if uri.https => Ok(()),
        HostKind::Loopback if development => Ok(()),
        HostKind::Public | HostKind::Loopback => Err(
            "must be an https:// URI on a public host (localhost only with an http://localhost issuer, for development)",
        ),
        HostKind::Private => Err(
            "must name a public host: the provider does not fetch from private, link-local or reserved addresses, nor from addresses in uncommon notations",
        ),
    }
}

/// A client identifier that is the URL of its metadata document
/// (draft-ietf-oauth-client-id-metadata-document §3): `https://`, a path other than `/`
/// without `.` or `..` segments (percent-encoded or not), no fragment, no user information;
/// a query and a port allowed; at most 255 characters, as every `client_id`. The host must
/// be one [`check_fetch_uri`] fetches from.
pub fn check_client_id_url(text: &str, allow_loopback: bool) -> Result<(), &'static str> {
    if text.len() > super::MAX_ID_LEN {
        return Err("must be at most 255 characters, as every client_id here");
    }
    check_fetch_uri(text, allow_loopback)?;
    let uri = parse_http_uri(text)?;
    let path = uri.rest.split('?').next().unwrap_or_default();
    if path.len() < 2 {
        return Err("must have a path: the URL of the client's metadata document");
    }
    let dot_segment = path.split('/').any(|segment| {
        matches!(
            segment.to_ascii_lowercase().as_str(),
            "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
        )
    });
    if dot_segment {
        return Err("must not have . or .. path segments");
    }
    Ok(())
}

/// Whether an issuer (already checked) is plain-HTTP on a loopback host: a development
/// setup, the only one where fetching from localhost may be allowed.
pub fn is_loopback_issuer(issuer: &str) -> bool {
    parse_http_uri(issuer).is_ok_and(|uri| !uri.https)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetched_uris_name_public_hosts() {
        for public in [
            "https://client.example/keys",
            "https://8.8.8.8/x",
            "https://[2606:4700::1111]/x",
            "https://sub.example.com:8443/jwks?x=1",
        ] {
            assert_eq!(check_fetch_uri(public, false), Ok(()), "{public}");
        }
        for private in [
            "https://10.0.0.1/x",
            "https://172.16.5.4/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://255.255.255.255/x",
            "https://[fc00::1]/x",
            "https://[fe80::1]/x",
            "https://[::]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://[2001:db8::1]/x",
            "https://0x7f.0.0.1/x",
            "https://2130706433/x",
            "https://127.1/x",
            "https://010.0.0.1/x",
            "https://./x",
            "https://intranet/x",
            "https://a..example/x",
        ] {
            assert!(check_fetch_uri(private, true).is_err(), "{private}");
        }
        for loopback in [
            "https://localhost/x",
            "https://LOCALHOST./x",
            "https://a.localhost:8443/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://[::ffff:127.0.0.1]/x",
        ] {
            assert!(check_fetch_uri(loopback, false).is_err(), "{loopback}");
            assert_eq!(check_fetch_uri(loopback, true), Ok(()), "{loopback}");
        }
        assert!(
            check_fetch_uri("http://localhost/x", true).is_err(),
            "https only"
        );
    }

    #[test]
    fn upstream_uris_are_public_https_except_in_development() {
        for uri in [
            "https://accounts.example.com",
            "https://login.example.com/tenant/v2.0",
            "https://idp.example/",
        ] {
            assert_eq!(check_upstream_uri(uri, false), Ok(()), "{uri}");
        }
        for uri in [
            "http://127.0.0.1:8788",
            "http://localhost:8788",
            "https://localhost/idp",
            "https://[::1]:9000",
        ] {
            assert!(check_upstream_uri(uri, false).is_err(), "{uri}");
            assert_eq!(check_upstream_uri(uri, true), Ok(()), "{uri}");
        }
        for uri in [
            "http://idp.example",
            "https://10.0.0.1/",
            "https://intranet/",
            "https://0x7f000001/",
            "https://idp.example/#x",
            "https://user@idp.example/",
        ] {
            assert!(check_upstream_uri(uri, true).is_err(), "{uri}");
        }
    }

    #[test]
    fn client_id_urls_follow_the_metadata_document_rules() {
        assert_eq!(
            check_client_id_url("https://app.example/client.json", false),
            Ok(())
        );
        assert_eq!(
            check_client_id_url("https://app.example:8443/oauth/client?v=2", false),
            Ok(())
        );
        for bad in [
            "https://app.example",
            "https://app.example/",
            "https://app.example/a/../client.json",
            "https://app.example/./client.json",
            "https://app.example/a/%2E%2e/b",
            "https://app.example/client.json#x",
            "https://user@app.example/client.json",
            "http://app.example/client.json",
            "https://10.1.2.3/client.json",
        ] {
            assert!(check_client_id_url(bad, false).is_err(), "{bad}");
        }
    }
}
