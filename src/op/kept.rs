//! Documents the provider fetches from elsewhere and keeps for a while, by key: clients'
//! keys at their `jwks_uri` ([`crate::op::clients::jwks_uri`]), client ID metadata
//! documents ([`crate::op::clients::document`]) and upstream providers' discovery documents
//! ([`crate::op::upstream::metadata`]). Each is read by its own rules; when it is fetched
//! and for how long it is kept are the same for all, and this module's:
//!
//! - Only a 200 is read: anything else, redirects included (the host follows none, and one
//!   could lead anywhere), is not the document.
//! - A document read is kept for as long as the answer's `Cache-Control: max-age` says,
//!   within [`MIN_LIFETIME`] and [`MAX_LIFETIME`] ([`DEFAULT_LIFETIME`] without one).
//! - A failed fetch (no answer, not 200, too large, too slow, refused by its reader) gives
//!   nothing and is not tried again for [`REFETCH_INTERVAL`]; a document fetched earlier and
//!   not yet expired stays in use meanwhile.
//! - While a fetch is under way (for at most its time limit), requests take what is kept
//!   (`WhileFetching` says what that is once it has expired) rather than each sending the
//!   same server a request of its own.
//! - A fetch that is not due to expiry (`Kept::refetched`: a signed token names a key the
//!   kept set lacks) happens at most once per [`REFETCH_INTERVAL`], so tokens with made-up
//!   key ids cannot make the provider fetch on every request.
//!
//! The fetch is the host's ([`Fetcher`]), within [`FETCH_TIMEOUT_MS`] and the cache's byte
//! limit; the entries are bounded ([`BoundedCache`]), since some keys come from requests.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::cache::BoundedCache;
use crate::op::fetch::{FetchLimits, Fetched, Fetcher, max_age};
use crate::time::UnixTime;

/// How long a fetch may take, headers and body, in milliseconds.
pub const FETCH_TIMEOUT_MS: u32 = 5_000;
/// [`FETCH_TIMEOUT_MS`] in whole seconds, rounded up.
pub(crate) const FETCH_TIMEOUT_SECONDS: i64 = (FETCH_TIMEOUT_MS as i64 + 999) / 1000;
/// The shortest time a document is kept, in seconds, whatever the answer says (`no-store`
/// included): below it, a busy client would cost a fetch per request.
pub const MIN_LIFETIME: u64 = 60;
/// The longest time a document is kept, in seconds: a key the client withdraws
/// (compromised, retired) stops verifying within a day however long its server said to
/// cache it.
pub const MAX_LIFETIME: u64 = 86_400;
/// How long a document is kept when the answer says nothing about it, in seconds.
pub const DEFAULT_LIFETIME: u64 = 300;
/// The least time between two fetches of one document that are not due to expiry, in
/// seconds: after a fetch for an unknown key, and after a failed fetch.
pub const REFETCH_INTERVAL: i64 = 60;

/// What requests take while a fetch of an expired document is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhileFetching {
    /// Nothing: what has expired is not used again, so a key its owner withdrew stops
    /// verifying when its time is up.
    Nothing,
    /// What was kept, though expired (for at most the fetch's time limit): a client does
    /// not turn unknown for the requests that arrive while its document is fetched again.
    Stale,
}

/// What is kept of one document.
struct Entry<T> {
    /// The document; `None` when the last fetch failed and nothing earlier is still valid.
    value: Option<Arc<T>>,
    /// Until when (Unix seconds, exclusive) this entry answers without a fetch.
    until: i64,
    /// When a fetch last started (Unix seconds).
    fetched_at: i64,
}

// By hand: a derive would ask `T: Clone`, and only the `Arc` is copied.
impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Entry {
            value: self.value.clone(),
            until: self.until,
            fetched_at: self.fetched_at,
        }
    }
}

