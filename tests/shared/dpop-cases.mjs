// DPoP (RFC 9449) cases for the npm package, run in Node (tests/node) and in Chromium
// (tests/browser) against the same built pkg/. `lib` is the imported package.
//
// Independent implementations: `jose` (v6) verifies the proofs made here (EmbeddedJWK, the
// way a DPoP server built on jose does) and signs the malformed proofs; the `dpop` package
// (v2) makes proofs that this package must accept. Hashes and thumbprints are recomputed
// with the runtime's own WebCrypto or jose, never with the package under test. Cases that
// sign or verify run once per backend of the package: "webcrypto" and "wasm" (pure Rust).
//
// jose and dpop are imported by path rather than by name, so the same file loads in Node
// and in a page without a bundler or an import map (the page serves the repository at its
// root; both builds are plain ESM over WebCrypto).
import * as jose from "../../node_modules/jose/dist/webapi/index.js";
import * as dpop from "../../node_modules/dpop/build/index.js";
import { equal, ok, throwsCode } from "./expect.mjs";

const BACKENDS = ["webcrypto", "wasm"];
// Fixed clock for proofs made here (DpopKey.proof takes `iat`) and for every check that
// passes currentTime. Proofs made by the dpop package carry the real time.
const NOW = 1_700_000_000;
const TOKEN_URI = "https://server.example.com/token";
// RFC 9449 §7.1: the example protected resource request, its access token and its `ath`.
const RESOURCE_URI = "https://resource.example.org/protectedresource";
const ACCESS_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
const ACCESS_TOKEN_ATH = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";

// RFC 9449 §5 Figure 5 (decoded in §4.2): the example proof for POST /token at iat
// 1562262616; §6.1 gives its key's thumbprint as the token's cnf.jkt.
const RFC9449_PROOF =
  "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19" +
  ".eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ" +
  ".2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
const RFC9449_IAT = 1_562_262_616;
const RFC9449_JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

// RFC 7515 A.3.1: a fixed P-256 private key (the ES256 example's), and its RFC 7638
// thumbprint as jose computes it.
const FIXED_JWK = {
  kty: "EC",
  crv: "P-256",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
  d: "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
};
const FIXED_JKT = "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U";

const NONCE_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const OTHER_SECRET = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

// ---------------------------------------------------------------------------------------
// Fixtures: jose key pairs for hand-made proofs, generated once per run (per page).

let fixturesPromise;
function fixtures() {
  fixturesPromise ??= (async () => {
    const pair = await jose.generateKeyPair("ES256", { extractable: true });
    const other = await jose.generateKeyPair("ES256", { extractable: true });
    return {
      privateKey: pair.privateKey,
      publicJwk: await jose.exportJWK(pair.publicKey),
      privateJwk: await jose.exportJWK(pair.privateKey),
      otherPrivateKey: other.privateKey,
    };
  })();
  return fixturesPromise;
}

// ---------------------------------------------------------------------------------------
// Helpers

const encoder = new TextEncoder();

function b64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** RFC 9449 §4.2: `ath` = base64url(SHA-256(ASCII(access token))), by WebCrypto. */
async function sha256B64url(text) {
  return b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
}

/** The decoded header and claims of a compact JWS, parsed here (not by the package). */
function decode(token) {
  const [header, payload] = token.split(".");
  const json = (part) => JSON.parse(new TextDecoder().decode(fromB64url(part)));
  return { header: json(header), payload: json(payload) };
}

function keysOf(object) {
  return Object.keys(object).sort().join(",");
}

