// CIBA in poll and ping modes (OpenID Connect CIBA Core 1.0) on the real Worker under
// `wrangler dev`: openid-client's `initiateBackchannelAuthentication` and
// `pollBackchannelAuthenticationGrant` against the OP, the user's answer given on the real /ciba
// page by a scripted browser, and the hostile cases: another user's page, an unknown user, a
// binding message that is not plain text, many polls of one approved request at once. In ping
// mode (§10.2) the clients' notification endpoints are a Node HTTP server here: the Worker's
// POST is read as it arrives, then openid-client's `genericGrantRequest` makes the one token
// request a ping client makes; one endpoint answers with a redirect, which the OP must not
// follow, and its client still gets its tokens by polling; another answers 200 with a page of
// 100 KiB, whose body the OP ignores (§10.2): the Worker logs the POST as delivered.
//
//   node --test tests/e2e/ciba.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import * as client from 'openid-client';

import { Browser, parseForm } from './browserless.mjs';
import { addCibaClient, opFixture, phc } from './fixture.mjs';
import { b64url, basicAuth, call, tokenRequest } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const GRANT = 'urn:openid:params:grant-type:ciba';
const RACERS = 20;

describe('CIBA in poll and ping modes on wrangler dev', () => {
  let op;
  let fx;
  let desk;
  let second;
  /**
   * Ping clients: `branch` notified at /notify, `kiosk` at /moved, which redirects, `atm` at
   * /large?tenant=7, which answers 200 with a 100 KiB page.
   */
  const branch = { clientId: 'branch', secret: b64url(randomBytes(32)) };
  const kiosk = { clientId: 'kiosk', secret: b64url(randomBytes(32)) };
  const atm = { clientId: 'atm', secret: b64url(randomBytes(32)) };
  const LARGE = 100 * 1024;
  let receiver;
  /** Each request the notification endpoints received: { method, path, authorization, contentType, body }. */
  const received = [];

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        received.push({
          method: req.method, path: req.url, authorization: req.headers.authorization,
          contentType: req.headers['content-type'], body,
        });
        // §10.2: the client answers 204; /moved answers what the OP must not follow.
        if (req.url === '/moved') res.writeHead(307, { location: '/followed' }).end();
        else if (req.url.startsWith('/large')) res.writeHead(200, { 'content-type': 'text/html' }).end('<p>'.padEnd(LARGE, 'x'));
        else res.writeHead(204).end();
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const endpoint = (path) => `http://127.0.0.1:${receiver.address().port}${path}`;
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    ({ desk, second } = addCibaClient(fx));
    for (const [ping, name, path] of [[branch, 'Bank branch', '/notify'], [kiosk, 'Bank kiosk', '/moved'], [atm, 'Bank ATM', '/large?tenant=7']]) {
      fx.config.clients.push({
        client_id: ping.clientId, client_type: 'confidential', client_secret_hash: phc(ping.secret, 1000),
        client_name: name, grant_types: [GRANT], scopes: ['openid', 'profile'],
        backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: endpoint(path),
      });
    }
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    // `log`: the Worker's console.log lines too, where a delivered POST is logged.
    op = await startWrangler({ port, secrets: fx.secrets, logLevel: 'log' });
  });
  after(async () => {
    await op?.stop();
    receiver?.close();
  });

  const config = (who = desk) =>
    client.discovery(new URL(fx.config.issuer), who.clientId, undefined, client.ClientSecretBasic(who.secret), {
      execute: [client.allowInsecureRequests],
    });

  /** Resolves once `found()` is true, checking as each request arrives; gives up after `ms`. */
  async function until(found, ms = 10_000) {
    const deadline = Date.now() + ms;
    while (!found() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    return found();
  }

  /** The POSTs the endpoints received for `authReqId`. */
  const pingsFor = (authReqId) => received.filter((r) => {
    try {
      return JSON.parse(r.body).auth_req_id === authReqId;
    } catch {
      return false;
    }
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
    assert.deepEqual(meta.backchannel_token_delivery_modes_supported, ['poll', 'ping']);
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
  test('ping: the user allows on /ciba; the OP POSTs the auth_req_id with the bearer token, then one token request gets the tokens (CIBA Core §10.2, §10.1)', async () => {
    const cfg = await config(branch);
    const notificationToken = b64url(randomBytes(32));
    const response = await client.initiateBackchannelAuthentication(cfg, {
      scope: 'openid profile', login_hint: fx.user.username, binding_message: 'Loan 12', client_notification_token: notificationToken,
    });
    assert.equal(response.interval, 5, '§7.3: the interval is given in ping mode too');
    assert.deepEqual(pingsFor(response.auth_req_id), [], 'nobody answered yet');

    const { browser, list } = await atThePage(fx.user);
    assert.match(list.html, /Bank branch/);
    const done = await browser.submit(list.url, formOf(list, 'Loan 12'), { decision: 'allow' });
    assert.match(done.html, /Allowed/);

    assert.ok(await until(() => pingsFor(response.auth_req_id).length > 0), 'the ping arrives');
    const [ping] = pingsFor(response.auth_req_id);
    assert.equal(ping.method, 'POST');
    assert.equal(ping.path, '/notify');
    assert.equal(ping.authorization, `Bearer ${notificationToken}`);
    assert.match(ping.contentType, /^application\/json/);
    assert.deepEqual(JSON.parse(ping.body), { auth_req_id: response.auth_req_id });

    const tokens = await client.genericGrantRequest(cfg, GRANT, { auth_req_id: response.auth_req_id });
    assert.equal(tokens.claims().sub, fx.user.sub);
    assert.equal(tokens.claims().aud, branch.clientId);
    await assert.rejects(client.genericGrantRequest(cfg, GRANT, { auth_req_id: response.auth_req_id }), (err) => {
      assert.equal(err.error, 'invalid_grant');
      return true;
    });
    assert.equal(pingsFor(response.auth_req_id).length, 1, 'one ping per answer');
    assert.ok(!op.output().includes(notificationToken), 'the notification token is never logged');
  });

  test('ping: the user denies; the OP pings, and the token endpoint answers access_denied (CIBA Core §10.2, §11)', async () => {
    const cfg = await config(branch);
    const notificationToken = b64url(randomBytes(32));
    const response = await client.initiateBackchannelAuthentication(cfg, {
      scope: 'openid', login_hint: fx.user.username, binding_message: 'Wire 99', client_notification_token: notificationToken,
    });
    const { browser, list } = await atThePage(fx.user);
    const done = await browser.submit(list.url, formOf(list, 'Wire 99'), { decision: 'deny' });
    assert.match(done.html, /Denied/);
    assert.ok(await until(() => pingsFor(response.auth_req_id).length > 0), 'the ping arrives');
    assert.equal(pingsFor(response.auth_req_id)[0].authorization, `Bearer ${notificationToken}`);
    await assert.rejects(client.genericGrantRequest(cfg, GRANT, { auth_req_id: response.auth_req_id }), (err) => {
      assert.equal(err.error, 'access_denied');
      return true;
    });
  });

  test('ping: an endpoint that redirects is not followed, and the approval stays redeemable by polling (CIBA Core §10.2)', async () => {
    const cfg = await config(kiosk);
    const notificationToken = b64url(randomBytes(32));
    const response = await client.initiateBackchannelAuthentication(cfg, {
      scope: 'openid', login_hint: fx.user.username, binding_message: 'Kiosk 3', client_notification_token: notificationToken,
    });
    const { browser, list } = await atThePage(fx.user);
    const done = await browser.submit(list.url, formOf(list, 'Kiosk 3'), { decision: 'allow' });
    assert.match(done.html, /Allowed/, 'the page does not wait on the endpoint');
    assert.ok(await until(() => pingsFor(response.auth_req_id).length > 0), 'the ping arrives');
    assert.equal(pingsFor(response.auth_req_id)[0].path, '/moved');
    // The Worker logs the POST's end: a 307 answered, not followed.
    const moved = new RegExp(`POST http://127\\.0\\.0\\.1:${receiver.address().port}/moved answered 307`);
    assert.ok(await until(() => moved.test(op.output())), op.output());
    assert.deepEqual(received.filter((r) => r.path === '/followed'), []);
    const tokens = await client.pollBackchannelAuthenticationGrant(cfg, response);
    assert.equal(tokens.claims().aud, kiosk.clientId);
    assert.ok(!op.output().includes(notificationToken), 'the notification token is never logged');
  });

  test('ping: an endpoint answering 200 with a 100 KiB page has its ping delivered, the body ignored; the log names the URL without its query (CIBA Core §10.2)', async () => {
    const cfg = await config(atm);
    const notificationToken = b64url(randomBytes(32));
    const response = await client.initiateBackchannelAuthentication(cfg, {
      scope: 'openid', login_hint: fx.user.username, binding_message: 'ATM 5', client_notification_token: notificationToken,
    });
    const { browser, list } = await atThePage(fx.user);
    const done = await browser.submit(list.url, formOf(list, 'ATM 5'), { decision: 'allow' });
    assert.match(done.html, /Allowed/);
    assert.ok(await until(() => pingsFor(response.auth_req_id).length > 0), 'the ping arrives');
    assert.equal(pingsFor(response.auth_req_id)[0].path, '/large?tenant=7');
    const at = `POST http://127\\.0\\.0\\.1:${receiver.address().port}/large`;
    const delivered = new RegExp(`${at} answered 200`);
    assert.ok(await until(() => delivered.test(op.output())), op.output());
    assert.doesNotMatch(op.output(), new RegExp(`${at}: `), 'not logged as a failure');
    assert.doesNotMatch(op.output(), /tenant=7/, 'the query is not logged');
    const tokens = await client.genericGrantRequest(cfg, GRANT, { auth_req_id: response.auth_req_id });
    assert.equal(tokens.claims().aud, atm.clientId);
    assert.ok(!op.output().includes(notificationToken), 'the notification token is never logged');
  });

  test('ping: a request without a client_notification_token, or with one over 1024 characters, is invalid_request (CIBA Core §7.1)', async () => {
    const ask = (form) => call(`${op.url}/bc-authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(branch.clientId, branch.secret) },
      body: new URLSearchParams({ scope: 'openid', login_hint: fx.user.username, ...form }).toString(),
    });
    for (const form of [{}, { client_notification_token: 'x'.repeat(1025) }, { client_notification_token: 'two words' }]) {
      const answer = await ask(form);
      assert.equal(answer.status, 400);
      assert.equal(answer.json.error, 'invalid_request');
      assert.match(answer.json.error_description, /client_notification_token/);
    }
    assert.equal((await ask({ client_notification_token: 'x'.repeat(1024) })).status, 200);
  });
});
