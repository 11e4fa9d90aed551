//! The result of a key check or a signature check as one number: how the npm package's
//! core module and its pure-Rust module (`rustcrypto/`) tell each other what happened,
//! without a second copy of the error type's text on either side.

use super::material::REFUSALS;
use crate::Error;

const OK: u32 = 0;
const SIGNATURE_INVALID: u32 = 1;
const KEY_ALG_MISMATCH: u32 = 2;
const JWK_INVALID: u32 = 3;
const JWK_UNSUPPORTED: u32 = 4;
const OTHER: u32 = 5;
/// `REFUSAL + i`: [`Error::JwkInvalid`] with the reason `REFUSALS[i]`.
const REFUSAL: u32 = 16;

/// The number for `result`. Errors other than the ones a backend's key and signature
/// checks produce become [`Error::CryptoUnavailable`] on the other side.
pub fn encode(result: &Result<(), Error>) -> u32 {
    match result {
        Ok(()) => OK,
        Err(Error::SignatureInvalid) => SIGNATURE_INVALID,
        Err(Error::KeyAlgMismatch) => KEY_ALG_MISMATCH,
        Err(Error::JwkInvalid { reason }) => REFUSALS
            .iter()
            .position(|known| known == reason)
            .and_then(|i| u32::try_from(i).ok())
            .and_then(|i| REFUSAL.checked_add(i))
            .unwrap_or(JWK_INVALID),
        Err(Error::JwkUnsupported { .. }) => JWK_UNSUPPORTED,
        Err(_) => OTHER,
    }
}

/// The result `code` stands for.
pub fn decode(code: u32) -> Result<(), Error> {
    let refusal = code
        .checked_sub(REFUSAL)
        .and_then(|i| REFUSALS.get(i as usize));
    match (code, refusal) {
        (OK, _) => Ok(()),
        (SIGNATURE_INVALID, _) => Err(Error::SignatureInvalid),
        (KEY_ALG_MISMATCH, _) => Err(Error::KeyAlgMismatch),
        (_, Some(reason)) => Err(Error::JwkInvalid { reason }),
        (JWK_INVALID, _) => Err(Error::JwkInvalid {
            reason: "the pure-Rust backend refused the key",
        }),
        (JWK_UNSUPPORTED, _) => Err(Error::JwkUnsupported {
            reason: "the pure-Rust backend does not support the key",
        }),
        _ => Err(Error::CryptoUnavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every result a backend reports survives the trip, reason included.
    #[test]
    fn round_trips() {
        let mut results = vec![
            Ok(()),
            Err(Error::SignatureInvalid),
            Err(Error::KeyAlgMismatch),
            Err(Error::CryptoUnavailable),
        ];
        results.extend(
            REFUSALS
                .iter()
                .map(|&reason| Err(Error::JwkInvalid { reason })),
        );
        for result in results {
            assert_eq!(decode(encode(&result)), result);
        }
        assert_eq!(
            decode(encode(&Err(Error::JwkInvalid { reason: "other" }))).map_err(|e| e.code()),
            Err("jwk_invalid")
        );
        assert_eq!(decode(999), Err(Error::CryptoUnavailable));
    }
}
