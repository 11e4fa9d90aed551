//! The Durable Object for single-use records, and the client the provider's store uses.
//!
//! One class, [`SingleUseObject`], with SQLite storage: a table of `(key, value, expires)`.
//! Each operation (`get`, `put`, `delete`, `consume`, `reserve`, `increment`) is one
//! request to one object and runs in its `fetch` handler as synchronous SQL with no await
//! between the read and the write, so no other request to that object runs in between: a
//! `consume` returns a value to one caller, a `reserve` stores for one, an `increment`
//! loses no hit. Records are spread over [`SHARDS`] objects by a hash of their key, so no
//! single object serialises every exchange of the provider.
//!
//! The wire format is small: `POST https://single-use/<operation>?key=<key>&ttl=<seconds>`
//! with the value as the body; the answer's status says what happened (200 with the value
//! or the count, 404 absent, 204 stored or deleted, 409 already present), anything else is
//! a failure the store reports as unavailable.
//!
//! Expired rows are never returned, and an alarm deletes them: set when a write finds none
//! pending, rearmed while rows remain.

use std::cell::Cell;

use oidc_edge::Error;
use oidc_edge::store::{Records, SingleUse, parse_count};
use oidc_edge::time::{Clock, SystemClock};
use worker::{
    DurableObject, Env, Method, ObjectNamespace, Request, RequestInit, Response, Result,
    SqlStorageValue, State, durable_object, js_sys,
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

    /// Whether the request carries a value.
    fn takes_value(self) -> bool {
        matches!(self, Operation::Put | Operation::Reserve)
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
        let stub = self.0.get_by_name(&format!("single-use-{shard}"))?;
        let mut url = worker::Url::parse("https://single-use/")?;
        url.set_path(op.name());
        url.query_pairs_mut()
            .append_pair("key", key)
            .append_pair("ttl", &ttl_seconds.to_string());
        let mut init = RequestInit::new();
        init.with_method(Method::Post);
        if op.takes_value() {
            init.with_body(Some(js_sys::Uint8Array::from(value).into()));
        }
        let request = Request::new_with_init(url.as_str(), &init)?;
        let mut response = stub.fetch_with_request(request).await?;
        match response.status_code() {
            200 => Ok(Answer::Value(response.bytes().await?)),
            404 => Ok(Answer::Absent),
            204 => Ok(Answer::Done),
            409 => Ok(Answer::Present),
            status => {
                let text = response.text().await.unwrap_or_default();
                Err(worker::Error::RustError(format!(
                    "answered {status}: {}",
                    text.chars().take(200).collect::<String>()
                )))
            }
        }
    }
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
    /// The table exists (created on first use by this instance).
    ready: Cell<bool>,
    /// An alarm is known to be pending (checked once per instance, then kept).
    sweep_armed: Cell<bool>,
}

