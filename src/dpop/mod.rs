//! DPoP, OAuth 2.0 Demonstrating Proof of Possession (RFC 9449): proofs for clients and
//! proof checks for servers, with stateless server nonces.

pub mod check;
pub mod htu;
pub mod nonce;
pub mod proof;

pub use check::{
    CheckedProof, NoncePolicy, ProofCheck, check_proof, oauth_error, www_authenticate,
};
pub use nonce::NonceKey;
pub use proof::{ProofClaims, access_token_hash};
