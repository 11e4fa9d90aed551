// Our OpenID Provider side by side with Cloudflare's workers-oauth-provider (the exact version
// in package.json), both on local workerd behind `wrangler dev`, in one run, one after the
// other, with the same placement (the whole wrangler tree on CPU 1, this load generator on
// CPU 0), the same phases, counts and connections, and the same checks.
//
//   node benches/op/peer.mjs                              (ours first, then theirs)
//   OP_BENCH_PEER_ORDER=theirs-first node benches/op/peer.mjs
//   OP_BENCH_DIRECT=1 node benches/op/peer.mjs          (past wrangler's proxy: harness.mjs)
//
// Ours: the frozen worker/build with the Durable Object store, started as load.mjs starts it
// (fresh configuration, fresh local state, one login through the HTML form). Theirs: the
// Worker of benches/op/peer-worker (`OAuthProvider` with an OAUTH_KV namespace, /authorize
// approved at once), frozen the same way, with a fresh local state directory; one public
// client registered through its /register (token_endpoint_auth_method none).
//
// Rows, each warmed up first:
//   floor             GET /healthz (ours: answered before the provider is loaded; theirs: by the
//                     default handler, behind the library's routing), 1 connection
//   metadata          GET /.well-known/oauth-authorization-server on both, byte for byte as
//                     fetched before the run, OP_BENCH_CONNECTIONS connections
//   protected resource  a Bearer access token from a code exchange; every answer a 200 naming
//                     the expected subject. Theirs: GET /api/me (the grant's props). Ours:
//                     GET /userinfo, our Bearer resource: our /api/me takes DPoP-bound tokens
//                     with a proof and a nonce only, which would measure a DPoP proof check
//                     and a jti write against a KV lookup
//   code exchange     authorization_code + PKCE S256 by a public client, each code once (minted
//                     through GET /authorize just before), 1 and OP_BENCH_CONNECTIONS connections
//   refresh           each refresh token of the measured exchanges once (rotation), the same two
//                     ways
// Fixed durations are OP_BENCH_SECONDS; counts are load.mjs's (OP_BENCH_* knobs, harness.mjs).
//
// Correctness: any non-2xx, socket error, timeout or bad body fails the run (exit status 1).
// After the measurements our tokens are verified with `jose` (as load.mjs does), and each of
// their access tokens (opaque) must still answer GET /api/me with the expected subject.
//
// The headline is OP CPU per request, ours / theirs: the user+system CPU time of each wrangler
// tree during the phase divided by its responses. Both trees are the same wrangler and workerd
// with the same proxy in front, so the difference is the Worker and the storage it uses.

import {
  CONNECTIONS, DIRECT, DOC_SECONDS, DOC_WARMUP_SECONDS, LOAD_CPU, OP_CPU,
  fmt, fmtInt, fmtRatio, frozenPeerWorker, frozenWorker, getPhase, log, noteLines, reportFailures, sameBody,
  sourceRevision, subjectIs, tokenPhases,
} from './harness.mjs';
import { FLOOR_PATH, METADATA_PATH, OUR_RESOURCE_PATH, PEER_RESOURCE_PATH, oneAccessToken, packageVersion, routeDirect, startOurs, startTheirs } from './peer-sides.mjs';

const ROWS = [
  ['floor', `floor: GET ${FLOOR_PATH} (theirs: default handler), 1 connection`],
  ['metadata', `metadata: GET ${METADATA_PATH}, ${CONNECTIONS} connections`],
  ['resource', `protected resource, Bearer: ours GET ${OUR_RESOURCE_PATH}, theirs GET ${PEER_RESOURCE_PATH}, ${CONNECTIONS} connections`],
  ['exchange1', 'code exchange (PKCE S256, public client), 1 connection'],
  ['exchangeN', `code exchange (PKCE S256, public client), ${CONNECTIONS} connections`],
  ['refresh1', 'refresh (rotation), 1 connection'],
  ['refreshN', `refresh (rotation), ${CONNECTIONS} connections`],
];

// ----------------------------------------------------------------------------------------------
// The phases, the same for both

/** Every row against one started provider. Returns { rows, minted }. */
async function measure(contender) {
  const { bench, resource } = contender;
  const rows = {};
  rows.floor = await getPhase(bench, {
    name: `floor, GET ${FLOOR_PATH}, 1 connection`, label: 'floor', path: FLOOR_PATH,
    check: sameBody(contender.floorText), connections: 1, duration: DOC_SECONDS, warmup: DOC_WARMUP_SECONDS,
  });
  rows.metadata = await getPhase(bench, {
    name: `metadata, GET ${METADATA_PATH}, ${CONNECTIONS} connections`, label: 'metadata', path: METADATA_PATH,
    check: sameBody(contender.metadataText), connections: CONNECTIONS, duration: DOC_SECONDS, warmup: DOC_WARMUP_SECONDS,
  });
  const accessToken = await oneAccessToken(contender);
  rows.resource = await getPhase(bench, {
    name: `protected resource, GET ${resource.path} (Bearer), ${CONNECTIONS} connections`, label: 'protected resource',
    path: resource.path, headers: { authorization: `Bearer ${accessToken}` },
    check: subjectIs(resource.sub), connections: CONNECTIONS, duration: DOC_SECONDS, warmup: DOC_WARMUP_SECONDS,
  });
  const tokens = await tokenPhases(bench, contender.flow, contender.mintOne);
  await contender.verify();
  return { rows: { ...rows, ...tokens.rows }, minted: tokens.minted };
}

