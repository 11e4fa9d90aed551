// One session across the tabs of an origin (issue 16, item 3), against the real OP: the Worker
// on workerd (`wrangler dev`, local KV) and headless Chromium, whose pages of one context are
// tabs of one profile. The SPA's origin is a small server here (the blank page and the built
// package; a real one, since Chromium treats an intercepted page as public and keeps it from
// reaching a loopback address); every token request of every tab is seen here (Playwright's
// request events for the whole context).
//
// In order, sharing the tabs: a tab open before the sign-in gets the session the moment
// another tab signs in (through the OP's login form); a tab opened afterwards gets it without
// signing in; all of them call the OP's API with it (the DPoP key is the one in IndexedDB);
// then every tab refreshes at once: one refresh request reaches /token, the refresh token is
// never sent twice (the OP revokes a family whose refresh token is reused, RFC 9700 §4.14.2),
// and every tab's next API call and the next refresh succeed; a sign-out in one tab signs out
// the others. The unit-level cases (malformed messages, fallbacks) are tests/browser/tabs.test.mjs.
//
//   node --test tests/e2e/tabs.test.mjs      (needs pkg/: bash scripts/build-pkg.sh)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { launchChromium } from '../browser/chromium.mjs';
import { opFixture } from './fixture.mjs';
import { servePackagePage } from './package-page.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const SCOPE = 'openid profile email offline_access';
/** A guard against hanging forever on a broken page, not a performance limit. */
const WAIT_MS = 120_000;

