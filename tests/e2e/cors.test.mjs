// CORS for a browser MCP host on workerd (`wrangler dev`): a page on its own origin uses the
// Model Context Protocol SDK's client auth functions unchanged, bundled for the browser with
// esbuild, against the OP in real Chromium. Every request below crosses origins, so each one
// works only if the OP's CORS answers let Chromium hand the response to the page (Fetch §3.2):
//
// - discovery (RFC 8414 §3, with the SDK's MCP-Protocol-Version header, so a preflight) and
//   the JWKS (RFC 7517), open to every origin;
// - dynamic registration (RFC 7591 §3) of a public client whose redirect URI is on the page's
//   origin, which is what makes that origin the client's;
// - the code flow with PKCE (RFC 7636): the user signs in on the OP's pages, the code comes
//   back to the page, the SDK redeems it with fetch (RFC 6749 §4.1.3), the page reads
//   /userinfo (OpenID Connect Core §5.3);
// - a page on a third origin, holding the same code, is refused at /token with a readable
//   `invalid_request`, and the code still works from the client's origin afterwards.
//
//   node --test tests/e2e/cors.test.mjs

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import { build } from 'esbuild';

import { launchChromium } from '../browser/chromium.mjs';
import { opFixture } from './fixture.mjs';
import { ROOT, freePort, startWrangler } from './wrangler.mjs';

/** The SDK's client auth functions a browser MCP host calls, as the page's module. */
const SDK_ENTRY = `
export {
  discoverAuthorizationServerMetadata, registerClient, startAuthorization, exchangeAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js';
`;
const PAGE = '<!doctype html><meta charset="utf-8"><title>MCP host</title><body>MCP host</body>';

