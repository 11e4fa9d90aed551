//! A model of Workers KV behind the core's [`Store`] trait, and a provider harness that sends
//! each request to one location's view of it (DESIGN.md principle 8).
//!
//! What the model encodes, and where Cloudflare says so:
//!
//! - Writes go to central stores and are not pushed to every location; a location caches
//!   what it reads and serves it from its cache ("How KV works",
//!   <https://developers.cloudflare.com/kv/concepts/how-kv-works/>: "When you write to KV,
//!   your data is written to central data stores. Your data is not sent automatically to
//!   every location's cache." … "Frequent reads from the same location return the cached
//!   value without reading from anywhere else").
//! - A write is visible at once where it was made and up to 60 s later elsewhere; a location
//!   that recently read the key, *including a read that found nothing*, sees it later still
//!   (an earlier revision of the same page, in a Cloudflare docs preview build,
//!   <https://2931bfcc.cloudflare-docs-7ou.pages.dev/workers/learning/how-kv-works>: "Changes
//!   are immediately visible in the edge location at which they are made, but may take up
//!   to 60 seconds to propagate to all other data centers. In particular, propagation of
//!   changes takes longer to locations which have recently read a previous version of a
//!   given key (including reads that indicated the key did not exist)."). Hence two knobs:
//!   a propagation delay and an edge-cache TTL that also holds negative lookups.
//! - The first docs distinguished new keys from changed ones (2020 page, in the translation
//!   at <https://www.kancloud.cn/orchie/cloudflare_worker/1627300>: "新的键值对可随时随地使用,
//!   但值更改最多可能需要60秒才能传播", new key-value pairs are usable everywhere at once,
//!   value changes may take up to 60 s to propagate); an answer in Cloudflare's developer
//!   Discord (archived at <https://www.answeroverflow.com/m/1266474016173199370>) says writes
//!   reach "KV's origin stores" at once and another location sees a change only "when the
//!   cache in that region elapses and is revalidated". So the delay of a write that
//!   *creates* a key and of one that *changes or deletes* it are separate knobs;
//!   [`KvConfig::uniform`], [`KvConfig::new_keys_fast`] and [`KvConfig::cache_only`] are
//!   the three readings the tests measure under.
//! - `cacheTtl`, how long a location caches a read, defaults to 60 s (read-key-value-pairs
//!   page, <https://developers.cloudflare.com/kv/api/read-key-value-pairs/>; the 2024
//!   revision in cloudflare-docs PR #18303 gives "minimum: 60"; today's limits page lists a
//!   30 s minimum).
//! - "Writes to same key: 1 per second" (<https://developers.cloudflare.com/kv/platform/limits>);
//!   "Writes made to the same key within 1 second will cause rate limiting (`429`) errors to
//!   be thrown" (write-key-value-pairs page, cloudflare-docs PR #18041): the model logs every
//!   mutation per key and second, reports the seconds with more than one put (deletes apart:
//!   the docs do not say whether they count), and optionally refuses the extra put
//!   ([`Written::RateLimited`], counted in [`Kv::refused_writes`]). A location's view
//!   ([`KvView`]) answers a refused put as the Worker's adapter does (worker/src/kv.rs): for a
//!   single-use or write-once record (any key whose [`consistency_of`] is not `Cacheable` or
//!   `ReadYourWrites`, keys of no declared kind included) another request has just written
//!   that very record, so `put` answers `Ok` (the record, whose content its key determines,
//!   stands as written) and `reserve` answers "already present"; only the cacheable and
//!   read-your-writes records (sessions, authorization requests, consents) answer
//!   `Error::StoreUnavailable` (503 with `Retry-After`).
//! - `expirationTtl` must be at least 60 ("Expires the key after a number of seconds. Must
//!   be at least 60.", Cloudflare API schema `workers-kv_expiration_ttl`, mirrored at
//!   <https://raw.githubusercontent.com/api-evangelist/cloudflare-kv/refs/heads/main/json-schema/workers-kv_expiration_ttl.json>):
//!   a shorter TTL is refused and logged.
//!
//! `consume` is a `get` only (the value is not deleted, as in worker/src/kv.rs); `reserve` is
//! `get` then a put, "already present" when the put is refused: what a Worker on KV can do.
//!
//! Assumptions of the model, stated: time has 1 s resolution (the test clock's); a cached
//! value keeps its absolute expiry, so an expired value is never served; the location that
//! writes a key caches the written value (read-your-write, "immediately visible in the edge
//! location at which they are made"); each write is last-writer-wins in write order;
//! requests run one after another, except those sent with [`Edge::send_together`], which
//! take turns at every store call (requests in flight at the same moment).
// Test fixture code: a broken fixture must fail loudly, so unwrap/expect/panic are fine here
// (clippy only exempts `#[test]` functions themselves).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use oidc_edge::Error;
use oidc_edge::dpop::proof::{ProofClaims, sign_es256};
use oidc_edge::jose::Jwk;
use oidc_edge::jose::verifier::{RustCrypto, run_ready};
use oidc_edge::op::config::Config;
use oidc_edge::op::fetch::NoFetch;
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::password::RustPbkdf2;
use oidc_edge::op::records::{Consistency, consistency_of};
use oidc_edge::op::{Provider, Request, Response, Services};
use oidc_edge::store::{MemoryStore, Records, SingleUse};
use oidc_edge::time::{Clock, UnixTime};
use serde_json::Value;

