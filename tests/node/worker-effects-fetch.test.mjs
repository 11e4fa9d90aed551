// The Worker's POSTs for the provider's effects (worker/src/fetch.js `postStatus`): a CIBA ping
// or a back-channel logout token, whose answer's body both specifications say to ignore (CIBA
// Core 1.0 §10.2, Back-Channel Logout 1.0 §2.8). Only the status is taken and the body is
// cancelled unread, so an endpoint answering 200 with a page of any size — here one that never
// ends — has received the POST; no redirect is followed. With Node's own fetch, which is the
// Fetch standard's as on workerd; the same on workerd is tests/e2e/ciba.test.mjs ("100 KiB").
//
//   node --test tests/node/worker-effects-fetch.test.mjs

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { postStatus } from "../../worker/src/fetch.js";

const TIMEOUT_MS = 5_000;
/** Each POST the server received: { path, authorization, contentType, body }. */
const received = [];
/** Resolves with how many body bytes the endless answer sent before its reader went away. */
let endlessClosed;
let server;
let base;

before(async () => {
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
  server.closeAllConnections();
  server.close();
});

const post = (path, authorization = "Bearer the-token") =>
  postStatus(`${base}${path}`, "application/json", authorization, new TextEncoder().encode('{"auth_req_id":"a"}'), TIMEOUT_MS);

test("a 200 whose body never ends is a delivery: the status is taken, the body cancelled unread (CIBA Core §10.2)", async () => {
  const closed = new Promise((resolve) => { endlessClosed = resolve; });
  assert.deepEqual(await post("/endless"), { status: 200 });
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
