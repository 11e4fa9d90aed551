//! Clients registered at `/register` (RFC 7591), kept in the store as a cacheable record
//! ([`RegisteredClients`]) and read back through the same validator as when they
//! registered. What they were issued is kept only as hashes: the secret as a PBKDF2 hash,
//! as a configured client's; the registration access token (RFC 7592 §3) as a SHA-256
//! digest, as the store keeps every other bearer value.
//!
//! A lookup is kept by the provider for [`CACHE_SECONDS`] (found or not), so a client's
//! requests do not each read the store; the provider's own writes (registration, update,
//! deletion) replace what it keeps at once, and other locations see them within that
//! minute plus the store's propagation.

use std::sync::{Arc, PoisonError};

use sha2::{Digest, Sha256};

use crate::cache::BoundedCache;
use crate::op::clients::metadata::{self, MetadataError};
use crate::op::config::{AuthMethod, Client, ClientOrigin, SelfAsserted};
use crate::op::password::{DEFAULT_SECRET_ITERATIONS, PasswordHash};
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, DeletedClients, Key, Mark, RegisteredClient, RegisteredClients};
use crate::secret::constant_time_eq;
use crate::store::Store;
use crate::{Error, b64, random};

/// How long a registration lasts, in seconds (a year): its end is the secret's
/// `client_secret_expires_at`, and a client registers again after it. Open registration
/// would otherwise keep every client anyone ever registered.
pub const LIFETIME: u64 = 365 * 24 * 3600;
/// How long the provider keeps what it read of a registered client, in seconds.
pub const CACHE_SECONDS: i64 = 60;
/// How long a deletion's mark is kept, in seconds: far beyond the time a location may
/// still read the deleted registration (KV's propagation and its edge cache, a minute
/// each), which is how long an update could be made against it.
const DELETION_MARK_SECONDS: u64 = 3600;
/// The most registered clients a provider keeps at once.
pub(crate) const CACHE_SIZE: usize = 512;
/// Random bytes in a `client_id` (base64url: [`ID_LEN`] characters).
const ID_BYTES: usize = 16;
/// Characters in a registered `client_id`.
const ID_LEN: usize = 22;

/// What the provider keeps of registered clients: until when, and the client (`None`: not
/// registered).
pub(crate) type RegisteredCache = BoundedCache<String, (i64, Option<Arc<Client>>)>;

/// Whether `client_id` has the shape of one issued here: anything else is never looked
/// up in the store, so made-up ids cost nothing there.
pub fn looks_registered(client_id: &str) -> bool {
    client_id.len() == ID_LEN
        && client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The rules a registered client is held to. `client_credentials` is granted only by
/// registering with the operator's initial access token (what was registered then stands).
pub fn rules(op: &Provider, client_credentials: bool) -> SelfAsserted<'_> {
    SelfAsserted {
        origin: ClientOrigin::Registered,
        scopes: op.config.offered_scopes(),
        client_credentials,
        allow_loopback_fetch: op.config.registration.allow_loopback_fetch,
    }
}

