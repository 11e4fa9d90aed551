// The package in an app built with Vite (tests/bundlers/vite-app), run in Chromium: under the
// dev server with the package installed from a path (`npm install <path>`, a symlink) and
// from the tarball the registry would serve, and as `vite build` output served statically.
// The page signs in as an app would and the results are checked here in Node, against jose:
// PKCE S256 (RFC 7636 §4.2), a DPoP proof and its key's thumbprint (RFC 9449 §4.2, RFC 7638),
// a provider's JWT verified and a tampered one refused (RFC 7515 §5.2), and OidcClient's
// authorization request (OpenID Connect Core §3.1.2.1).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { EmbeddedJWK, SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { build, createServer } from "vite";

import { launchChromium } from "../browser/chromium.mjs";
import { gzipBytes } from "../../scripts/package-files.mjs";
import { PKG_DIR, createProject } from "./project.mjs";
import { serveStatic } from "./static-server.mjs";

const APP = fileURLToPath(new URL("./vite-app/", import.meta.url));
const ISSUER = "https://op.example";
const AUDIENCE = "vite-app";
const HTU = "https://api.example/orders";

let browser;
let signing;
before(async () => {
  browser = await launchChromium();
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const sign = (claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(ISSUER).setAudience(AUDIENCE)
      .setIssuedAt().setExpirationTime("5m").sign(privateKey);
  const token = await sign({ sub: "alice" });
  // The same claims with another subject under the first token's signature.
  const [header, , signature] = token.split(".");
  const forged = (await sign({ sub: "mallory" })).split(".")[1];
  signing = {
    token,
    tamperedToken: `${header}.${forged}.${signature}`,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" }] },
    issuer: ISSUER,
    audience: AUDIENCE,
    htu: HTU,
  };
});
after(() => browser?.close());

/** Opens `url` in a fresh context and runs the app's checks; { signIn, pureRust }. */
async function runApp(url, { pureRust = true } = {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(url);
    // Module scripts run before `load`: the app is there unless its code failed to load.
    const loaded = await page.evaluate(() => typeof window.oidcEdgeApp === "object");
    assert.ok(loaded, `the app did not start: ${errors.join("; ") || "no page error"}`);
    const signIn = await page.evaluate((args) => window.oidcEdgeApp.signIn(args), signing);
    const rust = pureRust && signIn.ok ? await page.evaluate((args) => window.oidcEdgeApp.pureRust(args), signing) : null;
    return { signIn, pureRust: rust };
  } finally {
    await context.close();
  }
}

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

async function assertDpopProof(proof, thumbprint, htm) {
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: "dpop+jwt" });
  assert.equal(payload.htm, htm);
  assert.equal(payload.htu, HTU);
  assert.equal(typeof payload.jti, "string");
  assert.equal(await calculateJwkThumbprint(protectedHeader.jwk), thumbprint);
}

