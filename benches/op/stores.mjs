// Where the single-use records live, measured: the same frozen Worker build started twice in one
// run, first with OIDC_STORE=durable-object (codes, refresh grants, rotation marks and DPoP jti
// in a Durable Object with SQLite storage; the default) and then with OIDC_STORE=kv (everything
// in Workers KV), each on a fresh local state directory, each on `wrangler dev` as load.mjs
// runs it (same pins, same CPU accounting, same checks).
//
//   node benches/op/stores.mjs                       (DO first, then KV)
//   OP_BENCH_ORDER=kv-first node benches/op/stores.mjs
//
// For each store, after one login through the HTML form: the code exchange and the refresh, on
// one connection and on OP_BENCH_CONNECTIONS, with load.mjs's warm-ups and counts (the same
// OP_BENCH_* knobs; see harness.mjs). Every response must be a 200 with every token present,
// every issued token is verified with `jose`, and the state directory must show the store that
// was asked for (a Durable Object's SQLite files for one, none for the other). Any failure makes
// the exit status 1; timing is never asserted.
//
// The table gives each store's p50, p99, req/s and OP CPU per request side by side, with the
// ratios DO/KV and the difference of the p50s. Locally both stores are SQLite files under the
// same workerd, so the comparison is of what the Worker does with each (round trips, writes,
// Durable Object dispatch), not of production's network and replication.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  CONNECTIONS, LOAD_CPU, OP_CPU,
  fmt, fmtInt, fmtRatio, frozenWorker, log, noteLines, reportFailures, sourceRevision, startOurProvider,
  tokenPhases, verifyOurTokens,
} from './harness.mjs';

const STORES = {
  'durable-object': { short: 'DO', what: 'Durable Object (SQLite storage) for single-use records, KV for the rest' },
  kv: { short: 'KV', what: 'Workers KV for everything' },
};

const ROWS = [
  ['exchange1', 'code exchange, 1 connection (sequential)'],
  ['exchangeN', `code exchange, ${CONNECTIONS} connections`],
  ['refresh1', 'refresh, 1 connection (sequential)'],
  ['refreshN', `refresh, ${CONNECTIONS} connections`],
];

/** The stores in the order asked for (OP_BENCH_ORDER=kv-first, else the Durable Object first). */
function storeOrder() {
  const order = process.env.OP_BENCH_ORDER ?? 'do-first';
  if (!['do-first', 'kv-first'].includes(order)) throw new Error(`OP_BENCH_ORDER must be do-first or kv-first, not ${order}`);
  return order === 'kv-first' ? ['kv', 'durable-object'] : ['durable-object', 'kv'];
}

/**
 * The Durable Objects' databases under wrangler's --persist-to directory: miniflare keeps one
 * SQLite file per object under v3/do/<namespace>/, next to the namespace's metadata.sqlite,
 * which it creates for the binding whether or not an object is ever used. A KV-only run must
 * leave no object behind.
 */
function durableObjectFiles(persistDir) {
  try {
    return readdirSync(join(persistDir, 'v3', 'do'), { recursive: true })
      .filter((name) => name.endsWith('.sqlite') && !name.endsWith('metadata.sqlite'));
  } catch {
    return [];
  }
}

/** Starts our OP with `store`, runs the token phases, verifies the tokens, stops it. */
async function measureStore(frozen, store) {
  log(`--- OIDC_STORE=${store}`);
  const ours = await startOurProvider(frozen, { vars: { OIDC_STORE: store } });
  try {
    const { rows, minted } = await tokenPhases(ours.bench, ours.flow, ours.mintOne);
    await verifyOurTokens(ours);
    const doFiles = durableObjectFiles(ours.op.persistDir);
    log(`OIDC_STORE=${store}: ${doFiles.length} Durable Objects stored data in the state directory`);
    if (store === 'kv' && doFiles.length > 0) ours.bench.failures.push(`OIDC_STORE=kv, yet the Durable Object stored data: ${doFiles.join(', ')}`);
    if (store === 'durable-object' && doFiles.length === 0) ours.bench.failures.push('OIDC_STORE=durable-object, yet no Durable Object stored anything');
    return { rows, minted, bench: ours.bench, pinned: ours.pinned, placement: ours.placement };
  } finally {
    await ours.op.stop();
  }
}

/** One markdown row: each store's figures side by side, then DO/KV. */
function comparisonRow(label, d, k) {
  return `| ${label} | ${fmt(d.p50)} | ${fmt(k.p50)} | ${fmt(d.p50 - k.p50)} | ${fmtRatio(d.p50, k.p50)} | ` +
    `${fmt(d.p99)} | ${fmt(k.p99)} | ${fmtRatio(d.p99, k.p99)} | ` +
    `${fmtInt(d.rps)} | ${fmtInt(k.rps)} | ${fmtRatio(d.rps, k.rps)} | ` +
    `${fmt(d.opCpuMs)} | ${fmt(k.opCpuMs)} | ${fmtRatio(d.opCpuMs, k.opCpuMs)} |`;
}

function report(frozen, order, results) {
  const out = [''];
  out.push(`Durable Object store against KV only, OpenID Provider on local workerd (\`wrangler dev --log-level warn\`), 127.0.0.1; ${sourceRevision()}, index_bg.wasm sha256 \`${frozen.wasmSha256.slice(0, 16)}…\`.`);
  out.push(`Order: ${order.map((s) => `OIDC_STORE=${s}`).join(', then ')}, each on a fresh local state directory. ` +
    order.map((s) => `${STORES[s].short}: ${STORES[s].what}`).join('; ') + '.');
  const allPinned = order.every((s) => results[s].pinned);
  out.push(allPinned ? `Pinned: wrangler tree on CPU ${OP_CPU}, load generator (autocannon) on CPU ${LOAD_CPU}.` : 'NOT pinned (taskset unavailable or refused) for at least one store.');
  out.push(order.map((s) => `${STORES[s].short}: ${results[s].minted.codes} codes, ${results[s].minted.refreshTokens} refresh tokens, each used once`).join('; ') + '.');
  out.push('');
  out.push('| row | DO p50 ms | KV p50 ms | p50 DO−KV ms | p50 DO/KV | DO p99 ms | KV p99 ms | p99 DO/KV | DO req/s | KV req/s | req/s DO/KV | DO OP CPU ms/req | KV OP CPU ms/req | CPU DO/KV |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [key, label] of ROWS) out.push(comparisonRow(label, results['durable-object'].rows[key], results.kv.rows[key]));
  out.push('');
  out.push('Ratios are DO/KV: under 1× the Durable Object store is faster (p50, p99) or cheaper (CPU); over 1× for req/s it serves more.');
  out.push('');
  for (const s of order) out.push(...noteLines(results[s].bench, results[s].placement, `${STORES[s].short}: `));
  console.log(out.join('\n'));
}

async function main() {
  const order = storeOrder();
  log('building the Worker if needed (scripts/build-worker.sh) and freezing a copy of worker/build');
  const frozen = frozenWorker();
  log(`Worker under test: index_bg.wasm sha256 ${frozen.wasmSha256.slice(0, 16)}…, copied to ${frozen.dir}`);
  const results = {};
  try {
    for (const store of order) results[store] = await measureStore(frozen, store);
  } finally {
    frozen.remove();
  }
  report(frozen, order, results);
  const failures = order.flatMap((s) => results[s].bench.failures.map((f) => `${STORES[s].short}: ${f}`));
  reportFailures(failures, 'Every measured response, with either store, was a 200 with every token present; every issued token verified.');
}

await main();
