// Attack regression suite (issue 12): every attack of the adversarial review, replayed
// against the real Worker on workerd (`wrangler dev`, local KV), so that none regresses.
// One `describe` per class; each test names the section of the specification (or of the
// OAuth 2.0 Security BCP, RFC 9700) that the defence implements. The attacker is plain
// `fetch` or a bare socket; tokens, proofs and forgeries are made with `jose`, never with
// the Rust code under test.
//
//   node --test tests/e2e/attacks.test.mjs
//
// The configuration is ./fixture.mjs's plus what attacks need: a second public client (not
// first-party: it gets the consent page), a confidential client without PKCE, and a second
// user (the attacker's own account).

import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { Browser, parseForm, rawRequest } from './browserless.mjs';
import { opFixture, phc } from './fixture.mjs';
import {
  authorizeUrl, b64url, basicAuth, call, dpopKey, dpopProof, hs256Jws, jwsPart, pkce, sha256b64url,
  signIn, tokenRequest, unsignedJws, withDpopNonce,
} from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const FORM = 'application/x-www-form-urlencoded';
/** Markup that must never come back unescaped (OWASP XSS Prevention, rule 1 and 2). */
const MARKUP = `"'><script>alert(1)</script><img src=x onerror=alert(2)>`;

let op;
let fx;
let started;
/** Clients: { clientId, redirectUri, origin?, secret? }. */
let spa;
let other;
let web;
let mallory;

before(async () => {
  const port = await freePort();
  fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
  spa = { clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri, origin: fx.spa.origin };
  other = { clientId: 'other-spa', redirectUri: 'http://localhost:6173/callback', origin: 'http://localhost:6173', scope: 'openid profile offline_access' };
  web = { clientId: 'web-app', redirectUri: 'http://localhost:7000/cb', secret: b64url(randomBytes(32)), scope: 'openid profile' };
  mallory = { username: 'mallory', password: `mallory-${b64url(randomBytes(6))}`, sub: 'mallory-1' };
  const config = structuredClone(fx.config);
  config.clients.push(
    {
      client_id: other.clientId, client_type: 'public', token_endpoint_auth_method: 'none',
      redirect_uris: [other.redirectUri], post_logout_redirect_uris: [`${other.origin}/`],
      grant_types: ['authorization_code', 'refresh_token'], scopes: ['openid', 'profile', 'offline_access'],
      allowed_origins: [other.origin], first_party: false,
    },
    {
      client_id: web.clientId, client_type: 'confidential', token_endpoint_auth_method: 'client_secret_basic',
      client_secret_hash: phc(web.secret, 1000), redirect_uris: [web.redirectUri],
      grant_types: ['authorization_code'], scopes: ['openid', 'profile'], first_party: true,
    },
  );
  config.users.push({ sub: mallory.sub, username: mallory.username, password_hash: phc(mallory.password, 100_000), claims: { name: 'Mallory' } });
  op = await startWrangler({ port, secrets: { ...fx.secrets, OIDC_CONFIG: JSON.stringify(config) } });
  started = Date.now();
});

after(async () => {
  if (started) console.log(`# tests ran for ${((Date.now() - started) / 1000).toFixed(1)} s against ${op.url}`);
  await op?.stop();
});

// --- helpers --------------------------------------------------------------------------------

/** A signed-in user agent (fixture user by default) and its first code. */
const login = (client = spa, user = fx.user, options = {}) => signIn(op.url, client, user, { scope: client.scope, ...options });

/** Another code from a signed-in browser (no login page: the session is used). */
async function codeFor(browser, client = spa, { usePkce = true, extra = {}, scope = client.scope } = {}) {
  const { verifier, challenge } = usePkce ? pkce() : {};
  const nonce = b64url(randomBytes(9));
  const step = await browser.navigate(authorizeUrl(op.url, client, { challenge, state: 'st', nonce, scope, extra }));
  assert.ok(step.location, `expected a redirect to the client, got ${step.res.status} ${step.url}: ${step.html?.slice(0, 300)}`);
  const params = new URL(step.location).searchParams;
  assert.ok(params.get('code'), step.location);
  return { code: params.get('code'), verifier, nonce, location: step.location };
}

/** The code exchange: public clients send client_id, `web` authenticates with Basic. */
function exchange(client, { code, verifier }, { redirectUri = client.redirectUri, headers = {}, extra = {} } = {}) {
  const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, ...(verifier && { code_verifier: verifier }), ...extra };
  if (client.secret) return tokenRequest(op.url, params, { authorization: basicAuth(client.clientId, client.secret), ...headers });
  return tokenRequest(op.url, { ...params, client_id: client.clientId }, headers);
}

/** Signs in and exchanges the code: { browser, tokens }. */
async function tokensFor(client = spa, user = fx.user, options = {}) {
  const flow = await login(client, user, options);
  const res = await exchange(client, flow);
  assert.equal(res.status, 200, res.text);
  return { ...flow, tokens: res.json };
}

/** A DPoP-bound token set (RFC 9449 §5) for `key`, with the last server nonce. */
async function dpopTokens(key) {
  const flow = await login(spa, fx.user, { extra: { dpop_jkt: key.jkt } });
  const { res, nonce } = await withDpopNonce(async (n) =>
    exchange(spa, flow, { headers: { dpop: await dpopProof(key, { htm: 'POST', htu: `${op.url}/token`, nonce: n }) } }));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.token_type, 'DPoP');
  return { ...flow, tokens: res.json, nonce };
}

