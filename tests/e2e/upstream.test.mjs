// Upstream sign-in on workerd (`wrangler dev`), with two instances of the provider: one is the
// upstream, where the user has a password; the other is configured with it in
// `upstream_providers` and signs the user in there. A scripted user agent (./browserless.mjs,
// one cookie jar per origin, as a browser keeps them per site) follows the login page's
// "Continue with …" link, signs in on the upstream's login form, consents there, comes back
// through /upstream/callback and completes the SPA's code flow at the downstream provider. The
// ID token's `sub` is the local subject the downstream derives from the upstream's (computed
// here independently), the same at every sign-in; `amr` is `fed` (RFC 8176 §2); the claims are
// the upstream's, mapped, and a mapped claim the upstream's ID token lacks is read from its
// UserInfo endpoint (OpenID Connect Core §5.3). Hostile answers at the callback (another issuer,
// a replayed state, the user refusing consent upstream) end on a page, never a 500.
//
//   node --test tests/e2e/upstream.test.mjs

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { Browser, parseForm, rawRequest, unescapeHtml } from './browserless.mjs';
import { opFixture, phc } from './fixture.mjs';
import { authorizeUrl, b64url, call, pkce, tokenRequest } from './flows.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

const PROVIDER_ID = 'corp';
const PROVIDER_NAME = 'Corp Login';
const SECRET_VAR = 'UPSTREAM_CORP_SECRET';
const PHONE = '+1 555 0100';

/**
 * The local subject of `upstreamSub` at provider `providerId` (src/op/upstream/account.rs):
 * SHA-256 over a label and both values, each preceded by its length as 8 bytes big-endian,
 * base64url.
 */
function localSubject(providerId, upstreamSub) {
  const hash = createHash('sha256');
  for (const part of ['oidc-edge upstream subject', providerId, upstreamSub]) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(bytes.length));
    hash.update(length).update(bytes);
  }
  return hash.digest('base64url');
}

/** The href of the login page's "Continue with `name`" link. */
function upstreamLink(html, name) {
  const match = html.match(new RegExp(`<a class="upstream" href="([^"]*)"[^>]*>Continue with ${name}</a>`));
  assert.ok(match, `no "Continue with ${name}" on the page:\n${html.slice(0, 2000)}`);
  return unescapeHtml(match[1]);
}

