// OidcClient's session shared across the tabs of an origin (issue 16, item 3), in Chromium:
// pages of one browser context are tabs of one profile (one origin, one IndexedDB, one
// BroadcastChannel and Web Locks scope). The provider is played here by request interception
// (discovery, JWKS, a token endpoint that rotates refresh tokens and counts its requests, ID
// tokens signed with `jose`); the end-to-end run against the real provider is
// tests/e2e/tabs.test.mjs. Each test gets a new context: nothing carries over between them.
//
// What is checked: a new tab adopts an open tab's session; a sign-in and a sign-out reach every
// tab; racing refreshes make one token request, and a refresh whose answer is lost is never
// resent by another tab; and what a tab must not adopt (another client's channel, tokens bound
// to another DPoP key, malformed or stale messages), with the fallbacks (shareSession: false,
// no BroadcastChannel, no Web Locks).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { extname, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as jose from "jose";
import { ORIGIN, launchChromium } from "./chromium.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };
const CLIENT_ID = "spa";
/** A guard against hanging forever on a broken page, not a performance limit. */
const WAIT_MS = 120_000;

let browser;
let signingKey;
let jwk;

before(async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  signingKey = privateKey;
  jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** The provider's answer to one request: { status, body } (JSON) or null for a file. */
async function provide(state, request) {
  const path = new URL(request.url()).pathname;
  if (path === "/.well-known/openid-configuration") {
    return { status: 200, body: { issuer: ORIGIN, authorization_endpoint: `${ORIGIN}/authorize`, token_endpoint: `${ORIGIN}/token`, jwks_uri: `${ORIGIN}/jwks` } };
  }
  if (path === "/jwks") return { status: 200, body: { keys: [jwk] } };
  if (path !== "/token") return null;
  const form = new URLSearchParams(request.postData() ?? "");
  const grant = form.get("grant_type");
  state.requests.push({ grant, refreshToken: form.get("refresh_token") });
  const n = state.requests.length;
  const iat = Math.floor(Date.now() / 1000);
  const tokens = { access_token: `at-${n}`, token_type: "DPoP", expires_in: 600, refresh_token: `rt-${n}` };
  if (grant === "authorization_code") {
    // The test passes the nonce as the code: this provider has no authorization endpoint.
    tokens.id_token = await new jose.SignJWT({ iss: ORIGIN, aud: form.get("client_id"), sub: "s1", iat, exp: iat + 600, nonce: form.get("code") })
      .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "JWT" })
      .sign(signingKey);
    state.current = tokens.refresh_token;
    return { status: 200, body: tokens };
  }
  // Rotation with reuse detection (RFC 9700 §4.14.2): only the latest refresh token works,
  // and a spent one revokes the family.
  if (grant !== "refresh_token" || state.revoked || form.get("refresh_token") !== state.current) {
    state.revoked = true;
    return { status: 400, body: { error: "invalid_grant" } };
  }
  // Slow enough that every racing tab has asked before the first answer: a window, not a bound.
  await new Promise((resolve) => setTimeout(resolve, 200));
  state.current = tokens.refresh_token;
  // The refresh happened here, and its answer is lost on the way (state.dropAnswers of them).
  if (state.dropAnswers > 0) {
    state.dropAnswers--;
    return { drop: true };
  }
  return { status: 200, body: tokens };
}

/** A new context (a fresh profile) with `count` tabs at the blank page; returns { context,
 *  pages, state } where state.requests lists the token requests. */
async function tabs(count) {
  const context = await browser.newContext();
  const state = { requests: [], current: null, revoked: false, errors: [], dropAnswers: 0 };
  await context.route(`${ORIGIN}/**`, async (route) => {
    const answer = await provide(state, route.request());
    if (answer?.drop) return route.abort("connectionreset");
    if (answer) {
      return route.fulfill({ status: answer.status, contentType: "application/json", body: JSON.stringify(answer.body) });
    }
    const file = normalize(decodeURIComponent(new URL(route.request().url()).pathname)).slice(1);
    if (file.split(sep).includes("..")) return route.fulfill({ status: 403 });
    try {
      return route.fulfill({ status: 200, body: await readFile(ROOT + file), contentType: TYPES[extname(file)] ?? "application/octet-stream" });
    } catch {
      return route.fulfill({ status: 404, body: "not found" });
    }
  });
  const pages = [];
  for (let i = 0; i < count; i++) pages.push(await openTab(context, state));
  return { context, pages, state };
}

async function openTab(context, state) {
  const page = await context.newPage();
  page.on("pageerror", (err) => state.errors.push(String(err)));
  await page.goto(`${ORIGIN}/tests/shared/blank.html`);
  return page;
}

