// DpopKey: what a client makes DPoP proofs with (RFC 9449 §4.2), a P-256 key pair signing
// ES256.
//
// Making a proof reads nothing untrusted: the app's own key and the request it is about to
// send. It is a fixed header, a handful of claims, SHA-256 for `ath` and one signature, all
// of which the platform does natively (JSON, WebCrypto), so it is done here rather than in
// the wasm core, which keeps what reads untrusted input: tokens, proofs, JWKS (benches/
// README.md, "Package size": the core is 10 KB gzipped smaller without this). The keys of
// the `wasm` backend live in the pure-Rust module, which checks an imported private JWK in
// full (its shape, the point on the curve, a private half that matches) and signs with it.
import { OidcEdgeError } from "./error.js";
import { fail, isObject, readOptions } from "./options.js";
import { rustCrypto } from "./snippets/RUSTCRYPTO_SNIPPET";

const MAX_URI_LEN = 4096; // the core's cap on an htu (src/dpop/htu.rs)
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/; // RFC 9110 §5.6.2 token, as the core checks htm
const PRINTABLE = /^[\x21-\x7e]+$/; // no spaces, controls or non-ASCII in a URI
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]{1,4096}$/; // RFC 9449 §8.1 1*NQCHAR, capped like an htu
const B64URL_256 = /^[A-Za-z0-9_-]{43}$/; // a P-256 coordinate, base64url without padding
const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" };
const ES256 = { name: "ECDSA", hash: "SHA-256" };
const PRIVATE = Symbol("DpopKey");
const encoder = new TextEncoder();

const subtle = () => globalThis.crypto?.subtle;

function base64url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/[+/=]/g, (c) => (c === "+" ? "-" : c === "/" ? "_" : ""));
}

/** What a platform call failed with, as the core names it. */
const cryptoFailed = (cause) => new OidcEdgeError("crypto_unavailable", "the platform cryptography failed", { cause });

function unsupported(reason) {
  fail("invalid_option", `option "backend": ${reason}`);
}

async function sha256(bytes) {
  const platform = subtle();
  if (platform) return new Uint8Array(await platform.digest("SHA-256", bytes).catch((cause) => Promise.reject(cryptoFailed(cause))));
  const module = await loadRustCrypto();
  return inModule(() => module.digest("SHA-256", bytes));
}

async function loadRustCrypto() {
  try {
    return await rustCrypto();
  } catch (cause) {
    throw cryptoFailed(cause);
  }
}

/** A call into the pure-Rust module, a trap there being `crypto_unavailable`. */
function inModule(call) {
  try {
    return call();
  } catch (cause) {
    throw cryptoFailed(cause);
  }
}

/** RFC 7638 §3.3: the required members of a P-256 JWK in lexicographic order, no spaces. */
const canonical = (x, y) => `{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`;

/** `htu` (RFC 9449 §4.2): the request URI as `fetch` sends it, without query and fragment.
 *  Only absolute http and https URIs, as the core's check takes them (src/dpop/htu.rs). */
function htu(uri) {
  const invalid = (reason) => fail("dpop_invalid_uri", `invalid DPoP URI: ${reason}`);
  if (!PRINTABLE.test(uri)) invalid("contains spaces, controls or non-ASCII characters");
  let url;
  try {
    url = new URL(uri);
  } catch {
    invalid("not an absolute URI");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") invalid("scheme must be http or https");
  if (url.username || url.password) invalid("user information is not allowed");
  // The parser keeps a `%` that starts no escape, which the core refuses.
  if (/%(?![0-9a-f]{2})/i.test(url.pathname)) invalid("invalid percent-encoding");
  // Upper-case escapes, as the core normalises them (RFC 3986 §6.2.2.1).
  const htu = url.origin + url.pathname.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase());
  // Checked once parsed: the parser's own escapes make a URI longer.
  if (htu.length > MAX_URI_LEN) invalid("longer than 4096 bytes");
  return htu;
}

/** A JWK given as an object (or as its JSON text) as JSON text. */
function jsonText(value) {
  if (typeof value === "string") return value;
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    // A BigInt, a cycle, a getter that throws.
  }
  if (typeof text !== "string" || !isObject(value)) fail("jwk_invalid", "invalid JWK: expected a JWK object");
  return text;
}

/** A P-256 key pair: in browsers a non-extractable WebCrypto key that IndexedDB can keep; the
 *  `wasm` backend holds the key in the pure-Rust module, for runtimes without WebCrypto and
 *  for fixed test keys. */
export class DpopKey {
  #sign;
  #cryptoKey;
  #publicJwk;
  #thumbprint;
  #header;
  #ath = null; // [the last access token, its hash]: a client sends one token many times

