// Load on the OpenID Provider as it runs locally: the real Worker on workerd behind `wrangler dev`
// (local KV on disk), driven from 127.0.0.1 by autocannon. Bounded: fixed durations for the static
// documents, fixed request counts for the token endpoint; the whole run takes about two minutes.
//
//   node benches/op/load.mjs            (or benches/run.sh, which runs every benchmark)
//
// The Worker is built as tests/e2e/wrangler.mjs builds it, then a copy of worker/build is served
// (`startWrangler` from a temporary copy of tests/e2e/wrangler.mjs whose wrangler.toml has no
// [build] table): in a shared working tree, wrangler's watch on src/ would otherwise rebuild
// and reload the Worker in the middle of a measurement.
//
// What it measures, after a warm-up of each:
//   1. GET /.well-known/openid-configuration
//   2. GET /jwks, also on one connection: the floor under every request (proxy + Worker)
//   3. POST /token, grant_type=authorization_code (PKCE S256, public SPA client): once
//      sequentially (one connection: what one exchange costs on an idle OP) and once under load.
//      Every request carries its own single-use code, minted beforehand through the real flow:
//      one login through the HTML form, then GET /authorize with the session cookie, each with
//      its own PKCE pair, nonce and state (codes live 60 s, so each batch is minted just before
//      it is used).
//   4. POST /token, grant_type=refresh_token: each refresh token of the measured exchanges (scope
//      `openid offline_access`) used exactly once, sequentially and under load.
//
// Correctness comes first: every measured response must be a 200 with the expected body (the
// documents byte for byte as fetched beforehand; the token responses with every token present),
// and after the measurements every ID token and access token issued is verified with `jose`
// against the published JWKS (ES256, issuer, audience and nonce for ID tokens). Any non-2xx,
// socket error, timeout or bad body is counted, reported, and makes the exit status 1. Timing
// is never asserted.
//
// Placement on the 2-CPU machine: wrangler (its Node process, both workerd processes: wrangler's
// proxy in front and the one running the Worker and local KV) is pinned to CPU 1 with
// `taskset -a -p`, this process (autocannon and the minting client) to CPU 0. The pins and the
// share of each CPU used by other processes during each phase are printed with the results.
//
// Latency percentiles come from every response's own time (autocannon's `response` event, in
// fractional ms): autocannon's own histogram has 1 ms resolution. req/s is responses divided by
// the wall time of the run. "OP CPU ms/req" is the user+system CPU time of the whole wrangler
// process tree during the phase divided by the responses (10 ms clock ticks, so it is coarse
// for short phases).
//
// Environment knobs (defaults in brackets): OP_BENCH_CONNECTIONS [10] for the loaded phases,
// OP_BENCH_SECONDS [8] per document phase, OP_BENCH_CODES [2000] codes exchanged under load,
// OP_BENCH_SEQUENTIAL [300] exchanges and refreshes measured on one connection,
// OP_BENCH_WARMUP [100] exchanges and refreshes before the sequential ones, OP_BENCH_TRACE=1
// prints each phase's p50 by tenth of its responses (to see warm-up and drift).

import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import autocannon from 'autocannon';
import * as jose from 'jose';

import { Browser, parseForm } from '../../tests/e2e/browserless.mjs';
import { opFixture } from '../../tests/e2e/fixture.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const intEnv = (name, fallback) => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const CONNECTIONS = intEnv('OP_BENCH_CONNECTIONS', 10);
const DOC_SECONDS = intEnv('OP_BENCH_SECONDS', 8);
const DOC_WARMUP_SECONDS = 3;
const LOADED_CODES = intEnv('OP_BENCH_CODES', 2000);
const SEQUENTIAL = intEnv('OP_BENCH_SEQUENTIAL', 300);
/** Token-endpoint warm-up: requests before each measured token phase. */
const TOKEN_WARMUP = { sequential: intEnv('OP_BENCH_WARMUP', 100), loaded: 400 };
/** Parallel /authorize requests while minting codes. */
const MINT_CONCURRENCY = 8;
/** Codes live 60 s (fixture lifetimes.code); refuse to measure with codes older than this. */
const CODE_MAX_AGE_MS = 50_000;
const SCOPE = 'openid offline_access';
const LOAD_CPU = 0;
const OP_CPU = 1;

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const log = (line) => process.stderr.write(`# ${line}\n`);

