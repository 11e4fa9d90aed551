// Public documents answered again from a copy, without entering the module.
//
// The provider marks what any shared cache may keep: `Cache-Control: public, max-age=N` on
// its discovery document, `/jwks` and its protected-resource metadata (RFC 9111 §5.2.2.9,
// §5.2.2.1). Such an answer is a function of the URL, of the request fields its `Vary` names
// (RFC 9111 §4.1), and of the deployment: the configuration and the signing keys arrive in
// the isolate's `env`, which changes only with a deploy (key rotation publishes a key a full
// `max-age` before it signs: src/op/keys/rotation.rs). So a copy kept per `env`, for no
// longer than the answer's own freshness lifetime, is what a cache in front of the Worker
// would serve, and relying parties fetch these documents more than anything else.
//
// What it saves is the module's fixed cost of an answer: handing the URL and every header
// field to wasm, and building the Response from wasm memory (benches/README.md, "Side by
// side", the metadata row). Only a GET is answered from a copy; a HEAD, a preflight and
// everything else go to the module as before.
//
// A copy is the origin's own answer, so it states its freshness as the origin does: its
// `max-age` (and `s-maxage`) count down by the copy's age in seconds, rounded up, which is
// what the module's answer plus an `Age` field would tell a client (RFC 9111 §4.2.1, §5.1:
// the same expiry), without a field more on every answer. A client or cache behind the Worker
// thus never keeps a document past the moment the module's own answer would have expired,
// which key rotation relies on.

/**
 * At most this many documents are kept; a URL with a query is never kept, so the set is the
 * provider's own few paths (times the host names it answers on).
 */
const MAX_ENTRIES = 16;
/** A bigger body is not kept. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * How many seconds `cacheControl` lets a shared cache keep an answer: `s-maxage`, else
 * `max-age`, when it says `public` and none of `no-store`, `no-cache` and `private`; `null`
 * otherwise (and for anything malformed). Directive names are case-insensitive (§5.2).
 */
export function sharedLifetime(cacheControl) {
  if (cacheControl === null) return null;
  let isPublic = false;
  let maxAge = null;
  let sharedMaxAge = null;
  for (const directive of cacheControl.split(",")) {
    const [rawName, ...rest] = directive.split("=");
    const name = rawName.trim().toLowerCase();
    const value = rest.join("=").trim();
    if (name === "no-store" || name === "no-cache" || name === "private") return null;
    if (name === "public") isPublic = true;
    if (name === "max-age" || name === "s-maxage") {
      if (!/^\d{1,9}$/.test(value)) return null;
      if (name === "max-age") maxAge = Number(value);
      else sharedMaxAge = Number(value);
    }
  }
  const lifetime = sharedMaxAge ?? maxAge;
  return isPublic && lifetime !== null && lifetime > 0 ? lifetime : null;
}

/**
 * `cacheControl` (whose `max-age` and `s-maxage` `sharedLifetime` has read as digits) with
 * `age` seconds taken off both, never below 0; every other directive as it was.
 */
export function countedDown(cacheControl, age) {
  return cacheControl
    .split(",")
    .map((directive) => {
      const [rawName, ...rest] = directive.split("=");
      const name = rawName.trim().toLowerCase();
      if (name !== "max-age" && name !== "s-maxage") return directive.trim();
      return `${name}=${Math.max(0, Number(rest.join("=").trim()) - age)}`;
    })
    .join(", ");
}

/** The lower-cased field names of a `Vary` value; `null` for `*`, which no cache may match. */
function varyNames(vary) {
  if (vary === null) return [];
  const names = vary.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
  return names.includes("*") ? null : names;
}

export class PublicCache {
  #env = undefined;
  /**
   * url → { body, headers (every field but Cache-Control and Age, as an object: each name
   * once, Set-Cookie never kept), cacheControl, stored, expires, vary: [[name, value or null]],
   * and the fields of its answers at the age they were last built for (fields, fieldsAge) }
   */
  #entries = new Map();
  #now;

  /** @param {() => number} now  milliseconds, as Date.now */
  constructor(now = Date.now) {
    this.#now = now;
  }

