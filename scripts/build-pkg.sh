#!/usr/bin/env bash
# Builds the npm package into pkg/: three wasm modules by wasm-pack (web target, release),
# each through the npm binaryen's wasm-opt, then scripts/finish-pkg.mjs for the entry
# points and the package.json fields wasm-pack does not write.
#   oidc_edge_bg.wasm             the core and the JS API a page loads (feature `js-page`,
#                                 no RustCrypto)
#   oidc_edge_server_bg.wasm      the resource-server module (feature `js-server`:
#                                 validateAccessToken, verifyDpopProof), loaded on first
#                                 use (server-module.js)
#   oidc_edge_rustcrypto_bg.wasm  rustcrypto/: the pure-Rust signature code, which the
#                                 core loads on first use (src/wasm/rust_backend.rs)
#
# Skips the build when neither its inputs (sources, manifests, lockfiles, these scripts, the
# tools' versions, the environment cargo reads) nor pkg/ itself changed since the last
# successful build: both fingerprints are kept in target/pkg.fingerprint. BUILD_PKG_FORCE=1
# rebuilds anyway. One build at a time (flock on target/pkg.lock, where flock exists).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mkdir -p target
if command -v flock >/dev/null 2>&1; then
  exec 9>target/pkg.lock
  flock 9
fi

# Everything the output depends on.
inputs() {
  wasm-pack --version
  wasm-bindgen --version
  rustc -vV
  # wasm-opt: the npm binaryen, pinned by package-lock.json (its --version takes half a second).
  for var in RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR; do
    printf '%s=%s\n' "$var" "${!var-<unset>}"
  done
  for path in Cargo.toml Cargo.lock build.rs package-lock.json README.md LICENSE src rustcrypto .cargo \
    rust-toolchain rust-toolchain.toml scripts/build-pkg.sh scripts/finish-pkg.mjs \
    scripts/wasm-binary.mjs scripts/wasm-hot-inline.mjs scripts/wasm-panic-trap.mjs scripts/wasm-fmt-trap.mjs scripts/wasm-data-trap.mjs \
    scripts/wasm-short-imports.mjs; do
    [[ -e $path ]] && find "$path" -type f -exec cksum {} +
  done | LC_ALL=C sort
}
outputs() {
  [[ -d pkg ]] && find pkg -type f -exec cksum {} + | LC_ALL=C sort
}
stamp=target/pkg.fingerprint
current=$(inputs | cksum)
if [[ ${BUILD_PKG_FORCE:-0} == 0 && -f $stamp && -f pkg/index.js &&
  "$(cat "$stamp")" == "$current $(outputs | cksum)" ]]; then
  echo "build-pkg: pkg/ is up to date (BUILD_PKG_FORCE=1 rebuilds)" >&2
  exit 0
fi
rm -f "$stamp"
start=$SECONDS

# (This crate at opt-level "z" would save 3 KB gzipped and cost 5 – 8 µs of CPU per
# verification, about 5 %: measured and not taken, benches/README.md, "Package size".)
# Each of this crate's two modules is linked with a map of its data (build.rs), kept with the
# linked module for scripts/wasm-data-trap.mjs below.
linked=target/wasm32-unknown-unknown/release/oidc_edge.wasm
# wasm-pack adds to its out-dir without clearing it: snippets of an earlier build (another
# hash, from other snippet contents) would stay beside the new ones.
rm -rf pkg/snippets
OIDC_EDGE_LINK_MAP="$root/target/oidc_edge.map" wasm-pack --quiet build --no-pack --target web --release \
  --out-dir pkg -- --no-default-features --features js-page
cp "$linked" target/oidc_edge.linked.wasm
# wasm-pack --no-pack skips package.json; finish-pkg.mjs writes it whole. The other modules
# are built beside, then moved in: wasm-pack owns the files of its out-dir.
wasm-pack --quiet build --no-pack --target web --release --out-dir "$root/target/rustcrypto-pkg" rustcrypto
for file in oidc_edge_rustcrypto.js oidc_edge_rustcrypto.d.ts oidc_edge_rustcrypto_bg.wasm \
  oidc_edge_rustcrypto_bg.wasm.d.ts; do
  mv "target/rustcrypto-pkg/$file" pkg/
done
# The resource-server module: the same crate with the other exports. Its glue imports the
# same snippets as the core's (one crate, so one snippets/ directory): the error class, the
# job driver and the loader of the pure-Rust module are shared, each file once in pkg/.
rm -rf target/server-pkg
OIDC_EDGE_LINK_MAP="$root/target/oidc_edge_server.map" wasm-pack --quiet build --no-pack --target web --release \
  --out-dir "$root/target/server-pkg" --out-name oidc_edge_server -- --no-default-features --features js-server