/** A 4xx HTML page that redirects nowhere (RFC 6749 §4.1.2.1: no redirect to an unverified URI). */
function assertRefusedPage(res, what = '') {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: status ${res.status}: ${res.text?.slice(0, 300)}`);
  assert.equal(res.headers.get('location'), null, `${what}: not a redirect`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html\b/, what);
}

/** The error redirect to the client (RFC 6749 §4.1.2.1): its parameters, and no code. */
function errorRedirect(res, client, what = '') {
  assert.equal(res.status, 303, `${what}: ${res.text?.slice(0, 300)}`);
  const location = new URL(res.headers.get('location'));
  assert.equal(`${location.origin}${location.pathname}`, client.redirectUri, what);
  assert.equal(location.searchParams.get('code'), null, `${what}: no code`);
  assert.ok(location.searchParams.get('error'), `${what}: an error`);
  return location.searchParams;
}

/** The `Set-Cookie` lines of a response for the session cookie. */
const sessionCookies = (res) => res.headers.getSetCookie().filter((l) => l.startsWith('oe_session='));

/** Whether `browser`'s session still signs in silently (OIDC Core §3.1.2.1 prompt=none). */
async function stillSignedIn(browser) {
  const { challenge } = pkce();
  const step = await browser.navigate(authorizeUrl(op.url, spa, { challenge, state: 'probe', extra: { prompt: 'none' } }));
  const params = new URL(step.location).searchParams;
  if (params.get('code')) return true;
  assert.equal(params.get('error'), 'login_required', step.location);
  return false;
}

/** The JSON error of a protected resource: status and the WWW-Authenticate `error`. */
function resourceError(res) {
  const challenge = res.headers.get('www-authenticate') ?? '';
  return { status: res.status, error: challenge.match(/error="([^"]+)"/)?.[1] ?? null, challenge };
}

// ----------------------------------------------------------------------------------------------

describe('redirect URI variants (RFC 6749 §3.1.2, §4.1.2.1, §10.6; RFC 9700 §2.1, §4.1.3: exact string matching)', () => {
  const registered = () => spa.redirectUri; // http://localhost:5173/callback
  const variants = () => {
    const r = registered();
    return [
      ['trailing slash', `${r}/`],
      ['path case', r.replace('/callback', '/Callback')],
      ['host case', r.replace('localhost', 'LOCALHOST')],
      ['scheme case', r.replace('http:', 'HTTP:')],
      ['extra path', `${r}/extra`],
      ['dot segments', `${r}/../evil`],
      ['double slash', r.replace('/callback', '//callback')],
      ['query added', `${r}?x=1`],
      ['empty query', `${r}?`],
      ['fragment', `${r}#frag`],
      ['encoded fragment', `${r}%23frag`],
      ['userinfo before the host', r.replace('http://', 'http://evil.example@')],
      ['host as userinfo of evil.example', r.replace('localhost:5173', 'localhost:5173@evil.example')],
      ['backslash before @', r.replace('localhost:5173', 'localhost:5173\\@evil.example')],
      ['another port', r.replace(':5173', ':5174')],
      ['no port', r.replace(':5173', '')],
      ['port with a leading zero', r.replace(':5173', ':05173')],
      ['https instead of http', r.replace('http:', 'https:')],
      ['the loopback IP for localhost', r.replace('localhost', '127.0.0.1')],
      ['host with a trailing dot', r.replace('localhost', 'localhost.')],
      ['percent-encoded path character', r.replace('/callback', '/%63allback')],
      ['encoded slash and dots', `${r}%2F..%2Fevil`],
      ['NUL byte', `${r}%00`],
      ['path parameter', `${r};x`],
      ['leading space', ` ${r}`],
      ['trailing space', `${r} `],
      ['scheme-relative', r.replace('http:', '')],
      ["another client's registered URI", other.redirectUri],
      ['evil.example', 'https://evil.example/callback'],
    ];
  };

  test('the registered URI itself goes on to the login page (the control)', async () => {
    const { challenge } = pkce();
    const res = await call(authorizeUrl(op.url, spa, { challenge, state: 's' }));
    assert.equal(res.status, 303, res.text);
    assert.match(res.headers.get('location'), /^\/login\?tx=/);
  });

  test('every variant is refused on a page, GET and POST, also when another parameter is wrong (never an error redirect to it)', async () => {
    const { challenge } = pkce();
    for (const [what, uri] of variants()) {
      for (const extra of [{}, { response_type: 'token' }, { scope: 'openid admin' }]) {
        const url = new URL(authorizeUrl(op.url, spa, { challenge, state: 's', extra: { redirect_uri: uri, ...extra } }));
        const get = await call(url);
        assertRefusedPage(get, `GET ${what} ${JSON.stringify(extra)}`);
        const post = await call(`${op.url}/authorize`, { method: 'POST', headers: { 'content-type': FORM }, body: url.searchParams.toString() });
        assertRefusedPage(post, `POST ${what} ${JSON.stringify(extra)}`);
      }
    }
  });

  test('two redirect_uri parameters, one of them registered, are refused (RFC 6749 §3.1: no repeated parameters)', async () => {
    const { challenge } = pkce();
    const url = `${authorizeUrl(op.url, spa, { challenge, state: 's' })}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`;
    assertRefusedPage(await call(url), 'repeated redirect_uri');
  });

  test('post_logout_redirect_uri variants are refused on a page (RP-Initiated Logout 1.0 §3: registered, exact)', async () => {
    const registeredLogout = `${spa.origin}/`;
    const logoutVariants = [
      `${spa.origin}`, `${spa.origin}//`, `${spa.origin}/x`, `${spa.origin}/?x=1`, `${spa.origin}/#f`,
      registeredLogout.replace('localhost', 'LOCALHOST'), registeredLogout.replace(':5173', ':5174'),
      registeredLogout.replace('http:', 'https:'), registeredLogout.replace('http://', 'http://evil.example@'),
      `${other.origin}/`, 'https://evil.example/',
    ];
    for (const uri of logoutVariants) {
      const res = await call(`${op.url}/end_session?${new URLSearchParams({ client_id: spa.clientId, post_logout_redirect_uri: uri })}`);
      assertRefusedPage(res, uri);
    }
    // Without a client to match it against, even the registered one is refused (§3).
    assertRefusedPage(await call(`${op.url}/end_session?post_logout_redirect_uri=${encodeURIComponent(registeredLogout)}`), 'no client_id');
  });
});

describe('PKCE downgrade (RFC 7636 §4.4.1, §4.6; RFC 9700 §2.1.1, §4.8.2)', () => {
  let browser;
  before(async () => {
    ({ browser } = await login());
  });

  test('discovery offers S256 only (RFC 9700 §2.1.1: plain SHOULD NOT be used)', async () => {
    const res = await call(`${op.url}/.well-known/openid-configuration`);
    assert.deepEqual(res.json.code_challenge_methods_supported, ['S256']);
  });

  test('code_challenge_method=plain, an unknown method, a method without a challenge, no PKCE at all for a public client: error redirects without a code', async () => {
    const verifier = b64url(randomBytes(32));
    const cases = [
      ['plain', { code_challenge: verifier, code_challenge_method: 'plain' }],
      ['lower-case s256', { code_challenge: sha256b64url(verifier), code_challenge_method: 's256' }],
      ['S512', { code_challenge: sha256b64url(verifier), code_challenge_method: 'S512' }],
      ['challenge, no method (RFC 7636 §4.3 defaults to plain)', { code_challenge: verifier }],
      ['method, no challenge', { code_challenge_method: 'S256' }],
      ['no PKCE (public client)', {}],
      ['a challenge that is not a SHA-256 (too short)', { code_challenge: 'abc', code_challenge_method: 'S256' }],
    ];
    for (const [what, extra] of cases) {
      const res = await browser.fetch(authorizeUrl(op.url, spa, { state: 'st', extra }));
      const params = errorRedirect({ status: res.status, headers: res.headers, text: '' }, spa, what);
      assert.equal(params.get('error'), 'invalid_request', what);
      assert.equal(params.get('state'), 'st', what);
    }
  });

  test('a code bound to a challenge: no verifier, a wrong one, the challenge itself, a short one are invalid_grant (RFC 7636 §4.6)', async () => {
    const cases = [
      ['no code_verifier', () => undefined],
      ['another verifier', () => b64url(randomBytes(32))],
      ['the challenge as verifier (plain downgrade)', (flow) => sha256b64url(flow.verifier)],
      ['a 42-character verifier', (flow) => flow.verifier.slice(0, 42)],
      ['the verifier with one character changed', (flow) => `${flow.verifier.slice(0, -1)}${flow.verifier.endsWith('A') ? 'B' : 'A'}`],
    ];
    for (const [what, wrong] of cases) {
      const flow = await codeFor(browser);
      const res = await exchange(spa, { code: flow.code, verifier: wrong(flow) });
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.equal(res.json.error, 'invalid_grant', `${what}: ${res.text}`);
      assert.equal(res.json.access_token, undefined);
    }
    const good = await codeFor(browser);
    assert.equal((await exchange(spa, good)).status, 200, 'the right verifier (the control)');
  });

  test('a verifier for a code issued without a challenge is refused (RFC 9700 §4.8.2: PKCE downgrade)', async () => {
    const { browser: webBrowser } = await login(web, fx.user, { pkce: false });
    const flow = await codeFor(webBrowser, web, { usePkce: false });
    const res = await exchange(web, { code: flow.code, verifier: b64url(randomBytes(32)) });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error, 'invalid_grant');
    const control = await codeFor(webBrowser, web, { usePkce: false });
    assert.equal((await exchange(web, control)).status, 200, 'the same without a verifier (the control)');
  });
});

