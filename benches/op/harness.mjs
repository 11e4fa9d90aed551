// What the benchmarks of an OpenID Provider on local workerd share (load.mjs, stores.mjs,
// signing.mjs, peer.mjs): the frozen copy of a Worker served by `wrangler dev`, the pinning of
// wrangler's process tree to CPU 1 and of this process to CPU 0, the OP's CPU time from /proc,
// one autocannon phase with its figures, phases of form POSTs with a check of every answer, the
// minting of single-use authorization codes, the token requests (code exchange and refresh),
// introspection and revocation on our provider, each with its checks, and the verification of
// issued tokens.
// Each script only says which provider it starts and which phases it runs.
//
// Environment knobs (defaults in brackets), read here so that every script takes the same:
// OP_BENCH_CONNECTIONS [10] for the loaded phases, OP_BENCH_SECONDS [8] per fixed-duration
// phase, OP_BENCH_CODES [2000] codes exchanged under load, OP_BENCH_SEQUENTIAL [300] exchanges
// and refreshes measured on one connection, OP_BENCH_WARMUP [100] exchanges and refreshes
// before the sequential ones, OP_BENCH_TRACE=1 prints each phase's p50 by tenth of its
// responses (to see warm-up and drift), OP_BENCH_DIRECT=1 sends the measured requests of the
// scripts that call `routeDirect` past `wrangler dev`'s proxy (see there).

import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import autocannon from 'autocannon';
import * as jose from 'jose';

import { Browser, parseForm } from '../../tests/e2e/browserless.mjs';
import { opFixture } from '../../tests/e2e/fixture.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const intEnv = (name, fallback) => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
export const CONNECTIONS = intEnv('OP_BENCH_CONNECTIONS', 10);
export const DOC_SECONDS = intEnv('OP_BENCH_SECONDS', 8);
export const DOC_WARMUP_SECONDS = 3;
const LOADED_CODES = intEnv('OP_BENCH_CODES', 2000);
const SEQUENTIAL = intEnv('OP_BENCH_SEQUENTIAL', 300);
/** Token-endpoint warm-up: requests before each measured token phase. */
const TOKEN_WARMUP = { sequential: intEnv('OP_BENCH_WARMUP', 100), loaded: 400 };
/** Parallel /authorize requests while minting codes. */
const MINT_CONCURRENCY = 8;
/** Our codes live 60 s (fixture lifetimes.code); refuse to measure with codes older than this. */
const CODE_MAX_AGE_MS = 50_000;
const SCOPE = 'openid offline_access';
export const LOAD_CPU = 0;
export const OP_CPU = 1;

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
export const log = (line) => process.stderr.write(`# ${line}\n`);

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

/**
 * The OP's processes: everything this process started. Most scripts run one `wrangler dev` at
 * a time and nothing else in the background, so that is wrangler's Node process and both
 * workerd; one that runs several narrows each bench to its own tree (`processesStartedBy`).
 */
const opTree = () => descendants(process.pid);

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
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 'none (exited)';
  }
  for (const tid of tids) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      lists.add(status.match(/^Cpus_allowed_list:\s*(\S+)/m)[1]);
    } catch {
      // Thread gone.
    }
  }
  return lists.size === 1 ? [...lists][0] : `mixed: ${[...lists].join(' / ')}`;
}

/**
 * Pins every thread of `pid` to `cpu`; false when taskset is missing or refused. A process that
 * exited meanwhile counts as pinned: it no longer runs anywhere.
 */
function pin(pid, cpu) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    if (!existsSync(`/proc/${pid}`)) return true;
    log(`taskset could not pin pid ${pid} (${commandOf(pid)}) to CPU ${cpu}`);
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

/**
 * `start()`'s result and `processes()`: the tree of what it started (the processes this one
 * started meanwhile that it did not start before, and every descendant of theirs, read
 * afresh each time, so a process the tree starts later counts too), for a script that keeps
 * several wrangler trees up at once.
 */
export async function processesStartedBy(start) {
  const before = new Set(opTree());
  const result = await start();
  const roots = [...processTable()].filter(([pid, ppid]) => ppid === process.pid && !before.has(pid)).map(([pid]) => pid);
  return { result, processes: () => roots.flatMap((root) => [root, ...descendants(root)]) };
}

/**
 * The TCP ports on which any of `pids` listens (IPv4 and IPv6), read from /proc: a socket is
 * a process's when one of its file descriptors links to the socket's inode.
 */
export function listeningPorts(pids) {
  const inodes = new Set();
  for (const pid of pids) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // Gone meanwhile.
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link.startsWith('socket:[')) inodes.add(link.slice('socket:['.length, -1));
      } catch {
        // Closed meanwhile.
      }
    }
  }
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines = [];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // Field 3 is the state: 0A is LISTEN. Field 1 is local address:port in hex.
      if (fields[3] === '0A' && inodes.has(fields[9])) ports.add(parseInt(fields[1].split(':').pop(), 16));
    }
  }
  return [...ports];
}

/**
 * Whether the machine has the two CPUs the placement needs. Not availableParallelism(): that is
 * this process's affinity, a single CPU once pinned, and a script may start several OPs.
 */
export const enoughCpus = () => cpus().length >= 2;

/**
 * Pins the wrangler tree now running to CPU 1 and this process to CPU 0 (children spawned
 * later inherit), logs where every process may run, and returns { pinned, placement }.
 */
function pinOpTree() {
  let pinned = false;
  if (enoughCpus()) {
    // Every process is pinned even after a failure: one left on CPU 0 would skew every figure.
    const tree = opTree();
    const results = [...tree.map((pid) => pin(pid, OP_CPU)), pin(process.pid, LOAD_CPU)];
    pinned = tree.length > 0 && results.every(Boolean);
  }
  const placement = [
    `load generator: pid ${process.pid} (node) on CPU ${affinityOf(process.pid)}`,
    ...opTree().map((pid) => `OP tree: pid ${pid} (${commandOf(pid)}) on CPU ${affinityOf(pid)}`),
  ];
  for (const line of placement) log(line);
  if (!pinned) log('NOT PINNED: taskset missing, refused, or fewer than 2 CPUs');
  return { pinned, placement };
}

