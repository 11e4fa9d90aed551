// OidcClient: the authorization code flow for single-page apps (OpenID Connect Core §3.1)
// with PKCE (RFC 7636), DPoP (RFC 9449), the `iss` response parameter (RFC 9207) and pushed
// authorization requests (RFC 9126).
// This file does the I/O (fetch, storage); every check on a token, every PKCE pair and
// random value comes from the wasm core, and DPoP proofs from DpopKey (dpop-key.js).
// Provider responses are untrusted input: bodies are capped, JSON is required where the
// specifications require it.
import init, { createKeySet, createPkce, randomToken, validateIdToken } from "./oidc_edge.js";
import { DpopKey } from "./dpop-key.js";
import { OidcEdgeError } from "./error.js";
import { fail, isObject, readOptions } from "./options.js";

const MAX_BODY = 64 * 1024;
const TX_PREFIX = "oidc-edge:tx:";
const TX_LIFETIME = 600; // seconds an authorization request may take
const JWKS_COOLDOWN = 60_000; // ms between refetches of the JWKS for an unknown kid
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/; // RFC 6750 §2.1 b64token, RFC 9449 §7.1
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // RFC 9449 §8.1 NQCHAR
const REDIRECTS = [301, 302, 303, 307, 308]; // Fetch Standard: a "redirect status"
const MAX_REDIRECTS = 20; // Fetch Standard, HTTP-redirect fetch: a network error past 20
const REVOKE_TIMEOUT = 5_000; // ms signOut() waits for the revocation endpoint
const SHARE_WAIT = 250; // ms create() waits for an open tab's session, beside discovery
// Fetch Standard "request-body-header names", dropped when a redirect turns the method into GET.
const BODY_HEADERS = ["content-encoding", "content-language", "content-location", "content-type", "content-length"];
const OPTIONS = {
  issuer: "string", clientId: "string", redirectUri: "string", scope: "string",
  postLogoutRedirectUri: "string", dpop: "boolean", dpopKey: "object", storage: "object",
  fetch: "function", clockTolerance: "number", apiOrigins: "string[]", shareSession: "boolean",
  onSessionChange: "function", par: "boolean",
};
const ENDPOINTS = [
  "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint", "revocation_endpoint",
  "pushed_authorization_request_endpoint",
];
const REQUIRED_ENDPOINTS = ENDPOINTS.slice(0, 3);
const PRIVATE = Symbol("OidcClient.create");

const now = () => Math.floor(Date.now() / 1000);

/** `apiOrigins` as given: an array of origins, each exactly `scheme://host[:port]`. */
function apiOrigins(list) {
  if (!Array.isArray(list)) fail("invalid_option", "apiOrigins must be an array of origins");
  for (const origin of list) {
    let parsed = null;
    try {
      parsed = new URL(origin);
    } catch {
      // Reported below.
    }
    if (typeof origin !== "string" || parsed?.origin !== origin) {
      fail("invalid_option", `apiOrigins: ${String(origin).slice(0, 200)} is not an origin (scheme://host[:port])`);
    }
  }
  return [...list];
}

function checkSeconds(value, name) {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    fail("invalid_option", `${name} must be a whole number of seconds, at least 0`);
  }
}

function url(value, code, what) {
  try {
    return new URL(value);
  } catch {
    return fail(code, `${what} is not a URL: ${String(value).slice(0, 200)}`);
  }
}

/** The body as text, refusing more than MAX_BODY bytes (declared or received). */
async function readText(res, what) {
  if (Number(res.headers.get("content-length")) > MAX_BODY) {
    await res.body?.cancel().catch(() => {});
    fail("response_too_large", `${what}: larger than ${MAX_BODY} bytes`);
  }
  const chunks = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read().catch((cause) =>
        fail("network_error", `${what}: ${cause?.message}`, { cause }),
      );
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY) {
        await reader.cancel().catch(() => {});
        fail("response_too_large", `${what}: larger than ${MAX_BODY} bytes`);
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

const isJson = (res) => /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(res.headers.get("content-type") ?? "");

/** A JSON object body (`application/json` or `+json` required), else `code`. */
async function readJson(res, code, what) {
  if (!isJson(res)) {
    await res.body?.cancel().catch(() => {});
    fail(code, `${what}: Content-Type must be JSON, got ${res.headers.get("content-type")}`);
  }
  const text = await readText(res, what);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    fail(code, `${what}: not JSON`);
  }
  if (!isObject(body)) fail(code, `${what}: not a JSON object`);
  return body;
}

/** `http(input, init)`, with network failures as OidcEdgeError "network_error" / "aborted". */
async function send(http, input, init) {
  try {
    return await http(input, init);
  } catch (cause) {
    const aborted = cause?.name === "AbortError" || cause?.name === "TimeoutError";
    return fail(aborted ? "aborted" : "network_error", `${input.url ?? input}: ${cause?.message}`, { cause });
  }
}

/** A GET of a JSON document (discovery, JWKS): 200 and a JSON object, else `code`. */
async function getJson(http, target, code, what) {
  const res = await send(http, target, { headers: { accept: "application/json" } });
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    fail(code, `${what}: HTTP ${res.status}`, { status: res.status });
  }
  return readJson(res, code, what);
}

