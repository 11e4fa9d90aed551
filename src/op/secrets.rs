//! Server-side secrets, derived from one master secret (`OIDC_SERVER_SECRET`) with
//! HMAC-SHA256 and a label per use, so one value in the environment yields independent
//! keys for CSRF tokens, DPoP nonces, refresh-token successors and CIBA `auth_req_id`s.
//!
//! The master secret is its own value, not derived from a signing key: keys rotate (a new
//! one is added, the old one removed when its tokens expire), and every CSRF token, DPoP
//! nonce, refresh successor and code's grant record in flight would be lost with a secret
//! that rotated with them.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::config::ConfigError;
use crate::dpop::NonceKey;
use crate::secret::constant_time_eq;
use crate::{Error, b64, random};

type Hmac = hmac::Hmac<Sha256>;

/// Keys for the provider's own tokens.
pub struct ServerSecrets {
    csrf: Zeroizing<Vec<u8>>,
    refresh: Zeroizing<Vec<u8>>,
    ciba: Zeroizing<Vec<u8>>,
    nonce: NonceKey,
}

impl core::fmt::Debug for ServerSecrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ServerSecrets(***)")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length; this cannot fail.
    let Ok(mut mac) = <Hmac as KeyInit>::new_from_slice(key) else {
        return [0; 32];
    };
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The environment variable that holds the master secret.
pub const SERVER_SECRET_VAR: &str = "OIDC_SERVER_SECRET";
/// Fewest bytes a master secret may have (HMAC-SHA256's key strength).
pub const MIN_SECRET_LEN: usize = 32;
/// Most bytes a master secret may have.
pub const MAX_SECRET_LEN: usize = 64;

