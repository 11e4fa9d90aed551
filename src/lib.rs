//! oidc-edge: PKCE, DPoP, JWT / ID-token verification and an OpenID Provider core.
//!
//! The core is sans-IO: it never reads the clock, the network or storage by itself.
//! Time comes in through [`time::Clock`], randomness through [`random`], and the
//! JavaScript API in `wasm/` (feature `js`) is a thin skin over the same functions.

#![forbid(unsafe_code)]
// Nothing on a request path may panic: on Workers a panic traps the wasm instance and fails
// every request in flight on the isolate, so a single crafted header becomes a denial of
// service. These lints find the code that can panic (indexing and slicing, string slicing
// inside a character, unwraps, explicit panics, arithmetic that overflows or divides by
// zero) and refuse it outside tests; such code returns an error instead. The fuzz targets
// in fuzz/ look for what lints cannot see.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::arithmetic_side_effects,
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::unwrap_in_result,
        clippy::panic_in_result_fn,
        clippy::get_unwrap,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod b64;
pub mod cache;
pub mod dpop;
pub mod error;
pub mod jose;
pub mod json;
#[cfg(test)]
mod json_reference;
pub mod oidc;
#[cfg(feature = "rustcrypto")]
pub mod op;
pub mod percent;
pub mod pkce;
pub mod random;
pub mod secret;
pub mod store;
pub mod time;

#[cfg(all(feature = "webcrypto", target_arch = "wasm32"))]
pub mod wasm;

pub use error::Error;
pub use pkce::{CodeChallenge, CodeVerifier, Pkce, PkceMethod};

/// The npm package's allocator: talc instead of Rust's default dlmalloc, 2.5 KB less
/// gzipped wasm for every page that loads the package. Single-threaded wasm only, which is
/// what the package is built for (`new_wasm_dynamic_allocator` refuses anything else).
#[cfg(all(
    feature = "js-api",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
