//! Storage as two small async traits, so the core never touches a database: the provider
//! and the DPoP replay check call them, the Worker backs them with Workers KV (and, where
//! single use must hold across locations, something strongly consistent), and tests use
//! [`MemoryStore`].
//!
//! [`Records`] is plain keyed storage with expiry, for data a stale read cannot abuse.
//! [`SingleUse`] is the two operations single use rests on: [`SingleUse::consume`] (read
//! and remove, once) and [`SingleUse::reserve`] (write only if absent). On a strongly
//! consistent backend both are atomic; on an eventually consistent one (KV) two callers in
//! different locations can both succeed inside the propagation window, a hazard each
//! caller documents and bounds. Keeping them apart lets a host send the single-use
//! operations to a strongly consistent backend and everything else to a cache. Every
//! record type states which it needs where it is defined (`op::records`).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use crate::Error;
use crate::time::{Clock, UnixTime};

/// Key-value storage with expiry.
#[allow(async_fn_in_trait)] // Single-threaded hosts (Workers, browsers); no Send bound wanted.
pub trait Records {
    /// The value under `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error>;

    /// Stores `value` under `key` for `ttl_seconds`.
    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error>;

    /// Removes `key`.
    async fn delete(&self, key: &str) -> Result<(), Error>;
}

/// The operations single use rests on.
#[allow(async_fn_in_trait)]
pub trait SingleUse: Records {
    /// Reads and removes `key`: the value is returned to at most one caller where the
    /// backend is strongly consistent.
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, Error>;

    /// Stores `value` only if `key` is absent; `true` when this call stored it. The
    /// default reads then writes (racy on eventually consistent backends); stores that
    /// can do better override it.
    async fn reserve(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<bool, Error> {
        if self.get(key).await?.is_some() {
            return Ok(false);
        }
        self.put(key, value, ttl_seconds).await?;
        Ok(true)
    }

    /// Adds one to the counter under `key` and returns its new value; a counter that did
    /// not exist (or expired) starts at 1 and lives `ttl_seconds` from then. For limits
    /// that must not lose a hit (failed logins). The default reads then writes, so hits
    /// racing on an eventually consistent backend can be counted once; stores that can do
    /// better override it.
    async fn increment(&self, key: &str, ttl_seconds: u64) -> Result<u64, Error> {
        let count = match self.get(key).await? {
            Some(bytes) => parse_count(&bytes).saturating_add(1),
            None => 1,
        };
        self.put(key, count.to_string().as_bytes(), ttl_seconds)
            .await?;
        Ok(count)
    }
}

/// A counter's stored value: its decimal text; anything else counts as 0.
pub fn parse_count(bytes: &[u8]) -> u64 {
    core::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
}

/// A store that offers both: what the provider is given.
pub trait Store: Records + SingleUse {}

impl<T: Records + SingleUse + ?Sized> Store for T {}

/// An in-process store for tests and single-instance servers: atomic, with expiry read
/// from its clock.
///
/// Bounded, since a long-running server records a DPoP `jti` for every request: once it
/// holds [`MemoryStore::PURGE_AT`] entries, a new key first drops the expired ones (again
/// each time the count doubles, so a purge costs O(1) per write on average), and a store
/// full of live entries ([`MemoryStore::with_capacity`], default
/// [`MemoryStore::DEFAULT_CAPACITY`]) refuses new keys with [`Error::StoreUnavailable`]
/// rather than forget one. Forgetting a used `jti` or code early would let it be used
/// again: a replay cache that is full must fail closed. Existing keys can always be
/// rewritten or removed.
#[derive(Debug)]
pub struct MemoryStore<C: Clock> {
    clock: C,
    capacity: usize,
    entries: RefCell<BTreeMap<String, (Vec<u8>, UnixTime)>>,
    /// The count at which a write purges expired entries next.
    next_purge: Cell<usize>,
}

impl<C: Clock> MemoryStore<C> {
    /// Entries held before a write first looks for expired ones to drop.
    pub const PURGE_AT: usize = 1024;

