//! `dn`: RFC 4514 distinguished names (src/op/mtls/dn.rs), the subject DN the edge reports
//! for a client certificate (attacker-influenced: a certificate's subject is whatever its
//! holder or a careless authority wrote) and `tls_client_auth_subject_dn`.
//!
//! The bytes are read twice. As text, they are parsed: never a panic, nothing over
//! `MAX_DN_LEN` taken, the empty name only from empty text. As a name (decoded with
//! `arbitrary`: up to three RDNs of up to three attributes), it is written in two spellings
//! RFC 4514 says are the same name (every value byte a `\XX` escape, in either hex case,
//! with the attribute types in another case and each RDN's pairs in reverse order; and each
//! value with only the escapes §2.4 requires): both must parse, to equal names. A value
//! changed by one byte, or a text value written as `#` hex of the same bytes, must not;
//! and a value written without the escapes §2.4 requires must be refused, exactly when it
//! needed one.

use arbitrary::Arbitrary;
use oidc_edge::op::mtls::DistinguishedName;
use oidc_edge::op::mtls::dn::MAX_DN_LEN;

use super::{Few, Text, decode};

pub fn dn(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(name) = DistinguishedName::parse(&text) {
        assert!(text.len() <= MAX_DN_LEN, "a name over the limit was read");
        assert_eq!(name.is_empty(), text.is_empty(), "{text:?}");
    }
    if let Some(name) = decode::<Name>(data) {
        check_spellings(&name);
    }
}

/// A name as the fuzzer chooses it.
#[derive(Arbitrary, Debug)]
struct Name {
    rdns: Few<Few<Attribute>>,
    /// Bit i upper-cases the i-th letter of the types in the escaped spelling.
    type_case: u32,
    /// Lower-case hex digits in the escaped spelling.
    lower_hex: bool,
}

#[derive(Arbitrary, Debug)]
struct Attribute {
    kind: Kind,
    value: Value,
}

/// Short names and numeric OIDs, as RFC 4514 §3 writes them.
#[derive(Arbitrary, Debug)]
enum Kind {
    Cn,
    O,
    Ou,
    C,
    Dc,
    Uid,
    /// `2.5.4.<n>`.
    Oid(u16),
}

