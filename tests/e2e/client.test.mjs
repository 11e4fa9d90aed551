// The package's code-flow client (OidcClient, built into pkg/) against the real OP: the
// Worker on workerd (`wrangler dev`, local KV), with the login form driven by plain `fetch`
// and a cookie jar (./browserless.mjs) where a browser would be. What the client returns is
// cross-checked with `jose` (the ID token against the OP's JWKS, the access token's cnf.jkt,
// the key thumbprint). Each test names the section of the specification it checks.
//
//   node --test tests/e2e/client.test.mjs      (needs pkg/: bash scripts/build-pkg.sh)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { importPackage } from '../node/package.mjs';
import { MemoryStorage, b64url, rejection, sha256 } from '../shared/node-helpers.mjs';
import { Browser, parseForm } from './browserless.mjs';
import { opFixture } from './fixture.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const { OidcClient, OidcEdgeError, DpopKey } = await importPackage();

describe('OidcClient against the OP on workerd', () => {
  let op;
  let fx;
  let started;

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    op = await startWrangler({ port, secrets: fx.secrets });
    started = Date.now();
  });
  after(async () => {
    if (started) console.log(`# client tests ran for ${((Date.now() - started) / 1000).toFixed(1)} s against ${op.url}`);
    await op?.stop();
  });

  /** A client with its own key, storage and a request log: [{ method, path, status }]. */
  async function newClient(options = {}) {
    const log = [];
    const fetchLogged = async (input, init) => {
      const res = await fetch(input, init);
      const url = new URL(input.url ?? input);
      log.push({ method: input.method ?? init?.method ?? 'GET', path: url.pathname, status: res.status });
      return res;
    };
    const storage = new MemoryStorage();
    const client = await OidcClient.create({
      issuer: fx.config.issuer,
      clientId: fx.spa.clientId,
      redirectUri: fx.spa.redirectUri,
      postLogoutRedirectUri: `${fx.spa.origin}/`,
      scope: 'openid profile email offline_access',
      dpopKey: await DpopKey.generate(),
      storage,
      fetch: fetchLogged,
      ...options,
    });
    return { client, log, storage };
  }

  /** The user agent's part: /authorize, the login form when asked, back to the redirect URI. */
  async function userAgent(authorizationUrl, browser = new Browser(op.url)) {
    let step = await browser.navigate(authorizationUrl);
    if (!step.location) {
      assert.equal(step.res.status, 200, step.html);
      assert.equal(new URL(step.url).pathname, '/login');
      step = await browser.submit(step.url, parseForm(step.html), { username: fx.user.username, password: fx.user.password });
    }
    assert.ok(step.location, `expected a redirect to the client, got ${step.res.status}: ${step.html}`);
    assert.ok(step.location.startsWith(fx.spa.redirectUri), step.location);
    return { callback: step.location, browser };
  }

  test('1. discovery: metadata from the OP, issuer matching exactly (OIDC Discovery §4.3)', async () => {
    const { client, log } = await newClient();
    assert.equal(client.metadata.issuer, fx.config.issuer);
    assert.equal(client.metadata.token_endpoint, `${fx.config.issuer}/token`);
    assert.deepEqual(log, [{ method: 'GET', path: '/.well-known/openid-configuration', status: 200 }]);
    const err = await rejection(OidcClient.create({ issuer: `${fx.config.issuer}/`, clientId: 'x', redirectUri: fx.spa.redirectUri, storage: new MemoryStorage(), dpop: false }));
    assert.ok(err instanceof OidcEdgeError);
    assert.equal(err.code, 'discovery_invalid', err.message);
  });

  test('2. full code flow: PKCE, state, nonce, iss, DPoP with the nonce retry, ID token, userinfo, fetch, refresh (OIDC Core §3.1, RFC 7636, RFC 9207, RFC 9449 §5, §7, §8)', async () => {
    const { client, log } = await newClient();
    const request = new URL(await client.authorizationUrl({ maxAge: 600 }));
    assert.equal(request.searchParams.get('dpop_jkt'), client.thumbprint, 'RFC 9449 §10');
    const { callback, browser } = await userAgent(request.href);
    const returned = new URL(callback).searchParams;
    assert.equal(returned.get('iss'), fx.config.issuer, 'RFC 9207: the OP sends iss');
    assert.equal(returned.get('state'), request.searchParams.get('state'));

    const session = await client.handleCallback(callback);
    assert.equal(client.session, session);
    assert.equal(session.tokenType, 'DPoP');
    assert.equal(session.jkt, client.thumbprint);
    assert.equal(session.claims.sub, fx.user.sub);
    assert.equal(session.claims.nonce, request.searchParams.get('nonce'));
    assert.equal(typeof session.claims.auth_time, 'number', 'max_age asks for auth_time');
    assert.ok(session.refreshToken, 'offline_access gives a refresh token');
    assert.ok(session.expiresAt > Date.now() / 1000 + 500);
    assert.match(session.scope, /\bopenid\b/);
    // RFC 9449 §8: the OP demands a nonce at the token endpoint; the client retried once.
    assert.deepEqual(
      log.filter((r) => r.path === '/token').map((r) => r.status),
      [400, 200],
    );

    // Cross-checks with jose: the key thumbprint, the token binding, the ID token itself.
    const jkt = await jose.calculateJwkThumbprint(client.dpopKey.publicJwk(), 'sha256');
    assert.equal(client.thumbprint, jkt, 'RFC 7638');
    assert.equal(jose.decodeJwt(session.accessToken).cnf?.jkt, jkt, 'RFC 9449 §6.1: cnf.jkt is our key');
    const jwks = jose.createLocalJWKSet(await (await fetch(client.metadata.jwks_uri)).json());
    const { payload } = await jose.jwtVerify(session.idToken, jwks, { issuer: fx.config.issuer, audience: fx.spa.clientId });
    assert.deepEqual({ ...session.claims }, payload);
    assert.equal(payload.at_hash, b64url(sha256(session.accessToken).subarray(0, 16)), 'OIDC Core §3.1.3.6');

    // UserInfo (OIDC Core §5.3) through the DPoP fetch wrapper.
    const userinfo = await client.userinfo();
    assert.equal(userinfo.sub, fx.user.sub);
    assert.equal(userinfo.email, 'demo@example.com');
    const raw = await client.fetch(client.metadata.userinfo_endpoint);
    assert.equal(raw.status, 200);
    assert.equal((await raw.json()).sub, fx.user.sub);
    // The same token without the wrapper (no proof) is refused: it is DPoP-bound (RFC 9449 §7.2).
    const bare = await fetch(client.metadata.userinfo_endpoint, { headers: { authorization: `DPoP ${session.accessToken}` } });
    assert.equal(bare.status, 401);

    // Refresh (RFC 6749 §6): a new access token, the refresh token rotated, still bound.
    const refreshed = await client.refresh();
    assert.equal(client.session, refreshed);
    assert.notEqual(refreshed.accessToken, session.accessToken);
    assert.ok(refreshed.refreshToken && refreshed.refreshToken !== session.refreshToken, 'rotated');
    assert.equal(refreshed.tokenType, 'DPoP');
    assert.equal(jose.decodeJwt(refreshed.accessToken).cnf?.jkt, jkt);
    assert.equal(refreshed.claims.sub, fx.user.sub);
    assert.equal((await client.userinfo()).sub, fx.user.sub, 'the refreshed token works');

    // prompt=none with the OP session still open: a code without any page (OIDC Core §3.1.2.1).
    const silent = new URL(await client.authorizationUrl({ prompt: 'none' }));
    const again = await userAgent(silent.href, browser);
    const second = await client.handleCallback(again.callback);
    assert.equal(second.claims.sub, fx.user.sub);
    assert.equal(second.claims.nonce, silent.searchParams.get('nonce'));
  });

  test('3. GET /api/me through the fetch wrapper: DPoP with the server nonce (RFC 9449 §7.1, §9)', async () => {
    const { client, log } = await newClient();
    await client.handleCallback((await userAgent(await client.authorizationUrl())).callback);
    const res = await client.fetch(`${fx.config.issuer}/api/me?x=1`);
    assert.equal(res.status, 200);
    const me = await res.json();
    assert.equal(me.sub, fx.user.sub);
    assert.equal(me.jkt, client.thumbprint);
    // The nonce learnt at the token endpoint is the same server's: no refusal needed, and
    // a refusal would have been retried exactly once.
    const calls = log.filter((r) => r.path === '/api/me').map((r) => r.status);
    assert.ok(calls.length <= 2 && calls.at(-1) === 200, JSON.stringify(calls));
  });

  test('4. replayed state: the second handleCallback with the same URL is state_mismatch, the code not sent again (RFC 6749 §10.12)', async () => {
    const { client, log } = await newClient();
    const { callback } = await userAgent(await client.authorizationUrl());
    await client.handleCallback(callback);
    const tokenRequests = log.filter((r) => r.path === '/token').length;
    const err = await rejection(client.handleCallback(callback));
    assert.ok(err instanceof OidcEdgeError);
    assert.equal(err.code, 'state_mismatch');
    assert.equal(log.filter((r) => r.path === '/token').length, tokenRequests);
  });

  test('5. tampered state is state_mismatch and does not consume the real one (RFC 6749 §10.12)', async () => {
    const { client, log } = await newClient();
    const { callback } = await userAgent(await client.authorizationUrl());
    const tampered = new URL(callback);
    const state = tampered.searchParams.get('state');
    tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    assert.equal((await rejection(client.handleCallback(tampered.href))).code, 'state_mismatch');
    assert.equal(log.filter((r) => r.path === '/token').length, 0, 'no code exchange');
    assert.equal((await client.handleCallback(callback)).claims.sub, fx.user.sub);
  });

  test('6. an error response (prompt=none without a session) is authorization_error login_required, iss checked (OIDC Core §3.1.2.6, RFC 9207)', async () => {
    const { client, log } = await newClient();
    const { callback } = await userAgent(await client.authorizationUrl({ prompt: 'none' }));
    assert.equal(new URL(callback).searchParams.get('error'), 'login_required');
    const err = await rejection(client.handleCallback(callback));
    assert.ok(err instanceof OidcEdgeError);
    assert.equal(err.code, 'authorization_error');
    assert.equal(err.error, 'login_required');
    assert.equal(log.filter((r) => r.path === '/token').length, 0);

    // The same error response claiming another issuer is issuer_mismatch (mix-up defence).
    const other = await userAgent(await client.authorizationUrl({ prompt: 'none' }));
    const forged = new URL(other.callback);
    forged.searchParams.set('iss', 'https://op.attacker.example');
    assert.equal((await rejection(client.handleCallback(forged.href))).code, 'issuer_mismatch');
  });

  test('7. a wrong code with a valid state: token_error invalid_grant with the OP\'s description and status (RFC 6749 §5.2)', async () => {
    const { client } = await newClient();
    const { callback } = await userAgent(await client.authorizationUrl());
    const wrong = new URL(callback);
    wrong.searchParams.set('code', `${wrong.searchParams.get('code')}x`);
    const err = await rejection(client.handleCallback(wrong.href));
    assert.ok(err instanceof OidcEdgeError);
    assert.equal(err.code, 'token_error', err.message);
    assert.equal(err.error, 'invalid_grant');
    assert.equal(err.status, 400);
    assert.equal(typeof err.error_description, 'string');
    assert.equal(client.session, null);
  });

  /** The refresh token grant sent by hand, as the client would have sent it (the client has
   *  forgotten the token by then): a proof from the client's own DPoP key, retried once with
   *  the OP's nonce (RFC 9449 §5, §8). The OP's answer as { status, body }. */
  async function refreshByHand(client, refreshToken) {
    const endpoint = client.metadata.token_endpoint;
    let nonce;
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          dpop: await client.dpopKey.proof({ htm: 'POST', htu: endpoint, nonce }),
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: fx.spa.clientId }),
      });
      const body = await res.json();
      if (attempt === 0 && res.status === 400 && body.error === 'use_dpop_nonce') {
        nonce = res.headers.get('dpop-nonce');
        continue;
      }
      return { status: res.status, body };
    }
  }

  test('8. signOut: the refresh token revoked (RFC 7009 §2.1), then the end_session URL ends the OP session and returns to the app (OIDC RP-Initiated Logout §2, §3)', async () => {
    const { client, log } = await newClient();
    assert.equal(client.metadata.revocation_endpoint, `${fx.config.issuer}/revoke`, 'the OP advertises revocation_endpoint (RFC 8414 §2)');
    const { callback, browser } = await userAgent(await client.authorizationUrl());
    const session = await client.handleCallback(callback);
    assert.ok(session.refreshToken, 'offline_access gives a refresh token');
    const failures = [];
    const signingOut = client.signOut({ onRevocationError: (err) => failures.push(err) });
    // Forgotten at once, before the revocation is answered.
    assert.equal(client.session, null);
    assert.equal((await rejection(client.fetch(client.metadata.userinfo_endpoint))).code, 'not_signed_in');
    const logout = await signingOut;
    assert.deepEqual(failures, [], 'the OP revoked the token');
    assert.deepEqual(log.filter((r) => r.path === '/revoke'), [{ method: 'POST', path: '/revoke', status: 200 }], 'one revocation, answered 200 (§2.2)');
    // §2.1: the refresh token (and its family) no longer refreshes.
    const refused = await refreshByHand(client, session.refreshToken);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_grant');

    const url = new URL(logout);
    assert.equal(url.searchParams.get('id_token_hint'), session.idToken);
    assert.equal(url.searchParams.get('client_id'), fx.spa.clientId);
    const back = await browser.navigate(logout);
    assert.equal(back.location, `${fx.spa.origin}/`, `the OP sends the user back: ${back.res.status} ${back.html ?? ''}`);
    // The OP session is gone: a silent request needs a login now.
    const silent = await userAgent(await client.authorizationUrl({ prompt: 'none' }), browser);
    assert.equal(new URL(silent.callback).searchParams.get('error'), 'login_required');

    // The control: signed out with revoke: false, the same request by hand still refreshes,
    // so the invalid_grant above is the revocation's doing.
    const kept = await newClient();
    const keptSession = await kept.client.handleCallback((await userAgent(await kept.client.authorizationUrl())).callback);
    assert.equal(new URL(await kept.client.signOut({ revoke: false })).pathname, '/end_session');
    assert.equal(kept.log.filter((r) => r.path === '/revoke').length, 0);
    const refreshed = await refreshByHand(kept.client, keptSession.refreshToken);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(typeof refreshed.body.access_token, 'string');
  });
});