cp "$linked" target/oidc_edge_server.linked.wasm
for file in oidc_edge_server.js oidc_edge_server.d.ts oidc_edge_server_bg.wasm oidc_edge_server_bg.wasm.d.ts; do
  mv "target/server-pkg/$file" pkg/
done
(cd target/server-pkg && find snippets -type f) | while read -r snippet; do
  cmp -s "target/server-pkg/$snippet" "pkg/$snippet" || {
    echo "build-pkg: the resource-server module's $snippet is not the core's" >&2
    exit 1
  }
done

# The features are the ones rustc's wasm32 target emits by default; wasm-opt must be told.
features=(--enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-exception-handling)

# optimise FILE [PASS...]: wasm-opt for size (-Oz), after the given passes, with the debug,
# producers and target-features sections stripped.
optimise() {
  local file=$1
  shift
  node_modules/.bin/wasm-opt "$@" -Oz --converge --strip-debug --strip-producers \
    --strip-target-features "${features[@]}" "$file" -o "$file.opt"
  mv "$file.opt" "$file"
}

# The core and the resource-server module: the standard library's panic path made a bare
# trap first (what it ends in anyway: scripts/wasm-panic-trap.mjs says why that is safe), so
# that -Oz drops the message formatting behind it. Each pattern names diverging functions
# only: a panic, a failed unwrap, an index or slice error, a failed borrow or allocation.
# (The core slices no string since DpopKey left it: for it, `?` lets that pattern match nothing.)
c='(\[[0-9a-f]+\])?' # std's crate disambiguator in the name section
for name in oidc_edge oidc_edge_server; do
  module=pkg/${name}_bg.wasm
  slices=""
  [[ $name == oidc_edge ]] && slices="?"
  node scripts/wasm-panic-trap.mjs "$module" "$module.trap" \
    "^core$c::panicking::(panic_fmt|panic|panic_bounds_check|assert_failed.*|panic_const::.*)\$" \
    "^std$c::panicking::panic_with_hook\$" \
    "^core$c::(result|option)::(unwrap_failed|expect_failed)\$" \
    "$slices^core$c::str::slice_error_fail(_rt)?\$" \
    "^core$c::slice::index::slice_.*_fail\$" \
    "^core$c::cell::(panic_already_(mutably_)?borrowed|lazy::panic_poisoned)\$" \
    "^std$c::thread::local::panic_access_error\$" \
    "^alloc$c::(raw_vec::capacity_overflow|alloc::handle_alloc_error)\$"
  # Then core::fmt, which only the function table still holds (scripts/wasm-fmt-trap.mjs
  # checks that nothing else reaches it, on the module optimised once with its names).
  node_modules/.bin/wasm-opt -g -Oz --converge "${features[@]}" "$module.trap" -o "$module.named"
  node scripts/wasm-fmt-trap.mjs "$module.named" "$module"
  rm "$module.trap" "$module.named"
  # The core, which every page loads, has its control flow rebuilt before each -Oz (--flatten
  # --rereloop), which then packs it tighter: 0.4 KB gzipped less, and no measurable cost
  # per verification (benches/README.md, "Package size").
  passes=()
  [[ $name == oidc_edge ]] && passes=(--flatten --rereloop)
  # (The odd expansion: an empty array under `set -u` is an error in bash before 4.4.)
  optimise "$module" ${passes[@]+"${passes[@]}"}
  # Last, the read-only data only the trapped code read, zeroed where the linker put it; the
  # second pass packs the zeros away.
  node scripts/wasm-data-trap.mjs "$module" "target/$name.linked.wasm" "target/$name.map"
  optimise "$module" ${passes[@]+"${passes[@]}"}
done

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
# Last, once finish-pkg.mjs has minified the glue: the functions each module imports from its
# glue get short names in both (wasm-bindgen's carry a hash each: 1.7 KB of a page).
for name in oidc_edge oidc_edge_server; do
  node scripts/wasm-short-imports.mjs "pkg/${name}_bg.wasm" "pkg/$name.js"
done

# The inputs as they were before the build: a change made meanwhile is seen next time.
printf '%s %s\n' "$current" "$(outputs | cksum)" >"$stamp"
echo "build-pkg: built pkg/ ($((SECONDS - start))s)" >&2
