//! The core's [`Store`] on Workers KV.
//!
//! KV is eventually consistent: a write is visible at once where it was made and up to
//! about 60 s later elsewhere; reads (including "absent") are cached at the edge; one
//! write per second per key; TTLs of at least 60 s. [`Store::take`] is therefore a read
//! followed by a delete, not an atomic operation: two locations can both take the same
//! value inside the propagation window. The README ("KV honesty") states per record type
//! what that allows and how the provider bounds it; tests/kv_consistency.rs measures it.

use oidc_edge::Error;
use oidc_edge::store::Store;
use worker::{Context, KvStore, console_error};

/// KV's smallest accepted expiration TTL, in seconds.
const MIN_TTL: u64 = 60;

/// A KV namespace as a [`Store`], for one request (`ctx` runs work past its response).
pub struct KvRecords<'c> {
    /// The namespace.
    pub kv: KvStore,
    /// The request's context.
    pub ctx: &'c Context,
}

impl Store for KvRecords<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.kv
            .get(key)
            .bytes()
            .await
            .map_err(|_| Error::StoreUnavailable)
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        self.kv
            .put_bytes(key, value)
            .map_err(|_| Error::StoreUnavailable)?
            .expiration_ttl(ttl_seconds.max(MIN_TTL))
            .execute()
            .await
            .map_err(|_| Error::StoreUnavailable)
    }

    /// A read, then the delete in the background (`waitUntil`): on KV the delete is not
    /// what makes a value single-use — a read at another location may not see it for a
    /// minute either way. Single use on KV rests on the marks the provider writes before
    /// answering (`code-used`, `rotated:`), which the response does wait for; the delete
    /// only retires the record early, so the request does not wait a round trip for it.
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let value = self.get(key).await?;
        if value.is_some() {
            let kv = self.kv.clone();
            let key = key.to_owned();
            self.ctx.wait_until(async move {
                if kv.delete(&key).await.is_err() {
                    console_error!(
                        "oidc-edge: KV delete of a taken record failed; it expires by its TTL"
                    );
                }
            });
        }
        Ok(value)
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.kv
            .delete(key)
            .await
            .map_err(|_| Error::StoreUnavailable)
    }
}
