// The resource-server kit, for any runtime with the Fetch API (Node 20, Workers, Deno,
// browsers). authenticateRequest checks a request's access token as RFC 6750 (Bearer) and
// RFC 9449 (DPoP) ask, and turns every refusal into a ready Response with its
// WWW-Authenticate challenge; createRemoteKeySet (remote-keys.js) fetches the provider's
// keys; protectedResourceMetadata (resource-metadata.js) describes the resource (RFC 9728).
// The checks themselves are the resource-server module's (server-module.js loads it on first
// use): validateAccessToken (RFC 9068), verifyDpopProof.
import { dpopNonce } from "./oidc_edge.js";
import { DPOP_ALGS, describe, validateAccessToken, verifyDpopProof } from "./server-module.js";
import { OidcEdgeError } from "./error.js";

import { checkTimeout, fetchJson, fetchableUrl } from "./remote-keys.js";
import { fail, isObject, readOptions } from "./options.js";
import { SCOPE_TOKEN } from "./resource-metadata.js";

export { createRemoteKeySet } from "./remote-keys.js";
export { protectedResourceMetadata } from "./resource-metadata.js";

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/; // RFC 6750 §2.1 b64token, RFC 9449 §7.1
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/; // the form of an RFC 9068 access token
const MAX_TOKEN = 16 * 1024; // longest token looked at (the wasm caps a JWS below this)
const MAX_INTROSPECTION = 64 * 1024; // largest introspection answer read
// Codes that say the token could not be checked now, not that it is bad: 503, not 401. A
// store_unavailable is the replay cache refusing to record a proof (full: src/store.rs).
const UNAVAILABLE = [
  "network_error", "aborted", "response_too_large", "jwks_invalid", "introspection_error", "crypto_unavailable", "store_unavailable",
];
// The OAuth errors verifyDpopProof names for a proof that fails (RFC 9449 §7.1, §8).
const PROOF_ERRORS = ["invalid_dpop_proof", "use_dpop_nonce"];

const OPTIONS = {
  issuer: "string", audience: "string", keys: "object", requiredScopes: "string[]", nonceSecret: "Uint8Array",
  publicOrigin: "string", resourceMetadata: "string", introspection: "object",
};
const INTROSPECTION = { endpoint: "string", clientId: "string", clientSecret: "string", timeout: "number", fetch: "function" };

function originOf(text) {
  try {
    return new URL(text).origin;
  } catch {
    return null;
  }
}

/** The options, checked once per call (they are small: the checks cost nothing beside a
 *  signature), with the derived values the challenges need. */
function settings(options) {
  const o = readOptions(options, OPTIONS, "authenticateRequest");
  for (const name of ["issuer", "audience"]) {
    if (!o[name]) fail("invalid_option", `authenticateRequest: ${name} is required`);
  }
  if (o.keys === undefined && o.introspection === undefined) {
    fail("invalid_option", "authenticateRequest: keys (for JWT access tokens) or introspection is required");
  }
  const scopes = o.requiredScopes ?? [];
  if (!scopes.every((scope) => SCOPE_TOKEN.test(scope))) fail("invalid_option", "authenticateRequest: requiredScopes must be scope tokens (RFC 6749 §3.3)");
  if (o.publicOrigin !== undefined && (!/^https?:/.test(o.publicOrigin) || originOf(o.publicOrigin) !== o.publicOrigin)) {
    fail("invalid_option", "authenticateRequest: publicOrigin must be an origin, scheme://host[:port], as clients see it");
  }
  let introspection = null;
  if (o.introspection !== undefined) {
    const given = readOptions(o.introspection, INTROSPECTION, "authenticateRequest: introspection");
    for (const name of ["endpoint", "clientId", "clientSecret"]) {
      if (!given[name]) fail("invalid_option", `authenticateRequest: introspection.${name} is required`);
    }
    checkTimeout(given.timeout, "authenticateRequest: introspection.timeout");
    const http = given.fetch ?? globalThis.fetch;
    introspection = {
      ...given,
      endpoint: fetchableUrl(given.endpoint, "authenticateRequest: introspection.endpoint"),
      timeout: given.timeout ?? 5,
      http: (input, init) => http(input, init),
    };
  }
  return {
    ...o,
    scope: scopes.join(" "),
    // Normalised by URL: what goes into the challenge's quoted string has no quote in it.
    resourceMetadata: o.resourceMetadata && fetchableUrl(o.resourceMetadata, "authenticateRequest: resourceMetadata").href,
    introspection,
  };
}

