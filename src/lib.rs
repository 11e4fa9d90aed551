//! oidc-edge: PKCE, DPoP, JWT / ID-token verification and an OpenID Provider core.
//!
//! The core is sans-IO: it never reads the clock, the network or storage by itself.
//! Time comes in through [`time::Clock`], randomness through [`random`], and the
//! JavaScript API in `wasm/` (feature `js`) is a thin skin over the same functions.

#![forbid(unsafe_code)]

pub mod b64;
pub mod cache;
pub mod dpop;
pub mod error;
pub mod jose;
pub mod json;
pub mod oidc;
#[cfg(feature = "rustcrypto")]
pub mod op;
pub mod pkce;
pub mod random;
pub mod secret;
pub mod store;
pub mod time;

#[cfg(all(feature = "webcrypto", target_arch = "wasm32"))]
pub mod wasm;

pub use error::Error;
pub use pkce::{CodeChallenge, CodeVerifier, Pkce, PkceMethod};
