//! A future of the JS API run to completion by a small JS driver (`drive.js`) instead of
//! `wasm_bindgen_futures::future_to_promise`: the first poll happens at once, inside the
//! exported call, and each promise the future waits for ([`super::settle`]) is awaited
//! natively by the driver, which then resumes the job. The export still returns a promise
//! and never throws: failures before the first await reject it.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::error::into_js_error;
use super::settle::{HANDOFF, Handoff};
use crate::Error;

#[wasm_bindgen(module = "/src/wasm/drive.js")]
extern "C" {
    /// Awaits `promise`, resumes `job` with its outcome, and so on until the job is done;
    /// resolves to the job's result.
    #[wasm_bindgen(js_name = drive)]
    fn drive_js(job: Job, promise: Promise) -> Promise;
}

type Outcome = Result<JsValue, JsValue>;

/// A future being run for JS. Exported only for `drive.js`.
#[wasm_bindgen(skip_typescript)]
pub struct Job {
    future: Pin<Box<dyn Future<Output = Outcome>>>,
    outcome: Option<Outcome>,
}

/// Runs `future` and returns the promise of its outcome.
pub fn spawn(future: impl Future<Output = Outcome> + 'static) -> Promise {
    let mut job = Job {
        future: Box::pin(future),
        outcome: None,
    };
    match job.poll(None) {
        Some(waiting) => drive_js(job, waiting),
        None => settled(job.finish()),
    }
}

/// A promise already settled with `outcome`: what an export whose work needs no await
/// returns.
pub fn settled(outcome: Outcome) -> Promise {
    match outcome {
        Ok(value) => Promise::resolve(&value),
        Err(error) => Promise::reject(&error),
    }
}

impl Job {
    /// Polls the future with `settled` (the outcome of the promise it waited for) handed
    /// back. Returns the next promise to wait for, or `None` once the outcome is known.
    fn poll(&mut self, settled: Option<Outcome>) -> Option<Promise> {
        if self.outcome.is_some() {
            return None;
        }
        // The exchange is this job's while it polls. A job can start inside another's poll
        // (an option getter calling back into the module), so the outer one's is kept aside.
        let outer = HANDOFF.with(|handoff| {
            handoff.replace(Some(match settled {
                Some(outcome) => Handoff::Settled(outcome),
                None => Handoff::Open,
            }))
        });
        let polled = self
            .future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()));
        let left = HANDOFF.with(|handoff| handoff.replace(outer));
        match (polled, left) {
            (Poll::Ready(outcome), _) => {
                self.outcome = Some(outcome);
                None
            }
            (Poll::Pending, Some(Handoff::Waiting(promise))) => Some(promise),
            // Pending with nothing handed off: the future waits on something no one will
            // resume it for. A bug; fail the call rather than leave its promise pending.
            (Poll::Pending, _) => {
                self.outcome = Some(Err(into_js_error(Error::CryptoUnavailable)));
                None
            }
        }
    }
}

#[wasm_bindgen]
impl Job {
    /// For `drive.js`: the awaited promise's `value` (or rejection reason, when
    /// `rejected`); returns the next promise to await, or `undefined` when done.
    pub fn resume(&mut self, value: JsValue, rejected: bool) -> Option<Promise> {
        self.poll(Some(if rejected { Err(value) } else { Ok(value) }))
    }

    /// For `drive.js`: the job's result, or its error thrown.
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        self.outcome
            .take()
            .unwrap_or_else(|| Err(into_js_error(Error::CryptoUnavailable)))
    }
}
