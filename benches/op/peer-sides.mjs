// The two providers of benches/op/peer.mjs and benches/op/peer-rounds.mjs, started the same
// way for both scripts: ours (the frozen worker/build with the Durable Object store, as
// load.mjs starts it) and theirs (benches/op/peer-worker, workers-oauth-provider, with one
// public client registered through its /register). Each start returns what the scripts
// measure with: { op, bench, pinned, placement, flow, mintOne, floorText, metadataText,
// resource: { path, sub }, verify() }.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Browser } from '../../tests/e2e/browserless.mjs';
import {
  DIRECT, ROOT, Bench, exchangeForm, fetchText, fmt, formHeaders, log, mintCode, startOurProvider, startPinned, subjectIs,
  tokenFlow, verifyOurTokens, workerEntry,
} from './harness.mjs';

export const METADATA_PATH = '/.well-known/oauth-authorization-server';
export const FLOOR_PATH = '/healthz';
/** Ours: the Bearer resource (benches/op/peer.mjs says why not /api/me). */
export const OUR_RESOURCE_PATH = '/userinfo';
export const PEER_RESOURCE_PATH = '/api/me';
/** The user every peer authorization is completed for (peer-worker/worker.js USER_ID). */
const PEER_USER = 'bench-user';
const PEER_REDIRECT_URI = 'http://localhost:5173/callback';
/** Parallel requests while checking the peer's access tokens after the measurements. */
const VERIFY_CONCURRENCY = 8;

export const packageVersion = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

/**
 * With OP_BENCH_DIRECT=1, points `contender`'s bench past wrangler's proxy, at the workerd of
 * its own tree (`contender.bench.processes()`, so call it once that names one tree only);
 * every phase after it goes there. Returns where the phases go.
 */
export async function routeDirect(contender) {
  const { bench } = contender;
  if (DIRECT) bench.entry = await workerEntry(bench.url, bench.processes(), FLOOR_PATH, contender.floorText);
  return bench.entry === null ? `${bench.url} (through wrangler's proxy)` : `${bench.entry} (the Worker's workerd, past wrangler's proxy)`;
}

/** Ours, started from `frozen` (frozenWorker()). */
export async function startOurs(frozen) {
  const ours = await startOurProvider(frozen, { vars: { OIDC_STORE: 'durable-object' } });
  try {
    return {
      ...ours,
      floorText: await fetchText(`${ours.issuer}${FLOOR_PATH}`, FLOOR_PATH),
      metadataText: await fetchText(`${ours.issuer}${METADATA_PATH}`, 'metadata'),
      resource: { path: OUR_RESOURCE_PATH, sub: ours.fx.user.sub },
      verify: () => verifyOurTokens(ours),
    };
  } catch (err) {
    await ours.op.stop();
    throw err;
  }
}

/** Theirs, started from `frozen` (frozenPeerWorker()). */
export async function startTheirs(frozen) {
  const { freePort } = await frozen.wrangler();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  // The library binds every token to one canonical resource, given at construction: the origin.
  const { op, pinned, placement } = await startPinned(frozen, { port, vars: { PEER_RESOURCE: issuer }, build: false });
  try {
    const metadataText = await fetchText(`${issuer}${METADATA_PATH}`, 'their metadata');
    const metadata = JSON.parse(metadataText);
    const flow = tokenFlow({
      issuer,
      authorizePath: new URL(metadata.authorization_endpoint).pathname,
      tokenPath: new URL(metadata.token_endpoint).pathname,
      clientId: await registerPublicClient(metadata.registration_endpoint),
      redirectUri: PEER_REDIRECT_URI,
      idToken: false, // OAuth only: no ID token
    });
    const bench = new Bench(issuer);
    const browser = new Browser(issuer);
    return {
      op, bench, pinned, placement, flow,
      // No session to hold: their /authorize approves at once with a 302 to the client.
      mintOne: () => mintCode(browser, flow, 302),
      floorText: await fetchText(`${issuer}${FLOOR_PATH}`, FLOOR_PATH),
      metadataText,
      resource: { path: PEER_RESOURCE_PATH, sub: PEER_USER },
      verify: () => verifyTheirTokens(issuer, flow, bench),
    };
  } catch (err) {
    await op.stop();
    throw err;
  }
}

/** Registers one public client (RFC 7591, token_endpoint_auth_method none); returns its id. */
async function registerPublicClient(registrationEndpoint) {
  const res = await fetch(registrationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'oidc-edge benchmark',
      redirect_uris: [PEER_REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`their /register answered ${res.status}: ${text}`);
  const client = JSON.parse(text);
  if (!client.client_id || client.token_endpoint_auth_method !== 'none' || client.client_secret) {
    throw new Error(`their /register did not register a public client: ${text}`);
  }
  return client.client_id;
}

/**
 * Their tokens are opaque (a KV record each): every access token issued during the run must
 * still answer GET /api/me with the expected subject. Failures go to the bench's.
 */
async function verifyTheirTokens(issuer, flow, bench) {
  const t0 = Date.now();
  const check = subjectIs(PEER_USER);
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < flow.issued.length) {
      const item = flow.issued[next++];
      const res = await fetch(`${issuer}${PEER_RESOURCE_PATH}`, { headers: { authorization: `Bearer ${item.accessToken}` } });
      const body = await res.text();
      const wrong = res.status === 200 ? check(body) : `${res.status} ${body.slice(0, 200)}`;
      if (wrong && failed++ === 0) bench.failures.push(`${item.label}: access token refused at ${PEER_RESOURCE_PATH}: ${wrong}`);
    }
  };
  await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, worker));
  if (failed) bench.failures.push(`${failed} access tokens failed at ${PEER_RESOURCE_PATH}`);
  log(`checked ${flow.issued.length} access tokens at ${PEER_RESOURCE_PATH} in ${fmt((Date.now() - t0) / 1000, 1)} s`);
}

/** One access token from one code exchange, outside the measurements. */
export async function oneAccessToken(contender) {
  const { flow } = contender;
  const res = await fetch(new URL(flow.tokenPath, flow.issuer), {
    method: 'POST',
    headers: formHeaders,
    body: new URLSearchParams(exchangeForm(flow, await contender.mintOne())).toString(),
  });
  const text = await res.text();
  const token = res.status === 200 ? JSON.parse(text).access_token : undefined;
  if (!token) throw new Error(`code exchange for the resource phase answered ${res.status}: ${text}`);
  return token;
}
