//! Server-side secrets, derived from one master secret with HMAC-SHA256 and a label per
//! use, so one value in the environment (the signing keys) yields independent keys for
//! CSRF tokens, DPoP nonces and refresh-token successors.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::b64;
use crate::dpop::NonceKey;
use crate::secret::constant_time_eq;

type Hmac = hmac::Hmac<Sha256>;

/// Keys for the provider's own tokens.
pub struct ServerSecrets {
    csrf: Zeroizing<Vec<u8>>,
    refresh: Zeroizing<Vec<u8>>,
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

impl ServerSecrets {
    /// Derives every key from `master` (at least 32 secret bytes).
    pub fn derive(master: &[u8]) -> ServerSecrets {
        let csrf = Zeroizing::new(hmac(master, &[b"oidc-edge csrf"]).to_vec());
        let refresh = Zeroizing::new(hmac(master, &[b"oidc-edge refresh successor"]).to_vec());
        let nonce_secret = Zeroizing::new(hmac(master, &[b"oidc-edge dpop nonce"]));
        let nonce = NonceKey::from_key(&nonce_secret);
        ServerSecrets {
            csrf,
            refresh,
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
        assert!(!format!("{secrets:?}").contains('1'));
    }
}
