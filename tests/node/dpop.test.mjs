// The built npm package (pkg/) in Node 20: the DPoP cases shared with the browser suite
// (cross-checked against jose and the dpop package), one test each, plus what differs in
// Node (no IndexedDB) and the TypeScript declarations of the DPoP API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dpopCases } from "../shared/dpop-cases.mjs";
import { importPackage } from "./package.mjs";

const lib = await importPackage();

for (const [name, run] of dpopCases) {
  test(name, () => run(lib));
}

test("Node has no IndexedDB: save() and load() reject with storage_unavailable", async () => {
  const key = await lib.DpopKey.generate();
  assert.equal(key.backend, "webcrypto");
  await assert.rejects(key.save("node-key"), (err) => err.code === "storage_unavailable");
  await assert.rejects(lib.DpopKey.load("node-key"), (err) => err.code === "storage_unavailable");
});

// DESIGN.md's JS API: `generate(options?)`, `proof(...) -> Promise<string>`; the options
// objects are optional at runtime, and `backend` is accepted by verifyDpopProof.
test("TypeScript declarations of the DPoP API match the contract and the runtime", () => {
  // DpopKey is dpop-key.js's, dpopNonce the core's; verifyDpopProof is server-module.js's, with
  // DpopCheck from the resource-server module it loads.
  const dts = ["dpop-key.d.ts", "oidc_edge.d.ts", "server-module.d.ts", "oidc_edge_server.d.ts"]
    .map((file) => readFileSync(new URL(`../../pkg/${file}`, import.meta.url), "utf8"))
    .join("\n");
  const declaration = (pattern) => {
    const line = dts.split("\n").find((l) => pattern.test(l));
    assert.ok(line, `a declaration matching ${pattern}`);
    return line.trim();
  };
  const problems = [];
  const expectLine = (pattern, want, why) => {
    const line = declaration(pattern);
    if (!want.test(line)) problems.push(`${line}  -- expected ${want}: ${why}`);
  };
  expectLine(/static generate\(/, /static generate\(options\?: /, "DESIGN.md: generate(options?); DpopKey.generate() works at runtime");
  expectLine(/static generate\(/, /\): Promise<DpopKey>;$/, "resolves to a DpopKey, not a Promise of one");
  expectLine(/static importJwk\(/, /\): Promise<DpopKey>;$/, "resolves to a DpopKey");
  expectLine(/static load\(/, /\): Promise<DpopKey \| null>;$/, "resolves to a DpopKey or null");
  expectLine(/^\s*proof\(input/, /\): Promise<string>;$/, "DESIGN.md: proof(...): Promise<string>");
  expectLine(/export function verifyDpopProof\(/, /\): Promise<\{ jkt: string; jti: string; iat: number \}>;$/, "DESIGN.md: Promise<{ jkt; jti; iat }>");
  expectLine(/export function dpopNonce\(/, /options\?: /, "dpopNonce(secret) works at runtime");
  const check = dts.slice(dts.indexOf("export interface DpopCheck"), dts.indexOf("}", dts.indexOf("export interface DpopCheck")));
  if (!/\bbackend\?:/.test(check)) problems.push("DpopCheck has no `backend?:` member, but verifyDpopProof accepts { backend }");
  assert.deepEqual(problems, []);
});

// RFC 9728 §5.1 / RFC 6750 §3: `resource_metadata` is a quoted value; a URL with a quote or a
// backslash would end it or escape its closing quote, so it is refused as an option.
test("RFC 9728 §5.1: dpopErrorResponse refuses a resourceMetadata with a quote or a backslash", () => {
  const ok = lib.dpopErrorResponse("invalid_token", { resourceMetadata: "https://rs.example/meta" });
  assert.match(ok.headers["WWW-Authenticate"], /resource_metadata="https:\/\/rs\.example\/meta"/);
  for (const url of ["https://rs.example/\\", 'https://rs.example/"x', "https://rs.example/a b"]) {
    assert.throws(
      () => lib.dpopErrorResponse("invalid_token", { resourceMetadata: url }),
      (err) => err instanceof lib.OidcEdgeError && err.code === "invalid_option",
      url,
    );
  }
});

// RFC 9449 §7.1: the challenge's `algs` (dpopErrorResponse, written in JavaScript) lists what
// verifyDpopProof (the resource-server module) accepts, no more and no less.
test("RFC 9449 §7.1: dpopErrorResponse's default algs are exactly the algorithms verifyDpopProof accepts", async () => {
  const challenge = lib.dpopErrorResponse("invalid_dpop_proof").headers["WWW-Authenticate"];
  const listed = /algs="([^"]*)"/.exec(challenge)[1].split(" ");
  const verdict = (algorithms) =>
    lib.verifyDpopProof("a proof", { htm: "GET", htu: "https://rs.example/", algorithms }).then(
      () => "accepted",
      (err) => err.code,
    );
  for (const alg of listed) assert.equal(await verdict([alg]), "jws_malformed", `${alg} is accepted as an option`);
  for (const alg of ["HS256", "none"]) assert.equal(await verdict([alg]), "alg_not_allowed", alg);
  for (const alg of ["ES512", "RS1", "Ed25519"]) {
    assert.equal(await verdict([alg]), "alg_unsupported", `${alg}: not accepted, so not listed`);
    assert.ok(!listed.includes(alg));
  }
  assert.equal(listed.length, 9);
});
