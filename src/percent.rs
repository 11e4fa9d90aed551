//! Percent-encoding (RFC 3986 §2.1), the one part several parsers share: form bodies and
//! queries (`op::form`), the `htu` of DPoP proofs (`dpop::htu`), and the two-digit hex of
//! DN escapes and certificate thumbprints (`op::mtls`). Strict: exactly two hexadecimal
//! digits, no sign, no whitespace.

/// The byte of the escape whose `%` was just read: the next two bytes of `rest` as
/// hexadecimal digits, either case. `None` when fewer than two follow or one is not a
/// digit; nothing past them is consumed.
pub fn escaped_byte(rest: &mut impl Iterator<Item = u8>) -> Option<u8> {
    let high = hex_digit(rest.next()?)?;
    let low = hex_digit(rest.next()?)?;
    Some((high << 4) | low)
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(byte.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(byte.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hex_digits_and_nothing_else() {
        let decode = |text: &str| escaped_byte(&mut text.bytes());
        assert_eq!(decode("41"), Some(b'A'));
        assert_eq!(decode("fF"), Some(0xff));
        assert_eq!(decode("00x"), Some(0));
        // `u8::from_str_radix` would take "+A" as 10: a sign is not a digit here.
        for bad in ["", "4", "+A", "-1", "G0", " 4", "4 ", "é"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
