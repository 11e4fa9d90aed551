//! The core's store traits on Workers KV.
//!
//! KV is eventually consistent: a write is visible at once where it was made and up to
//! about 60 s later elsewhere; reads (including "absent") are cached at the edge; one
//! write per second per key; TTLs of at least 60 s. [`SingleUse::consume`] is therefore a read
//! only, not an atomic operation: two locations can both take the same value inside the
//! propagation window. The README ("What Workers KV's eventual consistency allows") states
//! per record type what that allows and how the provider bounds it; tests/kv_consistency.rs
//! measures it. By default only the cacheable records and the revocation notices resources
//! read live here, and the single-use and write-once ones in a Durable Object
//! (`crate::edge`); with `OIDC_STORE = "kv"` everything does.
//!
//! A write KV refuses with 429 (a second write to the key within the second) names its real
//! cause: for a single-use or write-once record another request has just written that very
//! record, so a `reserve` answers "already present" (the caller refuses the replay with
//! `invalid_grant` or `invalid_dpop_proof`) and a `put` of a write-once record, whose content
//! the key determines, stands as written. Only the cacheable records (sessions,
//! authorization requests, consents) answer a 429 with 503 and `Retry-After`.

use oidc_edge::Error;
use oidc_edge::op::records::{Consistency, consistency_of};
use oidc_edge::store::{Records, SingleUse};
use worker::wasm_bindgen::JsCast;
use worker::{KvError, KvStore, console_error, js_sys};

/// KV's smallest accepted expiration TTL, in seconds.
const MIN_TTL: u64 = 60;

/// A KV namespace as a store.
pub struct KvRecords(pub KvStore);

/// How a KV write ended.
enum Written {
    Stored,
    /// Refused with 429: the key was written within the last second.
    RateLimited,
}

impl KvRecords {
    async fn write(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<Written, Error> {
        let result = match self.0.put_bytes(key, value) {
            Ok(put) => put.expiration_ttl(ttl_seconds.max(MIN_TTL)).execute().await,
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => Ok(Written::Stored),
            Err(err) => {
                let message = kv_message(&err);
                if rate_limited(&message) {
                    return Ok(Written::RateLimited);
                }
                console_error!("oidc-edge: KV put failed: {message}");
                Err(Error::StoreUnavailable)
            }
        }
    }
}

impl Records for KvRecords {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.0.get(key).bytes().await.map_err(|err| {
            console_error!("oidc-edge: KV get failed: {}", kv_message(&err));
            Error::StoreUnavailable
        })
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        match self.write(key, value, ttl_seconds).await? {
            Written::Stored => Ok(()),
            Written::RateLimited if write_once(key) => Ok(()),
            Written::RateLimited => {
                console_error!("oidc-edge: KV put refused with 429 (1 write/s per key)");
                Err(Error::StoreUnavailable)
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.0.delete(key).await.map_err(|err| {
            console_error!("oidc-edge: KV delete failed: {}", kv_message(&err));
            Error::StoreUnavailable
        })
    }
}

impl SingleUse for KvRecords {
    /// A read, without a delete. On KV a delete is not what makes a value single-use (a
    /// read at another location may not see it for a minute either way), and it would be a
    /// second write to the key within the second it was written (KV takes one per second).
    /// Single use rests on the records the provider writes before answering (a code's grant
    /// record, `rotated:` marks); the record expires with its TTL (60 s for codes).
    /// tests/kv_consistency.rs models exactly this and measures the windows.
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.get(key).await
    }

    /// A read, then a write: two requests in flight at once can both store (the hazard the
    /// README measures). A write refused with 429 means another request stored the key
    /// within the second: already present.
    async fn reserve(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<bool, Error> {
        if self.get(key).await?.is_some() {
            return Ok(false);
        }
        Ok(matches!(
            self.write(key, value, ttl_seconds).await?,
            Written::Stored
        ))
    }
}

/// Whether the record under `key` is written once with content its key determines (or is a
/// single-use mark or counter): not one of the cacheable kinds.
fn write_once(key: &str) -> bool {
    !matches!(
        consistency_of(key),
        Some(Consistency::Cacheable | Consistency::ReadYourWrites)
    )
}

/// The message of a KV failure (the JavaScript error's own message, without its stack).
fn kv_message(err: &KvError) -> String {
    match err {
        KvError::JavaScript(value) => value
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| value.as_string())
            .unwrap_or_else(|| format!("{value:?}")),
        other => other.to_string(),
    }
}

/// Whether KV refused a write for the 1 write/s per key limit ("KV PUT failed: 429 Too
/// Many Requests").
fn rate_limited(message: &str) -> bool {
    message.contains("429") || message.to_ascii_lowercase().contains("too many requests")
}
