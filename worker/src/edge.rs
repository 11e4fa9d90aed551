//! The provider's store on Cloudflare: each record goes to the backend its kind needs.
//!
//! The provider declares per kind of record what it needs of the store
//! (`oidc_edge::op::records`, [`consistency_of`]). Cacheable and read-your-writes records
//! (sessions, authorization requests, consents) and the revocation notices resources read
//! on every request live in Workers KV, read at the edge; every other key (codes, refresh
//! grants, rotation marks, the token endpoint's revocation marks, DPoP `jti` marks,
//! counters, and any kind not declared otherwise) lives in the Durable Object, strongly
//! consistent, so `consume`, `reserve` and `increment` are atomic and a mark is seen
//! everywhere as soon as it is written. With `OIDC_STORE = "kv"` there is no Durable Object
//! and KV holds everything, with the windows the README measures.

use oidc_edge::Error;
use oidc_edge::op::records::{Consistency, consistency_of};
use oidc_edge::store::{Records, SingleUse};

use crate::kv::KvRecords;
use crate::objects::ObjectStore;

/// The store the provider is given.
pub struct EdgeStore {
    /// Cacheable records; everything in KV-only mode.
    pub kv: KvRecords,
    /// The single-use and write-once records; `None` in KV-only mode.
    pub objects: Option<ObjectStore>,
}

/// Where one key lives.
enum Backend<'a> {
    Kv(&'a KvRecords),
    Objects(&'a ObjectStore),
}

impl EdgeStore {
    fn backend(&self, key: &str) -> Backend<'_> {
        match &self.objects {
            Some(objects) if needs_strong_consistency(key) => Backend::Objects(objects),
            _ => Backend::Kv(&self.kv),
        }
    }
}

/// Whether the record under `key` needs the strongly consistent backend: anything not
/// declared cacheable, read-your-writes or a notice, including keys of no declared kind.
pub fn needs_strong_consistency(key: &str) -> bool {
    !matches!(
        consistency_of(key),
        Some(Consistency::Cacheable | Consistency::ReadYourWrites | Consistency::Notice)
    )
}

impl Records for EdgeStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.backend(key) {
            Backend::Kv(kv) => kv.get(key).await,
            Backend::Objects(objects) => objects.get(key).await,
        }
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        match self.backend(key) {
            Backend::Kv(kv) => kv.put(key, value, ttl_seconds).await,
            Backend::Objects(objects) => objects.put(key, value, ttl_seconds).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        match self.backend(key) {
            Backend::Kv(kv) => kv.delete(key).await,
            Backend::Objects(objects) => objects.delete(key).await,
        }
    }
}

impl SingleUse for EdgeStore {
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.backend(key) {
            Backend::Kv(kv) => kv.consume(key).await,
            Backend::Objects(objects) => objects.consume(key).await,
        }
    }

    async fn reserve(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<bool, Error> {
        match self.backend(key) {
            Backend::Kv(kv) => kv.reserve(key, value, ttl_seconds).await,
            Backend::Objects(objects) => objects.reserve(key, value, ttl_seconds).await,
        }
    }

    async fn increment(&self, key: &str, ttl_seconds: u64) -> Result<u64, Error> {
        match self.backend(key) {
            Backend::Kv(kv) => kv.increment(key, ttl_seconds).await,
            Backend::Objects(objects) => objects.increment(key, ttl_seconds).await,
        }
    }
}