describe('code injection (RFC 6749 §4.1.3, §10.5; RFC 9700 §4.5)', () => {
  let browser;
  before(async () => {
    ({ browser } = await login());
  });

  test("a code issued to one client is refused to another, public or confidential (§4.1.3: 'issued to the authenticated confidential client, or … the public client')", async () => {
    for (const [thief, redirectUri] of [[other, other.redirectUri], [other, spa.redirectUri], [web, web.redirectUri], [web, spa.redirectUri]]) {
      const flow = await codeFor(browser);
      const res = await exchange(thief, flow, { redirectUri });
      assert.equal(res.status, 400, `${thief.clientId} with ${redirectUri}: ${res.text}`);
      assert.equal(res.json.error, 'invalid_grant');
    }
  });

  test('a redirect_uri other than the authorization request\'s is refused, and so is none (§4.1.3)', async () => {
    for (const redirectUri of [`${spa.redirectUri}/`, other.redirectUri, 'https://evil.example/callback', spa.redirectUri.replace('localhost', '127.0.0.1')]) {
      const flow = await codeFor(browser);
      const res = await exchange(spa, flow, { redirectUri });
      assert.equal(res.status, 400, `${redirectUri}: ${res.text}`);
      assert.equal(res.json.error, 'invalid_grant', redirectUri);
    }
    const flow = await codeFor(browser);
    const res = await tokenRequest(op.url, { grant_type: 'authorization_code', client_id: spa.clientId, code: flow.code, code_verifier: flow.verifier });
    assert.equal(res.status, 400, res.text);
    assert.ok(['invalid_grant', 'invalid_request'].includes(res.json.error), res.text);
  });

  test("the attacker's own code injected into the victim's callback fails the victim's PKCE verifier (RFC 9700 §4.5.3.1)", async () => {
    const attacker = await login(spa, mallory);
    const victimVerifier = b64url(randomBytes(32));
    const res = await exchange(spa, { code: attacker.code, verifier: victimVerifier });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error, 'invalid_grant');
  });

  test('a code used twice: the second use is invalid_grant (§4.1.2, §10.5)', async () => {
    const flow = await codeFor(browser);
    assert.equal((await exchange(spa, flow)).status, 200);
    const again = await exchange(spa, flow);
    assert.equal(again.status, 400);
    assert.equal(again.json.error, 'invalid_grant');
  });
});

describe('token substitution (OIDC Core §3.1.3.7, §16.11; RFC 9068 §4; RFC 8725 §3.11)', () => {
  let alice;
  let otherTokens;
  before(async () => {
    alice = await tokensFor(spa);
    otherTokens = await tokensFor(other);
  });

  test('an ID token is no access token: refused at /userinfo and /api/me (RFC 9068 §2.1 typ at+jwt, §4)', async () => {
    const userinfo = await call(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${alice.tokens.id_token}` } });
    assert.equal(userinfo.status, 401, userinfo.text);
    const key = await dpopKey();
    const proof = await dpopProof(key, { htm: 'GET', htu: `${op.url}/api/me`, accessToken: alice.tokens.id_token });
    const me = await call(`${op.url}/api/me`, { headers: { authorization: `DPoP ${alice.tokens.id_token}`, dpop: proof } });
    assert.equal(me.status, 401, me.text);
  });

  test('an access token is no ID token: refused as id_token_hint (RP-Initiated Logout 1.0 §2)', async () => {
    const res = await call(`${op.url}/end_session?id_token_hint=${alice.tokens.access_token}`);
    assertRefusedPage(res, 'access token as hint');
  });

  test("client B's ID token as id_token_hint with client_id A is refused (RP-Initiated Logout 1.0 §2: client_id must be the hint's audience)", async () => {
    const res = await call(`${op.url}/end_session?${new URLSearchParams({ id_token_hint: otherTokens.tokens.id_token, client_id: spa.clientId, post_logout_redirect_uri: `${spa.origin}/` })}`);
    assertRefusedPage(res, 'hint for another client');
  });

  test('each ID token carries its own request\'s nonce and audience, so a substituted one fails the RP\'s checks (OIDC Core §3.1.3.7 items 3, 11)', async () => {
    const key = await jose.importJWK(fx.publicJwk, 'ES256');
    const { browser } = alice;
    const [a, b] = [await codeFor(browser), await codeFor(browser)];
    const [ta, tb] = [(await exchange(spa, a)).json, (await exchange(spa, b)).json];
    const claimsA = (await jose.jwtVerify(ta.id_token, key, { issuer: fx.config.issuer, audience: spa.clientId })).payload;
    const claimsB = (await jose.jwtVerify(tb.id_token, key, { issuer: fx.config.issuer, audience: spa.clientId })).payload;
    assert.equal(claimsA.nonce, a.nonce);
    assert.equal(claimsB.nonce, b.nonce);
    assert.notEqual(claimsA.nonce, claimsB.nonce, 'flow B\'s ID token fails flow A\'s nonce check');
    // Another client's ID token fails the audience check of this one.
    await assert.rejects(jose.jwtVerify(otherTokens.tokens.id_token, key, { issuer: fx.config.issuer, audience: spa.clientId }), /aud/);
  });

  test('a client-credentials token (no user, no openid scope) gets no claims at /userinfo (OIDC Core §5.3; RFC 6750 §3.1)', async () => {
    const cc = await tokenRequest(op.url, { grant_type: 'client_credentials' }, { authorization: basicAuth(fx.service.clientId, fx.service.secret) });
    assert.equal(cc.status, 200, cc.text);
    const res = await call(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${cc.json.access_token}` } });
    assert.ok([401, 403].includes(res.status), res.text);
    assert.ok(['invalid_token', 'insufficient_scope'].includes(resourceError(res).error), res.headers.get('www-authenticate'));
    assert.equal(res.json?.sub, undefined);
  });

  test("client A's refresh token is refused to client B (RFC 6749 §6, §10.4)", async () => {
    const res = await tokenRequest(op.url, { grant_type: 'refresh_token', client_id: other.clientId, refresh_token: alice.tokens.refresh_token });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error, 'invalid_grant');
  });
});

