// The Worker's copies of public documents (worker/src/public-cache.js): what a shared cache
// may keep by the answer's own Cache-Control (RFC 9111 §5.2.2.9 public, §5.2.2.1 max-age,
// §5.2.2.10 s-maxage, §5.2.2.3/4/7 no-cache, no-store, private), matched by URL and by the
// request fields `Vary` names (§4.1), for one deploy (`env`) only, its freshness counting
// down as it ages (§4.2.1). With Node's own Request and Response, which are the Fetch
// standard's as on workerd; the provider's documents on workerd are tests/e2e/op.test.mjs
// ("8. CORS…").
//
//   node --test tests/node/worker-public-cache.test.mjs

import assert from "node:assert/strict";
import { test } from "node:test";

import { PublicCache, countedDown, sharedLifetime } from "../../worker/src/public-cache.js";

const URL_JWKS = "https://op.example/jwks";
const PUBLIC = "public, max-age=300";
const ENV = { name: "the deploy" };

const get = (url = URL_JWKS, headers = {}) => new Request(url, { headers });
const answer = (body, headers = { "cache-control": PUBLIC, "content-type": "application/json" }, status = 200) =>
  new Response(body, { status, headers });

/** A cache on a clock the test moves (milliseconds). */
function cacheWithClock(start = 1_000_000) {
  const clock = { now: start };
  return { cache: new PublicCache(() => clock.now), clock };
}

/** Lets the cache finish reading the clone it learns from. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** What the module stands for in these tests: it never answers a request the copy answered. */
const MODULE = Symbol("the module's answer");

/** The copy `cache` answers `request` with, or undefined when the request goes to the module. */
function copyFor(cache, request, env = ENV) {
  const served = cache.serve(request, env, undefined, () => MODULE);
  return served === MODULE ? undefined : served;
}

/** `request` answered by the module with `response`, and the copy's read finished. */
async function learned(cache, request, response, env = ENV) {
  assert.equal(cache.serve(request, env, undefined, () => response), response, "the module's answer goes out as it is");
  await settle();
}

test("a copy's max-age counts down by its age in seconds: it expires when the module's answer would (RFC 9111 §4.2.1)", async () => {
  const { cache, clock } = cacheWithClock();
  await learned(cache, get(), answer("doc", { "cache-control": "public, max-age=300, s-maxage=200" }));
  const cacheControl = () => copyFor(cache, get(), ENV).headers.get("cache-control");
  assert.equal(cacheControl(), "public, max-age=300, s-maxage=200");
  clock.now += 1;
  assert.equal(cacheControl(), "public, max-age=299, s-maxage=199", "part of a second counts whole: never kept past the module's expiry");
  clock.now += 2_999;
  assert.equal(cacheControl(), "public, max-age=297, s-maxage=197");
  clock.now -= 10_000;
  assert.equal(cacheControl(), "public, max-age=300, s-maxage=200", "a clock that stepped back gives no more than the module did");
  assert.equal(copyFor(cache, get(), ENV).headers.get("age"), null, "no Age: the copy is the origin's own answer");
});

test("a public GET answer is answered again from the copy, body and fields as they were", async () => {
  const { cache } = cacheWithClock();
  await learned(cache, get(), answer('{"keys":[]}', { "cache-control": PUBLIC, "content-type": "application/jwk-set+json" }));
  const first = copyFor(cache, get(), ENV);
  const second = copyFor(cache, get(), ENV);
  assert.ok(first instanceof Response);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("content-type"), "application/jwk-set+json");
  assert.equal(first.headers.get("cache-control"), PUBLIC);
  // Each answer is its own Response with a body of its own: both read in full.
  assert.equal(await first.text(), '{"keys":[]}');
  assert.equal(await second.text(), '{"keys":[]}');
});

test("learning leaves the module's response readable (the copy is read from a clone)", async () => {
  const { cache } = cacheWithClock();
  const response = answer("the document");
  assert.equal(cache.serve(get(), ENV, undefined, () => response), response);
  assert.equal(await response.text(), "the document");
});

test("the copy's read is handed to the runtime's waitUntil, so it may finish after the answer is sent", async () => {
  const { cache } = cacheWithClock();
  const waited = [];
  const ctx = { waitUntil: (promise) => waited.push(promise) };
  cache.serve(get(), ENV, ctx, () => answer("doc"));
  assert.equal(waited.length, 1);
  await waited[0];
  assert.equal(await copyFor(cache, get(), ENV)?.text(), "doc");
});

test("nothing is kept before the module has answered, and another URL is not answered", async () => {
  const { cache } = cacheWithClock();
  assert.equal(copyFor(cache, get(), ENV), undefined);
  await learned(cache, get(), answer("jwks"));
  assert.equal(copyFor(cache, get("https://op.example/.well-known/openid-configuration"), ENV), undefined);
  assert.equal(copyFor(cache, get("https://mtls.op.example/jwks"), ENV), undefined, "the host is part of the URL");
});

