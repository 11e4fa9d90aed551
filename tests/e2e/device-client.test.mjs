// The package's device-flow client (startDeviceAuthorization, built into pkg/) against the
// real OP: the Worker on workerd (`wrangler dev`, local KV), the user's approval done through
// the real /device pages (sign in, confirm the code, allow or deny) with plain `fetch` and a
// cookie jar (./browserless.mjs). The tokens the client returns are cross-checked with `jose`
// against the OP's JWKS; the polling is judged by the OP itself, which answers slow_down to
// a poll that comes too soon (RFC 8628 §3.5). tests/node/device.test.mjs covers the timing
// edge cases against a stub.
//
//   node --test tests/e2e/device-client.test.mjs      (needs pkg/: bash scripts/build-pkg.sh)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { importPackage } from '../node/package.mjs';
import { rejection } from '../shared/node-helpers.mjs';
import { Browser, parseForm } from './browserless.mjs';
import { addDeviceClients, opFixture } from './fixture.mjs';
import { call } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const { startDeviceAuthorization, OidcEdgeError } = await importPackage();

describe('startDeviceAuthorization against the OP on workerd', () => {
  let op;
  let fx;
  let tv;
  let kiosk;
  let issuer;
  let started;

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    ({ tv, kiosk } = addDeviceClients(fx));
    issuer = fx.config.issuer;
    op = await startWrangler({ port, secrets: fx.secrets });
    started = Date.now();
  });
  after(async () => {
    if (started) console.log(`# device client tests ran for ${((Date.now() - started) / 1000).toFixed(1)} s against ${op.url}`);
    await op?.stop();
  });

  /** A person at /device: opens `url`, signs in, confirms `userCode`, answers `decision`. */
  async function approve(url, userCode, decision = 'allow') {
    const browser = new Browser(op.url);
    const signIn = await browser.navigate(url);
    assert.match(signIn.html, /Sign in to/);
    const codeForm = await browser.submit(signIn.url, parseForm(signIn.html), {
      username: fx.user.username,
      password: fx.user.password,
    });
    assert.equal(new URL(codeForm.url).pathname, '/device', codeForm.html);
    const approval = await browser.submit(codeForm.url, parseForm(codeForm.html), { user_code: userCode });
    assert.equal(approval.res.status, 200, approval.html);
    return browser.submit(approval.url, parseForm(approval.html), { decision });
  }

  /**
   * `fetch` for the client that records the OP's answer to each of its polls in `answers`
   * (200, the OAuth error, or "failed" when none came) and calls `onAnswer(answer)`;
   * `beforePoll(url, init)` runs before each poll is sent.
   */
  function watchedFetch(answers, { onAnswer = () => {}, beforePoll = async () => {} } = {}) {
    return async (url, init) => {
      const isPoll = url === `${issuer}/token`;
      if (isPoll) await beforePoll(url, init);
      const res = await fetch(url, init).catch((err) => {
        if (isPoll) answers.push(`failed (${err.name})`);
        throw err;
      });
      if (isPoll) {
        const body = await res.clone().json().catch(() => ({}));
        const answer = res.status === 200 ? 200 : body.error;
        answers.push(answer);
        onAnswer(answer);
      }
      return res;
    };
  }

  // Each request may take as long as it takes on a loaded machine: a poll the client gave up
  // on may still be counted by the OP, which would then rightly answer the next one slow_down.
  const timeout = 600;

  const once = () => {
    let resolve;
    const promise = new Promise((r) => {
      resolve = r;
    });
    return { promise, resolve };
  };

  test('a public client starts, the user approves on the /device pages while it polls, and it returns tokens that verify (RFC 8628 §3.1-§3.5)', async () => {
    const answers = [];
    const pending = once();
    const device = await startDeviceAuthorization({
      issuer, clientId: tv.clientId, scope: 'openid profile offline_access', timeout,
      fetch: watchedFetch(answers, { onAnswer: (answer) => answer === 'authorization_pending' && pending.resolve() }),
    });
    assert.match(device.userCode, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(device.verificationUri, `${issuer}/device`);
    assert.ok(device.verificationUriComplete.startsWith(`${issuer}/device?`), device.verificationUriComplete);
    assert.equal(device.interval, 5);
    assert.equal(device.expiresIn, 600);

    const polling = device.poll();
    // The person answers once the OP has told the client to keep waiting.
    await pending.promise;
    const answered = await approve(device.verificationUriComplete, device.userCode);
    assert.match(answered.html, /Device connected/);
    const tokens = await polling;
    // Every poll came at the interval: the OP never had to say slow_down.
    assert.equal(answers.at(-1), 200);
    assert.ok(answers.length >= 2);
    assert.deepEqual(answers.slice(0, -1), answers.slice(0, -1).map(() => 'authorization_pending'), answers.join(', '));

    // The tokens, checked by jose against the OP's keys.
    const jwks = jose.createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const { payload: id } = await jose.jwtVerify(tokens.idToken, jwks, { issuer, audience: tv.clientId });
    assert.equal(id.sub, fx.user.sub);
    assert.equal(id.name, 'Demo User');
    assert.deepEqual(tokens.claims, id);
    const { payload: access } = await jose.jwtVerify(tokens.accessToken, jwks, { issuer, typ: 'at+jwt' });
    assert.equal(access.sub, fx.user.sub);
    assert.equal(access.client_id, tv.clientId);
    assert.equal(tokens.tokenType, 'Bearer');
    // Counted from when the client asked, which is no later than when the OP issued it.
    assert.ok(tokens.expiresAt <= access.exp && tokens.expiresAt > Date.now() / 1000, `${tokens.expiresAt} ${access.exp}`);
    assert.deepEqual(tokens.scope.split(' ').sort(), ['offline_access', 'openid', 'profile']);
    assert.equal(typeof tokens.refreshToken, 'string');
    const info = await call(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    assert.equal(info.status, 200, info.text);
    assert.equal(info.json.sub, fx.user.sub);
  });

  test('a confidential client authenticates with client_secret_basic; the user denies, and polling ends in access_denied (RFC 8628 §3.5)', async () => {
    const wrong = await rejection(startDeviceAuthorization({ issuer, clientId: kiosk.clientId, clientSecret: 'not-the-secret', scope: 'openid' }));
    assert.ok(wrong instanceof OidcEdgeError);
    assert.equal(wrong.code, 'device_authorization_error');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.error, 'invalid_client');

    const answers = [];
    const device = await startDeviceAuthorization({
      issuer, clientId: kiosk.clientId, clientSecret: kiosk.secret, scope: 'openid', timeout, fetch: watchedFetch(answers),
    });
    const typed = device.userCode.replace('-', '').toLowerCase();
    const answered = await approve(device.verificationUri, typed, 'deny');
    assert.match(answered.html, /Request denied/);
    const err = await rejection(device.poll());
    assert.equal(err.code, 'access_denied');
    assert.equal(err.error, 'access_denied');
    assert.deepEqual(answers, ['access_denied']);
  });

  test('OIDC Discovery §4.3: the issuer must be exactly the OP\'s', async () => {
    const err = await rejection(startDeviceAuthorization({ issuer: `${issuer}/`, clientId: tv.clientId, scope: 'openid' }));
    assert.equal(err.code, 'discovery_invalid');
  });

  test('slow_down: when another poll of the code takes its turn, the OP says slow_down; the client waits 5 s more from then on, and the OP never says it again (RFC 8628 §3.5)', async () => {
    const answers = [];
    const slowed = [];
    let interfering = true;
    const pendingAfterSlowDown = once();
    const device = await startDeviceAuthorization({
      issuer, clientId: tv.clientId, scope: 'openid', timeout,
      fetch: watchedFetch(answers, {
        // Until the OP has said slow_down, each of the client's polls is preceded by another
        // poll of the same code (as from a second copy of the device), which takes the turn.
        beforePoll: async (url, init) => {
          if (interfering) await (await fetch(url, init)).arrayBuffer();
        },
        onAnswer: (answer) => {
          if (answer === 'slow_down') interfering = false;
          else if (!interfering && answer === 'authorization_pending') pendingAfterSlowDown.resolve();
        },
      }),
    });
    const polling = device.poll({ onSlowDown: (interval) => slowed.push(interval) });
    // The person answers after the OP has seen one poll at the longer interval.
    await pendingAfterSlowDown.promise;
    await approve(device.verificationUriComplete, device.userCode);
    const tokens = await polling;

    assert.deepEqual(slowed, [10], answers.join(', '));
    assert.equal(device.interval, 10);
    const after = answers.slice(answers.indexOf('slow_down') + 1);
    assert.equal(after.at(-1), 200, answers.join(', '));
    assert.ok(after.length >= 2, answers.join(', '));
    assert.deepEqual(after.slice(0, -1), after.slice(0, -1).map(() => 'authorization_pending'), answers.join(', '));
    const { payload } = await jose.jwtVerify(tokens.idToken, jose.createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
      issuer, audience: tv.clientId,
    });
    assert.equal(payload.sub, fx.user.sub);
  });
});