use crate::op_support::{
    AuthStart, CookieJar, ISSUER, SPA, SPA_REDIRECT, START, TestClock, absolute, code_form,
    config_json, hidden, location, redirect_params,
};

/// A Cloudflare location (data center), as an index.
pub type Loc = usize;
/// Where the browser signs in and the code is issued.
pub const A: Loc = 0;
/// Another location: an attacker elsewhere, or the same client routed elsewhere.
pub const B: Loc = 1;

/// Workers KV's minimum `expirationTtl`.
pub const MIN_EXPIRATION_TTL: u64 = 60;

/// The knobs of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvConfig {
    /// Number of locations.
    pub locations: usize,
    /// Seconds before a write that creates a key (absent from the central store) is seen by
    /// a cache miss at another location.
    pub create_delay: i64,
    /// Seconds before a write that changes or deletes an existing key is seen by a cache
    /// miss at another location.
    pub update_delay: i64,
    /// Seconds a location serves a read (a value or "absent") from its cache.
    pub cache_ttl: i64,
    /// Whether a second write to a key within one second fails (KV refuses it) instead of
    /// only being logged.
    pub enforce_write_limit: bool,
}

impl KvConfig {
    /// Every write takes `propagation` seconds to reach the other locations.
    pub fn uniform(propagation: i64) -> KvConfig {
        KvConfig {
            locations: 2,
            create_delay: propagation,
            update_delay: propagation,
            cache_ttl: 60,
            enforce_write_limit: false,
        }
    }

    /// New keys are seen everywhere at once; changes and deletions take `propagation`.
    pub fn new_keys_fast(propagation: i64) -> KvConfig {
        KvConfig {
            create_delay: 0,
            ..KvConfig::uniform(propagation)
        }
    }

    /// The central store is always current; only edge caches (60 s, negative lookups
    /// included) are stale.
    pub fn cache_only() -> KvConfig {
        KvConfig::uniform(0)
    }

    /// A short name for tables.
    pub fn name(&self) -> String {
        if self.create_delay == self.update_delay && self.create_delay == 0 {
            format!("cache only (C={})", self.cache_ttl)
        } else if self.create_delay == self.update_delay {
            format!("uniform P={} (C={})", self.update_delay, self.cache_ttl)
        } else {
            format!(
                "new keys {}s, changes {}s (C={})",
                self.create_delay, self.update_delay, self.cache_ttl
            )
        }
    }
}

impl Default for KvConfig {
    /// The brief's model: 60 s propagation for every write, 60 s edge cache.
    fn default() -> KvConfig {
        KvConfig::uniform(60)
    }
}

/// The three readings of the documentation the measurements run under.
pub fn schedules() -> [KvConfig; 3] {
    [
        KvConfig::uniform(60),
        KvConfig::new_keys_fast(60),
        KvConfig::cache_only(),
    ]
}

#[derive(Debug, Clone)]
struct Entry {
    bytes: Vec<u8>,
    expires: i64,
}

#[derive(Debug, Clone)]
struct Write {
    seq: u64,
    at: i64,
    loc: Loc,
    value: Option<Entry>,
    creates: bool,
}

#[derive(Debug, Clone)]
struct Cached {
    entry: Option<Entry>,
    at: i64,
}

/// One mutation, for the write-rate log.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// The key.
    pub key: String,
    /// When (Unix seconds).
    pub at: i64,
    /// Where.
    pub loc: Loc,
    /// `true` for a delete.
    pub delete: bool,
}

