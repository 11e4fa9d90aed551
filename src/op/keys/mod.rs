//! The provider's signing keys: `OIDC_SIGNING_KEYS`, a JWKS (RFC 7517 §5) of private keys:
//! P-256 (ES256), RSA of 2048 to 4096 bits (RS256 or PS256, as the key's `alg` says) and
//! Ed25519 (EdDSA).
//!
//! Every key has a unique, non-empty `kid` and signs with one algorithm. For each algorithm
//! the last key of the list that has it is the newest and signs, unless it is marked
//! `"status": "next"` (published ahead of signing); all of them are published at `/jwks`,
//! so relying parties that cache the set meet no unknown `kid`, and tokens signed by an
//! older key keep verifying while it is rotated out ([`rotation`]).

mod private;
pub mod rotation;

use core::fmt;

use serde_json::{Map, Value, json};

pub use self::private::PrivateKey;
use super::config::ConfigError;
use crate::jose::jwk::{MAX_JWKS_KEYS, MAX_JWKS_LEN};
use crate::jose::{Alg, Jwk, JwkSet};
use crate::{Error, json};

const ROOT: &str = "OIDC_SIGNING_KEYS";

/// One signing key: its `kid`, the parsed public JWK and its private half.
#[derive(Clone)]
struct Entry {
    kid: String,
    jwk: Jwk,
    private: PrivateKey,
    /// `"status": "next"`: published, not signing yet (the first stage of a rotation,
    /// [`rotation`]).
    next: bool,
}

/// The provider's signing keys, at least one, in list order. `Debug` shows the `kid`s and
/// algorithms only.
#[derive(Clone)]
pub struct SigningKeys {
    entries: Vec<Entry>,
}

impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<(&str, &str, &str)> = self
            .entries
            .iter()
            .map(|e| {
                let status = if e.next { "next" } else { "signing" };
                (e.kid.as_str(), e.private.alg().as_str(), status)
            })
            .collect();
        f.debug_struct("SigningKeys").field("keys", &keys).finish()
    }
}

