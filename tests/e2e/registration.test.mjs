// Clients that arrive on their own, on workerd (`wrangler dev`):
//
// - dynamic client registration (RFC 7591) through openid-client's own
//   `dynamicClientRegistration`, then a whole code flow with the registered client (the login
//   and consent pages driven by ./browserless.mjs), its management (RFC 7592) over HTTP, and
//   hostile registrations: redirect URIs with fragments or wrong schemes, and a flood from one
//   address, which the per-address limit stops;
// - the deployment-wide limit (`registration.max_per_hour`) counted in the Durable Object:
//   a flood sent at once stores exactly that many registrations;
// - client ID metadata documents (draft-ietf-oauth-client-id-metadata-document) served over
//   https by a local server whose certificate comes from a throwaway CA (openssl), which
//   wrangler is given as NODE_EXTRA_CA_CERTS: the Worker fetches the document, a code flow
//   runs with its URL as client_id, and a URL that redirects to a private address is refused.
//
//   node --test tests/e2e/registration.test.mjs

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as client from 'openid-client';

import { Browser, parseForm } from './browserless.mjs';
import { opFixture } from './fixture.mjs';
import { call, pkce, signIn, tokenRequest } from './flows.mjs';
import { throwawayCa } from './throwaway-ca.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

/** The limit of src/op/endpoints/register.rs: registrations per address per hour. */
const REGISTRATIONS_PER_ADDRESS = 20;

const insecure = { execute: [client.allowInsecureRequests] };

/**
 * The user agent's part of a code flow started at `authorizationUrl`: the login form, the
 * consent page (a registered client is never first-party), and back to the client. Returns
 * the callback URL and the pages' HTML.
 */
async function userAgent(opUrl, authorizationUrl, user) {
  const browser = new Browser(opUrl);
  const pages = [];
  let step = await browser.navigate(authorizationUrl);
  if (step.url && new URL(step.url).pathname === '/login') {
    pages.push(step.html);
    step = await browser.submit(step.url, parseForm(step.html), { username: user.username, password: user.password });
  }
  if (step.url && new URL(step.url).pathname === '/consent') {
    pages.push(step.html);
    step = await browser.submit(step.url, parseForm(step.html), { decision: 'allow' });
  }
  assert.ok(step.location, `expected a redirect to the client, got ${step.res?.status}: ${step.html?.slice(0, 500)}`);
  return { callback: new URL(step.location), pages };
}

/** POST /register with `metadata` as JSON. */
function register(opUrl, metadata, headers = {}) {
  return call(new URL('/register', opUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(metadata),
  });
}

