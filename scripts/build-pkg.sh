#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack (web target, release, feature `js`), the
# npm binaryen's wasm-opt for size, then scripts/finish-pkg.mjs for the Node entry
# point and the package.json fields wasm-pack does not write.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

wasm-pack build --quiet --no-pack --target web --release --out-dir pkg -- --features js
# wasm-pack --no-pack skips package.json; finish-pkg.mjs writes it whole.

wasm="pkg/oidc_edge_bg.wasm"
# The features are the ones rustc's wasm32 target emits by default; wasm-opt must be told.
node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-exception-handling \
  "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"

node scripts/finish-pkg.mjs
