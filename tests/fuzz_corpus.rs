//! The fuzz corpus as regression tests, on stable: every file of `fuzz/corpus/<target>/`
//! and `fuzz/regressions/<target>/` (inputs that once failed, kept after the fix) runs
//! through the same body `cargo fuzz` runs (fuzz/bodies/, included here by path), so a
//! body that panics or breaks an invariant fails `make test` without nightly or
//! libFuzzer. `make fuzz` grows the corpus; README.md ("Fuzzing") has the campaign.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

#[path = "../fuzz/bodies/mod.rs"]
mod bodies;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Every corpus and regression input of every target, through its body.
#[test]
fn corpus_and_regressions_replay() {
    let mut failures = Vec::new();
    for (target, body) in bodies::TARGETS {
        let corpus = files(&fuzz_dir().join("corpus").join(target));
        let regressions = files(&fuzz_dir().join("regressions").join(target));
        assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ is empty");
        for path in corpus.iter().chain(&regressions) {
            let data = std::fs::read(path).unwrap();
            if std::panic::catch_unwind(|| body(&data)).is_err() {
                failures.push(path.display().to_string());
            }
        }
        eprintln!(
            "{target}: {} corpus and {} regression inputs",
            corpus.len(),
            regressions.len()
        );
    }
    assert!(failures.is_empty(), "inputs that fail: {failures:#?}");
}

/// The seeds pass their bodies; the structured ones also decode back to the values they
/// were written from (checked inside `bodies::seeds`).
#[test]
fn seeds_pass() {
    for (target, name, bytes) in bodies::seeds() {
        let (_, body) = bodies::TARGETS.iter().find(|(t, _)| *t == target).unwrap();
        eprintln!("{target}/{name}");
        body(&bytes);
    }
}

/// Writes the seeds to `fuzz/corpus/<target>/seed-<name>`:
/// `cargo test --test fuzz_corpus -- --ignored write_seeds`.
#[test]
#[ignore = "writes into fuzz/corpus; run by hand after changing a structured target"]
fn write_seeds() {
    for (target, name, bytes) in bodies::seeds() {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
}

/// The provider's seeds walk the flows they are named after, so the fuzzer starts deep:
/// if the provider changes so that one stops short, this says which.
#[test]
fn provider_seeds_reach_their_flows() {
    for (target, name, bytes) in bodies::seeds() {
        if target != "provider" {
            continue;
        }
        let log = bodies::provider_trace(&bytes);
        eprintln!("{name}: {log:?}");
        let has = |entry: &str| log.iter().any(|l| l == entry);
        match name.as_str() {
            "spa-code-refresh-userinfo-logout" => {
                assert!(
                    has("POST /login 303") && has("GET /userinfo 200"),
                    "{log:?}"
                );
                assert_eq!(log.iter().filter(|l| *l == "POST /token 200").count(), 2);
                assert!(has("GET /end_session 303"), "{log:?}");
            }
            "third-party-consent" => {
                assert!(has("POST /consent 303"), "{log:?}");
                assert_eq!(log.iter().filter(|l| *l == "POST /token 200").count(), 2);
            }
            "dpop-nonce-api" => {
                assert!(
                    has("POST /token 400") && has("GET /userinfo 200"),
                    "{log:?}"
                );
                assert!(has("GET /api/me 200"), "{log:?}");
                assert_eq!(log.iter().filter(|l| *l == "POST /token 200").count(), 2);
            }
            "client-credentials" => assert!(has("POST /token 200"), "{log:?}"),
            "logout-confirmation" => assert!(has("POST /end_session 200"), "{log:?}"),
            _ => {}
        }
    }
}

/// The certificate seeds start where the checks are: each fixture certificate reads, as
/// `x509-cert` reads it too, and a self-signed one carries its own JWK's key (so
/// `parse_jwks` lists it); the ones cut short are not certificates. If the fixtures or
/// the reader change so that one stops short, this says which.
#[test]
fn certificate_seeds_reach_the_key_check() {
    use oidc_edge::op::mtls::certified_key::NOT_A_CERTIFICATE;
    let mut keyed = 0;
    for (target, name, bytes) in bodies::seeds() {
        if target != "certificate" {
            continue;
        }
        let trace = bodies::certificate_trace(&bytes);
        eprintln!("{name}: {trace:?}");
        let cut_short = ["-header", "-half", "-in-key", "-one-short"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        if cut_short {
            assert_eq!(trace.read, Err(NOT_A_CERTIFICATE), "{name}");
            assert!(!trace.x509, "{name}");
            continue;
        }
        assert!(trace.read.is_ok() && trace.x509, "{name}: {trace:?}");
        if name.starts_with("self-signed-") {
            assert_eq!(trace.key_of, Some(name.as_str()), "{name}");
            keyed += 1;
        } else {
            assert_eq!(trace.key_of, None, "{name}");
        }
    }
    assert_eq!(
        keyed, 6,
        "the six self-signed fixtures, each of its own key"
    );
}