describe('alg confusion and forged tokens (RFC 8725 §2.1, §3.1; RFC 7515 §4.1.1, §10.7; RFC 9068 §4)', () => {
  let real;
  let dpopReal;
  let key;
  let jwk;
  let forgeries;
  let hintForgeries;

  /** Forgeries of `token`: same claims, other algorithms, keys, headers, signatures. */
  async function forge(token) {
    const header = jwsPart(token, 0);
    const payload = jwsPart(token, 1);
    const [h, p, sig] = token.split('.');
    const pem = createPublicKey({ key: fx.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const der = createPublicKey({ key: fx.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(fx.publicJwk.x, 'base64url'), Buffer.from(fx.publicJwk.y, 'base64url')]);
    const attacker = await jose.generateKeyPair('ES256', { extractable: true });
    const attackerJwk = await jose.exportJWK(attacker.publicKey);
    const signWith = (hdr, claims = payload) => new jose.SignJWT(claims).setProtectedHeader(hdr).sign(attacker.privateKey);
    const out = [
      ['alg none, no signature', unsignedJws({ ...header, alg: 'none' }, payload)],
      ['alg none, original signature', unsignedJws({ ...header, alg: 'none' }, payload, sig)],
      ['alg None', unsignedJws({ ...header, alg: 'None' }, payload)],
      ['alg NONE', unsignedJws({ ...header, alg: 'NONE' }, payload)],
      ['no alg', unsignedJws({ typ: header.typ, kid: header.kid }, payload, sig)],
      ['HS256, the public JWK (JSON) as secret', await hs256Jws(header, payload, JSON.stringify(fx.publicJwk))],
      ['HS256, the JWKS entry as served as secret', await hs256Jws(header, payload, JSON.stringify(jwk))],
      ['HS256, the PEM SPKI as secret', await hs256Jws(header, payload, pem)],
      ['HS256, the DER SPKI as secret', await hs256Jws(header, payload, der)],
      ['HS256, the EC point as secret', await hs256Jws(header, payload, point)],
      ['HS256, x as secret', await hs256Jws(header, payload, fx.publicJwk.x)],
      ['ES384 label on the ES256 signature', unsignedJws({ ...header, alg: 'ES384' }, payload, sig)],
      ['RS256 label', unsignedJws({ ...header, alg: 'RS256' }, payload, sig)],
      ['PS256 label', unsignedJws({ ...header, alg: 'PS256' }, payload, sig)],
      ['EdDSA label', unsignedJws({ ...header, alg: 'EdDSA' }, payload, sig)],
      ['kid swap: the attacker key under the OP\'s kid', await signWith({ ...header })],
      ['embedded jwk: the attacker key in the header', await signWith({ ...header, jwk: attackerJwk })],
      ['jku: the attacker\'s key set', await signWith({ ...header, jku: 'https://evil.example/jwks' })],
      ['x5u', await signWith({ ...header, x5u: 'https://evil.example/cert.pem' })],
      ['kid path traversal', await signWith({ ...header, kid: '../../../../dev/null' })],
      ['no kid, attacker key', await signWith({ alg: 'ES256', typ: header.typ })],
      ['all-zero ES256 signature (CVE-2022-21449)', unsignedJws(header, payload, b64url(Buffer.alloc(64)))],
      ['truncated signature', `${h}.${p}.${sig.slice(0, 40)}`],
      ['no signature', `${h}.${p}.`],
      ['signature of another token on tampered claims', `${h}.${b64url(JSON.stringify({ ...payload, sub: mallory.sub }))}.${sig}`],
      ['five segments (JWE shape)', `${h}.${p}.${sig}.x.y`],
    ];
    return out;
  }

  before(async () => {
    real = await tokensFor(spa);
    key = await dpopKey();
    dpopReal = await dpopTokens(key);
    jwk = (await call(`${op.url}/jwks`)).json.keys[0];
    forgeries = await forge(real.tokens.access_token);
    hintForgeries = await forge(real.tokens.id_token);
  });

  test('the real tokens pass (the control)', async () => {
    const res = await call(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${real.tokens.access_token}` } });
    assert.equal(res.status, 200, res.text);
  });

  test('forged access tokens are refused at /userinfo (Bearer) and /api/me (DPoP, with a valid proof)', async () => {
    for (const [what, token] of forgeries) {
      const userinfo = await call(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(userinfo.status, 401, `/userinfo ${what}: ${userinfo.text}`);
      assert.equal(resourceError(userinfo).error, 'invalid_token', `/userinfo ${what}`);
    }
    for (const [what, token] of await forge(dpopReal.tokens.access_token)) {
      const { res } = await withDpopNonce(async (nonce) =>
        call(`${op.url}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, { htm: 'GET', htu: `${op.url}/api/me`, accessToken: token, nonce }) } }), dpopReal.nonce);
      assert.equal(res.status, 401, `/api/me ${what}: ${res.text}`);
      assert.equal(resourceError(res).error, 'invalid_token', `/api/me ${what}`);
    }
  });

  test('forged ID tokens are refused as id_token_hint, and sign nobody out (RP-Initiated Logout 1.0 §2, §4)', async () => {
    for (const [what, token] of hintForgeries) {
      const res = await real.browser.fetch(`${op.url}/end_session?id_token_hint=${encodeURIComponent(token)}`);
      const text = await res.text();
      assertRefusedPage({ status: res.status, headers: res.headers, text }, `hint ${what}`);
      assert.deepEqual(sessionCookies(res), [], `hint ${what}: no session cookie change`);
    }
    assert.ok(await stillSignedIn(real.browser), 'still signed in');
  });
});