describe('one session across tabs, against the OP on workerd, in Chromium', () => {
  let op;
  let fx;
  let browser;
  let context;
  let spa; // the SPA's origin: http://localhost:<port>
  let spaServer;
  let tokenEndpoint;
  /** Every request of every tab to the token endpoint: { grant, refreshToken, response }. */
  const tokenRequests = [];
  const pageErrors = [];
  const tabs = [];
  const seen = {};

  before(async () => {
    ({ server: spaServer, origin: spa } = await servePackagePage());
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}`, spaOrigin: spa });
    op = await startWrangler({ port, secrets: fx.secrets });
    tokenEndpoint = `${op.url}/token`;

    browser = await launchChromium();
    context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    context.on('request', (request) => {
      if (request.url() !== tokenEndpoint || request.method() !== 'POST') return;
      const form = new URLSearchParams(request.postData() ?? '');
      tokenRequests.push({ grant: form.get('grant_type'), refreshToken: form.get('refresh_token'), response: request.response() });
    });
  });

  after(async () => {
    await browser?.close();
    await op?.stop();
    spaServer?.closeAllConnections();
    spaServer?.close();
  });

  /** A new tab at the SPA with `window.client` (onSessionChange recorded in `window.changes`). */
  async function openTab(path = '/') {
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.stack ?? err}`));
    await page.goto(`${spa}${path}`);
    await createClient(page);
    tabs.push(page);
    return page;
  }

  function createClient(page) {
    return page.evaluate(async ({ issuer, clientId, redirectUri, scope }) => {
      const { OidcClient } = await import('/pkg/index.js');
      window.changes = [];
      window.client = await OidcClient.create({
        issuer, clientId, redirectUri, scope, onSessionChange: (session) => window.changes.push(session),
      });
    }, { issuer: fx.config.issuer, clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri, scope: SCOPE });
  }

  const session = (page) => page.evaluate(() => (window.client.session ? { ...window.client.session } : null));
  /** Waits until the tab's access token is no longer `token` (null: until it has one). */
  const tokenLeaves = (page, token) =>
    page.waitForFunction((old) => (window.client.session?.accessToken ?? null) !== old, token);

  /** GET /api/me through the tab's client: { status, sub, jkt } or { code }. */
  const callApi = (page) =>
    page.evaluate(async (url) => {
      try {
        const res = await window.client.fetch(url);
        const body = await res.json();
        return { status: res.status, sub: body.sub, jkt: body.jkt };
      } catch (err) {
        return { code: err.code };
      }
    }, `${op.url}/api/me`);

  /** The token requests since `mark` with a refresh token, with their answers' status. */
  async function refreshRequestsSince(mark) {
    const refreshes = tokenRequests.slice(mark).filter((r) => r.grant === 'refresh_token');
    return Promise.all(refreshes.map(async ({ refreshToken, response }) => ({ refreshToken, status: (await response)?.status() })));
  }

  test('a sign-in in one tab reaches a tab already open (OIDC Core §3.1, RFC 9449)', async () => {
    const waiting = await openTab();
    assert.equal(await session(waiting), null);

    // The signing-in tab goes through the OP's login form and comes back to the callback.
    const signing = await openTab();
    const authorizationUrl = await signing.evaluate(() => window.client.authorizationUrl());
    await signing.goto(authorizationUrl);
    assert.equal(new URL(signing.url()).pathname, '/login', 'the OP login page');
    await signing.fill('#username', fx.user.username);
    await signing.fill('#password', fx.user.password);
    await Promise.all([signing.waitForURL((url) => url.href.startsWith(fx.spa.redirectUri)), signing.click('button[type=submit]')]);
    await createClient(signing);
    const signedIn = await signing.evaluate(async () => ({ ...(await window.client.handleCallback()) }));
    assert.equal(signedIn.claims.sub, fx.user.sub);
    assert.ok(signedIn.refreshToken, 'offline_access: a refresh token');
    assert.equal(jose.decodeJwt(signedIn.accessToken).cnf?.jkt, signedIn.jkt, 'DPoP-bound (RFC 9449 §6.1)');

    await tokenLeaves(waiting, null);
    assert.deepEqual(await session(waiting), signedIn, 'the live session, tokens and claims');
    assert.equal((await waiting.evaluate(() => window.changes.length)), 1, 'onSessionChange told it');
    seen.signedIn = signedIn;
  });

  test('a tab opened afterwards gets the session without signing in; every tab calls the API with it', async () => {
    assert.ok(seen.signedIn, 'signed in');
    const before = tokenRequests.length;
    const late = await openTab();
    await tokenLeaves(late, null);
    assert.deepEqual(await session(late), seen.signedIn);
    assert.equal(tokenRequests.length, before, 'no token request: nothing was signed in again');
    const thumbprints = await Promise.all(tabs.map((tab) => tab.evaluate(() => window.client.thumbprint)));
    assert.deepEqual(thumbprints, tabs.map(() => seen.signedIn.jkt), 'one DPoP key, from IndexedDB, in every tab');
    for (const tab of tabs) {
      assert.deepEqual(await callApi(tab), { status: 200, sub: fx.user.sub, jkt: seen.signedIn.jkt });
    }
    seen.shared = true;
  });

  test('every tab refreshes at once: one refresh request reaches /token, and every tab gets its tokens (RFC 6749 §6, RFC 9700 §4.14.2)', async () => {
    assert.ok(seen.shared, 'three tabs share the session');
    const mark = tokenRequests.length;
    const results = await Promise.all(tabs.map((tab) => tab.evaluate(async () => ({ ...(await window.client.refresh()) }))));
    assert.deepEqual(await refreshRequestsSince(mark), [{ refreshToken: seen.signedIn.refreshToken, status: 200 }], 'one request');
    const refreshed = results[0];
    assert.notEqual(refreshed.accessToken, seen.signedIn.accessToken);
    assert.notEqual(refreshed.refreshToken, seen.signedIn.refreshToken, 'rotated');
    for (const [i, tab] of tabs.entries()) {
      assert.deepEqual(results[i], refreshed, `tab ${i}: refresh() resolved with the one new session`);
      assert.deepEqual(await session(tab), refreshed);
    }
    // The family stands: every tab's next API call works, and so does the next refresh.
    for (const tab of tabs) {
      assert.deepEqual(await callApi(tab), { status: 200, sub: fx.user.sub, jkt: seen.signedIn.jkt });
    }
    const next = tokenRequests.length;
    const again = await tabs.at(-1).evaluate(async () => ({ ...(await window.client.refresh()) }));
    assert.deepEqual(await refreshRequestsSince(next), [{ refreshToken: refreshed.refreshToken, status: 200 }]);
    for (const tab of tabs) {
      await tokenLeaves(tab, refreshed.accessToken);
      assert.equal((await session(tab)).accessToken, again.accessToken);
    }
    assert.deepEqual(await callApi(tabs[0]), { status: 200, sub: fx.user.sub, jkt: seen.signedIn.jkt });
    seen.refreshed = again;
  });

  test('a sign-out in one tab signs out the others', async () => {
    assert.ok(seen.refreshed, 'refreshed');
    const [first, ...others] = tabs;
    await first.evaluate(() => window.client.signOut());
    for (const tab of others) {
      await tokenLeaves(tab, seen.refreshed.accessToken);
      assert.equal(await session(tab), null);
      assert.equal(await tab.evaluate(() => window.changes.at(-1)), null, 'onSessionChange(null)');
      assert.deepEqual(await callApi(tab), { code: 'not_signed_in' });
    }
    // The refresh token was revoked (RFC 7009): the family is gone at the OP too.
    const res = await fetch(`${op.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: seen.refreshed.refreshToken, client_id: fx.spa.clientId }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(pageErrors, []);
  });
});
