// Token revocation (RFC 7009) on the real Worker (`wrangler dev`, local KV and the Durable
// Object), driven by an independent client: oauth4webapi's `revocationRequest` and
// `processRevocationResponse`, with its code flow, refresh, client credentials, UserInfo and
// DPoP. The login form is filled in with plain `fetch` and a cookie jar (./browserless.mjs).
// Each test names the section it checks.
//
//   node --test tests/e2e/revoke.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as oauth from 'oauth4webapi';

import { rejection } from '../shared/node-helpers.mjs';
import { basicAuth, call, signIn } from './flows.mjs';
import { insecure, startOauthOp } from './oauth-op.mjs';

describe('token revocation on workerd, driven by oauth4webapi (RFC 7009)', () => {
  let op;
  let fx;
  /** @type {oauth.AuthorizationServer} */
  let as;
  /** The public SPA client (no secret: identified by client_id) and the confidential service client. */
  let spa;
  let service;
  let started;

  before(async () => {
    started = await startOauthOp();
    ({ op, fx, as, spa, service } = started);
  });
  after(async () => {
    await started?.stop('revocation tests');
  });

  /** The SPA's tokens after a code flow through the login form, processed by oauth4webapi. */
  async function spaTokens() {
    const flow = await signIn(op.url, fx.spa, fx.user);
    const params = oauth.validateAuthResponse(as, spa, new URL(flow.location), flow.state);
    const res = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, fx.spa.redirectUri, flow.verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, spa, res, { expectedNonce: flow.nonce, requireIdToken: true });
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    return tokens;
  }

  /** Revokes `token` as `client` and checks the answer as oauth4webapi does (200, §2.2). */
  async function revoke(client, auth, token, hint) {
    const res = await oauth.revocationRequest(as, client, auth, token, {
      ...insecure,
      ...(hint && { additionalParameters: { token_type_hint: hint } }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(await processed(res), undefined);
  }
  const processed = (res) => oauth.processRevocationResponse(res);

  const refresh = async (refreshToken) =>
    oauth.processRefreshTokenResponse(as, spa, await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), refreshToken, insecure));
  const userinfo = (accessToken) => oauth.userInfoRequest(as, spa, accessToken, insecure);

  /** The refresh fails `invalid_grant` and the access token gets 401 at /userinfo. */
  async function assertRevoked(tokens, refreshToken = tokens.refresh_token) {
    const err = await rejection(() => refresh(refreshToken));
    assert.ok(err instanceof oauth.ResponseBodyError, String(err));
    assert.equal(err.error, 'invalid_grant');
    const res = await userinfo(tokens.access_token);
    assert.equal(res.status, 401);
    const challenge = await rejection(() => oauth.processUserInfoResponse(as, spa, fx.user.sub, res));
    assert.ok(challenge instanceof oauth.WWWAuthenticateChallengeError, String(challenge));
    assert.equal(challenge.cause[0].scheme, 'bearer');
    assert.equal(challenge.cause[0].parameters.error, 'invalid_token', 'RFC 6750 §3.1');
  }

  test('1. discovery advertises the endpoint and its client authentication (RFC 8414 §2, RFC 7009 §6)', () => {
    assert.equal(as.revocation_endpoint, `${fx.config.issuer}/revoke`);
    assert.deepEqual(as.revocation_endpoint_auth_methods_supported, as.token_endpoint_auth_methods_supported);
  });

  test('2. the public SPA revokes its refresh token: the family and its access tokens end (RFC 7009 §2.1)', async () => {
    const tokens = await spaTokens();
    const rotated = await refresh(tokens.refresh_token);
    const info = await oauth.processUserInfoResponse(as, spa, fx.user.sub, await userinfo(rotated.access_token));
    assert.equal(info.sub, fx.user.sub);

    await revoke(spa, oauth.None(), rotated.refresh_token, 'refresh_token');
    await assertRevoked(rotated);
    // §2.1: "SHOULD also invalidate all access tokens based on the same authorization grant":
    // the first access token and the refresh token rotated out end too.
    await assertRevoked(tokens);
    // §2.2: revoking it again is still 200.
    await revoke(spa, oauth.None(), rotated.refresh_token);
  });

  test('3. the public SPA revokes its access token, hinted wrong: the grant ends (RFC 7009 §2.1, §2.2)', async () => {
    const tokens = await spaTokens();
    const other = await spaTokens();
    // §2.1: a hint only orders the search.
    await revoke(spa, oauth.None(), tokens.access_token, 'refresh_token');
    await assertRevoked(tokens);
    // Another grant of the same client and user stands.
    await oauth.processUserInfoResponse(as, spa, fx.user.sub, await userinfo(other.access_token));
    assert.ok((await refresh(other.refresh_token)).access_token);
  });

  test('4. another client\'s tokens, unknown and malformed ones: 200, nothing revoked (RFC 7009 §2.1, §2.2)', async () => {
    const tokens = await spaTokens();
    for (const token of [tokens.refresh_token, tokens.access_token]) {
      await revoke(service, oauth.ClientSecretBasic(fx.service.secret), token);
    }
    for (const token of ['x', 'a.b.c', `${tokens.refresh_token}x`, `${tokens.access_token.slice(0, -4)}AAAA`, 'r'.repeat(8192)]) {
      await revoke(spa, oauth.None(), token, 'access_token');
    }
    await oauth.processUserInfoResponse(as, spa, fx.user.sub, await userinfo(tokens.access_token));
    assert.ok((await refresh(tokens.refresh_token)).access_token, 'the refresh token still refreshes');
  });

  test('5. a client-credentials access token names no grant: 200, and it works until it expires (RFC 7009 §2.2)', async () => {
    // DPoP-bound, so the DPoP-only /api/me, which takes tokens without a user, can show it still works.
    const DPoP = oauth.DPoP(service, await oauth.generateKeyPair('ES256'));
    const auth = oauth.ClientSecretBasic(fx.service.secret);
    const grant = () => oauth.clientCredentialsGrantRequest(as, service, auth, { scope: 'api:read' }, { ...insecure, DPoP });
    let tokens;
    try {
      tokens = await oauth.processClientCredentialsResponse(as, service, await grant());
    } catch (err) {
      if (!oauth.isDPoPNonceError(err)) throw err;
      tokens = await oauth.processClientCredentialsResponse(as, service, await grant());
    }
    const apiMe = async () => {
      const send = () => oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL('/api/me', fx.config.issuer), undefined, undefined, { ...insecure, DPoP });
      try {
        return await send();
      } catch (err) {
        if (!oauth.isDPoPNonceError(err)) throw err;
        return send();
      }
    };
    assert.equal((await apiMe()).status, 200);

    await revoke(service, auth, tokens.access_token, 'access_token');
    const res = await apiMe();
    assert.equal(res.status, 200, 'nothing revokes a client-credentials token before it expires');
    assert.equal((await res.json()).client_id, fx.service.clientId);
  });

  test('6. client authentication as at /token: a wrong secret is 401 invalid_client with a Basic challenge (RFC 7009 §2.1, §2.2.1; RFC 6749 §5.2)', async () => {
    const tokens = await spaTokens();
    const res = await oauth.revocationRequest(as, service, oauth.ClientSecretBasic(`${fx.service.secret}x`), tokens.refresh_token, insecure);
    assert.equal(res.status, 401);
    const err = await rejection(() => processed(res));
    assert.ok(err instanceof oauth.WWWAuthenticateChallengeError, String(err));
    assert.equal(err.cause[0].scheme, 'basic');
    assert.equal((await err.response.json()).error, 'invalid_client');
    // The confidential client named without its secret: not authenticated.
    const named = await call(`${op.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: fx.service.clientId }).toString(),
    });
    assert.equal(named.status, 401);
    assert.equal(named.json.error, 'invalid_client');
    assert.ok((await refresh(tokens.refresh_token)).access_token, 'nothing was revoked');
  });

  test('7. malformed requests: no token is 400 invalid_request, only form POSTs (RFC 7009 §2.1)', async () => {
    const form = (params, headers = {}) => call(`${op.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });
    const missing = await form({ client_id: fx.spa.clientId });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error, 'invalid_request');
    const missingBasic = await form({}, { authorization: basicAuth(fx.service.clientId, fx.service.secret) });
    assert.equal(missingBasic.json.error, 'invalid_request');
    const json = await call(`${op.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x"}' });
    assert.equal(json.status, 400);
    const get = await call(`${op.url}/revoke?token=x&client_id=${fx.spa.clientId}`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
  });

  test('8. the SPA revokes from the browser: CORS for its origin only (Fetch §3.2)', async () => {
    const origin = fx.spa.origin;
    const preflight = await call(`${op.url}/revoke`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    const tokens = await spaTokens();
    const res = await call(`${op.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: fx.spa.clientId }).toString(),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    await assertRevoked(tokens);
    const evil = await call(`${op.url}/revoke`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(evil.status, 403);
  });
});
