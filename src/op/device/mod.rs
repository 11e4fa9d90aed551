//! The device authorization grant (RFC 8628) as a life cycle: a client starts a request
//! (`/device_authorization`), a signed-in user finds it by its user code and approves or
//! denies it (`/device`), and the client polls the token endpoint with its device code
//! until the answer is there (`token::grants::device_code`).
//!
//! Every step is a record written once, so each rule holds under concurrency on a strongly
//! consistent store (`op::records` routes these kinds there):
//! - a user code names one pending request: it is written with `reserve` and drawn again
//!   on a collision;
//! - a request is answered once, by one user: the decision is written with `reserve`, and
//!   a second answer (another tab, another user) finds it taken;
//! - the tokens are issued once: the approved request's grant record is written with
//!   `reserve` under a refresh token derived from the device code, as a code's is, and
//!   only the poll that wrote it answers with tokens;
//! - polling faster than the interval is `slow_down` (§3.5): each poll reserves its slot
//!   of the interval (time divided by the interval), so a second poll in one slot finds it
//!   taken, and each `slow_down` adds 5 seconds to the interval from then on.

pub mod pages;
pub mod user_code;

use crate::op::provider::{Provider, Services};
use crate::op::records::{
    self, DeviceDecision, DeviceDecisions, DevicePolls, DeviceRequest, DeviceRequests, Key, Mark,
    UserCodes,
};
use crate::op::types::{ClientId, Scope};
use crate::store::{Store, parse_count};
use crate::{Error, random};

/// The polling interval a request starts with (RFC 8628 §3.2: clients assume 5 s when
/// none is given).
pub const INTERVAL: u64 = 5;

/// What each `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: u64 = 5;

/// How many user codes are drawn before giving up: a collision among 20⁸ codes is rare,
/// four in a row means the store is not answering `reserve` truthfully.
const MAX_DRAWS: usize = 4;

/// A request just started: what the client is told (RFC 8628 §3.2).
#[derive(Debug)]
pub struct Started {
    /// The device code: 256 random bits, stored only as a hash.
    pub device_code: String,
    /// The user code, normalized ([`user_code::display`] shows it).
    pub user_code: String,
    /// Seconds until both codes expire.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
}

/// Starts a device authorization request of `client_id` for `scope` and `resources`.
pub async fn start<S: Store, P, V>(
    op: &Provider,
    client_id: &ClientId,
    scope: Scope,
    resources: Vec<String>,
    services: &Services<'_, S, P, V>,
) -> Result<Started, Error> {
    let lifetime = op.config.lifetimes.device_code;
    let request = DeviceRequest {
        id: random::token(16)?,
        client_id: client_id.clone(),
        scope,
        resources,
        expires_at: services
            .now
            .0
            .saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        interval: INTERVAL,
    };
    let device_code = random::token(32)?;
    for _ in 0..MAX_DRAWS {
        let user_code = user_code::generate()?;
        let key = Key::<UserCodes>::new(&user_code);
        if !records::reserve(services.store, &key, &request, lifetime).await? {
            continue;
        }
        // Kept past its expiry, so a late poll is told `expired_token` rather than
        // `invalid_grant` (RFC 8628 §3.5).
        records::put(
            services.store,
            &Key::<DeviceRequests>::new(&device_code),
            &request,
            record_ttl(op),
        )
        .await?;
        return Ok(Started {
            device_code,
            user_code,
            expires_in: lifetime,
            interval: INTERVAL,
        });
    }
    Err(Error::StoreUnavailable)
}

/// How long a request's records are kept: twice the codes' life.
fn record_ttl(op: &Provider) -> u64 {
    op.config.lifetimes.device_code.saturating_mul(2)
}

