// Resource indicators (RFC 8707) on the real Worker (`wrangler dev`), driven by an
// independent client: oauth4webapi's code flow with `resource` in the authorization request
// and the token request, its refresh narrowing to one resource, and jose checking the access
// tokens' `aud` and `scope` against the published /jwks.
//
//   node --test tests/e2e/resource-indicators.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';
import * as oauth from 'oauth4webapi';

import { rejection } from '../shared/node-helpers.mjs';
import { opFixture } from './fixture.mjs';
import { Browser, parseForm } from './browserless.mjs';
import { insecure } from './oauth-op.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const API = 'https://api.example/';
const REPORTS = 'https://reports.example/v1';
const LEDGER = 'https://ledger.example/';

describe('resource indicators on workerd, driven by oauth4webapi (RFC 8707)', () => {
  let op;
  let fx;
  /** @type {oauth.AuthorizationServer} */
  let as;
  let spa;
  let jwks;

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    fx.config.clients[0].scopes.push('api:read', 'reports:read', 'ledger:read');
    fx.config.resources = [
      { resource: API, scopes: ['api:read'] },
      { resource: REPORTS, scopes: ['reports:read'], access_token_lifetime: 120 },
      { resource: LEDGER, scopes: ['ledger:read'], access_token_format: 'opaque' },
    ];
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
    const issuer = new URL(fx.config.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    spa = { client_id: fx.spa.clientId, token_endpoint_auth_method: 'none' };
    jwks = jose.createLocalJWKSet(await (await fetch(as.jwks_uri)).json());
  });
  after(async () => {
    await op?.stop();
  });

  /** A code flow asking for `resources`; the token request names `tokenResources`. */
  async function codeFlow(resources, tokenResources = resources) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', spa.client_id);
    url.searchParams.set('redirect_uri', fx.spa.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', 'openid offline_access api:read reports:read ledger:read');
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', state);
    for (const resource of resources) url.searchParams.append('resource', resource);
    const browser = new Browser(op.url);
    const login = await browser.navigate(url.href);
    const done = await browser.submit(login.url, parseForm(login.html), { username: fx.user.username, password: fx.user.password });
    const params = oauth.validateAuthResponse(as, spa, new URL(done.location), state);
    const additionalParameters = new URLSearchParams();
    for (const resource of tokenResources) additionalParameters.append('resource', resource);
    const res = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, fx.spa.redirectUri, verifier, {
      ...insecure,
      additionalParameters,
    });
    return oauth.processAuthorizationCodeResponse(as, spa, res);
  }

  const verifyAccess = (token) => jose.jwtVerify(token, jwks, { issuer: fx.config.issuer, typ: 'at+jwt' });

  test('§2: a token for one resource has it as aud and only its scopes', async () => {
    const tokens = await codeFlow([API]);
    const { payload } = await verifyAccess(tokens.access_token);
    assert.equal(payload.aud, API);
    assert.equal(payload.scope, 'api:read');
    assert.equal(tokens.scope, 'api:read');
    // The provider's own /userinfo is not that API.
    const info = await oauth.userInfoRequest(as, spa, tokens.access_token, insecure);
    assert.equal(info.status, 401);
  });

  test('§2.2: two resources at once, then a refresh narrowed to each', async () => {
    const tokens = await codeFlow([API, REPORTS], []);
    const both = await verifyAccess(tokens.access_token);
    assert.deepEqual(both.payload.aud, [API, REPORTS]);
    assert.equal(tokens.expires_in, 120, 'the shortest lifetime');

    const narrowed = await oauth.processRefreshTokenResponse(
      as, spa, await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token, {
        ...insecure,
        additionalParameters: { resource: REPORTS },
      }),
    );
    const reports = await verifyAccess(narrowed.access_token);
    assert.equal(reports.payload.aud, REPORTS);
    assert.equal(reports.payload.scope, 'reports:read');
  });

  test('§2: a resource the authorization did not name is invalid_target', async () => {
    const err = await rejection(codeFlow([API], [REPORTS]));
    assert.equal(err.error, 'invalid_target', String(err));
  });

  test('an opaque token for a resource: nothing to decode, described by /introspect (RFC 7662)', async () => {
    const tokens = await codeFlow([LEDGER]);
    assert.equal(tokens.access_token.split('.').length, 1, 'not a JWS');
    const service = { client_id: fx.service.clientId, token_endpoint_auth_method: 'client_secret_basic' };
    const answer = await oauth.processIntrospectionResponse(
      as, service, await oauth.introspectionRequest(as, service, oauth.ClientSecretBasic(fx.service.secret), tokens.access_token, insecure),
    );
    assert.equal(answer.active, true);
    assert.equal(answer.aud, LEDGER);
    assert.equal(answer.scope, 'ledger:read');
    assert.equal(answer.sub, fx.user.sub);
  });
});
