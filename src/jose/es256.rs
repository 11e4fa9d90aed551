//! ES256 (RFC 7518 §3.4: ECDSA over P-256 with SHA-256) in pure Rust: [`sign`], and
//! verification with the w-NAF tables of odd multiples kept between verifications.
//!
//! `p256`'s own verifier builds a table for the generator and one for the public key on
//! every call. Here the generator's table is built once per process and each key's once
//! per key; since building is paid once, the window is 6 bits instead of 5. A verification
//! with a key seen before then takes about 74 point additions instead of 102 (and 256
//! doublings either way); a key seen once costs about what it did. A pure-Rust verification
//! in Node takes 0.59 ms instead of 0.64 (benches/README.md, "Pure-Rust ES256"). Tables
//! hold 16 points (1.5 KB) per key. (Windows of 7 bits would save 6 more additions, but
//! `wnaf` 0.14.1 overflows its `i8` digits there in debug builds.)
//!
//! The arithmetic is RustCrypto's (scalar inversion, w-NAF multi-exponentiation); only
//! the textbook verification equation is written out here, and the Wycheproof P-256
//! vectors (tests/wycheproof.rs) check it, edge cases included.

use std::sync::{LazyLock, OnceLock};

use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::array::sizes::U6;
use p256::elliptic_curve::group::Group as _;
use p256::elliptic_curve::ops::{Invert as _, Reduce};
use p256::elliptic_curve::point::AffineCoordinates as _;
use p256::{FieldBytes, ProjectivePoint, Scalar};
use sha2::{Digest as _, Sha256};
use wnaf::{WnafBase, WnafScalar};

/// A table of odd multiples of a point (1P, 3P, … 31P), for 6-bit w-NAF windows.
type Table = WnafBase<ProjectivePoint, U6>;

/// The generator's table: built at the first verification, then shared.
static GENERATOR_TABLE: LazyLock<Table> = LazyLock::new(|| Table::new(&ProjectivePoint::GENERATOR));

/// A P-256 public key, with its table built at its first pure-Rust verification (keys
/// that only ever verify through WebCrypto never pay for it).
#[derive(Clone)]
pub struct P256Key {
    key: VerifyingKey,
    table: OnceLock<Box<Table>>,
}

impl From<VerifyingKey> for P256Key {
    fn from(key: VerifyingKey) -> Self {
        P256Key {
            key,
            table: OnceLock::new(),
        }
    }
}

impl core::ops::Deref for P256Key {
    type Target = VerifyingKey;

    fn deref(&self) -> &VerifyingKey {
        &self.key
    }
}

impl PartialEq for P256Key {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl P256Key {
    /// Whether `signature` (r ‖ s, 64 bytes) is a valid ES256 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        // Refuses r or s outside [1, n − 1] (SEC 1 §4.1.4 step 1). High s is valid:
        // JWS does not require the low-s form.
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        let (r, s) = signature.split_scalars();
        // Steps 2–4: e = SHA-256(message); a 256-bit hash is used whole, reduced mod n.
        let digest: [u8; 32] = Sha256::digest(message).into();
        let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(digest));
        // Step 5: u1 = e·s⁻¹, u2 = r·s⁻¹, R = u1·G + u2·Q.
        let s_inv = *s.invert_vartime();
        // Products in the scalar field, reduced mod n: nothing to overflow.
        #[allow(clippy::arithmetic_side_effects)]
        let (u1, u2) = (
            WnafScalar::<Scalar, U6>::new(&(e * s_inv)),
            WnafScalar::<Scalar, U6>::new(&(*r * s_inv)),
        );
        let key_table = self
            .table
            .get_or_init(|| Box::new(Table::new(&ProjectivePoint::from(*self.key.as_affine()))));
        let point =
            Table::multiscalar_mul([(&*GENERATOR_TABLE, &u1), (&**key_table, &u2)].into_iter());
        // Step 6: R must not be the identity. (Its affine x would read as 0, which no r in
        // [1, n − 1] equals, so this only states the standard's step.) Steps 7–8: v = x(R)
        // mod n must equal r; Wycheproof's "k*G has a large x-coordinate" needs the reduction.
        if bool::from(point.is_identity()) {
            return false;
        }
        let x = point.to_affine().x();
        <Scalar as Reduce<FieldBytes>>::reduce(&x) == *r
    }
}

/// The ES256 signature of `message`, `r || s` as JWS carries it (RFC 7518 §3.4), with
/// RFC 6979 deterministic nonces.
pub fn sign(key: &p256::ecdsa::SigningKey, message: &[u8]) -> [u8; 64] {
    use p256::ecdsa::signature::Signer as _;
    let signature: Signature = key.sign(message);
    signature.to_bytes().into()
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::{Signature, SigningKey};

    use super::P256Key;

    fn signing_key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    /// Agrees with `p256`'s own verifier on valid, tampered and high-s signatures, for
    /// several keys and messages, with the key table built once and reused.
    #[test]
    fn agrees_with_the_p256_verifier() {
        for seed in 1..=4 {
            let signer = signing_key(seed);
            let key = P256Key::from(*signer.verifying_key());
            for message in [&b""[..], b"a", b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0"] {
                let signature: Signature = signer.sign(message);
                let bytes = signature.to_bytes();
                assert!(key.verify(message, &bytes));
                assert!(signer.verifying_key().verify(message, &signature).is_ok());

                // (r, n − s) verifies too: ECDSA signatures are malleable and JWS accepts both.
                let flipped = Signature::from_scalars(signature.r(), -*signature.s()).unwrap();
                assert!(key.verify(message, &flipped.to_bytes()));

                let mut tampered = bytes;
                tampered[40] ^= 1;
                assert!(!key.verify(message, &tampered));
                assert!(!key.verify(b"another message", &bytes));
                let other = P256Key::from(*signing_key(seed + 10).verifying_key());
                assert!(!other.verify(message, &bytes));
            }
        }
    }

    /// SEC 1 §4.1.4 step 1: r and s must lie in [1, n − 1]; wrong lengths are refused.
    #[test]
    fn refuses_out_of_range_and_malformed_signatures() {
        let signer = signing_key(7);
        let key = P256Key::from(*signer.verifying_key());
        let signature: Signature = signer.sign(b"m");
        let bytes = signature.to_bytes();
        // n, the order of P-256's base point.
        let order: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2,
            0xfc, 0x63, 0x25, 0x51,
        ];
        let mut zero_r = bytes;
        zero_r[..32].fill(0);
        let mut zero_s = bytes;
        zero_s[32..].fill(0);
        let mut n_as_s = bytes;
        n_as_s[32..].copy_from_slice(&order);
        for bad in [&zero_r[..], &zero_s, &n_as_s, &bytes[..63], &[0u8; 65]] {
            assert!(!key.verify(b"m", bad));
        }
    }
}
