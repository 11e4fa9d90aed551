//! The core's error type: one enum, each variant with a stable machine code.
//!
//! The codes are part of the public contract: the JavaScript API exposes them as
//! `error.code`, and the provider maps them to RFC 6749 error responses. Messages may
//! change; codes do not. Cryptographic failures are deliberately opaque: a bad signature
//! says `signature_invalid`, never why.

use core::fmt;

/// Everything the core can refuse, with a stable [`Error::code`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // --- PKCE and randomness -------------------------------------------------------
    /// A PKCE code verifier is shorter than 43 or longer than 128 characters (RFC 7636 §4.1).
    PkceVerifierLength {
        /// The length that was given, in bytes.
        len: usize,
    },
    /// A PKCE code verifier contains a character outside `[A-Za-z0-9-._~]` (RFC 7636 §4.1).
    PkceVerifierCharset,
    /// A PKCE S256 code challenge is not the base64url encoding of 32 bytes (RFC 7636 §4.2).
    PkceChallengeInvalid,
    /// A requested length is outside what the function accepts.
    InvalidLength {
        /// What was being sized ("verifier length", "token bytes").
        what: &'static str,
        /// Smallest accepted value.
        min: usize,
        /// Largest accepted value.
        max: usize,
    },
    /// The platform's random number generator failed.
    RandomUnavailable,

    // --- Encodings -----------------------------------------------------------------
    /// Input that should be base64url (RFC 4648 §5, no padding) is not, or is not canonical.
    Base64,
    /// Input is larger than the cap for its kind.
    TooLarge {
        /// What was too large ("JWS", "JWS header", "JWKS"…).
        what: &'static str,
        /// The cap, in bytes.
        max: usize,
    },
    /// Input is not valid JSON (or nests too deep).
    JsonInvalid {
        /// What was being parsed.
        what: &'static str,
    },
    /// Input is JSON but not an object where one is required.
    JsonNotObject {
        /// What was being parsed.
        what: &'static str,
    },
    /// A JSON object repeats a member name (RFC 7515 §5.2: this crate rejects them).
    JsonDuplicateMember {
        /// What was being parsed.
        what: &'static str,
    },

    // --- JWS and keys --------------------------------------------------------------
    /// A compact JWS is not three dot-separated base64url parts (RFC 7515 §7.1).
    JwsMalformed {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A JWS header parameter has the wrong JSON type or an invalid value.
    HeaderInvalid {
        /// The parameter name.
        name: &'static str,
    },
    /// The header lists a critical extension this crate does not understand (RFC 7515 §4.1.11).
    CritUnsupported {
        /// The extension name.
        name: String,
    },
    /// The `alg` is not one this crate implements.
    AlgUnsupported {
        /// The algorithm name from the token or key.
        alg: String,
    },
    /// The `alg` is known but refused: `none`, an HMAC algorithm with public keys, or
    /// outside the caller's allow-list.
    AlgNotAllowed {
        /// The algorithm name.
        alg: String,
    },
    /// A JWK or JWKS is malformed (RFC 7517).
    JwkInvalid {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A JWK is well formed but of a type or curve this crate does not support.
    JwkUnsupported {
        /// What is unsupported.
        reason: &'static str,
    },
    /// No key in the set fits the token (no `kid` match, or no key of the algorithm's type).
    KeyNotFound,
    /// The selected key cannot be used with the token's algorithm (another key type or
    /// curve, a different `alg` member, or `use` / `key_ops` that exclude verification).
    KeyAlgMismatch,
    /// The signature does not verify. Deliberately says nothing more.
    SignatureInvalid,
    /// The platform's cryptography failed in a way unrelated to the input.
    CryptoUnavailable,

    // --- JWT claims (RFC 7519) -----------------------------------------------------
    /// A required claim is absent.
    ClaimMissing {
        /// The claim name.
        name: String,
    },
    /// A claim is present with the wrong JSON type or an invalid value.
    ClaimInvalid {
        /// The claim name.
        name: String,
    },
    /// `exp` is in the past, beyond the clock tolerance (RFC 7519 §4.1.4).
    Expired,
    /// `nbf` is in the future, beyond the clock tolerance (RFC 7519 §4.1.5).
    NotYetValid,
    /// `iat` is in the future, beyond the clock tolerance.
    IssuedInFuture,
    /// `iss` is not the expected issuer.
    IssuerMismatch,
    /// `aud` does not contain the expected audience.
    AudienceMismatch,
    /// The header `typ` is not the expected type.
    TypMismatch,

    // --- OpenID Connect ID tokens (Core §3.1.3.7) ---------------------------------
    /// `nonce` differs from the one sent in the authentication request.
    NonceMismatch,
    /// `azp` is absent with several audiences, or is not the client.
    AzpMismatch,
    /// `auth_time` is older than `max_age` allows.
    AuthTimeTooOld,
    /// `at_hash` does not match the access token.
    AtHashMismatch,
    /// `c_hash` does not match the authorization code.
    CHashMismatch,

    /// An access token lacks a scope the resource requires (RFC 6750 §3.1).
    InsufficientScope {
        /// The missing scope.
        scope: String,
    },

    // --- DPoP (RFC 9449) ---------------------------------------------------------
    /// A request carries no `DPoP` header, or more than one (§4.3 step 1).
    DpopHeaderCount,
    /// An `htu` or request URI is not an absolute http(s) URI.
    DpopInvalidUri {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The proof's `typ` is not `dpop+jwt` (§4.3 step 4).
    DpopTyp,
    /// The proof header has no `jwk` (§4.3 step 3).
    DpopJwkMissing,
    /// The proof's `jwk` contains private key members (§4.3 step 7).
    DpopJwkPrivate,
    /// `htm` is not the request method (§4.3 step 8).
    DpopHtmMismatch,
    /// `htu` is not the request URI (§4.3 step 9).
    DpopHtuMismatch,
    /// `iat` is older than the accepted window (§4.3 step 11).
    DpopIatTooOld,
    /// `iat` is in the future beyond the tolerance (§4.3 step 11).
    DpopIatInFuture,
    /// The proof's `jti` was already used (§11.1).
    DpopReplay,
    /// `ath` is absent while an access token is presented (§4.3 step 12).
    DpopAthMissing,
    /// `ath` is not the hash of the presented access token (§4.3 step 12).
    DpopAthMismatch,
    /// The server requires a nonce and the proof has none (§8).
    DpopNonceRequired,
    /// The proof's nonce is not one the server issued recently (§8).
    DpopNonceInvalid,
    /// The proof's key is not the one the token is bound to (`cnf.jkt`, §6).
    DpopKeyMismatch,

    // --- Storage -------------------------------------------------------------------
    /// The storage backend failed; the operation can be retried.
    StoreUnavailable,

    // --- Callers -------------------------------------------------------------------
    /// An option passed by the caller is invalid.
    InvalidOption {
        /// The option name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Error {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::PkceVerifierLength { .. } => "pkce_verifier_length",
            Error::PkceVerifierCharset => "pkce_verifier_charset",
            Error::PkceChallengeInvalid => "pkce_challenge_invalid",
            Error::InvalidLength { .. } => "invalid_length",
            Error::RandomUnavailable => "random_unavailable",
            Error::Base64 => "invalid_base64url",
            Error::TooLarge { .. } => "too_large",
            Error::JsonInvalid { .. } => "json_invalid",
            Error::JsonNotObject { .. } => "json_not_object",
            Error::JsonDuplicateMember { .. } => "json_duplicate_member",
            Error::JwsMalformed { .. } => "jws_malformed",
            Error::HeaderInvalid { .. } => "jws_header_invalid",
            Error::CritUnsupported { .. } => "jws_crit_unsupported",
            Error::AlgUnsupported { .. } => "alg_unsupported",
            Error::AlgNotAllowed { .. } => "alg_not_allowed",
            Error::JwkInvalid { .. } => "jwk_invalid",
            Error::JwkUnsupported { .. } => "jwk_unsupported",
            Error::KeyNotFound => "key_not_found",
            Error::KeyAlgMismatch => "key_alg_mismatch",
            Error::SignatureInvalid => "signature_invalid",
            Error::CryptoUnavailable => "crypto_unavailable",
            Error::ClaimMissing { .. } => "jwt_claim_missing",
            Error::ClaimInvalid { .. } => "jwt_claim_invalid",
            Error::Expired => "jwt_expired",
            Error::NotYetValid => "jwt_not_yet_valid",
            Error::IssuedInFuture => "jwt_issued_in_future",
            Error::IssuerMismatch => "jwt_issuer_mismatch",
            Error::AudienceMismatch => "jwt_audience_mismatch",
            Error::TypMismatch => "jwt_typ_mismatch",
            Error::NonceMismatch => "id_token_nonce_mismatch",
            Error::AzpMismatch => "id_token_azp_mismatch",
            Error::AuthTimeTooOld => "id_token_auth_time_too_old",
            Error::AtHashMismatch => "id_token_at_hash_mismatch",
            Error::CHashMismatch => "id_token_c_hash_mismatch",
            Error::InsufficientScope { .. } => "insufficient_scope",
            Error::DpopHeaderCount => "dpop_header_count",
            Error::DpopInvalidUri { .. } => "dpop_invalid_uri",
            Error::DpopTyp => "dpop_typ",
            Error::DpopJwkMissing => "dpop_jwk_missing",
            Error::DpopJwkPrivate => "dpop_jwk_private",
            Error::DpopHtmMismatch => "dpop_htm_mismatch",
            Error::DpopHtuMismatch => "dpop_htu_mismatch",
            Error::DpopIatTooOld => "dpop_iat_too_old",
            Error::DpopIatInFuture => "dpop_iat_in_future",
            Error::DpopReplay => "dpop_replay",
            Error::DpopAthMissing => "dpop_ath_missing",
            Error::DpopAthMismatch => "dpop_ath_mismatch",
            Error::DpopNonceRequired => "dpop_nonce_required",
            Error::DpopNonceInvalid => "dpop_nonce_invalid",
            Error::DpopKeyMismatch => "dpop_key_mismatch",
            Error::StoreUnavailable => "store_unavailable",
            Error::InvalidOption { .. } => "invalid_option",
        }
    }

    /// Whether this is a failure of the host (its storage, its cryptography, its
    /// randomness), unrelated to the input: answered as unavailable, never as the
    /// request's fault.
    pub fn is_host_failure(&self) -> bool {
        matches!(
            self,
            Error::StoreUnavailable | Error::CryptoUnavailable | Error::RandomUnavailable
        )
    }
}

impl Error {
    /// The human-readable message, built without `core::fmt`: the JS API turns every error
    /// into an `Error` with this message, and formatting machinery for a few dozen messages
    /// cost the npm package kilobytes (benches/README.md, "Package size"). Names taken from
    /// the input are quoted by [`push_quoted`]; numbers written by [`push_decimal`].
    pub fn message(&self) -> String {
        let mut out = String::new();
        let quoted = |out: &mut String, before: &str, name: &str, after: &str| {
            out.push_str(before);
            push_quoted(out, name);
            out.push_str(after);
        };
        match self {
            Error::PkceVerifierLength { len } => {
                out.push_str("PKCE code verifier must be 43 to 128 characters long, got ");
                push_decimal(&mut out, *len as u64);
            }
            Error::InvalidLength { what, min, max } => {
                out.push_str(what);
                out.push_str(" must be an integer from ");
                push_decimal(&mut out, *min as u64);
                out.push_str(" to ");
                push_decimal(&mut out, *max as u64);
            }
            Error::TooLarge { what, max } => {
                out.push_str(what);
                out.push_str(" is larger than ");
                push_decimal(&mut out, *max as u64);
                out.push_str(" bytes");
            }
            Error::JsonInvalid { what } => join(&mut out, &[what, " is not valid JSON"]),
            Error::JsonNotObject { what } => join(&mut out, &[what, " must be a JSON object"]),
            Error::JsonDuplicateMember { what } => {
                join(&mut out, &[what, " repeats a member name"]);
            }
            Error::JwsMalformed { reason } => join(&mut out, &["malformed JWS: ", reason]),
            Error::HeaderInvalid { name } => {
                quoted(&mut out, "JWS header parameter ", name, " is invalid");
            }
            Error::CritUnsupported { name } => quoted(
                &mut out,
                "JWS header marks the unsupported extension ",
                name,
                " as critical",
            ),
            Error::AlgUnsupported { alg } => {
                quoted(&mut out, "algorithm ", alg, " is not supported");
            }
            Error::AlgNotAllowed { alg } => quoted(&mut out, "algorithm ", alg, " is not allowed"),
            Error::JwkInvalid { reason } => join(&mut out, &["invalid JWK: ", reason]),
            Error::JwkUnsupported { reason } => join(&mut out, &["unsupported JWK: ", reason]),
            Error::ClaimMissing { name } => {
                quoted(&mut out, "required claim ", name, " is missing");
            }
            Error::ClaimInvalid { name } => quoted(
                &mut out,
                "claim ",
                name,
                " has the wrong type or an invalid value",
            ),
            Error::DpopInvalidUri { reason } => join(&mut out, &["invalid DPoP URI: ", reason]),
            Error::InsufficientScope { scope } => {
                quoted(&mut out, "access token lacks scope ", scope, "");
            }
            Error::InvalidOption { name, reason } => {
                quoted(&mut out, "option ", name, ": ");
                out.push_str(reason);
            }
            other => out.push_str(other.fixed_message()),
        }
        out
    }

    /// The message of a variant that carries nothing to show.
    fn fixed_message(&self) -> &'static str {
        match self {
            Error::PkceVerifierCharset => {
                "PKCE code verifier may only contain A-Z, a-z, 0-9 and the characters - . _ ~"
            }
            Error::PkceChallengeInvalid => {
                "PKCE S256 code challenge must be 43 base64url characters"
            }
            Error::RandomUnavailable => "the platform random number generator failed",
            Error::Base64 => "value is not canonical unpadded base64url",
            Error::KeyNotFound => "no key in the set fits the token",
            Error::KeyAlgMismatch => "the selected key cannot be used with the token's algorithm",
            Error::SignatureInvalid => "signature verification failed",
            Error::CryptoUnavailable => "the platform cryptography failed",
            Error::Expired => "token is expired (exp)",
            Error::NotYetValid => "token is not yet valid (nbf)",
            Error::IssuedInFuture => "token is issued in the future (iat)",
            Error::IssuerMismatch => "unexpected issuer (iss)",
            Error::AudienceMismatch => "unexpected audience (aud)",
            Error::TypMismatch => "unexpected token type (typ)",
            Error::NonceMismatch => "ID token nonce does not match",
            Error::AzpMismatch => "ID token authorized party (azp) is not the client",
            Error::AuthTimeTooOld => "authentication is older than max_age allows",
            Error::AtHashMismatch => "ID token at_hash does not match the access token",
            Error::CHashMismatch => "ID token c_hash does not match the code",
            Error::DpopHeaderCount => "exactly one DPoP header is required",
            Error::DpopTyp => "DPoP proof typ must be dpop+jwt",
            Error::DpopJwkMissing => "DPoP proof header has no jwk",
            Error::DpopJwkPrivate => "DPoP proof jwk contains a private key",
            Error::DpopHtmMismatch => "DPoP proof htm does not match the request method",
            Error::DpopHtuMismatch => "DPoP proof htu does not match the request URI",
            Error::DpopIatTooOld => "DPoP proof is too old (iat)",
            Error::DpopIatInFuture => "DPoP proof is issued in the future (iat)",
            Error::DpopReplay => "DPoP proof was already used (jti)",
            Error::DpopAthMissing => "DPoP proof has no ath for the access token",
            Error::DpopAthMismatch => "DPoP proof ath does not match the access token",
            Error::DpopNonceRequired => "the server requires a DPoP nonce",
            Error::DpopNonceInvalid => "DPoP nonce is invalid or expired",
            Error::DpopKeyMismatch => "DPoP proof key is not the key the token is bound to",
            Error::StoreUnavailable => "storage is temporarily unavailable",
            // The variants with details are written by `message`.
            _ => "",
        }
    }
}

