//! Reading JS option objects strictly: unknown names and wrong types are errors, so a
//! typo such as `audiance` cannot silently switch a check off.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::Error;
use crate::jose::Alg;
use crate::time::{Clock, SystemClock, UnixTime};

/// The JSON text of a JS value given as data (a JWK, a JWKS): a string as it is, anything
/// else through `JSON.stringify`; `unreadable` when that gives no text.
pub fn json_text(value: &JsValue, unreadable: Error) -> Result<String, Error> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or(unreadable)
}

#[wasm_bindgen]
extern "C" {
    // `Array.isArray` and `Object.keys` as calls that may throw: a revoked Proxy throws from
    // both, and a Proxy's `ownKeys` trap runs in `Object.keys`. Through js-sys's bindings the
    // exception would leave the package as the engine's TypeError.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array_or_throw(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn keys_or_throw(object: &JsValue) -> Result<Array, JsValue>;
}

/// Whether `value` is an array; `None` when asking throws (a revoked Proxy).
pub fn is_array(value: &JsValue) -> Option<bool> {
    is_array_or_throw(value).ok()
}

/// A JS options object, checked against the names a function accepts. Options are read by
/// name, as JavaScript reads properties (inherited and non-enumerable ones too): none the
/// object exposes is skipped.
pub struct Options(Object);

thread_local! {
    /// Option names as JS strings, by name.
    static NAMES: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

fn invalid(name: &str, reason: &'static str) -> Error {
    Error::InvalidOption {
        name: name.to_owned(),
        reason,
    }
}

impl Options {
    /// `value` must be `undefined`, `null` or a plain object whose keys are all in `allowed`.
    pub fn new(value: &JsValue, allowed: &[&str]) -> Result<Options, Error> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options(Object::new()));
        }
        let unreadable = || invalid("options", "could not be read");
        if !value.is_object() || is_array(value).ok_or_else(unreadable)? {
            return Err(invalid("options", "must be an object"));
        }
        let object: Object = value.clone().unchecked_into();
        for key in keys_or_throw(&object).map_err(|_| unreadable())?.iter() {
            let key = key.as_string().unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                return Err(Error::InvalidOption {
                    name: key,
                    reason: "unknown option",
                });
            }
        }
        Ok(Options(object))
    }

    /// The option's value, `None` when it is absent or `undefined`. A getter that throws
    /// is an error, not an absent option: that would switch its check off.
    fn get(&self, name: &'static str) -> Result<Option<JsValue>, Error> {
        // The name's JS string, made once: converting it on every call was a measurable part
        // of a verification (the JS API is called per token). The map is not borrowed while
        // JS runs: a getter may call back into this module.
        let key = NAMES.with(|names| {
            let mut names = names.borrow_mut();
            if let Some((_, key)) = names.iter().find(|(known, _)| *known == name) {
                return key.clone();
            }
            let key = JsValue::from_str(name);
            names.push((name, key.clone()));
            key
        });
        let value = Reflect::get(&self.0, &key).map_err(|_| invalid(name, "could not be read"))?;
        Ok((!value.is_undefined()).then_some(value))
    }

    /// An optional string.
    pub fn string(&self, name: &'static str) -> Result<Option<String>, Error> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => v
                .as_string()
                .map(Some)
                .ok_or_else(|| invalid(name, "must be a string")),
        }
    }

    /// A required string.
    pub fn required_string(&self, name: &'static str) -> Result<String, Error> {
        self.string(name)?
            .ok_or_else(|| invalid(name, "is required"))
    }

    /// An optional string or array of strings, as a list (empty when absent).
    pub fn strings(&self, name: &'static str) -> Result<Vec<String>, Error> {
        let Some(value) = self.get(name)? else {
            return Ok(Vec::new());
        };
        if let Some(one) = value.as_string() {
            return Ok(vec![one]);
        }
        if is_array(&value) != Some(true) {
            return Err(invalid(name, "must be a string or an array of strings"));
        }
        let list: Array = value.unchecked_into();
        list.iter()
            .map(|item| {
                item.as_string()
                    .ok_or_else(|| invalid(name, "must be a string or an array of strings"))
            })
            .collect()
    }

    /// An optional boolean.
    pub fn boolean(&self, name: &'static str) -> Result<Option<bool>, Error> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| invalid(name, "must be a boolean")),
        }
    }

    /// Optional bytes, given as a `Uint8Array` (`verifyDpopProof`'s `nonceSecret`).
    #[cfg(feature = "js-server")]
    pub fn bytes(&self, name: &'static str) -> Result<Option<Vec<u8>>, Error> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) if v.is_instance_of::<js_sys::Uint8Array>() => {
                Ok(Some(js_sys::Uint8Array::new(&v).to_vec()))
            }
            Some(_) => Err(invalid(name, "must be a Uint8Array")),
        }
    }

    /// An optional finite number.
    pub fn number(&self, name: &'static str) -> Result<Option<f64>, Error> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if n.is_finite() => Ok(Some(n)),
                _ => Err(invalid(name, "must be a finite number")),
            },
        }
    }

    /// An optional whole number of seconds, at least zero.
    pub fn seconds(&self, name: &'static str) -> Result<Option<i64>, Error> {
        match self.number(name)? {
            None => Ok(None),
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1e15 => Ok(Some(n as i64)),
            Some(_) => Err(invalid(
                name,
                "must be a whole number of seconds, at least 0",
            )),
        }
    }

    /// `algorithms`: names from the closed set (`none` / `HS*` are refused here too).
    pub fn algorithms(&self) -> Result<Vec<Alg>, Error> {
        self.strings("algorithms")?
            .iter()
            .map(|name| Alg::parse(name))
            .collect()
    }

    /// `currentTime` (Unix seconds) or the system clock.
    pub fn now(&self) -> Result<UnixTime, Error> {
        Ok(self
            .seconds("currentTime")?
            .map(UnixTime)
            .unwrap_or_else(|| SystemClock.now()))
    }

    /// `backend`: "webcrypto" (default where available) or "wasm".
    pub fn prefers_wasm_backend(&self) -> Result<bool, Error> {
        match self.string("backend")?.as_deref() {
            None | Some("webcrypto") => Ok(false),
            Some("wasm") => Ok(true),
            Some(_) => Err(invalid("backend", "must be \"webcrypto\" or \"wasm\"")),
        }
    }
}
