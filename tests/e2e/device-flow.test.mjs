// The device authorization grant (RFC 8628) on the real Worker under `wrangler dev`:
// openid-client's `initiateDeviceAuthorization` and `pollDeviceAuthorizationGrant` against the
// OP, the user's approval done through the real /device pages by a scripted browser (sign in,
// confirm the code, allow or deny), and the hostile cases: guessed user codes, another
// client's device code, polling too fast, and many polls of one approved code at once.
//
//   node --test tests/e2e/device-flow.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as client from 'openid-client';

import { Browser, parseForm } from './browserless.mjs';
import { addDeviceClients, opFixture } from './fixture.mjs';
import { basicAuth, call, tokenRequest } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Polls of one approved device code sent at once. */
const RACERS = 20;

/** `n` copies of `send()` started together; their answers in order. */
async function race(n, send) {
  let go;
  const gate = new Promise((resolve) => {
    go = resolve;
  });
  const all = Array.from({ length: n }, () => gate.then(send));
  go();
  return Promise.all(all);
}

describe('the device authorization grant (RFC 8628) on wrangler dev', () => {
  let op;
  let fx;
  let tv;
  let kiosk;
  let started;

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    ({ tv, kiosk } = addDeviceClients(fx));
    op = await startWrangler({ port, secrets: fx.secrets });
    started = Date.now();
  });
  after(async () => {
    if (started) console.log(`# tests ran for ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await op?.stop();
  });

  const configFor = (who) =>
    client.discovery(
      new URL(fx.config.issuer),
      who.clientId,
      undefined,
      who.secret ? client.ClientSecretBasic(who.secret) : client.None(),
      { execute: [client.allowInsecureRequests] },
    );

  /**
   * A person at /device: opens `url` (the verification URI, complete or not), signs in, enters
   * `userCode` if the form is not prefilled, and answers `decision` on the approval page.
   * Returns each page seen, by name.
   */
  async function approve(url, userCode, decision = 'allow', browser = new Browser(op.url)) {
    const signIn = await browser.navigate(url);
    assert.match(signIn.html, /Sign in to/);
    const codeForm = await browser.submit(signIn.url, parseForm(signIn.html), {
      username: fx.user.username,
      password: fx.user.password,
    });
    assert.equal(new URL(codeForm.url).pathname, '/device', codeForm.html);
    const approval = await browser.submit(codeForm.url, parseForm(codeForm.html), { user_code: userCode });
    assert.equal(approval.res.status, 200, approval.html);
    const answered = await browser.submit(approval.url, parseForm(approval.html), { decision });
    return { signIn, codeForm, approval, answered, browser };
  }

  test('openid-client: a public client starts, the user approves on the pages, polling returns the tokens once (RFC 8628 §3.1-§3.5)', async () => {
    const config = await configFor(tv);
    assert.equal(config.serverMetadata().device_authorization_endpoint, `${fx.config.issuer}/device_authorization`);
    assert.ok(config.serverMetadata().grant_types_supported.includes(GRANT));
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    assert.match(response.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(response.verification_uri, `${fx.config.issuer}/device`);
    assert.equal(response.interval, 5);
    assert.equal(response.expires_in, 600);

    // §3.3.1: the complete URI prefills the code; the person still confirms it.
    const pages = await approve(response.verification_uri_complete, response.user_code);
    assert.match(pages.codeForm.html, new RegExp(`value="${response.user_code}"`));
    assert.match(pages.approval.html, /Living-room TV/);
    assert.match(pages.approval.html, /Your name and basic profile/);
    assert.match(pages.answered.html, /Device connected/);

    const tokens = await client.pollDeviceAuthorizationGrant(config, response);
    const claims = tokens.claims();
    assert.equal(claims.sub, fx.user.sub);
    assert.equal(claims.aud, tv.clientId);
    assert.equal(claims.name, 'Demo User');
    assert.ok(tokens.refresh_token);

    const info = await client.fetchUserInfo(config, tokens.access_token, fx.user.sub);
    assert.equal(info.sub, fx.user.sub);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.equal(refreshed.claims().sub, fx.user.sub);

    // Spent: a poll after the tokens is invalid_grant.
    const again = await tokenRequest(op.url, { grant_type: GRANT, device_code: response.device_code, client_id: tv.clientId });
    assert.equal(again.status, 400, again.text);
    assert.equal(again.json.error, 'invalid_grant');
  });

  test('openid-client: a confidential client authenticates; the user denies; polling ends in access_denied (RFC 8628 §3.5)', async () => {
    const config = await configFor(kiosk);
    const unauthenticated = await call(`${op.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: kiosk.clientId, scope: 'openid' }).toString(),
    });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.json.error, 'invalid_client');

    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const typed = response.user_code.replace('-', '').toLowerCase();
    const pages = await approve(response.verification_uri, typed, 'deny');
    assert.match(pages.answered.html, /Request denied/);
    await assert.rejects(client.pollDeviceAuthorizationGrant(config, response), (err) => {
      assert.equal(err.error, 'access_denied');
      return true;
    });
  });

  test('polling too fast is slow_down; pending meanwhile (RFC 8628 §3.5)', async () => {
    const config = await configFor(tv);
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const poll = () => tokenRequest(op.url, { grant_type: GRANT, device_code: response.device_code, client_id: tv.clientId });
    const first = await poll();
    const second = await poll();
    const errors = [first.json.error, second.json.error];
    // Two polls within one interval: the second is too fast (unless the two straddle the
    // turn of a slot, in which case a third, at once, is).
    if (errors[1] !== 'slow_down') errors.push((await poll()).json.error);
    assert.equal(errors[0], 'authorization_pending');
    assert.ok(errors.slice(1).includes('slow_down'), errors.join(', '));
  });

  test('hostile: another client polling a device code gets invalid_grant, and spends nothing (RFC 8628 §3.4)', async () => {
    const config = await configFor(tv);
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    await approve(response.verification_uri_complete, response.user_code);
    const stolen = await tokenRequest(
      op.url,
      { grant_type: GRANT, device_code: response.device_code },
      { authorization: basicAuth(kiosk.clientId, kiosk.secret) },
    );
    assert.equal(stolen.status, 400, stolen.text);
    assert.equal(stolen.json.error, 'invalid_grant');
    const spa = await tokenRequest(op.url, { grant_type: GRANT, device_code: response.device_code, client_id: fx.spa.clientId });
    assert.equal(spa.json.error, 'unauthorized_client');
    const tokens = await client.pollDeviceAuthorizationGrant(config, response);
    assert.equal(tokens.claims().sub, fx.user.sub);
  });

  test('hostile: guessing user codes is refused with 429 after 10 look-ups in one browser, the right code too (RFC 8628 §5.1)', async () => {
    const config = await configFor(tv);
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const browser = new Browser(op.url);
    const signIn = await browser.navigate(`${op.url}/device`);
    const codeForm = await browser.submit(signIn.url, parseForm(signIn.html), {
      username: fx.user.username,
      password: fx.user.password,
    });
    const form = parseForm(codeForm.html);
    const statuses = [];
    for (let i = 0; i < 10; i++) {
      const guess = await browser.submit(codeForm.url, form, { user_code: `BCDF-${'GHJKLMNP'.slice(i % 4, i % 4 + 4)}` });
      statuses.push(guess.res.status);
    }
    assert.deepEqual(statuses, Array(10).fill(400));
    const right = await browser.submit(codeForm.url, form, { user_code: response.user_code });
    assert.equal(right.res.status, 429);
    assert.ok(Number(right.res.headers.get('retry-after')) > 0);
    // The request is still pending, and another person approves it.
    const pending = await tokenRequest(op.url, { grant_type: GRANT, device_code: response.device_code, client_id: tv.clientId });
    assert.equal(pending.json.error, 'authorization_pending');
    const pages = await approve(response.verification_uri, response.user_code);
    assert.match(pages.answered.html, /Device connected/);
  });

  test(`concurrency: ${RACERS} polls of one approved device code at once get the tokens exactly once`, async (t) => {
    for (let round = 0; round < 3; round++) {
      const config = await configFor(tv);
      const response = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
      await approve(response.verification_uri_complete, response.user_code);
      const answers = await race(RACERS, () =>
        tokenRequest(op.url, { grant_type: GRANT, device_code: response.device_code, client_id: tv.clientId }));
      const counts = {};
      for (const res of answers) {
        const key = res.status === 200 ? '200' : `${res.status} ${res.json?.error}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      t.diagnostic(`round ${round + 1}: ${JSON.stringify(counts)}`);
      assert.deepEqual(counts, { 200: 1, '400 invalid_grant': RACERS - 1 });
      // The winner's tokens work.
      const winner = answers.find((res) => res.status === 200).json;
      const info = await call(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${winner.access_token}` } });
      assert.equal(info.status, 200, info.text);
    }
  });
});
