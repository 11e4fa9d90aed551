// The demo SPA (www/) end to end: `make dev`'s own servers (scripts/dev.sh: the OP on
// `wrangler dev` with local KV, the page server) on free ports with a fresh configuration, and
// headless Chromium (playwright-core, Debian's build) clicking through the page like a user:
// sign in (the request pushed to /par, as the OP requires of the demo client) through the OP's
// real login form, see the verified claims, call the API, refresh, sign out. Around the
// clicks, the test checks what the page cannot show by itself: the token the page holds
// (verified here with `jose` against the fixture's key), the DPoP key in IndexedDB, and that
// the API refuses a replayed proof and the token under another key (proofs made here with the
// independent `dpop` package).
//
//   node --test tests/e2e/spa.test.mjs
//
// Needs the npm package built (pkg/index.js: `bash scripts/build-pkg.sh`; `make test` builds it
// first). Artifact: target/e2e/signed-in.png, a screenshot of the signed-in page. With
// UPDATE_SCREENSHOT=1 the screenshot also replaces www/screenshot.png (the README's).
//
// The tests run in order and share one browser page: each continues where the previous left.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as DPoP from 'dpop';
import * as jose from 'jose';

import { launchChromium } from '../browser/chromium.mjs';
import { rawRequest } from './browserless.mjs';
import { startDev } from './dev-servers.mjs';
import { opFixture } from './fixture.mjs';
import { ROOT, freePort } from './wrangler.mjs';

const SCREENSHOT = join(ROOT, 'target', 'e2e', 'signed-in.png');
const README_SCREENSHOT = join(ROOT, 'www', 'screenshot.png');
/** A guard against hanging forever on a broken page, not a performance limit. */
const WAIT_MS = 180_000;

const sha256 = (text) => createHash('sha256').update(text).digest();
/** What the page shows for a token: the first 8 bytes of SHA-256, in hex. */
const shownHash = (token) => sha256(token).subarray(0, 8).toString('hex');
const nowSeconds = () => Date.now() / 1000;
const decodeJwt = (jwt) => ({ header: jose.decodeProtectedHeader(jwt), payload: jose.decodeJwt(jwt) });
/** The `error` parameter of a WWW-Authenticate challenge. */
const challengeError = (header) => header?.match(/\berror="([^"]*)"/)?.[1];

