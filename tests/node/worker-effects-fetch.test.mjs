// The Worker's POSTs for the provider's effects (worker/src/fetch.js `postStatus`): a CIBA ping
// or a back-channel logout token, whose answer's body both specifications say to ignore (CIBA
// Core 1.0 §10.2, Back-Channel Logout 1.0 §2.8). Only the status is taken and the body is
// cancelled unread, so an endpoint answering 200 with a page of any size — here one that never
// ends — has received the POST; no redirect is followed. With Node's own fetch, which is the
// Fetch standard's as on workerd; the same on workerd is tests/e2e/ciba.test.mjs ("100 KiB").
// A failure's `detail` (logged) shows a URL without its query, as every log line does.
//
//   node --test tests/node/worker-effects-fetch.test.mjs

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { errorDetail, getCapped, postStatus, withoutQuery } from "../../worker/src/fetch.js";

const TIMEOUT_MS = 5_000;
/** A deadline no test reaches: with it only the cancel can let an endless answer go. */
const NO_DEADLINE_MS = 24 * 3600 * 1000;
/**
 * How long node:test lets a test run before failing it: a guard against a hang (an endless
 * answer nobody cancels), not a measurement.
 */
const HANG_GUARD = { timeout: 60_000 };
/** Each POST the server received: { path, authorization, contentType, body }. */
const received = [];
/** Resolves with how many body bytes the endless answer sent before its reader went away. */
let endlessClosed;
let server;
let base;
/**
 * The URL of each answer whose body was cancelled. The runtime's own fetch answers; its
 * answers' `body.cancel` is only observed, as the runtime may also let an unread body go
 * when it collects the answer, and the test must see the cancel itself.
 */
const cancelled = [];
const runtimeFetch = globalThis.fetch;

before(async () => {
  globalThis.fetch = async (input, init) => {
    const response = await runtimeFetch(input, init);
    const body = response.body;
    if (body) {
      const cancel = body.cancel.bind(body);
      body.cancel = (reason) => {
        cancelled.push(String(input));
        return cancel(reason);
      };
    }
    return response;
  };
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      received.push({ path: req.url, authorization: req.headers.authorization, contentType: req.headers["content-type"], body });
      if (req.url === "/moved") return res.writeHead(307, { location: "/followed" }).end();
      if (req.url === "/refused") return res.writeHead(503).end("down");
      // 200 with a page that never ends: only a reader that stops reading lets it go.
      res.writeHead(200, { "content-type": "text/html" });
      const chunk = Buffer.alloc(16 * 1024, "x");
      let sent = 0;
      const more = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once("drain", more);
      };
      res.on("close", () => endlessClosed?.(sent));
      more();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  globalThis.fetch = runtimeFetch;
  server.closeAllConnections();
  server.close();
});

const post = (path, authorization = "Bearer the-token", timeoutMs = TIMEOUT_MS) =>
  postStatus(`${base}${path}`, "application/json", authorization, new TextEncoder().encode('{"auth_req_id":"a"}'), timeoutMs);

test("a 200 whose body never ends is a delivery: the status is taken, the body cancelled unread (CIBA Core §10.2)", HANG_GUARD, async () => {
  const closed = new Promise((resolve) => { endlessClosed = resolve; });
  // No deadline that could end the read: the connection closes only if the body is cancelled.
  assert.deepEqual(await post("/endless", "Bearer the-token", NO_DEADLINE_MS), { status: 200 });
  assert.deepEqual(cancelled, [`${base}/endless`], "the body is cancelled, not left to the runtime");
  // The connection is let go: the answer's reader went away rather than reading on.
  assert.equal(typeof (await closed), "number");
  const [sent] = received.filter((r) => r.path === "/endless");
  assert.equal(sent.authorization, "Bearer the-token");
  assert.equal(sent.contentType, "application/json");
  assert.equal(sent.body, '{"auth_req_id":"a"}');
});

test("a redirect is answered as it is, not followed (CIBA Core §10.2); an error status is returned as it is", async () => {
  assert.deepEqual(await post("/moved"), { status: 307 });
  assert.deepEqual(received.filter((r) => r.path === "/followed"), []);
  assert.deepEqual(await post("/refused"), { status: 503 });
});

test("no Authorization is sent when none is given (a back-channel logout token)", async () => {
  assert.deepEqual(await post("/endless-2", ""), { status: 200 });
  assert.equal(received.find((r) => r.path === "/endless-2").authorization, undefined);
});

test("an endpoint nobody answers at is a failure with the runtime's message, never the token", async () => {
  const closed = createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  const answer = await postStatus(`http://127.0.0.1:${port}/gone`, "application/json", "Bearer the-token", new Uint8Array(1), TIMEOUT_MS);
  assert.equal(answer.failure, "failed");
  assert.equal(typeof answer.detail, "string");
  assert.ok(!answer.detail.includes("the-token"), answer.detail);
});

test("a failure's detail shows the URL without its query: a query may carry a client's key", async () => {
  const url = "http://[unparsable/notify?tenant_key=the-tenant-key#frag";
  for (const answer of [
    await postStatus(url, "application/json", "Bearer the-token", new Uint8Array(1), TIMEOUT_MS),
    await getCapped(url, 1024, TIMEOUT_MS),
  ]) {
    assert.equal(answer.failure, "failed");
    // The runtime quotes the URL ("Failed to parse URL from <url>"): without its query.
    assert.ok(answer.detail.includes("http://[unparsable/notify"), answer.detail);
    assert.ok(!answer.detail.includes("tenant_key"), answer.detail);
    assert.ok(!answer.detail.includes("frag"), answer.detail);
  }
  // A message that quotes the URL in another form (here without its fragment) loses the
  // query all the same.
  const quoted = new Error("Fetch API cannot load: https://client.example/jwks?k=secret-value.");
  assert.equal(
    errorDetail(quoted, "https://client.example/jwks?k=secret-value#f"),
    "Error: Fetch API cannot load: https://client.example/jwks",
  );
  assert.equal(withoutQuery("https://client.example/jwks?k=v#f"), "https://client.example/jwks");
  assert.equal(withoutQuery("https://client.example/jwks"), "https://client.example/jwks");
});
