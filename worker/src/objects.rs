//! The Durable Object for single-use records, and the client the provider's store uses.
//!
//! One class, [`SingleUseObject`], with SQLite storage: a table of `(key, value, expires)`.
//! Each operation (`get`, `put`, `delete`, `consume`, `reserve`, `increment`) is one call
//! to one object and runs as one SQL statement, synchronously, so no other call to that
//! object runs between the read and the write of one operation: a `consume` returns a
//! value to one caller, a `reserve` stores for one, an `increment` loses no hit. Records
//! are spread over [`SHARDS`] objects by a hash of their key, so no single object
//! serialises every exchange of the provider.
//!
//! The provider calls the object over RPC (`stub.operate(op, key, value, ttl)`), not with
//! `fetch`: on local workerd a call through `fetch` cost 0.68 ms of CPU for a read and
//! 0.95 ms for a write (a Request and a Response built, streamed and parsed on each side),
//! RPC 0.05 and 0.21 ms (benches/op/do-calls.mjs). The runtime offers RPC only to classes
//! deriving from `DurableObject`; workers-rs exports a plain class, so `worker/entry.js`
//! links it to `DurableObject` (what worker-build itself does for its Emscripten target).
//! The answer is a value (`Uint8Array`, for get, consume, increment), `null` (absent),
//! `true` (stored or deleted) or `false` (`reserve` found the key present); a thrown error
//! is a failure the store reports as unavailable.
//!
//! Expired rows are never returned, and an alarm deletes them: set when a write finds none
//! pending, rearmed while rows remain.

use std::cell::{Cell, OnceCell};
use std::rc::Rc;

use oidc_edge::Error;
use oidc_edge::store::{Records, SingleUse, parse_count};
use oidc_edge::time::{Clock, SystemClock};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::{self, JsFuture};
use worker::{
    DurableObject, Env, ObjectNamespace, Request, Response, Result, SqlStorage, SqlStorageValue,
    State, durable_object, js_sys,
};

/// The Durable Object binding (worker/wrangler.toml).
pub const BINDING: &str = "OIDC_SINGLE_USE";

/// How many objects the records are spread over. Fixed for a deployment's lifetime: a
/// record is looked up in the object its key hashes to, so changing this strands every
/// stored record (refresh grants and revocation marks live for days to a year).
pub const SHARDS: u64 = 16;

/// Longest TTL stored (ten years): keeps `expires` a safe JavaScript integer.
const MAX_TTL: u64 = 315_360_000;

/// How often the alarm sweeps expired rows while any remain (milliseconds).
const SWEEP_EVERY_MS: i64 = 3_600_000;

/// Rows deleted per sweep statement, so one sweep never holds the object for long.
const SWEEP_BATCH: i64 = 1_000;

/// One operation of the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Get,
    Put,
    Delete,
    Consume,
    Reserve,
    Increment,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Get => "get",
            Operation::Put => "put",
            Operation::Delete => "delete",
            Operation::Consume => "consume",
            Operation::Reserve => "reserve",
            Operation::Increment => "increment",
        }
    }

    fn parse(name: &str) -> Option<Operation> {
        [
            Operation::Get,
            Operation::Put,
            Operation::Delete,
            Operation::Consume,
            Operation::Reserve,
            Operation::Increment,
        ]
        .into_iter()
        .find(|op| op.name() == name)
    }

    /// Whether the operation may leave a row behind (then a sweep must be pending).
    fn adds_rows(self) -> bool {
        matches!(
            self,
            Operation::Put | Operation::Reserve | Operation::Increment
        )
    }
}

/// What an operation answered (across RPC: [`Answer::to_js`]).
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// A value (get, consume) or a count (increment): a `Uint8Array`.
    Value(Vec<u8>),
    /// Nothing stored under the key (get, consume): `null`.
    Absent,
    /// Stored or deleted: `true`.
    Done,
    /// `reserve` found the key present: `false`.
    Present,
}

impl Answer {
    /// The answer as it crosses the RPC boundary.
    fn to_js(&self) -> JsValue {
        match self {
            Answer::Value(bytes) => js_sys::Uint8Array::from(bytes.as_slice()).into(),
            Answer::Absent => JsValue::NULL,
            Answer::Done => JsValue::TRUE,
            Answer::Present => JsValue::FALSE,
        }
    }

    /// The answer back from the RPC boundary; `None` for anything of another shape.
    fn from_js(value: &JsValue) -> Option<Answer> {
        if value.is_null() {
            return Some(Answer::Absent);
        }
        if let Some(done) = value.as_bool() {
            return Some(if done { Answer::Done } else { Answer::Present });
        }
        value
            .dyn_ref::<js_sys::Uint8Array>()
            .map(|bytes| Answer::Value(bytes.to_vec()))
    }

