// OidcClient's pushed authorization requests (RFC 9126) against a provider this file scripts
// (./provider.mjs): what the client POSTs to the pushed_authorization_request_endpoint, the
// URL it then returns, when it pushes without being asked, and what it makes of a provider
// that refuses or answers badly. DPoP proofs are checked with `jose`, hashes recomputed with
// node:crypto. The real provider is tests/e2e/par-client.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { importPackage } from "./package.mjs";
import { CLIENT_ID, REDIRECT_URI, SUB, newClient, proofOf, startProvider, thumbprint } from "./provider.mjs";
import { MemoryStorage, b64url, rejection, sha256 } from "../shared/node-helpers.mjs";

const { OidcEdgeError } = await importPackage();

const REQUEST_URI = "urn:ietf:params:oauth:request_uri:pushed-1";

/** A provider with a /par that answers 201 (RFC 9126 §2.2), or as `answer(req, call)` says;
 *  the pushed forms are in `op.pushed` (URLSearchParams). */
async function parProvider(t, answer) {
  const op = await startProvider(t);
  op.metadata = { ...op.metadata, pushed_authorization_request_endpoint: `${op.issuer}/par` };
  op.pushed = [];
  op.routes["/par"] = (req, { body }) => {
    op.pushed.push(new URLSearchParams(body));
    return answer?.(req, op.pushed.length) ?? {
      status: 201, headers: { "cache-control": "no-store" }, body: { request_uri: REQUEST_URI, expires_in: 60 },
    };
  };
  return op;
}

/** The callback for a request made by `client`, given what was pushed: state and iss. */
function callbackFor(op, pushed) {
  const callback = new URL(REDIRECT_URI);
  callback.searchParams.set("code", "the-code");
  callback.searchParams.set("state", pushed.get("state"));
  callback.searchParams.set("iss", op.issuer);
  return callback.href;
}

test("par: the parameters are POSTed to the endpoint, the URL carries client_id and request_uri only (RFC 9126 §2.1, §4)", async (t) => {
  const op = await parProvider(t);
  const storage = new MemoryStorage();
  const client = await newClient(op, { par: true, storage });
  const url = new URL(await client.authorizationUrl({ prompt: "login", maxAge: 300, loginHint: "demo" }));
  assert.equal(url.origin + url.pathname, `${op.issuer}/authorize`);
  assert.deepEqual([...url.searchParams], [["client_id", CLIENT_ID], ["request_uri", REQUEST_URI]]);

  // One push (the DPoP nonce retry is its own test): a form POST, no client authentication
  // but client_id (a public client, §2), with what the URL would otherwise carry.
  const push = op.log.find((r) => r.path === "/par");
  assert.equal(push.method, "POST");
  assert.equal(push.headers["content-type"], "application/x-www-form-urlencoded");
  assert.equal(push.headers.authorization, undefined);
  const form = Object.fromEntries(op.pushed[0]);
  assert.deepEqual(Object.keys(form).sort(), [
    "client_id", "code_challenge", "code_challenge_method", "dpop_jkt", "login_hint", "max_age", "nonce", "prompt",
    "redirect_uri", "response_type", "scope", "state",
  ]);
  assert.equal(op.pushed[0].getAll("client_id").length, 1);
  assert.deepEqual(
    { ...form, code_challenge: undefined, nonce: undefined, state: undefined },
    {
      response_type: "code", client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: "openid profile email",
      code_challenge_method: "S256", dpop_jkt: await thumbprint(client.dpopKey.publicJwk()), prompt: "login",
      max_age: "300", login_hint: "demo", code_challenge: undefined, nonce: undefined, state: undefined,
    },
  );
  // The stored transaction is the pushed request's: its verifier hashes to the pushed challenge.
  assert.equal(storage.length, 1);
  assert.ok(storage.key(0).endsWith(form.state));
  const tx = JSON.parse(storage.getItem(storage.key(0)));
  assert.equal(b64url(sha256(tx.verifier)), form.code_challenge);
  assert.equal(tx.nonce, form.nonce);

  // RFC 9449 §10.1: a proof of the key for POST at the endpoint, the key dpop_jkt names.
  const { payload, jkt } = await proofOf(push.headers);
  assert.equal(payload.htm, "POST");
  assert.equal(payload.htu, `${op.issuer}/par`);
  assert.equal(jkt, form.dpop_jkt);

  // The callback for the pushed request completes as any other (max_age: with auth_time).
  op.nonce = form.nonce;
  const idToken = op.idToken;
  op.idToken = (claims, key) => idToken({ auth_time: Math.floor(Date.now() / 1000), ...claims }, key);
  const session = await client.handleCallback(callbackFor(op, op.pushed[0]));
  assert.equal(session.claims.sub, SUB);
  const exchange = op.log.find((r) => r.path === "/token");
  assert.equal(new URLSearchParams(exchange.body).get("code_verifier"), tx.verifier);
});

