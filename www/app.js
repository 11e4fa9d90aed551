// oidc-edge demo: a single-page app that signs in with the oidc-edge npm package (served at
// /pkg/) against the oidc-edge OpenID Provider. No framework, no build step.
//
//   Sign in   → the request pushed to the OP (RFC 9126) → the OP's login page → back at
//               /callback → the verified ID-token claims
//   Call API  → GET <OP>/api/me with a DPoP-bound access token (the client signs a proof)
//   Refresh   → a new access token from the refresh token (rotated by the OP)
//   Sign out  → the refresh token revoked (RFC 7009), then the OP's end_session endpoint,
//               which ends its session and sends us back
//
// Tokens live in the OidcClient's memory only; the DPoP private key is a non-extractable
// WebCrypto key kept in IndexedDB by the package.

const CLIENT_ID = 'demo-spa';
const SCOPE = 'openid profile email offline_access';
const DEFAULT_OP = 'http://localhost:8787';
/** Set just before leaving for the OP's end_session endpoint, read when we come back. */
const SIGNED_OUT_KEY = 'oidc-edge-demo:signed-out';

/** @type {import('/pkg/index.js').OidcClient | null} */
let client = null;
let issuer = DEFAULT_OP;
/** True while an action runs: every button is disabled. */
let busy = false;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------
// Rendering

function setStatus(text) {
  $('status').textContent = text;
}

