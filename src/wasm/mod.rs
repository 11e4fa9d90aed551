//! The JavaScript API (feature `js`, wasm32 only): a thin camelCase skin over the core.
//! [`webcrypto`] (feature `webcrypto`, implied by `js`) is the part the Worker shares:
//! signature checks and token signing through `crypto.subtle`.
//!
//! Every function validates its JS arguments, calls the core, and turns a core
//! [`crate::Error`] into a JS `Error` whose `code` property is [`crate::Error::code`].
//! The functions are public so the browser tests can call them from Rust as well.

#[cfg(feature = "js")]
mod dpop;
#[cfg(feature = "js")]
mod error;
#[cfg(feature = "js")]
pub mod job;
#[cfg(feature = "js")]
mod jwt;
#[cfg(feature = "js")]
mod options;
#[cfg(feature = "js")]
mod pkce;
#[cfg(feature = "js")]
mod plain_sets;

pub mod rust_backend;
pub mod settle;
pub mod webcrypto;

#[cfg(feature = "js")]
pub use dpop::{DpopKey, dpop_error_response, dpop_nonce, verify_dpop_proof};
#[cfg(feature = "js")]
pub use jwt::{create_key_set, validate_access_token, validate_id_token, verify_jwt};
#[cfg(feature = "js")]
pub use pkce::{create_pkce, pkce_challenge, random_token};
