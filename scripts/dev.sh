#!/usr/bin/env bash
# `make dev`: the OpenID Provider (worker/ under `wrangler dev`, on workerd with local KV) and the
# demo page (www/ and pkg/), both on localhost. Ctrl-C stops both. Offline; no Cloudflare account.
#
#   OIDC_CONFIG         the provider's configuration: JSON (any number of lines) or @path/to/file
#   OIDC_SIGNING_KEYS   its private JWKS, likewise
#   OIDC_SERVER_SECRET  its master secret (base64url) or @path/to/file; any of the three unset:
#                       from worker/.dev.vars, the development defaults (scripts/dev-env.mjs
#                       writes them on first use)
#   OP_PORT             port of the OP        (default 8787)
#   WWW_PORT            port of the demo page (default 5173)
#   DEV_PERSIST_DIR     where local KV is kept (default worker/.wrangler/state); the end-to-end
#                       tests point it at a temporary directory so they never see your state
#
# In order: the configuration is checked (JSON syntax and shape, in well under a second); then
# scripts/setup.sh, the npm package (scripts/build-pkg.sh) and the Worker (scripts/build-worker.sh,
# run by wrangler's [build] step), each skipped when up to date; then both servers. Once the
# Worker answers, its own check of the configuration is asked for (dev-env.mjs probe): if it
# refused it, its message is printed, attributed to the variable, and both servers are stopped.
# Every configuration error is one line.
#
# Nothing secret is written to disk but worker/.dev.vars: wrangler gets the three in its
# environment (worker/wrangler.toml, [secrets]), so there is no temporary file to leave behind
# on any exit path. Nothing goes to the network: wrangler's
# Request.cf download, update check, metrics and error reports are turned off below.
#
# The demo page learns the OP's URL from the page server (GET /config.json). If either server
# dies, the other is stopped and this script exits non-zero.
set -euo pipefail

