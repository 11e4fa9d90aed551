//! Password and client-secret hashes: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) in a PHC-style
//! string, `$pbkdf2-sha256$i=<iterations>$<salt>$<derived key>`, salt and key unpadded
//! base64url, key 32 bytes.
//!
//! PBKDF2 rather than a memory-hard function because it is what the Workers runtime offers
//! natively (WebCrypto `deriveBits`); the derivation sits behind [`Pbkdf2`] so the Worker
//! can use WebCrypto while native code and tests use [`RustPbkdf2`]. Cloudflare's production
//! runtime refuses native PBKDF2 above [`MAX_USER_ITERATIONS`], and the local workerd does
//! not, so the configuration enforces the cap itself.

use core::fmt;

use hmac::Hmac;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::constant_time_eq;
use crate::{Error, b64, random};

/// The most PBKDF2 iterations a stored hash may ask for: Cloudflare's production runtime
/// refuses native (WebCrypto) PBKDF2 above 100,000 iterations.
pub const MAX_USER_ITERATIONS: u32 = 100_000;
/// The fewest iterations accepted for a user's password hash. Passwords are low-entropy,
/// so the count is their only protection once a hash leaks.
pub const MIN_USER_ITERATIONS: u32 = 10_000;
/// Iterations the CLI uses for passwords: the cap, the most the runtime allows.
pub const DEFAULT_PASSWORD_ITERATIONS: u32 = MAX_USER_ITERATIONS;
/// Iterations the CLI uses for generated client secrets. A 256-bit random secret cannot be
/// guessed whatever the count, so the work factor only costs the token endpoint time.
pub const DEFAULT_SECRET_ITERATIONS: u32 = 1_000;
/// Length of the salt [`PasswordHash::create`] draws, in bytes (128 bits, the minimum of
/// NIST SP 800-132 §5.1).
pub const SALT_LEN: usize = 16;
/// Shortest salt accepted when parsing, in bytes (NIST SP 800-132 §5.1: at least 128 bits).
pub const MIN_SALT_LEN: usize = 16;
/// Longest salt accepted when parsing, in bytes.
pub const MAX_SALT_LEN: usize = 64;
/// Length of the derived key, in bytes (one SHA-256 block of output).
pub const KEY_LEN: usize = 32;

const PREFIX: &str = "$pbkdf2-sha256$i=";

/// A parsed PBKDF2-HMAC-SHA256 hash. `Debug` shows the iteration count only.
#[derive(Clone)]
pub struct PasswordHash {
    iterations: u32,
    salt: Vec<u8>,
    hash: Zeroizing<[u8; KEY_LEN]>,
}

/// Why a string is not a valid hash. The message never repeats the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPasswordHash {
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for InvalidPasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl std::error::Error for InvalidPasswordHash {}

const fn invalid(reason: &'static str) -> InvalidPasswordHash {
    InvalidPasswordHash { reason }
}

impl PasswordHash {
    /// Parses `$pbkdf2-sha256$i=<n>$<salt>$<key>`: `n` a decimal from 1 without leading
    /// zeros, salt 16 to 64 bytes and key exactly 32 bytes, both canonical unpadded
    /// base64url. Range limits for users and clients are the configuration's business.
    pub fn parse(phc: &str) -> Result<PasswordHash, InvalidPasswordHash> {
        let rest = phc.strip_prefix(PREFIX).ok_or(invalid(
            "must start with \"$pbkdf2-sha256$i=\" (make one with `oidc-edge hash-password`)",
        ))?;
        let mut parts = rest.split('$');
        let (Some(count), Some(salt), Some(key), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid(
                "must have the form $pbkdf2-sha256$i=<iterations>$<salt>$<key>",
            ));
        };
        let iterations = parse_iterations(count)?;
        let salt = b64::decode(salt).map_err(|_| invalid("salt is not unpadded base64url"))?;
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
            return Err(invalid("salt must be 16 to 64 bytes"));
        }
        let key = Zeroizing::new(
            b64::decode(key).map_err(|_| invalid("derived key is not unpadded base64url"))?,
        );
        let hash: [u8; KEY_LEN] = key
            .as_slice()
            .try_into()
            .map_err(|_| invalid("derived key must be 32 bytes"))?;
        Ok(PasswordHash {
            iterations,
            salt,
            hash: Zeroizing::new(hash),
        })
    }

    /// Hashes `password` with a fresh random 16-byte salt, in Rust (the CLI and tests; the
    /// provider only verifies). `iterations` must be 1 to [`MAX_USER_ITERATIONS`], so that
    /// every hash made here can be verified on Workers.
    pub fn create(password: &[u8], iterations: u32) -> Result<PasswordHash, Error> {
        if !(1..=MAX_USER_ITERATIONS).contains(&iterations) {
            return Err(Error::InvalidLength {
                what: "PBKDF2 iterations",
                min: 1,
                max: MAX_USER_ITERATIONS as usize,
            });
        }
        let salt = random::bytes(SALT_LEN)?;
        let hash = Zeroizing::new(derive_sync(password, &salt, iterations)?);
        Ok(PasswordHash {
            iterations,
            salt,
            hash,
        })
    }

    /// A hash no password matches (its key is all zeros, which PBKDF2 output equals with
    /// probability 2^-256), for verifying against when the username is unknown, so the
    /// response takes as long as for a known user with `iterations`.
    pub fn decoy(iterations: u32) -> PasswordHash {
        PasswordHash {
            iterations: iterations.max(1),
            salt: vec![0u8; SALT_LEN],
            hash: Zeroizing::new([0u8; KEY_LEN]),
        }
    }

    /// The PBKDF2 iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The PHC string, as [`PasswordHash::parse`] reads it.
    pub fn to_phc_string(&self) -> String {
        self.to_string()
    }
}

