// The resource-server kit of the built package (pkg/): createRemoteKeySet against a real
// JWKS endpoint (a node:http server in this file whose answers each test sets: caching
// headers, rotations, failures, hostile sizes), authenticateRequest for every challenge of
// RFC 6750 §3.1 and RFC 9449 §7.1 (Bearer, DPoP, nonces, replays, a proxy's URL, RFC 7662
// introspection of opaque tokens against the same server), protectedResourceMetadata
// (RFC 9728), and what a bundler keeps of the kit in a page that does not use it. Access
// tokens are signed with `jose` (RFC 9068 at+jwt), never by the package under test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import * as jose from "jose";
import { importPackage } from "./package.mjs";
import { challenges, rejection, sha256 } from "../shared/node-helpers.mjs";

const lib = await importPackage();
const { authenticateRequest, createRemoteKeySet, protectedResourceMetadata, OidcEdgeError, DpopKey } = lib;

const ISSUER = "https://op.example";
const RESOURCE = "https://api.example/";
const CLIENT = "spa";
const METADATA_URL = "https://api.example/.well-known/oauth-protected-resource";
const NONCE_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 7);
const now = () => Math.floor(Date.now() / 1000);

async function signingKey(kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await jose.exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

/**
 * A JWKS and introspection server on 127.0.0.1. `server.jwks` is the answer of /jwks
 * ({ status, headers, body }: body an object is JSON, a string is sent as it is);
 * `server.routes[path]` replaces any answer (`(req, res, body) => void`, writing `res`).
 * `server.hits[path]` counts requests.
 */
async function startServer(t) {
  const server = { hits: {}, routes: {}, keys: [await signingKey("k1")] };
  server.jwks = () => ({ body: { keys: server.keys.map((k) => k.publicJwk) } });
  const http = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const path = new URL(req.url, "http://x").pathname;
    server.hits[path] = (server.hits[path] ?? 0) + 1;
    const route = server.routes[path];
    if (route) return route(req, res, Buffer.concat(chunks).toString("utf8"));
    if (path !== "/jwks") {
      res.writeHead(404).end();
      return;
    }
    const { status = 200, headers = {}, body } = server.jwks();
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/jwk-set+json", ...headers }).end(text);
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  server.origin = `http://127.0.0.1:${http.address().port}`;
  server.jwksUrl = `${server.origin}/jwks`;
  t.after(() => {
    http.closeAllConnections();
    return new Promise((resolve) => http.close(resolve));
  });
  return server;
}

/** An RFC 9068 access token signed by jose; `claims` override (undefined removes one). */
function accessToken(key, claims = {}, header = {}) {
  const iat = now();
  const payload = {
    iss: ISSUER, aud: RESOURCE, sub: "alice", client_id: CLIENT, iat, exp: iat + 600, jti: crypto.randomUUID(),
    scope: "openid read write", ...claims,
  };
  return new jose.SignJWT(payload).setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt", ...header }).sign(key.privateKey);
}

const baseOptions = (keys, extra = {}) => ({ issuer: ISSUER, audience: RESOURCE, keys, resourceMetadata: METADATA_URL, ...extra });

function request(url, headers = {}, method = "GET") {
  return new Request(url, { method, headers });
}

// --- createRemoteKeySet -------------------------------------------------------------------

test("createRemoteKeySet: jose-signed tokens verify through the fetched JWKS with verifyJwt, validateAccessToken and validateIdToken; concurrent first uses share one fetch (RFC 7517 §5)", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  assert.equal(keys.url, server.jwksUrl);
  const [key] = server.keys;
  const token = await accessToken(key);
  const results = await Promise.all(Array.from({ length: 8 }, () => lib.validateAccessToken(token, keys, { issuer: ISSUER, audience: RESOURCE })));
  assert.ok(results.every((r) => r.payload.sub === "alice" && r.header.kid === "k1"));
  assert.equal(server.hits["/jwks"], 1, "one fetch for eight concurrent verifications");
  const jwt = await new jose.SignJWT({ sub: "bob" }).setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER).setAudience("x").setExpirationTime("5m").sign(key.privateKey);
  assert.equal((await lib.verifyJwt(jwt, keys, { issuer: ISSUER, audience: "x" })).payload.sub, "bob");
  const idToken = await new jose.SignJWT({ sub: "carol", nonce: "n" }).setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER).setAudience(CLIENT).setIssuedAt().setExpirationTime("5m").sign(key.privateKey);
  assert.equal((await lib.validateIdToken(idToken, keys, { issuer: ISSUER, clientId: CLIENT, nonce: "n" })).sub, "carol");
  assert.equal(server.hits["/jwks"], 1, "still one fetch");
  // The same endpoint satisfies jose's own remote set: the fixture is a plain JWKS server.
  const jwks = jose.createRemoteJWKSet(new URL(server.jwksUrl));
  assert.equal((await jose.jwtVerify(token, jwks, { issuer: ISSUER, audience: RESOURCE, typ: "at+jwt" })).payload.sub, "alice");
  // A signature by a key that is not in the set still fails, as with a local set.
  const forged = await accessToken({ ...(await signingKey("k1")) });
  assert.equal((await rejection(lib.verifyJwt(forged, keys))).code, "signature_invalid");
});

test("createRemoteKeySet: an unknown kid refetches the JWKS (key rotation), and does so at most once per cooldown", async (t) => {
  const server = await startServer(t);
  const rotated = await signingKey("k2");
  // cooldown 0: every unknown kid may refetch; the rotated key is found on the refetch.
  const eager = createRemoteKeySet(server.jwksUrl, { cooldown: 0 });
  await lib.verifyJwt(await accessToken(server.keys[0]), eager);
  server.keys.push(rotated);
  assert.equal((await lib.verifyJwt(await accessToken(rotated), eager)).header.kid, "k2");
  assert.equal(server.hits["/jwks"], 2, "one refetch for the new kid");
  // A known kid does not refetch.
  await lib.verifyJwt(await accessToken(rotated), eager);
  assert.equal(server.hits["/jwks"], 2);

  // cooldown an hour: the set fetched a moment ago is not fetched again for a made-up kid,
  // however many tokens name one.
  server.hits["/jwks"] = 0;
  server.keys = [server.keys[0]];
  const patient = createRemoteKeySet(server.jwksUrl, { cooldown: 3600 });
  await lib.verifyJwt(await accessToken(server.keys[0]), patient);
  server.keys.push(rotated);
  for (let i = 0; i < 5; i++) {
    assert.equal((await rejection(lib.verifyJwt(await accessToken(rotated), patient))).code, "key_not_found");
  }
  assert.equal(server.hits["/jwks"], 1, "no refetch within the cooldown");
  // reload() fetches whatever the cooldown: then the rotated key is there.
  await patient.reload();
  assert.equal((await lib.verifyJwt(await accessToken(rotated), patient)).header.kid, "k2");
  assert.equal(server.hits["/jwks"], 2);
});

