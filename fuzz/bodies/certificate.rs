//! `certificate`: the key an X.509 certificate carries (src/op/mtls/certified_key.rs) and
//! the `x5c` certificates of a client's JWKS (src/op/clients/keys.rs). Both come from
//! untrusted input: a client's `jwks` at `/register` and the document at its `jwks_uri`.
//! A certificate taken there is one the client may then authenticate with
//! (`self_signed_tls_client_auth`, RFC 8705 §2.2), so taking one whose key is not its
//! JWK's (RFC 7517 §4.7) would let a client register a certificate it holds no key of.
//!
//! The bytes are a DER certificate, raw (the other targets reach DER only through base64
//! and JSON, and rarely get past its first byte). They are read:
//! - by `CertifiedKey::read`, never with a panic; where RustCrypto's `x509-cert` also
//!   reads them as a certificate, the key taken is that certificate's SubjectPublicKeyInfo
//!   (same algorithm, curve and key bits; an RSA key re-encoded is the key's bits), and a
//!   certificate `x509-cert` reads is refused only for its key (a type not read here, bits
//!   not whole bytes, an RSA key that is not an RSAPublicKey);
//! - against the public keys of the self-signed fixtures (tests/fixtures/mtls/), each
//!   decoded from its JWK: `is_key_of` says yes exactly when the key is that JWK's by
//!   value (an EC point uncompressed or compressed, RFC 5480 §2.2 / SEC 1 §2.3.3; RSA's
//!   modulus and exponent; Ed25519's 32 bytes);
//! - as the `x5c` of a JWKS, `[base64(bytes)]` on one fixture JWK beside another:
//!   `parse_jwks` takes the set, and lists the certificate exactly when its key is that
//!   JWK's; otherwise it reports `.keys[0].x5c[0]` with `read`'s reason. A certificate
//!   carrying a fixture's key is also put on another fixture's JWK (beside its own): it
//!   must be refused there.

use std::sync::OnceLock;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use oidc_edge::jose::{Jwk, KeyKind};
use oidc_edge::op::clients::keys::{MAX_CERTIFICATE_LEN, parse_jwks};
use oidc_edge::op::mtls::CertifiedKey;
use oidc_edge::op::mtls::certified_key::{NOT_A_CERTIFICATE, OTHER_KEY, UNKNOWN_KEY_TYPE};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::der::asn1::ObjectIdentifier;

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// `secp256r1` and `secp384r1` (RFC 5480 §2.1.1.1).
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
/// `rsaEncryption` (RFC 3279 §2.3.1).
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// `id-Ed25519` (RFC 8410 §3).
const ED25519: &str = "1.3.101.112";

pub fn certificate(data: &[u8]) {
    trace(data);
}

/// What the body saw of `data`, for tests/fuzz_corpus.rs to check that the seeds start
/// deep: the seeds of fixture certificates read, as `x509-cert` reads them too, and those
/// of the self-signed ones carry their own JWK's key.
#[derive(Debug)]
pub struct Trace {
    /// `CertifiedKey::read`'s answer: the key's kind, or why not.
    pub read: Result<KeyKind, &'static str>,
    /// Whether `x509-cert` reads it as a certificate.
    pub x509: bool,
    /// The fixture whose JWK the key is.
    pub key_of: Option<&'static str>,
}

/// Runs the checks above on `data` and says what it saw.
pub fn trace(data: &[u8]) -> Trace {
    let read = CertifiedKey::read(data);
    let x509 = agrees_with_x509_cert(data, &read);
    let mut key_of = None;
    if let Ok(key) = &read {
        for fixture in keyed() {
            let matches = fixture.key.is_certified(key);
            assert_eq!(
                key.is_key_of(&fixture.jwk),
                matches,
                "{key:02x?} against the key of {}",
                fixture.name
            );
            if matches {
                assert!(key_of.is_none(), "one key matches two fixtures");
                key_of = Some(fixture.name);
            }
        }
    }
    check_jwks(data, &read, key_of);
    Trace {
        read: read.map(|key| kind_of(&key)),
        x509,
        key_of,
    }
}

fn kind_of(key: &CertifiedKey<'_>) -> KeyKind {
    match key {
        CertifiedKey::Ec { curve, .. } => *curve,
        CertifiedKey::Rsa { .. } => KeyKind::Rsa,
        CertifiedKey::Ed25519(_) => KeyKind::Ed25519,
    }
}

