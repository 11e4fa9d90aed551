//! Clients: where they come from (`registry`), the keys they register (`keys`, inline, or
//! fetched from a `jwks_uri`) and the JWTs checked with them (`signed_jwt`), and how they
//! prove who they are at the token endpoint (`auth/`, one module per
//! `token_endpoint_auth_method`).

pub mod auth;
pub mod jwks_uri;
pub mod keys;
pub mod registry;
pub mod signed_jwt;
