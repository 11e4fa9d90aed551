// The limits the Worker puts on what it reads for the provider (worker/src/fetch.js `getCapped`,
// `getBearerCapped`, `postFormCapped`): a client's `jwks_uri` or metadata document, an upstream
// provider's documents, token and UserInfo endpoints. The core asks for a byte cap and a
// deadline (src/op/kept.rs, 5,000 ms; tests/op/client_metadata_documents.rs checks that it asks);
// these tests check that they hold where the bytes arrive: one deadline over the headers and
// the whole body, so an endpoint that answers slowly, or never stops answering, is a timeout
// and not a request held open; a body past the cap is refused, by its Content-Length before a
// byte of it is read, or while it arrives; a redirect is answered, never followed. With Node's
// own fetch (undici), whose fetch, streams and AbortSignal.timeout follow the same standards as
// workerd's, and which, like workerd, answers `redirect: "manual"` with the 3xx itself rather
// than the Fetch standard's opaque redirect.
//
//   node --test tests/node/worker-fetch-limits.test.mjs

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { getBearerCapped, getCapped, postFormCapped } from "../../worker/src/fetch.js";

/** Short, so a test meets it at once; the provider's own is 5,000 ms. */
const DEADLINE_MS = 300;
/** A deadline no test reaches, for the tests that are about the byte cap. */
const NO_DEADLINE_MS = 24 * 3600 * 1000;
const CAP = 1024;
/**
 * How long node:test lets a test run before failing it: a guard against a deadline that does
 * not hold (the read would wait forever), not a measurement.
 */
const HANG_GUARD = { timeout: 60_000 };

let server;
let base;
/** Each request the server received: { method, path, accept, authorization, contentType, body }. */
const received = [];
/** Timers of answers still trickling, cleared when the server closes. */
const timers = new Set();

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      received.push({
        method: req.method,
        path: req.url,
        accept: req.headers.accept,
        authorization: req.headers.authorization,
        contentType: req.headers["content-type"],
        body,
      });
      const path = req.url;
      if (path === "/silent") return; // no status line, ever
      if (path === "/trickle") {
        // Headers at once, then a byte every 50 ms for ever: under the cap for minutes.
        res.writeHead(200, { "content-type": "application/json" });
        const timer = setInterval(() => res.write(" "), 50);
        timers.add(timer);
        res.on("close", () => { clearInterval(timer); timers.delete(timer); });
        return undefined;
      }
      if (path === "/declared-too-large") {
        // Declares more than the cap and then sends nothing: only the declared length can
        // tell, and it must be read before waiting on the body.
        res.writeHead(200, { "content-type": "application/json", "content-length": String(CAP + 1) });
        return res.flushHeaders();
      }
      if (path === "/endless") {
        // No length, and a body that never ends: only the running count can stop it.
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(256, "x");
        const more = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once("drain", more);
        };
        return more();
      }
      if (path === "/exactly-cap") {
        return res
          .writeHead(200, { "content-type": "application/jwk-set+json", "cache-control": "max-age=60" })
          .end("k".repeat(CAP));
      }
      if (path === "/moved") return res.writeHead(302, { location: "/exactly-cap" }).end();
      return res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  for (const timer of timers) clearInterval(timer);
  server.closeAllConnections();
  server.close();
});

test("the deadline covers the wait for the status line: an endpoint that never answers is timed_out", HANG_GUARD, async () => {
  const answer = await getCapped(`${base}/silent`, CAP, DEADLINE_MS);
  assert.equal(answer.failure, "timed_out", JSON.stringify(answer));
});

test("the deadline covers the whole body: headers at once, then a byte at a time for ever, is timed_out", HANG_GUARD, async () => {
  for (const answer of [
    await getCapped(`${base}/trickle`, CAP, DEADLINE_MS),
    await getBearerCapped(`${base}/trickle`, "the-token", CAP, DEADLINE_MS),
    await postFormCapped(`${base}/trickle`, "", new TextEncoder().encode("grant_type=x"), CAP, DEADLINE_MS),
  ]) {
    assert.equal(answer.failure, "timed_out", JSON.stringify(answer));
  }
});

test("a declared Content-Length over the cap is too_large before any of the body arrives", HANG_GUARD, async () => {
  // No deadline to end it: the body never comes, so only the declared length can.
  const answer = await getCapped(`${base}/declared-too-large`, CAP, NO_DEADLINE_MS);
  assert.deepEqual(answer, { failure: "too_large", detail: `Content-Length ${CAP + 1}` });
});

test("a body of no declared length is refused as it passes the cap, and the rest is not read", HANG_GUARD, async () => {
  const closed = new Promise((resolve) => server.once("request", (_req, res) => res.on("close", resolve)));
  const answer = await getCapped(`${base}/endless`, CAP, NO_DEADLINE_MS);
  assert.deepEqual(answer, { failure: "too_large", detail: `over ${CAP} bytes` });
  // The reader let go, so the endless answer's connection closed (else this waits until
  // HANG_GUARD fails the test).
  await closed;
});

test("a body of exactly the cap is read whole, with its status, Content-Type and Cache-Control", async () => {
  const answer = await getCapped(`${base}/exactly-cap`, CAP, DEADLINE_MS * 10);
  assert.equal(answer.status, 200);
  assert.equal(answer.contentType, "application/jwk-set+json");
  assert.equal(answer.cacheControl, "max-age=60");
  assert.equal(answer.body.byteLength, CAP);
  assert.equal(new TextDecoder().decode(answer.body), "k".repeat(CAP));
});

test("a redirect is answered as it is, never followed (the core refuses it)", async () => {
  const before = received.length;
  const answer = await getCapped(`${base}/moved`, CAP, DEADLINE_MS * 10);
  assert.equal(answer.status, 302);
  assert.deepEqual(received.slice(before).map(({ path }) => path), ["/moved"]);
});

test("what each request sends: the Accept of a key set, the Bearer token, the form and its client authentication", async () => {
  const before = received.length;
  const form = new TextEncoder().encode("grant_type=authorization_code&code=c");
  await getCapped(`${base}/plain`, CAP, DEADLINE_MS * 10);
  await getBearerCapped(`${base}/userinfo`, "the-token", CAP, DEADLINE_MS * 10);
  await postFormCapped(`${base}/token`, "Basic Y2xpZW50OnNlY3JldA==", form, CAP, DEADLINE_MS * 10);
  await postFormCapped(`${base}/token-public`, "", form, CAP, DEADLINE_MS * 10);
  const [plain, userinfo, token, publicToken] = received.slice(before);
  assert.equal(plain.method, "GET");
  assert.equal(plain.accept, "application/jwk-set+json, application/json");
  assert.equal(plain.authorization, undefined);
  assert.equal(userinfo.authorization, "Bearer the-token");
  assert.equal(token.method, "POST");
  assert.equal(token.contentType, "application/x-www-form-urlencoded");
  assert.equal(token.authorization, "Basic Y2xpZW50OnNlY3JldA==");
  assert.equal(token.body, "grant_type=authorization_code&code=c");
  // An empty authorization is none at all (a public client), not an empty field.
  assert.equal(publicToken.authorization, undefined);
});
