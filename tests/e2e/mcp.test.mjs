// MCP interop on workerd (`wrangler dev`): the Model Context Protocol SDK's own client, with its
// OAuth support, signs in through this OP to reach an MCP server that the package protects.
//
// The MCP server (./mcp-server.mjs) runs in this process: the SDK's server over Streamable
// HTTP behind the package's authenticateRequest (keys from createRemoteKeySet(<OP>/jwks),
// audience = the server's URL, the scope mcp:tools), with RFC 9728 metadata from
// protectedResourceMetadata at /.well-known/oauth-protected-resource/mcp. The OP lists the
// server's URL in `resources` (RFC 8707), so tokens asked for it carry it as `aud`.
//
// The client is the SDK's StreamableHTTPClientTransport with an OAuthClientProvider whose
// "open the browser" step is headless Chromium on the OP's real login and consent pages; the
// browser comes back to a loopback callback server (RFC 8252 §7.3), as a CLI's would. It
// arrives twice: once by dynamic registration (RFC 7591), once by a client ID metadata
// document (draft-ietf-oauth-client-id-metadata-document) served over https from a throwaway
// CA that wrangler trusts through NODE_EXTRA_CA_CERTS. Each time it calls a tool, and the test
// checks the tool's answer and the access token's `aud` (with `jose`, against the OP's JWKS).
//
//   node --test tests/e2e/mcp.test.mjs      (needs pkg/: bash scripts/build-pkg.sh)

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import * as jose from 'jose';

import { launchChromium } from '../browser/chromium.mjs';
import { importPackage } from '../node/package.mjs';
import { opFixture } from './fixture.mjs';
import { basicAuth, call, tokenRequest } from './flows.mjs';
import { mcpHandler, serveFetch } from './mcp-server.mjs';
import { throwawayCa } from './throwaway-ca.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const SCOPE = 'mcp:tools';
/** Another resource of the same OP that takes the same scope: its tokens differ only in aud. */
const OTHER_RESOURCE = 'https://other-mcp.example/mcp';

/**
 * The SDK's OAuthClientProvider for a client that keeps everything in memory, as a CLI
 * would for one run. Sending the user to the authorization URL is left to the caller
 * (`authorizationUrl`), who drives Chromium there.
 */
class MemoryOAuthClient {
  constructor({ redirectUrl, clientMetadata, clientMetadataUrl }) {
    this.redirectUrl = redirectUrl;
    this.clientMetadata = clientMetadata;
    if (clientMetadataUrl) this.clientMetadataUrl = clientMetadataUrl;
    this.expectedState = randomBytes(16).toString('base64url');
    this.saved = {};
  }

  state() {
    return this.expectedState;
  }

  clientInformation() {
    return this.saved.client;
  }

  saveClientInformation(info) {
    this.saved.client = info;
  }

  tokens() {
    return this.saved.tokens;
  }

  saveTokens(tokens) {
    this.saved.tokens = tokens;
  }

  redirectToAuthorization(url) {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier) {
    this.saved.verifier = verifier;
  }

  codeVerifier() {
    return this.saved.verifier;
  }
}

