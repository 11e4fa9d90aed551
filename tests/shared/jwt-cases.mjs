// JWT, ID-token and access-token cases for the npm package, run in Node (tests/node) and in
// Chromium (tests/browser) against the same built pkg/. `lib` is the imported package.
//
// The independent implementation is `jose` (v6): it generates the keys, signs the tokens and
// verifies the good ones too, so both libraries are seen to agree on the same bytes. Tokens
// that jose refuses to produce (duplicate JSON members, non-canonical base64url, `alg: none`)
// are signed here directly with WebCrypto over exactly the bytes under test. Every case runs
// once per signature backend of the package: "webcrypto" and "wasm" (pure Rust).
//
// Not covered: tokens signed by oidc-edge and verified by jose. The package has no JS signing
// function yet (it exports only verifiers), so that direction waits for one.
//
// jose is imported by its path rather than by name: the same file then loads in Node and in a
// page without a bundler or an import map (the page serves the repository at its root, and
// dist/webapi is jose's plain-ESM, WebCrypto-only build).
import * as jose from "../../node_modules/jose/dist/webapi/index.js";
import { equal, ok, throwsCode } from "./expect.mjs";

const BACKENDS = ["webcrypto", "wasm"];
// Fixed clock: every token's times are relative to it and every check passes currentTime.
const NOW = 1_700_000_000;
const ISS = "https://op.example.com";
const AUD = "https://api.example.com";
const CLIENT = "s6BhdRkqt3";
const SUB = "248289761001";

// Per algorithm: the RFC section that defines it and the hash OpenID Connect uses for
// at_hash / c_hash with it (Core §3.1.3.6: the hash of the ID token's alg).
const ALGS = {
  ES256: { rfc: "RFC 7518 §3.4", kid: "es256-2026", hash: "SHA-256" },
  RS256: { rfc: "RFC 7518 §3.3", kid: "rs256-2026", hash: "SHA-256" },
  PS256: { rfc: "RFC 7518 §3.5", kid: "ps256-2026", hash: "SHA-256" },
  EdDSA: { rfc: "RFC 8037 §3.1", kid: "ed25519-2026", hash: "SHA-512" },
  ES384: { rfc: "RFC 7518 §3.4", kid: "es384-2026", hash: "SHA-384" },
};

// ---------------------------------------------------------------------------------------
// Fixtures: generated once per run (per page in the browser), on first use.

let fixturesPromise;
function fixtures() {
  fixturesPromise ??= makeFixtures();
  return fixturesPromise;
}

async function makeFixtures() {
  const keys = {};
  await Promise.all(
    Object.entries(ALGS).map(async ([alg, { kid }]) => {
      const pair = await jose.generateKeyPair(alg, { extractable: true });
      const other = await jose.generateKeyPair(alg, { extractable: true });
      const bare = await jose.exportJWK(pair.publicKey);
      keys[alg] = {
        alg,
        kid,
        privateKey: pair.privateKey,
        publicKey: pair.publicKey,
        // A published JWKS entry, as an OP's /jwks serves it.
        jwk: { ...bare, kid, use: "sig", alg },
        // The bare public key, as exportJWK gives it: no kid, alg or use.
        bareJwk: bare,
        // Another key pair of the same type, for "signed by the wrong key" and rotation.
        otherPrivateKey: other.privateKey,
        otherJwk: await jose.exportJWK(other.publicKey),
      };
    }),
  );
  const jwks = { keys: Object.keys(ALGS).map((alg) => keys[alg].jwk) };
  return { keys, jwks, joseJwks: jose.createLocalJWKSet(jwks) };
}

// ---------------------------------------------------------------------------------------
// Helpers

const encoder = new TextEncoder();

function b64url(input) {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function baseClaims(extra = {}) {
  return { iss: ISS, aud: AUD, sub: SUB, iat: NOW - 60, nbf: NOW - 60, exp: NOW + 600, jti: "id-1", ...extra };
}

/** A JWT signed by jose, with a `kid` and `typ: JWT` unless `header` overrides them. */
async function signed(k, claims = baseClaims(), header = {}, signingKey = k.privateKey) {
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: "JWT", ...header })
    .sign(signingKey);
}

/** A JWS over an exact payload text (claims of any JSON shape), signed by jose. */
async function signedText(k, payloadText, header = {}) {
  return new jose.CompactSign(encoder.encode(payloadText))
    .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: "JWT", ...header })
    .sign(k.privateKey);
}

const SIGN_PARAMS = {
  ES256: { name: "ECDSA", hash: "SHA-256" },
  ES384: { name: "ECDSA", hash: "SHA-384" },
  RS256: { name: "RSASSA-PKCS1-v1_5" },
  PS256: { name: "RSA-PSS", saltLength: 32 },
  EdDSA: { name: "Ed25519" },
};

/**
 * Signs the exact ASCII `signingInput` with WebCrypto (no jose, no re-encoding) and returns
 * `signingInput.signature`: for tokens whose header or payload bytes jose would not emit.
 */
async function signedRaw(k, signingInput) {
  const signature = await crypto.subtle.sign(SIGN_PARAMS[k.alg], k.privateKey, encoder.encode(signingInput));
  return `${signingInput}.${b64url(new Uint8Array(signature))}`;
}

function fromB64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function toBigInt(bytes) {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function toBytes(n, length) {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

// The group orders of P-256 and P-384 (SEC 2 §2.4.2, §2.5.1).
const CURVE_ORDER = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};

/** A raw r || s ECDSA signature re-encoded as ASN.1 DER, the form JWS does not use. */
function derSignature(raw) {
  const integer = (bytes) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const v = bytes.slice(i);
    return concat(Uint8Array.of(0x02, v.length + (v[0] & 0x80 ? 1 : 0)), v[0] & 0x80 ? Uint8Array.of(0) : new Uint8Array(0), v);
  };
  const body = concat(integer(raw.slice(0, raw.length / 2)), integer(raw.slice(raw.length / 2)));
  return concat(Uint8Array.of(0x30, body.length), body);
}

/** OpenID Connect Core §3.1.3.6: base64url of the left half of the hash of the ASCII value. */
async function halfHash(hash, value) {
  const digest = new Uint8Array(await crypto.subtle.digest(hash, encoder.encode(value)));
  return b64url(digest.slice(0, digest.length / 2));
}

