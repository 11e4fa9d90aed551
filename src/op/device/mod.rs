//! The device authorization grant (RFC 8628) as a life cycle: a client starts a request
//! (`/device_authorization`), a signed-in user finds it by its user code and approves or
//! denies it (`/device`), and the client polls the token endpoint with its device code
//! until the answer is there (`token::grants::device_code`).
//!
//! Every step is a record written once, so each rule holds under concurrency on a strongly
//! consistent store (`op::records` routes these kinds there): a user code names one pending
//! request (it is written with `reserve` and drawn again on a collision); the answer, the
//! polling rules and the tokens once are those of every request a user answers elsewhere
//! (`op::pending`).

pub mod pages;
pub mod user_code;

use crate::op::pending::{self, INTERVAL, Pending};
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, DeviceRequest, DeviceRequests, Key, UserCodes};
use crate::op::types::{ClientId, Scope};
use crate::store::Store;
use crate::{Error, random};

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
        id: pending::new_id()?,
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
    if pending::decision(&request.id, services).await?.is_some() {
        return Ok(Lookup::Answered);
    }
    Ok(Lookup::Pending(request))
}

impl DeviceRequest {
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
