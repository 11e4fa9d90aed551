// Hostile input on `wrangler dev`, concurrently with legitimate traffic (issue 12, finding 1:
// one `Authorization` value whose 7th byte fell inside a multi-byte character trapped the
// wasm, and the trap failed 11 of 20 concurrent legitimate requests on the same isolate).
//
//   node --test tests/e2e/hostile.test.mjs
//
// What the OP reads is not guessed: the routes come from the route table (src/op/routes.rs),
// and the parameters, header fields and cookies each route reads from its handler's source
// files (`params.get("…")`, `header("…")`, `cookie(…)`). Each one is sent,
// on its route, with hostile values: non-ASCII (UTF-8 characters straddling the byte offsets
// a parser might slice at, like `Basicé`), raw bytes that are not UTF-8 (over a bare socket:
// `fetch` refuses them), bad percent-escapes, empty, and oversized values; plus whole queries
// and bodies that are hostile. Meanwhile, legitimate clients run code flows, client
// credentials and discovery in a loop. Every legitimate request must succeed, no hostile one
// may get a 5xx (RFC 9110 §15.6: a server error is the server's fault, never the input's),
// and the OP must be healthy afterwards.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Browser, parseForm, rawRequest, rawSend } from './browserless.mjs';
import { addCibaClient, addDeviceClients, addExchangeClients, opFixture } from './fixture.mjs';
import {
  basicAuth, call, dpopKey, dpopProof, pkce, pool, signIn, tokenRequest, withDpopNonce,
} from './flows.mjs';
import { ROOT, freePort, startWrangler } from './wrangler.mjs';

const HOSTILE_CONCURRENCY = 12;
/** A well-formed S256 challenge (RFC 7636 §4.2) for requests that never reach the token endpoint. */
const CHALLENGE = pkce().challenge;
const LEGIT_LOOPS = 2;

// --- what the OP reads, from its source ---------------------------------------------------

const source = (path) => {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const tests = text.indexOf('#[cfg(test)]');
  return tests < 0 ? text : text.slice(0, tests);
};
const matches = (text, re) => [...text.matchAll(re)].map((m) => m[1]);

/** Every .rs file under src/op, relative to it. */
function opFiles(dir = 'src/op') {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? opFiles(join(dir, e.name)) : e.name.endsWith('.rs') ? [join(dir, e.name)] : []);
}
const OP_FILES = opFiles().map((f) => f.slice('src/op/'.length));

/** `const NAME: &str = "value";` across src/op, for header and cookie names; a `Cookie`
 *  constant (`Cookie { plain: "…", host_only: "…" }`) by its plain name, the one an
 *  http://localhost issuer uses. */
const constants = Object.fromEntries(
  OP_FILES.flatMap((f) => [
    ...source(join('src/op', f)).matchAll(/const\s+([A-Z_]+)\s*:\s*&str\s*=\s*"([^"]*)"/g),
    ...source(join('src/op', f)).matchAll(/const\s+([A-Z_]+)\s*:\s*Cookie\s*=\s*Cookie\s*\{\s*plain:\s*"([^"]*)"/g),
  ]).map((m) => [m[1], m[2]]),
);