/** Serves `routes` ({ path: [contentType, body] }) on 127.0.0.1:`port`; 404 elsewhere. */
async function servePages(port, routes) {
  const server = createServer((req, res) => {
    const found = routes[new URL(req.url, 'http://x').pathname];
    if (!found) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': found[0], 'cache-control': 'no-store' }).end(found[1]);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function distinctPorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

describe('a browser MCP host on another origin, with the MCP SDK, against the OP in Chromium', () => {
  let op;
  let fx;
  let issuer;
  let appOrigin;
  let thirdOrigin;
  let servers = [];
  let browser;
  let app; // the MCP host's page
  let third; // a page on an origin the client does not have
  const seen = {};

  before(async () => {
    const bundled = await build({
      stdin: { contents: SDK_ENTRY, resolveDir: ROOT, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'warning',
    });
    const [opPort, appPort, thirdPort] = await distinctPorts(3);
    appOrigin = `http://127.0.0.1:${appPort}`;
    thirdOrigin = `http://127.0.0.1:${thirdPort}`;
    const withSdk = `${PAGE}<script type="module">import * as sdk from '/sdk.js'; window.sdk = sdk;</script>`;
    servers = [
      await servePages(appPort, {
        '/': ['text/html; charset=utf-8', withSdk],
        '/callback': ['text/html; charset=utf-8', withSdk],
        '/sdk.js': ['text/javascript; charset=utf-8', bundled.outputFiles[0].contents],
      }),
      await servePages(thirdPort, { '/': ['text/html; charset=utf-8', PAGE] }),
    ];
    issuer = `http://127.0.0.1:${opPort}`;
    fx = await opFixture({ issuer });
    fx.config.registration = { enabled: true };
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port: opPort, secrets: fx.secrets });
    browser = await launchChromium();
    app = await (await browser.newContext()).newPage();
    third = await (await browser.newContext()).newPage();
    await app.goto(`${appOrigin}/`);
    await app.waitForFunction(() => window.sdk !== undefined);
    await third.goto(`${thirdOrigin}/`);
  });
  after(async () => {
    await browser?.close();
    await op?.stop();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  test('the page reads discovery (with the SDK\'s own headers, no CORS retry) and the JWKS', async () => {
    const { metadata, fetches, jwks } = await app.evaluate(async (issuerUrl) => {
      // Every fetch the SDK makes: a CORS failure is a TypeError, after which it retries
      // without its headers; none may happen.
      const fetches = [];
      const fetchFn = async (url, init) => {
        const entry = { url: String(url), headers: Object.keys(init?.headers ?? {}) };
        fetches.push(entry);
        try {
          const res = await fetch(url, init);
          entry.status = res.status;
          return res;
        } catch (err) {
          entry.error = String(err);
          throw err;
        }
      };
      const metadata = await window.sdk.discoverAuthorizationServerMetadata(issuerUrl, { fetchFn });
      const jwks = await (await fetch(metadata.jwks_uri)).json();
      return { metadata, fetches, jwks };
    }, issuer);
    assert.equal(metadata.issuer, issuer);
    assert.equal(metadata.registration_endpoint, `${issuer}/register`);
    assert.deepEqual(fetches.filter((f) => f.error), [], 'no fetch failed CORS');
    assert.equal(fetches[0].status, 200);
    assert.ok(fetches[0].headers.includes('MCP-Protocol-Version'), 'the first try, with its headers, was read');
    assert.deepEqual(jwks.keys.map((k) => k.kid), [fx.publicJwk.kid]);
    seen.metadata = metadata;
  });

  test('the SDK registers a public client with the page\'s own redirect URI (RFC 7591 §3)', async () => {
    const client = await app.evaluate(async ({ issuerUrl, metadata, redirectUri }) => window.sdk.registerClient(issuerUrl, {
      metadata,
      clientMetadata: {
        client_name: 'Browser MCP host',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: 'openid email',
      },
    }), { issuerUrl: issuer, metadata: seen.metadata, redirectUri: `${appOrigin}/callback` });
    assert.match(client.client_id, /^[A-Za-z0-9_-]{16,}$/);
    assert.deepEqual(client.redirect_uris, [`${appOrigin}/callback`]);
    seen.client = client;
  });

  test('code flow with PKCE: a third origin is refused at /token without spending the code, then the page redeems it', async () => {
    const { authorizationUrl, codeVerifier } = await app.evaluate(async ({ issuerUrl, metadata, client, redirectUrl }) => {
      const started = await window.sdk.startAuthorization(issuerUrl, {
        metadata, clientInformation: client, redirectUrl, scope: 'openid email', state: 'cors-e2e',
      });
      return { authorizationUrl: started.authorizationUrl.href, codeVerifier: started.codeVerifier };
    }, { issuerUrl: issuer, metadata: seen.metadata, client: seen.client, redirectUrl: `${appOrigin}/callback` });

    // The user, in the same tab: the OP's login and consent pages, then back to the page.
    await app.goto(authorizationUrl);
    assert.equal(new URL(app.url()).pathname, '/login', await app.locator('body').innerText());
    await app.fill('#username', fx.user.username);
    await app.fill('#password', fx.user.password);
    await Promise.all([app.waitForURL((url) => url.pathname === '/consent'), app.click('button[type=submit]')]);
    await Promise.all([app.waitForURL((url) => url.href.startsWith(`${appOrigin}/callback`)), app.click('button[value=allow]')]);
    const back = new URL(app.url());
    assert.equal(back.searchParams.get('state'), 'cors-e2e');
    const code = back.searchParams.get('code');
    assert.ok(code);

    const form = {
      grant_type: 'authorization_code', code, redirect_uri: `${appOrigin}/callback`,
      client_id: seen.client.client_id, code_verifier: codeVerifier,
    };
    const refused = await third.evaluate(async ({ tokenEndpoint, form }) => {
      const res = await fetch(tokenEndpoint, { method: 'POST', body: new URLSearchParams(form) });
      return { status: res.status, body: await res.json() };
    }, { tokenEndpoint: seen.metadata.token_endpoint, form });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_request', 'readable by the refused page');

    await app.waitForFunction(() => window.sdk !== undefined);
    const tokens = await app.evaluate(async ({ issuerUrl, metadata, client, code, codeVerifier, redirectUri }) => window.sdk.exchangeAuthorization(issuerUrl, {
      metadata, clientInformation: client, authorizationCode: code, codeVerifier, redirectUri,
    }), { issuerUrl: issuer, metadata: seen.metadata, client: seen.client, code, codeVerifier, redirectUri: `${appOrigin}/callback` });
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(tokens.access_token && tokens.id_token);
    seen.tokens = tokens;
  });

  test('the page reads /userinfo with its token (OpenID Connect Core §5.3); the third origin cannot', async () => {
    const read = (page) => page.evaluate(async ({ endpoint, token }) => {
      const res = await fetch(endpoint, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: res.status === 200 ? await res.json() : null, challenge: res.headers.get('www-authenticate') };
    }, { endpoint: seen.metadata.userinfo_endpoint, token: seen.tokens.access_token });
    const mine = await read(app);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.sub, fx.user.sub);
    assert.equal(mine.body.email, 'demo@example.com');
    const theirs = await read(third);
    assert.equal(theirs.status, 400);
    assert.match(theirs.challenge, /error="invalid_request"/);
  });
});
