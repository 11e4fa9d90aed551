// The device-flow client of the built package (startDeviceAuthorization, pkg/device.js)
// against a provider stub: a node:http server in this file whose token endpoint answers from
// a script each test writes (pending, slow_down, denials, dropped connections, 5xx, hangs,
// hostile answers), with ID tokens signed by `jose`. It checks what RFC 8628 asks of a
// client: the request (§3.1), the answer checked before it is shown (§3.2), the polling
// (§3.4, §3.5: the interval, slow_down, back-off after network failures, the expiry), and
// that a bundler leaves the client out of a page that does not import it.
// tests/e2e/device-client.test.mjs runs the same client against the real provider.
//
// The waits are checked as lower bounds measured by the stub in this process, on the clock the
// client waits by (performance.now()): the stub stamps a request before answering it and the
// client waits from when the answer reached it, so a gap shorter than the interval is a bug,
// never the machine's load. No test sets an upper bound on a time.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import * as jose from "jose";
import { importPackage } from "./package.mjs";
import { rejection, sha256 } from "../shared/node-helpers.mjs";

const { startDeviceAuthorization, OidcEdgeError } = await importPackage();

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const CLIENT = "cli";
const now = () => Math.floor(Date.now() / 1000);
const { privateKey, publicKey } = await jose.generateKeyPair("ES256", { extractable: true });
const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };

