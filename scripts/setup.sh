#!/usr/bin/env bash
# Installs what the build and the tests need, and nothing that is already there.
# Idempotent and quiet when the machine is ready; everything comes from crates.io,
# Debian's packages or npm (no tool downloads a binary of its own).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf 'setup: %s\n' "$*"; }

# Versions of the cargo-installed tools. wasm-bindgen-cli must equal the wasm-bindgen
# crate in Cargo.lock, or wasm-pack tries to download a matching one and fails offline.
WASM_PACK_VERSION=0.15.1
WORKER_BUILD_VERSION=0.8.7
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock 2>/dev/null || true)
if [ -z "$wasm_bindgen_version" ]; then
  wasm_bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' Cargo.toml)
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "adding rustup component $component"
    rustup component add "$component"
  fi
done

# cargo_tool BINARY CRATE VERSION: installs CRATE@VERSION unless BINARY --version reports it.
cargo_tool() {
  local bin=$1 crate=$2 version=$3
  # `--version` prints "NAME X.Y.Z" for most tools and a bare "X.Y.Z" for worker-build.
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | tr ' ' '\n' | grep -qxF "$version"; then
    return
  fi
  say "cargo install $crate $version (once per machine, a few minutes)"
  cargo install --quiet --force "$crate" --version "$version"
}
cargo_tool wasm-bindgen wasm-bindgen-cli "$wasm_bindgen_version"
cargo_tool wasm-pack wasm-pack "$WASM_PACK_VERSION"
cargo_tool worker-build worker-build "$WORKER_BUILD_VERSION"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  say "installing Debian's chromium and chromium-driver"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# openssl makes the throwaway CA of tests/e2e/registration.test.mjs (https on localhost).
if ! command -v openssl >/dev/null 2>&1; then
  say "installing Debian's openssl"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq openssl >/dev/null
fi

# npm ci when node_modules is missing or older than the lockfile. A node_modules that is a
# symbolic link (a second working tree sharing the first one's install) is left alone: npm ci
# would empty the directory it points to, under the other tree.
if [ -L node_modules ]; then
  say "node_modules is a link to $(readlink node_modules); not reinstalling it"
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
