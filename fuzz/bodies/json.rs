//! `json`: the strict JSON parser (src/json.rs), differentially against `serde_json` with
//! duplicate names refused, and parse → serialise → parse stable.

use core::fmt;

use oidc_edge::json::parse_object;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

pub fn json(data: &[u8]) {
    let ours = parse_object(data, usize::MAX, "fuzz");
    let theirs = reference(data);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(
            same(&Value::Object(a.clone()), &Value::Object(b.clone())),
            "values differ: ours {a:?}, serde_json {b:?}"
        ),
        (Err(a), Err(b)) => assert_eq!(a.code(), *b, "both refuse, for different reasons"),
        (Ok(a), Err(b)) => panic!("ours accepts {a:?}, serde_json refuses ({b})"),
        (Err(a), Ok(b)) => panic!("ours refuses ({a:?}), serde_json accepts {b:?}"),
    }
    // The cap is checked before anything else.
    if !data.is_empty() {
        let capped = parse_object(data, data.len() - 1, "fuzz");
        assert_eq!(capped.map_err(|e| e.code()), Err("too_large"));
    }
    if let Ok(map) = ours {
        let text = serde_json::to_vec(&map).expect("a Map serialises");
        let again = parse_object(&text, usize::MAX, "fuzz").expect("serialised output re-parses");
        assert!(
            same(&Value::Object(map), &Value::Object(again.clone())),
            "parse → serialise → parse changed the value"
        );
        // A second round trip changes nothing at all, within the number tolerance.
        let text2 = serde_json::to_vec(&again).expect("a Map serialises");
        let third = parse_object(&text2, usize::MAX, "fuzz").expect("re-parses");
        assert!(same(&Value::Object(again), &Value::Object(third)));
    }
}

/// Equal values, numbers compared as f64 within a relative 1e-14 or both tiny (the
/// documented precision of src/json.rs outside the exactly representable range).
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            a == b || ((a - b) / b).abs() < 1e-14 || (a - b).abs() < 1e-300
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => ours == theirs,
    }
}

/// `serde_json` with repeated names refused: the verdict src/json.rs must agree with, as
/// the error code the crate would give.
fn reference(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match StrictValue::deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
        Ok(StrictValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err("json_not_object"),
        Err(err) if err.is_data() => Err("json_duplicate_member"),
        Err(_) => Err("json_invalid"),
    }
}

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
                return Err(de::Error::custom("duplicate member"));
            }
            let StrictValue(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let docs: [(&str, &[u8]); 6] = [
        ("header", br#"{"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"EC","crv":"P-256","x":"AAAA","y":"BBBB"}}"#),
        ("claims", br#"{"iss":"https://a.example","aud":["c1","c2"],"exp":1700000000,"nbf":-5,"iat":1.5e9,"x":null,"y":[true,false,{}]}"#),
        ("jwks", br#"{"keys":[{"kty":"RSA","n":"sXch","e":"AQAB","kid":"k1"},{"kty":"OKP","crv":"Ed25519","x":"11qY"}]}"#),
        ("strings", b"{\"s\":\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\",\"t\":\"\xc3\xa9\xf0\x9f\x98\x80\"}"),
        ("numbers", br#"{"n":[0,-0,1e308,2.2250738585072014e-308,123456789012345678901234567890,0.1,-1.5E+3,9007199254740993,-9223372036854775808,18446744073709551615,5e-324]}"#),
        ("whitespace", b" { \"a\" : [ 1 , 2 ] , \"b\" : { \"c\" : \"d\" } } \r\n\t"),
    ];
    docs.iter()
        .map(|(name, doc)| ((*name).to_owned(), doc.to_vec()))
        .collect()
}
