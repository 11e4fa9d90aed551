//! One module per endpoint.

pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod login;
pub mod token;
pub mod userinfo;
