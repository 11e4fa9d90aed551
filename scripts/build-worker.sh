#!/bin/sh
# Builds the Cloudflare Worker (worker/) into worker/build/ with worker-build, offline.
#
# worker-build would download wasm-bindgen, esbuild and wasm-opt; we hand it the ones installed by
# `make setup` instead: wasm-bindgen from `cargo install` (same version as the crate in Cargo.lock),
# esbuild from wrangler's npm dependencies and wasm-opt from the npm `binaryen` package (Debian's
# binaryen is too old for current wasm-bindgen output).
#
# Called by `wrangler dev` / `wrangler deploy` through worker/wrangler.toml's [build] command, and
# usable by hand from any directory: sh scripts/build-worker.sh
#
# Skips the build when neither what it depends on nor worker/build itself changed since the last
# successful build (content fingerprints in worker/build/.fingerprint): `wrangler dev` runs this
# twice at every start and the e2e tests once more. BUILD_WORKER_FORCE=1 rebuilds anyway. One
# build at a time (flock on target/worker.lock, where flock exists).
#
# Cargo builds into target/worker, not target/: worker-build sets WASM_BINDGEN_USE_JS_SYS, which
# changes what the wasm-bindgen macros expand to without Cargo noticing, so a dependency built for
# the Worker and for wasm-pack's npm package with the same features would be reused by the other
# as is. A separate target directory also keeps `make dev` rebuilds from waiting on the build lock
# of a concurrent `cargo test`.
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
bin="$root/node_modules/.bin"

die() {
    printf 'build-worker: %s\n' "$*" >&2
    exit 1
}

missing() {
    die "$1 not found ($2); run \`make setup\`"
}

command -v cargo >/dev/null 2>&1 || missing cargo "Rust toolchain"
command -v worker-build >/dev/null 2>&1 || missing worker-build "cargo install worker-build"
wasm_bindgen=$(command -v wasm-bindgen 2>/dev/null) || missing wasm-bindgen "cargo install wasm-bindgen-cli"
[ -x "$bin/esbuild" ] || missing "$bin/esbuild" "npm install"
[ -x "$bin/wasm-opt" ] || missing "$bin/wasm-opt" "npm install"

# The wasm-bindgen CLI must be exactly the version of the crate, or its output is unusable.
if [ -f "$root/Cargo.lock" ]; then
    want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
    have=$("$wasm_bindgen" --version | awk '{ print $2 }')
    if [ -n "$want" ] && [ "$want" != "$have" ]; then
        die "wasm-bindgen CLI is $have but Cargo.lock has wasm-bindgen $want; run \`make setup\`"
    fi
fi

CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/worker"
export CARGO_TARGET_DIR

mkdir -p "$root/target"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$root/target/worker.lock"
    flock 9
fi

# Everything the output depends on: sources, manifests, lockfiles, tools and the environment
# variables worker-build reads.
fingerprint() {
    (
        cd "$root"
        worker-build --version
        "$wasm_bindgen" --version
        rustc --version
        for var in RUSTFLAGS CARGO_TARGET_DIR NO_MINIFY CUSTOM_SHIM RUN_TO_COMPLETION COREDUMP; do
            eval "printf '%s=%s\n' $var \"\${$var-<unset>}\""
        done
        for path in Cargo.toml Cargo.lock package-lock.json src worker/Cargo.toml worker/src \
            scripts/build-worker.sh .cargo rust-toolchain rust-toolchain.toml; do
            [ -e "$path" ] && find "$path" -type f -exec cksum {} +
        done | LC_ALL=C sort
    ) | cksum
}

# What worker-build left in build/ (its scratch directory .tmp aside).
outputs() {
    [ -d build ] && find build -path build/.tmp -prune -o -type f ! -name .fingerprint -exec cksum {} + |
        LC_ALL=C sort | cksum
}

cd "$root/worker"
stamp=build/.fingerprint
wasm=build/index_bg.wasm
current=$(fingerprint)
if [ "${BUILD_WORKER_FORCE:-0}" = 0 ] && [ -f "$stamp" ] && [ -f build/index.js ] && [ -f "$wasm" ] &&
    [ "$(cat "$stamp")" = "$current $(outputs)" ]; then
    printf 'build-worker: worker/build is up to date (BUILD_WORKER_FORCE=1 rebuilds)\n' >&2
    exit 0
fi

rm -f "$stamp"
start=$(date +%s)
WASM_BINDGEN_BIN="$wasm_bindgen" \
    ESBUILD_BIN="$bin/esbuild" \
    WASM_OPT_BIN="$bin/wasm-opt" \
    worker-build --release

[ -f "$wasm" ] || die "worker-build finished but $root/worker/$wasm is missing"
# The inputs as they were before the build: a change made meanwhile is seen next time.
printf '%s %s\n' "$current" "$(outputs)" >"$stamp"
raw=$(wc -c <"$wasm" | tr -d ' ')
gz=$(gzip -9 -c "$wasm" | wc -c | tr -d ' ')
printf 'build-worker: %s: %s bytes, %s gzipped (%ss)\n' "worker/$wasm" "$raw" "$gz" "$(($(date +%s) - start))" >&2
