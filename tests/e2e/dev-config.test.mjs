// `make dev` with an operator's own configuration (scripts/dev.sh, scripts/dev-env.mjs):
// OIDC_CONFIG / OIDC_SIGNING_KEYS as multi-line JSON or `@file` (and OIDC_SERVER_SECRET); a mistake is one line naming
// the variable and the field, found before anything is built (JSON syntax and shape) or by the
// Worker at start (the provider's own check); no secret is written to a file, so nothing is
// left behind on any exit path; and a start with nothing changed rebuilds nothing.
//
//   node --test tests/e2e/dev-config.test.mjs
//
// Two real starts of dev.sh (wrangler dev and the page server); the other cases stop before
// anything starts. Times are reported as diagnostics, never asserted.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { sessionProcesses, startDev } from './dev-servers.mjs';
import { opFixture } from './fixture.mjs';
import { ROOT, freePort, watchChild } from './wrangler.mjs';

const DEV_VARS = join(ROOT, 'worker', '.dev.vars');

/** The environment for dev.sh: the caller's without OIDC_*, plus `env`. */
function devEnv(env) {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OIDC_'))),
    WRANGLER_SEND_METRICS: 'false',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    ...env,
  };
}

/**
 * Runs dev.sh to its end (for starts that must fail), with its KV state and wrangler's logs in
 * a new temporary directory: { code, output, stderr, ms, leftovers, persistDir }.
 */
const runDirs = [];
async function runDev(env) {
  const persistDir = mkdtempSync(join(tmpdir(), 'oidc-edge-dev-config-run-'));
  runDirs.push(persistDir);
  const started = Date.now();
  const child = spawn('bash', [join(ROOT, 'scripts', 'dev.sh')], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: devEnv({
      OP_PORT: String(await freePort()),
      WWW_PORT: String(await freePort()),
      DEV_PERSIST_DIR: join(persistDir, 'kv'),
      WRANGLER_LOG_PATH: join(persistDir, 'logs'),
      ...env,
    }),
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const watched = watchChild(child, 'bash scripts/dev.sh');
  const guard = setTimeout(() => child.kill('SIGKILL'), 900_000); // a cold build, at worst
  const { code } = await watched.exit;
  clearTimeout(guard);
  const ms = Date.now() - started;
  // Whatever dev.sh started must be gone with it.
  let leftovers = sessionProcesses(child.pid);
  for (let i = 0; i < 50 && leftovers.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    leftovers = sessionProcesses(child.pid);
  }
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return { code, output: watched.output, stderr, ms, leftovers, persistDir };
}

/**
 * Files under `dir` (recursively, symlinks not followed) whose content includes `needle`, of
 * those modified since `since` (ms; default: all).
 */
function filesHolding(dir, needle, skip = [], since = 0) {
  const found = [];
  const walk = (path, depth) => {
    if (skip.includes(path) || depth > 12) return;
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return; // unreadable or gone
    }
    for (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child, depth + 1);
      else if (entry.isFile()) {
        try {
          const { size, mtimeMs } = statSync(child);
          if (size > 16 * 1024 * 1024 || mtimeMs < since) continue;
          if (readFileSync(child).includes(needle)) found.push(child);
        } catch {
          // unreadable or gone
        }
      }
    }
  };
  walk(dir, 0);
  return found;
}

const testsStarted = Date.now() - 1000;

/**
 * Where a secret of `make dev` could land: files written since these tests started in the
 * temporary directory (but `skip`, the operator's own files) and in worker/ (wrangler's state
 * and bundles).
 */
function secretCopies(needle, skip) {
  const builds = [join(ROOT, 'worker', 'build'), join(ROOT, 'worker', 'target')];
  return [tmpdir(), join(ROOT, 'worker')].flatMap((dir) => filesHolding(dir, needle, [...skip, ...builds], testsStarted));
}

const oneLine = (text) => text.trim().split('\n').filter((line) => line.trim() !== '');

