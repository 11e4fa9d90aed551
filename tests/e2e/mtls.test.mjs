// Mutual TLS (RFC 8705) on the real Worker under `wrangler dev`: the Worker reads the
// client-certificate facts of `request.cf.tlsClientAuth` (worker/src/convert.js and
// convert.rs) and the provider authenticates clients and binds tokens with them.
//
// What runs here and what does not: local workerd terminates no client TLS, so no TLS
// handshake presents a certificate. The local runtime (miniflare's entry Worker in front of
// ours) takes the `request.cf` object of a request from its `MF-CF-Blob` header, a
// development hook of the local runtime only (Cloudflare's edge sets `request.cf` itself);
// the facts sent here are those the edge documents for the fixture certificates
// (tests/fixtures/mtls: their real SHA-256 and RFC 2253 DNs). So the Worker's own code runs
// end to end on workerd, from `request.cf` to the answer; the edge's certificate request
// and verification do not.
//
//   node --test tests/e2e/mtls.test.mjs

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { opFixture } from './fixture.mjs';
import { ROOT, freePort, startWrangler } from './wrangler.mjs';

const certificates = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/mtls/certificates.json'), 'utf8'));
const der = (name) => Buffer.from(certificates[name].der, 'base64');
/** RFC 8705 §3.1: base64url(SHA-256(DER)). */
const x5t = (name) => createHash('sha256').update(der(name)).digest('base64url');

/**
 * `request.cf` as Cloudflare's edge fills it for a certificate presented on a host with
 * mTLS: `verified` false gives what it says of a self-signed one; `changes` overrides facts.
 */
function cf(name, { verified = true, ...changes } = {}) {
  const cert = certificates[name];
  return {
    tlsClientAuth: {
      certPresented: '1',
      certVerified: verified ? 'SUCCESS' : 'FAILED:self signed certificate',
      certRevoked: '0',
      certFingerprintSHA256: createHash('sha256').update(der(name)).digest('hex'),
      certSubjectDNRFC2253: cert.subject_dn,
      certIssuerDNRFC2253: cert.issuer_dn,
      ...changes,
    },
  };
}

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