test("createRemoteKeySet: a token without kid for which no key of its type is in the set refetches once (the retry after key_not_found)", async (t) => {
  const server = await startServer(t);
  const { publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
  server.keys = [{ publicJwk: { ...(await jose.exportJWK(publicKey)), kid: "rsa", alg: "RS256" } }];
  const keys = createRemoteKeySet(server.jwksUrl, { cooldown: 0 });
  await keys.reload();
  const next = await signingKey("k9");
  const noKid = await accessToken(next, {}, { kid: undefined });
  assert.equal((await rejection(lib.verifyJwt(noKid, createRemoteKeySet(server.jwksUrl, { cooldown: 3600 })))).code, "key_not_found");
  server.keys = [next];
  server.hits["/jwks"] = 0;
  assert.equal((await lib.verifyJwt(noKid, keys)).payload.sub, "alice");
  assert.equal(server.hits["/jwks"], 1, "the failed check fetched the set once more");
});

test("createRemoteKeySet: HTTP caching (RFC 9111 §5.2.2): max-age less Age, no-store and no-cache, all capped by maxAge", async (t) => {
  const server = await startServer(t);
  const token = await accessToken(server.keys[0]);
  const fetchesFor = async (headers, options) => {
    server.hits["/jwks"] = 0;
    server.jwks = () => ({ headers, body: { keys: server.keys.map((k) => k.publicJwk) } });
    const keys = createRemoteKeySet(server.jwksUrl, { cooldown: 0, ...options });
    for (let i = 0; i < 3; i++) await lib.verifyJwt(token, keys);
    return server.hits["/jwks"];
  };
  assert.equal(await fetchesFor({}), 1, "no header: kept for maxAge (600 s)");
  assert.equal(await fetchesFor({ "cache-control": "public, max-age=3600" }), 1, "max-age=3600");
  assert.equal(await fetchesFor({ "cache-control": "no-store" }), 3, "no-store: fetched for every use");
  assert.equal(await fetchesFor({ "cache-control": "no-cache" }), 3, "no-cache: fetched for every use");
  assert.equal(await fetchesFor({ "cache-control": "max-age=0" }), 3, "max-age=0");
  assert.equal(await fetchesFor({ "cache-control": "max-age=100", age: "100" }), 3, "max-age=100 with Age: 100 is stale");
  assert.equal(await fetchesFor({ "cache-control": "max-age=3600" }, { maxAge: 0 }), 3, "maxAge 0 caps max-age=3600");
  // Within the cooldown, a no-store set is used rather than fetched again for each token.
  assert.equal(await fetchesFor({ "cache-control": "no-store" }, { cooldown: 3600 }), 1, "no-store, cooldown an hour");
});

test("createRemoteKeySet: what the endpoint answers is checked: status, JSON type, JWKS shape, 64 KB and 64 keys; redirects are not followed", async (t) => {
  const server = await startServer(t);
  const token = await accessToken(server.keys[0]);
  const failure = async (answer) => {
    server.jwks = () => answer;
    const err = await rejection(lib.verifyJwt(token, createRemoteKeySet(server.jwksUrl)));
    assert.ok(err instanceof OidcEdgeError, String(err));
    return err;
  };
  const jwk = server.keys[0].publicJwk;
  let err = await failure({ status: 404, body: { error: "not_found" } });
  assert.deepEqual([err.code, err.status], ["jwks_invalid", 404]);
  err = await failure({ status: 302, headers: { location: "https://elsewhere.example/jwks" }, body: {} });
  assert.deepEqual([err.code, err.status], ["jwks_invalid", 302]);
  assert.match(err.message, /redirects are not followed/);
  assert.equal((await failure({ headers: { "content-type": "text/html" }, body: "<html>" })).code, "jwks_invalid");
  assert.equal((await failure({ body: "{ not json" })).code, "jwks_invalid");
  assert.equal((await failure({ body: [jwk] })).code, "jwks_invalid");
  assert.equal((await failure({ body: { keys: "k1" } })).code, "jwks_invalid");
  assert.equal((await failure({ body: { keys: [{ ...jwk, x: "not-a-point" }] } })).code, "jwks_invalid");
  assert.equal((await failure({ body: { keys: Array.from({ length: 65 }, (_, i) => ({ ...jwk, kid: `k${i}` })) } })).code, "jwks_invalid");
  // 64 KB and more: refused, whether the length is declared or the body just keeps coming.
  assert.equal((await failure({ body: { keys: [jwk], padding: "x".repeat(70_000) } })).code, "response_too_large");
  server.routes["/jwks"] = (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"keys":[],"padding":"');
    const chunk = "x".repeat(16 * 1024);
    for (let i = 0; i < 8; i++) res.write(chunk);
    res.end('"}');
  };
  assert.equal((await rejection(lib.verifyJwt(token, createRemoteKeySet(server.jwksUrl)))).code, "response_too_large");
  // Nothing listens there.
  const closed = createRemoteKeySet("http://127.0.0.1:1/jwks");
  assert.equal((await rejection(lib.verifyJwt(token, closed))).code, "network_error");
});

test("createRemoteKeySet: a JWKS endpoint that does not answer is aborted after `timeout` seconds", async (t) => {
  const server = await startServer(t);
  server.routes["/jwks"] = () => {}; // never answers
  const keys = createRemoteKeySet(server.jwksUrl, { timeout: 0.2 });
  const err = await rejection(lib.verifyJwt(await accessToken(server.keys[0]), keys));
  assert.equal(err.code, "aborted");
  // A body that trickles in is held to the same deadline.
  server.routes["/jwks"] = (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"keys":[');
  };
  const trickle = createRemoteKeySet(server.jwksUrl, { timeout: 0.2 });
  assert.equal((await rejection(lib.verifyJwt(await accessToken(server.keys[0]), trickle))).code, "aborted");
});

test("createRemoteKeySet: a failed fetch is not retried within the cooldown (the same error is given), and is after it", async (t) => {
  const server = await startServer(t);
  const token = await accessToken(server.keys[0]);
  const good = server.jwks;
  server.jwks = () => ({ status: 500, body: { error: "server_error" } });
  const patient = createRemoteKeySet(server.jwksUrl, { cooldown: 3600 });
  const eager = createRemoteKeySet(server.jwksUrl, { cooldown: 0 });
  assert.equal((await rejection(lib.verifyJwt(token, patient))).code, "jwks_invalid");
  assert.equal((await rejection(lib.verifyJwt(token, eager))).code, "jwks_invalid");
  server.jwks = good;
  server.hits["/jwks"] = 0;
  assert.equal((await rejection(lib.verifyJwt(token, patient))).code, "jwks_invalid", "within the cooldown");
  assert.equal(server.hits["/jwks"], 0, "no request within the cooldown");
  assert.equal((await lib.verifyJwt(token, eager)).payload.sub, "alice", "after the cooldown");
  assert.equal(server.hits["/jwks"], 1);
});

test("createRemoteKeySet: https only (http on localhost, 127.0.0.1, [::1]); options checked by name and type", () => {
  const code = (fn) => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof OidcEdgeError);
      return err.code;
    }
    return "no error";
  };
  for (const url of ["http://op.example/jwks", "ftp://op.example/jwks", "/jwks", "op.example/jwks"]) {
    assert.equal(code(() => createRemoteKeySet(url)), "invalid_option", url);
  }
  for (const url of ["https://op.example/jwks", "http://localhost:8787/jwks", "http://127.0.0.1/jwks", "http://[::1]:1/jwks", new URL("https://op.example/jwks")]) {
    assert.equal(code(() => createRemoteKeySet(url)), "no error", String(url));
  }
  assert.equal(code(() => createRemoteKeySet("https://op.example/jwks", { cooldwon: 10 })), "invalid_option", "misspelt option");
  assert.equal(code(() => createRemoteKeySet("https://op.example/jwks", { maxAge: -1 })), "invalid_option", "negative maxAge");
  assert.equal(code(() => createRemoteKeySet("https://op.example/jwks", { timeout: 0 })), "invalid_option", "timeout 0");
  assert.equal(code(() => createRemoteKeySet("https://op.example/jwks", { timeout: "5" })), "invalid_option", "timeout as a string");
  // Past 600 s: setTimeout would overflow its 32-bit delay and fire at once, aborting every fetch.
  assert.equal(code(() => createRemoteKeySet("https://op.example/jwks", { timeout: 601 })), "invalid_option", "timeout over 600 s");
  assert.equal(code(() => createRemoteKeySet("https://op.example/jwks", { timeout: 3e6 })), "invalid_option", "timeout past setTimeout's range");
  assert.equal(code(() => createRemoteKeySet("https://op.example/jwks", { timeout: 600 })), "no error", "timeout 600 s");
  assert.equal(code(() => createRemoteKeySet("https://op.example/jwks", { fetch: "fetch" })), "invalid_option", "fetch not a function");
});