    /// For the logs.
    fn name(&self) -> &'static str {
        match self {
            Answer::Value(_) => "a value",
            Answer::Absent => "absent",
            Answer::Done => "done",
            Answer::Present => "present",
        }
    }
}

/// The shard a key lives in: FNV-1a of the key, modulo [`SHARDS`]. Keys are mostly
/// `prefix:` + a SHA-256 in base64url, so any hash spreads them evenly; FNV is enough and
/// needs no dependency.
pub fn shard_of(key: &str) -> u64 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    hash.checked_rem(SHARDS).unwrap_or(0)
}

// -------------------------------------------------------------------------------------
// The client side: the provider's store.

/// The Durable Object namespace as a [`SingleUse`] store.
pub struct ObjectStore(pub ObjectNamespace);

impl ObjectStore {
    /// Sends one operation to the key's object. Every failure (no stub, the call or the
    /// object threw, an answer of another shape) is logged with its cause and reported as
    /// [`Error::StoreUnavailable`].
    async fn call(
        &self,
        op: Operation,
        key: &str,
        value: &[u8],
        ttl_seconds: u64,
    ) -> core::result::Result<Answer, Error> {
        let shard = shard_of(key);
        let answer = self.send(op, key, value, ttl_seconds, shard).await;
        answer.map_err(|err| {
            worker::console_error!(
                "oidc-edge: Durable Object {BINDING} shard {shard}, {}: {err}",
                op.name()
            );
            Error::StoreUnavailable
        })
    }

    async fn send(
        &self,
        op: Operation,
        key: &str,
        value: &[u8],
        ttl_seconds: u64,
        shard: u64,
    ) -> Result<Answer> {
        let stub: RawStub = self
            .0
            .get_by_name(&format!("single-use-{shard}"))?
            .into_rpc();
        // A copy, not a view of wasm memory: the call serialises its arguments.
        let value = js_sys::Uint8Array::from(value);
        // Seconds fit a JavaScript number exactly (MAX_TTL caps them on the other side).
        #[allow(clippy::cast_precision_loss)]
        let ttl = ttl_seconds as f64;
        let answer = JsFuture::from(stub.operate(op.name(), key, &value, ttl)?).await?;
        Answer::from_js(&answer)
            .ok_or_else(|| worker::Error::RustError("an answer of no known shape".into()))
    }
}

#[wasm_bindgen]
extern "C" {
    /// A Durable Object stub as the runtime gives it, for its RPC method.
    type RawStub;

    /// `catch`: a call the runtime refuses at once (no such method, a broken stub) is an
    /// error here, not an exception unwinding through the module.
    #[wasm_bindgen(method, catch)]
    fn operate(
        this: &RawStub,
        op: &str,
        key: &str,
        value: &js_sys::Uint8Array,
        ttl_seconds: f64,
    ) -> core::result::Result<js_sys::Promise, JsValue>;
}

/// An answer that does not fit the operation: the object is not speaking this protocol.
fn unexpected(op: Operation, answer: &Answer) -> Error {
    worker::console_error!(
        "oidc-edge: Durable Object {BINDING}: {} answered {}",
        op.name(),
        answer.name()
    );
    Error::StoreUnavailable
}

fn value_or_absent(op: Operation, answer: Answer) -> core::result::Result<Option<Vec<u8>>, Error> {
    match answer {
        Answer::Value(value) => Ok(Some(value)),
        Answer::Absent => Ok(None),
        other => Err(unexpected(op, &other)),
    }
}

fn done(op: Operation, answer: Answer) -> core::result::Result<(), Error> {
    match answer {
        Answer::Done => Ok(()),
        other => Err(unexpected(op, &other)),
    }
}

impl Records for ObjectStore {
    async fn get(&self, key: &str) -> core::result::Result<Option<Vec<u8>>, Error> {
        let answer = self.call(Operation::Get, key, &[], 0).await?;
        value_or_absent(Operation::Get, answer)
    }

    async fn put(
        &self,
        key: &str,
        value: &[u8],
        ttl_seconds: u64,
    ) -> core::result::Result<(), Error> {
        let answer = self.call(Operation::Put, key, value, ttl_seconds).await?;
        done(Operation::Put, answer)
    }

    async fn delete(&self, key: &str) -> core::result::Result<(), Error> {
        let answer = self.call(Operation::Delete, key, &[], 0).await?;
        done(Operation::Delete, answer)
    }
}

impl SingleUse for ObjectStore {
    async fn consume(&self, key: &str) -> core::result::Result<Option<Vec<u8>>, Error> {
        let answer = self.call(Operation::Consume, key, &[], 0).await?;
        value_or_absent(Operation::Consume, answer)
    }