/** JSON with sorted keys, to compare objects whatever their member order. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function sameJson(actual, expected, what) {
  equal(canonical(actual), canonical(expected), what);
}

function verifyOptions(backend, extra = {}) {
  return { issuer: ISS, audience: AUD, currentTime: NOW, backend, ...extra };
}

function idTokenOptions(backend, extra = {}) {
  return { issuer: ISS, clientId: CLIENT, currentTime: NOW, backend, ...extra };
}

function idClaims(extra = {}) {
  return { iss: ISS, sub: SUB, aud: CLIENT, iat: NOW - 30, exp: NOW + 600, ...extra };
}

function accessClaims(extra = {}) {
  return {
    iss: ISS, aud: AUD, sub: SUB, client_id: CLIENT, iat: NOW - 30, exp: NOW + 600,
    jti: "at-1", scope: "openid api:read api:write", ...extra,
  };
}

function accessOptions(backend, extra = {}) {
  return { issuer: ISS, audience: AUD, currentTime: NOW, backend, ...extra };
}

/** Awaits `fn()`; a rejection becomes an Error that says which input was refused and why. */
async function resolves(fn, what) {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${what}: expected success, got ${err?.code ?? "an error"} (${err?.message ?? err})`);
  }
}

/** Checks that jose, too, refuses a token: the vector is bad for a reason both libraries see. */
async function joseRejects(token, joseJwks, what) {
  let refused = false;
  try {
    await jose.jwtVerify(token, joseJwks, { currentDate: new Date(NOW * 1000) });
  } catch {
    refused = true;
  }
  ok(refused, `${what}: jose also rejects the token`);
}

// ---------------------------------------------------------------------------------------
// Cases

const cases = [];
function add(name, run) {
  cases.push([name, run]);
}

for (const backend of BACKENDS) {
  const tag = `[${backend}]`;

  // --- jose-signed tokens verify, for every algorithm -----------------------------------
  for (const [alg, { rfc }] of Object.entries(ALGS)) {
    add(`RFC 7515 §5.2, ${rfc}: ${alg} JWT signed by jose verifies, same header and claims as jose ${tag}`, async (lib) => {
      const { keys, jwks, joseJwks } = await fixtures();
      const k = keys[alg];
      const claims = baseClaims({ name: "Jane Doe", roles: ["a", "b"], n: 1.5, nested: { x: null } });
      const token = await signed(k, claims);
      const ours = await lib.verifyJwt(token, jwks, verifyOptions(backend));
      const theirs = await jose.jwtVerify(token, joseJwks, {
        issuer: ISS, audience: AUD, currentDate: new Date(NOW * 1000),
      });
      sameJson(ours.payload, theirs.payload, "payload");
      sameJson(ours.header, theirs.protectedHeader, "header");
      equal(ours.header.kid, k.kid, "header.kid");
      equal(Object.keys(ours).sort().join(","), "header,payload", "result fields");
    });
  }

  for (const [alg, { rfc }] of Object.entries(ALGS)) {
    add(`RFC 7517 §4, ${rfc}: ${alg} JWT without kid verifies against one bare JWK and against the whole JWKS ${tag}`, async (lib) => {
      const { keys, jwks } = await fixtures();
      const k = keys[alg];
      const token = await new jose.SignJWT(baseClaims()).setProtectedHeader({ alg }).sign(k.privateKey);
      const one = await lib.verifyJwt(token, k.bareJwk, verifyOptions(backend));
      equal(one.payload.sub, SUB, "single JWK: sub");
      const set = await lib.verifyJwt(token, jwks, verifyOptions(backend));
      equal(set.payload.sub, SUB, "JWKS: sub");
    });
  }

  add(`RFC 7517 §5, RFC 7515 §6: without a kid, every key of the type is tried (rotation: the second ES256 key signed) ${tag}`, async (lib) => {
    const { keys } = await fixtures();
    const k = keys.ES256;
    const set = { keys: [{ ...k.otherJwk, kid: "old" }, { ...k.bareJwk, kid: "new" }, keys.RS256.jwk] };
    const token = await new jose.SignJWT(baseClaims()).setProtectedHeader({ alg: "ES256" }).sign(k.privateKey);
    equal((await lib.verifyJwt(token, set, verifyOptions(backend))).payload.sub, SUB, "second key verifies");
    const named = await signed(k, baseClaims(), { kid: "new" });
    equal((await lib.verifyJwt(named, set, verifyOptions(backend))).header.kid, "new", "kid selects it");
    const wrongKid = await signed(k, baseClaims(), { kid: "old" });
    await throwsCode(() => lib.verifyJwt(wrongKid, set, verifyOptions(backend)), "signature_invalid", "kid names the other key");
  });

  add(`RFC 7519 §7.2 (signature before claims): a forged token reveals nothing of its claims (expired, duplicate or mistyped claims are signature_invalid) ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const [h, , s] = (await signed(keys.ES256)).split(".");
    for (const payloadText of [
      JSON.stringify(baseClaims({ exp: NOW - 1000 })),
      JSON.stringify(baseClaims({ iss: "https://evil.example.com" })),
      JSON.stringify(baseClaims({ exp: "soon" })),
      '{"sub":"a","sub":"b"}',
      "not json",
    ]) {
      const forged = `${h}.${b64url(payloadText)}.${s}`;
      await throwsCode(() => lib.verifyJwt(forged, jwks, verifyOptions(backend)), "signature_invalid", payloadText.slice(0, 30));
    }
  });

  // --- signature failures, for every algorithm --------------------------------------------
  for (const [alg, { rfc }] of Object.entries(ALGS)) {
    add(`RFC 7515 §5.2 step 8, ${rfc}: ${alg} token with a tampered payload is signature_invalid ${tag}`, async (lib) => {
      const { keys, jwks, joseJwks } = await fixtures();
      const token = await signed(keys[alg]);
      const [h, , s] = token.split(".");
      const forged = `${h}.${b64url(JSON.stringify(baseClaims({ sub: "admin" })))}.${s}`;
      await joseRejects(forged, joseJwks, "tampered");
      await throwsCode(() => lib.verifyJwt(forged, jwks, verifyOptions(backend)), "signature_invalid", "tampered payload");
    });

    add(`RFC 7515 §5.2 step 8, ${rfc}: ${alg} token signed by another key (same kid) is signature_invalid ${tag}`, async (lib) => {
      const { keys, jwks, joseJwks } = await fixtures();
      const k = keys[alg];
      const token = await signed(k, baseClaims(), {}, k.otherPrivateKey);
      await joseRejects(token, joseJwks, "wrong key");
      await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "signature_invalid", "kid in the set");
      const noKid = await new jose.SignJWT(baseClaims()).setProtectedHeader({ alg }).sign(k.otherPrivateKey);
      await throwsCode(() => lib.verifyJwt(noKid, jwks, verifyOptions(backend)), "signature_invalid", "no kid");
    });
  }

  // --- signature encodings both backends must judge as jose does ----------------------
  for (const alg of ["ES256", "ES384"]) {
    add(`RFC 7518 §3.4: ${alg} (r, n - s), the other valid ECDSA signature of the same token, verifies as in jose ${tag}`, async (lib) => {
      const { keys, jwks, joseJwks } = await fixtures();
      const token = await signed(keys[alg]);
      const [h, p, s] = token.split(".");
      const sig = fromB64url(s);
      const half = sig.length / 2;
      const twin = `${h}.${p}.${b64url(concat(sig.slice(0, half), toBytes(CURVE_ORDER[alg] - toBigInt(sig.slice(half)), half)))}`;
      ok(twin !== token, "a different signature");
      await jose.jwtVerify(twin, joseJwks, { currentDate: new Date(NOW * 1000) });
      equal((await lib.verifyJwt(twin, jwks, verifyOptions(backend))).payload.sub, SUB, "twin signature");
    });
  }

  add(`RFC 7518 §3.4: an ES256 signature in DER, all zeros, r = s = n, or one byte short is signature_invalid ${tag}`, async (lib) => {
    const { keys, jwks, joseJwks } = await fixtures();
    const token = await signed(keys.ES256);
    const [h, p, s] = token.split(".");
    const sig = fromB64url(s);
    const n = toBytes(CURVE_ORDER.ES256, 32);
    for (const [what, bad] of [
      ["DER", derSignature(sig)],
      ["zeros", new Uint8Array(64)],
      ["r = s = n", concat(n, n)],
      ["63 bytes", sig.slice(1)],
    ]) {
      const forged = `${h}.${p}.${b64url(bad)}`;
      await joseRejects(forged, joseJwks, what);
      await throwsCode(() => lib.verifyJwt(forged, jwks, verifyOptions(backend)), "signature_invalid", what);
    }
  });

  add(`RFC 7518 §3.5: a PS256 signature with a salt length other than 32 is signature_invalid ${tag}`, async (lib) => {
    const { keys, jwks, joseJwks } = await fixtures();
    const k = keys.PS256;
    const input = `${b64url(JSON.stringify({ alg: "PS256", kid: k.kid }))}.${b64url(JSON.stringify(baseClaims()))}`;
    for (const saltLength of [0, 20, 64]) {
      const sig = await crypto.subtle.sign({ name: "RSA-PSS", saltLength }, k.privateKey, encoder.encode(input));
      const token = `${input}.${b64url(new Uint8Array(sig))}`;
      await joseRejects(token, joseJwks, `salt ${saltLength}`);
      await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "signature_invalid", `salt ${saltLength}`);
    }
    const good = await signedRaw(k, input);
    equal((await lib.verifyJwt(good, jwks, verifyOptions(backend))).header.alg, "PS256", "salt 32 control");
  });

  add(`RFC 8017 §8.2.2 step 1: an RS256 signature with its leading zero octet dropped is signature_invalid ${tag}`, async (lib) => {
    const { keys, jwks, joseJwks } = await fixtures();
    // RSASSA-PKCS1-v1_5 is deterministic: vary jti until a signature starts with 0x00
    // (1 in 256 on average).
    let token;
    for (let i = 0; i < 4000 && !token; i++) {
      const candidate = await signed(keys.RS256, baseClaims({ jti: `lz-${i}` }));
      if (fromB64url(candidate.split(".")[2])[0] === 0) token = candidate;
    }
    ok(token, "found a signature with a leading zero octet");
    equal((await lib.verifyJwt(token, jwks, verifyOptions(backend))).header.alg, "RS256", "full-length form verifies");
    const [h, p, s] = token.split(".");
    const short = `${h}.${p}.${b64url(fromB64url(s).slice(1))}`;
    await joseRejects(short, joseJwks, "short");
    await throwsCode(() => lib.verifyJwt(short, jwks, verifyOptions(backend)), "signature_invalid", "k - 1 octets");
  });

  add(`Re-entrancy: an option getter that starts another verification leaves both correct ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256);
    let inner;
    const options = verifyOptions(backend);
    const outer = lib.verifyJwt(token, jwks, {
      ...options,
      get issuer() {
        // Runs while the outer call reads its options, inside the wasm module.
        inner ??= lib.verifyJwt(token, jwks, verifyOptions(backend));
        return ISS;
      },
    });
    ok(inner, "the getter ran during the call");
    equal((await resolves(() => outer, "outer")).payload.sub, SUB, "outer result");
    equal((await resolves(() => inner, "inner")).payload.sub, SUB, "inner result");
    // Nothing is left stuck: a later call works.
    equal((await resolves(() => lib.verifyJwt(token, jwks, options), "after")).payload.sub, SUB);
    // A getter that throws is an invalid option, never an absent one (its check would be off).
    const throwing = { ...options, get issuer() { throw new Error("unreadable"); } };
    await throwsCode(() => lib.verifyJwt(token, jwks, throwing), "invalid_option", "throwing getter");
  });

  add(`RFC 7517 §5: a plain JWKS object passed again is remembered only while unchanged: every change is seen on the next call ${tag}`, async (lib) => {
    const { keys } = await fixtures();
    const tokens = { es: await signed(keys.ES256), rs: await signed(keys.RS256) };
    const outcome = async (token, set) => {
      try {
        return `ok ${(await lib.verifyJwt(token, set, verifyOptions(backend))).payload.sub}`;
      } catch (err) {
        return `error ${err.code}`;
      }
    };
    const other = keys.ES256.otherJwk;
    // Each change is made to an object the package has seen three times (first seen, then
    // remembered with a snapshot, then found by it), and must give what the same JSON gives
    // as an object never seen before.
    const changes = {
      "a key removed": (j) => j.keys.splice(0, 1),
      "a key added": (j) => j.keys.push(structuredClone(keys.RS256.jwk)),
      "the keys array replaced": (j) => (j.keys = [structuredClone(keys.RS256.jwk)]),
      "key material replaced": (j) => Object.assign(j.keys[0], { x: other.x, y: other.y }),
      "kid changed": (j) => (j.keys[0].kid = "rotated"),
      "use changed": (j) => (j.keys[0].use = "enc"),
      "a member deleted": (j) => delete j.keys[0].crv,
      "a member added": (j) => (j.keys[0].key_ops = ["sign"]),
      "key_ops changed in place": (j) => j.keys[0].key_ops.splice(0, 1, "sign"),
      "members reordered": (j) => (j.keys[0] = Object.fromEntries(Object.entries(j.keys[0]).reverse())),
      "an accessor": (j) => Object.defineProperty(j.keys[0], "x", { get: () => other.x, enumerable: true }),
      "toJSON": (j) => (j.toJSON = () => ({ keys: [] })),
      "a prototype": (j) => Object.setPrototypeOf(j.keys[0], { extra: 1 }),
    };
    for (const [what, change] of Object.entries(changes)) {
      const jwks = { keys: [{ ...structuredClone(keys.ES256.jwk), key_ops: ["verify"] }, structuredClone(keys.EdDSA.jwk)] };
      for (let i = 0; i < 3; i++) equal(await outcome(tokens.es, jwks), `ok ${SUB}`, `${what}: call ${i + 1} before`);
      change(jwks);
      for (const [name, token] of Object.entries(tokens)) {
        const fresh = JSON.parse(JSON.stringify(jwks));
        equal(await outcome(token, jwks), await outcome(token, fresh), `${what}: ${name} token after the change`);
      }
    }
  });

  add(`RFC 7517 §5: createKeySet checks a JWKS once and verifies like it; its copy is frozen all the way down ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const set = lib.createKeySet(jwks);
    ok(set !== jwks, "a copy, not the caller's object");
    ok(Object.isFrozen(set) && Object.isFrozen(set.keys), "set and keys array frozen");
    ok(set.keys.every((k) => Object.isFrozen(k)), "every key frozen");
    equal(JSON.stringify(set), JSON.stringify(jwks), "same members");
    for (const alg of Object.keys(ALGS)) {
      const token = await signed(keys[alg]);
      const viaSet = await resolves(() => lib.verifyJwt(token, set, verifyOptions(backend)), `${alg} with the key set`);
      equal(viaSet.payload.sub, SUB, `${alg} sub`);
    }
    // The checks are the set's, not the caller's object's: changing the original later
    // changes nothing, and the frozen copy cannot be changed (strict-mode modules throw).
    const mutable = structuredClone(jwks);
    const fromMutable = lib.createKeySet(mutable);
    mutable.keys.length = 0;
    const es = await signed(keys.ES256);
    await resolves(() => lib.verifyJwt(es, fromMutable, verifyOptions(backend)), "after the original was emptied");
    let threw = false;
    try {
      fromMutable.keys.length = 0;
    } catch {
      threw = true;
    }
    ok(threw && fromMutable.keys.length === jwks.keys.length, "the copy is immutable");
    // Past the sets kept parsed, an older set is parsed again from its frozen copy: making
    // many sets never breaks one made earlier.
    for (let i = 0; i < 40; i++) lib.createKeySet({ keys: [jwks.keys[i % jwks.keys.length]] });
    await resolves(() => lib.verifyJwt(es, fromMutable, verifyOptions(backend)), "after 40 more sets were made");
    // A bad set fails when made, with the same code verifyJwt would give.
    await throwsCode(() => lib.createKeySet({ keys: [{ kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA" }] }), "jwk_invalid", "bad key");
    await throwsCode(() => lib.createKeySet(42), "jwk_invalid", "not an object");
    // RFC 7518 §6.2.1: x and y must be a point on the curve. A point off it has the right
    // shape, so the core module makes the set; the backend that first uses the key refuses
    // it (WebCrypto's importKey, then the pure-Rust module, which names the reason).
    for (const [kind, k] of [["P-256", keys.ES256], ["P-384", keys.ES384]]) {
      const offCurve = { keys: [{ ...k.jwk, y: k.jwk.x }] };
      let thrown;
      try {
        await lib.verifyJwt(await signed(k), lib.createKeySet(offCurve), verifyOptions(backend));
      } catch (err) {
        thrown = err;
      }
      equal(thrown?.code, "jwk_invalid", `${kind} point off the curve: code`);
      ok(/not on the curve/.test(thrown.message), `${kind} point off the curve: message (${thrown.message})`);
    }
    // validateIdToken takes the set too.
    const idToken = await signed(keys.ES256, idClaims({ nonce: "n-1" }));
    const claims = await resolves(
      () => lib.validateIdToken(idToken, set, idTokenOptions(backend, { nonce: "n-1" })),
      "ID token with the key set",
    );
    equal(claims.sub, SUB, "ID token sub");
  });

  add(`RFC 7515 §4.1.4: a kid that no key in the set has is key_not_found ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256, baseClaims(), { kid: "rotated-away" });
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "key_not_found", "unknown kid");
  });

  add(`RFC 8725 §3.1: an ES256 token whose kid names the RSA key is key_alg_mismatch ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256, baseClaims(), { kid: keys.RS256.kid });
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "key_alg_mismatch", "RSA kid on ES256");
    // And the reverse: an RS256 token naming the EC key.
    const rs = await signed(keys.RS256, baseClaims(), { kid: keys.ES256.kid });
    await throwsCode(() => lib.verifyJwt(rs, jwks, verifyOptions(backend)), "key_alg_mismatch", "EC kid on RS256");
  });

  add(`RFC 7517 §4.4, RFC 8725 §3.1: a PS256 token naming the JWK published with alg RS256 is key_alg_mismatch ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    // Signed with the RS256 key's own private key, so only the JWK's "alg" member refuses it.
    const input = `${b64url(JSON.stringify({ alg: "PS256", kid: keys.RS256.kid }))}.${b64url(JSON.stringify(baseClaims()))}`;
    const rsaPss = await crypto.subtle.importKey(
      "jwk", await jose.exportJWK(keys.RS256.privateKey).then(({ alg, key_ops, ...jwk }) => jwk),
      { name: "RSA-PSS", hash: "SHA-256" }, false, ["sign"],
    );
    const sig = await crypto.subtle.sign({ name: "RSA-PSS", saltLength: 32 }, rsaPss, encoder.encode(input));
    const token = `${input}.${b64url(new Uint8Array(sig))}`;
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "key_alg_mismatch", "JWK alg RS256");
    // The same key published without "alg" accepts either RSA algorithm (RFC 7517 §4.4 is optional).
    const bare = { ...keys.RS256.bareJwk, kid: keys.RS256.kid };
    equal((await lib.verifyJwt(token, bare, verifyOptions(backend))).header.alg, "PS256", "bare JWK");
  });

  add(`RFC 7517 §4.2-4.3: a key published with use "enc" or key_ops without "verify" is not used to verify ${tag}`, async (lib) => {
    const { keys } = await fixtures();
    const token = await signed(keys.ES256);
    for (const jwk of [
      { ...keys.ES256.jwk, use: "enc" },
      { ...keys.ES256.bareJwk, kid: keys.ES256.kid, key_ops: ["encrypt"] },
    ]) {
      await throwsCode(() => lib.verifyJwt(token, { keys: [jwk] }, verifyOptions(backend)), "key_alg_mismatch", JSON.stringify(jwk.use ?? jwk.key_ops));
    }
  });

  add(`RFC 7517 §5: keys of types the package does not support (oct, secp256k1, X25519) are skipped, the others still verify ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const mixed = {
      keys: [
        { kty: "oct", kid: "hmac", k: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA" },
        { kty: "EC", crv: "secp256k1", kid: "k1", x: b64url(new Uint8Array(32).fill(1)), y: b64url(new Uint8Array(32).fill(2)) },
        { kty: "OKP", crv: "X25519", kid: "x25519", x: b64url(new Uint8Array(32).fill(9)) },
        ...jwks.keys,
      ],
    };
    for (const alg of Object.keys(ALGS)) {
      const token = await signed(keys[alg]);
      equal((await lib.verifyJwt(token, mixed, verifyOptions(backend))).header.alg, alg, alg);
    }
  });

  // --- algorithm confusion -------------------------------------------------------------
  add(`RFC 7519 §6.1, RFC 8725 §3.1: an unsecured JWT (alg none, empty signature, as jose's UnsecuredJWT emits) is alg_not_allowed ${tag}`, async (lib) => {
    const { jwks } = await fixtures();
    const token = new jose.UnsecuredJWT(baseClaims()).encode();
    equal(token.endsWith("."), true, "jose's unsecured JWT has an empty signature");
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "alg_not_allowed", "alg none");
  });

  add(`RFC 7518 §3.6, RFC 8725 §3.1: alg none with a non-empty signature part is alg_not_allowed ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const input = `${b64url(JSON.stringify({ alg: "none", kid: keys.ES256.kid }))}.${b64url(JSON.stringify(baseClaims()))}`;
    for (const token of [`${input}.AAAA`, (await signedRaw(keys.ES256, input))]) {
      await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "alg_not_allowed", token.slice(-12));
    }
  });

  add(`RFC 8725 §2.1, §3.1: HS256 signed by jose with the RSA public key (PEM and JWK bytes) as the secret is alg_not_allowed ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const pem = await jose.exportSPKI(keys.RS256.publicKey);
    for (const [what, secret, kid] of [
      ["PEM, RSA kid", encoder.encode(pem), keys.RS256.kid],
      ["PEM, no kid", encoder.encode(pem), undefined],
      ["JWK JSON, EC kid", encoder.encode(JSON.stringify(keys.ES256.jwk)), keys.ES256.kid],
    ]) {
      const header = kid ? { alg: "HS256", kid, typ: "JWT" } : { alg: "HS256" };
      const token = await new jose.SignJWT(baseClaims()).setProtectedHeader(header).sign(secret);
      await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "alg_not_allowed", what);
      await throwsCode(() => lib.verifyJwt(token, keys.RS256.bareJwk, verifyOptions(backend)), "alg_not_allowed", `${what}, one JWK`);
    }
  });

  add(`RFC 8725 §3.1: an ES256 token outside the algorithms allow-list ["RS256", "PS256"] is alg_not_allowed ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256);
    await throwsCode(
      () => lib.verifyJwt(token, jwks, verifyOptions(backend, { algorithms: ["RS256", "PS256"] })),
      "alg_not_allowed", "ES256 not in the list",
    );
    const ok256 = await lib.verifyJwt(token, jwks, verifyOptions(backend, { algorithms: ["ES256"] }));
    equal(ok256.header.alg, "ES256", "ES256 in the list verifies");
  });

  add(`RFC 7515 §4.1.1: an unknown alg (ES256K) is alg_unsupported ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const input = `${b64url(JSON.stringify({ alg: "ES256K", kid: keys.ES256.kid }))}.${b64url(JSON.stringify(baseClaims()))}`;
    const token = await signedRaw(keys.ES256, input);
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "alg_unsupported", "ES256K");
  });

  // --- time claims -----------------------------------------------------------------------
  add(`RFC 7519 §4.1.4: exp in the past is jwt_expired; exp == now is expired ("on or after"); clockTolerance covers skew ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const past = await signed(keys.ES256, baseClaims({ iat: NOW - 700, nbf: NOW - 700, exp: NOW - 30 }));
    await throwsCode(() => lib.verifyJwt(past, jwks, verifyOptions(backend)), "jwt_expired", "exp 30 s ago");
    const edge = await signed(keys.ES256, baseClaims({ exp: NOW }));
    await throwsCode(() => lib.verifyJwt(edge, jwks, verifyOptions(backend)), "jwt_expired", "exp == now");
    const tolerated = await lib.verifyJwt(past, jwks, verifyOptions(backend, { clockTolerance: 60 }));
    equal(tolerated.payload.exp, NOW - 30, "30 s past exp, 60 s tolerance");
    await throwsCode(() => lib.verifyJwt(past, jwks, verifyOptions(backend, { clockTolerance: 30 })), "jwt_expired", "tolerance == lateness");
  });

  add(`RFC 8725 §3.10, RFC 7519 §4.1.4: a token without exp is refused by default (jwt_claim_missing); requireExp: false accepts it ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const forever = await signed(keys.ES256, baseClaims({ exp: undefined }));
    await throwsCode(() => lib.verifyJwt(forever, jwks, verifyOptions(backend)), "jwt_claim_missing", "no exp");
    await throwsCode(() => lib.verifyJwt(forever, jwks, verifyOptions(backend, { requireExp: true })), "jwt_claim_missing", "requireExp: true");
    equal((await lib.verifyJwt(forever, jwks, verifyOptions(backend, { requireExp: false }))).payload.sub, SUB, "requireExp: false");
    // exp, when present, is checked whatever requireExp says.
    const past = await signed(keys.ES256, baseClaims({ iat: NOW - 700, nbf: NOW - 700, exp: NOW - 30 }));
    await throwsCode(() => lib.verifyJwt(past, jwks, verifyOptions(backend, { requireExp: false })), "jwt_expired", "expired, requireExp: false");
    await throwsCode(() => lib.verifyJwt(forever, jwks, verifyOptions(backend, { requireExp: "no" })), "invalid_option", "requireExp: a string");
  });

  add(`RFC 7519 §4.1.5: nbf in the future is jwt_not_yet_valid; nbf == now is valid; clockTolerance covers skew ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const early = await signed(keys.ES256, baseClaims({ iat: NOW - 60, nbf: NOW + 30 }));
    await throwsCode(() => lib.verifyJwt(early, jwks, verifyOptions(backend)), "jwt_not_yet_valid", "nbf in 30 s");
    equal((await lib.verifyJwt(early, jwks, verifyOptions(backend, { clockTolerance: 60 }))).payload.nbf, NOW + 30, "tolerated");
    const edge = await signed(keys.ES256, baseClaims({ nbf: NOW }));
    equal((await lib.verifyJwt(edge, jwks, verifyOptions(backend))).payload.nbf, NOW, "nbf == now");
  });

  add(`RFC 7519 §4.1.6: iat in the future is jwt_issued_in_future ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256, baseClaims({ iat: NOW + 120, nbf: undefined }));
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "jwt_issued_in_future", "iat in 2 min");
  });

  add(`RFC 7519 §4.1.4: without currentTime the real clock is used (exp an hour ago is jwt_expired) ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const realNow = Math.floor(Date.now() / 1000);
    const token = await signed(keys.ES256, baseClaims({ iat: realNow - 7200, nbf: realNow - 7200, exp: realNow - 3600 }));
    await throwsCode(() => lib.verifyJwt(token, jwks, { issuer: ISS, audience: AUD, backend }), "jwt_expired", "real clock");
    const fresh = await signed(keys.ES256, baseClaims({ iat: realNow - 5, nbf: realNow - 5, exp: realNow + 3600 }));
    equal((await lib.verifyJwt(fresh, jwks, { issuer: ISS, audience: AUD, backend })).payload.sub, SUB, "fresh token");
  });

  // --- iss, aud, typ, required claims -------------------------------------------------
  add(`RFC 7519 §4.1.3: aud not containing the audience is jwt_audience_mismatch; an aud array containing it passes ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const other = await signed(keys.ES256, baseClaims({ aud: "https://other.example.com" }));
    await throwsCode(() => lib.verifyJwt(other, jwks, verifyOptions(backend)), "jwt_audience_mismatch", "string aud");
    const list = await signed(keys.ES256, baseClaims({ aud: ["https://other.example.com", AUD] }));
    sameJson((await lib.verifyJwt(list, jwks, verifyOptions(backend))).payload.aud, ["https://other.example.com", AUD], "aud array");
    await throwsCode(
      () => lib.verifyJwt(list, jwks, verifyOptions(backend, { audience: ["x", "y"] })),
      "jwt_audience_mismatch", "array vs array",
    );
    const none = await signed(keys.ES256, baseClaims({ aud: undefined }));
    await throwsCode(() => lib.verifyJwt(none, jwks, verifyOptions(backend)), "jwt_claim_missing", "no aud when one is expected");
  });

  add(`RFC 7519 §4.1.1: iss other than the issuer is jwt_issuer_mismatch (exact match, no normalisation) ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    for (const iss of ["https://evil.example.com", `${ISS}/`, ISS.toUpperCase()]) {
      const token = await signed(keys.ES256, baseClaims({ iss }));
      await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "jwt_issuer_mismatch", iss);
    }
    const token = await signed(keys.ES256, baseClaims());
    equal((await lib.verifyJwt(token, jwks, verifyOptions(backend, { issuer: ["https://a.example", ISS] }))).payload.iss, ISS, "issuer list");
  });

  add(`RFC 8725 §3.11, RFC 7515 §4.1.9: typ other than the expected one is jwt_typ_mismatch; "application/" prefix and case are ignored ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const jwt = await signed(keys.ES256);
    await throwsCode(() => lib.verifyJwt(jwt, jwks, verifyOptions(backend, { typ: "at+jwt" })), "jwt_typ_mismatch", "JWT vs at+jwt");
    const untyped = await new jose.SignJWT(baseClaims()).setProtectedHeader({ alg: "ES256", kid: keys.ES256.kid }).sign(keys.ES256.privateKey);
    await throwsCode(() => lib.verifyJwt(untyped, jwks, verifyOptions(backend, { typ: "at+jwt" })), "jwt_typ_mismatch", "no typ");
    const at = await signed(keys.ES256, baseClaims(), { typ: "application/AT+JWT" });
    equal((await lib.verifyJwt(at, jwks, verifyOptions(backend, { typ: "at+jwt" }))).header.typ, "application/AT+JWT", "media type match");
  });

  add(`RFC 7519 §4.1: requiredClaims absent is jwt_claim_missing ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256, baseClaims({ jti: undefined }));
    await throwsCode(
      () => lib.verifyJwt(token, jwks, verifyOptions(backend, { requiredClaims: ["sub", "jti"] })),
      "jwt_claim_missing", "jti",
    );
  });

  // --- registered claims of the wrong JSON type ----------------------------------------
  for (const [section, claim, value] of [
    ["§4.1.4", "exp", String(NOW + 600)],
    ["§4.1.4", "exp", null],
    ["§4.1.5", "nbf", "yesterday"],
    ["§4.1.6", "iat", true],
    ["§4.1.3", "aud", 12345],
    ["§4.1.3", "aud", [AUD, 7]],
    ["§4.1.1", "iss", 42],
    ["§4.1.2", "sub", 248289761001],
  ]) {
    add(`RFC 7519 ${section}: ${claim} as ${JSON.stringify(value)} is jwt_claim_invalid, not "absent" ${tag}`, async (lib) => {
      const { keys, jwks } = await fixtures();
      const token = await signedText(keys.ES256, JSON.stringify(baseClaims({ [claim]: value })));
      // Whether or not the claim is one the caller asked about.
      await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "jwt_claim_invalid", "with issuer/audience");
      await throwsCode(() => lib.verifyJwt(token, jwks, { currentTime: NOW, backend }), "jwt_claim_invalid", "no options");
    });
  }

  // --- encodings, sizes, JSON and header rules ----------------------------------------
  add(`RFC 7515 §2, §7.1: base64url with '=' padding (header, signature) is invalid_base64url ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    // Pad the header JSON with spaces so its encoding needs two '=' characters.
    let headerText = JSON.stringify({ alg: "ES256", kid: keys.ES256.kid, typ: "JWT" });
    while (headerText.length % 3 !== 1) headerText += " ";
    const payload = b64url(JSON.stringify(baseClaims()));
    const paddedHeader = await signedRaw(keys.ES256, `${b64url(headerText)}==.${payload}`);
    await throwsCode(() => lib.verifyJwt(paddedHeader, jwks, verifyOptions(backend)), "invalid_base64url", "padded header");
    // The same header unpadded verifies: the padding is the only fault.
    const clean = await signedRaw(keys.ES256, `${b64url(headerText)}.${payload}`);
    equal((await lib.verifyJwt(clean, jwks, verifyOptions(backend))).payload.sub, SUB, "unpadded control");
    // A 64-byte ES256 signature is 86 characters; padded it takes "==".
    equal(clean.split(".")[2].length, 86, "signature length");
    await throwsCode(() => lib.verifyJwt(`${clean}==`, jwks, verifyOptions(backend)), "invalid_base64url", "padded signature");
  });

  for (const [char, from, note] of [["+", "-", ">>>>>>"], ["/", "_", "??????"]]) {
    add(`RFC 7515 §2: the standard-alphabet '${char}' instead of '${from}' (signature valid over those bytes) is invalid_base64url ${tag}`, async (lib) => {
      const { keys, jwks } = await fixtures();
      const header = b64url(JSON.stringify({ alg: "ES256", kid: keys.ES256.kid, typ: "JWT" }));
      const payloadUrl = b64url(JSON.stringify(baseClaims({ note })));
      const payloadStd = payloadUrl.split(from).join(char);
      ok(payloadStd !== payloadUrl, `the payload encoding contains '${from}'`);
      const token = await signedRaw(keys.ES256, `${header}.${payloadStd}`);
      await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "invalid_base64url", `'${char}' in the payload`);
      const control = await signedRaw(keys.ES256, `${header}.${payloadUrl}`);
      equal((await lib.verifyJwt(control, jwks, verifyOptions(backend))).payload.note, note, "base64url control");
    });
  }

  add(`RFC 7515 §7.1 (package caps): a token over 64 KiB or a header over 8 KiB is too_large; a 40 KiB token verifies ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const big = await signed(keys.ES256, baseClaims({ blob: "a".repeat(70 * 1024) }));
    ok(big.length > 64 * 1024, "token over 64 KiB");
    await throwsCode(() => lib.verifyJwt(big, jwks, verifyOptions(backend)), "too_large", "70 KiB claim");
    const bigHeader = await signed(keys.ES256, baseClaims(), { x: "h".repeat(9 * 1024) });
    ok(bigHeader.length < 64 * 1024, "token itself under 64 KiB");
    await throwsCode(() => lib.verifyJwt(bigHeader, jwks, verifyOptions(backend)), "too_large", "9 KiB header");
    const fine = await signed(keys.ES256, baseClaims({ blob: "a".repeat(30 * 1024) }));
    ok(fine.length > 40 * 1024, "40 KiB token");
    equal((await lib.verifyJwt(fine, jwks, verifyOptions(backend))).payload.blob.length, 30 * 1024, "40 KiB token verifies");
  });

  add(`RFC 7515 §5.2 step 4, RFC 7519 §7.2 step 5: a header repeating a member name is json_duplicate_member ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const payload = b64url(JSON.stringify(baseClaims()));
    for (const headerText of [
      `{"alg":"ES256","kid":"${keys.ES256.kid}","kid":"${keys.ES256.kid}"}`,
      `{"alg":"none","kid":"${keys.ES256.kid}","alg":"ES256"}`,
    ]) {
      const token = await signedRaw(keys.ES256, `${b64url(headerText)}.${payload}`);
      await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "json_duplicate_member", headerText);
    }
  });

  add(`RFC 8259 §7, RFC 7515 §5.2 step 4: a duplicate hidden by a JSON escape ("k\\u0069d") is json_duplicate_member ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const headerText = `{"alg":"ES256","kid":"rotated-away","k\\u0069d":"${keys.ES256.kid}"}`;
    equal(JSON.parse(headerText).kid, keys.ES256.kid, "JSON.parse keeps the last kid");
    const token = await signedRaw(keys.ES256, `${b64url(headerText)}.${b64url(JSON.stringify(baseClaims()))}`);
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "json_duplicate_member", headerText);
  });

  add(`RFC 7515 §7.1: whitespace or a line break inside a compact JWS is invalid_base64url ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256);
    const [h, p, s] = token.split(".");
    for (const bad of [`${h}.${p.slice(0, 10)}\n${p.slice(10)}.${s}`, `${h}.${p}.${s.slice(0, 20)} ${s.slice(20)}`]) {
      await throwsCode(() => lib.verifyJwt(bad, jwks, verifyOptions(backend)), "invalid_base64url", JSON.stringify(bad.slice(0, 8)));
    }
  });

  add(`RFC 7519 §4: a claim set repeating a member name (aud twice) is json_duplicate_member ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const text = JSON.stringify(baseClaims()).replace(/^\{/, '{"aud":"https://other.example.com",');
    const token = await signedText(keys.ES256, text);
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "json_duplicate_member", "aud twice");
  });

  add(`RFC 7515 §4.1.11: a crit extension the package does not understand is jws_crit_unsupported ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await new jose.SignJWT(baseClaims())
      .setProtectedHeader({ alg: "ES256", kid: keys.ES256.kid, crit: ["urn:example:ext"], "urn:example:ext": true })
      .sign(keys.ES256.privateKey, { crit: { "urn:example:ext": true } });
    await throwsCode(() => lib.verifyJwt(token, jwks, verifyOptions(backend)), "jws_crit_unsupported", "unknown crit");
  });

  add(`RFC 7516 §9, RFC 7515 §7.1: a five-part (JWE) or two-part token is jws_malformed ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256);
    const [h, p, s] = token.split(".");
    await throwsCode(() => lib.verifyJwt(`${h}.${p}`, jwks, verifyOptions(backend)), "jws_malformed", "two parts");
    await throwsCode(() => lib.verifyJwt(`${h}.${p}.${s}.${s}.${s}`, jwks, verifyOptions(backend)), "jws_malformed", "five parts");
  });

  add(`API contract (no RFC): an unknown option name is invalid_option, so a typo cannot switch a check off ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256);
    for (const typo of [{ audiance: AUD }, { Issuer: ISS }, { clock_tolerance: 5 }, { maxAge: 60 }]) {
      await throwsCode(
        () => lib.verifyJwt(token, jwks, { ...verifyOptions(backend), ...typo }),
        "invalid_option", `verifyJwt ${Object.keys(typo)[0]}`,
      );
    }
    await throwsCode(
      () => lib.validateIdToken(token, jwks, { ...idTokenOptions(backend), client_id: CLIENT }),
      "invalid_option", "validateIdToken client_id",
    );
    await throwsCode(
      () => lib.validateAccessToken(token, jwks, { ...accessOptions(backend), scopes: ["a"] }),
      "invalid_option", "validateAccessToken scopes",
    );
  });

  add(`API contract (no RFC): options are read by name, as JavaScript reads properties: an inherited, non-enumerable or getter option is checked, never skipped ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256);
    const base = verifyOptions(backend);
    const other = "https://other.example";
    const inherited = Object.assign(Object.create({ issuer: other }), base);
    delete inherited.issuer;
    await throwsCode(() => lib.verifyJwt(token, jwks, inherited), "jwt_issuer_mismatch", "an issuer on the prototype");
    const hidden = { ...base };
    Object.defineProperty(hidden, "issuer", { value: other, enumerable: false });
    await throwsCode(() => lib.verifyJwt(token, jwks, hidden), "jwt_issuer_mismatch", "a non-enumerable issuer");
    class Options {
      get issuer() {
        return other;
      }
    }
    const { issuer: _, ...withoutIssuer } = base;
    await throwsCode(() => lib.verifyJwt(token, jwks, Object.assign(new Options(), withoutIssuer)), "jwt_issuer_mismatch", "a class's getter");
    equal((await resolves(() => lib.verifyJwt(token, jwks, Object.assign(Object.create(null), base)), "Object.create(null)")).payload.sub, SUB);
    // An inherited value is checked like an own one.
    await throwsCode(() => lib.verifyJwt(token, jwks, Object.assign(Object.create({ clockTolerance: "5" }), base)), "invalid_option", "a wrong-typed inherited option");
  });

  add(`API contract (no RFC): option values of the wrong type or range are invalid_option ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256);
    for (const bad of [
      { backend: "rust" }, { clockTolerance: -5 }, { clockTolerance: 1.5 }, { currentTime: "now" },
      { audience: [AUD, 7] }, { issuer: 42 }, { typ: ["JWT"] },
    ]) {
      await throwsCode(
        () => lib.verifyJwt(token, jwks, { ...verifyOptions(backend), ...bad }),
        "invalid_option", JSON.stringify(bad),
      );
    }
    await throwsCode(() => lib.validateIdToken(token, jwks, { currentTime: NOW, backend }), "invalid_option", "validateIdToken without issuer/clientId");
    await throwsCode(() => lib.validateAccessToken(token, jwks, { issuer: ISS, currentTime: NOW, backend }), "invalid_option", "validateAccessToken without audience");
  });

  // --- OpenID Connect ID tokens (validateIdToken) ------------------------------------
  add(`OpenID Connect Core §3.1.3.7: a jose-signed ID token validates and resolves to its claims ${tag}`, async (lib) => {
    const { keys, jwks, joseJwks } = await fixtures();
    const token = await signed(keys.RS256, idClaims({ nonce: "n-0S6_WzA2Mj", auth_time: NOW - 100, email: "a@example.com" }));
    const claims = await lib.validateIdToken(token, jwks, idTokenOptions(backend, { nonce: "n-0S6_WzA2Mj", maxAge: 3600 }));
    const { payload } = await jose.jwtVerify(token, joseJwks, { issuer: ISS, audience: CLIENT, currentDate: new Date(NOW * 1000) });
    sameJson(claims, payload, "claims");
  });

  add(`OpenID Connect Core §3.1.3.7 step 11: nonce mismatch is id_token_nonce_mismatch, absent nonce is jwt_claim_missing ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256, idClaims({ nonce: "n-0S6_WzA2Mj" }));
    await throwsCode(() => lib.validateIdToken(token, jwks, idTokenOptions(backend, { nonce: "other" })), "id_token_nonce_mismatch", "other nonce");
    await throwsCode(() => lib.validateIdToken(token, jwks, idTokenOptions(backend, { nonce: "n-0S6_WzA2M" })), "id_token_nonce_mismatch", "prefix");
    const none = await signed(keys.ES256, idClaims());
    await throwsCode(() => lib.validateIdToken(none, jwks, idTokenOptions(backend, { nonce: "n-0S6_WzA2Mj" })), "jwt_claim_missing", "no nonce claim");
    equal((await lib.validateIdToken(token, jwks, idTokenOptions(backend, { nonce: "n-0S6_WzA2Mj" }))).nonce, "n-0S6_WzA2Mj", "match");
  });

  add(`OpenID Connect Core §3.1.3.7 steps 3-5: several audiences need azp == client_id, else id_token_azp_mismatch ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const aud = [CLIENT, "https://api.example.com"];
    const noAzp = await signed(keys.ES256, idClaims({ aud }));
    await throwsCode(() => lib.validateIdToken(noAzp, jwks, idTokenOptions(backend)), "id_token_azp_mismatch", "no azp, 2 audiences");
    const otherAzp = await signed(keys.ES256, idClaims({ aud, azp: "https://api.example.com" }));
    await throwsCode(() => lib.validateIdToken(otherAzp, jwks, idTokenOptions(backend)), "id_token_azp_mismatch", "azp is the other audience");
    const single = await signed(keys.ES256, idClaims({ azp: "someone-else" }));
    await throwsCode(() => lib.validateIdToken(single, jwks, idTokenOptions(backend)), "id_token_azp_mismatch", "azp with one audience");
    const good = await signed(keys.ES256, idClaims({ aud, azp: CLIENT }));
    equal((await lib.validateIdToken(good, jwks, idTokenOptions(backend))).azp, CLIENT, "azp == client_id");
    const notUs = await signed(keys.ES256, idClaims({ aud: ["a", "b"], azp: "a" }));
    await throwsCode(() => lib.validateIdToken(notUs, jwks, idTokenOptions(backend)), "jwt_audience_mismatch", "client not in aud");
  });

  add(`OpenID Connect Core §3.1.3.7 step 13: with max_age, auth_time is required and must be recent ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const old = await signed(keys.ES256, idClaims({ auth_time: NOW - 400 }));
    await throwsCode(() => lib.validateIdToken(old, jwks, idTokenOptions(backend, { maxAge: 300 })), "id_token_auth_time_too_old", "400 s > 300 s");
    equal((await lib.validateIdToken(old, jwks, idTokenOptions(backend, { maxAge: 300, clockTolerance: 120 }))).auth_time, NOW - 400, "tolerance");
    equal((await lib.validateIdToken(old, jwks, idTokenOptions(backend, { maxAge: 600 }))).auth_time, NOW - 400, "within max_age");
    const missing = await signed(keys.ES256, idClaims());
    await throwsCode(() => lib.validateIdToken(missing, jwks, idTokenOptions(backend, { maxAge: 300 })), "jwt_claim_missing", "no auth_time");
    const wrongType = await signedText(keys.ES256, JSON.stringify(idClaims({ auth_time: String(NOW) })));
    await throwsCode(() => lib.validateIdToken(wrongType, jwks, idTokenOptions(backend, { maxAge: 300 })), "jwt_claim_invalid", "auth_time string");
  });

  // EdDSA names no hash; for Ed25519 the OpenID Foundation's answer (connect issue 1125)
  // is the curve's own SHA-512, which is what jose-based OPs and this package use.
  for (const alg of ["ES256", "RS256", "ES384", "EdDSA"]) {
    const hash = ALGS[alg].hash;
    add(`OpenID Connect Core §3.1.3.6, §3.1.3.8: ${alg} at_hash (left half of ${hash}, computed with WebCrypto) checks the access token ${tag}`, async (lib) => {
      const { keys, jwks } = await fixtures();
      const accessToken = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
      const token = await signed(keys[alg], idClaims({ at_hash: await halfHash(hash, accessToken) }));
      equal((await lib.validateIdToken(token, jwks, idTokenOptions(backend, { accessToken }))).sub, SUB, "matching access token");
      await throwsCode(
        () => lib.validateIdToken(token, jwks, idTokenOptions(backend, { accessToken: `${accessToken}x` })),
        "id_token_at_hash_mismatch", "other access token",
      );
      const otherHash = await signed(keys[alg], idClaims({ at_hash: await halfHash(hash === "SHA-256" ? "SHA-384" : "SHA-256", accessToken) }));
      await throwsCode(
        () => lib.validateIdToken(otherHash, jwks, idTokenOptions(backend, { accessToken })),
        "id_token_at_hash_mismatch", "hash of another alg",
      );
    });
  }

  add(`OpenID Connect Core §3.3.2.11: c_hash (left half of SHA-256, computed with WebCrypto) checks the code ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
    const token = await signed(keys.ES256, idClaims({ c_hash: await halfHash("SHA-256", code) }));
    equal((await lib.validateIdToken(token, jwks, idTokenOptions(backend, { code }))).c_hash, await halfHash("SHA-256", code), "matching code");
    await throwsCode(() => lib.validateIdToken(token, jwks, idTokenOptions(backend, { code: "other-code" })), "id_token_c_hash_mismatch", "other code");
  });

  add(`RFC 8725 §3.11, RFC 9068 §2.1: an at+jwt (access token) presented as an ID token is jwt_typ_mismatch ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    for (const typ of ["at+jwt", "application/at+jwt", "logout+jwt"]) {
      const token = await signed(keys.ES256, idClaims(), { typ });
      await throwsCode(() => lib.validateIdToken(token, jwks, idTokenOptions(backend)), "jwt_typ_mismatch", typ);
    }
  });

  add(`RFC 7519 §5.1, RFC 7515 §4.1.9: an ID token typed "JWT", "jwt" or "application/jwt" (the same media type) validates ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    for (const typ of ["JWT", "jwt", "application/jwt", "application/JWT"]) {
      const token = await signed(keys.ES256, idClaims(), { typ });
      const claims = await resolves(() => lib.validateIdToken(token, jwks, idTokenOptions(backend)), `typ ${typ}`);
      equal(claims.sub, SUB, `typ ${typ}`);
    }
  });

  add(`OpenID Connect Core §2, §3.1.3.7: iss, aud, exp, sub and iat rules of ID tokens ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const check = async (claims, code, what) => {
      const token = await signed(keys.ES256, claims);
      await throwsCode(() => lib.validateIdToken(token, jwks, idTokenOptions(backend)), code, what);
    };
    await check(idClaims({ iss: "https://evil.example.com" }), "jwt_issuer_mismatch", "iss");
    await check(idClaims({ aud: "another-client" }), "jwt_audience_mismatch", "aud");
    await check(idClaims({ iat: NOW - 700, exp: NOW - 1 }), "jwt_expired", "exp");
    await check(idClaims({ sub: undefined }), "jwt_claim_missing", "sub required");
    await check(idClaims({ iat: undefined }), "jwt_claim_missing", "iat required");
    await check(idClaims({ exp: undefined }), "jwt_claim_missing", "exp required");
  });

  // --- RFC 9068 access tokens (validateAccessToken) ----------------------------------
  add(`RFC 9068 §4: an at+jwt access token signed by jose validates; scopes are checked ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    for (const typ of ["at+jwt", "application/at+jwt"]) {
      const token = await signed(keys.PS256, accessClaims(), { typ });
      const { header, payload } = await lib.validateAccessToken(token, jwks, accessOptions(backend, { requiredScopes: ["api:read"] }));
      equal(header.typ, typ, "typ");
      equal(payload.client_id, CLIENT, "client_id");
    }
  });

  add(`RFC 9068 §4: typ JWT or no typ is jwt_typ_mismatch (an ID token is not an access token) ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const jwt = await signed(keys.ES256, accessClaims());
    await throwsCode(() => lib.validateAccessToken(jwt, jwks, accessOptions(backend)), "jwt_typ_mismatch", "typ JWT");
    const untyped = await new jose.SignJWT(accessClaims()).setProtectedHeader({ alg: "ES256" }).sign(keys.ES256.privateKey);
    await throwsCode(() => lib.validateAccessToken(untyped, jwks, accessOptions(backend)), "jwt_typ_mismatch", "no typ");
  });

  add(`RFC 9068 §4, RFC 6750 §3.1: a missing scope is insufficient_scope (no prefix matching) ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256, accessClaims({ scope: "openid api:read" }), { typ: "at+jwt" });
    await throwsCode(
      () => lib.validateAccessToken(token, jwks, accessOptions(backend, { requiredScopes: ["api:read", "api:write"] })),
      "insufficient_scope", "api:write",
    );
    await throwsCode(
      () => lib.validateAccessToken(token, jwks, accessOptions(backend, { requiredScopes: ["api"] })),
      "insufficient_scope", "prefix of a granted scope",
    );
    const noScope = await signed(keys.ES256, accessClaims({ scope: undefined }), { typ: "at+jwt" });
    await throwsCode(
      () => lib.validateAccessToken(noScope, jwks, accessOptions(backend, { requiredScopes: ["openid"] })),
      "insufficient_scope", "no scope claim",
    );
  });

  add(`RFC 9068 §2.2.3, RFC 8693 §4.2: scope as a JSON array instead of a space-separated string is jwt_claim_invalid ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const token = await signed(keys.ES256, accessClaims({ scope: ["api:read"] }), { typ: "at+jwt" });
    await throwsCode(
      () => lib.validateAccessToken(token, jwks, accessOptions(backend, { requiredScopes: ["api:read"] })),
      "jwt_claim_invalid", "scope array",
    );
  });

  add(`RFC 9068 §2.2, §4: missing client_id or jti is jwt_claim_missing; wrong aud / iss mismatch ${tag}`, async (lib) => {
    const { keys, jwks } = await fixtures();
    const check = async (claims, code, what) => {
      const token = await signed(keys.ES256, claims, { typ: "at+jwt" });
      await throwsCode(() => lib.validateAccessToken(token, jwks, accessOptions(backend)), code, what);
    };
    await check(accessClaims({ client_id: undefined }), "jwt_claim_missing", "client_id");
    await check(accessClaims({ jti: undefined }), "jwt_claim_missing", "jti");
    await check(accessClaims({ aud: "https://other.example.com" }), "jwt_audience_mismatch", "aud");
    await check(accessClaims({ iss: "https://evil.example.com" }), "jwt_issuer_mismatch", "iss");
    await check(accessClaims({ iat: NOW - 700, exp: NOW - 100 }), "jwt_expired", "exp");
  });
}

export const jwtCases = cases;