// --- authenticateRequest: Bearer ----------------------------------------------------------

test("RFC 6750 §3.1, RFC 9728 §5.1: no credentials is 401 with a bare challenge for each scheme, naming the resource metadata; an unknown scheme is the same", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  for (const headers of [{}, { authorization: "Basic YWxpY2U6c2VjcmV0" }]) {
    const result = await authenticateRequest(request(RESOURCE, headers), baseOptions(keys));
    assert.equal(result.ok, false);
    assert.equal(result.response.status, 401);
    const found = challenges(result.response.headers.get("www-authenticate"));
    assert.deepEqual(Object.keys(found), ["Bearer", "DPoP"]);
    assert.deepEqual(found.Bearer, { resource_metadata: METADATA_URL }, "no error code without credentials");
    assert.equal(found.DPoP.resource_metadata, METADATA_URL);
    assert.equal(found.DPoP.algs, "ES256 ES384 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA");
    assert.equal(found.DPoP.error, undefined);
    assert.equal(await result.response.text(), "");
  }
  assert.equal(server.hits["/jwks"], undefined, "nothing fetched for a request without a token");
});

test("the DPoP challenge lists the algorithms dpopErrorResponse lists (RFC 9449 §7.1 algs)", async (t) => {
  const server = await startServer(t);
  const result = await authenticateRequest(request(RESOURCE), baseOptions(createRemoteKeySet(server.jwksUrl)));
  const own = challenges(result.response.headers.get("www-authenticate")).DPoP.algs;
  const reference = challenges(lib.dpopErrorResponse("invalid_token").headers["WWW-Authenticate"]).DPoP.algs;
  assert.equal(own, reference);
});

test("RFC 6750 §3.1: a malformed Authorization header, two of them, or a token also in the query is 400 invalid_request", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const token = await accessToken(server.keys[0]);
  const cases = [
    [request(RESOURCE, { authorization: "Bearer" }), "no token"],
    [request(RESOURCE, { authorization: `Bearer ${token} extra` }), "two tokens"],
    [request(RESOURCE, { authorization: "Bearer a\"b" }), "not a token68"],
    [new Request(RESOURCE, { headers: [["authorization", `Bearer ${token}`], ["authorization", `Bearer ${token}`]] }), "two headers"],
    [request(`${RESOURCE}?access_token=${token}`, { authorization: `Bearer ${token}` }), "header and query"],
  ];
  for (const [req, what] of cases) {
    const result = await authenticateRequest(req, baseOptions(keys));
    assert.equal(result.response?.status, 400, what);
    assert.equal(challenges(result.response.headers.get("www-authenticate")).Bearer.error, "invalid_request", what);
    assert.equal((await result.response.json()).error, "invalid_request", what);
  }
});

test("Bearer (RFC 6750, RFC 9068): a valid token gives its claims; expired, another audience, another issuer, a forged signature or an ID token are 401 invalid_token", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const [key] = server.keys;
  const ok = await authenticateRequest(request(RESOURCE, { authorization: `Bearer ${await accessToken(key)}` }), baseOptions(keys, { requiredScopes: ["read"] }));
  assert.equal(ok.ok, true);
  assert.equal(ok.scheme, "Bearer");
  assert.equal(ok.claims.sub, "alice");
  assert.equal(ok.jkt, undefined);
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  assert.equal((await authenticateRequest(request(RESOURCE, { authorization: `bearer ${await accessToken(key)}` }), baseOptions(keys))).ok, true);

  const refused = [
    [await accessToken(key, { exp: now() - 60, iat: now() - 700 }), "jwt_expired"],
    [await accessToken(key, { aud: "https://other.example/" }), "jwt_audience_mismatch"],
    [await accessToken(key, { iss: "https://evil.example" }), "jwt_issuer_mismatch"],
    [await accessToken({ ...(await signingKey("k1")) }), "signature_invalid"],
    [await accessToken(key, {}, { typ: "JWT" }), "jwt_typ_mismatch"],
    ["opaque-token-without-introspection", "jws_malformed"],
  ];
  for (const [token, code] of refused) {
    const result = await authenticateRequest(request(RESOURCE, { authorization: `Bearer ${token}` }), baseOptions(keys));
    assert.equal(result.ok, false, code);
    assert.equal(result.response.status, 401, code);
    assert.equal(result.error.code, code);
    const found = challenges(result.response.headers.get("www-authenticate"));
    assert.deepEqual(Object.keys(found), ["Bearer", "DPoP"], "the scheme used comes first");
    assert.equal(found.Bearer.error, "invalid_token", code);
    assert.ok(found.Bearer.error_description, code);
    assert.equal(found.Bearer.resource_metadata, METADATA_URL);
    assert.equal(found.DPoP.error, undefined, "the error is on the scheme the client used");
    assert.equal((await result.response.json()).error, "invalid_token");
    assert.equal(result.response.headers.get("cache-control"), "no-store");
  }
});