  /** Not called directly: `DpopKey.generate`, `importJwk` and `load` make keys. */
  constructor(token, sign, cryptoKey, publicJwk, thumbprint) {
    if (token !== PRIVATE) fail("invalid_option", "DpopKey: use DpopKey.generate, DpopKey.importJwk or DpopKey.load");
    this.#sign = sign;
    this.#cryptoKey = cryptoKey;
    this.#publicJwk = publicJwk;
    this.#thumbprint = thumbprint;
    // The header is the same for every proof of this key.
    this.#header = `${base64url(encoder.encode(`{"typ":"dpop+jwt","alg":"ES256","jwk":${canonical(publicJwk.x, publicJwk.y)}}`))}.`;
  }

  /** A new key: `backend` "webcrypto" (the default where the runtime has it) or "wasm";
   *  `extractable` (default false) applies to WebCrypto keys only. */
  static async generate(options) {
    const o = readOptions(options, { backend: "string", extractable: "boolean" }, "DpopKey.generate");
    const backend = o.backend ?? (subtle() ? "webcrypto" : "wasm");
    if (backend === "wasm") {
      const module = await loadRustCrypto();
      const text = inModule(() => module.generateP256());
      // The module answers "" when the platform's random number generator failed.
      if (text === "") fail("random_unavailable", "the platform random number generator failed");
      return wasmKey(text, module);
    }
    if (backend !== "webcrypto") unsupported('must be "webcrypto" or "wasm"');
    const platform = subtle();
    if (!platform) unsupported("this runtime has no WebCrypto");
    let pair, jwk;
    try {
      pair = await platform.generateKey(ECDSA_P256, o.extractable ?? false, ["sign", "verify"]);
      jwk = await platform.exportKey("jwk", pair.publicKey);
    } catch (cause) {
      throw cryptoFailed(cause);
    }
    return webCryptoKey(pair.privateKey, jwk);
  }

  /** A key from a private P-256 JWK (`kty`, `crv`, `x`, `y`, `d`), on the `wasm` backend. */
  static async importJwk(privateJwk) {
    const text = jsonText(privateJwk);
    return wasmKey(text);
  }

  /** The key saved under `name` by `save`, or `null`. */
  static async load(name) {
    const record = await idbGet(name);
    if (record === undefined || record === null) return null;
    const damaged = () => fail("jwk_invalid", "invalid JWK: stored DPoP key record is damaged");
    if (!subtle()) unsupported("this runtime has no WebCrypto");
    const key = record?.privateKey;
    if (
      !isObject(record) || !(key instanceof CryptoKey) || key.type !== "private" || key.algorithm.name !== "ECDSA" ||
      key.algorithm.namedCurve !== "P-256" || !key.usages.includes("sign") || !isObject(record.publicJwk)
    ) {
      damaged();
    }
    return webCryptoKey(key, record.publicJwk, damaged);
  }

  /** The RFC 7638 thumbprint of the public key: what tokens are bound to (`cnf.jkt`). */
  get thumbprint() {
    return this.#thumbprint;
  }

  /** "webcrypto" or "wasm". */
  get backend() {
    return this.#cryptoKey ? "webcrypto" : "wasm";
  }

  /** The private `CryptoKey` of a WebCrypto key, or `undefined` for the `wasm` backend. */
  get cryptoKey() {
    return this.#cryptoKey;
  }

