//! Plain JWKS / JWK objects passed again and again to the token exports: found by number
//! when unchanged (`plain_sets.js` keeps a snapshot of each), instead of a `JSON.stringify`,
//! a copy of the text into wasm and a comparison with the cached sets' texts on every call.
//! That was 3 to 5 µs of a verification's CPU in Node, what kept a plain JWKS below jose's
//! throughput (benches/README.md, "Issue 16").

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::Error;
use crate::cache::SmallCache;
use crate::jose::JwkSet;

#[wasm_bindgen(module = "/src/wasm/plain_sets.js")]
extern "C" {
    #[wasm_bindgen(js_name = plainSetNumber)]
    fn plain_set_number(keys: &JsValue, module: u32) -> Option<f64>;

    #[wasm_bindgen(js_name = rememberPlainSet)]
    fn remember_plain_set(keys: &JsValue, text: &str, number: f64, module: u32) -> bool;
}

/// Which module's numbers these are: the core's and the resource-server module's caches are
/// apart, and so must their numbers be in `plain_sets.js`, which both load.
#[cfg(feature = "js-page")]
const MODULE: u32 = 0;
#[cfg(not(feature = "js-page"))]
const MODULE: u32 = 1;

/// Most plain sets kept parsed by number; past it the cache starts over.
const MAX_SETS: usize = 16;

thread_local! {
    /// Parsed plain sets by number, and the last number given (never reused).
    static PLAIN: RefCell<(SmallCache<u64, Rc<JwkSet>>, u64)> =
        RefCell::new((SmallCache::new(MAX_SETS), 0));
}

/// The parsed set of `keys`, a plain object or JSON text: by number when it is an object
/// seen before and unchanged; else its `text()` through `parse` (the text-keyed cache), the
/// object remembered for the next call.
pub fn parsed(
    keys: &JsValue,
    text: impl FnOnce() -> Result<String, Error>,
    parse: impl FnOnce(String) -> Result<Rc<JwkSet>, Error>,
) -> Result<Rc<JwkSet>, Error> {
    if !keys.is_object() {
        return parse(text()?);
    }
    let state = plain_set_number(keys, MODULE);
    if let Some(number) = state.filter(|number| *number >= 0.0)
        && let Some(set) = PLAIN.with(|plain| plain.borrow().0.get(&(number as u64)))
    {
        return Ok(set);
    }
    let text = text()?;
    if state.is_none() {
        return parse(text);
    }
    let number = PLAIN.with(|plain| {
        let (_, next) = &mut *plain.borrow_mut();
        // A u64 counter, exact in a JS number up to 2^53 sets: never reached.
        *next = next.saturating_add(1);
        *next
    });
    let remembered = remember_plain_set(keys, &text, number as f64, MODULE);
    let set = parse(text)?;
    if remembered {
        PLAIN.with(|plain| plain.borrow_mut().0.insert(number, set.clone()));
    }
    Ok(set)
}