describe('mutual TLS on workerd, request.cf delivered by the local runtime (RFC 8705)', () => {
  let op;
  let fx;

  before(async () => {
    const port = await freePort();
    fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    const selfSigned = { ...certificates['self-signed-1'].jwk, kid: 's1', x5c: [certificates['self-signed-1'].der] };
    fx.config.clients.push(
      {
        client_id: 'bound-partner', client_type: 'confidential', token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=bank-app,OU=Payments,O=Bank of Tests,C=DE',
        tls_client_certificate_bound_access_tokens: true,
        grant_types: ['client_credentials'], scopes: ['api:read'],
      },
      {
        client_id: 'self-signed', client_type: 'confidential', token_endpoint_auth_method: 'self_signed_tls_client_auth',
        jwks: { keys: [selfSigned] }, grant_types: ['client_credentials'], scopes: ['api:read'],
      },
    );
    fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
    op = await startWrangler({ port, secrets: fx.secrets });
  });
  after(async () => {
    await op?.stop();
  });

  /** A POST of `form` to `path`, its connection's `cf` being `blob` (none when undefined). */
  function post(path, form, { blob, headers = {} } = {}) {
    if (blob !== undefined) headers['mf-cf-blob'] = JSON.stringify(blob);
    return fetch(`${op.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
  }

  const credentials = (clientId, blob) =>
    post('/token', { grant_type: 'client_credentials', client_id: clientId }, { blob });

  async function assertInvalidClient(res, what) {
    assert.equal(res.status, 401, what);
    assert.equal((await res.json()).error, 'invalid_client', what);
  }

  test('discovery lists the methods and certificate-bound tokens (§2.1.1, §2.2.1, §3.3)', async () => {
    const doc = await (await fetch(`${op.url}/.well-known/openid-configuration`)).json();
    assert.equal(doc.tls_client_certificate_bound_access_tokens, true);
    for (const method of ['tls_client_auth', 'self_signed_tls_client_auth']) {
      assert.ok(doc.token_endpoint_auth_methods_supported.includes(method), method);
    }
  });

  test('tls_client_auth with the verified certificate gets a token bound to it (§2.1, §3.1)', async () => {
    const res = await credentials('bound-partner', cf('bank-app'));
    assert.equal(res.status, 200, await res.clone().text());
    const tokens = await res.json();
    assert.equal(tokens.token_type, 'Bearer');
    assert.deepEqual(claims(tokens.access_token).cnf, { 'x5t#S256': x5t('bank-app') });
  });

  test('no certificate, an unverified or revoked one, facts that do not read: invalid_client (§2.1)', async () => {
    const hex = createHash('sha256').update(der('bank-app')).digest('hex');
    for (const [what, blob] of [
      ['no cf object from the runtime', undefined],
      ['certPresented "0"', cf('bank-app', { certPresented: '0' })],
      ['unverified', cf('bank-app', { verified: false })],
      ['revoked', cf('bank-app', { certRevoked: '1' })],
      ['a thumbprint one digit short', cf('bank-app', { certFingerprintSHA256: hex.slice(1) })],
      ['a thumbprint with a non-hex digit', cf('bank-app', { certFingerprintSHA256: `g${hex.slice(1)}` })],
      ['a 128-digit thumbprint', cf('bank-app', { certFingerprintSHA256: hex + hex })],
      ['a flag of another type', cf('bank-app', { certRevoked: 0 })],
      ['another subject', cf('other-app')],
    ]) {
      await assertInvalidClient(await credentials('bound-partner', blob), what);
    }
  });

  test('hostile cf objects are no certificate, never a 5xx', async () => {
    const huge = 'CN=' + 'a'.repeat(100_000);
    for (const [what, blob] of [
      ['a 100 KB subject DN', cf('bank-app', { certSubjectDNRFC2253: huge })],
      ['a 100 KB issuer DN', cf('bank-app', { certIssuerDNRFC2253: huge })],
      ['a DN that is not RFC 4514', cf('bank-app', { certSubjectDNRFC2253: 'CN=bank-app, OU=Payments, O=Bank of Tests, C=DE' })],
      ['a DN with escapes that are not UTF-8', cf('bank-app', { certSubjectDNRFC2253: 'CN=\\FF\\FE' })],
      ['a DN with a line break', cf('bank-app', { certSubjectDNRFC2253: 'CN=bank-app\nOU=Payments' })],
      ['an object for a DN', cf('bank-app', { certSubjectDNRFC2253: { CN: 'bank-app' } })],
      ['a thumbprint of multi-byte characters', cf('bank-app', { certFingerprintSHA256: 'é'.repeat(32) })],
      ['tlsClientAuth an array', { tlsClientAuth: ['1', 'SUCCESS'] }],
      ['tlsClientAuth a string', { tlsClientAuth: '1' }],
    ]) {
      await assertInvalidClient(await credentials('bound-partner', blob), what);
    }
  });

  test('the certificate authenticates at /revoke and /introspect too (§2)', async () => {
    const form = { token: 'not-a-token', client_id: 'bound-partner' };
    assert.equal((await post('/revoke', form, { blob: cf('bank-app') })).status, 200);
    await assertInvalidClient(await post('/revoke', form), 'revoke without the certificate');
    const answer = await post('/introspect', form, { blob: cf('bank-app') });
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { active: false });
    await assertInvalidClient(await post('/introspect', form, { blob: cf('other-app') }), 'introspect, another certificate');
  });

  test('self_signed_tls_client_auth takes the certificate in its jwks x5c only (§2.2)', async () => {
    assert.equal((await credentials('self-signed', cf('self-signed-1', { verified: false }))).status, 200);
    await assertInvalidClient(await credentials('self-signed', cf('self-signed-2', { verified: false })), 'another one');
    await assertInvalidClient(await credentials('self-signed', cf('bank-app')), "another client's");
  });

  test('the bound token is good at /api/me with its certificate only, and introspection shows cnf (§3, §3.2)', async () => {
    const { access_token: token } = await (await credentials('bound-partner', cf('bank-app'))).json();
    const me = (blob) => {
      const headers = { authorization: `Bearer ${token}` };
      if (blob !== undefined) headers['mf-cf-blob'] = JSON.stringify(blob);
      return fetch(`${op.url}/api/me`, { headers });
    };
    const ok = await me(cf('bank-app'));
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal((await ok.json())['x5t#S256'], x5t('bank-app'));
    for (const [what, blob] of [['none', undefined], ['another', cf('self-signed-1', { verified: false })]]) {
      const refused = await me(blob);
      assert.equal(refused.status, 401, what);
      assert.equal((await refused.json()).error, 'invalid_token', what);
    }
    const basic = `Basic ${Buffer.from(`${fx.service.clientId}:${fx.service.secret}`).toString('base64')}`;
    const answer = await (await post('/introspect', { token }, { headers: { authorization: basic } })).json();
    assert.equal(answer.active, true);
    assert.deepEqual(answer.cnf, { 'x5t#S256': x5t('bank-app') });
  });
});
