//! The TLS client certificate a request came with, as the host that ended the TLS
//! connection reports it: the provider never sees the handshake, only these facts, and
//! takes them from the host alone (a request header can never supply them: they are not
//! read from headers at all).

use sha2::{Digest, Sha256};

use super::dn::MAX_DN_LEN;
use crate::{b64, percent};

/// What the host knows of the client certificate of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    verified: bool,
    revoked: bool,
    sha256: [u8; 32],
    subject_dn: String,
    issuer_dn: String,
}

impl ClientCertificate {
    /// The certificate as the host reports it: whether it verified it against the
    /// certificate authorities the deployment trusts, whether it knows it revoked, the
    /// SHA-256 of its DER encoding as 64 hex digits (either case), and its subject and
    /// issuer DNs as RFC 4514 strings (empty when unknown). `None`, meaning no usable
    /// certificate, when the thumbprint is not exactly that, or a DN is longer than
    /// [`MAX_DN_LEN`]: facts that cannot be read are not guessed at.
    pub fn from_host(
        verified: bool,
        revoked: bool,
        sha256_hex: &str,
        subject_dn: &str,
        issuer_dn: &str,
    ) -> Option<ClientCertificate> {
        if subject_dn.len() > MAX_DN_LEN || issuer_dn.len() > MAX_DN_LEN {
            return None;
        }
        Some(ClientCertificate {
            verified,
            revoked,
            sha256: parse_hex_digest(sha256_hex)?,
            subject_dn: subject_dn.to_owned(),
            issuer_dn: issuer_dn.to_owned(),
        })
    }

    /// A certificate the host verified and does not know revoked, from its DER encoding:
    /// for tests and hosts that hold the certificate itself.
    pub fn from_der(der: &[u8], verified: bool, subject_dn: &str, issuer_dn: &str) -> Option<Self> {
        let hex: String = Sha256::digest(der)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        ClientCertificate::from_host(verified, false, &hex, subject_dn, issuer_dn)
    }

    /// Whether the host verified it: it chains to a certificate authority the deployment
    /// trusts, and is within its validity period.
    pub fn verified(&self) -> bool {
        self.verified
    }

    /// Whether the host knows it revoked. A revoked certificate authenticates nothing and
    /// binds nothing.
    pub fn revoked(&self) -> bool {
        self.revoked
    }

    /// The SHA-256 of its DER encoding.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// Its `x5t#S256` (RFC 8705 §3.1): the SHA-256 of its DER encoding, base64url without
    /// padding.
    pub fn thumbprint(&self) -> String {
        b64::encode(&self.sha256)
    }

    /// Its subject DN as the host wrote it (RFC 4514), empty when unknown.
    pub fn subject_dn(&self) -> &str {
        &self.subject_dn
    }

    /// Its issuer DN as the host wrote it (RFC 4514), empty when unknown. The provider
    /// compares no issuer: which authorities count is the host's list of trusted ones.
    pub fn issuer_dn(&self) -> &str {
        &self.issuer_dn
    }
}

/// 32 bytes from exactly 64 hex digits.
fn parse_hex_digest(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut digits = text.bytes();
    for byte in &mut out {
        *byte = percent::escaped_byte(&mut digits)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "af363dc85bc942a892d3cee9796190fdb36d89cd588a4f1cb17c74a943439714";

    #[test]
    fn reads_a_thumbprint_of_64_hex_digits_only() {
        let cert = ClientCertificate::from_host(true, false, HEX, "CN=a", "CN=ca").unwrap();
        assert_eq!(cert.sha256()[0], 0xaf);
        assert_eq!(cert.sha256()[31], 0x14);
        let upper = ClientCertificate::from_host(true, false, &HEX.to_uppercase(), "", "");
        assert_eq!(upper.map(|c| *c.sha256()), Some(*cert.sha256()));
        for bad in [
            "",
            &HEX[..62],
            &format!("{HEX}00"),
            &HEX.replacen('a', "g", 1),
            &HEX.replacen("af", "a:", 1),
            &HEX.replacen("af", "+f", 1),
            &format!("{}é", &HEX[..62]),
            "acf77cf37b4156a2708e34c4eb755f9b5dbbe5ebb55adfec8f11493438d19e6ad3f157f81fa3b98278453d5652b0c1fd1d71e5695ae4d709803a4d3f39de9dea",
        ] {
            assert!(
                ClientCertificate::from_host(true, false, bad, "", "").is_none(),
                "{bad}"
            );
        }
        let long = "a".repeat(MAX_DN_LEN + 1);
        assert!(ClientCertificate::from_host(true, false, HEX, &long, "").is_none());
        assert!(ClientCertificate::from_host(true, false, HEX, "", &long).is_none());
    }

    /// RFC 8705 §3.1: `x5t#S256` is the base64url SHA-256 of the DER encoding.
    #[test]
    fn thumbprint_is_base64url_of_the_digest() {
        let cert = ClientCertificate::from_der(b"not really DER", true, "", "").unwrap();
        assert_eq!(
            cert.thumbprint(),
            b64::encode(&Sha256::digest(b"not really DER"))
        );
        assert_eq!(cert.thumbprint().len(), 43);
    }
}
