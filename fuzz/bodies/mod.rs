//! The bodies of the fuzz targets: one plain function per target, taking the fuzzer's
//! bytes. `fuzz/fuzz_targets/<name>.rs` calls it under libFuzzer (`make fuzz`), and
//! `tests/fuzz_corpus.rs` of the root crate includes this directory with `#[path]` and
//! replays every committed corpus and regression file through it on stable (`make test`).
//!
//! A body does more than parse: where the code under test promises something (a round
//! trip, an agreement between two paths, a status code), it asserts it, so a broken
//! promise fails like a panic does.
//!
//! The structured targets decode their bytes with `arbitrary` (derived enums and
//! structs, and the [`Text`] / [`Few`] leaves below, whose encoding is simple enough for
//! [`Seed`] to write by hand): seeds start the fuzzer inside the protocol flows.
#![allow(
    dead_code,
    missing_docs,
    clippy::large_enum_variant,
    clippy::type_complexity,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use arbitrary::{Arbitrary, Unstructured};

mod certificate;
mod config;
mod dn;
mod dpop_proof;
mod http_input;
mod json;
mod jwk;
mod jws_compact;
mod jwt_claims;
mod phc;
mod provider;

pub use certificate::{certificate, trace as certificate_trace};
pub use config::config;
pub use dn::dn;
pub use dpop_proof::dpop_proof;
pub use http_input::http_input;
pub use json::json;
pub use jwk::jwk;
pub use jws_compact::jws_compact;
pub use jwt_claims::jwt_claims;
pub use phc::phc;
pub use provider::{provider, trace as provider_trace};

/// Every target: its name (the directory under `fuzz/corpus/` and `fuzz/regressions/`)
/// and its body.
pub const TARGETS: [(&str, fn(&[u8])); 11] = [
    ("json", json),
    ("jws_compact", jws_compact),
    ("jwk", jwk),
    ("jwt_claims", jwt_claims),
    ("dpop_proof", dpop_proof),
    ("http_input", http_input),
    ("config", config),
    ("phc", phc),
    ("provider", provider),
    ("dn", dn),
    ("certificate", certificate),
];

/// The seeds of every target, as (target, name, bytes): written to `fuzz/corpus/` by the
/// ignored test `write_seeds` of tests/fuzz_corpus.rs. The structured ones are
/// checked to decode back to the values they were written from.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let byte_targets: [(&'static str, Vec<(String, Vec<u8>)>); 7] = [
        ("json", json::seeds()),
        ("jws_compact", jws_compact::seeds()),
        ("jwk", jwk::seeds()),
        ("config", config::seeds()),
        ("phc", phc::seeds()),
        ("dn", dn::seeds()),
        ("certificate", certificate::seeds()),
    ];
    for (target, seeds) in byte_targets {
        for (name, bytes) in seeds {
            out.push((target, name, bytes));
        }
    }
    for (name, bytes) in jwt_claims::seeds() {
        out.push(("jwt_claims", name, bytes));
    }
    for (name, bytes) in dpop_proof::seeds() {
        out.push(("dpop_proof", name, bytes));
    }
    for (name, bytes) in http_input::seeds() {
        out.push(("http_input", name, bytes));
    }
    for (name, bytes) in provider::seeds() {
        out.push(("provider", name, bytes));
    }
    out
}

/// RFC 7515 A.3.1: the P-256 key of the ES256 example (public and private).
pub const KEY_A: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;

/// RFC 7517 A.2: the P-256 private key of the example.
pub const KEY_B: &str = r#"{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","d":"870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"}"#;

/// A string of up to 65,535 bytes: a little-endian `u16` length, then that many bytes
/// (fewer at the end of the input), read as UTF-8 with invalid sequences replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = usize::from(u16::arbitrary(u)?).min(u.len());
        let bytes = u.bytes(len)?;
        Ok(Text(String::from_utf8_lossy(bytes).into_owned()))
    }
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Zero to three items: a count byte (modulo 4), then the items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Few<T>(pub Vec<T>);

