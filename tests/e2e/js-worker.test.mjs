// The npm package in a JavaScript Worker on workerd (`wrangler dev`), installed into a
// throwaway project by `npm install <path to pkg>` as a user would: tests/e2e/js-worker/,
// whose index.js is the package README's "Protect an API (resource server)" Worker, unchanged
// (the first test checks it). The Worker checks Bearer and DPoP-bound access tokens with
// authenticateRequest (RFC 6750, RFC 9449 §7, nonces §9) against the JWKS this process serves
// through createRemoteKeySet, and serves its RFC 9728 metadata: the proofs come from the
// `dpop` package, the tokens from jose. A second entry calls `init()` with no argument, as a
// browser app does, and gets an error that names the fix.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as DPoP from 'dpop';
import { EmbeddedJWK, SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify } from 'jose';

import { createProject } from '../bundlers/project.mjs';
import { challenges } from '../shared/node-helpers.mjs';
import { startWrangler } from './wrangler.mjs';

const WORKER = fileURLToPath(new URL('./js-worker/', import.meta.url));
const README = fileURLToPath(new URL('../../src/wasm/README.npm.md', import.meta.url));

test("js-worker/index.js is the README's Worker example, as it is", () => {
  const readme = readFileSync(README, 'utf8');
  const section = readme.slice(readme.indexOf('### In a Cloudflare Worker'));
  const sample = /^```js\n([\s\S]*?)^```$/m.exec(section)?.[1];
  assert.ok(sample?.includes('authenticateRequest'), 'the README has the sample');
  // index.js is a comment saying what it is, then the sample.
  const code = readFileSync(new URL('index.js', `file://${WORKER}`), 'utf8').replace(/^(\/\/.*\n)+/, '');
  assert.equal(code, sample);
});