impl SigningKeys {
    /// Parses `OIDC_SIGNING_KEYS`: `{"keys":[...]}` with one or more private JWKs (P-256,
    /// RSA or Ed25519), each with a unique non-empty `kid`, its private members, and `alg` /
    /// `use` / `key_ops` (if present) that allow signing with its one algorithm. Errors name
    /// the field: `OIDC_SIGNING_KEYS.keys[0].kid`.
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
        if entries.iter().all(|e| e.next) {
            return Err(ConfigError::new(
                keys_path,
                "must hold a key that signs: every key is \"status\": \"next\" (published, not signing yet)",
            ));
        }
        Ok(SigningKeys { entries })
    }

    /// The keys that sign: the newest for each algorithm, as `(kid, key)`, in list order.
    /// What a host imports into its own crypto.
    pub fn signing(&self) -> impl Iterator<Item = (&str, &PrivateKey)> {
        self.entries
            .iter()
            .filter(|e| self.kid_for(e.private.alg()) == Some(e.kid.as_str()))
            .map(|e| (e.kid.as_str(), &e.private))
    }

    /// The algorithms these keys sign with (RFC 7518 §3.1 names), each once, in
    /// [`Alg::ALL`] order: what discovery advertises and what the provider accepts on its
    /// own tokens.
    pub fn algorithms(&self) -> Vec<Alg> {
        Alg::ALL
            .into_iter()
            .filter(|alg| self.kid_for(*alg).is_some())
            .collect()
    }

    /// The algorithm tokens are signed with unless a client or resource names another:
    /// the one of the last key in the list that signs (a key published ahead of signing
    /// changes nothing until it is promoted).
    pub fn default_algorithm(&self) -> Alg {
        self.entries
            .iter()
            .rev()
            .find(|e| !e.next)
            .map_or(Alg::Es256, |e| e.private.alg())
    }

    /// The algorithm of ID tokens for a client that names none: RS256, which OpenID Connect
    /// Registration §2 makes the default of `id_token_signed_response_alg` (and Core §15.1
    /// requires a provider to offer), when a key signs it; else the default algorithm.
    pub fn id_token_algorithm(&self) -> Alg {
        if self.kid_for(Alg::Rs256).is_some() {
            Alg::Rs256
        } else {
            self.default_algorithm()
        }
    }

    /// The `kid` of the newest key that signs with `alg` (a key published as `next` does
    /// not sign yet).
    pub fn kid_for(&self, alg: Alg) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.private.alg() == alg && !e.next)
            .map(|e| e.kid.as_str())
    }

    /// The private key named `kid`, if it is one of these.
    pub fn signing_key(&self, kid: &str) -> Option<&PrivateKey> {
        self.entries
            .iter()
            .find(|e| e.kid == kid)
            .map(|e| &e.private)
    }

    /// The `kid`s, in list order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.kid.as_str())
    }

    /// The public JWKS to serve at `/jwks`: every key's public members (RFC 7518 §6) with
    /// its `kid`, its one `alg` and `use: "sig"`, never a private member.
    pub fn public_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut jwk: Map<String, Value> = e
                    .jwk
                    .required_members()
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect();
                jwk.insert("kid".to_owned(), Value::String(e.kid.clone()));
                jwk.insert(
                    "alg".to_owned(),
                    Value::String(e.private.alg().as_str().to_owned()),
                );
                jwk.insert("use".to_owned(), Value::String("sig".to_owned()));
                Value::Object(jwk)
            })
            .collect();
        json!({ "keys": keys })
    }

    /// The public keys as a [`JwkSet`], for verifying the provider's own tokens
    /// (introspection, userinfo).
    pub fn public_jwk_set(&self) -> JwkSet {
        JwkSet::new(self.entries.iter().map(|e| e.jwk.to_public()).collect())
    }

    /// A new private JWKS with one fresh P-256 (ES256) key, for `OIDC_SIGNING_KEYS`: see
    /// [`SigningKeys::generate_for`].
    pub fn generate(kid: Option<&str>) -> Result<Value, Error> {
        let key = SigningKeys::generate_key(Alg::Es256, kid)?;
        Ok(json!({ "keys": [key] }))
    }

    /// One new private JWK for `alg` (ES256, RS256, PS256 or EdDSA) with `alg` and
    /// `use: "sig"`. The `kid` is `kid` if given (it must not be empty), else the key's
    /// RFC 7638 thumbprint.
    pub fn generate_key(alg: Alg, kid: Option<&str>) -> Result<Value, Error> {
        if kid == Some("") {
            return Err(Error::InvalidOption {
                name: "kid".to_owned(),
                reason: "must not be empty",
            });
        }
        let key = PrivateKey::generate(alg)?;
        let mut jwk: Map<String, Value> = key
            .import_members()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::String(value.to_string())))
            .collect();
        jwk.insert("alg".to_owned(), Value::String(alg.as_str().to_owned()));
        jwk.insert("use".to_owned(), Value::String("sig".to_owned()));
        let kid = match kid {
            Some(kid) => kid.to_owned(),
            None => Jwk::from_object(&jwk)?.thumbprint(),
        };
        jwk.insert("kid".to_owned(), Value::String(kid));
        Ok(Value::Object(jwk))
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
    let refused = |refusal: private::Refusal| {
        let at_member = if refusal.member.is_empty() {
            path.to_owned()
        } else {
            at(refusal.member)
        };
        ConfigError::new(at_member, refusal.message)
    };
    let alg = PrivateKey::algorithm_of(obj, member("alg")?).map_err(refused)?;
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
    let next = match member(rotation::STATUS)? {
        None => false,
        Some(rotation::NEXT) => true,
        Some(_) => {
            return Err(ConfigError::new(
                at(rotation::STATUS),
                "must be \"next\" if present: a key published before it signs (`oidc-edge keys rotate`)",
            ));
        }
    };
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
    let private = PrivateKey::from_jwk(obj, alg).map_err(refused)?;
    Ok(Entry {
        kid,
        jwk: jwk.to_public(),
        private,
        next,
    })
}
