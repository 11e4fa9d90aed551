// Token introspection (RFC 7662) and its JWT answer (RFC 9701) on the real Worker
// (`wrangler dev`, local KV and the Durable Object), driven by an independent client:
// oauth4webapi's `introspectionRequest` and `processIntrospectionResponse` (which checks the
// JWT answer's `typ`, `iss`, `aud` and `iat`), and `validateApplicationLevelSignature` for its
// signature against the discovered /jwks. The OP signs with an RS256 and an ES256 key, so the
// JWT answer is RS256, the default RFC 9701 §6 names. Each test names the section it checks.
//
//   node --test tests/e2e/introspect.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';
import * as oauth from 'oauth4webapi';

import { rejection } from '../shared/node-helpers.mjs';
import { signIn } from './flows.mjs';
import { insecure, startOauthOp } from './oauth-op.mjs';

describe('token introspection on workerd, driven by oauth4webapi (RFC 7662, RFC 9701)', () => {
  let op;
  let fx;
  /** @type {oauth.AuthorizationServer} */
  let as;
  let spa;
  let service;
  let serviceAuth;
  let started;

  before(async () => {
    started = await startOauthOp({ algs: ['RS256', 'ES256'] });
    ({ op, fx, as, spa, service } = started);
    serviceAuth = oauth.ClientSecretBasic(fx.service.secret);
  });
  after(async () => {
    await started?.stop('introspection tests');
  });

  /** The SPA's tokens after a code flow through the login form, processed by oauth4webapi. */
  async function spaTokens() {
    const flow = await signIn(op.url, fx.spa, fx.user);
    const params = oauth.validateAuthResponse(as, spa, new URL(flow.location), flow.state);
    const res = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, fx.spa.redirectUri, flow.verifier, insecure);
    return oauth.processAuthorizationCodeResponse(as, spa, res, { expectedNonce: flow.nonce, requireIdToken: true });
  }

  /** What the service (a confidential client standing for a resource server) learns of `token`. */
  async function introspect(token, options = {}) {
    const res = await oauth.introspectionRequest(as, service, serviceAuth, token, { ...insecure, ...options });
    assert.equal(res.headers.get('cache-control'), 'no-store', '§2.2: never cached');
    const answer = await oauth.processIntrospectionResponse(as, service, res);
    return { res, answer };
  }

  test('discovery advertises the endpoint for confidential clients only (RFC 8414 §2, RFC 9701 §7)', () => {
    assert.equal(as.introspection_endpoint, `${fx.config.issuer}/introspect`);
    assert.deepEqual(as.introspection_endpoint_auth_methods_supported, ['client_secret_basic']);
    assert.deepEqual(as.introspection_signing_alg_values_supported, ['ES256', 'RS256']);
  });

  test('§2.2: an active access token and refresh token, with what they carry', async () => {
    const tokens = await spaTokens();
    const access = (await introspect(tokens.access_token)).answer;
    assert.equal(access.active, true);
    assert.equal(access.client_id, fx.spa.clientId);
    assert.equal(access.sub, fx.user.sub);
    assert.equal(access.iss, fx.config.issuer);
    assert.equal(access.aud, fx.config.issuer);
    assert.equal(access.token_type, 'Bearer');
    assert.equal(access.scope, tokens.scope);
    const claims = jose.decodeJwt(tokens.access_token);
    assert.equal(access.exp, claims.exp);
    assert.equal(access.iat, claims.iat);
    assert.equal(access.jti, claims.jti);
    for (const internal of ['gid', 'sid']) assert.ok(!(internal in access), `${internal} is the provider's own`);

    const refresh = (await introspect(tokens.refresh_token, { additionalParameters: { token_type_hint: 'refresh_token' } })).answer;
    assert.equal(refresh.active, true);
    assert.equal(refresh.client_id, fx.spa.clientId);
    assert.equal(refresh.sub, fx.user.sub);
    assert.equal(refresh.token_type, 'refresh_token');
  });

  test('§2.2: revoked, rotated and unknown tokens are only {active: false}', async () => {
    const tokens = await spaTokens();
    // A refresh rotates: the old token is out, the successor in.
    const refreshed = await oauth.processRefreshTokenResponse(
      as, spa, await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token, insecure),
    );
    assert.deepEqual((await introspect(tokens.refresh_token)).answer, { active: false });
    assert.equal((await introspect(refreshed.refresh_token)).answer.active, true);

    // RFC 7009: the SPA revokes the family; every token of it is then inactive.
    const revoked = await oauth.revocationRequest(as, spa, oauth.None(), refreshed.refresh_token, insecure);
    await oauth.processRevocationResponse(revoked);
    for (const token of [tokens.access_token, refreshed.access_token, refreshed.refresh_token]) {
      assert.deepEqual((await introspect(token)).answer, { active: false });
    }
    for (const token of ['unknown', 'a.b.c', 'x'.repeat(6000)]) {
      assert.deepEqual((await introspect(token)).answer, { active: false }, token.slice(0, 20));
    }
  });

  test('§2.2, RFC 9449 §6.2: a client-credentials token and a DPoP-bound one', async () => {
    const cc = await oauth.processClientCredentialsResponse(
      as, service, await oauth.clientCredentialsGrantRequest(as, service, serviceAuth, new URLSearchParams({ scope: 'api:read' }), insecure),
    );
    const answer = (await introspect(cc.access_token)).answer;
    assert.equal(answer.active, true);
    assert.equal(answer.sub, fx.service.clientId);
    assert.equal(answer.client_id, fx.service.clientId);
    assert.equal(answer.scope, 'api:read');

    const key = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(service, key);
    const request = () =>
      oauth.clientCredentialsGrantRequest(as, service, serviceAuth, new URLSearchParams({ scope: 'api:read' }), { ...insecure, DPoP: dpop });
    let bound;
    try {
      bound = await oauth.processClientCredentialsResponse(as, service, await request());
    } catch (err) {
      if (!oauth.isDPoPNonceError(err)) throw err;
      bound = await oauth.processClientCredentialsResponse(as, service, await request());
    }
    const boundAnswer = (await introspect(bound.access_token)).answer;
    assert.equal(boundAnswer.token_type, 'DPoP');
    assert.equal(boundAnswer.cnf?.jkt, await jose.calculateJwkThumbprint(await jose.exportJWK(key.publicKey)));
  });

  test('RFC 9701: the signed JWT answer, checked by oauth4webapi and against /jwks', async () => {
    const tokens = await spaTokens();
    const { res, answer } = await introspect(tokens.access_token, { requestJwtResponse: true });
    assert.equal(res.headers.get('content-type'), 'application/token-introspection+jwt');
    assert.equal(answer.active, true);
    assert.equal(answer.sub, fx.user.sub);
    await oauth.validateApplicationLevelSignature(as, res, insecure);

    const inactive = await introspect('unknown', { requestJwtResponse: true });
    assert.deepEqual(inactive.answer, { active: false });
    await oauth.validateApplicationLevelSignature(as, inactive.res, insecure);
  });

  test('§2.1: a public client may not introspect; a wrong secret is invalid_client', async () => {
    const tokens = await spaTokens();
    const bySpa = await oauth.introspectionRequest(as, spa, oauth.None(), tokens.access_token, insecure);
    assert.equal(bySpa.status, 401);
    const err = await rejection(oauth.processIntrospectionResponse(as, spa, bySpa));
    assert.equal(err.error, 'invalid_client');

    const wrong = await oauth.introspectionRequest(as, service, oauth.ClientSecretBasic(`${fx.service.secret}x`), tokens.access_token, insecure);
    assert.equal(wrong.status, 401);
    const challenge = await rejection(oauth.processIntrospectionResponse(as, service, wrong));
    assert.ok(challenge instanceof oauth.WWWAuthenticateChallengeError, String(challenge));
    assert.equal(challenge.cause[0].scheme, 'basic');
    assert.equal((await challenge.response.json()).error, 'invalid_client');
  });
});