/// The iteration count: ASCII digits, no sign, no leading zero, 1 to `u32::MAX`.
fn parse_iterations(text: &str) -> Result<u32, InvalidPasswordHash> {
    const BAD: InvalidPasswordHash = invalid("iterations must be a decimal integer from 1");
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BAD);
    }
    text.parse().map_err(|_| BAD)
}

impl fmt::Display for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}${}${}",
            self.iterations,
            b64::encode(&self.salt),
            b64::encode(self.hash.as_ref())
        )
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHash")
            .field("iterations", &self.iterations)
            .field("salt", &"***")
            .field("hash", &"***")
            .finish()
    }
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output (RFC 8018 §5.2).
#[allow(async_fn_in_trait)] // Single-threaded hosts (Workers, browsers); no Send bound wanted.
pub trait Pbkdf2 {
    /// Derives 32 bytes from `password` and `salt` with `iterations` rounds.
    async fn derive(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], Error>;
}

/// [`Pbkdf2`] in Rust (the `pbkdf2` crate): native code, tests, and the wasm fallback.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustPbkdf2;

impl Pbkdf2 for RustPbkdf2 {
    async fn derive(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], Error> {
        derive_sync(password, salt, iterations)
    }
}

fn derive_sync(password: &[u8], salt: &[u8], iterations: u32) -> Result<[u8; KEY_LEN], Error> {
    if iterations == 0 {
        return Err(Error::InvalidLength {
            what: "PBKDF2 iterations",
            min: 1,
            max: u32::MAX as usize,
        });
    }
    let mut out = [0u8; KEY_LEN];
    // HMAC takes keys of any length, so this cannot fail; map it anyway rather than panic.
    pbkdf2::pbkdf2::<Hmac<Sha256>>(password, salt, iterations, &mut out)
        .map_err(|_| Error::CryptoUnavailable)?;
    Ok(out)
}

/// [`verify_password`], then as many more iterations as `hash` lacks to reach `cost`, so
/// the check costs `cost` iterations whatever the hash's own count: a user whose hash is
/// cheaper is not told apart by timing from one whose hash is dearer, nor from an unknown
/// user checked against a [`PasswordHash::decoy`] of `cost`. The padding's output is
/// discarded; only its work counts.
pub async fn verify_password_padded<P: Pbkdf2>(
    hash: &PasswordHash,
    password: &[u8],
    pbkdf2: &P,
    cost: u32,
) -> Result<bool, Error> {
    let matches = verify_password(hash, password, pbkdf2).await?;
    let missing = cost.saturating_sub(hash.iterations);
    if missing > 0 {
        pbkdf2.derive(password, &hash.salt, missing).await?;
    }
    Ok(matches)
}

/// Whether `password` matches `hash`: derives with `pbkdf2` and compares in constant time.
pub async fn verify_password<P: Pbkdf2>(
    hash: &PasswordHash,
    password: &[u8],
    pbkdf2: &P,
) -> Result<bool, Error> {
    let derived = Zeroizing::new(pbkdf2.derive(password, &hash.salt, hash.iterations).await?);
    Ok(constant_time_eq(derived.as_ref(), hash.hash.as_ref()))
}