describe('MCP: the SDK client through the OP to an MCP server the package protects', () => {
  let op;
  let fx;
  let mcp;
  let mcpUrl;
  let lib;
  let dir;
  let documents;
  let documentUrl;
  let callbacks;
  let redirectUrl;
  let browser;
  const documentGets = [];
  const waiting = [];

  /** The next request to the loopback callback server: its URL. */
  const nextCallback = () => new Promise((resolve) => waiting.push(resolve));

  before(async () => {
    lib = await importPackage();
    dir = mkdtempSync(join(tmpdir(), 'oidc-edge-mcp-'));
    const ca = throwawayCa(dir);
    const [opPort, mcpPort, callbackPort, documentPort] = await distinctPorts(4);

    redirectUrl = `http://127.0.0.1:${callbackPort}/callback`;
    callbacks = createHttpServer((req, res) => {
      waiting.shift()?.(new URL(req.url, redirectUrl));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('Signed in: you may close this window.');
    });
    await new Promise((resolve) => callbacks.listen(callbackPort, '127.0.0.1', resolve));

    documentUrl = `https://localhost:${documentPort}/oauth/mcp-client.json`;
    documents = createHttpsServer({ key: ca.key, cert: ca.cert }, (req, res) => {
      documentGets.push(req.url);
      if (req.url !== new URL(documentUrl).pathname) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify({
        client_id: documentUrl,
        client_name: 'MCP e2e client (metadata document)',
        redirect_uris: [redirectUrl],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: SCOPE,
      }));
    });
    await new Promise((resolve) => documents.listen({ port: documentPort, host: '::', ipv6Only: false }, resolve));

    mcpUrl = `http://127.0.0.1:${mcpPort}/mcp`;
    fx = await opFixture({ issuer: `http://127.0.0.1:${opPort}` });
    fx.config.registration = { enabled: true, client_id_metadata_documents: true, allow_loopback_fetch: true };
    fx.config.resources = [
      { resource: mcpUrl, scopes: [SCOPE] },
      { resource: OTHER_RESOURCE, scopes: [SCOPE] },
    ];
    fx.config.clients[1].scopes.push(SCOPE);
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    // Listening before wrangler starts, so no port it picks can be the MCP server's.
    mcp = await serveFetch(mcpHandler({ lib, issuer: fx.config.issuer, url: mcpUrl, scope: SCOPE }), mcpPort);
    op = await startWrangler({ port: opPort, secrets: fx.secrets, env: { NODE_EXTRA_CA_CERTS: ca.caPath } });

    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await mcp?.close();
    await op?.stop();
    for (const server of [callbacks, documents]) await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(mcp?.errors ?? [], [], 'the MCP server threw');
  });

  /**
   * The user's part, in a fresh Chromium profile (so every flow signs in): the OP's login
   * page, its consent page, and back to the client's callback. Returns the callback URL and
   * the consent page's text.
   */
  async function signInWithChromium(authorizationUrl) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const callback = nextCallback();
      await page.goto(authorizationUrl.href);
      assert.equal(new URL(page.url()).pathname, '/login', await page.locator('body').innerText());
      await page.fill('#username', fx.user.username);
      await page.fill('#password', fx.user.password);
      await Promise.all([page.waitForURL((url) => url.pathname === '/consent'), page.click('button[type=submit]')]);
      const consent = await page.locator('body').innerText();
      await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUrl)), page.click('button[value=allow]')]);
      return { callback: await callback, consent };
    } finally {
      await context.close();
    }
  }

  /**
   * What an MCP host does: connect; on 401 the SDK discovers the OP (RFC 9728, RFC 8414),
   * gets a client_id (registration or metadata document) and asks to send the user to the
   * authorization URL; after the callback, finishAuth trades the code (PKCE, resource) for
   * tokens, and a new connection carries them. Returns the connected client and what the
   * user saw.
   */
  async function connectThroughOp(provider) {
    const first = new Client({ name: 'oidc-edge-e2e-host', version: '1.0.0' });
    await assert.rejects(first.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider })), UnauthorizedError);
    assert.ok(provider.authorizationUrl, 'the SDK asked to send the user to the OP');
    const sent = provider.authorizationUrl.searchParams;
    assert.equal(sent.get('resource'), mcpUrl, 'RFC 8707 §2.1: the MCP server named as the resource');
    assert.equal(sent.get('code_challenge_method'), 'S256');

    const { callback, consent } = await signInWithChromium(provider.authorizationUrl);
    assert.equal(callback.searchParams.get('state'), provider.expectedState);
    assert.equal(callback.searchParams.get('iss'), fx.config.issuer, 'RFC 9207: the issuer in the response');
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    await transport.finishAuth(callback.searchParams.get('code'));

    const client = new Client({ name: 'oidc-edge-e2e-host', version: '1.0.0' });
    await client.connect(transport);
    return { client, consent };
  }

  /** Calls `whoami` and checks its answer and the token's claims, checked apart from the package. */
  async function whoamiAs(client, provider, clientId) {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name), ['whoami']);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    const said = JSON.parse(result.content[0].text);
    assert.deepEqual(said, { sub: fx.user.sub, client_id: clientId, scope: SCOPE, aud: mcpUrl });

    const token = provider.tokens().access_token;
    const jwks = jose.createRemoteJWKSet(new URL('/jwks', op.url));
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, { issuer: fx.config.issuer, typ: 'at+jwt' });
    assert.equal(protectedHeader.typ, 'at+jwt', 'RFC 9068 §2.1');
    assert.equal(payload.aud, mcpUrl, "the token's aud is the MCP server's resource URL (RFC 8707 §2, RFC 9068 §3)");
    assert.equal(payload.client_id, clientId);
    assert.equal(payload.scope, SCOPE);
  }

  test('RFC 9728: a request without a token is 401 with resource_metadata; the metadata names the OP', async () => {
    const refused = await call(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(refused.status, 401);
    const metadataUrl = new URL('/.well-known/oauth-protected-resource/mcp', mcpUrl).href;
    assert.match(refused.headers.get('www-authenticate'), new RegExp(`^Bearer resource_metadata="${metadataUrl}"`));
    const metadata = await call(metadataUrl);
    assert.equal(metadata.status, 200);
    assert.deepEqual(
      { resource: metadata.json.resource, authorization_servers: metadata.json.authorization_servers, scopes_supported: metadata.json.scopes_supported },
      { resource: mcpUrl, authorization_servers: [fx.config.issuer], scopes_supported: [SCOPE] },
    );
  });

  test('dynamic client registration (RFC 7591): the SDK registers, the user signs in in Chromium, the tool runs for a token aimed at the MCP server', async () => {
    const provider = new MemoryOAuthClient({
      redirectUrl,
      clientMetadata: {
        client_name: 'MCP e2e client (registered)',
        redirect_uris: [redirectUrl],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    });
    const { client, consent } = await connectThroughOp(provider);
    try {
      const registered = provider.clientInformation();
      assert.match(registered.client_id, /^[A-Za-z0-9_-]{22}$/, 'an id the OP generated');
      assert.equal(registered.client_secret, undefined, 'a public client');
      assert.match(consent, /MCP e2e client \(registered\)/);
      assert.match(consent, /registered itself/);
      await whoamiAs(client, provider, registered.client_id);
    } finally {
      await client.close();
    }
  });

  test('client ID metadata document: the document URL is the client_id, the OP fetches it over https, the tool runs', async () => {
    const provider = new MemoryOAuthClient({
      redirectUrl,
      clientMetadataUrl: documentUrl,
      // Unused when the OP takes metadata documents; the SDK would register with it otherwise.
      clientMetadata: { client_name: 'unused', redirect_uris: [redirectUrl], token_endpoint_auth_method: 'none' },
    });
    const { client, consent } = await connectThroughOp(provider);
    try {
      assert.equal(provider.clientInformation().client_id, documentUrl, 'no registration: the URL is the client_id');
      assert.match(consent, new RegExp(`described by localhost:${new URL(documentUrl).port}`), consent);
      assert.ok(documentGets.includes('/oauth/mcp-client.json'), `the OP fetched the document: ${documentGets}`);
      await whoamiAs(client, provider, documentUrl);
    } finally {
      await client.close();
    }
  });

  test('RFC 9068 §4: a token of the same OP, with the same scope, for another resource is refused; for this one it passes', async () => {
    const tokenFor = async (resource) => {
      const res = await tokenRequest(
        op.url,
        { grant_type: 'client_credentials', scope: SCOPE, resource },
        { authorization: basicAuth(fx.service.clientId, fx.service.secret) },
      );
      assert.equal(res.status, 200, res.text);
      return res.json.access_token;
    };
    const ping = (token) => call(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });

    const elsewhere = await tokenFor(OTHER_RESOURCE);
    assert.equal(jose.decodeJwt(elsewhere).aud, OTHER_RESOURCE);
    const refused = await ping(elsewhere);
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json.error, 'invalid_token');
    assert.match(refused.headers.get('www-authenticate'), /^Bearer error="invalid_token"/);

    const here = await ping(await tokenFor(mcpUrl));
    assert.equal(here.status, 200, here.text);
    assert.deepEqual(here.json, { jsonrpc: '2.0', id: 1, result: {} });
  });
});

/** `count` free ports, all different. */
async function distinctPorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
