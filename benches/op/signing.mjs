// What the signing algorithm costs in the code exchange: the same frozen Worker build started
// once per set of signing keys, one after the other in one run, each on a fresh configuration
// and local state directory, on `wrangler dev` as load.mjs runs it (same pins, same CPU
// accounting, same checks, the default Durable Object store).
//
//   node benches/op/signing.mjs
//
// The key sets (OIDC_SIGNING_KEYS, one key per algorithm in that order, from
// tests/e2e/fixture.mjs). Access tokens take the algorithm of the last key; ID tokens are RS256
// when an RS256 key is there, else the last key's, unless the client names one:
//   ES256            both tokens ES256: the baseline
//   RS256, ES256     ID tokens RS256, access tokens ES256: the recommended setup
//   PS256, ES256     with the SPA client's id_token_signed_response_alg PS256, which is how a
//                    deployment asks for PS256 ID tokens while access tokens stay ES256 (without
//                    it, the ID tokens would be ES256: no RS256 key, and ES256 is last)
//   EdDSA            both tokens EdDSA (Ed25519)
//   RS256            both tokens RS256, two RSA signatures per exchange
//
// For each, after one login through the HTML form: the code exchange on one connection and on
// OP_BENCH_CONNECTIONS, with load.mjs's warm-ups and counts (the same OP_BENCH_* knobs; see
// harness.mjs). No refresh: the exchange signs both tokens, which is what is priced. Every
// response must be a 200 with every token present, every issued token is verified with `jose`
// against /jwks, and the algorithms in the tokens' headers must be the ones the key set is
// meant to give. Any failure makes the exit status 1; timing is never asserted.
//
// The table gives, per phase and key set, the algorithms seen, OP CPU per exchange, its ratio to
// and difference from the ES256 baseline, req/s, p50 and p99. The difference is what the other
// algorithms' signatures cost over two ES256 signatures: the rest of the exchange (store, code
// checks, JSON) is the same in every configuration.

import {
  CONNECTIONS, LOAD_CPU, OP_CPU,
  exchangePhases, fmt, fmtInt, fmtRatio, frozenWorker, log, noteLines, reportFailures, sourceRevision,
  startOurProvider, verifyOurTokens,
} from './harness.mjs';

/** The key sets, the baseline first; `idToken` and `access`: the algorithms each must give. */
const CONFIGURATIONS = [
  { name: 'ES256', algs: ['ES256'], idToken: 'ES256', access: 'ES256' },
  { name: 'RS256 + ES256', algs: ['RS256', 'ES256'], idToken: 'RS256', access: 'ES256' },
  {
    name: 'PS256 + ES256, client asks PS256',
    algs: ['PS256', 'ES256'],
    spaMetadata: { id_token_signed_response_alg: 'PS256' },
    idToken: 'PS256',
    access: 'ES256',
  },
  { name: 'EdDSA', algs: ['EdDSA'], idToken: 'EdDSA', access: 'EdDSA' },
  { name: 'RS256', algs: ['RS256'], idToken: 'RS256', access: 'RS256' },
];

const ROWS = [
  ['exchange1', 'code exchange, 1 connection (sequential)'],
  ['exchangeN', `code exchange, ${CONNECTIONS} connections`],
];

/** The one algorithm of `seen`, as text; a failure when it is not `expected`. */
function checkAlg(bench, what, seen, expected) {
  const text = [...seen].join(', ') || 'none';
  if (seen.size !== 1 || !seen.has(expected)) bench.failures.push(`${what}: expected ${expected}, the headers say ${text}`);
  return text;
}

