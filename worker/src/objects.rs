//! The Durable Object for single-use records, and the client the provider's store uses.
//!
//! One class, [`SingleUseObject`], with SQLite storage: a table of `(key, value, expires)`.
//! Each operation (`get`, `put`, `delete`, `consume`, `reserve`, `increment`) is one
//! request to one object and runs in its `fetch` handler as one SQL statement with no
//! await between the read and the write, so no other request to that object runs in
//! between: a `consume` returns a value to one caller, a `reserve` stores for one, an
//! `increment` loses no hit. Records are spread over [`SHARDS`] objects by a hash of their
//! key, so no single object serialises every exchange of the provider.
//!
//! The wire format is small, because every exchange and refresh pays for it several
//! times: `POST https://single-use/<operation>/<ttl seconds>/<key length>` with the key's
//! bytes followed by the value's as the body (numbers only in the URL: nothing to escape or
//! unescape); the answer's status says what happened (200 with the value or the count, 404
//! absent, 204 stored or deleted, 409 already present), anything else is a failure the
//! store reports as unavailable. Bodies are read whole with `arrayBuffer()`: they are a few
//! hundred bytes, and a stream reader cost more than the SQL.
//!
//! Expired rows are never returned, and an alarm deletes them: set when a write finds none
//! pending, rearmed while rows remain.

use std::cell::{Cell, OnceCell};

use oidc_edge::Error;
use oidc_edge::store::{Records, SingleUse, parse_count};
use oidc_edge::time::{Clock, SystemClock};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen_futures::JsFuture;
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

/// What an operation answered.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// A value (get, consume) or a count (increment): 200.
    Value(Vec<u8>),
    /// Nothing stored under the key (get, consume): 404.
    Absent,
    /// Stored or deleted: 204.
    Done,
    /// `reserve` found the key present: 409.
    Present,
}

impl Answer {
    fn status(&self) -> u16 {
        match self {
            Answer::Value(_) => 200,
            Answer::Absent => 404,
            Answer::Done => 204,
            Answer::Present => 409,
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
    /// Sends one operation to the key's object. Every failure (no stub, the object threw,
    /// an unexpected status) is logged with its cause and reported as
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
        let url = format!(
            "https://single-use/{}/{ttl_seconds}/{}",
            op.name(),
            key.len()
        );
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        let mut body = Vec::with_capacity(key.len().saturating_add(value.len()));
        body.extend_from_slice(key.as_bytes());
        body.extend_from_slice(value);
        init.set_body(&js_sys::Uint8Array::from(body.as_slice()));
        let request = web_sys::Request::new_with_str_and_init(&url, &init)?;
        let response: web_sys::Response = JsFuture::from(stub.fetch(&request)).await?.dyn_into()?;
        match response.status() {
            200 => Ok(Answer::Value(body_bytes(&response).await?)),
            404 => Ok(Answer::Absent),
            204 => Ok(Answer::Done),
            409 => Ok(Answer::Present),
            status => {
                let text =
                    String::from_utf8_lossy(&body_bytes(&response).await.unwrap_or_default())
                        .chars()
                        .take(200)
                        .collect::<String>();
                Err(worker::Error::RustError(format!(
                    "answered {status}: {text}"
                )))
            }
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// A Durable Object stub as the runtime gives it, called directly: workers-rs's
    /// `Stub::fetch_with_request` would convert the request and the response to its own
    /// types and back, which costs more than the operation.
    type RawStub;

    #[wasm_bindgen(method)]
    fn fetch(this: &RawStub, request: &web_sys::Request) -> js_sys::Promise;
}

/// A response's whole body.
async fn body_bytes(response: &web_sys::Response) -> Result<Vec<u8>> {
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// An answer that does not fit the operation: the object is not speaking this protocol.
fn unexpected(op: Operation, answer: &Answer) -> Error {
    worker::console_error!(
        "oidc-edge: Durable Object {BINDING}: {} answered {}",
        op.name(),
        answer.status()
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
    /// An alarm is known to be pending (checked once per instance, then kept).
    sweep_armed: Cell<bool>,
}

impl DurableObject for SingleUseObject {
    fn new(state: State, _env: Env) -> Self {
        SingleUseObject {
            state,
            sql: OnceCell::new(),
            sweep_armed: Cell::new(false),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let Some((op, ttl, key_length)) = parse_path(&req.path()) else {
            return Response::error("unknown operation", 400);
        };
        let body = JsFuture::from(req.inner().array_buffer()?).await?;
        let body = js_sys::Uint8Array::new(&body).to_vec();
        let Some((key, value)) = body.split_at_checked(key_length) else {
            return Response::error("body shorter than its key", 400);
        };
        let Ok(key) = std::str::from_utf8(key) else {
            return Response::error("key is not UTF-8", 400);
        };
        // From here to the answer: one synchronous SQL statement, so no other request to
        // this object runs between the read and the write of one operation.
        let answer = match self.apply(op, key, value, ttl) {
            Ok(answer) => answer,
            Err(err) => return Response::error(format!("{}: {err}", op.name()), 500),
        };
        if op.adds_rows() && !self.sweep_armed.get() {
            // After the operation: its answer is decided; a failure here only delays sweeping.
            if let Err(err) = self.arm_sweep().await {
                worker::console_error!("oidc-edge: single-use sweep not scheduled: {err}");
            }
        }
        match answer {
            Answer::Value(bytes) => Response::from_bytes(bytes),
            other => Ok(Response::empty()?.with_status(other.status())),
        }
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

/// `/<operation>/<ttl>/<key length>`, as [`ObjectStore::send`] writes it.
fn parse_path(path: &str) -> Option<(Operation, u64, usize)> {
    let mut parts = path.strip_prefix('/')?.split('/');
    let op = Operation::parse(parts.next()?)?;
    let ttl = parts.next()?.parse().ok()?;
    let key_length = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((op, ttl, key_length))
}

impl SingleUseObject {
    /// The SQL handle, creating the table on first use. First checks, without the
    /// accessors that unwrap (`State::storage`, `Storage::sql`), that this object has
    /// SQLite storage: a class deployed without `new_sqlite_classes` answers 500 with the
    /// reason instead of throwing through the Worker.
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

    /// Makes sure an alarm will sweep expired rows.
    async fn arm_sweep(&self) -> Result<()> {
        let storage = self.state.storage();
        if storage.get_alarm().await?.is_none() {
            storage.set_alarm(SWEEP_EVERY_MS).await?;
        }
        self.sweep_armed.set(true);
        Ok(())
    }
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