/** The parameters, header fields and cookies read in `files` (relative to src/op). */
function readsOf(files) {
  const params = new Set();
  const headers = new Set();
  const cookies = new Set();
  for (const file of files) {
    const text = source(join('src/op', file));
    for (const n of matches(text, /params\s*\.\s*(?:get|has)\(\s*"([^"]+)"\s*\)/g)) params.add(n);
    for (const n of matches(text, /\.header(?:_all)?\(\s*"([^"]+)"\s*\)/g)) headers.add(n);
    for (const n of matches(text, /\.header(?:_all)?\(\s*([A-Z_]+)\s*\)/g)) {
      assert.ok(constants[n], `header constant ${n} (${file}) resolved`);
      headers.add(constants[n]);
    }
    for (const n of matches(text, /\.cookie(?:_value)?\(\s*(?:req\s*,\s*)?(?:[a-z_]+::)*([A-Z_]+)\s*\)/g)) {
      assert.ok(constants[n], `cookie constant ${n} (${file}) resolved`);
      cookies.add(constants[n]);
    }
  }
  return { params: [...params].sort(), headers: [...headers].sort(), cookies: [...cookies].sort() };
}
const readsAnything = (file) => {
  const r = readsOf([file]);
  return r.params.length + r.headers.length + r.cookies.length > 0;
};

/** The routes the OP answers: [[method, path]…], from src/op/routes.rs's table (`Route { path,
 *  methods, … }`) or, before it, src/op/provider.rs's match arms (`("GET" | "POST", "/path")`). */
function routes() {
  const out = [];
  if (existsSync(join(ROOT, 'src/op/routes.rs'))) {
    for (const m of source('src/op/routes.rs').matchAll(/Route\s*\{[^}]*?path:\s*"([^"]+)"[^}]*?methods:\s*"([^"]+)"/g)) {
      for (const method of m[2].split(/\s*,\s*/)) out.push([method, m[1]]);
    }
    return out;
  }
  for (const m of source('src/op/provider.rs').matchAll(/\(\s*((?:"[A-Z]+"\s*\|\s*)*"[A-Z]+")\s*,\s*"(\/[^"]*)"\s*\)/g)) {
    for (const method of matches(m[1], /"([A-Z]+)"/g)) out.push([method, m[2]]);
  }
  return out;
}

/**
 * Where each route's handler reads its input, as patterns over the files of src/op: its
 * endpoint module and the modules it reads through (the page flow, client authentication, the
 * grants, the resource checks). Files that read input and match no route here (a module added
 * later) are not lost: what they read is sent to every route.
 */
const ROUTE_FILES = {
  '/authorize': [/^endpoints\/authorize\.rs$/, /^authorize\//, /^flow\.rs$/, /^claims\.rs$/, /^token\/target\.rs$/],
  '/login': [/^endpoints\/login\.rs$/, /^flow\.rs$/, /^throttle\.rs$/],
  '/consent': [/^endpoints\/consent\.rs$/, /^flow\.rs$/],
  '/token': [/^endpoints\/token\.rs$/, /^token(\.rs$|\/)/, /^client_auth\.rs$/, /^clients\//, /^grant(\.rs$|\/)/],
  '/userinfo': [/^endpoints\/userinfo\.rs$/, /^resource\.rs$/],
  '/api/me': [/^endpoints\/api_me\.rs$/, /^resource\.rs$/],
  '/revoke': [/^endpoints\/revoke\.rs$/, /^clients\//, /^grant(\.rs$|\/)/, /^resource\.rs$/],
  '/introspect': [/^endpoints\/introspect\.rs$/, /^clients\//, /^grant(\.rs$|\/)/, /^resource\.rs$/],
  '/end_session': [/^endpoints\/end_session\.rs$/, /^flow\.rs$/],
  '/device_authorization': [/^endpoints\/device_authorization\.rs$/, /^clients\//, /^device\//, /^token\/target\.rs$/],
  '/bc-authorize': [/^endpoints\/bc_authorize\.rs$/, /^clients\//, /^ciba\//, /^token\/target\.rs$/],
  '/ciba': [/^endpoints\/ciba\.rs$/, /^ciba\//, /^flow\.rs$/, /^throttle\.rs$/, /^endpoints\/login\.rs$/],
  '/device': [/^endpoints\/device\.rs$/, /^device\//, /^flow\.rs$/, /^throttle\.rs$/, /^endpoints\/login\.rs$/],
  '/jwks': [],
  '/.well-known/openid-configuration': [],
  '/.well-known/oauth-authorization-server': [],
  '/.well-known/oauth-protected-resource/api/me': [/^endpoints\/resource_metadata\.rs$/],
  '/register': [/^endpoints\/register\.rs$/, /^clients\//, /^throttle\.rs$/],
  '/register/': [/^endpoints\/client_configuration\.rs$/, /^endpoints\/register\.rs$/, /^clients\//],
  '/par': [/^endpoints\/par\.rs$/, /^authorize\//, /^clients\//, /^claims\.rs$/, /^token\/target\.rs$/],
};
/** The route a request path is served by: its own, or the prefix route (`/register/`) it extends. */
const routeOf = (path) =>
  path in ROUTE_FILES ? path : Object.keys(ROUTE_FILES).find((p) => p.endsWith('/') && path.startsWith(p)) ?? path;
/** Read for every request: routing and CORS, form bodies and cookies. */
const COMMON_FILES = [/^provider\.rs$/, /^routes\.rs$/, /^http\.rs$/];
const claimed = (file) => [...Object.values(ROUTE_FILES).flat(), ...COMMON_FILES].some((re) => re.test(file));
/** Files that read input but belong to no route above: sent everywhere. */
const UNCLAIMED = OP_FILES.filter((f) => !claimed(f) && readsAnything(f));
const COMMON = readsOf([...OP_FILES.filter((f) => COMMON_FILES.some((re) => re.test(f))), ...UNCLAIMED]);
COMMON.headers.push('content-length'); // worker/src/convert.rs: the body cap, before reading

function readsOfRoute(path) {
  const own = readsOf(OP_FILES.filter((f) => (ROUTE_FILES[path] ?? []).some((re) => re.test(f))));
  return {
    params: [...new Set([...own.params, ...COMMON.params])].sort(),
    headers: [...new Set([...own.headers, ...COMMON.headers])].sort(),
    cookies: [...new Set([...own.cookies, ...COMMON.cookies])].sort(),
  };
}

// --- hostile values -----------------------------------------------------------------------

const utf8 = (s) => Buffer.from(s, 'utf8');
const bytes = (...b) => Buffer.from(b);

/**
 * Header values, as raw bytes. Several put a multi-byte UTF-8 character across byte offsets
 * 4 to 8, where a parser looking for `Basic `, `Bearer ` or `DPoP ` might slice; the
 * `latin1` ones are single bytes ≥ 0x80 (what `fetch` sends for U+0080-U+00FF: not UTF-8).
 */
const HEADER_VALUES = [
  ['empty', Buffer.alloc(0)],
  ['é', utf8('é')],
  ['Basicé (UTF-8, bytes 5-6)', utf8('Basicéxyz')],
  ['Basic€ (UTF-8, bytes 5-7)', utf8('Basic€xyz')],
  ['Basi𐍈 (UTF-8, bytes 4-7)', utf8('Basi𐍈xyz')],
  ['Beareré (UTF-8, bytes 6-7)', utf8('Beareréx a.b.c')],
  ['DPoP𐍈 (UTF-8, bytes 4-7)', utf8('DPoP𐍈 a.b.c')],
  ['Basic é (after the space)', utf8('Basic éé==')],
  ['40 × é', utf8('é'.repeat(40))],
  ['Basic\\xE9 (latin1)', Buffer.concat([utf8('Basic'), bytes(0xe9, 0x78, 0x79)])],
  ['Bearer \\xFF\\xFE (not UTF-8)', Buffer.concat([utf8('Bearer '), bytes(0xff, 0xfe, 0xfd)])],
  ['Basic \\xC3\\x28 (bad continuation)', Buffer.concat([utf8('Basic '), bytes(0xc3, 0x28)])],
  ['DPoP \\xE2\\x82 (truncated)', Buffer.concat([utf8('DPoP '), bytes(0xe2, 0x82)])],
  ['\\xC0\\xAF (overlong)', bytes(0xc0, 0xaf)],
  ['\\xED\\xA0\\x80 (surrogate)', bytes(0xed, 0xa0, 0x80)],
  ['8 KiB + 1', utf8('a'.repeat(8 * 1024 + 1))],
  ['64 KiB', utf8('B'.repeat(64 * 1024))],
];

/**
 * Parameter values as they go on the wire (already in form-urlencoded shape): bad
 * escapes, escaped non-ASCII, raw bytes, empty, oversized. `null` stands for "the
 * parameter twice" (RFC 6749 §3.1: parameters MUST NOT repeat).
 */
const PARAM_VALUES = [
  ['empty', ''],
  ['%', utf8('%')],
  ['%G0', utf8('%G0')],
  ['%C3%28 (escaped, not UTF-8)', utf8('%C3%28')],
  ['%FF', utf8('%FF')],
  ['%C3 (truncated)', utf8('%C3')],
  ['%E2%82% (truncated, bare %)', utf8('%E2%82%')],
  ['%u00e9', utf8('%u00e9')],
  ['%00', utf8('%00')],
  ['Basicé escaped', utf8('Basic%C3%A9xyz')],
  ['𐍈 escaped', utf8(encodeURIComponent('ab𐍈cd'))],
  ['é raw UTF-8', utf8('Basicé')],
  ['\\xFF raw', bytes(0x61, 0xff, 0x62)],
  ['\\xC3\\x28 raw', bytes(0xc3, 0x28)],
  ['<script> escaped', utf8(encodeURIComponent('"><script>alert(1)</script>'))],
  ['8 KiB + 1', utf8('a'.repeat(8 * 1024 + 1))],
  ['64 KiB', utf8('a'.repeat(64 * 1024))],
  ['repeated', null],
];

/** Whole queries or bodies, in place of the base's. */
const WHOLE_FORMS = [
  ['65 parameters', utf8(Array.from({ length: 65 }, (_, i) => `p${i}=1`).join('&'))],
  ['2,000 parameters', utf8(Array.from({ length: 2000 }, (_, i) => `p${i}=1`).join('&'))],
  ['names \\xFF, %FF, é', Buffer.concat([bytes(0xff), utf8('=1&%FF=2&é=3&%C3%28=4')])],
  ['only separators', utf8('&&&===&=&')],
  ['70 KB (over the 64 KiB body cap)', utf8(`x=${'a'.repeat(70_000)}`)],
];

// --- requests -----------------------------------------------------------------------------

const enc = (v) => utf8(encodeURIComponent(v));

/** `name=value&…` from [name, value] pairs; a Buffer value goes as it is, a string is encoded. */
function form(pairs) {
  const parts = [];
  for (const [name, value] of pairs) {
    if (parts.length) parts.push(utf8('&'));
    parts.push(enc(name), utf8('='), Buffer.isBuffer(value) ? value : enc(value));
  }
  return Buffer.concat(parts);
}

/** Sends a base request ({ method, path, params, headers, cookies, and `body`, raw bytes in place
 *  of the form, for JSON endpoints }), as changed by `change`. */
function send(opUrl, base, change = {}) {
  const params = change.params ?? base.params;
  const formBytes = change.whole ?? (change.params === undefined && base.body ? base.body : form(params));
  const cookies = change.cookies ?? base.cookies ?? {};
  const cookieHeader = Object.entries(cookies).map(([n, v]) => Buffer.concat([utf8(`${n}=`), Buffer.isBuffer(v) ? v : utf8(v)]));
  const headers = { ...(base.headers ?? {}) };
  if (cookieHeader.length) headers.cookie = Buffer.concat(cookieHeader.flatMap((c, i) => (i ? [utf8('; '), c] : [c])));
  const isBody = base.method === 'POST' || base.method === 'PUT';
  if (isBody) headers['content-type'] ??= 'application/x-www-form-urlencoded';
  Object.assign(headers, change.headers ?? {});
  const target = isBody || formBytes.length === 0 ? utf8(base.path) : Buffer.concat([utf8(`${base.path}?`), formBytes]);
  return rawRequest(opUrl, {
    method: base.method,
    target,
    headers: Object.entries(headers).filter(([, v]) => v !== undefined),
    body: isBody ? formBytes : undefined,
  });
}

/** Requests whose framing is hostile, each with the same framing for /healthz (`control`). */
function framingCases(port) {
  const host = `127.0.0.1:${port}`;
  return [
    ['content-length: 99999999999999999999999 (overflows usize), short body', 'POST /token', `content-type: application/x-www-form-urlencoded\r\ncontent-length: 99999999999999999999999`, 'grant_type=x'],
    ['content-length: 70000, short body', 'POST /token', 'content-type: application/x-www-form-urlencoded\r\ncontent-length: 70000', 'grant_type=x'],
    ['content-length: -1', 'POST /token', 'content-length: -1', ''],
    ['content-length: é', 'POST /token', Buffer.concat([utf8('content-length: '), utf8('é')]), ''],
    ['two different Content-Length', 'POST /token', 'content-length: 3\r\ncontent-length: 4', 'abcd'],
    ['host: é (UTF-8)', 'GET /authorize?client_id=x', null, '', Buffer.concat([utf8('host: '), utf8('é.example')])],
    ['host: \\xFF', 'GET /userinfo', null, '', Buffer.concat([utf8('host: '), bytes(0xff, 0xfe)])],
    ['host: empty', 'GET /.well-known/openid-configuration', null, '', utf8('host: ')],
    ['host: 8 KiB', 'GET /jwks', null, '', utf8(`host: ${'h'.repeat(8192)}`)],
    ['host: evil.example:1@x', 'POST /token', 'content-type: application/x-www-form-urlencoded\r\ncontent-length: 12', 'grant_type=x', utf8('host: evil.example:1@x')],
    ['host: another host (evil.example)', 'POST /token', 'content-type: application/x-www-form-urlencoded\r\ncontent-length: 12', 'grant_type=x', utf8('host: evil.example')],
  ].map(([what, line, fields, body, hostField = utf8(`host: ${host}`)]) => {
    const make = (requestLine) => Buffer.concat([
      utf8(`${requestLine} HTTP/1.1\r\n`), hostField, utf8('\r\n'),
      ...(fields === null ? [] : [Buffer.isBuffer(fields) ? fields : utf8(fields), utf8('\r\n')]),
      utf8('connection: close\r\n\r\n'), utf8(body),
    ]);
    const [method] = line.split(' ');
    return { what: `raw ${what}`, raw: make(line), control: make(`${method} /healthz`) };
  });
}

// --------------------------------------------------------------------------------------------

describe('hostile input on wrangler dev, with legitimate traffic alongside', () => {
  let op;
  let fx;
  let exchange;
  let ciba;
  let started;
  const spa = () => ({ clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri });

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    // Registration on, so /register and /register/<client_id> take hostile input too.
    fx.config.registration = { enabled: true };
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    addDeviceClients(fx);
    exchange = addExchangeClients(fx);
    ciba = addCibaClient(fx);
    op = await startWrangler({ port, secrets: fx.secrets });
    started = Date.now();
  });
  after(async () => {
    if (started) console.log(`# tests ran for ${((Date.now() - started) / 1000).toFixed(1)} s against ${op.url}`);
    await op?.stop();
  });

  test('the routes and what each reads are found in the source', () => {
    const found = routes();
    assert.ok(found.length >= 15, `routes parsed: ${JSON.stringify(found)}`);
    for (const [, path] of found) assert.ok(path in ROUTE_FILES, `route ${path} has its handler files listed here`);
    for (const h of ['authorization', 'content-type', 'cf-connecting-ip']) assert.ok(readsOfRoute('/register').headers.includes(h), h);
    if (UNCLAIMED.length) console.log(`# read by no listed route, sent to every route: ${UNCLAIMED.join(', ')}`);
    const authorize = readsOfRoute('/authorize');
    for (const p of ['client_id', 'redirect_uri', 'state', 'code_challenge', 'request']) assert.ok(authorize.params.includes(p), p);
    const revoke = readsOfRoute('/revoke');
    for (const p of ['token', 'token_type_hint', 'client_id', 'client_secret']) assert.ok(revoke.params.includes(p), p);
    for (const h of ['authorization', 'content-type']) assert.ok(revoke.headers.includes(h), h);
    const token = readsOfRoute('/token');
    for (const p of ['grant_type', 'code', 'code_verifier', 'client_secret', 'refresh_token']) assert.ok(token.params.includes(p), p);
    for (const h of ['authorization', 'dpop', 'origin', 'content-type']) assert.ok(token.headers.includes(h), h);
    assert.deepEqual(readsOfRoute('/consent').cookies, ['oe_browser', 'oe_session']);
    assert.ok(readsOfRoute('/login').headers.includes('cf-connecting-ip'), 'the throttle reads the address');
  });

  test('every header, parameter and cookie the OP reads, hostile, on every route: no 5xx; legitimate traffic all succeeds (RFC 9110 §15.6)', { timeout: 600_000 }, async () => {
    const url = op.url;
    const user = fx.user;

    // --- what the base requests need: a pending login, a consent page, sessions, tokens ---
    const pending = new Browser(url);
    const loginPage = await pending.navigate(
      `${url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: fx.spa.clientId, redirect_uri: fx.spa.redirectUri, scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 's' })}`,
    );
    assert.equal(new URL(loginPage.url).pathname, '/login', loginPage.html);
    const loginForm = parseForm(loginPage.html);

    const signed = await signIn(url, spa(), user);
    const consentPage = await signed.browser.navigate(
      `${url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: fx.spa.clientId, redirect_uri: fx.spa.redirectUri, scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256', prompt: 'consent', state: 's' })}`,
    );
    assert.equal(new URL(consentPage.url).pathname, '/consent', consentPage.html);
    const consentForm = parseForm(consentPage.html);

    const tokens = (await tokenRequest(url, { grant_type: 'authorization_code', client_id: fx.spa.clientId, code: signed.code, redirect_uri: fx.spa.redirectUri, code_verifier: signed.verifier })).json;
    assert.ok(tokens?.access_token, JSON.stringify(tokens));

    // A DPoP-bound token for /api/me (RFC 9449 §5), and a proof for it.
    const key = await dpopKey();
    const dflow = await signIn(url, spa(), user, { extra: { dpop_jkt: key.jkt } });
    const { res: dres } = await withDpopNonce(async (nonce) =>
      tokenRequest(url, { grant_type: 'authorization_code', client_id: fx.spa.clientId, code: dflow.code, redirect_uri: fx.spa.redirectUri, code_verifier: dflow.verifier }, { dpop: await dpopProof(key, { htm: 'POST', htu: `${url}/token`, nonce }) }));
    assert.equal(dres.status, 200, dres.text);
    const dpopToken = dres.json.access_token;
    const apiProof = await dpopProof(key, { htm: 'GET', htu: `${url}/api/me`, accessToken: dpopToken, nonce: dres.headers.get('dpop-nonce') });

    // An expendable session for /end_session (hostile variants may well sign it out).
    const leaving = await signIn(url, spa(), user);
    const leavingTokens = (await tokenRequest(url, { grant_type: 'authorization_code', client_id: fx.spa.clientId, code: leaving.code, redirect_uri: fx.spa.redirectUri, code_verifier: leaving.verifier })).json;
    const logoutPage = await leaving.browser.navigate(`${url}/end_session?client_id=${fx.spa.clientId}`);
    const logoutCsrf = parseForm(logoutPage.html).hidden.csrf;
    assert.ok(logoutCsrf, logoutPage.html);

    // Expendable tokens for /revoke (hostile variants may well revoke them).
    const revoking = await signIn(url, spa(), user);
    const revokingTokens = (await tokenRequest(url, { grant_type: 'authorization_code', client_id: fx.spa.clientId, code: revoking.code, redirect_uri: fx.spa.redirectUri, code_verifier: revoking.verifier })).json;
    assert.ok(revokingTokens?.refresh_token, JSON.stringify(revokingTokens));

    // Two registered clients (RFC 7591): one to read and update, one to delete.
    const metadata = { redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none', client_name: 'Hostile base' };
    const json = { 'content-type': 'application/json' };
    const registerBody = utf8(JSON.stringify(metadata));
    const registrations = [];
    for (let i = 0; i < 2; i++) {
      const res = await call(`${url}/register`, { method: 'POST', headers: json, body: registerBody });
      assert.equal(res.status, 201, res.text);
      registrations.push(res.json);
    }
    const [kept, doomed] = registrations;
    const bearer = (r) => ({ authorization: `Bearer ${r.registration_access_token}` });

    // A pending device request (RFC 8628), and a browser signed in at /device with its code form.
    const device = (await call(`${url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'tv', scope: 'openid' }).toString(),
    })).json;
    assert.ok(device?.user_code, JSON.stringify(device));
    const deviceBrowser = new Browser(url);
    const deviceSignIn = await deviceBrowser.navigate(`${url}/device`);
    const deviceCodePage = await deviceBrowser.submit(deviceSignIn.url, parseForm(deviceSignIn.html), { username: user.username, password: user.password });
    const deviceCsrf = parseForm(deviceCodePage.html).hidden.csrf;
    assert.ok(deviceCsrf, deviceCodePage.html);

    // A pending CIBA request, and the user's /ciba page with its answer form.
    const cibaAuth = basicAuth(ciba.desk.clientId, ciba.desk.secret);
    const asked = await call(`${url}/bc-authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: cibaAuth },
      body: new URLSearchParams({ scope: 'openid', login_hint: user.username, binding_message: 'hostile' }).toString(),
    });
    assert.equal(asked.status, 200, asked.text);
    const cibaBrowser = new Browser(url);
    const cibaSignIn = await cibaBrowser.navigate(`${url}/ciba`);
    const cibaList = await cibaBrowser.submit(cibaSignIn.url, parseForm(cibaSignIn.html), { username: user.username, password: user.password });
    const cibaForm = parseForm(cibaList.html.slice(cibaList.html.indexOf('<section>')));
    assert.ok(cibaForm.hidden.request, cibaList.html);

    const jar = (b) => Object.fromEntries(b.cookies);
    const authorizeParams = [
      ['response_type', 'code'], ['client_id', fx.spa.clientId], ['redirect_uri', fx.spa.redirectUri],
      ['scope', 'openid profile'], ['code_challenge', CHALLENGE], ['code_challenge_method', 'S256'],
      ['state', 'st'], ['nonce', 'n'], ['prompt', 'login'], ['max_age', '600'],
    ];
    const origin = fx.spa.origin;
    /** One base request per route (and per grant at /token), all of them well-formed. */
    const bases = [
      { method: 'GET', path: '/authorize', params: authorizeParams, cookies: jar(signed.browser) },
      { method: 'POST', path: '/authorize', params: authorizeParams, cookies: jar(signed.browser) },
      { method: 'GET', path: '/login', params: [['tx', loginForm.hidden.tx]], cookies: jar(pending) },
      { method: 'POST', path: '/login', params: [['tx', loginForm.hidden.tx], ['csrf', loginForm.hidden.csrf], ['username', 'nobody'], ['password', 'x']], cookies: jar(pending) },
      { method: 'GET', path: '/consent', params: [['tx', consentForm.hidden.tx]], cookies: jar(signed.browser) },
      { method: 'POST', path: '/consent', params: [['tx', consentForm.hidden.tx], ['csrf', consentForm.hidden.csrf], ['decision', 'maybe']], cookies: jar(signed.browser) },
      { method: 'POST', path: '/token', grant: 'client_credentials', params: [['grant_type', 'client_credentials'], ['scope', 'api:read']], headers: { authorization: basicAuth(fx.service.clientId, fx.service.secret), origin } },
      { method: 'POST', path: '/token', grant: 'authorization_code', params: [['grant_type', 'authorization_code'], ['client_id', fx.spa.clientId], ['code', 'c'.repeat(43)], ['redirect_uri', fx.spa.redirectUri], ['code_verifier', 'v'.repeat(43)]], headers: { origin } },
      { method: 'POST', path: '/token', grant: 'refresh_token', params: [['grant_type', 'refresh_token'], ['client_id', fx.spa.clientId], ['refresh_token', 'r'.repeat(43)], ['scope', 'openid']], headers: { origin } },
      { method: 'POST', path: '/revoke', grant: 'public client', params: [['token', revokingTokens.refresh_token], ['token_type_hint', 'refresh_token'], ['client_id', fx.spa.clientId]], headers: { origin } },
      { method: 'POST', path: '/revoke', grant: 'client_secret_basic', params: [['token', revokingTokens.access_token], ['token_type_hint', 'access_token']], headers: { authorization: basicAuth(fx.service.clientId, fx.service.secret), origin } },
      { method: 'POST', path: '/introspect', grant: 'client_secret_basic', params: [['token', tokens.access_token], ['token_type_hint', 'access_token']], headers: { authorization: basicAuth(fx.service.clientId, fx.service.secret) } },
      { method: 'GET', path: '/userinfo', params: [], headers: { authorization: `Bearer ${tokens.access_token}`, origin } },
      { method: 'POST', path: '/userinfo', params: [], headers: { authorization: `Bearer ${tokens.access_token}`, origin } },
      { method: 'GET', path: '/api/me', params: [], headers: { authorization: `DPoP ${dpopToken}`, dpop: apiProof, origin } },
      { method: 'GET', path: '/end_session', params: [['id_token_hint', leavingTokens.id_token], ['client_id', fx.spa.clientId], ['post_logout_redirect_uri', `${origin}/`], ['state', 'st']], cookies: jar(leaving.browser) },
      { method: 'POST', path: '/end_session', params: [['csrf', logoutCsrf], ['confirm', 'yes'], ['client_id', fx.spa.clientId], ['post_logout_redirect_uri', `${origin}/`], ['state', 'st']], cookies: jar(leaving.browser) },
      { method: 'POST', path: '/device_authorization', params: [['client_id', 'tv'], ['scope', 'openid']] },
      { method: 'GET', path: '/device', params: [['user_code', device.user_code]], cookies: jar(deviceBrowser) },
      { method: 'POST', path: '/device', params: [['step', 'code'], ['csrf', deviceCsrf], ['user_code', device.user_code]], cookies: jar(deviceBrowser) },
      { method: 'POST', path: '/token', grant: 'device_code', params: [['grant_type', 'urn:ietf:params:oauth:grant-type:device_code'], ['client_id', 'tv'], ['device_code', device.device_code]], headers: { origin } },
      { method: 'POST', path: '/token', grant: 'token-exchange', params: [['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'], ['subject_token', tokens.access_token], ['subject_token_type', 'urn:ietf:params:oauth:token-type:access_token'], ['resource', exchange.backend]], headers: { authorization: basicAuth(exchange.gateway.clientId, exchange.gateway.secret) } },
      { method: 'POST', path: '/bc-authorize', params: [['scope', 'openid'], ['login_hint', user.username], ['binding_message', 'b'], ['requested_expiry', '60']], headers: { authorization: cibaAuth } },
      { method: 'GET', path: '/ciba', params: [], cookies: jar(cibaBrowser) },
      { method: 'POST', path: '/ciba', params: [...Object.entries(cibaForm.hidden), ['decision', 'maybe']], cookies: jar(cibaBrowser) },
      { method: 'POST', path: '/token', grant: 'ciba', params: [['grant_type', 'urn:openid:params:grant-type:ciba'], ['auth_req_id', asked.json.auth_req_id]], headers: { authorization: cibaAuth } },
      { method: 'GET', path: '/jwks', params: [], headers: { origin } },
      { method: 'GET', path: '/.well-known/openid-configuration', params: [], headers: { origin } },
      { method: 'GET', path: '/.well-known/oauth-authorization-server', params: [], headers: { origin } },
      { method: 'GET', path: '/.well-known/oauth-protected-resource/api/me', params: [], headers: { origin } },
      { method: 'OPTIONS', path: '/token', params: [], headers: { origin, 'access-control-request-method': 'POST' } },
      { method: 'OPTIONS', path: '/revoke', params: [], headers: { origin, 'access-control-request-method': 'POST' } },
      { method: 'POST', path: '/register', params: [], body: registerBody, headers: json },
      { method: 'GET', path: `/register/${kept.client_id}`, params: [], headers: bearer(kept) },
      { method: 'PUT', path: `/register/${kept.client_id}`, params: [], body: utf8(JSON.stringify({ ...metadata, client_id: kept.client_id })), headers: { ...bearer(kept), ...json } },
      { method: 'DELETE', path: `/register/${doomed.client_id}`, params: [], headers: bearer(doomed) },
      // RFC 9126: a public client's pushed request (each one a new request_uri).
      { method: 'POST', path: '/par', params: authorizeParams, headers: { origin } },
      { method: 'GET', path: '/nowhere', params: [], headers: { origin } },
    ];
    // Every routed method (HEAD aside: GET's twin) has a base request.
    for (const [method, path] of routes()) {
      if (method === 'HEAD') continue;
      assert.ok(bases.some((b) => b.method === method && routeOf(b.path) === path), `a base request for ${method} ${path}`);
    }

    // --- the hostile requests ---
    const cases = [];
    for (const base of bases) {
      const reads = readsOfRoute(routeOf(base.path));
      const where = `${base.method} ${base.path}${base.grant ? ` (${base.grant})` : ''}`;
      const params = base.method === 'OPTIONS' ? [] : reads.params;
      for (const name of params) {
        for (const [label, value] of PARAM_VALUES) {
          const others = base.params.filter(([n]) => n !== name);
          const current = base.params.find(([n]) => n === name)?.[1] ?? 'x';
          const changed = value === null ? [...base.params.filter(([n]) => n !== name), [name, current], [name, current]] : [...others, [name, value]];
          cases.push({ what: `${where} param ${name}: ${label}`, base, change: { params: changed } });
        }
      }
      if (base.method !== 'OPTIONS') {
        for (const [label, whole] of WHOLE_FORMS) cases.push({ what: `${where} whole ${base.method === 'POST' ? 'body' : 'query'}: ${label}`, base, change: { whole } });
      }
      for (const name of reads.headers) {
        // Content-Length is framing (below); Cookie is sent hostile whole and per cookie (below).
        if (name === 'content-length' || name === 'cookie') continue;
        for (const [label, value] of HEADER_VALUES) {
          cases.push({ what: `${where} header ${name}: ${label}`, base, change: { headers: { [name]: value } } });
        }
      }
      for (const [label, value] of HEADER_VALUES) {
        cases.push({ what: `${where} header cookie: ${label}`, base, change: { cookies: {}, headers: { cookie: value } } });
      }
      for (const name of reads.cookies) {
        for (const [label, value] of HEADER_VALUES.slice(0, -1)) {
          cases.push({ what: `${where} cookie ${name}: ${label}`, base, change: { cookies: { ...(base.cookies ?? {}), [name]: value } } });
        }
      }
    }
    // HOSTILE_FILTER=<regex> narrows the hostile requests to those whose label matches (to find
    // which input broke something); the route and coverage checks above still run in full.
    const filter = process.env.HOSTILE_FILTER ? new RegExp(process.env.HOSTILE_FILTER) : null;
    if (filter) cases.splice(0, cases.length, ...cases.filter((c) => filter.test(c.what)));

    // --- legitimate traffic, in loops, while the hostile requests run ---
    let hostileDone = false;
    const t0 = Date.now();
    const legit = { ok: 0, failures: [] };
    const expect = async (what, work) => {
      try {
        await work();
        legit.ok++;
      } catch (err) {
        legit.failures.push(`${what} (at ${((Date.now() - t0) / 1000).toFixed(1)} s): ${err?.message ?? err}`);
      }
    };
    const legitLoop = async () => {
      do {
        await expect('discovery', async () => {
          const res = await call(`${url}/.well-known/openid-configuration`);
          assert.equal(res.status, 200, res.text.slice(0, 200));
          assert.equal(res.json?.issuer, fx.config.issuer);
        });
        await expect('jwks', async () => {
          const res = await call(`${url}/jwks`);
          assert.equal(res.status, 200, res.text.slice(0, 200));
          assert.equal(res.json?.keys?.length, 1, res.text.slice(0, 200));
        });
        await expect('client_credentials', async () => {
          const res = await tokenRequest(url, { grant_type: 'client_credentials' }, { authorization: basicAuth(fx.service.clientId, fx.service.secret) });
          assert.equal(res.status, 200, res.text);
          assert.ok(res.json.access_token);
        });
        await expect('code flow, token and userinfo', async () => {
          const flow = await signIn(url, spa(), user);
          const res = await tokenRequest(url, { grant_type: 'authorization_code', client_id: fx.spa.clientId, code: flow.code, redirect_uri: fx.spa.redirectUri, code_verifier: flow.verifier });
          assert.equal(res.status, 200, res.text);
          const info = await call(`${url}/userinfo`, { headers: { authorization: `Bearer ${res.json.access_token}` } });
          assert.equal(info.status, 200, info.text);
          assert.equal(info.json.sub, user.sub);
        });
      } while (!hostileDone);
    };

    const loops = Array.from({ length: LEGIT_LOOPS }, legitLoop);
    const results = await pool(cases, HOSTILE_CONCURRENCY, async (c) => {
      try {
        const res = await send(url, c.base, c.change);
        return { what: c.what, status: res.status, body: res.body.slice(0, 200) };
      } catch (err) {
        return { what: c.what, status: 0, body: `no HTTP answer: ${err.message}` };
      }
    }).finally(() => {
      hostileDone = true;
    });
    await Promise.all(loops);
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    const byStatus = {};
    for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    console.log(`# ${results.length} hostile requests and ${legit.ok} legitimate steps in ${seconds} s; hostile statuses ${JSON.stringify(byStatus)}`);

    const serverErrors = results.filter((r) => r.status >= 500 || r.status === 0);
    console.log(`# hostile 5xx: ${serverErrors.length}; legitimate failures: ${legit.failures.length} of ${legit.ok + legit.failures.length}`);
    assert.deepEqual(
      { hostile5xx: serverErrors.map((r) => `${r.what} -> ${r.status} ${r.body}`), legitimateFailures: legit.failures },
      { hostile5xx: [], legitimateFailures: [] },
      'no hostile request gets a 5xx (or no answer), and every legitimate request alongside succeeds',
    );
    assert.ok(legit.ok >= 4 * LEGIT_LOOPS, `legitimate traffic really ran alongside (${legit.ok} steps)`);
  });

  // The header fields that frame the request, sent raw: Content-Length (which the Worker also
  // reads, for its body cap) and Host (the URL the OP sees: DPoP htu, redirects). The runtime
  // in front of the Worker answers several of these itself: workerd refuses a malformed
  // Content-Length with a bare 500, wrangler dev's entry worker fails on a Host it cannot make
  // a URL of, and a body cut short gets wrangler's 503 "Your worker restarted mid-request" and
  // can fail one request in flight beside it ("Cannot reconstruct a Request with a used
  // body"), /healthz alike. So they run here, one at a time and without the legitimate
  // traffic, and each is also sent to /healthz (answered by the Worker without the OP): a
  // 5xx that /healthz gets too is the runtime's, not the OP's.
  test('framing (Content-Length, Host) hostile: no 5xx from the OP; the runtime\'s own answers are told apart by /healthz', async () => {
    const url = op.url;
    const results = [];
    for (const c of framingCases(op.port)) {
      const res = await rawSend(url, c.raw, { halfClose: true }).catch((err) => ({ status: 0, body: err.message }));
      const control = res.status >= 500 || res.status === 0 ? await rawSend(url, c.control, { halfClose: true }).catch(() => ({ status: 0 })) : null;
      results.push({ what: c.what, status: res.status, runtime: control !== null && (control.status >= 500 || control.status === 0), body: res.body.slice(0, 120) });
    }
    const runtime = results.filter((r) => r.runtime);
    if (runtime.length) console.log(`# answered by the runtime, /healthz alike: ${runtime.map((r) => `${r.what} -> ${r.status}`).join('; ')}`);
    assert.deepEqual(results.filter((r) => (r.status >= 500 || r.status === 0) && !r.runtime).map((r) => `${r.what} -> ${r.status} ${r.body}`), []);
    // The OP reads the Host it is given: a request for another host gets no 5xx and, above all,
    // no token (the htu and issuer checks hold).
    assert.ok(results.every((r) => r.status !== 200 || !/access_token/.test(r.body)));
  });

  test('the OP is healthy afterwards: a code flow, client credentials, discovery', async () => {
    const flow = await signIn(op.url, spa(), fx.user);
    const res = await tokenRequest(op.url, { grant_type: 'authorization_code', client_id: fx.spa.clientId, code: flow.code, redirect_uri: fx.spa.redirectUri, code_verifier: flow.verifier });
    assert.equal(res.status, 200, res.text);
    const cc = await tokenRequest(op.url, { grant_type: 'client_credentials' }, { authorization: basicAuth(fx.service.clientId, fx.service.secret) });
    assert.equal(cc.status, 200, cc.text);
    assert.equal((await call(`${op.url}/.well-known/openid-configuration`)).status, 200);
    assert.equal((await call(`${op.url}/healthz`)).status, 200);
  });
});