describe('DPoP tampering (RFC 9449 §4.3, §7.1, §11.1)', () => {
  let key;
  let bound;
  let nonce;
  const api = () => `${op.url}/api/me`;
  /** GET /api/me with the bound token and `proof`. */
  const me = (proof, { scheme = 'DPoP', token = bound.tokens.access_token } = {}) =>
    call(api(), { headers: { authorization: `${scheme} ${token}`, ...(proof !== undefined && { dpop: proof }) } });
  const good = (extra = {}) => dpopProof(key, { htm: 'GET', htu: api(), accessToken: bound.tokens.access_token, nonce, ...extra });

  before(async () => {
    key = await dpopKey();
    bound = await dpopTokens(key);
    // The resource's nonce (RFC 9449 §9): learned from its first refusal.
    const first = await me(await dpopProof(key, { htm: 'GET', htu: api(), accessToken: bound.tokens.access_token }));
    assert.equal(first.status, 401);
    nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce, 'the resource hands out a nonce');
  });

  test('a correct proof passes (the control)', async () => {
    const res = await me(await good());
    assert.equal(res.status, 200, res.text);
    nonce = res.headers.get('dpop-nonce') ?? nonce;
  });

  test('htm, htu, ath, typ, alg, iat, nonce and the key mismatched are each refused (§4.3 checks 4-12, §7.1)', async () => {
    const other = await dpopKey();
    const privateJwk = await jose.exportJWK(key.privateKey);
    const cases = [
      ['htm POST for a GET', () => good({ htm: 'POST' })],
      ['htm get (case)', () => good({ htm: 'get' })],
      ['htu of another path', () => good({ htu: `${op.url}/userinfo` })],
      ['htu of another host name', () => good({ htu: api().replace('127.0.0.1', 'localhost') })],
      ['htu over https', () => good({ htu: api().replace('http:', 'https:') })],
      ['htu with a trailing slash', () => good({ htu: `${api()}/` })],
      ['ath of another token', () => good({ claims: { ath: sha256b64url('another token') } })],
      ['no ath', () => good({ claims: { ath: undefined } })],
      ['typ JWT', () => good({ header: { typ: 'JWT' } })],
      ['no typ', () => good({ header: { typ: undefined } })],
      ['iat an hour ago', () => good({ claims: { iat: Math.floor(Date.now() / 1000) - 3600 } })],
      ['iat an hour ahead', () => good({ claims: { iat: Math.floor(Date.now() / 1000) + 3600 } })],
      ['no jti', () => good({ claims: { jti: undefined } })],
      ['a nonce the server never issued', () => good({ nonce: 'not-a-server-nonce' })],
      ['no nonce', () => good({ nonce: undefined })],
      ['key swap: another key signs (cnf.jkt mismatch, §6.1)', () => dpopProof(other, { htm: 'GET', htu: api(), accessToken: bound.tokens.access_token, nonce })],
      ['key swap: the bound key in the header, another key signs', () => dpopProof(other, { htm: 'GET', htu: api(), accessToken: bound.tokens.access_token, nonce, header: { jwk: key.publicJwk } })],
      ['the private key in the header (§4.3 check 7)', () => good({ header: { jwk: privateJwk } })],
      ['alg none', async () => unsignedJws({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk }, jwsPart(await good(), 1))],
      ['HS256 with the public JWK as secret', async () => hs256Jws({ typ: 'dpop+jwt', jwk: key.publicJwk }, jwsPart(await good(), 1), JSON.stringify(key.publicJwk))],
      ['signature over other claims', async () => {
        const [h, , s] = (await good()).split('.');
        return `${h}.${b64url(JSON.stringify({ ...jwsPart(await good(), 1), htu: `${op.url}/userinfo` }))}.${s}`;
      }],
      ['a flipped signature byte', async () => {
        const proof = await good();
        const sig = Buffer.from(proof.split('.')[2], 'base64url');
        sig[10] ^= 1;
        return `${proof.split('.').slice(0, 2).join('.')}.${b64url(sig)}`;
      }],
    ];
    for (const [what, make] of cases) {
      const res = await me(await make());
      const { status, error } = resourceError(res);
      assert.equal(status, 401, `${what}: ${res.text}`);
      assert.ok(['invalid_dpop_proof', 'invalid_token', 'use_dpop_nonce'].includes(error), `${what}: ${res.headers.get('www-authenticate')}`);
      if (/nonce/.test(what)) assert.equal(error, 'use_dpop_nonce', what);
    }
  });

  test('no proof, two proofs, and the bound token as Bearer are refused (§7.1, §7.2, §4.3 check 1)', async () => {
    assert.equal((await me(undefined)).status, 401);
    const twice = await rawRequest(op.url, {
      target: '/api/me',
      headers: [['authorization', `DPoP ${bound.tokens.access_token}`], ['dpop', await good()], ['dpop', await good()]],
    });
    assert.equal(twice.status, 401, twice.body);
    const asBearer = await call(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${bound.tokens.access_token}` } });
    assert.equal(asBearer.status, 401, asBearer.text);
  });

  test('a proof replayed (same jti) is refused the second time (§11.1)', async () => {
    const proof = await good();
    const first = await me(proof);
    assert.equal(first.status, 200, first.text);
    const replay = await me(proof);
    assert.equal(replay.status, 401, replay.text);
    assert.equal(resourceError(replay).error, 'invalid_dpop_proof');
  });

  test('at the token endpoint: a refresh with another key, a proof for another URL or method, a replayed proof (§5, §4.3, §11.1)', async () => {
    const refresh = (proof) => tokenRequest(op.url, { grant_type: 'refresh_token', client_id: spa.clientId, refresh_token: bound.tokens.refresh_token }, { dpop: proof });
    const tokenUrl = `${op.url}/token`;
    const other = await dpopKey();
    const { res: swapped } = await withDpopNonce(async (n) => refresh(await dpopProof(other, { htm: 'POST', htu: tokenUrl, nonce: n })), bound.nonce);
    assert.equal(swapped.status, 400, swapped.text);
    assert.equal(swapped.json.error, 'invalid_grant', 'the refresh token is bound to the first key (§5)');
    const current = swapped.headers.get('dpop-nonce');
    for (const [what, claims] of [['htu /api/me', { htu: api() }], ['htm GET', { htm: 'GET' }], ['htu with a query', { htu: `${tokenUrl}?x=1` }]]) {
      const res = await refresh(await dpopProof(key, { htm: 'POST', htu: tokenUrl, nonce: current, claims }));
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.equal(res.json.error, 'invalid_dpop_proof', what);
    }
    // The proof of a successful refresh, replayed.
    const proof = await dpopProof(key, { htm: 'POST', htu: tokenUrl, nonce: current });
    const ok = await refresh(proof);
    assert.equal(ok.status, 200, ok.text);
    const replay = await tokenRequest(op.url, { grant_type: 'refresh_token', client_id: spa.clientId, refresh_token: ok.json.refresh_token }, { dpop: proof });
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.json.error, 'invalid_dpop_proof');
  });
});

describe('form CSRF on login and consent (RFC 6749 §10.12; OIDC Core §3.1.2.1; RFC 6265bis §8.8)', () => {
  /** A browser at the login page of a fresh authorization request. */
  async function atLogin(client = spa) {
    const browser = new Browser(op.url);
    const { challenge } = pkce();
    const page = await browser.navigate(authorizeUrl(op.url, client, { challenge, state: 'st' }));
    assert.equal(new URL(page.url).pathname, '/login', page.html);
    return { browser, url: page.url, form: parseForm(page.html) };
  }
  const post = (browser, path, fields) =>
    browser.fetch(`${op.url}${path}`, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams(fields).toString() });
  const postNoCookies = (path, fields) =>
    call(`${op.url}${path}`, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams(fields).toString() });

  test('login: no csrf, a forged one, the attacker\'s own, a cross-site POST without cookies, the attacker\'s transaction: no session, no code (login CSRF)', async () => {
    const victim = await atLogin();
    const attacker = await atLogin();
    const creds = { username: mallory.username, password: mallory.password };
    const attempts = [
      ['no csrf', () => post(victim.browser, '/login', { tx: victim.form.hidden.tx, ...creds }), 403],
      ['a forged csrf', () => post(victim.browser, '/login', { tx: victim.form.hidden.tx, csrf: 'A'.repeat(43), ...creds }), 403],
      ["the attacker's csrf with the victim's tx", () => post(victim.browser, '/login', { tx: victim.form.hidden.tx, csrf: attacker.form.hidden.csrf, ...creds }), 403],
      ["the attacker's tx and csrf in the victim's browser", () => post(victim.browser, '/login', { ...attacker.form.hidden, ...creds }), 400],
    ];
    for (const [what, send, status] of attempts) {
      const res = await send();
      assert.equal(res.status, status, `${what}: ${await res.text()}`);
      assert.equal(res.headers.get('location'), null, what);
      assert.deepEqual(sessionCookies(res), [], what);
    }
    const crossSite = await postNoCookies('/login', { ...attacker.form.hidden, ...creds });
    assertRefusedPage(crossSite, 'cross-site, no cookies');
    assert.deepEqual(sessionCookies(crossSite), []);
    assert.ok(!victim.browser.cookies.has('oe_session'), 'the victim is not signed in as the attacker');
  });

  test('consent: no csrf, a forged one, another browser\'s, no cookies: no code (RFC 6749 §10.12)', async () => {
    const victim = await login();
    const { challenge } = pkce();
    // prompt=consent: the consent page even for a first-party client (OIDC Core §3.1.2.1).
    const page = await victim.browser.navigate(authorizeUrl(op.url, spa, { challenge, state: 'st', extra: { prompt: 'consent' } }));
    assert.equal(new URL(page.url).pathname, '/consent', page.html);
    const form = parseForm(page.html);
    const attacker = await login(spa, mallory);
    const attempts = [
      ['no csrf', () => post(victim.browser, '/consent', { tx: form.hidden.tx, decision: 'allow' })],
      ['a forged csrf', () => post(victim.browser, '/consent', { tx: form.hidden.tx, csrf: 'A'.repeat(43), decision: 'allow' })],
      ["the victim's form from the attacker's browser", () => post(attacker.browser, '/consent', { ...form.hidden, decision: 'allow' })],
      ['cross-site, no cookies', () => fetch(`${op.url}/consent`, { method: 'POST', redirect: 'manual', headers: { 'content-type': FORM }, body: new URLSearchParams({ ...form.hidden, decision: 'allow' }).toString() })],
    ];
    for (const [what, send] of attempts) {
      const res = await send();
      const text = await res.text();
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${text.slice(0, 200)}`);
      assert.equal(res.headers.get('location'), null, `${what}: no redirect with a code`);
    }
    // The real form still works (the control).
    const done = await victim.browser.submit(page.url, form, { decision: 'allow' });
    assert.ok(new URL(done.location).searchParams.get('code'), done.location);
  });
});

