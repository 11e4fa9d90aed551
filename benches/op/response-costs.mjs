// What an answer costs on local workerd, as two figures that benches/op/peer.mjs's rows are
// made of: the Worker's own work to build a Response (amplified until it can be measured), and
// what a document's shape (its size and its header fields) costs through the whole
// `wrangler dev` tree, which copies every field on its way through its proxy.
//
//   node benches/op/response-costs.mjs
//
// One wrangler tree (benches/op/response-worker beside the provider's worker/build), pinned to
// CPU 1, this load generator on CPU 0, as peer.mjs places them. Everything is measured on the
// one tree, in alternated rounds (ABBA), so no difference between trees enters a comparison.
//
//   operations   GET /amp/<op>, 1 connection: <op> 100 times in one request. One <op> costs
//                (CPU per request - that of /amp/none) / 100. The ops: a Response of a 33-byte
//                body from a view into a bigger buffer, with no fields, with two fields given
//                as an object, as a list of pairs, or as a Headers filled by append;
//                Response.json; the provider's /healthz answer built in JavaScript; and the
//                provider's module answering /healthz, entered as worker/entry.js enters it.
//   shapes       GET /shape/<name>, OP_BENCH_CONNECTIONS connections: one answer per request of
//                a document of our metadata document's size (1,993 bytes) or the peer's (675),
//                with our three fields or the peer's one.

import {
  CONNECTIONS, LOAD_CPU, OP_CPU,
  Bench, fmt, frozenScriptWorker, log, median, reportFailures, sourceRevision, startPinned,
} from './harness.mjs';

const AMPLIFY = 100; // response-worker/worker.js
const ROUNDS = 4;
const SECONDS = 4;
const WARMUP_SECONDS = 1;
const OPS = ['none', 'no-fields', 'fields-object', 'fields-pairs', 'fields-append', 'response-json', 'js-healthz', 'module-healthz'];
const SHAPES = ['small-one-field', 'large-three-fields', 'large-one-field', 'small-three-fields'];

/** OP CPU ms per request of GET `pathOf(name)`, per name: the median of ROUNDS alternated rounds. */
async function alternated(bench, names, pathOf, connections) {
  const cpu = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const requests = [{ method: 'GET', path: pathOf(name) }];
      await bench.run({ name: `${name} (warm-up)`, connections, duration: WARMUP_SECONDS, requests, record: false });
      const figures = await bench.run({ name, connections, duration: SECONDS, requests });
      cpu[name].push(figures.opCpuMs);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(cpu[name])]));
}

async function main() {
  log('building the Worker if needed (scripts/build-worker.sh); benches/op/response-worker runs beside a frozen copy');
  const frozen = frozenScriptWorker('response-worker', { withBuild: true });
  let op;
  try {
    const { freePort } = await frozen.wrangler();
    const port = await freePort();
    const started = await startPinned(frozen, { port, build: false });
    op = started.op;
    const bench = new Bench(op.url);
    const ops = await alternated(bench, OPS, (name) => `/amp/${name}`, 1);
    const shapes = await alternated(bench, SHAPES, (name) => `/shape/${name}`, CONNECTIONS);

    const out = [''];
    out.push(`oidc-edge ${sourceRevision()}; one wrangler tree on CPU ${OP_CPU} (${started.pinned ? 'pinned' : 'NOT pinned'}), load generator on CPU ${LOAD_CPU}; ` +
      `${ROUNDS} alternated rounds of ${WARMUP_SECONDS} s warm-up then ${SECONDS} s; medians.`);
    out.push('');
    out.push(`| operation (×${AMPLIFY} per request, 1 connection) | µs each |`);
    out.push('|---|---:|');
    for (const name of OPS.slice(1)) out.push(`| ${name} | ${fmt(((ops[name] - ops.none) / AMPLIFY) * 1000, 1)} |`);
    out.push('');
    out.push(`| document shape (${CONNECTIONS} connections) | CPU ms per request | against small-one-field |`);
    out.push('|---|---:|---:|');
    for (const name of SHAPES) out.push(`| ${name} | ${fmt(shapes[name], 3)} | ${fmt(shapes[name] / shapes['small-one-field'], 3)}× |`);
    console.log(out.join('\n'));
    reportFailures(bench.failures, 'Every measured response was a 200.');
  } finally {
    await op?.stop();
    frozen.remove();
  }
}

await main();
