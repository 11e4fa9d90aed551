// createRemoteKeySet: a resource server's view of its provider's JWKS (RFC 7517 §5), fetched
// from a URL and kept as the HTTP caching headers allow (RFC 9111 §5.2.2: max-age, no-store,
// no-cache), never longer than `maxAge`; fetched again early for a `kid` it does not know
// (the provider rotated its keys), but at most once per `cooldown`, since anyone can send a
// token with a made-up kid. verify.js asks it for keys through RESOLVE; the keys themselves
// are checked by the wasm's createKeySet. Also the small HTTP helpers server.js
// shares: every response read here is untrusted, so each is capped in size and in time.
import { createKeySet } from "./oidc_edge.js";
import { OidcEdgeError } from "./error.js";
import { fail, isObject, readOptions } from "./options.js";
import { RESOLVE } from "./verify.js";

const MAX_JWKS_BYTES = 64 * 1024; // the core's own cap on a JWKS (src/jose/jwk.rs MAX_JWKS_LEN)
const MAX_KEYS = 64; // and on its keys (MAX_JWKS_KEYS)
const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i; // application/json, application/jwk-set+json…
const MAX_HEADER = 8 * 1024; // longest protected header read for its kid (the wasm caps the JWS)
// Longest `timeout`, in seconds: beyond 2^31 - 1 ms setTimeout fires at once (Node warns
// and waits 1 ms), which would abort every fetch; ten minutes is past any useful wait.
const MAX_TIMEOUT = 600;

/** A `timeout` option (seconds, already a finite number ≥ 0 when given): more than 0, at
 *  most MAX_TIMEOUT. */
export function checkTimeout(value, name) {
  if (value !== undefined && !(value > 0 && value <= MAX_TIMEOUT)) {
    fail("invalid_option", `${name} must be more than 0 and at most ${MAX_TIMEOUT} seconds`);
  }
}

/** `value` as a URL the package may fetch: https, or http on a loopback host (for local
 *  development and tests). A token's keys fetched over plain http could be anyone's. */
export function fetchableUrl(value, name) {
  let url = null;
  try {
    url = new URL(value);
  } catch {
    // Reported below.
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url?.hostname);
  if (url?.protocol !== "https:" && !(url?.protocol === "http:" && loopback)) {
    fail("invalid_option", `${name} must be an https URL (http only on localhost): ${String(value).slice(0, 200)}`);
  }
  return url;
}

/** The body, refusing more than `max` bytes (declared or received). */
async function readText(res, max, what) {
  if (Number(res.headers.get("content-length")) > max) fail("response_too_large", `${what}: larger than ${max} bytes`);
  const chunks = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read().catch((cause) => fail("network_error", `${what}: ${cause?.message}`, { cause }));
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        reader.cancel().catch(() => {});
        fail("response_too_large", `${what}: larger than ${max} bytes`);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** A JSON object body (a JSON media type required) of at most `max` bytes, else `code`. */
async function readJson(res, max, code, what) {
  if (!JSON_TYPE.test(res.headers.get("content-type") ?? "")) {
    fail(code, `${what}: Content-Type must be JSON, got ${String(res.headers.get("content-type")).slice(0, 100)}`, { status: res.status });
  }
  let body = null;
  try {
    body = JSON.parse(await readText(res, max, what));
  } catch (err) {
    if (err instanceof OidcEdgeError) throw err;
  }
  if (!isObject(body)) fail(code, `${what}: not a JSON object`, { status: res.status });
  return body;
}

/**
 * Sends `init` to `url` through `http` and reads the JSON object it answers with (200 only),
 * all within `timeout` seconds, even with a `fetch` that ignores the abort signal. Redirects
 * are not followed: the URL was checked, the Location it points to was not. Throws
 * `network_error`, `aborted` (the timeout), `response_too_large`, or `code` (another status,
 * with the answer's `status`, `error` and `error_description`; a body that is not JSON).
 */
export async function fetchJson(http, url, init, { timeout, max, code, what }) {
  const controller = new AbortController();
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new OidcEdgeError("aborted", `${what}: no answer within ${timeout} s`));
    }, timeout * 1000);
  });
  const exchange = (async () => {
    let res;
    try {
      res = await http(url.href, { ...init, redirect: "manual", signal: controller.signal });
    } catch (cause) {
      fail("network_error", `${what}: ${cause?.message}`, { cause });
    }
    if (res.status !== 200) {
      const problem = await readJson(res, max, code, what).catch(() => ({}));
      const details = { status: res.status };
      for (const name of ["error", "error_description"]) {
        if (typeof problem[name] === "string") details[name] = problem[name];
      }
      fail(code, `${what}: HTTP ${res.status}${res.status >= 300 && res.status < 400 ? " (redirects are not followed)" : ""}`, details);
    }
    return { body: await readJson(res, max, code, what), headers: res.headers };
  })();
  // Whatever the exchange does once the time is up is of no interest.
  exchange.catch(() => {});
  try {
    return await Promise.race([exchange, late]);
  } finally {
    clearTimeout(timer);
    // A body left unread (an error answer, a timeout) holds the connection open.
    controller.abort();
  }
}