/**
 * A refusal as a Response (RFC 6750 §3, RFC 9449 §7.1): a challenge for each scheme the
 * resource takes, the one the client used first and carrying the error; `resource_metadata`
 * on both (RFC 9728 §5.1); `scope` with insufficient_scope; `DPoP-Nonce` when one is asked for.
 * Without an error (no credentials, RFC 6750 §3.1), the bare challenges.
 */
function refusal(o, scheme, { status, error, description, nonce }, cause) {
  const common = o.resourceMetadata ? [`resource_metadata="${o.resourceMetadata}"`] : [];
  const problem = error === undefined ? [] : [
    `error="${error}"`,
    ...(description ? [`error_description="${describe(description)}"`] : []),
    ...(error === "insufficient_scope" && o.scope ? [`scope="${o.scope}"`] : []),
  ];
  const challenge = (name, own) => [name, [...(scheme === name ? problem : []), ...own, ...common].join(", ")].join(" ").trim();
  const challenges = [challenge("Bearer", []), challenge("DPoP", [`algs="${DPOP_ALGS.join(" ")}"`])];
  if (scheme === "DPoP") challenges.reverse();
  const headers = new Headers({ "www-authenticate": challenges.join(", "), "cache-control": "no-store" });
  if (nonce) headers.set("dpop-nonce", nonce);
  let body = null;
  if (error !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify({ error, ...(description ? { error_description: describe(description) } : {}) });
  }
  return { ok: false, response: new Response(body, { status, headers }), ...(cause ? { error: cause } : {}) };
}

/** The refusal for an error thrown by a check of the token, or of its proof (`proof`);
 *  errors that are the caller's (options) or not the package's rethrow. */
function refused(o, scheme, err, proof = false) {
  // The wasm modules not loaded (a Worker not given the resource-server module) is the
  // deployment's mistake, as an option is: thrown, not answered as the client's.
  if (!(err instanceof OidcEdgeError) || ["invalid_option", "wasm_not_loaded", "wasm_invalid"].includes(err.code)) throw err;
  // A proof that fails is the client's, whatever the code: verifyDpopProof names its OAuth
  // error (a key only the missing pure-Rust module could check included). Any other failure
  // of a token is invalid_token (RFC 6750 §3.1), unless it could not be checked at all.
  const error = proof && PROOF_ERRORS.includes(err.error) ? err.error : "invalid_token";
  if (error === "invalid_token" && UNAVAILABLE.includes(err.code)) {
    const body = JSON.stringify({ error: "temporarily_unavailable", error_description: "the access token cannot be checked now" });
    const headers = { "content-type": "application/json", "cache-control": "no-store", "retry-after": "30" };
    return { ok: false, response: new Response(body, { status: 503, headers }), error: err };
  }
  // RFC 9449 §8: the nonce to retry with.
  const nonce = error === "use_dpop_nonce" && o.nonceSecret ? dpopNonce(o.nonceSecret) : undefined;
  return refusal(o, scheme, { status: 401, error, description: err.message, nonce }, err);
}

/** RFC 7662: an opaque token's state from the authorization server, checked as a JWT
 *  access token would be: active, iss, aud = this resource, exp, scopes. */