/// The registered client `client_id`, if one is registered and its registration has not
/// ended.
pub async fn find<S: Store, P, V>(
    op: &Provider,
    client_id: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Arc<Client>>, Error> {
    let now = services.now.0;
    if let Some((until, client)) = cache(op).get(client_id)
        && now < until
    {
        return Ok(client);
    }
    let record = load(client_id, services).await?;
    let client = record
        .filter(|record| now < record.expires_at)
        .and_then(|record| client_of(op, client_id, &record).ok())
        .map(Arc::new);
    remember(op, client_id, client.clone(), now);
    Ok(client)
}

/// The stored record of `client_id`, read from the store (not the provider's cache): what
/// registration management authenticates against.
pub async fn load<S: Store, P, V>(
    client_id: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<RegisteredClient>, Error> {
    if !looks_registered(client_id) {
        return Ok(None);
    }
    records::get(services.store, &Key::<RegisteredClients>::new(client_id)).await
}

/// Replaces the registration of `client_id` with `record` (RFC 7592 §2.2). `false` when
/// the client deleted itself: then nothing is written, or what was is taken back. The
/// update is read from a registration that KV may still show at this location after a
/// deletion made at another, so the deletion's mark is looked up before the write (a
/// deletion that came first: nothing is written) and again after it (one made while this
/// update was under way: its write is taken back, and the deletion's own removal comes
/// after it anyway). Only a deletion racing the update within the same second can meet
/// KV's one write per second per key on the way back, and then one of the two requests
/// fails with 503 for its client to retry.
pub async fn replace<S: Store, P, V>(
    client_id: &str,
    record: &RegisteredClient,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let deleted = Key::<DeletedClients>::new(client_id);
    if records::get(services.store, &deleted).await?.is_some() {
        return Ok(false);
    }
    let key = Key::<RegisteredClients>::new(client_id);
    let remaining = u64::try_from(record.expires_at.saturating_sub(services.now.0)).unwrap_or(0);
    records::put(services.store, &key, record, remaining).await?;
    if records::get(services.store, &deleted).await?.is_some() {
        records::delete(services.store, &key).await?;
        return Ok(false);
    }
    Ok(true)
}

/// Deletes the registration of `client_id` (RFC 7592 §2.3): the mark first, which keeps
/// an update made against a stale read from bringing it back ([`replace`]), then the
/// record.
pub async fn delete<S: Store, P, V>(
    op: &Provider,
    client_id: &str,
    services: &Services<'_, S, P, V>,
) -> Result<(), Error> {
    let now = services.now.0;
    let mark = Mark { at: now };
    let deleted = Key::<DeletedClients>::new(client_id);
    records::put(services.store, &deleted, &mark, DELETION_MARK_SECONDS).await?;
    records::delete(services.store, &Key::<RegisteredClients>::new(client_id)).await?;
    remember(op, client_id, None, now);
    Ok(())
}

/// The client a stored record describes, read by the validator with today's rules (a scope
/// the configuration no longer offers is left out).
pub fn client_of(
    op: &Provider,
    client_id: &str,
    record: &RegisteredClient,
) -> Result<Client, MetadataError> {
    let read = metadata::read(
        &record.metadata,
        client_id,
        &rules(op, true),
        AuthMethod::ClientSecretBasic,
    )?;
    let mut client = read.client;
    client.client_secret_hash = record
        .secret_hash
        .as_deref()
        .and_then(|phc| PasswordHash::parse(phc).ok());
    Ok(client)
}

/// Keeps `client` as what `client_id` is, for [`CACHE_SECONDS`] from `now`.
pub fn remember(op: &Provider, client_id: &str, client: Option<Arc<Client>>, now: i64) {
    cache(op).insert(
        client_id.to_owned(),
        (now.saturating_add(CACHE_SECONDS), client),
    );
}

fn cache(op: &Provider) -> std::sync::MutexGuard<'_, RegisteredCache> {
    // Entries are replaced whole: a poisoned lock's contents are as good as any.
    op.registered_clients
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A new `client_id`: 128 random bits, never one the configuration has.
pub fn new_client_id(op: &Provider) -> Result<String, Error> {
    loop {
        let id = random::token(ID_BYTES)?;
        if op.config.client(&id).is_none() {
            return Ok(id);
        }
    }
}

/// A new client secret (256 random bits) and its hash, as `oidc-edge hash-secret` makes
/// them for configured clients.
pub fn new_secret() -> Result<(String, String), Error> {
    let secret = random::token(32)?;
    let hash = PasswordHash::create(secret.as_bytes(), DEFAULT_SECRET_ITERATIONS)?;
    Ok((secret, hash.to_phc_string()))
}

/// A new registration access token (256 random bits) and its digest.
pub fn new_access_token() -> Result<(String, String), Error> {
    let token = random::token(32)?;
    let digest = token_digest(&token);
    Ok((token, digest))
}

/// Whether `token` is the record's registration access token (constant time).
pub fn token_matches(record: &RegisteredClient, token: &str) -> bool {
    constant_time_eq(
        token_digest(token).as_bytes(),
        record.access_token_hash.as_bytes(),
    )
}

fn token_digest(token: &str) -> String {
    b64::encode(&Sha256::digest(token.as_bytes()))
}

/// Whether `client` authenticates with a secret the provider issues.
pub fn uses_secret(client: &Client) -> bool {
    matches!(
        client.token_endpoint_auth_method,
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
    )
}
