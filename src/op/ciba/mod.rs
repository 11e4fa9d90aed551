//! CIBA in poll and ping modes (OpenID Connect Client-Initiated Backchannel Authentication
//! Core 1.0) as a life cycle: a confidential client names a user and asks (`/bc-authorize`),
//! the user, signed in at `/ciba` on a device of their own, sees their waiting requests and
//! approves or denies each, a ping client is told so ([`ping`]), and the client calls the
//! token endpoint with its `auth_req_id` (`token::grants::ciba`). The answer, the polling rules and the tokens once are those of
//! every request a user answers elsewhere (`op::pending`).
//!
//! A request is stored twice, written once each: under its `auth_req_id` (by hash) for the
//! polls, and in its user's inbox for the page (with, for a ping client, its notification
//! token apart: [`ping`]), under a number from the user's counter
//! (`increment`, so requests made at the same moment get different numbers, and the entry
//! is written with `reserve`, so none overwrites another). The page reads the newest
//! [`INBOX_SHOWN`] entries.

pub mod pages;
pub mod ping;

use crate::Error;
use crate::op::ciba::ping::PingBack;
use crate::op::pending::{self, INTERVAL, Pending};
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, CibaInbox, CibaRequest, CibaRequests, Key};
use crate::op::types::{ClientId, Scope};
use crate::secret::Secret;
use crate::store::{Store, parse_count};

/// How many of a user's newest requests the page looks at.
pub const INBOX_SHOWN: u64 = 10;

/// How long a user's inbox counter lives: far beyond any request, so numbers are not
/// given twice while an entry stands (a number found taken is skipped anyway).
const COUNTER_TTL: u64 = 30 * 24 * 3600;

/// How many numbers are tried before giving up: one is taken only after the counter
/// expired and started again.
const MAX_TRIES: usize = 4;

/// What a new request is about.
#[derive(Debug)]
pub struct Ask<'a> {
    /// The client asking.
    pub client_id: &'a ClientId,
    /// The user asked.
    pub sub: &'a str,
    /// The scopes.
    pub scope: Scope,
    /// The binding message, checked.
    pub binding_message: Option<String>,
    /// The resources named.
    pub resources: Vec<String>,
    /// Seconds until it expires (within `lifetimes.ciba`).
    pub expires_in: u64,
    /// A ping client's `client_notification_token` (§7.1), checked.
    pub client_notification_token: Option<Secret>,
}

/// A request just started: what the client is told (CIBA Core §7.3).
#[derive(Debug)]
pub struct Started {
    /// The `auth_req_id`: 256 bits derived from the request's random id with the master
    /// secret (`ServerSecrets::auth_req_id`), stored only as a hash.
    pub auth_req_id: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
}

/// Starts a request.
pub async fn start<S: Store, P, V>(
    op: &Provider,
    ask: Ask<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Started, Error> {
    let request = CibaRequest {
        id: pending::new_id()?,
        client_id: ask.client_id.clone(),
        sub: ask.sub.to_owned(),
        scope: ask.scope,
        binding_message: ask.binding_message,
        resources: ask.resources,
        expires_at: services
            .now
            .0
            .saturating_add(i64::try_from(ask.expires_in).unwrap_or(i64::MAX)),
        interval: INTERVAL,
    };
    let auth_req_id = op.secrets.auth_req_id(&request.id);
    let ttl = record_ttl(op);
    // Kept past its expiry, so a late poll is told `expired_token`.
    records::put(
        services.store,
        &Key::<CibaRequests>::new(&auth_req_id),
        &request,
        ttl,
    )
    .await?;
    // Before the inbox entry: the user may answer as soon as that is written.
    if let Some(token) = ask.client_notification_token {
        let ping = PingBack {
            client_notification_token: token,
            request_key: Key::<CibaRequests>::new(&auth_req_id).as_str().to_owned(),
        };
        ping::keep(&request.id, &ping, ask.expires_in, services).await?;
    }
    let counter = counter_key(&request.sub);
    let mut placed = false;
    for _ in 0..MAX_TRIES {
        let number = services.store.increment(&counter, COUNTER_TTL).await?;
        let key = inbox_key(&request.sub, number);
        if records::reserve(services.store, &key, &request, ttl).await? {
            placed = true;
            break;
        }
    }
    if !placed {
        return Err(Error::StoreUnavailable);
    }
    Ok(Started {
        auth_req_id,
        expires_in: ask.expires_in,
        interval: INTERVAL,
    })
}

/// How long a request's records are kept: twice the longest request's life.
fn record_ttl(op: &Provider) -> u64 {
    op.config.lifetimes.ciba.saturating_mul(2)
}

/// The request an `auth_req_id` names, expired or not.
pub async fn by_auth_req_id<S: Store, P, V>(
    auth_req_id: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<CibaRequest>, Error> {
    records::get(services.store, &Key::<CibaRequests>::new(auth_req_id)).await
}

/// The requests waiting for `sub` (not expired, not answered), newest first, each with
/// its inbox number.
pub async fn inbox<S: Store, P, V>(
    sub: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Vec<(u64, CibaRequest)>, Error> {
    let newest = services
        .store
        .get(&counter_key(sub))
        .await?
        .map_or(0, |count| parse_count(&count));
    let oldest = newest.saturating_sub(INBOX_SHOWN).saturating_add(1).max(1);
    let mut waiting = Vec::new();
    for number in (oldest..=newest).rev() {
        if let Some(request) = in_inbox(sub, number, services).await? {
            waiting.push((number, request));
        }
    }
    Ok(waiting)
}

/// The request numbered `number` in `sub`'s inbox, if it is still waiting: only the user
/// it asks can reach it, as the inbox is read by the signed-in user's `sub`.
pub async fn in_inbox<S: Store, P, V>(
    sub: &str,
    number: u64,
    services: &Services<'_, S, P, V>,
) -> Result<Option<CibaRequest>, Error> {
    let request: Option<CibaRequest> =
        records::get(services.store, &inbox_key(sub, number)).await?;
    let Some(request) = request.filter(|r| services.now.0 < r.expires_at) else {
        return Ok(None);
    };
    if pending::decision(&request.id, services).await?.is_some() {
        return Ok(None);
    }
    Ok(Some(request))
}

impl CibaRequest {
    /// The request as one a user answers elsewhere (`op::pending`).
    pub fn pending(&self, op: &Provider) -> Pending<'_> {
        Pending {
            id: &self.id,
            interval: self.interval,
            expires_at: self.expires_at,
            ttl: record_ttl(op),
        }
    }
}

/// The user's inbox counter: a plain counter (`increment`), kept strongly consistent like
/// every key of no declared kind; named by a hash, so no `sub` is a store key.
fn counter_key(sub: &str) -> String {
    records::hashed("ciba-inbox-count", sub)
}

/// The inbox entry `number` of `sub`.
fn inbox_key(sub: &str, number: u64) -> Key<CibaInbox> {
    Key::new(&format!("{sub}\n{number}"))
}