/** Creates `window.client` in the page; `window.changes` records onSessionChange. `setup`
 *  runs first in the page (to remove or slow down an API); `options` may name `dpopKey: "new"`. */
function createClient(page, { options = {}, setup = null } = {}) {
  return page.evaluate(async ({ ORIGIN, CLIENT_ID, options, setup }) => {
    if (setup) new Function(setup)();
    const { default: init, OidcClient, DpopKey } = await import("/pkg/index.js");
    window.changes = [];
    if (options.dpopKey === "new") {
      await init();
      options.dpopKey = await DpopKey.generate();
    }
    window.client = await OidcClient.create({
      issuer: ORIGIN, clientId: CLIENT_ID, redirectUri: `${ORIGIN}/cb`,
      onSessionChange: (session) => window.changes.push(session),
      ...options,
    });
    return window.client.thumbprint;
  }, { ORIGIN, CLIENT_ID, options, setup });
}

/** Signs in in the page through handleCallback, the code carrying the nonce. */
function signIn(page) {
  return page.evaluate(async (ORIGIN) => {
    const params = new URL(await window.client.authorizationUrl()).searchParams;
    const callback = `${ORIGIN}/cb?code=${params.get("nonce")}&state=${params.get("state")}`;
    return { ...(await window.client.handleCallback(callback)) };
  }, ORIGIN);
}

const session = (page) => page.evaluate(() => (window.client.session ? { ...window.client.session } : null));
const changes = (page) => page.evaluate(() => window.changes.map((s) => (s ? { ...s } : null)));
/** Waits until the page's access token is no longer `accessToken` (null: until it has one). */
const sessionLeaves = (page, accessToken) =>
  page.waitForFunction((token) => (window.client.session?.accessToken ?? null) !== token, accessToken);

