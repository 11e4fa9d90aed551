//! Distinguished names as RFC 4514 §3 writes them (`CN=client,O=Example,C=US`), read
//! strictly and compared in one documented way: what `tls_client_auth_subject_dn` (RFC 8705
//! §2.1.2) is matched with, against the subject DN the host reports for a certificate.
//!
//! Two names are equal when they have the same relative distinguished names in the same
//! order, and each has the same attribute type and value pairs (in any order within a
//! multi-valued RDN, `+`). Attribute types are compared without ASCII case (`cn` is `CN`);
//! a numeric OID is not equated with a short name (`2.5.4.3` is not `CN`). Values are
//! compared exactly once their escapes are undone (`\,`, `\2C` and `,` are one value;
//! `Jos\C3\A9` is `José`), with case and inner spaces significant: X.520's caseIgnoreMatch
//! and RFC 4518's string preparation are not applied, so a name written in another case
//! does not match (a false refusal, never a false match). A `#` hex value is its encoding's
//! bytes, equal only to the same bytes written as hex.
//!
//! Text that is not RFC 4514 is refused rather than guessed at: a space before or after a
//! `,` or `=` is part of a value, so a value that starts or ends with an unescaped space
//! (`CN=a, O=b`) is an error, as are the characters RFC 4514 §2.4 says must be escaped
//! (`"`, `;`, `<`, `>`, NUL) written bare.

use crate::percent;

/// The longest name read, in bytes: a certificate subject of every attribute RFC 5280
/// bounds, at their upper bounds and escaped, fits several times.
pub const MAX_DN_LEN: usize = 2048;
/// The most attribute values one name may have.
const MAX_ATTRIBUTES: usize = 64;

/// A distinguished name in the form it is compared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishedName {
    /// The RDNs in the order written; each one's pairs sorted, so their order is not
    /// significant.
    rdns: Vec<Vec<Attribute>>,
}

/// One attribute type and value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Attribute {
    /// A short name in lower case, or a numeric OID.
    kind: String,
    value: AttributeValue,
}

/// A value: text (escapes undone), or the bytes of a `#` hex value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum AttributeValue {
    Text(String),
    Encoded(Vec<u8>),
}

/// The characters RFC 4514 §2.4 lets `\` escape by themselves.
const ESCAPABLE: &[u8] = b"\"+,;<>\\ #=";

impl DistinguishedName {
    /// Reads an RFC 4514 string. The error says what is wrong, for a configuration
    /// message.
    pub fn parse(text: &str) -> Result<DistinguishedName, &'static str> {
        if text.len() > MAX_DN_LEN {
            return Err("is too long (at most 2048 bytes)");
        }
        let mut reader = Reader {
            bytes: text.as_bytes(),
            at: 0,
        };
        let mut rdns = Vec::new();
        let mut attributes = 0usize;
        if text.is_empty() {
            return Ok(DistinguishedName { rdns });
        }
        let mut rdn = Vec::new();
        loop {
            let kind = reader.attribute_type()?;
            if reader.next() != Some(b'=') {
                return Err("must write each attribute as type=value");
            }
            let value = reader.attribute_value()?;
            rdn.push(Attribute { kind, value });
            attributes = attributes.saturating_add(1);
            if attributes > MAX_ATTRIBUTES {
                return Err("has too many attributes");
            }
            match reader.next() {
                Some(b'+') => {}
                Some(b',') => {
                    rdn.sort();
                    rdns.push(core::mem::take(&mut rdn));
                }
                None => {
                    rdn.sort();
                    rdns.push(rdn);
                    return Ok(DistinguishedName { rdns });
                }
                Some(_) => return Err("has a character that must be escaped with \\"),
            }
        }
    }

    /// Whether the name has no attribute at all (the empty DN).
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }
}

/// A cursor over the name's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at = self.at.saturating_add(1);
        Some(byte)
    }

    /// RFC 4514 §3 `attributeType`: a short name (`descr`: a letter, then letters, digits
    /// and hyphens), lower-cased, or a numeric OID (`numericoid`).
    fn attribute_type(&mut self) -> Result<String, &'static str> {
        let mut kind = String::new();
        while let Some(byte) = self.peek().filter(|b| *b != b'=') {
            kind.push(char::from(byte.to_ascii_lowercase()));
            self.at = self.at.saturating_add(1);
        }
        let bytes = kind.as_bytes();
        let descr = bytes.first().is_some_and(u8::is_ascii_alphabetic)
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
        if descr || is_numeric_oid(&kind) {
            Ok(kind)
        } else {
            Err("has an attribute type that is neither a name (CN, O, OU…) nor a numeric OID")
        }
    }

    /// RFC 4514 §3 `attributeValue`, up to the next unescaped `,` or `+` or the end.
    fn attribute_value(&mut self) -> Result<AttributeValue, &'static str> {
        if self.peek() == Some(b'#') {
            self.at = self.at.saturating_add(1);
            return self.hex_value();
        }
        let mut value: Vec<u8> = Vec::new();
        // Whether the last byte read was a space written bare (RFC 4514 §2.4: a trailing
        // space must be escaped).
        let mut bare_space_last = false;
        while let Some(byte) = self.peek().filter(|b| !matches!(b, b',' | b'+')) {
            self.at = self.at.saturating_add(1);
            bare_space_last = false;
            match byte {
                b'\\' => value.push(self.escaped()?),
                b'"' | b';' | b'<' | b'>' | 0 => {
                    return Err("has a character that must be escaped with \\");
                }
                b' ' if value.is_empty() => {
                    return Err(
                        "has a value starting with a space (escape it as \\  or \\20; write no space after , or =)",
                    );
                }
                b' ' => {
                    bare_space_last = true;
                    value.push(byte);
                }
                _ => value.push(byte),
            }
        }
        if bare_space_last {
            return Err(
                "has a value ending with a space (escape it as \\20; write no space before , or +)",
            );
        }
        String::from_utf8(value)
            .map(AttributeValue::Text)
            .map_err(|_| "has escapes that are not UTF-8")
    }

    /// What follows a `\`: one of the characters it escapes, or two hex digits.
    fn escaped(&mut self) -> Result<u8, &'static str> {
        let first = self.next().ok_or("ends with a lone \\")?;
        if ESCAPABLE.contains(&first) {
            return Ok(first);
        }
        let second = self.next().ok_or("has an escape that is not \\XX hex")?;
        percent::escaped_byte(&mut [first, second].into_iter())
            .ok_or("has an escape that is neither a special character nor \\XX hex")
    }

    /// RFC 4514 §3 `hexstring` after its `#`: one or more hex pairs.
    fn hex_value(&mut self) -> Result<AttributeValue, &'static str> {
        let mut bytes = Vec::new();
        while let Some(first) = self.peek().filter(|b| !matches!(b, b',' | b'+')) {
            self.at = self.at.saturating_add(1);
            let pair = [Some(first), self.next()].into_iter().flatten();
            let byte = percent::escaped_byte(&mut pair.into_iter())
                .ok_or("has a # value that is not pairs of hex digits")?;
            bytes.push(byte);
        }
        if bytes.is_empty() {
            return Err("has an empty # value");
        }
        Ok(AttributeValue::Encoded(bytes))
    }
}