describe('the demo SPA on make dev, in Chromium', () => {
  let dev;
  let fx;
  let meta; // the OP's discovery document
  let browser;
  let page;
  let www; // the page's origin
  let apiUrl;
  const pageErrors = [];
  const cspViolations = [];
  /** Every GET /api/me the page sent, as promises of { status, request, response } (headers). */
  const apiCalls = [];
  const apiCallsSoFar = () => Promise.all(apiCalls);
  /** Every answer of the token endpoint to the page: { status, body }. */
  const tokenAnswers = [];
  /** What the tests learn as they go. */
  const seen = {};
  let started;

  before(async () => {
    assert.ok(
      existsSync(join(ROOT, 'pkg', 'index.js')),
      'pkg/index.js is missing: build the npm package first (bash scripts/build-pkg.sh)',
    );
    const opPort = await freePort();
    let wwwPort = await freePort();
    while (wwwPort === opPort) wwwPort = await freePort();
    fx = await opFixture({ issuer: `http://localhost:${opPort}`, spaOrigin: `http://localhost:${wwwPort}` });
    // As in make dev's defaults (scripts/dev-env.mjs): the demo client's requests must be pushed.
    fx.config.clients.find((c) => c.client_id === fx.spa.clientId).require_pushed_authorization_requests = true;
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    dev = await startDev({ opPort, wwwPort, env: fx.secrets });
    www = dev.wwwUrl;
    apiUrl = `${dev.opUrl}/api/me`;
    meta = await (await fetch(`${dev.opUrl}/.well-known/openid-configuration`)).json();

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 900, height: 780 } });
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.stack ?? err}`));
    // CSP violations, reported from every document the tab loads (Node keeps the list).
    await page.exposeBinding('__cspViolation', (_source, v) => cspViolations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolation({ document: e.documentURI, blocked: e.blockedURI, directive: e.effectiveDirective });
      });
    });
    // Token responses are read through the DevTools protocol, paused at the response stage
    // before the page sees them: Playwright's response.body() cannot always get a fetch()
    // body the page has already streamed. The requests themselves are the browser's own.
    const cdp = await context.newCDPSession(page);
    cdp.on('Fetch.requestPaused', async ({ requestId, request, responseStatusCode: status }) => {
      try {
        if (request.method === 'POST') {
          const { body, base64Encoded } = await cdp.send('Fetch.getResponseBody', { requestId });
          const text = base64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
          tokenAnswers.push({ status, body: JSON.parse(text) });
        }
      } catch (err) {
        tokenAnswers.push({ status, error: String(err) });
      } finally {
        await cdp.send('Fetch.continueRequest', { requestId }).catch(() => {});
      }
    });
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: meta.token_endpoint, requestStage: 'Response' }] });
    page.on('response', (res) => {
      if (res.url() !== apiUrl || res.request().method() !== 'GET') return;
      apiCalls.push(
        Promise.all([res.request().allHeaders(), res.allHeaders()]).then(([request, response]) => ({
          status: res.status(),
          request,
          response,
        })),
      );
    });
    started = Date.now();
  });

  after(async () => {
    if (started) console.log(`# browser tests ran for ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await browser?.close();
    await dev?.stop();
  });

  /** Waits until the demo page has settled (app.js sets body[data-ready], also after errors). */
  async function settled() {
    assert.equal(new URL(page.url()).origin, www, `at the demo page, not ${page.url()}`);
    await page.waitForFunction(() => document.body?.dataset.ready === 'true');
  }

  /** The page's error box, or null when hidden. */
  function pageError() {
    return page.evaluate(() => {
      const box = document.getElementById('error');
      return box.hidden ? null : box.textContent.replace(/\s+/g, ' ').trim();
    });
  }

  const text = (selector) => page.locator(selector).textContent();

  /** Clicks `button` and waits until the page is idle again (buttons re-enabled). */
  async function clickAndWait(button) {
    await page.click(button);
    await page.waitForFunction((id) => !document.getElementById(id).disabled, button.slice(1));
    assert.equal(await pageError(), null, 'the page shows no error');
  }

  /** The body of the one 200 answer of the token endpoint since `mark` (= tokenAnswers.length
   * before the action). Recorded before the page saw it, so present once the page has settled. */
  function tokenResponseSince(mark) {
    const ok = tokenAnswers.slice(mark).filter((a) => a.status === 200);
    assert.equal(ok.length, 1, `one successful token response: ${JSON.stringify(tokenAnswers.slice(mark))}`);
    return ok[0].body;
  }

  /** Runs `act` and returns the URL of the next document the tab commits (redirects skipped). */
  async function navigation(act) {
    const committed = page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame());
    await act();
    return new URL((await committed).url());
  }

  /** Verifies an access token from the OP with the fixture's public key (RFC 9068). */
  async function verifyAccessToken(token) {
    const { payload, protectedHeader } = await jose.jwtVerify(token, await jose.importJWK(fx.publicJwk, 'ES256'), {
      issuer: fx.config.issuer,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.kid, fx.publicJwk.kid);
    return payload;
  }

  /** GET /api/me from Node with the given headers. */
  async function callApi(headers) {
    const res = await fetch(apiUrl, { headers });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), nonce: res.headers.get('dpop-nonce'), body: await res.text() };
  }

  // ---------------------------------------------------------------------------------------

  test('the page server: the SPA at / and /callback, /config.json names the OP, security headers, no traversal', async () => {
    const home = await fetch(`${www}/`);
    assert.equal(home.status, 200);
    const html = await home.text();
    const csp = home.headers.get('content-security-policy') ?? '';
    assert.match(csp, /(^|; )default-src 'none'(;|$)/, csp);
    assert.match(csp, /(^|; )script-src 'self' 'wasm-unsafe-eval'(;|$)/, csp);
    assert.match(csp, new RegExp(`(^|; )connect-src 'self' ${dev.opUrl}(;|$)`), csp);
    assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, csp);
    assert.equal(home.headers.get('referrer-policy'), 'no-referrer', 'the callback URL carries the code');
    assert.equal(home.headers.get('cache-control'), 'no-store');
    assert.equal(home.headers.get('x-content-type-options'), 'nosniff');

    const callback = await fetch(`${www}/callback?code=x&state=y`);
    assert.equal(callback.status, 200);
    assert.equal(await callback.text(), html, '/callback serves the SPA');
    assert.equal(callback.headers.get('content-security-policy'), csp);

    const config = await fetch(`${www}/config.json`);
    assert.equal(config.status, 200);
    assert.match(config.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await config.json(), { issuer: dev.opUrl });

    for (const target of ['/../package.json', '/%2e%2e/package.json', '/pkg/..%2f..%2fpackage.json', '/..%5cpackage.json', '/callback/../../package.json']) {
      const res = await rawRequest(www, { target });
      assert.equal(res.status, 404, `${target} must not leave www/ or pkg/: ${res.status}`);
    }
    assert.equal((await fetch(`${www}/`, { method: 'POST', body: 'x' })).status, 405);
  });

  test('the page loads the package and offers Sign in', async () => {
    await page.goto(`${www}/`);
    await settled();
    assert.equal(await pageError(), null);
    assert.equal(await page.locator('#signed-out').isVisible(), true);
    assert.equal(await page.locator('#signed-in').isVisible(), false);
    assert.equal(await page.locator('#sign-in').isEnabled(), true);
    assert.equal(await text('#op-url'), dev.opUrl, 'the OP URL came from /config.json');
    assert.match(await text('#key-thumbprint'), /^[A-Za-z0-9_-]{43}$/, 'a DPoP key is ready');
    seen.ready = true;
  });

  test('Sign in: the request pushed (RFC 9126), the OP login form, then back at the SPA with the verified claims', async () => {
    assert.ok(seen.ready, 'the page loaded');
    const pushed = page.waitForResponse(
      (r) => r.url() === meta.pushed_authorization_request_endpoint && r.request().method() === 'POST' && r.status() === 201,
    );
    const authorize = page.waitForRequest((r) => r.url().startsWith(`${meta.authorization_endpoint}?`));
    const login = await navigation(() => page.click('#sign-in'));
    assert.equal(`${login.origin}${login.pathname}`, `${dev.opUrl}/login`, 'the OP login page');
    // The client the OP holds to pushed requests got in: the request went to /par with a DPoP
    // proof (RFC 9449 §10.1), and /authorize saw client_id and request_uri only (§4).
    const push = (await pushed).request();
    const form = new URLSearchParams(push.postData() ?? '');
    assert.equal(form.get('client_id'), fx.spa.clientId);
    assert.equal(form.get('code_challenge_method'), 'S256');
    assert.ok(push.headers().dpop, 'a DPoP proof with the push');
    const request = new URL((await authorize).url());
    assert.deepEqual([...request.searchParams.keys()], ['client_id', 'request_uri']);
    assert.match(request.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
    await page.fill('#username', fx.user.username);
    await page.fill('#password', fx.user.password);

    const mark = tokenAnswers.length;
    const before = Math.floor(nowSeconds());
    const callback = await navigation(() => page.click('button[type=submit]'));
    assert.equal(`${callback.origin}${callback.pathname}`, `${www}/callback`, await page.locator('body').innerText());
    await settled();
    const afterwards = Math.ceil(nowSeconds());
    assert.equal(await pageError(), null);
    assert.equal(new URL(page.url()).pathname, '/', 'the code left the address bar');
    assert.equal(await page.locator('#signed-in').isVisible(), true);
    const body = tokenResponseSince(mark);

    // The token response the page got (RFC 9449 §5: DPoP-bound), checked here independently.
    assert.equal(body.token_type, 'DPoP');
    const at = await verifyAccessToken(body.access_token);
    assert.equal(at.sub, fx.user.sub);
    assert.equal(at.client_id, fx.spa.clientId);
    assert.match(at.cnf?.jkt ?? '', /^[A-Za-z0-9_-]{43}$/, 'cnf.jkt (RFC 9449 §6.1)');
    const idToken = await jose.jwtVerify(body.id_token, await jose.importJWK(fx.publicJwk, 'ES256'), {
      issuer: fx.config.issuer,
      audience: fx.spa.clientId,
    });

    // What the page shows.
    assert.equal(await text('#claim-name'), 'Demo User');
    assert.equal(await text('#claim-email'), 'demo@example.com');
    assert.equal(await text('#claim-sub'), fx.user.sub);
    assert.equal(idToken.payload.sub, fx.user.sub);
    assert.equal(await text('#token-type'), 'DPoP');
    assert.equal(await text('#token-hash'), shownHash(body.access_token), 'the page holds the token the OP issued');
    const exp = Number(await page.locator('#token-exp').getAttribute('data-exp'));
    const lifetime = fx.config.lifetimes.access_token;
    assert.ok(exp >= before + lifetime && exp <= afterwards + lifetime, `expiry ${exp} within [${before}, ${afterwards}] + ${lifetime}`);
    assert.ok(at.exp >= before + lifetime && at.exp <= afterwards + lifetime, 'the token says the same');
    assert.match(await text('#token-exp-relative'), /^\(in (10 min|\d+ s|\d+ min)\)$/);
    const jkt = await text('#token-jkt');
    assert.equal(jkt, at.cnf.jkt, 'the thumbprint shown is the one the token is bound to');
    assert.equal(await text('#token-jkt-note'), '(this browser’s key)');
    assert.equal(await text('#key-thumbprint'), jkt);

    seen.first = { body, at, jkt, exp, hash: shownHash(body.access_token) };
  });

  test('the DPoP key in IndexedDB is a non-extractable CryptoKey, and the token is bound to it', async () => {
    assert.ok(seen.first, 'signed in');
    const name = `oidc-edge:dpop:${fx.config.issuer} ${fx.spa.clientId}`;
    const stored = await page.evaluate(async (name) => {
      const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open('oidc-edge');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      try {
        const store = db.transaction('dpop-keys', 'readonly').objectStore('dpop-keys');
        const get = (req) => new Promise((resolve, reject) => {
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        const names = await get(store.getAllKeys());
        const record = await get(store.get(name));
        if (!record) return { names };
        const key = Object.values(record).find((v) => v instanceof CryptoKey);
        const exports = {};
        for (const format of ['jwk', 'pkcs8']) {
          try {
            await crypto.subtle.exportKey(format, key);
            exports[format] = 'exported';
          } catch (err) {
            exports[format] = err.name;
          }
        }
        return {
          names,
          cryptoKeys: Object.values(record).filter((v) => v instanceof CryptoKey).length,
          type: key.type,
          extractable: key.extractable,
          algorithm: key.algorithm,
          usages: key.usages,
          exports,
          publicJwk: Object.values(record).find((v) => v && typeof v === 'object' && v.kty),
        };
      } finally {
        db.close();
      }
    }, name);
    assert.ok(stored.names.includes(name), `a key saved under ${JSON.stringify(name)}: ${JSON.stringify(stored.names)}`);
    assert.equal(stored.cryptoKeys, 1, 'one CryptoKey in the record: the private key');
    assert.equal(stored.type, 'private');
    assert.equal(stored.extractable, false, 'extractable === false on the stored CryptoKey');
    assert.deepEqual(stored.algorithm, { name: 'ECDSA', namedCurve: 'P-256' });
    assert.deepEqual(stored.usages, ['sign']);
    assert.deepEqual(stored.exports, { jwk: 'InvalidAccessError', pkcs8: 'InvalidAccessError' });
    // RFC 7638 thumbprint of the stored public key, computed here: the token's cnf.jkt.
    assert.ok(stored.publicJwk, 'the record keeps the public JWK');
    assert.equal(stored.publicJwk.d, undefined, 'no private member in the stored JWK');
    assert.equal(await jose.calculateJwkThumbprint(stored.publicJwk, 'sha256'), seen.first.at.cnf.jkt);
  });

  test('Call API: GET /api/me with the DPoP-bound token; the page shows who it is for', async () => {
    assert.ok(seen.first, 'signed in');
    apiCalls.length = 0;
    await clickAndWait('#call-api');
    assert.equal(await page.locator('#api').isVisible(), true);
    assert.match(await text('#api-status'), /^200\b/);
    const shown = JSON.parse(await text('#api-body'));
    assert.deepEqual(
      { sub: shown.sub, client_id: shown.client_id, jkt: shown.jkt, exp: shown.exp },
      { sub: fx.user.sub, client_id: fx.spa.clientId, jkt: seen.first.jkt, exp: seen.first.at.exp },
    );
    assert.ok(shown.scope.split(' ').includes('openid'), shown.scope);

    // On the wire (RFC 9449 §7.1): at most one use_dpop_nonce refusal, then 200; every
    // request with the DPoP scheme and a proof; the accepted proof carries ath and a nonce.
    const calls = await apiCallsSoFar();
    const statuses = calls.map((c) => c.status);
    assert.ok(
      JSON.stringify(statuses) === '[200]' || JSON.stringify(statuses) === '[401,200]',
      `GET /api/me statuses: ${statuses}`,
    );
    if (statuses.length === 2) {
      assert.equal(challengeError(calls[0].response['www-authenticate']), 'use_dpop_nonce');
      assert.ok(calls[0].response['dpop-nonce'], 'the refusal carries a DPoP-Nonce');
    }
    for (const call of calls) {
      assert.equal(call.request.authorization, `DPoP ${seen.first.body.access_token}`);
      assert.ok(call.request.dpop, 'a DPoP proof');
    }
    const accepted = calls.at(-1).request;
    const proof = decodeJwt(accepted.dpop);
    assert.equal(proof.header.typ, 'dpop+jwt');
    assert.equal(await jose.calculateJwkThumbprint(proof.header.jwk, 'sha256'), seen.first.jkt);
    assert.equal(proof.payload.htm, 'GET');
    assert.equal(proof.payload.htu, apiUrl);
    assert.equal(proof.payload.ath, sha256(seen.first.body.access_token).toString('base64url'));
    assert.ok(proof.payload.nonce, 'the accepted proof carries the server nonce');
    seen.accepted = { authorization: accepted.authorization, dpop: accepted.dpop, nonce: proof.payload.nonce };

    mkdirSync(join(ROOT, 'target', 'e2e'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    if (process.env.UPDATE_SCREENSHOT === '1') copyFileSync(SCREENSHOT, README_SCREENSHOT);
  });

  test('the API refuses a replayed proof: 401 invalid_dpop_proof (RFC 9449 §11.1)', async () => {
    assert.ok(seen.accepted, 'a request the API accepted');
    const replay = await callApi({ authorization: seen.accepted.authorization, dpop: seen.accepted.dpop });
    assert.equal(replay.status, 401, replay.body);
    assert.match(replay.challenge ?? '', /^DPoP\b/, 'a DPoP challenge');
    assert.equal(challengeError(replay.challenge), 'invalid_dpop_proof', replay.challenge);
  });

  test('the API refuses the token under another key (RFC 9449 §7.1 cnf.jkt), and as a Bearer token', async () => {
    assert.ok(seen.accepted, 'a request the API accepted');
    const token = seen.first.body.access_token;
    // A key of an attacker who stole the token, through the independent `dpop` package.
    const stolen = await DPoP.generateKeyPair('ES256');
    assert.notEqual(await DPoP.calculateThumbprint(stolen.publicKey), seen.first.jkt);
    let nonce = seen.accepted.nonce;
    let res = await callApi({ authorization: `DPoP ${token}`, dpop: await DPoP.generateProof(stolen, apiUrl, 'GET', nonce, token) });
    if (challengeError(res.challenge) === 'use_dpop_nonce') {
      // The page's nonce went stale meanwhile: take the fresh one, once.
      nonce = res.nonce;
      res = await callApi({ authorization: `DPoP ${token}`, dpop: await DPoP.generateProof(stolen, apiUrl, 'GET', nonce, token) });
    }
    assert.equal(res.status, 401, res.body);
    assert.match(res.challenge ?? '', /^DPoP\b/);
    assert.equal(challengeError(res.challenge), 'invalid_dpop_proof', res.challenge);

    // RFC 9449 §7.2: a DPoP-bound token presented as Bearer is not accepted.
    const bearer = await callApi({ authorization: `Bearer ${token}` });
    assert.equal(bearer.status, 401, bearer.body);
    assert.match(bearer.challenge ?? '', /\bDPoP\b/, 'a DPoP challenge');
    assert.equal(challengeError(bearer.challenge), 'invalid_token', bearer.challenge);
  });

  test('Refresh: a new access token, bound to the same key, its expiry shown; the API takes it', async () => {
    assert.ok(seen.first, 'signed in');
    const mark = tokenAnswers.length;
    const before = Math.floor(nowSeconds());
    await clickAndWait('#refresh');
    const body = tokenResponseSince(mark);
    const afterwards = Math.ceil(nowSeconds());

    assert.equal(body.token_type, 'DPoP');
    assert.notEqual(body.access_token, seen.first.body.access_token);
    assert.ok(body.refresh_token && body.refresh_token !== seen.first.body.refresh_token, 'the refresh token rotated');
    const at = await verifyAccessToken(body.access_token);
    assert.equal(at.cnf?.jkt, seen.first.jkt, 'still bound to the same key');
    assert.equal(at.sub, fx.user.sub);

    const hash = await text('#token-hash');
    assert.notEqual(hash, seen.first.hash, 'the page shows a new token');
    assert.equal(hash, shownHash(body.access_token));
    const exp = Number(await page.locator('#token-exp').getAttribute('data-exp'));
    const lifetime = fx.config.lifetimes.access_token;
    assert.ok(exp >= before + lifetime && exp <= afterwards + lifetime, `expiry ${exp} within [${before}, ${afterwards}] + ${lifetime}`);
    assert.ok(exp >= seen.first.exp);
    assert.match(await text('#status'), /^New access token, expires at /);
    assert.equal(await text('#claim-sub'), fx.user.sub, 'still the same user');

    apiCalls.length = 0;
    await clickAndWait('#call-api');
    assert.match(await text('#api-status'), /^200\b/);
    assert.equal(JSON.parse(await text('#api-body')).exp, at.exp, 'the API saw the new token');
    assert.equal((await apiCallsSoFar()).at(-1).request.authorization, `DPoP ${body.access_token}`);
    seen.refreshed = { body };
  });

  test('Sign out: the OP ends its session, the page comes back signed out, Sign in asks for the password again', async () => {
    assert.ok(seen.refreshed, 'signed in and refreshed');
    assert.equal(typeof meta.end_session_endpoint, 'string', 'the OP advertises end_session_endpoint');
    const endSession = page.waitForRequest((r) => r.url().startsWith(`${meta.end_session_endpoint}?`));
    // The OP redirects straight back (valid hint, registered URI): the next document is ours.
    const back = await navigation(() => page.click('#sign-out'));
    assert.equal(back.href, `${www}/`, await page.locator('body').innerText());
    const request = new URL((await endSession).url());
    assert.equal(request.searchParams.get('client_id'), fx.spa.clientId);
    assert.equal(request.searchParams.get('post_logout_redirect_uri'), `${www}/`);
    const hint = request.searchParams.get('id_token_hint');
    assert.ok(hint, 'id_token_hint (RP-Initiated Logout §2)');
    const { payload } = await jose.jwtVerify(hint, await jose.importJWK(fx.publicJwk, 'ES256'), {
      issuer: fx.config.issuer,
      audience: fx.spa.clientId,
    });
    assert.equal(payload.sub, fx.user.sub);

    await settled();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await pageError(), null);
    assert.equal(await page.locator('#signed-out').isVisible(), true);
    assert.equal(await page.locator('#signed-in').isVisible(), false);
    assert.match(await text('#status'), /^Signed out: the provider ended its session/);

    // The OP session is gone: /authorize shows the login form instead of coming straight back.
    const again = await navigation(() => page.click('#sign-in'));
    assert.equal(`${again.origin}${again.pathname}`, `${dev.opUrl}/login`);
    assert.equal(await page.locator('input[name=password]').isVisible(), true);
  });

  test('no uncaught errors and no Content-Security-Policy violations on the demo page', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(cspViolations.filter((v) => v.document.startsWith(www)), []);
  });

  test("stopping make dev's servers leaves no process behind (no workerd)", async () => {
    await browser.close();
    const leftovers = await dev.stop();
    assert.deepEqual(leftovers, [], 'every process dev.sh started is gone');
    for (const url of [`${dev.opUrl}/healthz`, `${www}/`]) {
      await assert.rejects(fetch(url), `${url} no longer answers`);
    }
  });
});
