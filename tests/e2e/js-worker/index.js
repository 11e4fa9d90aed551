// The package README's "Protect an API (resource server)" Worker ("In a Cloudflare Worker"),
// as it is: tests/e2e/js-worker.test.mjs checks that this file is that sample, and runs it on
// workerd against a JWKS it serves itself. main.js adds the /healthz wrangler.mjs waits for.
import {
  initSync, authenticateRequest, createRemoteKeySet, dpopNonce, protectedResourceMetadata,
} from "oidc-edge";
import wasm from "oidc-edge/oidc_edge_bg.wasm";
import server from "oidc-edge/oidc_edge_server_bg.wasm"; // where tokens and proofs are checked

initSync({ module: wasm, server });

let keys; // the provider's keys, one set per isolate: its cache lives as long
// A browser app on another origin must be allowed to read the challenge and the nonce.
const cors = {
  "Access-Control-Allow-Origin": "https://app.example",
  "Access-Control-Expose-Headers": "WWW-Authenticate, DPoP-Nonce",
};

export default {
  // The Worker's variables: ISSUER (https://op.example), JWKS_URI, DPOP_NONCE_SECRET.
  async fetch(request, env) {
    keys ??= createRemoteKeySet(env.JWKS_URI);
    const { origin, pathname } = new URL(request.url);
    if (request.method === "OPTIONS") {
      return new Response(null, { status: 204, headers: { ...cors, "Access-Control-Allow-Headers": "Authorization, DPoP" } });
    }
    // RFC 9728 §3: where a client that got a 401 learns which authorization server to ask.
    const metadata = protectedResourceMetadata({
      resource: `${origin}/`, authorizationServers: [env.ISSUER], scopesSupported: ["read"],
      dpopSigningAlgValuesSupported: ["ES256"],
    });
    if (pathname === "/.well-known/oauth-protected-resource") return Response.json(metadata, { headers: cors });

    const nonceSecret = new TextEncoder().encode(env.DPOP_NONCE_SECRET); // 32 bytes or more, a secret
    const auth = await authenticateRequest(request, {
      issuer: env.ISSUER,
      audience: metadata.resource,         // the token's aud must name this API
      keys,
      requiredScopes: ["read"],
      nonceSecret,                         // DPoP proofs must carry a nonce from dpopNonce
      resourceMetadata: `${origin}/.well-known/oauth-protected-resource`,
    });
    if (!auth.ok) {
      const headers = new Headers(auth.response.headers);
      for (const [name, value] of Object.entries(cors)) headers.set(name, value);
      return new Response(auth.response.body, { status: auth.response.status, headers });
    }
    // A nonce with every answer saves the client a round trip on its next request.
    return Response.json({ sub: auth.claims.sub }, { headers: { ...cors, "DPoP-Nonce": dpopNonce(nonceSecret) } });
  },
};