test("RFC 6750 §3.1: a token without a required scope is 403 insufficient_scope, with the scopes in the challenge", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const token = await accessToken(server.keys[0], { scope: "openid read" });
  const result = await authenticateRequest(request(RESOURCE, { authorization: `Bearer ${token}` }), baseOptions(keys, { requiredScopes: ["read", "admin"] }));
  assert.equal(result.response.status, 403);
  assert.equal(result.error.code, "insufficient_scope");
  const found = challenges(result.response.headers.get("www-authenticate")).Bearer;
  assert.equal(found.error, "insufficient_scope");
  assert.equal(found.scope, "read admin");
  assert.equal((await result.response.json()).error, "insufficient_scope");
});

test("RFC 9449 §7.2: a DPoP-bound token (cnf.jkt) sent as a Bearer token is refused, 401 invalid_token", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const token = await accessToken(server.keys[0], { cnf: { jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" } });
  const result = await authenticateRequest(request(RESOURCE, { authorization: `Bearer ${token}` }), baseOptions(keys));
  assert.equal(result.ok, false);
  assert.equal(result.response.status, 401);
  const found = challenges(result.response.headers.get("www-authenticate"));
  assert.equal(found.Bearer.error, "invalid_token");
  assert.match(found.Bearer.error_description, /DPoP/);
});

test("RFC 9449 §7.1, §7.2: the binding and the proof are checked before the scopes: a stolen bound token learns nothing of them, and is refused 401, not 403", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const dpopKey = await DpopKey.generate();
  const options = baseOptions(keys, { requiredScopes: ["admin"] });
  const { token, req } = await dpopRequest(server, dpopKey); // scope "openid read write"
  const refusedFor = async (request, scheme, error, what) => {
    const result = await authenticateRequest(request, options);
    assert.equal(result.response.status, 401, what);
    const found = challenges(result.response.headers.get("www-authenticate"))[scheme];
    assert.equal(found.error, error, what);
    assert.equal(found.scope, undefined, `${what}: no scope named`);
    return result;
  };
  const noProof = await refusedFor(request(RESOURCE, { authorization: `DPoP ${token}` }), "DPoP", "invalid_dpop_proof", "DPoP without a proof");
  assert.equal(noProof.error.code, "dpop_header_count");
  const asBearer = await refusedFor(request(RESOURCE, { authorization: `Bearer ${token}` }), "Bearer", "invalid_token", "sent as Bearer");
  assert.match(asBearer.error?.message ?? asBearer.response.headers.get("www-authenticate"), /DPoP/);
  // With its proof, the token is its holder's: then the scope decides, 403 naming it.
  const scoped = await authenticateRequest(req, options);
  assert.equal(scoped.response.status, 403);
  assert.equal(scoped.error.code, "insufficient_scope");
  assert.equal(challenges(scoped.response.headers.get("www-authenticate")).DPoP.scope, "admin");
  // The same order for an introspected token (RFC 7662).
  const answer = { active: true, iss: ISSUER, aud: RESOURCE, scope: "read", token_type: "DPoP", cnf: { jkt: dpopKey.thumbprint } };
  const config = introspection(server, { bound: answer });
  const introspected = { issuer: ISSUER, audience: RESOURCE, introspection: config, requiredScopes: ["admin"] };
  for (const [headers, scheme, error] of [[{ authorization: "DPoP bound" }, "DPoP", "invalid_dpop_proof"], [{ authorization: "Bearer bound" }, "Bearer", "invalid_token"]]) {
    const result = await authenticateRequest(request(RESOURCE, headers), introspected);
    assert.equal(result.response.status, 401, headers.authorization);
    assert.equal(challenges(result.response.headers.get("www-authenticate"))[scheme].error, error, headers.authorization);
  }
  const proof = await dpopKey.proof({ htm: "GET", htu: RESOURCE, accessToken: "bound" });
  const withProof = await authenticateRequest(request(RESOURCE, { authorization: "DPoP bound", dpop: proof }), introspected);
  assert.deepEqual([withProof.response.status, withProof.error.code], [403, "insufficient_scope"]);
});

test("the keys cannot be fetched: 503, not a 401 that would send the client to sign in again", async (t) => {
  const server = await startServer(t);
  server.jwks = () => ({ status: 500, body: {} });
  const token = await accessToken(server.keys[0]);
  const result = await authenticateRequest(request(RESOURCE, { authorization: `Bearer ${token}` }), baseOptions(createRemoteKeySet(server.jwksUrl)));
  assert.equal(result.response.status, 503);
  assert.equal(result.error.code, "jwks_invalid");
  assert.equal(result.response.headers.get("www-authenticate"), null);
});

// --- authenticateRequest: DPoP ------------------------------------------------------------

/** A DPoP-bound access token for `dpopKey` and a request carrying it with a proof. */
async function dpopRequest(server, dpopKey, { url = RESOURCE, method = "GET", htu = url, htm = method, nonce, claims = {}, proofToken } = {}) {
  const token = await accessToken(server.keys[0], { cnf: { jkt: dpopKey.thumbprint }, ...claims });
  const proof = await dpopKey.proof({ htm, htu, accessToken: proofToken ?? token, nonce });
  return { token, proof, req: request(url, { authorization: `DPoP ${token}`, dpop: proof }, method) };
}

/** A jose key pair, an access token bound to it, and `proof(change)`: a DPoP proof for
 *  GET RESOURCE with that token, signed by jose, its header and claims changed as asked. */
async function craftedProofs(server) {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256", { extractable: true });
  const publicJwk = await jose.exportJWK(publicKey);
  const token = await accessToken(server.keys[0], { cnf: { jkt: await jose.calculateJwkThumbprint(publicJwk) } });
  const proof = ({ header = {}, claims = {}, omit = [] } = {}) => {
    const body = { jti: crypto.randomUUID(), htm: "GET", htu: RESOURCE, iat: now(), ath: sha256(token).toString("base64url"), ...claims };
    for (const name of omit) delete body[name];
    return new jose.SignJWT(body).setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: publicJwk, ...header }).sign(privateKey);
  };
  return { publicJwk, token, proof };
}

