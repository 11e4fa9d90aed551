// `private_key_jwt` client authentication (RFC 7523, OpenID Connect Core §9) on the real
// Worker (`wrangler dev`, the Durable Object keeping each assertion's `jti`), driven by an
// independent client: oauth4webapi's `PrivateKeyJwt` at the token, introspection and
// revocation endpoints, with an ES256 and an RS256 client key. Each test names the section
// it checks.
//
//   node --test tests/e2e/private-key-jwt.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';
import * as oauth from 'oauth4webapi';

import { rejection } from '../shared/node-helpers.mjs';
import { opFixture } from './fixture.mjs';
import { insecure } from './oauth-op.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

describe('private_key_jwt on workerd, driven by oauth4webapi (RFC 7523)', () => {
  let op;
  let fx;
  /** @type {oauth.AuthorizationServer} */
  let as;
  const clients = {};

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    for (const alg of ['ES256', 'RS256']) {
      const { publicKey, privateKey } = await jose.generateKeyPair(alg);
      const kid = `batch-${alg.toLowerCase()}`;
      const clientId = `batch-job-${alg.toLowerCase()}`;
      fx.config.clients.push({
        client_id: clientId, client_type: 'confidential', token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await jose.exportJWK(publicKey)), kid, alg }] },
        grant_types: ['client_credentials'], scopes: ['api:read'],
      });
      clients[alg] = {
        client: { client_id: clientId, token_endpoint_auth_method: 'private_key_jwt' },
        auth: oauth.PrivateKeyJwt({ key: privateKey, kid }),
        privateKey,
        kid,
      };
    }
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
    const issuer = new URL(fx.config.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  });
  after(async () => {
    await op?.stop();
  });

  const clientCredentials = async ({ client, auth }) =>
    oauth.processClientCredentialsResponse(
      as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope: 'api:read' }), insecure),
    );

  test('RFC 8414 §2: discovery lists private_key_jwt and the algorithms it takes', () => {
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      assert.ok(as[`${endpoint}_endpoint_auth_methods_supported`].includes('private_key_jwt'), endpoint);
      const algs = as[`${endpoint}_endpoint_auth_signing_alg_values_supported`];
      assert.ok(algs.includes('ES256') && algs.includes('RS256') && !algs.includes('HS256'), `${endpoint}: ${algs}`);
    }
  });

  for (const alg of ['ES256', 'RS256']) {
    test(`RFC 7523 §2.2: an ${alg} client gets a token, introspects it and revokes it`, async () => {
      const batch = clients[alg];
      const tokens = await clientCredentials(batch);
      const claims = jose.decodeJwt(tokens.access_token);
      assert.equal(claims.client_id, batch.client.client_id);

      const introspected = await oauth.processIntrospectionResponse(
        as, batch.client, await oauth.introspectionRequest(as, batch.client, batch.auth, tokens.access_token, insecure),
      );
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, batch.client.client_id);

      const revoked = await oauth.revocationRequest(as, batch.client, batch.auth, tokens.access_token, insecure);
      assert.equal(revoked.status, 200);
      await oauth.processRevocationResponse(revoked);
    });
  }

  test('RFC 7523 §3: a replayed assertion, another key, and the wrong audience are invalid_client', async () => {
    const batch = clients.ES256;
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: batch.client.client_id, sub: batch.client.client_id, aud: fx.config.issuer, iat: now, exp: now + 60 };
    const send = (assertion) =>
      fetch(`${op.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }),
      });
    const sign = (payload, key = batch.privateKey, kid = batch.kid) =>
      new jose.SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid }).sign(key);

    const once = await sign({ ...claims, jti: 'e2e-once' });
    assert.equal((await send(once)).status, 200);
    const replay = await send(once);
    assert.equal(replay.status, 401);
    assert.equal((await replay.json()).error, 'invalid_client');

    const stranger = (await jose.generateKeyPair('ES256')).privateKey;
    const forged = await send(await sign({ ...claims, jti: 'e2e-forged' }, stranger));
    assert.equal(forged.status, 401);
    const elsewhere = await send(await sign({ ...claims, jti: 'e2e-aud', aud: 'https://other.example' }));
    assert.equal(elsewhere.status, 401);

    // oauth4webapi surfaces the refusal as the OAuth error it is.
    const wrongKey = { ...batch, auth: oauth.PrivateKeyJwt({ key: stranger, kid: batch.kid }) };
    const err = await rejection(clientCredentials(wrongKey));
    assert.equal(err.error, 'invalid_client', String(err));
  });
});
