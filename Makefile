# oidc-edge: `make dev` runs the OP and the demo page locally, `make test` runs every suite.
# Both install whatever is missing first (scripts/setup.sh), so a fresh clone needs nothing else.

OP_PORT ?= 8787
WWW_PORT ?= 5173
export OP_PORT WWW_PORT

.PHONY: dev test setup pkg worker bench fmt lint clean

dev: setup pkg
	bash scripts/dev.sh

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

fmt:
	cargo fmt --all

lint:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --features js --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --no-default-features --features js --lib -- -D warnings
	cargo clippy -p oidc-edge-rustcrypto --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p oidc-edge-worker --target wasm32-unknown-unknown -- -D warnings

clean:
	rm -rf target pkg worker/build
