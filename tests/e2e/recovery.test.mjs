// A failure inside the wasm module does not take the Worker down: the next request gets a new
// instance of the module, and the provider answers from it with the state it had stored.
// worker/entry.js enters the module past workers-rs's entrypoint class, whose wrapper used to
// do this; here the wasm-bindgen glue must (see entry.js). tests/e2e/recovery-worker wraps the
// provider with a path that makes the module fail as a trap does.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { opFixture } from './fixture.mjs';
import { call, signIn, tokenRequest } from './flows.mjs';
import { ROOT, freePort, startWrangler } from './wrangler.mjs';

let op;
let fx;
before(async () => {
  const port = await freePort();
  fx = await opFixture({ issuer: `http://127.0.0.1:${port}` });
  op = await startWrangler({ port, secrets: fx.secrets, workerDir: join(ROOT, 'tests', 'e2e', 'recovery-worker') });
});
after(async () => {
  await op?.stop();
});

const client = () => ({ clientId: fx.spa.clientId, redirectUri: fx.spa.redirectUri });

async function moduleInstance() {
  const { status, json } = await call(`${op.url}/__module-instance`);
  assert.equal(status, 200);
  assert.equal(typeof json.instance, 'number');
  return json.instance;
}

async function failModule() {
  const { status, json } = await call(`${op.url}/__fail-module`);
  assert.equal(status, 200);
  assert.deepEqual({ failed: json.failed, trap: json.trap }, { failed: true, trap: true }, JSON.stringify(json));
}

/** A code redeemed at /token: the single-use store (a Durable Object) and the signer at work. */
async function exchange() {
  const { code, verifier } = await signIn(op.url, client(), fx.user);
  const res = await tokenRequest(op.url, {
    grant_type: 'authorization_code', code, code_verifier: verifier,
    redirect_uri: fx.spa.redirectUri, client_id: fx.spa.clientId,
  });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json;
}

test('the runtime copies a view given to new Response before the constructor returns (Fetch, "extract a body"), as makeResponse relies on', async () => {
  const { status, json } = await call(`${op.url}/__response-copies-body`);
  assert.equal(status, 200);
  assert.equal(json.body, 'a'.repeat(16), 'the body is the bytes as they were when the Response was made');
});

test('after the module fails, the next request runs on a new instance with the stored state', async () => {
  const tokens = await exchange();
  const first = await moduleInstance();

  await failModule();
  const health = await call(`${op.url}/healthz`);
  assert.equal(health.status, 200, 'the request after the failure was not answered');
  assert.equal(await moduleInstance(), first + 1, 'no new instance of the module was made');

  // The refresh token issued before the failure rotates: the grant lives in the store, the
  // keys are imported again, and the Durable Object's Rust side is rebuilt for the new module.
  const refreshed = await tokenRequest(op.url, {
    grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: fx.spa.clientId,
  });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
  assert.notEqual(refreshed.json.refresh_token, tokens.refresh_token);
  await exchange();

  // And again: recovery is not a one-off.
  await failModule();
  const discovery = await call(`${op.url}/.well-known/openid-configuration`);
  assert.equal(discovery.status, 200);
  assert.equal(discovery.json.issuer, fx.config.issuer);
  assert.equal(await moduleInstance(), first + 2);
  await exchange();
});
