// OpenID Connect Back-Channel Logout 1.0 end to end: the real Worker on workerd (`wrangler
// dev`) POSTs a logout token to a client's `backchannel_logout_uri` (a local HTTP server here)
// after an RP-initiated logout. The token is sent from `waitUntil` after the user's answer,
// and checked with `jose` against the OP's published keys, independently of the Rust code.
//
//   node --test tests/e2e/backchannel.test.mjs

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { Browser } from './browserless.mjs';
import { opFixture } from './fixture.mjs';
import { jwsPart, signIn, tokenRequest } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

describe('back-channel logout on workerd', () => {
  let op;
  let fx;
  let spa;
  let receiver;
  /** Each POST the client's endpoint received: { path, contentType, body }. */
  const received = [];
  let waiting = null;

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        received.push({ method: req.method, path: req.url, contentType: req.headers['content-type'], body });
        res.writeHead(200).end();
        waiting?.();
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    spa = { clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri };
    const config = structuredClone(fx.config);
    config.clients[0].backchannel_logout_uri = `http://127.0.0.1:${receiver.address().port}/backchannel`;
    config.clients[0].backchannel_logout_session_required = true;
    op = await startWrangler({ port, secrets: { ...fx.secrets, OIDC_CONFIG: JSON.stringify(config) } });
  });

  after(async () => {
    await op?.stop();
    receiver?.close();
  });

  /** Resolves when the endpoint has received `count` POSTs, or after `ms`. */
  const receivedAtLeast = (count, ms) =>
    new Promise((resolve) => {
      const done = () => { if (received.length >= count) { clearTimeout(timer); waiting = null; resolve(); } };
      const timer = setTimeout(() => { waiting = null; resolve(); }, ms);
      waiting = done;
      done();
    });

  test('discovery advertises it (Back-Channel Logout 1.0 §2.1)', async () => {
    const metadata = await (await fetch(`${op.url}/.well-known/openid-configuration`)).json();
    assert.equal(metadata.backchannel_logout_supported, true);
    assert.equal(metadata.backchannel_logout_session_supported, true);
  });

  test('a logout POSTs a logout token the client can verify (§2.4, §2.5)', async () => {
    const { browser, code, verifier } = await signIn(op.url, spa, fx.user, { scope: 'openid' });
    const tokens = await tokenRequest(op.url, {
      grant_type: 'authorization_code', code, redirect_uri: spa.redirectUri, client_id: spa.clientId, code_verifier: verifier,
    });
    assert.equal(tokens.status, 200, tokens.text);
    const idToken = tokens.json.id_token;
    const before = received.length;
    const logout = await browser.navigate(`${op.url}/end_session?${new URLSearchParams({ id_token_hint: idToken })}`);
    assert.match(logout.html ?? '', /Signed out/);
    await receivedAtLeast(before + 1, 10_000);
    assert.equal(received.length, before + 1, 'one POST to the one client signed in to');
    const post = received.at(-1);
    assert.equal(post.method, 'POST');
    assert.equal(post.path, '/backchannel');
    assert.match(post.contentType, /^application\/x-www-form-urlencoded/);
    const logoutToken = new URLSearchParams(post.body).get('logout_token');
    const keys = jose.createRemoteJWKSet(new URL(`${op.url}/jwks`));
    const { payload, protectedHeader } = await jose.jwtVerify(logoutToken, keys, {
      issuer: fx.config.issuer, audience: spa.clientId, typ: 'logout+jwt', maxTokenAge: 120,
    });
    assert.equal(protectedHeader.typ, 'logout+jwt');
    assert.deepEqual(payload.events, { [EVENT]: {} });
    assert.equal(payload.sid, jwsPart(idToken, 1).sid);
    assert.equal(payload.sub, fx.user.sub);
    assert.equal(payload.nonce, undefined, '§2.4: a logout token has no nonce');
    assert.ok(typeof payload.jti === 'string' && payload.jti.length > 0);
  });

  test('a logout without the session tells nobody', async () => {
    const { code, verifier } = await signIn(op.url, spa, fx.user, { scope: 'openid' });
    const tokens = await tokenRequest(op.url, {
      grant_type: 'authorization_code', code, redirect_uri: spa.redirectUri, client_id: spa.clientId, code_verifier: verifier,
    });
    const before = received.length;
    const stranger = new Browser(op.url);
    await stranger.navigate(`${op.url}/end_session?${new URLSearchParams({ id_token_hint: tokens.json.id_token })}`);
    await receivedAtLeast(before + 1, 2_000);
    assert.equal(received.length, before);
  });
});