/** An ID token for CLIENT from `issuer`, with at_hash for `accessToken`; `claims` override. */
function idToken(issuer, accessToken, claims = {}) {
  const atHash = sha256(accessToken).subarray(0, 16).toString("base64url");
  return new jose.SignJWT({ iss: issuer, aud: CLIENT, sub: "alice", iat: now(), exp: now() + 600, at_hash: atHash, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .sign(privateKey);
}

const json = (res, status, body) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
const oauthError = (error) => ({ status: 400, body: { error, error_description: `${error} from the stub` } });

/**
 * A provider stub on 127.0.0.1: discovery, /device (answers `stub.device`), /token (answers
 * `stub.script`, one step per poll: { status, body }, "tokens", "drop" (the connection cut),
 * "hang" (no answer, ever), or a function (req, res, form) => void), /jwks. `stub.polls`: each
 * poll's { at (performance.now()), form, params, authorization, contentType };
 * `stub.deviceRequest` likewise;
 * `stub.onPoll(poll)` runs as each poll arrives.
 */
async function startStub(t, { script = [], device = {}, discovery = {} } = {}) {
  const stub = { script, polls: [], onPoll: () => {} };
  const http = createServer(async (req, res) => {
    const at = performance.now();
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const params = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    const form = Object.fromEntries(params);
    const { pathname } = new URL(req.url, stub.origin);
    const seen = { at, form, params, authorization: req.headers.authorization, contentType: req.headers["content-type"] };
    if (pathname === "/.well-known/openid-configuration") {
      return json(res, 200, {
        issuer: stub.origin, device_authorization_endpoint: `${stub.origin}/device_authorization`,
        token_endpoint: `${stub.origin}/token`, jwks_uri: `${stub.origin}/jwks`, ...discovery,
      });
    }
    if (pathname === "/jwks") return json(res, 200, { keys: [publicJwk] });
    if (pathname === "/device_authorization") {
      stub.deviceRequest = seen;
      const answer = typeof stub.device === "function" ? stub.device() : { status: 200, body: stub.device };
      if (typeof answer.body === "string") return res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
      return json(res, answer.status, answer.body);
    }
    if (pathname !== "/token") return res.writeHead(404).end();
    stub.polls.push(seen);
    stub.onPoll(seen);
    const step = stub.script[stub.polls.length - 1] ?? oauthError("invalid_grant");
    if (step === "drop") return req.socket.destroy();
    if (step === "hang") {
      stub.hung = new Promise((resolve) => res.on("close", resolve));
      return undefined;
    }
    if (typeof step === "function") return step(req, res, form);
    if (step === "tokens") {
      const accessToken = `at-${stub.polls.length}`;
      return json(res, 200, {
        access_token: accessToken, token_type: "Bearer", expires_in: 600, refresh_token: "rt-1",
        id_token: await idToken(stub.origin, accessToken), scope: "openid profile",
      });
    }
    return json(res, step.status, step.body);
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  stub.origin = `http://127.0.0.1:${http.address().port}`;
  stub.device = {
    device_code: "device-code-secret", user_code: "BCDF-GHJK", verification_uri: `${stub.origin}/device`,
    verification_uri_complete: `${stub.origin}/device?user_code=BCDFGHJK`, expires_in: 600, interval: 1, ...device,
  };
  t.after(() => {
    http.closeAllConnections();
    return new Promise((resolve) => http.close(resolve));
  });
  return stub;
}

const start = (stub, options = {}) =>
  startDeviceAuthorization({ issuer: stub.origin, clientId: CLIENT, scope: "openid profile", ...options });

/** Milliseconds between the device authorization request and each poll, poll to poll. */
const gaps = (stub) => [stub.deviceRequest, ...stub.polls].slice(1).map((poll, i, polls) => poll.at - (i === 0 ? stub.deviceRequest.at : polls[i - 1].at));

/** Asserts each gap is at least the matching number of seconds. */
function assertWaits(stub, seconds) {
  const measured = gaps(stub);
  assert.equal(measured.length, seconds.length, `polls: ${measured.length}`);
  for (const [i, gap] of measured.entries()) {
    assert.ok(gap >= seconds[i] * 1000, `poll ${i + 1} came ${gap.toFixed(1)} ms after the one before, not ${seconds[i]} s`);
  }
}

// The slow tests (each waits the seconds RFC 8628 asks for) run side by side.
describe("startDeviceAuthorization against a provider stub", { concurrency: true }, () => {
  test("§3.1, §3.2: a public client sends client_id, scope and resources; the answer is what to show, the device code kept private", async (t) => {
    const stub = await startStub(t);
    const before = now();
    const device = await start(stub, { resource: ["https://api.example/", "https://files.example/"] });
    assert.equal(stub.deviceRequest.contentType, "application/x-www-form-urlencoded");
    assert.deepEqual([...stub.deviceRequest.params], [
      ["scope", "openid profile"], ["resource", "https://api.example/"], ["resource", "https://files.example/"], ["client_id", CLIENT],
    ]);
    assert.equal(stub.deviceRequest.authorization, undefined);
    assert.equal(device.userCode, "BCDF-GHJK");
    assert.equal(device.verificationUri, `${stub.origin}/device`);
    assert.equal(device.verificationUriComplete, `${stub.origin}/device?user_code=BCDFGHJK`);
    assert.equal(device.expiresIn, 600);
    assert.ok(device.expiresAt >= before + 600 && device.expiresAt <= now() + 600, String(device.expiresAt));
    assert.equal(device.interval, 1);
    // Logged or serialised, the object shows no credential.
    assert.ok(!JSON.stringify(device).includes("device-code-secret"));
    assert.ok(Object.isFrozen(device));
  });

  test("§3.2: without an interval the client waits 5 s (the default)", async (t) => {
    const stub = await startStub(t, { device: { interval: undefined } });
    const device = await start(stub);
    assert.equal(device.interval, 5);
  });

  test("§3.1, RFC 6749 §2.3.1: a confidential client authenticates with HTTP Basic (form-encoded parts), at both endpoints", async (t) => {
    const stub = await startStub(t, { script: ["tokens"] });
    const secret = "s3cret with space+plus/é";
    const device = await start(stub, { clientSecret: secret });
    const basic = `Basic ${Buffer.from(`${CLIENT}:s3cret+with+space%2Bplus%2F%C3%A9`).toString("base64")}`;
    assert.equal(stub.deviceRequest.authorization, basic);
    assert.deepEqual(stub.deviceRequest.form, { scope: "openid profile" }, "no client_id or secret in the body");
    await device.poll();
    assert.equal(stub.polls[0].authorization, basic);
    assert.deepEqual(stub.polls[0].form, { grant_type: GRANT, device_code: "device-code-secret" });
  });

  test("§3.4, §3.5: polls wait the interval from the last answer; pending, then the tokens, the ID token validated", async (t) => {
    const stub = await startStub(t, { script: [oauthError("authorization_pending"), oauthError("authorization_pending"), "tokens"] });
    const device = await start(stub);
    const before = now();
    const tokens = await device.poll();
    assertWaits(stub, [1, 1, 1]);
    for (const poll of stub.polls) assert.deepEqual(poll.form, { grant_type: GRANT, device_code: "device-code-secret", client_id: CLIENT });
    assert.equal(tokens.accessToken, "at-3");
    assert.equal(tokens.tokenType, "Bearer");
    assert.equal(tokens.refreshToken, "rt-1");
    assert.equal(tokens.scope, "openid profile");
    assert.equal(tokens.claims.sub, "alice");
    assert.equal(tokens.claims.aud, CLIENT);
    assert.ok(tokens.expiresAt >= before + 600 && tokens.expiresAt <= now() + 600, String(tokens.expiresAt));
    assert.equal(typeof tokens.idToken, "string");
  });

  test("§3.5: slow_down adds 5 s to that poll's interval and to every later one", async (t) => {
    const stub = await startStub(t, { script: [oauthError("slow_down"), oauthError("authorization_pending"), "tokens"] });
    const device = await start(stub);
    const slowed = [];
    const tokens = await device.poll({ onSlowDown: (interval) => slowed.push(interval) });
    assert.deepEqual(slowed, [6]);
    assert.equal(device.interval, 6);
    assertWaits(stub, [1, 6, 6]);
    assert.equal(tokens.accessToken, "at-3");
  });

  test("§3.5: access_denied, expired_token and other refusals end polling with their codes", async (t) => {
    const cases = [["access_denied", "access_denied"], ["expired_token", "device_code_expired"], ["invalid_grant", "token_error"]];
    await Promise.all(cases.map(async ([error, code]) => {
      const stub = await startStub(t, { script: [oauthError("authorization_pending"), oauthError(error)] });
      const err = await rejection((await start(stub)).poll());
      assert.ok(err instanceof OidcEdgeError);
      assert.equal(err.code, code, error);
      assert.equal(err.error, error);
      assert.equal(err.status, 400);
      assert.equal(err.error_description, `${error} from the stub`);
      assert.equal(stub.polls.length, 2, "no poll after the refusal");
    }));
  });

  test("§3.5: after a dropped connection or an HTTP 503 the wait doubles, each time", async (t) => {
    const stub = await startStub(t, { script: ["drop", { status: 503, body: { error: "temporarily_unavailable" } }, "tokens"] });
    const tokens = await (await start(stub)).poll();
    assertWaits(stub, [1, 2, 4]);
    assert.equal(tokens.accessToken, "at-3");
  });

  test("§3.5: a poll that times out is a network failure too: each next one waits twice as long after it", async (t) => {
    const stub = await startStub(t, { script: ["hang", "hang", "tokens"] });
    // 2 s: long enough for the stub's answers on a loaded machine, which must not time out.
    const tokens = await (await start(stub, { timeout: 2 })).poll();
    // The doubled waits (2 s, then 4 s) count from the timeout, which the client's clock starts
    // before the stub's: the gaps the stub sees are longer than these.
    assertWaits(stub, [1, 2, 4]);
    assert.equal(tokens.accessToken, "at-3");
  });

  test("§3.5: failures until the codes expire end in device_code_expired, the last failure as its cause, no poll past the expiry", async (t) => {
    const stub = await startStub(t, { script: ["drop", "drop", "drop"], device: { expires_in: 3 } });
    const err = await rejection((await start(stub)).poll());
    assert.equal(err.code, "device_code_expired");
    assert.equal(err.cause?.code, "network_error");
    // The first poll after 1 s failed; the next would come 2 s later, at or past the expiry.
    assert.equal(stub.polls.length, 1);
  });

  test("AbortSignal: aborting while waiting stops polling; a later poll() resumes, still waits the interval, and keeps the slow_down", async (t) => {
    const stub = await startStub(t, { script: [oauthError("slow_down"), "tokens"] });
    const device = await start(stub);
    const controller = new AbortController();
    const reason = new Error("the user pressed Ctrl-C");
    // Called before the wait that follows starts; the abort comes once it has.
    const onSlowDown = () => setImmediate(() => controller.abort(reason));
    const err = await rejection(device.poll({ signal: controller.signal, onSlowDown }));
    assert.equal(err.code, "aborted");
    assert.equal(err.cause, reason);
    assert.equal(stub.polls.length, 1);
    const tokens = await device.poll();
    assertWaits(stub, [1, 6]);
    assert.equal(tokens.accessToken, "at-2");
  });

  test("AbortSignal: an abort ends the wait at once, even one of two minutes", { timeout: 60_000 }, async (t) => {
    const stub = await startStub(t, { device: { interval: 120 } });
    const device = await start(stub);
    const controller = new AbortController();
    const polling = device.poll({ signal: controller.signal });
    controller.abort();
    assert.equal((await rejection(polling)).code, "aborted");
    assert.equal(stub.polls.length, 0);
  });

  test("AbortSignal: aborting during a poll cancels its request", { timeout: 60_000 }, async (t) => {
    const stub = await startStub(t, { script: ["hang"] });
    const device = await start(stub, { timeout: 600 });
    const controller = new AbortController();
    stub.onPoll = () => setImmediate(() => controller.abort());
    const err = await rejection(device.poll({ signal: controller.signal }));
    assert.equal(err.code, "aborted");
    await stub.hung; // the stub saw the connection close: the request itself was cancelled
    assert.equal((await rejection(device.poll({ signal: AbortSignal.abort() }))).code, "aborted");
    assert.equal(stub.polls.length, 1);
  });

  test("one poller at a time: a second poll() while one runs is refused (two would poll faster than the interval)", async (t) => {
    const stub = await startStub(t, { script: ["tokens"] });
    const device = await start(stub);
    const first = device.poll();
    const err = await rejection(device.poll());
    assert.equal(err.code, "invalid_option");
    assert.equal((await first).accessToken, "at-1");
    assert.equal(stub.polls.length, 1);
  });
});

describe("what the client refuses", () => {
  test("OIDC Discovery §4.3: an issuer that is not exactly ours, no device endpoint, an endpoint over plain http elsewhere", async (t) => {
    const cases = [
      [{ issuer: "https://other.example" }, /issuer/],
      [{ device_authorization_endpoint: undefined }, /device_authorization_endpoint/],
      [{ token_endpoint: "http://op.example/token" }, /token_endpoint/],
      [{ jwks_uri: undefined }, /jwks_uri/],
    ];
    for (const [discovery, message] of cases) {
      const stub = await startStub(t, { discovery });
      const err = await rejection(start(stub));
      assert.equal(err.code, "discovery_invalid", JSON.stringify(discovery));
      assert.match(err.message, message);
      assert.equal(stub.deviceRequest, undefined, "no device authorization request");
    }
    // The same issuer with a trailing slash is another issuer.
    const stub = await startStub(t);
    assert.equal((await rejection(start(stub, { issuer: `${stub.origin}/` }))).code, "discovery_invalid");
  });

  test("§3.2: an answer unfit to show (control or bidi characters, a code too long, a URI that is not https) or not §3.2's is device_authorization_invalid", async (t) => {
    const cases = [
      { user_code: "BCDF\u001b[2J-GHJK" },
      { user_code: "BCDF-\u202eKJHG" },
      { user_code: "B".repeat(65) },
      { user_code: undefined },
      { device_code: "" },
      { verification_uri: "javascript:alert(1)" },
      { verification_uri: "http://op.example/device" },
      { verification_uri_complete: "file:///etc/passwd" },
      { expires_in: undefined },
      { expires_in: "600" },
      { expires_in: 0 },
      { interval: 0 },
      { interval: 1.5 },
    ];
    for (const device of cases) {
      const stub = await startStub(t, { device });
      const err = await rejection(start(stub));
      assert.equal(err.code, "device_authorization_invalid", JSON.stringify(device));
    }
  });

  test("§3.2: a refusal is device_authorization_error with the provider's error; an answer over 64 KB is response_too_large", async (t) => {
    const stub = await startStub(t);
    const valid = stub.device;
    stub.device = () => ({ status: 400, body: { error: "invalid_scope", error_description: "no such scope" } });
    const err = await rejection(start(stub));
    assert.equal(err.code, "device_authorization_error");
    assert.equal(err.status, 400);
    assert.equal(err.error, "invalid_scope");
    assert.equal(err.error_description, "no such scope");
    stub.device = () => ({ status: 200, body: JSON.stringify({ ...valid, pad: "x".repeat(70_000) }) });
    assert.equal((await rejection(start(stub))).code, "response_too_large");
  });

  test("token responses: a wrong ID token, none though openid was asked, not Bearer, over 64 KB", async (t) => {
    const reply = (body) => (req, res) => json(res, 200, body);
    const cases = [
      [async (origin) => reply({ access_token: "at", token_type: "Bearer", id_token: await idToken(origin, "at", { aud: "another-client" }) }), "jwt_audience_mismatch"],
      [async (origin) => reply({ access_token: "at", token_type: "Bearer", id_token: await idToken("https://evil.example", "at") }), "jwt_issuer_mismatch"],
      [async (origin) => reply({ access_token: "at", token_type: "Bearer", id_token: await idToken(origin, "another access token") }), "id_token_at_hash_mismatch"],
      [async () => reply({ access_token: "at", token_type: "Bearer" }), "token_response_invalid"],
      [async (origin) => reply({ access_token: "at", token_type: "DPoP", id_token: await idToken(origin, "at") }), "token_response_invalid"],
      [async () => reply({ access_token: "a".repeat(70_000), token_type: "Bearer" }), "response_too_large"],
    ];
    await Promise.all(cases.map(async ([answer, code], i) => {
      const stub = await startStub(t);
      stub.script = [await answer(stub.origin)];
      const err = await rejection((await start(stub)).poll());
      assert.equal(err.code, code, `case ${i}: ${err.message}`);
    }));
  });

  test("options: what is missing, misspelt or unsafe is invalid_option, before any request", async () => {
    let requests = 0;
    const base = { issuer: "https://op.example", clientId: CLIENT, scope: "openid", fetch: async () => { requests += 1; throw new Error("no"); } };
    const cases = [
      { scope: undefined },
      { clientId: "" },
      { scope: "openid  profile" },
      { issuer: "http://op.example" },
      { resource: "https://api.example/#frag" },
      { resource: "not a uri" },
      { resource: [1] },
      { timeout: 0 },
      { timeout: 601 },
      { scopes: "openid" },
    ];
    for (const extra of cases) {
      const err = await rejection(startDeviceAuthorization({ ...base, ...extra }));
      assert.equal(err.code, "invalid_option", JSON.stringify(extra));
    }
    assert.equal(requests, 0);
    assert.equal((await rejection(startDeviceAuthorization())).code, "invalid_option");
  });

  test("poll() options: a misspelt one or a signal that is not an AbortSignal is invalid_option", async (t) => {
    const stub = await startStub(t);
    const device = await start(stub);
    assert.equal((await rejection(device.poll({ onSlowdown: () => {} }))).code, "invalid_option");
    assert.equal((await rejection(device.poll({ signal: {} }))).code, "invalid_option");
    assert.equal(stub.polls.length, 0);
  });
});

/** esbuild's bundle of `code` importing the package as an app would, minified. */
async function bundle(code, platform) {
  const result = await esbuild.build({
    stdin: { contents: code, resolveDir: fileURLToPath(new URL("../../", import.meta.url)) },
    bundle: true, write: false, format: "esm", minify: true, platform, logLevel: "silent",
    alias: { "oidc-edge": fileURLToPath(new URL("../../pkg/index.js", import.meta.url)) },
    external: ["*.wasm", "node:*"],
  });
  return result.outputFiles[0].text;
}

test("a page that does not import startDeviceAuthorization bundles none of it (tree-shaken: package.json sideEffects)", async (t) => {
  // Strings found only in device.js.
  const markers = [GRANT, "device_authorization_endpoint", "device_code_expired"];
  const page = await bundle('import { OidcClient, validateIdToken, authenticateRequest } from "oidc-edge"; globalThis.x = [OidcClient, validateIdToken, authenticateRequest];', "browser");
  const cli = await bundle('import { startDeviceAuthorization } from "oidc-edge"; globalThis.x = startDeviceAuthorization;', "node");
  for (const marker of markers) {
    assert.ok(!page.includes(marker), `the page's bundle has no ${marker}`);
    assert.ok(cli.includes(marker), `the CLI's bundle has ${marker}`);
  }
  const gz = (text) => gzipSync(text, { level: 9 }).length;
  const kit = await bundle('import { authenticateRequest } from "oidc-edge"; globalThis.x = authenticateRequest;', "browser");
  const both = await bundle('import { authenticateRequest, startDeviceAuthorization } from "oidc-edge"; globalThis.x = [authenticateRequest, startDeviceAuthorization];', "browser");
  t.diagnostic(`JS minified + gzip -9: a CLI ${gz(cli)} B; the device client adds ${gz(both) - gz(kit)} B to the resource-server kit it shares code with (wasm not included)`);
});
