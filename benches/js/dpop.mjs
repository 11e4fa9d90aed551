// DPoP (RFC 9449): oidc-edge against its closest peers, on the same inputs in the same run.
//
//   - Making proofs: DpopKey.proof with a "webcrypto" key and a "wasm" key against the `dpop`
//     package's generateProof; every key is ES256 (P-256), WebCrypto keys non-extractable.
//   - Checking proofs: verifyDpopProof (both backends, replayCheck false and true) against
//     jose's jwtVerify with the embedded key (EmbeddedJWK), plus what a server must then do
//     by hand to get as far as verifyDpopProof does: compare htm / htu, hash the access token
//     for ath, compute the key's thumbprint for cnf.jkt (and, for the replay rows, remember
//     jti in a Map).
//
// `node benches/js/dpop.mjs` runs it in Node; dpop-chromium.mjs imports measureDpop into a
// headless Chromium page. Pin with taskset (benches/run.sh does).
import { compareRates, opsPerSecond, printTable } from "./harness.mjs";

const NOW = 1_700_000_000;
const TOKEN_URI = "https://server.example.com/token";
const RESOURCE_URI = "https://resource.example.org/protectedresource";
const ACCESS_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"; // RFC 9449 §7.1
const HARNESS = { warmup: 2000, batches: 7, batchMs: 300 };

const encoder = new TextEncoder();

function b64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Enough distinct proofs for one replay-checked measurement at about `rate` checks/s. */
function poolSize(rate) {
  const calls = HARNESS.warmup + (rate * HARNESS.batches * HARNESS.batchMs) / 1000;
  return Math.ceil(calls * 3) + 2000;
}

async function makePool(key, size) {
  const pool = new Array(size);
  for (let i = 0; i < size; i++) {
    pool[i] = await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, iat: NOW });
  }
  return pool;
}

/** A function that hands out the pool's proofs once each, and fails loudly past its end. */
function drawFrom(pool) {
  let next = 0;
  return () => {
    if (next >= pool.length) throw new Error(`proof pool of ${pool.length} exhausted: raise poolSize()`);
    return pool[next++];
  };
}

/**
 * The peer check: jose verifies the signature with the embedded key, typ, alg and the iat
 * window; the rest is the server's own code, written as a jose user would: htm / htu, ath
 * (SHA-256 by WebCrypto), the key's thumbprint against the token's cnf.jkt, and with `seen`
 * a jti memory.
 */
async function joseDpopCheck(jose, token, jkt, seen) {
  const { payload, protectedHeader } = await jose.jwtVerify(token, jose.EmbeddedJWK, {
    typ: "dpop+jwt", algorithms: ["ES256"], maxTokenAge: 300, clockTolerance: 5, currentDate: new Date(NOW * 1000),
  });
  if (payload.htm !== "GET" || payload.htu !== RESOURCE_URI) throw new Error("htm / htu");
  const ath = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(ACCESS_TOKEN))));
  if (payload.ath !== ath) throw new Error("ath");
  const thumbprint = await jose.calculateJwkThumbprint(protectedHeader.jwk);
  if (thumbprint !== jkt) throw new Error("jkt");
  if (seen) {
    const id = `${thumbprint}:${payload.jti}`;
    if (seen.has(id)) throw new Error("replay");
    seen.set(id, payload.iat + 311);
  }
}

/** Median over 5 runs of (user + system CPU µs) / calls, after a 2,000-call warm-up (Node). */
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

/**
 * Node only: the process CPU time per call of the main contenders. Pinned to one CPU, it is
 * the work a call costs whatever else the machine runs (wall-clock rates above are not).
 */
