//! Secret values: never printed, compared in constant time, wiped on drop.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A secret string (a PKCE verifier, a client secret, a refresh token…).
///
/// `Debug` prints `Secret(***)`, equality runs in constant time for equal lengths, and
/// the bytes are zeroed when the value is dropped. The only way to read it is
/// [`Secret::expose`], which makes every use visible in review.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// The secret itself, for the few places that must send or hash it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

/// Compares two byte strings without an early exit on the first difference.
///
/// The length is not secret (every secret this crate compares has a public, fixed
/// length), so unequal lengths return at once.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2-very-secret".into());
        let printed = format!("{secret:?} {:?}", Some(&secret));
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("***"));
    }

    #[test]
    fn equality_compares_contents() {
        let a = Secret::new("abc".into());
        assert_eq!(a, Secret::new("abc".into()));
        assert_ne!(a, Secret::new("abd".into()));
        assert_ne!(a, Secret::new("abcd".into()));
        assert!(constant_time_eq(b"", b""));
    }
}
