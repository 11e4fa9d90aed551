//! `jws_compact`: compact JWS parsing (src/jose/jws.rs) and verification
//! (src/jose/jwt.rs) of arbitrary text; a parsed JWS re-encodes to its own signing input
//! and token, and the two base64url decoders agree.

use oidc_edge::b64;
use oidc_edge::jose::jws::{MAX_HEADER_LEN, assemble};
use oidc_edge::jose::jwt::verify;
use oidc_edge::jose::{Alg, CompactJws, JwkSet, Validation};
use oidc_edge::json::parse_object;
use oidc_edge::time::UnixTime;

use super::{KEY_A, KEY_B};

pub fn jws_compact(data: &[u8]) {
    let Ok(token) = core::str::from_utf8(data) else {
        return;
    };
    // The fast decoder of public segments refuses and accepts exactly what the
    // constant-time one does.
    for part in token.split('.').take(6) {
        assert_eq!(
            b64::decode_public(part).ok(),
            b64::decode(part).ok(),
            "decoders disagree on {part:?}"
        );
    }
    let parsed = CompactJws::parse(token);
    if let Ok(jws) = &parsed {
        let header = jws.header();
        let again = format!(
            "{}.{}",
            b64::encode(header.json.as_bytes()),
            b64::encode(jws.payload())
        );
        assert_eq!(again.as_bytes(), jws.signing_input(), "signing input");
        assert_eq!(assemble(&again, jws.signature()), token, "token");
        let raw = parse_object(header.json.as_bytes(), MAX_HEADER_LEN, "JWS header")
            .expect("the header text re-parses");
        assert_eq!(raw, header.raw);
        assert_eq!(Alg::parse(header.alg.as_str()).ok(), Some(header.alg));
        assert_eq!(
            raw.get("alg").and_then(|v| v.as_str()),
            Some(header.alg.as_str())
        );
        assert_eq!(
            raw.get("kid").and_then(|v| v.as_str()),
            header.kid.as_deref()
        );
        assert_eq!(
            raw.get("typ").and_then(|v| v.as_str()),
            header.typ.as_deref()
        );
    }
    let keys = keys();
    let verified = verify(
        token,
        &keys,
        &Validation::default(),
        UnixTime(1_800_000_000),
    );
    if let Ok(verified) = verified {
        let jws = parsed.expect("a verified token parses");
        assert_eq!(verified.claims().json().as_bytes(), jws.payload());
        assert!(
            keys.keys()
                .iter()
                .any(|k| k.thumbprint() == verified.key().thumbprint())
        );
    }
}

fn keys() -> JwkSet {
    thread_local! {
        static KEYS: JwkSet = {
            let a = oidc_edge::jose::Jwk::from_json(KEY_A.as_bytes()).expect("key A").to_public();
            let b = oidc_edge::jose::Jwk::from_json(KEY_B.as_bytes()).expect("key B").to_public();
            JwkSet::new(vec![a, b])
        };
    }
    KEYS.with(JwkSet::clone)
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use oidc_edge::jose::Jwk;
    use oidc_edge::jose::jws::signing_input;
    use serde_json::{Map, Value, json};
    let key = Jwk::from_json(KEY_A.as_bytes()).expect("key A");
    let sign = |header: Value, claims: Value| {
        let Value::Object(header) = header else {
            unreachable!()
        };
        let input = signing_input(header, Alg::Es256, claims.to_string().as_bytes());
        assemble(
            &input,
            &key.es256_signature(input.as_bytes()).expect("signs"),
        )
    };
    let rfc7515_a3 = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    let claims = json!({"iss":"https://op.example","sub":"s","aud":"spa","exp":1_800_000_600,"iat":1_800_000_000});
    let _ = Map::<String, Value>::new();
    vec![
        ("rfc7515-a3".to_owned(), rfc7515_a3.as_bytes().to_vec()),
        (
            "signed-a".to_owned(),
            sign(json!({"typ":"JWT"}), claims.clone()).into_bytes(),
        ),
        (
            "signed-kid-crit".to_owned(),
            sign(json!({"kid":"k","crit":["exp"],"exp":1}), claims.clone()).into_bytes(),
        ),
        (
            "signed-jwk".to_owned(),
            sign(
                json!({"typ":"dpop+jwt","jwk":Value::Object(key.to_public().public_json())}),
                claims,
            )
            .into_bytes(),
        ),
        (
            "none".to_owned(),
            b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_vec(),
        ),
        (
            "jwe".to_owned(),
            b"eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d".to_vec(),
        ),
    ]
}