describe('upstream sign-in between two providers on wrangler dev', () => {
  let upstream;
  let downstream;
  let up;
  let down;
  const secret = b64url(randomBytes(32));
  const second = { sub: 'second-user', username: 'second', password: `pw-${b64url(randomBytes(9))}` };

  before(async () => {
    const [upPort, downPort] = [await freePort(), await freePort()];
    const upUrl = `http://127.0.0.1:${upPort}`;
    const downUrl = `http://127.0.0.1:${downPort}`;
    up = await opFixture({ issuer: upUrl });
    // The downstream provider is a confidential client of the upstream, not first-party: the
    // user consents there to what it asks.
    up.config.clients.push({
      client_id: 'downstream-op', client_type: 'confidential', token_endpoint_auth_method: 'client_secret_basic',
      client_secret_hash: phc(secret, 1000), redirect_uris: [`${downUrl}/upstream/callback`],
      grant_types: ['authorization_code'], scopes: ['openid', 'profile', 'email', 'phone'],
    });
    up.config.users[0].claims.phone_number = PHONE;
    up.config.users.push({ sub: second.sub, username: second.username, password_hash: phc(second.password, 10_000) });
    up.secrets.OIDC_CONFIG = JSON.stringify(up.config);
    down = await opFixture({ issuer: downUrl });
    down.config.clients[0].scopes.push('phone');
    down.config.upstream_providers = [{
      id: PROVIDER_ID, name: PROVIDER_NAME, issuer: upUrl, client_id: 'downstream-op',
      client_secret_var: SECRET_VAR, scopes: ['openid', 'profile', 'email'],
      claims: { name: 'name', email: 'email', email_verified: 'email_verified', phone_number: 'phone_number' },
    }];
    down.secrets.OIDC_CONFIG = JSON.stringify(down.config);
    [upstream, downstream] = await Promise.all([
      startWrangler({ port: upPort, secrets: up.secrets }),
      // The client secret at the upstream is a binding of its own, named by client_secret_var.
      startWrangler({ port: downPort, secrets: down.secrets, vars: { [SECRET_VAR]: secret } }),
    ]);
  });
  after(async () => {
    await Promise.all([upstream?.stop(), downstream?.stop()]);
  });

  /**
   * The SPA's authorization request at the downstream, up to the redirect to the upstream's
   * authorization endpoint. Returns the two user agents, the request's PKCE/state/nonce, and
   * that redirect.
   */
  async function startAtDownstream(scope = 'openid profile email') {
    const atDown = new Browser(downstream.url);
    const atUp = new Browser(upstream.url);
    const { verifier, challenge } = pkce();
    const state = b64url(randomBytes(12));
    const nonce = b64url(randomBytes(12));
    const login = await atDown.navigate(authorizeUrl(downstream.url, down.spa, { challenge, state, nonce, scope }));
    assert.equal(new URL(login.url).pathname, '/login');
    assert.ok(login.html.includes('name="password"'), 'the password form beside the link');
    const link = new URL(upstreamLink(login.html, PROVIDER_NAME), login.url).href;
    const toUpstream = await atDown.navigate(link);
    assert.ok(toUpstream.location?.startsWith(`${upstream.url}/authorize?`), `went to ${toUpstream.location ?? toUpstream.res.status}`);
    return { atDown, atUp, verifier, state, nonce, link, toUpstream: toUpstream.location };
  }

  /**
   * The user's part at the upstream: its login form, then its consent page (`decision`) unless
   * the user consented before.
   */
  async function atUpstream(atUp, url, { user = up.user, decision = 'allow' } = {}) {
    let step = await atUp.navigate(url);
    assert.ok(step.url, `the upstream answered with a redirect to ${step.location}`);
    assert.equal(new URL(step.url).pathname, '/login', step.html?.slice(0, 500));
    step = await atUp.submit(step.url, parseForm(step.html), { username: user.username, password: user.password });
    if (step.url && new URL(step.url).pathname === '/consent') {
      step = await atUp.submit(step.url, parseForm(step.html), { decision });
    }
    assert.ok(step.location?.startsWith(`${downstream.url}/upstream/callback?`), `back to ${step.location ?? step.res.status}`);
    return step.location;
  }

  /**
   * A whole sign-in through the upstream; the downstream's token response and ID token claims.
   * `upstreamParams` are added to the request the user agent carries to the upstream; `scope` is
   * what the SPA asks the downstream for.
   */
  async function signIn(upstreamParams = {}, scope = undefined) {
    const started = await startAtDownstream(scope);
    const toUpstream = new URL(started.toUpstream);
    for (const [name, value] of Object.entries(upstreamParams)) toUpstream.searchParams.set(name, value);
    const callback = await atUpstream(started.atUp, toUpstream.href);
    assert.equal(new URL(callback).searchParams.get('iss'), upstream.url, 'RFC 9207 iss from the upstream');
    const back = await started.atDown.navigate(callback);
    assert.ok(back.location?.startsWith(down.spa.redirectUri), `ended at ${back.url} (${back.res.status}): ${back.html?.slice(0, 800)}`);
    const params = new URL(back.location).searchParams;
    assert.equal(params.get('state'), started.state);
    const tokens = await tokenRequest(downstream.url, {
      grant_type: 'authorization_code', code: params.get('code'), redirect_uri: down.spa.redirectUri,
      client_id: down.spa.clientId, code_verifier: started.verifier,
    });
    assert.equal(tokens.status, 200, tokens.text);
    const keys = jose.createRemoteJWKSet(new URL('/jwks', downstream.url));
    const { payload } = await jose.jwtVerify(tokens.json.id_token, keys, { issuer: downstream.url, audience: down.spa.clientId });
    assert.equal(payload.nonce, started.nonce);
    return { tokens: tokens.json, claims: payload, started };
  }

  test('the user signs in at the upstream and the client gets the mapped local subject', async () => {
    const { tokens, claims } = await signIn();
    const expected = localSubject(PROVIDER_ID, up.user.sub);
    assert.equal(claims.sub, expected);
    assert.notEqual(claims.sub, up.user.sub);
    assert.deepEqual(claims.amr, ['fed']);
    assert.equal(claims.email, 'demo@example.com');
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, 'Demo User');
    const userinfo = await call(new URL('/userinfo', downstream.url), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 200, userinfo.text);
    assert.equal(userinfo.json.sub, expected);
    assert.equal(userinfo.json.name, 'Demo User');

    // Another sign-in, in new user agents: the same subject.
    const again = await signIn();
    assert.equal(again.claims.sub, expected);
  });

  // Core §5.4 lets a provider put the scopes' claims in the ID token as well as at UserInfo, and
  // this one does; a claim asked for by name for UserInfo alone (§5.5, the `claims` parameter's
  // `userinfo` member) is the one it releases there and not in the ID token. The user agent adds
  // that to the request it carries to the upstream, as a client of the upstream could ask it.
  test('a mapped claim the upstream releases only at its UserInfo endpoint arrives downstream (Core §5.3)', async () => {
    const claimsRequest = JSON.stringify({ userinfo: { phone_number: null } });
    const scope = 'openid profile email phone';
    const { tokens, claims } = await signIn({ claims: claimsRequest }, scope);
    assert.equal(claims.sub, localSubject(PROVIDER_ID, up.user.sub));
    assert.equal(claims.phone_number, PHONE, 'from the upstream\'s UserInfo');
    assert.equal(claims.email, 'demo@example.com', 'from the upstream\'s ID token');
    const userinfo = await call(new URL('/userinfo', downstream.url), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 200, userinfo.text);
    assert.equal(userinfo.json.phone_number, PHONE);

    // Without the claim asked for at the upstream, its UserInfo has none to give: the
    // sign-in goes on, and the account (rewritten at each sign-in) has none either.
    const again = await signIn({}, scope);
    assert.equal(again.claims.phone_number, undefined);
  });

  test('a replayed answer, and one from another issuer, end on a page; the code is not used', async () => {
    const started = await startAtDownstream();
    const callback = await atUpstream(started.atUp, started.toUpstream);
    // The same answer, claiming to come from elsewhere (RFC 9207 mix-up): refused before any
    // exchange, and the state is spent with it.
    const forged = new URL(callback);
    forged.searchParams.set('iss', 'https://evil.example');
    const mixup = await started.atDown.navigate(forged.href);
    assert.equal(mixup.res.status, 400, mixup.html?.slice(0, 500));
    assert.ok(mixup.html.includes('issuer_mismatch'), mixup.html);
    const replay = await started.atDown.navigate(callback);
    assert.equal(replay.res.status, 400);
    assert.ok(replay.html.includes('already used'), replay.html);
  });

  test('refusing consent at the upstream shows the login page again', async () => {
    const started = await startAtDownstream();
    // A user who never consented there.
    const callback = await atUpstream(started.atUp, started.toUpstream, { user: second, decision: 'deny' });
    assert.equal(new URL(callback).searchParams.get('error'), 'access_denied');
    const back = await started.atDown.navigate(callback);
    assert.equal(back.res.status, 403);
    assert.ok(back.html.includes(`${PROVIDER_NAME} did not sign you in (access_denied)`), back.html);
    // The request still waits: the downstream's own password form finishes it.
    const form = parseForm(back.html);
    const done = await started.atDown.submit(back.url, form, { username: down.user.username, password: down.user.password });
    assert.ok(done.location?.startsWith(down.spa.redirectUri), `ended at ${done.url} (${done.res.status})`);
  });

  test('hostile requests at /upstream/start and /upstream/callback never get a 5xx (RFC 9110 §15.6)', async () => {
    const started = await startAtDownstream();
    const cookie = started.atDown.cookieHeader();
    const link = new URL(started.link);
    const state = new URL(started.toUpstream).searchParams.get('state');
    const long = 'a'.repeat(9000);
    const query = (pairs) => new URLSearchParams(pairs).toString();
    const linkWith = (name, value) => {
      const params = new URLSearchParams(link.search);
      params.set(name, value);
      return `/upstream/start?${params}`;
    };
    const targets = [
      '/upstream/start', `/upstream/start?${link.searchParams}&tx=again`, linkWith('csrf', 'x'),
      linkWith('provider', 'nope'), linkWith('provider', 'é🙂'), linkWith('tx', long), `${link.pathname}?tx=%zz`,
      '/upstream/callback', `/upstream/callback?${query({ state: 'é'.repeat(43) })}`,
      `/upstream/callback?${query({ state: 'A'.repeat(43), code: 'c' })}`,
      `/upstream/callback?${query({ state: long })}`, '/upstream/callback?state=%zz',
      `/upstream/callback?${query({ state, error: 'x'.repeat(5000), error_description: long, iss: upstream.url })}`,
      `/upstream/callback?${query({ state, code: 'again' })}&state=twice`,
    ];
    for (const target of targets) {
      for (const withCookie of [true, false]) {
        const res = await call(new URL(target, downstream.url), { headers: withCookie ? { cookie } : {} });
        assert.ok(res.status < 500, `${target} (${withCookie ? 'with' : 'without'} cookies): ${res.status} ${res.text.slice(0, 300)}`);
      }
    }
    for (const bytes of [[0xff, 0xfe], [0xc3], [0xe2, 0x82]]) {
      const target = Buffer.concat([Buffer.from('/upstream/callback?state='), Buffer.from(bytes), Buffer.from('&code=x')]);
      const res = await rawRequest(downstream.url, { target, headers: [['cookie', cookie]] });
      assert.ok(res.status < 500, `raw bytes ${bytes}: ${res.status}`);
    }
    // Still serving, and still signing users in.
    assert.equal((await call(new URL('/healthz', downstream.url))).status, 200);
    const { claims } = await signIn();
    assert.equal(claims.sub, localSubject(PROVIDER_ID, up.user.sub));
  });
});