async function cpuTable(lib, jose, dpop) {
  const web = await lib.DpopKey.generate({ backend: "webcrypto" });
  const wasm = await lib.DpopKey.generate({ backend: "wasm" });
  const pair = await dpop.generateKeyPair("ES256");
  const input = { htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN };
  const proof = await web.proof({ ...input, iat: NOW });
  const options = (backend) => ({ ...input, jkt: web.thumbprint, currentTime: NOW, replayCheck: false, backend });
  const rows = [
    ["proof, resource request (+ ath)", {
      "webcrypto key": [() => web.proof(input), 1500],
      "wasm key": [() => wasm.proof(input), 300],
      "dpop generateProof": [() => dpop.generateProof(pair, RESOURCE_URI, "GET", undefined, ACCESS_TOKEN), 1500],
    }],
    ["check, replayCheck false (same proof)", {
      "webcrypto backend": [() => lib.verifyDpopProof(proof, options("webcrypto")), 1500],
      "wasm backend": [() => lib.verifyDpopProof(proof, options("wasm")), 300],
      "jose + checks": [() => joseDpopCheck(jose, proof, web.thumbprint), 1500],
    }],
  ];
  console.log("\nCPU time per call (µs, whole process, median of 5 runs)");
  console.log("| task | oidc-edge webcrypto | oidc-edge wasm | peer | peer µs | webcrypto / peer |");
  console.log("|---|---:|---:|---|---:|---:|");
  for (const [task, fns] of rows) {
    const [[, a], [, b], [peerName, c]] = Object.entries(fns);
    const ours = await cpuMicros(...a);
    const oursWasm = await cpuMicros(...b);
    const peer = await cpuMicros(...c);
    console.log(`| ${task} | ${ours.toFixed(0)} | ${oursWasm.toFixed(0)} | ${peerName} | ${peer.toFixed(0)} | ${(ours / peer).toFixed(2)}× |`);
  }
}

/**
 * Runs every measurement with `lib` (the package, initialised), `jose` and `dpop` (the peer
 * modules) and returns { proofRows, checkRows, notes } for printTable.
 */