test("DPoP (RFC 9449 §7.1): a bound token with its proof gives the claims and the key's thumbprint", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const dpopKey = await DpopKey.generate();
  const { req } = await dpopRequest(server, dpopKey, { url: `${RESOURCE}items?page=2`, method: "POST" });
  const result = await authenticateRequest(req, baseOptions(keys, { requiredScopes: ["write"] }));
  assert.equal(result.ok, true, result.error?.message);
  assert.equal(result.scheme, "DPoP");
  assert.equal(result.jkt, dpopKey.thumbprint);
  assert.equal(result.claims.cnf.jkt, dpopKey.thumbprint);
});

test("DPoP (RFC 9449 §4.3, §7.1): no proof, two proofs, another method or URL, a proof for another token or by another key, a bad signature, a malformed or oversized proof, a missing or mistyped claim, a bad jwk are 401 invalid_dpop_proof", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const dpopKey = await DpopKey.generate();
  const thief = await DpopKey.generate();
  const cases = [];
  const plain = await dpopRequest(server, dpopKey);
  cases.push([request(RESOURCE, { authorization: `DPoP ${plain.token}` }), "dpop_header_count", "no proof"]);
  const second = await dpopKey.proof({ htm: "GET", htu: RESOURCE, accessToken: plain.token });
  cases.push([new Request(RESOURCE, { headers: [["authorization", `DPoP ${plain.token}`], ["dpop", plain.proof], ["dpop", second]] }), "dpop_header_count", "two proofs"]);
  cases.push([(await dpopRequest(server, dpopKey, { htm: "POST" })).req, "dpop_htm_mismatch", "another method"]);
  cases.push([(await dpopRequest(server, dpopKey, { htu: "https://api.example/other" })).req, "dpop_htu_mismatch", "another URL"]);
  cases.push([(await dpopRequest(server, dpopKey, { proofToken: "another-token" })).req, "dpop_ath_mismatch", "a proof for another token"]);
  const stolen = await accessToken(server.keys[0], { cnf: { jkt: dpopKey.thumbprint } });
  const thiefProof = await thief.proof({ htm: "GET", htu: RESOURCE, accessToken: stolen });
  cases.push([request(RESOURCE, { authorization: `DPoP ${stolen}`, dpop: thiefProof }), "dpop_key_mismatch", "another key's proof"]);
  // Proofs DpopKey never makes, signed by jose: what fails is the proof, whatever the code.
  const crafted = await craftedProofs(server);
  const [header, , signature] = (await crafted.proof()).split(".");
  const otherClaims = (await crafted.proof()).split(".")[1];
  for (const [proof, code, what] of [
    [`${header}.${otherClaims}.${signature}`, "signature_invalid", "a signature over other claims"],
    ["not-a-proof", "jws_malformed", "not a compact JWS"],
    [await crafted.proof({ claims: { padding: "x".repeat(9000) } }), "too_large", "a proof over 8 KB"],
    [await crafted.proof({ omit: ["jti"] }), "jwt_claim_missing", "no jti"],
    [await crafted.proof({ claims: { iat: String(now()) } }), "jwt_claim_invalid", "iat as a string"],
    [await crafted.proof({ header: { jwk: { ...crafted.publicJwk, x: "AAAA" } } }), "jwk_invalid", "a jwk whose x is too short"],
  ]) {
    cases.push([request(RESOURCE, { authorization: `DPoP ${crafted.token}`, dpop: proof }), code, what]);
  }
  for (const [req, code, what] of cases) {
    const result = await authenticateRequest(req, baseOptions(keys));
    assert.equal(result.ok, false, what);
    assert.equal(result.error?.code, code, what);
    assert.equal(result.response.status, 401, what);
    const found = challenges(result.response.headers.get("www-authenticate"));
    assert.deepEqual(Object.keys(found), ["DPoP", "Bearer"], `${what}: the scheme used comes first`);
    assert.equal(found.DPoP.error, "invalid_dpop_proof", what);
    assert.equal(found.DPoP.resource_metadata, METADATA_URL, what);
    assert.equal(found.Bearer.error, undefined, what);
  }
});

test("DPoP: an unbound token (no cnf.jkt) under the DPoP scheme, or a token that fails, is 401 invalid_token on the DPoP challenge", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const dpopKey = await DpopKey.generate();
  const unbound = await accessToken(server.keys[0]);
  const proof = await dpopKey.proof({ htm: "GET", htu: RESOURCE, accessToken: unbound });
  let result = await authenticateRequest(request(RESOURCE, { authorization: `DPoP ${unbound}`, dpop: proof }), baseOptions(keys));
  assert.equal(result.response.status, 401);
  assert.equal(challenges(result.response.headers.get("www-authenticate")).DPoP.error, "invalid_token");
  result = await authenticateRequest((await dpopRequest(server, dpopKey, { claims: { exp: now() - 60, iat: now() - 900 } })).req, baseOptions(keys));
  assert.equal(result.error.code, "jwt_expired");
  assert.equal(challenges(result.response.headers.get("www-authenticate")).DPoP.error, "invalid_token");
});

test("RFC 9449 §7.1: a proof key that no backend here can check (a point WebCrypto refuses, and no pure-Rust module loaded, as in a Worker given none) is the proof's fault: 401 invalid_dpop_proof, not 503", () => {
  // A fresh process with the browser entry, initialised with the resource-server module and
  // without the pure-Rust module.
  const script = `
    import { readFileSync } from "node:fs";
    import * as jose from "jose";
    const lib = await import("./pkg/index.js");
    await lib.default({ module_or_path: readFileSync("./pkg/oidc_edge_bg.wasm"), server: readFileSync("./pkg/oidc_edge_server_bg.wasm") });
    const issuer = "https://op.example", audience = "https://api.example/";
    const provider = await jose.generateKeyPair("ES256");
    const keys = { keys: [{ ...(await jose.exportJWK(provider.publicKey)), kid: "p1", alg: "ES256" }] };
    const client = await jose.generateKeyPair("ES256", { extractable: true });
    const jwk = await jose.exportJWK(client.publicKey);
    const offCurve = { ...jwk, y: jwk.x }; // the right length, not on P-256
    const iat = Math.floor(Date.now() / 1000);
    const token = await new jose.SignJWT({ iss: issuer, aud: audience, sub: "alice", client_id: "c", iat, exp: iat + 600, jti: "t1",
      cnf: { jkt: await jose.calculateJwkThumbprint(offCurve) } }).setProtectedHeader({ alg: "ES256", kid: "p1", typ: "at+jwt" }).sign(provider.privateKey);
    const ath = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))).toString("base64url");
    const proof = await new jose.SignJWT({ jti: "j1", htm: "GET", htu: audience, iat, ath })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: offCurve }).sign(client.privateKey);
    const result = await lib.authenticateRequest(new Request(audience, { headers: { authorization: "DPoP " + token, dpop: proof } }), { issuer, audience, keys });
    console.log(JSON.stringify({ status: result.response.status, code: result.error.code, challenge: result.response.headers.get("www-authenticate") }));
  `;
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" }));
  assert.equal(out.code, "crypto_unavailable", "the pure-Rust module was needed, and missing");
  assert.equal(out.status, 401);
  assert.equal(challenges(out.challenge ?? "").DPoP?.error, "invalid_dpop_proof");
});