test("only what a shared cache may keep is kept (RFC 9111 §5.2.2)", async () => {
  const refused = [
    ["no Cache-Control", {}],
    ["max-age without public", { "cache-control": "max-age=300" }],
    ["private", { "cache-control": "public, private, max-age=300" }],
    ["no-store", { "cache-control": "public, max-age=300, no-store" }],
    ["no-cache", { "cache-control": "public, no-cache, max-age=300" }],
    ["max-age=0", { "cache-control": "public, max-age=0" }],
    ["a malformed max-age", { "cache-control": "public, max-age=3e2" }],
    ["Vary: *", { "cache-control": PUBLIC, vary: "*" }],
    ["a Set-Cookie", { "cache-control": PUBLIC, "set-cookie": "a=b" }],
  ];
  for (const [why, headers] of refused) {
    const { cache } = cacheWithClock();
    await learned(cache, get(), answer("doc", headers));
    assert.equal(copyFor(cache, get(), ENV), undefined, why);
  }
});

test("only a 200 to a GET without a query is kept, and only a GET is answered", async () => {
  for (const [why, request, response] of [
    ["a 404", get(), answer("no", { "cache-control": PUBLIC }, 404)],
    ["a POST", new Request(URL_JWKS, { method: "POST", body: "x" }), answer("doc")],
    ["a HEAD", new Request(URL_JWKS, { method: "HEAD" }), answer(null)],
    ["a query", get(`${URL_JWKS}?x=1`), answer("doc")],
  ]) {
    const { cache } = cacheWithClock();
    await learned(cache, request, response);
    assert.equal(copyFor(cache, request, ENV), undefined, why);
    assert.equal(copyFor(cache, get(request.url), ENV), undefined, why);
  }
  const { cache } = cacheWithClock();
  await learned(cache, get(), answer("doc"));
  assert.equal(copyFor(cache, new Request(URL_JWKS, { method: "HEAD" }), ENV), undefined, "a HEAD goes to the module");
  assert.equal(copyFor(cache, new Request(URL_JWKS, { method: "OPTIONS" }), ENV), undefined, "a preflight goes to the module");
});

test("a promise of a response (an answer that waited on something) is not kept", async () => {
  const { cache } = cacheWithClock();
  await learned(cache, get(), Promise.resolve(answer("doc")));
  assert.equal(copyFor(cache, get(), ENV), undefined);
});

test("the copy lives no longer than max-age, or s-maxage where given (§5.2.2.1, §5.2.2.10)", async () => {
  const { cache, clock } = cacheWithClock();
  await learned(cache, get(), answer("doc"));
  clock.now += 299_999;
  assert.ok(copyFor(cache, get(), ENV), "fresh until the 300th second");
  clock.now += 1;
  assert.equal(copyFor(cache, get(), ENV), undefined, "stale at max-age");

  const shared = cacheWithClock();
  await learned(shared.cache, get(), answer("doc", { "cache-control": "public, max-age=300, s-maxage=10" }));
  shared.clock.now += 10_000;
  assert.equal(copyFor(shared.cache, get(), ENV), undefined, "s-maxage wins for a shared cache");
});

test("an answer that varies by Origin is given only to a request with the same Origin (§4.1)", async () => {
  const { cache } = cacheWithClock();
  const app = "https://app.example";
  await learned(cache, get(URL_JWKS, { origin: app }), answer("doc", { "cache-control": PUBLIC, vary: "Origin", "access-control-allow-origin": app }));
  const same = copyFor(cache, get(URL_JWKS, { origin: app }), ENV);
  assert.equal(same?.headers.get("access-control-allow-origin"), app);
  assert.equal(copyFor(cache, get(URL_JWKS, { origin: "https://evil.example" }), ENV), undefined, "another origin");
  assert.equal(copyFor(cache, get(URL_JWKS), ENV), undefined, "no origin");

  const none = cacheWithClock();
  await learned(none.cache, get(), answer("doc", { "cache-control": PUBLIC, vary: "origin" }));
  assert.ok(copyFor(none.cache, get(), ENV), "a request without the field matches one without it");
  assert.equal(copyFor(none.cache, get(URL_JWKS, { origin: app }), ENV), undefined);
});

test("another env (a new deploy) drops every copy, and a copy read after the switch is not kept", async () => {
  const { cache } = cacheWithClock();
  await learned(cache, get(), answer("old keys"));
  const next = { name: "the next deploy" };
  assert.equal(copyFor(cache, get(), next), undefined);
  assert.equal(copyFor(cache, get(), ENV), undefined, "the old deploy's copy is gone too");

  // Learned under one env, read after another arrived: not kept.
  const late = cacheWithClock();
  late.cache.serve(get(), ENV, undefined, () => answer("old keys"));
  copyFor(late.cache, get(), next);
  await settle();
  assert.equal(copyFor(late.cache, get(), next), undefined);
});

