//! Throttling: sign-in attempts, requests counted per client address ([`per_address`]:
//! registrations at `/register`), and across the whole deployment ([`deployment_wide`]:
//! registrations stored), in fixed windows on the store's atomic counters.
//!
//! At sign-in, every attempt at the login form counts against the username it
//! names, and a failed one also against the client address it comes from
//! (`CF-Connecting-IP`, set by Cloudflare and by `wrangler dev`); past a limit within the
//! window the form answers 429 with `Retry-After` and checks no password. The username counts whether it exists or not, so
//! the answer reveals nothing about it; its key holds only a hash.
//!
//! Per username, attempts are counted, not only failures, and before the password is
//! checked, with the store's atomic [`SingleUse::increment`]: guesses at one account sent
//! in parallel cannot all read a count under the limit and go on together, which counting
//! failures after the check would allow. A success does not clear the count: that would be
//! a second write to the key within the second (KV refuses it; tests/kv_consistency.rs
//! found it). The defaults leave room for a user who mistypes a few times and signs in
//! again later.
//!
//! Per address, only failures count: many people can sign in from behind one address (an
//! office, a carrier's NAT), and a guesser spraying one password over many usernames fails
//! at almost every try. They are counted the same atomic way, before the check: every
//! attempt adds to the address's attempts, and one that ends without a wrong password (a
//! success, or a refusal) adds to its settled attempts once it has; the address's failures
//! are the difference. Counting failures after the check instead would let guesses sent in
//! parallel all read a count under the limit and go on together; here an attempt in flight
//! counts as a failure until it settles. A counter that cannot be written fails the
//! attempt (503), never lets it through.
//!
//! An address is counted as the network one host holds ([`address_subject`]): an IPv4
//! address by itself, an IPv6 address by its /64, the prefix of one link (RFC 4291
//! §2.5.4), so that the 2^64 addresses of one /64 are one counter, not 2^64 fresh ones. A
//! subscriber is often given a /56 or a /48 (RFC 6177), so one line may still hold 256
//! counters or more: the limits bound a host, not a subscriber.
//!
//! User codes (RFC 8628 §5.1) are guessed differently: a guesser wants any pending code,
//! not one account's, so every look-up at the device verification page counts — against
//! the browser (its binding cookie), the address and the signed-in account (which a
//! guesser holding a /48 keeps while it changes addresses) — before the code is looked
//! up, the same atomic way: [`user_code_attempt`].
//!
//! [`SingleUse::increment`]: crate::store::SingleUse::increment

use std::net::{IpAddr, Ipv6Addr};

use crate::Error;
use crate::op::config::LoginLimits;
use crate::op::http::Request;
use crate::op::records;
use crate::store::{Store, parse_count};
use crate::time::UnixTime;

/// The header Cloudflare puts the client's address in.
const ADDRESS_HEADER: &str = "cf-connecting-ip";

/// Whether an attempt may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Under both limits: check the password.
    Allowed,
    /// Over a limit: refuse, and say when to try again (seconds).
    Refused {
        /// Seconds until the window turns.
        retry_after: u64,
    },
}

/// Counts one attempt for `username` and from the request's address, and says whether it
/// may go on: not if the username is over its limit, or the address's failures before
/// this attempt (attempts in flight included) reached its limit. A refused attempt is
/// settled here; an allowed one is settled by [`succeeded`] or stays a failure.
pub async fn attempt<S: Store>(
    limits: &LoginLimits,
    store: &S,
    req: &Request,
    username: &str,
    now: UnixTime,
) -> Result<Verdict, Error> {
    let (index, into_window) = window_of(limits.window, now);
    let retry_after = limits.window.saturating_sub(into_window);
    let user_key = key("user", &username.to_lowercase(), index);
    let per_user = store.increment(&user_key, limits.window).await?;
    let address_failures = match address_keys(req, index) {
        Some(AddressKeys { attempts, settled }) => {
            // Settled first: then every settled attempt read was counted before this one,
            // and what is not settled of those before it (failures, attempts in flight)
            // is never undercounted. Read after, it could take in attempts that came
            // later and settled first.
            let settled = store
                .get(&settled)
                .await?
                .map_or(0, |bytes| parse_count(&bytes));
            let attempts = store.increment(&attempts, limits.window).await?;
            // This attempt is not a failure yet: the ones before it are counted.
            attempts.saturating_sub(1).saturating_sub(settled)
        }
        None => 0,
    };
    if per_user > limits.per_username || address_failures >= limits.per_address {
        settle(limits, store, req, index).await?;
        return Ok(Verdict::Refused { retry_after });
    }
    Ok(Verdict::Allowed)
}