/** Shows an error with its stable `code` (every error of the package has one). */
function showError(title, err) {
  console.error(title, err);
  $('error-title').textContent = title;
  $('error-code').textContent = err?.code ?? err?.name ?? 'error';
  $('error-message').textContent = err?.message ?? String(err);
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

/** "in 9 min", "in 40 s", "2 min ago". */
function relative(seconds) {
  const abs = Math.abs(seconds);
  const text = abs >= 90 ? `${Math.round(abs / 60)} min` : `${Math.round(abs)} s`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

function renderExpiry() {
  const exp = client?.session?.expiresAt;
  if (typeof exp !== 'number') return;
  const left = exp - Date.now() / 1000;
  $('token-exp-relative').textContent = left > 0 ? `(${relative(left)})` : '(expired: use Refresh)';
}

/** The first 16 hex digits of SHA-256(token): tells tokens apart without showing one. */
async function tokenHash(token) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function render() {
  const session = client?.session ?? null;
  $('signed-out').hidden = session !== null;
  $('signed-in').hidden = session === null;
  $('key-thumbprint').textContent = client?.thumbprint ?? '–';
  if (session === null) {
    $('api').hidden = true;
  } else {
    await renderSession(session);
  }
  for (const button of document.querySelectorAll('button')) button.disabled = busy || client === null;
}

async function renderSession(session) {
  const claims = session.claims ?? {};
  $('claim-name').textContent = claims.name ?? '(no name claim)';
  $('claim-email').textContent = claims.email ?? '(no email claim)';
  $('claim-sub').textContent = claims.sub ?? '';
  $('token-type').textContent = session.tokenType;
  $('token-hash').textContent = await tokenHash(session.accessToken);
  const exp = $('token-exp');
  exp.dateTime = new Date(session.expiresAt * 1000).toISOString();
  exp.dataset.exp = String(session.expiresAt);
  exp.textContent = new Date(session.expiresAt * 1000).toLocaleTimeString();
  renderExpiry();
  const jkt = session.jkt ?? null;
  $('token-jkt').textContent = jkt ?? 'none (not DPoP-bound)';
  $('token-jkt-note').textContent =
    jkt === null ? '' : jkt === client.thumbprint ? '(this browser’s key)' : '(not this browser’s key!)';
}

/** Runs one user action with the buttons disabled and any error shown. */
async function action(title, run) {
  busy = true;
  for (const button of document.querySelectorAll('button')) button.disabled = true;
  clearError();
  try {
    await run();
  } catch (err) {
    showError(title, err);
  } finally {
    busy = false;
    await render();
  }
}

// ---------------------------------------------------------------------------------------
// Actions

async function signIn() {
  setStatus(`Pushing the authorization request to ${client.metadata.pushed_authorization_request_endpoint}…`);
  const url = await client.authorizationUrl();
  setStatus('Going to the OpenID Provider…');
  location.assign(url);
}

async function callApi() {
  const url = new URL('/api/me', issuer).href;
  setStatus(`Calling ${url}…`);
  const res = await client.fetch(url);
  const text = await res.text();
  let body = text;
  try {
    body = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: shown as it is.
  }
  $('api-url').textContent = url;
  $('api-status').textContent = `${res.status} ${res.statusText}`.trim();
  $('api-status').className = res.ok ? 'ok' : 'error-text';
  $('api-body').textContent = body;
  $('api').hidden = false;
  setStatus(res.ok ? 'The API accepted the DPoP-bound token.' : `The API answered ${res.status}.`);
}

async function refresh() {
  setStatus('Refreshing…');
  const session = await client.refresh();
  setStatus(`New access token, expires at ${new Date(session.expiresAt * 1000).toLocaleTimeString()}.`);
}

async function signOut() {
  setStatus('Revoking the refresh token…');
  // The tokens are forgotten whatever the provider answers; a failed revocation is worth
  // knowing about (the refresh token then lives on at the provider until it expires).
  let revocation = null;
  const url = await client.signOut({ onRevocationError: (err) => (revocation = err) });
  if (revocation) console.warn('Signed out, but the provider did not revoke the refresh token:', revocation);
  if (url) {
    sessionStorage.setItem(SIGNED_OUT_KEY, '1');
    setStatus('Signing out at the OpenID Provider…');
    location.assign(url);
  } else if (revocation) {
    setStatus('Signed out here (the provider has no end_session endpoint).');
    showError('Signed out, but the refresh token was not revoked', revocation);
  } else {
    setStatus('Signed out here (the provider has no end_session endpoint).');
  }
}

// ---------------------------------------------------------------------------------------
// Start

/** The OP's URL: from the page server (`make dev` passes it), else the `make dev` default. */
async function loadIssuer() {
  try {
    const res = await fetch('/config.json', { cache: 'no-store' });
    if (res.ok) {
      const { issuer: value } = await res.json();
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    }
  } catch {
    // Served by something else: the default.
  }
  return DEFAULT_OP;
}

async function main() {
  issuer = await loadIssuer();
  $('op-url').textContent = issuer;
  $('op-link').href = `${issuer}/.well-known/openid-configuration`;
  $('client-id').textContent = CLIENT_ID;

  let lib;
  try {
    lib = await import('/pkg/index.js');
  } catch (err) {
    setStatus('');
    showError('The npm package is not built (run bash scripts/build-pkg.sh, then reload)', err);
    return render();
  }

  try {
    if (typeof lib.default === 'function') await lib.default();
    client = await lib.OidcClient.create({
      issuer,
      clientId: CLIENT_ID,
      redirectUri: `${location.origin}/callback`,
      postLogoutRedirectUri: `${location.origin}/`,
      scope: SCOPE,
      // demo-spa is registered with require_pushed_authorization_requests (the defaults in
      // scripts/dev-env.mjs): the OP takes its authorization requests only through /par
      // (RFC 9126). Discovery cannot tell (it speaks for every client); the page knows its
      // own registration, and pushes.
      par: true,
    });
  } catch (err) {
    setStatus('');
    showError(`Could not set up the client for ${issuer}`, err);
    return render();
  }

  if (location.pathname === '/callback') {
    // The code and state must not stay in the address bar or the history.
    const callbackUrl = location.href;
    history.replaceState(null, '', '/');
    try {
      await client.handleCallback(callbackUrl);
      setStatus('Signed in through a pushed request: the ID token was verified and the code exchanged with PKCE and DPoP.');
    } catch (err) {
      setStatus('');
      showError('Sign-in failed', err);
    }
  } else if (sessionStorage.getItem(SIGNED_OUT_KEY)) {
    sessionStorage.removeItem(SIGNED_OUT_KEY);
    setStatus('Signed out: the provider ended its session and the tokens are forgotten.');
  } else {
    setStatus('Tokens are kept in memory only: reloading this page forgets them.');
  }

  $('sign-in').addEventListener('click', () => action('Sign-in failed', signIn));
  $('call-api').addEventListener('click', () => action('The API call failed', callApi));
  $('refresh').addEventListener('click', () => action('Refresh failed', refresh));
  $('sign-out').addEventListener('click', () => action('Sign-out failed', signOut));
  setInterval(renderExpiry, 15_000);
  await render();
}

main()
  .catch((err) => showError('The page failed to start', err))
  // For the end-to-end tests (and anyone watching): the page has settled.
  .finally(() => {
    document.body.dataset.ready = 'true';
  });
