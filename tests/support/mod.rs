//! Helpers for the native integration tests: a fixed ES256 key and a token builder that
//! can produce every malformed shape the tests need.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // Not every test file uses every helper.

use oidc_edge::b64;
use oidc_edge::jose::{Jwk, JwkSet};
use p256::ecdsa::signature::Signer;
use serde_json::{Value, json};

/// The current time the tests pretend it is.
pub const NOW: i64 = 1_800_000_000;

/// A P-256 key pair from a fixed scalar, with `kid` "es-1".
pub struct TestKey {
    pub signing: p256::ecdsa::SigningKey,
    pub kid: &'static str,
}

impl TestKey {
    pub fn new(scalar_byte: u8, kid: &'static str) -> TestKey {
        let signing = p256::ecdsa::SigningKey::from_slice(&[scalar_byte; 32]).unwrap();
        TestKey { signing, kid }
    }

    /// The public JWK, as JSON.
    pub fn public_jwk(&self) -> Value {
        let point = self.signing.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        json!({
            "kty": "EC", "crv": "P-256", "kid": self.kid,
            "x": b64::encode(&bytes[1..33]), "y": b64::encode(&bytes[33..65]),
        })
    }

    pub fn jwk(&self) -> Jwk {
        Jwk::from_json(self.public_jwk().to_string().as_bytes()).unwrap()
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet::from_json(
            json!({ "keys": [self.public_jwk()] })
                .to_string()
                .as_bytes(),
        )
        .unwrap()
    }

    /// A compact JWS of exactly these header and payload bytes, ES256-signed.
    pub fn sign_raw(&self, header: &[u8], payload: &[u8]) -> String {
        let input = format!("{}.{}", b64::encode(header), b64::encode(payload));
        let sig: p256::ecdsa::Signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", b64::encode(&sig.to_bytes()))
    }

    /// A token with header `{"alg":"ES256","kid":…}` plus `extra_header`, and `claims`.
    pub fn sign(&self, extra_header: Value, claims: Value) -> String {
        let mut header = json!({ "alg": "ES256", "kid": self.kid });
        merge(&mut header, extra_header);
        self.sign_raw(header.to_string().as_bytes(), claims.to_string().as_bytes())
    }
}

/// Claims valid at [`NOW`] for issuer "https://op.example" and audience "client-1".
pub fn good_claims() -> Value {
    json!({
        "iss": "https://op.example", "sub": "user-1", "aud": "client-1",
        "exp": NOW + 300, "iat": NOW - 10,
    })
}

/// `base` with the members of `extra` set (a `null` member removes it).
pub fn with(mut base: Value, extra: Value) -> Value {
    merge(&mut base, extra);
    base
}

fn merge(base: &mut Value, extra: Value) {
    let (Value::Object(base), Value::Object(extra)) = (base, extra) else {
        return;
    };
    for (k, v) in extra {
        if v.is_null() {
            base.remove(&k);
        } else {
            base.insert(k, v);
        }
    }
}