test("the resource-server module not given where it cannot be fetched (the browser entry in Node, as in a Worker): verifyDpopProof rejects with wasm_not_loaded naming the fix, authenticateRequest throws it rather than blame the client, another module given is wasm_invalid, and init with `server` mends it", () => {
  const script = `
    import { readFileSync } from "node:fs";
    import * as jose from "jose";
    const lib = await import("./pkg/index.js");
    const module = readFileSync("./pkg/oidc_edge_bg.wasm");
    lib.initSync({ module });
    const issuer = "https://op.example", audience = "https://api.example/";
    const provider = await jose.generateKeyPair("ES256");
    const keys = { keys: [{ ...(await jose.exportJWK(provider.publicKey)), kid: "p1", alg: "ES256" }] };
    const key = await lib.DpopKey.generate();
    const iat = Math.floor(Date.now() / 1000);
    const token = await new jose.SignJWT({ iss: issuer, aud: audience, sub: "alice", client_id: "c", iat, exp: iat + 600, jti: "t1",
      cnf: { jkt: key.thumbprint } }).setProtectedHeader({ alg: "ES256", kid: "p1", typ: "at+jwt" }).sign(provider.privateKey);
    const request = async () => new Request(audience, { headers: { authorization: "DPoP " + token, dpop: await key.proof({ htm: "GET", htu: audience, accessToken: token }) } });
    const outcome = (promise) => promise.then((value) => ({ value }), (err) => ({ code: err.code, message: err.message, error: err.error }));
    const direct = await outcome(lib.verifyDpopProof(await key.proof({ htm: "GET", htu: audience }), { htm: "GET", htu: audience }));
    const kit = await outcome(lib.authenticateRequest(await request(), { issuer, audience, keys }));
    lib.initSync({ module, server: readFileSync("./pkg/oidc_edge_rustcrypto_bg.wasm") });
    const wrong = await outcome(lib.verifyDpopProof(await key.proof({ htm: "GET", htu: audience }), { htm: "GET", htu: audience }));
    lib.initSync({ module, server: readFileSync("./pkg/oidc_edge_server_bg.wasm") });
    const mended = await lib.authenticateRequest(await request(), { issuer, audience, keys });
    console.log(JSON.stringify({ direct, kit, wrong, mended: { ok: mended.ok, sub: mended.claims?.sub } }));
  `;
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" }));
  for (const failed of [out.direct, out.kit]) {
    assert.equal(failed.code, "wasm_not_loaded");
    assert.equal(failed.error, undefined, "not the proof's fault: no OAuth error named");
    assert.match(failed.message, /import server from "oidc-edge\/oidc_edge_server_bg\.wasm"; initSync\(\{ module: wasm, server \}\)/);
  }
  // Another module given as `server` is the caller's to mend: wasm_invalid, saying what to pass.
  assert.equal(out.wrong.code, "wasm_invalid");
  assert.match(out.wrong.message, /oidc_edge_server_bg\.wasm as server/);
  assert.deepEqual(out.mended, { ok: true, sub: "alice" });
});

test("RFC 9449 §9: with nonceSecret, a proof without a nonce is 401 use_dpop_nonce with a DPoP-Nonce, and the retry with it passes; a proof is used once (§11.1)", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const dpopKey = await DpopKey.generate();
  const options = baseOptions(keys, { nonceSecret: NONCE_SECRET });
  const first = await authenticateRequest((await dpopRequest(server, dpopKey)).req, options);
  assert.equal(first.response.status, 401);
  assert.equal(first.error.code, "dpop_nonce_required");
  assert.equal(challenges(first.response.headers.get("www-authenticate")).DPoP.error, "use_dpop_nonce");
  const nonce = first.response.headers.get("dpop-nonce");
  assert.match(nonce, /^[\x21\x23-\x5b\x5d-\x7e]+$/, "NQCHAR (RFC 9449 §8.1)");
  const { req, proof, token } = await dpopRequest(server, dpopKey, { nonce });
  assert.equal((await authenticateRequest(req, options)).ok, true, "the retry with the nonce");
  // The same proof again: a replay.
  const replay = await authenticateRequest(request(RESOURCE, { authorization: `DPoP ${token}`, dpop: proof }), options);
  assert.equal(replay.error.code, "dpop_replay");
  assert.equal(challenges(replay.response.headers.get("www-authenticate")).DPoP.error, "invalid_dpop_proof");
  // A nonce made with another secret is not accepted.
  const foreign = lib.dpopNonce(new Uint8Array(32).fill(1));
  const wrong = await authenticateRequest((await dpopRequest(server, dpopKey, { nonce: foreign })).req, options);
  assert.equal(wrong.error.code, "dpop_nonce_invalid");
  assert.ok(wrong.response.headers.get("dpop-nonce"), "a fresh nonce with the refusal");
});

test("RFC 9449 §4.3 check 9: behind a proxy, publicOrigin gives htu the URL the client called", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const dpopKey = await DpopKey.generate();
  // The client called https://api.example/items?x=1; the proxy forwarded it to this process.
  const make = () => dpopRequest(server, dpopKey, { url: "http://10.0.0.7:8080/items?x=1", htu: "https://api.example/items?x=1" });
  const direct = await authenticateRequest((await make()).req, baseOptions(keys));
  assert.equal(direct.error.code, "dpop_htu_mismatch", "without publicOrigin the internal URL is compared");
  const proxied = await authenticateRequest((await make()).req, baseOptions(keys, { publicOrigin: "https://api.example" }));
  assert.equal(proxied.ok, true, proxied.error?.message);
  for (const bad of ["https://api.example/", "api.example", "https://api.example/path", "ftp://api.example"]) {
    const err = await rejection(authenticateRequest((await make()).req, baseOptions(keys, { publicOrigin: bad })));
    assert.equal(err.code, "invalid_option", bad);
  }
});

// --- authenticateRequest: opaque tokens (RFC 7662) ----------------------------------------

/** An RFC 7662 endpoint at /introspect: Basic rs:s3cret, answers from `answers[token]`. */
function introspection(server, answers) {
  server.routes["/introspect"] = (req, res, body) => {
    const params = new URLSearchParams(body);
    // The secret "s3cré t", form-encoded first (RFC 6749 §2.3.1): "s3cr%C3%A9+t".
    const basic = `Basic ${Buffer.from("rs:s3cr%C3%A9+t").toString("base64")}`;
    if (req.headers.authorization !== basic || req.headers["content-type"] !== "application/x-www-form-urlencoded") {
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":"invalid_client"}');
      return;
    }
    assert.equal(params.get("token_type_hint"), "access_token");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answers[params.get("token")] ?? { active: false }));
  };
  return { endpoint: `${server.origin}/introspect`, clientId: "rs", clientSecret: "s3cré t" };
}

