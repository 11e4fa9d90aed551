#!/usr/bin/env bash
# Runs every benchmark against the built package and prints the comparison tables.
# Node is pinned to one CPU: on these 2-core machines WebCrypto's timings otherwise flip
# between two levels from run to run (see benches/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)
# jwt-chromium.mjs runs the JWT measurement in headless Chromium, which inherits the pin.
for bench in benches/js/pkce.mjs benches/js/jwt.mjs benches/js/jwt-chromium.mjs benches/js/dpop.mjs benches/js/dpop-chromium.mjs; do
  "${pin[@]}" node "$bench"
done
node benches/js/size.mjs # the package's files, raw and gzipped
node benches/op/load.mjs # the OP under load on wrangler dev: pins itself to CPU 0 and wrangler to CPU 1
node benches/op/stores.mjs # the same token phases with the Durable Object store, then with KV only
node benches/op/signing.mjs # the code exchange with ES256, RS256, PS256 and EdDSA signing keys
node benches/op/peer.mjs # side by side with @cloudflare/workers-oauth-provider (benches/op/peer-worker)
node benches/op/peer-rounds.mjs # its rows near 1x again: both up at once, two trees each, alternated rounds
node benches/op/response-costs.mjs # what building a Response costs, and a document's shape through wrangler dev
node benches/op/do-calls.mjs # one store operation by KV, Durable Object RPC and Durable Object fetch
