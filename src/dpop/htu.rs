//! The `htu` of a DPoP proof: the request URI without query and fragment (RFC 9449
//! §4.2), compared after syntax- and scheme-based normalisation (RFC 3986 §6.2.2–6.2.3,
//! as RFC 9449 §4.3 step 9 asks).
//!
//! Only absolute `http` / `https` URIs are accepted. Normalising: scheme and host to
//! lower case, the default port dropped, an empty path made `/`, percent-encodings
//! upper-cased, percent-encoded unreserved characters decoded.

use crate::{Error, percent};

/// Longest URI accepted as an `htu` or a request URI.
pub const MAX_URI_LEN: usize = 4096;

/// Normalises `uri` for comparison and drops its query and fragment.
pub fn normalize(uri: &str) -> Result<String, Error> {
    let invalid = |reason| Error::DpopInvalidUri { reason };
    if uri.len() > MAX_URI_LEN {
        return Err(invalid("longer than 4096 bytes"));
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("contains spaces, controls or non-ASCII characters"));
    }
    let without_fragment = uri.split('#').next().unwrap_or_default();
    let without_query = without_fragment.split('?').next().unwrap_or_default();
    let (scheme, rest) = without_query
        .split_once("://")
        .ok_or(invalid("not an absolute URI"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return Err(invalid("scheme must be http or https")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(invalid("user information is not allowed"));
    }
    let (host, port) = split_port(authority).ok_or(invalid("malformed port"))?;
    if host.is_empty() {
        return Err(invalid("missing host"));
    }
    // A colon belongs only in an IP literal (RFC 3986 §3.2.2): `host:8443:` is not `host`
    // with an empty port, and `::` is no host at all.
    if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
        return Err(invalid("malformed port"));
    }
    let mut out = String::with_capacity(uri.len());
    out.push_str(&scheme);
    out.push_str("://");
    // The host is case-insensitive (RFC 3986 §6.2.2.1): lower-cased once escapes of
    // unreserved characters are decoded (`%55` is `U`, so `u`), then the remaining
    // escapes upper-cased again.
    let host = normalize_percent(host)?.to_ascii_lowercase();
    out.push_str(&normalize_percent(&host)?);
    if let Some(port) = port.filter(|p| *p != default_port) {
        out.push(':');
        out.push_str(port);
    }
    if path.is_empty() {
        out.push('/');
    } else {
        out.push_str(&normalize_percent(path)?);
    }
    Ok(out)
}

/// Splits `host[:port]` (IPv6 literals in brackets); the port must be digits, and an
/// empty port (`host:`) counts as absent (RFC 3986 §6.2.3).
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port),
        _ => return Some((authority, None)),
    };
    if port.is_empty() {
        return Some((host, None));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err() {
        return None;
    }
    let trimmed = port.trim_start_matches('0');
    Some((host, Some(if trimmed.is_empty() { "0" } else { trimmed })))
}

/// Upper-cases percent-encodings and decodes those of unreserved characters.
fn normalize_percent(text: &str) -> Result<String, Error> {
    let mut bytes = text.bytes();
    let mut out = String::with_capacity(text.len());
    while let Some(byte) = bytes.next() {
        if byte != b'%' {
            out.push(char::from(byte));
            continue;
        }
        let value = percent::escaped_byte(&mut bytes).ok_or(Error::DpopInvalidUri {
            reason: "invalid percent-encoding",
        })?;
        if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(value));
        } else {
            // By hand: `format!` here was what kept `core::fmt::write` on the package's DPoP
            // proof path.
            out.push('%');
            for nibble in [value / 16, value % 16] {
                let digit = char::from_digit(u32::from(nibble), 16).unwrap_or('0');
                out.push(digit.to_ascii_uppercase());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9449 §4.3 step 9 with RFC 3986 §6.2.2 / §6.2.3 normalisation.
    #[test]
    fn equivalent_uris_normalise_alike() {
        let canonical = "https://server.example.com/token";
        for uri in [
            "https://server.example.com/token",
            "HTTPS://Server.Example.COM/token",
            "https://server.example.com:443/token",
            "https://server.example.com:/token",
            "https://server.example.com/token?x=1",
            "https://server.example.com/token#frag",
            "https://server.example.com/%74oken",
            "https://%53erver.example.com/token",
        ] {
            assert_eq!(normalize(uri).unwrap(), canonical, "{uri}");
        }
        assert_eq!(
            normalize("http://localhost:8787").unwrap(),
            "http://localhost:8787/"
        );
        assert_eq!(
            normalize("http://localhost:80/a%2fb").unwrap(),
            "http://localhost/a%2Fb"
        );
        assert_eq!(
            normalize("http://[::1]:8080/x").unwrap(),
            "http://[::1]:8080/x"
        );
        assert_eq!(normalize("http://[::1]/x").unwrap(), "http://[::1]/x");
    }

    #[test]
    fn different_uris_stay_different() {
        let a = normalize("https://server.example.com/token").unwrap();
        for other in [
            "http://server.example.com/token",
            "https://server.example.com:8443/token",
            "https://server.example.com/Token",
            "https://server.example.com/token/",
            "https://other.example.com/token",
        ] {
            assert_ne!(normalize(other).unwrap(), a, "{other}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_http_uri() {
        for bad in [
            "",
            "/token",
            "ftp://x/y",
            "https://user@x/y",
            "https:///y",
            "https://x:99999/",
            "https://x:8a/",
            "https://x:8443:/y",
            "http://::",
            "https://x/a b",
            "https://x/%4",
            "https://x/%zz",
            "https://x/é",
        ] {
            assert_eq!(
                normalize(bad).unwrap_err().code(),
                "dpop_invalid_uri",
                "{bad:?}"
            );
        }
        let long = format!("https://x/{}", "a".repeat(5000));
        assert_eq!(normalize(&long).unwrap_err().code(), "dpop_invalid_uri");
    }
}
