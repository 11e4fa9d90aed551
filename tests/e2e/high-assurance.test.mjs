// Pushed authorization requests (RFC 9126), signed request objects (RFC 9101) and the
// response modes form_post and JARM on the real Worker (`wrangler dev`, the Durable Object
// keeping request_uris and request-object jtis single-use), driven by an independent client:
// openid-client's buildAuthorizationUrlWithPAR, buildAuthorizationUrlWithJAR and
// useJwtResponseMode, with private_key_jwt and client_secret_basic at /par and /token. The
// login form is driven by plain fetch (./browserless.mjs); the form_post page by Chromium,
// so its CSP is the one a browser enforces. Each test names the section it checks.
//
//   node --test tests/e2e/high-assurance.test.mjs

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';
import * as client from 'openid-client';

import { rejection } from '../shared/node-helpers.mjs';
import { launchChromium } from '../browser/chromium.mjs';
import { Browser, parseForm } from './browserless.mjs';
import { opFixture, phc } from './fixture.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

describe('PAR, JAR and JARM on workerd, driven by openid-client', () => {
  let op;
  let fx;
  /** The relying party's callback server: each POST it receives, { path, body }. */
  let rp;
  const posts = [];
  let rpUrl;
  const apps = {};

  before(async () => {
    rp = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        if (req.method === 'POST') posts.push({ path: req.url, body });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
      });
    });
    await new Promise((resolve) => rp.listen(0, '127.0.0.1', resolve));
    rpUrl = `http://127.0.0.1:${rp.address().port}`;

    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    const secret = 'par-app-secret-0123456789abcdefghijkl';
    // A confidential client that must push its requests (RFC 9126 §6).
    fx.config.clients.push({
      client_id: 'par-app', client_type: 'confidential', token_endpoint_auth_method: 'client_secret_basic',
      client_secret_hash: phc(secret, 1000), redirect_uris: [`${rpUrl}/par`], scopes: ['openid', 'email'],
      first_party: true, require_pushed_authorization_requests: true,
    });
    // A private_key_jwt client whose requests must be signed (RFC 9101 §10.5).
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
    const kid = 'jar-key';
    fx.config.clients.push({
      client_id: 'jar-app', client_type: 'confidential', token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256' }] },
      redirect_uris: [`${rpUrl}/jar`], scopes: ['openid', 'email'], first_party: true,
      require_signed_request_object: true,
    });
    // A client held to the FAPI 2.0 Security Profile: everything else it needs is implied.
    const fapi = await jose.generateKeyPair('ES256');
    fx.config.clients.push({
      client_id: 'fapi-app', client_type: 'confidential', token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await jose.exportJWK(fapi.publicKey)), kid: 'fapi-key', alg: 'ES256' }] },
      redirect_uris: [`${rpUrl}/fapi`], scopes: ['openid', 'email'], first_party: true, profile: 'fapi2',
    });
    // A public client for the response modes, and another that a response must not reach.
    for (const name of ['modes-app', 'other-app']) {
      fx.config.clients.push({
        client_id: name, client_type: 'public', token_endpoint_auth_method: 'none',
        redirect_uris: [`${rpUrl}/${name}`], scopes: ['openid', 'email'], first_party: true,
      });
    }
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });

    const issuer = new URL(fx.config.issuer);
    const configure = async (clientId, metadata, auth) => {
      const config = await client.discovery(issuer, clientId, metadata, auth, { execute: [client.allowInsecureRequests] });
      return config;
    };
    apps.par = await configure('par-app', {}, client.ClientSecretBasic(secret));
    apps.jar = await configure('jar-app', {}, client.PrivateKeyJwt({ key: privateKey, kid }));
    apps.jarKey = { key: privateKey, kid };
    apps.fapi = await configure('fapi-app', {}, client.PrivateKeyJwt({ key: fapi.privateKey, kid: 'fapi-key' }));
    apps.modes = await configure('modes-app', {}, client.None());
    apps.other = await configure('other-app', {}, client.None());
  });
  after(async () => {
    await op?.stop();
    rp?.closeAllConnections();
    rp?.close();
  });

  /** PKCE and state for one request, and the parameters openid-client is given. */
  async function request(redirectPath, extra = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const params = {
      redirect_uri: `${rpUrl}/${redirectPath}`,
      scope: 'openid email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    };
    return { verifier, state, params };
  }

  /** The user agent through the login form to the client's redirect URI (not fetched). */
  async function userAgent(url, browser = new Browser(op.url)) {
    let step = await browser.navigate(url.href ?? url);
    if (!step.location && step.url && new URL(step.url).pathname === '/login') {
      step = await browser.submit(step.url, parseForm(step.html), { username: fx.user.username, password: fx.user.password });
    }
    return { step, browser };
  }

  test('discovery: the PAR endpoint, request objects, the response modes and their algorithms (RFC 9126 §5, RFC 9101 §10.1, JARM §4)', () => {
    const m = apps.par.serverMetadata();
    assert.equal(m.pushed_authorization_request_endpoint, `${fx.config.issuer}/par`);
    assert.equal(m.require_pushed_authorization_requests, false);
    assert.equal(m.request_parameter_supported, true);
    assert.ok(m.request_object_signing_alg_values_supported.includes('ES256'));
    assert.ok(!m.request_object_signing_alg_values_supported.includes('none'));
    assert.deepEqual(m.response_modes_supported, ['query', 'form_post', 'jwt', 'query.jwt', 'form_post.jwt']);
    assert.deepEqual(m.authorization_signing_alg_values_supported, ['ES256']);
  });

  test('RFC 9126 §2, §4: buildAuthorizationUrlWithPAR; the code flow ends in tokens; the request_uri is used once', async () => {
    const { verifier, state, params } = await request('par');
    const url = await client.buildAuthorizationUrlWithPAR(apps.par, params);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    const { step } = await userAgent(url);
    assert.ok(step.location?.startsWith(`${rpUrl}/par?`), step.html ?? step.location);
    const tokens = await client.authorizationCodeGrant(apps.par, new URL(step.location), { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims().sub, fx.user.sub);

    // §4: a request_uri starts one authorization only.
    const replay = await new Browser(op.url).navigate(url.href);
    assert.equal(replay.res.status, 400);
    assert.match(replay.html, /invalid_request_uri/);
  });

  test('RFC 9126 §5: a client that must push is refused a plain request, at its redirect URI', async () => {
    const { state, params } = await request('par');
    const { step } = await userAgent(client.buildAuthorizationUrl(apps.par, params));
    const answer = new URL(step.location).searchParams;
    assert.equal(answer.get('error'), 'invalid_request');
    assert.equal(answer.get('state'), state);
    assert.equal(answer.get('iss'), fx.config.issuer, 'RFC 9207');
  });

  test('RFC 9126 §2: /par authenticates a confidential client (401 invalid_client without or with wrong credentials)', async () => {
    const { params } = await request('par');
    const form = new URLSearchParams({ ...params, response_type: 'code', client_id: 'par-app' });
    for (const headers of [{}, { authorization: `Basic ${Buffer.from('par-app:wrong').toString('base64')}` }]) {
      const res = await fetch(`${op.url}/par`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error, 'invalid_client');
    }
    // openid-client surfaces the refusal as the OAuth error it is.
    const wrong = await client.discovery(new URL(fx.config.issuer), 'par-app', {}, client.ClientSecretBasic('wrong'), { execute: [client.allowInsecureRequests] });
    const err = await rejection(client.buildAuthorizationUrlWithPAR(wrong, params));
    // RFC 6749 §5.2: a failed Basic authentication is a 401 with a Basic challenge.
    assert.equal(err.status, 401, String(err));
    assert.equal(err.cause?.[0]?.scheme, 'basic', JSON.stringify(err.cause));
  });

  test('RFC 9101 §5.1: buildAuthorizationUrlWithJAR by value, then pushed (RFC 9126 §3); each object once', async () => {
    const { verifier, state, params } = await request('jar');
    const url = await client.buildAuthorizationUrlWithJAR(apps.jar, params, apps.jarKey);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request']);
    assert.equal(jose.decodeProtectedHeader(url.searchParams.get('request')).typ, 'oauth-authz-req+jwt');
    const { step } = await userAgent(url);
    assert.ok(step.location?.startsWith(`${rpUrl}/jar?`), step.html ?? step.location);
    const tokens = await client.authorizationCodeGrant(apps.jar, new URL(step.location), { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims().sub, fx.user.sub);

    // The same object again: its jti was spent.
    const replay = await new Browser(op.url).navigate(url.href);
    assert.equal(replay.res.status, 400);
    assert.match(replay.html, /invalid_request_object/);

    const second = await request('jar');
    const signed = await client.buildAuthorizationUrlWithJAR(apps.jar, second.params, apps.jarKey);
    const pushed = await client.buildAuthorizationUrlWithPAR(apps.jar, signed.searchParams);
    const { step: back } = await userAgent(pushed);
    const pushedTokens = await client.authorizationCodeGrant(apps.jar, new URL(back.location), { pkceCodeVerifier: second.verifier, expectedState: second.state });
    assert.equal(pushedTokens.claims().sub, fx.user.sub);
  });

  test('RFC 9449 §8 with RFC 9101 and RFC 9126: a signed request pushed with a fresh DPoP handle; openid-client retries the same object with the nonce, and the code is bound to the key', async () => {
    const dpop = client.getDPoPHandle(apps.jar, await client.randomDPoPKeyPair('ES256'));
    const { verifier, state, params } = await request('jar');
    const signed = await client.buildAuthorizationUrlWithJAR(apps.jar, params, apps.jarKey);
    // The handle holds no nonce yet: the first push is answered use_dpop_nonce, and the
    // retry sends the same request object.
    const pushed = await client.buildAuthorizationUrlWithPAR(apps.jar, signed.searchParams, { DPoP: dpop });
    const { step } = await userAgent(pushed);
    const back = new URL(step.location);
    const tokens = await client.authorizationCodeGrant(apps.jar, back, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP: dpop });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    assert.equal(tokens.claims().sub, fx.user.sub);
  });

  test('RFC 9101 §6.1, §10.5: unsigned, foreign-key, expired and plain requests of a client that must sign are refused', async () => {
    const { params } = await request('jar');
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...params, response_type: 'code', client_id: 'jar-app', iss: 'jar-app', aud: fx.config.issuer, iat: now, nbf: now, exp: now + 60 };
    const authorize = (requestObject) =>
      new Browser(op.url).navigate(`${op.url}/authorize?${new URLSearchParams({ client_id: 'jar-app', request: requestObject })}`);
    const stranger = (await jose.generateKeyPair('ES256')).privateKey;
    const sign = (payload, key = apps.jarKey.key) =>
      new jose.SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: apps.jarKey.kid, typ: 'oauth-authz-req+jwt' }).sign(key);
    const unsigned = new jose.UnsecuredJWT({ ...claims, jti: 'e2e-none' }).encode();
    for (const [why, object] of [
      ['alg none', unsigned],
      ['another key', await sign({ ...claims, jti: 'e2e-stranger' }, stranger)],
      ['expired', await sign({ ...claims, jti: 'e2e-expired', iat: now - 600, nbf: now - 600, exp: now - 300 })],
      ['another audience', await sign({ ...claims, jti: 'e2e-aud', aud: 'https://other.example' })],
    ]) {
      const page = await authorize(object);
      assert.equal(page.res.status, 400, why);
      assert.match(page.html, /invalid_request_object/, why);
    }
    const { step } = await userAgent(client.buildAuthorizationUrl(apps.jar, params));
    assert.equal(new URL(step.location).searchParams.get('error'), 'invalid_request');
  });

  test('FAPI 2.0 Security Profile §5.3: a fapi2 client, end to end: PAR, PKCE, private_key_jwt, DPoP-bound tokens (and none without DPoP)', async () => {
    const dpop = client.getDPoPHandle(apps.fapi, await client.randomDPoPKeyPair('ES256'));
    const { verifier, state, params } = await request('fapi');
    const plain = await new Browser(op.url).navigate(client.buildAuthorizationUrl(apps.fapi, params).href);
    assert.equal(new URL(plain.location).searchParams.get('error'), 'invalid_request', '§5.3.2.2: pushed only');
    const url = await client.buildAuthorizationUrlWithPAR(apps.fapi, params, { DPoP: dpop });
    const { step } = await userAgent(url);
    const back = new URL(step.location);
    assert.equal(back.searchParams.get('iss'), fx.config.issuer, 'RFC 9207');
    // §5.3.2.1: no bearer token for this client (the code is not spent by the refusal).
    const bearer = await rejection(client.authorizationCodeGrant(apps.fapi, back, { pkceCodeVerifier: verifier, expectedState: state }));
    assert.equal(bearer.error, 'invalid_request', String(bearer));
    const tokens = await client.authorizationCodeGrant(apps.fapi, back, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP: dpop });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    assert.equal(jose.decodeProtectedHeader(tokens.id_token).alg, 'ES256', '§5.4.1');
    const userinfo = await client.fetchUserInfo(apps.fapi, tokens.access_token, tokens.claims().sub, { DPoP: dpop });
    assert.equal(userinfo.sub, fx.user.sub);
  });

  test('JARM §2.3.4, §4.4: useJwtResponseMode; openid-client checks the response JWT, and a response for one client fails at another', async () => {
    const config = await client.discovery(new URL(fx.config.issuer), 'modes-app', {}, client.None(), { execute: [client.allowInsecureRequests] });
    client.useJwtResponseMode(config);
    const { verifier, state, params } = await request('modes-app');
    const url = client.buildAuthorizationUrl(config, params);
    assert.equal(url.searchParams.get('response_mode'), 'jwt');
    const { step } = await userAgent(url);
    const back = new URL(step.location);
    assert.deepEqual([...back.searchParams.keys()], ['response']);
    const response = back.searchParams.get('response');
    const jwks = jose.createLocalJWKSet(await (await fetch(`${op.url}/jwks`)).json());
    const { payload } = await jose.jwtVerify(response, jwks, { issuer: fx.config.issuer, audience: 'modes-app' });
    assert.equal(payload.state, state);
    assert.ok(payload.exp - Math.floor(Date.now() / 1000) <= 60, 'short-lived');

    // Replayed to another client (JARM §4.4: aud): refused before any token request.
    const other = await client.discovery(new URL(fx.config.issuer), 'other-app', {}, client.None(), { execute: [client.allowInsecureRequests] });
    client.useJwtResponseMode(other);
    const replayed = new URL(`${rpUrl}/other-app?${back.searchParams}`);
    const err = await rejection(client.authorizationCodeGrant(other, replayed, { pkceCodeVerifier: verifier, expectedState: state }));
    const cause = err.cause?.claim ? err.cause : err.cause?.cause;
    assert.equal(cause?.claim, 'aud', `${err}: ${JSON.stringify(err.cause)}`);

    const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims().sub, fx.user.sub);
  });

  test('Form Post Response Mode §2 and JARM §2.3.3 in Chromium: the page posts itself under its CSP; openid-client takes the POST', async () => {
    const browser = await launchChromium();
    try {
      for (const mode of ['form_post', 'form_post.jwt']) {
        const config = await client.discovery(new URL(fx.config.issuer), 'modes-app', {}, client.None(), { execute: [client.allowInsecureRequests] });
        if (mode === 'form_post.jwt') client.useJwtResponseMode(config);
        const { verifier, state, params } = await request('modes-app');
        const page = await browser.newPage();
        const violations = [];
        page.on('console', (msg) => /Content Security Policy/i.test(msg.text()) && violations.push(msg.text()));
        const before = posts.length;
        // openid-client asks for `jwt` with useJwtResponseMode; the mode is set after it.
        const url = client.buildAuthorizationUrl(config, params);
        url.searchParams.set('response_mode', mode);
        await page.goto(url.href);
        await page.fill('input[name="username"]', fx.user.username);
        await page.fill('input[name="password"]', fx.user.password);
        await Promise.all([
          page.waitForURL(`${rpUrl}/modes-app`, { timeout: 30_000 }),
          page.click('button[type="submit"]'),
        ]);
        await page.close();
        assert.deepEqual(violations, [], mode);
        const posted = posts.slice(before);
        assert.equal(posted.length, 1, `${mode}: one POST to the redirect URI`);
        const body = new URLSearchParams(posted[0].body);
        assert.deepEqual([...body.keys()].sort(), mode === 'form_post' ? ['code', 'iss', 'state'] : ['response'], mode);
        const callback = new Request(`${rpUrl}/modes-app`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: posted[0].body,
        });
        const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
        assert.equal(tokens.claims().sub, fx.user.sub, mode);
      }
    } finally {
      await browser.close();
    }
  });
});