async function introspect(token, o) {
  const { endpoint, clientId, clientSecret, http, timeout } = o.introspection;
  // RFC 6749 §2.3.1: client_id and secret are form-encoded before Basic encodes them.
  const form = (value) => new URLSearchParams({ v: value }).toString().slice(2);
  const init = {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${form(clientId)}:${form(clientSecret)}`)}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
  };
  const { body: answer } = await fetchJson(http, endpoint, init, {
    timeout, max: MAX_INTROSPECTION, code: "introspection_error", what: "introspection",
  });
  const inactive = (why) => fail("token_inactive", `introspection: ${why}`);
  if (answer.active !== true) inactive("the token is not active (RFC 7662 §2.2)");
  // §2.2's members, of the types the answer's readers (and its declared type) rely on.
  for (const [names, type] of [[["iss", "sub", "jti", "scope", "client_id", "username", "token_type"], "string"], [["exp", "iat", "nbf"], "number"]]) {
    for (const name of names) {
      if (answer[name] !== undefined && typeof answer[name] !== type) fail("introspection_error", `introspection: ${name} is not a ${type}`);
    }
  }
  if (answer.token_type !== undefined && !["bearer", "dpop", "access_token"].includes(String(answer.token_type).toLowerCase())) {
    inactive("not an access token");
  }
  if (answer.iss !== undefined && answer.iss !== o.issuer) inactive("iss is not the issuer");
  const audiences = typeof answer.aud === "string" ? [answer.aud] : answer.aud;
  // Required: without an audience, a token meant for another resource would pass.
  if (!Array.isArray(audiences) || !audiences.includes(o.audience)) inactive("aud does not name this resource");
  if (answer.exp !== undefined && answer.exp * 1000 <= Date.now()) inactive("expired");
  return answer;
}

/** The `DPoP` header's values: `Headers.get` joins repeated ones with ", ", and a proof (a
 *  compact JWS) has no comma, so a comma means more than one (RFC 9449 §4.3 check 1). */
function proofs(request) {
  const value = request.headers.get("dpop");
  return value === null ? undefined : value.split(",").map((proof) => proof.trim());
}

/**
 * Checks the access token of `request` for this resource, and resolves to
 * `{ ok: true, claims, scheme, jkt? }`, or `{ ok: false, response, error? }` with the
 * Response to send back.
 */
export async function authenticateRequest(request, options) {
  const o = settings(options);
  // Any Fetch API Request (another realm's, a framework's subclass): what is used of it.
  if (typeof request?.headers?.get !== "function" || typeof request.url !== "string" || typeof request.method !== "string") {
    fail("invalid_option", "authenticateRequest: request must be a Request");
  }
  const credentials = request.headers.get("authorization");
  const [given = "", ...rest] = (credentials ?? "").trim().split(" ");
  const scheme = { bearer: "Bearer", dpop: "DPoP" }[given.toLowerCase()];
  // No credentials, or only in a scheme this resource does not take: the bare challenges.
  if (scheme === undefined) return refusal(o, null, { status: 401 });
  const token = rest.join(" ").trim();
  const invalidRequest = (description) => refusal(o, scheme, { status: 400, error: "invalid_request", description });
  // One token68 (a comma means a second Authorization header, joined by Headers.get).
  if (!TOKEN68.test(token) || token.length > MAX_TOKEN) return invalidRequest("malformed Authorization header");
  if (new URL(request.url).searchParams.has("access_token")) {
    return invalidRequest("the access token is sent in more than one way (RFC 6750 §3.1)");
  }

  // The token first, then whether the scheme fits its binding, then the proof, and only then
  // the scopes: a stolen DPoP-bound token, sent without its proof or as a Bearer token, is
  // refused as such (RFC 9449 §7.1, §7.2), and learns nothing of what it would need.
  let claims;
  try {
    if (o.keys !== undefined && (COMPACT_JWS.test(token) || o.introspection === null)) {
      ({ payload: claims } = await validateAccessToken(token, o.keys, { issuer: o.issuer, audience: o.audience }));
    } else {
      claims = await introspect(token, o);
    }
  } catch (err) {
    return refused(o, scheme, err);
  }

  const invalidToken = (description) => refusal(o, scheme, { status: 401, error: "invalid_token", description });
  let jkt;
  if (scheme === "Bearer") {
    // RFC 9449 §7.2: a token bound to a key is no bearer token; sent as one, it may be stolen.
    if (claims.cnf !== undefined) return invalidToken("the token is bound to a key (cnf): send it with the DPoP scheme and a proof");
  } else {
    jkt = isObject(claims.cnf) ? claims.cnf.jkt : undefined;
    if (typeof jkt !== "string") return invalidToken("the token is not DPoP-bound (no cnf.jkt): send it with the Bearer scheme");
    const url = new URL(request.url);
    try {
      await verifyDpopProof(proofs(request), {
        htm: request.method,
        // Behind a proxy the request's URL is the proxy's; the proof names the one the client used.
        htu: o.publicOrigin ? `${o.publicOrigin}${url.pathname}${url.search}` : url.href,
        accessToken: token,
        jkt,
        ...(o.nonceSecret ? { nonceSecret: o.nonceSecret } : {}),
      });
    } catch (err) {
      return refused(o, scheme, err, true);
    }
  }

  // One scope check for JWT and introspected tokens alike (RFC 6750 §3.1); `scope`, when
  // present, is a string in both (the wasm and introspect check its type).
  const granted = (claims.scope ?? "").split(" ");
  const missing = (o.requiredScopes ?? []).find((scope) => !granted.includes(scope));
  if (missing !== undefined) {
    const description = `access token lacks scope ${missing}`;
    return refusal(o, scheme, { status: 403, error: "insufficient_scope", description }, new OidcEdgeError("insufficient_scope", description));
  }
  return { ok: true, claims, scheme, ...(jkt === undefined ? {} : { jkt }) };
}