describe("the README's Worker protects an API on workerd (RFC 6750, RFC 9449, RFC 9728)", () => {
  let project;
  let worker;
  let jwksServer;
  let issuer; // this process, serving the provider's JWKS
  let audience; // the Worker's resource: its origin, with a slash
  let resource; // the URL the client calls, with a query
  let htu; // the proofs' htu: that URL without its query (RFC 9449 §4.2)
  let signToken;
  let clientKey;
  let jkt;

  before(async () => {
    const provider = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(provider.publicKey)), kid: 'p1', alg: 'ES256', use: 'sig' }] };
    jwksServer = createServer((req, res) => {
      if (req.url !== '/jwks') return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(jwks));
    });
    await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${jwksServer.address().port}`;
    clientKey = await DPoP.generateKeyPair('ES256');
    jkt = await DPoP.calculateThumbprint(clientKey.publicKey);

    project = createProject(WORKER, 'link');
    worker = await startWrangler({
      workerDir: project.dir,
      build: false,
      vars: { ISSUER: issuer, JWKS_URI: `${issuer}/jwks`, DPOP_NONCE_SECRET: 'a nonce secret of 32 bytes or more, for tests' },
    });
    audience = `${worker.url}/`;
    htu = `${worker.url}/orders`;
    resource = `${htu}?page=1`;
    // An RFC 9068 access token for the Worker, with the scope it requires.
    signToken = (claims = {}, key = provider.privateKey) =>
      new SignJWT({ client_id: 'spa', jti: randomUUID(), scope: 'read', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'p1', typ: 'at+jwt' }).setIssuer(issuer)
        .setAudience(audience).setSubject('alice').setIssuedAt().setExpirationTime('5m').sign(key);
  });
  after(async () => {
    await worker?.stop();
    project?.remove();
    jwksServer?.closeAllConnections();
    await new Promise((resolve) => (jwksServer ? jwksServer.close(resolve) : resolve()));
  });

  const call = (headers) => fetch(resource, { headers });
  const dpopCall = (token, proof) => call({ authorization: `DPoP ${token}`, dpop: proof });

  /** A nonce the Worker accepts now: from its use_dpop_nonce answer (RFC 9449 §9). */
  async function nonce() {
    const token = await signToken({ cnf: { jkt } });
    const res = await dpopCall(token, await DPoP.generateProof(clientKey, htu, 'GET', undefined, token));
    await res.arrayBuffer();
    assert.equal(res.status, 401);
    return res.headers.get('dpop-nonce');
  }
  const proofFor = async (token, { key = clientKey, url = htu, method = 'GET' } = {}) =>
    DPoP.generateProof(key, url, method, await nonce(), token);

  /** A refusal: its status, and the error on the challenge of `scheme` and in the body. */
  async function assertRefused(res, status, scheme, error) {
    assert.equal(res.status, status, await res.clone().text());
    const found = challenges(res.headers.get('www-authenticate') ?? '');
    assert.equal(found[scheme]?.error, error, res.headers.get('www-authenticate'));
    assert.equal((await res.json()).error, error);
    return found;
  }

  test('no credentials: 401 with a bare challenge per scheme naming the metadata, which names the issuer (RFC 6750 §3, RFC 9728 §5.1, §3)', async () => {
    const res = await call({});
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-expose-headers'), 'WWW-Authenticate, DPoP-Nonce');
    const found = challenges(res.headers.get('www-authenticate'));
    assert.deepEqual(Object.keys(found), ['Bearer', 'DPoP']);
    const metadataUrl = found.Bearer.resource_metadata;
    assert.equal(metadataUrl, `${worker.url}/.well-known/oauth-protected-resource`);
    const metadata = await (await fetch(metadataUrl)).json();
    assert.deepEqual(metadata.authorization_servers, [issuer]);
    assert.equal(metadata.resource, audience);
  });

  test('a DPoP-bound token with its proof: first use_dpop_nonce with a DPoP-Nonce, then accepted with it, and a next nonce (RFC 9449 §7.1, §9)', async () => {
    const token = await signToken({ cnf: { jkt } });
    const first = await dpopCall(token, await DPoP.generateProof(clientKey, htu, 'GET', undefined, token));
    await assertRefused(first, 401, 'DPoP', 'use_dpop_nonce');
    const given = first.headers.get('dpop-nonce');
    assert.ok(given);
    const res = await dpopCall(token, await DPoP.generateProof(clientKey, htu, 'GET', given, token));
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { sub: 'alice' });
    assert.ok(res.headers.get('dpop-nonce'));
  });

  test('a Bearer token with the scope is accepted; without it, 403 insufficient_scope naming it (RFC 6750 §3.1)', async () => {
    const ok = await call({ authorization: `Bearer ${await signToken()}` });
    assert.equal(ok.status, 200, await ok.clone().text());
    const narrow = await assertRefused(await call({ authorization: `Bearer ${await signToken({ scope: 'write' })}` }), 403, 'Bearer', 'insufficient_scope');
    assert.equal(narrow.Bearer.scope, 'read');
  });

  // Another jti under the first proof's signature.
  async function tamperedProof(token) {
    const signed = (await proofFor(token)).split('.');
    const other = (await proofFor(token)).split('.');
    return [signed[0], other[1], signed[2]].join('.');
  }

  test('a proof whose signature does not cover its claims is invalid_dpop_proof, not invalid_token (RFC 9449 §4.3 item 6, §7.1)', async () => {
    const token = await signToken({ cnf: { jkt } });
    const found = await assertRefused(await dpopCall(token, await tamperedProof(token)), 401, 'DPoP', 'invalid_dpop_proof');
    assert.match(found.DPoP.error_description, /signature/);
  });

  test('a proof made for another URL or method is refused (RFC 9449 §4.3 items 8, 9)', async () => {
    const token = await signToken({ cnf: { jkt } });
    await assertRefused(await dpopCall(token, await proofFor(token, { url: `${worker.url}/admin` })), 401, 'DPoP', 'invalid_dpop_proof');
    await assertRefused(await dpopCall(token, await proofFor(token, { method: 'POST' })), 401, 'DPoP', 'invalid_dpop_proof');
  });

  test('a proof used twice is refused the second time (RFC 9449 §11.1)', async () => {
    const token = await signToken({ cnf: { jkt } });
    const proof = await proofFor(token);
    assert.equal((await dpopCall(token, proof)).status, 200);
    await assertRefused(await dpopCall(token, proof), 401, 'DPoP', 'invalid_dpop_proof');
  });

  test("a proof by another key than the token's cnf.jkt is refused (RFC 9449 §6.1)", async () => {
    const token = await signToken({ cnf: { jkt } });
    const thief = await DPoP.generateKeyPair('ES256');
    await assertRefused(await dpopCall(token, await proofFor(token, { key: thief })), 401, 'DPoP', 'invalid_dpop_proof');
  });

  test('a stolen bound token, without its proof or as Bearer, is refused 401 before its scopes are looked at (RFC 9449 §7.1, §7.2)', async () => {
    const token = await signToken({ cnf: { jkt }, scope: 'write' });
    const noProof = await assertRefused(await call({ authorization: `DPoP ${token}` }), 401, 'DPoP', 'invalid_dpop_proof');
    assert.equal(noProof.DPoP.scope, undefined);
    await assertRefused(await call({ authorization: `Bearer ${token}` }), 401, 'Bearer', 'invalid_token');
    // Its holder, with the proof, learns which scope it lacks.
    const found = await assertRefused(await dpopCall(token, await proofFor(token)), 403, 'DPoP', 'insufficient_scope');
    assert.equal(found.DPoP.scope, 'read');
  });

  test('a proof key only the pure-Rust module could check (not given to this Worker) is the proof\'s fault: 401 invalid_dpop_proof, not 503 (RFC 9449 §7.1)', async () => {
    const jwk = await exportJWK(clientKey.publicKey);
    const offCurve = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.x }; // the right length, not on P-256
    const token = await signToken({ cnf: { jkt: await calculateJwkThumbprint(offCurve) } });
    const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString('base64url');
    const proof = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu, iat: Math.floor(Date.now() / 1000), ath, nonce: await nonce() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: offCurve }).sign(clientKey.privateKey);
    await assertRefused(await dpopCall(token, proof), 401, 'DPoP', 'invalid_dpop_proof');
  });

  test('a token the provider did not sign is refused as invalid_token (RFC 6750 §3.1)', async () => {
    const stranger = await generateKeyPair('ES256');
    const token = await signToken({ cnf: { jkt } }, stranger.privateKey);
    await assertRefused(await dpopCall(token, await proofFor(token)), 401, 'DPoP', 'invalid_token');
  });
});

describe('init() with no argument in a Worker', () => {
  let project;
  let worker;
  before(async () => {
    project = createProject(WORKER, 'link');
    // wrangler.toml's environment whose main calls init() as a browser app does.
    worker = await startWrangler({ workerDir: project.dir, build: false, env: { CLOUDFLARE_ENV: 'init-without-module' } });
  });
  after(async () => {
    await worker?.stop();
    project?.remove();
  });

  test('fails with wasm_not_loaded and the imports that fix it; passing the modules then works', async () => {
    const fix = 'import wasm from "oidc-edge/oidc_edge_bg.wasm"; await init({ module_or_path: wasm })';
    const bare = await (await fetch(`${worker.url}/init`)).json();
    assert.deepEqual([bare.loaded, bare.name, bare.code], [false, 'OidcEdgeError', 'wasm_not_loaded']);
    assert.ok(bare.message.includes(fix), bare.message);
    // What workerd said, kept in the message: the glue had no URL for the module beside it.
    assert.match(bare.message, /Invalid URL string/);

    const sync = await (await fetch(`${worker.url}/init-sync`)).json();
    assert.deepEqual([sync.loaded, sync.code], [false, 'wasm_not_loaded']);
    assert.ok(sync.message.includes(fix), sync.message);

    // Both modules passed: the core's PKCE, and a proof by a key of the pure-Rust module.
    const fixed = await (await fetch(`${worker.url}/init-with-module`)).json();
    assert.equal(fixed.loaded, true, JSON.stringify(fixed));
    assert.equal(fixed.pkce.method, 'S256');
    const { payload, protectedHeader } = await jwtVerify(fixed.proof, EmbeddedJWK, { typ: 'dpop+jwt' });
    assert.equal(payload.htu, 'https://api.example/orders');
    assert.equal(await calculateJwkThumbprint(protectedHeader.jwk), fixed.thumbprint);
  });

  test('verifyDpopProof without the resource-server module fails with wasm_not_loaded and the import that fixes it; passing it as `server` then works', async () => {
    const unloaded = await (await fetch(`${worker.url}/proof-check`)).json();
    assert.deepEqual([unloaded.checked, unloaded.name, unloaded.code], [false, 'OidcEdgeError', 'wasm_not_loaded']);
    assert.ok(unloaded.message.includes('import server from "oidc-edge/oidc_edge_server_bg.wasm"; initSync({ module: wasm, server })'), unloaded.message);
    assert.match(unloaded.message, /Invalid URL string/);
    const loaded = await (await fetch(`${worker.url}/proof-check-with-server`)).json();
    assert.equal(loaded.checked, true, JSON.stringify(loaded));
  });
});