/** Starts one side, measures it, stops it. */
async function run(side, start, frozen) {
  log(`--- ${side}`);
  const contender = await start(frozen);
  try {
    log(`${side}: measured at ${await routeDirect(contender)}`);
    const { rows, minted } = await measure(contender);
    const { bench, pinned, placement } = contender;
    return { rows, minted, bench, pinned, placement };
  } finally {
    await contender.op.stop();
  }
}

// ----------------------------------------------------------------------------------------------
// Report

function report({ order, results, wasmSha256 }) {
  const { ours, theirs } = results;
  const out = [''];
  out.push(`Ours: oidc-edge, ${sourceRevision()}, index_bg.wasm sha256 \`${wasmSha256.slice(0, 16)}…\`, Durable Object store (OIDC_STORE=durable-object). ` +
    `Theirs: @cloudflare/workers-oauth-provider ${packageVersion('@cloudflare/workers-oauth-provider')} (benches/op/peer-worker), KV.`);
  const route = DIRECT ? 'requests sent past the proxy, to the Worker\'s workerd' : 'requests through the proxy';
  out.push(`Both on local workerd: wrangler ${packageVersion('wrangler')} \`wrangler dev --log-level warn\` (proxy workerd in front of the Worker's workerd; ${route}), fresh local state each, 127.0.0.1; ${order.join(' first, then ')}.`);
  const allPinned = order.every((side) => results[side].pinned);
  out.push(allPinned ? `Pinned: each wrangler tree on CPU ${OP_CPU}, load generator (autocannon) on CPU ${LOAD_CPU}.` : 'NOT pinned (taskset unavailable or refused) for at least one side.');
  out.push(order.map((side) => `${side}: ${results[side].minted.codes} codes, ${results[side].minted.refreshTokens} refresh tokens, each used once`).join('; ') + '.');
  out.push('');
  out.push('| row | ours CPU ms/req | theirs CPU ms/req | CPU ratio (ours/theirs) | ours req/s | theirs req/s | ours p50 ms | theirs p50 ms |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [key, label] of ROWS) {
    const o = ours.rows[key];
    const t = theirs.rows[key];
    const contended = o.contended || t.contended ? ' (CONTENDED)' : '';
    out.push(`| ${label}${contended} | ${fmt(o.opCpuMs)} | ${fmt(t.opCpuMs)} | ${fmtRatio(o.opCpuMs, t.opCpuMs)} | ` +
      `${fmtInt(o.rps)} | ${fmtInt(t.rps)} | ${fmt(o.p50)} | ${fmt(t.p50)} |`);
  }
  out.push('');
  out.push('CPU ratio: the OP CPU per request of our wrangler tree over theirs; under 1× ours costs less.');
  out.push('');
  for (const side of order) out.push(...noteLines(results[side].bench, results[side].placement, `${side}: `));
  console.log(out.join('\n'));
}

async function main() {
  const orderKnob = process.env.OP_BENCH_PEER_ORDER ?? 'ours-first';
  if (!['ours-first', 'theirs-first'].includes(orderKnob)) throw new Error(`OP_BENCH_PEER_ORDER must be ours-first or theirs-first, not ${orderKnob}`);
  const order = orderKnob === 'ours-first' ? ['ours', 'theirs'] : ['theirs', 'ours'];

  log('building the Worker if needed (scripts/build-worker.sh) and freezing copies of worker/build and benches/op/peer-worker');
  const frozen = { ours: frozenWorker() };
  const results = {};
  try {
    frozen.theirs = frozenPeerWorker();
    log(`Worker under test: index_bg.wasm sha256 ${frozen.ours.wasmSha256.slice(0, 16)}…, copied to ${frozen.ours.dir}; the peer to ${frozen.theirs.dir}`);
    const starts = { ours: startOurs, theirs: startTheirs };
    for (const side of order) results[side] = await run(side, starts[side], frozen[side]);
  } finally {
    frozen.ours.remove();
    frozen.theirs?.remove();
  }
  report({ order, results, wasmSha256: frozen.ours.wasmSha256 });
  const failures = order.flatMap((side) => results[side].bench.failures.map((f) => `${side}: ${f}`));
  reportFailures(failures, 'Every measured response on both sides was a 200 with the expected body; every issued token verified.');
}

await main();