/**
 * `startWrangler(options)` of a frozen tree, then the pins. Returns { op, pinned, placement }:
 * `op` is startWrangler's handle (url, stop()).
 */
export async function startPinned(frozen, options) {
  const { startWrangler } = await frozen.wrangler();
  log(`starting wrangler dev on http://127.0.0.1:${options.port}`);
  const startedAt = performance.now();
  const op = await startWrangler(options);
  log(`wrangler dev answered /healthz after ${fmt((performance.now() - startedAt) / 1000, 1)} s`);
  return { op, ...pinOpTree() };
}

// ----------------------------------------------------------------------------------------------
// Frozen copies of the Workers

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * A temporary tree in which `startWrangler`, imported from its copy of tests/e2e/wrangler.mjs,
 * serves `<tree>/worker`, which `fillWorker(workerDir)` writes: in the shared working tree,
 * wrangler's watch would rebuild and reload a Worker in the middle of a measurement (one run
 * stalled for 144 s doing so), and other processes rebuild worker/build itself. node_modules
 * is linked, so wrangler and the Workers' imports resolve as in the repository.
 * Returns { dir, remove(), wrangler() } (wrangler(): the module's { freePort, startWrangler }).
 */
function freezeTree(fillWorker) {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-edge-bench-op-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    fillWorker(join(dir, 'worker'));
    for (const path of ['tests/e2e/wrangler.mjs', 'scripts/env-file.mjs', 'package.json']) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      cpSync(join(ROOT, path), join(dir, path));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  } catch (err) {
    remove();
    throw err;
  }
  const wrangler = () => import(pathToFileURL(join(dir, 'tests', 'e2e', 'wrangler.mjs')).href);
  return { dir, remove, wrangler };
}

/** worker/build, copied again until the copy and the source agree before and after. */
function copyStableBuild(to) {
  const files = ['index_bg.wasm', 'index.js', '.fingerprint'];
  const from = join(ROOT, 'worker', 'build');
  for (let attempt = 0; attempt < 3; attempt++) {
    rmSync(to, { recursive: true, force: true });
    const before = files.map((f) => sha256(join(from, f)));
    cpSync(from, to, { recursive: true });
    const after = files.map((f) => sha256(join(from, f)));
    const copy = files.map((f) => sha256(join(to, f)));
    if (before.every((h, i) => h === after[i] && h === copy[i])) return;
  }
  throw new Error('worker/build kept changing while it was copied (a concurrent build?)');
}

