// The OpenID Provider end to end: the real Worker on workerd (`wrangler dev`, local KV), driven
// by an independent, strict relying-party library (`oauth4webapi` v3) for every protocol step,
// and by plain `fetch` with a cookie jar for the parts a browser does (the login form).
// Each test names the section of the specification it checks.
//
//   node --test tests/e2e/op.test.mjs
//
// One `wrangler dev` serves the whole file; its configuration comes from ./fixture.mjs (made
// with Node's crypto and `jose`, not by the Rust code), with the issuer set to the URL used here.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';
import * as oauth from 'oauth4webapi';

import { rejection } from '../shared/node-helpers.mjs';
import { Browser, parseForm, rawRequest } from './browserless.mjs';
import { insecure, startOauthOp } from './oauth-op.mjs';

const b64urlJson = (segment) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
/** The payload of a compact JWS, without verifying it (for claims already verified elsewhere). */
const payloadOf = (jwt) => b64urlJson(jwt.split('.')[1]);

describe('the OP on workerd, driven by oauth4webapi', () => {
  let op;
  let fx;
  /** @type {oauth.AuthorizationServer} */
  let as;
  /** The public SPA client (PKCE, no secret) and the confidential service client. */
  let spa;
  let service;
  let started;

  before(async () => {
    started = await startOauthOp();
    ({ op, fx, as, spa, service } = started);
  });
  after(async () => {
    await started?.stop('tests');
  });

  /** The authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1). */
  function authorizationUrl({ state, nonce, challenge, scope = 'openid profile email offline_access', extra = {} }) {
    const url = new URL(as.authorization_endpoint);
    const params = {
      response_type: 'code',
      client_id: fx.spa.clientId,
      redirect_uri: fx.spa.redirectUri,
      scope,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(state && { state }),
      ...(nonce && { nonce }),
      ...extra,
    };
    url.search = new URLSearchParams(params).toString();
    return url.href;
  }

  /**
   * A user agent going through /authorize and the login form; returns the callback
   * parameters as validated by oauth4webapi (state and `iss` checked), with what the client
   * keeps for the code exchange.
   */
  async function signIn({ scope, extra } = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const browser = new Browser(op.url);
    const login = await browser.navigate(authorizationUrl({ state, nonce, challenge, scope, extra }));
    assert.equal(login.res.status, 200, login.html);
    assert.equal(new URL(login.url).pathname, '/login');
    const done = await browser.submit(login.url, parseForm(login.html), {
      username: fx.user.username,
      password: fx.user.password,
    });
    assert.ok(done.location, `expected a redirect to the client, got ${done.res.status}: ${done.html}`);
    const params = oauth.validateAuthResponse(as, spa, new URL(done.location), state);
    return { browser, params, verifier, nonce, state, location: done.location };
  }

  /** The code exchange for a public client, processed (and the ID token checked) by oauth4webapi. */
  async function exchange({ params, verifier, nonce }, options = {}) {
    const res = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, fx.spa.redirectUri, verifier, {
      ...insecure,
      ...options,
    });
    return { res, tokens: await oauth.processAuthorizationCodeResponse(as, spa, res, { expectedNonce: nonce, requireIdToken: true }) };
  }

  async function refresh(refreshToken, options = {}) {
    const res = await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), refreshToken, { ...insecure, ...options });
    return oauth.processRefreshTokenResponse(as, spa, res);
  }

  /** RFC 9449 §8: a request refused with `use_dpop_nonce` is sent once more; the DPoP handle
   * has already kept the `DPoP-Nonce` of the refusal. Returns the result and the refusal. */
  async function withNonceRetry(send, process) {
    try {
      return { result: await process(await send()), refusal: undefined };
    } catch (err) {
      if (!oauth.isDPoPNonceError(err)) throw err;
      return { result: await process(await send()), refusal: err };
    }
  }

  // ---------------------------------------------------------------------------------------

  test('1. discovery: both well-known documents and the JWKS (OIDC Discovery §3-4, RFC 8414 §3, RFC 7517 §5)', async () => {
    const issuer = new URL(fx.config.issuer);
    // OpenID Connect Discovery 1.0 §4: /.well-known/openid-configuration; RFC 8414 §3:
    // /.well-known/oauth-authorization-server. oauth4webapi checks `issuer` equals the URL (§4.3 / §3.3).
    const oidc = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
    const rfc8414 = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }));
    assert.deepEqual({ ...rfc8414 }, { ...oidc }, 'both documents describe the same server');
    assert.equal(oidc.issuer, fx.config.issuer);
    for (const [name, path] of [
      ['authorization_endpoint', '/authorize'],
      ['token_endpoint', '/token'],
      ['userinfo_endpoint', '/userinfo'],
      ['jwks_uri', '/jwks'],
    ]) {
      assert.equal(oidc[name], `${fx.config.issuer}${path}`, name);
    }
    assert.deepEqual(oidc.response_types_supported, ['code']);
    assert.deepEqual(oidc.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(oidc.id_token_signing_alg_values_supported, ['ES256']);
    assert.equal(oidc.authorization_response_iss_parameter_supported, true, 'RFC 9207 §3');
    assert.ok(oidc.dpop_signing_alg_values_supported.includes('ES256'), 'RFC 9449 §5.1');
    assert.ok(oidc.subject_types_supported.includes('public'), 'Discovery §3 REQUIRED field');

    const res = await fetch(oidc.jwks_uri);
    assert.equal(res.status, 200);
    // RFC 7517 §8.5.1 registers application/jwk-set+json; Content-Type is a singleton field
    // (RFC 9110 §8.3, §5.3): exactly one media type, not two joined by a comma.
    const contentType = res.headers.get('content-type') ?? '';
    assert.ok(
      ['application/jwk-set+json', 'application/json'].includes(contentType.split(';')[0].trim()),
      `GET /jwks Content-Type must be one media type, got ${JSON.stringify(contentType)}`,
    );
    const jwks = await res.json();
    assert.ok(Array.isArray(jwks.keys) && jwks.keys.length >= 1);
    const key = jwks.keys.find((k) => k.kid === fx.publicJwk.kid);
    assert.ok(key, `kid ${fx.publicJwk.kid} in ${JSON.stringify(jwks)}`);
    assert.equal(key.kty, 'EC');
    assert.equal(key.crv, 'P-256');
    assert.equal(key.x, fx.publicJwk.x);
    assert.equal(key.y, fx.publicJwk.y);
    // RFC 7518 §6.2.2 / §6.3.2 / §6.4.1: private (and symmetric) members must never be published.
    for (const k of jwks.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
        assert.ok(!(member in k), `public JWKS key ${k.kid} has private member ${member}`);
      }
    }
  });

  test('2. code flow + PKCE through the login form, ID token and UserInfo (OIDC Core §3.1, RFC 7636, RFC 9207, Core §5.3)', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const browser = new Browser(op.url);

    // RFC 6749 §4.1.1: the user agent is sent to /authorize and on to the login page.
    const login = await browser.navigate(authorizationUrl({ state, nonce, challenge }));
    assert.equal(login.res.status, 200, login.html);
    assert.equal(new URL(login.url).pathname, '/login');
    const form = parseForm(login.html);
    assert.equal(form.method, 'POST');
    assert.ok(form.hidden.tx && form.hidden.csrf, 'hidden tx and csrf inputs');
    assert.deepEqual(form.fields.sort(), ['password', 'username']);

    // A wrong password: the form again, 401, no redirect and no session.
    const wrong = await browser.submit(login.url, form, { username: fx.user.username, password: `${fx.user.password}x` });
    assert.equal(wrong.res.status, 401, wrong.html);
    assert.equal(wrong.location, undefined);
    assert.ok(!browser.cookies.has('oe_session'), 'no session after a failed login');
    assert.match(wrong.html, /Wrong username or password/);

    // The right one, from the form of the error page: a 303 to the redirect URI (first-party
    // client: no consent page) with code, state and iss.
    const done = await browser.submit(wrong.url, parseForm(wrong.html), {
      username: fx.user.username,
      password: fx.user.password,
    });
    assert.equal(done.res.status, 303);
    assert.ok(done.location?.startsWith(`${fx.spa.redirectUri}?`), done.location);
    const callback = new URL(done.location);
    // RFC 9207 §2: iss in the authorization response. validateAuthResponse checks it and state.
    assert.equal(callback.searchParams.get('iss'), fx.config.issuer);
    const params = oauth.validateAuthResponse(as, spa, callback, state);
    assert.ok(params.get('code'));

    // RFC 6749 §4.1.3 + RFC 7636 §4.5; OIDC Core §3.1.3.7 ID token checks by oauth4webapi
    // (iss, aud, exp, iat, sub, nonce).
    const { res, tokens } = await exchange({ params, verifier, nonce });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.expires_in, fx.config.lifetimes.access_token);
    assert.ok(tokens.refresh_token, 'offline_access granted: a refresh token');
    // oauth4webapi leaves the signature of a token-endpoint ID token to TLS (Core §3.1.3.7 (6));
    // check it against the JWKS it discovered, and against the fixture's key independently.
    await oauth.validateApplicationLevelSignature(as, res, insecure);
    const verified = await jose.jwtVerify(tokens.id_token, await jose.importJWK(fx.publicJwk, 'ES256'), {
      issuer: fx.config.issuer,
      audience: fx.spa.clientId,
      algorithms: ['ES256'],
    });
    assert.equal(verified.protectedHeader.kid, fx.publicJwk.kid);

    const claims = oauth.getValidatedIdTokenClaims(tokens);
    assert.equal(claims.sub, fx.user.sub);
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.email, 'demo@example.com');
    assert.equal(claims.name, 'Demo User');
    assert.equal(typeof claims.auth_time, 'number');
    assert.ok(Math.abs(claims.auth_time - Date.now() / 1000) < 120, 'auth_time is the login just done');
    // OIDC Core §2, RFC 8176 §2: how the user authenticated (the password form).
    assert.deepEqual(claims.amr, ['pwd']);
    // OIDC Core §3.1.3.8 / §3.3.2.11: at_hash is the left half of SHA-256 of the access token.
    const digest = createHash('sha256').update(tokens.access_token).digest();
    assert.equal(claims.at_hash, digest.subarray(0, 16).toString('base64url'));

    // OIDC Core §5.3 via oauth4webapi: `sub` must equal the ID token's (§5.3.2).
    const userinfo = await oauth.processUserInfoResponse(
      as,
      spa,
      claims.sub,
      await oauth.userInfoRequest(as, spa, tokens.access_token, insecure),
    );
    assert.equal(userinfo.sub, fx.user.sub);
    assert.equal(userinfo.email, 'demo@example.com');
    assert.equal(userinfo.name, 'Demo User');
  });

  test('3. refresh rotation: new token each time, grace retry, reuse revokes the family (RFC 6749 §6, RFC 9700 §4.14.2)', async () => {
    const flow = await signIn();
    const { tokens } = await exchange(flow);
    const rt0 = tokens.refresh_token;

    const first = await refresh(rt0);
    const rt1 = first.refresh_token;
    assert.ok(rt1 && rt1 !== rt0, 'rotation: a new refresh token');
    assert.notEqual(first.access_token, tokens.access_token);
    assert.equal(first.token_type, 'bearer');
    // OIDC Core §12.2: a refreshed ID token (oauth4webapi checked iss, aud, exp) keeps sub and
    // the original auth_time.
    const original = oauth.getValidatedIdTokenClaims(tokens);
    const refreshedId = oauth.getValidatedIdTokenClaims(first);
    if (refreshedId) {
      assert.equal(refreshedId.sub, original.sub);
      assert.equal(refreshedId.auth_time, original.auth_time);
    }

    // The same old token again at once (a lost response retried): the same successor.
    const retry = await refresh(rt0);
    assert.equal(retry.refresh_token, rt1, 'a retry within the grace window gets the same successor');

    const second = await refresh(rt1);
    const rt2 = second.refresh_token;
    assert.ok(rt2 && rt2 !== rt1 && rt2 !== rt0);

    // rt0 again, now that its successor has itself been rotated: that is not a retry but a
    // replay, refused, and the whole family ends.
    const replay = await rejection(() => refresh(rt0));
    assert.ok(replay instanceof oauth.ResponseBodyError, String(replay));
    assert.equal(replay.status, 400);
    assert.equal(replay.error, 'invalid_grant');

    for (const [name, token] of [['the newest token', rt2], ['the middle token', rt1]]) {
      const err = await rejection(() => refresh(token));
      assert.ok(err instanceof oauth.ResponseBodyError, `${name}: ${err}`);
      assert.equal(err.error, 'invalid_grant', `${name} is revoked with its family`);
    }
  });

  test('4. client credentials with client_secret_basic; a wrong secret is 401 invalid_client (RFC 6749 §4.4, §2.3.1, §5.2)', async () => {
    const res = await oauth.clientCredentialsGrantRequest(as, service, oauth.ClientSecretBasic(fx.service.secret), { scope: 'api:read' }, insecure);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const tokens = await oauth.processClientCredentialsResponse(as, service, res);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'api:read');
    assert.equal(tokens.refresh_token, undefined, 'RFC 6749 §4.4.3: no refresh token');
    assert.equal(tokens.id_token, undefined, 'no user, no ID token');
    const at = payloadOf(tokens.access_token);
    assert.equal(at.client_id, fx.service.clientId);
    assert.equal(at.sub, fx.service.clientId, 'RFC 9068 §2.2: sub is the client for client credentials');
    assert.equal(at.iss, fx.config.issuer);

    // A wrong secret: 401, WWW-Authenticate Basic (the client used the header), invalid_client.
    const bad = await oauth.clientCredentialsGrantRequest(as, service, oauth.ClientSecretBasic(`${fx.service.secret}x`), {}, insecure);
    const err = await rejection(() => oauth.processClientCredentialsResponse(as, service, bad));
    assert.ok(err instanceof oauth.WWWAuthenticateChallengeError, String(err));
    assert.equal(err.response.status, 401);
    assert.equal(err.cause[0].scheme, 'basic');
    assert.equal((await err.response.json()).error, 'invalid_client');

    // An unknown client with Basic: the same answer (no client enumeration).
    const unknown = await oauth.clientCredentialsGrantRequest(as, { client_id: 'nobody' }, oauth.ClientSecretBasic('x'), {}, insecure);
    assert.equal(unknown.status, 401);
    assert.equal((await unknown.json()).error, 'invalid_client');
  });

  test('5. DPoP-bound code flow with a nonce round trip, UserInfo and refresh (RFC 9449 §5, §7, §8, §10)', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(spa, keyPair);
    const jkt = await DPoP.calculateThumbprint();
    // RFC 9449 §10: dpop_jkt binds the code to the key.
    const flow = await signIn({ extra: { dpop_jkt: jkt } });

    let sends = 0;
    let tokenRes;
    const { result: tokens, refusal } = await withNonceRetry(
      async () => {
        sends++;
        tokenRes = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), flow.params, fx.spa.redirectUri, flow.verifier, { ...insecure, DPoP });
        return tokenRes;
      },
      (res) => oauth.processAuthorizationCodeResponse(as, spa, res, { expectedNonce: flow.nonce, requireIdToken: true }),
    );
    // RFC 9449 §8: the first request (no nonce) is refused with use_dpop_nonce and a DPoP-Nonce.
    assert.ok(refusal, 'the token endpoint must demand a server nonce');
    assert.equal(sends, 2);
    assert.ok(refusal instanceof oauth.ResponseBodyError, String(refusal));
    assert.equal(refusal.status, 400);
    assert.equal(refusal.error, 'use_dpop_nonce');
    assert.ok(refusal.response.headers.get('dpop-nonce'), 'DPoP-Nonce on the refusal');

    assert.equal(tokens.token_type, 'dpop', 'RFC 9449 §5: token_type DPoP');
    assert.equal(tokenRes.headers.get('cache-control'), 'no-store');
    assert.equal(payloadOf(tokens.access_token).cnf?.jkt, jkt, 'RFC 9449 §6.1: cnf.jkt is the key thumbprint');

    // RFC 9449 §7.1: UserInfo with the DPoP scheme and a proof carrying ath.
    const { result: userinfo } = await withNonceRetry(
      () => oauth.userInfoRequest(as, spa, tokens.access_token, { ...insecure, DPoP }),
      (res) => oauth.processUserInfoResponse(as, spa, fx.user.sub, res),
    );
    assert.equal(userinfo.sub, fx.user.sub);

    // RFC 9449 §7.2: the same token as a Bearer token is refused.
    const asBearer = await oauth.userInfoRequest(as, spa, tokens.access_token, insecure);
    assert.equal(asBearer.status, 401);
    const bearerErr = await rejection(() => oauth.processUserInfoResponse(as, spa, fx.user.sub, asBearer));
    assert.ok(bearerErr instanceof oauth.WWWAuthenticateChallengeError, String(bearerErr));
    assert.equal(bearerErr.cause[0].scheme, 'dpop');
    assert.equal(bearerErr.cause[0].parameters.error, 'invalid_token');

    // The refresh token of a public client is bound too (RFC 9449 §5): another key is refused…
    const otherDPoP = oauth.DPoP(spa, await oauth.generateKeyPair('ES256'));
    const wrongKey = await rejection(() =>
      withNonceRetry(
        () => oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token, { ...insecure, DPoP: otherDPoP }),
        (res) => oauth.processRefreshTokenResponse(as, spa, res),
      ),
    );
    assert.ok(wrongKey instanceof oauth.ResponseBodyError, String(wrongKey));
    assert.equal(wrongKey.error, 'invalid_grant');
    // …and the right key refreshes into another DPoP-bound token.
    const { result: refreshed } = await withNonceRetry(
      () => oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token, { ...insecure, DPoP }),
      (res) => oauth.processRefreshTokenResponse(as, spa, res),
    );
    assert.equal(refreshed.token_type, 'dpop');
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);
    assert.equal(payloadOf(refreshed.access_token).cnf?.jkt, jkt);
  });

  test('6. a replayed code is refused and revokes what it issued (RFC 6749 §4.1.2, §10.5)', async () => {
    const flow = await signIn();
    const { tokens } = await exchange(flow);
    // The first access token works.
    await oauth.processUserInfoResponse(as, spa, fx.user.sub, await oauth.userInfoRequest(as, spa, tokens.access_token, insecure));

    const replay = await rejection(() => exchange(flow));
    assert.ok(replay instanceof oauth.ResponseBodyError, String(replay));
    assert.equal(replay.status, 400);
    assert.equal(replay.error, 'invalid_grant');

    const res = await oauth.userInfoRequest(as, spa, tokens.access_token, insecure);
    assert.equal(res.status, 401, 'the access token issued for the code is revoked');
    const err = await rejection(() => oauth.processUserInfoResponse(as, spa, fx.user.sub, res));
    assert.ok(err instanceof oauth.WWWAuthenticateChallengeError, String(err));
    assert.equal(err.cause[0].scheme, 'bearer');
    assert.equal(err.cause[0].parameters.error, 'invalid_token', 'RFC 6750 §3.1');

    const refreshErr = await rejection(() => refresh(tokens.refresh_token));
    assert.equal(refreshErr.error, 'invalid_grant', 'and so is its refresh token');
  });

  test('7. hostile input gets 4xx, never 500; API errors are JSON (RFC 6749 §3.1-3.2, §5.2, RFC 6750 §3.1, RFC 9449 §4.3)', async (t) => {
    const form = 'application/x-www-form-urlencoded';
    const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    const goodBasic = basic(fx.service.clientId, fx.service.secret);
    const tokenUrl = `${op.url}/token`;
    const userinfoUrl = `${op.url}/userinfo`;

    /** A response in one shape for fetch and rawRequest answers. */
    const viaFetch = async (url, init) => {
      const res = await fetch(url, { redirect: 'manual', ...init });
      return { status: res.status, header: (n) => res.headers.get(n), body: await res.text() };
    };
    const viaRaw = (init) => rawRequest(op.url, init);
    /** A real DPoP proof for POST /token, made with jose (independent of the OP). */
    const proof = async () => {
      const { privateKey, publicKey } = await jose.generateKeyPair('ES256');
      return new jose.SignJWT({ htm: 'POST', htu: tokenUrl, jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await jose.exportJWK(publicKey) })
        .setIssuedAt()
        .sign(privateKey);
    };

    /** An API answer: 4xx (`status` when given), JSON `{ error }` (`error` when given). */
    const api = (name, send, { status, error, errors } = {}) =>
      t.test(name, async () => {
        const res = await send();
        assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${res.body.slice(0, 300)}`);
        if (status !== undefined) assert.equal(res.status, status, res.body.slice(0, 300));
        assert.match(res.header('content-type') ?? '', /^application\/json\b/, `JSON error body, got ${res.body.slice(0, 200)}`);
        const body = JSON.parse(res.body);
        assert.equal(typeof body.error, 'string');
        if (error !== undefined) assert.equal(body.error, error, JSON.stringify(body));
        if (errors !== undefined) assert.ok(errors.includes(body.error), JSON.stringify(body));
      });
    /** A page answer: 4xx HTML, and never a redirect (RFC 6749 §4.1.2.1). */
    const page = (name, send, { status } = {}) =>
      t.test(name, async () => {
        const res = await send();
        assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${res.body.slice(0, 300)}`);
        if (status !== undefined) assert.equal(res.status, status);
        assert.equal(res.header('location'), null, 'not a redirect');
        assert.match(res.header('content-type') ?? '', /^text\/html\b/);
      });

    // --- /token (RFC 6749 §3.2, §5.2) ---
    await api('garbage form body', () => viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form }, body: '%zz=%%&&=%G1' }), { status: 400, error: 'invalid_request' });
    await api('binary garbage as a form', () => viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form }, body: Buffer.from([0, 1, 2, 0x25, 0x80, 0xff, 0x3d, 0x26]) }), { status: 400, error: 'invalid_request' });
    await api('repeated grant_type (§3.2: parameters MUST NOT repeat)', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: goodBasic }, body: 'grant_type=client_credentials&grant_type=client_credentials' }), { status: 400, error: 'invalid_request' });
    await api('repeated client_id', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form }, body: `grant_type=refresh_token&refresh_token=x&client_id=${fx.spa.clientId}&client_id=${fx.spa.clientId}` }), { status: 400, error: 'invalid_request' });
    await api('a 70 KB body (Content-Length)', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form }, body: `grant_type=refresh_token&client_id=${fx.spa.clientId}&refresh_token=${'a'.repeat(70_000)}` }), { status: 413 });
    await api('a 70 KB body (chunked, no Content-Length)', () =>
      viaFetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': form },
        duplex: 'half',
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 70; i++) controller.enqueue(new TextEncoder().encode('a'.repeat(1024)));
            controller.close();
          },
        }),
      }), { status: 413 });
    await api('a JSON body', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: goodBasic }, body: JSON.stringify({ grant_type: 'client_credentials' }) }), { status: 400, error: 'invalid_request' });
    await api('no Content-Type', () => viaRaw({ method: 'POST', target: '/token', headers: [['authorization', goodBasic]], body: 'grant_type=client_credentials' }), { status: 400, error: 'invalid_request' });
    await api('unknown grant_type (§5.2 unsupported_grant_type)', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: goodBasic }, body: 'grant_type=urn:example:magic' }), { status: 400, error: 'unsupported_grant_type' });
    await api('Authorization: Basic !!! (§5.2: 401 invalid_client)', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: 'Basic !!!' }, body: 'grant_type=client_credentials' }), { status: 401, error: 'invalid_client' });
    await api('Authorization: Basic without a colon', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }, body: 'grant_type=client_credentials' }), { status: 401, error: 'invalid_client' });
    await api('Authorization: Basic with empty id and secret', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: `Basic ${Buffer.from(':').toString('base64')}` }, body: 'grant_type=client_credentials' }), { status: 401, error: 'invalid_client' });
    await api('Authorization: Basic of non-UTF-8 bytes', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: `Basic ${Buffer.from([0xff, 0x3a, 0xfe]).toString('base64')}` }, body: 'grant_type=client_credentials' }), { status: 401, error: 'invalid_client' });
    await api('Authorization: Bearer at the token endpoint', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: 'Bearer abc' }, body: 'grant_type=client_credentials' }), { status: 401, error: 'invalid_client' });
    await api('Basic and client_secret together (§2.3: one method)', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: goodBasic }, body: `grant_type=client_credentials&client_secret=${fx.service.secret}` }), { status: 400, error: 'invalid_request' });
    await api('two Authorization header fields', () =>
      viaRaw({ method: 'POST', target: '/token', headers: [['content-type', form], ['authorization', goodBasic], ['authorization', goodBasic]], body: 'grant_type=client_credentials' }), { errors: ['invalid_request', 'invalid_client'] });
    await api('DPoP: junk (RFC 9449 §5 invalid_dpop_proof)', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, dpop: 'junk' }, body: `grant_type=refresh_token&refresh_token=x&client_id=${fx.spa.clientId}` }), { status: 400, error: 'invalid_dpop_proof' });
    await api('DPoP: a JWS-shaped junk proof', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, dpop: 'eyJhbGciOiJub25lIn0.eyJ9.' }, body: `grant_type=refresh_token&refresh_token=x&client_id=${fx.spa.clientId}` }), { status: 400, error: 'invalid_dpop_proof' });
    await api('two DPoP header fields, each a valid proof (RFC 9449 §4.3 check 1)', async () =>
      viaRaw({ method: 'POST', target: '/token', headers: [['content-type', form], ['dpop', await proof()], ['dpop', await proof()]], body: `grant_type=refresh_token&refresh_token=x&client_id=${fx.spa.clientId}` }), { status: 400, error: 'invalid_dpop_proof' });
    await api('non-UTF-8 bytes in the form body', () =>
      viaRaw({ method: 'POST', target: '/token', headers: [['content-type', form], ['authorization', goodBasic]], body: Buffer.concat([Buffer.from('grant_type=client_credentials&scope='), Buffer.from([0xc3, 0x28, 0xff, 0xfe])]) }), { status: 400, error: 'invalid_request' });
    await api('percent-encoded non-UTF-8 in the form body', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form, authorization: goodBasic }, body: 'grant_type=client_credentials&scope=%C3%28%FF' }), { status: 400, error: 'invalid_request' });
    await api('GET /token (§3.2: POST only)', async () => {
      const res = await viaFetch(tokenUrl);
      assert.equal(res.header('allow'), 'POST');
      return res;
    }, { status: 405 });
    await api('PUT /token', () => viaFetch(tokenUrl, { method: 'PUT', body: 'x' }), { status: 405 });
    await api('an unknown authorization code', () =>
      viaFetch(tokenUrl, { method: 'POST', headers: { 'content-type': form }, body: `grant_type=authorization_code&client_id=${fx.spa.clientId}&code=nope&redirect_uri=${encodeURIComponent(fx.spa.redirectUri)}&code_verifier=${'a'.repeat(43)}` }), { status: 400, error: 'invalid_grant' });

    // --- /userinfo: a protected resource (RFC 6750 §3.1, RFC 9449 §7.1) ---
    const bearerish = [
      ['no Authorization', undefined],
      ['Authorization: Bearer (no token)', 'Bearer'],
      ['Authorization: Bearer a.b.c', 'Bearer a.b.c'],
      ['Authorization: Bearer 10 KB of junk', `Bearer ${'x'.repeat(10_000)}`],
      ['Authorization: Basic at UserInfo', goodBasic],
      ['Authorization: DPoP junk without a proof', 'DPoP junk'],
      ['Authorization: Bearer with a stray comma', 'Bearer , x'],
    ];
    for (const [name, authorization] of bearerish) {
      await api(name, async () => {
        const res = await viaFetch(userinfoUrl, { headers: authorization === undefined ? {} : { authorization } });
        assert.ok(res.header('www-authenticate'), 'RFC 6750 §3: a WWW-Authenticate challenge');
        return res;
      }, { status: 401 });
    }
    // RFC 6750 §3.1: "If the request lacks any authentication information (e.g., the client was
    // unaware that authentication is necessary or attempted using an unsupported authentication
    // method), the resource server SHOULD NOT include an error code or other error information."
    await t.test('no credentials: a challenge without an error code (RFC 6750 §3.1 SHOULD NOT)', async () => {
      for (const headers of [{}, { authorization: goodBasic }]) {
        const res = await fetch(userinfoUrl, { headers });
        assert.equal(res.status, 401);
        const challenge = res.headers.get('www-authenticate') ?? '';
        assert.match(challenge, /^Bearer\b/);
        assert.doesNotMatch(challenge, /error=/, `${JSON.stringify(headers)} -> ${challenge}`);
      }
    });
    await api('Authorization: DPoP token with a junk DPoP header', () => viaFetch(userinfoUrl, { headers: { authorization: 'DPoP a.b.c', dpop: 'junk' } }), { status: 401 });
    await api('two Authorization header fields at UserInfo', () =>
      viaRaw({ target: '/userinfo', headers: [['authorization', 'Bearer a.b.c'], ['authorization', 'Bearer d.e.f']] }), { errors: ['invalid_request', 'invalid_token'] });
    await api('POST /userinfo with a JSON body', () => viaFetch(userinfoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"access_token":"x"}' }), { status: 401 });

    // --- paths that look like traversal: unnormalised request-targets, sent raw ---
    for (const target of ['/../token', '/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/jwks/../../token', '/.well-known/../../../etc/passwd', '//token', '/token%00', '/..%2f..%2fetc%2fpasswd', '/token/']) {
      await api(`GET ${target}`, async () => {
        const res = await viaRaw({ target });
        assert.doesNotMatch(res.body, /root:/);
        return res;
      });
    }

    // `%2e%2e` is a double-dot segment for the URL parser (WHATWG URL, path state): this is
    // /jwks, public already; nothing else becomes reachable.
    await t.test('GET /.well-known/%2e%2e/jwks is just /jwks', async () => {
      const res = await viaRaw({ target: '/.well-known/%2e%2e/jwks' });
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), await (await fetch(`${op.url}/jwks`)).json());
    });

    // --- /authorize and the pages: HTML, never a redirect before the client is known ---
    const authorize = (query) => viaRaw({ target: `/authorize?${query}` });
    const good = `response_type=code&client_id=${fx.spa.clientId}&redirect_uri=${encodeURIComponent(fx.spa.redirectUri)}&scope=openid&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256&state=s1`;
    await page('an unknown client_id (§4.1.2.1: no redirect)', () => authorize(good.replace(`client_id=${fx.spa.clientId}`, 'client_id=evil')), { status: 400 });
    await page('a redirect_uri not registered (§4.1.2.1: no redirect)', () =>
      authorize(good.replace(encodeURIComponent(fx.spa.redirectUri), encodeURIComponent('https://evil.example/callback'))), { status: 400 });
    await page('a registered redirect_uri with a suffix (exact match, RFC 9700 §4.1.3)', () =>
      authorize(good.replace(encodeURIComponent(fx.spa.redirectUri), encodeURIComponent(`${fx.spa.redirectUri}/../evil`))), { status: 400 });
    await page('no redirect_uri', () => authorize(good.replace(`&redirect_uri=${encodeURIComponent(fx.spa.redirectUri)}`, '')), { status: 400 });
    await page('repeated client_id (§3.1)', () => authorize(`${good}&client_id=${fx.spa.clientId}`), { status: 400 });
    await page('a 60 KB query string (reaches the OP: a 400 page)', () => viaFetch(`${op.url}/authorize?${good}&junk=${'x'.repeat(60_000)}`), { status: 400 });
    // Past workerd's header limit the runtime answers itself (431 text/plain): still a 4xx.
    await t.test('a 100 KB query string', async () => {
      const res = await viaFetch(`${op.url}/authorize?${good}&junk=${'x'.repeat(100_000)}`);
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
      assert.equal(res.header('location'), null);
    });
    await page('2,000 parameters', () => viaFetch(`${op.url}/authorize?${good}${Array.from({ length: 2000 }, (_, i) => `&p${i}=1`).join('')}`));
    await page('percent-encoded non-UTF-8 in the query', () => authorize(`client_id=%FF%FE&${good}`), { status: 400 });
    await page('raw non-UTF-8 bytes in the query', () =>
      viaRaw({ target: Buffer.concat([Buffer.from('/authorize?client_id='), Buffer.from([0xff, 0xfe, 0xc3, 0x28])]) }));
    await page('POST /authorize with a JSON body', () =>
      viaFetch(`${op.url}/authorize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client_id":"demo-spa"}' }), { status: 400 });
    await page('GET /login without a transaction', () => viaFetch(`${op.url}/login`), { status: 400 });
    await page('GET /login?tx=%ZZ', () => viaFetch(`${op.url}/login?tx=%ZZ`), { status: 400 });
    await page('POST /login with garbage and no cookies', () =>
      viaFetch(`${op.url}/login`, { method: 'POST', headers: { 'content-type': form }, body: 'tx=abc&csrf=def&username=demo&password=x' }), { status: 400 });
    await page('GET /consent?tx=abc', () => viaFetch(`${op.url}/consent?tx=abc`), { status: 400 });

    await t.test('POST /login with a forged csrf is 403 (CSRF protection)', async () => {
      const browser = new Browser(op.url);
      const verifier = oauth.generateRandomCodeVerifier();
      const login = await browser.navigate(authorizationUrl({ state: 's', challenge: await oauth.calculatePKCECodeChallenge(verifier) }));
      const f = parseForm(login.html);
      const res = await browser.submit(login.url, { ...f, hidden: { ...f.hidden, csrf: 'forged' } }, { username: fx.user.username, password: fx.user.password });
      assert.equal(res.res.status, 403);
      assert.equal(res.location, undefined);
      assert.ok(!browser.cookies.has('oe_session'));
    });

    // Once client and redirect URI match, errors do go back, with state and iss (§4.1.2.1, RFC 9207).
    await t.test('response_type=token with a valid client: an error redirect with state and iss', async () => {
      const res = await authorize(good.replace('response_type=code', 'response_type=token'));
      assert.equal(res.status, 303);
      const location = new URL(res.header('location'));
      assert.equal(`${location.origin}${location.pathname}`, fx.spa.redirectUri);
      assert.equal(location.searchParams.get('error'), 'unsupported_response_type');
      assert.equal(location.searchParams.get('state'), 's1');
      assert.equal(location.searchParams.get('iss'), fx.config.issuer);
      const err = (() => {
        try {
          oauth.validateAuthResponse(as, spa, location, 's1');
        } catch (e) {
          return e;
        }
      })();
      assert.ok(err instanceof oauth.AuthorizationResponseError, String(err));
      assert.equal(err.error, 'unsupported_response_type');
    });
  });

  test('8. CORS, no-store, page security headers, cookie attributes (Fetch §3.2, RFC 6749 §5.1, CSP3, RFC 6265bis)', async (t) => {
    const spaOrigin = fx.spa.origin;
    const evil = 'https://evil.example';

    await t.test('a preflight from the SPA origin is allowed, with DPoP among the headers', async () => {
      for (const path of ['/token', '/userinfo']) {
        const res = await fetch(`${op.url}${path}`, {
          method: 'OPTIONS',
          headers: { origin: spaOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,dpop,authorization' },
        });
        assert.equal(res.status, 204, path);
        assert.equal(res.headers.get('access-control-allow-origin'), spaOrigin, path);
        const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
        for (const h of ['dpop', 'content-type', 'authorization']) assert.ok(allowed.includes(h), `${path}: ${h} in ${allowed}`);
        assert.ok((res.headers.get('access-control-allow-methods') ?? '').includes('POST'), path);
        assert.equal(res.headers.get('access-control-allow-credentials'), null, 'no credentials mode: tokens travel in headers, not cookies');
      }
    });

    await t.test('a preflight from another origin is refused', async () => {
      const res = await fetch(`${op.url}/token`, {
        method: 'OPTIONS',
        headers: { origin: evil, 'access-control-request-method': 'POST', 'access-control-request-headers': 'dpop' },
      });
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    });

    await t.test('actual token responses: ACAO only for the SPA origin, DPoP-Nonce exposed', async () => {
      const body = `grant_type=refresh_token&refresh_token=nope&client_id=${fx.spa.clientId}`;
      const send = (origin) => fetch(`${op.url}/token`, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body });
      const ok = await send(spaOrigin);
      assert.equal(ok.headers.get('access-control-allow-origin'), spaOrigin);
      assert.match(ok.headers.get('access-control-expose-headers') ?? '', /dpop-nonce/i);
      assert.match(ok.headers.get('vary') ?? '', /origin/i);
      const bad = await send(evil);
      assert.equal(bad.headers.get('access-control-allow-origin'), null);
    });

    await t.test('public documents are answered again from the Worker\'s copy, field for field, its max-age counting down (RFC 9111 §4.2.1)', async () => {
      // worker/src/public-cache.js answers a GET it has seen from a copy (its matching by
      // Vary and its bounds are tests/node/worker-public-cache.test.mjs). On workerd: the
      // copy must really be served (its max-age counts down from the moment it was made,
      // rounded up, while the module's is always 300), and be the module's answer in status,
      // fields and bytes, from any origin. The module's answer is that to the same URL with
      // a query, which is never answered from a copy.
      const paths = ['/jwks', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];
      const fields = (res) => ['content-type', 'access-control-allow-origin', 'vary', 'age']
        .map((name) => [name, res.headers.get(name)]);
      const maxAgeOf = (res) => Number(res.headers.get('cache-control')?.match(/^public, max-age=(\d+)$/)?.[1]);
      const expected = {};
      for (const path of paths) {
        const res = await fetch(`${op.url}${path}?from=module`);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get('cache-control'), 'public, max-age=300', path);
        expected[path] = { fields: fields(res), body: await res.text() };
      }
      for (const path of paths) {
        let copies = 0;
        for (const origin of [undefined, undefined, spaOrigin, evil, undefined]) {
          const res = await fetch(`${op.url}${path}`, { headers: origin ? { origin } : {} });
          assert.equal(res.status, 200, path);
          const seen = { fields: fields(res), body: await res.text() };
          assert.deepEqual(seen, expected[path], `${path} from ${origin ?? 'no origin'}`);
          const maxAge = maxAgeOf(res);
          assert.ok(maxAge > 0 && maxAge <= 300, `${path}: ${res.headers.get('cache-control')}`);
          if (maxAge < 300) copies += 1;
        }
        assert.ok(copies >= 3, `${path}: ${copies} of 5 answers came from the copy`);
      }
    });

    await t.test('token responses carry Cache-Control: no-store, success and error, and a success Pragma: no-cache beside it (RFC 6749 §5.1, §5.2)', async () => {
      const ok = await oauth.clientCredentialsGrantRequest(as, service, oauth.ClientSecretBasic(fx.service.secret), {}, insecure);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('cache-control'), 'no-store');
      assert.equal(ok.headers.get('pragma'), 'no-cache');
      const bad = await fetch(`${op.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=nope' });
      assert.ok(bad.status >= 400);
      assert.equal(bad.headers.get('cache-control'), 'no-store');
    });

    await t.test('every answer has at most one Content-Type (RFC 9110 §8.3, §5.3)', async () => {
      const targets = [
        ['GET', '/.well-known/openid-configuration'],
        ['GET', '/.well-known/oauth-authorization-server'],
        // (GET /jwks: test 1)
        ['GET', '/userinfo'],
        ['GET', '/token'],
        ['POST', '/token'],
        ['GET', '/authorize?client_id=nobody'],
        ['GET', '/nope'],
      ];
      const bad = [];
      for (const [method, target] of targets) {
        const res = await rawRequest(op.url, { method, target, body: method === 'POST' ? '' : undefined });
        const values = res.headers.filter(([n]) => n === 'content-type').map(([, v]) => v);
        if (values.length > 1 || values.some((v) => v.includes(','))) bad.push(`${method} ${target}: ${JSON.stringify(values)}`);
      }
      assert.deepEqual(bad, []);
    });

    await t.test("pages carry a CSP with frame-ancestors 'none'; the session cookie is HttpOnly and SameSite=Lax", async () => {
      const browser = new Browser(op.url);
      const verifier = oauth.generateRandomCodeVerifier();
      const challenge = await oauth.calculatePKCECodeChallenge(verifier);
      const checkPage = (res, what) => {
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, `${what}: ${csp}`);
        assert.match(csp, /(^|;)\s*default-src 'none'\s*(;|$)/, `${what}: ${csp}`);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
        assert.equal(res.headers.get('cache-control'), 'no-store', what);
        return csp;
      };
      const login = await browser.navigate(authorizationUrl({ state: 'st', nonce: 'n', challenge }));
      assert.equal(login.res.status, 200);
      const csp = checkPage(login.res, 'login page');
      assert.match(csp, new RegExp(`form-action 'self' ${spaOrigin.replace(/[.]/g, '\\.')}`), 'the form may end at the client');
      const done = await browser.submit(login.url, parseForm(login.html), { username: fx.user.username, password: fx.user.password });
      assert.ok(done.location);

      const error = await fetch(`${op.url}/authorize?client_id=nobody`);
      checkPage(error, 'error page');

      // prompt=consent forces the consent page even for a first-party client (OIDC Core §3.1.2.1).
      const consent = await browser.navigate(authorizationUrl({ state: 'st2', challenge, extra: { prompt: 'consent' } }));
      assert.equal(new URL(consent.url).pathname, '/consent');
      checkPage(consent.res, 'consent page');
      const consentForm = parseForm(consent.html);
      assert.deepEqual(consentForm.buttons.map((b) => b.value).sort(), ['allow', 'deny']);
      const denied = await browser.submit(consent.url, consentForm, { decision: 'deny' });
      const deniedUrl = new URL(denied.location);
      assert.equal(deniedUrl.searchParams.get('error'), 'access_denied', 'RFC 6749 §4.1.2.1');
      assert.equal(deniedUrl.searchParams.get('state'), 'st2');

      for (const name of ['oe_session', 'oe_browser']) {
        const line = browser.setCookies.find((l) => l.startsWith(`${name}=`));
        assert.ok(line, `a ${name} cookie was set: ${browser.setCookies}`);
        const attrs = line.split(';').slice(1).map((a) => a.trim().toLowerCase());
        assert.ok(attrs.includes('httponly'), `${name} HttpOnly: ${line}`);
        assert.ok(attrs.includes('samesite=lax'), `${name} SameSite=Lax: ${line}`);
        assert.ok(attrs.includes('path=/'), `${name} Path=/: ${line}`);
        assert.ok(!attrs.some((a) => a.startsWith('domain=')), `${name} host-only: ${line}`);
      }
      const session = browser.setCookies.find((l) => l.startsWith('oe_session='));
      assert.match(session, new RegExp(`Max-Age=${fx.config.lifetimes.session}\\b`, 'i'));
    });
  });
});