/// Settles an allowed attempt that signed in: it is not one of the address's failures.
pub async fn succeeded<S: Store>(
    limits: &LoginLimits,
    store: &S,
    req: &Request,
    now: UnixTime,
) -> Result<(), Error> {
    let (index, _) = window_of(limits.window, now);
    settle(limits, store, req, index).await
}

/// Adds one to the settled attempts of the request's address in window `index`.
async fn settle<S: Store>(
    limits: &LoginLimits,
    store: &S,
    req: &Request,
    index: u64,
) -> Result<(), Error> {
    if let Some(AddressKeys { settled, .. }) = address_keys(req, index) {
        store.increment(&settled, limits.window).await?;
    }
    Ok(())
}

/// User-code look-ups allowed per browser in [`USER_CODE_WINDOW`]: a person mistypes a
/// code a few times; a guesser needs billions of tries (RFC 8628 §5.1).
pub const USER_CODES_PER_BROWSER: u64 = 10;
/// User-code look-ups allowed per client address in [`USER_CODE_WINDOW`]: a guesser can
/// drop its cookies, not its address; room for many people behind one NAT.
pub const USER_CODES_PER_ADDRESS: u64 = 100;
/// User-code look-ups allowed per signed-in account in [`USER_CODE_WINDOW`]: room for a
/// person on several devices and browsers, while a guesser that changes addresses and
/// cookies stays at 200 an hour per account.
pub const USER_CODES_PER_ACCOUNT: u64 = 50;
/// The user-code window, in seconds.
pub const USER_CODE_WINDOW: u64 = 900;

/// Counts one user-code look-up from `browser` (the binding cookie's value), the
/// request's address and the signed-in account `sub`, and says whether it may go on.
pub async fn user_code_attempt<S: Store>(
    store: &S,
    req: &Request,
    browser: &str,
    sub: &str,
    now: UnixTime,
) -> Result<Verdict, Error> {
    let (index, into_window) = window_of(USER_CODE_WINDOW, now);
    let retry_after = USER_CODE_WINDOW.saturating_sub(into_window);
    let per_browser = store
        .increment(&key("user-code browser", browser, index), USER_CODE_WINDOW)
        .await?;
    let per_address = match req.header(ADDRESS_HEADER) {
        Some(address) => {
            store
                .increment(
                    &key("user-code address", &address_subject(address), index),
                    USER_CODE_WINDOW,
                )
                .await?
        }
        None => 0,
    };
    let per_account = store
        .increment(&key("user-code account", sub, index), USER_CODE_WINDOW)
        .await?;
    Ok(
        if per_browser > USER_CODES_PER_BROWSER
            || per_address > USER_CODES_PER_ADDRESS
            || per_account > USER_CODES_PER_ACCOUNT
        {
            Verdict::Refused { retry_after }
        } else {
            Verdict::Allowed
        },
    )
}

/// Counts one request of kind `kind` (`register`) against the request's address and says
/// whether it may go on: at most `limit` in a window of `window` seconds. The same counters
/// as sign-in's (atomic where the store is), under keys of their own kind. A request that
/// names no address is not counted; an IPv6 address is counted by its /64
/// ([`address_subject`]).
pub async fn per_address<S: Store>(
    store: &S,
    req: &Request,
    kind: &str,
    limit: u64,
    window: u64,
    now: UnixTime,
) -> Result<Verdict, Error> {
    let Some(address) = req.header(ADDRESS_HEADER) else {
        return Ok(Verdict::Allowed);
    };
    counted(store, kind, &address_subject(address), limit, window, now).await
}

