//! Grants after they are issued: what revokes them and how a token's status is read. The
//! token endpoint's grants, the protected resources (`/userinfo`, `/api/me`) and, as they
//! come, introspection, revocation and logout share these rules instead of each keeping
//! its own reading of the store.

pub mod lifecycle;
