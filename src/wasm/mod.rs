//! The JavaScript API (feature `js`, wasm32 only): a thin camelCase skin over the core.
//!
//! Every function validates its JS arguments, calls the core, and turns a core
//! [`crate::Error`] into a JS `Error` whose `code` property is [`crate::Error::code`].
//! The functions are public so the browser tests can call them from Rust as well.

mod dpop;
mod error;
mod jwt;
mod options;
mod pkce;
mod webcrypto;

pub use dpop::{DpopKey, dpop_error_response, dpop_nonce, verify_dpop_proof};
pub use jwt::{validate_access_token, validate_id_token, verify_jwt};
pub use pkce::{create_pkce, pkce_challenge, random_token};
