// OidcClient (the package's code-flow client) against a provider that misbehaves: a real
// node:http server (./provider.mjs) serves crafted discovery documents, JWKS, token, userinfo
// and API responses. ID tokens are signed with `jose`, DPoP proofs sent by the client are
// checked with `jose` (EmbeddedJWK) and hashes recomputed with node:crypto, never with the
// package under test. Each test names the rule it checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { importPackage } from "./package.mjs";
import {
  CLIENT_ID, REDIRECT_URI, SUB, atHash, authorize, newClient, proofOf, signedIn, signingKey, startProvider, thumbprint,
} from "./provider.mjs";
import { MemoryStorage, b64url, rejection, sha256 } from "../shared/node-helpers.mjs";

const lib = await importPackage();
const { OidcClient, OidcEdgeError, DpopKey } = lib;

// --- discovery --------------------------------------------------------------------------

test("discovery: an issuer other than the configured one is refused (OIDC Discovery §4.3)", async (t) => {
  const op = await startProvider(t);
  op.metadata = { ...op.metadata, issuer: `${op.issuer}/` };
  const err = await rejection(newClient(op));
  assert.ok(err instanceof OidcEdgeError, String(err));
  assert.equal(err.code, "discovery_invalid");
  op.metadata = { ...op.metadata, issuer: "https://evil.example" };
  assert.equal((await rejection(newClient(op))).code, "discovery_invalid");
});

test("discovery: a document that is not application/json, or lacks token_endpoint, is refused (OIDC Discovery §4.2, §3)", async (t) => {
  const op = await startProvider(t);
  op.routes["/.well-known/openid-configuration"] = () => ({ body: JSON.stringify(op.metadata) });
  assert.equal((await rejection(newClient(op))).code, "discovery_invalid");
  const { token_endpoint, ...partial } = op.metadata;
  op.routes["/.well-known/openid-configuration"] = () => ({ body: partial });
  assert.equal((await rejection(newClient(op))).code, "discovery_invalid");
});

test("discovery: revocation_endpoint is optional, and must be a URL when present (RFC 8414 §2)", async (t) => {
  const op = await startProvider(t);
  const full = op.metadata;
  for (const bad of [42, "not a url", null]) {
    op.metadata = { ...full, revocation_endpoint: bad };
    assert.equal((await rejection(newClient(op))).code, "discovery_invalid", JSON.stringify(bad));
  }
  const { revocation_endpoint, ...without } = full;
  op.metadata = without;
  assert.equal((await newClient(op)).metadata.revocation_endpoint, undefined);
});

test("options are checked: unknown names, missing issuer, a scope without openid", async (t) => {
  const op = await startProvider(t);
  for (const options of [{ issuer: undefined }, { clientID: "x" }, { scope: "profile" }, { dpop: "yes" }, { clockTolerance: -1 }]) {
    const err = await rejection(newClient(op, options));
    assert.equal(err.code, "invalid_option", `${JSON.stringify(options)}: ${err.message}`);
  }
  for (const options of [undefined, null, "issuer"]) {
    assert.equal((await rejection(OidcClient.create(options))).code, "invalid_option", String(options));
  }
  assert.equal(op.count("/.well-known/openid-configuration"), 0, "nothing fetched for bad options");
  // scope: undefined is the default scope.
  const client = await newClient(op, { scope: undefined });
  assert.equal(new URL(await client.authorizationUrl()).searchParams.get("scope"), "openid profile email");
});

// --- the authorization request and the callback ----------------------------------------------

test("authorizationUrl: code, PKCE S256 of the stored verifier, state, nonce, dpop_jkt (OIDC Core §3.1.2.1, RFC 7636 §4.3, RFC 9449 §10)", async (t) => {
  const op = await startProvider(t);
  const storage = new MemoryStorage();
  const client = await newClient(op, { storage });
  const url = new URL(await client.authorizationUrl({ prompt: "login", maxAge: 300, loginHint: "demo" }));
  assert.equal(url.origin + url.pathname, `${op.issuer}/authorize`);
  const q = Object.fromEntries(url.searchParams);
  assert.equal(q.response_type, "code");
  assert.equal(q.client_id, CLIENT_ID);
  assert.equal(q.redirect_uri, REDIRECT_URI);
  assert.equal(q.scope, "openid profile email");
  assert.equal(q.code_challenge_method, "S256");
  assert.equal(q.prompt, "login");
  assert.equal(q.max_age, "300");
  assert.equal(q.login_hint, "demo");
  assert.equal(q.dpop_jkt, await thumbprint(client.dpopKey.publicJwk()));
  assert.ok(q.state.length >= 43 && q.nonce.length >= 43 && q.state !== q.nonce);
  // The stored transaction holds the verifier whose S256 hash is the challenge.
  assert.equal(storage.length, 1);
  const tx = JSON.parse(storage.getItem(storage.key(0)));
  assert.ok(storage.key(0).endsWith(q.state), "the storage key is derived from state");
  assert.equal(b64url(sha256(tx.verifier)), q.code_challenge);
  assert.equal(tx.nonce, q.nonce);
  assert.equal(tx.maxAge, 300);
  // A second request is a second transaction with other values.
  const other = new URL(await client.authorizationUrl());
  assert.notEqual(other.searchParams.get("state"), q.state);
  assert.equal(storage.length, 2);
});

test("callback: unknown state, a replayed state and an expired one are state_mismatch; state is used once even when the exchange fails (RFC 6749 §10.12)", async (t) => {
  const op = await startProvider(t);
  const storage = new MemoryStorage();
  const client = await newClient(op, { storage });
  const { callback } = await authorize(client, op);
  const forged = new URL(callback);
  forged.searchParams.set("state", "x".repeat(43));
  assert.equal((await rejection(client.handleCallback(forged.href))).code, "state_mismatch");
  const missing = new URL(callback);
  missing.searchParams.delete("state");
  assert.equal((await rejection(client.handleCallback(missing.href))).code, "state_mismatch");

  op.routes["/token"] = () => ({ status: 400, body: { error: "invalid_grant" } });
  assert.equal((await rejection(client.handleCallback(callback))).code, "token_error");
  op.routes["/token"] = (req) => op.tokens(req);
  assert.equal((await rejection(client.handleCallback(callback))).code, "state_mismatch", "replay after a failure");
  assert.equal(op.count("/token"), 1);

  const late = await authorize(client, op);
  const key = [...storage.map.keys()].find((k) => k.endsWith(new URL(late.callback).searchParams.get("state")));
  storage.setItem(key, JSON.stringify({ ...JSON.parse(storage.getItem(key)), createdAt: Math.floor(Date.now() / 1000) - 601 }));
  assert.equal((await rejection(client.handleCallback(late.callback))).code, "state_mismatch", "older than 10 minutes");
  assert.equal(op.count("/token"), 1);
});