describe('session fixation (OWASP Session Management; RFC 6265bis §8.5)', () => {
  test('a session cookie planted before login is ignored, and login sets a new one', async () => {
    const planted = b64url(randomBytes(32));
    const browser = new Browser(op.url);
    browser.cookies.set('oe_session', planted);
    const flow = await login(spa, fx.user, { browser });
    const issued = browser.setCookies.filter((l) => l.startsWith('oe_session=')).map((l) => l.split(';')[0].slice('oe_session='.length));
    assert.equal(issued.length, 1, browser.setCookies.join('\n'));
    assert.notEqual(issued[0], planted, 'a new session value');
    assert.ok(flow.code);
    const fixated = new Browser(op.url);
    fixated.cookies.set('oe_session', planted);
    assert.equal(await stillSignedIn(fixated), false, 'the planted value names no session');
  });

  test('signing in again (prompt=login) issues a new session value', async () => {
    const { browser } = await login();
    const first = browser.cookies.get('oe_session');
    await login(spa, fx.user, { browser, extra: { prompt: 'login' } });
    const second = browser.cookies.get('oe_session');
    assert.ok(first && second);
    assert.notEqual(second, first);
  });
});

describe("framing (RFC 6749 §10.13; CSP3 frame-ancestors; RFC 7034)", () => {
  test("every page the OP renders forbids framing: CSP frame-ancestors 'none' and X-Frame-Options DENY", async () => {
    const pages = [];
    const browser = new Browser(op.url);
    const { challenge } = pkce();
    const loginPage = await browser.navigate(authorizeUrl(op.url, other, { challenge, state: 'st', scope: 'openid profile', extra: { prompt: 'consent' } }));
    pages.push(['login', loginPage.res]);
    const wrong = await browser.submit(loginPage.url, parseForm(loginPage.html), { username: fx.user.username, password: 'wrong' });
    pages.push(['login error (401)', wrong.res]);
    const consent = await browser.submit(wrong.url, parseForm(wrong.html), { username: fx.user.username, password: fx.user.password });
    assert.equal(new URL(consent.url).pathname, '/consent', consent.html);
    pages.push(['consent', consent.res]);
    pages.push(['error page', (await call(`${op.url}/authorize?client_id=nobody`)).res]);
    const confirm = await browser.navigate(`${op.url}/end_session?client_id=${spa.clientId}`);
    pages.push(['logout confirmation', confirm.res]);
    const out = await browser.submit(confirm.url, parseForm(confirm.html), { confirm: 'yes' });
    pages.push(['signed out', out.res]);
    for (const [what, res] of pages) {
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, `${what}: ${csp}`);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
    }
  });
});

