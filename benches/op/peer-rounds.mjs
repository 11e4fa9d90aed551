// The rows of benches/op/peer.mjs that are close to 1×, measured so that a few per cent can be
// told apart: both providers up at once, several instances of each, measured in alternated
// rounds.
//
//   node benches/op/peer-rounds.mjs
//   OP_BENCH_ROUNDS=8 OP_BENCH_INSTANCES=2 OP_BENCH_ROUND_SECONDS=5 node benches/op/peer-rounds.mjs
//
// Why. One run of peer.mjs measures each side once, one after the other, and its ratios move
// by ±3% between runs. Two sources: the machine drifts over minutes, and a wrangler tree's
// cost differs from another tree's running the same Worker by as much (three identical
// instances of ours, up at once, measured 1.00, 1.02 and 0.97 on the metadata row, 2026-12-05).
// So here every instance is up from the start, each round measures every instance in turn,
// in the opposite order every other round (ABBA: drift weighs on both sides alike), and each
// side is OP_BENCH_INSTANCES trees whose figures are averaged (one tree's luck weighs less).
//
// Rows (the same paths, checks and connections as peer.mjs):
//   floor        GET /healthz, 1 connection
//   metadata     GET /.well-known/oauth-authorization-server, OP_BENCH_CONNECTIONS connections
//   resource     a Bearer access token (from a code exchange just before each measurement):
//                ours GET /userinfo, theirs GET /api/me, OP_BENCH_CONNECTIONS connections
// Each measurement is 2 s of warm-up, then OP_BENCH_ROUND_SECONDS measured. The token rows
// are peer.mjs's: at half to two thirds of their CPU they need no such resolution.
//
// CPU per request is each wrangler tree's own user+system time over its own responses (the
// other trees sit idle meanwhile). A round's ratio is the mean over our instances over the
// mean over theirs; the headline is the median of the rounds' ratios, with their range.
// Placement as in peer.mjs: every tree on CPU 1, this load generator on CPU 0.
// OP_BENCH_DIRECT=1 sends the measured requests past wrangler's proxy, to each tree's own
// Worker workerd (harness.mjs says how and why), both sides alike.

import {
  CONNECTIONS, DIRECT, LOAD_CPU, OP_CPU,
  fmt, frozenPeerWorker, frozenWorker, getPhase, log, median, processesStartedBy, reportFailures, sameBody, sourceRevision,
  subjectIs,
} from './harness.mjs';
import { FLOOR_PATH, METADATA_PATH, oneAccessToken, packageVersion, routeDirect, startOurs, startTheirs } from './peer-sides.mjs';

const intEnv = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const ROUNDS = intEnv('OP_BENCH_ROUNDS', 8);
// ABBA: every pair of rounds measures each instance once in each order.
if (ROUNDS % 2 !== 0) throw new Error('OP_BENCH_ROUNDS must be even');
const INSTANCES = intEnv('OP_BENCH_INSTANCES', 2);
const SECONDS = intEnv('OP_BENCH_ROUND_SECONDS', 5);
const WARMUP_SECONDS = 2;

const ROWS = [
  { key: 'floor', label: `floor: GET ${FLOOR_PATH} (theirs: default handler), 1 connection`, connections: 1 },
  { key: 'metadata', label: `metadata: GET ${METADATA_PATH}, ${CONNECTIONS} connections`, connections: CONNECTIONS },
  { key: 'resource', label: `protected resource, Bearer, ${CONNECTIONS} connections`, connections: CONNECTIONS },
];

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** One instance of `side`, started from its own frozen copy; its bench counts its own tree only. */
async function startInstance(side, index) {
  const frozen = side === 'ours' ? frozenWorker() : frozenPeerWorker();
  try {
    const { result: contender, processes } = await processesStartedBy(() => (side === 'ours' ? startOurs : startTheirs)(frozen));
    contender.bench.processes = processes;
    log(`${side} #${index}: ${await routeDirect(contender)}, processes ${processes().join(' ')}`);
    return { side, name: `${side} #${index}`, frozen, contender };
  } catch (err) {
    frozen.remove();
    throw err;
  }
}

/**
 * One measurement of `row` on `instance`: { cpu (OP CPU ms per request of its tree),
 * contended }. The resource row gets a new access token each time (outside the
 * measurement): a run outlasts a token.
 */
async function measureOnce(instance, row) {
  const { contender } = instance;
  const accessToken = row.key === 'resource' ? await oneAccessToken(contender) : undefined;
  const paths = {
    floor: { path: FLOOR_PATH, check: sameBody(contender.floorText) },
    metadata: { path: METADATA_PATH, check: sameBody(contender.metadataText) },
    resource: {
      path: contender.resource.path,
      headers: { authorization: `Bearer ${accessToken}` },
      check: subjectIs(contender.resource.sub),
    },
  };
  const figures = await getPhase(contender.bench, {
    name: `${instance.name}: ${row.label}`, label: `${instance.name}: ${row.key}`, ...paths[row.key],
    connections: row.connections, duration: SECONDS, warmup: WARMUP_SECONDS,
  });
  return { cpu: figures.opCpuMs, contended: Boolean(figures.contended) };
}