/// Documents of one kind, fetched and kept by key (a URL, or an upstream provider's id).
#[derive(Debug)]
pub(crate) struct Kept<T> {
    entries: Mutex<BoundedCache<String, Entry<T>>>,
    /// The longest body read.
    max_bytes: usize,
    while_fetching: WhileFetching,
}

impl<T> Kept<T> {
    /// Room for `capacity` documents of at most `max_bytes` each.
    pub(crate) fn new(capacity: usize, max_bytes: usize, while_fetching: WhileFetching) -> Self {
        Kept {
            entries: Mutex::new(BoundedCache::new(capacity)),
            max_bytes,
            while_fetching,
        }
    }

    /// The document under `key`: the kept one while it lasts (or while a fetch of it is
    /// under way), else fetched now from `url` and read with `read`. `None` when there is
    /// none to be had (the fetch failed or `read` refused the body, now or less than
    /// [`REFETCH_INTERVAL`] ago).
    pub(crate) async fn current(
        &self,
        key: &str,
        url: &str,
        fetcher: &dyn Fetcher,
        now: UnixTime,
        read: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Option<Arc<T>> {
        let kept = self.get(key);
        if let Some(entry) = &kept
            && (now.0 < entry.until
                || now.0 < entry.fetched_at.saturating_add(FETCH_TIMEOUT_SECONDS))
        {
            return entry.value.clone();
        }
        self.fetch(key, url, fetcher, now, kept, read).await
    }

    /// The document under `key` fetched again before it expires, because the kept one
    /// lacks what a request needs (a key it names): `Some` only when a fetch happened now
    /// and was read. Not when one started less than [`REFETCH_INTERVAL`] ago.
    pub(crate) async fn refetched(
        &self,
        key: &str,
        url: &str,
        fetcher: &dyn Fetcher,
        now: UnixTime,
        read: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Option<Arc<T>> {
        let kept = self.get(key);
        if kept
            .as_ref()
            .is_some_and(|entry| now.0 < entry.fetched_at.saturating_add(REFETCH_INTERVAL))
        {
            return None;
        }
        self.fetch(key, url, fetcher, now, kept, read).await
    }

    /// Fetches `url`, keeps what came of it under `key`; the document if it was read.
    async fn fetch(
        &self,
        key: &str,
        url: &str,
        fetcher: &dyn Fetcher,
        now: UnixTime,
        kept: Option<Entry<T>>,
        read: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Option<Arc<T>> {
        let now = now.0;
        // A document fetched earlier and not expired stays in use if this fetch fails.
        let (valid, valid_until) = match &kept {
            Some(entry) if now < entry.until => (entry.value.clone(), entry.until),
            _ => (None, now),
        };
        let meanwhile = match self.while_fetching {
            WhileFetching::Nothing => valid.clone(),
            WhileFetching::Stale => kept.and_then(|entry| entry.value),
        };
        // The attempt is marked before waiting on it: requests that arrive meanwhile do not
        // fetch again.
        self.keep(
            key,
            Entry {
                value: meanwhile,
                until: valid_until,
                fetched_at: now,
            },
        );
        let limits = FetchLimits {
            max_bytes: self.max_bytes,
            timeout_ms: FETCH_TIMEOUT_MS,
        };
        let fetched = fetcher
            .get(url, limits)
            .await
            .ok()
            .and_then(|answer| read_answer(&answer, read));
        let entry = match (&fetched, valid) {
            (Some((value, lifetime)), _) => Entry {
                value: Some(value.clone()),
                until: now.saturating_add(i64::try_from(*lifetime).unwrap_or(i64::MAX)),
                fetched_at: now,
            },
            (None, Some(valid)) => Entry {
                value: Some(valid),
                until: valid_until,
                fetched_at: now,
            },
            (None, None) => Entry {
                value: None,
                until: now.saturating_add(REFETCH_INTERVAL),
                fetched_at: now,
            },
        };
        self.keep(key, entry);
        fetched.map(|(value, _)| value)
    }

    fn entries(&self) -> MutexGuard<'_, BoundedCache<String, Entry<T>>> {
        // Entries are replaced whole, so a panic elsewhere cannot leave one half-written: a
        // poisoned lock's contents are as good as any.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, key: &str) -> Option<Entry<T>> {
        self.entries().get(key)
    }

    fn keep(&self, key: &str, entry: Entry<T>) {
        self.entries().insert(key.to_owned(), entry);
    }
}

/// The document an answer holds, and how long to keep it: a 200 whose body `read` takes.
fn read_answer<T>(
    answer: &Fetched,
    read: impl FnOnce(&[u8]) -> Option<T>,
) -> Option<(Arc<T>, u64)> {
    if answer.status != 200 {
        return None;
    }
    let value = read(&answer.body)?;
    let lifetime = answer
        .cache_control
        .as_deref()
        .and_then(max_age)
        .unwrap_or(DEFAULT_LIFETIME)
        .clamp(MIN_LIFETIME, MAX_LIFETIME);
    Some((Arc::new(value), lifetime))
}

#[cfg(test)]
mod tests {
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};
    use std::cell::Cell;

    use super::*;
    use crate::op::fetch::{BearerGet, FetchError, FetchFuture, FormPost};

    /// Answers `v1` kept for 60 s, or never answers while `hang` is set; counts requests.
    struct Server {
        hang: Cell<bool>,
        gets: Cell<u32>,
    }

    impl Fetcher for Server {
        fn get<'a>(&'a self, _url: &'a str, _limits: FetchLimits) -> FetchFuture<'a> {
            self.gets.set(self.gets.get() + 1);
            if self.hang.get() {
                return Box::pin(core::future::pending());
            }
            Box::pin(core::future::ready(Ok(Fetched {
                status: 200,
                cache_control: Some("max-age=60".to_owned()),
                content_type: None,
                body: b"v1".to_vec(),
            })))
        }

        fn post_form<'a>(&'a self, _post: FormPost<'a>, _limits: FetchLimits) -> FetchFuture<'a> {
            Box::pin(core::future::ready(Err(FetchError::Failed)))
        }

        fn get_bearer<'a>(&'a self, _get: BearerGet<'a>, _limits: FetchLimits) -> FetchFuture<'a> {
            Box::pin(core::future::ready(Err(FetchError::Failed)))
        }
    }

    fn text(body: &[u8]) -> Option<String> {
        String::from_utf8(body.to_vec()).ok()
    }

    /// What a request gets while the document, expired, is fetched again: the same server
    /// asked only once either way.
    fn while_refetching(rule: WhileFetching) -> Option<String> {
        const URL: &str = "https://app.example/doc";
        let kept = Kept::new(4, 64, rule);
        let server = Server {
            hang: Cell::new(false),
            gets: Cell::new(0),
        };
        let first = pin!(kept.current(URL, URL, &server, UnixTime(0), text));
        let waker = Waker::noop();
        let first = first.poll(&mut Context::from_waker(waker));
        assert!(matches!(first, Poll::Ready(Some(ref v)) if v.as_str() == "v1"));
        server.hang.set(true);
        let mut slow = pin!(kept.current(URL, URL, &server, UnixTime(61), text));
        assert!(
            slow.as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
        let meanwhile = pin!(kept.current(URL, URL, &server, UnixTime(62), text));
        let Poll::Ready(meanwhile) = meanwhile.poll(&mut Context::from_waker(waker)) else {
            panic!("a request during the fetch waited on it");
        };
        assert_eq!(server.gets.get(), 2, "one fetch at first, one after expiry");
        meanwhile.map(|v| v.as_str().to_owned())
    }

    #[test]
    fn expired_documents_serve_only_where_the_rule_says() {
        assert_eq!(while_refetching(WhileFetching::Nothing), None);
        assert_eq!(
            while_refetching(WhileFetching::Stale).as_deref(),
            Some("v1")
        );
    }
}
