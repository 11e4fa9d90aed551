#![no_main]
// The body is shared with the corpus replay of `make test` (tests/fuzz_corpus.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_edge_fuzz::certificate(data));