/** The `error` and `error_description` of an OAuth error answer (RFC 6749 §5.2, RFC 7009
 *  §2.2.1), when it has a JSON body; the body is consumed either way. */
async function oauthError(res, what) {
  if (!isJson(res)) {
    await res.body?.cancel().catch(() => {});
    return {};
  }
  // A body that is not a JSON object only loses the details; one too large still fails.
  const problem = await readJson(res, "token_error", what).catch((err) => {
    if (err.code === "response_too_large") throw err;
    return {};
  });
  return {
    error: typeof problem.error === "string" ? problem.error : undefined,
    error_description: typeof problem.error_description === "string" ? problem.error_description : undefined,
  };
}

/** "HTTP 400 invalid_grant: description", for messages. */
const described = (status, { error, error_description: description }) =>
  `HTTP ${status}${error ? ` ${error}` : ""}${description ? `: ${description}` : ""}`;

/** The parameters of a `WWW-Authenticate` challenge the client acts on. */
function challenge(res) {
  const header = res.headers.get("www-authenticate") ?? "";
  const param = (name) => header.match(new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*"?([^",]*)`, "i"))?.[1];
  return { error: param("error"), error_description: param("error_description") };
}

/** A key that survives reloads (IndexedDB, non-extractable); where IndexedDB is missing or
 *  refuses, a key for this page only. */
async function storedKey(name) {
  try {
    const saved = await DpopKey.load(name);
    if (saved) return saved;
  } catch {
    return DpopKey.generate();
  }
  const key = await DpopKey.generate();
  await key.save(name).catch(() => {});
  return key;
}

const SESSION = ["accessToken", "tokenType", "expiresAt", "refreshToken", "idToken", "claims", "scope", "jkt"];

/** A message from another tab as { at, session } (session null: signed out), or null when it
 *  is not one: wrong shape, types or sizes, or tokens bound to another DPoP key than `key`
 *  (they would be refused with this tab's proofs). Structured clone already made it plain
 *  data of this origin; the JSON copy measures it and leaves no Map, Date or cycle. */
function fromTab(data, key) {
  try {
    const { t, at } = data;
    const json = JSON.stringify(data.s);
    if (!Number.isFinite(at) || json.length > MAX_BODY) return null;
    if (t === "out") return { at, session: null };
    const s = JSON.parse(json);
    const text = (v, re = /./) => typeof v === "string" && re.test(v);
    if (
      t === "session" && Object.keys(s).every((name) => SESSION.includes(name)) && text(s.accessToken, TOKEN68) &&
      s.tokenType === (key ? "DPoP" : "Bearer") && s.jkt === key?.thumbprint && typeof s.expiresAt === "number" &&
      (s.refreshToken === undefined || text(s.refreshToken, /^[\x20-\x7e]+$/)) && text(s.idToken) && text(s.scope) &&
      isObject(s.claims) && text(s.claims.sub)
    ) {
      Object.freeze(s.claims);
      return { at, session: Object.freeze(s) };
    }
  } catch {
    // Not an object, or nothing JSON can hold: not a message.
  }
  return null;
}

export class OidcClient {
  #o;
  #http;
  #storage;
  #session = null;
  #jwks = null;
  #lastRefetch = -Infinity;
  #nonces = new Map();
  #refreshing = null;
  // Sharing with the other tabs (null: this tab only). `#at` orders sessions across tabs: when
  // the current one was requested, or when this tab signed out (ms, strictly increasing).
  #channel;
  #at = 0;
  #waiting = null; // aborts the wait for another tab's refresh when a session arrives

  constructor(token, options, metadata, dpopKey, channel = null) {
    if (token !== PRIVATE) fail("invalid_option", "use OidcClient.create()");
    this.#o = options;
    this.#channel = channel;
    this.#http = options.fetch;
    this.#storage = options.storage;
    this.metadata = metadata;
    this.dpopKey = dpopKey;
    Object.freeze(this);
  }

  /** Fetches the provider's metadata (OIDC Discovery §4) and readies the DPoP key. */
  static async create(options) {
    const given = readOptions(options, OPTIONS, "OidcClient.create");
    const o = { ...given, scope: given.scope ?? "openid profile email" };
    for (const name of ["issuer", "clientId", "redirectUri"]) {
      if (!o[name]) fail("invalid_option", `${name} is required`);
    }
    const issuerOrigin = url(o.issuer, "invalid_option", "issuer").origin;
    // The origins `fetch` may send the access token to: the provider's own unless listed.
    // A token (even a DPoP-bound one, with its proof) given to any URL an app happens to
    // build is a token leaked; an allow-list makes that a visible mistake.
    o.apiOrigins = Object.freeze(apiOrigins(o.apiOrigins ?? [issuerOrigin]));
    if (!o.scope.split(" ").includes("openid")) fail("invalid_option", "scope must include openid");
    url(o.redirectUri, "invalid_option", "redirectUri");
    checkSeconds(o.clockTolerance, "clockTolerance");
    if (o.dpop === false && o.dpopKey) fail("invalid_option", "dpopKey given with dpop: false");
    if (o.dpopKey && typeof o.dpopKey.proof !== "function") fail("invalid_option", "dpopKey must be a DpopKey");
    try {
      o.storage ??= globalThis.sessionStorage;
    } catch {
      // Storage access can throw (sandboxed frames): reported just below.
    }
    if (!["getItem", "setItem", "removeItem"].every((m) => typeof o.storage?.[m] === "function")) {
      fail("invalid_option", "storage is required where sessionStorage is unavailable");
    }
    const fetchImpl = o.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== "function") fail("invalid_option", "fetch is required where there is no global fetch");
    o.fetch = (input, init) => fetchImpl(input, init);

    await init();
    // One session for the tabs of this origin (BroadcastChannel is same-origin), only where Web
    // Locks can keep them from refreshing at once. Off by default outside a window: a server
    // process may hold clients of several users.
    const locks = globalThis.navigator?.locks;
    const channel = (o.shareSession ?? typeof document === "object") && typeof BroadcastChannel === "function" && locks
      ? new BroadcastChannel(`oidc-edge:${JSON.stringify([o.issuer, o.clientId])}`)
      : null;
    // Asked now, answered while discovery runs; kept until the client can judge the answers.
    let client;
    const inbox = [];
    const asked = channel && new Promise((resolve) => {
      setTimeout(resolve, SHARE_WAIT);
      channel.onmessage = ({ data }) => {
        if (client) return client.#receive(data);
        inbox.push(data);
        if (data?.t === "session") resolve();
      };
      channel.postMessage({ t: "ask" });
    });
    const keyName = `oidc-edge:dpop:${o.issuer} ${o.clientId}`;
    const [metadata, key] = await Promise.all([
      discover(o),
      // Under a lock, so that tabs opened at once make one key, not one each.
      o.dpop === false ? null : (o.dpopKey ?? (channel ? locks.request(keyName, () => storedKey(keyName)) : storedKey(keyName))),
      asked,
    ]).catch((err) => {
      channel?.close();
      throw err;
    });
    client = new OidcClient(PRIVATE, Object.freeze(o), metadata, key, channel);
    for (const data of inbox) client.#receive(data, false);
    return client;
  }

  get thumbprint() {
    return this.dpopKey?.thumbprint ?? null;
  }

  get session() {
    return this.#session;
  }

  /** The authorization request URL (OIDC Core §3.1.2.1, RFC 7636 §4.3, RFC 9449 §10), or,
   *  pushing the request first (RFC 9126 §2), the URL with its `request_uri` only (§4). */
  async authorizationUrl(params) {
    const { prompt, maxAge, loginHint } = readOptions(
      params, { prompt: "string", maxAge: "number", loginHint: "string" }, "authorizationUrl",
    );
    checkSeconds(maxAge, "maxAge");
    const { verifier, challenge } = createPkce();
    const state = randomToken();
    const nonce = randomToken();
    const o = this.#o;
    this.#sweep();
    const tx = { verifier, nonce, maxAge, redirectUri: o.redirectUri, createdAt: now() };
    const txKey = this.#txKey(state);
    try {
      this.#storage.setItem(txKey, JSON.stringify(tx));
    } catch (cause) {
      fail("storage_unavailable", `cannot keep the request in storage: ${cause?.message}`, { cause });
    }
    let query = {
      response_type: "code", client_id: o.clientId, redirect_uri: o.redirectUri, scope: o.scope,
      state, nonce, code_challenge: challenge, code_challenge_method: "S256",
      dpop_jkt: this.thumbprint ?? undefined, prompt, max_age: maxAge, login_hint: loginHint,
    };
    for (const name in query) if (query[name] === undefined) delete query[name];
    // create() made sure a provider that requires pushed requests gets them (RFC 9126 §5).
    if (o.par ?? this.metadata.require_pushed_authorization_requests === true) {
      try {
        query = { client_id: o.clientId, request_uri: await this.#push(query) };
      } catch (err) {
        this.#storage.removeItem(txKey); // nothing will come back for it
        throw err;
      }
    }
    const target = new URL(this.metadata.authorization_endpoint);
    for (const [name, value] of Object.entries(query)) target.searchParams.set(name, String(value));
    return target.href;
  }

  /** Pushes the authorization request's parameters (RFC 9126 §2.1) and returns the
   *  `request_uri` that stands for them (§2.2). With DPoP, a proof goes with them besides
   *  `dpop_jkt` (RFC 9449 §10.1): the provider then sees the key itself, not only its name,
   *  and binds the code to it. A refusal (§2.3: the authorization endpoint's errors, and
   *  invalid_client) is the same `authorization_error` as one at the redirect URI. */
  async #push(query) {
    const endpoint = this.metadata.pushed_authorization_request_endpoint;
    const { res, problem } = await this.#postWithProof(endpoint, query, 201, "pushed authorization error response");
    if (problem) {
      fail("authorization_error", `pushed authorization request: ${described(res.status, problem)}`, { ...problem, status: res.status });
    }
    const body = await readJson(res, "par_response_invalid", "pushed authorization response");
    // §2.2: both required; a URI is visible ASCII, an expiry a positive number of seconds.
    const { request_uri: uri, expires_in: expiry } = body;
    if (typeof uri !== "string" || !/^[\x21-\x7e]+$/.test(uri) || !(Number.isInteger(expiry) && expiry > 0)) {
      fail("par_response_invalid", "pushed authorization response: request_uri must be a URI, expires_in a positive integer (RFC 9126 §2.2)");
    }
    return uri;
  }

  /** Completes the flow at the redirect URI: checks the response, exchanges the code,
   *  validates the ID token, and keeps the session in memory. */
  async handleCallback(callbackUrl = globalThis.location?.href) {
    const params = url(callbackUrl, "invalid_option", "the callback URL").searchParams;
    // RFC 6749 §3.1: parameters must not be repeated.
    const one = (name) => {
      if (params.getAll(name).length > 1) fail("callback_invalid", `${name} appears more than once`);
      return params.get(name);
    };
    const state = one("state");
    const tx = state === null ? null : this.#takeTransaction(state);
    if (!tx) fail("state_mismatch", "unknown, expired or already used state (RFC 6749 §10.12)");
    const iss = one("iss");
    if (iss !== null ? iss !== this.#o.issuer : this.metadata.authorization_response_iss_parameter_supported === true) {
      fail("issuer_mismatch", `iss ${iss === null ? "missing" : JSON.stringify(iss)}, expected ${this.#o.issuer} (RFC 9207 §2.4)`);
    }
    const error = one("error");
    if (error !== null) {
      const description = one("error_description") ?? undefined;
      fail("authorization_error", `authorization failed: ${error}${description ? `: ${description}` : ""}`, { error, error_description: description });
    }
    const code = one("code");
    if (!code) fail("callback_invalid", "the callback has no code");

    const keys = this.#keys(); // fetched while the code is exchanged
    keys.catch(() => {});
    const sentAt = Date.now();
    const body = await this.#tokenRequest({
      grant_type: "authorization_code", code, redirect_uri: tx.redirectUri, code_verifier: tx.verifier,
    });
    this.#checkTokens(body, true);
    const claims = await this.#idToken(body.id_token, { nonce: tx.nonce, maxAge: tx.maxAge, accessToken: body.access_token, code }, keys);
    return this.#keep(body, claims, sentAt, null);
  }

  /** The refresh token grant (RFC 6749 §6); concurrent calls share one request, since the
   *  provider rotates the refresh token and would treat a second use as theft. */
  refresh() {
    this.#refreshing ??= this.#refreshOnce().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** #refresh, once for all the tabs that share the session: under a Web Lock named after the
   *  session, which the tab that refreshed keeps for good. The refresh token it sent is spent,
   *  and the provider revokes the whole family when one is used again (RFC 9700 §4.14.2), so
   *  another tab that still holds it must never get the lock: its wait ends when the new
   *  session arrives from the channel (#set aborts it).
   *
   *  A refresh that fails before its request goes out, or that the provider refuses
   *  (token_error: it rotated nothing), frees the lock for the next tab. One that fails after
   *  (no answer, an answer this client cannot use) may have been rotated by the provider:
   *  the token is spent all the same. The tab keeps the lock, drops the refresh token from
   *  the session (the access token stays, while it lasts) and tells the other tabs, whose
   *  waits end with no_refresh_token: the next refresh needs a new sign-in. */
  async #refreshOnce() {
    const old = this.#signedIn();
    const channel = this.#channel;
    if (!channel) return this.#refresh();
    const waiting = (this.#waiting = new AbortController());
    let sent = false;
    try {
      return await new Promise((resolve, reject) => {
        navigator.locks.request(`${channel.name} ${this.#at}`, { signal: waiting.signal }, async () => {
          try {
            // Unless another session came while the lock did: then nothing is sent.
            resolve(this.#session === old ? await this.#refresh(() => (sent = true)) : this.#signedIn());
          } catch (err) {
            if (!sent || err?.code === "token_error") throw err;
            this.#spend(old);
            reject(err);
          }
          return new Promise(() => {});
        }).catch(reject);
      });
    } catch (err) {
      if (err !== waiting.signal.reason) throw err;
      const now = this.#signedIn();
      // No new tokens came: the session came back without its refresh token, spent by a
      // refresh that failed in another tab.
      if (now.accessToken === old.accessToken && now.refreshToken === undefined) {
        fail("no_refresh_token", "the refresh token was spent by a refresh that failed in another tab: sign in again");
      }
      return now;
    }
  }

  /** The session `old` without its refresh token, spent by a refresh that failed after its
   *  request went out, here and in the other tabs. */
  #spend(old) {
    if (this.#session !== old) return;
    const spent = { ...old };
    delete spent.refreshToken;
    this.#set(Math.max(Date.now(), this.#at + 1), Object.freeze(spent));
    this.#tell("session");
  }

  /** The refresh token grant; `onSent` is called as the request goes out. */
  async #refresh(onSent) {
    const old = this.#signedIn();
    if (!old.refreshToken) fail("no_refresh_token", "the session has no refresh token");
    const sentAt = Date.now();
    const body = await this.#tokenRequest({ grant_type: "refresh_token", refresh_token: old.refreshToken }, onSent);
    this.#checkTokens(body, false);
    let claims = old.claims;
    if (body.id_token !== undefined) {
      claims = await this.#idToken(body.id_token, { accessToken: body.access_token });
      // OIDC Core §12.2: the same subject; a nonce, if any, is the original one.
      if (claims.sub !== old.claims.sub) fail("id_token_sub_mismatch", "the refreshed ID token is for another subject (OIDC Core §12.2)");
      if (claims.nonce !== undefined && claims.nonce !== old.claims.nonce) {
        fail("id_token_nonce_mismatch", "the refreshed ID token has another nonce (OIDC Core §12.2)");
      }
    }
    // Signed out meanwhile, or a newer session came from another tab: that one stands.
    if (this.#session !== old) return this.#session ?? fail("not_signed_in", "signed out during the refresh");
    return this.#keep(body, claims, sentAt, old);
  }

  /** The UserInfo claims (OIDC Core §5.3), through this client's `fetch`. */
  async userinfo() {
    const endpoint = this.metadata.userinfo_endpoint;
    if (typeof endpoint !== "string") fail("userinfo_unavailable", "the provider advertises no userinfo_endpoint");
    const session = this.#signedIn();
    // The provider's own endpoint, from its metadata: not subject to apiOrigins, and
    // redirects are followed only within its origin.
    const own = new URL(endpoint).origin;
    const res = await this.#withToken(
      session, this.#request(endpoint, { headers: { accept: "application/json" } }), (origin) => origin === own,
    );
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      fail("userinfo_error", `userinfo: HTTP ${res.status}`, { status: res.status, ...challenge(res) });
    }
    const claims = await readJson(res, "userinfo_invalid", "userinfo response");
    if (claims.sub !== session.claims.sub) fail("userinfo_sub_mismatch", "userinfo is for another subject (OIDC Core §5.3.4)");
    return claims;
  }

  /** `fetch` with the access token: `Authorization: DPoP` and a proof for DPoP-bound tokens
   *  (RFC 9449 §7.1), `Authorization: Bearer` otherwise (RFC 6750 §2.1). A 401 asking for a
   *  DPoP nonce (§9) is retried once with the new nonce; so is a 401 with a new nonce whose
   *  WWW-Authenticate the browser hides (a cross-origin API that does not expose it).
   *  Redirects are never followed by the underlying fetch (it would carry the token or the
   *  proof wherever the Location points): this client follows those within apiOrigins
   *  itself, with a new proof for each URL, and refuses the others (see #withToken). */
  async fetch(input, init) {
    const session = this.#signedIn();
    const request = this.#request(input, init);
    const allowed = (origin) => this.#o.apiOrigins.includes(origin);
    const origin = new URL(request.url).origin;
    if (!allowed(origin)) {
      fail("origin_not_allowed", `fetch: ${origin} is not in apiOrigins; the access token is not sent there`);
    }
    return this.#withToken(session, request, allowed);
  }

  /** `new Request(input, init)`, with a bad input as `invalid_option`. */
  #request(input, init) {
    try {
      return new Request(input, init);
    } catch (cause) {
      return fail("invalid_option", `fetch: ${cause?.message}`, { cause });
    }
  }

  /** Sends `request` with the session's token (and a DPoP proof), retrying once for a new
   *  DPoP nonce. Callers decide where a token may go: `allowed(origin)`.
   *
   *  The underlying fetch always gets `redirect: "manual"` (or the caller's "manual" /
   *  "error"): left to follow, it would send the caller's headers, with the proof, to any
   *  Location (Fetch strips only `Authorization` across origins, and a custom fetch may
   *  not even do that), and the proof would name the wrong URL and method anyway. With the
   *  default "follow", a redirect is followed here as Fetch's HTTP-redirect fetch does
   *  (303, and 301/302 after POST, become GET without a body; 307/308 resend method and
   *  body; at most 20), with a new proof for each URL, while its target is `allowed`; a
   *  target that is not throws `origin_not_allowed`. A browser hides the Location of a
   *  manual redirect (an opaque-redirect response, status 0), so there every redirect
   *  throws `redirect_blocked`. */
  async #withToken(session, request, allowed) {
    const follow = request.redirect === "follow";
    let target = new URL(request.url);
    let method = request.method;
    let keepBody = true;
    for (let redirects = 0; ; redirects++) {
      const hop = redirects === 0 ? null : { target, method, keepBody };
      const res = await this.#sendWithToken(session, request, hop, follow ? "manual" : request.redirect);
      if (!follow) return res;
      if (res.type === "opaqueredirect") {
        fail("redirect_blocked", `fetch: ${target.origin}${target.pathname} redirected, and the browser hides where to; not followed with the token (pass redirect: "manual" to get the response)`);
      }
      const location = res.headers.get("location");
      if (!REDIRECTS.includes(res.status) || location === null) return res;
      await res.body?.cancel().catch(() => {});
      let next;
      try {
        next = new URL(location, target);
      } catch {
        fail("network_error", `fetch: ${target.origin}${target.pathname} redirected to an invalid URL`, { status: res.status });
      }
      if (!allowed(next.origin)) {
        fail("origin_not_allowed", `fetch: ${target.origin}${target.pathname} redirected to ${next.origin}, which is not allowed; the access token is not sent there`, { status: res.status });
      }
      if (redirects >= MAX_REDIRECTS) fail("network_error", `fetch: more than ${MAX_REDIRECTS} redirects`, { status: res.status });
      // Fetch Standard, HTTP-redirect fetch: which redirects turn the request into a GET.
      if (((res.status === 301 || res.status === 302) && method === "POST") || (res.status === 303 && !["GET", "HEAD"].includes(method))) {
        method = "GET";
        keepBody = false;
      }
      target = next;
    }
  }

  /** `request`, or the `hop` its redirects lead to ({ target, method, keepBody }), sent with
   *  the token and a new proof; retried once for a new DPoP nonce. */
  async #sendWithToken(session, request, hop, redirect) {
    const body = hop?.keepBody && request.body !== null ? await request.clone().arrayBuffer() : null;
    for (let attempt = 0; ; attempt++) {
      let req;
      if (hop === null) {
        req = new Request(request.clone(), { redirect });
      } else {
        const { target, method, keepBody } = hop;
        const headers = new Headers(request.headers);
        if (!keepBody) for (const name of BODY_HEADERS) headers.delete(name);
        req = new Request(target, {
          method, headers, body, redirect, signal: request.signal, credentials: request.credentials,
          cache: request.cache, mode: request.mode, referrerPolicy: request.referrerPolicy,
        });
      }
      req.headers.set("authorization", `${session.tokenType} ${session.accessToken}`);
      if (session.tokenType === "DPoP") req.headers.set("dpop", await this.#proof(req.method, req.url, session.accessToken));
      const res = await send(this.#http, req);
      const fresh = this.#noteNonce(req.url, res);
      const asked = res.headers.get("www-authenticate") === null || challenge(res).error === "use_dpop_nonce";
      if (attempt === 0 && fresh && res.status === 401 && asked) {
        await res.body?.cancel().catch(() => {});
        continue;
      }
      return res;
    }
  }

  /** Forgets the tokens, revokes the refresh token (RFC 7009), and resolves with the
   *  RP-initiated logout URL (OIDC RP-Initiated Logout §2), or null when the provider
   *  advertises no end_session_endpoint. A failed revocation does not reject: the tokens
   *  are forgotten here whatever the provider says, so sign-out always completes; its
   *  OidcEdgeError goes to `onRevocationError`. */
  async signOut(options) {
    // Before anything can throw or wait: a fetch, userinfo or refresh started from here on
    // finds no session, and a refresh in flight drops what it gets (see #refresh).
    const session = this.#session;
    this.#set(Math.max(Date.now(), this.#at + 1), null);
    this.#tell("out");
    const { revoke = true, onRevocationError } = readOptions(
      options, { revoke: "boolean", onRevocationError: "function" }, "signOut",
    );
    const logout = this.#logoutUrl(session);
    const endpoint = this.metadata.revocation_endpoint;
    if (revoke && session?.refreshToken !== undefined && typeof endpoint === "string") {
      let failure = null;
      await this.#revoke(endpoint, session.refreshToken).catch((err) => {
        failure = err;
      });
      // Outside the catch: what the app's callback throws is the app's, and rejects.
      if (failure) onRevocationError?.(failure);
    }
    return logout;
  }

  /** The end_session URL with id_token_hint, client_id and post_logout_redirect_uri (§2). */
  #logoutUrl(session) {
    const endpoint = this.metadata.end_session_endpoint;
    if (typeof endpoint !== "string") return null;
    const target = new URL(endpoint);
    if (session) target.searchParams.set("id_token_hint", session.idToken);
    target.searchParams.set("client_id", this.#o.clientId);
    if (this.#o.postLogoutRedirectUri) target.searchParams.set("post_logout_redirect_uri", this.#o.postLogoutRedirectUri);
    return target.href;
  }

  // --- internals -----------------------------------------------------------------------

  #signedIn() {
    return this.#session ?? fail("not_signed_in", "no session: sign in first");
  }

  #txKey(state) {
    return `${TX_PREFIX}${this.#o.issuer} ${this.#o.clientId} ${state}`;
  }

  /** The stored request for `state`, removed whatever happens next (single use). */
  #takeTransaction(state) {
    const key = this.#txKey(state);
    try {
      const raw = this.#storage.getItem(key);
      this.#storage.removeItem(key);
      const tx = JSON.parse(raw);
      const age = now() - tx.createdAt;
      return age >= -60 && age <= TX_LIFETIME && typeof tx.verifier === "string" ? tx : null;
    } catch {
      return null;
    }
  }

  /** Drops expired requests (abandoned sign-ins) when the storage can list its keys. */
  #sweep() {
    const storage = this.#storage;
    if (typeof storage.key !== "function" || typeof storage.length !== "number") return;
    const stale = [];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (!key?.startsWith(TX_PREFIX)) continue;
      try {
        if (now() - JSON.parse(storage.getItem(key)).createdAt <= TX_LIFETIME) continue;
      } catch {
        // Unreadable: stale.
      }
      stale.push(key);
    }
    for (const key of stale) storage.removeItem(key);
  }

  /** A DPoP proof (RFC 9449 §4.2; the core drops the query and fragment from htu). */
  #proof(htm, htu, accessToken) {
    return this.dpopKey.proof({ htm, htu, accessToken, nonce: this.#nonces.get(new URL(htu).origin) });
  }

  /** Keeps a server's DPoP-Nonce (RFC 9449 §8, §9); true when it is a new one. */
  #noteNonce(target, res) {
    const nonce = res.headers.get("dpop-nonce");
    const origin = new URL(target).origin;
    if (nonce === null || !NONCE.test(nonce) || nonce.length > 1024 || nonce === this.#nonces.get(origin)) return false;
    this.#nonces.set(origin, nonce);
    return true;
  }

  /** A client's form POST to one of the provider's endpoints, `client_id` added: a public
   *  client identifies itself so (RFC 6749 §2.3, §3.2.1; RFC 7009 §2.1; RFC 9126 §2). Never
   *  followed: a 307/308 would resend the code, verifier, token or pushed request, with any
   *  proof, wherever it points (RFC 6749 §3.2 names one endpoint); callers treat a 3xx as the
   *  error it is. */
  #postForm(endpoint, params, { dpop, signal } = {}) {
    const body = new URLSearchParams({ ...params, client_id: this.#o.clientId }).toString();
    const headers = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    if (dpop) headers.dpop = dpop;
    return send(this.#http, endpoint, { method: "POST", headers, body, redirect: "manual", signal });
  }

  /** A token endpoint request (RFC 6749 §4.1.3, §6). `onSent` is called as the request goes out. */
  async #tokenRequest(params, onSent) {
    const { res, problem } = await this.#postWithProof(this.metadata.token_endpoint, params, 200, "token error response", onSent);
    if (!problem) return readJson(res, "token_response_invalid", "token response");
    fail("token_error", `token endpoint: ${described(res.status, problem)}`, { ...problem, status: res.status });
  }

  /** A form POST (#postForm) with a DPoP proof when the client has a key, sent again once
   *  with the server's new nonce when refused with use_dpop_nonce (RFC 9449 §8). Resolves
   *  with the response, and when its status is not `ok`, with its `problem` (its body read):
   *  { error, error_description }. `onSent` is called as each request goes out. */
  async #postWithProof(endpoint, params, ok, what, onSent) {
    for (let attempt = 0; ; attempt++) {
      const dpop = this.dpopKey ? await this.#proof("POST", endpoint) : undefined;
      onSent?.();
      const res = await this.#postForm(endpoint, params, { dpop });
      const fresh = this.#noteNonce(endpoint, res);
      if (res.status === ok) return { res };
      const problem = await oauthError(res, what);
      if (attempt === 0 && this.dpopKey && fresh && res.status === 400 && problem.error === "use_dpop_nonce") continue;
      return { res, problem };
    }
  }

  /** Revokes the refresh token, and so its family and their access tokens (RFC 7009 §2.1).
   *  No DPoP proof: RFC 9449 does not cover the revocation endpoint. At most REVOKE_TIMEOUT,
   *  even with a `fetch` option that ignores the signal: sign-out is not held up by it. */
  async #revoke(endpoint, refreshToken) {
    const controller = new AbortController();
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        const cause = new DOMException(`no answer within ${REVOKE_TIMEOUT / 1000} s`, "TimeoutError");
        controller.abort(cause);
        reject(new OidcEdgeError("aborted", `revocation endpoint: ${cause.message}`, { cause }));
      }, REVOKE_TIMEOUT);
    });
    const revoke = async () => {
      const params = { token: refreshToken, token_type_hint: "refresh_token" };
      const res = await this.#postForm(endpoint, params, { signal: controller.signal });
      if (res.status === 200) {
        // §2.2: 200 whether or not there was anything to revoke; the body says nothing.
        await res.body?.cancel().catch(() => {});
        return;
      }
      const problem = await oauthError(res, "revocation error response");
      fail("revocation_error", `revocation endpoint: ${described(res.status, problem)}`, { ...problem, status: res.status });
    };
    try {
      await Promise.race([revoke(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** RFC 6749 §5.1, RFC 9449 §5, OIDC Core §3.1.3.3. */
  #checkTokens(body, idTokenRequired) {
    const bad = (why) => fail("token_response_invalid", `token response: ${why}`);
    if (typeof body.access_token !== "string" || !TOKEN68.test(body.access_token)) bad("access_token must be a token68 string");
    const type = this.dpopKey ? "DPoP" : "Bearer";
    if (typeof body.token_type !== "string" || body.token_type.toLowerCase() !== type.toLowerCase()) {
      bad(`token_type must be ${type}, got ${JSON.stringify(body.token_type)} (RFC 9449 §5)`);
    }
    if (typeof body.expires_in !== "number" || !(body.expires_in >= 0 && body.expires_in < 1e10)) bad("expires_in must be a number of seconds");
    for (const name of ["refresh_token", "id_token", "scope"]) {
      if (body[name] !== undefined && typeof body[name] !== "string") bad(`${name} must be a string`);
    }
    if (body.refresh_token !== undefined && !/^[\x20-\x7e]+$/.test(body.refresh_token)) bad("refresh_token has characters outside VSCHAR");
    if (idTokenRequired && body.id_token === undefined) bad("id_token is required with scope openid");
  }

  #keep(body, claims, sentAt, old) {
    const session = {
      accessToken: body.access_token,
      tokenType: this.dpopKey ? "DPoP" : "Bearer",
      expiresAt: Math.floor(sentAt / 1000) + Math.floor(body.expires_in),
      idToken: body.id_token ?? old.idToken,
      claims: Object.freeze(claims),
      scope: body.scope ?? old?.scope ?? this.#o.scope,
    };
    const refreshToken = body.refresh_token ?? old?.refreshToken;
    if (refreshToken !== undefined) session.refreshToken = refreshToken;
    if (this.dpopKey) session.jkt = this.dpopKey.thumbprint;
    this.#set(Math.max(sentAt, this.#at + 1), Object.freeze(session));
    this.#tell("session");
    return this.#session;
  }

  #set(at, session) {
    this.#at = at;
    this.#session = session;
    this.#waiting?.abort();
  }

  /** Tells the other tabs this tab's session ("session") or its sign-out ("out"). */
  #tell(t) {
    this.#channel?.postMessage({ t, at: this.#at, s: this.#session });
  }

  /** A message from another tab: a question for the session, answered when there is one, or
   *  a session (or sign-out) adopted when it is newer than this tab's. */
  #receive(data, notify = true) {
    if (data?.t === "ask") return this.#session && this.#tell("session");
    const news = fromTab(data, this.dpopKey);
    if (!news || !(news.at > this.#at)) return;
    this.#set(news.at, news.session);
    if (notify) this.#o.onSessionChange?.(news.session);
  }

  /** The provider's JWKS, fetched once and kept; `refetch` replaces it. */
  #keys(refetch = false) {
    if (refetch || !this.#jwks) {
      // Checked once into a frozen key set (createKeySet), not on every ID token.
      const pending = getJson(this.#http, this.metadata.jwks_uri, "jwks_invalid", "JWKS").then((jwks) => {
        if (!Array.isArray(jwks.keys)) fail("jwks_invalid", "JWKS: keys must be an array");
        try {
          return createKeySet(jwks);
        } catch (cause) {
          return fail("jwks_invalid", `JWKS: ${cause?.message}`, { cause });
        }
      });
      this.#jwks = pending;
      pending.catch(() => {
        if (this.#jwks === pending) this.#jwks = null;
      });
    }
    return this.#jwks;
  }

  /** validateIdToken against the JWKS; an unknown kid refetches it once, at most once a minute. */
  async #idToken(token, options, keys = this.#keys()) {
    const o = this.#o;
    const check = async (jwks) =>
      validateIdToken(token, await jwks, { issuer: o.issuer, clientId: o.clientId, clockTolerance: o.clockTolerance, ...options });
    try {
      return await check(keys);
    } catch (err) {
      if (err?.code !== "key_not_found" || Date.now() - this.#lastRefetch < JWKS_COOLDOWN) throw err;
      this.#lastRefetch = Date.now();
      return check(this.#keys(true));
    }
  }
}