/// How KV answered a put (a delete is never refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored.
    Stored,
    /// Refused with 429 (with `enforce_write_limit`): the key was written within the second.
    RateLimited,
}

/// Whether the record under `key` is written once with content its key determines (or is a
/// single-use mark or counter): not one of the cacheable kinds. The rule of
/// worker/src/kv.rs's `write_once`: a write of such a key KV refuses with 429 is another
/// request's write of that very record.
pub fn write_once(key: &str) -> bool {
    !matches!(
        consistency_of(key),
        Some(Consistency::Cacheable | Consistency::ReadYourWrites)
    )
}

/// More than one write to a key within one second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateViolation {
    /// The key's prefix (`refresh`, `code`, `family`…).
    pub prefix: String,
    /// The second.
    pub at: i64,
    /// Puts in that second.
    pub puts: usize,
    /// Deletes in that second.
    pub deletes: usize,
}

#[derive(Debug, Default)]
struct State {
    seq: u64,
    writes: HashMap<String, Vec<Write>>,
    caches: Vec<HashMap<String, Cached>>,
    log: Vec<Mutation>,
    short_ttls: Vec<(String, u64)>,
    refused_writes: usize,
}

/// The modelled namespace: a central history of writes and one edge cache per location.
#[derive(Debug)]
pub struct Kv {
    config: KvConfig,
    clock: TestClock,
    state: RefCell<State>,
}

/// The prefix of a store key (`refresh:<hash>` → `refresh`).
pub fn prefix(key: &str) -> String {
    key.split(':').next().unwrap_or(key).to_owned()
}

impl Kv {
    /// An empty namespace.
    pub fn new(config: KvConfig, clock: TestClock) -> Kv {
        let state = State {
            caches: (0..config.locations).map(|_| HashMap::new()).collect(),
            ..State::default()
        };
        Kv {
            config,
            clock,
            state: RefCell::new(state),
        }
    }

    /// The model's knobs.
    pub fn config(&self) -> KvConfig {
        self.config
    }