test("par: use_dpop_nonce at the endpoint is retried once with the server's nonce (RFC 9449 §8, §10.1)", async (t) => {
  const refusal = { status: 400, headers: { "dpop-nonce": "n-1" }, body: { error: "use_dpop_nonce", error_description: "a nonce" } };
  const op = await parProvider(t, (_req, call) => (call === 1 ? refusal : undefined));
  const client = await newClient(op, { par: true });
  const url = new URL(await client.authorizationUrl());
  assert.equal(url.searchParams.get("request_uri"), REQUEST_URI);
  const pushes = op.log.filter((r) => r.path === "/par");
  assert.equal(pushes.length, 2);
  assert.equal((await proofOf(pushes[0].headers)).payload.nonce, undefined);
  const second = await proofOf(pushes[1].headers);
  assert.equal(second.payload.nonce, "n-1");
  assert.notEqual(second.payload.jti, (await proofOf(pushes[0].headers)).payload.jti, "a new proof");
  assert.equal(op.pushed[1].get("state"), op.pushed[0].get("state"), "the same request");

  // Refused again with yet another nonce: no third attempt.
  let n = 1;
  op.routes["/par"] = () => ({ ...refusal, headers: { "dpop-nonce": `n-${++n}` } });
  const err = await rejection(client.authorizationUrl());
  assert.equal(err.code, "authorization_error");
  assert.equal(err.error, "use_dpop_nonce");
  assert.equal(op.log.filter((r) => r.path === "/par").length, 4);
});

test("par with dpop: false: no proof and no dpop_jkt", async (t) => {
  const op = await parProvider(t);
  const client = await newClient(op, { par: true, dpop: false, dpopKey: undefined });
  await client.authorizationUrl();
  assert.equal(op.pushed[0].get("dpop_jkt"), null);
  assert.equal(op.log.find((r) => r.path === "/par").headers.dpop, undefined);
});

test("without the option, the client pushes exactly when discovery says require_pushed_authorization_requests (RFC 9126 §5)", async (t) => {
  const op = await parProvider(t);
  const plain = new URL(await (await newClient(op)).authorizationUrl());
  assert.equal(plain.searchParams.get("response_type"), "code");
  op.metadata = { ...op.metadata, require_pushed_authorization_requests: false };
  await (await newClient(op)).authorizationUrl();
  assert.equal(op.pushed.length, 0, "not required: not pushed");

  op.metadata = { ...op.metadata, require_pushed_authorization_requests: true };
  const url = new URL(await (await newClient(op)).authorizationUrl());
  assert.deepEqual([...url.searchParams.keys()], ["client_id", "request_uri"]);
  assert.equal(op.pushed.length, 1);
});

