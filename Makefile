# oidc-edge: `make dev` runs the OP and the demo page locally, `make test` runs every suite.
# Both install whatever is missing first (scripts/setup.sh), so a fresh clone needs nothing else.

OP_PORT ?= 8787
WWW_PORT ?= 5173
export OP_PORT WWW_PORT

.PHONY: dev test setup pkg worker bench fuzz fmt lint clean

# dev.sh checks OIDC_CONFIG / OIDC_SIGNING_KEYS first, then runs setup and builds what is out of
# date (the package, the Worker) itself.
dev:
	@bash scripts/dev.sh

test: setup
	bash scripts/test.sh

setup:
	@bash scripts/setup.sh

pkg: setup
	bash scripts/build-pkg.sh

worker: setup
	bash scripts/build-worker.sh

bench: setup pkg
	bash benches/run.sh

# Every cargo-fuzz target for FUZZ_SECONDS (default 600) each, on nightly; not part of
# `make test`, which replays the committed corpus on stable (tests/fuzz_corpus.rs).
fuzz:
	bash scripts/fuzz.sh

fmt:
	cargo fmt --all

lint:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --features js --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --no-default-features --features js-page --lib -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --no-default-features --features js-server --lib -- -D warnings
	cargo clippy -p oidc-edge-rustcrypto --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p oidc-edge-worker --target wasm32-unknown-unknown -- -D warnings

clean:
	rm -rf target pkg worker/build