    /// A location's view, which is what a Worker running there gets as its binding.
    pub fn at(self: &Rc<Self>, loc: Loc) -> KvView {
        assert!(loc < self.config.locations, "no location {loc}");
        KvView {
            kv: Rc::clone(self),
            loc,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now().0
    }

    fn delay(&self, write: &Write) -> i64 {
        if write.creates {
            self.config.create_delay
        } else {
            self.config.update_delay
        }
    }

    /// The central store's value (every write applied), expired or not.
    fn origin(state: &State, key: &str) -> Option<Entry> {
        state
            .writes
            .get(key)
            .and_then(|w| w.last())
            .and_then(|w| w.value.clone())
    }

    /// What a cache miss at `loc` reads now: the newest write that has reached `loc`.
    fn propagated(&self, state: &State, loc: Loc, key: &str, now: i64) -> Option<Entry> {
        state.writes.get(key).and_then(|writes| {
            writes
                .iter()
                .rev()
                .find(|w| w.loc == loc || now >= w.at + self.delay(w))
                .and_then(|w| w.value.clone())
        })
    }

    fn live(entry: Option<Entry>, now: i64) -> Option<Vec<u8>> {
        entry.filter(|e| e.expires > now).map(|e| e.bytes)
    }

    /// `get` at `loc`: the cached answer while it is fresh, else a read that is cached,
    /// "absent" included.
    pub fn get(&self, loc: Loc, key: &str) -> Option<Vec<u8>> {
        let now = self.now();
        let mut state = self.state.borrow_mut();
        if let Some(cached) = state.caches[loc].get(key)
            && cached.at + self.config.cache_ttl > now
        {
            return Self::live(cached.entry.clone(), now);
        }
        let entry = self.propagated(&state, loc, key, now);
        state.caches[loc].insert(
            key.to_owned(),
            Cached {
                entry: entry.clone(),
                at: now,
            },
        );
        Self::live(entry, now)
    }

    /// What `get` at `loc` would answer now, without touching the cache.
    pub fn peek(&self, loc: Loc, key: &str) -> Option<Vec<u8>> {
        let now = self.now();
        let state = self.state.borrow();
        match state.caches[loc].get(key) {
            Some(cached) if cached.at + self.config.cache_ttl > now => {
                Self::live(cached.entry.clone(), now)
            }
            _ => Self::live(self.propagated(&state, loc, key, now), now),
        }
    }

    /// The central store's live value: what a strongly consistent store would answer.
    pub fn central(&self, key: &str) -> Option<Vec<u8>> {
        let state = self.state.borrow();
        Self::live(Self::origin(&state, key), self.now())
    }

    fn write(&self, loc: Loc, key: &str, value: Option<Entry>) -> Written {
        let now = self.now();
        let mut state = self.state.borrow_mut();
        // The documented limit is on writes (puts); whether deletes count is not documented,
        // so they are logged (and reported apart) but never refused.
        let puts_this_second = state
            .log
            .iter()
            .filter(|m| m.key == key && m.at == now && !m.delete)
            .count();
        if value.is_some() && puts_this_second > 0 && self.config.enforce_write_limit {
            // Refused: nothing is stored, logged or cached.
            state.refused_writes += 1;
            return Written::RateLimited;
        }
        let creates = Self::live(Self::origin(&state, key), now).is_none();
        state.seq += 1;
        let write = Write {
            seq: state.seq,
            at: now,
            loc,
            value: value.clone(),
            creates,
        };
        state.writes.entry(key.to_owned()).or_default().push(write);
        state.log.push(Mutation {
            key: key.to_owned(),
            at: now,
            loc,
            delete: value.is_none(),
        });
        state.caches[loc].insert(
            key.to_owned(),
            Cached {
                entry: value,
                at: now,
            },
        );
        Written::Stored
    }

    /// `put` at `loc` with `expirationTtl`, as KV answers it: an error for a TTL under 60 s,
    /// [`Written::RateLimited`] for a second put of the key within the second (with
    /// `enforce_write_limit`). [`KvView`] reads that answer as the Worker's adapter does.
    pub fn put(&self, loc: Loc, key: &str, value: &[u8], ttl: u64) -> Result<Written, Error> {
        if ttl < MIN_EXPIRATION_TTL {
            self.state
                .borrow_mut()
                .short_ttls
                .push((key.to_owned(), ttl));
            return Err(Error::StoreUnavailable);
        }
        let expires = self
            .now()
            .saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
        let entry = Entry {
            bytes: value.to_vec(),
            expires,
        };
        Ok(self.write(loc, key, Some(entry)))
    }

    /// `delete` at `loc` (never refused: see `write`).
    pub fn delete(&self, loc: Loc, key: &str) -> Result<(), Error> {
        self.write(loc, key, None);
        Ok(())
    }

    /// Every mutation so far.
    pub fn mutations(&self) -> Vec<Mutation> {
        self.state.borrow().log.clone()
    }

    /// Seconds in which one key was written more than once (deletes counted when
    /// `count_deletes`), in time order.
    pub fn rate_violations(&self, count_deletes: bool) -> Vec<RateViolation> {
        let state = self.state.borrow();
        let mut per: BTreeMap<(i64, String), (usize, usize)> = BTreeMap::new();
        for m in &state.log {
            let slot = per.entry((m.at, m.key.clone())).or_default();
            if m.delete {
                slot.1 += 1;
            } else {
                slot.0 += 1;
            }
        }
        per.into_iter()
            .filter(|(_, (puts, deletes))| {
                let counted = if count_deletes { puts + deletes } else { *puts };
                counted > 1
            })
            .map(|((at, key), (puts, deletes))| RateViolation {
                prefix: prefix(&key),
                at,
                puts,
                deletes,
            })
            .collect()
    }

    /// Puts refused for a TTL under 60 s.
    pub fn short_ttls(&self) -> Vec<(String, u64)> {
        self.state.borrow().short_ttls.clone()
    }

    /// Puts refused by the 1 write/s limit (with `enforce_write_limit`), however the view
    /// answered them (an error, "already present", or `Ok` for a write-once record).
    pub fn refused_writes(&self) -> usize {
        self.state.borrow().refused_writes
    }
}

/// One location's binding to the namespace, with the Worker's adapter on it
/// (worker/src/kv.rs's `KvRecords`): what the provider's store calls become on KV.
#[derive(Debug, Clone)]
pub struct KvView {
    kv: Rc<Kv>,
    loc: Loc,
}

impl KvView {
    /// KV's own answer to a put here (worker/src/kv.rs's `write`).
    pub fn write(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<Written, Error> {
        self.kv.put(self.loc, key, value, ttl_seconds)
    }
}

/// What the adapter's `put` answers for KV's answer to it (worker/src/kv.rs): a refused
/// write of a write-once or single-use record is another request's write of that very
/// record, whose content its key determines, so it stands as written; only a cacheable
/// record's refused write is a failure (503 with `Retry-After`).
fn put_answer(key: &str, written: Written) -> Result<(), Error> {
    match written {
        Written::Stored => Ok(()),
        Written::RateLimited if write_once(key) => Ok(()),
        Written::RateLimited => Err(Error::StoreUnavailable),
    }
}

/// What the adapter's `reserve` answers for KV's answer to its put (worker/src/kv.rs): a
/// refused write means another request stored the key within the second, "already
/// present".
fn reserve_answer(written: Written) -> bool {
    written == Written::Stored
}

impl Records for KvView {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.kv.get(self.loc, key))
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        put_answer(key, self.write(key, value, ttl_seconds)?)
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.kv.delete(self.loc, key)
    }
}

