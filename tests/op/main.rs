//! The provider engine end to end, natively: a memory store, a moving clock, and one
//! module per feature, each citing the sections it checks. One test crate, so the
//! provider and its support code are compiled and linked once.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

#[path = "../op_support/mod.rs"]
mod op_support;

mod acr;
mod api_me;
mod authorization_code;
mod authorize;
mod ciba;
mod ciba_ping;
mod claims_parameter;
mod client_credentials;
mod client_metadata_documents;
mod config;
mod consent;
mod cors;
mod device_flow;
mod discovery;
mod dpop;
mod fapi2;
mod hinted_user_gone;
mod hostile;
mod id_token_hint;
mod introspect;
mod login;
mod logout;
mod mtls;
mod native_apps;
mod opaque_tokens;
mod par;
mod private_key_jwt;
mod records;
mod refresh_token;
mod registration;
mod request_objects;
mod resource;
mod resource_indicators;
mod response_modes;
mod revoke;
mod rotation;
mod signing_algorithms;
mod throttle;
mod token_exchange;
mod upstream_sign_in;
mod upstream_userinfo;
