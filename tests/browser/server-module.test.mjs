// The package's resource-server module (oidc_edge_server_bg.wasm: verifyDpopProof, loaded by
// src/wasm/server-module.js) in headless Chromium: a page that signs in (PKCE, a DPoP key and its
// proofs, an ID token checked) never downloads it; the first proof check loads it once; a
// failed load is `wasm_not_loaded` naming the fix, and the next call loads it again.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as jose from "jose";
import { openPage } from "./chromium.mjs";

const MODULE_WASM = "/pkg/oidc_edge_server_bg.wasm";
let session;
let idToken;
let jwks;

before(async () => {
  const { publicKey, privateKey } = await jose.generateKeyPair("ES256");
  jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: "k1" }] };
  idToken = await new jose.SignJWT({ sub: "alice", nonce: "n-1" })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer("https://op.example")
    .setAudience("spa")
    .setIssuedAt()
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

test("chromium: signing in (PKCE, DPoP proofs, the ID token) never downloads the resource-server module", async () => {
  const { result, requests } = await moduleRequests(() =>
    session.page.evaluate(
      async ({ idToken, jwks }) => {
        const lib = await import("/pkg/index.js");
        await lib.default();
        const { verifier } = lib.createPkce();
        const key = await lib.DpopKey.generate();
        const proof = await key.proof({ htm: "POST", htu: "https://op.example/token" });
        const keys = lib.createKeySet(jwks);
        const claims = await lib.validateIdToken(idToken, keys, { issuer: "https://op.example", clientId: "spa", nonce: "n-1" });
        return verifier.length >= 43 && proof.split(".").length === 3 && claims.sub === "alice" ? "ok" : "wrong";
      },
      { idToken, jwks },
    ),
  );
  assert.equal(result, "ok");
  assert.equal(requests, 0);
});

/** A proof made and checked in the page: "ok" (the module checked it), or the error. */
function checkInPage() {
  return session.page.evaluate(async () => {
    const lib = await import("/pkg/index.js");
    await lib.default();
    const key = await lib.DpopKey.generate();
    const htu = "https://api.example/orders";
    const proof = await key.proof({ htm: "GET", htu });
    try {
      const checked = await lib.verifyDpopProof(proof, { htm: "GET", htu });
      return checked.jkt === key.thumbprint ? { code: "ok" } : { code: "wrong jkt" };
    } catch (err) {
      return { code: err.code ?? String(err), message: err.message, instance: err instanceof lib.OidcEdgeError };
    }
  });
}

test("chromium: the first proof check loads the module once; a failed load is wasm_not_loaded naming the fix, and the next call loads it", async () => {
  const refuse = (route) => route.fulfill({ status: 503, body: "unavailable" });
  await session.page.route(`**${MODULE_WASM}`, refuse);
  const failed = await moduleRequests(checkInPage);
  await session.page.unroute(`**${MODULE_WASM}`, refuse);
  assert.equal(failed.result.code, "wasm_not_loaded");
  assert.equal(failed.result.instance, true, "an OidcEdgeError");
  assert.match(failed.result.message, /oidc_edge_server_bg\.wasm/);
  assert.equal(failed.requests, 1);

  const loaded = await moduleRequests(checkInPage);
  assert.deepEqual(loaded.result, { code: "ok" });
  assert.equal(loaded.requests, 1, "loaded again after the failure");

  const again = await moduleRequests(checkInPage);
  assert.deepEqual(again.result, { code: "ok" });
  assert.equal(again.requests, 0, "loaded once, then kept");
});

test("chromium: an error the resource-server module throws is the page's one OidcEdgeError class", async () => {
  const result = await session.page.evaluate(async () => {
    const lib = await import("/pkg/index.js");
    try {
      await lib.verifyDpopProof("a proof", { htm: "GET", htu: "https://api.example/" });
      return "accepted";
    } catch (err) {
      return { code: err.code, error: err.error, instance: err instanceof lib.OidcEdgeError };
    }
  });
  assert.deepEqual(result, { code: "jws_malformed", error: "invalid_dpop_proof", instance: true });
});

test("chromium: no uncaught page errors", () => {
  assert.deepEqual(session.errors, []);
});
