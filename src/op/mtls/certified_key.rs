//! The public key an X.509 certificate carries (its SubjectPublicKeyInfo, RFC 5280
//! §4.1.2.7), and whether it is a JWK's key.
//!
//! RFC 7517 §4.7: "The key in the first certificate MUST match the public key represented
//! by other members of the JWK." `self_signed_tls_client_auth` (RFC 8705 §2.2) takes the
//! certificate that heads a key's `x5c` as the client's; one that carries another key
//! would make the JWK say one thing and the certificate another, so it is not taken.
//!
//! Keys are compared as values, never as text: the certificate's key is decoded (an EC
//! point, RSA's modulus and exponent as unsigned integers, Ed25519's 32 bytes) and compared
//! with the JWK's members decoded. An EC point may be written uncompressed or compressed
//! (RFC 5480 §2.2); a compressed one is its `x` and the parity of its `y`, which determine
//! the point, so it is compared as those without decompressing it. A key of a type the JWK
//! parser does not read (another curve, an RSASSA-PSS key identifier) matches no JWK.
//!
//! Only the structure that leads to the key is read: the certificate's signature, validity
//! and extensions are not checked here (for `tls_client_auth` the host verifies them; a
//! self-signed certificate is trusted because the client registered it).

use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, UintRef};
use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use spki::SubjectPublicKeyInfoRef;