test("callback: an iss other than the issuer, or none when the provider advertises it, is issuer_mismatch (RFC 9207 §2.4)", async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op);
  const wrong = await authorize(client, op, { code: "c", iss: "https://evil.example" });
  assert.equal((await rejection(client.handleCallback(wrong.callback))).code, "issuer_mismatch");
  const none = await authorize(client, op, { code: "c", iss: undefined });
  assert.equal((await rejection(client.handleCallback(none.callback))).code, "issuer_mismatch");
  assert.equal(op.count("/token"), 0, "no code exchange");

  // Without authorization_response_iss_parameter_supported, a response without iss is fine.
  op.metadata = { ...op.metadata, authorization_response_iss_parameter_supported: false };
  const legacy = await newClient(op);
  const ok = await authorize(legacy, op, { code: "c", iss: undefined });
  assert.equal((await legacy.handleCallback(ok.callback)).claims.sub, SUB);
  const stillWrong = await authorize(legacy, op, { code: "c", iss: "https://evil.example" });
  assert.equal((await rejection(legacy.handleCallback(stillWrong.callback))).code, "issuer_mismatch");
});

test("callback: an error response is authorization_error with error and error_description (RFC 6749 §4.1.2.1)", async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op);
  const { callback } = await authorize(client, op, { code: undefined, error: "access_denied", error_description: "the user said no" });
  const err = await rejection(client.handleCallback(callback));
  assert.ok(err instanceof OidcEdgeError);
  assert.equal(err.code, "authorization_error");
  assert.equal(err.error, "access_denied");
  assert.equal(err.error_description, "the user said no");
  assert.equal(op.count("/token"), 0);
});

test("callback: a repeated parameter is refused (RFC 6749 §3.1)", async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op);
  const { callback } = await authorize(client, op);
  const twice = new URL(callback);
  twice.searchParams.append("code", "another");
  assert.equal((await rejection(client.handleCallback(twice.href))).code, "callback_invalid");
  assert.equal(op.count("/token"), 0);
});

// --- the token response -----------------------------------------------------------------

test("token request: PKCE verifier, redirect_uri, client_id and a DPoP proof for POST /token (RFC 6749 §4.1.3, RFC 7636 §4.5, RFC 9449 §5)", async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op);
  const { callback, request } = await authorize(client, op);
  const session = await client.handleCallback(callback);
  const sent = op.log.find((r) => r.path === "/token");
  const form = Object.fromEntries(new URLSearchParams(sent.body));
  assert.equal(form.grant_type, "authorization_code");
  assert.equal(form.code, "the-code");
  assert.equal(form.redirect_uri, REDIRECT_URI);
  assert.equal(form.client_id, CLIENT_ID);
  assert.equal(b64url(sha256(form.code_verifier)), request.searchParams.get("code_challenge"));
  assert.match(sent.headers["content-type"], /^application\/x-www-form-urlencoded/);
  const { payload, jkt } = await proofOf(sent.headers);
  assert.equal(payload.htm, "POST");
  assert.equal(payload.htu, `${op.issuer}/token`);
  assert.equal(payload.ath, undefined, "no ath at the token endpoint");
  assert.equal(jkt, client.thumbprint);
  assert.equal(session.tokenType, "DPoP");
  assert.equal(session.jkt, client.thumbprint);
  assert.equal(session.claims.sub, SUB);
  assert.match(session.refreshToken, /^rt-\d+$/);
  assert.ok(Math.abs(session.expiresAt - (Date.now() / 1000 + 600)) < 5);
  assert.equal(client.session, session);
  assert.ok(Object.isFrozen(session));
});

test("token response: token_type Bearer after a DPoP proof is a downgrade and refused (RFC 9449 §5)", async (t) => {
  const op = await startProvider(t);
  op.routes["/token"] = (req) => op.tokens(req, { token_type: "Bearer" });
  const client = await newClient(op);
  const { callback } = await authorize(client, op);
  const err = await rejection(client.handleCallback(callback));
  assert.equal(err.code, "token_response_invalid");
  assert.equal(client.session, null);
});

test("token response: token_type is compared case-insensitively (RFC 6749 §7.1); DPoP without a proof is refused", async (t) => {
  const op = await startProvider(t);
  op.routes["/token"] = (req) => op.tokens(req, { token_type: "dpop" });
  const client = await newClient(op);
  assert.equal((await client.handleCallback((await authorize(client, op)).callback)).tokenType, "DPoP");
  const bearerClient = await newClient(op, { dpop: false, dpopKey: undefined });
  assert.equal(bearerClient.dpopKey, null);
  assert.equal(bearerClient.thumbprint, null);
  const err = await rejection(bearerClient.handleCallback((await authorize(bearerClient, op)).callback));
  assert.equal(err.code, "token_response_invalid");
});

test("token response: a missing id_token, a missing expires_in, a non-string access_token are token_response_invalid (OIDC Core §3.1.3.3, RFC 6749 §5.1)", async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op);
  for (const extra of [{ id_token: undefined }, { expires_in: undefined }, { expires_in: "600" }, { access_token: 42 }, { access_token: "a b" }, { refresh_token: 7 }]) {
    op.routes["/token"] = (req) => op.tokens(req, extra);
    const err = await rejection(client.handleCallback((await authorize(client, op)).callback));
    assert.equal(err.code, "token_response_invalid", `${JSON.stringify(extra)}: ${err.message}`);
  }
  op.routes["/token"] = async (req) => ({ ...(await op.tokens(req)), headers: { "content-type": "text/plain" } });
  const err = await rejection(client.handleCallback((await authorize(client, op)).callback));
  assert.equal(err.code, "token_response_invalid", "RFC 6749 §5.1: application/json");
});

test("token error: error and error_description are surfaced with the status (RFC 6749 §5.2)", async (t) => {
  const op = await startProvider(t);
  op.routes["/token"] = () => ({ status: 400, body: { error: "invalid_grant", error_description: "code already used" } });
  const client = await newClient(op);
  const err = await rejection(client.handleCallback((await authorize(client, op)).callback));
  assert.equal(err.code, "token_error");
  assert.equal(err.error, "invalid_grant");
  assert.equal(err.error_description, "code already used");
  assert.equal(err.status, 400);
});

