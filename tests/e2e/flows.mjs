// Protocol steps for the end-to-end suites that attack the OP (attacks.test.mjs,
// hostile.test.mjs): a code flow through the login form with plain `fetch` (so a test can
// change any parameter), token requests, DPoP proofs made with `jose` (independent of the
// Rust code), forged JWTs, and a small concurrency pool. Nothing here asserts: each step
// returns what it saw, and the tests decide.

import { createHash, randomBytes, randomUUID } from 'node:crypto';

import * as jose from 'jose';

import { Browser, parseForm } from './browserless.mjs';

export const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
export const sha256b64url = (text) => createHash('sha256').update(text).digest('base64url');
/** The JSON of a compact JWS's header (0) or payload (1), unverified. */
export const jwsPart = (jws, index) => JSON.parse(Buffer.from(jws.split('.')[index], 'base64url').toString('utf8'));

/** A PKCE pair (RFC 7636 §4.1-4.2, S256). */
export function pkce() {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: sha256b64url(verifier) };
}

/** `{ status, headers, text, json }` for a fetch response, without following redirects. */
export async function call(url, init = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON.
  }
  return { status: res.status, headers: res.headers, text, json, res };
}

/** An /authorize URL for `client` ({ clientId, redirectUri }) with PKCE, state and nonce. */
export function authorizeUrl(opUrl, client, { challenge, state, nonce, scope = 'openid profile email offline_access', extra = {} } = {}) {
  const url = new URL('/authorize', opUrl);
  const params = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope,
    ...(challenge && { code_challenge: challenge, code_challenge_method: 'S256' }),
    ...(state && { state }),
    ...(nonce && { nonce }),
    ...extra,
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

/**
 * A user agent through /authorize, the login form and (if shown) the consent page, ending at
 * the client's redirect URI. Returns { browser, code, state, nonce, verifier, location, params }
 * or throws with what the OP showed instead.
 */
export async function signIn(opUrl, client, user, { browser = new Browser(opUrl), extra, scope, pkce: usePkce = true, consent = 'allow' } = {}) {
  const { verifier, challenge } = usePkce ? pkce() : {};
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  let step = await browser.navigate(authorizeUrl(opUrl, client, { challenge, state, nonce, scope, extra }));
  if (step.url && new URL(step.url).pathname === '/login') {
    step = await browser.submit(step.url, parseForm(step.html), { username: user.username, password: user.password });
  }
  if (step.url && new URL(step.url).pathname === '/consent') {
    step = await browser.submit(step.url, parseForm(step.html), { decision: consent });
  }
  if (!step.location) throw new Error(`sign-in ended at ${step.url} (${step.res.status}): ${step.html?.slice(0, 500)}`);
  const params = new URL(step.location).searchParams;
  if (params.get('state') !== state) throw new Error(`state mismatch in ${step.location}`);
  return { browser, code: params.get('code'), params, state, nonce, verifier, location: step.location };
}

/** POST /token with a form body; `headers` added (Authorization, DPoP…). */
export function tokenRequest(opUrl, params, headers = {}) {
  return call(new URL('/token', opUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

/** `Authorization: Basic` for client_secret_basic (RFC 6749 §2.3.1: each part form-encoded). */
export const basicAuth = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A DPoP key pair (ES256) with its public JWK and RFC 7638 thumbprint. */
export async function dpopKey() {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const publicJwk = await jose.exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk, jkt: await jose.calculateJwkThumbprint(publicJwk, 'sha256') };
}

/**
 * A DPoP proof (RFC 9449 §4.2) made with jose. `accessToken` adds `ath`; `claims` and
 * `header` override members (undefined removes one), for tampering.
 */
export async function dpopProof(key, { htm, htu, accessToken, nonce, claims = {}, header = {} }) {
  const payload = {
    jti: randomUUID(),
    htm,
    htu,
    iat: Math.floor(Date.now() / 1000),
    ...(accessToken !== undefined && { ath: sha256b64url(accessToken) }),
    ...(nonce !== undefined && { nonce }),
    ...claims,
  };
  const protectedHeader = { alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk, ...header };
  for (const o of [payload, protectedHeader]) for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return new jose.SignJWT(payload).setProtectedHeader(protectedHeader).sign(key.privateKey);
}

/**
 * Sends `make(nonce)` and, when the answer is a `use_dpop_nonce` refusal (RFC 9449 §8, §9),
 * once more with the server's nonce. Returns the last answer (from `call`) and the nonce.
 */
export async function withDpopNonce(make, nonce) {
  let res = await make(nonce);
  const refused = res.json?.error === 'use_dpop_nonce' || /use_dpop_nonce/.test(res.headers.get('www-authenticate') ?? '');
  const next = res.headers.get('dpop-nonce');
  if (refused && next) {
    nonce = next;
    res = await make(nonce);
  }
  return { res, nonce: res.headers.get('dpop-nonce') ?? nonce };
}

/** A compact JWS with the given header and payload and a signature of raw bytes (forgeries). */
export function unsignedJws(header, payload, signature = '') {
  const enc = (o) => b64url(JSON.stringify(o));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

/** An HS256 JWS whose secret is `secret` (a string or bytes): the classic alg-confusion forgery. */
export async function hs256Jws(header, payload, secret) {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
  return new jose.SignJWT(payload).setProtectedHeader({ ...header, alg: 'HS256' }).sign(key);
}

/** Runs `work(item, index)` over `items` with at most `limit` at a time; resolves with the results. */
export async function pool(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  });
  await Promise.all(runners);
  return results;
}
