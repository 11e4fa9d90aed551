// The browser entry (index.js) in Node, each case in a fresh process so the package's
// modules start unloaded: `init` given the wasm bytes, and the pure-Rust module given to
// `init` as `rustcrypto` (for runtimes that cannot fetch it beside the glue: a Worker, the
// web entry in Node) or not given at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `body` as an ES module in a new Node process at the repository root; its JSON output. */
function inFreshProcess(body) {
  const script = `
    import { readFileSync } from "node:fs";
    import * as jose from "jose";
    const lib = await import("./pkg/index.js");
    const wasm = (name) => readFileSync(new URL("./pkg/" + name, "file://${ROOT}"));
    const { publicKey, privateKey } = await jose.generateKeyPair("ES256");
    const jwks = { keys: [await jose.exportJWK(publicKey)] };
    const token = await new jose.SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "ES256" })
      .setIssuer("https://issuer.example").setAudience("client").setExpirationTime("1h").sign(privateKey);
    const verify = (backend) => lib.verifyJwt(token, jwks, { issuer: "https://issuer.example", audience: "client", backend })
      .then((v) => v.payload.sub, (err) => err.code);
    ${body}
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
  return JSON.parse(out);
}

test("index.js in Node: init({ module_or_path, rustcrypto }) with bytes gives both backends", () => {
  const result = inFreshProcess(`
    await lib.default({ module_or_path: wasm("oidc_edge_bg.wasm"), rustcrypto: wasm("oidc_edge_rustcrypto_bg.wasm") });
    const key = await lib.DpopKey.generate({ backend: "wasm" });
    const proof = await key.proof({ htm: "GET", htu: "https://rs.example/me" });
    console.log(JSON.stringify({ webcrypto: await verify("webcrypto"), wasm: await verify("wasm"), proof: proof.split(".").length }));
  `);
  assert.deepEqual(result, { webcrypto: "alice", wasm: "alice", proof: 3 });
});

test("index.js in Node: initSync({ module, rustcrypto }) with compiled modules", () => {
  const result = inFreshProcess(`
    lib.initSync({ module: new WebAssembly.Module(wasm("oidc_edge_bg.wasm")), rustcrypto: new WebAssembly.Module(wasm("oidc_edge_rustcrypto_bg.wasm")) });
    console.log(JSON.stringify({ wasm: await verify("wasm") }));
  `);
  assert.deepEqual(result, { wasm: "alice" });
});

test("index.js in Node without rustcrypto: WebCrypto works, the pure-Rust backend is crypto_unavailable", () => {
  // Node 20's fetch cannot read the file beside the glue, so the module cannot load.
  const result = inFreshProcess(`
    await lib.default({ module_or_path: wasm("oidc_edge_bg.wasm") });
    console.log(JSON.stringify({ webcrypto: await verify("webcrypto"), wasm: await verify("wasm") }));
  `);
  assert.deepEqual(result, { webcrypto: "alice", wasm: "crypto_unavailable" });
});

test("index.js in Node: a wasm given to init or initSync that is not the package's (bytes that do not compile, a module whose imports the glue does not provide) is an OidcEdgeError wasm_invalid, the engine's error its cause", () => {
  const result = inFreshProcess(`
    const outcome = async (load) => {
      try {
        await load();
        return "loaded";
      } catch (err) {
        return { oidcEdge: err instanceof lib.OidcEdgeError, code: err.code, cause: err.cause?.constructor?.name };
      }
    };
    const garbage = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 255]);
    // The pure-Rust module compiles, but imports none of what the core's glue provides: the
    // engine refuses to instantiate it (a TypeError, WebAssembly JS API §"read the imports").
    const other = new WebAssembly.Module(wasm("oidc_edge_rustcrypto_bg.wasm"));
    console.log(JSON.stringify({
      bytes: await outcome(() => lib.default({ module_or_path: garbage })),
      module: await outcome(() => lib.default({ module_or_path: other })),
      syncBytes: await outcome(() => lib.initSync({ module: garbage })),
      syncModule: await outcome(() => lib.initSync({ module: other })),
    }));
  `);
  assert.deepEqual(result, {
    bytes: { oidcEdge: true, code: "wasm_invalid", cause: "CompileError" },
    module: { oidcEdge: true, code: "wasm_invalid", cause: "TypeError" },
    syncBytes: { oidcEdge: true, code: "wasm_invalid", cause: "CompileError" },
    syncModule: { oidcEdge: true, code: "wasm_invalid", cause: "TypeError" },
  });
});