// ----------------------------------------------------------------------------------------------
// Processes, pinning and CPU accounting (Linux /proc)

/** pid → ppid for every process. */
function processTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), Number(fields[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  return table;
}

/** Every descendant of `root` (not `root` itself). */
function descendants(root) {
  const table = processTable();
  const out = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift();
    for (const [pid, ppid] of table) {
      if (ppid === parent) {
        out.push(pid);
        queue.push(pid);
      }
    }
  }
  return out;
}

const commandOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(0, 2)
      .map((part) => part.replace(/^.*\//, '')).join(' ');
  } catch {
    return '?';
  }
};

/** The set of CPUs the threads of `pid` may run on, e.g. "1" or "0-1" ("mixed: …" if they differ). */
function affinityOf(pid) {
  const lists = new Set();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      lists.add(status.match(/^Cpus_allowed_list:\s*(\S+)/m)[1]);
    } catch {
      // Thread gone.
    }
  }
  return lists.size === 1 ? [...lists][0] : `mixed: ${[...lists].join(' / ')}`;
}

/** Pins every thread of `pid` to `cpu`; false when taskset is missing or refused. */
function pin(pid, cpu) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** user + system clock ticks of the given processes. */
function processTicks(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    } catch {
      // Gone.
    }
  }
  return ticks;
}

/** Busy and total clock ticks per CPU since boot. */
function cpuTicks() {
  const cpus = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = line.match(/^cpu(\d+)\s+(.*)$/);
    if (!m) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2].split(/\s+/).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    cpus[m[1]] = { busy, iowait, steal, total: busy + idle + iowait };
  }
  return cpus;
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

// ----------------------------------------------------------------------------------------------
// A frozen copy of the built Worker

/**
 * Builds the Worker (scripts/build-worker.sh, as tests/e2e/wrangler.mjs does) and copies what
 * `wrangler dev` needs into a temporary tree: worker/build, worker/wrangler.toml without its
 * [build] table, tests/e2e/wrangler.mjs and scripts/env-file.mjs, with node_modules linked.
 * `startWrangler` from that copy then serves a Worker that cannot change under the benchmark:
 * in the shared working tree, wrangler's watch on src/ rebuilds and reloads the Worker (one run
 * here stalled for 144 s doing so), and other processes rebuild worker/build itself.
 * Returns { dir, wasmSha256, remove() }.
 */
