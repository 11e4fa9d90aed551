#!/usr/bin/env bash
# Runs every benchmark against the built package and prints the comparison tables.
# Node is pinned to one CPU: on these 2-core machines WebCrypto's timings otherwise flip
# between two levels from run to run (see benches/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)
for bench in benches/js/pkce.mjs; do
  "${pin[@]}" node "$bench"
done
