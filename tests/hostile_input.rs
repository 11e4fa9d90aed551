//! Hostile input is normal input: mutated tokens, keys and key sets never panic, and every
//! rejection carries a stable code. A deterministic mutation loop (no dependency, same
//! inputs every run) over valid seeds; `cargo fuzz`-style coverage guidance is not needed
//! to catch the panics this looks for (slicing, unwraps, arithmetic overflow in parsers).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use oidc_edge::jose::jwt::verify;
use oidc_edge::jose::{CompactJws, Jwk, JwkSet, Validation};
use oidc_edge::time::UnixTime;
use serde_json::json;
use support::{NOW, TestKey, good_claims};

/// xorshift64*: a tiny deterministic generator, so a failure reproduces exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[
    b".",
    b"=",
    b"+",
    b"/",
    b"\0",
    b"\xff",
    b"{",
    b"}",
    b"\"",
    b"\\u0000",
    b"[",
    b"]",
    b"e9",
    b"-1",
    b"1e999",
    b"null",
    b"AAAA",
    b"eyJ",
    b"\xf0\x9f\x98\x80",
];

/// One random edit: flip a bit, delete a range, duplicate a range, or insert a token.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(3) {
        let len = out.len();
        match rng.below(4) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let start = rng.below(len);
                let end = (start + rng.below(16)).min(len);
                out.drain(start..end);
            }
            2 if len > 0 => {
                let start = rng.below(len);
                let end = (start + rng.below(64)).min(len);
                let copy = out[start..end].to_vec();
                let at = rng.below(len);
                out.splice(at..at, copy);
            }
            _ => {
                let token = INTERESTING[rng.below(INTERESTING.len())];
                let at = rng.below(len + 1);
                out.splice(at..at, token.iter().copied());
            }
        }
    }
    out
}

#[test]
fn mutated_tokens_never_panic_and_fail_with_a_code() {
    let key = TestKey::new(7, "es-1");
    let keys = key.jwks();
    let seeds = [
        key.sign(json!({ "typ": "JWT" }), good_claims()),
        key.sign(json!({ "crit": ["x"], "x": 1 }), good_claims()),
        key.sign(
            json!({ "jwk": key.public_jwk() }),
            json!({ "aud": ["a", "b"], "nbf": 1.5 }),
        ),
    ];
    let validation = Validation {
        audiences: vec!["client-1".into()],
        ..Validation::default()
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut rejected = 0;
    for i in 0..10_000 {
        let seed = seeds[i % seeds.len()].as_bytes();
        let mutated = mutate(&mut rng, seed);
        let Ok(text) = std::str::from_utf8(&mutated) else {
            continue;
        };
        let _ = CompactJws::parse(text);
        if let Err(err) = verify(text, &keys, &validation, UnixTime(NOW)) {
            assert!(!err.code().is_empty());
            rejected += 1;
        }
    }
    assert!(
        rejected > 7_500,
        "mutations should almost always be rejected, got {rejected}"
    );
}

#[test]
fn mutated_keys_and_key_sets_never_panic() {
    let key = TestKey::new(7, "es-1");
    let seeds = [
        key.public_jwk().to_string(),
        json!({ "keys": [key.public_jwk(), { "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }] })
            .to_string(),
        json!({ "kty": "RSA", "e": "AQAB", "n": "x".repeat(342) }).to_string(),
    ];
    let mut rng = Rng(42);
    for i in 0..10_000 {
        let mutated = mutate(&mut rng, seeds[i % seeds.len()].as_bytes());
        for result in [
            Jwk::from_json(&mutated).map(|_| ()),
            JwkSet::from_json(&mutated).map(|_| ()),
        ] {
            if let Err(err) = result {
                assert!(!err.code().is_empty());
            }
        }
    }
}