impl<'a, T: Arbitrary<'a>> Arbitrary<'a> for Few<T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let count = u8::arbitrary(u)? % 4;
        let mut items = Vec::new();
        for _ in 0..count {
            items.push(T::arbitrary(u)?);
        }
        Ok(Few(items))
    }
}

/// Writes bytes that the derived `Arbitrary` impls decode back to a chosen value: the
/// inverse of `arbitrary` 1.x for the shapes used here (checked by the round-trip test in
/// tests/fuzz_corpus.rs, which decodes every seed and compares).
#[derive(Debug, Default)]
pub struct Seed(pub Vec<u8>);

impl Seed {
    /// Variant `index` of an enum with `count` variants: derive reads a `u32` `v` and
    /// picks `(v * count) >> 32`.
    pub fn variant(&mut self, index: u32, count: u32) -> &mut Self {
        let v = ((u64::from(index) << 32).div_ceil(u64::from(count))) as u32;
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.0.push(u8::from(b));
        self
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i16(&mut self, v: i16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn text(&mut self, s: &str) -> &mut Self {
        let len = u16::try_from(s.len()).expect("seed text too long");
        self.u16(len);
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    /// `None` of an `Option`; `Some` is `bool(true)` followed by the value.
    pub fn none(&mut self) -> &mut Self {
        self.bool(false)
    }
    pub fn bytes(&self) -> Vec<u8> {
        self.0.clone()
    }
}

/// The inverse of `Arbitrary` for the types of the structured targets, for their seeds.
pub trait Encode {
    fn encode(&self, seed: &mut Seed);
}

impl Encode for Text {
    fn encode(&self, seed: &mut Seed) {
        seed.text(&self.0);
    }
}

impl<T: Encode> Encode for Few<T> {
    fn encode(&self, seed: &mut Seed) {
        seed.u8(u8::try_from(self.0.len()).expect("at most 3 items"));
        for item in &self.0 {
            item.encode(seed);
        }
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, seed: &mut Seed) {
        match self {
            None => {
                seed.none();
            }
            Some(value) => {
                seed.bool(true);
                value.encode(seed);
            }
        }
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, seed: &mut Seed) {
        self.0.encode(seed);
        self.1.encode(seed);
    }
}

impl Encode for bool {
    fn encode(&self, seed: &mut Seed) {
        seed.bool(*self);
    }
}

impl Encode for u8 {
    fn encode(&self, seed: &mut Seed) {
        seed.u8(*self);
    }
}

impl Encode for u16 {
    fn encode(&self, seed: &mut Seed) {
        seed.u16(*self);
    }
}

impl Encode for i16 {
    fn encode(&self, seed: &mut Seed) {
        seed.i16(*self);
    }
}

impl Encode for u32 {
    fn encode(&self, seed: &mut Seed) {
        seed.u32(*self);
    }
}

/// The bytes of `value`, checked to decode back to it (a seed that does not would start
/// the fuzzer somewhere else than intended).
pub fn encode_checked<T>(value: &T) -> Vec<u8>
where
    T: Encode + PartialEq + core::fmt::Debug + for<'a> Arbitrary<'a>,
{
    let mut seed = Seed::default();
    value.encode(&mut seed);
    let bytes = seed.bytes();
    let back: Option<T> = decode(&bytes);
    assert_eq!(
        back.as_ref(),
        Some(value),
        "seed does not decode to its value"
    );
    bytes
}

/// The algorithms whose bit is set in `mask`, bit `i` for `Alg::ALL[i]`: an allow-list
/// the fuzzer chooses.
pub fn algorithms_of(mask: u16) -> Vec<oidc_edge::jose::Alg> {
    oidc_edge::jose::Alg::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, alg)| *alg)
        .collect()
}

pub fn text(s: &str) -> Text {
    Text(s.to_owned())
}

/// Decodes `data` as a `T`, or `None` when it is too short to (the fuzzer moves on).
pub fn decode<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    T::arbitrary(&mut Unstructured::new(data)).ok()
}
