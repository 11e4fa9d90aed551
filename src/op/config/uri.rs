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