describe('reflected markup (OWASP XSS Prevention; HTML §13.1.2.6)', () => {
  const assertInert = (what, res) => {
    assert.ok(!res.text.includes('<script>alert(1)'), `${what}: raw <script> in ${res.text.slice(0, 500)}`);
    assert.ok(!res.text.includes('<img src=x'), `${what}: raw <img> in the page`);
    const type = res.headers.get('content-type') ?? '';
    if (/html/.test(type)) assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  };

  test('markup in client_id, redirect_uri, state, tx, parameter names and the username is escaped on every page', async () => {
    const { challenge } = pkce();
    const cases = [
      ['client_id', `${op.url}/authorize?client_id=${encodeURIComponent(MARKUP)}`],
      ['redirect_uri', authorizeUrl(op.url, spa, { challenge, extra: { redirect_uri: MARKUP } })],
      ['a repeated parameter name', `${op.url}/authorize?${encodeURIComponent(MARKUP)}=1&${encodeURIComponent(MARKUP)}=2`],
      ['tx at /login', `${op.url}/login?tx=${encodeURIComponent(MARKUP)}`],
      ['tx at /consent', `${op.url}/consent?tx=${encodeURIComponent(MARKUP)}`],
      ['client_id at /end_session', `${op.url}/end_session?client_id=${encodeURIComponent(MARKUP)}`],
      ['post_logout_redirect_uri', `${op.url}/end_session?client_id=${spa.clientId}&post_logout_redirect_uri=${encodeURIComponent(MARKUP)}`],
    ];
    for (const [what, url] of cases) {
      const res = await call(url);
      assertRefusedPage(res, what);
      assertInert(what, res);
    }
  });

  test('markup in state comes back inert: percent-encoded in redirects, escaped on the logout page', async () => {
    const { browser } = await login();
    const { challenge } = pkce();
    const res = await browser.fetch(authorizeUrl(op.url, spa, { challenge, state: MARKUP, extra: { scope: 'openid admin' } }));
    const location = res.headers.get('location');
    assert.ok(location, `status ${res.status}`);
    assert.ok(!/[<>"']/.test(location), `the Location is percent-encoded: ${location}`);
    assert.equal(new URL(location).searchParams.get('state'), MARKUP, 'state returned unchanged (RFC 6749 §4.1.2.1)');
    const page = await browser.fetch(`${op.url}/end_session?${new URLSearchParams({ client_id: spa.clientId, post_logout_redirect_uri: `${spa.origin}/`, state: MARKUP })}`);
    const text = await page.text();
    assertInert('logout page', { text, headers: page.headers });
    assert.equal(parseForm(text).hidden.state, MARKUP, 'kept exactly in the form');
  });

  test('markup as the username comes back escaped in the login form', async () => {
    const browser = new Browser(op.url);
    const { challenge } = pkce();
    const page = await browser.navigate(authorizeUrl(op.url, spa, { challenge, state: 'st' }));
    const wrong = await browser.submit(page.url, parseForm(page.html), { username: MARKUP, password: 'x' });
    assert.equal(wrong.res.status, 401);
    assertInert('login form', { text: wrong.html, headers: wrong.res.headers });
  });

  test('API errors with markup are JSON, not HTML', async () => {
    const res = await tokenRequest(op.url, { grant_type: MARKUP, client_id: spa.clientId });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type'), /^application\/json\b/);
  });
});

describe('CORS look-alikes (Fetch §3.2.5 CORS check; RFC 6454 §5: origins compare exactly)', () => {
  const lookAlikes = () => [
    `${spa.origin}.evil.example`,
    spa.origin.replace('5173', '51730'),
    spa.origin.replace('5173', '517'),
    spa.origin.replace('http:', 'https:'),
    spa.origin.replace('localhost', 'LOCALHOST'),
    spa.origin.toUpperCase(),
    `${spa.origin}/`,
    `${spa.origin}, https://evil.example`,
    spa.origin.replace('localhost', 'evil.localhost'),
    spa.origin.replace('localhost', '127.0.0.1'),
    spa.origin.replace(':5173', ''),
    spa.origin.replace('http://', 'http://evil.example@'),
    'null',
    'https://evil.example',
    '',
  ];
  /** The endpoints that act for a client: CORS per client, never for a look-alike. */
  const paths = [['POST', '/token'], ['GET', '/userinfo'], ['GET', '/api/me']];
  /** The public documents: `*` for every origin. */
  const documents = ['/jwks', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];
  const tokenBody = 'grant_type=refresh_token&refresh_token=x&client_id=demo-spa';

  test('the SPA\'s origin gets Access-Control-Allow-Origin (the control)', async () => {
    const res = await call(`${op.url}/token`, { method: 'POST', headers: { origin: spa.origin, 'content-type': FORM }, body: tokenBody });
    assert.equal(res.headers.get('access-control-allow-origin'), spa.origin);
  });

  test('look-alike origins get no ACAO on requests or preflights, and never credentials', async () => {
    for (const origin of lookAlikes()) {
      for (const [method, path] of paths) {
        const res = await rawRequest(op.url, {
          method,
          target: path,
          headers: [['origin', origin], ...(method === 'POST' ? [['content-type', FORM]] : [])],
          body: method === 'POST' ? tokenBody : undefined,
        });
        assert.equal(res.header('access-control-allow-origin'), null, `${method} ${path} from ${JSON.stringify(origin)}`);
        assert.equal(res.header('access-control-allow-credentials'), null);
        assert.match(res.header('vary') ?? '', /origin/i, `${path}: Vary: Origin, so caches keep answers apart`);
        const pre = await rawRequest(op.url, {
          method: 'OPTIONS',
          target: path,
          headers: [['origin', origin], ['access-control-request-method', method], ['access-control-request-headers', 'authorization, dpop']],
        });
        assert.ok(pre.status >= 400, `preflight ${path} from ${JSON.stringify(origin)}: ${pre.status}`);
        assert.equal(pre.header('access-control-allow-origin'), null);
      }
    }
  });

  test('public documents answer every origin, look-alikes included, with * and never the origin or credentials', async () => {
    for (const origin of lookAlikes()) {
      for (const path of documents) {
        const res = await rawRequest(op.url, { target: path, headers: [['origin', origin]] });
        assert.equal(res.status, 200, path);
        assert.equal(res.header('access-control-allow-origin'), '*', `${path} from ${JSON.stringify(origin)}`);
        assert.equal(res.header('access-control-allow-credentials'), null);
      }
    }
  });

  test('two Origin fields, the first one allowed, get no ACAO', async () => {
    const res = await rawRequest(op.url, {
      method: 'POST',
      target: '/token',
      headers: [['origin', spa.origin], ['origin', 'https://evil.example'], ['content-type', FORM]],
      body: tokenBody,
    });
    const acao = res.header('access-control-allow-origin');
    assert.ok(acao === null || acao === spa.origin, `ACAO ${acao}`);
    assert.notEqual(acao, 'https://evil.example');
  });

  test('pages and /authorize are navigations: no ACAO even for the SPA origin', async () => {
    for (const path of ['/authorize?client_id=x', '/login', '/end_session']) {
      const res = await call(`${op.url}${path}`, { headers: { origin: spa.origin } });
      assert.equal(res.headers.get('access-control-allow-origin'), null, path);
    }
  });
});

describe('logout CSRF (OIDC RP-Initiated Logout 1.0 §2, §5; issue 12 finding 2)', () => {
  /** The victim: signed in, with an ID token for the current session. */
  const victim = async () => tokensFor(spa);
  const endSession = (params) => new URLSearchParams({ client_id: spa.clientId, post_logout_redirect_uri: `${spa.origin}/`, state: 'st', ...params }).toString();

  test('a cross-site POST carries no cookie (SameSite=Lax): its answer sets no session cookie, and the victim stays signed in', async () => {
    const { browser } = await victim();
    const res = await call(`${op.url}/end_session`, { method: 'POST', headers: { 'content-type': FORM }, body: endSession({}) });
    assert.deepEqual(sessionCookies(res), [], 'no Set-Cookie for a session the request did not present');
    // What the browser would do with the answer of that cross-site navigation.
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name] = pair.split('=');
      if (/max-age=0/i.test(line)) browser.cookies.delete(name.trim());
    }
    assert.ok(await stillSignedIn(browser), 'the victim is still signed in');
  });

  test('a cross-site GET with a valid id_token_hint but no cookie sets no session cookie', async () => {
    const { browser, tokens } = await victim();
    const res = await call(`${op.url}/end_session?${endSession({ id_token_hint: tokens.id_token })}`);
    assert.deepEqual(sessionCookies(res), [], 'no Set-Cookie for a session the request did not present');
    assert.ok(await stillSignedIn(browser));
  });

  test('a POST with the session cookie but without the confirmation form gets the confirmation page, not a logout', async () => {
    const { browser } = await victim();
    for (const extra of [{}, { confirm: 'yes' }, { confirm: 'yes', csrf: '' }]) {
      const res = await browser.fetch(`${op.url}/end_session`, { method: 'POST', headers: { 'content-type': FORM }, body: endSession(extra) });
      const html = await res.text();
      assert.equal(res.status, 200, `${JSON.stringify(extra)}: ${html.slice(0, 300)}`);
      assert.equal(res.headers.get('location'), null);
      assert.ok(parseForm(html).hidden.csrf, 'the confirmation form');
      assert.deepEqual(sessionCookies(res), []);
    }
    assert.ok(await stillSignedIn(browser));
  });

  test('a GET with the session cookie and no hint (a cross-site top-level navigation) gets the confirmation page', async () => {
    const { browser } = await victim();
    const res = await browser.fetch(`${op.url}/end_session?${endSession({})}`);
    assert.equal(res.status, 200);
    assert.ok(parseForm(await res.text()).hidden.csrf);
    assert.deepEqual(sessionCookies(res), []);
    assert.ok(await stillSignedIn(browser));
  });

  test("an id_token_hint of another session, or the attacker's, does not sign out without confirmation (§2: MUST ask)", async () => {
    const { browser } = await victim();
    const sameUserOtherSession = await victim();
    const attackers = await tokensFor(spa, mallory);
    for (const hint of [sameUserOtherSession.tokens.id_token, attackers.tokens.id_token]) {
      const res = await browser.fetch(`${op.url}/end_session?${endSession({ id_token_hint: hint })}`);
      assert.equal(res.status, 200, await res.clone().text());
      assert.ok(parseForm(await res.text()).hidden.csrf, 'the confirmation page');
      assert.deepEqual(sessionCookies(res), []);
    }
    assert.ok(await stillSignedIn(browser));
  });

  test("the confirmation form with a forged csrf, or another browser's, does not sign out", async () => {
    const { browser } = await victim();
    const attacker = await victim();
    const page = await attacker.browser.navigate(`${op.url}/end_session?${endSession({})}`);
    const attackerCsrf = parseForm(page.html).hidden.csrf;
    for (const csrf of ['A'.repeat(43), attackerCsrf]) {
      const res = await browser.fetch(`${op.url}/end_session`, { method: 'POST', headers: { 'content-type': FORM }, body: endSession({ confirm: 'yes', csrf }) });
      await res.arrayBuffer();
      assert.equal(res.headers.get('location'), null);
      assert.deepEqual(sessionCookies(res), []);
    }
    assert.ok(await stillSignedIn(browser));
  });

  test('the controls: the confirmation form, or a hint naming the current session, sign out and return with state (§2, §3)', async () => {
    const a = await victim();
    const page = await a.browser.navigate(`${op.url}/end_session?${endSession({})}`);
    const done = await a.browser.submit(page.url, parseForm(page.html), { confirm: 'yes' });
    const back = new URL(done.location);
    assert.equal(`${back.origin}${back.pathname}`, `${spa.origin}/`);
    assert.equal(back.searchParams.get('state'), 'st');
    assert.equal(sessionCookies(done.res).length, 1);
    assert.equal(await stillSignedIn(a.browser), false);

    const b = await victim();
    const hinted = await b.browser.navigate(`${op.url}/end_session?${endSession({ id_token_hint: b.tokens.id_token })}`);
    assert.ok(hinted.location?.startsWith(`${spa.origin}/`), `redirected back: ${hinted.location ?? hinted.html}`);
    assert.equal(await stillSignedIn(b.browser), false);
  });
});

