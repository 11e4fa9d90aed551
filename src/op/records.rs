//! What the provider keeps in the [`Store`], and how consistent each record must be.
//!
//! Keys are `prefix:` + base64url(SHA-256(secret)) wherever the secret is a bearer value
//! (session ids, codes, refresh tokens, transaction ids): a read of the store never yields
//! a usable credential.
//!
//! | record | written | read | consistency need |
//! |---|---|---|---|
//! | `authreq` | /authorize | login, consent | read-your-write in one browser flow (same location) |
//! | `session` | login | /authorize; deleted at /end_session | read-your-write (same location) |
//! | `consent` | consent | /authorize | cacheable; a stale read asks again |
//! | `code` | code issued | /token, once | single use: [`Store::take`] (a read on KV) |
//! | `refresh` | /token | /token | the grant; written once per token. The code's own (under its derived first refresh token) also marks the code spent, and names what a replay revokes |
//! | `rotated` | /token | /token | write-once rotation mark; reuse after grace revokes the family |
//! | `family` | on revocation | /token; /userinfo and /api/me (an access token's `gid`) | revocation, visible after propagation |
//! | `revoked-at` | on code replay | /userinfo | revocation of access tokens, same |

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::Store;
use crate::{Error, b64};

/// The store key for a secret value: `prefix:` + base64url(SHA-256(value)).
pub fn key(prefix: &str, secret: &str) -> String {
    format!(
        "{prefix}:{}",
        b64::encode(&Sha256::digest(secret.as_bytes()))
    )
}

/// The store key of a revoked grant (refresh family): `family:<id>`. The id is already a
/// derived value (HMAC of the code), not a bearer secret, so it is not hashed again.
pub fn family_revoked_key(family: &str) -> String {
    format!("family:{family}")
}

/// The store key of a revoked access token: `revoked-at:<jti>`.
pub fn token_revoked_key(jti: &str) -> String {
    format!("revoked-at:{jti}")
}

/// Reads a JSON record. A record that no longer parses (written by another version) is
/// treated as absent rather than failing the request.
pub async fn get<S: Store, T: DeserializeOwned>(store: &S, key: &str) -> Result<Option<T>, Error> {
    Ok(store
        .get(key)
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Takes (reads and deletes) a JSON record.
pub async fn take<S: Store, T: DeserializeOwned>(store: &S, key: &str) -> Result<Option<T>, Error> {
    Ok(store
        .take(key)
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Writes a JSON record for `ttl` seconds (at least 60: Workers KV's minimum).
pub async fn put<S: Store, T: Serialize>(
    store: &S,
    key: &str,
    value: &T,
    ttl: u64,
) -> Result<(), Error> {
    let bytes = serde_json::to_vec(value).map_err(|_| Error::StoreUnavailable)?;
    store.put(key, &bytes, ttl.max(60)).await
}

/// An authorization request waiting for login or consent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    /// The client.
    pub client_id: String,
    /// The exact redirect URI of the request.
    pub redirect_uri: String,
    /// Granted-to-be scopes, space-separated.
    pub scope: String,
    /// The client's `state`, returned unchanged.
    pub state: Option<String>,
    /// The OpenID Connect `nonce`.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// `max_age` in seconds.
    pub max_age: Option<i64>,
    /// `prompt=login` was asked.
    pub force_login: bool,
    /// `prompt=consent` was asked.
    pub force_consent: bool,
    /// RFC 9449 §10: the DPoP key the code is bound to.
    pub dpop_jkt: Option<String>,
    /// Hash of the browser-binding cookie: only the browser that started the flow may
    /// finish it (login CSRF defence).
    pub browser: String,
}

/// A signed-in user at the provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The user's subject.
    pub sub: String,
    /// When they authenticated (Unix seconds).
    pub auth_time: i64,
    /// Session id published in ID tokens as `sid` (not the cookie value).
    pub sid: String,
}

/// An issued authorization code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Code {
    /// The request the code answers.
    pub request: AuthRequest,
    /// The user.
    pub sub: String,
    /// When they authenticated.
    pub auth_time: i64,
    /// The session's `sid`.
    pub sid: String,
}

/// A grant: what an authorization code's exchange granted, stored under the hash of a
/// refresh token. The first is the code's derived refresh token (so the record is also the
/// mark that the code was spent); each rotation stores the grant again under the successor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refresh {
    /// The rotation family: every token descended from one code exchange.
    pub family: String,
    /// The client.
    pub client_id: String,
    /// The user.
    pub sub: String,
    /// Scopes, space-separated.
    pub scope: String,
    /// When the user authenticated.
    pub auth_time: i64,
    /// The session's `sid`.
    pub sid: String,
    /// The DPoP key the token is bound to, if any.
    pub jkt: Option<String>,
    /// Whether the token may refresh (`offline_access` was granted). A code's grant record
    /// without it only marks the code spent; its token was never handed out. Records from
    /// before this field existed were all handed-out refresh tokens, hence the default.
    #[serde(default = "handed_out")]
    pub refreshable: bool,
    /// The access token the code's exchange issued, revoked if the code is replayed (only
    /// on the code's own record, not on rotated successors).
    pub code_access_jti: Option<String>,
}

/// A moment something ended: a revoked refresh family or access token, a rotated-out
/// refresh token (each its own write-once key, never a field rewritten in place).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revoked {
    /// When (Unix seconds).
    pub at: i64,
}

/// The `refreshable` of a record written before the field existed.
fn handed_out() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_records_written_before_the_grant_fields_still_read() {
        let old = br#"{"family":"f","client_id":"c","sub":"s","scope":"openid offline_access","auth_time":1,"sid":"x","jkt":null}"#;
        let record: Refresh = serde_json::from_slice(old).unwrap();
        assert!(record.refreshable);
        assert_eq!(record.code_access_jti, None);
        let new = br#"{"family":"f","client_id":"c","sub":"s","scope":"openid","auth_time":1,"sid":"x","jkt":null,"refreshable":false,"code_access_jti":"j"}"#;
        let record: Refresh = serde_json::from_slice(new).unwrap();
        assert!(!record.refreshable);
        assert_eq!(record.code_access_jti.as_deref(), Some("j"));
    }
}
