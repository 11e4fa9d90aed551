// What only a resource server (or a token endpoint) does: verifyDpopProof and
// validateAccessToken, which run in the resource-server module (oidc_edge_server_bg.wasm:
// src/wasm/dpop_check.rs, the RFC 9068 profile of src/wasm/jwt.rs), loaded the first time
// one is called; and dpopErrorResponse, the answer to a refused proof or token, which needs no
// wasm beyond dpopNonce. A page that signs in calls none of them, so none weighs on it:
// bundlers drop this file from apps that do not import them.
import { dpopNonce } from "./oidc_edge.js";
import { OidcEdgeError } from "./error.js";
import { acceptingFetchedKeys } from "./verify.js";
// src/wasm/rustcrypto.js as wasm-bindgen ships it; scripts/finish-pkg.mjs writes the path.
import { loadModule } from "./snippets/RUSTCRYPTO_SNIPPET";

// Where the module could not be fetched (a Worker has no URL to fetch it from), the fix; where
// the one given as `server` would not run, what to give.
function notLoaded(cause) {
  const reason = String(cause?.message ?? cause).replace(/\.$/, "");
  if (cause?.given) {
    return new OidcEdgeError(
      "wasm_invalid",
      `oidc-edge could not use the resource-server module it was given: ${reason}. Pass this version's oidc_edge_server_bg.wasm as server`,
      { cause },
    );
  }
  return new OidcEdgeError(
    "wasm_not_loaded",
    `oidc-edge could not load its resource-server module (verifyDpopProof, validateAccessToken): ${reason}. Where it ` +
      'cannot be fetched (a Worker), pass it: import server from "oidc-edge/oidc_edge_server_bg.wasm"; initSync({ module: wasm, server })',
    { cause },
  );
}

/** `call(module)` with the resource-server module: at once once it is loaded (no promise of
 *  ours around the call), else when it is; a failed load is `wasm_not_loaded`. */
function withServerModule(call) {
  const module = loadModule("server");
  if (!(module instanceof Promise)) return call(module);
  return module.then(call, (cause) => {
    throw notLoaded(cause);
  });
}

/**
 * Checks a DPoP proof as a resource server or token endpoint would (RFC 9449 §4.3), in the
 * resource-server module: resolves to `{ jkt, jti, iat }`, rejects with a `dpop_*` code (or
 * a JOSE one) and, when the proof is at fault, the OAuth error to answer with as `error`.
 */
export function verifyDpopProof(proof, options) {
  return withServerModule((module) => module.verifyDpopProof(proof, options));
}

/** Validates a JWT access token as a resource server (RFC 9068 §4), in the resource-server
 *  module; takes fetched key sets like verify.js's functions. */
export const validateAccessToken = /* @__PURE__ */ acceptingFetchedKeys((token, keys, options) =>
  withServerModule((module) => module.validateAccessToken(token, keys, options)),
);

/** RFC 6750 §3 / RFC 6749 §5.2: what a challenge's `error_description` may hold, %x20-21 /
 *  %x23-5B / %x5D-7E: anything else is dropped (not escaped: RFC 6750 allows no `"` or `\`),
 *  so no header can be injected through a message. */
export const describe = (text) => String(text).replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "").slice(0, 300);

// The algorithms verifyDpopProof accepts, in the order a challenge lists them by default
// (RFC 9449 §7.1: here and in authenticateRequest's challenges; tests/node/dpop.test.mjs
// checks the list against what the wasm accepts).
export const DPOP_ALGS = ["ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"];
const OPTIONS = ["endpoint", "algorithms", "nonceSecret", "nonceStep", "currentTime", "resourceMetadata"];
// Longest URL accepted in a challenge, in bytes.
const MAX_URL = 2048;

const invalid = (name, reason) => new OidcEdgeError("invalid_option", `option ${JSON.stringify(name)}: ${reason}`);

/** `options` read once and strictly, as the wasm reads options: unknown names, getters that
 *  throw and wrong types are `invalid_option`, so a misspelt option switches nothing off. */
function readOptions(options) {
  if (options === undefined || options === null) return {};
  let names;
  try {
    // A revoked Proxy throws from Array.isArray, a Proxy's ownKeys from Object.keys.
    if (typeof options === "object" && !Array.isArray(options)) names = Object.keys(options);
  } catch {
    throw invalid("options", "could not be read");
  }
  if (!names) throw invalid("options", "must be an object");
  for (const name of names) {
    if (!OPTIONS.includes(name)) throw invalid(name, "unknown option");
  }
  const read = {};
  for (const name of OPTIONS) {
    try {
      read[name] = options[name];
    } catch {
      throw invalid(name, "could not be read");
    }
  }
  return read;
}