  /** The entries of `env`; another env (a new deploy) drops every copy made before it. */
  #entriesOf(env) {
    if (env !== this.#env) {
      this.#env = env;
      this.#entries.clear();
    }
    return this.#entries;
  }

  /**
   * The answer to `request`: a fresh copy when one is kept for its GET, else
   * `module(request, env, ctx)`'s, which is kept for later if a shared cache could keep it.
   * The request's method and URL are read once here (each read is a call into the runtime
   * that makes a new string), and a response that cannot be kept is told apart by its
   * status and `Cache-Control` alone.
   */
  serve(request, env, ctx, module) {
    let method;
    let url;
    try {
      ({ method, url } = request);
    } catch {
      // Not a request whose fields read: the module's to answer (or to fail on).
      return module(request, env, ctx);
    }
    if (method !== "GET") return module(request, env, ctx);
    const kept = this.#answer(request, env, url);
    if (kept !== undefined) return kept;
    const response = module(request, env, ctx);
    if (!url.includes("?")) this.#learn(request, env, url, response, ctx);
    return response;
  }

  /** A fresh copy of the answer kept for a GET of `url`, or undefined. */
  #answer(request, env, url) {
    const entries = this.#entriesOf(env);
    if (entries.size === 0) return undefined;
    const entry = entries.get(url);
    if (entry === undefined) return undefined;
    const now = this.#now();
    if (now >= entry.expires) {
      entries.delete(url);
      return undefined;
    }
    for (const [name, value] of entry.vary) {
      if (request.headers.get(name) !== value) return undefined;
    }
    // Rounded up, so no client keeps a copy past the module answer's own expiry; never
    // negative, should the clock step back. The fields change once a second at most, so
    // they are built then, not for every answer (the constructor copies them).
    const age = Math.max(0, Math.ceil((now - entry.stored) / 1000));
    if (entry.fieldsAge !== age) {
      entry.fieldsAge = age;
      entry.fields = { ...entry.headers, "cache-control": countedDown(entry.cacheControl, age) };
    }
    return new Response(entry.body, { status: 200, headers: entry.fields });
  }

  /** Drops the copies whose lifetime is over, so they do not hold places others could take. */
  #dropExpired(entries) {
    const now = this.#now();
    for (const [url, entry] of entries) {
      if (now >= entry.expires) entries.delete(url);
    }
  }

  /**
   * Keeps a copy of `response` (the module's answer to a GET of `url`, which has no query: a
   * Response, or a promise of one, which is never kept) if a shared cache could. The body is
   * read from a clone, so `response` itself goes out untouched; the read is handed to
   * `ctx.waitUntil`, so the runtime lets it finish after the answer is sent.
   */
  #learn(request, env, url, response, ctx) {
    if (!(response instanceof Response) || response.status !== 200) return;
    const fields = response.headers;
    const cacheControl = fields.get("cache-control");
    const lifetime = sharedLifetime(cacheControl);
    if (lifetime === null || fields.has("set-cookie")) return;
    const names = varyNames(fields.get("vary"));
    if (names === null) return;
    const entries = this.#entriesOf(env);
    const full = () => {
      if (entries.size < MAX_ENTRIES || entries.has(url)) return false;
      this.#dropExpired(entries);
      return entries.size >= MAX_ENTRIES;
    };
    if (full()) return;
    const headers = Object.fromEntries([...fields].filter(([name]) => name !== "age" && name !== "cache-control"));
    const vary = names.map((name) => [name, request.headers.get(name)]);
    const stored = this.#now();
    const expires = stored + lifetime * 1000;
    const reading = response.clone().arrayBuffer().then(
      (body) => {
        // Kept only if the deploy it was made under is still the one answering.
        if (body.byteLength > MAX_BODY_BYTES || env !== this.#env || full()) return;
        entries.set(url, { body: new Uint8Array(body), headers, cacheControl, stored, expires, vary });
      },
      () => {
        // A body that cannot be read is simply not kept.
      },
    );
    ctx?.waitUntil(reading);
  }
}
