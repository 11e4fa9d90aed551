// PKCE and randomness cases for the npm package, run in Node (tests/node) and in
// Chromium (tests/browser) against the same built pkg/. `lib` is the imported package.
import { equal, ok, throwsCode } from "./expect.mjs";

// RFC 7636 Appendix B.
const RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC7636_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const UNRESERVED = /^[A-Za-z0-9\-._~]+$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

async function sha256Base64url(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const pkceCases = [
  ["RFC 7636 Appendix B: pkceChallenge of the example verifier", (lib) => {
    equal(lib.pkceChallenge(RFC7636_VERIFIER), RFC7636_CHALLENGE, "challenge");
  }],
  ["RFC 7636 §4.1: createPkce() defaults to a 64-character unreserved verifier, S256", async (lib) => {
    const pair = lib.createPkce();
    equal(Object.keys(pair).sort().join(","), "challenge,method,verifier", "fields");
    equal(pair.verifier.length, 64, "verifier length");
    ok(UNRESERVED.test(pair.verifier), "verifier charset");
    equal(pair.method, "S256", "method");
    // Cross-check the challenge with the runtime's own WebCrypto SHA-256.
    equal(pair.challenge, await sha256Base64url(pair.verifier), "challenge = BASE64URL(SHA256(verifier))");
  }],
  ["RFC 7636 §4.1: createPkce(length) honours 43 and 128, and pairs are fresh", (lib) => {
    equal(lib.createPkce(43).verifier.length, 43, "43");
    equal(lib.createPkce(128).verifier.length, 128, "128");
    const seen = new Set(Array.from({ length: 50 }, () => lib.createPkce().verifier));
    equal(seen.size, 50, "50 distinct verifiers");
  }],
  ["createPkce rejects lengths outside 43..128 and non-integers with invalid_length", async (lib) => {
    for (const bad of [42, 129, 0, -1, 64.5, NaN, Infinity]) {
      await throwsCode(() => lib.createPkce(bad), "invalid_length", `createPkce(${bad})`);
    }
  }],
  ["RFC 7636 §4.1: pkceChallenge rejects bad verifier lengths", async (lib) => {
    await throwsCode(() => lib.pkceChallenge(""), "pkce_verifier_length", "empty");
    await throwsCode(() => lib.pkceChallenge("a".repeat(42)), "pkce_verifier_length", "42 chars");
    await throwsCode(() => lib.pkceChallenge("a".repeat(129)), "pkce_verifier_length", "129 chars");
  }],
  ["RFC 7636 §4.1: pkceChallenge rejects characters outside the unreserved set", async (lib) => {
    for (const bad of ["+", "/", "=", " ", "%", "é", "\u0000"]) {
      await throwsCode(() => lib.pkceChallenge("a".repeat(50) + bad), "pkce_verifier_charset", JSON.stringify(bad));
    }
  }],
  ["errors are Error objects named OidcEdgeError with a message", (lib) => {
    try {
      lib.pkceChallenge("short");
      throw new Error("pkceChallenge('short') did not throw");
    } catch (err) {
      ok(err instanceof Error, "instanceof Error");
      equal(err.name, "OidcEdgeError", "name");
      ok(err.message.includes("43"), "message says the bound");
    }
  }],
  ["randomToken: 32 bytes by default, base64url, fresh, bounded", async (lib) => {
    const token = lib.randomToken();
    equal(token.length, 43, "default length");
    ok(BASE64URL.test(token), "alphabet");
    equal(lib.randomToken(16).length, 22, "16 bytes");
    ok(lib.randomToken() !== lib.randomToken(), "fresh");
    for (const bad of [15, 1025, 3.5, -16]) {
      await throwsCode(() => lib.randomToken(bad), "invalid_length", `randomToken(${bad})`);
    }
  }],
];
