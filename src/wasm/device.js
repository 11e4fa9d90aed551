// startDeviceAuthorization: the device authorization grant (RFC 8628) for command-line tools
// and other devices without a browser. It finds the provider's endpoints by discovery (the
// issuer checked), asks for a device code and a user code (§3.1), and polls the token
// endpoint (§3.4) as §3.5 asks: never faster than the interval, 5 s slower for good on each
// slow_down, exponentially slower after a network failure, and never past the codes' expiry.
// An ID token that comes back is validated with the wasm's validateIdToken against the
// issuer's JWKS. Every answer is untrusted: bodies are capped, what is shown to the user is
// checked to be printable. Nothing here runs on import, so a bundler drops the file from an
// app that does not use it.
import { OidcEdgeError } from "./error.js";
import { validateIdToken } from "./verify.js";
import { checkTimeout, createRemoteKeySet, fetchJson, fetchableUrl } from "./remote-keys.js";
import { fail, readOptions } from "./options.js";

const GRANT = "urn:ietf:params:oauth:grant-type:device_code"; // RFC 8628 §3.4
const MAX_BODY = 64 * 1024; // largest discovery document, device or token answer read
const DEFAULT_INTERVAL = 5; // RFC 8628 §3.2: seconds, when the answer gives none
const SLOW_DOWN_STEP = 5; // RFC 8628 §3.5: seconds added by each slow_down
const DEFAULT_TIMEOUT = 30; // seconds one request may take
const MAX_USER_CODE = 64; // characters: a user code is typed by a person (§6.1)
const MAX_DEVICE_CODE = 4096;
// setTimeout fires at once past 2^31 - 1 ms: longer waits are taken in steps.
const MAX_TIMER = 2 ** 30;
// Control and format characters (bidirectional overrides, zero-width characters): a user code
// printed to a terminal must not move the cursor, recolour it or hide what it says.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/; // RFC 6749 §3.3
const OPTIONS = {
  issuer: "string", clientId: "string", clientSecret: "string", scope: "string", timeout: "number",
  clockTolerance: "number", fetch: "function",
};
const POLL_OPTIONS = { signal: "object", onSlowDown: "function" };

/** A URL of the provider's (discovery's endpoints, the verification URI) as `fetchableUrl`
 *  checks it, but an answer's fault (`code`) rather than an option's. */
function answeredUrl(value, code, what) {
  try {
    return fetchableUrl(value, what);
  } catch {
    return fail(code, `${what} must be an https URL (http only on localhost): ${String(value).slice(0, 200)}`);
  }
}

/** RFC 8707 §2: each resource an absolute URI without a fragment. */
function resources(value) {
  const list = value === undefined ? [] : typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) {
    fail("invalid_option", "startDeviceAuthorization: resource must be a string or an array of strings");
  }
  for (const item of list) {
    let ok = false;
    try {
      ok = new URL(item).hash === "" && !item.includes("#");
    } catch {
      // Reported below.
    }
    if (!ok) fail("invalid_option", `startDeviceAuthorization: resource must be an absolute URI without a fragment: ${item.slice(0, 200)}`);
  }
  return list;
}

/** The token endpoint's and device endpoint's client authentication: HTTP Basic for a
 *  confidential client (RFC 6749 §2.3.1: each part form-encoded first), else `client_id`. */
function authenticate(o, params) {
  const headers = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  if (o.clientSecret === undefined) {
    params.set("client_id", o.clientId);
  } else {
    const form = (value) => new URLSearchParams({ v: value }).toString().slice(2);
    headers.authorization = `Basic ${btoa(`${form(o.clientId)}:${form(o.clientSecret)}`)}`;
  }
  return { method: "POST", headers, body: params.toString() };
}

/** `http` whose requests `signal` aborts too (it already has the request's own timeout). */
function abortable(http, signal) {
  if (!signal) return http;
  return async (url, init) => {
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener("abort", abort);
    init.signal?.addEventListener("abort", abort);
    if (signal.aborted || init.signal?.aborted) abort();
    try {
      return await http(url, { ...init, signal: controller.signal });
    } finally {
      signal.removeEventListener("abort", abort);
      init.signal?.removeEventListener("abort", abort);
    }
  };
}

