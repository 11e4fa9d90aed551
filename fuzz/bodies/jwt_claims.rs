//! `jwt_claims`: the claim rules of `Validation` (src/jose/jwt.rs) on arbitrary claim
//! text and options. The claims are signed with a fixed key inside the body, so every
//! input reaches the rules through `verify`; its verdict must equal the rules applied
//! directly, and an accepted token must satisfy what each rule promises.

use arbitrary::Arbitrary;
use oidc_edge::jose::jws::{MAX_TOKEN_LEN, assemble, signing_input};
use oidc_edge::jose::jwt::verify;
use oidc_edge::jose::{Alg, Claims, CompactJws, Jwk, JwkSet, Validation};
use oidc_edge::time::UnixTime;
use serde_json::{Map, Value};

use super::{Encode, Few, KEY_A, Seed, Text, algorithms_of, decode, encode_checked, text};

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Input {
    /// The JWT payload.
    pub claims: Text,
    pub header_typ: Option<Text>,
    pub issuers: Few<Text>,
    pub audiences: Few<Text>,
    /// Bit i allows `Alg::ALL[i]`; 0 allows every algorithm.
    pub algorithms: u16,
    pub typ: Option<Text>,
    pub clock_tolerance: u32,
    pub required_claims: Few<Text>,
    /// Unix seconds.
    pub now: u32,
    /// Moves `now` and the tolerance to the top of the range the JS API accepts (1e15).
    pub far: bool,
}

impl Encode for Input {
    fn encode(&self, seed: &mut Seed) {
        self.claims.encode(seed);
        self.header_typ.encode(seed);
        self.issuers.encode(seed);
        self.audiences.encode(seed);
        self.algorithms.encode(seed);
        self.typ.encode(seed);
        self.clock_tolerance.encode(seed);
        self.required_claims.encode(seed);
        self.now.encode(seed);
        self.far.encode(seed);
    }
}

const FAR: i64 = 1_000_000_000_000_000;

pub fn jwt_claims(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let key = signing_key();
    let algorithms = algorithms_of(input.algorithms);
    let validation = Validation {
        issuers: input.issuers.0.iter().map(|t| t.0.clone()).collect(),
        audiences: input.audiences.0.iter().map(|t| t.0.clone()).collect(),
        algorithms,
        typ: input.typ.as_ref().map(|t| t.0.clone()),
        clock_tolerance: if input.far {
            FAR
        } else {
            i64::from(input.clock_tolerance)
        },
        required_claims: input
            .required_claims
            .0
            .iter()
            .map(|t| t.0.clone())
            .collect(),
    };
    let now = UnixTime(if input.far {
        FAR - i64::from(input.now)
    } else {
        i64::from(input.now)
    });

    let mut header = Map::new();
    if let Some(typ) = &input.header_typ {
        header.insert("typ".into(), Value::String(typ.0.clone()));
    }
    let payload = input.claims.0.as_bytes();
    let signed = signing_input(header, Alg::Es256, payload);
    let signature = key.es256_signature(signed.as_bytes()).expect("key A signs");
    let token = assemble(&signed, &signature);

    let result = verify(&token, &keys(), &validation, now);
    if token.len() > MAX_TOKEN_LEN {
        assert_eq!(result.map(|_| ()).map_err(|e| e.code()), Err("too_large"));
        return;
    }
    // The same rules, applied directly: header, then claims.
    let jws = CompactJws::parse(&token).expect("a token signed here parses");
    let direct = validation
        .check_header(jws.header())
        .and_then(|()| Claims::parse(payload))
        .and_then(|claims| validation.check_claims(&claims, now).map(|()| claims));
    match (&result, &direct) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{a:?} vs {b:?}"),
        _ => panic!("verify {result:?} but the rules say {direct:?}"),
    }
    let Ok(verified) = result else {
        return;
    };
    let claims = verified.claims();
    assert_eq!(claims.json().as_bytes(), payload);
    let now = now.0 as f64;
    let tolerance = validation.clock_tolerance as f64;
    if let Some(exp) = claims.numeric_date("exp").expect("typed") {
        assert!(now - tolerance < exp, "expired token accepted");
    }
    if let Some(nbf) = claims.numeric_date("nbf").expect("typed") {
        assert!(now + tolerance >= nbf, "token used before nbf");
    }
    if let Some(iat) = claims.numeric_date("iat").expect("typed") {
        assert!(now + tolerance >= iat, "token issued in the future");
    }
    if !validation.issuers.is_empty() {
        let iss = claims.string("iss").expect("typed").expect("iss required");
        assert!(validation.issuers.iter().any(|i| i == iss));
    }
    if !validation.audiences.is_empty() {
        let aud = claims.audiences().expect("typed").expect("aud required");
        assert!(
            aud.iter()
                .any(|a| validation.audiences.iter().any(|e| e == a))
        );
    }
    for name in &validation.required_claims {
        assert!(claims.get(name).is_some_and(|v| !v.is_null()));
    }
    if !validation.algorithms.is_empty() {
        assert!(validation.algorithms.contains(&Alg::Es256));
    }
}

fn signing_key() -> Jwk {
    thread_local! {
        static KEY: Jwk = Jwk::from_json(KEY_A.as_bytes()).expect("key A");
    }
    KEY.with(Jwk::clone)
}

fn keys() -> JwkSet {
    JwkSet::new(vec![signing_key().to_public()])
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let good = r#"{"iss":"https://op.example","sub":"248289761001","aud":["spa","api"],"exp":1800000600,"nbf":1799999990,"iat":1800000000,"jti":"j1","scope":"openid"}"#;
    let base = Input {
        claims: text(good),
        header_typ: Some(text("at+jwt")),
        issuers: Few(vec![text("https://op.example")]),
        audiences: Few(vec![text("spa")]),
        algorithms: 1,
        typ: Some(text("application/at+jwt")),
        clock_tolerance: 5,
        required_claims: Few(vec![text("sub"), text("jti")]),
        now: 1_800_000_100,
        far: false,
    };
    let mut out = vec![("valid".to_owned(), encode_checked(&base))];
    let variants = [
        (
            "expired",
            Input {
                now: 1_800_000_700,
                ..base.clone()
            },
        ),
        (
            "not-yet",
            Input {
                now: 1_799_999_000,
                ..base.clone()
            },
        ),
        (
            "no-options",
            Input {
                issuers: Few(vec![]),
                audiences: Few(vec![]),
                algorithms: 0,
                typ: None,
                required_claims: Few(vec![]),
                ..base.clone()
            },
        ),
        (
            "bad-types",
            Input {
                claims: text(r#"{"iss":1,"aud":[1],"exp":"x","nbf":null,"iat":1e999,"sub":{}}"#),
                ..base.clone()
            },
        ),
        (
            "far",
            Input {
                far: true,
                ..base.clone()
            },
        ),
        (
            "float-times",
            Input {
                claims: text(
                    r#"{"exp":1800000100.5,"nbf":-1.5e3,"iat":1.8e9,"aud":"spa","iss":"https://op.example","sub":"s","jti":"j"}"#,
                ),
                ..base.clone()
            },
        ),
    ];
    for (name, input) in variants {
        out.push((name.to_owned(), encode_checked(&input)));
    }
    out
}
