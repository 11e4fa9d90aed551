// The package's OidcClient pushing its authorization requests (RFC 9126) to the real OP: the
// Worker on workerd (`wrangler dev`, local KV) with an SPA client registered with
// `require_pushed_authorization_requests`, and the client in headless Chromium at the SPA's
// origin (a small server here: the blank page and the built package), so the push is the
// browser's own cross-origin POST, preflight and all. Every request of the page to /par is
// seen here (Playwright's request events); tokens are checked with `jose`.
//
//   node --test tests/e2e/par-client.test.mjs      (needs pkg/: bash scripts/build-pkg.sh)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { launchChromium } from '../browser/chromium.mjs';
import { opFixture } from './fixture.mjs';
import { servePackagePage } from './package-page.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const SCOPE = 'openid profile email offline_access';
const URN = 'urn:ietf:params:oauth:request_uri:';
/** A guard against hanging forever on a broken page, not a performance limit. */
const WAIT_MS = 120_000;

describe('OidcClient with par: true against the OP on workerd, in Chromium', () => {
  let op;
  let fx;
  let browser;
  let context;
  let spa; // the SPA's origin: http://localhost:<port>
  let spaServer;
  let parEndpoint;
  /** Every POST of the page to /par: { form, dpop, authorization, response }. */
  const pushes = [];
  const pageErrors = [];

  before(async () => {
    ({ server: spaServer, origin: spa } = await servePackagePage());
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}`, spaOrigin: spa });
    // RFC 9126 §6: this client's requests must be pushed; discovery does not say so (it
    // speaks for the provider, whose switch stays off), so the app asks for par itself.
    fx.config.clients.find((c) => c.client_id === fx.spa.clientId).require_pushed_authorization_requests = true;
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
    parEndpoint = `${op.url}/par`;

    browser = await launchChromium();
    context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    context.on('request', (request) => {
      if (request.url() !== parEndpoint || request.method() !== 'POST') return;
      const headers = request.headers();
      pushes.push({
        form: new URLSearchParams(request.postData() ?? ''),
        dpop: headers.dpop,
        authorization: headers.authorization,
        response: request.response(),
      });
    });
  });

  after(async () => {
    await browser?.close();
    await op?.stop();
    spaServer?.closeAllConnections();
    spaServer?.close();
  });

  /** A new tab at the SPA's `path`, with `window.client` made with `options`. */
  async function openTab(options, path = '/') {
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.stack ?? err}`));
    await page.goto(`${spa}${path}`);
    await createClient(page, options);
    return page;
  }

  function createClient(page, options) {
    return page.evaluate(async ({ issuer, clientId, redirectUri, scope, options }) => {
      const { OidcClient } = await import('/pkg/index.js');
      window.client = await OidcClient.create({ issuer, clientId, redirectUri, scope, shareSession: false, ...options });
    }, { issuer: fx.config.issuer, clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri, scope: SCOPE, options });
  }

  /** `authorizationUrl()` in the tab: { url } or { code, error, status } when it throws. */
  const authorizationUrl = (page) =>
    page.evaluate(async () => {
      try {
        return { url: await window.client.authorizationUrl() };
      } catch (err) {
        return { code: err.code, error: err.error, status: err.status, message: err.message };
      }
    });

  /** Goes to `url` and through the OP's login form; ends at the redirect URI with the tab's
   *  client made again there (as the app's callback page would), or wherever the OP stopped. */
  async function signInAt(page, url, options) {
    await page.goto(url);
    if (new URL(page.url()).pathname === '/login') {
      await page.fill('#username', fx.user.username);
      await page.fill('#password', fx.user.password);
      await Promise.all([page.waitForURL((at) => at.href.startsWith(fx.spa.redirectUri)), page.click('button[type=submit]')]);
    }
    if (page.url().startsWith(fx.spa.redirectUri)) await createClient(page, options);
    return new URL(page.url());
  }

  const handleCallback = (page) =>
    page.evaluate(async () => {
      try {
        return { session: { ...(await window.client.handleCallback()) } };
      } catch (err) {
        return { code: err.code, error: err.error };
      }
    });

  test('a DPoP-bound sign-in with par: true: the request pushed with a proof, /authorize given client_id and request_uri only (RFC 9126 §2, §4; RFC 9449 §10.1)', async () => {
    const page = await openTab({ par: true });
    const thumbprint = await page.evaluate(() => window.client.thumbprint);
    const { url, message } = await authorizationUrl(page);
    assert.ok(url, message);
    const request = new URL(url);
    assert.equal(`${request.origin}${request.pathname}`, `${op.url}/authorize`);
    assert.deepEqual([...request.searchParams.keys()], ['client_id', 'request_uri']);
    assert.equal(request.searchParams.get('client_id'), fx.spa.clientId);
    assert.ok(request.searchParams.get('request_uri').startsWith(URN), 'the URN the OP issued (§2.2)');

    // What the browser sent: the first push without a nonce, refused with use_dpop_nonce
    // (RFC 9449 §8), the second with it, answered 201; both the whole request and a proof.
    assert.equal(pushes.length, 2, 'one push and its nonce retry');
    const [first, second] = pushes;
    // (Statuses and headers: the page has read the bodies, which Chromium then drops.)
    const firstAnswer = await first.response;
    assert.equal(firstAnswer.status(), 400);
    assert.ok((await firstAnswer.allHeaders())['dpop-nonce'], 'the nonce to use');
    assert.equal(first.form.get('state'), second.form.get('state'), 'the same request, sent again');
    assert.equal((await second.response).status(), 201);
    assert.equal(second.authorization, undefined, 'a public client: client_id only (RFC 9126 §2)');
    const form = Object.fromEntries(second.form);
    assert.equal(form.client_id, fx.spa.clientId);
    assert.equal(form.response_type, 'code');
    assert.equal(form.redirect_uri, fx.spa.redirectUri);
    assert.equal(form.scope, SCOPE);
    assert.equal(form.code_challenge_method, 'S256');
    assert.match(form.code_challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(form.dpop_jkt, thumbprint);
    const proof = await jose.jwtVerify(second.dpop, jose.EmbeddedJWK, { typ: 'dpop+jwt' });
    assert.equal(proof.payload.htm, 'POST');
    assert.equal(proof.payload.htu, parEndpoint);
    assert.ok(proof.payload.nonce, 'the server nonce');
    assert.equal(await jose.calculateJwkThumbprint(proof.protectedHeader.jwk, 'sha256'), thumbprint);

    // The OP signs in from the pushed request alone, and the client finishes as usual.
    const callback = await signInAt(page, url, { par: true });
    assert.equal(`${callback.origin}${callback.pathname}`, fx.spa.redirectUri);
    assert.equal(callback.searchParams.get('state'), form.state, 'the pushed state came back');
    const { session, code } = await handleCallback(page);
    assert.ok(session, `handleCallback: ${code}`);
    assert.equal(session.tokenType, 'DPoP');
    assert.equal(session.jkt, thumbprint);
    assert.equal(session.claims.sub, fx.user.sub);
    assert.equal(session.claims.nonce, form.nonce, 'the pushed nonce is in the ID token');
    const jwks = jose.createLocalJWKSet({ keys: fx.publicJwks });
    const at = await jose.jwtVerify(session.accessToken, jwks, { issuer: fx.config.issuer, typ: 'at+jwt' });
    assert.equal(at.payload.cnf?.jkt, thumbprint, 'RFC 9449 §6.1: bound to the key the push proved');
    const me = await page.evaluate(async (api) => (await window.client.fetch(api)).json(), `${op.url}/api/me`);
    assert.equal(me.sub, fx.user.sub);

    // RFC 9126 §4: the request_uri started one authorization; a second use is refused.
    await page.goto(url);
    assert.equal(new URL(page.url()).origin, op.url, 'not sent back to the client');
    assert.match(await page.content(), /invalid_request_uri/);
    await page.close();
  });

  test('a Bearer sign-in with par: true (dpop: false): pushed without a proof or dpop_jkt', async () => {
    const mark = pushes.length;
    const page = await openTab({ par: true, dpop: false });
    const { url, message } = await authorizationUrl(page);
    assert.ok(url, message);
    assert.deepEqual([...new URL(url).searchParams.keys()], ['client_id', 'request_uri']);
    const sent = pushes.slice(mark);
    assert.equal(sent.length, 1, 'no DPoP, no nonce retry');
    assert.equal(sent[0].dpop, undefined);
    assert.equal(sent[0].form.get('dpop_jkt'), null);
    assert.equal((await sent[0].response).status(), 201);
    await signInAt(page, url, { par: true, dpop: false });
    const { session, code } = await handleCallback(page);
    assert.ok(session, `handleCallback: ${code}`);
    assert.equal(session.tokenType, 'Bearer');
    assert.equal(session.claims.sub, fx.user.sub);
    await page.close();
  });

  test('the same sign-in without par is refused by the OP: invalid_request at the redirect URI (RFC 9126 §6)', async () => {
    const mark = pushes.length;
    const page = await openTab({});
    const { url, message } = await authorizationUrl(page);
    assert.ok(url, message);
    assert.equal(new URL(url).searchParams.get('response_type'), 'code', 'the request in the URL');
    assert.equal(pushes.length, mark, 'nothing pushed: discovery does not require it');
    const callback = await signInAt(page, url, {});
    assert.equal(`${callback.origin}${callback.pathname}`, fx.spa.redirectUri);
    assert.equal(callback.searchParams.get('error'), 'invalid_request');
    assert.deepEqual(await handleCallback(page), { code: 'authorization_error', error: 'invalid_request' });
    await page.close();
  });

  test('a push the OP refuses rejects authorizationUrl() with its error, before the user is sent anywhere (RFC 9126 §2.3)', async () => {
    const page = await openTab({ par: true, dpop: false });
    // A scope this client may not have: the OP checks the pushed request as /authorize would.
    await page.evaluate(async ({ issuer, clientId, redirectUri }) => {
      const { OidcClient } = await import('/pkg/index.js');
      window.client = await OidcClient.create({ issuer, clientId, redirectUri, scope: 'openid api:write', par: true, dpop: false, shareSession: false });
    }, { issuer: fx.config.issuer, clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri });
    const refused = await authorizationUrl(page);
    assert.equal(refused.code, 'authorization_error', JSON.stringify(refused));
    assert.equal(refused.error, 'invalid_scope');
    assert.equal(refused.status, 400);
    assert.equal(new URL(page.url()).origin, spa, 'still at the app');
    await page.close();
    assert.deepEqual(pageErrors, []);
  });
});
