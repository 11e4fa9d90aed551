//! Proof Key for Code Exchange (RFC 7636), S256 only.
//!
//! The `plain` method offers no protection when the authorization request leaks, so this
//! crate neither creates nor accepts it (RFC 7636 §7.2; OAuth 2.0 Security BCP §2.1.1).

use sha2::{Digest, Sha256};

use crate::secret::{Secret, constant_time_eq};
use crate::{Error, b64, random};

/// Shortest code verifier allowed by RFC 7636 §4.1.
pub const MIN_VERIFIER_LEN: usize = 43;
/// Longest code verifier allowed by RFC 7636 §4.1.
pub const MAX_VERIFIER_LEN: usize = 128;
/// Length of verifiers made by [`Pkce::generate`] when none is asked for: 384 bits.
pub const DEFAULT_VERIFIER_LEN: usize = 64;
/// Length of an S256 code challenge: base64url of 32 bytes.
pub const S256_CHALLENGE_LEN: usize = 43;

/// The code challenge method. Only `S256` exists here; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PkceMethod {
    /// `BASE64URL(SHA256(ASCII(code_verifier)))`, RFC 7636 §4.2.
    S256,
}

impl PkceMethod {
    /// The protocol name, as sent in `code_challenge_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            PkceMethod::S256 => "S256",
        }
    }
}

/// A code verifier: 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1). Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeVerifier(Secret);

impl CodeVerifier {
    /// Checks a verifier received from elsewhere.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if !(MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&text.len()) {
            // `len` counts bytes; a multi-byte character is also outside the charset, and
            // reporting its byte length is the honest number for a length check.
            return Err(Error::PkceVerifierLength { len: text.len() });
        }
        if !text.bytes().all(is_unreserved) {
            return Err(Error::PkceVerifierCharset);
        }
        Ok(CodeVerifier(Secret::new(text.to_owned())))
    }

    /// A fresh random verifier of `len` characters.
    ///
    /// Characters come from the base64url alphabet (a subset of the unreserved set),
    /// 6 bits of entropy each.
    pub fn generate(len: usize) -> Result<Self, Error> {
        if !(MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&len) {
            return Err(Error::InvalidLength {
                what: "verifier length",
                min: MIN_VERIFIER_LEN,
                max: MAX_VERIFIER_LEN,
            });
        }
        let mut text = b64::encode(&random::bytes(len.saturating_mul(3).div_ceil(4))?);
        text.truncate(len);
        Ok(CodeVerifier(Secret::new(text)))
    }

    /// The S256 challenge of this verifier (RFC 7636 §4.2).
    pub fn challenge(&self) -> CodeChallenge {
        CodeChallenge(b64::encode(&Sha256::digest(self.0.expose().as_bytes())))
    }

    /// The verifier text, to send in the token request.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// An S256 code challenge. Public: it travels in the authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Checks a challenge received in an authorization request: exactly the base64url
    /// encoding of a SHA-256 digest.
    pub fn parse_s256(text: &str) -> Result<Self, Error> {
        if text.len() != S256_CHALLENGE_LEN || b64::decode(text).is_err() {
            return Err(Error::PkceChallengeInvalid);
        }
        Ok(CodeChallenge(text.to_owned()))
    }

    /// The challenge text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `verifier` is the one this challenge was made from (RFC 7636 §4.6),
    /// compared in constant time.
    pub fn is_satisfied_by(&self, verifier: &CodeVerifier) -> bool {
        constant_time_eq(verifier.challenge().0.as_bytes(), self.0.as_bytes())
    }
}

/// A verifier and its challenge, as a client creates them for one authorization request.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// Kept by the client until the token request.
    pub verifier: CodeVerifier,
    /// Sent in the authorization request.
    pub challenge: CodeChallenge,
    /// Always [`PkceMethod::S256`].
    pub method: PkceMethod,
}

impl Pkce {
    /// A fresh pair with a verifier of `verifier_len` characters (43–128).
    pub fn generate(verifier_len: usize) -> Result<Self, Error> {
        let verifier = CodeVerifier::generate(verifier_len)?;
        let challenge = verifier.challenge();
        Ok(Pkce {
            verifier,
            challenge,
            method: PkceMethod::S256,
        })
    }
}

/// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986 §2.3).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = CodeVerifier::parse(RFC7636_VERIFIER).unwrap();
        assert_eq!(verifier.challenge().as_str(), RFC7636_CHALLENGE);
        let challenge = CodeChallenge::parse_s256(RFC7636_CHALLENGE).unwrap();
        assert!(challenge.is_satisfied_by(&verifier));
    }

    /// RFC 7636 §4.1: 43 to 128 characters.
    #[test]
    fn verifier_length_bounds() {
        assert_eq!(
            CodeVerifier::parse(&"a".repeat(42)),
            Err(Error::PkceVerifierLength { len: 42 })
        );
        assert!(CodeVerifier::parse(&"a".repeat(43)).is_ok());
        assert!(CodeVerifier::parse(&"a".repeat(128)).is_ok());
        assert_eq!(
            CodeVerifier::parse(&"a".repeat(129)).unwrap_err().code(),
            "pkce_verifier_length"
        );
        assert_eq!(
            CodeVerifier::parse("").unwrap_err().code(),
            "pkce_verifier_length"
        );
    }

    /// RFC 7636 §4.1: only unreserved characters.
    #[test]
    fn verifier_charset() {
        let ok = format!("{}-._~", "A1z".repeat(14));
        assert!(CodeVerifier::parse(&ok).is_ok());
        for bad in ['+', '/', '=', ' ', '%', '\n', 'é'] {
            let text = format!("{}{bad}", "a".repeat(50));
            assert_eq!(
                CodeVerifier::parse(&text).unwrap_err().code(),
                "pkce_verifier_charset",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn generated_pairs_are_valid_and_fresh() {
        for len in [43, 64, 100, 128] {
            let pkce = Pkce::generate(len).unwrap();
            assert_eq!(pkce.verifier.expose().len(), len);
            CodeVerifier::parse(pkce.verifier.expose()).unwrap();
            assert_eq!(pkce.method.as_str(), "S256");
            assert!(pkce.challenge.is_satisfied_by(&pkce.verifier));
        }
        let a = Pkce::generate(DEFAULT_VERIFIER_LEN).unwrap();
        let b = Pkce::generate(DEFAULT_VERIFIER_LEN).unwrap();
        assert_ne!(a.verifier.expose(), b.verifier.expose());
    }

    #[test]
    fn generate_refuses_lengths_outside_the_rfc() {
        for len in [0, 42, 129, 10_000] {
            assert_eq!(Pkce::generate(len).unwrap_err().code(), "invalid_length");
        }
    }

    /// RFC 7636 §4.6: the server compares the recomputed challenge with the stored one.
    #[test]
    fn challenge_rejects_other_verifiers_and_malformed_text() {
        let challenge = CodeChallenge::parse_s256(RFC7636_CHALLENGE).unwrap();
        let other = CodeVerifier::parse(&"b".repeat(43)).unwrap();
        assert!(!challenge.is_satisfied_by(&other));
        for bad in [
            "",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=",
        ] {
            assert_eq!(
                CodeChallenge::parse_s256(bad).unwrap_err().code(),
                "pkce_challenge_invalid"
            );
        }
    }

    #[test]
    fn verifier_is_redacted_in_debug() {
        let verifier = CodeVerifier::parse(RFC7636_VERIFIER).unwrap();
        assert!(!format!("{verifier:?}").contains(RFC7636_VERIFIER));
    }
}