test("chromium: a new tab gets the open tab's session without signing in, and the same DPoP key", { timeout: WAIT_MS }, async () => {
  const { context, pages: [first, second], state } = await tabs(2);
  try {
    const key = await createClient(first);
    const signedIn = await signIn(first);
    assert.equal(await createClient(second), key, "the key saved in IndexedDB");
    await sessionLeaves(second, null);
    assert.deepEqual(await session(second), signedIn);
    assert.deepEqual(await changes(second), [], "not a change: the session create() starts with");
    assert.deepEqual(state.requests.map((r) => r.grant), ["authorization_code"], "one sign-in");
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});

test("chromium: a sign-in reaches the open tabs, and onSessionChange tells them", { timeout: WAIT_MS }, async () => {
  const { context, pages: [first, second], state } = await tabs(2);
  try {
    await createClient(first);
    await createClient(second);
    assert.equal(await session(second), null);
    const signedIn = await signIn(first);
    await sessionLeaves(second, null);
    assert.deepEqual(await session(second), signedIn);
    assert.deepEqual(await changes(second), [signedIn]);
    assert.deepEqual(await changes(first), [], "not for its own sign-in");
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});

test("chromium: tabs refreshing at once make one token request, and all get its session (RFC 9700 §4.14.2)", { timeout: WAIT_MS }, async () => {
  const { context, pages, state } = await tabs(3);
  try {
    for (const page of pages) await createClient(page);
    const signedIn = await signIn(pages[0]);
    for (const page of pages.slice(1)) await sessionLeaves(page, null);
    for (const round of [1, 2]) {
      const before = state.requests.length;
      const results = await Promise.all(pages.map((page) => page.evaluate(async () => ({ ...(await window.client.refresh()) }))));
      const refreshes = state.requests.slice(before);
      assert.equal(refreshes.length, 1, `round ${round}: one token request, not ${JSON.stringify(refreshes)}`);
      assert.equal(refreshes[0].grant, "refresh_token");
      assert.equal(state.revoked, false, "no refresh token was sent twice");
      const expected = `at-${before + 1}`;
      for (const [i, result] of results.entries()) {
        assert.equal(result.accessToken, expected, `tab ${i}: refresh() resolved with the new session`);
        assert.deepEqual(await session(pages[i]), result);
      }
      assert.equal(results[0].claims.sub, signedIn.claims.sub);
    }
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});

test("chromium: a refresh whose answer is lost spends the refresh token for every tab: the waiting tabs give up rather than send it again (RFC 9700 §4.14.2)", { timeout: WAIT_MS }, async () => {
  const { context, pages, state } = await tabs(3);
  try {
    for (const page of pages) await createClient(page);
    const signedIn = await signIn(pages[0]);
    for (const page of pages.slice(1)) await sessionLeaves(page, null);
    const refresh = (page) => page.evaluate(() => window.client.refresh().then(() => "refreshed", (err) => err.code));
    state.dropAnswers = 1;
    const outcomes = await Promise.all(pages.map(refresh));
    const sent = () => state.requests.filter((r) => r.refreshToken === signedIn.refreshToken);
    assert.equal(sent().length, 1, `the refresh token was sent once, not ${sent().length} times`);
    assert.equal(state.revoked, false, "no reuse for the provider to detect");
    // The tab whose answer was lost says why; the tabs that waited for it are told to sign in again.
    assert.deepEqual(outcomes.toSorted(), ["network_error", "no_refresh_token", "no_refresh_token"]);
    for (const [i, page] of pages.entries()) {
      const now = await session(page);
      assert.equal(now.accessToken, signedIn.accessToken, `tab ${i} keeps its access token while it lasts`);
      assert.equal(now.refreshToken, undefined, `tab ${i} holds no spent refresh token`);
    }
    // A later refresh, in any tab, sends nothing.
    const before = state.requests.length;
    assert.deepEqual(await Promise.all(pages.map(refresh)), ["no_refresh_token", "no_refresh_token", "no_refresh_token"]);
    assert.equal(state.requests.length, before);
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});

test("chromium: sign-out in one tab signs out all", { timeout: WAIT_MS }, async () => {
  const { context, pages: [first, second, third], state } = await tabs(3);
  try {
    for (const page of [first, second, third]) await createClient(page);
    const { accessToken } = await signIn(second);
    for (const page of [first, third]) await sessionLeaves(page, null);
    await third.evaluate(() => window.client.signOut());
    for (const page of [first, second]) {
      await sessionLeaves(page, accessToken);
      assert.equal(await session(page), null);
      assert.equal((await changes(page)).at(-1), null);
    }
    // A tab opened afterwards finds no session to adopt.
    const fourth = await openTab(context, state);
    await createClient(fourth);
    assert.equal(await session(fourth), null);
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});

test("chromium: tabs opened at once make one DPoP key between them", { timeout: WAIT_MS }, async () => {
  const { context, pages, state } = await tabs(3);
  try {
    // Key generation made slow, so that each tab would find no key in IndexedDB and make its
    // own, were they not taking turns.
    const slow = `const generate = SubtleCrypto.prototype.generateKey;
      SubtleCrypto.prototype.generateKey = function (...args) {
        return new Promise((resolve) => setTimeout(resolve, 300)).then(() => generate.apply(this, args));
      };`;
    const keys = await Promise.all(pages.map((page) => createClient(page, { setup: slow })));
    assert.equal(new Set(keys).size, 1, JSON.stringify(keys));
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});

test("chromium: not adopted: another client's session, tokens bound to another DPoP key, and with shareSession: false", { timeout: WAIT_MS }, async () => {
  const { context, pages: [first, other, ownKey, off], state } = await tabs(4);
  try {
    await createClient(first);
    await createClient(other, { options: { clientId: "another-spa" } });
    await createClient(ownKey, { options: { dpopKey: "new" } });
    await createClient(off, { options: { shareSession: false } });
    const ownSession = await signIn(ownKey);
    const offSession = await signIn(off);
    const { accessToken } = await signIn(first);
    // A tab of the same client with the shared key, opened last, proves the sign-in was sent.
    const witness = await openTab(context, state);
    await createClient(witness);
    await sessionLeaves(witness, null);
    assert.equal((await session(witness)).accessToken, accessToken);
    assert.equal(await session(other), null, "another clientId: another channel");
    assert.equal((await session(ownKey)).accessToken, ownSession.accessToken, "bound to another key: not adopted");
    assert.equal((await session(off)).accessToken, offSession.accessToken);
    // A sign-out reaches every tab that shares, whatever its key, and no other.
    await first.evaluate(() => window.client.signOut());
    await sessionLeaves(witness, accessToken);
    await sessionLeaves(ownKey, ownSession.accessToken);
    assert.equal((await session(off)).accessToken, offSession.accessToken);
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});

test("chromium: without BroadcastChannel or Web Locks, each tab keeps its own session, as with shareSession: false", { timeout: WAIT_MS }, async () => {
  const { context, pages: [first, noChannel, noLocks], state } = await tabs(3);
  try {
    await createClient(first);
    await createClient(noChannel, { setup: "delete globalThis.BroadcastChannel" });
    await createClient(noLocks, { setup: "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined })" });
    const { accessToken } = await signIn(first);
    const witness = await openTab(context, state);
    await createClient(witness);
    await sessionLeaves(witness, null);
    assert.equal((await session(witness)).accessToken, accessToken, "the sign-in was sent");
    for (const page of [noChannel, noLocks]) {
      assert.equal(await session(page), null);
      // Per tab, as before: its own sign-in and refresh work.
      await signIn(page);
      const refreshed = await page.evaluate(async () => ({ ...(await window.client.refresh()) }));
      assert.equal((await session(page)).accessToken, refreshed.accessToken);
    }
    assert.equal((await session(witness)).accessToken, accessToken, "their sign-ins were not sent");
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});

test("chromium: malformed, stale or oversized messages on the channel are ignored; a well-formed newer one is adopted", { timeout: WAIT_MS }, async () => {
  const { context, pages: [target, sender], state } = await tabs(2);
  try {
    const thumbprint = await createClient(target);
    const results = await sender.evaluate(async ({ ORIGIN, CLIENT_ID, thumbprint }) => {
      const channel = new BroadcastChannel(`oidc-edge:${JSON.stringify([ORIGIN, CLIENT_ID])}`);
      let answer = null;
      channel.onmessage = ({ data }) => answer?.(data);
      // The target tab's access token, asked over the channel: messages from one channel
      // arrive in order, so the answer comes after the target has handled those sent before.
      const held = () => new Promise((resolve) => {
        answer = (data) => data?.t === "session" && resolve(data.s.accessToken);
        channel.postMessage({ t: "ask" });
      });
      const valid = {
        accessToken: "at-good", tokenType: "DPoP", expiresAt: 2e9, refreshToken: "rt-good",
        idToken: "x.y.z", claims: { sub: "s1", name: "N" }, scope: "openid", jkt: thumbprint,
      };
      const results = {};
      // Signed in by a well-formed message: the channel is the client's.
      const at = 1e13;
      channel.postMessage({ t: "session", at, s: valid });
      results.valid = await held();
      const cyclic = { sub: "s1" };
      cyclic.self = cyclic;
      const newer = at + 1;
      const session = (change) => ({ t: "session", at: newer, s: { ...valid, accessToken: "at-bad", ...change } });
      const ignored = {
        "not an object": "session",
        number: 42,
        null: null,
        array: [],
        "no type": { at: newer, s: { ...valid, accessToken: "at-bad" } },
        "unknown type": { ...session({}), t: "hello" },
        "no at": { ...session({}), at: undefined },
        "at as a string": { ...session({}), at: String(newer) },
        "at NaN": { ...session({}), at: NaN },
        "at Infinity": { ...session({}), at: Infinity },
        "no session": { t: "session", at: newer },
        "session as a string": { t: "session", at: newer, s: JSON.stringify(session({}).s) },
        "accessToken a number": session({ accessToken: 7 }),
        "accessToken not token68": session({ accessToken: "at bad" }),
        "accessToken over 64 KiB": session({ accessToken: "a".repeat(65537) }),
        "tokenType Bearer": session({ tokenType: "Bearer" }),
        "bound to another key": session({ jkt: "A".repeat(43) }),
        "no jkt": session({ jkt: undefined }),
        "expiresAt a string": session({ expiresAt: "2000000000" }),
        "refreshToken a number": session({ refreshToken: 1 }),
        "refreshToken with a newline": session({ refreshToken: "rt\n" }),
        "refreshToken null": session({ refreshToken: null }),
        "no idToken": session({ idToken: undefined }),
        "scope a number": session({ scope: 1 }),
        "claims an array": session({ claims: ["s1"] }),
        "claims without sub": session({ claims: { name: "N" } }),
        "sub a number": session({ claims: { sub: 1 } }),
        "claims with a cycle": session({ claims: cyclic }),
        "claims over 64 KiB": session({ claims: { sub: "s1", big: "b".repeat(65536) } }),
        "a field not of a session": session({ admin: true }),
        "an older session": { ...session({}), at: at - 1 },
        "a session as old as the current": { ...session({}), at },
        "out without at": { t: "out", s: null },
        "out with a string at": { t: "out", at: String(newer), s: null },
        "an older out": { t: "out", at: at - 1, s: null },
      };
      for (const [name, message] of Object.entries(ignored)) {
        channel.postMessage(message);
        results[name] = await held();
      }
      // A newer sign-out: the target has nothing left to answer with.
      channel.postMessage({ t: "out", at: newer, s: null });
      return results;
    }, { ORIGIN, CLIENT_ID, thumbprint });
    const { valid, ...ignored } = results;
    assert.equal(valid, "at-good", "a well-formed message is adopted");
    assert.ok(Object.keys(ignored).length >= 30);
    for (const [name, accessToken] of Object.entries(ignored)) assert.equal(accessToken, "at-good", `ignored: ${name}`);
    await sessionLeaves(target, "at-good");
    assert.equal(await session(target), null, "a newer sign-out signs out");
    const seen = await changes(target);
    assert.deepEqual(seen.map((s) => s?.accessToken ?? null), ["at-good", null], "one change each, nothing else");
    assert.deepEqual(state.errors, []);
  } finally {
    await context.close();
  }
});