    async fn reserve(
        &self,
        key: &str,
        value: &[u8],
        ttl_seconds: u64,
    ) -> core::result::Result<bool, Error> {
        match self
            .call(Operation::Reserve, key, value, ttl_seconds)
            .await?
        {
            Answer::Done => Ok(true),
            Answer::Present => Ok(false),
            other => Err(unexpected(Operation::Reserve, &other)),
        }
    }

    async fn increment(&self, key: &str, ttl_seconds: u64) -> core::result::Result<u64, Error> {
        match self
            .call(Operation::Increment, key, &[], ttl_seconds)
            .await?
        {
            Answer::Value(count) => Ok(parse_count(&count)),
            other => Err(unexpected(Operation::Increment, &other)),
        }
    }
}

// -------------------------------------------------------------------------------------
// The object.

/// One shard of the single-use records (SQLite storage; `new_sqlite_classes` in
/// worker/wrangler.toml).
#[durable_object(alarm)]
pub struct SingleUseObject {
    state: State,
    /// The SQL handle, once the table exists (created on first use by this instance).
    sql: OnceCell<SqlStorage>,
    /// An alarm is known to be pending, or being set (checked once per instance, then
    /// kept; cleared again if setting it failed).
    sweep_armed: Rc<Cell<bool>>,
}

impl DurableObject for SingleUseObject {
    fn new(state: State, _env: Env) -> Self {
        SingleUseObject {
            state,
            sql: OnceCell::new(),
            sweep_armed: Rc::new(Cell::new(false)),
        }
    }

    /// Not used: the provider calls [`SingleUseObject::operate`] over RPC.
    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::error("the single-use records are reached over RPC", 404)
    }

    async fn alarm(&self) -> Result<Response> {
        self.sweep_armed.set(false);
        let sql = self.sql()?;
        let now = now_seconds();
        sql.exec(
            "DELETE FROM records WHERE key IN \
             (SELECT key FROM records WHERE expires <= ? LIMIT ?)",
            vec![now.into(), SWEEP_BATCH.into()],
        )?;
        let any = |query: &str, bindings: Vec<SqlStorageValue>| -> Result<bool> {
            Ok(sql.exec(query, bindings)?.raw().next().is_some())
        };
        // More expired rows than one batch: again at once; other rows: at the usual
        // interval; an empty table needs no alarm until the next write.
        let next = if any(
            "SELECT 1 FROM records WHERE expires <= ? LIMIT 1",
            vec![now.into()],
        )? {
            Some(1_000)
        } else if any("SELECT 1 FROM records LIMIT 1", Vec::new())? {
            Some(SWEEP_EVERY_MS)
        } else {
            None
        };
        if let Some(next) = next {
            self.state.storage().set_alarm(next).await?;
            self.sweep_armed.set(true);
        }
        Response::empty()
    }
}

#[wasm_bindgen]
impl SingleUseObject {
    /// One operation, called over RPC by [`ObjectStore`]: synchronous, so nothing else
    /// runs on this object between its read and its write.
    #[wasm_bindgen]
    pub fn operate(
        &self,
        op: &str,
        key: &str,
        value: &[u8],
        ttl_seconds: f64,
    ) -> core::result::Result<JsValue, JsValue> {
        let Some(op) = Operation::parse(op) else {
            return Err(JsValue::from_str("unknown operation"));
        };
        // A TTL is a whole number of seconds; anything else stores nothing lasting.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ttl = if ttl_seconds.is_finite() && ttl_seconds > 0.0 {
            ttl_seconds.min(MAX_TTL as f64) as u64
        } else {
            0
        };
        let answer = self
            .apply(op, key, value, ttl)
            .map_err(|err| JsValue::from_str(&format!("{}: {err}", op.name())))?;
        if op.adds_rows() && !self.sweep_armed.replace(true) {
            // After the operation: its answer is decided; a failure here only delays
            // sweeping. Storage calls of an object run in order, so this needs no await.
            let storage = self.state.storage();
            let armed = self.sweep_armed.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(err) = arm_sweep(&storage).await {
                    // The next write tries again.
                    armed.set(false);
                    worker::console_error!("oidc-edge: single-use sweep not scheduled: {err}");
                }
            });
        }
        Ok(answer.to_js())
    }
}

