// OidcClient.fetch and redirects in Chromium (issue 12, finding 4). A browser hides where a
// `redirect: "manual"` response points (an opaque-redirect response: type "opaqueredirect",
// status 0, no Location), so the client cannot follow a redirect itself there, and must not
// let the browser follow it with the token and the proof: every redirect is refused with
// "redirect_blocked", and nothing reaches the redirect's target.
//
// Real servers, not request interception (Chromium's fetch does not follow a redirect that
// interception fulfils): one node:http server is the page's origin, the provider (discovery,
// JWKS, token endpoint, ID tokens signed with `jose` here) and the API; another, on another
// port, is the origin a redirect points to, answering CORS preflights as an attacker would.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as jose from "jose";
import { launchChromium } from "./chromium.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };
const CLIENT_ID = "spa";

let browser;
let page;
const errors = [];
const servers = [];
let origin; // the page, the provider and the API: http://localhost:<port>
let other; // http://127.0.0.1:<port>
/** Requests that reached a redirect target: [{ url, method, authorization, dpop }]. */
const reached = [];
let nonce = null;

async function listen(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return server.address().port;
}

before(async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "authorization, dpop, content-type", "access-control-allow-methods": "GET, POST, PUT" };
  const record = (req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors).end();
      return;
    }
    reached.push({ url: req.url, method: req.method, authorization: req.headers.authorization, dpop: req.headers.dpop });
    res.writeHead(200, { "content-type": "application/json", ...cors }).end("{}");
  };
  other = `http://127.0.0.1:${await listen(record)}`;
  const port = await listen(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const json = (body) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (path === "/.well-known/openid-configuration") {
      return json({ issuer: origin, authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, jwks_uri: `${origin}/jwks`, authorization_response_iss_parameter_supported: true });
    }
    if (path === "/jwks") return json({ keys: [jwk] });
    if (path === "/token") {
      const iat = Math.floor(Date.now() / 1000);
      const idToken = await new jose.SignJWT({ iss: origin, aud: CLIENT_ID, sub: "s1", iat, exp: iat + 600, nonce })
        .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "JWT" })
        .sign(privateKey);
      return json({ access_token: "the-access-token", token_type: "DPoP", expires_in: 600, id_token: idToken });
    }
    if (path === "/api/same-origin") return res.writeHead(302, { location: "/api/final" }).end();
    if (path === "/api/cross-origin") return res.writeHead(307, { location: `${other}/steal` }).end();
    if (path === "/api/final") return record(req, res);
    // Files of the repository: the blank page and the package.
    const file = normalize(decodeURIComponent(path)).slice(1);
    if (file.split(sep).includes("..")) return res.writeHead(403).end();
    try {
      const body = await readFile(ROOT + file);
      return res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      return res.writeHead(404).end();
    }
  });
  // localhost: a secure context, so WebCrypto and IndexedDB behave as in production.
  origin = `http://localhost:${port}`;

  browser = await launchChromium();
  page = await browser.newPage();
  page.on("pageerror", (err) => errors.push(err));
  await page.goto(`${origin}/tests/shared/blank.html`);

  // Signed in: authorizationUrl, then the callback with a code (the provider above answers).
  const request = await page.evaluate(async ({ origin, other, CLIENT_ID }) => {
    const { OidcClient } = await import("/pkg/index.js");
    window.client = await OidcClient.create({ issuer: origin, clientId: CLIENT_ID, redirectUri: `${origin}/cb`, apiOrigins: [origin, other] });
    return window.client.authorizationUrl();
  }, { origin, other, CLIENT_ID });
  const params = new URL(request).searchParams;
  nonce = params.get("nonce");
  const tokenType = await page.evaluate(async (callback) => (await window.client.handleCallback(callback)).tokenType,
    `${origin}/cb?code=c1&state=${params.get("state")}&iss=${encodeURIComponent(origin)}`);
  assert.equal(tokenType, "DPoP");
});

after(async () => {
  await browser?.close();
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** `client.fetch(url, init)` in the page: the error code, or the response's type and status. */
const clientFetch = (url, init) =>
  page.evaluate(async ({ url, init }) => {
    try {
      const res = await window.client.fetch(url, init);
      return { type: res.type, status: res.status, location: res.headers.get("location") };
    } catch (err) {
      return { code: err.code };
    }
  }, { url, init });

test("chromium: a same-origin redirect is not followed with the token: redirect_blocked, nothing reaches the target", async () => {
  reached.length = 0;
  assert.deepEqual(await clientFetch(`${origin}/api/same-origin`), { code: "redirect_blocked" });
  assert.deepEqual(reached, [], "followed, it would carry the token and a proof made for another URL");
});

test("chromium: a redirect to another origin, even one in apiOrigins, is not followed: no Authorization, no DPoP there", async () => {
  reached.length = 0;
  for (const method of ["GET", "POST"]) {
    assert.deepEqual(await clientFetch(`${origin}/api/cross-origin`, { method, body: method === "POST" ? "{}" : undefined }), { code: "redirect_blocked" });
  }
  assert.deepEqual(reached, []);
});

test('chromium: with redirect: "manual" the opaque-redirect response is returned as it is', async () => {
  reached.length = 0;
  assert.deepEqual(await clientFetch(`${origin}/api/cross-origin`, { redirect: "manual" }), { type: "opaqueredirect", status: 0, location: null });
  assert.deepEqual(reached, []);
});

test("chromium: no uncaught page errors", () => {
  assert.deepEqual(errors, []);
});
