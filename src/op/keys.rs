//! The provider's signing keys: `OIDC_SIGNING_KEYS`, a JWKS (RFC 7517 §5) of private
//! P-256 keys.
//!
//! Every key is ES256 (RFC 7518 §3.4) with a unique, non-empty `kid`. The last key in the
//! list is the newest and signs; all of them are published at `/jwks`, so tokens signed by
//! an older key keep verifying while it is rotated out (add a key at the end, wait for the
//! old tokens to expire, then remove the first).

use core::fmt;

use serde_json::{Map, Value, json};

use super::config::ConfigError;
use crate::jose::jwk::{MAX_JWKS_KEYS, MAX_JWKS_LEN, generate_p256_members};
use crate::jose::{Alg, Jwk, JwkSet, PrivateKey};
use crate::{Error, json};

const ROOT: &str = "OIDC_SIGNING_KEYS";

/// One signing key: its `kid`, the parsed JWK and its private half.
#[derive(Clone)]
struct Entry {
    kid: String,
    jwk: Jwk,
    signing: p256::ecdsa::SigningKey,
}

/// The provider's signing keys, at least one. `Debug` shows the `kid`s only.
#[derive(Clone)]
pub struct SigningKeys {
    /// Older keys, published but no longer signing, in list order.
    older: Vec<Entry>,
    /// The last key of the list, which signs.
    newest: Entry,
}

impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeys")
            .field("kids", &self.kids().collect::<Vec<_>>())
            .field("current", &self.newest.kid)
            .finish()
    }
}

impl SigningKeys {
    /// Parses `OIDC_SIGNING_KEYS`: `{"keys":[...]}` with one or more private P-256 JWKs,
    /// each with a unique non-empty `kid`, `d`, and `alg` / `use` / `key_ops` (if present)
    /// that allow ES256 signing. Errors name the field: `OIDC_SIGNING_KEYS.keys[0].kid`.
    pub fn from_jwks_json(text: &str) -> Result<SigningKeys, ConfigError> {
        let root = json::parse_object(text.as_bytes(), MAX_JWKS_LEN, ROOT)
            .map_err(|err| ConfigError::new(ROOT, err.to_string()))?;
        if let Some(name) = root.keys().find(|name| *name != "keys") {
            return Err(ConfigError::new(
                format!("{ROOT}.{name}"),
                "unknown field (a JWKS has only \"keys\")",
            ));
        }
        let keys_path = format!("{ROOT}.keys");
        let Some(Value::Array(items)) = root.get("keys") else {
            return Err(ConfigError::new(
                keys_path,
                "is required: an array of private JWKs (make one with `oidc-edge keygen`)",
            ));
        };
        if items.is_empty() || items.len() > MAX_JWKS_KEYS {
            return Err(ConfigError::new(
                keys_path,
                format!("must hold 1 to {MAX_JWKS_KEYS} keys"),
            ));
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let entry = parse_entry(item, &format!("{keys_path}[{i}]"))?;
            if let Some(j) = entries.iter().position(|e| e.kid == entry.kid) {
                return Err(ConfigError::new(
                    format!("{keys_path}[{i}].kid"),
                    format!("duplicates keys[{j}].kid"),
                ));
            }
            entries.push(entry);
        }
        let Some(newest) = entries.pop() else {
            return Err(ConfigError::new(keys_path, "must hold at least one key"));
        };
        Ok(SigningKeys {
            older: entries,
            newest,
        })
    }

    /// The key that signs: the last in the list. Its `kid` goes in the JWS header.
    pub fn current(&self) -> (&str, &p256::ecdsa::SigningKey) {
        (&self.newest.kid, &self.newest.signing)
    }

    /// The algorithms these keys sign with (RFC 7518 §3.1 names), each once: what discovery
    /// advertises and what the provider accepts on its own tokens. Every key is P-256 today.
    pub fn algorithms(&self) -> Vec<Alg> {
        vec![Alg::Es256]
    }

    /// The algorithm tokens are signed with unless a client or resource names another.
    pub fn default_algorithm(&self) -> Alg {
        Alg::Es256
    }

    /// The `kid` of the newest key that signs with `alg`.
    pub fn kid_for(&self, alg: Alg) -> Option<&str> {
        (alg == Alg::Es256).then_some(self.newest.kid.as_str())
    }

    /// The private key named `kid`, if it is one of these.
    pub fn signing_key(&self, kid: &str) -> Option<&p256::ecdsa::SigningKey> {
        self.entries().find(|e| e.kid == kid).map(|e| &e.signing)
    }

