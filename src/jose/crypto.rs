//! The pure-Rust signature backend (RustCrypto). Runs everywhere, natively and in wasm;
//! the JS API prefers WebCrypto where the runtime has it and falls back to this.

use rsa::signature::Verifier as _;
use sha2::{Sha256, Sha384, Sha512};

use super::alg::Alg;
use super::jwk::PublicKey;
use crate::Error;

/// Verifies `signature` over `message` with `key` under `alg`.
///
/// The caller has already checked that the key permits the algorithm; a kind mismatch
/// here is still refused, never coerced. Every failure is [`Error::SignatureInvalid`]:
/// the reason a signature fails is not the caller's business (nor an attacker's).
pub fn verify(alg: Alg, key: &PublicKey, message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let ok = match (alg, key) {
        (Alg::Es256, PublicKey::P256(key)) => key.verify(message, signature),
        (Alg::Es384, PublicKey::P384(key)) => p384::ecdsa::Signature::from_slice(signature)
            .is_ok_and(|sig| key.verify(message, &sig).is_ok()),
        (Alg::Rs256, PublicKey::Rsa(key)) => pkcs1v15::<Sha256>(key, message, signature),
        (Alg::Rs384, PublicKey::Rsa(key)) => pkcs1v15::<Sha384>(key, message, signature),
        (Alg::Rs512, PublicKey::Rsa(key)) => pkcs1v15::<Sha512>(key, message, signature),
        (Alg::Ps256, PublicKey::Rsa(key)) => pss::<Sha256>(key, message, signature, 32),
        (Alg::Ps384, PublicKey::Rsa(key)) => pss::<Sha384>(key, message, signature, 48),
        (Alg::Ps512, PublicKey::Rsa(key)) => pss::<Sha512>(key, message, signature, 64),
        (Alg::EdDsa, PublicKey::Ed25519(key)) => ed25519_dalek::Signature::from_slice(signature)
            .is_ok_and(|sig| key.verify_strict(message, &sig).is_ok()),
        _ => return Err(Error::KeyAlgMismatch),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::SignatureInvalid)
    }
}

/// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2). The signature must be exactly the modulus length.
pub fn pkcs1v15<D>(key: &rsa::RsaPublicKey, message: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + sha2::digest::const_oid::AssociatedOid,
{
    let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature) else {
        return false;
    };
    rsa::pkcs1v15::VerifyingKey::<D>::new(key.clone())
        .verify(message, &sig)
        .is_ok()
}

/// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash and, as RFC 7518 §3.5
/// requires, a salt as long as the hash output.
pub fn pss<D>(key: &rsa::RsaPublicKey, message: &[u8], signature: &[u8], salt_len: usize) -> bool
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
{
    let Ok(sig) = rsa::pss::Signature::try_from(signature) else {
        return false;
    };
    rsa::pss::VerifyingKey::<D>::new_with_salt_len(key.clone(), salt_len)
        .verify(message, &sig)
        .is_ok()
}