test("RFC 7662: an opaque token is introspected (client credentials by Basic, RFC 6749 §2.3.1) and checked: active, iss, aud, exp, scope, token type", async (t) => {
  const server = await startServer(t);
  const active = { active: true, iss: ISSUER, aud: RESOURCE, sub: "alice", scope: "read write", exp: now() + 600, token_type: "Bearer" };
  const config = introspection(server, {
    good: active,
    inactive: { active: false },
    other: { ...active, aud: "https://other.example/" },
    noaud: { ...active, aud: undefined },
    foreign: { ...active, iss: "https://evil.example" },
    expired: { ...active, exp: now() - 10 },
    refresh: { ...active, token_type: "refresh_token" },
    narrow: { ...active, scope: "write" },
    mistyped: { ...active, exp: String(now() + 600) },
  });
  const options = { issuer: ISSUER, audience: RESOURCE, introspection: config, requiredScopes: ["read"] };
  const bearer = (token) => request(RESOURCE, { authorization: `Bearer ${token}` });
  const ok = await authenticateRequest(bearer("good"), options);
  assert.equal(ok.ok, true, ok.error?.message);
  assert.equal(ok.claims.sub, "alice");
  for (const token of ["inactive", "other", "noaud", "foreign", "expired", "refresh"]) {
    const result = await authenticateRequest(bearer(token), options);
    assert.equal(result.response.status, 401, token);
    assert.equal(result.error.code, "token_inactive", token);
    assert.equal(challenges(result.response.headers.get("www-authenticate")).Bearer.error, "invalid_token", token);
  }
  const narrow = await authenticateRequest(bearer("narrow"), options);
  assert.equal(narrow.response.status, 403);
  // A member of the wrong type is the server's fault, not the token's: 503.
  const mistyped = await authenticateRequest(bearer("mistyped"), options);
  assert.deepEqual([mistyped.response.status, mistyped.error.code], [503, "introspection_error"]);
  // With keys too, a JWT-shaped token is checked as a JWT and an opaque one introspected.
  const keys = createRemoteKeySet(server.jwksUrl);
  assert.equal((await authenticateRequest(bearer("good"), { ...options, keys })).ok, true);
  assert.equal((await authenticateRequest(bearer(await accessToken(server.keys[0])), { ...options, keys })).ok, true);
  assert.equal(server.hits["/introspect"], 10, "the JWT was not introspected");
});

test("RFC 7662 with DPoP: an introspected token bound by cnf.jkt needs its proof; wrong credentials or an unreachable endpoint are 503", async (t) => {
  const server = await startServer(t);
  const dpopKey = await DpopKey.generate();
  const answer = { active: true, iss: ISSUER, aud: [RESOURCE], scope: "read", token_type: "DPoP", cnf: { jkt: dpopKey.thumbprint } };
  const config = introspection(server, { bound: answer });
  const options = { issuer: ISSUER, audience: RESOURCE, introspection: config };
  const proof = await dpopKey.proof({ htm: "GET", htu: RESOURCE, accessToken: "bound" });
  const ok = await authenticateRequest(request(RESOURCE, { authorization: "DPoP bound", dpop: proof }), options);
  assert.equal(ok.ok, true, ok.error?.message);
  assert.equal(ok.jkt, dpopKey.thumbprint);
  const downgrade = await authenticateRequest(request(RESOURCE, { authorization: "Bearer bound" }), options);
  assert.equal(downgrade.response.status, 401, "a bound token as Bearer (RFC 9449 §7.2)");
  const wrongSecret = { ...options, introspection: { ...config, clientSecret: "guess" } };
  const refused = await authenticateRequest(request(RESOURCE, { authorization: "Bearer bound" }), wrongSecret);
  assert.equal(refused.response.status, 503);
  assert.deepEqual([refused.error.code, refused.error.status, refused.error.error], ["introspection_error", 401, "invalid_client"]);
  const down = { ...options, introspection: { ...config, endpoint: "http://127.0.0.1:1/introspect" } };
  assert.equal((await authenticateRequest(request(RESOURCE, { authorization: "Bearer bound" }), down)).error.code, "network_error");
});

test("authenticateRequest: options are checked (unknown names, required ones, types); a bad request never rejects, bad options do", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const req = request(RESOURCE);
  for (const options of [
    { issuer: ISSUER, audience: RESOURCE, keys, requiredScope: ["read"] },
    { audience: RESOURCE, keys },
    { issuer: ISSUER, keys },
    { issuer: ISSUER, audience: RESOURCE },
    { issuer: ISSUER, audience: RESOURCE, keys, nonceSecret: "secret" },
    { issuer: ISSUER, audience: RESOURCE, keys, requiredScopes: ["read write"] },
    { issuer: ISSUER, audience: RESOURCE, keys, resourceMetadata: "http://api.example/meta" },
    { issuer: ISSUER, audience: RESOURCE, introspection: { endpoint: "https://op.example/introspect", clientId: "rs" } },
    { issuer: ISSUER, audience: RESOURCE, introspection: { endpoint: "https://op.example/introspect", clientId: "rs", clientSecret: "s", timeout: 601 } },
  ]) {
    const err = await rejection(authenticateRequest(req, options));
    assert.ok(err instanceof OidcEdgeError);
    assert.equal(err.code, "invalid_option", JSON.stringify(Object.keys(options)));
  }
  assert.equal((await rejection(authenticateRequest("https://api.example/", baseOptions(keys)))).code, "invalid_option");
});

// --- protectedResourceMetadata (RFC 9728) -------------------------------------------------

