//! The OpenID Provider engine: sans-IO. [`Provider`] takes a request value and returns a
//! response value; storage comes through [`crate::store::Store`], time through
//! [`crate::time::Clock`], password hashing through [`password::Pbkdf2`], documents from
//! elsewhere (a client's `jwks_uri`, an upstream provider's documents and token endpoint)
//! through [`fetch::Fetcher`]. The Worker is a thin
//! adapter around it.

pub mod authorize;
pub mod backchannel;
pub mod ciba;
pub mod claims;
pub mod clients;
pub mod config;
pub mod cors;
pub mod device;
pub mod endpoints;
pub mod error;
pub mod fetch;
pub mod flow;
pub mod form;
pub mod grant;
pub mod http;
pub mod kept;
pub mod keys;
pub mod mtls;
pub mod pages;
pub mod password;
pub mod pending;
pub mod provider;
pub mod records;
pub mod resource;
pub mod routes;
pub mod secrets;
pub mod signer;
pub mod throttle;
pub mod token;
pub mod types;
pub mod upstream;
pub mod users;

pub use error::OpError;
pub use http::{EFFECT_TIMEOUT_MS, Effect, Request, Response};
pub use provider::{Provider, Services};
pub use signer::TokenSigner;
