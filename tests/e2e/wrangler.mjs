// Starts the Worker (worker/) under `wrangler dev` on workerd for end-to-end tests.
//
//   const op = await startWrangler();   // { url, stop() }
//   await fetch(`${op.url}/healthz`);
//   await op.stop();
//
// Each instance gets a free localhost port and its own temporary `--persist-to` directory, so
// tests never share KV state. The Worker is built first (scripts/build-worker.sh, no time limit:
// a cold build takes minutes); wrangler's own [build] step then finds it up to date. Startup is
// bounded by `timeoutMs`; on failure the error carries wrangler's output.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { envLine } from '../../scripts/env-file.mjs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKER_DIR = join(ROOT, 'worker');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
const OUTPUT_LIMIT = 64 * 1024;

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Builds the Worker once per process (skipped when `build: false`). */
let built = false;
function buildWorker() {
  if (built) return;
  const result = spawnSync('sh', [join(ROOT, 'scripts', 'build-worker.sh')], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    throw new Error(
      `scripts/build-worker.sh failed (${result.error?.message ?? `exit ${result.status}`}):\n` +
        `${result.stdout}${result.stderr}`,
    );
  }
  built = true;
}

/**
 * Starts `wrangler dev` for worker/ and resolves once `/healthz` answers 200.
 *
 * @param {object} [options]
 * @param {number} [options.port]       port to listen on (default: a free one)
 * @param {number} [options.timeoutMs]  startup limit after the build (default 120 s)
 * @param {boolean} [options.build]     run scripts/build-worker.sh first (default true)
 * @param {string} [options.workerDir]  the directory whose wrangler.toml is run (default
 *   worker/; a test Worker that wraps the provider names its own)
 * @param {Record<string,string>} [options.vars]  `--var NAME:VALUE` pairs for the Worker
 * @param {Record<string,string>} [options.secrets]  bindings written to a private env file
 *   (`--env-file`), e.g. OIDC_CONFIG and OIDC_SIGNING_KEYS; worker/.dev.vars is never read
 * @param {Record<string,string>} [options.env]   extra environment for wrangler
 * @param {string} [options.logLevel]  wrangler's `--log-level` (default `warn`: the Worker's
 *   errors and warnings; `log` adds its `console.log` lines, such as a delivered POST's)
 * @returns {Promise<{ url: string, port: number, persistDir: string, output: () => string, stop: () => Promise<void> }>}
 */
/**
 * Keeps the last 64 KiB of a spawned child's stdout and stderr (`output`), calls
 * `onOutput` after each chunk, and records its exit (`exited`, and `exit`, a promise of
 * `{ code, signal }`). A failure to spawn is appended to the output as `spawn <what> failed`.
 */
export function watchChild(child, what) {
  const watched = { output: '', onOutput: () => {}, exited: false, exit: null };
  const collect = (chunk) => {
    watched.output += chunk;
    if (watched.output.length > OUTPUT_LIMIT) watched.output = watched.output.slice(-OUTPUT_LIMIT);
    watched.onOutput();
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  watched.exit = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      watched.exited = true;
      resolveExit({ code, signal });
    });
  });
  child.on('error', (err) => collect(`\nspawn ${what} failed: ${err.message}\n`));
  return watched;
}

export async function startWrangler(options = {}) {
  const { timeoutMs = 120_000, build = true, vars = {}, env = {}, secrets = {}, logLevel = 'warn' } = options;
  if (build) buildWorker();
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  const persistDir = mkdtempSync(join(tmpdir(), 'oidc-edge-e2e-'));
  const url = `http://127.0.0.1:${port}`;

  const args = [
    'dev',
    '--local',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--inspector-port', String(inspectorPort),
    '--persist-to', persistDir,
    '--log-level', logLevel,
    '--show-interactive-dev-session=false',
  ];
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  // Always an env file, even an empty one: it keeps wrangler from loading the developer's
  // worker/.dev.vars, so tests see only the configuration they chose.
  const envFile = join(persistDir, 'worker.env');
  writeFileSync(envFile, Object.entries(secrets).map(([n, v]) => envLine(n, v)).join(''), { mode: 0o600 });
  args.push('--env-file', envFile);

  const child = spawn(WRANGLER, args, {
    cwd: options.workerDir ?? WORKER_DIR,
    // Own process group: stop() signals wrangler, its build and both workerd processes at once.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      // wrangler prefers OIDC_* from its own environment over the env file: drop them.
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OIDC_'))),
      // Offline, as scripts/dev.sh runs it: no cf.json download, update check or reports.
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_SEND_ERROR_REPORTS: 'false',
      WRANGLER_HIDE_BANNER: 'true',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_LOG_PATH: join(persistDir, 'logs'),
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      ...env,
    },
  });

  const watched = watchChild(child, WRANGLER);
  const { exit } = watched;

  // Never leave workerd behind, even if the test process exits without calling stop().
  const killGroup = (signal) => {
    if (watched.exited) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.on('exit', onExit);

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
      // workerd children may outlive wrangler for a moment: finish the group off.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Group already empty.
      }
      process.off('exit', onExit);
      rmSync(persistDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (true) {
    if (watched.exited) {
      await stop();
      const { code, signal } = await exit;
      throw new Error(`wrangler dev exited early (${signal ?? `code ${code}`}):\n${watched.output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `wrangler dev did not answer ${url}/healthz within ${timeoutMs / 1000} s (${lastError}):\n${watched.output}`,
      );
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err.cause?.code ?? err.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return { url, port, persistDir, output: () => watched.output, stop };
}