impl DurableObject for SingleUseObject {
    fn new(state: State, _env: Env) -> Self {
        SingleUseObject {
            state,
            ready: Cell::new(false),
            sweep_armed: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let url = req.url()?;
        let Some(op) = Operation::parse(url.path().trim_start_matches('/')) else {
            return Response::error("unknown operation", 400);
        };
        let mut key = None;
        let mut ttl = 0_u64;
        for (name, value) in url.query_pairs() {
            match &*name {
                "key" => key = Some(value.into_owned()),
                "ttl" => ttl = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        let Some(key) = key else {
            return Response::error("no key", 400);
        };
        let value = if op.takes_value() {
            req.bytes().await?
        } else {
            Vec::new()
        };
        // From here to the answer: synchronous SQL only, so no other request to this object
        // runs between the read and the write of one operation.
        let answer = match self.apply(op, &key, value, ttl) {
            Ok(answer) => answer,
            Err(err) => return Response::error(format!("{}: {err}", op.name()), 500),
        };
        if op.adds_rows() && !self.sweep_armed.get() {
            // After the operation: its answer is decided; a failure here only delays sweeping.
            if let Err(err) = self.arm_sweep().await {
                worker::console_error!("oidc-edge: single-use sweep not scheduled: {err}");
            }
        }
        let response = match answer {
            Answer::Value(bytes) => Response::from_bytes(bytes)?,
            other => Response::empty()?.with_status(other.status()),
        };
        Ok(response)
    }

    async fn alarm(&self) -> Result<Response> {
        self.sweep_armed.set(false);
        self.ensure_table()?;
        let sql = self.state.storage().sql();
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

impl SingleUseObject {
    /// Creates the table on first use. First checks, without the accessors that unwrap
    /// (`State::storage`, `Storage::sql`), that this object has SQLite storage: a class
    /// deployed without `new_sqlite_classes` answers 500 with the reason instead of
    /// throwing through the Worker.
    fn ensure_table(&self) -> Result<()> {
        if !self.ready.get() {
            let storage = self.state.as_raw().storage().map_err(worker::Error::from)?;
            let sql = js_sys::Reflect::get(&storage, &"sql".into()).map_err(worker::Error::from)?;
            if sql.is_undefined() || sql.is_null() {
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
            self.ready.set(true);
        }
        Ok(())
    }

    /// One operation, as synchronous SQL.
    fn apply(&self, op: Operation, key: &str, value: Vec<u8>, ttl: u64) -> Result<Answer> {
        self.ensure_table()?;
        let now = now_seconds();
        let expires = now.saturating_add(i64::try_from(ttl.min(MAX_TTL)).unwrap_or(0));
        Ok(match op {
            Operation::Get => self
                .live(key, now)?
                .map_or(Answer::Absent, |(v, _)| Answer::Value(v)),
            Operation::Put => {
                self.store(key, value, expires)?;
                Answer::Done
            }
            Operation::Delete => {
                self.remove(key)?;
                Answer::Done
            }
            Operation::Consume => match self.live(key, now)? {
                Some((value, _)) => {
                    self.remove(key)?;
                    Answer::Value(value)
                }
                None => Answer::Absent,
            },
            Operation::Reserve => {
                if self.live(key, now)?.is_some() {
                    Answer::Present
                } else {
                    self.store(key, value, expires)?;
                    Answer::Done
                }
            }
            Operation::Increment => {
                // The counter keeps the expiry it started with (as MemoryStore's does).
                let (count, expires) = match self.live(key, now)? {
                    Some((bytes, started)) => (parse_count(&bytes).saturating_add(1), started),
                    None => (1, expires),
                };
                let text = count.to_string().into_bytes();
                self.store(key, text.clone(), expires)?;
                Answer::Value(text)
            }
        })
    }

    /// The live value under `key` and its expiry.
    fn live(&self, key: &str, now: i64) -> Result<Option<(Vec<u8>, i64)>> {
        let cursor = self.state.storage().sql().exec(
            "SELECT value, expires FROM records WHERE key = ? AND expires > ?",
            vec![key.into(), now.into()],
        )?;
        let Some(row) = cursor.raw().next() else {
            return Ok(None);
        };
        let mut row = row?.into_iter();
        match (row.next(), row.next()) {
            (Some(SqlStorageValue::Blob(value)), Some(SqlStorageValue::Integer(expires))) => {
                Ok(Some((value, expires)))
            }
            // An empty BLOB may come back as an empty string, or as null.
            (Some(SqlStorageValue::Null), Some(SqlStorageValue::Integer(expires))) => {
                Ok(Some((Vec::new(), expires)))
            }
            (Some(SqlStorageValue::String(text)), Some(SqlStorageValue::Integer(expires))) => {
                Ok(Some((text.into_bytes(), expires)))
            }
            _ => Err(worker::Error::RustError("unexpected row shape".into())),
        }
    }

    fn store(&self, key: &str, value: Vec<u8>, expires: i64) -> Result<()> {
        self.state.storage().sql().exec(
            "INSERT OR REPLACE INTO records (key, value, expires) VALUES (?, ?, ?)",
            vec![key.into(), value.into(), expires.into()],
        )?;
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.state
            .storage()
            .sql()
            .exec("DELETE FROM records WHERE key = ?", vec![key.into()])?;
        Ok(())
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

/// Unix seconds, from the runtime's clock.
fn now_seconds() -> i64 {
    SystemClock.now().0
}
