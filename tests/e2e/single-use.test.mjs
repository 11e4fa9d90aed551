// Single use under concurrency (issue 14), on the real Worker under `wrangler dev`: one code
// exchanged by 20 requests at once, one refresh token refreshed by 20 at once, one DPoP proof
// sent in 20 requests at once, and 20 wrong passwords posted at once from one address.
//
//   node --test tests/e2e/single-use.test.mjs
//
// Two Workers, started together: the default store (single-use records in the Durable Object,
// worker/src/objects.rs), where the outcomes are asserted, and the KV-only mode
// (`OIDC_STORE=kv`), where the same races are only measured: how many got through is printed
// as a diagnostic (`# kv-only: …`), never asserted. Local KV under workerd is one location, so
// the KV numbers are what a single location lets through; across locations the README's
// windows add to them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Browser, parseForm } from './browserless.mjs';
import { opFixture } from './fixture.mjs';
import { authorizeUrl, call, dpopKey, dpopProof, pkce, signIn, tokenRequest, withDpopNonce } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

/** Requests sent at once in every race. */
const RACERS = 20;
/** Races per case: each asserted with the Durable Object; measured in KV-only mode. */
const ROUNDS = { objects: 3, kv: 10 };

/** Failed sign-ins allowed per address: what the login race is held to. */
const PER_ADDRESS = 5;

/** A Worker in one store mode, with its configuration. */
async function startOp(vars) {
  const port = await freePort();
  const fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
  // A day's window: a race never straddles two. The other races sign in from another
  // address, with the right password (successes never count against an address).
  fx.config.login_limits = { per_username: 1000, per_address: PER_ADDRESS, window: 86400 };
  fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
  const op = await startWrangler({ port, secrets: fx.secrets, vars });
  const spa = { clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri };
  return { op, fx, spa };
}

/** `n` copies of `send()` started together; their answers in order. */
async function race(n, send) {
  let go;
  const gate = new Promise((resolve) => {
    go = resolve;
  });
  const all = Array.from({ length: n }, (_, i) => gate.then(() => send(i)));
  go();
  return Promise.all(all);
}

/** `{ "200": 1, "400 invalid_grant": 19 }` from a list of answers. */
function tally(answers) {
  const counts = {};
  for (const res of answers) {
    const error = res.json?.error ?? /error="([^"]+)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
    const key = res.status === 200 ? '200' : `${res.status} ${error ?? ''}`.trim();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const show = (counts) => Object.entries(counts).map(([k, n]) => `${n} × ${k}`).join(', ');

/** The code exchange of a public client. */
const exchange = (env, flow, headers = {}) =>
  tokenRequest(env.op.url, {
    grant_type: 'authorization_code', code: flow.code, redirect_uri: env.spa.redirectUri,
    code_verifier: flow.verifier, client_id: env.spa.clientId,
  }, headers);

const refresh = (env, refreshToken) =>
  tokenRequest(env.op.url, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: env.spa.clientId });