root=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
op_port=${OP_PORT:-8787}
www_port=${WWW_PORT:-5173}
persist_dir=${DEV_PERSIST_DIR:-$root/worker/.wrangler/state}
[[ $persist_dir == /* ]] || persist_dir=$PWD/$persist_dir # wrangler runs in worker/
wrangler="$root/node_modules/.bin/wrangler"
# A cold build of the Worker takes minutes; wrangler serves once it is done.
ready_timeout=${DEV_READY_TIMEOUT:-900}

say() { printf 'dev: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

for port in "$op_port" "$www_port"; do
    if ! [[ $port =~ ^[0-9]+$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
        die "invalid port: $port"
    fi
done
[[ $op_port != "$www_port" ]] || die "OP_PORT and WWW_PORT are both $op_port"
command -v node >/dev/null 2>&1 || die "node not found (Node 20 or later is needed)"

# The configuration, before anything is installed or built: OIDC_CONFIG, OIDC_SIGNING_KEYS and
# OIDC_SERVER_SECRET, one line each on stdout, or one message on stderr. Kept in these
# variables only.
resolved=$(node "$root/scripts/dev-env.mjs") || exit 1
{ IFS= read -r dev_config && IFS= read -r dev_keys && IFS= read -r dev_secret; } <<<"$resolved" ||
    die "scripts/dev-env.mjs printed less than three lines"
unset resolved

# Exits 0 if something already listens on 127.0.0.1:$1.
port_busy() {
    node -e '
        const s = require("node:net").connect(Number(process.argv[1]), "127.0.0.1");
        s.on("connect", () => process.exit(0)).on("error", () => process.exit(1));
    ' "$1"
}
# Exits 0 if GET $1 answers 200.
answers() {
    node -e '
        fetch(process.argv[1], { signal: AbortSignal.timeout(3000) })
            .then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1));
    ' "$1"
}

for port in "$op_port" "$www_port"; do
    if port_busy "$port"; then
        die "port $port is already in use (another \`make dev\`?); set OP_PORT / WWW_PORT"
    fi
done

bash "$root/scripts/setup.sh"
[[ -x $wrangler ]] || die "wrangler not found in node_modules; run \`make setup\`"
# The demo page loads the npm package from pkg/.
bash "$root/scripts/build-pkg.sh"

# Job control: each server runs in its own process group, so stopping it also stops what it
# started (wrangler's build, both workerd processes) and no workerd is left behind.
set -m
op_pid=
www_pid=

stop_all() {
    local pid pids=()
    for pid in "$op_pid" "$www_pid"; do
        [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && pids+=("$pid")
    done
    ((${#pids[@]})) || return 0
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for _ in {1..50}; do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        ((alive)) || return 0
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}

# shellcheck disable=SC2317 # called from the traps below
on_signal() {
    trap '' INT TERM HUP
    echo >&2
    say "stopping…"
    stop_all
    exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP
trap 'stop_all' EXIT

say "starting the OP (wrangler dev; builds the Worker first, minutes when cold)…"
# The configuration: in wrangler's environment, which binds the [secrets] of wrangler.toml from
# there when given an env file (/dev/null: none, and worker/.dev.vars is not read).
# Offline: no Request.cf download (workers.cloudflare.com/cf.json; the Worker sees miniflare's
# placeholder), no update check (it comes with the banner), no metrics, no error reports.
# The Worker logs a configuration it refuses on every request; `dev-env.mjs probe` reports it
# once, attributed, so that line (and the blank lines after it) is left out of wrangler's stderr.
(
    cd "$root/worker"
    OIDC_CONFIG=$dev_config \
        OIDC_SIGNING_KEYS=$dev_keys \
        OIDC_SERVER_SECRET=$dev_secret \
        CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=true \
        WRANGLER_DISABLE_EXPERIMENTAL_WARNING=1 \
        CLOUDFLARE_CF_FETCH_ENABLED=false \
        WRANGLER_HIDE_BANNER=true \
        WRANGLER_SEND_METRICS=false \
        WRANGLER_SEND_ERROR_REPORTS=false \
        exec "$wrangler" dev \
        --local \
        --env-file /dev/null \
        --ip 127.0.0.1 \
        --port "$op_port" \
        --persist-to "$persist_dir" \
        --show-interactive-dev-session=false \
        </dev/null 2> >(awk '/oidc-edge configuration error:/ { skip = 1; next }
            skip && /^[[:space:]]*$/ { next } { skip = 0; print; fflush() }' >&2)
) &
op_pid=$!
unset dev_config dev_keys dev_secret

op_url="http://localhost:$op_port"
www_url="http://localhost:$www_port/"

node "$root/scripts/serve-www.mjs" "$www_port" "$op_url" </dev/null &
www_pid=$!

# Until both answer. If one dies meanwhile, stop the other and fail.
deadline=$((SECONDS + ready_timeout))
op_ready=0
www_ready=0
until ((op_ready && www_ready)); do
    kill -0 "$op_pid" 2>/dev/null || die "wrangler dev exited before the OP was ready"
    kill -0 "$www_pid" 2>/dev/null || die "the demo page server exited before it was ready"
    ((SECONDS < deadline)) || die "not ready after ${ready_timeout}s (DEV_READY_TIMEOUT)"
    ((op_ready)) || { answers "http://127.0.0.1:$op_port/healthz" && op_ready=1; } || true
    ((www_ready)) || { answers "http://127.0.0.1:$www_port/" && www_ready=1; } || true
    ((op_ready && www_ready)) || sleep 0.5
done

# The provider's own check of the configuration (one line on stderr when it refused it).
node "$root/scripts/dev-env.mjs" probe "http://127.0.0.1:$op_port" || exit 1

cat >&2 <<EOF

  OpenID Provider  $op_url   (health check: $op_url/healthz)
  Demo page        $www_url

  Local KV: $persist_dir. Press Ctrl-C to stop both.

EOF

# Until one of them exits (or a signal arrives and on_signal runs).
status=0
wait -n "$op_pid" "$www_pid" || status=$?
if ! kill -0 "$op_pid" 2>/dev/null; then
    say "wrangler dev exited (status $status); stopping the demo page server"
else
    say "the demo page server exited (status $status); stopping wrangler dev"
fi
stop_all
exit $((status == 0 ? 1 : status))
