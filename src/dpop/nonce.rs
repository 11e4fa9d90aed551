//! Stateless server nonces (RFC 9449 §8): an HMAC of the current time step under a
//! server secret. Checking one needs no storage write per request: the server recomputes
//! the nonces of the current and the previous step and compares.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::constant_time_eq;
use crate::time::UnixTime;
use crate::{Error, b64};

/// Default time step: a nonce is accepted for one to two steps after it is issued.
pub const DEFAULT_STEP_SECONDS: i64 = 300;
/// Shortest secret accepted: 256 bits.
pub const MIN_SECRET_LEN: usize = 32;

/// The secret and step that make and check nonces.
#[derive(Clone)]
pub struct NonceKey {
    secret: Zeroizing<Vec<u8>>,
    step: i64,
}

impl core::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NonceKey")
            .field("secret", &"***")
            .field("step", &self.step)
            .finish()
    }
}

impl NonceKey {
    /// A key from `secret` (at least 32 bytes) and a step of `step_seconds` (at least 1).
    pub fn new(secret: &[u8], step_seconds: i64) -> Result<NonceKey, Error> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(Error::InvalidLength {
                what: "DPoP nonce secret bytes",
                min: MIN_SECRET_LEN,
                max: usize::MAX,
            });
        }
        if step_seconds < 1 {
            return Err(Error::InvalidOption {
                name: "step".into(),
                reason: "must be at least 1 second",
            });
        }
        Ok(NonceKey {
            secret: Zeroizing::new(secret.to_vec()),
            step: step_seconds,
        })
    }

    /// A key from a 32-byte secret with the default step: cannot fail.
    pub fn from_key(secret: &[u8; 32]) -> NonceKey {
        NonceKey {
            secret: Zeroizing::new(secret.to_vec()),
            step: DEFAULT_STEP_SECONDS,
        }
    }

    /// The nonce to hand out at `now` (in a `DPoP-Nonce` header).
    pub fn current(&self, now: UnixTime) -> String {
        self.for_step(now.0.div_euclid(self.step))
    }

    /// Whether `nonce` was issued in the current or the previous step.
    pub fn accepts(&self, nonce: &str, now: UnixTime) -> bool {
        let step = now.0.div_euclid(self.step);
        // Both comparisons run, so timing does not tell which step matched.
        let current = constant_time_eq(nonce.as_bytes(), self.for_step(step).as_bytes());
        let previous = constant_time_eq(
            nonce.as_bytes(),
            self.for_step(step.saturating_sub(1)).as_bytes(),
        );
        current | previous
    }

    fn for_step(&self, step: i64) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let Ok(mut mac) = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret) else {
            return String::new();
        };
        mac.update(b"oidc-edge dpop-nonce v1:");
        mac.update(&step.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        b64::encode(tag.get(..16).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9449 §8: nonces the server issued recently are accepted, others are not.
    #[test]
    fn current_and_previous_step_are_accepted() {
        let key = NonceKey::new(&[7; 32], 300).unwrap();
        let issued = key.current(UnixTime(1_000_200));
        assert_eq!(issued.len(), 22);
        assert!(key.accepts(&issued, UnixTime(1_000_200)));
        assert!(
            key.accepts(&issued, UnixTime(1_000_500)),
            "next step still accepts it"
        );
        assert!(
            !key.accepts(&issued, UnixTime(1_000_800)),
            "two steps later it is stale"
        );
        assert!(
            !key.accepts(&issued, UnixTime(999_000)),
            "not before it was issued"
        );
        assert!(!key.accepts("", UnixTime(1_000_200)));
        let other = NonceKey::new(&[8; 32], 300).unwrap();
        assert!(!other.accepts(&issued, UnixTime(1_000_200)));
    }

    #[test]
    fn refuses_short_secrets_and_bad_steps() {
        assert_eq!(
            NonceKey::new(&[1; 31], 300).unwrap_err().code(),
            "invalid_length"
        );
        assert_eq!(
            NonceKey::new(&[1; 32], 0).unwrap_err().code(),
            "invalid_option"
        );
        assert!(!format!("{:?}", NonceKey::new(&[1; 32], 60).unwrap()).contains('1'));
    }
}
