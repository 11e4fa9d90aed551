// verifyJwt and validateIdToken as the package entry exports them: the wasm functions, which
// also take a key set that fetches its keys (createRemoteKeySet in remote-keys.js); and the
// same for validateAccessToken (server-module.js, which runs it in the resource-server
// module). Such a set answers to RESOLVE with the keys to verify with; this file
// needs nothing else of it, so a page that verifies with keys it holds loads none of the
// fetching code (nor its header parsing).
import { validateIdToken as wasmValidateIdToken, verifyJwt as wasmVerifyJwt } from "./oidc_edge.js";
import { OidcEdgeError } from "./error.js";

/** `set[RESOLVE](token, tried)`: the key set to verify `token` with; with `tried`, the set
 *  that had no key for it: a newer one, or null when there is none to be had yet. */
export const RESOLVE = /* @__PURE__ */ Symbol("oidc-edge key set");

/** Runs `check` with the keys a fetching key set gives; on `key_not_found`, once more with
 *  a newer set when the set has one to give (its cooldown decides). */
async function withFetchedKeys(check, token, keySet, options) {
  const keys = await keySet[RESOLVE](token);
  try {
    return await check(token, keys, options);
  } catch (err) {
    if (err?.code !== "key_not_found") throw err;
    const newer = await keySet[RESOLVE](token, keys);
    if (newer === null) throw err;
    return check(token, newer, options);
  }
}

// Plain key sets go straight to the wasm, without an extra promise.
// A token that is not a string is refused here, as a malformed one (RFC 7515 §7.1), before the
// glue's string conversion would throw a TypeError of its own.
export const acceptingFetchedKeys = (check) => (token, keys, options) =>
  typeof token !== "string"
    ? Promise.reject(new OidcEdgeError("jws_malformed", "malformed JWS: a compact JWS is a string"))
    : typeof keys?.[RESOLVE] === "function"
      ? withFetchedKeys(check, token, keys, options)
      : check(token, keys, options);

export const verifyJwt = /* @__PURE__ */ acceptingFetchedKeys(wasmVerifyJwt);
export const validateIdToken = /* @__PURE__ */ acceptingFetchedKeys(wasmValidateIdToken);
