//! Strict base64url without padding (RFC 4648 §5, as JOSE and PKCE use it).
//!
//! Decoding refuses padding, the standard alphabet, whitespace and non-canonical
//! trailing bits, so one byte string has exactly one accepted encoding.

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::Error;

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes canonical unpadded base64url.
pub fn decode(text: &str) -> Result<Vec<u8>, Error> {
    Base64UrlUnpadded::decode_vec(text).map_err(|_| Error::Base64)
}

/// The length of the unpadded base64url encoding of `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10 test vectors, in the URL-safe alphabet without padding.
    #[test]
    fn rfc4648_section10_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes());
            assert_eq!(encoded_len(plain.len()), encoded.len());
        }
    }

    #[test]
    fn url_alphabet_round_trips() {
        let bytes = [0xfb, 0xff, 0xbf];
        assert_eq!(encode(&bytes), "-_-_");
        assert_eq!(decode("-_-_").unwrap(), bytes);
    }

    #[test]
    fn rejects_padding_standard_alphabet_whitespace_and_non_canonical_bits() {
        for bad in [
            "Zg==", "Zm8=", "+/+/", "Zm9v Yg", "Zm9v\n", "Zh", "Z", "Zm9vY",
        ] {
            assert_eq!(decode(bad), Err(Error::Base64), "{bad:?} must be rejected");
        }
    }
}