// `increment`: the trait's default (get, then put through `put` above), as in kv.rs.
impl SingleUse for KvView {
    /// As the Worker's adapter does it (worker/src/kv.rs): a read, without a delete. On KV
    /// a delete would be a second write to the key within the second it was written (the
    /// 1 write/s limit), and it is not what makes a code single-use: its grant record is.
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.kv.get(self.loc, key))
    }

    /// A read, then a write (kv.rs): two requests in flight at once can both store; a write
    /// refused with 429 is "already present".
    async fn reserve(&self, key: &str, value: &[u8], ttl: u64) -> Result<bool, Error> {
        if self.kv.get(self.loc, key).is_some() {
            return Ok(false);
        }
        Ok(reserve_answer(self.write(key, value, ttl)?))
    }
}

/// The storage a harness runs on.
#[derive(Debug)]
pub enum Backend {
    /// The core's atomic in-memory store: one store for every location.
    Memory(MemoryStore<TestClock>),
    /// The KV model.
    Kv(Rc<Kv>),
}

/// What one request gets as its store.
#[derive(Debug)]
pub enum View<'a> {
    /// The memory store.
    Memory(&'a MemoryStore<TestClock>),
    /// A location of the KV model.
    Kv(KvView),
}

impl Records for View<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match self {
            View::Memory(s) => s.get(key).await,
            View::Kv(s) => s.get(key).await,
        }
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        match self {
            View::Memory(s) => s.put(key, value, ttl_seconds).await,
            View::Kv(s) => s.put(key, value, ttl_seconds).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        match self {
            View::Memory(s) => s.delete(key).await,
            View::Kv(s) => s.delete(key).await,
        }
    }
}

impl SingleUse for View<'_> {
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match self {
            View::Memory(s) => s.consume(key).await,
            View::Kv(s) => s.consume(key).await,
        }
    }

    async fn reserve(&self, key: &str, value: &[u8], ttl: u64) -> Result<bool, Error> {
        match self {
            View::Memory(s) => s.reserve(key, value, ttl).await,
            View::Kv(s) => s.reserve(key, value, ttl).await,
        }
    }
}

/// Yields to the executor once: a KV round trip, during which other requests run.
struct RoundTrip(bool);

impl Future for RoundTrip {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

/// A view whose every store call first yields, so requests driven together by
/// [`Edge::send_together`] interleave at each call, as requests in flight at the same
/// moment do on the platform. On KV, `consume` is a get and `reserve` two calls (get, then
/// put, answered as [`KvView::reserve`] answers), as a Worker makes them; on the memory
/// store they are atomic.
pub struct Interleaved<'a>(View<'a>);

impl Records for Interleaved<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        RoundTrip(false).await;
        self.0.get(key).await
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), Error> {
        RoundTrip(false).await;
        self.0.put(key, value, ttl_seconds).await
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        RoundTrip(false).await;
        self.0.delete(key).await
    }
}

impl SingleUse for Interleaved<'_> {
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        if let View::Memory(store) = &self.0 {
            RoundTrip(false).await;
            return store.consume(key).await;
        }
        self.get(key).await
    }

    async fn reserve(&self, key: &str, value: &[u8], ttl: u64) -> Result<bool, Error> {
        let kv = match &self.0 {
            View::Memory(store) => {
                RoundTrip(false).await;
                return store.reserve(key, value, ttl).await;
            }
            View::Kv(kv) => kv,
        };
        if self.get(key).await?.is_some() {
            return Ok(false);
        }
        RoundTrip(false).await;
        Ok(reserve_answer(kv.write(key, value, ttl)?))
    }
}