describe('make dev with your own configuration', () => {
  let opPort;
  let wwwPort;
  let fx; // fixture: config and keys for an OP on opPort
  let work; // the operator's files (config.json, keys.json), and the tests' state
  let devVarsBefore;
  let serverSecret; // every start gets all three variables, so worker/.dev.vars is not read

  before(async () => {
    opPort = await freePort();
    wwwPort = await freePort();
    fx = await opFixture({ issuer: `http://localhost:${opPort}`, spaOrigin: `http://localhost:${wwwPort}` });
    work = mkdtempSync(join(tmpdir(), 'oidc-edge-dev-config-'));
    // The way people write them: indented, several lines.
    writeFileSync(join(work, 'keys.json'), JSON.stringify(JSON.parse(fx.secrets.OIDC_SIGNING_KEYS), null, 2));
    devVarsBefore = existsSync(DEV_VARS) ? statSync(DEV_VARS).mtimeMs : null;
    serverSecret = fx.secrets.OIDC_SERVER_SECRET ?? randomBytes(32).toString('base64url');
  });
  after(() => {
    for (const dir of [work, ...runDirs]) rmSync(dir, { recursive: true, force: true });
  });

  test('a syntax error fails before any build: one line, the variable, line and column', async (t) => {
    const broken = JSON.stringify(fx.config, null, 2).replace('"clients": [', '"clients" [');
    const run = await runDev({ OIDC_SERVER_SECRET: serverSecret, OIDC_CONFIG: broken, OIDC_SIGNING_KEYS: `@${join(work, 'keys.json')}` });
    t.diagnostic(`dev.sh exited after ${run.ms} ms`);
    assert.equal(run.code, 1);
    assert.deepEqual(oneLine(run.output), oneLine(run.stderr), 'nothing on stdout');
    const lines = oneLine(run.stderr);
    assert.equal(lines.length, 1, run.output);
    assert.match(lines[0], /^dev: OIDC_CONFIG: not valid JSON: line 3, column 13: expected ':' after the member name, found "\["$/);
    assert.deepEqual(run.leftovers, []);
  });

  test('a wrong type names the field and the file, and stops before any build', async (t) => {
    const config = { ...fx.config, users: { demo: fx.config.users[0] } };
    const file = join(work, 'config-bad.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const run = await runDev({ OIDC_SERVER_SECRET: serverSecret, OIDC_CONFIG: `@${file}`, OIDC_SIGNING_KEYS: fx.secrets.OIDC_SIGNING_KEYS });
    t.diagnostic(`dev.sh exited after ${run.ms} ms`);
    assert.equal(run.code, 1);
    assert.deepEqual(oneLine(run.output), [`dev: OIDC_CONFIG.users: must be an array, not an object (in ${file})`]);
    assert.doesNotMatch(run.output, /build-pkg|build-worker|setup:/);
  });

  test('a public key as OIDC_SIGNING_KEYS, a short OIDC_SERVER_SECRET, a missing @file: one line each', async () => {
    const { d, ...publicJwk } = JSON.parse(fx.secrets.OIDC_SIGNING_KEYS).keys[0];
    assert.ok(d);
    let run = await runDev({ OIDC_SERVER_SECRET: serverSecret, OIDC_CONFIG: fx.secrets.OIDC_CONFIG, OIDC_SIGNING_KEYS: JSON.stringify({ keys: [publicJwk] }) });
    assert.equal(run.code, 1);
    assert.match(run.output, /^dev: OIDC_SIGNING_KEYS\.keys\[0\]\.d: is required/);
    assert.equal(oneLine(run.output).length, 1, run.output);

    run = await runDev({ OIDC_SERVER_SECRET: 'c2hvcnQ', OIDC_CONFIG: fx.secrets.OIDC_CONFIG, OIDC_SIGNING_KEYS: fx.secrets.OIDC_SIGNING_KEYS });
    assert.equal(run.code, 1);
    assert.deepEqual(oneLine(run.output), ['dev: OIDC_SERVER_SECRET: must be 32 to 64 random bytes as unpadded base64url (make one with `cargo run -- server-secret`)']);

    run = await runDev({ OIDC_SERVER_SECRET: serverSecret, OIDC_CONFIG: `@${join(work, 'no-such.json')}`, OIDC_SIGNING_KEYS: fx.secrets.OIDC_SIGNING_KEYS });
    assert.equal(run.code, 1);
    assert.deepEqual(oneLine(run.output), [`dev: OIDC_CONFIG=@${join(work, 'no-such.json')}: cannot read ${join(work, 'no-such.json')}: no such file`]);
  });

  test('a multi-line OIDC_CONFIG and an @file OIDC_SIGNING_KEYS start; no secret in a file; SIGTERM stops all', async (t) => {
    const started = Date.now();
    const dev = await startDev({
      opPort,
      wwwPort,
      env: {
        OIDC_CONFIG: JSON.stringify(fx.config, null, 2),
        OIDC_SIGNING_KEYS: `@${join(work, 'keys.json')}`,
        OIDC_SERVER_SECRET: serverSecret,
      },
    });
    t.diagnostic(`ready after ${Date.now() - started} ms`);
    let left;
    try {
      const res = await fetch(`${dev.opUrl}/.well-known/openid-configuration`);
      assert.equal(res.status, 200);
      assert.equal((await res.json()).issuer, `http://localhost:${opPort}`);
      const jwks = await (await fetch(`${dev.opUrl}/jwks`)).json();
      assert.deepEqual(jwks.keys.map((k) => k.kid), [fx.publicJwk.kid]);
      // The private key is in the operator's file and in no other file, while it runs.
      const d = JSON.parse(fx.secrets.OIDC_SIGNING_KEYS).keys[0].d;
      assert.deepEqual(secretCopies(d, [work]), []);
      assert.deepEqual(filesHolding(dev.persistDir, d), [], 'KV state and wrangler logs');
    } finally {
      left = await dev.stop(); // SIGTERM to dev.sh
    }
    assert.deepEqual(left, []);
    const d = JSON.parse(fx.secrets.OIDC_SIGNING_KEYS).keys[0].d;
    assert.deepEqual(secretCopies(d, [work]), []);
    assert.equal(existsSync(DEV_VARS) ? statSync(DEV_VARS).mtimeMs : null, devVarsBefore, 'worker/.dev.vars untouched');
  });

  test('the Worker refuses a config the quick check passes: one attributed line, nothing rebuilt', async (t) => {
    // Valid JSON of the right shape; the provider refuses the fragment.
    const config = structuredClone(fx.config);
    config.clients[0].redirect_uris = [`http://localhost:${wwwPort}/callback#here`];
    const file = join(work, 'config.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const run = await runDev({ OIDC_SERVER_SECRET: serverSecret, OIDC_CONFIG: `@${file}`, OIDC_SIGNING_KEYS: `@${join(work, 'keys.json')}` });
    t.diagnostic(`dev.sh exited after ${run.ms} ms`);
    assert.equal(run.code, 1, run.output);
    const refusal = oneLine(run.output).filter((line) => line.includes('redirect_uris[0]'));
    assert.equal(refusal.length, 1, run.output);
    assert.match(refusal[0], new RegExp(`^dev: OIDC_CONFIG\\.clients\\[0\\]\\.redirect_uris\\[0\\]: .*fragment.* \\(in ${file}\\)$`));
    assert.doesNotMatch(run.output, /^\s+at /m, 'no stack trace');
    assert.deepEqual(run.leftovers, []);
    // The previous start built whatever was out of date: this one rebuilt nothing.
    assert.match(run.output, /^build-pkg: pkg\/ is up to date/m);
    // (wrangler runs the Worker's build, as its [build] command, and prefixes its output)
    assert.match(run.output, /^\[custom build\] build-worker: worker\/build is up to date/m);
    assert.doesNotMatch(run.output, /build-pkg: built|build-worker: worker\/build\/index_bg\.wasm: /);
    const d = JSON.parse(fx.secrets.OIDC_SIGNING_KEYS).keys[0].d;
    assert.deepEqual(secretCopies(d, [work]), []);
  });
});
