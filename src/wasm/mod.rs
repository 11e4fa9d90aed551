//! The JavaScript API (feature `js`, wasm32 only): a thin camelCase skin over the core.
//! The npm package builds it twice: the core a page loads (`js-page`) and the
//! resource-server module (`js-server`), each with the shared machinery (`js-api`).
//! [`webcrypto`] (feature `webcrypto`, implied by `js`) is the part the Worker shares:
//! signature checks and token signing through `crypto.subtle`.
//!
//! Every function validates its JS arguments, calls the core, and turns a core
//! [`crate::Error`] into a JS `Error` whose `code` property is [`crate::Error::code`].
//! The functions are public so the browser tests can call them from Rust as well.

#[cfg(feature = "js-server")]
mod dpop_check;
#[cfg(feature = "js-api")]
mod error;
#[cfg(feature = "js-api")]
pub mod job;
#[cfg(feature = "js-api")]
mod jwt;
#[cfg(feature = "js-page")]
mod nonce;
#[cfg(feature = "js-api")]
mod options;
#[cfg(feature = "js-page")]
mod pkce;
#[cfg(feature = "js-api")]
mod plain_sets;

pub mod rust_backend;
pub mod settle;
pub mod webcrypto;

#[cfg(feature = "js-server")]
pub use dpop_check::verify_dpop_proof;
#[cfg(feature = "js-server")]
pub use jwt::validate_access_token;
#[cfg(feature = "js-page")]
pub use jwt::{create_key_set, validate_id_token, verify_jwt};
#[cfg(feature = "js-page")]
pub use nonce::dpop_nonce;
#[cfg(feature = "js-page")]
pub use pkce::{create_pkce, pkce_challenge, random_token};