test("use_dpop_nonce at the token endpoint: exactly one retry, carrying the server's nonce (RFC 9449 §8)", async (t) => {
  const op = await startProvider(t);
  const nonces = [];
  op.routes["/token"] = async (req) => {
    nonces.push((await proofOf(req.headers)).payload.nonce);
    if (nonces.length === 1) return { status: 400, headers: { "dpop-nonce": "server-nonce-1" }, body: { error: "use_dpop_nonce" } };
    return op.tokens(req);
  };
  const client = await newClient(op);
  await client.handleCallback((await authorize(client, op)).callback);
  assert.deepEqual(nonces, [undefined, "server-nonce-1"]);

  // A server that never accepts: two requests, then the error, never a third.
  op.log.length = 0;
  let n = 0;
  op.routes["/token"] = () => ({ status: 400, headers: { "dpop-nonce": `n-${++n}` }, body: { error: "use_dpop_nonce" } });
  const again = await newClient(op);
  const err = await rejection(again.handleCallback((await authorize(again, op)).callback));
  assert.equal(err.code, "token_error");
  assert.equal(err.error, "use_dpop_nonce");
  assert.equal(op.count("/token"), 2);

  // A refusal without a DPoP-Nonce header: nothing to retry with, no retry.
  op.log.length = 0;
  op.routes["/token"] = () => ({ status: 400, body: { error: "use_dpop_nonce" } });
  const third = await newClient(op);
  assert.equal((await rejection(third.handleCallback((await authorize(third, op)).callback))).code, "token_error");
  assert.equal(op.count("/token"), 1);
});

test("oversize responses are refused at 64 KiB, declared or streamed (hostile provider)", { timeout: 20_000 }, async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op);
  const big = "x".repeat(70 * 1024);
  op.routes["/token"] = (req) => op.tokens(req, { padding: big });
  assert.equal((await rejection(client.handleCallback((await authorize(client, op)).callback))).code, "response_too_large");
  // Chunked, without Content-Length, and endless: reading stops at the cap.
  op.routes["/token"] = (req) => {
    const res = req.res;
    res.writeHead(200, { "content-type": "application/json" });
    const timer = setInterval(() => res.write(`"${"y".repeat(8192)}",`), 1);
    res.write('{"a":[');
    res.on("close", () => clearInterval(timer));
    return "raw";
  };
  assert.equal((await rejection(client.handleCallback((await authorize(client, op)).callback))).code, "response_too_large");
  // A declared Content-Length over the cap fails at once, without waiting for the body.
  op.routes["/token"] = (req) => {
    req.res.writeHead(200, { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) });
    req.res.write("{");
    return "raw";
  };
  const started = Date.now();
  assert.equal((await rejection(client.handleCallback((await authorize(client, op)).callback))).code, "response_too_large");
  assert.ok(Date.now() - started < 2000, "no wait for a body that never comes");
  op.routes["/jwks"] = () => ({ body: { keys: [op.keys[0].publicJwk], padding: big } });
  op.routes["/token"] = (req) => op.tokens(req);
  const fresh = await newClient(op); // the first client has the JWKS already
  assert.equal((await rejection(fresh.handleCallback((await authorize(fresh, op)).callback))).code, "response_too_large");
  op.routes["/.well-known/openid-configuration"] = () => ({ body: { ...op.metadata, padding: big } });
  assert.equal((await rejection(newClient(op))).code, "response_too_large");
});

// --- the ID token and the JWKS ----------------------------------------------------------

test("JWKS: a malformed key in the provider's set is jwks_invalid, caught once when the set is fetched (RFC 7517 §5)", async (t) => {
  const op = await startProvider(t);
  op.keys = [{ kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA", kid: "bad" }];
  const client = await newClient(op);
  const err = await rejection(client.handleCallback((await authorize(client, op)).callback));
  assert.equal(err.code, "jwks_invalid");
  assert.equal(err.cause?.code, "jwk_invalid");
});

test("ID token: a kid missing from the first JWKS makes one refetch, and the rotated key is accepted (OIDC Core §10.1.1)", async (t) => {
  const op = await startProvider(t);
  const rotated = await signingKey("k2");
  const client = await newClient(op);
  await client.handleCallback((await authorize(client, op)).callback); // JWKS [k1] is now cached
  assert.equal(op.count("/jwks"), 1);
  op.keys = [op.keys[0], rotated];
  op.signWith = rotated;
  const session = await client.handleCallback((await authorize(client, op)).callback);
  assert.equal(session.claims.sub, SUB);
  assert.equal(op.count("/jwks"), 2);
});

test("ID token: an unknown kid again within the 60 s cooldown makes no second refetch and fails", async (t) => {
  const op = await startProvider(t);
  op.signWith = await signingKey("k-unknown");
  const client = await newClient(op);
  const first = await rejection(client.handleCallback((await authorize(client, op)).callback));
  assert.equal(first.code, "key_not_found");
  assert.equal(op.count("/jwks"), 2, "the first fetch and one refetch");
  const second = await rejection(client.handleCallback((await authorize(client, op)).callback));
  assert.equal(second.code, "key_not_found");
  assert.equal(op.count("/jwks"), 2, "no refetch within the cooldown");
  assert.equal(client.session, null);
});

test("ID token: wrong nonce, wrong audience, wrong at_hash, another issuer are refused by the core (OIDC Core §3.1.3.7, §3.1.3.8)", async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op);
  const cases = [
    [{ nonce: "not-the-nonce" }, "id_token_nonce_mismatch"],
    [{ aud: "another-client" }, "jwt_audience_mismatch"],
    [{ at_hash: atHash("another token") }, "id_token_at_hash_mismatch"],
    [{ iss: "https://evil.example" }, "jwt_issuer_mismatch"],
  ];
  for (const [claims, code] of cases) {
    op.routes["/token"] = async (req) => {
      const res = await op.tokens(req);
      res.body.id_token = await op.idToken({ at_hash: atHash(res.body.access_token), ...claims });
      return res;
    };
    const err = await rejection(client.handleCallback((await authorize(client, op)).callback));
    assert.equal(err.code, code, `${JSON.stringify(claims)}: ${err.message}`);
  }
  assert.equal(client.session, null);
});