test("RFC 9728 §2: protectedResourceMetadata builds the document with the registered names, frozen, bearer_methods_supported [\"header\"] by default", () => {
  const document = protectedResourceMetadata({
    resource: RESOURCE,
    authorizationServers: [ISSUER],
    scopesSupported: ["read", "write"],
    dpopSigningAlgValuesSupported: ["ES256", "EdDSA"],
    dpopBoundAccessTokensRequired: true,
    resourceName: "Example API",
    resourceDocumentation: "https://api.example/docs",
  });
  assert.deepEqual(document, {
    resource: RESOURCE,
    authorization_servers: [ISSUER],
    scopes_supported: ["read", "write"],
    bearer_methods_supported: ["header"],
    resource_name: "Example API",
    resource_documentation: "https://api.example/docs",
    dpop_signing_alg_values_supported: ["ES256", "EdDSA"],
    dpop_bound_access_tokens_required: true,
  });
  assert.ok(Object.isFrozen(document) && Object.isFrozen(document.authorization_servers));
  const base = { resource: RESOURCE, authorizationServers: [ISSUER], scopesSupported: ["read"] };
  for (const [extra, what] of [
    [{ resource: "https://api.example/#frag" }, "resource with a fragment (§2)"],
    [{ resource: "http://api.example/" }, "resource over http"],
    [{ authorizationServers: ["https://op.example?tenant=1"] }, "issuer with a query (RFC 8414 §2)"],
    [{ authorizationServers: "https://op.example" }, "not an array"],
    [{ scopesSupported: ["read write"] }, "not a scope token"],
    [{ dpopSigningAlgValuesSupported: ["none"] }, "alg none"],
    [{ bearerMethodsSupported: ["cookie"] }, "unknown bearer method"],
    [{ resourceSigningAlgs: ["ES256"] }, "misspelt option"],
    [{ resource: undefined }, "resource missing"],
  ]) {
    assert.throws(() => protectedResourceMetadata({ ...base, ...extra }), (err) => err instanceof OidcEdgeError && err.code === "invalid_option", what);
  }
});

test("RFC 9728 §2: resource is the one required member; authorization_servers and scopes_supported are optional", () => {
  assert.deepEqual(protectedResourceMetadata({ resource: RESOURCE }), { resource: RESOURCE, bearer_methods_supported: ["header"] });
  assert.deepEqual(protectedResourceMetadata({ resource: RESOURCE, authorizationServers: [ISSUER] }), {
    resource: RESOURCE, authorization_servers: [ISSUER], bearer_methods_supported: ["header"],
  });
  assert.deepEqual(protectedResourceMetadata({ resource: RESOURCE, scopesSupported: ["read"] }), {
    resource: RESOURCE, scopes_supported: ["read"], bearer_methods_supported: ["header"],
  });
});

test("RFC 9728 §5: a client led by the 401 challenge's resource_metadata finds the authorization server (a resource served as the README shows)", async (t) => {
  const server = await startServer(t);
  const keys = createRemoteKeySet(server.jwksUrl);
  const metadataUrl = `${server.origin}/.well-known/oauth-protected-resource`;
  const metadata = protectedResourceMetadata({ resource: `${server.origin}/`, authorizationServers: [ISSUER], scopesSupported: ["read"] });
  // The resource, on the same server: the metadata, and an API behind authenticateRequest.
  server.routes["/.well-known/oauth-protected-resource"] = (req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(metadata));
  server.routes["/api"] = async (req, res) => {
    const incoming = new Request(`${server.origin}${req.url}`, { method: req.method, headers: req.headers });
    const auth = await authenticateRequest(incoming, { issuer: ISSUER, audience: `${server.origin}/`, keys, resourceMetadata: metadataUrl });
    const response = auth.ok ? Response.json({ sub: auth.claims.sub }) : auth.response;
    res.writeHead(response.status, Object.fromEntries(response.headers)).end(Buffer.from(await response.arrayBuffer()));
  };
  const denied = await fetch(`${server.origin}/api`);
  assert.equal(denied.status, 401);
  const pointer = challenges(denied.headers.get("www-authenticate")).Bearer.resource_metadata;
  const found = await (await fetch(pointer)).json();
  assert.deepEqual(found.authorization_servers, [ISSUER]);
  const token = await accessToken(server.keys[0], { aud: found.resource });
  const allowed = await fetch(`${server.origin}/api`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(await allowed.json(), { sub: "alice" });
});

// --- What a page loads --------------------------------------------------------------------

/** esbuild's bundle of `code` importing the package as a browser app would, minified. */
async function bundle(code) {
  const result = await esbuild.build({
    stdin: { contents: code, resolveDir: fileURLToPath(new URL("../../", import.meta.url)) },
    bundle: true, write: false, format: "esm", minify: true, platform: "browser", logLevel: "silent",
    alias: { "oidc-edge": fileURLToPath(new URL("../../pkg/index.js", import.meta.url)) },
    external: ["*.wasm"],
  });
  return result.outputFiles[0].text;
}

test("a page that signs in and verifies ID tokens bundles none of the resource-server kit (tree-shaken: package.json sideEffects)", async (t) => {
  // Strings found only in the kit's modules: server.js, remote-keys.js, resource-metadata.js.
  const markers = ["resource_metadata", "jwk-set+json", "authorization_servers"];
  const page = await bundle('import { OidcClient, validateIdToken, createKeySet } from "oidc-edge"; globalThis.x = [OidcClient, validateIdToken, createKeySet];');
  const server = await bundle('import { authenticateRequest, createRemoteKeySet, protectedResourceMetadata } from "oidc-edge"; globalThis.x = [authenticateRequest, createRemoteKeySet, protectedResourceMetadata];');
  for (const marker of markers) {
    assert.ok(!page.includes(marker), `the page's bundle has no ${marker}`);
    assert.ok(server.includes(marker), `the resource server's bundle has ${marker}`);
  }
  const gz = (text) => gzipSync(text, { level: 9 }).length;
  t.diagnostic(`JS minified + gzip -9: sign-in page ${gz(page)} B, resource server ${gz(server)} B (wasm not included)`);
});

test("the core and the resource-server module keep their plain key sets apart: each JWKS object finds its own keys in both, whatever the order (src/wasm/plain_sets.js)", async () => {
  const issuer = "https://op.example", audience = "https://api.example/";
  const make = async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair("ES256");
    const keys = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256" }] };
    const token = await new jose.SignJWT({ client_id: "c", scope: "read" }).setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
      .setIssuer(issuer).setAudience(audience).setSubject("alice").setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime("5m").sign(privateKey);
    return { keys, token };
  };
  const a = await make();
  const b = await make();
  const options = { issuer, audience };
  // Each object is remembered (by number) on its second call: A first by the core, B first by
  // the resource-server module; then each is used by the other module, twice.
  for (let i = 0; i < 2; i++) assert.equal((await lib.verifyJwt(a.token, a.keys, options)).payload.sub, "alice");
  for (let i = 0; i < 2; i++) assert.equal((await lib.validateAccessToken(b.token, b.keys, options)).payload.sub, "alice");
  for (let i = 0; i < 3; i++) assert.equal((await lib.validateAccessToken(a.token, a.keys, options)).payload.sub, "alice", `A in the server module, call ${i}`);
  for (let i = 0; i < 3; i++) assert.equal((await lib.verifyJwt(b.token, b.keys, options)).payload.sub, "alice", `B in the core, call ${i}`);
  // And a token is still refused with the other set, in both.
  await assert.rejects(lib.validateAccessToken(a.token, b.keys, options), (err) => err.code === "signature_invalid");
  await assert.rejects(lib.verifyJwt(b.token, a.keys, options), (err) => err.code === "signature_invalid");
});