describe('dynamic client registration (RFC 7591, RFC 7592) on wrangler dev', () => {
  let op;
  let fx;
  let registrations = 0;

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    fx.config.registration = { enabled: true };
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
  });
  after(async () => {
    await op?.stop();
  });

  test('discovery names the registration endpoint (RFC 8414 §2)', async () => {
    const doc = (await call(new URL('/.well-known/openid-configuration', op.url))).json;
    assert.equal(doc.registration_endpoint, `${fx.config.issuer}/register`);
  });

  test("openid-client's dynamicClientRegistration, then a code flow with PKCE and a refresh as the registered public client", async () => {
    const redirectUri = 'http://localhost:5173/registered-callback';
    const config = await client.dynamicClientRegistration(
      new URL(fx.config.issuer),
      {
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        client_name: 'Registered e2e client',
        scope: 'openid email offline_access',
      },
      client.None(),
      insecure,
    );
    registrations += 1;
    const metadata = config.clientMetadata();
    assert.match(metadata.client_id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(metadata.client_secret, undefined);
    assert.equal(metadata.registration_client_uri, `${fx.config.issuer}/register/${metadata.client_id}`);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const { callback, pages } = await userAgent(op.url, url.href, fx.user);
    assert.ok(pages.some((html) => html.includes('registered itself')), 'the consent page says who vouches for the client');
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    assert.equal(tokens.claims().sub, fx.user.sub);
    assert.equal(tokens.claims().aud, metadata.client_id);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.equal(refreshed.claims().sub, fx.user.sub);
    const info = await client.fetchUserInfo(config, refreshed.access_token, fx.user.sub);
    assert.equal(info.email, 'demo@example.com');
  });

  test('a confidential client gets its secret at registration and authenticates with it (client_secret_post)', async () => {
    const redirectUri = 'https://rp.example/callback';
    const config = await client.dynamicClientRegistration(
      new URL(fx.config.issuer),
      { redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_post', scope: 'openid' },
      undefined,
      insecure,
    );
    registrations += 1;
    const metadata = config.clientMetadata();
    assert.equal(typeof metadata.client_secret, 'string');
    assert.equal(metadata.client_secret_expires_at, metadata.client_id_issued_at + 365 * 24 * 3600);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const { callback } = await userAgent(op.url, url.href, fx.user);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims().aud, metadata.client_id);
  });

  test('RFC 7592: read with the registration access token, update, delete; then the client and its tokens are refused', async () => {
    const redirectUri = 'http://localhost:5173/managed';
    const created = await register(op.url, { redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', scope: 'openid offline_access', grant_types: ['authorization_code', 'refresh_token'] });
    registrations += 1;
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const { client_id: clientId, registration_access_token: rat, registration_client_uri: uri } = created.json;
    const auth = { authorization: `Bearer ${rat}` };

    const read = await call(uri, { headers: auth });
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.json.redirect_uris, [redirectUri]);
    // RFC 7592 §3: the client information response, its registration access token included.
    assert.equal(read.json.registration_access_token, rat);
    const noToken = await call(uri);
    assert.equal(noToken.status, 401);
    assert.equal(noToken.json.error, 'invalid_token');

    const renamed = await call(uri, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ...read.json, client_name: 'Renamed', registration_access_token: undefined, registration_client_uri: undefined, client_id_issued_at: undefined }),
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json.client_name, 'Renamed');
    const otherId = await call(uri, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'someone-else', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(otherId.status, 400);
    assert.equal(otherId.json.error, 'invalid_client_metadata');

    const spa = { clientId, redirectUri };
    const { code, verifier } = await signIn(op.url, spa, fx.user, { scope: 'openid offline_access' });
    const tokens = await tokenRequest(op.url, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId });
    assert.equal(tokens.status, 200, tokens.text);

    const deleted = await call(uri, { method: 'DELETE', headers: auth });
    assert.equal(deleted.status, 204);
    assert.equal((await call(uri, { headers: auth })).status, 401);
    const refresh = await tokenRequest(op.url, { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token, client_id: clientId });
    assert.equal(refresh.status, 401);
    assert.equal(refresh.json.error, 'invalid_client');
    const userinfo = await call(new URL('/userinfo', op.url), { headers: { authorization: `Bearer ${tokens.json.access_token}` } });
    assert.equal(userinfo.status, 401);
  });

  test('hostile: redirect URIs with fragments, wrong schemes or non-loopback http are invalid_redirect_uri (RFC 7591 §3.2.2)', async () => {
    for (const uri of [
      'https://rp.example/cb#fragment',
      'javascript:alert(1)',
      'data:text/html,hi',
      'com.example.app:/callback',
      'http://rp.example/cb',
      'https://user:pass@rp.example/cb',
    ]) {
      const res = await register(op.url, { redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      registrations += 1;
      assert.equal(res.status, 400, `${uri}: ${res.text}`);
      assert.equal(res.json.error, 'invalid_redirect_uri', uri);
      assert.match(res.json.error_description, /^redirect_uris\[0\]: /);
    }
  });

  test(`hostile: a flood of registrations from one address stops at ${REGISTRATIONS_PER_ADDRESS} an hour (429, Retry-After)`, async () => {
    const flood = 2 * REGISTRATIONS_PER_ADDRESS;
    const answers = await Promise.all(
      Array.from({ length: flood }, () => register(op.url, { redirect_uris: ['https://flood.example/cb'], token_endpoint_auth_method: 'none' })),
    );
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.every((s) => s === 201 || s === 429), `statuses: ${statuses}`);
    const created = statuses.filter((s) => s === 201).length;
    // Every attempt counts (the store's counter is atomic): exactly what is left of the hour.
    assert.equal(created, Math.max(0, REGISTRATIONS_PER_ADDRESS - registrations), `statuses: ${statuses}`);
    const refused = answers.find((a) => a.status === 429);
    assert.equal(refused.json.error, 'too_many_requests');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    const health = await call(new URL('/.well-known/openid-configuration', op.url));
    assert.equal(health.status, 200);
  });
});

