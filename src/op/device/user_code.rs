//! User codes (RFC 8628 §6.1): what a person reads off a device and types on another.
//! Eight characters from twenty consonants, without vowels (no words are spelt) and
//! without digits (no `0`/`O`, `1`/`I` look-alikes): 20⁸ ≈ 2.6 × 10¹⁰ codes, about 34
//! bits, which the verification page's guess limits (`op::throttle`) and the codes' short
//! life make enough. Shown as `XXXX-XXXX`; typed any way — lower case, without the hyphen,
//! with spaces — and compared as the eight letters.

use crate::{Error, random};

/// The characters of a user code: RFC 8628 §6.1's example alphabet, the consonants.
pub const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// How many characters a user code has.
pub const LENGTH: usize = 8;

/// The longest text taken as a typed code: the eight characters and room for a hyphen
/// and spaces; anything longer is not a code and is not looked up.
const MAX_TYPED_LEN: usize = 32;

/// The bytes taken as characters: below 240 = 12 × 20, as bytes 240 to 255 would favour
/// the first 16 characters.
const UNBIASED: usize = 256 - 256 % ALPHABET.len();

/// A new user code, normalized (eight characters of [`ALPHABET`]). Each character comes
/// from one random byte, bytes above the largest multiple of 20 drawn again, so every
/// character is equally likely.
pub fn generate() -> Result<String, Error> {
    let alphabet_len = ALPHABET.len();
    let mut code = String::with_capacity(LENGTH);
    while code.len() < LENGTH {
        for byte in random::bytes(LENGTH)? {
            let byte = usize::from(byte);
            if byte >= UNBIASED || code.len() == LENGTH {
                continue;
            }
            if let Some(&c) = ALPHABET.get(byte.checked_rem(alphabet_len).unwrap_or(0)) {
                code.push(char::from(c));
            }
        }
    }
    Ok(code)
}

/// The code as people are shown it: `XXXX-XXXX`.
pub fn display(code: &str) -> String {
    let (first, second) = code.split_at_checked(LENGTH / 2).unwrap_or((code, ""));
    format!("{first}-{second}")
}

/// The normalized code of what someone typed: upper-cased, hyphens and whitespace
/// dropped; `None` unless that leaves exactly eight characters of the alphabet.
pub fn normalize(typed: &str) -> Option<String> {
    if typed.len() > MAX_TYPED_LEN {
        return None;
    }
    let code: String = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_letters_of_the_alphabet() {
        for _ in 0..200 {
            let code = generate().unwrap();
            assert_eq!(code.len(), LENGTH);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            assert_eq!(normalize(&code).as_deref(), Some(code.as_str()));
            assert_eq!(normalize(&display(&code)).as_deref(), Some(code.as_str()));
        }
    }

    #[test]
    fn every_character_is_drawn() {
        let mut seen = [false; 20];
        for _ in 0..200 {
            for b in generate().unwrap().bytes() {
                seen[ALPHABET.iter().position(|&a| a == b).unwrap()] = true;
            }
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
    }

    /// RFC 8628 §6.1: compared without case or punctuation.
    #[test]
    fn typed_codes_are_normalized() {
        assert_eq!(display("WDJBMJHT"), "WDJB-MJHT");
        for typed in [
            "WDJB-MJHT",
            "wdjb-mjht",
            "wdjbmjht",
            " WDJB MJHT ",
            "Wd-Jb-Mj-Ht",
        ] {
            assert_eq!(normalize(typed).as_deref(), Some("WDJBMJHT"), "{typed}");
        }
        for typed in [
            "",
            "WDJB-MJH",
            "WDJB-MJHTX",
            "WDJB-MJH0",
            "AEIO-UWDJ",
            "WDJB_MJHT",
            "ẄDJB-MJHT",
            &"-".repeat(40),
        ] {
            assert_eq!(normalize(typed), None, "{typed}");
        }
    }
}