test("max_age: auth_time is then required (OIDC Core §3.1.2.1, §3.1.3.7 item 13)", async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op);
  const request = new URL(await client.authorizationUrl({ maxAge: 60 }));
  op.nonce = request.searchParams.get("nonce");
  const callback = `${REDIRECT_URI}?code=c&state=${request.searchParams.get("state")}&iss=${encodeURIComponent(op.issuer)}`;
  assert.equal((await rejection(client.handleCallback(callback))).code, "jwt_claim_missing");
});

// --- refresh, userinfo, fetch, sign-out ---------------------------------------------------

test("refresh: rotated refresh token, DPoP proof, concurrent calls share one request (RFC 6749 §6, RFC 9449 §5)", async (t) => {
  const { op, client, session } = await signedIn(t);
  const [a, b] = await Promise.all([client.refresh(), client.refresh()]);
  assert.equal(a, b);
  const refreshes = op.log.filter((r) => r.path === "/token" && r.body.includes("grant_type=refresh_token"));
  assert.equal(refreshes.length, 1);
  const form = Object.fromEntries(new URLSearchParams(refreshes[0].body));
  assert.equal(form.refresh_token, session.refreshToken);
  assert.equal(form.client_id, CLIENT_ID);
  assert.equal((await proofOf(refreshes[0].headers)).jkt, client.thumbprint);
  assert.notEqual(a.refreshToken, session.refreshToken);
  assert.notEqual(a.accessToken, session.accessToken);
  assert.equal(client.session, a);
});

test("refresh: a new ID token for another subject is refused (OIDC Core §12.2)", async (t) => {
  const { op, client, session } = await signedIn(t);
  op.sub = "someone-else";
  op.nonce = null;
  const err = await rejection(client.refresh());
  assert.equal(err.code, "id_token_sub_mismatch");
  assert.equal(client.session, session, "the session is unchanged");
  // Without a refresh token: an error, and no request.
  const other = await startProvider(t);
  other.routes["/token"] = (req) => other.tokens(req, { refresh_token: undefined });
  const plain = await newClient(other);
  await plain.handleCallback((await authorize(plain, other)).callback);
  assert.equal(plain.session.refreshToken, undefined);
  assert.equal((await rejection(plain.refresh())).code, "no_refresh_token");
  assert.equal(other.count("/token"), 1);
});

test("userinfo: a sub other than the ID token's is refused (OIDC Core §5.3.4)", async (t) => {
  const { op, client } = await signedIn(t);
  assert.equal((await client.userinfo()).sub, SUB);
  op.routes["/userinfo"] = () => ({ body: { sub: "someone-else", name: "Mallory" } });
  assert.equal((await rejection(client.userinfo())).code, "userinfo_sub_mismatch");
  op.routes["/userinfo"] = () => ({ body: { name: "no sub at all" } });
  assert.equal((await rejection(client.userinfo())).code, "userinfo_sub_mismatch");
  op.routes["/userinfo"] = () => ({ status: 401, headers: { "www-authenticate": 'DPoP error="invalid_token"' }, body: {} });
  const err = await rejection(client.userinfo());
  assert.equal(err.code, "userinfo_error");
  assert.equal(err.status, 401);
  assert.equal(err.error, "invalid_token");
});

test("fetch: Authorization: DPoP and a proof with htm, htu without query or fragment, ath and jkt (RFC 9449 §4.2, §7.1)", async (t) => {
  const { op, client, session } = await signedIn(t);
  op.routes["/api/items"] = () => ({ status: 201, body: { ok: true } });
  const res = await client.fetch(`${op.issuer}/api/items?page=2#top`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { ok: true });
  const sent = op.log.at(-1);
  assert.equal(sent.headers.authorization, `DPoP ${session.accessToken}`);
  assert.equal(sent.body, "{}");
  const { payload, jkt } = await proofOf(sent.headers);
  assert.equal(payload.htm, "POST");
  assert.equal(payload.htu, `${op.issuer}/api/items`);
  assert.equal(payload.ath, b64url(sha256(session.accessToken)));
  assert.equal(jkt, session.jkt);
  // The package's own resource-server check agrees.
  const checked = await lib.verifyDpopProof(sent.headers.dpop, {
    htm: "POST", htu: `${op.issuer}/api/items`, accessToken: session.accessToken, jkt: session.jkt,
  });
  assert.equal(checked.jkt, session.jkt);
});

test("fetch: a 401 with use_dpop_nonce is retried exactly once with the new nonce, which is kept for the origin (RFC 9449 §9)", async (t) => {
  const { op, client } = await signedIn(t);
  let calls = 0;
  op.routes["/api/me"] = () => {
    calls++;
    return calls === 1
      ? { status: 401, headers: { "www-authenticate": 'DPoP error="use_dpop_nonce", error_description="nonce"', "dpop-nonce": "rs-nonce-1" }, body: {} }
      : { status: 200, body: { sub: SUB } };
  };
  const res = await client.fetch(`${op.issuer}/api/me`);
  assert.equal(res.status, 200);
  assert.equal(calls, 2);
  const proofs = await Promise.all(op.log.slice(-2).map((r) => proofOf(r.headers)));
  assert.deepEqual(proofs.map((p) => p.payload.nonce), [undefined, "rs-nonce-1"]);
  assert.notEqual(proofs[0].payload.jti, proofs[1].payload.jti, "a fresh proof for the retry");
  // The nonce is remembered: the next request carries it at once.
  await client.fetch(`${op.issuer}/api/me`);
  assert.equal((await proofOf(op.log.at(-1).headers)).payload.nonce, "rs-nonce-1");

  // Always refused: two requests, and the 401 is returned to the caller.
  calls = 0;
  op.routes["/api/me"] = () => {
    calls++;
    return { status: 401, headers: { "www-authenticate": 'DPoP error="use_dpop_nonce"', "dpop-nonce": `x-${calls}` }, body: {} };
  };
  assert.equal((await client.fetch(`${op.issuer}/api/me`)).status, 401);
  assert.equal(calls, 2);

  // Another 401 (invalid_token) carrying a new nonce is not a nonce request: no retry.
  calls = 0;
  op.routes["/api/me"] = () => {
    calls++;
    return { status: 401, headers: { "www-authenticate": 'DPoP error="invalid_token"', "dpop-nonce": `y-${calls}` }, body: {} };
  };
  assert.equal((await client.fetch(`${op.issuer}/api/me`)).status, 401);
  assert.equal(calls, 1);
  // A 401 whose WWW-Authenticate is hidden (cross-origin, not exposed) with a new nonce: one retry.
  calls = 0;
  op.routes["/api/me"] = () => (++calls === 1 ? { status: 401, headers: { "dpop-nonce": "z-1" }, body: {} } : { body: { sub: SUB } });
  assert.equal((await client.fetch(`${op.issuer}/api/me`)).status, 200);
  assert.equal(calls, 2);
  // The same nonce again is no reason to retry.
  calls = 0;
  op.routes["/api/me"] = () => {
    calls++;
    return { status: 401, headers: { "www-authenticate": 'DPoP error="use_dpop_nonce"', "dpop-nonce": "z-1" }, body: {} };
  };
  assert.equal((await client.fetch(`${op.issuer}/api/me`)).status, 401);
  assert.equal(calls, 1);
});