/// RFC 4512 §1.4 `numericoid`: numbers without leading zeros, at least two, dot-separated.
fn is_numeric_oid(text: &str) -> bool {
    let mut parts = 0usize;
    for part in text.split('.') {
        let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits || (part.len() > 1 && part.starts_with('0')) {
            return false;
        }
        parts = parts.saturating_add(1);
    }
    parts >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dn(text: &str) -> DistinguishedName {
        DistinguishedName::parse(text).unwrap()
    }

    /// RFC 4514 §4's examples read, and compare as §3 defines the names.
    #[test]
    fn rfc_4514_examples() {
        for text in [
            "UID=jsmith,DC=example,DC=net",
            "OU=Sales+CN=J.  Smith,DC=example,DC=net",
            "CN=James \\\"Jim\\\" Smith\\, III,DC=example,DC=net",
            "CN=Before\\0dAfter,DC=example,DC=net",
            "1.3.6.1.4.1.1466.0=#04024869",
            "CN=Lu\\C4\\8Di\\C4\\87",
        ] {
            assert!(DistinguishedName::parse(text).is_ok(), "{text}");
        }
        assert_eq!(dn("CN=Lu\\C4\\8Di\\C4\\87"), dn("CN=Lučić"));
        assert_eq!(
            dn("OU=Sales+CN=J.  Smith,DC=example,DC=net"),
            dn("cn=J.  Smith+ou=Sales,dc=example,dc=net"),
            "types without case; pairs of one RDN in any order"
        );
        assert_eq!(dn("CN=a\\,b"), dn("CN=a\\2Cb"));
        assert_eq!(dn("CN=a\\,b"), dn("CN=a\\2cb"));
    }

    #[test]
    fn names_that_differ() {
        let base = dn("CN=client,O=Example,C=US");
        for other in [
            "CN=Client,O=Example,C=US",
            "O=Example,CN=client,C=US",
            "CN=client,O=Example",
            "CN=client,O=Example,C=US,DC=x",
            "CN=client+O=Example,C=US",
            "2.5.4.3=client,O=Example,C=US",
            "CN=client,O=Example\\20,C=US",
            "CN=#0406636c69656e74,O=Example,C=US",
            "",
        ] {
            assert_ne!(dn(other), base, "{other}");
        }
        assert!(dn("").is_empty());
    }

    #[test]
    fn what_is_not_rfc_4514_is_refused() {
        for bad in [
            "CN=a, O=b",
            "CN=a ,O=b",
            "CN= a",
            "CN=a;O=b",
            "CN=a\"b",
            "CN=a<b",
            "CN",
            "=a",
            "C N=a",
            "1CN=a",
            "1=a",
            "1.02=a",
            "1..2=a",
            "CN=a\\",
            "CN=a\\2",
            "CN=a\\zz",
            "CN=\\FF",
            "CN=#",
            "CN=#0",
            "CN=#zz",
            "CN=a,",
            "CN=a+",
            ",CN=a",
            "CN=a\0",
        ] {
            assert!(DistinguishedName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(DistinguishedName::parse(&"CN=a,".repeat(65)).is_err());
        let long = format!("CN={}", "a".repeat(MAX_DN_LEN));
        assert!(DistinguishedName::parse(&long).is_err());
    }

    /// What OpenSSL's RFC 2253 form writes (the form hosts report): UTF-8 bytes escaped as
    /// hex, inner spaces bare, an `=` in a value bare.
    #[test]
    fn openssl_rfc2253_output_reads() {
        assert_eq!(
            dn("CN=Jos\\C3\\A9 Garc\\C3\\ADa,O=a=b,C=ES"),
            dn("CN=José García,O=a=b,C=ES")
        );
        assert_eq!(dn("CN=\\ lead,O=trail\\ "), dn("CN=\\20lead,O=trail\\20"));
        assert_eq!(dn("CN=\\#hash"), dn("CN=\\23hash"));
        assert_eq!(dn("CN=in#side"), dn("CN=in\\#side"));
    }
}