/// Counts one event of kind `kind` (`register`) for the whole deployment, wherever it comes
/// from, and says whether it may go on: at most `limit` in a window of `window` seconds.
/// One counter per window, with the store's [`SingleUse::increment`]: atomic in a strongly
/// consistent store (the Durable Object), so events racing at every location are each
/// counted. On KV alone it is a read, then a write of one key that every event writes (one
/// write per second per key, a refused write taken as done): racing events are counted
/// once, and the limit holds only roughly. A refused event counts too: past the limit the
/// count only grows until the window turns.
///
/// [`SingleUse::increment`]: crate::store::SingleUse::increment
pub async fn deployment_wide<S: Store>(
    store: &S,
    kind: &str,
    limit: u64,
    window: u64,
    now: UnixTime,
) -> Result<Verdict, Error> {
    counted(store, kind, DEPLOYMENT, limit, window, now).await
}

/// Counts one event of kind `kind` for `subject` in the window of `window` seconds `now`
/// falls in, and says whether it may go on under `limit`; if not, it is told to come back
/// when the window turns.
async fn counted<S: Store>(
    store: &S,
    kind: &str,
    subject: &str,
    limit: u64,
    window: u64,
    now: UnixTime,
) -> Result<Verdict, Error> {
    let (index, into_window) = window_of(window, now);
    let count = store.increment(&key(kind, subject, index), window).await?;
    Ok(if count > limit {
        Verdict::Refused {
            retry_after: window.saturating_sub(into_window),
        }
    } else {
        Verdict::Allowed
    })
}

/// The subject of a deployment-wide counter: a text no header can carry (a newline), so
/// it is never an address's counter.
const DEPLOYMENT: &str = "\ndeployment";

/// The sign-in counters of one address in one window.
struct AddressKeys {
    /// Every attempt from it.
    attempts: String,
    /// Its attempts that ended without a wrong password.
    settled: String,
}

/// The sign-in counters of the request's address in window `index`, if it names one.
fn address_keys(req: &Request, index: u64) -> Option<AddressKeys> {
    req.header(ADDRESS_HEADER).map(|address| {
        let subject = address_subject(address);
        AddressKeys {
            attempts: key("address attempts", &subject, index),
            settled: key("address settled", &subject, index),
        }
    })
}

/// What a per-address counter counts for the address `header` names: an IPv4 address as
/// itself; an IPv6 address as its /64 (`2001:db8:1:2::/64`), since one host holds a whole
/// /64 (RFC 4291 §2.5.4) and could otherwise take a fresh counter per address; an
/// IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as the IPv4 address it maps. A value that
/// is no address is counted as itself (trimmed): Cloudflare sets the header, so that is
/// only ever a test or a misconfigured proxy, and one such value is still one counter.
pub fn address_subject(header: &str) -> String {
    let text = header.trim();
    match text.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !u128::from(u64::MAX);
                format!("{}/64", Ipv6Addr::from(prefix))
            }
        },
        Err(_) => text.to_owned(),
    }
}

/// Which window of `window` seconds `now` falls in, and how far into it (seconds).
/// Windows start at multiples of their length.
fn window_of(window: u64, now: UnixTime) -> (u64, u64) {
    let now = u64::try_from(now.0).unwrap_or(0);
    let window = window.max(1);
    (
        now.checked_div(window).unwrap_or(0),
        now.checked_rem(window).unwrap_or(0),
    )
}

/// The counter of `subject` in window `index`: `throttle:<hash>`, so no username or
/// address is ever a store key.
fn key(kind: &str, subject: &str, index: u64) -> String {
    records::hashed("throttle", &format!("{kind}\n{subject}\n{index}"))
}

#[cfg(test)]
mod tests {
    use super::address_subject;

    /// One counter per IPv4 address, per IPv6 /64, and an IPv4-mapped IPv6 address is
    /// its IPv4 address (RFC 4291 §2.5.5.2); anything else is counted as itself.
    #[test]
    fn addresses_are_counted_by_the_network_one_host_holds() {
        for (header, subject) in [
            ("203.0.113.7", "203.0.113.7"),
            (" 203.0.113.7 ", "203.0.113.7"),
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
            (
                "2001:0db8:0001:0002:ffff:ffff:ffff:ffff",
                "2001:db8:1:2::/64",
            ),
            ("2001:db8:1:2::", "2001:db8:1:2::/64"),
            ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
            ("::1", "::/64"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
            ("::ffff:cb00:7107", "203.0.113.7"),
            ("not an address", "not an address"),
            ("2001:db8::1%eth0", "2001:db8::1%eth0"),
            ("", ""),
        ] {
            assert_eq!(address_subject(header), subject, "{header}");
        }
    }
}
