#!/usr/bin/env bash
# `make fuzz`: runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS (default 600), one
# after another, growing fuzz/corpus/<target>/ and minimising it afterwards (cargo fuzz
# cmin), then prints a summary. Crashes land in fuzz/artifacts/<target>/; once fixed, the
# input goes to fuzz/regressions/<target>/, which `make test` replays on stable
# (tests/fuzz_corpus.rs). Not part of `make test`: it needs nightly and takes long.
#
#   FUZZ_SECONDS=60 make fuzz                   # a quick pass
#   FUZZ_TARGETS="json provider" make fuzz      # some targets only
#   FUZZ_SANITIZER=address make fuzz            # cargo fuzz's default sanitizer
#   FUZZ_BIN=/some/release make fuzz            # binaries built elsewhere (no build)
#
# The core is `forbid(unsafe_code)`, so the default is no sanitizer (about twice the
# executions per second); debug assertions (overflow checks) are always on.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_TARGETS=${FUZZ_TARGETS:-json jws_compact jwk jwt_claims dpop_proof http_input config phc dn certificate provider}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-none}
FUZZ_ARGS=${FUZZ_ARGS:-}

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz: installing the nightly toolchain (cargo fuzz needs it)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: cargo install cargo-fuzz (once per machine)"
    cargo install cargo-fuzz --locked
fi

# The binaries run directly: built once, so a long campaign does not rebuild (or pick up
# half-made edits) between targets.
if [ -n "${FUZZ_BIN:-}" ]; then
    bin=$FUZZ_BIN
else
    build=(--sanitizer "$FUZZ_SANITIZER" --debug-assertions)
    echo "fuzz: building the targets (nightly, ${build[*]})"
    (cd fuzz && cargo +nightly fuzz build "${build[@]}")
    bin=fuzz/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release
fi

logs=fuzz/target/logs
mkdir -p "$logs"
summary=()
failed=()
for target in $FUZZ_TARGETS; do
    corpus=fuzz/corpus/$target
    artifacts=fuzz/artifacts/$target
    mkdir -p "$corpus" "$artifacts"
    before=$(find "$corpus" -type f | wc -l)
    echo "fuzz: $target for ${FUZZ_SECONDS}s (corpus: $before inputs)"
    status=0
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of libFuzzer flags
    "$bin/$target" "$corpus" -artifact_prefix="$artifacts/" \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb="$FUZZ_RSS_MB" -timeout=10 \
        -print_final_stats=1 $FUZZ_ARGS >"$logs/$target.log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$logs/$target.log" | grep -o '[0-9]*$' || true)
    seconds=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$logs/$target.log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || true)
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        echo "fuzz: $target FAILED (exit $status); the input is in $artifacts/, the log in $logs/$target.log"
        grep -A 3 -m 1 'panicked at' "$logs/$target.log" || tail -n 20 "$logs/$target.log"
    fi
    # Keep the committed corpus small: a minimal set of inputs covering the same edges
    # (hit counts and comparison operands ignored).
    minimal=$(mktemp -d)
    if "$bin/$target" -set_cover_merge=1 -use_counters=0 -rss_limit_mb="$FUZZ_RSS_MB" \
        -timeout=10 "$minimal" "$corpus" >"$logs/$target.merge.log" 2>&1; then
        find "$corpus" -type f -delete
        cp "$minimal"/* "$corpus"/ 2>/dev/null || true
    else
        echo "fuzz: minimising $target failed (see $logs/$target.merge.log); corpus left as is"
    fi
    rm -rf "$minimal"
    after=$(find "$corpus" -type f | wc -l)
    size=$(du -sb "$corpus" | cut -f1)
    summary+=("$(printf '%-12s %6ss %12s runs  corpus %4s -> %4s files (%s bytes)  %s' \
        "$target" "${seconds:-?}" "${runs:-?}" "$before" "$after" "$size" \
        "$([ "$status" -eq 0 ] && echo ok || echo "FAILED")")")
done

echo
echo "fuzz: summary (logs in $logs/)"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: failing targets: ${failed[*]}"
    exit 1
fi