impl SingleUseObject {
    /// The SQL handle, creating the table on first use. First checks, without the
    /// accessors that unwrap (`State::storage`, `Storage::sql`), that this object has
    /// SQLite storage: a class deployed without `new_sqlite_classes` answers an error with
    /// the reason (a 503 to the client, logged) instead of throwing through the Worker.
    fn sql(&self) -> Result<&SqlStorage> {
        if let Some(sql) = self.sql.get() {
            return Ok(sql);
        }
        let storage = self.state.as_raw().storage().map_err(worker::Error::from)?;
        let handle = js_sys::Reflect::get(&storage, &"sql".into()).map_err(worker::Error::from)?;
        if handle.is_undefined() || handle.is_null() {
            return Err(worker::Error::RustError(
                "no SQLite storage: declare the class with new_sqlite_classes".into(),
            ));
        }
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS records \
             (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires INTEGER NOT NULL)",
            Vec::new(),
        )?;
        sql.exec(
            "CREATE INDEX IF NOT EXISTS records_expires ON records (expires)",
            Vec::new(),
        )?;
        Ok(self.sql.get_or_init(|| sql))
    }

    /// One operation, as one SQL statement (SQLite's upsert and `RETURNING`): the read
    /// that decides and the write it leads to are one step of the database.
    fn apply(&self, op: Operation, key: &str, value: &[u8], ttl: u64) -> Result<Answer> {
        let sql = self.sql()?;
        let now = now_seconds();
        let expires = now.saturating_add(i64::try_from(ttl.min(MAX_TTL)).unwrap_or(0));
        let first_value =
            |query: &str, bindings: Vec<SqlStorageValue>| -> Result<Option<Vec<u8>>> {
                sql.exec(query, bindings)?
                    .raw()
                    .next()
                    .map(|row| single_value(row?))
                    .transpose()
            };
        Ok(match op {
            Operation::Get => first_value(
                "SELECT value FROM records WHERE key = ? AND expires > ?",
                vec![key.into(), now.into()],
            )?
            .map_or(Answer::Absent, Answer::Value),
            Operation::Put => {
                sql.exec(
                    "INSERT OR REPLACE INTO records (key, value, expires) VALUES (?, ?, ?)",
                    vec![key.into(), value.to_vec().into(), expires.into()],
                )?;
                Answer::Done
            }
            Operation::Delete => {
                sql.exec("DELETE FROM records WHERE key = ?", vec![key.into()])?;
                Answer::Done
            }
            // An expired row is left to the sweep: it is not the caller's to take.
            Operation::Consume => first_value(
                "DELETE FROM records WHERE key = ? AND expires > ? RETURNING value",
                vec![key.into(), now.into()],
            )?
            .map_or(Answer::Absent, Answer::Value),
            // Stored when the key is absent or its row expired; a live row is untouched
            // and returns nothing.
            Operation::Reserve => {
                let stored = first_value(
                    "INSERT INTO records (key, value, expires) VALUES (?, ?, ?) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                     expires = excluded.expires WHERE records.expires <= ? RETURNING 1",
                    vec![
                        key.into(),
                        value.to_vec().into(),
                        expires.into(),
                        now.into(),
                    ],
                )?;
                if stored.is_some() {
                    Answer::Done
                } else {
                    Answer::Present
                }
            }
            // A live counter counts on and keeps the expiry it started with (as
            // MemoryStore's does); an expired one starts again at 1. SET reads the old row.
            Operation::Increment => first_value(
                "INSERT INTO records (key, value, expires) VALUES (?, '1', ?) \
                 ON CONFLICT (key) DO UPDATE SET \
                 value = CASE WHEN records.expires > ? \
                   THEN CAST(CAST(records.value AS TEXT) AS INTEGER) + 1 ELSE 1 END, \
                 expires = CASE WHEN records.expires > ? \
                   THEN records.expires ELSE excluded.expires END \
                 RETURNING CAST(value AS TEXT)",
                vec![key.into(), expires.into(), now.into(), now.into()],
            )?
            .map(Answer::Value)
            .ok_or_else(|| worker::Error::RustError("increment returned no row".into()))?,
        })
    }
}

/// Makes sure an alarm will sweep expired rows.
async fn arm_sweep(storage: &worker::Storage) -> Result<()> {
    if storage.get_alarm().await?.is_none() {
        storage.set_alarm(SWEEP_EVERY_MS).await?;
    }
    Ok(())
}

/// The bytes of a one-column row.
fn single_value(row: Vec<SqlStorageValue>) -> Result<Vec<u8>> {
    match row.into_iter().next() {
        Some(SqlStorageValue::Blob(value)) => Ok(value),
        Some(SqlStorageValue::String(text)) => Ok(text.into_bytes()),
        // An empty BLOB may come back as null.
        Some(SqlStorageValue::Null) => Ok(Vec::new()),
        Some(SqlStorageValue::Integer(number)) => Ok(number.to_string().into_bytes()),
        _ => Err(worker::Error::RustError("unexpected row shape".into())),
    }
}

/// Unix seconds, from the runtime's clock.
fn now_seconds() -> i64 {
    SystemClock.now().0
}