/** Checks what the page reported, against jose and the inputs. */
async function assertApp({ signIn, pureRust, proofCheck }) {
  assert.ok(signIn.ok, `signIn failed: ${JSON.stringify(signIn.error)}`);
  const app = signIn.value;
  assert.match(app.pkce.verifier, /^[A-Za-z0-9._~-]{43,128}$/);
  assert.equal(app.pkce.challenge, b64url(createHash("sha256").update(app.pkce.verifier).digest()));
  assert.equal(app.pkce.method, "S256");
  await assertDpopProof(app.proof, app.thumbprint, "POST");
  assert.equal(app.payload.sub, "alice");
  assert.equal(app.payload.iss, ISSUER);
  assert.deepEqual(app.tampered && [app.tampered.name, app.tampered.code], ["OidcEdgeError", "signature_invalid"]);
  const request = new URL(app.authorizationUrl);
  assert.equal(request.origin + request.pathname, `${ISSUER}/authorize`);
  assert.equal(request.searchParams.get("client_id"), "vite-app");
  assert.equal(request.searchParams.get("code_challenge_method"), "S256");
  assert.match(request.searchParams.get("code_challenge"), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(request.searchParams.get("dpop_jkt"), app.clientThumbprint);
  if (pureRust) {
    assert.ok(pureRust.ok, `pureRust failed: ${JSON.stringify(pureRust.error)}`);
    await assertDpopProof(pureRust.value.proof, pureRust.value.thumbprint, "GET");
  }
  if (proofCheck) {
    assert.ok(proofCheck.ok, `proofCheck failed: ${JSON.stringify(proofCheck.error)}`);
    assert.equal(proofCheck.value.jkt, proofCheck.value.thumbprint);
  }
}

/** `vite dev` for `root` (with its vite.config.js, if any) on a free port. */
async function viteDev(root) {
  const server = await createServer({ root, logLevel: "silent", server: { host: "127.0.0.1", port: 0 } });
  await server.listen();
  return { url: `http://127.0.0.1:${server.httpServer.address().port}/`, close: () => server.close() };
}

test("npm install <path>: the dev server serves the linked package's wasm with server.fs.allow", async () => {
  const project = createProject(APP, "link");
  try {
    // Without the setting: the package resolves to pkg/, outside the project, and Vite's dev
    // server refuses files there that no import reaches; the wasm is fetched, not imported.
    let dev = await viteDev(project.dir);
    try {
      const { signIn } = await runApp(dev.url);
      assert.equal(signIn.ok, false, "the wasm loaded without server.fs.allow: the README's setting is no longer needed");
      assert.equal(signIn.error.code, "wasm_not_loaded");
      assert.match(signIn.error.message, /403/);
      assert.match(signIn.error.message, /init\(\{ module_or_path: wasm \}\)/);
    } finally {
      await dev.close();
    }
    // The README's setting: the project and the package's directory.
    const pkgPath = relative(project.dir, PKG_DIR).replace(/\/$/, "");
    writeFileSync(
      join(project.dir, "vite.config.js"),
      `export default { server: { fs: { allow: [".", ${JSON.stringify(pkgPath)}] } } };\n`,
    );
    dev = await viteDev(project.dir);
    try {
      await assertApp(await runApp(dev.url));
    } finally {
      await dev.close();
    }
  } finally {
    project.remove();
  }
});

test("npm install from the registry's tarball: the dev server needs no setting", async () => {
  const project = createProject(APP, "pack");
  try {
    const dev = await viteDev(project.dir);
    try {
      await assertApp(await runApp(dev.url));
    } finally {
      await dev.close();
    }
  } finally {
    project.remove();
  }
});

test("vite build: the wasm are assets, the pure-Rust and resource-server modules load on first use only", async (t) => {
  const project = createProject(APP, "pack");
  const outDir = mkdtempSync(join(tmpdir(), "oidc-edge-vite-dist-"));
  try {
    await build({ root: project.dir, logLevel: "silent", build: { outDir, emptyOutDir: true } });
    const assets = readdirSync(join(outDir, "assets"));
    const core = assets.find((name) => /^oidc_edge_bg-[\w-]+\.wasm$/.test(name));
    const rust = assets.find((name) => /^oidc_edge_rustcrypto_bg-[\w-]+\.wasm$/.test(name));
    const proofs = assets.find((name) => /^oidc_edge_server_bg-[\w-]+\.wasm$/.test(name));
    assert.ok(core && rust && proofs, `the three wasm are emitted as assets: ${assets.join(", ")}`);
    assert.deepEqual(readFileSync(join(outDir, "assets", core)), readFileSync(join(PKG_DIR, "oidc_edge_bg.wasm")));

    const server = await serveStatic(outDir);
    try {
      const context = await browser.newContext();
      let loaded;
      let app;
      try {
        // Sign-in first, alone: what the page loads for it is the size a user pays.
        const page = await context.newPage();
        await page.goto(server.url);
        const signIn = await page.evaluate((args) => window.oidcEdgeApp.signIn(args), signing);
        loaded = [...server.served];
        const pureRust = await page.evaluate((args) => window.oidcEdgeApp.pureRust(args), signing);
        const proofCheck = await page.evaluate((args) => window.oidcEdgeApp.proofCheck(args), signing);
        app = { signIn, pureRust, proofCheck };
      } finally {
        await context.close();
      }
      await assertApp(app);
      assert.ok(loaded.includes(`/assets/${core}`), `the page loaded the core wasm: ${loaded.join(", ")}`);
      assert.ok(!loaded.includes(`/assets/${rust}`), "the pure-Rust module waits for first use");
      assert.ok(server.served.includes(`/assets/${rust}`), "the pure-Rust module is fetched on first use");
      assert.ok(!loaded.includes(`/assets/${proofs}`), "the resource-server module waits for the first proof check");
      assert.ok(server.served.includes(`/assets/${proofs}`), "the resource-server module is fetched by the first proof check");

      const gzipped = (paths) => paths.reduce((total, path) => total + gzipBytes(readFileSync(join(outDir, path))), 0);
      const onFirstUse = server.served.filter((path) => !loaded.includes(path));
      t.diagnostic(`sign-in page loads ${(gzipped(loaded) / 1000).toFixed(1)} KB gzipped (gzip -9): ${loaded.join(", ")}`);
      t.diagnostic(`the modules loaded on first use add ${(gzipped(onFirstUse) / 1000).toFixed(1)} KB: ${onFirstUse.join(", ")}`);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    project.remove();
  }
});
