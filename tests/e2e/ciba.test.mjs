// CIBA in poll mode (OpenID Connect CIBA Core 1.0) on the real Worker under `wrangler dev`:
// openid-client's `initiateBackchannelAuthentication` and `pollBackchannelAuthenticationGrant`
// against the OP, the user's answer given on the real /ciba page by a scripted browser, and the
// hostile cases: another user's page, an unknown user, a binding message that is not plain
// text, many polls of one approved request at once.
//
//   node --test tests/e2e/ciba.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as client from 'openid-client';

import { Browser, parseForm } from './browserless.mjs';
import { addCibaClient, opFixture } from './fixture.mjs';
import { basicAuth, call, tokenRequest } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const GRANT = 'urn:openid:params:grant-type:ciba';
const RACERS = 20;

describe('CIBA in poll mode on wrangler dev', () => {
  let op;
  let fx;
  let desk;
  let second;

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    ({ desk, second } = addCibaClient(fx));
    op = await startWrangler({ port, secrets: fx.secrets });
  });
  after(async () => {
    await op?.stop();
  });

  const config = () =>
    client.discovery(new URL(fx.config.issuer), desk.clientId, undefined, client.ClientSecretBasic(desk.secret), {
      execute: [client.allowInsecureRequests],
    });

  /** A browser signed in at /ciba as `user`; the list page. */
  async function atThePage(user) {
    const browser = new Browser(op.url);
    const signIn = await browser.navigate(`${op.url}/ciba`);
    assert.match(signIn.html, /Sign in to/);
    const list = await browser.submit(signIn.url, parseForm(signIn.html), { username: user.username, password: user.password });
    assert.equal(new URL(list.url).pathname, '/ciba', list.html);
    return { browser, list };
  }

  /** The answer form of the request showing `message` on the list page. */
  function formOf(list, message) {
    const section = list.html.split('<section>').find((s) => s.includes(message));
    assert.ok(section, `no request showing ${message} in ${list.html}`);
    return parseForm(section);
  }

  test('openid-client: initiate, the user allows on /ciba, polling returns the tokens once (CIBA Core §7, §10.1)', async () => {
    const cfg = await config();
    const meta = cfg.serverMetadata();
    assert.equal(meta.backchannel_authentication_endpoint, `${fx.config.issuer}/bc-authorize`);
    assert.deepEqual(meta.backchannel_token_delivery_modes_supported, ['poll']);
    const response = await client.initiateBackchannelAuthentication(cfg, {
      scope: 'openid profile offline_access', login_hint: fx.user.username, binding_message: 'Transfer 4711',
    });
    assert.equal(response.interval, 5);
    assert.equal(response.expires_in, 300);

    const { browser, list } = await atThePage(fx.user);
    assert.match(list.html, /Bank call centre/);
    assert.match(list.html, /Transfer 4711/);
    const done = await browser.submit(list.url, formOf(list, 'Transfer 4711'), { decision: 'allow' });
    assert.match(done.html, /Allowed/);

    const tokens = await client.pollBackchannelAuthenticationGrant(cfg, response);
    assert.equal(tokens.claims().sub, fx.user.sub);
    assert.equal(tokens.claims().aud, desk.clientId);
    assert.ok(tokens.refresh_token);
    const again = await tokenRequest(op.url, { grant_type: GRANT, auth_req_id: response.auth_req_id }, { authorization: basicAuth(desk.clientId, desk.secret) });
    assert.equal(again.json.error, 'invalid_grant');
  });

  test('openid-client: the user denies; polling ends in access_denied (CIBA Core §11)', async () => {
    const cfg = await config();
    const response = await client.initiateBackchannelAuthentication(cfg, { scope: 'openid', login_hint: fx.user.username, binding_message: 'Deny me' });
    const { browser, list } = await atThePage(fx.user);
    const done = await browser.submit(list.url, formOf(list, 'Deny me'), { decision: 'deny' });
    assert.match(done.html, /Denied/);
    await assert.rejects(client.pollBackchannelAuthenticationGrant(cfg, response), (err) => {
      assert.equal(err.error, 'access_denied');
      return true;
    });
  });

  test('hostile: another user sees nothing on their page; unknown users and bad binding messages are refused (CIBA Core §13)', async () => {
    const cfg = await config();
    const response = await client.initiateBackchannelAuthentication(cfg, { scope: 'openid', login_hint: fx.user.username, binding_message: 'Only for demo' });
    const theirs = await atThePage(second);
    assert.doesNotMatch(theirs.list.html, /Only for demo/);
    const pending = await tokenRequest(op.url, { grant_type: GRANT, auth_req_id: response.auth_req_id }, { authorization: basicAuth(desk.clientId, desk.secret) });
    assert.equal(pending.json.error, 'authorization_pending');
    const ask = (form) => call(`${op.url}/bc-authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(desk.clientId, desk.secret) },
      body: new URLSearchParams(form).toString(),
    });
    assert.equal((await ask({ scope: 'openid', login_hint: 'nobody' })).json.error, 'unknown_user_id');
    assert.equal((await ask({ scope: 'openid', login_hint: fx.user.username, binding_message: 'x'.repeat(65) })).json.error, 'invalid_binding_message');
    const anonymous = await call(`${op.url}/bc-authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: desk.clientId, scope: 'openid', login_hint: fx.user.username }).toString(),
    });
    assert.equal(anonymous.status, 401);
  });

  test(`concurrency: ${RACERS} polls of one approved request at once get the tokens exactly once`, async (t) => {
    const cfg = await config();
    for (let round = 0; round < 3; round++) {
      const message = `Race ${round}`;
      const response = await client.initiateBackchannelAuthentication(cfg, { scope: 'openid', login_hint: fx.user.username, binding_message: message });
      const { browser, list } = await atThePage(fx.user);
      await browser.submit(list.url, formOf(list, message), { decision: 'allow' });
      let go;
      const gate = new Promise((resolve) => {
        go = resolve;
      });
      const all = Array.from({ length: RACERS }, () => gate.then(() =>
        tokenRequest(op.url, { grant_type: GRANT, auth_req_id: response.auth_req_id }, { authorization: basicAuth(desk.clientId, desk.secret) })));
      go();
      const answers = await Promise.all(all);
      const counts = {};
      for (const res of answers) {
        const key = res.status === 200 ? '200' : `${res.status} ${res.json?.error}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      t.diagnostic(`round ${round + 1}: ${JSON.stringify(counts)}`);
      assert.deepEqual(counts, { 200: 1, '400 invalid_grant': RACERS - 1 });
    }
  });
});
