//! Requests a user answers away from the client that made them, which the client polls
//! for: the device authorization grant (RFC 8628, `op::device`) and CIBA in poll and ping
//! modes (OpenID Connect CIBA Core 1.0, `op::ciba`). Both share the answer and the polling rules,
//! each a record written once, so each holds under concurrency on a strongly consistent
//! store (`op::records` routes these kinds there):
//!
//! - a request is answered once, by one user: the answer is written with `reserve`, and a
//!   second answer (another tab, another user) finds it taken;
//! - polling faster than the interval is `slow_down` (RFC 8628 §3.5, CIBA Core §11): each
//!   poll reserves its slot of the interval (time divided by the interval), so a second
//!   poll in one slot finds it taken, and each `slow_down` adds 5 seconds to the interval
//!   from then on;
//! - the tokens of an approved request are issued once (`token::grants::approved`).

use crate::op::error::OpError;
use crate::op::provider::Services;
use crate::op::records::{self, Decision, Decisions, Key, Mark, PollSlots};
use crate::store::{Store, parse_count};
use crate::{Error, random};

/// The polling interval a request starts with (RFC 8628 §3.2: clients assume 5 s when
/// none is given; CIBA Core §7.3 the same).
pub const INTERVAL: u64 = 5;

/// What each `slow_down` adds to the interval (RFC 8628 §3.5, CIBA Core §11).
pub const SLOW_DOWN_STEP: u64 = 5;

/// A request waiting for its user, as the rules here see it.
#[derive(Debug, Clone, Copy)]
pub struct Pending<'a> {
    /// Its id (random, not a secret): what its answer and polling marks are stored under.
    pub id: &'a str,
    /// The polling interval it started with.
    pub interval: u64,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
    /// How long its records are kept (past its expiry, so a late poll is told so).
    pub ttl: u64,
}

/// A new request id.
pub fn new_id() -> Result<String, Error> {
    random::token(16)
}

/// Records the user's answer; `false` if the request was answered already.
pub async fn decide<S: Store, P, V>(
    pending: &Pending<'_>,
    answer: &Decision,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    records::reserve(
        services.store,
        &Key::<Decisions>::new(pending.id),
        answer,
        pending.ttl,
    )
    .await
}

/// The user's answer to the request with this id, if there is one yet.
pub async fn decision<S: Store, P, V>(
    id: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Decision>, Error> {
    records::get(services.store, &Key::<Decisions>::new(id)).await
}

/// What a poll of the request is answered, short of the tokens: `expired_token`, then
/// `authorization_pending` or `slow_down` while no answer is there, `access_denied` for a
/// denial; the approval when there is one.
pub async fn approval<S: Store, P, V>(
    pending: &Pending<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Decision, OpError> {
    if services.now.0 >= pending.expires_at {
        return Err(OpError::ExpiredToken);
    }
    let Some(answer) = decision(pending.id, services).await? else {
        return Err(if poll(pending, services).await? {
            OpError::AuthorizationPending
        } else {
            OpError::SlowDown
        });
    };
    if !answer.approved {
        return Err(OpError::AccessDenied);
    }
    Ok(answer)
}

/// Counts a poll of a request not answered yet: `false` (slow down) if another poll took
/// its slot of the current interval.
async fn poll<S: Store, P, V>(
    pending: &Pending<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let slowed_key = slow_downs_key(pending);
    let slowed = services
        .store
        .get(&slowed_key)
        .await?
        .map_or(0, |count| parse_count(&count));
    if take_slot(pending, current_interval(pending, slowed), services).await? {
        return Ok(true);
    }
    let slowed = services.store.increment(&slowed_key, pending.ttl).await?;
    // The slot of the longer interval is this poll's too: a poll right after a
    // `slow_down` is as fast as the one before it.
    take_slot(pending, current_interval(pending, slowed), services).await?;
    Ok(false)
}

/// The interval after `slowed` slow-downs.
fn current_interval(pending: &Pending<'_>, slowed: u64) -> u64 {
    pending
        .interval
        .saturating_add(SLOW_DOWN_STEP.saturating_mul(slowed))
        .max(1)
}

/// Reserves the slot of `interval` that now falls in; `false` if a poll took it.
async fn take_slot<S: Store, P, V>(
    pending: &Pending<'_>,
    interval: u64,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let now = u64::try_from(services.now.0).unwrap_or(0);
    let slot = now.checked_div(interval).unwrap_or(0);
    let key = Key::<PollSlots>::new(&format!("{}:{interval}:{slot}", pending.id));
    let mark = Mark { at: services.now.0 };
    records::reserve(services.store, &key, &mark, interval).await
}

/// The counter of a request's slow-downs: a plain counter (`increment`), which hosts keep
/// strongly consistent like every key of no declared kind.
fn slow_downs_key(pending: &Pending<'_>) -> String {
    format!("slow-downs:{}", pending.id)
}
