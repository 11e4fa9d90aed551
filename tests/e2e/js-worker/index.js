// A resource server on Cloudflare Workers in plain JavaScript, written as the package's README
// shows ("Cloudflare Workers"): the wasm imported as compiled modules, initSync once, and a
// resource that accepts only a DPoP-bound access token with a valid proof (RFC 9449 §7.1).
import { initSync, createKeySet, dpopErrorResponse, verifyDpopProof, verifyJwt } from "oidc-edge";
import wasm from "oidc-edge/oidc_edge_bg.wasm";
import rustcrypto from "oidc-edge/oidc_edge_rustcrypto_bg.wasm";

initSync({ module: wasm, rustcrypto });

let keys; // the provider's JWKS (the JWKS variable), checked once per isolate

// The error's code rides along in a header for the test; the status and the challenge are the
// package's (dpopErrorResponse).
const reply = ({ status, headers, body }, code) =>
  Response.json(body, { status, headers: { ...headers, ...(code ? { "x-error-code": code } : {}) } });

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/healthz") return new Response("ok");
    keys ??= createKeySet(JSON.parse(env.JWKS));
    try {
      const [scheme, token, extra] = (request.headers.get("authorization") ?? "").split(" ");
      if (scheme !== "DPoP" || !token || extra !== undefined) return reply(dpopErrorResponse("invalid_token"));
      const { payload } = await verifyJwt(token, keys, {
        issuer: env.ISSUER, audience: env.AUDIENCE, requiredClaims: ["exp"],
      });
      const jkt = payload.cnf?.jkt; // without it, not a DPoP-bound token (RFC 9449 §6)
      if (typeof jkt !== "string") return reply(dpopErrorResponse("invalid_token"));
      await verifyDpopProof(request.headers.get("dpop"), {
        htm: request.method, htu: request.url, accessToken: token, jkt,
      });
      return Response.json({ sub: payload.sub, jkt });
    } catch (err) {
      return reply(dpopErrorResponse(err), err?.code);
    }
  },
};