/// The provider configuration of `tests/op_support` (PBKDF2 hashes made once per run).
pub fn config_text() -> &'static str {
    static CONFIG: OnceLock<String> = OnceLock::new();
    CONFIG.get_or_init(|| config_json().to_string())
}

/// The same configuration with authorization codes living `seconds`.
pub fn config_with_code_lifetime(seconds: u64) -> String {
    let mut value: Value = serde_json::from_str(config_text()).unwrap();
    value["lifetimes"]["code"] = seconds.into();
    value.to_string()
}

/// A provider on a chosen backend, with a clock the test moves.
pub struct Edge {
    /// The provider.
    pub provider: Provider,
    /// The clock every location and the store share.
    pub clock: TestClock,
    /// The storage.
    pub backend: Backend,
}

impl Edge {
    /// A provider on the KV model.
    pub fn kv(config: KvConfig) -> Edge {
        Edge::build(config_text(), Some(config))
    }

    /// A provider on the memory store.
    pub fn memory() -> Edge {
        Edge::build(config_text(), None)
    }

    /// A provider with `config_json`, on the KV model (`Some`) or the memory store.
    pub fn build(config_json: &str, kv: Option<KvConfig>) -> Edge {
        let config = Config::from_json(config_json).unwrap();
        let keys_json = SigningKeys::generate(Some("k1")).unwrap();
        let keys = SigningKeys::from_jwks_json(&keys_json.to_string()).unwrap();
        let clock = TestClock(Rc::new(std::cell::Cell::new(START)));
        let backend = match kv {
            Some(kv) => Backend::Kv(Rc::new(Kv::new(kv, clock.clone()))),
            None => Backend::Memory(MemoryStore::new(clock.clone())),
        };
        Edge {
            provider: Provider::new(config, keys, crate::op_support::server_secrets()),
            clock,
            backend,
        }
    }

    /// Now (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.0.get()
    }

    /// Moves the clock.
    pub fn advance(&self, seconds: i64) {
        self.clock.0.set(self.clock.0.get() + seconds);
    }

    /// Sets the clock.
    pub fn set(&self, now: i64) {
        self.clock.0.set(now);
    }

    /// The KV model (panics on the memory backend).
    pub fn kv_model(&self) -> &Rc<Kv> {
        match &self.backend {
            Backend::Kv(kv) => kv,
            Backend::Memory(_) => panic!("this edge runs on the memory store"),
        }
    }

    /// What a `get` at `loc` would answer now, without touching any cache (the memory
    /// store answers the same everywhere).
    pub fn peek(&self, loc: Loc, key: &str) -> Option<Vec<u8>> {
        match &self.backend {
            Backend::Kv(kv) => kv.peek(loc, key),
            Backend::Memory(store) => run_ready(store.get(key)).unwrap(),
        }
    }

    /// Answers `req` at location `loc`.
    pub fn send(&self, loc: Loc, req: &Request) -> Response {
        let view = match &self.backend {
            Backend::Memory(store) => View::Memory(store),
            Backend::Kv(kv) => View::Kv(kv.at(loc)),
        };
        let services = Services {
            store: &view,
            pbkdf2: &RustPbkdf2,
            verifier: &RustCrypto,
            signer: self.provider.signing_keys(),
            fetcher: &NoFetch,
            now: UnixTime(self.now()),
        };
        let response = run_ready(async { Ok(self.provider.handle(req, &services).await) }).unwrap();
        assert!(
            response.status < 500 || response.status == 503,
            "{} {} at location {loc} answered {}",
            req.method,
            req.url,
            response.status
        );
        response
    }
}