test("bounded: a body over 64 KiB is not kept, nor more than 16 documents", async () => {
  const big = cacheWithClock();
  await learned(big.cache, get(), answer("x".repeat(64 * 1024 + 1)));
  assert.equal(copyFor(big.cache, get(), ENV), undefined);

  const { cache } = cacheWithClock();
  for (let i = 0; i < 17; i++) await learned(cache, get(`https://op.example/doc${i}`), answer(`doc ${i}`));
  assert.ok(copyFor(cache, get("https://op.example/doc15"), ENV));
  assert.equal(copyFor(cache, get("https://op.example/doc16"), ENV), undefined);
});

test("copies past their lifetime give their places to new documents", async () => {
  const { cache, clock } = cacheWithClock();
  await learned(cache, get("https://op.example/short"), answer("short", { "cache-control": "public, max-age=1" }));
  for (let i = 0; i < 15; i++) await learned(cache, get(`https://op.example/doc${i}`), answer(`doc ${i}`));
  await learned(cache, get("https://op.example/late"), answer("late"));
  assert.equal(copyFor(cache, get("https://op.example/late"), ENV), undefined, "16 fresh copies: no place");
  clock.now += 1_000;
  await learned(cache, get("https://op.example/late"), answer("late"));
  assert.equal(await copyFor(cache, get("https://op.example/late"), ENV)?.text(), "late");
  assert.ok(copyFor(cache, get("https://op.example/doc0"), ENV), "the fresh ones stay");
});

test("a request whose fields cannot be read goes to the module", () => {
  const { cache } = cacheWithClock();
  const failing = new Proxy({}, { get() { throw new Error("unreadable"); } });
  assert.equal(copyFor(cache, failing, ENV), undefined);
});

test("the module is asked exactly when no copy answers, and what it answers goes out untouched", async () => {
  const { cache } = cacheWithClock();
  let asked = 0;
  let given;
  const module = (body) => (...args) => {
    asked += 1;
    given = args;
    return answer(body);
  };
  const request = get();
  const ctx = { waitUntil() {} };
  const first = cache.serve(request, ENV, ctx, module("doc"));
  assert.equal(asked, 1);
  assert.deepEqual(given, [request, ENV, ctx], "the module is given the request, env and ctx");
  assert.equal(first.headers.get("cache-control"), PUBLIC, "the module's own answer");
  await settle();
  const copy = cache.serve(get(), ENV, undefined, module("never"));
  assert.equal(asked, 1, "a copy answered: the module was not asked");
  assert.equal(await copy.text(), "doc");
  const post = new Request(URL_JWKS, { method: "POST", body: "x" });
  const denied = answer("no", { "cache-control": "no-store" }, 405);
  assert.equal(cache.serve(post, ENV, undefined, () => denied), denied, "another method goes to the module");
  const failing = new Proxy({}, { get() { throw new Error("unreadable"); } });
  const fallback = answer("the module's");
  assert.equal(cache.serve(failing, ENV, undefined, () => fallback), fallback, "so does an unreadable request");
});

test("a copy's fields are the module's, each once, and an Age the module sent is not kept", async () => {
  const { cache, clock } = cacheWithClock();
  await learned(cache, get(), answer("doc", { "cache-control": PUBLIC, "content-type": "application/json", "access-control-allow-origin": "*", age: "7" }));
  clock.now += 1_000;
  assert.deepEqual([...copyFor(cache, get()).headers], [
    ["access-control-allow-origin", "*"],
    ["cache-control", "public, max-age=299"],
    ["content-type", "application/json"],
  ]);
});

test("countedDown takes the age off max-age and s-maxage only, whatever their case, never below 0", () => {
  assert.equal(countedDown("public, max-age=300", 0), "public, max-age=300");
  assert.equal(countedDown("Public,Max-Age=60 , S-MaxAge=10", 15), "Public, max-age=45, s-maxage=0");
  assert.equal(countedDown("public, max-age=300, must-revalidate", 299), "public, max-age=1, must-revalidate");
});

test("sharedLifetime reads Cache-Control as RFC 9111 §5.2 says", () => {
  assert.equal(sharedLifetime(null), null);
  assert.equal(sharedLifetime("public, max-age=300"), 300);
  assert.equal(sharedLifetime("Public, Max-Age=60"), 60);
  assert.equal(sharedLifetime("max-age=60, public"), 60);
  assert.equal(sharedLifetime("public, s-maxage=5, max-age=60"), 5);
  assert.equal(sharedLifetime("public"), null);
  assert.equal(sharedLifetime("public, max-age=-1"), null);
  assert.equal(sharedLifetime("public, max-age=9999999999"), null);
});
