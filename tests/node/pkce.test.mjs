// The built npm package (pkg/) in Node 20: both entry points, and the PKCE cases shared
// with the browser suite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pkceCases } from "../shared/pkce-cases.mjs";
import { importPackage } from "./package.mjs";

const lib = await importPackage();

for (const [name, run] of pkceCases) {
  test(name, () => run(lib));
}

test("the web entry point loads in Node when init() is given the wasm bytes", async () => {
  const web = await import(new URL("../../pkg/oidc_edge.js", import.meta.url));
  const bytes = readFileSync(new URL("../../pkg/oidc_edge_bg.wasm", import.meta.url));
  await web.default({ module_or_path: bytes });
  assert.equal(
    web.pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  );
});

test("package.json declares name, version, types and every file it ships", () => {
  const manifest = JSON.parse(readFileSync(new URL("../../pkg/package.json", import.meta.url), "utf8"));
  assert.equal(manifest.name, "oidc-edge");
  assert.match(manifest.version, /^\d+\.\d+\.\d+/);
  assert.equal(manifest.exports["."].types, "./index.d.ts");
  for (const file of manifest.files.filter((f) => !f.endsWith("/"))) {
    assert.ok(readFileSync(new URL(`../../pkg/${file}`, import.meta.url)).length > 0, file);
  }
});

test("TypeScript declarations cover every export of both entries, and nothing internal is exported", async () => {
  const dts = ["oidc_edge.d.ts", "init.d.ts", "client.d.ts", "dpop-key.d.ts", "error.d.ts", "verify.d.ts", "server.d.ts", "device.d.ts", "server-module.d.ts"]
    .map((file) => readFileSync(new URL(`../../pkg/${file}`, import.meta.url), "utf8"))
    .join("\n");
  const entries = ["index.js", "node.js"].map((file) => new URL(`../../pkg/${file}`, import.meta.url));
  const [browser, node] = await Promise.all(entries.map(async (url) => Object.keys(await import(url)).sort()));
  assert.deepEqual(node, browser, "the Node entry exports what the browser entry does");
  assert.ok(!browser.includes("Job"), "the JS API's internal job class (src/wasm/job.rs) is not exported");
  assert.ok(!browser.includes("loadModule") && !browser.includes("DPOP_ALGS"), "server-module.js's helpers are not exported");
  for (const name of browser) {
    if (name === "default") {
      assert.match(dts, /export default function init\(/);
    } else if (name === "initSync") {
      assert.match(dts, /export function initSync\(options: \{ module: SyncInitInput; rustcrypto\?/);
    } else {
      assert.match(dts, new RegExp(`export (declare )?(function|class|const|interface|type) ${name}\\b`), name);
    }
  }
  assert.match(dts, /export function createPkce\(length\?: number \| null\): Pkce;/);
  assert.match(dts, /export class OidcEdgeError extends Error/);
  // Both entries' types take init and initSync from init.d.ts (with the `rustcrypto` option).
  for (const file of ["index.d.ts", "node.d.ts"]) {
    const types = readFileSync(new URL(`../../pkg/${file}`, import.meta.url), "utf8");
    assert.match(types, /export \{ default, initSync \} from "\.\/init\.js";/, file);
  }
});