impl Edge {
    /// Answers several requests in flight at the same moment, each at its location: they
    /// take turns at every store call (round robin, in the order given), so each reads
    /// before any of them writes.
    pub fn send_together(&self, requests: &[(Loc, &Request)]) -> Vec<Response> {
        let views: Vec<Interleaved<'_>> = requests
            .iter()
            .map(|(loc, _)| {
                Interleaved(match &self.backend {
                    Backend::Memory(store) => View::Memory(store),
                    Backend::Kv(kv) => View::Kv(kv.at(*loc)),
                })
            })
            .collect();
        let services: Vec<_> = views
            .iter()
            .map(|view| Services {
                store: view,
                pbkdf2: &RustPbkdf2,
                verifier: &RustCrypto,
                signer: self.provider.signing_keys(),
                fetcher: &NoFetch,
                now: UnixTime(self.now()),
            })
            .collect();
        let mut futures: Vec<Pin<Box<dyn Future<Output = Response> + '_>>> = services
            .iter()
            .zip(requests)
            .map(|(services, (_, req))| {
                Box::pin(self.provider.handle(req, services))
                    as Pin<Box<dyn Future<Output = Response> + '_>>
            })
            .collect();
        let mut done: Vec<Option<Response>> = requests.iter().map(|_| None).collect();
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1_000 {
            for (future, slot) in futures.iter_mut().zip(done.iter_mut()) {
                if slot.is_none()
                    && let Poll::Ready(response) = future.as_mut().poll(&mut cx)
                {
                    *slot = Some(response);
                }
            }
            if done.iter().all(Option::is_some) {
                return done.into_iter().map(Option::unwrap).collect();
            }
        }
        panic!("requests still pending after 1000 rounds");
    }
}

/// A browser (cookie jar) whose requests reach one location.
pub struct Browser<'a> {
    edge: &'a Edge,
    loc: Loc,
    cookies: CookieJar,
}

impl<'a> Browser<'a> {
    /// A browser routed to `loc`.
    pub fn new(edge: &'a Edge, loc: Loc) -> Browser<'a> {
        Browser {
            edge,
            loc,
            cookies: CookieJar::default(),
        }
    }

    /// Sends `req` with the cookies, keeping the ones set.
    pub fn send(&self, req: Request) -> Response {
        self.cookies.send(req, |req| self.edge.send(self.loc, req))
    }

    /// `GET`.
    pub fn get(&self, path_and_query: &str) -> Response {
        self.send(Request::new("GET", &absolute(path_and_query)))
    }

    /// `POST` of a form.
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.send(Request::new("POST", &absolute(path)).with_form(form))
    }
}

/// The SPA code flow as user "demo" at `loc`: `typing` seconds pass between the login page
/// and its submission. Returns the browser, the PKCE/state values and the code.
pub fn sign_in<'a>(
    edge: &'a Edge,
    loc: Loc,
    scope: &str,
    typing: i64,
) -> (Browser<'a>, AuthStart, String) {
    let browser = Browser::new(edge, loc);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, scope, &[])));
    let back = log_in(&browser, &to_login, typing);
    let params = redirect_params(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    let code = params.get("code").unwrap().to_owned();
    (browser, start, code)
}

/// Fills in the login page at `to_login` as "demo", `typing` seconds after loading it;
/// returns where the provider sends the browser back (the SPA, with a code).
fn log_in(browser: &Browser<'_>, to_login: &str, typing: i64) -> String {
    let page = browser.get(to_login);
    assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
    let html = String::from_utf8(page.body).unwrap();
    browser.edge.advance(typing);
    let back = location(&browser.post(
        "/login",
        &[
            ("tx", &hidden(&html, "tx")),
            ("csrf", &hidden(&html, "csrf")),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    ));
    assert!(back.starts_with(SPA_REDIRECT), "{back}");
    back
}

/// Seconds between two probes on one edge: more than any probe lasts (its delays, the
/// 540 s before a refresh, the 60 s caches), so probes never see each other's cache entries.
pub const EPOCH: i64 = 2_000;

/// A browser signed in at `loc` as "demo".
pub fn signed_in(edge: &Edge, loc: Loc) -> Browser<'_> {
    let (browser, _start, _code) = sign_in(edge, loc, "openid", 0);
    browser
}

/// Starts a probe: moves to the next epoch and has the signed-in browser's session issue a
/// new code for `scope` at the browser's location, now. When the 1-day session has expired
/// (after some 43 probes) the browser signs in again, in the same second.
pub fn new_code(browser: &Browser<'_>, scope: &str) -> (AuthStart, String) {
    browser.edge.advance(EPOCH);
    let start = AuthStart::new();
    let mut back = location(&browser.get(&start.url(SPA, SPA_REDIRECT, scope, &[])));
    if !back.starts_with(SPA_REDIRECT) {
        back = log_in(browser, &back, 0);
    }
    let params = redirect_params(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    let code = params.get("code").unwrap().to_owned();
    (start, code)
}

/// A `POST /token` request.
pub fn token_request(form: &[(&str, &str)]) -> Request {
    Request::new("POST", &format!("{ISSUER}/token")).with_form(form)
}

/// Exchanges `code` at `loc`.
pub fn exchange(edge: &Edge, loc: Loc, start: &AuthStart, code: &str) -> Response {
    edge.send(loc, &token_request(&code_form(start, code)))
}

/// Refreshes with `token` at `loc`.
pub fn refresh(edge: &Edge, loc: Loc, token: &str) -> Response {
    edge.send(
        loc,
        &token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", SPA),
        ]),
    )
}