/** Awaits `fn()`; a rejection becomes an Error that says which input was refused and why. */
async function resolves(fn, what) {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${what}: expected success, got ${err?.code ?? "an error"} (${err?.message ?? err})`);
  }
}

/** jose's verification of a DPoP proof: the embedded key, typ dpop+jwt, ES256, iat window. */
function joseVerify(proof, now = NOW) {
  return jose.jwtVerify(proof, jose.EmbeddedJWK, {
    typ: "dpop+jwt",
    algorithms: ["ES256"],
    maxTokenAge: 300,
    clockTolerance: 5,
    currentDate: new Date(now * 1000),
  });
}

/** Checks that jose, too, refuses a proof: the vector is bad for a reason both libraries see. */
async function joseRejects(proof, what) {
  let refused = false;
  try {
    await joseVerify(proof);
  } catch {
    refused = true;
  }
  ok(refused, `${what}: jose also rejects the proof`);
}

/** A proof signed by jose with the fixture key: for headers and claims DpopKey never makes. */
async function crafted({ header = {}, claims = {}, omit = [], signingKey } = {}) {
  const f = await fixtures();
  const body = { jti: b64url(crypto.getRandomValues(new Uint8Array(16))), htm: "POST", htu: TOKEN_URI, iat: NOW, ...claims };
  for (const name of omit) delete body[name];
  const protectedHeader = { alg: "ES256", typ: "dpop+jwt", jwk: f.publicJwk, ...header };
  for (const name of Object.keys(protectedHeader)) {
    if (protectedHeader[name] === undefined) delete protectedHeader[name];
  }
  const key = signingKey ?? (protectedHeader.alg === "HS256" ? new Uint8Array(32).fill(7) : f.privateKey);
  return new jose.SignJWT(body).setProtectedHeader(protectedHeader).sign(key);
}

function checkOptions(backend, extra = {}) {
  return { htm: "POST", htu: TOKEN_URI, currentTime: NOW, backend, ...extra };
}

/** Parses `DPoP a="b", c="d"` (RFC 9110 §11.6.1 auth-params with quoted strings). */
function parseChallenge(value) {
  const match = /^DPoP\s+(.*)$/.exec(value ?? "");
  ok(match, `WWW-Authenticate ${JSON.stringify(value)} is a DPoP challenge`);
  const params = {};
  const re = /\s*([A-Za-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/gy;
  let m;
  let consumed = 0;
  while ((m = re.exec(match[1])) !== null) {
    params[m[1]] = m[2].replace(/\\(.)/g, "$1");
    consumed = re.lastIndex;
    if (consumed === match[1].length) break;
  }
  equal(consumed, match[1].length, `every auth-param of ${JSON.stringify(value)} parses`);
  return params;
}

// ---------------------------------------------------------------------------------------
// Cases

const cases = [];
function add(name, run) {
  cases.push([name, run]);
}

// --- Keys --------------------------------------------------------------------------------

add("DpopKey has no public constructor: keys come from generate, importJwk and load", async (lib) => {
  await throwsCode(async () => new lib.DpopKey(), "invalid_option", "new DpopKey()");
  const key = await lib.DpopKey.generate();
  await throwsCode(async () => new lib.DpopKey(undefined, null, key.cryptoKey, key.publicJwk(), key.thumbprint), "invalid_option", "new DpopKey(…) with a key's parts");
  // What a key shows of itself is a copy: changing it changes no proof.
  const shown = key.publicJwk();
  shown.x = "changed";
  equal(decode(await key.proof({ htm: "GET", htu: TOKEN_URI })).header.jwk.x, key.publicJwk().x, "the proof's jwk");
  ok(key.publicJwk().x !== "changed", "publicJwk() is a fresh copy");
});

add("DpopKey.generate() defaults to a WebCrypto, non-extractable P-256 private key", async (lib) => {
  const key = await lib.DpopKey.generate();
  equal(key.backend, "webcrypto", "backend");
  const ck = key.cryptoKey;
  ok(ck instanceof CryptoKey, "cryptoKey is a CryptoKey");
  equal(ck.type, "private", "cryptoKey.type");
  equal(ck.extractable, false, "cryptoKey.extractable");
  equal(ck.algorithm.name, "ECDSA", "algorithm");
  equal(ck.algorithm.namedCurve, "P-256", "curve");
  ok(ck.usages.includes("sign"), "usages include sign");
  let exported = false;
  try {
    await crypto.subtle.exportKey("jwk", ck);
    exported = true;
  } catch {}
  ok(!exported, "WebCrypto refuses to export the private key");
});

add("DpopKey.generate({ extractable: true }): the CryptoKey is the private half of publicJwk()", async (lib) => {
  const key = await lib.DpopKey.generate({ backend: "webcrypto", extractable: true });
  equal(key.cryptoKey.extractable, true, "extractable");
  const exported = await crypto.subtle.exportKey("jwk", key.cryptoKey);
  ok(typeof exported.d === "string", "private JWK has d");
  const pub = key.publicJwk();
  equal(pub.x, exported.x, "x");
  equal(pub.y, exported.y, "y");
});

add("RFC 7638 §3, RFC 7515 A.3.1: importJwk of a fixed private JWK has a stable thumbprint equal to jose's", async (lib) => {
  const { d, ...publicMembers } = FIXED_JWK;
  const joseJkt = await jose.calculateJwkThumbprint(publicMembers);
  equal(joseJkt, FIXED_JKT, "jose thumbprint of the fixed key");
  const a = await lib.DpopKey.importJwk(FIXED_JWK);
  const b = await lib.DpopKey.importJwk({ ...FIXED_JWK });
  equal(a.thumbprint, joseJkt, "thumbprint = jose calculateJwkThumbprint");
  equal(b.thumbprint, a.thumbprint, "same key, same thumbprint");
  equal(a.backend, "wasm", "backend");
  equal(a.cryptoKey, undefined, "no CryptoKey for the wasm backend");
  const pub = a.publicJwk();
  equal(keysOf(pub), "crv,kty,x,y", "publicJwk members");
  equal(pub.x, FIXED_JWK.x, "x");
  equal(pub.y, FIXED_JWK.y, "y");
  // The proof is signed with the imported d: jose verifies it with the fixed public key
  // given out of band, not only with the key the proof carries.
  const proof = await a.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
  const fixedPublic = await jose.importJWK(publicMembers, "ES256");
  await resolves(() => jose.jwtVerify(proof, fixedPublic, { typ: "dpop+jwt", currentDate: new Date(NOW * 1000) }), "jose with the fixed public key");
  equal(await jose.calculateJwkThumbprint(decode(proof).header.jwk), FIXED_JKT, "thumbprint of the proof's jwk");
});

add("RFC 7517 §4.2–4.4: importJwk takes a key whose alg, use and key_ops allow signing ES256, and refuses one they do not", async (lib) => {
  for (const members of [{ alg: "ES256" }, { use: "sig" }, { key_ops: ["sign"] }, { key_ops: ["sign", "verify"] }]) {
    const key = await lib.DpopKey.importJwk({ ...FIXED_JWK, ...members });
    equal(key.thumbprint, FIXED_JKT, `${JSON.stringify(members)}: thumbprint`);
  }
  for (const members of [{ alg: "RS256" }, { alg: "ES384" }, { use: "enc" }, { key_ops: ["verify"] }, { key_ops: ["encrypt"] }]) {
    await throwsCode(() => lib.DpopKey.importJwk({ ...FIXED_JWK, ...members }), "key_alg_mismatch", JSON.stringify(members));
  }
  // Its JSON text is taken too; text that is no JWK is the JSON parser's error.
  equal((await lib.DpopKey.importJwk(JSON.stringify(FIXED_JWK))).thumbprint, FIXED_JKT, "as JSON text");
  await throwsCode(() => lib.DpopKey.importJwk(""), "json_invalid", "empty text");
});

add("importJwk refuses a public-only JWK and a non-P-256 key", async (lib) => {
  const { d, ...publicMembers } = FIXED_JWK;
  await throwsCode(() => lib.DpopKey.importJwk(publicMembers), "jwk_invalid", "public P-256 JWK");
  const p384 = await jose.exportJWK((await jose.generateKeyPair("ES384", { extractable: true })).privateKey);
  let code;
  try {
    await lib.DpopKey.importJwk(p384);
  } catch (err) {
    code = err.code;
  }
  ok(code === "jwk_invalid" || code === "jwk_unsupported", `P-384 private JWK refused (code ${code})`);
});

add("importJwk refuses a private key that is not the public key's, and a point off the curve", async (lib) => {
  // The shapes are right; the checks need curve arithmetic, done by the pure-Rust module.
  const other = await jose.exportJWK((await jose.generateKeyPair("ES256", { extractable: true })).privateKey);
  let thrown;
  try {
    await lib.DpopKey.importJwk({ ...FIXED_JWK, d: other.d });
  } catch (err) {
    thrown = err;
  }
  equal(thrown?.code, "jwk_invalid", "d of another key: code");
  ok(/does not match/.test(thrown.message), `d of another key: message (${thrown.message})`);
  await throwsCode(() => lib.DpopKey.importJwk({ ...FIXED_JWK, y: FIXED_JWK.x }), "jwk_invalid", "point off the curve");
});

add("DpopKey.save refuses wasm-backend keys with invalid_option", async (lib) => {
  const key = await lib.DpopKey.generate({ backend: "wasm" });
  await throwsCode(() => key.save("wasm-key"), "invalid_option", "save of a wasm key");
  const imported = await lib.DpopKey.importJwk(FIXED_JWK);
  await throwsCode(() => imported.save("imported-key"), "invalid_option", "save of an imported key");
});

add("DpopKey.generate refuses an unknown backend and unknown options with invalid_option", async (lib) => {
  await throwsCode(() => lib.DpopKey.generate({ backend: "hsm" }), "invalid_option", "backend hsm");
  await throwsCode(() => lib.DpopKey.generate({ extractible: true }), "invalid_option", "misspelt option");
});

add("RFC 9449 §7.1: ath of the RFC's example access token", async () => {
  // Guards the independent hash helper the other cases rely on.
  equal(await sha256B64url(ACCESS_TOKEN), ACCESS_TOKEN_ATH, "WebCrypto SHA-256 of the example token");
});

for (const backend of BACKENDS) {
  const tag = `[${backend}]`;
  const newKey = (lib) => lib.DpopKey.generate({ backend });

  // --- Proofs made here, checked by jose ------------------------------------------------

  add(`RFC 9449 §4.2: a proof made here verifies with jose (EmbeddedJWK, typ dpop+jwt, ES256) and every claim is as specified ${tag}`, async (lib) => {
    const key = await newKey(lib);
    equal(key.backend, backend, "backend");
    const proof = await key.proof({
      htm: "GET",
      htu: "HTTPS://Resource.Example.ORG:443/protectedresource?limit=10#top",
      accessToken: ACCESS_TOKEN,
      nonce: "eyJ7S_zG.eyJH0-Z.HX4w-7v",
      iat: NOW,
    });
    const { payload, protectedHeader } = await resolves(() => joseVerify(proof), "jose jwtVerify");
    equal(keysOf(protectedHeader), "alg,jwk,typ", "header members");
    equal(protectedHeader.typ, "dpop+jwt", "typ");
    equal(protectedHeader.alg, "ES256", "alg");
    equal(keysOf(payload), "ath,htm,htu,iat,jti,nonce", "claims");
    equal(payload.htm, "GET", "htm");
    equal(payload.htu, RESOURCE_URI, "htu: scheme and host lower-cased, default port, query and fragment dropped");
    equal(payload.iat, NOW, "iat");
    equal(payload.ath, await sha256B64url(ACCESS_TOKEN), "ath = base64url(SHA-256(access token)), by WebCrypto");
    equal(payload.ath, ACCESS_TOKEN_ATH, "ath = the RFC 9449 §7.1 example value");
    equal(payload.nonce, "eyJ7S_zG.eyJH0-Z.HX4w-7v", "nonce");
    ok(typeof payload.jti === "string" && BASE64URL.test(payload.jti), "jti is base64url");
    ok(fromB64url(payload.jti).length >= 12, "jti carries at least 96 bits (RFC 9449 §4.2)");
    // The bytes jose checked are the bytes on the wire.
    const raw = decode(proof);
    equal(JSON.stringify(raw.payload), JSON.stringify(payload), "payload as decoded here");
  });

  add(`RFC 9449 §4.2, RFC 7638 §3: the header jwk has only kty, crv, x, y, and its thumbprint = key.thumbprint = jose's ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const proof = await key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
    const { jwk } = jose.decodeProtectedHeader(proof);
    equal(keysOf(jwk), "crv,kty,x,y", "jwk members");
    equal(jwk.kty, "EC", "kty");
    equal(jwk.crv, "P-256", "crv");
    ok(fromB64url(jwk.x).length === 32 && fromB64url(jwk.y).length === 32, "x and y are 32 bytes");
    equal(JSON.stringify(Object.entries(key.publicJwk()).sort()), JSON.stringify(Object.entries(jwk).sort()), "publicJwk() = header jwk");
    const joseJkt = await jose.calculateJwkThumbprint(jwk);
    equal(key.thumbprint, joseJkt, "key.thumbprint = jose calculateJwkThumbprint(header jwk)");
    ok(BASE64URL.test(key.thumbprint) && key.thumbprint.length === 43, "thumbprint is 43 base64url characters");
    const checked = await resolves(() => lib.verifyDpopProof(proof, checkOptions(backend)), "verifyDpopProof");
    equal(checked.jkt, joseJkt, "verifyDpopProof jkt");
  });

  add(`RFC 9449 §4.2: without accessToken or nonce there is no ath or nonce, and each proof has a fresh jti ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const proofs = await Promise.all(Array.from({ length: 20 }, () => key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW })));
    for (const proof of proofs) {
      const { payload } = await resolves(() => joseVerify(proof), "jose jwtVerify");
      equal(keysOf(payload), "htm,htu,iat,jti", "claims");
      equal(payload.htu, TOKEN_URI, "htu");
    }
    const jtis = new Set(proofs.map((p) => decode(p).payload.jti));
    equal(jtis.size, 20, "20 distinct jti");
    const now = Math.floor(Date.now() / 1000);
    const live = decode(await key.proof({ htm: "POST", htu: TOKEN_URI })).payload.iat;
    ok(Number.isInteger(live) && Math.abs(live - now) <= 2, `iat defaults to now (${live} vs ${now})`);
  });

  add(`RFC 9449 §4.2: htu is the URI fetch sends, without query and fragment: dot segments resolved, escapes upper-cased, and checked equal by verifyDpopProof ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const htuOf = async (uri) => decode(await key.proof({ htm: "GET", htu: uri, iat: NOW })).payload.htu;
    const cases = [
      ["https://API.example.com:443/a/./b/../c%2fd?x=1#f", "https://api.example.com/a/c%2Fd"],
      ["http://api.example.com:80", "http://api.example.com/"],
      ["http://127.0.0.1:8787/token", "http://127.0.0.1:8787/token"],
      ["https://[::1]:8443/r", "https://[::1]:8443/r"],
    ];
    for (const [given, expected] of cases) {
      equal(await htuOf(given), expected, given);
      // The request URI as a server sees it is equivalent (RFC 9449 §4.3 step 9).
      await resolves(
        async () => lib.verifyDpopProof(await key.proof({ htm: "GET", htu: given, iat: NOW }), checkOptions(backend, { htm: "GET", htu: expected })),
        `verifyDpopProof of ${given}`,
      );
    }
    equal(await htuOf(RESOURCE_URI), RESOURCE_URI, "a URI without query and fragment is kept as it is");
  });

  add(`RFC 9449 §4.2: ath follows the access token of each proof, tokens alternating on one key, concurrently too ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const tokens = [ACCESS_TOKEN, "another-token", "", ACCESS_TOKEN, "another-token"];
    const proofs = await Promise.all(tokens.map((accessToken) => key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken })));
    for (const [i, proof] of proofs.entries()) {
      equal(decode(proof).payload.ath, await sha256B64url(tokens[i]), `proof ${i}`);
    }
    for (const accessToken of tokens) {
      equal(decode(await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken })).payload.ath, await sha256B64url(accessToken), `in turn: ${accessToken}`);
    }
  });

  add(`RFC 9449 §4.2: proof() refuses user information, spaces and over-long URIs in htu, and an htm that is no method token ${tag}`, async (lib) => {
    const key = await newKey(lib);
    await throwsCode(() => key.proof({ htm: "GET", htu: "https://user:pw@api.example.com/r" }), "dpop_invalid_uri", "user information");
    await throwsCode(() => key.proof({ htm: "GET", htu: "https://api.example.com/a b" }), "dpop_invalid_uri", "a space");
    await throwsCode(() => key.proof({ htm: "GET", htu: `https://api.example.com/${"a".repeat(4096)}` }), "dpop_invalid_uri", "over 4096 bytes");
    await throwsCode(() => key.proof({ htm: "GET", htu: "javascript:alert(1)" }), "dpop_invalid_uri", "a javascript: URI");
    await throwsCode(() => key.proof({ htm: "GET POST", htu: TOKEN_URI }), "dpop_htm_mismatch", "two methods");
    await throwsCode(() => key.proof({ htm: "", htu: TOKEN_URI }), "dpop_htm_mismatch", "no method");
    await throwsCode(() => key.proof({ htu: TOKEN_URI }), "invalid_option", "htm missing");
    await throwsCode(() => key.proof({ htm: "GET", htu: TOKEN_URI, iat: 1.5 }), "invalid_option", "a fractional iat");
    await throwsCode(() => key.proof({ htm: "GET", htu: TOKEN_URI, nonce: 7 }), "invalid_option", "a nonce that is no string");
    // The core refuses these as request URIs (src/dpop/htu.rs): a proof naming one would never pass.
    await throwsCode(() => key.proof({ htm: "GET", htu: "https://api.example.com/a%zz" }), "dpop_invalid_uri", "a broken escape");
    await throwsCode(() => key.proof({ htm: "GET", htu: "https://api.example.com/a%" }), "dpop_invalid_uri", "a bare %");
    // Under 4096 bytes as given, over once the parser has escaped it.
    await throwsCode(() => key.proof({ htm: "GET", htu: `https://api.example.com/${"\"".repeat(1400)}` }), "dpop_invalid_uri", "long once escaped");
    // RFC 9449 §8.1: a nonce is 1*NQCHAR.
    for (const nonce of ["", "a b", 'a"b', "\ud800", "é", "n".repeat(4097)]) {
      await throwsCode(() => key.proof({ htm: "GET", htu: TOKEN_URI, nonce }), "invalid_option", `nonce ${JSON.stringify(nonce.slice(0, 10))}`);
    }
    equal(decode(await key.proof({ htm: "GET", htu: TOKEN_URI, nonce: "n".repeat(4096) })).payload.nonce.length, 4096, "a 4096-character nonce");
    // Options are read once each, by name, and checked: an inherited one counts as an own one
    // does (never skipped, never unchecked).
    const inherited = Object.assign(Object.create({ accessToken: "x", nonce: "n" }), { htm: "GET", htu: TOKEN_URI });
    const withInherited = decode(await key.proof(inherited)).payload;
    equal(withInherited.ath, await sha256B64url("x"), "an inherited accessToken");
    equal(withInherited.nonce, "n", "an inherited nonce");
    await throwsCode(() => key.proof(Object.assign(Object.create({ nonce: {} }), { htm: "GET", htu: TOKEN_URI })), "invalid_option", "an inherited nonce of the wrong type");
    const bare = Object.assign(Object.create(null), { htm: "GET", htu: TOKEN_URI });
    ok(!("ath" in decode(await key.proof(bare)).payload), "Object.create(null) options");
    equal(decode(await key.proof({ htm: "GET", htu: TOKEN_URI, iat: NOW })).payload.iat, NOW, "a plain literal");
  });

  add(`RFC 9449 §4.2: proof() refuses a non-HTTP htu with dpop_invalid_uri ${tag}`, async (lib) => {
    const key = await newKey(lib);
    await throwsCode(() => key.proof({ htm: "POST", htu: "ftp://server.example.com/token" }), "dpop_invalid_uri", "ftp URI");
    await throwsCode(() => key.proof({ htm: "POST", htu: "/token" }), "dpop_invalid_uri", "relative URI");
  });

  // --- Proofs checked here ----------------------------------------------------------------

  add(`RFC 9449 §5 Figure 5, §6.1: the RFC's example proof verifies at its iat, jkt = the §6.1 cnf.jkt, as in jose ${tag}`, async (lib) => {
    const { payload } = await resolves(() => joseVerify(RFC9449_PROOF, RFC9449_IAT + 10), "jose");
    equal(payload.jti, "-BwC3ESc6acc2lTc", "jose sees the jti");
    const checked = await resolves(
      () => lib.verifyDpopProof(RFC9449_PROOF, checkOptions(backend, { currentTime: RFC9449_IAT + 10, replayCheck: false })),
      "verifyDpopProof",
    );
    equal(checked.jkt, RFC9449_JKT, "jkt");
    equal(checked.jkt, await jose.calculateJwkThumbprint(jose.decodeProtectedHeader(RFC9449_PROOF).jwk), "jkt = jose's");
    equal(checked.jti, "-BwC3ESc6acc2lTc", "jti");
    equal(checked.iat, RFC9449_IAT, "iat");
    await throwsCode(
      () => lib.verifyDpopProof(RFC9449_PROOF, checkOptions(backend, { replayCheck: false })),
      "dpop_iat_too_old",
      "the same proof years later",
    );
  });

  add(`RFC 9449 §4.3: proofs from webcrypto and wasm keys verify here, with their jkt, jti and iat ${tag}`, async (lib) => {
    for (const keyBackend of BACKENDS) {
      const key = await lib.DpopKey.generate({ backend: keyBackend });
      const proof = await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, iat: NOW - 3 });
      const checked = await resolves(
        () => lib.verifyDpopProof(proof, checkOptions(backend, { htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, jkt: key.thumbprint })),
        `${keyBackend} key`,
      );
      equal(keysOf(checked), "iat,jkt,jti", "result members");
      equal(checked.jkt, key.thumbprint, `${keyBackend} key: jkt`);
      equal(checked.jti, decode(proof).payload.jti, `${keyBackend} key: jti`);
      equal(checked.iat, NOW - 3, `${keyBackend} key: iat`);
    }
  });

  add(`RFC 9449 §4.2, §4.3: proofs made by the dpop package (generateProof) verify, jkt = jose calculateJwkThumbprint ${tag}`, async (lib) => {
    const pair = await dpop.generateKeyPair("ES256");
    const expectedJkt = await jose.calculateJwkThumbprint(await jose.exportJWK(pair.publicKey));
    equal(await dpop.calculateThumbprint(pair.publicKey), expectedJkt, "dpop and jose agree on the thumbprint");
    // A token request: no token, no nonce (real clock: the dpop package sets iat itself).
    const tokenProof = await dpop.generateProof(pair, TOKEN_URI, "POST");
    const atToken = await resolves(() => lib.verifyDpopProof(tokenProof, { htm: "POST", htu: TOKEN_URI, backend }), "token request");
    equal(atToken.jkt, expectedJkt, "token request: jkt");
    equal(atToken.jti, decode(tokenProof).payload.jti, "token request: jti");
    equal(atToken.iat, decode(tokenProof).payload.iat, "token request: iat");
    // A resource request with an access token and a server nonce, checked against the token's
    // cnf.jkt; the request URI carries a query the proof leaves out (§4.3 step 9).
    const nonce = lib.dpopNonce(NONCE_SECRET, {});
    const resourceProof = await dpop.generateProof(pair, RESOURCE_URI, "GET", nonce, ACCESS_TOKEN);
    equal(decode(resourceProof).payload.ath, ACCESS_TOKEN_ATH, "the dpop package's ath is the RFC value");
    const atResource = await resolves(
      () => lib.verifyDpopProof(resourceProof, {
        htm: "GET", htu: `${RESOURCE_URI}?page=2`, accessToken: ACCESS_TOKEN, nonceSecret: NONCE_SECRET, jkt: expectedJkt, backend,
      }),
      "resource request",
    );
    equal(atResource.jkt, expectedJkt, "resource request: jkt");
  });

  // --- Rejections ---------------------------------------------------------------------------

  add(`RFC 9449 §11.1, §4.3: the same proof twice is refused with dpop_replay, under either backend ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const proof = await key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
    await resolves(() => lib.verifyDpopProof(proof, checkOptions(backend)), "first use");
    await throwsCode(() => lib.verifyDpopProof(proof, checkOptions(backend)), "dpop_replay", "second use");
    const other = backend === "wasm" ? "webcrypto" : "wasm";
    await throwsCode(() => lib.verifyDpopProof(proof, checkOptions(other)), "dpop_replay", `second use, ${other} backend`);
    // replayCheck: false is for servers that record jti themselves.
    await resolves(() => lib.verifyDpopProof(proof, checkOptions(backend, { replayCheck: false })), "replayCheck false");
    // The dpop package's proofs are single use too.
    const pair = await dpop.generateKeyPair("ES256");
    const theirs = await dpop.generateProof(pair, TOKEN_URI, "POST");
    await resolves(() => lib.verifyDpopProof(theirs, { htm: "POST", htu: TOKEN_URI, backend }), "dpop package proof, first use");
    await throwsCode(() => lib.verifyDpopProof(theirs, { htm: "POST", htu: TOKEN_URI, backend }), "dpop_replay", "dpop package proof, second use");
  });

  add(`RFC 9449 §4.3 step 8: a proof for another method is refused with dpop_htm_mismatch ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const proof = () => key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
    await throwsCode(async () => lib.verifyDpopProof(await proof(), checkOptions(backend, { htm: "GET" })), "dpop_htm_mismatch", "POST proof, GET request");
    // RFC 9110 §9.1: methods are case-sensitive.
    await throwsCode(async () => lib.verifyDpopProof(await proof(), checkOptions(backend, { htm: "post" })), "dpop_htm_mismatch", "POST proof, post request");
  });

  add(`RFC 9449 §4.3 step 9: a proof for another URI is refused with dpop_htu_mismatch; equivalent URIs pass ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const proof = () => key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
    for (const uri of [
      "https://server.example.com/other",
      "https://evil.example.com/token",
      "http://server.example.com/token",
      "https://server.example.com:8443/token",
      "https://server.example.com/token/",
    ]) {
      await throwsCode(async () => lib.verifyDpopProof(await proof(), checkOptions(backend, { htu: uri })), "dpop_htu_mismatch", uri);
    }
    for (const uri of [
      "https://server.example.com/token?code=abc",
      "https://server.example.com/token#x",
      "HTTPS://SERVER.example.com:443/token",
    ]) {
      await resolves(async () => lib.verifyDpopProof(await proof(), checkOptions(backend, { htu: uri })), uri);
    }
    await throwsCode(async () => lib.verifyDpopProof(await proof(), checkOptions(backend, { htu: "/token" })), "dpop_invalid_uri", "relative request URI");
  });

  add(`RFC 9449 §4.3 step 11, §11.1: a stale iat is refused with dpop_iat_too_old; maxTokenAge, as jose names it, sets the window ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const at = (iat) => key.proof({ htm: "POST", htu: TOKEN_URI, iat });
    await throwsCode(async () => lib.verifyDpopProof(await at(NOW - 400), checkOptions(backend)), "dpop_iat_too_old", "400 s old, default maxTokenAge 300");
    await throwsCode(async () => lib.verifyDpopProof(await at(NOW - 3600), checkOptions(backend)), "dpop_iat_too_old", "an hour old");
    await throwsCode(async () => lib.verifyDpopProof(await at(NOW - 120), checkOptions(backend, { maxTokenAge: 60 })), "dpop_iat_too_old", "120 s old, maxTokenAge 60");
    await resolves(async () => lib.verifyDpopProof(await at(NOW - 300), checkOptions(backend)), "300 s old, default maxTokenAge 300");
    await resolves(async () => lib.verifyDpopProof(await at(NOW - 50), checkOptions(backend, { maxTokenAge: 60 })), "50 s old, maxTokenAge 60");
    // The old name is an unknown option now, not a window silently left at its default.
    await throwsCode(async () => lib.verifyDpopProof(await at(NOW - 50), checkOptions(backend, { maxAge: 60 })), "invalid_option", "maxAge");
  });

  add(`RFC 9449 §4.3 step 11: an iat in the future is refused with dpop_iat_in_future ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const at = (iat) => key.proof({ htm: "POST", htu: TOKEN_URI, iat });
    await throwsCode(async () => lib.verifyDpopProof(await at(NOW + 60), checkOptions(backend)), "dpop_iat_in_future", "60 s ahead");
    await resolves(async () => lib.verifyDpopProof(await at(NOW + 3), checkOptions(backend)), "3 s ahead, within the default 5 s tolerance");
    await throwsCode(async () => lib.verifyDpopProof(await at(NOW + 3), checkOptions(backend, { clockTolerance: 0 })), "dpop_iat_in_future", "3 s ahead, tolerance 0");
  });

  add(`RFC 9449 §4.3 step 7: a jwk header with the private key (d) is refused with dpop_jwk_private ${tag}`, async (lib) => {
    const f = await fixtures();
    ok(typeof f.privateJwk.d === "string", "the crafted jwk has d");
    const proof = await crafted({ header: { jwk: f.privateJwk } });
    equal(jose.decodeProtectedHeader(proof).jwk.d, f.privateJwk.d, "d is in the proof header");
    await throwsCode(() => lib.verifyDpopProof(proof, checkOptions(backend)), "dpop_jwk_private", "jwk with d");
    await joseRejects(proof, "jwk with d");
    // The same proof with the public members only is fine: d is the only difference.
    await resolves(async () => lib.verifyDpopProof(await crafted(), checkOptions(backend)), "public jwk");
  });

  add(`RFC 9449 §4.3 step 12: a wrong ath is refused with dpop_ath_mismatch, a missing one with dpop_ath_missing ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const options = checkOptions(backend, { htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, jkt: key.thumbprint });
    const forOtherToken = await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: "another-token", iat: NOW });
    await throwsCode(() => lib.verifyDpopProof(forOtherToken, options), "dpop_ath_mismatch", "ath of another token");
    const withoutAth = await key.proof({ htm: "GET", htu: RESOURCE_URI, iat: NOW });
    await throwsCode(() => lib.verifyDpopProof(withoutAth, options), "dpop_ath_missing", "no ath");
    // jose-signed: an ath that is the token itself rather than its hash.
    const joseOptions = { ...options, jkt: await jose.calculateJwkThumbprint((await fixtures()).publicJwk) };
    const plain = await crafted({ claims: { htm: "GET", htu: RESOURCE_URI, ath: ACCESS_TOKEN } });
    await throwsCode(() => lib.verifyDpopProof(plain, joseOptions), "dpop_ath_mismatch", "ath = the token, unhashed");
    const good = await crafted({ claims: { htm: "GET", htu: RESOURCE_URI, ath: ACCESS_TOKEN_ATH } });
    await resolves(() => lib.verifyDpopProof(good, joseOptions), "jose-signed proof with the right ath");
  });

  add(`RFC 9449 §7.1: a proof checked for an access token needs the token's jkt; without it, invalid_option rather than no binding check ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const proof = await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, iat: NOW });
    const options = checkOptions(backend, { htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, replayCheck: false });
    await throwsCode(() => lib.verifyDpopProof(proof, options), "invalid_option", "accessToken without jkt");
    await resolves(() => lib.verifyDpopProof(proof, { ...options, jkt: key.thumbprint }), "with the token's jkt");
    // Without an access token (a token endpoint), jkt stays optional.
    await resolves(async () => lib.verifyDpopProof(await key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW }), checkOptions(backend)), "token endpoint");
  });

  add(`RFC 9449 §4.3 step 10, §8: a missing nonce is refused with dpop_nonce_required ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const proof = () => key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
    await throwsCode(async () => lib.verifyDpopProof(await proof(), checkOptions(backend, { nonceSecret: NONCE_SECRET })), "dpop_nonce_required", "nonceSecret");
    await throwsCode(async () => lib.verifyDpopProof(await proof(), checkOptions(backend, { nonce: "n-123" })), "dpop_nonce_required", "exact nonce");
  });

  add(`RFC 9449 §4.3 step 10, §8: a stale, foreign or wrong nonce is refused with dpop_nonce_invalid ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const withNonce = (nonce) => key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW, nonce });
    const stateless = checkOptions(backend, { nonceSecret: NONCE_SECRET, nonceStep: 300 });
    const current = lib.dpopNonce(NONCE_SECRET, { nonceStep: 300, currentTime: NOW });
    const previous = lib.dpopNonce(NONCE_SECRET, { nonceStep: 300, currentTime: NOW - 300 });
    const stale = lib.dpopNonce(NONCE_SECRET, { nonceStep: 300, currentTime: NOW - 900 });
    const foreign = lib.dpopNonce(OTHER_SECRET, { nonceStep: 300, currentTime: NOW });
    ok(current !== previous && previous !== stale && current !== foreign, "nonces differ by step and secret");
    await resolves(async () => lib.verifyDpopProof(await withNonce(current), stateless), "current step");
    await resolves(async () => lib.verifyDpopProof(await withNonce(previous), stateless), "previous step");
    await throwsCode(async () => lib.verifyDpopProof(await withNonce(stale), stateless), "dpop_nonce_invalid", "three steps old");
    await throwsCode(async () => lib.verifyDpopProof(await withNonce(foreign), stateless), "dpop_nonce_invalid", "another server's secret");
    await throwsCode(async () => lib.verifyDpopProof(await withNonce(current + "x"), stateless), "dpop_nonce_invalid", "altered nonce");
    await throwsCode(async () => lib.verifyDpopProof(await withNonce("n-124"), checkOptions(backend, { nonce: "n-123" })), "dpop_nonce_invalid", "exact nonce, other value");
    await resolves(async () => lib.verifyDpopProof(await withNonce("n-123"), checkOptions(backend, { nonce: "n-123" })), "exact nonce, same value");
  });

  add(`RFC 9449 §4.3 step 12, §6.1: a proof by another key than the token's cnf.jkt is refused with dpop_key_mismatch ${tag}`, async (lib) => {
    const bound = await newKey(lib);
    const thief = await newKey(lib);
    const options = (jkt) => checkOptions(backend, { htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, jkt });
    const stolen = await thief.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, iat: NOW });
    await throwsCode(() => lib.verifyDpopProof(stolen, options(bound.thumbprint)), "dpop_key_mismatch", "token bound to another key");
    await throwsCode(() => lib.verifyDpopProof(stolen, options(RFC9449_JKT)), "dpop_key_mismatch", "token bound to the RFC key");
    const own = await bound.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, iat: NOW });
    await resolves(() => lib.verifyDpopProof(own, options(bound.thumbprint)), "the bound key");
  });

  add(`RFC 9449 §4.3 step 1: two DPoP header values are refused with dpop_header_count ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const a = await key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
    const b = await key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
    await throwsCode(() => lib.verifyDpopProof([a, b], checkOptions(backend)), "dpop_header_count", "two proofs in an array");
    await throwsCode(() => lib.verifyDpopProof([a, a], checkOptions(backend)), "dpop_header_count", "the same proof twice in an array");
    // RFC 9110 §5.3: an HTTP stack may join repeated fields with a comma.
    await throwsCode(() => lib.verifyDpopProof(`${a}, ${b}`, checkOptions(backend)), "dpop_header_count", "two proofs joined by a comma");
    await throwsCode(() => lib.verifyDpopProof([], checkOptions(backend)), "dpop_header_count", "no proof");
    await throwsCode(() => lib.verifyDpopProof(undefined, checkOptions(backend)), "dpop_header_count", "undefined");
    const one = await resolves(() => lib.verifyDpopProof([a], checkOptions(backend)), "one proof in an array");
    equal(one.jti, decode(a).payload.jti, "jti of the single proof");
  });

  add(`RFC 9449 §4.3 step 4: typ JWT (or no typ) is refused with dpop_typ ${tag}`, async (lib) => {
    const jwtTyp = await crafted({ header: { typ: "JWT" } });
    await throwsCode(() => lib.verifyDpopProof(jwtTyp, checkOptions(backend)), "dpop_typ", "typ JWT");
    await joseRejects(jwtTyp, "typ JWT");
    const noTyp = await crafted({ header: { typ: undefined } });
    await throwsCode(() => lib.verifyDpopProof(noTyp, checkOptions(backend)), "dpop_typ", "no typ");
    // The control: the same fixture with typ dpop+jwt passes both libraries.
    const good = await crafted();
    await resolves(() => joseVerify(good), "jose accepts the control");
    await resolves(() => lib.verifyDpopProof(good, checkOptions(backend)), "control");
  });

  add(`RFC 9449 §4.3 step 5: alg HS256 is refused with alg_not_allowed, as is an alg outside algorithms ${tag}`, async (lib) => {
    const hs = await crafted({ header: { alg: "HS256" } });
    equal(jose.decodeProtectedHeader(hs).alg, "HS256", "the crafted proof is HS256");
    await throwsCode(() => lib.verifyDpopProof(hs, checkOptions(backend)), "alg_not_allowed", "HS256");
    await joseRejects(hs, "HS256");
    const key = await newKey(lib);
    const es256 = await key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW });
    await throwsCode(() => lib.verifyDpopProof(es256, checkOptions(backend, { algorithms: ["ES384", "EdDSA"] })), "alg_not_allowed", "ES256 with algorithms ES384, EdDSA");
    await resolves(() => lib.verifyDpopProof(es256, checkOptions(backend, { algorithms: ["ES256"] })), "ES256 with algorithms ES256");
  });

  add(`RFC 9449 §4.3 step 6: a proof not signed by its jwk is refused with signature_invalid ${tag}`, async (lib) => {
    const f = await fixtures();
    const forged = await crafted({ signingKey: f.otherPrivateKey });
    await throwsCode(() => lib.verifyDpopProof(forged, checkOptions(backend)), "signature_invalid", "signed by another key");
    await joseRejects(forged, "signed by another key");
    // A proof made here with one claim changed after signing.
    const key = await newKey(lib);
    const [h, p, s] = (await key.proof({ htm: "POST", htu: TOKEN_URI, iat: NOW })).split(".");
    const claims = JSON.parse(new TextDecoder().decode(fromB64url(p)));
    claims.htm = "PUT";
    const tampered = `${h}.${b64url(encoder.encode(JSON.stringify(claims)))}.${s}`;
    await throwsCode(() => lib.verifyDpopProof(tampered, checkOptions(backend, { htm: "PUT" })), "signature_invalid", "htm changed after signing");
    await joseRejects(tampered, "htm changed after signing");
  });

  add(`RFC 9449 §4.3 step 3, §4.2: a proof without jwk, jti, htm, htu or iat is refused ${tag}`, async (lib) => {
    await throwsCode(async () => lib.verifyDpopProof(await crafted({ header: { jwk: undefined } }), checkOptions(backend)), "dpop_jwk_missing", "no jwk");
    for (const claim of ["jti", "htm", "htu", "iat"]) {
      const proof = await crafted({ omit: [claim] });
      ok(!(claim in decode(proof).payload), `${claim} is absent`);
      await throwsCode(() => lib.verifyDpopProof(proof, checkOptions(backend)), "jwt_claim_missing", `no ${claim}`);
    }
  });

  // --- Error responses ----------------------------------------------------------------------

  add(`RFC 9449 §9, §8: use_dpop_nonce at a resource server is 401 with a DPoP-Nonce that the same secret accepts on retry ${tag}`, async (lib) => {
    const key = await newKey(lib);
    const request = { htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, jkt: key.thumbprint, nonceSecret: NONCE_SECRET, currentTime: NOW, backend };
    const first = await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, iat: NOW });
    let error;
    try {
      await lib.verifyDpopProof(first, request);
    } catch (err) {
      error = err;
    }
    equal(error?.code, "dpop_nonce_required", "first attempt, no nonce");
    const response = lib.dpopErrorResponse(error, { endpoint: "resource", nonceSecret: NONCE_SECRET, currentTime: NOW, algorithms: ["ES256"] });
    equal(response.status, 401, "status");
    const challenge = parseChallenge(response.headers["WWW-Authenticate"]);
    equal(challenge.error, "use_dpop_nonce", "challenge error");
    equal(challenge.algs, "ES256", "challenge algs");
    equal(response.body.error, "use_dpop_nonce", "body.error");
    const nonce = response.headers["DPoP-Nonce"];
    ok(typeof nonce === "string" && nonce.length > 0, "DPoP-Nonce header");
    // RFC 9449 §8.1: the nonce is a NQCHAR string, and must not be predictable from the time
    // alone: another secret gives another nonce.
    ok(/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(nonce), "nonce is NQCHAR");
    ok(nonce !== lib.dpopNonce(OTHER_SECRET, { currentTime: NOW }), "nonce depends on the secret");
    const retry = await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, nonce, iat: NOW });
    const checked = await resolves(() => lib.verifyDpopProof(retry, request), "retry with the DPoP-Nonce");
    equal(checked.jkt, key.thumbprint, "jkt");
    // The same nonce still passes one step later, and not three steps later.
    const later = await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, nonce, iat: NOW + 300 });
    await resolves(() => lib.verifyDpopProof(later, { ...request, currentTime: NOW + 300 }), "one step later");
    const muchLater = await key.proof({ htm: "GET", htu: RESOURCE_URI, accessToken: ACCESS_TOKEN, nonce, iat: NOW + 900 });
    await throwsCode(() => lib.verifyDpopProof(muchLater, { ...request, currentTime: NOW + 900 }), "dpop_nonce_invalid", "three steps later");
  });

  add(`RFC 9449 §8: use_dpop_nonce at the token endpoint is 400 JSON with a DPoP-Nonce accepted on retry ${tag}`, async (lib) => {
    const pair = await dpop.generateKeyPair("ES256");
    const request = { htm: "POST", htu: TOKEN_URI, nonceSecret: NONCE_SECRET, backend };
    let error;
    try {
      await lib.verifyDpopProof(await dpop.generateProof(pair, TOKEN_URI, "POST", "made-up-nonce"), request);
    } catch (err) {
      error = err;
    }
    equal(error?.code, "dpop_nonce_invalid", "first attempt, unknown nonce");
    const response = lib.dpopErrorResponse(error, { endpoint: "token", nonceSecret: NONCE_SECRET });
    equal(response.status, 400, "status");
    equal(response.body.error, "use_dpop_nonce", "body.error");
    equal(response.headers["WWW-Authenticate"], undefined, "no WWW-Authenticate at the token endpoint");
    ok(/^application\/json/.test(response.headers["Content-Type"] ?? ""), "Content-Type JSON");
    equal(response.headers["Cache-Control"], "no-store", "Cache-Control");
    const nonce = response.headers["DPoP-Nonce"];
    ok(typeof nonce === "string" && nonce.length > 0, "DPoP-Nonce header");
    const retry = await dpop.generateProof(pair, TOKEN_URI, "POST", nonce);
    const checked = await resolves(() => lib.verifyDpopProof(retry, request), "retry with the DPoP-Nonce");
    equal(checked.jkt, await jose.calculateJwkThumbprint(await jose.exportJWK(pair.publicKey)), "jkt");
  });
}

add("RFC 9449 §7.1: invalid_dpop_proof at a resource server is 401 with a DPoP challenge naming the algorithms, and no nonce", async (lib) => {
  const key = await lib.DpopKey.generate();
  const proof = await key.proof({ htm: "GET", htu: RESOURCE_URI, iat: NOW });
  const options = { htm: "GET", htu: RESOURCE_URI, currentTime: NOW };
  await lib.verifyDpopProof(proof, options);
  let error;
  try {
    await lib.verifyDpopProof(proof, options);
  } catch (err) {
    error = err;
  }
  equal(error?.code, "dpop_replay", "replayed proof");
  const response = lib.dpopErrorResponse(error, { algorithms: ["ES256", "EdDSA"], nonceSecret: NONCE_SECRET, currentTime: NOW });
  equal(response.status, 401, "status");
  const challenge = parseChallenge(response.headers["WWW-Authenticate"]);
  equal(challenge.error, "invalid_dpop_proof", "challenge error");
  equal(challenge.algs, "ES256 EdDSA", "challenge algs");
  equal(response.body.error, "invalid_dpop_proof", "body.error");
  equal(response.headers["DPoP-Nonce"], undefined, "no DPoP-Nonce for invalid_dpop_proof");
  // Without `algorithms`, the challenge still lists what verifyDpopProof accepts (ES256 at least).
  const plain = parseChallenge(lib.dpopErrorResponse(error, {}).headers["WWW-Authenticate"]);
  ok(plain.algs.split(" ").includes("ES256"), `default algs include ES256 (${plain.algs})`);
  ok(!plain.algs.split(" ").some((a) => a === "none" || a.startsWith("HS")), "no none or HS* in algs");
  // The token endpoint says the same in JSON (RFC 9449 §5).
  const token = lib.dpopErrorResponse(error, { endpoint: "token" });
  equal(token.status, 400, "token endpoint status");
  equal(token.body.error, "invalid_dpop_proof", "token endpoint body.error");
});

add("RFC 9449 §7.1: every failure of the proof itself is invalid_dpop_proof, whatever its code: verifyDpopProof names the OAuth error as `error`, and dpopErrorResponse answers with it", async (lib) => {
  const f = await fixtures();
  const [header, , signature] = (await crafted()).split(".");
  const otherClaims = (await crafted()).split(".")[1];
  const refused = [
    [`${header}.${otherClaims}.${signature}`, "signature_invalid", "a signature over other claims"],
    ["not-a-proof", "jws_malformed", "not a compact JWS"],
    [await crafted({ claims: { padding: "x".repeat(9000) } }), "too_large", "over 8 KB"],
    [await crafted({ omit: ["jti"] }), "jwt_claim_missing", "no jti"],
    [await crafted({ claims: { iat: String(NOW) } }), "jwt_claim_invalid", "iat as a string"],
    [await crafted({ header: { jwk: { ...f.publicJwk, x: "AAAA" } } }), "jwk_invalid", "a jwk whose x is too short"],
  ];
  for (const [proof, code, what] of refused) {
    let error;
    try {
      await lib.verifyDpopProof(proof, checkOptions("webcrypto"));
    } catch (err) {
      error = err;
    }
    equal(error?.code, code, `${what}: code`);
    equal(error.error, "invalid_dpop_proof", `${what}: error`);
    const response = lib.dpopErrorResponse(error, { algorithms: ["ES256"] });
    equal(response.status, 401, `${what}: status`);
    equal(response.body.error, "invalid_dpop_proof", `${what}: body.error`);
    equal(parseChallenge(response.headers["WWW-Authenticate"]).error, "invalid_dpop_proof", `${what}: challenge`);
  }
  // A nonce the proof lacks (§8): use_dpop_nonce.
  let missing;
  await lib.verifyDpopProof(await crafted(), checkOptions("webcrypto", { nonceSecret: NONCE_SECRET })).catch((err) => {
    missing = err;
  });
  equal(missing?.code, "dpop_nonce_required", "no nonce: code");
  equal(missing.error, "use_dpop_nonce", "no nonce: error");
  // The caller's mistake is no proof's: no OAuth error to answer the client with.
  let option;
  await lib.verifyDpopProof(await crafted(), { htm: "POST", htu: TOKEN_URI, maxAge: 60 }).catch((err) => {
    option = err;
  });
  equal(option?.code, "invalid_option", "unknown option: code");
  equal(option.error, undefined, "unknown option: no error");
});

add("RFC 6750 §3.1, RFC 9449 §7.1: insufficient_scope is 403 with a DPoP challenge", async (lib) => {
  const response = lib.dpopErrorResponse("insufficient_scope", { algorithms: ["ES256"] });
  equal(response.status, 403, "status");
  const challenge = parseChallenge(response.headers["WWW-Authenticate"]);
  equal(challenge.error, "insufficient_scope", "challenge error");
  equal(challenge.algs, "ES256", "algs");
  equal(response.body.error, "insufficient_scope", "body.error");
  const invalidToken = lib.dpopErrorResponse("invalid_token", {});
  equal(invalidToken.status, 401, "invalid_token is 401");
  await throwsCode(() => lib.dpopErrorResponse('bad"code', {}), "invalid_option", "a code that would break the header");
});

add("RFC 6750 §3.1: a failed token check is invalid_token (401), a missing scope insufficient_scope (403), never invalid_dpop_proof", async (lib) => {
  for (const [code, status, error] of [
    ["jwt_expired", 401, "invalid_token"],
    ["jwt_audience_mismatch", 401, "invalid_token"],
    ["signature_invalid", 401, "invalid_token"],
    ["insufficient_scope", 403, "insufficient_scope"],
    ["dpop_replay", 401, "invalid_dpop_proof"],
    ["dpop_nonce_required", 401, "use_dpop_nonce"],
  ]) {
    const thrown = Object.assign(new Error(`a ${code} failure`), { code });
    const response = lib.dpopErrorResponse(thrown, { algorithms: ["ES256"] });
    equal(response.status, status, `${code}: status`);
    equal(response.body.error, error, `${code}: body.error`);
    equal(parseChallenge(response.headers["WWW-Authenticate"]).error, error, `${code}: challenge`);
  }
});

add("RFC 9728 §5.1: resourceMetadata names the resource's metadata in challenges", async (lib) => {
  const metadata = "https://api.example/.well-known/oauth-protected-resource";
  const response = lib.dpopErrorResponse("invalid_token", { algorithms: ["ES256"], resourceMetadata: metadata });
  equal(parseChallenge(response.headers["WWW-Authenticate"]).resource_metadata, metadata, "resource_metadata");
  await throwsCode(() => lib.dpopErrorResponse("invalid_token", { resourceMetadata: 'https://x.example/"' }), "invalid_option", "a quote in the URL");
});

export const dpopCases = cases;