const userinfo = (env, accessToken) =>
  call(`${env.op.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

/**
 * One code, 20 exchanges at once. Returns the answers and, 1 s after the race (when every
 * exchange, winner included, has answered), what the tokens of every success are worth.
 */
async function codeRace(env) {
  const flow = await signIn(env.op.url, env.spa, env.fx.user);
  const answers = await race(RACERS, () => exchange(env, flow));
  const successes = answers.filter((res) => res.status === 200);
  const after = [];
  for (const res of successes) {
    after.push({
      userinfo: (await userinfo(env, res.json.access_token)).status,
      refresh: tally([await refresh(env, res.json.refresh_token)]),
    });
  }
  return { answers, successes, after };
}

/** One refresh token, 20 refreshes at once; then the successor's own refresh. */
async function refreshRace(env) {
  const flow = await signIn(env.op.url, env.spa, env.fx.user);
  const first = await exchange(env, flow);
  assert.equal(first.status, 200, first.text);
  const answers = await race(RACERS, () => refresh(env, first.json.refresh_token));
  const successes = answers.filter((res) => res.status === 200);
  const successors = [...new Set(successes.map((res) => res.json.refresh_token))];
  const next = successors.length ? await refresh(env, successors[0]) : undefined;
  const access = successes.length ? (await userinfo(env, successes[0].json.access_token)).status : undefined;
  return { answers, successes, successors, next, access };
}

/** One DPoP proof for /api/me, in 20 requests at once. */
async function dpopRace(env) {
  const key = await dpopKey();
  const flow = await signIn(env.op.url, env.spa, env.fx.user, { extra: { dpop_jkt: key.jkt } });
  const tokenUrl = `${env.op.url}/token`;
  const { res: tokens } = await withDpopNonce(async (nonce) =>
    exchange(env, flow, { dpop: await dpopProof(key, { htm: 'POST', htu: tokenUrl, nonce }) }));
  assert.equal(tokens.status, 200, tokens.text);
  assert.equal(tokens.json.token_type, 'DPoP');
  const api = `${env.op.url}/api/me`;
  const accessToken = tokens.json.access_token;
  const me = (proof) => call(api, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
  // The resource's nonce (RFC 9449 §9), from its first refusal.
  const refusal = await me(await dpopProof(key, { htm: 'GET', htu: api, accessToken }));
  const nonce = refusal.headers.get('dpop-nonce');
  assert.ok(nonce, `the resource hands out a nonce: ${refusal.status} ${refusal.text}`);
  const proof = await dpopProof(key, { htm: 'GET', htu: api, accessToken, nonce });
  const answers = await race(RACERS, () => me(proof));
  return { answers, accepted: answers.filter((res) => res.status === 200).length };
}

/**
 * 20 login forms, each in a browser of its own, then a wrong password for a different
 * username in each, all posted at once from `address` (a documentation address, one per
 * round, so that rounds do not share a counter).
 */
async function loginRace(env, address) {
  const forms = [];
  for (let i = 0; i < RACERS; i++) {
    const browser = new Browser(env.op.url);
    const { challenge } = pkce();
    const page = await browser.navigate(authorizeUrl(env.op.url, env.spa, { challenge, state: `s${i}`, nonce: `n${i}` }));
    assert.equal(new URL(page.url).pathname, '/login', `racer ${i} reached the login form`);
    forms.push({ browser, url: page.url, form: parseForm(page.html) });
  }
  return race(RACERS, async (i) => {
    const { browser, url, form } = forms[i];
    const res = await browser.fetch(new URL(form.action || url, url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': address },
      body: new URLSearchParams({ ...form.hidden, username: `guess${i}`, password: 'wrong' }).toString(),
    });
    await res.arrayBuffer();
    return res;
  });
}

let objects;
let kvOnly;
let started;

before(async () => {
  // Both at once: the build runs once, and the two startups overlap.
  [objects, kvOnly] = await Promise.all([startOp({}), startOp({ OIDC_STORE: 'kv' })]);
  started = Date.now();
});

after(async () => {
  if (started) console.log(`# tests ran for ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await Promise.all([objects?.op.stop(), kvOnly?.op.stop()]);
});