export async function measureDpop(lib, jose, dpop) {
  const measure = (fn) => opsPerSecond(fn, HARNESS);
  const notes = [];

  // --- Making proofs ------------------------------------------------------------------------
  const keys = {
    webcrypto: await lib.DpopKey.generate({ backend: "webcrypto" }),
    wasm: await lib.DpopKey.generate({ backend: "wasm" }),
  };
  const pair = await dpop.generateKeyPair("ES256");
  // Settle first: V8 compiles wasm with a baseline tier and optimises hot functions in the
  // background, which on one pinned CPU competes with whatever is measured first. Touch
  // every path once up front so no row pays for it.
  const settleProof = await keys.webcrypto.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
  for (let i = 0; i < 500; i++) {
    await keys.webcrypto.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN });
    await keys.wasm.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN });
    await dpop.generateProof(pair, RESOURCE_URI, "GET", undefined, ACCESS_TOKEN);
    for (const backend of ["webcrypto", "wasm"]) {
      await lib.verifyDpopProof(settleProof, { htm: "POST", htu: TOKEN_URI, currentTime: NOW, replayCheck: false, backend });
    }
    await jose.jwtVerify(settleProof, jose.EmbeddedJWK, { typ: "dpop+jwt", currentDate: new Date(NOW * 1000) });
  }
  const proofRows = [];
  const proofTasks = [
    ["token request (htm, htu)", { htm: "POST", htu: TOKEN_URI }, [TOKEN_URI, "POST"]],
    ["resource request (+ ath)", { htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN }, [RESOURCE_URI, "GET", undefined, ACCESS_TOKEN]],
  ];
  for (const [task, input, peerArgs] of proofTasks) {
    for (const backend of ["webcrypto", "wasm"]) {
      const key = keys[backend];
      // The WebCrypto key and the peer in turns (harness.mjs, compareRates); the wasm key,
      // an order of magnitude slower, on its own.
      const ours = () => key.proof(input);
      const peer = () => dpop.generateProof(pair, ...peerArgs);
      const rates = backend === "webcrypto"
        ? await compareRates({ ours, peer }, HARNESS)
        : { ours: await measure(ours), peer: await measure(peer) };
      proofRows.push({ task: `proof, ${task}, ${backend} key`, ...rates, peerName: "dpop generateProof" });
    }
  }

  // --- Checking proofs ----------------------------------------------------------------------
  // Proofs to check come from the WebCrypto key: the fastest signer here, so the replay
  // pools (tens of thousands of proofs) are quick to make. Who signed does not matter to
  // the checker: every proof is ES256 over the same kind of key.
  const signer = keys.webcrypto;
  const jkt = signer.thumbprint;
  const proof = (await makePool(signer, 1))[0];
  const options = (backend, replayCheck) => ({
    htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, jkt, currentTime: NOW, replayCheck, backend,
  });
  const joseCheck = (token, seen) => joseDpopCheck(jose, token, jkt, seen);
  // Sanity: both sides accept the proof before anything is timed.
  await lib.verifyDpopProof(proof, options("webcrypto", false));
  await lib.verifyDpopProof(proof, options("wasm", false));
  await joseCheck(proof);

  const checkRows = [];
  const noReplayRates = {};
  for (const backend of ["webcrypto", "wasm"]) {
    const opts = options(backend, false);
    const row = {
      task: `check, ${backend} backend, replayCheck false (same proof)`,
      ours: await measure(() => lib.verifyDpopProof(proof, opts)),
      peerName: "jose jwtVerify + EmbeddedJWK + checks",
      peer: await measure(() => joseCheck(proof)),
    };
    noReplayRates[backend] = row;
    checkRows.push(row);
  }
  for (const backend of ["webcrypto", "wasm"]) {
    // Every call must see a new proof (a replay is an error), so each side draws from a
    // pool of distinct proofs made beforehand by the same key.
    // Each pool is sized from that side's rate on the same proof, with a wide margin.
    const ourSize = poolSize(noReplayRates[backend].ours);
    const peerSize = poolSize(noReplayRates[backend].peer);
    const ourDraw = drawFrom(await makePool(signer, ourSize));
    const peerDraw = drawFrom(await makePool(signer, peerSize));
    const opts = options(backend, true);
    const seen = new Map();
    checkRows.push({
      task: `check, ${backend} backend, replayCheck true (fresh proofs)`,
      ours: await measure(() => lib.verifyDpopProof(ourDraw(), opts)),
      peerName: "jose … + jti Map",
      peer: await measure(() => joseCheck(peerDraw(), seen)),
    });
    notes.push(`replay rows, ${backend} backend: ${ourSize} distinct proofs for oidc-edge, ${peerSize} for the peer`);
  }
  {
    // 256 clients' keys in rotation: the webcrypto backend's imported-key cache (64 keys)
    // misses on every call, as it would for a server facing many clients.
    const many = [];
    for (let i = 0; i < 256; i++) {
      const key = await lib.DpopKey.generate({ backend: "webcrypto" });
      many.push({ token: await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, iat: NOW }), jkt: key.thumbprint });
    }
    let i = 0;
    let j = 0;
    const opts = many.map(({ jkt: k }) => ({ ...options("webcrypto", false), jkt: k }));
    const joseManyCheck = ({ token, jkt: k }) => joseDpopCheck(jose, token, k);
    checkRows.push({
      task: "check, webcrypto backend, replayCheck false, 256 keys in rotation",
      ours: await measure(() => {
        const n = i++ % many.length;
        return lib.verifyDpopProof(many[n].token, opts[n]);
      }),
      peerName: "jose jwtVerify + EmbeddedJWK + checks",
      peer: await measure(() => joseManyCheck(many[j++ % many.length])),
    });
  }
  return { proofRows, checkRows, notes };
}

// Run directly by Node: `taskset -c 0 node benches/js/dpop.mjs`.
if (globalThis.process?.argv?.[1]) {
  const { pathToFileURL } = await import("node:url");
  const { realpathSync } = await import("node:fs");
  if (import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
    const lib = await import("../../pkg/node.js");
    const jose = await import("jose");
    const dpop = await import("dpop");
    const { proofRows, checkRows, notes } = await measureDpop(lib, jose, dpop);
    printTable(`DPoP proofs, Node ${process.version}`, proofRows);
    printTable(`DPoP proof checks, Node ${process.version}`, checkRows);
    await cpuTable(lib, jose, dpop);
    console.log("");
    for (const note of notes) console.log(note);
  }
}
