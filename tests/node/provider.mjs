// A provider for the OidcClient suites: a real node:http server on 127.0.0.1 whose every
// answer a test can replace (discovery, JWKS, token, userinfo, revocation by default), with
// ID tokens signed by `jose` and the client's DPoP proofs checked with `jose`, never with
// the package under test.
import { createServer } from "node:http";
import * as jose from "jose";
import { importPackage } from "./package.mjs";
import { MemoryStorage, b64url, sha256 } from "../shared/node-helpers.mjs";

const { OidcClient, DpopKey } = await importPackage();

export const REDIRECT_URI = "http://localhost:5173/callback";
export const CLIENT_ID = "spa";
export const SUB = "248289761001";

/** OIDC Core §3.1.3.6: the left half of the SHA-256 of the access token. */
export const atHash = (token) => b64url(sha256(token).subarray(0, 16));
/** RFC 7638 thumbprint, computed here with jose. */
export const thumbprint = (jwk) => jose.calculateJwkThumbprint(jwk, "sha256");

export async function signingKey(kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await jose.exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

/**
 * A provider on 127.0.0.1 whose every answer a test can replace. `op.routes[path]` is
 * `(req, { body, url, op }) => response` where a response is `{ status, headers, body }`
 * (`body` an object → JSON) or `"raw"` when the handler wrote `req.res` itself.
 * `op.log` lists every request as `{ method, path, headers, body }`.
 */
export async function startProvider(t) {
  const op = { log: [], keys: [await signingKey("k1")], signWith: null, nonce: null, sub: SUB };
  op.signWith = op.keys[0];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url, op.issuer);
    op.log.push({ method: req.method, path: url.pathname, headers: req.headers, body });
    const route = op.routes[url.pathname];
    req.res = res;
    const out = route ? await route(req, { body, url, op }) : { status: 404, body: { error: "not_found" } };
    if (out === "raw") return;
    const isText = typeof out.body === "string";
    const headers = { "content-type": isText ? "text/plain" : "application/json", ...out.headers };
    res.writeHead(out.status ?? 200, headers);
    res.end(isText ? out.body : JSON.stringify(out.body));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  op.issuer = `http://127.0.0.1:${server.address().port}`;
  t.after(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  op.metadata = {
    issuer: op.issuer,
    authorization_endpoint: `${op.issuer}/authorize`,
    token_endpoint: `${op.issuer}/token`,
    jwks_uri: `${op.issuer}/jwks`,
    userinfo_endpoint: `${op.issuer}/userinfo`,
    end_session_endpoint: `${op.issuer}/end_session`,
    revocation_endpoint: `${op.issuer}/revoke`,
    authorization_response_iss_parameter_supported: true,
    response_types_supported: ["code"],
  };
  op.idToken = (claims = {}, key = op.signWith) => {
    const iat = Math.floor(Date.now() / 1000);
    const payload = { iss: op.issuer, aud: CLIENT_ID, sub: op.sub, iat, exp: iat + 600, nonce: op.nonce ?? undefined, ...claims };
    return new jose.SignJWT(payload).setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" }).sign(key.privateKey);
  };
  /** A standard token response; `extra` overrides members (undefined removes one). */
  op.tokens = async (req, extra = {}) => {
    const accessToken = `at-${b64url(sha256(String(Math.random())))}`;
    const body = {
      access_token: accessToken,
      token_type: req.headers.dpop ? "DPoP" : "Bearer",
      expires_in: 600,
      refresh_token: `rt-${op.log.length}`,
      id_token: await op.idToken({ at_hash: atHash(accessToken) }),
      scope: "openid profile email",
      ...extra,
    };
    return { status: 200, headers: { "cache-control": "no-store" }, body: JSON.parse(JSON.stringify(body)) };
  };
  op.routes = {
    "/.well-known/openid-configuration": () => ({ body: op.metadata }),
    "/jwks": () => ({ body: { keys: op.keys.map((k) => k.publicJwk) } }),
    "/token": (req) => op.tokens(req),
    "/userinfo": () => ({ body: { sub: op.sub, name: "Demo User" } }),
    // RFC 7009 §2.2: 200 with no meaningful body, whatever the token was.
    "/revoke": () => ({ status: 200, body: "" }),
  };
  op.count = (path) => op.log.filter((r) => r.path === path).length;
  return op;
}

export async function newClient(op, options = {}) {
  return OidcClient.create({
    issuer: op.issuer,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    storage: new MemoryStorage(),
    dpopKey: await DpopKey.generate(),
    ...options,
  });
}

/** authorizationUrl(), with the provider told the nonce; returns the callback URL to use. */
export async function authorize(client, op, params = { code: "the-code" }) {
  const request = new URL(await client.authorizationUrl());
  op.nonce = request.searchParams.get("nonce");
  const callback = new URL(REDIRECT_URI);
  callback.searchParams.set("state", request.searchParams.get("state"));
  callback.searchParams.set("iss", op.issuer);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) callback.searchParams.delete(name);
    else callback.searchParams.set(name, value);
  }
  return { callback: callback.href, request };
}

export async function signedIn(t, options) {
  const op = await startProvider(t);
  const client = await newClient(op, options);
  const { callback } = await authorize(client, op);
  const session = await client.handleCallback(callback);
  return { op, client, session };
}

/** The payload of a DPoP proof the client sent, verified with jose against its embedded key. */
export async function proofOf(headers) {
  const { payload, protectedHeader } = await jose.jwtVerify(headers.dpop, jose.EmbeddedJWK, {
    typ: "dpop+jwt",
    algorithms: ["ES256"],
  });
  return { payload, jkt: await thumbprint(protectedHeader.jwk) };
}
