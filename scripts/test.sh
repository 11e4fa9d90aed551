#!/usr/bin/env bash
# Every suite, in order, each to its end even when an earlier one failed, then one
# summary. Exits non-zero when any suite failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export WRANGLER_SEND_METRICS=false

names=()
results=()
times=()

# suite NAME COMMAND...: runs one suite and records its outcome and duration.
suite() {
  local name=$1
  shift
  printf '\n=== %s: %s\n' "$name" "$*"
  local start=$SECONDS
  if "$@"; then results+=(pass); else results+=(FAIL); fi
  names+=("$name")
  times+=($((SECONDS - start)))
}

suite "format" cargo fmt --all --check
suite "clippy (native)" cargo clippy --quiet --all-targets -- -D warnings
suite "clippy (wasm, js)" cargo clippy --quiet --target wasm32-unknown-unknown --features js --all-targets -- -D warnings
# The npm package's three modules as scripts/build-pkg.sh builds them: the core without
# RustCrypto, the resource-server module, and rustcrypto/.
suite "clippy (wasm, package)" bash -c 'cargo clippy --quiet --target wasm32-unknown-unknown --no-default-features --features js-page --lib -- -D warnings && cargo clippy --quiet --target wasm32-unknown-unknown --no-default-features --features js-server --lib -- -D warnings && cargo clippy --quiet -p oidc-edge-rustcrypto --target wasm32-unknown-unknown -- -D warnings'
suite "clippy (worker)" cargo clippy --quiet -p oidc-edge-worker --target wasm32-unknown-unknown -- -D warnings
suite "cargo test (native)" cargo test --quiet
suite "wasm in Chromium" wasm-pack test --headless --chrome -- --features js
suite "npm package build" bash scripts/build-pkg.sh
suite "npm package types" node_modules/.bin/tsc -p tests/types
suite "npm package in Node" node --test tests/node/
suite "npm package in Chromium" node --test tests/browser/
suite "npm package with Vite" node --test tests/bundlers/
suite "worker on wrangler dev" node --test tests/e2e/

passed=0
failed=0
printf '\n=== summary\n'
for i in "${!names[@]}"; do
  printf '  %-4s %-26s %4ss\n' "${results[$i]}" "${names[$i]}" "${times[$i]}"
  if [ "${results[$i]}" = pass ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
