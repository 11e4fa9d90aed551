// What one store operation costs a Worker on local workerd, by the way it reaches the data:
// a Workers KV get, a Durable Object method called over RPC, and the same object operation
// through the object's `fetch` handler. This is the measurement behind worker/src/objects.rs
// calling its Durable Object over RPC.
//
//   node benches/op/do-calls.mjs
//
// The Worker is benches/op/do-calls-worker (plain JavaScript, so the figures are the
// runtime's, not our code's), frozen and served by `wrangler dev` with harness.mjs's placement
// (the whole wrangler tree on CPU 1, autocannon on CPU 0). Each request makes 4 operations of
// one kind, spread over 16 objects; each path runs for OP_BENCH_SECONDS on
// OP_BENCH_CONNECTIONS connections after a warm-up, every answer checked. The CPU of one
// operation is (CPU per request of the path − CPU per request of GET /none) / 4.

import {
  CONNECTIONS, DOC_SECONDS, DOC_WARMUP_SECONDS, Bench, fmt, fmtInt, frozenScriptWorker, getPhase, log, noteLines,
  reportFailures, sameBody, startPinned,
} from './harness.mjs';

const OPS_PER_REQUEST = 4;
const PATHS = ['none', 'kv-get', 'rpc-get', 'fetch-get', 'rpc-put', 'fetch-put'];

async function main() {
  const frozen = frozenScriptWorker('do-calls-worker');
  const { freePort } = await frozen.wrangler();
  const port = await freePort();
  const { op, pinned, placement } = await startPinned(frozen, { port, build: false });
  const bench = new Bench(op.url);
  const figures = {};
  try {
    for (const path of PATHS) {
      figures[path] = await getPhase(bench, {
        name: `GET /${path}, ${CONNECTIONS} connections`,
        label: path,
        path: `/${path}`,
        check: sameBody('ok'),
        connections: CONNECTIONS,
        duration: DOC_SECONDS,
        warmup: DOC_WARMUP_SECONDS,
      });
    }
  } finally {
    await op.stop();
    frozen.remove();
  }
  const floor = figures.none.opCpuMs;
  const out = [
    '',
    `Store operations on local workerd (\`wrangler dev\`), ${OPS_PER_REQUEST} per request over 16 objects; ` +
      (pinned ? 'wrangler tree pinned to CPU 1, autocannon to CPU 0.' : 'NOT pinned.'),
    '',
    '| path | req/s | p50 ms | OP CPU ms/req | CPU ms per operation |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const path of PATHS) {
    const f = figures[path];
    const perOperation = path === 'none' ? '–' : fmt((f.opCpuMs - floor) / OPS_PER_REQUEST, 3);
    out.push(`| GET /${path} | ${fmtInt(f.rps)} | ${fmt(f.p50)} | ${fmt(f.opCpuMs, 3)} | ${perOperation} |`);
  }
  out.push('', ...noteLines(bench, placement));
  console.log(out.join('\n'));
  reportFailures(bench.failures, 'Every response was a 200 with the expected body.');
  log('done');
}

await main();