describe('the Basic-é crash (RFC 9110 §11.6.2, §5.5; RFC 7617 §2; issue 12 finding 1)', () => {
  const utf8 = (s) => Buffer.from(s, 'utf8');
  const values = [
    ['Basicé (é at bytes 5-6, sliced at 6)', utf8('Basicé')],
    ['Basicéxyz', utf8('Basicéxyz')],
    ['basicé', utf8('basicé==')],
    ['Basic€ (3 bytes from 5)', utf8('Basic€')],
    ['Basi𐍈 (4 bytes from 4)', utf8('Basi𐍈x')],
    ['ééé', utf8('ééé')],
    ['Basic\\xE9 (latin1, as fetch sends é)', Buffer.concat([utf8('Basic'), Buffer.from([0xe9, 0x41, 0x42])])],
  ];
  const crash = (value) => rawRequest(op.url, {
    method: 'POST',
    target: '/token',
    headers: [['content-type', FORM], ['authorization', value]],
    body: 'grant_type=client_credentials',
  });
  const legit = () => tokenRequest(op.url, { grant_type: 'client_credentials' }, { authorization: basicAuth(fx.service.clientId, fx.service.secret) });

  test('each value gets a 4xx JSON error at /token, never a 5xx', async () => {
    for (const [what, value] of values) {
      const res = await crash(value);
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${res.body.slice(0, 200)}`);
      assert.match(res.header('content-type') ?? '', /^application\/json\b/, what);
    }
    // …and through fetch (Latin-1 bytes on the wire).
    const viaFetch = await tokenRequest(op.url, { grant_type: 'client_credentials' }, { authorization: 'Basicé' });
    assert.ok(viaFetch.status >= 400 && viaFetch.status < 500, `${viaFetch.status}`);
  });

  test('20 legitimate requests sent alongside all succeed (the trap failed 11 of 20)', async () => {
    const [legits, crashes] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, legit)),
      Promise.all(values.flatMap(([, v]) => [crash(v), crash(v)])),
    ]);
    assert.deepEqual(legits.map((r) => r.status), Array(20).fill(200), legits.map((r) => r.text.slice(0, 120)).join('\n'));
    assert.ok(crashes.every((r) => r.status < 500), crashes.map((r) => r.status).join(','));
  });

  test('the same values at /userinfo and /api/me are 401', async () => {
    for (const path of ['/userinfo', '/api/me']) {
      for (const [what, value] of values) {
        const res = await rawRequest(op.url, { target: path, headers: [['authorization', value]] });
        assert.equal(res.status, 401, `${path} ${what}: ${res.status} ${res.body.slice(0, 200)}`);
      }
    }
  });
});