function report(instances, figures, wasmSha256, contended) {
  const out = [''];
  out.push(`Ours: oidc-edge, ${sourceRevision()}, index_bg.wasm sha256 \`${wasmSha256.slice(0, 16)}…\`, Durable Object store. ` +
    `Theirs: @cloudflare/workers-oauth-provider ${packageVersion('@cloudflare/workers-oauth-provider')} (benches/op/peer-worker).`);
  const unpinned = instances.filter(({ contender }) => !contender.pinned).map(({ name }) => name);
  const placement = unpinned.length ? `NOT pinned: ${unpinned.join(', ')}` : `all on CPU ${OP_CPU}, load generator on CPU ${LOAD_CPU}`;
  const route = DIRECT ? 'requests sent past wrangler\'s proxy, to each tree\'s Worker workerd' : 'requests through wrangler\'s proxy';
  out.push(`wrangler ${packageVersion('wrangler')}; ${INSTANCES} wrangler trees per side up at once, ${placement}; ${route}; ` +
    `${ROUNDS} rounds, alternated (ABBA), each measurement ${WARMUP_SECONDS} s of warm-up then ${SECONDS} s; ` +
    `${contended} of ${ROUNDS * ROWS.length * instances.length} measurements contended (other processes over 10% of a CPU).`);
  out.push('');
  out.push('| row | ours CPU ms/req (median) | theirs CPU ms/req (median) | ratio ours/theirs, median of rounds | rounds\' range |');
  out.push('|---|---:|---:|---:|---|');
  for (const row of ROWS) {
    const perRound = figures[row.key];
    const ratios = perRound.map(({ ours, theirs }) => mean(ours) / mean(theirs));
    out.push(`| ${row.label} | ${fmt(median(perRound.map(({ ours }) => mean(ours))), 3)} | ` +
      `${fmt(median(perRound.map(({ theirs }) => mean(theirs))), 3)} | ${fmt(median(ratios), 3)}× | ` +
      `${fmt(Math.min(...ratios), 3)} – ${fmt(Math.max(...ratios), 3)} |`);
  }
  out.push('');
  out.push('Each instance on its own (median CPU ms per request over the rounds), to show how far identical trees differ:');
  out.push('');
  for (const row of ROWS) {
    const perInstance = instances.map((instance, i) => {
      const values = figures[row.key].map((round) => round.byInstance[i]);
      return `${instance.name} ${fmt(median(values), 3)}`;
    });
    out.push(`- ${row.key}: ${perInstance.join(', ')}`);
  }
  console.log(out.join('\n'));
}

async function main() {
  log('building the Worker if needed (scripts/build-worker.sh); every instance runs its own frozen copy');
  const instances = [];
  let wasmSha256 = '';
  try {
    // Started alternately, so neither side holds all the first or all the last places.
    for (let i = 1; i <= INSTANCES; i++) {
      for (const side of ['ours', 'theirs']) {
        const instance = await startInstance(side, i);
        if (side === 'ours') wasmSha256 = instance.frozen.wasmSha256;
        instances.push(instance);
      }
    }
    const builds = new Set(instances.filter(({ side }) => side === 'ours').map(({ frozen }) => frozen.wasmSha256));
    if (builds.size !== 1) throw new Error('our instances run different builds (worker/build changed while they started)');
    const figures = Object.fromEntries(ROWS.map((row) => [row.key, []]));
    let contended = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? instances : [...instances].reverse();
      for (const row of ROWS) {
        const byInstance = new Array(instances.length);
        for (const instance of order) {
          const { cpu, contended: busy } = await measureOnce(instance, row);
          byInstance[instances.indexOf(instance)] = cpu;
          if (busy) contended += 1;
        }
        const of = (side) => byInstance.filter((_, i) => instances[i].side === side);
        figures[row.key].push({ ours: of('ours'), theirs: of('theirs'), byInstance });
        log(`round ${round + 1}/${ROUNDS} ${row.key}: ours/theirs ${fmt(mean(of('ours')) / mean(of('theirs')), 3)}`);
      }
    }
    report(instances, figures, wasmSha256, contended);
  } finally {
    for (const { name, contender, frozen } of instances) {
      try {
        await contender.op.stop();
      } catch (err) {
        log(`${name}: stopping wrangler failed: ${err.message}`);
      }
      frozen.remove();
    }
  }
  // Each failure already names its instance (the phase's name and label do).
  const failures = instances.flatMap(({ contender }) => contender.bench.failures);
  reportFailures(failures, 'Every measured response was a 200 with the expected body.');
}

await main();