impl Kind {
    fn name(&self) -> String {
        match self {
            Kind::Cn => "cn".to_owned(),
            Kind::O => "o".to_owned(),
            Kind::Ou => "ou".to_owned(),
            Kind::C => "c".to_owned(),
            Kind::Dc => "dc".to_owned(),
            Kind::Uid => "uid".to_owned(),
            Kind::Oid(n) => format!("2.5.4.{n}"),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Value {
    /// A string value (escapes undone when read).
    Text(Text),
    /// A `#` hex value: the bytes of its BER encoding, at least one.
    Encoded(Text),
}

/// The two spellings of `name` are the same name; a changed value and a value in the other
/// form are not.
fn check_spellings(name: &Name) {
    // RFC 4514 §3: an RDN has at least one attribute.
    if name.rdns.0.iter().any(|rdn| rdn.0.is_empty())
        || name
            .rdns
            .0
            .iter()
            .flat_map(|rdn| &rdn.0)
            .any(|a| matches!(&a.value, Value::Encoded(t) if t.0.is_empty()))
    {
        return;
    }
    let minimal = write(name, false, &|_, v| minimal_escapes(v));
    let escaped = write(name, true, &|name, v| hex_escapes(v, name.lower_hex));
    if minimal.len() > MAX_DN_LEN || escaped.len() > MAX_DN_LEN {
        return;
    }
    let a = DistinguishedName::parse(&minimal)
        .unwrap_or_else(|err| panic!("{minimal:?} is RFC 4514 but was refused: {err}"));
    let b = DistinguishedName::parse(&escaped)
        .unwrap_or_else(|err| panic!("{escaped:?} is RFC 4514 but was refused: {err}"));
    assert_eq!(a, b, "{minimal:?} and {escaped:?} are one name");
    assert_eq!(a.is_empty(), name.rdns.0.is_empty());

    // The first text value one byte longer, and then written as `#` hex of its bytes.
    let mut changed = write(name, false, &|_, v| minimal_escapes(v));
    let mut as_hex = changed.clone();
    let first_text = name
        .rdns
        .0
        .iter()
        .flat_map(|rdn| &rdn.0)
        .position(|a| matches!(&a.value, Value::Text(t) if !t.0.is_empty()));
    if let Some(index) = first_text {
        // RFC 4514 §2.4's escapes are required: the value written without the ones that do
        // not change where it ends is refused exactly when it needed one of them.
        let text = name
            .rdns
            .0
            .iter()
            .flat_map(|rdn| &rdn.0)
            .filter_map(|a| match &a.value {
                Value::Text(t) => Some(t.as_str()),
                Value::Encoded(_) => None,
            })
            .find(|t| !t.is_empty())
            .unwrap_or_default();
        let lax = write_changed(name, index, &|text| text.to_owned(), &bare_text);
        let needed = text.starts_with(' ')
            || text.ends_with(' ')
            || text.contains(['"', ';', '<', '>', '\0']);
        if lax.len() <= MAX_DN_LEN {
            match DistinguishedName::parse(&lax) {
                Ok(lax_name) => {
                    assert!(!needed, "{lax:?} lacks a required escape but was read");
                    assert_eq!(lax_name, a, "{lax:?} and {minimal:?} are one name");
                }
                Err(_) => assert!(needed, "{lax:?} is RFC 4514 but was refused"),
            }
        }
        changed = write_changed(name, index, &|text| format!("{text}x"), &minimal_text);
        as_hex = write_changed(name, index, &|text| text.to_owned(), &|text| {
            let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
            format!("#{hex}")
        });
    }
    for other in [changed, as_hex] {
        if other == minimal || other.len() > MAX_DN_LEN {
            continue;
        }
        let other_name = DistinguishedName::parse(&other)
            .unwrap_or_else(|err| panic!("{other:?} is RFC 4514 but was refused: {err}"));
        assert_ne!(
            other_name, a,
            "{other:?} and {minimal:?} are different names"
        );
    }
}

/// `name` written with `value` for each value; with `variant`, the types in the case
/// `type_case` picks and each RDN's attributes in reverse order.
fn write(name: &Name, variant: bool, value: &dyn Fn(&Name, &Value) -> String) -> String {
    let mut letter = 0u32;
    let rdns: Vec<String> = name
        .rdns
        .0
        .iter()
        .map(|rdn| {
            let mut pairs: Vec<String> = rdn
                .0
                .iter()
                .map(|attribute| {
                    let kind: String = attribute
                        .kind
                        .name()
                        .chars()
                        .map(|c| {
                            if !variant || !c.is_ascii_alphabetic() {
                                return c;
                            }
                            letter = letter.wrapping_add(1);
                            if name.type_case & (1 << (letter % 32)) != 0 {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        })
                        .collect();
                    format!("{kind}={}", value(name, &attribute.value))
                })
                .collect();
            if variant {
                pairs.reverse();
            }
            pairs.join("+")
        })
        .collect();
    rdns.join(",")
}

/// `name` in the minimal spelling, with the text of its `index`-th value (counting every
/// attribute) replaced by `change(text)` written by `spell`.
fn write_changed(
    name: &Name,
    index: usize,
    change: &dyn Fn(&str) -> String,
    spell: &dyn Fn(&str) -> String,
) -> String {
    let mut at = 0usize;
    let rdns: Vec<String> = name
        .rdns
        .0
        .iter()
        .map(|rdn| {
            let pairs: Vec<String> = rdn
                .0
                .iter()
                .map(|attribute| {
                    let value = match &attribute.value {
                        Value::Text(text) if at == index => spell(&change(text.as_str())),
                        other => minimal_escapes(other),
                    };
                    at += 1;
                    format!("{}={value}", attribute.kind.name())
                })
                .collect();
            pairs.join("+")
        })
        .collect();
    rdns.join(",")
}

/// RFC 4514 §2.4 for a value: a text value by [`minimal_text`], a `#` value as `#` and hex.
fn minimal_escapes(value: &Value) -> String {
    match value {
        Value::Text(text) => minimal_text(text.as_str()),
        Value::Encoded(bytes) => {
            let hex: String = bytes.0.bytes().map(|b| format!("{b:02X}")).collect();
            format!("#{hex}")
        }
    }
}

/// RFC 4514 §2.4: a `\` before `"`, `+`, `,`, `;`, `<`, `>` and `\`, before a leading space
/// or `#` and a trailing space; NUL as `\00`; everything else as it is.
fn minimal_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == chars.len();
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(*c);
            }
            ' ' if first || last => out.push_str("\\ "),
            '#' if first => out.push_str("\\#"),
            '\0' => out.push_str("\\00"),
            _ => out.push(*c),
        }
    }
    out
}

/// A text value with a `\\` only before `\\`, `,` and `+` and a leading `#` (without them it
/// would end elsewhere or be read as hex): the other characters §2.4 requires escaped
/// are left bare.
fn bare_text(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if matches!(c, '\\' | ',' | '+') || (i == 0 && c == '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Every byte of a text value as `\XX`; a `#` value as `#` and hex, in the same case.
fn hex_escapes(value: &Value, lower: bool) -> String {
    let (prefix, bytes) = match value {
        Value::Text(text) => ("\\", text.0.as_bytes()),
        Value::Encoded(bytes) => ("", bytes.0.as_bytes()),
    };
    let mut out = String::new();
    if prefix.is_empty() {
        out.push('#');
    }
    for byte in bytes {
        out.push_str(prefix);
        out.push_str(&if lower {
            format!("{byte:02x}")
        } else {
            format!("{byte:02X}")
        });
    }
    out
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    [
        ("rfc4514-uid", "UID=jsmith,DC=example,DC=net"),
        (
            "rfc4514-multivalued",
            "OU=Sales+CN=J.  Smith,DC=example,DC=net",
        ),
        (
            "rfc4514-quotes",
            "CN=James \\\"Jim\\\" Smith\\, III,DC=example,DC=net",
        ),
        ("rfc4514-hex-escape", "CN=Before\\0dAfter,DC=example,DC=net"),
        ("rfc4514-oid-hex", "1.3.6.1.4.1.1466.0=#04024869"),
        ("rfc4514-utf8", "CN=Lu\\C4\\8Di\\C4\\87"),
        (
            "openssl-bank-app",
            "CN=bank-app,OU=Payments,O=Bank of Tests,C=DE",
        ),
        ("openssl-escapes", "CN=Zo\\C3\\AB,O=Example\\, Inc.,C=DE"),
        ("spaces", "CN=\\ lead,O=trail\\ ,OU=in#side"),
        ("empty", ""),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_owned(), text.as_bytes().to_vec()))
    .collect()
}
