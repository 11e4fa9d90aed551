// `private_key_jwt` client authentication (RFC 7523, OpenID Connect Core §9) on the real
// Worker (`wrangler dev`, the Durable Object keeping each assertion's `jti`), driven by an
// independent client: oauth4webapi's `PrivateKeyJwt` at the token, introspection and
// revocation endpoints, with an ES256 and an RS256 client key, and with keys the Worker
// fetches from a client's `jwks_uri` (RFC 7591 §2; a Node server on 127.0.0.1 here: the
// fixture's issuer is http://127.0.0.1, and workerd reaches the host's loopback). Each test
// names the section it checks.
//
//   node --test tests/e2e/private-key-jwt.test.mjs

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
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

describe('private_key_jwt with keys at a jwks_uri, fetched by workerd (RFC 7591 §2)', () => {
  let op;
  let fx;
  /** @type {oauth.AuthorizationServer} */
  let as;
  let keyServer;
  /** Each GET the key server received: { path, headers }. */
  const gets = [];
  /** What the key server answers at /jwks.json. */
  let published;
  const batch = {};

  /** Answers the key server gives, by path: the keys, a redirect to them, too much, nothing. */
  const routes = {
    '/jwks.json': (res) => res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(published)),
    '/moved': (res) => res.writeHead(302, { location: '/jwks.json' }).end(),
    '/big': (res) => {
      const body = JSON.stringify({ ...published, padding: 'x'.repeat(70 * 1024) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    },
    // The same without Content-Length (chunked): refused while it is read.
    '/big-chunked': (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify(published).slice(0, -1)},"padding":"`);
      for (let i = 0; i < 70; i++) res.write('x'.repeat(1024));
      res.end('"}');
    },
    // Headers at once, then a body that never ends: only the deadline stops the read.
    '/slow': (res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.write('{"keys":['); },
  };

  before(async () => {
    keyServer = createServer((req, res) => {
      gets.push({ method: req.method, path: req.url, headers: req.headers });
      (routes[new URL(req.url, 'http://keys').pathname] ?? ((r) => r.writeHead(404).end()))(res);
    });
    await new Promise((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    const keysAt = (path) => `http://127.0.0.1:${keyServer.address().port}${path}`;

    const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
    const kid = 'uri-es256';
    published = { keys: [{ ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256' }] };
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    for (const [name, path] of [['uri', '/jwks.json'], ['moved', '/moved?tenant_key=the-tenant-key'], ['big', '/big'], ['chunked', '/big-chunked'], ['slow', '/slow']]) {
      const clientId = `batch-${name}`;
      fx.config.clients.push({
        client_id: clientId, client_type: 'confidential', token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: keysAt(path), grant_types: ['client_credentials'], scopes: ['api:read'],
      });
      batch[name] = {
        client: { client_id: clientId, token_endpoint_auth_method: 'private_key_jwt' },
        auth: oauth.PrivateKeyJwt({ key: privateKey, kid }),
        path,
      };
    }
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
    const issuer = new URL(fx.config.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  });
  after(async () => {
    await op?.stop();
    keyServer?.closeAllConnections();
    keyServer?.close();
  });

  const tokenRequest = ({ client, auth }) =>
    oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope: 'api:read' }), insecure);
  const getsOf = (path) => gets.filter((get) => get.path === path);

  test('RFC 7591 §2, RFC 7523 §2.2: the keys are fetched once, plainly, and kept', async () => {
    for (let i = 0; i < 3; i++) {
      const tokens = await oauth.processClientCredentialsResponse(as, batch.uri.client, await tokenRequest(batch.uri));
      assert.equal(jose.decodeJwt(tokens.access_token).client_id, batch.uri.client.client_id);
    }
    const fetched = getsOf('/jwks.json');
    assert.equal(fetched.length, 1, 'one GET, the keys kept for the next assertions');
    assert.equal(fetched[0].method, 'GET');
    for (const header of ['cookie', 'authorization']) assert.equal(fetched[0].headers[header], undefined, header);
  });

  test('a redirect is not followed: invalid_client, and its target never asked; the log names the jwks_uri without its query', async () => {
    const before = getsOf('/jwks.json').length;
    const response = await tokenRequest(batch.moved);
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error, 'invalid_client');
    assert.equal(getsOf(batch.moved.path).length, 1);
    assert.equal(getsOf('/jwks.json').length, before, 'the redirect was followed');
    // The Worker logs the GET that went wrong, without the query (it may carry a client's key).
    const logged = new RegExp(`GET http://127\\.0\\.0\\.1:${keyServer.address().port}/moved answered 302`);
    // wrangler passes the Worker's output on as it comes: wait for the line to arrive.
    for (let tries = 0; tries < 100 && !logged.test(op.output()); tries++) await sleep(100);
    assert.match(op.output(), logged);
    assert.doesNotMatch(op.output(), /tenant_key/, 'the query is not logged');
  });

  test('a JWKS over 64 KiB is refused, by its Content-Length or as it is read: invalid_client', async () => {
    for (const name of ['big', 'chunked']) {
      const response = await tokenRequest(batch[name]);
      assert.equal(response.status, 401, name);
      assert.equal((await response.json()).error, 'invalid_client', name);
      assert.equal(getsOf(batch[name].path).length, 1, name);
    }
  });

  test('a JWKS that does not arrive within 5 s: invalid_client, not a hang or a 5xx', async () => {
    const response = await tokenRequest(batch.slow);
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error, 'invalid_client');
    // Refused for its deadline (the Worker's log names why), not for anything else.
    const logged = new RegExp(`GET http://127\\.0\\.0\\.1:${keyServer.address().port}/slow: no answer within the time limit`);
    for (let tries = 0; tries < 100 && !logged.test(op.output()); tries++) await sleep(100);
    assert.match(op.output(), logged);
    // Not asked again within the minute.
    assert.equal((await tokenRequest(batch.slow)).status, 401);
    assert.equal(getsOf('/slow').length, 1);
  });
});
