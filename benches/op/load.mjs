// Load on the OpenID Provider as it runs locally: the real Worker on workerd behind `wrangler dev`
// (local KV on disk), driven from 127.0.0.1 by autocannon. Bounded: fixed durations for the static
// documents and introspection, fixed request counts for the token endpoint and revocation; the
// whole run takes about two and a half minutes.
//
//   node benches/op/load.mjs            (or benches/run.sh, which runs every benchmark)
//
// The Worker is built as tests/e2e/wrangler.mjs builds it, then a copy of worker/build is served
// (`startWrangler` from a temporary copy of tests/e2e/wrangler.mjs whose wrangler.toml has no
// [build] table): in a shared working tree, wrangler's watch on src/ would otherwise rebuild
// and reload the Worker in the middle of a measurement.
//
// What it measures, after a warm-up of each:
//   1. GET /.well-known/openid-configuration
//   2. GET /jwks, also on one connection: the floor under every request (proxy + Worker)
//   3. POST /token, grant_type=authorization_code (PKCE S256, public SPA client): once
//      sequentially (one connection: what one exchange costs on an idle OP) and once under load.
//      Every request carries its own single-use code, minted beforehand through the real flow:
//      one login through the HTML form, then GET /authorize with the session cookie, each with
//      its own PKCE pair, nonce and state (codes live 60 s, so each batch is minted just before
//      it is used).
//   4. POST /token, grant_type=refresh_token: each refresh token of the measured exchanges (scope
//      `openid offline_access`) used exactly once, sequentially and under load.
//   5. POST /introspect (RFC 7662) by the fixture's confidential `service` client
//      (client_secret_basic, a PBKDF2 hash of 1,000 iterations as in tests/e2e/fixture.mjs) of the
//      access tokens issued in 3 and 4 (ES256 JWTs): 3 s warm-up and OP_BENCH_SECONDS on 10
//      connections, then 3 s on one connection. The OP remembers the last checked access tokens
//      (up to 1,024, src/op/resource.rs `access_token_claims`), so introspecting one token over
//      and over would measure that cache; the three phases instead take the tokens in turn from
//      one cycle through all of them (about 5,600 in a default run), so a token comes back only
//      after every other one and each request checks a signature and reads the family notice.
//   6. POST /revoke (RFC 7009) by the public SPA client (`token`, `token_type_hint`, `client_id`)
//      of the refresh tokens the refreshes of 4 returned, still unused, each revoked once: the
//      successors of the warm-up refreshes as warm-up, then those of the measured refreshes,
//      sequentially and under load (as many as in 3 and 4). A revocation reads the grant, then
//      writes the family's notice (KV) and its mark (Durable Object).
//
// Correctness comes first: every measured response must be a 200 with the expected body (the
// documents byte for byte as fetched beforehand; the token responses with every token present;
// an introspection answer `{"active": true, ...}` with the user's sub, the SPA's client_id and
// the issuer; a revocation answer empty). After the revocations, 20 of the revoked refresh
// tokens, spread over all of them, must get invalid_grant at /token, and each of them and the
// access token issued with it `{"active": false}` at /introspect. After the measurements every
// ID token and access token issued is verified with `jose` against the published JWKS (ES256,
// issuer, audience and nonce for ID tokens). Any non-2xx, socket error, timeout, bad body or
// failed check is counted, reported, and makes the exit status 1. Timing is never asserted.
//
// Placement on the 2-CPU machine: wrangler (its Node process, both workerd processes: wrangler's
// proxy in front and the one running the Worker and local KV) is pinned to CPU 1 with
// `taskset -a -p`, this process (autocannon and the minting client) to CPU 0. The pins and the
// share of each CPU used by other processes during each phase are printed with the results.
//
// Latency percentiles come from every response's own time (autocannon's `response` event, in
// fractional ms): autocannon's own histogram has 1 ms resolution. req/s is responses divided by
// the wall time of the run. "OP CPU ms/req" is the user+system CPU time of the whole wrangler
// process tree during the phase divided by the responses (10 ms clock ticks, so it is coarse
// for short phases).
//
// Environment knobs (defaults in brackets): OP_BENCH_CONNECTIONS [10] for the loaded phases,
// OP_BENCH_SECONDS [8] per document phase and for the loaded introspection, OP_BENCH_CODES
// [2000] codes exchanged under load (and refreshes, revocations), OP_BENCH_SEQUENTIAL [300]
// exchanges, refreshes and revocations measured on one connection, OP_BENCH_WARMUP [100]
// exchanges, refreshes and revocations before the sequential ones, OP_BENCH_TRACE=1 prints each
// phase's p50 by tenth of its responses (to see warm-up and drift).
//
// The machinery (frozen Worker, pins, CPU accounting, phases, minting, token, introspection and
// revocation requests and their checks, verification) is benches/op/harness.mjs, shared with
// stores.mjs, signing.mjs and peer.mjs.

