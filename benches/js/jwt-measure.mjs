// The JWT verification benchmark body, shared by the Node runner (jwt.mjs) and the Chromium
// runner (jwt-chromium.mjs, which loads this file in a page). Dependency-free: the package
// and jose are passed in, so each runtime imports them its own way.
//
// Same tokens, same keys, same checks on both sides: signature, iss, aud, exp against the
// real clock, and an algorithm allow-list. jose runs two ways: with a key imported once
// (what an app with a cached key does) and with createLocalJWKSet over the same JWKS that
// verifyJwt receives (the like-for-like call: both select the key by kid from a set).
import { compareRates } from "./harness.mjs";

const ISS = "https://op.example.com";
const AUD = "https://api.example.com";

/**
 * The contenders, per algorithm: { ES256: { webcrypto, keySet, wasm, joseKey, joseJwks }, RS256: …, EdDSA: … },
 * each a function returning the verification's promise. Each has been called once and
 * checked: a rejection would otherwise time the error path.
 */
export async function jwtContenders(lib, jose) {
  const now = Math.floor(Date.now() / 1000);
  const algs = ["ES256", "RS256", "EdDSA"];
  const keys = {};
  for (const alg of algs) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, {
      extractable: true,
      ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
    });
    const kid = `${alg.toLowerCase()}-bench`;
    keys[alg] = { kid, privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid, use: "sig", alg } };
  }
  const jwks = { keys: algs.map((alg) => keys[alg].jwk) };
  const localJwks = jose.createLocalJWKSet(jwks);
  // Ours, like createLocalJWKSet: the set checked once, then passed to every call.
  const keySet = lib.createKeySet(jwks);

  const contenders = {};
  for (const alg of algs) {
    const { kid, privateKey, jwk } = keys[alg];
    // A typical ID / access token's claim set: a few hundred bytes.
    const token = await new jose.SignJWT({
      iss: ISS, aud: AUD, sub: "248289761001", client_id: "s6BhdRkqt3", scope: "openid profile email api:read",
      jti: "b2f6f0a4-0d3c-4c1e-9d5e-6c1f6a6f0e1a", iat: now, nbf: now, exp: now + 86400,
      email: "demo@example.com", name: "Demo User",
    }).setProtectedHeader({ alg, kid, typ: "JWT" }).sign(privateKey);
    const importedKey = await jose.importJWK(jwk, alg);
    const ours = (backend, keys = jwks) => () => lib.verifyJwt(token, keys, { issuer: ISS, audience: AUD, algorithms: [alg], backend });
    const joseOptions = { issuer: ISS, audience: AUD, algorithms: [alg] };
    contenders[alg] = {
      webcrypto: ours("webcrypto"),
      keySet: ours("webcrypto", keySet),
      wasm: ours("wasm"),
      joseKey: () => jose.jwtVerify(token, importedKey, joseOptions),
      joseJwks: () => jose.jwtVerify(token, localJwks, joseOptions),
    };
    for (const [what, fn] of Object.entries(contenders[alg])) {
      const { payload } = await fn();
      if (payload.sub !== "248289761001") throw new Error(`${alg} ${what}: unexpected result`);
    }
  }
  return contenders;
}

/**
 * Measures ES256, RS256 and EdDSA (Ed25519) verifications per second (harness.mjs, compareRates:
 * warm-up, then batches of every contender in turns, median batch).
 * Returns { rows: [{ task, ours, peer, peerName }], rates: { [alg]: { webcrypto, keySet, wasm, joseKey, joseJwks } } }.
 */
export async function measureJwt(lib, jose, options = {}) {
  const contenders = await jwtContenders(lib, jose);
  const rates = {};
  const rows = [];
  for (const [alg, fns] of Object.entries(contenders)) {
    // The WebCrypto contenders in turns (harness.mjs, compareRates); the pure-Rust one,
    // 5 to 20 times slower, on its own.
    const { wasm, ...webcrypto } = fns;
    const r = { ...(await compareRates(webcrypto, options)), ...(await compareRates({ wasm }, options)) };
    rates[alg] = r;
    const keyPeer = "jose jwtVerify, key imported once";
    const setPeer = "jose jwtVerify, createLocalJWKSet";
    rows.push(
      { task: `${alg} verifyJwt, backend "webcrypto"`, ours: r.webcrypto, peerName: keyPeer, peer: r.joseKey },
      { task: `${alg} verifyJwt, backend "webcrypto"`, ours: r.webcrypto, peerName: setPeer, peer: r.joseJwks },
      { task: `${alg} verifyJwt, createKeySet, "webcrypto"`, ours: r.keySet, peerName: keyPeer, peer: r.joseKey },
      { task: `${alg} verifyJwt, createKeySet, "webcrypto"`, ours: r.keySet, peerName: setPeer, peer: r.joseJwks },
      { task: `${alg} verifyJwt, backend "wasm"`, ours: r.wasm, peerName: keyPeer, peer: r.joseKey },
      { task: `${alg} verifyJwt, backend "wasm"`, ours: r.wasm, peerName: setPeer, peer: r.joseJwks },
    );
  }
  return { rows, rates };
}

/** The targets, as lines to print under the table. */
export function targetLines(rates, runtime) {
  const ms = (opsPerSec) => (1000 / opsPerSec).toFixed(3);
  // "Within 1.2x of jose per verification": our time per call <= 1.2 x jose's, judged
  // against each way of calling jose.
  const against = (ours, peer, what) => {
    const slowdown = peer / ours;
    return `${slowdown.toFixed(2)}× jose's time ${what} (${slowdown <= 1.2 ? "within" : "NOT within"} 1.2×)`;
  };
  const lines = [];
  for (const [alg, r] of Object.entries(rates)) {
    for (const [name, ours] of [["webcrypto, plain JWKS", r.webcrypto], ["webcrypto, createKeySet", r.keySet]]) {
      lines.push(
        `- ${alg} ${name}: ${ms(ours)} ms/verification, ` +
          `${against(ours, r.joseKey, "with a key imported once")}, ` +
          `${against(ours, r.joseJwks, "with createLocalJWKSet")}`,
      );
    }
    lines.push(`- ${alg} wasm: ${ms(r.wasm)} ms/verification` +
      (alg === "ES256" && runtime === "node" ? `; target < 0.6 ms in Node: ${1000 / r.wasm < 0.6 ? "met" : "NOT met"}` : ""));
  }
  return lines;
}