/// Where `x509-cert` reads `data` as a certificate, `read` took its SubjectPublicKeyInfo's
/// key, or refused it for that key. Whether `x509-cert` read it.
fn agrees_with_x509_cert(data: &[u8], read: &Result<CertifiedKey<'_>, &'static str>) -> bool {
    let Ok(certificate) = Certificate::from_der(data) else {
        return false;
    };
    let spki = certificate.tbs_certificate().subject_public_key_info();
    let algorithm = spki.algorithm.oid.to_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok())
        .map(|oid| oid.to_string());
    let bits = spki.subject_public_key.as_bytes();
    match *read {
        Ok(CertifiedKey::Ec { curve: kind, point }) => {
            let named = match kind {
                KeyKind::P256 => P256,
                KeyKind::P384 => P384,
                other => panic!("an EC key of kind {other:?}"),
            };
            assert_eq!(algorithm, EC_PUBLIC_KEY);
            assert_eq!(curve.as_deref(), Some(named));
            assert_eq!(bits, Some(point));
        }
        Ok(CertifiedKey::Rsa { n, e }) => {
            assert_eq!(algorithm, RSA_ENCRYPTION);
            assert_eq!(
                bits,
                Some(&rsa_public_key(n, e)[..]),
                "n {n:02x?}, e {e:02x?}"
            );
        }
        Ok(CertifiedKey::Ed25519(key)) => {
            assert_eq!(algorithm, ED25519);
            assert_eq!(bits, Some(key));
        }
        Err(why) if why == UNKNOWN_KEY_TYPE => {
            let known_curve = matches!(curve.as_deref(), Some(P256 | P384));
            let read_here = matches!(algorithm.as_str(), RSA_ENCRYPTION | ED25519)
                || (algorithm == EC_PUBLIC_KEY && known_curve);
            assert!(!read_here, "{algorithm} ({curve:?}) is a type read here");
        }
        Err(why) => {
            assert_eq!(why, NOT_A_CERTIFICATE);
            assert!(
                bits.is_none() || algorithm == RSA_ENCRYPTION,
                "x509-cert reads a certificate of a {algorithm} key that was refused"
            );
        }
    }
    true
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017
/// §A.1.1) in DER, from unsigned big-endian `n` and `e`.
fn rsa_public_key(n: &[u8], e: &[u8]) -> Vec<u8> {
    let body = [der_unsigned(n), der_unsigned(e)].concat();
    der_tlv(0x30, &body)
}

/// A non-negative INTEGER (X.690 §8.3): a zero octet first when the top bit is set.
fn der_unsigned(value: &[u8]) -> Vec<u8> {
    let mut content = Vec::new();
    if value.first().is_none_or(|first| first & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(value);
    der_tlv(0x02, &content)
}

/// A tag, the definite length in the fewest octets (X.690 §10.1), the content.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let octets: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|octet| *octet == 0)
            .collect();
        out.push(0x80 | octets.len() as u8);
        out.extend_from_slice(&octets);
    }
    out.extend_from_slice(content);
    out
}

/// The `x5c` of a JWKS: `parse_jwks` lists the certificate exactly when it carries the key
/// of the JWK it is on.
fn check_jwks(data: &[u8], read: &Result<CertifiedKey<'_>, &'static str>, key_of: Option<&str>) {
    let keys = keyed();
    let index = |name: &str| keys.iter().position(|f| f.name == name).unwrap();
    // (the JWK the certificate is on, the JWK beside it)
    let mut cases = Vec::new();
    match (read, key_of) {
        (Ok(_), Some(owner)) => {
            let owner = index(owner);
            cases.push((owner, (owner + 1) % keys.len()));
            cases.push((another_of_kind(keys, owner), owner));
        }
        (Ok(key), None) => {
            let kind = kind_of(key);
            let on = keys.iter().position(|f| f.jwk.kind() == kind).unwrap_or(0);
            cases.push((on, (on + 1) % keys.len()));
        }
        (Err(_), _) => {
            let on = data.len() % keys.len();
            cases.push((on, (on + 1) % keys.len()));
        }
    }
    let sha256: [u8; 32] = Sha256::digest(data).into();
    for (on, beside) in cases {
        let certified = keys.get(on).unwrap();
        let mut with_x5c = certified.members.clone();
        with_x5c.insert("kid".to_owned(), Value::from("certified"));
        with_x5c.insert(
            "x5c".to_owned(),
            Value::Array(vec![Value::from(Base64::encode_string(data))]),
        );
        let mut other = keys.get(beside).unwrap().members.clone();
        other.insert("kid".to_owned(), Value::from("beside"));
        let mut jwks = Map::new();
        jwks.insert(
            "keys".to_owned(),
            Value::Array(vec![Value::Object(with_x5c), Value::Object(other)]),
        );
        let client = parse_jwks(&Value::Object(jwks))
            .unwrap_or_else(|err| panic!("fixture keys refused: {err:?}"));
        assert_eq!(client.set.keys().len(), 2);

        let its_key = key_of == Some(certified.name);
        let listed = client.has_certificate(&sha256);
        // RFC 7517 §4.7: a certificate is listed on its own key's JWK, never on another's.
        assert_eq!(
            listed,
            its_key && data.len() <= MAX_CERTIFICATE_LEN,
            "the certificate on {}'s JWK (its key: {key_of:?})",
            certified.name
        );
        if listed {
            assert_eq!(client.certificates, vec![sha256]);
            assert_eq!(client.unreadable_certificate, None);
            continue;
        }
        assert!(client.certificates.is_empty());
        let (at, why) = client
            .unreadable_certificate
            .expect("a certificate not taken is reported");
        assert_eq!(at, ".keys[0].x5c[0]");
        if data.first() == Some(&0x30) && data.len() <= MAX_CERTIFICATE_LEN {
            // `read`'s reason, or another key's when it read.
            let expected = match read {
                Ok(_) => OTHER_KEY,
                Err(reason) => reason,
            };
            assert_eq!(why, expected);
        }
    }
}

