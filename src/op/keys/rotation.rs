//! Rotating the signing keys of one algorithm, as `oidc-edge keys rotate` does to an
//! `OIDC_SIGNING_KEYS` file, one stage per run (RFC 7517 §5; OpenID Connect Core §10.1.1:
//! a relying party that cached the JWKS refetches it on an unknown `kid` at most now and
//! then, so a key must be published before anything it signs is seen):
//!
//! 1. **publish**: a new key is added with `"status": "next"`: it is served at `/jwks`
//!    but signs nothing. Deploy, then wait at least the JWKS's cache lifetime
//!    ([`JWKS_MAX_AGE`]), so every relying party's cached set holds it.
//! 2. **promote**: its `status` is removed and it signs from the next deploy; the older
//!    key of the algorithm stays published, so what it signed keeps verifying.
//! 3. **retire**: once the newest key has signed for longer than any token lives, the
//!    older keys of the algorithm are removed.
//!
//! Each stage refuses to run before the previous one's wait is over, measured from the
//! times it records in the key (`published_at`, `signing_since`, Unix seconds; the
//! provider ignores them). It cannot know when a deploy happened: deploy right after each
//! stage. Nothing here touches CSRF tokens, DPoP nonces or refresh tokens: they are keyed
//! by `OIDC_SERVER_SECRET`, which stays.

use serde_json::{Map, Value};

use super::{PrivateKey, SigningKeys};
use crate::jose::Alg;
use crate::op::config::ConfigError;

/// The JWK member that marks a key published ahead of signing.
pub const STATUS: &str = "status";
/// Its one value.
pub const NEXT: &str = "next";
/// When a key was published (`keys rotate`'s record, Unix seconds).
pub const PUBLISHED_AT: &str = "published_at";
/// When a key started signing (`keys rotate`'s record, Unix seconds).
pub const SIGNING_SINCE: &str = "signing_since";
/// How long `/jwks` may be cached (its `Cache-Control: max-age`): a published key must wait
/// this long before it signs.
pub const JWKS_MAX_AGE: i64 = 300;

/// What one run did, or why it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// A new key `kid` was added, published but not signing.
    Published {
        /// Its `kid`.
        kid: String,
    },
    /// The published key `kid` signs from the next deploy; `older` stay published.
    Promoted {
        /// Its `kid`.
        kid: String,
        /// The keys of the algorithm it replaces, to retire later.
        older: Vec<String>,
    },
    /// The older keys were removed.
    Retired {
        /// Their `kid`s.
        kids: Vec<String>,
    },
    /// Too early for the next stage: run again at `until` (Unix seconds). The JWKS may
    /// still have changed: a key without its recorded time gets it, starting its wait.
    Wait {
        /// What the next stage is.
        next: &'static str,
        /// When it may run.
        until: i64,
    },
}

/// The next stage of rotating the `alg` keys of `jwks` (an `OIDC_SIGNING_KEYS` value) at
/// `now`, for tokens that live at most `token_lifetime` seconds. Returns the new JWKS and
/// the stage. The result is checked as the provider checks it.
pub fn rotate(
    jwks: &Value,
    alg: Alg,
    now: i64,
    token_lifetime: u64,
    kid: Option<&str>,
) -> Result<(Value, Stage), ConfigError> {
    SigningKeys::from_jwks_json(&jwks.to_string())?;
    let mut jwks = jwks.clone();
    let keys = keys_mut(&mut jwks)?;
    let of_alg: Vec<usize> = keys
        .iter()
        .enumerate()
        .filter(|(_, key)| key_alg(key) == Some(alg))
        .map(|(i, _)| i)
        .collect();
    let is_next = |key: &Value| key.get(STATUS).and_then(Value::as_str) == Some(NEXT);
    let kid_of = |key: &Value| {
        key.get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let since = |key: &Value, member: &str| key.get(member).and_then(Value::as_i64);

    let stage = if let Some(&next) = of_alg.iter().find(|i| keys.get(**i).is_some_and(is_next)) {
        let key = keys
            .get_mut(next)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| ConfigError::new("OIDC_SIGNING_KEYS.keys", "changed under us"))?;
        // A key marked by hand, without the time: its wait starts now.
        let published = match key.get(PUBLISHED_AT).and_then(Value::as_i64) {
            Some(at) => at,
            None => {
                key.insert(PUBLISHED_AT.to_owned(), Value::from(now));
                now
            }
        };
        let until = published.saturating_add(JWKS_MAX_AGE);
        if now < until {
            return Ok((
                jwks,
                Stage::Wait {
                    next: "promote",
                    until,
                },
            ));
        }
        key.remove(STATUS);
        key.remove(PUBLISHED_AT);
        key.insert(SIGNING_SINCE.to_owned(), Value::from(now));
        let kid = kid_of(&Value::Object(key.clone()));
        let older = of_alg
            .iter()
            .filter(|i| **i != next)
            .filter_map(|i| keys.get(*i))
            .map(kid_of)
            .collect();
        Stage::Promoted { kid, older }
    } else if let [older @ .., newest] = of_alg.as_slice()
        && !older.is_empty()
    {
        let lifetime = i64::try_from(token_lifetime).unwrap_or(i64::MAX);
        // A key added by hand, without the time: its wait starts now.
        let signing_since = match keys.get(*newest).and_then(|key| since(key, SIGNING_SINCE)) {
            Some(at) => at,
            None => {
                if let Some(key) = keys.get_mut(*newest).and_then(Value::as_object_mut) {
                    key.insert(SIGNING_SINCE.to_owned(), Value::from(now));
                }
                now
            }
        };
        let until = signing_since.saturating_add(lifetime);
        if now < until {
            return Ok((
                jwks,
                Stage::Wait {
                    next: "retire",
                    until,
                },
            ));
        }
        let kids: Vec<String> = older
            .iter()
            .filter_map(|i| keys.get(*i))
            .map(kid_of)
            .collect();
        let kept: Vec<Value> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| !older.contains(i))
            .map(|(_, key)| key.clone())
            .collect();
        *keys = kept;
        Stage::Retired { kids }
    } else {
        let mut key = SigningKeys::generate_key(alg, kid)
            .map_err(|err| ConfigError::new("keygen", err.to_string()))?;
        if let Some(object) = key.as_object_mut() {
            object.insert(STATUS.to_owned(), Value::from(NEXT));
            object.insert(PUBLISHED_AT.to_owned(), Value::from(now));
        }
        let kid = kid_of(&key);
        keys.push(key);
        Stage::Published { kid }
    };
    SigningKeys::from_jwks_json(&jwks.to_string())?;
    Ok((jwks, stage))
}

/// The `keys` array of a JWKS the provider accepted.
fn keys_mut(jwks: &mut Value) -> Result<&mut Vec<Value>, ConfigError> {
    jwks.get_mut("keys")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| ConfigError::new("OIDC_SIGNING_KEYS.keys", "is required"))
}

/// The algorithm a key of an accepted JWKS signs with.
fn key_alg(key: &Value) -> Option<Alg> {
    let obj: &Map<String, Value> = key.as_object()?;
    let alg = obj.get("alg").and_then(Value::as_str);
    PrivateKey::algorithm_of(obj, alg).ok()
}
