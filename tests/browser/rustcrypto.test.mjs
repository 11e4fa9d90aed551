// The package's pure-Rust module (oidc_edge_rustcrypto_bg.wasm, src/wasm/rustcrypto.js) in
// headless Chromium: a page that only uses WebCrypto never downloads it; the first call
// that needs it loads it once; a failed load is `crypto_unavailable` and the next call
// loads it again.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as jose from "jose";
import { openPage } from "./chromium.mjs";

const MODULE_WASM = "/pkg/oidc_edge_rustcrypto_bg.wasm";
let session;
let token;
let jwks;

before(async () => {
  const { publicKey, privateKey } = await jose.generateKeyPair("ES256");
  jwks = { keys: [await jose.exportJWK(publicKey)] };
  token = await new jose.SignJWT({ sub: "alice" })
    .setProtectedHeader({ alg: "ES256" })
    .setIssuer("https://issuer.example")
    .setAudience("client")
    .setExpirationTime("1h")
    .sign(privateKey);
  session = await openPage();
});

after(async () => {
  await session?.browser.close();
});

/** Requests for the module's wasm made while `run` runs. */
async function moduleRequests(run) {
  const seen = [];
  const listener = (request) => {
    if (new URL(request.url()).pathname === MODULE_WASM) seen.push(request.url());
  };
  session.page.on("request", listener);
  try {
    return { result: await run(), requests: seen.length };
  } finally {
    session.page.off("request", listener);
  }
}

/** verifyJwt in the page with `backend`: "ok" or the error's code. */
function verifyInPage(backend) {
  return session.page.evaluate(
    async ({ token, jwks, backend }) => {
      const lib = await import("/pkg/index.js");
      await lib.default();
      try {
        const verified = await lib.verifyJwt(token, jwks, {
          issuer: "https://issuer.example",
          audience: "client",
          backend,
        });
        return verified.payload.sub === "alice" ? "ok" : "wrong payload";
      } catch (err) {
        return err.code ?? String(err);
      }
    },
    { token, jwks, backend },
  );
}

test("chromium: WebCrypto verification never downloads the pure-Rust module", async () => {
  const { result, requests } = await moduleRequests(() => verifyInPage("webcrypto"));
  assert.equal(result, "ok");
  assert.equal(requests, 0);
});

test("chromium: a failed load of the pure-Rust module is crypto_unavailable, and the next call loads it", async () => {
  const refuse = (route) => route.fulfill({ status: 503, body: "unavailable" });
  await session.page.route(`**${MODULE_WASM}`, refuse);
  const failed = await moduleRequests(() => verifyInPage("wasm"));
  await session.page.unroute(`**${MODULE_WASM}`, refuse);
  assert.equal(failed.result, "crypto_unavailable");
  assert.equal(failed.requests, 1);

  const loaded = await moduleRequests(() => verifyInPage("wasm"));
  assert.equal(loaded.result, "ok");
  assert.equal(loaded.requests, 1, "loaded again after the failure");

  const again = await moduleRequests(() => verifyInPage("wasm"));
  assert.equal(again.result, "ok");
  assert.equal(again.requests, 0, "loaded once, then kept");
});

test("chromium: no uncaught page errors", () => {
  assert.deepEqual(session.errors, []);
});
