//! `json`: the strict JSON parser (src/json.rs), differentially against `serde_json` with
//! duplicate names refused, and parse → serialise → parse stable.

use oidc_edge::json::parse_object;
use serde_json::Value;

#[path = "../../src/json_reference.rs"]
mod json_reference;

use json_reference::{parse_object as reference, same};

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