describe('with the Durable Object (the default store)', () => {
  test(`one code, ${RACERS} exchanges at once: exactly one succeeds, and the replays revoke what it issued (RFC 6749 §4.1.2)`, async (t) => {
    for (let round = 0; round < ROUNDS.objects; round++) {
      const { answers, successes, after } = await codeRace(objects);
      const counts = tally(answers);
      t.diagnostic(`durable object, round ${round + 1}: ${show(counts)}`);
      assert.equal(successes.length, 1, show(counts));
      assert.equal(counts['400 invalid_grant'], RACERS - 1, show(counts));
      // The losers found the winner's grant record (written with an atomic reserve) and
      // revoked its access token and its refresh family.
      assert.deepEqual(after, [{ userinfo: 401, refresh: { '400 invalid_grant': 1 } }]);
    }
  });

  test(`one refresh token, ${RACERS} refreshes at once: one successor, the family whole (RFC 9700 §4.14.2)`, async (t) => {
    for (let round = 0; round < ROUNDS.objects; round++) {
      const { answers, successes, successors, next, access } = await refreshRace(objects);
      const counts = tally(answers);
      t.diagnostic(`durable object, round ${round + 1}: ${show(counts)}; ${successors.length} distinct successor(s)`);
      // Within the 30 s grace every concurrent use is a retry of the same rotation: all may
      // succeed, each with the same successor; none may revoke the family.
      assert.ok(successes.length >= 1, show(counts));
      for (const [answer, n] of Object.entries(counts)) {
        assert.ok(answer === '200' || answer === '400 invalid_grant', `${n} × ${answer}`);
      }
      assert.equal(successors.length, 1, 'one successor');
      assert.equal(next.status, 200, `the successor refreshes: the family is not revoked: ${next.text}`);
      assert.notEqual(next.json.refresh_token, successors[0]);
      assert.equal(access, 200, 'the access tokens of the race stay valid');
    }
  });

  test(`one DPoP proof in ${RACERS} requests at once: accepted once (RFC 9449 §11.1)`, async (t) => {
    for (let round = 0; round < ROUNDS.objects; round++) {
      const { answers, accepted } = await dpopRace(objects);
      const counts = tally(answers);
      t.diagnostic(`durable object, round ${round + 1}: ${show(counts)}`);
      assert.equal(accepted, 1, show(counts));
      assert.equal(counts['401 invalid_dpop_proof'], RACERS - 1, show(counts));
    }
  });

  test(`${RACERS} wrong passwords at once from one address: ${PER_ADDRESS} are checked, the rest wait (login_limits.per_address)`, async (t) => {
    for (let round = 0; round < ROUNDS.objects; round++) {
      const answers = await loginRace(objects, `192.0.2.${round + 1}`);
      const counts = tally(answers);
      t.diagnostic(`durable object, round ${round + 1}: ${show(counts)}`);
      // An attempt in flight counts as a failure until it ends, so of attempts that all
      // start before any ends, only the first PER_ADDRESS get their password checked.
      assert.equal(counts['401'], PER_ADDRESS, show(counts));
      assert.equal(counts['429'], RACERS - PER_ADDRESS, show(counts));
    }
  });
});

describe('KV only (OIDC_STORE=kv): measured, not asserted', () => {
  const rounds = (list) => `${list.join(', ')} in ${list.length} rounds`;

  test(`one code, ${RACERS} exchanges at once`, async (t) => {
    const redeemed = [];
    const revoked = [];
    for (let round = 0; round < ROUNDS.kv; round++) {
      const { answers, successes, after } = await codeRace(kvOnly);
      t.diagnostic(`kv-only, round ${round + 1}: ${show(tally(answers))}`);
      assert.ok(successes.length >= 1, 'the legitimate exchange itself succeeds');
      redeemed.push(successes.length);
      revoked.push(after.filter((a) => a.userinfo === 401).length);
    }
    t.diagnostic(`kv-only: the code redeemed ${rounds(redeemed)}; of those, revoked by the replays: ${revoked.join(', ')}`);
  });

  test(`one refresh token, ${RACERS} refreshes at once`, async (t) => {
    const successors = [];
    const families = [];
    for (let round = 0; round < ROUNDS.kv; round++) {
      const { answers, successors: distinct, next } = await refreshRace(kvOnly);
      t.diagnostic(`kv-only, round ${round + 1}: ${show(tally(answers))}`);
      successors.push(distinct.length);
      families.push(next?.status === 200 ? 'whole' : 'revoked');
    }
    t.diagnostic(`kv-only: distinct successors ${rounds(successors)}; the family afterwards: ${families.join(', ')}`);
  });

  test(`one DPoP proof in ${RACERS} requests at once`, async (t) => {
    const accepted = [];
    for (let round = 0; round < ROUNDS.kv; round++) {
      const race = await dpopRace(kvOnly);
      t.diagnostic(`kv-only, round ${round + 1}: ${show(tally(race.answers))}`);
      accepted.push(race.accepted);
    }
    t.diagnostic(`kv-only: one proof accepted ${rounds(accepted)} (of ${RACERS} each)`);
  });

  test(`${RACERS} wrong passwords at once from one address`, async (t) => {
    const checked = [];
    for (let round = 0; round < ROUNDS.kv; round++) {
      const answers = await loginRace(kvOnly, `198.51.100.${round + 1}`);
      t.diagnostic(`kv-only, round ${round + 1}: ${show(tally(answers))}`);
      checked.push(answers.filter((res) => res.status === 401).length);
    }
    t.diagnostic(`kv-only: passwords checked ${rounds(checked)} (limit ${PER_ADDRESS}, of ${RACERS} each)`);
  });
});
