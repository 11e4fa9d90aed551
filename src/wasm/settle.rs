//! Awaiting a JS promise from Rust.
//!
//! Inside a job of the JS API ([`super::job`]), the promise is handed to the job's JS
//! driver, which awaits it natively and hands the outcome back when it resumes the job.
//! A WebCrypto call then costs one native `await`, with none of the closures, finalizer
//! registrations and extra microtasks `wasm_bindgen_futures::JsFuture` and
//! `future_to_promise` add (with the result built by one `JSON.parse`, an RS256
//! verification in Node went from 77 to 67 µs of CPU). The Worker, which has no jobs,
//! awaits through a `JsFuture`; the JS API (feature `js`) awaits only inside jobs, and
//! refuses a promise awaited outside one rather than carry `JsFuture` and its closures.
//!
//! A job waits for one promise at a time; the verification paths await sequentially.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
#[cfg(feature = "js-api")]
use std::cell::RefCell;

use js_sys::Promise;
use wasm_bindgen::JsValue;
#[cfg(not(feature = "js-api"))]
use wasm_bindgen_futures::JsFuture;

/// The outcome of `promise`: its value, or what it rejected with.
pub fn settle(promise: Promise) -> Settle {
    Settle::Start(promise)
}

/// The future of [`settle`].
pub enum Settle {
    /// Not polled yet.
    Start(Promise),
    /// Handed to a job's driver; the job brings the outcome back.
    HandedOff,
    /// Awaited through `wasm_bindgen_futures` (the Worker, which has no jobs).
    #[cfg(not(feature = "js-api"))]
    Js(JsFuture),
    /// Finished.
    Done,
}

impl Future for Settle {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match core::mem::replace(this, Settle::Done) {
            Settle::Start(promise) => match hand_off(promise) {
                Ok(()) => {
                    *this = Settle::HandedOff;
                    Poll::Pending
                }
                Err(promise) => outside_job(this, promise, cx),
            },
            Settle::HandedOff => match take_settled() {
                Some(outcome) => Poll::Ready(outcome),
                None => {
                    *this = Settle::HandedOff;
                    Poll::Pending
                }
            },
            #[cfg(not(feature = "js-api"))]
            Settle::Js(future) => poll_js(this, future, cx),
            Settle::Done => Poll::Pending,
        }
    }
}

/// The exchange between a polling job and the [`Settle`] futures inside it (the JS API
/// only: the Worker has no jobs).
#[cfg(feature = "js-api")]
pub(crate) enum Handoff {
    /// A job is polling and nothing is handed off yet.
    Open,
    /// A future handed this promise to the job's driver.
    Waiting(Promise),
    /// The driver's outcome for that promise, for the future to take.
    Settled(Result<JsValue, JsValue>),
}

#[cfg(feature = "js-api")]
thread_local! {
    /// `Some` while a job polls its future; `None` otherwise.
    pub(crate) static HANDOFF: RefCell<Option<Handoff>> = const { RefCell::new(None) };
}

/// Gives `promise` to the polling job, if there is one and it waits for nothing else.
#[cfg(feature = "js-api")]
fn hand_off(promise: Promise) -> Result<(), Promise> {
    HANDOFF.with(|handoff| match &mut *handoff.borrow_mut() {
        Some(slot @ Handoff::Open) => {
            *slot = Handoff::Waiting(promise);
            Ok(())
        }
        _ => Err(promise),
    })
}

/// The outcome the polling job brought back for the promise handed off, if any.
#[cfg(feature = "js-api")]
fn take_settled() -> Option<Result<JsValue, JsValue>> {
    HANDOFF.with(|handoff| {
        let mut handoff = handoff.borrow_mut();
        let slot = handoff.as_mut()?;
        match core::mem::replace(slot, Handoff::Open) {
            Handoff::Settled(outcome) => Some(outcome),
            other => {
                *slot = other;
                None
            }
        }
    })
}

#[cfg(not(feature = "js-api"))]
fn hand_off(promise: Promise) -> Result<(), Promise> {
    Err(promise)
}

#[cfg(not(feature = "js-api"))]
fn take_settled() -> Option<Result<JsValue, JsValue>> {
    None
}

/// A promise awaited outside a job: the JS API awaits only inside its jobs, so with
/// feature `js` this is a caller's mistake, reported as a rejection rather than awaited
/// through a second mechanism the package would have to carry.
#[cfg(feature = "js-api")]
fn outside_job(_: &mut Settle, _: Promise, _: &mut Context<'_>) -> Poll<Result<JsValue, JsValue>> {
    Poll::Ready(Err(JsValue::from_str(
        "settle: a promise awaited outside a job of the JS API",
    )))
}

/// Outside a job (the Worker): a `JsFuture`.
#[cfg(not(feature = "js-api"))]
fn outside_job(
    this: &mut Settle,
    promise: Promise,
    cx: &mut Context<'_>,
) -> Poll<Result<JsValue, JsValue>> {
    poll_js(this, JsFuture::from(promise), cx)
}

#[cfg(not(feature = "js-api"))]
fn poll_js(
    this: &mut Settle,
    mut future: JsFuture,
    cx: &mut Context<'_>,
) -> Poll<Result<JsValue, JsValue>> {
    let polled = Pin::new(&mut future).poll(cx);
    if polled.is_pending() {
        *this = Settle::Js(future);
    }
    polled
}