    /// Live entries held at most by [`MemoryStore::new`]: about 20 MB of DPoP `jti`s, or
    /// some 400 proofs a second kept for their 305 s replay window.
    pub const DEFAULT_CAPACITY: usize = 1 << 17;

    /// An empty store reading time from `clock`, holding at most
    /// [`MemoryStore::DEFAULT_CAPACITY`] live entries.
    pub fn new(clock: C) -> Self {
        Self::with_capacity(clock, Self::DEFAULT_CAPACITY)
    }

    /// An empty store holding at most `capacity` live entries.
    pub fn with_capacity(clock: C, capacity: usize) -> Self {
        MemoryStore {
            clock,
            capacity,
            entries: RefCell::new(BTreeMap::new()),
            next_purge: Cell::new(Self::PURGE_AT),
        }
    }

    /// The clock, for tests that move time.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Number of live entries (expired ones are dropped first).
    pub fn len(&self) -> usize {
        self.purge();
        self.entries.borrow().len()
    }

    /// Whether the store holds no live entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any live key or value contains `bytes`: how a test shows that a credential
    /// the provider keeps only as a hash (or no longer needs) is nowhere in the store.
    // Public only because the integration tests in tests/ are another crate; hidden from
    // the documentation, as it is no part of the store's API (a scan of every entry).
    #[doc(hidden)]
    pub fn holds(&self, bytes: &[u8]) -> bool {
        let now = self.clock.now();
        let found = |text: &[u8]| bytes.is_empty() || text.windows(bytes.len()).any(|w| w == bytes);
        self.entries
            .borrow()
            .iter()
            .filter(|(_, (_, expires))| *expires > now)
            .any(|(key, (value, _))| found(key.as_bytes()) || found(value))
    }

    fn purge(&self) {
        let now = self.clock.now();
        let mut entries = self.entries.borrow_mut();
        entries.retain(|_, (_, expires)| *expires > now);
        self.next_purge
            .set(entries.len().saturating_mul(2).max(Self::PURGE_AT));
    }

    /// Room for `key`: none is needed when it is already there; else expired entries are
    /// dropped when the store has grown enough since the last purge, or is full.
    fn make_room(&self, key: &str) -> Result<(), Error> {
        let len = {
            let entries = self.entries.borrow();
            if entries.contains_key(key) {
                return Ok(());
            }
            entries.len()
        };
        if len >= self.next_purge.get() || len >= self.capacity {
            self.purge();
        }
        if self.entries.borrow().len() >= self.capacity {
            return Err(Error::StoreUnavailable);
        }
        Ok(())
    }

    fn live(&self, key: &str) -> Option<Vec<u8>> {
        let now = self.clock.now();
        let entries = self.entries.borrow();
        entries
            .get(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(v, _)| v.clone())
    }

    fn insert(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        self.make_room(key)?;
        let expires = self
            .clock
            .now()
            .plus(i64::try_from(ttl_seconds).unwrap_or(i64::MAX));
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), (value.to_vec(), expires));
        Ok(())
    }
}

impl<C: Clock> Records for MemoryStore<C> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.live(key))
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        self.insert(key, value, ttl_seconds)
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
}