/// `GET /userinfo` at `loc` with a Bearer token.
pub fn userinfo(edge: &Edge, loc: Loc, access_token: &str) -> Response {
    edge.send(
        loc,
        &Request::new("GET", &format!("{ISSUER}/userinfo"))
            .with_header("authorization", &format!("Bearer {access_token}")),
    )
}

/// `GET /userinfo` at `loc` with a DPoP-bound token and `proof`.
pub fn userinfo_dpop(edge: &Edge, loc: Loc, access_token: &str, proof: &str) -> Response {
    edge.send(
        loc,
        &Request::new("GET", &format!("{ISSUER}/userinfo"))
            .with_header("authorization", &format!("DPoP {access_token}"))
            .with_header("dpop", proof),
    )
}

/// A DPoP proof signed now (a fresh `jti` each time).
pub fn proof(
    edge: &Edge,
    key: &Jwk,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> String {
    sign_es256(
        key,
        &ProofClaims {
            htm,
            htu,
            iat: UnixTime(edge.now()),
            access_token,
            nonce,
        },
    )
    .unwrap()
}

/// Exchanges `code` at `loc` with a DPoP proof, doing the nonce round trip (RFC 9449 §8).
pub fn exchange_dpop(edge: &Edge, loc: Loc, key: &Jwk, start: &AuthStart, code: &str) -> Value {
    let token_url = format!("{ISSUER}/token");
    let form = code_form(start, code);
    let first = edge.send(
        loc,
        &token_request(&form)
            .with_header("dpop", &proof(edge, key, "POST", &token_url, None, None)),
    );
    assert_eq!(first.json_body()["error"], "use_dpop_nonce");
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let second = edge.send(
        loc,
        &token_request(&form).with_header(
            "dpop",
            &proof(edge, key, "POST", &token_url, None, Some(&nonce)),
        ),
    );
    assert_eq!(
        second.status,
        200,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    second.json_body()
}

/// "200", or the status and the protocol error code: what a transcript records.
pub fn outcome(response: &Response) -> String {
    if response.status == 200 {
        return "200".into();
    }
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let error = body["error"].as_str().map(str::to_owned).or_else(|| {
        response
            .header("www-authenticate")
            .and_then(|h| h.split("error=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
    });
    format!("{} {}", response.status, error.unwrap_or_default())
}

/// The smallest `d` in `lo..=hi` for which `hazard(d)` is false, by bisection, for a hazard
/// that holds below some threshold and not from it on; `hi + 1` when it holds throughout.
/// The two sides of the threshold are evaluated, so the answer is checked, not assumed.
pub fn threshold(lo: i64, hi: i64, hazard: impl Fn(i64) -> bool) -> i64 {
    if !hazard(lo) {
        return lo;
    }
    if hazard(hi) {
        return hi + 1;
    }
    let (mut yes, mut no) = (lo, hi);
    while no - yes > 1 {
        let mid = yes + (no - yes) / 2;
        if hazard(mid) {
            yes = mid;
        } else {
            no = mid;
        }
    }
    no
}

/// Every `d` in `lo..=hi` for which `hazard(d)` holds, evaluated one by one (for hazards
/// that need not start at `lo`), as a range; panics when they are not contiguous, since a
/// range would then misreport them. `d..d` (empty) when it never holds.
pub fn scan(lo: i64, hi: i64, hazard: impl Fn(i64) -> bool) -> std::ops::Range<i64> {
    let hits: Vec<i64> = (lo..=hi).filter(|&d| hazard(d)).collect();
    match (hits.first(), hits.last()) {
        (Some(&first), Some(&last)) => {
            assert_eq!(
                hits.len(),
                usize::try_from(last - first + 1).unwrap(),
                "not one interval: {hits:?}"
            );
            assert!(last < hi, "the hazard still holds at {hi}: widen the scan");
            first..last + 1
        }
        _ => lo..lo,
    }
}