impl ServerSecrets {
    /// Reads `OIDC_SERVER_SECRET`: 32 to 64 random bytes as unpadded base64url. The error
    /// names the variable and never repeats its value.
    pub fn from_text(text: &str) -> Result<ServerSecrets, ConfigError> {
        let invalid = || {
            ConfigError::new(
                SERVER_SECRET_VAR,
                "must be 32 to 64 random bytes as unpadded base64url (make one with `oidc-edge server-secret`)",
            )
        };
        let master = Zeroizing::new(b64::decode(text.trim()).map_err(|_| invalid())?);
        if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&master.len()) {
            return Err(invalid());
        }
        Ok(ServerSecrets::derive(&master))
    }

    /// A new master secret (32 random bytes, base64url), for `OIDC_SERVER_SECRET`.
    pub fn generate() -> Result<String, Error> {
        Ok(b64::encode(&Zeroizing::new(random::bytes(MIN_SECRET_LEN)?)))
    }

    /// Derives every key from `master` (at least 32 secret bytes).
    pub fn derive(master: &[u8]) -> ServerSecrets {
        let csrf = Zeroizing::new(hmac(master, &[b"oidc-edge csrf"]).to_vec());
        let refresh = Zeroizing::new(hmac(master, &[b"oidc-edge refresh successor"]).to_vec());
        let ciba = Zeroizing::new(hmac(master, &[b"oidc-edge ciba auth_req_id"]).to_vec());
        let nonce_secret = Zeroizing::new(hmac(master, &[b"oidc-edge dpop nonce"]));
        let nonce = NonceKey::from_key(&nonce_secret);
        ServerSecrets {
            csrf,
            refresh,
            ciba,
            nonce,
        }
    }

    /// The CSRF token of a form: bound to its purpose, the transaction and the browser.
    pub fn csrf_token(&self, purpose: &str, transaction: &str, browser: &str) -> String {
        b64::encode(&hmac(
            &self.csrf,
            &[
                purpose.as_bytes(),
                transaction.as_bytes(),
                browser.as_bytes(),
            ],
        ))
    }

    /// Whether `token` is the CSRF token for these values (constant time).
    pub fn csrf_valid(&self, token: &str, purpose: &str, transaction: &str, browser: &str) -> bool {
        constant_time_eq(
            token.as_bytes(),
            self.csrf_token(purpose, transaction, browser).as_bytes(),
        )
    }

    /// The refresh token that replaces `token`: derived, not stored, so a retry within
    /// the grace window gets the same successor while the store holds only hashes.
    pub fn successor(&self, token: &str) -> String {
        b64::encode(&hmac(&self.refresh, &[token.as_bytes()]))
    }

    /// The grant record's token of an authorization code: the refresh token the exchange
    /// returns (with `offline_access`). Derived, so the record stored under it doubles as
    /// the mark that the code was spent (one write per exchange), and every redemption of
    /// one code, even racing ones, names the same record.
    pub fn first_refresh(&self, code: &str) -> String {
        b64::encode(&hmac(&self.refresh, &[b"code", code.as_bytes()]))
    }

    /// The refresh family of an authorization code: derived, so every redemption of one
    /// code (even racing ones in two locations) lands in the same family.
    pub fn family_of(&self, code: &str) -> String {
        b64::encode(&hmac(&self.refresh, &[b"family", code.as_bytes()])[..16])
    }

    /// The `auth_req_id` of the CIBA request with id `request_id` (CIBA Core §7.3): derived,
    /// not stored, so the store holds only its hash and the ping (§10.2), sent when the
    /// user answers, is given it again from the request's id. The id alone, which the
    /// store and the user's page hold, yields nothing without the master secret.
    pub fn auth_req_id(&self, request_id: &str) -> String {
        b64::encode(&hmac(&self.ciba, &[request_id.as_bytes()]))
    }

    /// The DPoP nonce key.
    pub fn nonce(&self) -> &NonceKey {
        &self.nonce
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_values_are_bound_to_their_inputs() {
        let secrets = ServerSecrets::derive(&[1; 32]);
        let token = secrets.csrf_token("login", "tx1", "b1");
        assert!(secrets.csrf_valid(&token, "login", "tx1", "b1"));
        assert!(!secrets.csrf_valid(&token, "consent", "tx1", "b1"));
        assert!(!secrets.csrf_valid(&token, "login", "tx2", "b1"));
        assert!(!secrets.csrf_valid(&token, "login", "tx1", "b2"));
        // Length-prefixed parts: moving a boundary changes the token.
        assert_ne!(
            secrets.csrf_token("login", "ab", "c"),
            secrets.csrf_token("login", "a", "bc")
        );
        assert_eq!(secrets.successor("rt"), secrets.successor("rt"));
        assert_ne!(secrets.successor("rt"), secrets.successor("rt2"));
        let other = ServerSecrets::derive(&[2; 32]);
        assert_ne!(other.successor("rt"), secrets.successor("rt"));
        // A code's first refresh token is its own derivation: neither a successor of the
        // code nor of anything else a client could present.
        assert_eq!(secrets.first_refresh("code"), secrets.first_refresh("code"));
        assert_ne!(secrets.first_refresh("code"), secrets.successor("code"));
        assert_ne!(secrets.first_refresh("code"), other.first_refresh("code"));
        assert_eq!(secrets.first_refresh("code").len(), 43);
        // An auth_req_id is its own derivation of its request's id, 256 bits.
        assert_eq!(secrets.auth_req_id("id"), secrets.auth_req_id("id"));
        assert_ne!(secrets.auth_req_id("id"), secrets.auth_req_id("id2"));
        assert_ne!(secrets.auth_req_id("id"), secrets.successor("id"));
        assert_ne!(secrets.auth_req_id("id"), other.auth_req_id("id"));
        assert_eq!(secrets.auth_req_id("id").len(), 43);
        assert!(!format!("{secrets:?}").contains('1'));
    }

    #[test]
    fn the_master_secret_is_32_to_64_bytes_of_base64url() {
        let made = ServerSecrets::generate().unwrap();
        assert_eq!(made.len(), 43);
        let a = ServerSecrets::from_text(&made).unwrap();
        let b = ServerSecrets::from_text(&format!(" {made}\n")).unwrap();
        assert_eq!(a.successor("rt"), b.successor("rt"));
        for bad in [
            "",
            "short",
            &b64::encode(&[7; 31]),
            &b64::encode(&[7; 65]),
            "not base64url!",
        ] {
            let err = ServerSecrets::from_text(bad).err().unwrap();
            assert_eq!(err.path, "OIDC_SERVER_SECRET");
            assert!(bad.is_empty() || !err.message.contains(bad), "{err}");
        }
        assert!(ServerSecrets::from_text(&b64::encode(&[7; 64])).is_ok());
    }
}