/// Another fixture whose key is of the kind of `keys[owner]`'s (each P-256 key has two), or
/// the next one.
fn another_of_kind(keys: &[Keyed], owner: usize) -> usize {
    let kind = keys.get(owner).unwrap().jwk.kind();
    (1..keys.len())
        .map(|step| (owner + step) % keys.len())
        .find(|&i| keys.get(i).unwrap().jwk.kind() == kind)
        .unwrap_or((owner + 1) % keys.len())
}

/// A fixture certificate's key, as its JWK in certificates.json records it.
struct Keyed {
    name: &'static str,
    /// The JWK's members, for the JWKS.
    members: Map<String, Value>,
    jwk: Jwk,
    key: Expected,
}

/// A JWK's key, its members decoded (RFC 7518 §6).
enum Expected {
    Ec {
        kind: KeyKind,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

impl Expected {
    /// Whether a certificate's key `key` is this one.
    fn is_certified(&self, key: &CertifiedKey<'_>) -> bool {
        match (self, *key) {
            (Expected::Ec { kind, x, y }, CertifiedKey::Ec { curve, point }) => {
                // SEC 1 §2.3.3: 04 || x || y, or x behind 02 (y even) or 03 (y odd).
                let odd = y.last().is_some_and(|last| last & 1 == 1);
                let uncompressed = [&[0x04][..], x, y].concat();
                let compressed = [&[if odd { 0x03 } else { 0x02 }][..], x].concat();
                *kind == curve && (point == uncompressed || point == compressed)
            }
            (Expected::Rsa { n: jwk_n, e: jwk_e }, CertifiedKey::Rsa { n, e }) => {
                n == jwk_n.as_slice() && e == jwk_e.as_slice()
            }
            (Expected::Ed25519(jwk_x), CertifiedKey::Ed25519(x)) => x == jwk_x.as_slice(),
            _ => false,
        }
    }
}

/// The fixtures of tests/fixtures/mtls/certificates.json, read once: name and DER.
fn fixtures() -> &'static [(&'static str, Vec<u8>, Option<Map<String, Value>>)] {
    static FIXTURES: OnceLock<Vec<(&'static str, Vec<u8>, Option<Map<String, Value>>)>> =
        OnceLock::new();
    FIXTURES.get_or_init(|| {
        let json: Map<String, Value> =
            serde_json::from_str(include_str!("../../tests/fixtures/mtls/certificates.json"))
                .unwrap();
        json.into_iter()
            .map(|(name, fixture)| {
                let der = Base64::decode_vec(fixture["der"].as_str().unwrap()).unwrap();
                let jwk = fixture.get("jwk").and_then(Value::as_object).cloned();
                (&*name.leak(), der, jwk)
            })
            .collect()
    })
}

/// The fixtures with a JWK (the self-signed ones), their keys decoded.
fn keyed() -> &'static [Keyed] {
    static KEYED: OnceLock<Vec<Keyed>> = OnceLock::new();
    KEYED.get_or_init(|| {
        fixtures()
            .iter()
            .filter_map(|(name, _, members)| {
                let members = members.clone()?;
                let member =
                    |m: &str| Base64UrlUnpadded::decode_vec(members[m].as_str().unwrap()).unwrap();
                let jwk = Jwk::from_object(&members).unwrap();
                let key = match jwk.kind() {
                    kind @ (KeyKind::P256 | KeyKind::P384) => Expected::Ec {
                        kind,
                        x: member("x"),
                        y: member("y"),
                    },
                    KeyKind::Rsa => Expected::Rsa {
                        n: member("n"),
                        e: member("e"),
                    },
                    KeyKind::Ed25519 => Expected::Ed25519(member("x")),
                };
                Some(Keyed {
                    name,
                    members,
                    jwk,
                    key,
                })
            })
            .collect()
    })
}

/// Every fixture certificate's DER, and a few cut short (a header alone, half a
/// certificate, one inside its RSA key, one without its last byte).
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fixtures()
        .iter()
        .map(|(name, der, _)| ((*name).to_owned(), der.clone()))
        .collect();
    let der = |name: &str| {
        fixtures()
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap()
            .1
            .clone()
    };
    let cut = |name: &str, len: usize| der(name).into_iter().take(len).collect::<Vec<u8>>();
    let one_short = der("self-signed-ed25519").len() - 1;
    out.extend([
        ("ca-header".to_owned(), cut("ca", 4)),
        ("self-signed-1-half".to_owned(), cut("self-signed-1", 272)),
        (
            "self-signed-rsa-in-key".to_owned(),
            cut("self-signed-rsa", 400),
        ),
        (
            "self-signed-ed25519-one-short".to_owned(),
            cut("self-signed-ed25519", one_short),
        ),
    ]);
    out
}