test("fetch: the token goes only to apiOrigins (default: the issuer's origin); anything else is origin_not_allowed", async (t) => {
  const { op, client } = await signedIn(t);
  const before = op.log.length;
  for (const elsewhere of ["https://api.example/me", `${op.issuer.replace("127.0.0.1", "localhost")}/api/me`]) {
    assert.equal((await rejection(client.fetch(elsewhere))).code, "origin_not_allowed", elsewhere);
  }
  assert.equal(op.log.length, before, "nothing was sent");
  for (const bad of [["https://api.example/path"], "https://api.example", [42]]) {
    assert.equal((await rejection(newClient(op, { apiOrigins: bad }))).code, "invalid_option", JSON.stringify(bad));
  }
  // A listed origin gets the token (the request is answered here, not sent to the network).
  const seen = [];
  const intercept = (input, init) => {
    const req = new Request(input, init);
    if (new URL(req.url).origin !== "https://api.example") return fetch(req);
    seen.push(req);
    return Promise.resolve(new Response("{}", { headers: { "content-type": "application/json" } }));
  };
  const listed = await signedIn(t, { apiOrigins: ["https://api.example", "http://127.0.0.1:1"], fetch: intercept });
  assert.equal((await listed.client.fetch("https://api.example/me")).status, 200);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].headers.get("authorization"), `DPoP ${listed.session.accessToken}`);
  assert.equal((await rejection(listed.client.fetch(`${listed.op.issuer}/api/me`))).code, "origin_not_allowed", "the issuer is not implied once apiOrigins is given");
  // userinfo() goes to the provider's own endpoint (from its metadata) whatever apiOrigins says.
  listed.op.routes["/userinfo"] = () => ({ body: { sub: listed.session.claims.sub } });
  assert.equal((await listed.client.userinfo()).sub, listed.session.claims.sub);
  assert.match(listed.op.log.at(-1).headers.authorization, /^DPoP /);
});