  /** The public JWK (`kty`, `crv`, `x`, `y`), as proofs carry it. */
  publicJwk() {
    return { ...this.#publicJwk };
  }

  /** A proof for one request: `typ` dpop+jwt, ES256, the public `jwk`, `htm`, `htu` without
   *  query and fragment, `iat`, a fresh `jti`, and `ath` / `nonce` when given. */
  async proof(input) {
    if (!(#sign in this)) fail("invalid_option", "proof: not called on a DpopKey");
    const { htm, htu: uri, accessToken, nonce, iat } = readOptions(
      input, { htm: "string", htu: "string", accessToken: "string", nonce: "string", iat: "number" }, "proof",
    );
    if (htm === undefined || uri === undefined) fail("invalid_option", `proof: ${htm === undefined ? "htm" : "htu"} is required`);
    if (iat !== undefined && !(Number.isInteger(iat) && iat <= 1e15)) fail("invalid_option", "proof: iat must be a whole number of seconds, at least 0");
    if (!METHOD.test(htm)) fail("dpop_htm_mismatch", "DPoP proof htm must be an HTTP method token");
    if (nonce !== undefined && !NONCE.test(nonce)) fail("invalid_option", "proof: nonce must be 1 to 4096 NQCHAR (RFC 9449 §8.1)");
    const random = globalThis.crypto?.getRandomValues?.(new Uint8Array(16));
    if (!random) fail("random_unavailable", "the platform random number generator failed");
    const claims = { jti: base64url(random), htm, htu: htu(uri), iat: iat ?? Math.floor(Date.now() / 1000) };
    if (accessToken !== undefined) {
      if (this.#ath?.[0] !== accessToken) this.#ath = [accessToken, base64url(await sha256(encoder.encode(accessToken)))];
      claims.ath = this.#ath[1];
    }
    if (nonce !== undefined) claims.nonce = nonce;
    const input64 = this.#header + base64url(encoder.encode(JSON.stringify(claims)));
    return `${input64}.${base64url(await this.#sign(encoder.encode(input64)))}`;
  }

  /** Stores a WebCrypto key in IndexedDB under `name` (browsers): its private half stays a
   *  non-extractable `CryptoKey`. */
  async save(name) {
    if (!(#sign in this)) fail("invalid_option", "save: not called on a DpopKey");
    if (!this.#cryptoKey) unsupported("only WebCrypto keys can be saved");
    await idbPut(name, { privateKey: this.#cryptoKey, publicJwk: this.publicJwk() });
  }
}

/** A WebCrypto key from its private `CryptoKey` and public JWK (exported by WebCrypto, or
 *  as `save` stored it: checked, since storage can be changed by anything on the origin). */
async function webCryptoKey(privateKey, jwk, damaged = () => fail("crypto_unavailable", "the platform cryptography failed")) {
  const { kty, crv, x, y } = jwk;
  if (kty !== "EC" || crv !== "P-256" || !B64URL_256.test(x) || !B64URL_256.test(y)) damaged();
  const thumbprint = base64url(await sha256(encoder.encode(canonical(x, y))));
  const sign = async (data) => {
    try {
      return new Uint8Array(await subtle().sign(ES256, privateKey, data));
    } catch (cause) {
      throw cryptoFailed(cause);
    }
  };
  return new DpopKey(PRIVATE, sign, privateKey, { kty, crv, x, y }, thumbprint);
}

/** A `wasm` key from the text of a private P-256 JWK, checked in full by the pure-Rust
 *  module (given, or loaded here). */
async function wasmKey(text, module) {
  module ??= await loadRustCrypto();
  let described;
  try {
    described = module.dpopKey(text);
  } catch (refused) {
    if (!Array.isArray(refused)) throw cryptoFailed(refused);
    // The core's error (src/error.rs): its code and message.
    const [coreCode, message] = refused;
    fail(coreCode, message);
  }
  const [publicText, thumbprint] = described;
  const { kty, crv, x, y } = JSON.parse(publicText);
  const sign = async (data) => {
    const signature = inModule(() => module.signEs256(text, data));
    if (signature.length === 0) fail("key_alg_mismatch", "the selected key cannot be used with the token's algorithm");
    return signature;
  };
  return new DpopKey(PRIVATE, sign, undefined, { kty, crv, x, y }, thumbprint);
}

// IndexedDB, where `save` and `load` keep WebCrypto keys: the record holds the private key as
// a CryptoKey object (structured clone keeps it non-extractable: the key material never
// reaches JavaScript) next to its public JWK.
const DB_NAME = "oidc-edge";
const STORE = "dpop-keys";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function open() {
  if (typeof indexedDB === "undefined") {
    throw new OidcEdgeError("storage_unavailable", "IndexedDB is not available in this runtime");
  }
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return request(req);
}

/** `use(store)` in a transaction of `mode`; what IndexedDB refuses (a sandboxed origin, a
 *  name it cannot take as a key, a full disk) is `storage_unavailable`. */
async function withStore(mode, use) {
  try {
    return await transaction(mode, use);
  } catch (cause) {
    if (cause instanceof OidcEdgeError) throw cause;
    fail("storage_unavailable", `IndexedDB: ${cause?.message ?? cause}`, { cause });
  }
}

async function transaction(mode, use) {
  const db = await open();
  try {
    const tx = db.transaction(STORE, mode);
    // Listen for completion before anything can complete: a write counts only once its
    // transaction has committed.
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    const [result] = await Promise.all([request(use(tx.objectStore(STORE))), done]);
    return result;
  } finally {
    db.close();
  }
}

function idbPut(name, record) {
  return withStore("readwrite", (store) => store.put(record, name));
}

function idbGet(name) {
  return withStore("readonly", (store) => store.get(name));
}
