#!/usr/bin/env bash
# Builds the npm package into pkg/: two wasm modules by wasm-pack (web target, release),
# each through the npm binaryen's wasm-opt, then scripts/finish-pkg.mjs for the entry
# points and the package.json fields wasm-pack does not write.
#   oidc_edge_bg.wasm             the core and the JS API (feature `js`, no RustCrypto)
#   oidc_edge_rustcrypto_bg.wasm  rustcrypto/: the pure-Rust signature code, which the
#                                 core loads on first use (src/wasm/rust_backend.rs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

wasm-pack --quiet build --no-pack --target web --release --out-dir pkg -- \
  --no-default-features --features js
# wasm-pack --no-pack skips package.json; finish-pkg.mjs writes it whole. The second
# module is built beside, then moved in: wasm-pack owns the files of its out-dir.
wasm-pack --quiet build --no-pack --target web --release --out-dir "$root/target/rustcrypto-pkg" rustcrypto
for file in oidc_edge_rustcrypto.js oidc_edge_rustcrypto.d.ts oidc_edge_rustcrypto_bg.wasm \
  oidc_edge_rustcrypto_bg.wasm.d.ts; do
  mv "target/rustcrypto-pkg/$file" pkg/
done

# The features are the ones rustc's wasm32 target emits by default; wasm-opt must be told.
features=(--enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-exception-handling)

# optimise FILE: wasm-opt for size (-Oz), with the debug, producers and target-features
# sections stripped.
optimise() {
  node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers \
    --strip-target-features "${features[@]}" "$1" -o "$1.opt"
  mv "$1.opt" "$1"
}

optimise pkg/oidc_edge_bg.wasm

# The pure-Rust module: first inline the P-256 field arithmetic's hot leaves (the 64-bit
# limb products, the Montgomery multiplication and reduction) and nothing else, since
# Node 20 does not inline wasm calls itself (scripts/wasm-hot-inline.mjs says why and
# what it costs); then optimise the rest for size.
crypto=pkg/oidc_edge_rustcrypto_bg.wasm
node scripts/wasm-hot-inline.mjs "$crypto" "$crypto.marked" \
  '^__multi3$' 'karatsuba::widening_mul_fixed' '^p256::arithmetic::field::' 'Choice::to_u8_vartime'
node_modules/.bin/wasm-opt -g --no-inline='cold$*' -O3 --always-inline-max-function-size=100 \
  --inline-functions-with-loops "${features[@]}" "$crypto.marked" -o "$crypto"
rm "$crypto.marked"
optimise "$crypto"

node scripts/finish-pkg.mjs