describe('the deployment-wide registration limit on wrangler dev', () => {
  const MAX_PER_HOUR = 3;
  let op;

  before(async () => {
    const port = await freePort();
    const fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    fx.config.registration = { enabled: true, max_per_hour: MAX_PER_HOUR };
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
  });
  after(async () => {
    await op?.stop();
  });

  test(`a flood sent at once stores exactly max_per_hour (${MAX_PER_HOUR}) registrations; malformed ones use none (429, Retry-After; RFC 6585 §4)`, async () => {
    for (let i = 0; i < 2; i += 1) {
      const malformed = await register(op.url, { redirect_uris: ['https://flood.example/cb#f'], token_endpoint_auth_method: 'none' });
      assert.equal(malformed.status, 400, malformed.text);
    }
    const hour = () => Math.floor(Date.now() / 3_600_000);
    const startedIn = hour();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => register(op.url, { redirect_uris: ['https://flood.example/cb'], token_endpoint_auth_method: 'none' })),
    );
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.every((s) => s === 201 || s === 429), `statuses: ${statuses}`);
    const created = statuses.filter((s) => s === 201).length;
    // The counter is the Durable Object's atomic increment: none of the racing registrations
    // is missed. Only if the hour turned mid-flood could a second hour's allowance pass.
    if (hour() === startedIn) assert.equal(created, MAX_PER_HOUR, `statuses: ${statuses}`);
    else assert.ok(created <= 2 * MAX_PER_HOUR, `statuses: ${statuses}`);
    const refused = answers.find((a) => a.status === 429);
    assert.equal(refused.json.error, 'too_many_requests');
    assert.match(refused.json.error_description, /this hour/);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
  });
});

describe('client ID metadata documents over https on wrangler dev', () => {
  let op;
  let fx;
  let tls;
  let dir;
  let docUrl;
  let redirectingUrl;
  const gets = [];
  const redirectUri = 'http://localhost:5173/cimd-callback';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oidc-edge-ca-'));
    const ca = throwawayCa(dir);
    const tlsPort = await freePort();
    docUrl = `https://localhost:${tlsPort}/oauth/client-metadata.json`;
    redirectingUrl = `https://localhost:${tlsPort}/oauth/moved.json`;
    tls = createServer({ key: ca.key, cert: ca.cert }, (req, res) => {
      gets.push(req.url);
      if (req.url === '/oauth/client-metadata.json') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
        res.end(JSON.stringify({
          client_id: docUrl,
          client_name: 'Metadata document e2e client',
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          scope: 'openid email offline_access',
        }));
      } else if (req.url === '/oauth/moved.json') {
        res.writeHead(302, { location: 'https://10.0.0.1/client.json' });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise((resolve) => tls.listen({ port: tlsPort, host: '::', ipv6Only: false }, resolve));

    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    fx.config.registration = { client_id_metadata_documents: true, allow_loopback_fetch: true };
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets, env: { NODE_EXTRA_CA_CERTS: ca.caPath } });
  });
  after(async () => {
    await op?.stop();
    await new Promise((resolve) => (tls ? tls.close(resolve) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('discovery: client_id_metadata_document_supported', async () => {
    const doc = (await call(new URL('/.well-known/oauth-authorization-server', op.url))).json;
    assert.equal(doc.client_id_metadata_document_supported, true);
  });

  test('the document URL as client_id: a code flow with PKCE, the consent page naming its host, the document fetched once', async () => {
    const spa = { clientId: docUrl, redirectUri };
    const { verifier, challenge } = pkce();
    const url = new URL('/authorize', op.url);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: docUrl, redirect_uri: redirectUri, scope: 'openid email',
      code_challenge: challenge, code_challenge_method: 'S256', state: 'st',
    })) url.searchParams.set(name, value);
    const { callback, pages } = await userAgent(op.url, url.href, fx.user);
    assert.ok(pages.some((html) => html.includes(`described by <strong>localhost:${new URL(docUrl).port}</strong>`)), pages.join('\n'));
    const code = callback.searchParams.get('code');
    const tokens = await tokenRequest(op.url, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: spa.clientId });
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(gets.filter((path) => path === '/oauth/client-metadata.json').length, 1, `GETs: ${gets}`);
  });

  test('hostile: a document URL that redirects to a private address is not followed, and the client is unknown', async () => {
    const url = new URL('/authorize', op.url);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: redirectingUrl, redirect_uri: redirectUri, scope: 'openid',
      code_challenge: pkce().challenge, code_challenge_method: 'S256',
    })) url.searchParams.set(name, value);
    const res = await call(url);
    assert.equal(res.status, 400);
    assert.match(res.text, /invalid_client/);
    assert.equal(gets.filter((path) => path === '/oauth/moved.json').length, 1);
  });
});