import {
  CONNECTIONS, DOC_SECONDS, DOC_WARMUP_SECONDS, LOAD_CPU, OP_CPU,
  enoughCpus, fmt, fmtInt, frozenWorker, getPhase, introspectionPhases, log, noteLines, reportFailures,
  revocationPhases, sameBody, startOurProvider, tokenPhases, verifyOurTokens,
} from './harness.mjs';

async function main() {
  if (!enoughCpus()) log('fewer than 2 CPUs: pinning skipped');

  log('building the Worker if needed (scripts/build-worker.sh) and freezing a copy of worker/build');
  const frozen = frozenWorker();
  log(`Worker under test: index_bg.wasm sha256 ${frozen.wasmSha256.slice(0, 16)}…, copied to ${frozen.dir}`);

  let ours;
  try {
    ours = await startOurProvider(frozen);
  } catch (err) {
    frozen.remove();
    throw err;
  }
  const { bench, issuer, pinned, placement, flow } = ours;

  try {
    // -- 1, 2: the static documents, byte for byte as fetched before the run --------------------
    for (const [label, path, text] of [
      ['discovery', new URL(`${issuer}/.well-known/openid-configuration`).pathname, ours.discoveryText],
      ['JWKS', '/jwks', ours.jwksText],
    ]) {
      await getPhase(bench, {
        name: `${label}, GET ${path}, ${CONNECTIONS} connections`,
        label, path, check: sameBody(text), connections: CONNECTIONS, duration: DOC_SECONDS, warmup: DOC_WARMUP_SECONDS,
      });
    }
    // The floor under every request: the cheapest document, one request at a time, through
    // wrangler's proxy and the Worker.
    await getPhase(bench, {
      name: 'JWKS, GET /jwks, 1 connection (sequential)',
      label: 'JWKS (sequential)', path: '/jwks', check: sameBody(ours.jwksText), connections: 1, duration: DOC_WARMUP_SECONDS,
    });

    // -- 3, 4: the code exchange, then refresh ----------------------------------------------------
    const { minted, successors } = await tokenPhases(bench, flow, ours.mintOne);

    // -- 5: introspection of the access tokens issued, before anything is revoked -----------------
    await introspectionPhases(ours, { seconds: DOC_SECONDS, warmup: DOC_WARMUP_SECONDS, sequentialSeconds: DOC_WARMUP_SECONDS });

    // -- 6: revocation of the refreshes' successors, then a sample checked -------------------------
    const revocation = await revocationPhases(ours, successors);

    // -- Every token issued, verified -------------------------------------------------------------
    await verifyOurTokens(ours);

    // -- Report -----------------------------------------------------------------------------------
    const out = [];
    out.push('');
    out.push(`OpenID Provider on local workerd: \`wrangler dev --log-level warn\` (wrangler's proxy workerd in front of the Worker's workerd), local KV on disk, 127.0.0.1.`);
    out.push(pinned ? `Pinned: wrangler tree on CPU ${OP_CPU}, load generator (autocannon) on CPU ${LOAD_CPU}.` : 'NOT pinned (taskset unavailable or refused): OP and load generator share both CPUs.');
    out.push(`Pre-minted ${minted.codes} codes (one login through the form, then GET /authorize with the session, one PKCE pair each); ${minted.refreshTokens} refresh tokens from those exchanges, each used once; ${revocation.revoked} refresh tokens (the refreshes' successors) revoked once each, ${revocation.sampled} of them checked afterwards.`);
    out.push('');
    out.push('| endpoint | connections | req/s | p50 ms | p99 ms | requests | non-2xx | OP CPU ms/req |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of bench.rows) {
      const non2xx = r.non2xx + (r.errors || r.timeouts ? ` (+${r.errors} errors, ${r.timeouts} timeouts)` : '');
      out.push(`| ${r.name} | ${r.connections} | ${fmtInt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmtInt(r.responses)} | ${non2xx} | ${fmt(r.opCpuMs)} |`);
    }
    out.push('');
    out.push(...noteLines(bench, placement));
    console.log(out.join('\n'));
  } finally {
    await ours.op.stop();
    frozen.remove();
  }

  reportFailures(bench.failures, 'Every measured response was a 200 with the expected body; every issued token verified; every sampled revoked token refused.');
}

await main();
