//! OpenID Connect and OAuth token profiles on top of [`crate::jose`]: ID tokens
//! (OpenID Connect Core §3.1.3.7) and JWT access tokens (RFC 9068).

pub mod access_token;
pub mod id_token;

pub use access_token::{AccessTokenExpectations, validate_access_token_with};
pub use id_token::{IdTokenExpectations, token_hash, validate_id_token_with};
#[cfg(feature = "rustcrypto")]
pub use {access_token::validate_access_token, id_token::validate_id_token};
