// The OP on `wrangler dev` as oauth4webapi sees it, for the suites that drive it through that
// independent client: a fresh configuration (./fixture.mjs), the discovery document, and the
// fixture's two clients in oauth4webapi's shape.

import * as oauth from 'oauth4webapi';

import { opFixture } from './fixture.mjs';
import { freePort, startWrangler } from './wrangler.mjs';

/** oauth4webapi refuses http:// unless told: the OP runs on http://127.0.0.1 here. */
export const insecure = { [oauth.allowInsecureRequests]: true };

/**
 * Starts the OP, signing with one key per algorithm of `algs` (tests/e2e/fixture.mjs). Returns { op, fx, as, spa, service, stop(what) }: `as` the discovered
 * authorization server, `spa` the public client (PKCE, identified by client_id), `service`
 * the confidential one (client_secret_basic); `stop` logs how long `what` ran and stops it.
 */
export async function startOauthOp({ algs } = {}) {
  const port = await freePort();
  const fx = await opFixture({ issuer: `http://127.0.0.1:${port}`, algs });
  const op = await startWrangler({ port, secrets: fx.secrets });
  const started = Date.now();
  try {
    const issuer = new URL(fx.config.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    return {
      op,
      fx,
      as,
      spa: { client_id: fx.spa.clientId, token_endpoint_auth_method: 'none' },
      service: { client_id: fx.service.clientId, token_endpoint_auth_method: 'client_secret_basic' },
      async stop(what) {
        console.log(`# ${what} ran for ${((Date.now() - started) / 1000).toFixed(1)} s against ${op.url}`);
        await op.stop();
      },
    };
  } catch (err) {
    await op.stop();
    throw err;
  }
}
