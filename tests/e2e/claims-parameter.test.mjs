// The `claims` request parameter (OpenID Connect Core §5.5) on the real Worker (`wrangler dev`),
// cross-checked with an independent client: oauth4webapi runs the code flow with `claims` in
// the authorization URL, validates the ID token (`getValidatedIdTokenClaims`) and the UserInfo
// response (`processUserInfoResponse`, sub checked against the ID token's), before and after a
// refresh. The login form is filled in with plain `fetch` and a cookie jar (./browserless.mjs).
//
//   node --test tests/e2e/claims-parameter.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as oauth from 'oauth4webapi';

import { signIn } from './flows.mjs';
import { insecure, startOauthOp } from './oauth-op.mjs';

/** The ID token claims that say who issued it and how, not who the user is. */
const PROTOCOL = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'sid', 'at_hash', 'nonce']);
/** The user claims of a claims set: everything but `sub` and the protocol claims, sorted. */
const userClaims = (claims) => Object.keys(claims).filter((name) => !PROTOCOL.has(name)).sort();

describe('the claims request parameter on workerd, driven by oauth4webapi (OpenID Connect Core §5.5)', () => {
  let op;
  let fx;
  /** @type {oauth.AuthorizationServer} */
  let as;
  let spa;
  let started;

  before(async () => {
    started = await startOauthOp();
    ({ op, fx, as, spa } = started);
  });
  after(async () => {
    await started?.stop('claims parameter tests');
  });

  const userinfo = async (accessToken, sub) =>
    oauth.processUserInfoResponse(as, spa, sub, await oauth.userInfoRequest(as, spa, accessToken, insecure));

  test('1. discovery says the claims parameter is supported (Discovery §3)', () => {
    assert.equal(as.claims_parameter_supported, true);
  });

  test('2. the ID token and UserInfo carry exactly the claims asked for, also after a refresh (§5.5, §5.5.1)', async () => {
    // No profile or email scope: every user claim comes from `claims`. `phone_number` the user
    // lacks (absent, not null); an unknown claim is ignored (§5.5: not an error); `acr` is
    // voluntary here, so the ID token names the class the sign-in met; `essential` and a
    // `value` the user's claim does not match change nothing.
    const claims = {
      id_token: {
        email: { essential: true, value: 'someone@else.example' },
        email_verified: null,
        phone_number: null,
        acr: { values: ['urn:mace:incommon:iap:silver'] },
        'https://example.com/unknown': null,
      },
      userinfo: { name: { essential: true }, phone_number: null },
      unknown_member: { x: 1 },
    };
    const flow = await signIn(op.url, fx.spa, fx.user, {
      scope: 'openid offline_access',
      extra: { claims: JSON.stringify(claims) },
    });
    const params = oauth.validateAuthResponse(as, spa, new URL(flow.location), flow.state);
    const res = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, fx.spa.redirectUri, flow.verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, spa, res, { expectedNonce: flow.nonce, requireIdToken: true });
    assert.ok(tokens.refresh_token);

    const check = async (tokens) => {
      const idToken = oauth.getValidatedIdTokenClaims(tokens);
      assert.equal(idToken.sub, fx.user.sub);
      assert.deepEqual(userClaims(idToken), ['email', 'email_verified'], JSON.stringify(idToken));
      assert.equal(idToken.email, 'demo@example.com', 'the user\'s value, not the one asked for');
      assert.equal(idToken.email_verified, true);
      assert.equal(idToken.acr, '1', 'the class a password sign-in meets (Core §2)');
      const info = await userinfo(tokens.access_token, idToken.sub);
      assert.deepEqual(info, { sub: fx.user.sub, name: 'Demo User' });
    };
    await check(tokens);
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      spa,
      await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token, insecure),
    );
    assert.ok(refreshed.id_token, 'a refreshed ID token');
    await check(refreshed);
  });

  test('3. a malformed claims value is invalid_request at the redirect URI, with iss (§5.5, RFC 9207)', async () => {
    for (const bad of ['{', '{"userinfo":{"email":null,"email":null}}', '["email"]', '{"id_token":"email"}']) {
      const flow = await signIn(op.url, fx.spa, fx.user, { extra: { claims: bad } });
      assert.equal(flow.code, null, bad);
      let err;
      try {
        oauth.validateAuthResponse(as, spa, new URL(flow.location), flow.state);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof oauth.AuthorizationResponseError, `${bad}: ${err}`);
      assert.equal(err.error, 'invalid_request', bad);
    }
  });
});
