// `make dev`'s servers for end-to-end tests: runs `bash scripts/dev.sh` (the OP on `wrangler dev`
// and the demo page server) on the given ports, with the environment given, local KV in a new
// temporary directory, and waits until the script says both answer.
//
//   const dev = await startDev({ opPort, wwwPort, env: { OIDC_CONFIG, OIDC_SIGNING_KEYS } });
//   …
//   const leftovers = await dev.stop();   // [] when dev.sh stopped everything it started
//
// dev.sh runs in a session of its own (setsid), and everything it starts stays in that session
// (its servers get process groups of their own, not sessions), so `stop()` can tell whether any
// process outlived the script, and kills it. A process exit without `stop()` kills them too.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, watchChild } from './wrangler.mjs';


/** The processes (not zombies) of session `sid`: [{ pid, cmd }]. Linux /proc. */
export function sessionProcesses(sid) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp session …; comm may hold spaces and parentheses.
    const [state, , , session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(session) !== sid || state === 'Z' || state === 'X') continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      // gone meanwhile
    }
    found.push({ pid: Number(name), cmd });
  }
  return found;
}

function killAll(processes, signal) {
  for (const { pid } of processes) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts `bash scripts/dev.sh` and resolves once it reports both servers ready.
 *
 * @param {object} options
 * @param {number} options.opPort   OP_PORT
 * @param {number} options.wwwPort  WWW_PORT
 * @param {Record<string,string>} [options.env]  more environment (OIDC_CONFIG, OIDC_SIGNING_KEYS…)
 * @returns {Promise<{ opUrl: string, wwwUrl: string, persistDir: string, output: () => string,
 *   stop: () => Promise<Array<{ pid: number, cmd: string }>> }>}
 */
export async function startDev({ opPort, wwwPort, env = {} }) {
  const persistDir = mkdtempSync(join(tmpdir(), 'oidc-edge-dev-e2e-'));
  const child = spawn('bash', [join(ROOT, 'scripts', 'dev.sh')], {
    cwd: ROOT,
    detached: true, // setsid(): the session id is the child's pid
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      // Only the configuration chosen here: no OIDC_* from the caller's environment.
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OIDC_'))),
      OP_PORT: String(opPort),
      WWW_PORT: String(wwwPort),
      DEV_PERSIST_DIR: join(persistDir, 'kv'),
      WRANGLER_LOG_PATH: join(persistDir, 'logs'),
      WRANGLER_SEND_METRICS: 'false',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      ...env,
    },
  });
  const sid = child.pid;

  const watched = watchChild(child, 'bash scripts/dev.sh');
  const { exit } = watched;

  const onProcessExit = () => killAll(sessionProcesses(sid), 'SIGKILL');
  process.on('exit', onProcessExit);

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      if (!watched.exited) {
        // dev.sh's TERM trap stops both servers' process groups, then exits.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exit;
        clearTimeout(timer);
      }
      // Whatever is still in the session outlived dev.sh: report it, then kill it. A server
      // dev.sh has just SIGKILLed may take a moment to be gone, so look again briefly first.
      let left = sessionProcesses(sid);
      for (let i = 0; i < 50 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = sessionProcesses(sid);
      }
      killAll(left, 'SIGKILL');
      process.off('exit', onProcessExit);
      rmSync(persistDir, { recursive: true, force: true });
      return left;
    })();
    return stopped;
  };

  // dev.sh prints its banner once both servers answer; it exits non-zero if either fails
  // (its own DEV_READY_TIMEOUT bounds the wait, the Worker build included).
  const ready = await new Promise((resolve) => {
    watched.onOutput = () => {
      if (/^\s*Demo page\s+http/m.test(watched.output)) resolve(true);
    };
    exit.then(() => resolve(false));
    watched.onOutput();
  });
  watched.onOutput = () => {};
  if (!ready) {
    const { code, signal } = await exit;
    await stop();
    throw new Error(`scripts/dev.sh exited before both servers were ready (${signal ?? `code ${code}`}):\n${watched.output}`);
  }
  return {
    opUrl: `http://localhost:${opPort}`,
    wwwUrl: `http://localhost:${wwwPort}`,
    persistDir,
    output: () => watched.output,
    stop,
  };
}
