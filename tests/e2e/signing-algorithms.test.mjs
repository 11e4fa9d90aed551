// Every signing algorithm on workerd, checked by independent clients: an OP with RS256, PS256,
// EdDSA and ES256 keys (in that order, so ES256 signs access tokens) signs ID tokens RS256 for
// a client that names nothing — openid-client's own default (OpenID Connect Registration §2),
// which it validates without being told — and PS256 or EdDSA for clients whose
// `id_token_signed_response_alg` says so. jose verifies every token against the published
// /jwks, and the Worker must have imported every key into WebCrypto (no "refused" line).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';
import * as client from 'openid-client';

import { opFixture } from './fixture.mjs';
import { Browser, parseForm } from './browserless.mjs';
import { signIn, tokenRequest } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const ALGS = ['RS256', 'PS256', 'EdDSA', 'ES256'];

describe('signing algorithms (RFC 7518 §3.1, RFC 8037 §3.1) on wrangler dev', () => {
  let op;
  let fx;
  let jwks;
  const clientFor = {};

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}`, algs: ALGS });
    // One public client per ID token algorithm besides the default, like the SPA otherwise.
    for (const alg of ['PS256', 'EdDSA']) {
      const clientId = `spa-${alg.toLowerCase()}`;
      fx.config.clients.push({ ...fx.config.clients[0], client_id: clientId, id_token_signed_response_alg: alg });
      clientFor[alg] = { clientId, redirectUri: fx.spa.redirectUri };
    }
    clientFor.RS256 = { clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri };
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
    jwks = jose.createLocalJWKSet(await (await fetch(`${op.url}/jwks`)).json());
  });
  after(async () => {
    await op?.stop();
  });

  test('discovery lists exactly the four; /jwks publishes each key with its alg and no private member', async () => {
    const doc = await (await fetch(`${op.url}/.well-known/openid-configuration`)).json();
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['ES256', 'RS256', 'PS256', 'EdDSA']);
    const published = await (await fetch(`${op.url}/jwks`)).json();
    assert.deepEqual(
      published.keys.map((k) => [k.kid, k.alg, k.use]),
      fx.publicJwks.map((k) => [k.kid, k.alg, 'sig']),
    );
    for (const [i, key] of published.keys.entries()) {
      assert.deepEqual(key, fx.publicJwks[i], `key ${i} as configured, public members only`);
    }
  });

  test('openid-client, told nothing about algorithms, validates the RS256 ID token of a code flow', async () => {
    const config = await client.discovery(new URL(fx.config.issuer), fx.spa.clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: fx.spa.redirectUri,
      scope: 'openid profile offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const browser = new Browser(op.url);
    const login = await browser.navigate(url.href);
    const done = await browser.submit(login.url, parseForm(login.html), {
      username: fx.user.username,
      password: fx.user.password,
    });
    assert.ok(done.location?.startsWith(fx.spa.redirectUri), done.location ?? done.html);
    const tokens = await client.authorizationCodeGrant(config, new URL(done.location), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    assert.equal(tokens.claims().sub, fx.user.sub);
    assert.equal(jose.decodeProtectedHeader(tokens.id_token).alg, 'RS256');
    assert.equal(jose.decodeProtectedHeader(tokens.access_token).alg, 'ES256');

    // The refreshed ID token too, validated by openid-client against the same default.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.equal(refreshed.claims().sub, fx.user.sub);
    assert.equal(jose.decodeProtectedHeader(refreshed.id_token).alg, 'RS256');
  });

  for (const alg of ['RS256', 'PS256', 'EdDSA']) {
    test(`${alg}: the client's ID tokens and its ES256 access token verify against /jwks with jose`, async () => {
      const spa = clientFor[alg];
      const { code, verifier, nonce } = await signIn(op.url, spa, fx.user, { scope: 'openid offline_access' });
      const res = await tokenRequest(op.url, {
        grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: spa.redirectUri, client_id: spa.clientId,
      });
      assert.equal(res.status, 200, res.text);
      const id = await jose.jwtVerify(res.json.id_token, jwks, {
        issuer: fx.config.issuer, audience: spa.clientId, algorithms: [alg],
      });
      assert.equal(id.payload.nonce, nonce);
      assert.equal(id.protectedHeader.kid, `e2e-${alg.toLowerCase()}`);
      const access = await jose.jwtVerify(res.json.access_token, jwks, {
        issuer: fx.config.issuer, audience: fx.config.issuer, algorithms: ['ES256'], typ: 'at+jwt',
      });
      assert.equal(access.payload.client_id, spa.clientId);
    });
  }

  test('every key was imported into WebCrypto: nothing signed in wasm', () => {
    assert.doesNotMatch(op.output(), /WebCrypto refused/);
  });
});
