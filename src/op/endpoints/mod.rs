//! One module per endpoint.

pub mod api_me;
pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod end_session;
pub mod login;
pub mod token;
pub mod userinfo;
