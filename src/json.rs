//! Strict JSON for untrusted input: a size cap, objects only at the top, and duplicate
//! member names rejected at every depth.
//!
//! RFC 7515 §5.2 lets a JWS parser either reject duplicate Header Parameter names or
//! take the last one; taking one silently is how two parsers come to disagree about the
//! same token, so this crate rejects them, in headers, claims and JWKs alike.

use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::Error;

/// Parses `bytes` as one JSON object of at most `max_len` bytes.
///
/// `what` names the document in errors ("JWS header", "JWT claims", "JWK").
pub fn parse_object(
    bytes: &[u8],
    max_len: usize,
    what: &'static str,
) -> Result<Map<String, Value>, Error> {
    if bytes.len() > max_len {
        return Err(Error::TooLarge { what, max: max_len });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = StrictValue::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(StrictValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err(Error::JsonNotObject { what }),
        // The visitor accepts every JSON type, so its "duplicate member" error is the only
        // data-category error it can raise (checking the category avoids formatting it).
        Err(err) if err.is_data() => Err(Error::JsonDuplicateMember { what }),
        Err(_) => Err(Error::JsonInvalid { what }),
    }
}

const DUPLICATE: &str = "duplicate member";

/// A `serde_json::Value` whose objects were checked for duplicate member names.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE} {key:?}")));
            }
            let StrictValue(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Map<String, Value>, Error> {
        parse_object(text.as_bytes(), 1000, "test")
    }

    #[test]
    fn accepts_objects() {
        let map = parse(r#"{"a":1,"b":[true,null,"x"],"c":{"d":1.5}}"#).unwrap();
        assert_eq!(map["a"], 1);
        assert_eq!(map["c"]["d"], 1.5);
    }

    /// RFC 7515 §5.2 / RFC 7519 §4: this crate rejects duplicate member names.
    #[test]
    fn rejects_duplicates_at_any_depth() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"x":{"a":1,"a":1}}"#,
            r#"{"x":[{"a":1,"a":1}]}"#,
        ] {
            assert_eq!(
                parse(text).unwrap_err().code(),
                "json_duplicate_member",
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_non_objects_trailing_data_and_oversize() {
        assert_eq!(parse("[1]").unwrap_err().code(), "json_not_object");
        assert_eq!(parse("\"a\"").unwrap_err().code(), "json_not_object");
        assert_eq!(parse(r#"{"a":1} x"#).unwrap_err().code(), "json_invalid");
        assert_eq!(parse(r#"{"a":1}{}"#).unwrap_err().code(), "json_invalid");
        assert_eq!(parse("{").unwrap_err().code(), "json_invalid");
        assert_eq!(parse("").unwrap_err().code(), "json_invalid");
        let big = format!(r#"{{"a":"{}"}}"#, "x".repeat(1000));
        assert_eq!(parse(&big).unwrap_err().code(), "too_large");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(
            parse_object(deep.as_bytes(), 100_000, "t")
                .unwrap_err()
                .code(),
            "json_invalid"
        );
    }
}
