//! `application/x-www-form-urlencoded` (WHATWG URL §5) for query strings and form bodies,
//! with the limits and rules of an OAuth server: at most [`MAX_PARAMS`] parameters, and
//! a parameter sent twice is an error (RFC 6749 §3.1, §3.2), except those a specification
//! lets repeat ([`REPEATABLE`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::percent;

/// Most parameters accepted in one query or body.
pub const MAX_PARAMS: usize = 64;
/// Longest single value accepted, in bytes after decoding.
pub const MAX_VALUE_LEN: usize = 8 * 1024;

/// Why a form could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// A parameter appears more than once.
    Repeated(String),
    /// Too many parameters, or a value too long.
    TooLarge,
    /// Bad percent-encoding or invalid UTF-8.
    Malformed,
}

/// The parameters that may be sent more than once: `resource` (RFC 8707 §2) and
/// `audience` (RFC 8693 §2.1).
pub const REPEATABLE: [&str; 2] = ["resource", "audience"];

/// Decoded parameters; empty values count as absent (RFC 6749 §3.1). Stored as they are
/// (a pushed authorization request keeps its parameters until they are used).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    /// Parses `a=1&b=2`.
    pub fn parse(text: &str) -> Result<Params, FormError> {
        let pairs = text.split('&').filter(|p| !p.is_empty()).map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode_component(name)?, decode_component(value)?))
        });
        Params::from_pairs(pairs)
    }

    /// Parameters from decoded pairs (the members of a request object, RFC 9101 §4), by
    /// the rules of [`Params::parse`]: its limits, and a name repeated only if it is
    /// [`REPEATABLE`].
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = Result<(String, String), FormError>>,
    ) -> Result<Params, FormError> {
        let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (count, pair) in pairs.into_iter().enumerate() {
            if count >= MAX_PARAMS {
                return Err(FormError::TooLarge);
            }
            let (name, value) = pair?;
            if value.len() > MAX_VALUE_LEN {
                return Err(FormError::TooLarge);
            }
            if value.is_empty() {
                continue;
            }
            match params.get_mut(&name) {
                Some(values) if REPEATABLE.contains(&name.as_str()) => {
                    Vec::push(values, value);
                }
                Some(_) => return Err(FormError::Repeated(name)),
                None => {
                    params.insert(name, vec![value]);
                }
            }
        }
        Ok(Params(params))
    }

    /// A parameter's value (the first, for a repeatable one).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    /// Every value of a parameter, in order: one at most, unless it is [`REPEATABLE`].
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .get(name)
            .map(|values| values.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Whether a parameter is present.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// These parameters with `name` set to `value` alone.
    pub fn with(mut self, name: &str, value: &str) -> Params {
        self.0.insert(name.to_owned(), vec![value.to_owned()]);
        self
    }

    /// These parameters without `name`.
    pub fn without(mut self, name: &str) -> Params {
        self.0.remove(name);
        self
    }
}

/// Decodes one form-urlencoded component (`+` is a space, `%XX` a byte, UTF-8 required).
pub fn decode_component(text: &str) -> Result<String, FormError> {
    let mut bytes = text.bytes();
    let mut out = Vec::with_capacity(text.len());
    while let Some(byte) = bytes.next() {
        out.push(match byte {
            b'+' => b' ',
            b'%' => percent::escaped_byte(&mut bytes).ok_or(FormError::Malformed)?,
            other => other,
        });
    }
    String::from_utf8(out).map_err(|_| FormError::Malformed)
}

/// Encodes pairs as `application/x-www-form-urlencoded`.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but the unreserved characters (RFC 3986 §2.3), so the
/// result is safe in a query string and in a form body alike.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_skips_empty_values() {
        let p = Params::parse("a=1+2&b=%C3%A9%2B&c=&d&e=x%3Dy").unwrap();
        assert_eq!(p.get("a"), Some("1 2"));
        assert_eq!(p.get("b"), Some("é+"));
        assert_eq!(p.get("c"), None);
        assert_eq!(p.get("d"), None);
        assert_eq!(p.get("e"), Some("x=y"));
    }

    /// RFC 6749 §3.1: parameters MUST NOT be included more than once.
    #[test]
    fn repeated_parameters_are_errors() {
        assert_eq!(
            Params::parse("a=1&a=2"),
            Err(FormError::Repeated("a".into()))
        );
    }

    #[test]
    fn malformed_and_oversize() {
        for bad in ["a=%", "a=%4", "a=%zz", "a=%FF"] {
            assert_eq!(Params::parse(bad), Err(FormError::Malformed), "{bad}");
        }
        let many: Vec<String> = (0..65).map(|i| format!("p{i}=1")).collect();
        assert_eq!(Params::parse(&many.join("&")), Err(FormError::TooLarge));
        let long = format!("a={}", "x".repeat(MAX_VALUE_LEN + 1));
        assert_eq!(Params::parse(&long), Err(FormError::TooLarge));
    }

    #[test]
    fn encode_round_trips() {
        let text = encode(&[("redirect_uri", "https://c.example/cb?x=1"), ("s", "a b+é")]);
        let p = Params::parse(&text).unwrap();
        assert_eq!(p.get("redirect_uri"), Some("https://c.example/cb?x=1"));
        assert_eq!(p.get("s"), Some("a b+é"));
    }
}