use crate::b64;
use crate::jose::{Jwk, KeyKind};

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1`, P-256 (RFC 5480 §2.1.1.1).
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1`, P-384 (RFC 5480 §2.1.1.1).
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `rsaEncryption` (RFC 3279 §2.3.1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-Ed25519` (RFC 8410 §3).
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Why a certificate is not taken as the one of a JWK's key.
pub const NOT_A_CERTIFICATE: &str = "must be an X.509 certificate (RFC 5280 §4.1) in base64 DER";
/// The certificate's key is of a type no JWK here describes.
pub const UNKNOWN_KEY_TYPE: &str = "carries a key of a type the provider does not read (EC P-256 or P-384, RSA, Ed25519), so it cannot be checked against the JWK";
/// The certificate belongs to a JWK the provider skips (RFC 7517 §5: a type or size it does
/// not use): there is no key to compare it with.
pub const SKIPPED_JWK: &str = "belongs to a JWK of a type or size the provider skips (it reads EC P-256 and P-384, RSA of 2048 to 4096 bits, Ed25519), so it cannot be checked against the JWK";
/// The certificate's key is another key than the JWK's.
pub const OTHER_KEY: &str = "must carry the key the JWK's other members describe (RFC 7517 §4.7): its subject public key is another key";

/// The public key a certificate carries, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertifiedKey<'a> {
    /// An EC key on P-256 or P-384: its point as SEC1 writes it (RFC 5480 §2.2).
    Ec {
        /// The curve, as the key kind that names it.
        curve: KeyKind,
        /// `04 || x || y`, or `02`/`03 || x` (compressed).
        point: &'a [u8],
    },
    /// An RSA key (RFC 3279 §2.3.1): modulus and public exponent, unsigned big-endian
    /// without leading zeros.
    Rsa {
        /// The modulus.
        n: &'a [u8],
        /// The public exponent.
        e: &'a [u8],
    },
    /// An Ed25519 key (RFC 8410 §4): its 32 bytes.
    Ed25519(&'a [u8]),
}

impl<'a> CertifiedKey<'a> {
    /// The key the DER certificate `der` carries. The error is [`NOT_A_CERTIFICATE`] or
    /// [`UNKNOWN_KEY_TYPE`].
    pub fn read(der: &'a [u8]) -> Result<CertifiedKey<'a>, &'static str> {
        let spki = subject_public_key_info(der).map_err(|_| NOT_A_CERTIFICATE)?;
        let key = spki
            .subject_public_key
            .as_bytes()
            .ok_or(NOT_A_CERTIFICATE)?;
        let algorithm = spki.algorithm.oid;
        if algorithm == EC_PUBLIC_KEY {
            // RFC 5480 §2.1.1: the parameters name the curve (a namedCurve OID).
            let curve = spki
                .algorithm
                .parameters
                .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok());
            let curve = match curve {
                Some(oid) if oid == P256 => KeyKind::P256,
                Some(oid) if oid == P384 => KeyKind::P384,
                _ => return Err(UNKNOWN_KEY_TYPE),
            };
            Ok(CertifiedKey::Ec { curve, point: key })
        } else if algorithm == RSA_ENCRYPTION {
            let (n, e) = rsa_public_key(key).map_err(|_| NOT_A_CERTIFICATE)?;
            Ok(CertifiedKey::Rsa { n, e })
        } else if algorithm == ED25519 {
            Ok(CertifiedKey::Ed25519(key))
        } else {
            Err(UNKNOWN_KEY_TYPE)
        }
    }

    /// Whether this is `jwk`'s public key.
    pub fn is_key_of(&self, jwk: &Jwk) -> bool {
        let member = |name: &str| {
            jwk.required_members()
                .find(|(member, _)| *member == name)
                .and_then(|(_, text)| b64::decode_public(text).ok())
        };
        match *self {
            CertifiedKey::Ec { curve, point } => {
                let (Some(x), Some(y)) = (member("x"), member("y")) else {
                    return false;
                };
                jwk.kind() == curve && is_point(point, &x, &y)
            }
            CertifiedKey::Rsa { n, e } => {
                jwk.kind() == KeyKind::Rsa
                    && member("n").as_deref() == Some(n)
                    && member("e").as_deref() == Some(e)
            }
            CertifiedKey::Ed25519(key) => {
                jwk.kind() == KeyKind::Ed25519 && member("x").as_deref() == Some(key)
            }
        }
    }
}

/// Whether the SEC1 encoding `point` is the point (`x`, `y`) (coordinates of the curve's
/// length, as a JWK holds them): uncompressed, `04 || x || y`; compressed, `x` behind `02`
/// for an even `y` or `03` for an odd one (SEC 1 §2.3.3).
fn is_point(point: &[u8], x: &[u8], y: &[u8]) -> bool {
    let y_parity = y.last().map_or(0, |last| last & 1);
    match point.split_first() {
        Some((0x04, xy)) => xy.split_at_checked(x.len()) == Some((x, y)),
        Some((&form @ (0x02 | 0x03), compressed_x)) => compressed_x == x && form & 1 == y_parity,
        _ => false,
    }
}

/// The SubjectPublicKeyInfo of a DER certificate (RFC 5280 §4.1):
///
/// ```text
/// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
/// TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber INTEGER,
///     signature SEQUENCE, issuer SEQUENCE, validity SEQUENCE, subject SEQUENCE,
///     subjectPublicKeyInfo, issuerUniqueID [1], subjectUniqueID [2], extensions [3] }
/// ```
///
/// Each element before the key is read for its tag only; the whole input must be the
/// certificate, with nothing after it.
fn subject_public_key_info(der: &[u8]) -> der::Result<SubjectPublicKeyInfoRef<'_>> {
    let mut reader = SliceReader::new(der)?;
    let spki = reader.sequence(|certificate| {
        let spki = certificate.sequence(|tbs| {
            let version = Tag::ContextSpecific {
                constructed: true,
                number: TagNumber(0),
            };
            if Tag::peek(tbs)? == version {
                AnyRef::decode(tbs)?;
            }
            for tag in [
                Tag::Integer,
                Tag::Sequence,
                Tag::Sequence,
                Tag::Sequence,
                Tag::Sequence,
            ] {
                AnyRef::decode(tbs)?.tag().assert_eq(tag)?;
            }
            let spki = SubjectPublicKeyInfoRef::decode(tbs)?;
            // The unique identifiers and extensions: read past, not used.
            while !tbs.is_finished() {
                AnyRef::decode(tbs)?;
            }
            Ok::<_, der::Error>(spki)
        })?;
        AnyRef::decode(certificate)?
            .tag()
            .assert_eq(Tag::Sequence)?;
        BitStringRef::decode(certificate)?;
        Ok::<_, der::Error>(spki)
    })?;
    reader.finish()?;
    Ok(spki)
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017
/// §A.1.1), each as unsigned big-endian bytes without leading zeros (positive, minimal
/// DER).
fn rsa_public_key(der: &[u8]) -> der::Result<(&[u8], &[u8])> {
    let mut reader = SliceReader::new(der)?;
    let key = reader.sequence(|key| {
        let n = UintRef::decode(key)?;
        let e = UintRef::decode(key)?;
        Ok::<_, der::Error>((n.as_bytes(), e.as_bytes()))
    })?;
    reader.finish()?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-made DER: `30 len ...`.
    fn sequence(body: &[u8]) -> Vec<u8> {
        let mut out = vec![0x30, u8::try_from(body.len()).unwrap()];
        out.extend_from_slice(body);
        out
    }

    /// RSAPublicKey: positive integers only, minimal, nothing after.
    #[test]
    fn reads_an_rsa_public_key_strictly() {
        let key = sequence(&[0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x03]);
        assert_eq!(rsa_public_key(&key).unwrap(), (&[0x80][..], &[0x03][..]));
        for bad in [
            // A negative modulus.
            sequence(&[0x02, 0x01, 0x80, 0x02, 0x01, 0x03]),
            // A leading zero that is not needed.
            sequence(&[0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x03]),
            // No exponent.
            sequence(&[0x02, 0x01, 0x01]),
            // Something after the exponent.
            sequence(&[0x02, 0x01, 0x01, 0x02, 0x01, 0x03, 0x05, 0x00]),
        ] {
            assert!(rsa_public_key(&bad).is_err(), "{bad:02x?}");
        }
        let mut trailing = key.clone();
        trailing.push(0);
        assert!(rsa_public_key(&trailing).is_err());
    }

    /// SEC 1 §2.3.3: the two forms, compared by value; the prefix byte decides the form.
    #[test]
    fn compares_points_in_both_forms() {
        let (x, y_even, y_odd) = ([7u8; 4], [1u8, 2, 3, 4], [1u8, 2, 3, 5]);
        let uncompressed = [&[0x04][..], &x, &y_even].concat();
        assert!(is_point(&uncompressed, &x, &y_even));
        assert!(!is_point(&uncompressed, &x, &y_odd));
        assert!(!is_point(&uncompressed[..8], &x, &y_even));
        assert!(is_point(&[&[0x02][..], &x].concat(), &x, &y_even));
        assert!(!is_point(&[&[0x03][..], &x].concat(), &x, &y_even));
        assert!(is_point(&[&[0x03][..], &x].concat(), &x, &y_odd));
        assert!(!is_point(&[&[0x02][..], &[8u8; 4]].concat(), &x, &y_even));
        // The hybrid forms (06, 07) and the point at infinity are no JWK's point.
        assert!(!is_point(&[&[0x06][..], &x, &y_even].concat(), &x, &y_even));
        assert!(!is_point(&[0x00], &x, &y_even));
        assert!(!is_point(&[], &x, &y_even));
    }

    /// The DER of a PEM fixture made by tests/fixtures/mtls/make.sh.
    fn fixture(pem: &str) -> Vec<u8> {
        use base64ct::{Base64, Encoding};
        let body: String = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        Base64::decode_vec(&body).unwrap()
    }

    /// `der` with the one occurrence of `from` replaced by `to` (same length: no DER length
    /// changes, and a self-signed certificate's signature is not what is read here).
    fn replaced(der: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at: Vec<usize> = (0..der.len())
            .filter(|&i| der[i..].starts_with(from))
            .collect();
        assert_eq!(at.len(), 1, "{from:02x?} occurs once");
        let mut out = der.to_vec();
        out[at[0]..at[0] + to.len()].copy_from_slice(to);
        out
    }

    /// A certificate whose key is of a type no JWK here describes is [`UNKNOWN_KEY_TYPE`]:
    /// an EC key on another named curve (P-192 for P-256), an Edwards key other than Ed25519
    /// (Ed448, RFC 8410 §3).
    #[test]
    fn refuses_keys_of_other_types() {
        let p256 = fixture(include_str!(
            "../../../tests/fixtures/mtls/self-signed-1.pem"
        ));
        assert!(CertifiedKey::read(&p256).is_ok());
        // 1.2.840.10045.3.1.7 (P-256) becomes 1.2.840.10045.3.1.1 (P-192).
        let p192 = replaced(
            &p256,
            &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
            &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01],
        );
        assert_eq!(CertifiedKey::read(&p192).err(), Some(UNKNOWN_KEY_TYPE));
        let ed25519 = fixture(include_str!(
            "../../../tests/fixtures/mtls/self-signed-ed25519.pem"
        ));
        assert!(CertifiedKey::read(&ed25519).is_ok());
        // 1.3.101.112 (Ed25519) becomes 1.3.101.113 (Ed448), in the key and the signature
        // algorithm alike: only the key's is read.
        let mut ed448 = ed25519.clone();
        for i in 0..ed448.len().saturating_sub(4) {
            if ed448[i..].starts_with(&[0x06, 0x03, 0x2b, 0x65, 0x70]) {
                ed448[i + 4] = 0x71;
            }
        }
        assert_eq!(CertifiedKey::read(&ed448).err(), Some(UNKNOWN_KEY_TYPE));
    }

    /// Anything but a certificate is [`NOT_A_CERTIFICATE`], never a panic.
    #[test]
    fn refuses_what_is_not_a_certificate() {
        for bad in [
            &[][..],
            &[0x30][..],
            &[0x30, 0x00][..],
            &[0x30, 0x03, 0x30, 0x01, 0x02][..],
            &[0x30, 0x80, 0x00, 0x00][..],
            &[0x04, 0x00][..],
        ] {
            assert_eq!(
                CertifiedKey::read(bad),
                Err(NOT_A_CERTIFICATE),
                "{bad:02x?}"
            );
        }
    }
}