/** Another origin: a plain server that records what reaches it (a host an API redirects to). */
async function startOther(t) {
  const other = { log: [] };
  const server = createServer((req, res) => {
    other.log.push({ method: req.method, path: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  other.origin = `http://127.0.0.1:${server.address().port}`;
  t.after(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return other;
}

// RFC 9449 §7.1 and RFC 6750 §5.1 ("token redirect"): the token, and a proof made with it,
// are for the resource they were sent to. A fetch left to follow redirects sends the request's
// headers on to the Location: Node's fetch drops Authorization across origins but not the
// DPoP proof (what the client did before issue 12), a custom fetch may keep both, and the
// proof names the wrong URL and method anyway.
test("fetch: a redirect out of apiOrigins is not followed: the other origin gets nothing, origin_not_allowed (RFC 6750 §5.1 token redirect, RFC 9449 §7.1)", async (t) => {
  const { op, client } = await signedIn(t);
  const other = await startOther(t);
  const port = new URL(op.issuer).port;
  // Another port, and the same server under another host name (another origin all the same).
  const elsewhere = [`${other.origin}/steal`, `http://localhost:${port}/api/landing`];
  for (const location of elsewhere) {
    for (const status of [301, 302, 303, 307, 308]) {
      for (const method of ["GET", "POST"]) {
        op.routes["/api/moved"] = () => ({ status, headers: { location }, body: {} });
        const before = op.log.length;
        const err = await rejection(client.fetch(`${op.issuer}/api/moved`, { method, body: method === "POST" ? "{}" : undefined }));
        const what = `${method} → ${status} ${location}`;
        assert.ok(err instanceof OidcEdgeError, `${what}: ${err}`);
        assert.equal(err.code, "origin_not_allowed", what);
        assert.equal(err.status, status, what);
        const hosts = op.log.slice(before).map((r) => r.headers.host);
        assert.deepEqual(hosts, [`127.0.0.1:${port}`], `${what}: only the API itself was asked`);
      }
    }
  }
  assert.deepEqual(other.log, [], "the other origin received no request, so no Authorization and no DPoP");
  // With a fetch that ignores Fetch's Authorization rule (some polyfills, older runtimes),
  // the token itself must not travel either.
  const leaky = (input, init) => {
    const req = new Request(input, init);
    return fetch(req.url, { method: req.method, headers: req.headers, redirect: "manual", body: req.body, duplex: "half" }).then((res) => {
      if (req.redirect !== "follow" || ![301, 302, 303, 307, 308].includes(res.status)) return res;
      return fetch(new URL(res.headers.get("location"), req.url), { headers: req.headers });
    });
  };
  const leakyClient = await signedIn(t, { fetch: leaky });
  leakyClient.op.routes["/api/moved"] = () => ({ status: 302, headers: { location: `${other.origin}/steal` }, body: {} });
  assert.equal((await rejection(leakyClient.client.fetch(`${leakyClient.op.issuer}/api/moved`))).code, "origin_not_allowed");
  assert.deepEqual(other.log, [], "not even through a fetch that keeps headers across origins");
});

test("fetch: a redirect within apiOrigins is followed with a new proof for each URL and method (Fetch HTTP-redirect fetch, RFC 9449 §4.2, §4.3)", async (t) => {
  const { op, client, session } = await signedIn(t);
  op.routes["/api/final"] = (req, { body }) => ({ status: 200, body: { method: req.method, body } });
  const cases = [
    // [status, method, expected method after, body kept]
    [302, "GET", "GET", false],
    [301, "POST", "GET", false],
    [302, "POST", "GET", false],
    [303, "POST", "GET", false],
    [303, "PUT", "GET", false],
    [307, "POST", "POST", true],
    [308, "PUT", "PUT", true],
    [301, "DELETE", "DELETE", false],
  ];
  for (const [status, method, after, kept] of cases) {
    const what = `${method} → ${status}`;
    op.routes["/api/start"] = () => ({ status, headers: { location: "/api/final?x=1" }, body: {} });
    const before = op.log.length;
    const body = ["GET", "DELETE"].includes(method) ? undefined : '{"n":1}';
    const res = await client.fetch(`${op.issuer}/api/start`, { method, body, headers: body ? { "content-type": "application/json" } : {} });
    assert.equal(res.status, 200, what);
    const echoed = await res.json();
    assert.equal(echoed.method, after, what);
    assert.equal(echoed.body, kept ? '{"n":1}' : "", what);
    const [first, second, ...more] = op.log.slice(before);
    assert.equal(more.length, 0, what);
    assert.equal(first.path, "/api/start");
    assert.equal(second.path, "/api/final");
    assert.equal(second.headers.authorization, `DPoP ${session.accessToken}`, what);
    assert.equal(second.headers["content-type"], kept ? "application/json" : undefined, `${what}: request-body headers go with the body`);
    const proofs = [await proofOf(first.headers), await proofOf(second.headers)];
    assert.deepEqual(proofs.map((p) => [p.payload.htm, p.payload.htu]), [[method, `${op.issuer}/api/start`], [after, `${op.issuer}/api/final`]], what);
    assert.notEqual(proofs[0].payload.jti, proofs[1].payload.jti, `${what}: a fresh proof`);
    for (const p of proofs) assert.equal(p.payload.ath, b64url(sha256(session.accessToken)));
  }

  // A second origin in apiOrigins is a place the token may go: followed there too, with a
  // proof for that origin's URL.
  const other = await startOther(t);
  const op2 = await startProvider(t);
  const client2 = await newClient(op2, { apiOrigins: [op2.issuer, other.origin] });
  const session2 = await client2.handleCallback((await authorize(client2, op2)).callback);
  op2.routes["/api/out"] = () => ({ status: 307, headers: { location: `${other.origin}/api/in` }, body: {} });
  assert.equal((await client2.fetch(`${op2.issuer}/api/out`)).status, 200);
  assert.equal(other.log.length, 1);
  assert.equal(other.log[0].headers.authorization, `DPoP ${session2.accessToken}`);
  assert.equal((await proofOf(other.log[0].headers)).payload.htu, `${other.origin}/api/in`);
});

test("token endpoint: a redirect is not followed, so the code, verifier and proof go nowhere else (RFC 6749 §3.2; RFC 9700 §4.12: a 307 resends the body)", async (t) => {
  const op = await startProvider(t);
  const other = await startOther(t);
  const client = await newClient(op);
  op.routes["/token"] = () => ({ status: 307, headers: { location: `${other.origin}/token` }, body: {} });
  const err = await rejection(client.handleCallback((await authorize(client, op)).callback));
  assert.equal(err.code, "token_error");
  assert.equal(err.status, 307);
  assert.deepEqual(other.log, [], "the body (code, code_verifier) and the DPoP proof were not resent");
});

test("fetch: at most 20 redirects (Fetch HTTP-redirect fetch); redirect: \"manual\" returns the redirect, \"error\" refuses it", async (t) => {
  const { op, client } = await signedIn(t);
  op.routes["/api/loop"] = () => ({ status: 302, headers: { location: "/api/loop" }, body: {} });
  const before = op.log.length;
  const err = await rejection(client.fetch(`${op.issuer}/api/loop`));
  assert.equal(err.code, "network_error");
  assert.equal(op.log.length - before, 21, "the request and 20 redirects");

  op.routes["/api/moved"] = () => ({ status: 302, headers: { location: "https://evil.example/x" }, body: {} });
  const manual = await client.fetch(`${op.issuer}/api/moved`, { redirect: "manual" });
  assert.equal(manual.status, 302);
  assert.equal(manual.headers.get("location"), "https://evil.example/x");
  assert.equal((await rejection(client.fetch(`${op.issuer}/api/moved`, { redirect: "error" }))).code, "network_error");
  // A 3xx without Location is no redirect (Fetch HTTP fetch): returned as it is.
  op.routes["/api/moved"] = () => ({ status: 302, body: {} });
  assert.equal((await client.fetch(`${op.issuer}/api/moved`)).status, 302);
});

test("userinfo: a redirect away from the provider's origin is not followed (OIDC Core §5.3.1, RFC 6750 §5.1)", async (t) => {
  const { op, client } = await signedIn(t);
  const other = await startOther(t);
  op.routes["/userinfo"] = () => ({ status: 302, headers: { location: `${other.origin}/userinfo` }, body: {} });
  assert.equal((await rejection(client.userinfo())).code, "origin_not_allowed");
  assert.deepEqual(other.log, []);
  op.routes["/userinfo"] = () => ({ status: 307, headers: { location: "/userinfo2" }, body: {} });
  op.routes["/userinfo2"] = () => ({ body: { sub: SUB } });
  assert.equal((await client.userinfo()).sub, SUB);
});

test("fetch with dpop: false sends Authorization: Bearer and no DPoP header (RFC 6750 §2.1)", async (t) => {
  const { op, client, session } = await signedIn(t, { dpop: false, dpopKey: undefined });
  assert.equal(session.tokenType, "Bearer");
  assert.equal(session.jkt, undefined);
  op.routes["/api/me"] = () => ({ body: {} });
  await client.fetch(new URL(`${op.issuer}/api/me`));
  const sent = op.log.at(-1);
  assert.equal(sent.headers.authorization, `Bearer ${session.accessToken}`);
  assert.equal(sent.headers.dpop, undefined);
  const authorize = op.log.find((r) => r.path === "/token");
  assert.equal(authorize.headers.dpop, undefined, "no proof at the token endpoint either");
});

test("signOut: forgets the tokens and resolves with the end_session URL (OIDC RP-Initiated Logout §2); fetch then throws not_signed_in", async (t) => {
  const { op, client, session } = await signedIn(t, { postLogoutRedirectUri: "http://localhost:5173/" });
  const pending = client.signOut();
  assert.ok(pending instanceof Promise);
  const url = new URL(await pending);
  assert.equal(url.origin + url.pathname, `${op.issuer}/end_session`);
  assert.equal(url.searchParams.get("id_token_hint"), session.idToken);
  assert.equal(url.searchParams.get("client_id"), CLIENT_ID);
  assert.equal(url.searchParams.get("post_logout_redirect_uri"), "http://localhost:5173/");
  assert.equal(client.session, null);
  assert.equal((await rejection(client.fetch(`${op.issuer}/api/me`))).code, "not_signed_in");
  assert.equal((await rejection(client.userinfo())).code, "not_signed_in");
  assert.equal((await rejection(client.refresh())).code, "not_signed_in");

  const { end_session_endpoint, ...rest } = op.metadata;
  op.metadata = rest;
  const noLogout = await newClient(op);
  assert.equal(await noLogout.signOut(), null);
});

// RFC 7009 §2.1: the client POSTs `token` and `token_type_hint`, form-encoded, and
// authenticates as at the token endpoint: a public client by its client_id (RFC 6749 §2.3,
// §3.2.1), so no Authorization header. Revoking the refresh token revokes the access tokens
// of its grant (§2.1), so one request is enough. RFC 9449 has no proof for this endpoint.
test("signOut: revokes the refresh token: POST token, token_type_hint=refresh_token, client_id; no Authorization, no DPoP (RFC 7009 §2.1)", async (t) => {
  const { op, client } = await signedIn(t);
  const rotated = await client.refresh(); // the latest refresh token is the one to revoke
  const before = op.log.length;
  const url = await client.signOut();
  assert.equal(new URL(url).pathname, "/end_session");
  assert.equal(client.session, null);
  const sent = op.log.slice(before);
  assert.deepEqual(sent.map((r) => `${r.method} ${r.path}`), ["POST /revoke"], "one request: the revocation");
  const [revocation] = sent;
  assert.match(revocation.headers["content-type"], /^application\/x-www-form-urlencoded/);
  assert.deepEqual([...new URLSearchParams(revocation.body)], [
    ["token", rotated.refreshToken],
    ["token_type_hint", "refresh_token"],
    ["client_id", CLIENT_ID],
  ]);
  assert.equal(revocation.headers.authorization, undefined, "a public client: client_id in the body, no Authorization");
  assert.equal(revocation.headers.dpop, undefined, "no DPoP proof at the revocation endpoint");

  // Through the fetch option, like every other request of the client.
  const seen = [];
  const spy = (input, init) => {
    seen.push(new Request(input, init).url);
    return fetch(input, init);
  };
  const spied = await signedIn(t, { fetch: spy });
  await spied.client.signOut();
  assert.equal(seen.at(-1), `${spied.op.issuer}/revoke`);
});

test("signOut: no revocation request without revocation_endpoint, without a refresh token, or with revoke: false (RFC 7009 §2, RFC 8414 §2)", async (t) => {
  const { op, client } = await signedIn(t, { postLogoutRedirectUri: "http://localhost:5173/" });
  const { revocation_endpoint, ...without } = op.metadata;
  op.metadata = without;
  const noEndpoint = await newClient(op);
  await noEndpoint.handleCallback((await authorize(noEndpoint, op)).callback);
  assert.ok(noEndpoint.session.refreshToken);
  const unexpected = (err) => assert.fail(`no revocation was due, yet: ${err.code} ${err.message}`);
  const url = await noEndpoint.signOut({ onRevocationError: unexpected });
  assert.equal(new URL(url).pathname, "/end_session", "the endpoint absent: the URL all the same");
  assert.equal(noEndpoint.session, null);
  assert.equal(op.count("/revoke"), 0);

  op.metadata = { ...without, revocation_endpoint };
  op.routes["/token"] = (req) => op.tokens(req, { refresh_token: undefined });
  const noRefresh = await newClient(op);
  const session = await noRefresh.handleCallback((await authorize(noRefresh, op)).callback);
  assert.equal(session.refreshToken, undefined);
  assert.equal(new URL(await noRefresh.signOut({ onRevocationError: unexpected })).pathname, "/end_session");
  assert.equal(noRefresh.session, null);
  assert.equal(op.count("/revoke"), 0, "no refresh token: nothing to revoke");

  assert.equal(new URL(await client.signOut({ revoke: false, onRevocationError: unexpected })).pathname, "/end_session");
  assert.equal(client.session, null);
  assert.equal(op.count("/revoke"), 0, "revoke: false");
  // Signed out already: nothing left to revoke.
  await client.signOut();
  assert.equal(op.count("/revoke"), 0);
});

// RFC 7009 §2.2.1: a 503 means the token was not revoked. Sign-out happens here whatever the
// provider says; the failure is reported to onRevocationError, never thrown.
test("signOut: a 503, a redirect, a rejected fetch do not reject: the URL, the session gone, the OidcEdgeError to onRevocationError (RFC 7009 §2.2.1)", async (t) => {
  const other = await startOther(t);
  let failFetch = false;
  const flaky = (input, init) => {
    if (failFetch && String(input).endsWith("/revoke")) return Promise.reject(new TypeError("fetch failed"));
    return fetch(input, init);
  };
  const cases = [
    ["503", (op) => { op.routes["/revoke"] = () => ({ status: 503, headers: { "retry-after": "30" }, body: { error: "temporarily_unavailable" } }); },
      (err) => { assert.equal(err.code, "revocation_error"); assert.equal(err.status, 503); assert.equal(err.error, "temporarily_unavailable"); }],
    ["400 unsupported_token_type", (op) => { op.routes["/revoke"] = () => ({ status: 400, body: { error: "unsupported_token_type", error_description: "no" } }); },
      (err) => { assert.equal(err.code, "revocation_error"); assert.equal(err.error, "unsupported_token_type"); assert.equal(err.error_description, "no"); }],
    ["307 elsewhere", (op) => { op.routes["/revoke"] = () => ({ status: 307, headers: { location: `${other.origin}/revoke` }, body: "" }); },
      (err) => { assert.equal(err.code, "revocation_error"); assert.equal(err.status, 307); }],
    ["fetch rejects", () => { failFetch = true; },
      (err) => { assert.equal(err.code, "network_error"); assert.ok(err.cause instanceof TypeError); }],
  ];
  for (const [what, arrange, check] of cases) {
    failFetch = false;
    const { op, client } = await signedIn(t, { fetch: flaky });
    arrange(op);
    const reported = [];
    const url = await client.signOut({ onRevocationError: (err) => reported.push(err) });
    assert.equal(new URL(url).pathname, "/end_session", what);
    assert.equal(client.session, null, what);
    assert.equal(reported.length, 1, what);
    assert.ok(reported[0] instanceof OidcEdgeError, `${what}: ${reported[0]}`);
    check(reported[0]);
    assert.equal(op.count("/revoke"), what === "fetch rejects" ? 0 : 1, what);
    assert.equal((await rejection(client.fetch(`${op.issuer}/api/me`))).code, "not_signed_in", what);
  }
  assert.deepEqual(other.log, [], "the refresh token was not resent to where the redirect pointed");

  // Without a callback, the failure is swallowed: signOut still resolves.
  const { op, client } = await signedIn(t);
  op.routes["/revoke"] = () => ({ status: 503, body: "" });
  assert.equal(new URL(await client.signOut()).pathname, "/end_session");
  assert.equal(client.session, null);
});

test("signOut: a revocation endpoint that does not answer is given up after 5 s, honoured signal or not (aborted)", { timeout: 10_000 }, async (t) => {
  for (const honoursSignal of [true, false]) {
    let sent = null;
    const asked = new Promise((resolve) => { sent = resolve; });
    const hanging = (input, init) => {
      if (!String(input).endsWith("/revoke")) return fetch(input, init);
      sent(init?.signal);
      return new Promise((_, reject) => {
        if (honoursSignal) init.signal.addEventListener("abort", () => reject(init.signal.reason));
      });
    };
    const { client } = await signedIn(t, { fetch: hanging });
    t.mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const reported = [];
      const done = client.signOut({ onRevocationError: (err) => reported.push(err) });
      const signal = await asked;
      assert.ok(signal instanceof AbortSignal);
      assert.equal(client.session, null);
      t.mock.timers.tick(4_999);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(reported.length, 0, "still waiting at 4.999 s");
      t.mock.timers.tick(1);
      // Settled within this turn (a broken timeout fails here rather than hanging the run).
      const url = await Promise.race([done, new Promise((resolve) => setImmediate(resolve, "still pending"))]);
      assert.equal(new URL(url).pathname, "/end_session");
      assert.equal(signal.aborted, true, "the request is aborted");
      assert.equal(reported.length, 1);
      assert.equal(reported[0].code, "aborted");
    } finally {
      t.mock.timers.reset();
    }
  }
});

test("signOut: the session is gone before the revocation is answered: fetch, userinfo and refresh throw not_signed_in at once", { timeout: 10_000 }, async (t) => {
  const { op, client } = await signedIn(t);
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let arrived;
  const revoking = new Promise((resolve) => { arrived = resolve; });
  op.routes["/revoke"] = async () => {
    arrived();
    await held;
    return { status: 200, body: "" };
  };
  const done = client.signOut();
  // Synchronously, before the revocation request has even left.
  assert.equal(client.session, null);
  const early = rejection(client.fetch(`${op.issuer}/api/me`));
  await revoking; // the provider has the request and has not answered
  assert.equal((await early).code, "not_signed_in");
  assert.equal((await rejection(client.fetch(`${op.issuer}/api/me`))).code, "not_signed_in");
  assert.equal((await rejection(client.userinfo())).code, "not_signed_in");
  assert.equal((await rejection(client.refresh())).code, "not_signed_in");
  assert.equal(op.count("/api/me") + op.count("/userinfo"), 0, "nothing sent with the forgotten token");
  release();
  assert.equal(new URL(await done).pathname, "/end_session");
});

test("signOut: unknown options reject with invalid_option, the session forgotten all the same; a throwing onRevocationError rejects", async (t) => {
  const { op, client } = await signedIn(t);
  assert.equal((await rejection(client.signOut({ revokes: false }))).code, "invalid_option");
  assert.equal(client.session, null);
  assert.equal(op.count("/revoke"), 0);
  const again = await signedIn(t);
  again.op.routes["/revoke"] = () => ({ status: 503, body: "" });
  const thrown = new Error("the app's own");
  assert.equal(await rejection(again.client.signOut({ onRevocationError: () => { throw thrown; } })), thrown);
  assert.equal(again.client.session, null);
});

test("network failures are OidcEdgeError network_error", async (t) => {
  const op = await startProvider(t);
  const client = await newClient(op, { fetch: (input, init) => (String(input.url ?? input).includes("/token") ? Promise.reject(new TypeError("fetch failed")) : fetch(input, init)) });
  const err = await rejection(client.handleCallback((await authorize(client, op)).callback));
  assert.ok(err instanceof OidcEdgeError);
  assert.equal(err.code, "network_error");
  assert.ok(err.cause instanceof TypeError);
});

test("TypeScript declarations: the package entry exports the client, with the contract's members", async () => {
  const { readFileSync } = await import("node:fs");
  const manifest = JSON.parse(readFileSync(new URL("../../pkg/package.json", import.meta.url), "utf8"));
  const index = readFileSync(new URL(`../../pkg/${manifest.exports["."].types}`, import.meta.url), "utf8");
  assert.match(index, /export \* from "\.\/client\.js";/);
  assert.match(index, /export \* from "\.\/oidc_edge\.js";/);
  const dts = readFileSync(new URL("../../pkg/client.d.ts", import.meta.url), "utf8");
  for (const member of [
    /static create\(options: OidcClientOptions\): Promise<OidcClient>;/,
    /authorizationUrl\(params\?: AuthorizationParams\): Promise<string>;/,
    /handleCallback\(url\?: string \| URL\): Promise<Session>;/,
    /refresh\(\): Promise<Session>;/,
    /fetch\(input: string \| URL \| Request, init\?: RequestInit\): Promise<Response>;/,
    /signOut\(options\?: SignOutOptions\): Promise<string \| null>;/,
    /export interface SignOutOptions \{[^}]*revoke\?: boolean;[^}]*onRevocationError\?: \(error: OidcEdgeError\) => void;/,
    /readonly thumbprint: string \| null;/,
    /claims: IdTokenClaims;/,
    /tokenType: "DPoP" \| "Bearer";/,
  ]) {
    assert.match(dts, member);
  }
  // The runtime has what the declarations promise, from the package entry and the web entry.
  const web = await import(new URL("../../pkg/index.js", import.meta.url));
  assert.equal(web.OidcClient, OidcClient);
  assert.equal(typeof web.default, "function");
  assert.equal(typeof web.createPkce, "function");
});