/** The `kid` of a compact JWS's protected header, or undefined. Read without trusting it:
 *  it only decides whether to fetch the keys again; the wasm checks the token from scratch. */
function kidOf(token) {
  try {
    const part = token.slice(0, token.indexOf("."));
    if (part.length > MAX_HEADER) return undefined;
    const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const header = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return typeof header?.kid === "string" ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds a JWKS response may be used for: its Cache-Control max-age less its Age
 *  (RFC 9111 §4.2), none with no-store or no-cache, and never more than `maxAge`. */
function freshFor(headers, maxAge) {
  const directives = (headers.get("cache-control") ?? "").toLowerCase();
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:[,=]|$)/.test(directives)) return 0;
  const given = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/.exec(directives);
  if (!given) return maxAge;
  const age = Number(headers.get("age"));
  return Math.min(maxAge, Math.max(0, Number(given[1]) - (Number.isFinite(age) ? age : 0)));
}

class RemoteKeySet {
  #url;
  #http;
  #cooldown;
  #maxAge;
  #timeout;
  #current = null; // { keys (a createKeySet set), kids (a Set), freshUntil (ms) }
  #failure = null; // the last fetch's error, until one succeeds
  #fetchedAt = -Infinity; // ms: when the last fetch started
  #pending = null;

  constructor(url, { cooldown = 30, maxAge = 600, timeout = 5, fetch: http = globalThis.fetch }) {
    this.#url = url;
    this.#cooldown = cooldown;
    this.#maxAge = maxAge;
    this.#timeout = timeout;
    // Called detached: some runtimes refuse `fetch` called as a method of another object.
    this.#http = (input, init) => http(input, init);
    Object.freeze(this);
  }

  get url() {
    return this.#url.href;
  }

  /** Fetches the JWKS now, whatever the cooldown (one fetch at a time, shared). */
  reload() {
    this.#pending ??= this.#load().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async [RESOLVE](token, tried) {
    const current = this.#current;
    const mayFetch = this.#pending !== null || Date.now() - this.#fetchedAt >= this.#cooldown * 1000;
    if (tried !== undefined) {
      if (current !== null && current.keys !== tried) return current.keys;
      return mayFetch ? this.reload() : null;
    }
    if (current === null || Date.now() >= current.freshUntil) {
      // Within the cooldown, a set fetched with no-store (or max-age=0) is still used; a failed
      // fetch is not retried, and no set past its lifetime is trusted in its place.
      if (this.#failure !== null && !mayFetch) throw this.#failure;
      if (mayFetch || current === null) return this.reload();
    }
    const kid = typeof token === "string" ? kidOf(token) : undefined;
    if (kid !== undefined && !current.kids.has(kid) && mayFetch) return this.reload();
    return current.keys;
  }

  async #load() {
    this.#fetchedAt = Date.now();
    try {
      const init = { headers: { accept: "application/jwk-set+json, application/json" } };
      const { body, headers } = await fetchJson(this.#http, this.#url, init, {
        timeout: this.#timeout, max: MAX_JWKS_BYTES, code: "jwks_invalid", what: "JWKS",
      });
      if (!Array.isArray(body.keys)) fail("jwks_invalid", "JWKS: keys must be an array");
      if (body.keys.length > MAX_KEYS) fail("jwks_invalid", `JWKS: more than ${MAX_KEYS} keys`);
      let keys;
      try {
        keys = createKeySet(body);
      } catch (cause) {
        fail("jwks_invalid", `JWKS: ${cause?.message}`, { cause });
      }
      const kids = new Set(body.keys.map((key) => key?.kid));
      this.#current = { keys, kids, freshUntil: Date.now() + freshFor(headers, this.#maxAge) * 1000 };
      this.#failure = null;
      return keys;
    } catch (err) {
      this.#failure = err;
      throw err;
    }
  }
}

/** A key set fetched from `url` for verifyJwt, validateIdToken, validateAccessToken and
 *  authenticateRequest. Durations in seconds. */
export function createRemoteKeySet(url, options) {
  const o = readOptions(options, { cooldown: "number", maxAge: "number", timeout: "number", fetch: "function" }, "createRemoteKeySet");
  checkTimeout(o.timeout, "createRemoteKeySet: timeout");
  if (o.fetch === undefined && typeof globalThis.fetch !== "function") {
    fail("invalid_option", "createRemoteKeySet: fetch is required where there is no global fetch");
  }
  return new RemoteKeySet(fetchableUrl(url, "createRemoteKeySet: url"), { ...o });
}