test("par against a provider that cannot take it is invalid_option; inconsistent metadata is discovery_invalid", async (t) => {
  const op = await startProvider(t);
  // No pushed_authorization_request_endpoint (RFC 9126 §5).
  const none = await rejection(newClient(op, { par: true }));
  assert.ok(none instanceof OidcEdgeError);
  assert.equal(none.code, "invalid_option");
  assert.match(none.message, /pushed_authorization_request_endpoint/);
  // par: false where every request must be pushed.
  op.metadata = { ...op.metadata, pushed_authorization_request_endpoint: `${op.issuer}/par`, require_pushed_authorization_requests: true };
  const refused = await rejection(newClient(op, { par: false }));
  assert.equal(refused.code, "invalid_option");
  assert.match(refused.message, /requires pushed authorization requests/);
  for (const metadata of [
    { pushed_authorization_request_endpoint: "not a url" },
    { pushed_authorization_request_endpoint: 42 },
    { pushed_authorization_request_endpoint: undefined, require_pushed_authorization_requests: true },
    { require_pushed_authorization_requests: "true" },
  ]) {
    op.metadata = { ...op.metadata, ...metadata };
    assert.equal((await rejection(newClient(op))).code, "discovery_invalid", JSON.stringify(metadata));
    op.metadata = { ...op.metadata, pushed_authorization_request_endpoint: `${op.issuer}/par`, require_pushed_authorization_requests: true };
  }
  assert.equal(op.count("/par"), 0);
});

test("a refused push is authorization_error with the provider's status, error and error_description; the request is forgotten (RFC 9126 §2.3)", async (t) => {
  let answer = { status: 400, body: { error: "invalid_request", error_description: "redirect_uri is not registered" } };
  const op = await parProvider(t, () => answer);
  const storage = new MemoryStorage();
  const client = await newClient(op, { par: true, dpop: false, dpopKey: undefined, storage });
  const err = await rejection(client.authorizationUrl());
  assert.ok(err instanceof OidcEdgeError);
  assert.equal(err.code, "authorization_error");
  assert.equal(err.status, 400);
  assert.equal(err.error, "invalid_request");
  assert.equal(err.error_description, "redirect_uri is not registered");
  assert.equal(storage.length, 0, "no transaction waits for a request that was never made");

  answer = { status: 401, headers: { "www-authenticate": 'Basic realm="op"' }, body: { error: "invalid_client" } };
  assert.deepEqual(
    (({ code, status, error }) => ({ code, status, error }))(await rejection(client.authorizationUrl())),
    { code: "authorization_error", status: 401, error: "invalid_client" },
  );
  answer = { status: 503, body: "down for maintenance" };
  const down = await rejection(client.authorizationUrl());
  assert.deepEqual([down.code, down.status, down.error], ["authorization_error", 503, undefined]);
  // §2.2 names 201: a 200, even with a request_uri, is not a push the client can rely on.
  answer = { status: 200, body: { request_uri: REQUEST_URI, expires_in: 60 } };
  assert.equal((await rejection(client.authorizationUrl())).status, 200);
  // A redirect is not followed: the parameters are not sent anywhere else.
  op.routes["/elsewhere"] = () => ({ status: 201, body: { request_uri: REQUEST_URI, expires_in: 60 } });
  answer = { status: 307, headers: { location: `${op.issuer}/elsewhere` }, body: "" };
  assert.equal((await rejection(client.authorizationUrl())).status, 307);
  assert.equal(op.count("/elsewhere"), 0);
  assert.equal(storage.length, 0);
});

test("a 201 without a URI request_uri or a positive whole expires_in is par_response_invalid (RFC 9126 §2.2)", async (t) => {
  let answer;
  const op = await parProvider(t, () => answer);
  const client = await newClient(op, { par: true, dpop: false, dpopKey: undefined });
  const bodies = [
    { expires_in: 60 },
    { request_uri: 42, expires_in: 60 },
    { request_uri: "", expires_in: 60 },
    { request_uri: "urn:with space", expires_in: 60 },
    { request_uri: "urn:x\n", expires_in: 60 },
    { request_uri: REQUEST_URI },
    { request_uri: REQUEST_URI, expires_in: 0 },
    { request_uri: REQUEST_URI, expires_in: -60 },
    { request_uri: REQUEST_URI, expires_in: "60" },
    { request_uri: REQUEST_URI, expires_in: 1.5 },
    [REQUEST_URI],
    "request_uri=urn:x",
  ];
  for (const body of bodies) {
    answer = { status: 201, body };
    const err = await rejection(client.authorizationUrl());
    assert.equal(err.code, "par_response_invalid", `${JSON.stringify(body)}: ${err.message}`);
  }
  // The control: the same client, a well-formed answer.
  answer = undefined;
  assert.equal(new URL(await client.authorizationUrl()).searchParams.get("request_uri"), REQUEST_URI);
});