impl<C: Clock> SingleUse for MemoryStore<C> {
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let value = self.live(key);
        self.entries.borrow_mut().remove(key);
        Ok(value)
    }

    async fn reserve(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<bool, Error> {
        if self.live(key).is_some() {
            return Ok(false);
        }
        self.insert(key, value, ttl_seconds)?;
        Ok(true)
    }

    /// Atomic here; the counter keeps the expiry it started with.
    async fn increment(&self, key: &str, ttl_seconds: u64) -> Result<u64, Error> {
        self.make_room(key)?;
        let now = self.clock.now();
        let mut entries = self.entries.borrow_mut();
        let live = entries.get(key).filter(|(_, expires)| *expires > now);
        let (count, expires) = match live {
            Some((bytes, expires)) => (parse_count(bytes).saturating_add(1), *expires),
            None => (1, now.plus(i64::try_from(ttl_seconds).unwrap_or(i64::MAX))),
        };
        entries.insert(key.to_owned(), (count.to_string().into_bytes(), expires));
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::verifier::run_ready;

    struct TestClock(Cell<i64>);

    impl Clock for &TestClock {
        fn now(&self) -> UnixTime {
            UnixTime(self.0.get())
        }
    }

    #[test]
    fn ttl_consume_and_reserve() {
        let clock = TestClock(Cell::new(1000));
        let store = MemoryStore::new(&clock);
        run_ready(async {
            store.put("a", b"1", 60).await?;
            assert_eq!(store.get("a").await?, Some(b"1".to_vec()));
            clock.0.set(1059);
            assert!(!store.reserve("a", b"2", 60).await?);
            clock.0.set(1060);
            assert_eq!(store.get("a").await?, None, "expired at put time + ttl");
            assert!(store.reserve("a", b"3", 60).await?);
            assert_eq!(store.consume("a").await?, Some(b"3".to_vec()));
            assert_eq!(store.consume("a").await?, None, "consume is single use");
            store.put("b", b"x", 10).await?;
            store.delete("b").await?;
            assert!(store.is_empty());
            Ok(())
        })
        .unwrap();
    }

    /// A long-running server records a DPoP `jti` per request (RFC 9449 §11.1): expired
    /// entries go once the store grows, and a store full of live ones refuses a new key
    /// rather than forget a used one, which would let it be replayed.
    #[test]
    fn expired_entries_are_purged_and_a_full_store_fails_closed() {
        let clock = TestClock(Cell::new(1000));
        let store = MemoryStore::with_capacity(&clock, 4 * MemoryStore::<&TestClock>::PURGE_AT);
        run_ready(async {
            let key = |i: usize| format!("dpop-jti:{i}");
            for i in 0..MemoryStore::<&TestClock>::PURGE_AT {
                assert!(store.reserve(&key(i), b"1", 60).await?);
            }
            clock.0.set(1060); // every one of them expired
            assert!(store.reserve("fresh", b"1", 60).await?);
            assert_eq!(
                store.entries.borrow().len(),
                1,
                "the write past PURGE_AT dropped the expired entries"
            );
            // Filled with live entries: a new key is refused, and a used one still is.
            for i in 1..store.capacity {
                assert!(store.reserve(&key(i), b"1", 60).await?);
            }
            assert!(matches!(
                store.reserve("one-more", b"1", 60).await,
                Err(Error::StoreUnavailable)
            ));
            assert!(matches!(
                store.put("one-more", b"1", 60).await,
                Err(Error::StoreUnavailable)
            ));
            assert!(matches!(
                store.increment("one-more", 60).await,
                Err(Error::StoreUnavailable)
            ));
            assert!(!store.reserve("fresh", b"1", 60).await?, "still a replay");
            assert_eq!(
                store.increment(&key(1), 60).await?,
                2,
                "existing keys change"
            );
            // Once they expire, there is room again.
            clock.0.set(1120);
            assert!(store.reserve("one-more", b"1", 60).await?);
            assert_eq!(store.len(), 1);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn counters_count_within_their_lifetime() {
        let clock = TestClock(Cell::new(1000));
        let store = MemoryStore::new(&clock);
        run_ready(async {
            assert_eq!(store.increment("c", 60).await?, 1);
            clock.0.set(1059);
            assert_eq!(
                store.increment("c", 60).await?,
                2,
                "the first hit's expiry holds"
            );
            clock.0.set(1060);
            assert_eq!(store.increment("c", 60).await?, 1, "expired: a new counter");
            store.put("t", b"not a number", 60).await?;
            assert_eq!(store.increment("t", 60).await?, 1);
            Ok(())
        })
        .unwrap();
    }
}
