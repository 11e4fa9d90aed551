//! The core's store traits on Workers KV.
//!
//! KV is eventually consistent: a write is visible at once where it was made and up to
//! about 60 s later elsewhere; reads (including "absent") are cached at the edge; one
//! write per second per key; TTLs of at least 60 s. [`SingleUse::consume`] is therefore a read
//! only, not an atomic operation: two locations can both take the same value inside the
//! propagation window. The README ("KV honesty") states per record type
//! what that allows and how the provider bounds it; tests/kv_consistency.rs measures it.

use oidc_edge::Error;
use oidc_edge::store::{Records, SingleUse};
use worker::KvStore;

/// KV's smallest accepted expiration TTL, in seconds.
const MIN_TTL: u64 = 60;

/// A KV namespace as a store.
pub struct KvRecords(pub KvStore);

impl Records for KvRecords {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.0
            .get(key)
            .bytes()
            .await
            .map_err(|_| Error::StoreUnavailable)
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        self.0
            .put_bytes(key, value)
            .map_err(|_| Error::StoreUnavailable)?
            .expiration_ttl(ttl_seconds.max(MIN_TTL))
            .execute()
            .await
            .map_err(|_| Error::StoreUnavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.0
            .delete(key)
            .await
            .map_err(|_| Error::StoreUnavailable)
    }
}

/// `reserve` is the default: a read, then a write.
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
}
