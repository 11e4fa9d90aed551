//! Clients: where they come from (`registry`: the configuration, `registered` at
//! `/register`, or a metadata `document`), how what they say of themselves is read
//! (`metadata`), the keys they register (`keys`, inline, or fetched from a `jwks_uri`) and
//! the JWTs checked with them (`signed_jwt`), and how they prove who they are at the token
//! endpoint (`auth/`, one module per
//! `token_endpoint_auth_method`).

pub mod auth;
pub mod document;
pub mod jwks_uri;
pub mod keys;
pub mod metadata;
pub mod registered;
pub mod registry;
pub mod signed_jwt;
