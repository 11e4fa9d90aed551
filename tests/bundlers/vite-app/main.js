// An app built with Vite that uses oidc-edge as its README says: imported by name, `init()`
// with no argument (the wasm is fetched from wherever the bundler put it). It hands its
// results to tests/bundlers/vite.test.mjs, which checks them in Node.
import init, { createPkce, verifyJwt, verifyDpopProof, DpopKey, OidcClient } from "oidc-edge";

// The error as plain data: an Error does not cross page.evaluate with its `code`.
const failure = (err) => ({ name: err?.name, code: err?.code, message: String(err?.message ?? err) });

// What a sign-in page needs: PKCE, a DPoP key and proof, a JWT from a provider verified,
// a tampered one refused, and the code flow's authorization request.
async function signIn({ token, tamperedToken, jwks, issuer, audience, htu }) {
  await init();
  const pkce = createPkce();
  const key = await DpopKey.generate();
  const proof = await key.proof({ htm: "POST", htu });
  const { payload } = await verifyJwt(token, jwks, { issuer, audience, requiredClaims: ["exp"] });
  const tampered = await verifyJwt(tamperedToken, jwks, { issuer, audience }).then(() => null, failure);

  // OidcClient with the provider's discovery answered in the page (no provider runs here).
  const discovery = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
  };
  const client = await OidcClient.create({
    issuer,
    clientId: "vite-app",
    redirectUri: `${location.origin}/callback`,
    fetch: async () => Response.json(discovery),
  });
  const authorizationUrl = await client.authorizationUrl();
  return { pkce, proof, thumbprint: key.thumbprint, payload, tampered, authorizationUrl, clientThumbprint: client.thumbprint };
}

// The pure-Rust module, fetched on first use only: another wasm asset and its own chunk.
async function pureRust({ htu }) {
  await init();
  const key = await DpopKey.generate({ backend: "wasm" });
  return { proof: await key.proof({ htm: "GET", htu }), thumbprint: key.thumbprint };
}

// The resource-server module, fetched on the first proof check only: a third wasm asset.
async function proofCheck({ htu }) {
  await init();
  const key = await DpopKey.generate();
  const checked = await verifyDpopProof(await key.proof({ htm: "GET", htu }), { htm: "GET", htu });
  return { jkt: checked.jkt, thumbprint: key.thumbprint };
}

// Each check answers { ok: true, value } or { ok: false, error }.
const settle = (run) => (args) => run(args).then((value) => ({ ok: true, value }), (err) => ({ ok: false, error: failure(err) }));
window.oidcEdgeApp = { signIn: settle(signIn), pureRust: settle(pureRust), proofCheck: settle(proofCheck) };
