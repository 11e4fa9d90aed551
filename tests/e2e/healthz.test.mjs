// The Worker's health check and its error shapes, served by workerd through `wrangler dev`.
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { opFixture } from './fixture.mjs';
import { ROOT, freePort, startWrangler } from './wrangler.mjs';

const workerVersion = readFileSync(join(ROOT, 'worker', 'Cargo.toml'), 'utf8').match(
  /^version\s*=\s*"([^"]+)"/m,
)?.[1];

describe('worker /healthz', () => {
  let op;
  before(async () => {
    const port = await freePort();
    const fixture = await opFixture({ issuer: `http://127.0.0.1:${port}` });
    op = await startWrangler({ port, secrets: fixture.secrets });
  });
  after(async () => {
    await op?.stop();
  });

  test('GET /healthz is 200 JSON with the crate version, not cacheable', async () => {
    const res = await fetch(`${op.url}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { status: 'ok', version: workerVersion });
  });

  test('HEAD /healthz is 200 without a body', async () => {
    const res = await fetch(`${op.url}/healthz`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(await res.text(), '');
  });

  test('an unknown path is a JSON 404', async () => {
    const res = await fetch(`${op.url}/no-such-path`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { error: 'not_found' });
  });

  test('POST /healthz is 405 with Allow', async () => {
    const res = await fetch(`${op.url}/healthz`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { error: 'method_not_allowed' });
  });
});

describe('a misconfigured worker', () => {
  let op;
  before(async () => {
    op = await startWrangler({
      secrets: {
        OIDC_CONFIG: '{"issuer":"ftp://x","clients":[],"users":[]}',
        OIDC_SIGNING_KEYS: '{"keys":[]}',
        OIDC_SERVER_SECRET: randomBytes(32).toString('base64url'),
      },
    });
  });
  after(async () => {
    await op?.stop();
  });

  test('answers 500 server_error naming the bad field, and still serves /healthz', async () => {
    const res = await fetch(`${op.url}/.well-known/openid-configuration`);
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.error, 'server_error');
    assert.match(body.error_description, /^issuer: /);
    assert.equal((await fetch(`${op.url}/healthz`)).status, 200);
  });
});
