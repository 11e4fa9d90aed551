//! A client's own keys, for what it signs: `private_key_jwt` assertions (RFC 7523 §3) and
//! request objects (RFC 9101 §4).

use oidc_edge::jose::Alg;
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::TokenSigner;
use oidc_edge::op::keys::SigningKeys;
use serde_json::{Map, Value, json};

use super::{ISSUER, Op};

/// `client_assertion_type` of a JWT assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's key pair: the private half to sign with, the public JWK it registers.
pub struct ClientKey {
    pub private: SigningKeys,
    pub public: Value,
    pub kid: String,
    pub alg: Alg,
}

/// A new key pair of `alg` named `kid`.
pub fn client_key(alg: Alg, kid: &str) -> ClientKey {
    let private = SigningKeys::generate_key(alg, Some(kid)).unwrap();
    let mut public = private.clone();
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        public.as_object_mut().unwrap().remove(member);
    }
    ClientKey {
        private: SigningKeys::from_jwks_json(&json!({ "keys": [private] }).to_string()).unwrap(),
        public,
        kid: kid.to_owned(),
        alg,
    }
}

/// The public JWKS of `keys`, as a client registers or serves it.
pub fn jwks_of(keys: &[&ClientKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.public.clone()).collect::<Vec<_>>() })
}

/// A JWS of `claims` signed by `key`, its header naming the key, with `header` members
/// added (`typ`…).
pub fn sign(key: &ClientKey, claims: &Value, header: &[(&str, Value)]) -> String {
    let mut protected = Map::new();
    protected.insert("kid".into(), json!(key.kid));
    for (name, value) in header {
        protected.insert((*name).into(), value.clone());
    }
    let input = signing_input(protected, key.alg, claims.to_string().as_bytes());
    let signature = run_ready(key.private.sign(&key.kid, key.alg, input.as_bytes())).unwrap();
    assemble(&input, &signature)
}

/// The claims of a well-behaved client's assertion (RFC 7523 §3; what oauth4webapi's
/// `PrivateKeyJwt` sends): the client as `iss` and `sub`, the issuer as `aud`, a minute to
/// live.
pub fn assertion_claims(op: &Op, client_id: &str, jti: &str) -> Value {
    json!({
        "iss": client_id, "sub": client_id, "aud": ISSUER, "jti": jti,
        "iat": op.now(), "exp": op.now() + 60,
    })
}

/// `form` with `assertion` as its client authentication.
pub fn with_assertion<'a>(
    form: &[(&'a str, &'a str)],
    assertion: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut form = form.to_vec();
    form.extend_from_slice(&[
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ]);
    form
}

/// `claims` with `name` set to `value`, or removed for `null`.
pub fn with(mut claims: Value, name: &str, value: Value) -> Value {
    if value.is_null() {
        claims.as_object_mut().unwrap().remove(name);
    } else {
        claims[name] = value;
    }
    claims
}
