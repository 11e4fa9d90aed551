#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack (web target, release, feature `js`), the npm
# binaryen's wasm-opt (targeted inlining for speed, then size), then scripts/finish-pkg.mjs
# for the Node entry point and the package.json fields wasm-pack does not write.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

wasm-pack build --quiet --no-pack --target web --release --out-dir pkg -- --features js
# wasm-pack --no-pack skips package.json; finish-pkg.mjs writes it whole.

wasm="pkg/oidc_edge_bg.wasm"
# The features are the ones rustc's wasm32 target emits by default; wasm-opt must be told.
features=(--enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-exception-handling)

# First, inline the P-256 field arithmetic's hot leaves (the 64-bit limb products, the
# Montgomery multiplication and reduction) and nothing else: Node 20 does not inline wasm
# calls itself. scripts/wasm-hot-inline.mjs says why and what it costs.
node scripts/wasm-hot-inline.mjs "$wasm" "$wasm.marked" \
  '^__multi3$' 'karatsuba::widening_mul_fixed' '^p256::arithmetic::field::' 'Choice::to_u8_vartime'
node_modules/.bin/wasm-opt -g --no-inline='cold$*' -O3 --always-inline-max-function-size=100 \
  --inline-functions-with-loops "${features[@]}" "$wasm.marked" -o "$wasm.hot"
rm "$wasm.marked"

# Then optimise the whole module for size.
node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers --strip-target-features \
  "${features[@]}" "$wasm.hot" -o "$wasm"
rm "$wasm.hot"

node scripts/finish-pkg.mjs