/** OpenID Connect Discovery §4: the issuer's metadata, whose `issuer` must be exactly ours (§4.3). */
async function discover(o) {
  const target = `${o.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const metadata = await getJson(o.fetch, target, "discovery_invalid", "discovery");
  if (metadata.issuer !== o.issuer) {
    fail("discovery_invalid", `discovery: issuer ${JSON.stringify(metadata.issuer)} is not ${o.issuer} (OIDC Discovery §4.3)`);
  }
  for (const name of ENDPOINTS) {
    if (metadata[name] === undefined && !REQUIRED_ENDPOINTS.includes(name)) continue;
    if (typeof metadata[name] !== "string") fail("discovery_invalid", `discovery: ${name} must be a URL`);
    url(metadata[name], "discovery_invalid", `discovery: ${name}`);
  }
  // RFC 9126 §5: a provider that requires pushed requests refuses all others, so `par` may
  // be left out (it then follows the provider) but not set against it.
  const required = metadata.require_pushed_authorization_requests;
  const endpoint = metadata.pushed_authorization_request_endpoint;
  if (required !== undefined && typeof required !== "boolean") {
    fail("discovery_invalid", "discovery: require_pushed_authorization_requests must be a boolean (RFC 9126 §5)");
  }
  if (required && !endpoint) {
    fail("discovery_invalid", "discovery: require_pushed_authorization_requests without a pushed_authorization_request_endpoint (RFC 9126 §5)");
  }
  if (o.par === false && required) fail("invalid_option", "par: false, but the provider requires pushed authorization requests (RFC 9126 §5)");
  if (o.par && !endpoint) fail("invalid_option", "par: true, but the provider advertises no pushed_authorization_request_endpoint (RFC 9126 §5)");
  return Object.freeze(metadata);
}