/** worker/wrangler.toml without its [build] table: no build command, no watch on the sources. */
function tomlWithoutBuild() {
  const kept = [];
  let inBuild = false;
  for (const line of readFileSync(join(ROOT, 'worker', 'wrangler.toml'), 'utf8').split('\n')) {
    if (/^\s*\[/.test(line)) inBuild = /^\s*\[build\]\s*$/.test(line);
    if (!inBuild) kept.push(line);
  }
  return kept.join('\n');
}

/**
 * Our Worker: built by scripts/build-worker.sh (as tests/e2e/wrangler.mjs builds it), then
 * worker/build, worker/entry.js (with the module it imports, worker/src/public-cache.js) and
 * worker/wrangler.toml (without [build]) frozen. Returns freezeTree's handle
 * plus wasmSha256.
 */
export function frozenWorker() {
  buildWorker();
  const frozen = freezeTree((workerDir) => {
    copyStableBuild(join(workerDir, 'build'));
    cpSync(join(ROOT, 'worker', 'entry.js'), join(workerDir, 'entry.js'));
    cpSync(join(ROOT, 'worker', 'src', 'public-cache.js'), join(workerDir, 'src', 'public-cache.js'));
    writeFileSync(join(workerDir, 'wrangler.toml'), tomlWithoutBuild());
  });
  return { ...frozen, wasmSha256: sha256(join(frozen.dir, 'worker', 'build', 'index_bg.wasm')) };
}

/** worker/build brought up to date by scripts/build-worker.sh. */
function buildWorker() {
  const build = spawnSync('sh', [join(ROOT, 'scripts', 'build-worker.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`scripts/build-worker.sh failed:\n${build.stdout}${build.stderr}`);
}

/**
 * A Worker of plain JavaScript in benches/op/<dir> (worker.js, wrangler.toml), frozen the same
 * way; `withBuild`: with the provider's worker/build beside it as build/, for a Worker that
 * imports the provider's module.
 */
export function frozenScriptWorker(dir, { withBuild = false } = {}) {
  if (withBuild) buildWorker();
  return freezeTree((workerDir) => {
    mkdirSync(workerDir, { recursive: true });
    for (const file of ['worker.js', 'wrangler.toml']) {
      cpSync(join(ROOT, 'benches', 'op', dir, file), join(workerDir, file));
    }
    if (withBuild) copyStableBuild(join(workerDir, 'build'));
  });
}

/** The peer Worker of benches/op/peer-worker. */
export const frozenPeerWorker = () => frozenScriptWorker('peer-worker');

/**
 * The commit checked out, and whether the sources the Worker is built from differ from it
 * (others edit the working tree while benchmarks run). Read-only: no index refresh.
 */
export function sourceRevision() {
  const git = (...args) => spawnSync('git', args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
  });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown commit (git failed)';
  const diff = git('diff', '--quiet', 'HEAD', '--', 'src', 'worker/src', 'worker/entry.js', 'Cargo.toml', 'Cargo.lock', 'worker/Cargo.toml');
  return `commit \`${head.stdout.trim()}\`${diff.status === 0 ? '' : ' with uncommitted changes under src/, worker/ or the manifests'}`;
}

// ----------------------------------------------------------------------------------------------
// Statistics

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The middle of `values`: the mean of the two middle ones for an even count. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
/** a / b as "1.23×", or "–". */
export const fmtRatio = (a, b) => (Number.isFinite(a / b) && b !== 0 ? `${fmt(a / b)}×` : '–');

// ----------------------------------------------------------------------------------------------
// Phases

// ----------------------------------------------------------------------------------------------
// Past wrangler's proxy (OP_BENCH_DIRECT=1)
//
// `wrangler dev` runs two workerd. One serves the public port with wrangler's ProxyWorker,
// which is there for live reload (production has nothing like it) and forwards every request
// to the other, where Miniflare's entry worker hands it to the Worker. The proxy copies every
// request and response field once more and rewrites the response's fields
// (`rewriteUrlRelatedHeaders`), so through it each field costs both runtimes, and its own
// work is most of a small request's CPU. Sent past it, a request reaches the second workerd's
// entry socket with the `MF-Original-URL` field the proxy itself sends, so the Worker sees the
// URL it would have seen, and every answer is the one the public URL gives. (The proxy also
// sends a shared secret, with which Miniflare sets `Host` to the public host; without it
// `Host` stays the entry socket's, which neither Worker measured reads.) Only the phases go
// this way: codes and tokens are minted, and notes about minting measured, through the
// public URL. The proxy's workerd, idle then, still counts in the tree's CPU.

export const DIRECT = process.env.OP_BENCH_DIRECT === '1';
/** The field from which Miniflare's entry worker takes the URL the proxy was asked for. */
const ORIGINAL_URL = 'mf-original-url';

/**
 * The origin of the workerd among `pids` (one wrangler tree) that runs the Worker itself: of
 * the ports the tree listens on besides `publicUrl`'s, the one that answers GET `path` as
 * `publicUrl` does, with `expected`.
 */
export async function workerEntry(publicUrl, pids, path, expected) {
  const publicPort = Number(new URL(publicUrl).port);
  const answering = [];
  for (const port of listeningPorts(pids).filter((port) => port !== publicPort)) {
    const origin = `http://127.0.0.1:${port}`;
    try {
      const response = await fetch(`${origin}${path}`, {
        headers: { [ORIGINAL_URL]: `${publicUrl}${path}` },
        signal: AbortSignal.timeout(2_000),
      });
      if (response.status === 200 && (await response.text()) === expected) answering.push(origin);
    } catch {
      // Not an HTTP listener (an inspector, a control socket).
    }
  }
  if (answering.length !== 1) {
    throw new Error(`OP_BENCH_DIRECT: ${answering.length} listeners answer ${path} as ${publicUrl} does, not 1`);
  }
  return answering[0];
}

/**
 * The phases run against one OP (one `wrangler dev`): their figures (`rows`, recorded phases
 * only), the notes printed under the results (CPU use, contention, minting) and the
 * correctness failures. Every phase's OP CPU is the wrangler tree's, read from /proc.
 */
export class Bench {
  /** @param {string} url  the OP's origin, which autocannon targets */
  constructor(url) {
    this.url = url;
    /**
     * The processes whose CPU time is the OP's: everything this process started, unless a
     * script running several wrangler trees at once narrows it to one (`processesStartedBy`).
     */
    this.processes = opTree;
    /** Where autocannon sends the requests, if not to `url` (`routeDirect`). */
    this.entry = null;
    this.rows = [];
    this.notes = [];
    this.failures = [];
  }

  /**
   * One autocannon run of `requests` (autocannon's format; their `onResponse` hooks check the
   * bodies), bounded by `amount` requests or `duration` seconds. Returns the measured figures.
   */
  async run({ name, connections, duration, amount, requests, record = true }) {
    const latencies = [];
    // Wall time from the first request sent to the last response received: autocannon ends
    // `amount` runs on its 1 s tick, so its own duration overstates short runs.
    let firstSent = Infinity;
    let lastReceived = -Infinity;
    const cpuBefore = cpuTicks();
    const opBefore = processTicks(this.processes());
    const selfBefore = processTicks([process.pid]);
    const t0 = performance.now();
    const instance = autocannon({
      url: this.entry ?? this.url,
      connections,
      pipelining: 1,
      timeout: 20,
      ...(amount ? { amount } : { duration }),
      requests: this.entry === null ? requests : requests.map((request) => ({
        ...request,
        headers: { ...request.headers, [ORIGINAL_URL]: `${this.url}${request.path}` },
      })),
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
    const opTicks = processTicks(this.processes()) - opBefore;
    const selfTicks = processTicks([process.pid]) - selfBefore;
    const drift = driftOf(latencies);
    if (process.env.OP_BENCH_TRACE && latencies.length >= 100) {
      const tenth = Math.floor(latencies.length / 10);
      const series = Array.from({ length: 10 }, (_, i) => fmt(medianOf(latencies.slice(i * tenth, (i + 1) * tenth))));
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
      cpu: cpuShares(cpuBefore, cpuAfter, opTicks, selfTicks),
    };
    if (record) this.#record(figures, result, drift);
    log(`${record ? 'measured' : 'warm-up '} ${name}: ${responses} responses in ${fmt(seconds, 1)} s, ${fmtInt(figures.rps)} req/s, p50 ${fmt(figures.p50)} ms, p99 ${fmt(figures.p99)} ms, non-2xx ${non2xx}, errors ${result.errors + result.timeouts}`);
    return figures;
  }

  /** Keeps a measured phase's figures, its failures and its note. */
  #record(figures, result, drift) {
    const { name, seconds, non2xx, cpu } = figures;
    this.rows.push(figures);
    if (non2xx || result.errors || result.timeouts) {
      this.failures.push(`${name}: ${non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} socket errors, ${result.timeouts} timeouts`);
    }
    // With the pins, what CPU 0 did beyond this process and CPU 1 beyond the OP tree is other
    // processes' work (plus interrupts): a phase where that is large is not a clean figure.
    const other0 = Math.max(0, cpu.cpu0 - cpu.self);
    const other1 = Math.max(0, cpu.cpu1 - cpu.op);
    figures.contended = other0 > 0.1 || other1 > 0.1;
    this.notes.push(
      `${name}: ${fmt(seconds, 1)} s; CPU 0 busy ${fmt(cpu.cpu0 * 100, 0)}% (this process ${fmt(cpu.self * 100, 0)}%), ` +
        `CPU 1 busy ${fmt(cpu.cpu1 * 100, 0)}% (OP tree ${fmt(cpu.op * 100, 0)}%, ` +
        `iowait ${fmt(cpu.iowait1 * 100, 0)}%, steal ${fmt(cpu.steal1 * 100, 0)}%)` +
        (figures.contended ? ' **CONTENDED: other processes used over 10% of a CPU**' : '') +
        (drift ? `; p50 first/last quarter ${fmt(drift[0])}/${fmt(drift[1])} ms` : '') +
        `; autocannon's own p50/p99 (1 ms resolution): ${figures.acP50}/${figures.acP99} ms`,
    );
  }

  /**
   * `n` codes from `mintOne()`, `MINT_CONCURRENCY` at a time; the rate and the OP CPU per
   * authorization go to the notes.
   */
  async mintCodes(n, mintOne) {
    const codes = [];
    let started = 0;
    const opBefore = processTicks(this.processes());
    const t0 = performance.now();
    const worker = async () => {
      while (started < n) {
        started++;
        codes.push(await mintOne());
      }
    };
    await Promise.all(Array.from({ length: MINT_CONCURRENCY }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const cpuMs = ((processTicks(this.processes()) - opBefore) * TICK_MS) / n;
    const line = `minted ${n} codes in ${fmt(seconds, 1)} s: ${fmtInt(n / seconds)} GET /authorize per s with ${MINT_CONCURRENCY} in flight (Node fetch), OP CPU ${fmt(cpuMs)} ms per /authorize`;
    log(line);
    this.notes.push(line);
    return codes;
  }
}

function medianOf(values) {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/**
 * Drift over a phase (a growing local KV, a throttled CPU): p50 of the first and the last
 * quarter of the responses, in arrival order; null for short phases.
 */
function driftOf(latencies) {
  const quarter = Math.floor(latencies.length / 4);
  return quarter >= 10 ? [medianOf(latencies.slice(0, quarter)), medianOf(latencies.slice(latencies.length - quarter))] : null;
}

/** How busy each CPU was between two /proc/stat readings, and the shares of this process and the OP. */
function cpuShares(before, after, opTicks, selfTicks) {
  const share = (cpu, field) => {
    const t = after[cpu].total - before[cpu].total;
    return t > 0 ? (after[cpu][field] - before[cpu][field]) / t : NaN;
  };
  const totalTicks = (after[0].total - before[0].total) || 1;
  return {
    iowait1: after[1] ? share(1, 'iowait') : NaN,
    steal1: after[1] ? share(1, 'steal') : NaN,
    cpu0: share(0, 'busy'),
    cpu1: after[1] ? share(1, 'busy') : NaN,
    self: selfTicks / totalTicks,
    op: opTicks / totalTicks,
  };
}

/**
 * autocannon requests for `GET path` whose 200s must pass `check(body)` (null when fine, else
 * what is wrong); the first bad body goes to `failures`, the count is `bad()`.
 */
function checkedGet({ path, headers, label, check, failures }) {
  let bad = 0;
  return {
    bad: () => bad,
    requests: [
      {
        method: 'GET',
        path,
        ...(headers ? { headers } : {}),
        onResponse: (status, body) => {
          if (status !== 200) return; // counted by Bench.run
          const wrong = check(body);
          if (wrong && bad++ === 0) failures.push(`${label}: ${wrong}: ${body.slice(0, 200)}`);
        },
      },
    ],
  };
}

/** `expected`, byte for byte. */
export const sameBody = (expected) => (body) => (body === expected ? null : 'a 200 with a different body');

/** A JSON object whose `sub` is `sub`. */
export const subjectIs = (sub) => (body) => {
  try {
    return JSON.parse(body).sub === sub ? null : `a 200 whose sub is not ${sub}`;
  } catch {
    return 'a 200 that is not JSON';
  }
};

/**
 * A fixed-duration phase of GET `path` on `connections` connections, each 200 checked, after
 * `warmup` seconds of the same (unrecorded; none when 0). Returns the measured figures.
 */
export async function getPhase(bench, { name, label, path, headers, check, connections, duration, warmup = 0 }) {
  const get = () => checkedGet({ path, headers, label, check, failures: bench.failures });
  if (warmup) await bench.run({ name: `${label} (warm-up)`, connections, duration: warmup, requests: get().requests, record: false });
  const measured = get();
  const figures = await bench.run({ name, connections, duration, requests: measured.requests });
  if (measured.bad()) bench.failures.push(`${label}: ${measured.bad()} responses that failed the check`);
  return figures;
}

// ----------------------------------------------------------------------------------------------
// Authorization codes

/** A PKCE S256 pair. */
function pkce() {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

/**
 * What the code and token phases need to know about a provider and its client. `idToken`: the
 * provider answers the code exchange with an ID token (OpenID Connect) as well. `issued`
 * collects every token response, for the verification after the measurements.
 */
export function tokenFlow({ issuer, authorizePath, tokenPath, clientId, redirectUri, idToken }) {
  return { issuer, authorizePath, tokenPath, clientId, redirectUri, idToken, issued: [] };
}

function authorizeUrl(flow, { challenge, state, nonce }) {
  const url = new URL(flow.authorizePath, flow.issuer);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: flow.clientId,
    redirect_uri: flow.redirectUri,
    scope: SCOPE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
  }).toString();
  return url.href;
}

/**
 * One code through GET /authorize, which must answer `status` with a redirect to the client
 * carrying the request's state, a code and the issuer (RFC 9207). `browser` holds the session
 * cookie where the provider wants one. Returns { code, verifier, nonce, mintedAt }.
 */
export async function mintCode(browser, flow, status) {
  const { verifier, challenge } = pkce();
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  const res = await browser.fetch(authorizeUrl(flow, { challenge, state, nonce }));
  const body = await res.text();
  const location = res.headers.get('location');
  if (res.status !== status || !location?.startsWith(`${flow.redirectUri}?`)) {
    throw new Error(`/authorize: expected a ${status} to the client, got ${res.status} ${location ?? ''} ${body.slice(0, 300)}`);
  }
  const params = new URL(location).searchParams;
  if (params.get('state') !== state || !params.get('code') || params.get('iss') !== flow.issuer) {
    throw new Error(`bad authorization response: ${location}`);
  }
  return { code: params.get('code'), verifier, nonce, mintedAt: Date.now() };
}

// ----------------------------------------------------------------------------------------------
// The token endpoint: code exchange and refresh

export const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

const parseJson = (body) => {
  try {
    return JSON.parse(body);
  } catch {
    return {};
  }
};

/**
 * autocannon requests: a POST of a form to `path` per item that `take()` hands out (undefined
 * when it has none left: a harness bug), with the body `formOf(item)` and `headers` (default
 * formHeaders). Each answer goes to `check(status, body, item)`, which returns what is wrong
 * with it or null; the first wrong answer goes to `failures`. `sent()` counts the requests,
 * `bad()` the wrong answers.
 */
function formRequests({ path, headers = formHeaders, take, label, failures, formOf, check }) {
  let sent = 0;
  let bad = 0;
  const requests = [
    {
      method: 'POST',
      path,
      headers,
      setupRequest: (req, context) => {
        const item = take();
        if (item === undefined) throw new Error(`${label}: ran out of items to send (harness bug)`);
        sent++;
        context.item = item;
        return { ...req, body: new URLSearchParams(formOf(item)).toString() };
      },
      onResponse: (status, body, context) => {
        const wrong = check(status, body, context.item);
        if (wrong && bad++ === 0) failures.push(`${label}: first failure: ${wrong}: ${status} ${body.slice(0, 300)}`);
      },
    },
  ];
  return { requests, sent: () => sent, bad: () => bad };
}

/** Hands out `items` in order, starting over at the end; `handedOut` counts every one. */
export function cycleOf(items) {
  if (!items.length) throw new Error('cycleOf: no items');
  const cycle = { items, handedOut: 0, take: () => items[cycle.handedOut++ % items.length] };
  return cycle;
}

/**
 * One phase of form POSTs to `path` on `connections` connections, each answer checked by
 * `check(status, body, item)` (null when right, else what is wrong: any wrong answer fails
 * the run). Either `items`, each sent exactly once (the phase is as long as the list), or
 * `take` with `duration` seconds (e.g. cycleOf(tokens).take). `record: false` for a warm-up.
 * Returns the figures of Bench.run.
 */
export async function formPhase(bench, { name, label = name, path, headers, items, take, duration, formOf, check, connections, record = true }) {
  let next = 0;
  const form = formRequests({
    path,
    headers,
    take: items ? () => items[next++] : take,
    label,
    failures: bench.failures,
    formOf,
    check,
  });
  const figures = await bench.run(items
    ? { name, connections, amount: items.length, requests: form.requests, record }
    : { name, connections, duration, requests: form.requests, record });
  if (items && form.sent() !== items.length) bench.failures.push(`${label}: sent ${form.sent()} of ${items.length}`);
  if (form.bad()) bench.failures.push(`${label}: ${form.bad()} bad responses`);
  return figures;
}

/**
 * A check for formPhase: a 200 whose JSON body `accept(json, item)` finds right (it returns
 * what is wrong, or null).
 */
export const json200 = (accept) => (status, body, item) => {
  if (status !== 200) return 'not a 200';
  return accept(parseJson(body), item);
};

/** A check for formPhase: a 200 with an empty body (RFC 7009 §2.2). */
export const empty200 = (status, body) => (status === 200 && body === '' ? null : 'not a 200 with an empty body');

/**
 * A token-endpoint phase: each of `items` POSTed once, in order, with the body
 * `formOf(item)`; each 200 is handed to `accept(json, item)` (see json200).
 */
function tokenPhase(bench, flow, { name, items, connections, record, formOf, accept }) {
  return formPhase(bench, { name, path: flow.tokenPath, items, connections, record, formOf, check: json200(accept) });
}

/** The token request of a code exchange by the flow's public client (PKCE, no secret). */
export function exchangeForm(flow, { code, verifier }) {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: flow.redirectUri,
    client_id: flow.clientId,
    code_verifier: verifier,
  };
}

/**
 * Exchanges each of `codes` once (authorization_code with its PKCE verifier). Returns the
 * refresh tokens of the good answers.
 */
async function exchangePhase(bench, flow, name, codes, connections, record) {
  const refreshTokens = [];
  const ages = { oldest: 0, youngest: Infinity };
  await tokenPhase(bench, flow, {
    name,
    items: codes,
    connections,
    record,
    formOf: (item) => {
      const age = Date.now() - item.mintedAt;
      ages.oldest = Math.max(ages.oldest, age);
      ages.youngest = Math.min(ages.youngest, age);
      return exchangeForm(flow, item);
    },
    accept: (json, item) => {
      if (!json.access_token || (flow.idToken && !json.id_token) || !json.refresh_token || String(json.token_type).toLowerCase() !== 'bearer') {
        return `a 200 without access_token, ${flow.idToken ? 'id_token, ' : ''}refresh_token and token_type bearer`;
      }
      refreshTokens.push(json.refresh_token);
      flow.issued.push({ label: name, nonce: item.nonce, idToken: json.id_token, accessToken: json.access_token });
      return null;
    },
  });
  if (ages.oldest > CODE_MAX_AGE_MS) bench.failures.push(`${name}: a code was ${ages.oldest} ms old when used (lifetime 60 s)`);
  log(`${name}: codes were ${fmt(ages.youngest / 1000, 1)}–${fmt(ages.oldest / 1000, 1)} s old when exchanged`);
  return refreshTokens;
}

/**
 * Uses each of `tokens` once (refresh_token grant); each answer must rotate it. Returns the
 * successors, { refreshToken, accessToken } per good answer, still unused.
 */
async function refreshPhase(bench, flow, name, tokens, connections, record) {
  const successors = [];
  await tokenPhase(bench, flow, {
    name,
    items: tokens,
    connections,
    record,
    formOf: (token) => ({ grant_type: 'refresh_token', refresh_token: token, client_id: flow.clientId }),
    accept: (json, token) => {
      if (!json.access_token || !json.refresh_token || json.refresh_token === token) {
        return 'a 200 without access_token and a new refresh_token';
      }
      successors.push({ refreshToken: json.refresh_token, accessToken: json.access_token });
      flow.issued.push({ label: name, idToken: json.id_token, accessToken: json.access_token });
      return null;
    },
  });
  return successors;
}

/**
 * The code exchange, warmed up first, on one connection (what one exchange costs on an idle OP)
 * and on CONNECTIONS; codes are minted by `mintOne()` just before each batch (ours live 60 s).
 * Returns the two measured rows (exchange1, exchangeN), how many codes were minted, and the
 * refresh tokens of each batch (warm1, seq, warmN, loaded) for the refresh phases.
 */
export async function exchangePhases(bench, flow, mintOne) {
  const minted = { codes: 0 };
  const mint = async (n) => {
    minted.codes += n;
    return bench.mintCodes(n, mintOne);
  };
  const rows = {};
  const refreshTokens = {};
  const last = () => bench.rows[bench.rows.length - 1];

  let codes = await mint(TOKEN_WARMUP.sequential + SEQUENTIAL);
  refreshTokens.warm1 = await exchangePhase(bench, flow, 'code exchange (warm-up, 1 connection)', codes.slice(0, TOKEN_WARMUP.sequential), 1, false);
  refreshTokens.seq = await exchangePhase(bench, flow, 'code exchange, 1 connection (sequential)', codes.slice(TOKEN_WARMUP.sequential), 1, true);
  rows.exchange1 = last();

  codes = await mint(TOKEN_WARMUP.loaded + LOADED_CODES);
  refreshTokens.warmN = await exchangePhase(bench, flow, `code exchange (warm-up, ${CONNECTIONS} connections)`, codes.slice(0, TOKEN_WARMUP.loaded), CONNECTIONS, false);
  refreshTokens.loaded = await exchangePhase(bench, flow, `code exchange, ${CONNECTIONS} connections`, codes.slice(TOKEN_WARMUP.loaded), CONNECTIONS, true);
  rows.exchangeN = last();
  return { rows, minted, refreshTokens };
}

/**
 * The token phases of every script: exchangePhases, then the refresh of each measured
 * exchange's refresh token once, the same two ways, each warmed up with the refresh tokens of
 * the warm-up exchanges. Returns the four measured rows (exchange1, exchangeN, refresh1,
 * refreshN), how many codes and refresh tokens were used, and the refreshes' successors
 * ({ refreshToken, accessToken }, unused) by batch (warm1, seq, warmN, loaded), e.g. for
 * revocationPhases.
 */
export async function tokenPhases(bench, flow, mintOne) {
  const { rows, minted, refreshTokens: { warm1, seq, warmN, loaded } } = await exchangePhases(bench, flow, mintOne);
  minted.refreshTokens = warm1.length + seq.length + warmN.length + loaded.length;
  const last = () => bench.rows[bench.rows.length - 1];

  const successors = {};
  successors.warm1 = await refreshPhase(bench, flow, 'refresh (warm-up, 1 connection)', warm1, 1, false);
  successors.seq = await refreshPhase(bench, flow, 'refresh, 1 connection (sequential)', seq, 1, true);
  rows.refresh1 = last();
  successors.warmN = await refreshPhase(bench, flow, `refresh (warm-up, ${CONNECTIONS} connections)`, warmN, CONNECTIONS, false);
  successors.loaded = await refreshPhase(bench, flow, `refresh, ${CONNECTIONS} connections`, loaded, CONNECTIONS, true);
  rows.refreshN = last();
  return { rows, minted, successors };
}

// ----------------------------------------------------------------------------------------------
// Our provider

/**
 * Our OP from a frozen worker/build with a fresh configuration (tests/e2e/fixture.mjs) and
 * local state, `vars` passed with `--var`, pinned; then one login through the real HTML form,
 * whose session cookie lets GET /authorize answer every later request with a code. `algs`:
 * one signing key per algorithm, in that order (opFixture's); `spaMetadata`: members added to
 * the SPA client's configuration (e.g. id_token_signed_response_alg).
 * Returns { op, issuer, fx, pinned, placement, bench, flow, endpoints, mintOne, discoveryText,
 * jwksText, jwks } (endpoints: the paths of { introspect, revoke } from discovery).
 */
export async function startOurProvider(frozen, { vars = {}, algs = ['ES256'], spaMetadata = {} } = {}) {
  const { freePort } = await frozen.wrangler();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const fx = await opFixture({ issuer, algs });
  Object.assign(fx.config.clients.find((client) => client.client_id === fx.spa.clientId), spaMetadata);
  // The Worker reads the configuration from the secret, serialised before the change.
  fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
  const { op, pinned, placement } = await startPinned(frozen, { port, secrets: fx.secrets, vars, build: false });
  try {
    const discoveryText = await fetchText(`${issuer}/.well-known/openid-configuration`, 'discovery');
    const discovery = JSON.parse(discoveryText);
    const jwksText = await fetchText(`${issuer}/jwks`, '/jwks');
    const flow = tokenFlow({
      issuer,
      authorizePath: new URL(discovery.authorization_endpoint).pathname,
      tokenPath: new URL(discovery.token_endpoint).pathname,
      clientId: fx.spa.clientId,
      redirectUri: fx.spa.redirectUri,
      idToken: true,
    });
    const endpoints = {};
    for (const [name, member] of [['introspect', 'introspection_endpoint'], ['revoke', 'revocation_endpoint']]) {
      if (!discovery[member]) throw new Error(`discovery has no ${member}`);
      endpoints[name] = new URL(discovery[member]).pathname;
    }
    const browser = new Browser(issuer);
    await logIn(browser, flow, fx.user);
    return {
      op, issuer, fx, pinned, placement, flow, endpoints, discoveryText, jwksText,
      bench: new Bench(issuer),
      jwks: jose.createLocalJWKSet(JSON.parse(jwksText)),
      // With the session, /authorize answers 303 to the client at once.
      mintOne: () => mintCode(browser, flow, 303),
    };
  } catch (err) {
    await op.stop();
    throw err;
  }
}

/** The body of a GET that must answer 200. */
export async function fetchText(url, what) {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${what} answered ${res.status}: ${text}`);
  return text;
}

/** One login through our HTML form: from then on /authorize answers 303 with a code. */
async function logIn(browser, flow, user) {
  // The code of this first round trip is not used: only the session matters.
  const { challenge } = pkce();
  const login = await browser.navigate(authorizeUrl(flow, { challenge, state: b64url(randomBytes(12)), nonce: b64url(randomBytes(12)) }));
  if (login.res.status !== 200 || new URL(login.url).pathname !== '/login') {
    throw new Error(`expected the login page, got ${login.res.status} at ${login.url}: ${login.html}`);
  }
  const done = await browser.submit(login.url, parseForm(login.html), { username: user.username, password: user.password });
  if (!done.location?.startsWith(`${flow.redirectUri}?`) || !browser.cookies.has('oe_session')) {
    throw new Error(`login did not end at the client with a session: ${done.res.status} ${done.html ?? done.location}`);
  }
}

/**
 * Verifies with `jose` every access token and ID token our OP issued in `ours.flow.issued`
 * (signed with one of the algorithms of the configured keys, against /jwks, issuer; audience
 * and nonce for ID tokens, subject for both); failures go to the bench's. Returns the number
 * verified and the algorithms seen in the headers: { verified, accessTokenAlgs, idTokenAlgs }.
 */
export async function verifyOurTokens(ours) {
  const { flow, jwks, issuer, fx, bench } = ours;
  const algorithms = [...new Set(fx.publicJwks.map((jwk) => jwk.alg))];
  const accessTokenAlgs = new Set();
  const idTokenAlgs = new Set();
  const t0 = performance.now();
  let verified = 0;
  let verifyFailures = 0;
  for (const item of flow.issued) {
    try {
      const access = await jose.jwtVerify(item.accessToken, jwks, { issuer, algorithms });
      if (access.payload.sub !== fx.user.sub) throw new Error(`access token sub ${access.payload.sub}`);
      accessTokenAlgs.add(access.protectedHeader.alg);
      if (item.idToken) {
        const id = await jose.jwtVerify(item.idToken, jwks, { issuer, audience: fx.spa.clientId, algorithms });
        if (id.payload.sub !== fx.user.sub) throw new Error(`ID token sub ${id.payload.sub}`);
        if (item.nonce !== undefined && id.payload.nonce !== item.nonce) throw new Error('ID token nonce is not the request\'s');
        idTokenAlgs.add(id.protectedHeader.alg);
      }
      verified++;
    } catch (err) {
      if (verifyFailures++ === 0) bench.failures.push(`${item.label}: token verification failed: ${err.message}`);
    }
  }
  if (verifyFailures) bench.failures.push(`${verifyFailures} token responses failed verification`);
  log(`verified ${verified} token responses (every access token and ID token, ${algorithms.join(' or ')} against /jwks) in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  return { verified, accessTokenAlgs, idTokenAlgs };
}

// ----------------------------------------------------------------------------------------------
// Introspection (RFC 7662) and revocation (RFC 7009) on our provider

/**
 * How many checked access tokens our provider remembers (MAX_CHECKED_ACCESS_TOKENS in
 * src/op/provider.rs; the cache empties when full). An introspection of a token checked
 * within the last this-many misses skips the signature check, so the introspection phases
 * cycle through more distinct tokens than this.
 */
const OP_CHECKED_TOKEN_CACHE = 1024;

/** `Authorization: Basic` of a client_secret_basic client: id and secret each form-urlencoded (RFC 6749 §2.3.1). */
export function basicAuthorization(clientId, secret) {
  const encode = (value) => new URLSearchParams([['', value]]).toString().slice(1);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** The headers of a POST to /introspect by the fixture's confidential `service` client. */
const serviceHeaders = (fx) => ({ ...formHeaders, authorization: basicAuthorization(fx.service.clientId, fx.service.secret) });

/** One POST of a form from outside the measurements: { status, text, json }. */
async function postForm(url, form, headers = formHeaders) {
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const text = await res.text();
  return { status: res.status, text, json: parseJson(text) };
}

/**
 * Introspection of the access tokens `ours.flow` was issued, by the service client (HTTP
 * Basic), each answer a 200 `{"active": true, ...}` with the user's sub, the SPA's client_id
 * and our issuer: `warmup` seconds (unrecorded) then `seconds` on CONNECTIONS, then
 * `sequentialSeconds` on one connection. The three phases hand out the tokens in turn from
 * one cycle through all of them (order of issue), so a token comes back only after every other
 * one; the count of distinct tokens and requests goes to the notes. Run it before anything is
 * revoked. Returns the measured rows { introspectN, introspect1 }.
 */
export async function introspectionPhases(ours, { seconds, warmup, sequentialSeconds }) {
  const { bench, flow, fx, issuer, endpoints } = ours;
  const tokens = flow.issued.map((item) => item.accessToken);
  const cycle = cycleOf(tokens);
  const check = json200((json) => (json.active === true && json.sub === fx.user.sub && json.client_id === flow.clientId && json.iss === issuer
    ? null
    : `not {"active": true} with sub ${fx.user.sub}, client_id ${flow.clientId} and iss ${issuer}`));
  const phase = (name, connections, duration, record) => formPhase(bench, {
    name, path: endpoints.introspect, headers: serviceHeaders(fx), take: cycle.take, duration, connections, record,
    formOf: (token) => ({ token }), check,
  });
  const rows = {};
  if (warmup) await phase(`introspection (warm-up, ${CONNECTIONS} connections)`, CONNECTIONS, warmup, false);
  rows.introspectN = await phase(`introspection, POST ${endpoints.introspect} (client_secret_basic), ${CONNECTIONS} connections`, CONNECTIONS, seconds, true);
  rows.introspect1 = await phase(`introspection, POST ${endpoints.introspect} (client_secret_basic), 1 connection (sequential)`, 1, sequentialSeconds, true);
  const line = `introspection: ${fmtInt(cycle.handedOut)} requests (warm-up included) over ${fmtInt(tokens.length)} distinct access tokens in order of issue ` +
    `(${fmt(cycle.handedOut / tokens.length)} passes); ` +
    (tokens.length > OP_CHECKED_TOKEN_CACHE
      ? `more than the ${fmtInt(OP_CHECKED_TOKEN_CACHE)} checked tokens the OP remembers, so none was answered from that cache`
      : `**no more than the ${fmtInt(OP_CHECKED_TOKEN_CACHE)} checked tokens the OP remembers: repeats may have been answered from that cache**`);
  log(line);
  bench.notes.push(line);
  return rows;
}

/**
 * Revocation by the SPA (public client: `token`, `token_type_hint` refresh_token and
 * `client_id`) of refresh tokens still unused, each once, every answer a 200 with an empty
 * body: the successors of tokenPhases (`successors`), warm1 then seq on one connection, warmN
 * then loaded on CONNECTIONS (the warm-up batches unrecorded). Then a sample of `sample`
 * revoked tokens, spread over all of them, is checked outside the measurements: the refresh
 * token gets invalid_grant at the token endpoint, and the access token issued with it, and the
 * refresh token itself, are `{"active": false}` at /introspect. Returns the measured rows
 * { revoke1, revokeN } and { revoked, sampled }.
 */
export async function revocationPhases(ours, successors, { sample = 20 } = {}) {
  const { bench, flow, fx, endpoints, issuer } = ours;
  const phase = (name, items, connections, record) => formPhase(bench, {
    name, path: endpoints.revoke, items, connections, record,
    formOf: ({ refreshToken }) => ({ token: refreshToken, token_type_hint: 'refresh_token', client_id: flow.clientId }),
    check: empty200,
  });
  const what = `revocation, POST ${endpoints.revoke} (refresh token, public client)`;
  const rows = {};
  await phase(`revocation (warm-up, 1 connection)`, successors.warm1, 1, false);
  rows.revoke1 = await phase(`${what}, 1 connection (sequential)`, successors.seq, 1, true);
  await phase(`revocation (warm-up, ${CONNECTIONS} connections)`, successors.warmN, CONNECTIONS, false);
  rows.revokeN = await phase(`${what}, ${CONNECTIONS} connections`, successors.loaded, CONNECTIONS, true);

  const revoked = [...successors.warm1, ...successors.seq, ...successors.warmN, ...successors.loaded];
  const picks = [...new Set(Array.from({ length: Math.min(sample, revoked.length) }, (_, i) => Math.floor((i * revoked.length) / Math.min(sample, revoked.length))))];
  const t0 = performance.now();
  let wrong = 0;
  const fail = (what) => {
    if (wrong++ === 0) bench.failures.push(`after revocation: ${what}`);
  };
  for (const i of picks) {
    const { refreshToken, accessToken } = revoked[i];
    const refresh = await postForm(new URL(flow.tokenPath, issuer), { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: flow.clientId });
    if (refresh.status !== 400 || refresh.json.error !== 'invalid_grant') fail(`revoked refresh token #${i} at the token endpoint: ${refresh.status} ${refresh.text.slice(0, 300)}`);
    for (const [kind, token] of [['access token', accessToken], ['refresh token', refreshToken]]) {
      const answer = await postForm(new URL(endpoints.introspect, issuer), { token }, serviceHeaders(fx));
      if (answer.status !== 200 || answer.json.active !== false || Object.keys(answer.json).length !== 1) {
        fail(`the ${kind} of revoked refresh token #${i} at /introspect: ${answer.status} ${answer.text.slice(0, 300)}`);
      }
    }
  }
  if (wrong) bench.failures.push(`after revocation: ${wrong} wrong answers for ${picks.length} revoked refresh tokens`);
  const line = `revocation: ${fmtInt(revoked.length)} refresh tokens revoked once each (warm-up included); ${picks.length} of them then checked: ` +
    `invalid_grant at the token endpoint, access token and refresh token {"active": false} at /introspect (${fmt((performance.now() - t0) / 1000, 1)} s)`;
  log(line);
  bench.notes.push(line);
  return { rows, revoked: revoked.length, sampled: picks.length };
}

// ----------------------------------------------------------------------------------------------
// Report

/** The bench's notes and the placement, as list items. */
export function noteLines(bench, placement, prefix = '') {
  return [...bench.notes.map((note) => `- ${prefix}${note}`), `- ${prefix}placement: ${placement.join('; ')}`];
}

/** Prints the failures, or the all-good line, and sets the exit status. */
export function reportFailures(failures, allGood) {
  if (failures.length) {
    console.log('\nFAILURES (correctness, not timing):');
    for (const f of failures) console.log(`- ${f}`);
    process.exitCode = 1;
  } else {
    console.log(`\n${allGood}`);
  }
}