/** Starts our OP with `configuration`'s keys, runs the exchanges, verifies the tokens, stops it. */
async function measure(frozen, configuration) {
  log(`--- keys ${configuration.algs.join(', ')}${configuration.spaMetadata ? ` (SPA client ${JSON.stringify(configuration.spaMetadata)})` : ''}`);
  const ours = await startOurProvider(frozen, { algs: configuration.algs, spaMetadata: configuration.spaMetadata });
  try {
    const { rows, minted } = await exchangePhases(ours.bench, ours.flow, ours.mintOne);
    const { accessTokenAlgs, idTokenAlgs } = await verifyOurTokens(ours);
    return {
      rows,
      minted,
      bench: ours.bench,
      pinned: ours.pinned,
      placement: ours.placement,
      idTokenAlg: checkAlg(ours.bench, 'ID tokens', idTokenAlgs, configuration.idToken),
      accessTokenAlg: checkAlg(ours.bench, 'access tokens', accessTokenAlgs, configuration.access),
    };
  } finally {
    await ours.op.stop();
  }
}

function report(frozen, results) {
  const baseline = results[0];
  const out = [''];
  out.push(`Signing algorithms in the code exchange, OpenID Provider on local workerd (\`wrangler dev --log-level warn\`), 127.0.0.1; ${sourceRevision()}, index_bg.wasm sha256 \`${frozen.wasmSha256.slice(0, 16)}…\`.`);
  out.push(`Order: ${CONFIGURATIONS.map((c) => c.name).join(', then ')}, each on a fresh configuration and state directory, Durable Object store. ` +
    'PS256 ID tokens come from the SPA client\'s id_token_signed_response_alg: with keys PS256 then ES256 and no client setting they would be ES256.');
  const allPinned = results.every((r) => r.pinned);
  out.push(allPinned ? `Pinned: wrangler tree on CPU ${OP_CPU}, load generator (autocannon) on CPU ${LOAD_CPU}.` : 'NOT pinned (taskset unavailable or refused) for at least one configuration.');
  out.push(`${baseline.minted.codes} codes per configuration, each used once; the algorithms are those of the tokens' headers, every token verified.`);
  out.push('');
  out.push('| phase | keys | ID token | access token | OP CPU ms/req | CPU / ES256 | CPU − ES256 ms | req/s | p50 ms | p99 ms |');
  out.push('|---|---|---|---|---:|---:|---:|---:|---:|---:|');
  for (const [key, label] of ROWS) {
    const base = baseline.rows[key];
    for (const [i, r] of results.entries()) {
      const row = r.rows[key];
      out.push(`| ${label} | ${CONFIGURATIONS[i].name} | ${r.idTokenAlg} | ${r.accessTokenAlg} | ${fmt(row.opCpuMs)} | ` +
        `${fmtRatio(row.opCpuMs, base.opCpuMs)} | ${fmt(row.opCpuMs - base.opCpuMs)} | ${fmtInt(row.rps)} | ${fmt(row.p50)} | ${fmt(row.p99)} |`);
    }
  }
  out.push('');
  out.push('CPU / ES256 over 1×: the key set costs more per exchange than ES256 for both tokens; CPU − ES256 is that extra in ms.');
  out.push('');
  for (const [i, r] of results.entries()) out.push(...noteLines(r.bench, r.placement, `${CONFIGURATIONS[i].name}: `));
  console.log(out.join('\n'));
}

async function main() {
  log('building the Worker if needed (scripts/build-worker.sh) and freezing a copy of worker/build');
  const frozen = frozenWorker();
  log(`Worker under test: index_bg.wasm sha256 ${frozen.wasmSha256.slice(0, 16)}…, copied to ${frozen.dir}`);
  const results = [];
  try {
    for (const configuration of CONFIGURATIONS) results.push(await measure(frozen, configuration));
  } finally {
    frozen.remove();
  }
  report(frozen, results);
  const failures = results.flatMap((r, i) => r.bench.failures.map((f) => `${CONFIGURATIONS[i].name}: ${f}`));
  reportFailures(failures, 'Every measured exchange, with every key set, was a 200 with every token present; every issued token verified, with the algorithms expected.');
}

await main();
