//! Randomness from the platform CSPRNG (`getrandom`: the OS natively,
//! `crypto.getRandomValues` in browsers, Node and Workers).

use crate::{Error, b64};

/// Default size of [`token`]: 256 bits.
pub const DEFAULT_TOKEN_BYTES: usize = 32;
/// Smallest [`token`]: 128 bits, the floor for `state`, `nonce` and similar values.
pub const MIN_TOKEN_BYTES: usize = 16;
/// Largest [`token`]: far above any protocol need, small enough never to strain memory.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// Fills `buf` with cryptographically secure random bytes.
pub fn fill(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|_| Error::RandomUnavailable)
}

/// `n` random bytes.
pub fn bytes(n: usize) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; n];
    fill(&mut buf)?;
    Ok(buf)
}

/// A base64url random token of `n_bytes` bytes of entropy, for `state`, `nonce`, `jti`.
pub fn token(n_bytes: usize) -> Result<String, Error> {
    if !(MIN_TOKEN_BYTES..=MAX_TOKEN_BYTES).contains(&n_bytes) {
        return Err(Error::InvalidLength {
            what: "token bytes",
            min: MIN_TOKEN_BYTES,
            max: MAX_TOKEN_BYTES,
        });
    }
    Ok(b64::encode(&bytes(n_bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_has_the_encoded_length_and_differs_each_time() {
        let a = token(DEFAULT_TOKEN_BYTES).unwrap();
        let b = token(DEFAULT_TOKEN_BYTES).unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(b64::decode(&a).unwrap().len(), 32);
    }

    #[test]
    fn token_size_is_bounded() {
        assert_eq!(token(15).unwrap_err().code(), "invalid_length");
        assert_eq!(token(1025).unwrap_err().code(), "invalid_length");
        assert_eq!(token(16).unwrap().len(), 22);
        assert_eq!(token(1024).unwrap().len(), 1366);
    }
}