function frozenWorker() {
  const build = spawnSync('sh', [join(ROOT, 'scripts', 'build-worker.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`scripts/build-worker.sh failed:\n${build.stdout}${build.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'oidc-edge-bench-op-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const sha = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
    const files = ['index_bg.wasm', 'index.js', '.fingerprint'];
    let copied = false;
    for (let attempt = 0; attempt < 3 && !copied; attempt++) {
      rmSync(join(dir, 'worker', 'build'), { recursive: true, force: true });
      const before = files.map((f) => sha(join(ROOT, 'worker', 'build', f)));
      cpSync(join(ROOT, 'worker', 'build'), join(dir, 'worker', 'build'), { recursive: true });
      const after = files.map((f) => sha(join(ROOT, 'worker', 'build', f)));
      const copy = files.map((f) => sha(join(dir, 'worker', 'build', f)));
      copied = before.every((h, i) => h === after[i] && h === copy[i]);
    }
    if (!copied) throw new Error('worker/build kept changing while it was copied (a concurrent build?)');
    // wrangler.toml without [build]: no build command, no watch on the sources.
    const toml = readFileSync(join(ROOT, 'worker', 'wrangler.toml'), 'utf8').split('\n');
    const kept = [];
    let inBuild = false;
    for (const line of toml) {
      if (/^\s*\[/.test(line)) inBuild = /^\s*\[build\]\s*$/.test(line);
      if (!inBuild) kept.push(line);
    }
    writeFileSync(join(dir, 'worker', 'wrangler.toml'), kept.join('\n'));
    for (const path of ['tests/e2e/wrangler.mjs', 'scripts/env-file.mjs', 'package.json']) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      cpSync(join(ROOT, path), join(dir, path));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    return { dir, wasmSha256: sha(join(dir, 'worker', 'build', 'index_bg.wasm')), remove };
  } catch (err) {
    remove();
    throw err;
  }
}

// ----------------------------------------------------------------------------------------------
// Statistics

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

// ----------------------------------------------------------------------------------------------

async function main() {
  if (availableParallelism() < 2) log('fewer than 2 CPUs: pinning skipped');

  log('building the Worker if needed (scripts/build-worker.sh) and freezing a copy of worker/build');
  const frozen = frozenWorker();
  const { freePort, startWrangler } = await import(pathToFileURL(join(frozen.dir, 'tests', 'e2e', 'wrangler.mjs')).href);
  log(`Worker under test: index_bg.wasm sha256 ${frozen.wasmSha256.slice(0, 16)}…, copied to ${frozen.dir}`);

  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const fx = await opFixture({ issuer });
  log(`starting wrangler dev on ${issuer}`);
  const startedAt = performance.now();
  let op;
  try {
    op = await startWrangler({ port, secrets: fx.secrets, build: false });
  } catch (err) {
    frozen.remove();
    throw err;
  }
  log(`wrangler dev answered /healthz after ${fmt((performance.now() - startedAt) / 1000, 1)} s`);

  // Pin: the wrangler tree to CPU 1, this process to CPU 0. Children spawned later inherit.
  let pinned = false;
  const opTree = () => descendants(process.pid);
  if (availableParallelism() >= 2) {
    const tree = opTree();
    pinned = tree.length > 0 && tree.every((pid) => pin(pid, OP_CPU)) && pin(process.pid, LOAD_CPU);
  }
  const placement = [
    `load generator: pid ${process.pid} (node) on CPU ${affinityOf(process.pid)}`,
    ...opTree().map((pid) => `OP tree: pid ${pid} (${commandOf(pid)}) on CPU ${affinityOf(pid)}`),
  ];
  for (const line of placement) log(line);
  if (!pinned) log('NOT PINNED: taskset missing, refused, or fewer than 2 CPUs');

  const failures = [];
  const rows = [];
  const phaseNotes = [];

  try {
    // -- Discovery, the JWKS and the session ---------------------------------------------------
    const discoveryRes = await fetch(`${issuer}/.well-known/openid-configuration`);
    const discoveryText = await discoveryRes.text();
    if (discoveryRes.status !== 200) throw new Error(`discovery answered ${discoveryRes.status}: ${discoveryText}`);
    const discovery = JSON.parse(discoveryText);
    const jwksRes = await fetch(`${issuer}/jwks`);
    const jwksText = await jwksRes.text();
    if (jwksRes.status !== 200) throw new Error(`/jwks answered ${jwksRes.status}: ${jwksText}`);
    const jwks = jose.createLocalJWKSet(JSON.parse(jwksText));
    const tokenPath = new URL(discovery.token_endpoint).pathname;
    const authorizePath = new URL(discovery.authorization_endpoint).pathname;

    const browser = new Browser(issuer);
    const authorizeUrl = ({ challenge, state, nonce }) => {
      const url = new URL(authorizePath, issuer);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: fx.spa.clientId,
        redirect_uri: fx.spa.redirectUri,
        scope: SCOPE,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state,
        nonce,
      }).toString();
      return url.href;
    };
    const pkce = () => {
      const verifier = b64url(randomBytes(32));
      return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
    };

    // One login through the real form: from then on /authorize answers 303 with a code.
    {
      // The code of this first round trip is not used: only the session matters.
      const { challenge } = pkce();
      const state = b64url(randomBytes(12));
      const login = await browser.navigate(authorizeUrl({ challenge, state, nonce: b64url(randomBytes(12)) }));
      if (login.res.status !== 200 || new URL(login.url).pathname !== '/login') {
        throw new Error(`expected the login page, got ${login.res.status} at ${login.url}: ${login.html}`);
      }
      const done = await browser.submit(login.url, parseForm(login.html), {
        username: fx.user.username,
        password: fx.user.password,
      });
      if (!done.location?.startsWith(`${fx.spa.redirectUri}?`) || !browser.cookies.has('oe_session')) {
        throw new Error(`login did not end at the client with a session: ${done.res.status} ${done.html ?? done.location}`);
      }
    }

    /** One code through GET /authorize with the session cookie. */
    async function mintOne() {
      const { verifier, challenge } = pkce();
      const state = b64url(randomBytes(12));
      const nonce = b64url(randomBytes(12));
      const res = await browser.fetch(authorizeUrl({ challenge, state, nonce }));
      const body = await res.text();
      const location = res.headers.get('location');
      if (res.status !== 303 || !location?.startsWith(`${fx.spa.redirectUri}?`)) {
        throw new Error(`/authorize with a session: expected a 303 to the client, got ${res.status} ${location ?? ''} ${body.slice(0, 300)}`);
      }
      const params = new URL(location).searchParams;
      if (params.get('state') !== state || !params.get('code') || params.get('iss') !== issuer) {
        throw new Error(`bad authorization response: ${location}`);
      }
      return { code: params.get('code'), verifier, nonce, mintedAt: Date.now() };
    }

    /** `n` codes, `MINT_CONCURRENCY` requests at a time. */
    async function mintCodes(n) {
      const codes = [];
      let started = 0;
      const opBefore = processTicks(opTree());
      const t0 = performance.now();
      const worker = async () => {
        while (started < n) {
          started++;
          codes.push(await mintOne());
        }
      };
      await Promise.all(Array.from({ length: MINT_CONCURRENCY }, worker));
      const seconds = (performance.now() - t0) / 1000;
      const cpuMs = ((processTicks(opTree()) - opBefore) * TICK_MS) / n;
      const line = `minted ${n} codes in ${fmt(seconds, 1)} s: ${fmtInt(n / seconds)} GET /authorize per s with ${MINT_CONCURRENCY} in flight (Node fetch), OP CPU ${fmt(cpuMs)} ms per /authorize`;
      log(line);
      phaseNotes.push(line);
      return codes;
    }

    /**
     * One autocannon run of `requests` (autocannon's format; their `onResponse` hooks check the
     * bodies), bounded by `amount` requests or `duration` seconds. Returns the measured figures.
     */
    async function run({ name, connections, duration, amount, requests, record = true }) {
      const latencies = [];
      // Wall time from the first request sent to the last response received: autocannon ends
      // `amount` runs on its 1 s tick, so its own duration overstates short runs.
      let firstSent = Infinity;
      let lastReceived = -Infinity;
      const cpuBefore = cpuTicks();
      const opBefore = processTicks(opTree());
      const selfBefore = processTicks([process.pid]);
      const t0 = performance.now();
      const instance = autocannon({
        url: issuer,
        connections,
        pipelining: 1,
        timeout: 20,
        ...(amount ? { amount } : { duration }),
        requests,
      });
      instance.on('response', (_client, status, _bytes, ms) => {
        const now = performance.now();
        if (now - ms < firstSent) firstSent = now - ms;
        lastReceived = now;
        if (status >= 200 && status < 300) latencies.push(ms);
      });
      const result = await instance;
      const seconds = lastReceived > firstSent ? (lastReceived - firstSent) / 1000 : (performance.now() - t0) / 1000;
      const cpuAfter = cpuTicks();
      const opTicks = processTicks(opTree()) - opBefore;
      const selfTicks = processTicks([process.pid]) - selfBefore;
      // Drift over the phase (a growing local KV, a throttled CPU): p50 of the first and the
      // last quarter of the responses, in arrival order.
      const quarter = Math.floor(latencies.length / 4);
      const sortedSlice = (from, to) => latencies.slice(from, to).sort((a, b) => a - b);
      const drift = quarter >= 10
        ? [percentile(sortedSlice(0, quarter), 50), percentile(sortedSlice(latencies.length - quarter), 50)]
        : null;
      if (process.env.OP_BENCH_TRACE && latencies.length >= 100) {
        const tenth = Math.floor(latencies.length / 10);
        const series = Array.from({ length: 10 }, (_, i) => fmt(percentile(sortedSlice(i * tenth, (i + 1) * tenth), 50)));
        log(`${name}: p50 by tenth of the responses, in arrival order: ${series.join(' ')} ms`);
      }
      latencies.sort((a, b) => a - b);
      const responses = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
      const non2xx = responses - result['2xx'];
      const figures = {
        name,
        connections,
        responses,
        ok: result['2xx'],
        non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statuses: result.statusCodeStats,
        rps: responses / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        acP50: result.latency.p50,
        acP99: result.latency.p99,
        opCpuMs: (opTicks * TICK_MS) / Math.max(responses, 1),
        seconds,
      };
      const busy = (cpu) => {
        const b = cpuAfter[cpu].busy - cpuBefore[cpu].busy;
        const t = cpuAfter[cpu].total - cpuBefore[cpu].total;
        return t > 0 ? b / t : NaN;
      };
      const totalTicks = (cpuAfter[0].total - cpuBefore[0].total) || 1;
      const share = (cpu, field) => {
        const t = cpuAfter[cpu].total - cpuBefore[cpu].total;
        return t > 0 ? (cpuAfter[cpu][field] - cpuBefore[cpu][field]) / t : NaN;
      };
      figures.cpu = {
        iowait1: cpuAfter[1] ? share(1, 'iowait') : NaN,
        steal1: cpuAfter[1] ? share(1, 'steal') : NaN,
        cpu0: busy(0),
        cpu1: cpuAfter[1] ? busy(1) : NaN,
        self: selfTicks / totalTicks,
        op: opTicks / totalTicks,
      };
      if (record) {
        rows.push(figures);
        if (non2xx || result.errors || result.timeouts) {
          failures.push(`${name}: ${non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} socket errors, ${result.timeouts} timeouts`);
        }
        // With the pins, what CPU 0 did beyond this process and CPU 1 beyond the OP tree is other
        // processes' work (plus interrupts): a phase where that is large is not a clean figure.
        const other0 = Math.max(0, figures.cpu.cpu0 - figures.cpu.self);
        const other1 = Math.max(0, figures.cpu.cpu1 - figures.cpu.op);
        figures.contended = other0 > 0.1 || other1 > 0.1;
        phaseNotes.push(
          `${name}: ${fmt(seconds, 1)} s; CPU 0 busy ${fmt(figures.cpu.cpu0 * 100, 0)}% (this process ${fmt(figures.cpu.self * 100, 0)}%), ` +
            `CPU 1 busy ${fmt(figures.cpu.cpu1 * 100, 0)}% (OP tree ${fmt(figures.cpu.op * 100, 0)}%, ` +
            `iowait ${fmt(figures.cpu.iowait1 * 100, 0)}%, steal ${fmt(figures.cpu.steal1 * 100, 0)}%)` +
            (figures.contended ? ' **CONTENDED: other processes used over 10% of a CPU**' : '') +
            (drift ? `; p50 first/last quarter ${fmt(drift[0])}/${fmt(drift[1])} ms` : '') +
            `; autocannon's own p50/p99 (1 ms resolution): ${figures.acP50}/${figures.acP99} ms`,
        );
      }
      log(`${record ? 'measured' : 'warm-up '} ${name}: ${responses} responses in ${fmt(seconds, 1)} s, ${fmtInt(figures.rps)} req/s, p50 ${fmt(figures.p50)} ms, p99 ${fmt(figures.p99)} ms, non-2xx ${non2xx}, errors ${result.errors + result.timeouts}`);
      return figures;
    }

    // -- 1, 2: the static documents ------------------------------------------------------------
    const documentRequests = (path, expected, label) => {
      let bad = 0;
      return {
        bad: () => bad,
        requests: [
          {
            method: 'GET',
            path,
            onResponse: (status, body) => {
              if (status === 200 && body !== expected) {
                bad++;
                if (bad === 1) failures.push(`${label}: a 200 with a different body: ${body.slice(0, 200)}`);
              }
            },
          },
        ],
      };
    };
    for (const [label, path, text] of [
      ['discovery', new URL(`${issuer}/.well-known/openid-configuration`).pathname, discoveryText],
      ['JWKS', '/jwks', jwksText],
    ]) {
      await run({ name: `${label} (warm-up)`, connections: CONNECTIONS, duration: DOC_WARMUP_SECONDS, requests: documentRequests(path, text, label).requests, record: false });
      const doc = documentRequests(path, text, label);
      await run({ name: `${label}, GET ${path}, ${CONNECTIONS} connections`, connections: CONNECTIONS, duration: DOC_SECONDS, requests: doc.requests });
      if (doc.bad()) failures.push(`${label}: ${doc.bad()} responses with a different body`);
    }
    // The floor under every request: the cheapest document, one request at a time, through
    // wrangler's proxy and the Worker.
    {
      const doc = documentRequests('/jwks', jwksText, 'JWKS');
      await run({ name: 'JWKS, GET /jwks, 1 connection (sequential)', connections: 1, duration: DOC_WARMUP_SECONDS, requests: doc.requests });
      if (doc.bad()) failures.push(`JWKS (sequential): ${doc.bad()} responses with a different body`);
    }

    // -- 3: the code exchange ------------------------------------------------------------------
    const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    /** Issued tokens kept for the verification after the measurements. */
    const issued = [];
    let oldestCodeMs = 0;
    let youngestCodeMs = Infinity;

    /**
     * autocannon requests that each take the next code of `codes`; the refresh token of each
     * good answer goes to `refreshTokens`.
     */
    function exchangeRequests(codes, refreshTokens, label) {
      let next = 0;
      let bad = 0;
      const requests = [
        {
          method: 'POST',
          path: tokenPath,
          headers: formHeaders,
          setupRequest: (req, context) => {
            const item = codes[next++];
            if (!item) throw new Error(`${label}: ran out of codes (harness bug)`);
            oldestCodeMs = Math.max(oldestCodeMs, Date.now() - item.mintedAt);
            youngestCodeMs = Math.min(youngestCodeMs, Date.now() - item.mintedAt);
            context.item = item;
            return {
              ...req,
              body: new URLSearchParams({
                grant_type: 'authorization_code',
                code: item.code,
                redirect_uri: fx.spa.redirectUri,
                client_id: fx.spa.clientId,
                code_verifier: item.verifier,
              }).toString(),
            };
          },
          onResponse: (status, body, context) => {
            if (status !== 200) {
              if (bad++ === 0) failures.push(`${label}: first failure ${status} ${body.slice(0, 300)}`);
              return;
            }
            let json;
            try {
              json = JSON.parse(body);
            } catch {
              json = {};
            }
            if (!json.access_token || !json.id_token || !json.refresh_token || String(json.token_type).toLowerCase() !== 'bearer') {
              if (bad++ === 0) failures.push(`${label}: a 200 without access_token, id_token, refresh_token and token_type bearer: ${body.slice(0, 300)}`);
              return;
            }
            refreshTokens.push(json.refresh_token);
            issued.push({ label, nonce: context.item.nonce, idToken: json.id_token, accessToken: json.access_token });
          },
        },
      ];
      return { requests, used: () => next, bad: () => bad };
    }

    function refreshRequests(tokens, label) {
      let next = 0;
      let bad = 0;
      const successors = [];
      const requests = [
        {
          method: 'POST',
          path: tokenPath,
          headers: formHeaders,
          setupRequest: (req, context) => {
            const token = tokens[next++];
            if (!token) throw new Error(`${label}: ran out of refresh tokens (harness bug)`);
            context.token = token;
            return {
              ...req,
              body: new URLSearchParams({
                grant_type: 'refresh_token',
                refresh_token: token,
                client_id: fx.spa.clientId,
              }).toString(),
            };
          },
          onResponse: (status, body, context) => {
            if (status !== 200) {
              if (bad++ === 0) failures.push(`${label}: first failure ${status} ${body.slice(0, 300)}`);
              return;
            }
            let json;
            try {
              json = JSON.parse(body);
            } catch {
              json = {};
            }
            if (!json.access_token || !json.refresh_token || json.refresh_token === context.token) {
              if (bad++ === 0) failures.push(`${label}: a 200 without access_token and a new refresh_token: ${body.slice(0, 300)}`);
              return;
            }
            successors.push(json.refresh_token);
            issued.push({ label, idToken: json.id_token, accessToken: json.access_token });
          },
        },
      ];
      return { requests, used: () => next, bad: () => bad, successors };
    }

    const mintedCounts = { codes: 0, refreshTokens: 0 };
    const exchangePhase = async (name, codes, connections, record) => {
      const refreshTokens = [];
      const ex = exchangeRequests(codes, refreshTokens, name);
      oldestCodeMs = 0;
      youngestCodeMs = Infinity;
      await run({ name, connections, amount: codes.length, requests: ex.requests, record });
      if (ex.used() !== codes.length) failures.push(`${name}: used ${ex.used()} codes of ${codes.length}`);
      if (ex.bad()) failures.push(`${name}: ${ex.bad()} bad responses`);
      if (oldestCodeMs > CODE_MAX_AGE_MS) failures.push(`${name}: a code was ${oldestCodeMs} ms old when used (lifetime 60 s)`);
      log(`${name}: codes were ${fmt(youngestCodeMs / 1000, 1)}–${fmt(oldestCodeMs / 1000, 1)} s old when exchanged`);
      return refreshTokens;
    };
    const refreshPhase = async (name, tokens, connections, record) => {
      const rf = refreshRequests(tokens, name);
      await run({ name, connections, amount: tokens.length, requests: rf.requests, record });
      if (rf.used() !== tokens.length) failures.push(`${name}: used ${rf.used()} refresh tokens of ${tokens.length}`);
      if (rf.bad()) failures.push(`${name}: ${rf.bad()} bad responses`);
      return rf.successors;
    };

    // Sequential (one connection): what one exchange costs on an otherwise idle OP.
    let codes = await mintCodes(TOKEN_WARMUP.sequential + SEQUENTIAL);
    mintedCounts.codes += codes.length;
    const warmRefresh = await exchangePhase('code exchange (warm-up, 1 connection)', codes.slice(0, TOKEN_WARMUP.sequential), 1, false);
    const seqRefresh = await exchangePhase('code exchange, 1 connection (sequential)', codes.slice(TOKEN_WARMUP.sequential), 1, true);

    // Under load.
    codes = await mintCodes(TOKEN_WARMUP.loaded + LOADED_CODES);
    mintedCounts.codes += codes.length;
    const warmRefresh2 = await exchangePhase(`code exchange (warm-up, ${CONNECTIONS} connections)`, codes.slice(0, TOKEN_WARMUP.loaded), CONNECTIONS, false);
    const loadedRefresh = await exchangePhase(`code exchange, ${CONNECTIONS} connections`, codes.slice(TOKEN_WARMUP.loaded), CONNECTIONS, true);
    mintedCounts.refreshTokens = warmRefresh.length + seqRefresh.length + warmRefresh2.length + loadedRefresh.length;

    // -- 4: refresh ------------------------------------------------------------------------------
    // Warm-up with the refresh tokens of the warm-up exchanges, then each measured token once.
    await refreshPhase('refresh (warm-up, 1 connection)', warmRefresh, 1, false);
    await refreshPhase('refresh, 1 connection (sequential)', seqRefresh, 1, true);
    await refreshPhase(`refresh (warm-up, ${CONNECTIONS} connections)`, warmRefresh2, CONNECTIONS, false);
    await refreshPhase(`refresh, ${CONNECTIONS} connections`, loadedRefresh, CONNECTIONS, true);

    // -- Every token issued, verified -------------------------------------------------------------
    const t0 = performance.now();
    let verified = 0;
    let verifyFailures = 0;
    for (const item of issued) {
      try {
        const access = await jose.jwtVerify(item.accessToken, jwks, { issuer, algorithms: ['ES256'] });
        if (access.payload.sub !== fx.user.sub) throw new Error(`access token sub ${access.payload.sub}`);
        if (item.idToken) {
          const id = await jose.jwtVerify(item.idToken, jwks, { issuer, audience: fx.spa.clientId, algorithms: ['ES256'] });
          if (id.payload.sub !== fx.user.sub) throw new Error(`ID token sub ${id.payload.sub}`);
          if (item.nonce !== undefined && id.payload.nonce !== item.nonce) throw new Error('ID token nonce is not the request\'s');
        }
        verified++;
      } catch (err) {
        if (verifyFailures++ === 0) failures.push(`${item.label}: token verification failed: ${err.message}`);
      }
    }
    if (verifyFailures) failures.push(`${verifyFailures} token responses failed verification`);
    log(`verified ${verified} token responses (every access token and ID token, ES256 against /jwks) in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    // -- Report -----------------------------------------------------------------------------------
    const out = [];
    out.push('');
    out.push(`OpenID Provider on local workerd: \`wrangler dev --log-level warn\` (wrangler's proxy workerd in front of the Worker's workerd), local KV on disk, 127.0.0.1.`);
    out.push(pinned ? `Pinned: wrangler tree on CPU ${OP_CPU}, load generator (autocannon) on CPU ${LOAD_CPU}.` : 'NOT pinned (taskset unavailable or refused): OP and load generator share both CPUs.');
    out.push(`Pre-minted ${mintedCounts.codes} codes (one login through the form, then GET /authorize with the session, one PKCE pair each); ${mintedCounts.refreshTokens} refresh tokens from those exchanges, each used once.`);
    out.push('');
    out.push('| endpoint | connections | req/s | p50 ms | p99 ms | requests | non-2xx | OP CPU ms/req |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const non2xx = r.non2xx + (r.errors || r.timeouts ? ` (+${r.errors} errors, ${r.timeouts} timeouts)` : '');
      out.push(`| ${r.name} | ${r.connections} | ${fmtInt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmtInt(r.responses)} | ${non2xx} | ${fmt(r.opCpuMs)} |`);
    }
    out.push('');
    for (const note of phaseNotes) out.push(`- ${note}`);
    out.push(`- placement: ${placement.join('; ')}`);
    console.log(out.join('\n'));
  } finally {
    await op.stop();
    frozen.remove();
  }

  if (failures.length) {
    console.log('\nFAILURES (correctness, not timing):');
    for (const f of failures) console.log(`- ${f}`);
    process.exitCode = 1;
  } else {
    console.log('\nEvery measured response was a 200 with the expected body; every issued token verified.');
  }
}

await main();