/// The request a device code names, expired or not.
pub async fn by_device_code<S: Store, P, V>(
    device_code: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<DeviceRequest>, Error> {
    records::get(services.store, &Key::<DeviceRequests>::new(device_code)).await
}

/// What a typed user code finds.
#[derive(Debug)]
pub enum Lookup {
    /// A request waiting for its answer.
    Pending(DeviceRequest),
    /// A request already answered.
    Answered,
    /// Nothing: not a code, unknown, or expired.
    Unknown,
}

/// The request the user code `typed` names (compared as RFC 8628 §6.1 says), if it is
/// still waiting.
pub async fn by_user_code<S: Store, P, V>(
    typed: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Lookup, Error> {
    let Some(code) = user_code::normalize(typed) else {
        return Ok(Lookup::Unknown);
    };
    let request: Option<DeviceRequest> =
        records::get(services.store, &Key::<UserCodes>::new(&code)).await?;
    let Some(request) = request.filter(|r| services.now.0 < r.expires_at) else {
        return Ok(Lookup::Unknown);
    };
    if decision(&request, services).await?.is_some() {
        return Ok(Lookup::Answered);
    }
    Ok(Lookup::Pending(request))
}

/// Records the user's answer to `request`; `false` if it was answered already.
pub async fn decide<S: Store, P, V>(
    op: &Provider,
    request: &DeviceRequest,
    answer: &DeviceDecision,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    records::reserve(
        services.store,
        &Key::<DeviceDecisions>::new(&request.id),
        answer,
        record_ttl(op),
    )
    .await
}

/// The user's answer to `request`, if there is one yet.
pub async fn decision<S: Store, P, V>(
    request: &DeviceRequest,
    services: &Services<'_, S, P, V>,
) -> Result<Option<DeviceDecision>, Error> {
    records::get(services.store, &Key::<DeviceDecisions>::new(&request.id)).await
}

/// How a poll of a pending request is answered (RFC 8628 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// `authorization_pending`: keep polling at the interval.
    Pending,
    /// `slow_down`: too fast; the interval is 5 seconds longer from now on.
    SlowDown,
}

/// Counts a poll of the pending `request`: `slow_down` if another poll took its slot of
/// the current interval.
pub async fn poll<S: Store, P, V>(
    op: &Provider,
    request: &DeviceRequest,
    services: &Services<'_, S, P, V>,
) -> Result<Poll, Error> {
    let slowed_key = slow_downs_key(request);
    let slowed = services
        .store
        .get(&slowed_key)
        .await?
        .map_or(0, |count| parse_count(&count));
    let interval = current_interval(request, slowed);
    if take_slot(request, interval, services).await? {
        return Ok(Poll::Pending);
    }
    let slowed = services
        .store
        .increment(&slowed_key, record_ttl(op))
        .await?;
    // The slot of the longer interval is this poll's too: a poll right after a
    // `slow_down` is as fast as the one before it.
    take_slot(request, current_interval(request, slowed), services).await?;
    Ok(Poll::SlowDown)
}

/// The interval after `slowed` slow-downs.
fn current_interval(request: &DeviceRequest, slowed: u64) -> u64 {
    request
        .interval
        .saturating_add(SLOW_DOWN_STEP.saturating_mul(slowed))
        .max(1)
}

/// Reserves the slot of `interval` that now falls in; `false` if a poll took it.
async fn take_slot<S: Store, P, V>(
    request: &DeviceRequest,
    interval: u64,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let now = u64::try_from(services.now.0).unwrap_or(0);
    let slot = now.checked_div(interval).unwrap_or(0);
    let key = Key::<DevicePolls>::new(&format!("{}:{interval}:{slot}", request.id));
    let mark = Mark { at: services.now.0 };
    records::reserve(services.store, &key, &mark, interval).await
}

/// The counter of a request's slow-downs: a plain counter (`increment`), which hosts keep
/// strongly consistent like every key of no declared kind.
fn slow_downs_key(request: &DeviceRequest) -> String {
    format!("device-slow-downs:{}", request.id)
}