/** `algorithms`: names from the closed set, `none` and `HS*` refused (RFC 8725 §3.1). */
function algorithms(value) {
  if (value === undefined) return DPOP_ALGS;
  const names = typeof value === "string" ? [value] : value;
  if (!Array.isArray(names) || !names.every((name) => typeof name === "string")) {
    throw invalid("algorithms", "must be a string or an array of strings");
  }
  for (const name of names) {
    if (name === "none" || /^HS(256|384|512)$/.test(name)) {
      throw new OidcEdgeError("alg_not_allowed", `algorithm ${JSON.stringify(name)} is not allowed`);
    }
    if (!DPOP_ALGS.includes(name)) {
      throw new OidcEdgeError("alg_unsupported", `algorithm ${JSON.stringify([...name].slice(0, 32).join(""))} is not supported`);
    }
  }
  return names.length === 0 ? DPOP_ALGS : names;
}

/** An absolute `https://` URL (`http://` on a loopback host), visible ASCII, no quote, no
 *  fragment: what RFC 9728 §2 asks of a resource, and what is safe in a quoted string. */
function checkUrl(url, name) {
  if (typeof url !== "string") throw invalid(name, "must be a string");
  // No `"` (it would end the quoted value) and no `\` (it would escape its closing quote;
  // RFC 3986 has no use for either).
  if (url.length > MAX_URL || !/^[\x21\x23-\x5b\x5d-\x7e]*$/.test(url)) throw invalid(name, "must be a URL of visible ASCII, without quotes or backslashes");
  if (url.includes("#")) throw invalid(name, "must not have a fragment");
  if (!url.startsWith("https://") && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])([:/]|$)/.test(url)) {
    throw invalid(name, "must be an https URL (http only on localhost, 127.0.0.1 or [::1])");
  }
}

/** A member of a thrown error, when it is a string. */
function member(error, name) {
  try {
    const value = Reflect.get(error, name);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The HTTP response for a failed DPoP or token check. `error` is an error thrown by
 * `verifyDpopProof` (answered with the `invalid_dpop_proof` or `use_dpop_nonce` it names as
 * `error`), by a token check such as `validateAccessToken` (`insufficient_scope`, else
 * `invalid_token`), or an OAuth error code such as "invalid_token". Resource endpoints answer
 * 401 (403 for `insufficient_scope`, RFC 6750 §3.1) with a `WWW-Authenticate: DPoP` challenge
 * (RFC 9449 §7.1); token endpoints 400 with a JSON body (§5). `use_dpop_nonce` adds a fresh
 * `DPoP-Nonce` when `nonceSecret` is given (§8).
 */
export function dpopErrorResponse(error, options) {
  const o = readOptions(options);
  if (o.resourceMetadata !== undefined) checkUrl(o.resourceMetadata, "resourceMetadata");
  let code = error;
  let description;
  if (typeof error !== "string") {
    // RFC 9449 §7.1 for the proof, RFC 6750 §3.1 for the token: a proof that fails is
    // invalid_dpop_proof (or use_dpop_nonce), as verifyDpopProof names it in `error` whatever
    // the code (a bad signature, a missing claim); a token that fails (expired, another
    // audience, a bad signature) is invalid_token, and one that lacks a scope
    // insufficient_scope. Errors made elsewhere are mapped by their code.
    const thrown = member(error, "code") ?? "";
    const named = member(error, "error");
    description = member(error, "message");
    if (named === "invalid_dpop_proof" || named === "use_dpop_nonce") code = named;
    else if (thrown.startsWith("dpop_nonce_")) code = "use_dpop_nonce";
    else if (thrown.startsWith("dpop_")) code = "invalid_dpop_proof";
    else if (thrown === "insufficient_scope") code = "insufficient_scope";
    else code = "invalid_token";
  }
  // RFC 6749 §5.2's error codes, in the lower-case-and-underscore shape every registered one has.
  if (!/^[a-z_]{1,64}$/.test(code)) throw invalid("error", "must be an OAuth error code or an OidcEdgeError");
  if (o.endpoint !== undefined && typeof o.endpoint !== "string") throw invalid("endpoint", "must be a string");
  if (o.endpoint !== undefined && o.endpoint !== "resource" && o.endpoint !== "token") {
    throw invalid("endpoint", 'must be "resource" or "token"');
  }
  const headers = {};
  let status = 400;
  if (o.endpoint === "token") {
    headers["Content-Type"] = "application/json";
    headers["Cache-Control"] = "no-store";
  } else {
    const params = [`error="${code}"`];
    if (description !== undefined) params.push(`error_description="${describe(description)}"`);
    params.push(`algs="${algorithms(o.algorithms).join(" ")}"`);
    // RFC 9728 §5.1: where a client learns which authorization server to ask.
    if (o.resourceMetadata !== undefined) params.push(`resource_metadata="${o.resourceMetadata}"`);
    headers["WWW-Authenticate"] = `DPoP ${params.join(", ")}`;
    status = code === "insufficient_scope" ? 403 : 401;
  }
  if (code === "use_dpop_nonce" && o.nonceSecret !== undefined) {
    if (!(o.nonceSecret instanceof Uint8Array)) throw invalid("nonceSecret", "must be a Uint8Array");
    headers["DPoP-Nonce"] = dpopNonce(o.nonceSecret, { nonceStep: o.nonceStep, currentTime: o.currentTime });
  }
  return { status, headers, body: { error: code, ...(description === undefined ? {} : { error_description: description }) } };
}
