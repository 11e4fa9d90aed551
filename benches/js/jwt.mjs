// JWT verification in Node: oidc-edge's verifyJwt (backend "webcrypto" and "wasm") against
// jose's jwtVerify on the same ES256 / RS256 / EdDSA tokens and keys. Body in jwt-measure.mjs.
//
// Besides the wall-clock table (harness.mjs), it prints the process CPU time per
// verification: with Node pinned to one CPU that is the work each call costs, whatever else
// the machine is running, so it separates a slower call from a busier CPU.
import * as jose from "jose";
import * as lib from "../../pkg/node.js";
import { printTable } from "./harness.mjs";
import { jwtContenders, measureJwt, targetLines } from "./jwt-measure.mjs";

const { rows, rates } = await measureJwt(lib, jose);
printTable(`JWT verification, Node ${process.version}`, rows);
console.log("");
for (const line of targetLines(rates, "node")) console.log(line);

/** Median over 5 runs of (user + system CPU µs) / calls, after a 2,000-call warm-up. */
async function cpuMicros(fn, calls) {
  for (let i = 0; i < 2000; i++) await fn();
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) await fn();
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / calls);
  }
  return runs.sort((a, b) => a - b)[2];
}

console.log("\nCPU time per verification (µs, whole process)");
console.log("| alg | verifyJwt webcrypto | verifyJwt webcrypto, createKeySet | verifyJwt wasm | jose, key imported once | jose, createLocalJWKSet |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const [alg, fns] of Object.entries(await jwtContenders(lib, jose))) {
  const cpu = {};
  for (const [name, fn] of Object.entries(fns)) cpu[name] = await cpuMicros(fn, name === "wasm" ? 300 : 1500);
  console.log(`| ${alg} | ${cpu.webcrypto.toFixed(0)} | ${cpu.keySet.toFixed(0)} | ${cpu.wasm.toFixed(0)} | ${cpu.joseKey.toFixed(0)} | ${cpu.joseJwks.toFixed(0)} |`);
}
