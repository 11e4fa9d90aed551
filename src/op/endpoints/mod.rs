//! One module per endpoint (the token endpoint, with its grants, is `op::token`); the
//! route table (`op::routes`) says which path each serves.

pub mod api_me;
pub mod authorize;
pub mod bc_authorize;
pub mod ciba;
pub mod client_configuration;
pub mod consent;
pub mod device;
pub mod device_authorization;
pub mod discovery;
pub mod end_session;
pub mod introspect;
pub mod jwks;
pub mod login;
pub mod par;
pub mod register;
pub mod resource_metadata;
pub mod revoke;
pub mod upstream_callback;
pub mod upstream_start;
pub mod userinfo;
