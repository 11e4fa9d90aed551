//! One module per endpoint (the token endpoint, with its grants, is `op::token`); the
//! route table (`op::routes`) says which path each serves.

pub mod api_me;
pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod end_session;
pub mod introspect;
pub mod jwks;
pub mod login;
pub mod par;
pub mod resource_metadata;
pub mod revoke;
pub mod userinfo;