const aborted = (signal) => new OidcEdgeError("aborted", "device authorization: polling was aborted", { cause: signal.reason });

/** Resolves once `performance.now()` reaches `target`; rejects with "aborted" when `signal`
 *  aborts first. The clock is checked on waking, so no timer firing early shortens a wait. */
function sleepUntil(target, signal) {
  return new Promise((resolve, reject) => {
    let timer;
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal));
    };
    const wake = () => {
      const left = target - performance.now();
      if (left > 0) {
        timer = setTimeout(wake, Math.min(Math.ceil(left), MAX_TIMER));
        return;
      }
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    if (signal?.aborted) {
      reject(aborted(signal));
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    wake();
  });
}

/** `promise`, or "aborted" as soon as `signal` aborts (a `fetch` may ignore its signal). */
function untilAborted(promise, signal) {
  if (!signal) return promise;
  let onAbort;
  const stop = new Promise((_, reject) => {
    onAbort = () => reject(aborted(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  promise.catch(() => {});
  return Promise.race([promise, stop]).finally(() => signal.removeEventListener("abort", onAbort));
}

/** Answers that say the server could not answer now, not that the request is refused:
 *  retried after a longer wait (RFC 8628 §3.5: "reduce their polling frequency"). */
const transient = (err) =>
  err.code === "network_error" || err.code === "aborted" || (err.code === "token_error" && (err.status >= 500 || err.status === 429));

/** The provider's metadata (OpenID Connect Discovery §4), its `issuer` exactly ours (§4.3). */
async function discover(o, http) {
  const target = new URL(`${o.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  const { body } = await fetchJson(http, target, { headers: { accept: "application/json" } }, {
    timeout: o.timeout, max: MAX_BODY, code: "discovery_invalid", what: "discovery",
  });
  if (body.issuer !== o.issuer) {
    fail("discovery_invalid", `discovery: issuer ${JSON.stringify(body.issuer)?.slice(0, 200)} is not ${o.issuer} (OIDC Discovery §4.3)`);
  }
  if (body.device_authorization_endpoint === undefined) {
    fail("discovery_invalid", "discovery: the provider has no device_authorization_endpoint (RFC 8628 §4)");
  }
  const endpoint = (name) => answeredUrl(body[name], "discovery_invalid", `discovery: ${name}`);
  return {
    device: endpoint("device_authorization_endpoint"),
    token: endpoint("token_endpoint"),
    // Needed only to check an ID token: asked for with `openid`, or sent unasked.
    jwks: body.jwks_uri === undefined && !o.openid ? undefined : endpoint("jwks_uri"),
  };
}

/** The device authorization answer (RFC 8628 §3.2), checked: what is shown to the user is
 *  printable text and https URLs. */
function deviceAnswer(body) {
  const invalid = (why) => fail("device_authorization_invalid", `device authorization: ${why} (RFC 8628 §3.2)`);
  const { device_code: deviceCode, user_code: userCode, expires_in: expiresIn, interval = DEFAULT_INTERVAL } = body;
  if (typeof deviceCode !== "string" || deviceCode === "" || deviceCode.length > MAX_DEVICE_CODE) {
    invalid(`device_code must be a string of 1 to ${MAX_DEVICE_CODE} characters`);
  }
  if (typeof userCode !== "string" || userCode === "" || userCode.length > MAX_USER_CODE || UNPRINTABLE.test(userCode)) {
    invalid(`user_code must be printable text of 1 to ${MAX_USER_CODE} characters`);
  }
  if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0) invalid("expires_in must be a whole number of seconds, more than 0");
  if (!Number.isSafeInteger(interval) || interval <= 0) invalid("interval must be a whole number of seconds, more than 0");
  const uri = (name) => answeredUrl(body[name], "device_authorization_invalid", `device authorization: ${name}`).href;
  return {
    deviceCode, userCode, expiresIn, interval,
    verificationUri: uri("verification_uri"),
    verificationUriComplete: body.verification_uri_complete === undefined ? undefined : uri("verification_uri_complete"),
  };
}

/**
 * A device authorization in progress: what to show the user, and `poll()`, which waits for
 * the user's answer. The device code and the client's credentials are kept private, so
 * logging the object shows neither.
 */
class DeviceAuthorization {
  #o;
  #http;
  #endpoints;
  #deviceCode;
  #interval;
  #deadline; // performance.now() ms past which the codes have expired
  #last; // performance.now() ms of the last answer (or failure): the next poll waits from it
  #polling = false;
  #keys = null;

  constructor(o, http, endpoints, answer, answeredAt) {
    this.#o = o;
    this.#http = http;
    this.#endpoints = endpoints;
    this.#deviceCode = answer.deviceCode;
    this.#interval = answer.interval;
    this.#last = answeredAt;
    this.#deadline = answeredAt + answer.expiresIn * 1000;
    this.userCode = answer.userCode;
    this.verificationUri = answer.verificationUri;
    this.verificationUriComplete = answer.verificationUriComplete;
    this.expiresIn = answer.expiresIn;
    this.expiresAt = Math.floor(Date.now() / 1000) + answer.expiresIn;
    Object.freeze(this);
  }

  /** Seconds between polls now: the provider's, plus 5 for each slow_down. */
  get interval() {
    return this.#interval;
  }

  async poll(options) {
    const { signal, onSlowDown } = readOptions(options, POLL_OPTIONS, "poll");
    if (signal !== undefined && !(signal instanceof AbortSignal)) fail("invalid_option", "poll: signal must be an AbortSignal");
    if (this.#polling) fail("invalid_option", "poll: already polling (a second poller would poll faster than the interval)");
    this.#polling = true;
    try {
      return await this.#pollUntilAnswered(signal, onSlowDown);
    } finally {
      this.#polling = false;
    }
  }

  async #pollUntilAnswered(signal, onSlowDown) {
    let failures = 0; // network failures in a row: each doubles the wait (RFC 8628 §3.5)
    let lastFailure;
    for (;;) {
      const next = this.#last + this.#interval * 1000 * 2 ** Math.min(failures, 20);
      if (next >= this.#deadline) {
        // A poll then would be answered expired_token: none is sent, and the codes' end is
        // reported when it comes, not before.
        await sleepUntil(this.#deadline, signal);
        fail("device_code_expired", "device authorization: the codes expired before the user answered (RFC 8628 §3.5)", lastFailure ? { cause: lastFailure } : undefined);
      }
      await sleepUntil(next, signal);
      const sentAt = Math.floor(Date.now() / 1000);
      let body;
      try {
        body = await untilAborted(this.#request(signal), signal);
      } catch (err) {
        this.#last = performance.now();
        if (signal?.aborted) throw aborted(signal);
        if (!(err instanceof OidcEdgeError)) throw err;
        if (transient(err)) {
          failures += 1;
          lastFailure = err;
          continue;
        }
        const details = { status: err.status, error: err.error, error_description: err.error_description };
        switch (err.error) {
          case "authorization_pending":
            failures = 0;
            continue;
          case "slow_down":
            // §3.5: for this and every later request.
            failures = 0;
            this.#interval += SLOW_DOWN_STEP;
            onSlowDown?.(this.#interval);
            continue;
          case "access_denied":
            fail("access_denied", "device authorization: the user denied the request (RFC 8628 §3.5)", details);
            break;
          case "expired_token":
            fail("device_code_expired", "device authorization: the codes expired before the user answered (RFC 8628 §3.5)", details);
            break;
          default:
            throw err;
        }
      }
      this.#last = performance.now();
      return this.#tokens(body, sentAt);
    }
  }

  async #request(signal) {
    const params = new URLSearchParams({ grant_type: GRANT, device_code: this.#deviceCode });
    const { body } = await fetchJson(abortable(this.#http, signal), this.#endpoints.token, authenticate(this.#o, params), {
      timeout: this.#o.timeout, max: MAX_BODY, code: "token_error", what: "token",
    });
    return body;
  }

  /** The token response (RFC 6749 §5.1), its ID token validated (OpenID Connect Core
   *  §3.1.3.7) when there is one, which there must be when `openid` was asked for. */
  async #tokens(body, sentAt) {
    const invalid = (why) => fail("token_response_invalid", `token response: ${why}`);
    const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn, refresh_token: refreshToken, id_token: idToken, scope } = body;
    if (typeof accessToken !== "string" || accessToken === "") invalid("access_token must be a string");
    // Tokens for this client's requests, which carry no DPoP proof, are Bearer tokens.
    if (typeof tokenType !== "string" || tokenType.toLowerCase() !== "bearer") invalid("token_type must be Bearer");
    if (expiresIn !== undefined && !(Number.isFinite(expiresIn) && expiresIn >= 0)) invalid("expires_in must be a number of seconds");
    for (const [name, value] of [["refresh_token", refreshToken], ["id_token", idToken], ["scope", scope]]) {
      if (value !== undefined && typeof value !== "string") invalid(`${name} must be a string`);
    }
    if (this.#o.openid && idToken === undefined) invalid("no id_token, though openid was asked for");
    const tokens = {
      accessToken,
      tokenType: "Bearer",
      expiresAt: expiresIn === undefined ? undefined : sentAt + Math.floor(expiresIn),
      refreshToken,
      idToken,
      claims: undefined,
      // RFC 6749 §5.1: no scope in the answer means the scope asked for.
      scope: scope ?? this.#o.scope,
    };
    if (idToken !== undefined) {
      if (this.#endpoints.jwks === undefined) invalid("an id_token, and discovery gives no jwks_uri to check it with");
      this.#keys ??= createRemoteKeySet(this.#endpoints.jwks, { fetch: this.#http, timeout: this.#o.timeout });
      tokens.claims = await validateIdToken(idToken, this.#keys, {
        issuer: this.#o.issuer, clientId: this.#o.clientId, accessToken, clockTolerance: this.#o.clockTolerance,
      });
    }
    return tokens;
  }
}

/**
 * Starts the device authorization grant (RFC 8628 §3.1) with the provider at `issuer`: the
 * answer has the user code and the URI to show the user, and `poll()`, which resolves with
 * the tokens once the user has approved.
 */
export async function startDeviceAuthorization(options) {
  if (options === undefined || options === null) fail("invalid_option", "startDeviceAuthorization: options must be an object");
  // `resource` is read with the others, and checked by resources().
  const { resource, ...given } = readOptions(options, { ...OPTIONS, resource: "any" }, "startDeviceAuthorization");
  for (const name of ["issuer", "clientId", "scope"]) {
    if (typeof given[name] !== "string" || given[name] === "") fail("invalid_option", `startDeviceAuthorization: ${name} is required`);
  }
  if (!SCOPE.test(given.scope)) fail("invalid_option", "startDeviceAuthorization: scope must be scope tokens separated by single spaces (RFC 6749 §3.3)");
  checkTimeout(given.timeout, "startDeviceAuthorization: timeout");
  fetchableUrl(given.issuer, "startDeviceAuthorization: issuer");
  const http = given.fetch ?? globalThis.fetch;
  if (typeof http !== "function") fail("invalid_option", "startDeviceAuthorization: fetch is required where there is no global fetch");
  const o = {
    ...given,
    timeout: given.timeout ?? DEFAULT_TIMEOUT,
    resources: resources(resource),
    openid: given.scope.split(" ").includes("openid"),
  };
  // Called detached: some runtimes refuse `fetch` called as a method of another object.
  const send = (input, init) => http(input, init);
  const endpoints = await discover(o, send);
  const params = new URLSearchParams({ scope: o.scope });
  for (const item of o.resources) params.append("resource", item);
  const { body } = await fetchJson(send, endpoints.device, authenticate(o, params), {
    timeout: o.timeout, max: MAX_BODY, code: "device_authorization_error", what: "device authorization",
  });
  const answeredAt = performance.now();
  return new DeviceAuthorization(o, send, endpoints, deviceAnswer(body), answeredAt);
}
