//! `dpop_proof`: DPoP proof checks (src/dpop/check.rs, htu.rs, nonce.rs) with arbitrary
//! proof text, or proofs signed here from arbitrary headers and claims (so the checks
//! after the signature are reached), against arbitrary check options. An accepted proof
//! satisfies every rule of RFC 9449 §4.3, and a replay of it is refused.

use arbitrary::Arbitrary;
use oidc_edge::dpop::check::{ProofCheck, check_proof, www_authenticate};
use oidc_edge::dpop::{NonceKey, NoncePolicy, access_token_hash, htu, oauth_error};
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::{RustCrypto, run_ready};
use oidc_edge::jose::{Alg, Jwk};
use oidc_edge::json::parse_object;
use oidc_edge::store::MemoryStore;
use oidc_edge::time::{FixedClock, UnixTime};
use serde_json::{Map, Value};

use super::{Encode, KEY_A, KEY_B, Seed, Text, algorithms_of, decode, encode_checked, text};

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum ProofText {
    Raw(Text),
    Signed(Signed),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Signed {
    pub key: HeaderKey,
    pub typ: Option<Text>,
    pub extra_header: Option<(Text, Text)>,
    pub claims: ClaimText,
}

/// The header's `jwk`: key A or B (public), key A with its private `d`, none, or any
/// JSON (text that does not parse becomes a string). The proof is signed with B for B,
/// with A otherwise.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub enum HeaderKeyKind {
    A,
    B,
    APrivate,
    Absent,
    Json,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct HeaderKey {
    pub kind: HeaderKeyKind,
    pub json: Text,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum ClaimText {
    Raw(Text),
    Built(Built),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Built {
    pub jti: Option<Text>,
    pub htm: Option<Text>,
    pub htu: Option<Text>,
    /// Seconds from `now`.
    pub iat: Option<i16>,
    pub nonce: ClaimNonce,
    pub ath: Ath,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum ClaimNonce {
    Absent,
    Current,
    Text(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Ath {
    Absent,
    OfToken,
    Text(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Bound {
    None,
    A,
    Text(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Nonce {
    NotRequired,
    Exact(Text),
    Stateless,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Input {
    pub proof: ProofText,
    /// How many `DPoP` header fields carry the proof (modulo 3).
    pub copies: u8,
    pub method: Text,
    pub uri: Text,
    pub access_token: Option<Text>,
    pub bound: Bound,
    pub nonce: Nonce,
    /// Bit i allows `Alg::ALL[i]`; 0 allows every algorithm.
    pub algorithms: u16,
    pub max_age: u32,
    pub clock_tolerance: u32,
    pub now: u32,
    pub replay: bool,
}

pub fn dpop_proof(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let now = UnixTime(i64::from(input.now));
    let nonce_key = NonceKey::from_key(&[7; 32]);
    let proof = match &input.proof {
        ProofText::Raw(text) => text.0.clone(),
        ProofText::Signed(signed) => sign(signed, &input, &nonce_key, now),
    };
    let algorithms = algorithms_of(input.algorithms);
    let key_a = key(KEY_A).to_public();
    let bound = match &input.bound {
        Bound::None => None,
        Bound::A => Some(key_a.thumbprint()),
        Bound::Text(t) => Some(t.0.clone()),
    };
    let check = ProofCheck {
        method: &input.method.0,
        uri: &input.uri.0,
        access_token: input.access_token.as_ref().map(Text::as_str),
        bound_jkt: bound.as_deref(),
        nonce: match &input.nonce {
            Nonce::NotRequired => NoncePolicy::NotRequired,
            Nonce::Exact(t) => NoncePolicy::Exact(&t.0),
            Nonce::Stateless => NoncePolicy::Stateless(&nonce_key),
        },
        algorithms: &algorithms,
        max_age: i64::from(input.max_age),
        clock_tolerance: i64::from(input.clock_tolerance),
    };
    let headers: Vec<&str> = (0..input.copies % 3).map(|_| proof.as_str()).collect();
    let store = MemoryStore::new(FixedClock(now));
    let replay = input.replay.then_some(&store);
    let result = run_ready(check_proof(&headers, &check, now, &RustCrypto, replay));

    // htu normalisation is idempotent.
    for uri in [check.uri, proof.as_str()] {
        if let Ok(normal) = htu::normalize(uri) {
            assert_eq!(htu::normalize(&normal).ok(), Some(normal.clone()));
            assert!(!normal.contains(['?', '#']));
        }
    }
    let checked = match result {
        Ok(checked) => checked,
        Err(err) => {
            let challenge =
                www_authenticate(Some(oauth_error(&err)), Some(&err.to_string()), &algorithms);
            assert!(
                challenge.chars().all(|c| c == ' ' || c.is_ascii_graphic()),
                "challenge {challenge:?}"
            );
            return;
        }
    };
    assert_eq!(headers.len(), 1);
    let jws = oidc_edge::jose::CompactJws::parse(&proof).expect("an accepted proof parses");
    let header_key = Jwk::from_object(jws.header().jwk().expect("has jwk")).expect("jwk");
    assert!(!header_key.is_private());
    assert_eq!(checked.jkt, header_key.thumbprint());
    assert!(algorithms.is_empty() || algorithms.contains(&jws.header().alg));
    let claims = parse_object(jws.payload(), usize::MAX, "claims").expect("claims");
    assert_eq!(
        claims.get("htm").and_then(Value::as_str),
        Some(check.method)
    );
    assert_eq!(
        claims.get("jti").and_then(Value::as_str),
        Some(checked.jti.as_str())
    );
    assert!(!checked.jti.is_empty() && checked.jti.len() <= 256);
    let claimed = claims.get("htu").and_then(Value::as_str).expect("htu");
    assert_eq!(htu::normalize(claimed).ok(), htu::normalize(check.uri).ok());
    let tolerance = check.clock_tolerance;
    assert!(checked.iat >= now.0 - check.max_age - tolerance - 1);
    assert!(checked.iat <= now.0 + tolerance);
    if let Some(token) = check.access_token {
        assert_eq!(
            claims.get("ath").and_then(Value::as_str),
            Some(access_token_hash(token).as_str())
        );
    }
    if let Some(bound) = check.bound_jkt {
        assert_eq!(bound, checked.jkt);
    }
    match check.nonce {
        NoncePolicy::NotRequired => {}
        NoncePolicy::Exact(expected) => {
            assert_eq!(claims.get("nonce").and_then(Value::as_str), Some(expected));
        }
        NoncePolicy::Stateless(key) => {
            let nonce = claims.get("nonce").and_then(Value::as_str).expect("nonce");
            assert!(key.accepts(nonce, now));
        }
    }
    if let Some(store) = replay {
        let again = run_ready(check_proof(&headers, &check, now, &RustCrypto, Some(store)));
        assert_eq!(again.map(|_| ()).map_err(|e| e.code()), Err("dpop_replay"));
    }
}

fn key(json: &str) -> Jwk {
    Jwk::from_json(json.as_bytes()).expect("fixed key")
}

fn sign(signed: &Signed, input: &Input, nonce_key: &NonceKey, now: UnixTime) -> String {
    let key_a = key(KEY_A);
    let key_b = key(KEY_B);
    let mut header = Map::new();
    if let Some(typ) = &signed.typ {
        header.insert("typ".into(), Value::String(typ.0.clone()));
    }
    let signer = match signed.key.kind {
        HeaderKeyKind::B => &key_b,
        _ => &key_a,
    };
    let jwk = match signed.key.kind {
        HeaderKeyKind::A => Some(Value::Object(key_a.public_json())),
        HeaderKeyKind::B => Some(Value::Object(key_b.public_json())),
        HeaderKeyKind::APrivate => serde_json::from_str(KEY_A).ok(),
        HeaderKeyKind::Absent => None,
        HeaderKeyKind::Json => Some(
            serde_json::from_str(&signed.key.json.0)
                .unwrap_or_else(|_| Value::String(signed.key.json.0.clone())),
        ),
    };
    if let Some(jwk) = jwk {
        header.insert("jwk".into(), jwk);
    }
    if let Some((name, value)) = &signed.extra_header {
        header.insert(name.0.clone(), Value::String(value.0.clone()));
    }
    let payload = match &signed.claims {
        ClaimText::Raw(text) => text.0.clone(),
        ClaimText::Built(built) => {
            let mut claims = Map::new();
            let mut put = |name: &str, value: Value| {
                claims.insert(name.to_owned(), value);
            };
            if let Some(jti) = &built.jti {
                put("jti", Value::String(jti.0.clone()));
            }
            if let Some(htm) = &built.htm {
                put("htm", Value::String(htm.0.clone()));
            }
            if let Some(htu) = &built.htu {
                put("htu", Value::String(htu.0.clone()));
            }
            if let Some(offset) = built.iat {
                put("iat", Value::from(now.0 + i64::from(offset)));
            }
            match &built.nonce {
                ClaimNonce::Absent => {}
                ClaimNonce::Current => put("nonce", Value::String(nonce_key.current(now))),
                ClaimNonce::Text(t) => put("nonce", Value::String(t.0.clone())),
            }
            match (&built.ath, &input.access_token) {
                (Ath::OfToken, Some(token)) => {
                    put("ath", Value::String(access_token_hash(&token.0)));
                }
                (Ath::Text(t), _) => put("ath", Value::String(t.0.clone())),
                _ => {}
            }
            Value::Object(claims).to_string()
        }
    };
    let signing = signing_input(header, Alg::Es256, payload.as_bytes());
    let signature = signer.es256_signature(signing.as_bytes()).expect("signs");
    assemble(&signing, &signature)
}

impl Encode for Input {
    fn encode(&self, seed: &mut Seed) {
        match &self.proof {
            ProofText::Raw(t) => {
                seed.variant(0, 2);
                t.encode(seed);
            }
            ProofText::Signed(s) => {
                seed.variant(1, 2);
                seed.variant(s.key.kind as u32, 5);
                s.key.json.encode(seed);
                s.typ.encode(seed);
                s.extra_header.encode(seed);
                match &s.claims {
                    ClaimText::Raw(t) => {
                        seed.variant(0, 2);
                        t.encode(seed);
                    }
                    ClaimText::Built(b) => {
                        seed.variant(1, 2);
                        b.jti.encode(seed);
                        b.htm.encode(seed);
                        b.htu.encode(seed);
                        b.iat.encode(seed);
                        match &b.nonce {
                            ClaimNonce::Absent => {
                                seed.variant(0, 3);
                            }
                            ClaimNonce::Current => {
                                seed.variant(1, 3);
                            }
                            ClaimNonce::Text(t) => {
                                seed.variant(2, 3);
                                t.encode(seed);
                            }
                        }
                        match &b.ath {
                            Ath::Absent => {
                                seed.variant(0, 3);
                            }
                            Ath::OfToken => {
                                seed.variant(1, 3);
                            }
                            Ath::Text(t) => {
                                seed.variant(2, 3);
                                t.encode(seed);
                            }
                        }
                    }
                }
            }
        }
        self.copies.encode(seed);
        self.method.encode(seed);
        self.uri.encode(seed);
        self.access_token.encode(seed);
        match &self.bound {
            Bound::None => {
                seed.variant(0, 3);
            }
            Bound::A => {
                seed.variant(1, 3);
            }
            Bound::Text(t) => {
                seed.variant(2, 3);
                t.encode(seed);
            }
        }
        match &self.nonce {
            Nonce::NotRequired => {
                seed.variant(0, 3);
            }
            Nonce::Exact(t) => {
                seed.variant(1, 3);
                t.encode(seed);
            }
            Nonce::Stateless => {
                seed.variant(2, 3);
            }
        }
        self.algorithms.encode(seed);
        self.max_age.encode(seed);
        self.clock_tolerance.encode(seed);
        self.now.encode(seed);
        self.replay.encode(seed);
    }
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    const TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    let built = Built {
        jti: Some(text("e1j3V_bKic8-LAEB")),
        htm: Some(text("POST")),
        htu: Some(text("https://server.example.com/token")),
        iat: Some(-2),
        nonce: ClaimNonce::Absent,
        ath: Ath::Absent,
    };
    let signed = Signed {
        key: HeaderKey {
            kind: HeaderKeyKind::A,
            json: text(""),
        },
        typ: Some(text("dpop+jwt")),
        extra_header: None,
        claims: ClaimText::Built(built.clone()),
    };
    let base = Input {
        proof: ProofText::Signed(signed.clone()),
        copies: 1,
        method: text("POST"),
        uri: text("https://server.example.com/token"),
        access_token: None,
        bound: Bound::None,
        nonce: Nonce::NotRequired,
        algorithms: 0,
        max_age: 300,
        clock_tolerance: 5,
        now: 1_800_000_000,
        replay: true,
    };
    let with_claims = |built: Built| {
        ProofText::Signed(Signed {
            claims: ClaimText::Built(built),
            ..signed.clone()
        })
    };
    let variants = vec![
        ("valid", base.clone()),
        (
            "resource-ath-bound-nonce",
            Input {
                proof: with_claims(Built {
                    htm: Some(text("GET")),
                    htu: Some(text("HTTPS://Server.Example.COM:443/api/me?x=1")),
                    nonce: ClaimNonce::Current,
                    ath: Ath::OfToken,
                    ..built.clone()
                }),
                method: text("GET"),
                uri: text("https://server.example.com/api/me"),
                access_token: Some(text(TOKEN)),
                bound: Bound::A,
                nonce: Nonce::Stateless,
                algorithms: 1,
                ..base.clone()
            },
        ),
        (
            "exact-nonce",
            Input {
                proof: with_claims(Built {
                    nonce: ClaimNonce::Text(text("eyJ7S_zG.eyJH0-Z.HX4w-7v")),
                    ..built.clone()
                }),
                nonce: Nonce::Exact(text("eyJ7S_zG.eyJH0-Z.HX4w-7v")),
                ..base.clone()
            },
        ),
        (
            "key-b",
            Input {
                proof: ProofText::Signed(Signed {
                    key: HeaderKey {
                        kind: HeaderKeyKind::B,
                        json: text(""),
                    },
                    ..signed.clone()
                }),
                ..base.clone()
            },
        ),
        (
            "private-jwk",
            Input {
                proof: ProofText::Signed(Signed {
                    key: HeaderKey {
                        kind: HeaderKeyKind::APrivate,
                        json: text(""),
                    },
                    ..signed.clone()
                }),
                ..base.clone()
            },
        ),
        (
            "rsa-jwk",
            Input {
                proof: ProofText::Signed(Signed {
                    key: HeaderKey {
                        kind: HeaderKeyKind::Json,
                        json: text(
                            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
                        ),
                    },
                    ..signed.clone()
                }),
                ..base.clone()
            },
        ),
        (
            "raw-claims",
            Input {
                proof: ProofText::Signed(Signed {
                    claims: ClaimText::Raw(text(
                        r#"{"jti":"x","htm":"POST","htu":"https://server.example.com/token","iat":1800000000.5}"#,
                    )),
                    ..signed.clone()
                }),
                ..base.clone()
            },
        ),
        (
            "raw-proof",
            Input {
                proof: ProofText::Raw(text(
                    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg",
                )),
                now: 1_562_262_618,
                ..base.clone()
            },
        ),
    ];
    variants
        .into_iter()
        .map(|(name, input)| (name.to_owned(), encode_checked(&input)))
        .collect()
}
