//! The authorization request apart from its pages: where its parameters come from (the
//! query or form, a signed request object, or a request pushed earlier), the checks every
//! request passes wherever it comes from, and how the answer reaches the client.
//!
//! `/authorize` and `/par` run the same checks ([`validate`]) on the same parameters
//! ([`source`]), so a pushed request is refused at push time for exactly what would refuse
//! it at `/authorize`.

pub mod form_post;
pub mod id_token_hint;
pub mod jarm;
pub mod par;
pub mod request_object;
pub mod response_mode;
pub mod source;
pub mod validate;