fn join(out: &mut String, parts: &[&str]) {
    for part in parts {
        out.push_str(part);
    }
}

/// `text` in double quotes, as Rust's `{:?}` writes ASCII (`\"`, `\\`, `\t`, `\r`, `\n`,
/// `\0`), and every other character that is not printable ASCII as `\u{hex}`: a name taken
/// from a token or an option cannot put controls, bidirectional overrides or anything an
/// OAuth `error_description` may not carry (RFC 6749 §5.2) into a message.
pub fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\0' => out.push_str("\\0"),
            ' '..='~' => out.push(c),
            _ => {
                out.push_str("\\u{");
                push_digits(out, u64::from(u32::from(c)), 16);
                out.push('}');
            }
        }
    }
    out.push('"');
}

/// `n` in decimal.
pub fn push_decimal(out: &mut String, n: u64) {
    push_digits(out, n, 10);
}

/// `n` in base `radix` (10 or 16), lowercase, no leading zeros.
fn push_digits(out: &mut String, n: u64, radix: u32) {
    let radix_n = u64::from(radix);
    let mut digits = Vec::new();
    let mut rest = n;
    loop {
        let digit = rest.checked_rem(radix_n).unwrap_or(0) as u32;
        digits.push(char::from_digit(digit, radix).unwrap_or('0'));
        rest = rest.checked_div(radix_n).unwrap_or(0);
        if rest == 0 {
            break;
        }
    }
    out.extend(digits.iter().rev());
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_numbers_and_quoted_names() {
        let cases = [
            (
                Error::PkceVerifierLength { len: 42 },
                "PKCE code verifier must be 43 to 128 characters long, got 42",
            ),
            (
                Error::InvalidLength {
                    what: "token bytes",
                    min: 0,
                    max: 4096,
                },
                "token bytes must be an integer from 0 to 4096",
            ),
            (
                Error::TooLarge {
                    what: "JWS",
                    max: 65536,
                },
                "JWS is larger than 65536 bytes",
            ),
            (
                Error::ClaimMissing { name: "iss".into() },
                r#"required claim "iss" is missing"#,
            ),
            (
                Error::InvalidOption {
                    name: "audiance".into(),
                    reason: "unknown option",
                },
                r#"option "audiance": unknown option"#,
            ),
            (Error::KeyNotFound, "no key in the set fits the token"),
        ];
        for (error, message) in cases {
            assert_eq!(error.message(), message);
            assert_eq!(error.to_string(), message, "Display is the message");
        }
    }

    /// A name from a token reaches a message, and through the provider an OAuth
    /// `error_description` (RFC 6749 §5.2: printable ASCII): quotes, backslashes, controls
    /// and everything outside ASCII are escaped.
    #[test]
    fn quoted_names_are_printable_ascii() {
        let name = "a\"b\\c\t\r\n\0\u{1}\u{7f}é\u{202e}😀";
        let message = Error::ClaimInvalid { name: name.into() }.message();
        assert_eq!(
            message,
            r#"claim "a\"b\\c\t\r\n\0\u{1}\u{7f}\u{e9}\u{202e}\u{1f600}" has the wrong type or an invalid value"#
        );
        assert!(message.bytes().all(|b| (b' '..=b'~').contains(&b)));
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 99, 100, 65_536, u64::MAX] {
            let mut out = String::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
