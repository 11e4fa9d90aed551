// Token exchange (RFC 8693) on the real Worker under `wrangler dev`, through openid-client's
// `genericGrantRequest`: a gateway trades a user's access token for one aimed at a backend
// (impersonation), a delegating client names itself as the actor (`act`), and the hostile
// cases: a revoked subject token, an actor token of another user, a target that is not
// configured. Revoking the user's grant reaches what was exchanged from it.
//
//   node --test tests/e2e/token-exchange.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';
import * as client from 'openid-client';

import { addExchangeClients, opFixture, phc } from './fixture.mjs';
import { basicAuth, call, signIn, tokenRequest } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';

describe('token exchange (RFC 8693) on wrangler dev', () => {
  let op;
  let fx;
  let gateway;
  let delegator;
  let backend;
  let jwks;
  const second = { username: 'second', password: `second-${Date.now()}`, sub: 'u2' };

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    ({ gateway, delegator, backend } = addExchangeClients(fx));
    fx.config.users.push({ sub: second.sub, username: second.username, password_hash: phc(second.password, 100_000) });
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
    jwks = jose.createLocalJWKSet(await (await fetch(`${op.url}/jwks`)).json());
  });
  after(async () => {
    await op?.stop();
  });

  const spa = () => ({ clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri });
  const configFor = (who) =>
    client.discovery(new URL(fx.config.issuer), who.clientId, undefined, client.ClientSecretBasic(who.secret), {
      execute: [client.allowInsecureRequests],
    });

  /** The SPA's tokens for `user`, through the code flow. */
  async function userTokens(user = fx.user, scope = 'openid api:read offline_access') {
    const flow = await signIn(op.url, spa(), user, { scope });
    const res = await tokenRequest(op.url, {
      grant_type: 'authorization_code', client_id: fx.spa.clientId, code: flow.code,
      redirect_uri: fx.spa.redirectUri, code_verifier: flow.verifier,
    });
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  const introspect = async (token) =>
    (await call(`${op.url}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(gateway.clientId, gateway.secret) },
      body: new URLSearchParams({ token }).toString(),
    })).json;

  /** What openid-client's promise failed with: the OAuth error code. */
  const refusal = async (promise) => {
    try {
      await promise;
    } catch (err) {
      return err.error ?? err.code;
    }
    throw new Error('the exchange succeeded');
  };

  test('genericGrantRequest: the gateway trades the user\'s access token for one for the backend (RFC 8693 §2.1, §2.2.1)', async () => {
    const config = await configFor(gateway);
    assert.ok(config.serverMetadata().grant_types_supported.includes(GRANT));
    const user = await userTokens();
    const exchanged = await client.genericGrantRequest(config, GRANT, {
      subject_token: user.access_token,
      subject_token_type: ACCESS,
      resource: backend,
    });
    assert.equal(exchanged.issued_token_type, ACCESS);
    assert.equal(exchanged.token_type.toLowerCase(), 'bearer');
    assert.equal(exchanged.refresh_token, undefined);
    const { payload } = await jose.jwtVerify(exchanged.access_token, jwks, {
      issuer: fx.config.issuer, audience: backend, typ: 'at+jwt',
    });
    assert.equal(payload.sub, fx.user.sub);
    assert.equal(payload.client_id, gateway.clientId);
    assert.equal(payload.scope, 'api:read');
    assert.equal(payload.act, undefined);
    assert.ok(payload.exp <= jose.decodeJwt(user.access_token).exp);
  });

  test('genericGrantRequest: delegation names the actor in act, nested when exchanged again (RFC 8693 §4.1)', async () => {
    const config = await configFor(delegator);
    const own = await client.clientCredentialsGrant(config, { scope: 'api:read' });
    const user = await userTokens();
    assert.equal(
      await refusal(client.genericGrantRequest(config, GRANT, { subject_token: user.access_token, subject_token_type: ACCESS, audience: backend })),
      'invalid_request',
      'a client that may not impersonate names its actor',
    );
    const once = await client.genericGrantRequest(config, GRANT, {
      subject_token: user.access_token, subject_token_type: ACCESS,
      actor_token: own.access_token, actor_token_type: ACCESS, audience: backend,
    });
    assert.deepEqual(jose.decodeJwt(once.access_token).act, { sub: delegator.clientId });
    const twice = await client.genericGrantRequest(config, GRANT, {
      subject_token: once.access_token, subject_token_type: ACCESS,
      actor_token: own.access_token, actor_token_type: ACCESS, audience: backend,
    });
    assert.deepEqual(jose.decodeJwt(twice.access_token).act, { sub: delegator.clientId, act: { sub: delegator.clientId } });
    assert.deepEqual((await introspect(twice.access_token)).act, { sub: delegator.clientId, act: { sub: delegator.clientId } });
  });

  test('hostile: an actor token of another user, issued to another client, is refused (RFC 8693 §2.2.2)', async () => {
    const config = await configFor(delegator);
    const user = await userTokens();
    const theirs = await userTokens(second);
    assert.equal(
      await refusal(client.genericGrantRequest(config, GRANT, {
        subject_token: user.access_token, subject_token_type: ACCESS,
        actor_token: theirs.access_token, actor_token_type: ACCESS, audience: backend,
      })),
      'invalid_request',
    );
  });

  test('hostile: a revoked subject token is refused, and what was exchanged from it is revoked with it (RFC 7009 §2.1)', async () => {
    const config = await configFor(gateway);
    const user = await userTokens();
    const exchanged = await client.genericGrantRequest(config, GRANT, {
      subject_token: user.access_token, subject_token_type: ACCESS, resource: backend,
    });
    assert.equal((await introspect(exchanged.access_token)).active, true);
    const revoked = await call(`${op.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: user.refresh_token, client_id: fx.spa.clientId }).toString(),
    });
    assert.equal(revoked.status, 200);
    assert.equal((await introspect(exchanged.access_token)).active, false);
    assert.equal(
      await refusal(client.genericGrantRequest(config, GRANT, { subject_token: user.access_token, subject_token_type: ACCESS, resource: backend })),
      'invalid_request',
    );
  });

  test('hostile: targets and scopes outside what is configured or granted (RFC 8693 §2.2.2)', async () => {
    const config = await configFor(gateway);
    const user = await userTokens(fx.user, 'openid');
    const subject = { subject_token: user.access_token, subject_token_type: ACCESS };
    assert.equal(await refusal(client.genericGrantRequest(config, GRANT, { ...subject, audience: 'https://elsewhere.example/' })), 'invalid_target');
    assert.equal(await refusal(client.genericGrantRequest(config, GRANT, { ...subject, resource: backend, scope: 'api:read' })), 'invalid_scope');
    assert.equal(await refusal(client.genericGrantRequest(config, GRANT, { ...subject, subject_token: 'forged', resource: backend })), 'invalid_request');
    // A client without the grant.
    const service = await tokenRequest(op.url, { grant_type: GRANT, ...subject, resource: backend }, {
      authorization: basicAuth(fx.service.clientId, fx.service.secret),
    });
    assert.equal(service.json.error, 'unauthorized_client');
  });
});
