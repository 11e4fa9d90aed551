// The peer of benches/op/peer.mjs: workers-oauth-provider's `OAuthProvider` as one Worker that
// is both authorization server and resource, configured to offer what the benchmark asks of
// our provider:
//
//   GET  /.well-known/oauth-authorization-server   the library's RFC 8414 metadata
//   POST /register                                  RFC 7591 registration (one public client)
//   GET  /authorize                                 auto-approved: there is no user to sign in
//   POST /token                                     authorization_code (PKCE S256) and refresh
//   GET  /api/me                                    Bearer token → the grant's props as JSON
//   GET  /healthz                                   answered by the default handler: the floor
//
// The library needs its canonical resource at construction, and the port is only known when
// wrangler starts, so the provider is built on the first request from PEER_RESOURCE (a
// `--var`, the bare origin: it covers every path, /api/ included).

import { AuthorizationError, OAuthProvider } from '@cloudflare/workers-oauth-provider';

/** The one user every authorization is completed for. */
const USER_ID = 'bench-user';

/** GET /api/me: who the token speaks for, like our /userinfo and /api/me. */
const apiHandler = {
  fetch(request, _env, ctx) {
    if (request.method === 'GET' && new URL(request.url).pathname === '/api/me') {
      return Response.json(ctx.props, { headers: { 'cache-control': 'no-store' } });
    }
    return new Response(null, { status: 404 });
  },
};

/**
 * GET /authorize, approved at once: parse and validate the request (client, redirect URI,
 * PKCE), then store the grant and its code. `revokeExistingGrants: false` because the
 * benchmark mints thousands of codes for one user and client ahead of their use, as our
 * provider allows with one session; the default would revoke every earlier grant, and list
 * them all, at each authorization.
 */
async function authorize(request, oauth) {
  let authRequest;
  try {
    authRequest = await oauth.parseAuthRequest(request);
  } catch (err) {
    if (err instanceof AuthorizationError) {
      return Response.json({ error: err.code, error_description: err.description }, { status: 400 });
    }
    throw err;
  }
  const { redirectTo } = await oauth.completeAuthorization({
    request: authRequest,
    userId: USER_ID,
    metadata: {},
    scope: authRequest.scope,
    props: { sub: USER_ID },
    revokeExistingGrants: false,
  });
  return Response.redirect(redirectTo, 302);
}

/** Everything outside the library's own endpoints and /api/. */
const defaultHandler = {
  fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === '/authorize' && request.method === 'GET') return authorize(request, env.OAUTH_PROVIDER);
    if (pathname === '/healthz') return Response.json({ status: 'ok' });
    return new Response(null, { status: 404 });
  },
};

let provider;

function providerFor(env) {
  if (!env.PEER_RESOURCE) throw new Error('PEER_RESOURCE is not set (benches/op/peer.mjs passes it with --var)');
  return new OAuthProvider({
    apiRoute: '/api/',
    apiHandler,
    defaultHandler,
    authorizeEndpoint: '/authorize',
    tokenEndpoint: '/token',
    clientRegistrationEndpoint: '/register',
    resourceMetadata: { resource: env.PEER_RESOURCE },
    // Refresh tokens are on by default (refreshTokenTTL 30 days); said here so it is not missed.
    refreshTokenTTL: 30 * 24 * 3600,
  });
}

export default {
  fetch(request, env, ctx) {
    provider ??= providerFor(env);
    return provider.fetch(request, env, ctx);
  },
};