    /// The `kid`s, in list order (the current one last).
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.entries().map(|e| e.kid.as_str())
    }

    /// The public JWKS to serve at `/jwks`: every key as
    /// `{kty, crv, x, y, kid, alg: "ES256", use: "sig"}`, never a private member.
    pub fn public_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .entries()
            .map(|e| {
                let mut jwk: Map<String, Value> = e
                    .jwk
                    .required_members()
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect();
                jwk.insert("kid".to_owned(), Value::String(e.kid.clone()));
                jwk.insert("alg".to_owned(), Value::String("ES256".to_owned()));
                jwk.insert("use".to_owned(), Value::String("sig".to_owned()));
                Value::Object(jwk)
            })
            .collect();
        json!({ "keys": keys })
    }

    /// The public keys as a [`JwkSet`], for verifying the provider's own tokens
    /// (introspection, userinfo).
    pub fn public_jwk_set(&self) -> JwkSet {
        JwkSet::new(self.entries().map(|e| e.jwk.to_public()).collect())
    }

    /// A new private JWKS with one fresh P-256 key, for `OIDC_SIGNING_KEYS`. The `kid` is
    /// `kid` if given (it must not be empty), else the key's RFC 7638 thumbprint.
    pub fn generate(kid: Option<&str>) -> Result<Value, Error> {
        if kid == Some("") {
            return Err(Error::InvalidOption {
                name: "kid".to_owned(),
                reason: "must not be empty",
            });
        }
        let mut jwk = generate_p256_members()?;
        jwk.insert("alg".to_owned(), Value::String("ES256".to_owned()));
        jwk.insert("use".to_owned(), Value::String("sig".to_owned()));
        let kid = match kid {
            Some(kid) => kid.to_owned(),
            None => Jwk::from_object(&jwk)?.thumbprint(),
        };
        jwk.insert("kid".to_owned(), Value::String(kid));
        Ok(json!({ "keys": [jwk] }))
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.older.iter().chain(core::iter::once(&self.newest))
    }
}

/// One entry of `OIDC_SIGNING_KEYS.keys`, at `path`.
fn parse_entry(item: &Value, path: &str) -> Result<Entry, ConfigError> {
    let at = |name: &str| format!("{path}.{name}");
    let Value::Object(obj) = item else {
        return Err(ConfigError::new(path, "must be a JSON object (a JWK)"));
    };
    let member = |name: &str| -> Result<Option<&str>, ConfigError> {
        match obj.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ConfigError::new(at(name), "must be a string")),
        }
    };
    if member("kty")? != Some("EC") {
        return Err(ConfigError::new(
            at("kty"),
            "must be \"EC\": the provider signs with P-256 (ES256) keys only",
        ));
    }
    if member("crv")? != Some("P-256") {
        return Err(ConfigError::new(
            at("crv"),
            "must be \"P-256\": the provider signs with ES256 only",
        ));
    }
    let kid = match member("kid")? {
        Some(kid) if !kid.is_empty() => kid.to_owned(),
        _ => {
            return Err(ConfigError::new(
                at("kid"),
                "is required and must not be empty (tokens name their key by kid)",
            ));
        }
    };
    if !obj.contains_key("d") {
        return Err(ConfigError::new(
            at("d"),
            "is required: OIDC_SIGNING_KEYS holds private keys (make one with `oidc-edge keygen`)",
        ));
    }
    if member("alg")?.is_some_and(|alg| alg != "ES256") {
        return Err(ConfigError::new(at("alg"), "must be \"ES256\" if present"));
    }
    if member("use")?.is_some_and(|u| u != "sig") {
        return Err(ConfigError::new(at("use"), "must be \"sig\" if present"));
    }
    if let Some(ops) = obj.get("key_ops") {
        let signs = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("sign")));
        if !signs {
            return Err(ConfigError::new(
                at("key_ops"),
                "must be an array including \"sign\" if present",
            ));
        }
    }
    let jwk = Jwk::from_object(obj).map_err(|err| ConfigError::new(path, err.to_string()))?;
    let Some(PrivateKey::P256(signing)) = jwk.private_key() else {
        return Err(ConfigError::new(at("d"), "is not a P-256 private key"));
    };
    let signing = signing.clone();
    Ok(Entry {
        kid,
        jwk: jwk.to_public(),
        signing,
    })
}
