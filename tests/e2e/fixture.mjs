// A provider configuration for end-to-end tests, made independently of the Rust code:
// PBKDF2 hashes with Node's crypto, the signing key with `jose`. Each call makes fresh
// credentials; the returned object has what the tests need to log in and authenticate.
import { pbkdf2Sync, randomBytes } from "node:crypto";
import * as jose from "jose";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** A PHC PBKDF2-SHA256 string, as DESIGN.md specifies. */
export function phc(secret, iterations) {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(secret, salt, iterations, 32, "sha256");
  return `$pbkdf2-sha256$i=${iterations}$${b64url(salt)}$${b64url(key)}`;
}

/**
 * The configuration for an OP at `issuer`, with an SPA at `spaOrigin`, signing with one key per
 * algorithm of `algs` (in that order; the last signs every token but ID tokens, which are RS256
 * when an RS256 key is there).
 * Returns { secrets: { OIDC_CONFIG, OIDC_SIGNING_KEYS, OIDC_SERVER_SECRET }, user, spa, service,
 * config, publicJwk (the last key's), publicJwks (all, in order) }.
 */
export async function opFixture({ issuer, spaOrigin = "http://localhost:5173", algs = ["ES256"] }) {
  const user = { username: "demo", password: "demo-password-" + b64url(randomBytes(6)), sub: "248289761001" };
  const service = { clientId: "demo-service", secret: b64url(randomBytes(32)) };
  const spa = { clientId: "demo-spa", redirectUri: `${spaOrigin}/callback`, origin: spaOrigin };
  const config = {
    issuer,
    clients: [
      {
        client_id: spa.clientId, client_type: "public", token_endpoint_auth_method: "none",
        redirect_uris: [spa.redirectUri], post_logout_redirect_uris: [`${spaOrigin}/`],
        grant_types: ["authorization_code", "refresh_token"], scopes: ["openid", "profile", "email", "offline_access"],
        allowed_origins: [spaOrigin], first_party: true, dpop_bound_access_tokens: false,
      },
      {
        client_id: service.clientId, client_type: "confidential", token_endpoint_auth_method: "client_secret_basic",
        client_secret_hash: phc(service.secret, 1000), grant_types: ["client_credentials"], scopes: ["api:read"],
      },
    ],
    users: [
      {
        sub: user.sub, username: user.username, password_hash: phc(user.password, 100_000),
        claims: { name: "Demo User", email: "demo@example.com", email_verified: true },
      },
    ],
    lifetimes: { code: 60, access_token: 600, id_token: 600, refresh_token: 1209600, session: 86400 },
    // The suites sign in hundreds of times from one address; throttling has its own tests.
    login_limits: { per_username: 1000, per_address: 100000, window: 60 },
  };
  const privateJwks = [];
  for (const [i, alg] of algs.entries()) {
    // The last key (the one of every suite that asks for one key) keeps the kid they know.
    const kid = i === algs.length - 1 ? "e2e-1" : `e2e-${alg.toLowerCase()}`;
    const options = alg === "EdDSA" ? { crv: "Ed25519", extractable: true } : { extractable: true };
    const { privateKey } = await jose.generateKeyPair(alg, options);
    privateJwks.push({ ...(await jose.exportJWK(privateKey)), kid, alg, use: "sig" });
  }
  const PRIVATE = new Set(["d", "p", "q", "dp", "dq", "qi"]);
  const publicJwks = privateJwks.map((jwk) => Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE.has(name))));
  return {
    secrets: {
      OIDC_CONFIG: JSON.stringify(config),
      OIDC_SIGNING_KEYS: JSON.stringify({ keys: privateJwks }),
      OIDC_SERVER_SECRET: b64url(randomBytes(32)),
    },
    config, user, spa, service, publicJwk: publicJwks[publicJwks.length - 1], publicJwks,
  };
}

/**
 * Adds the device grant's clients (RFC 8628) to a fixture made by `opFixture`: `tv`, a public
 * client that may refresh, and `kiosk`, a confidential one with a secret (client_secret_basic).
 * Rewrites `fx.secrets.OIDC_CONFIG`; returns `{ tv, kiosk }` ({ clientId, secret? }).
 */
export function addDeviceClients(fx) {
  const grant = "urn:ietf:params:oauth:grant-type:device_code";
  const tv = { clientId: "tv" };
  const kiosk = { clientId: "kiosk", secret: b64url(randomBytes(32)) };
  fx.config.clients.push(
    {
      client_id: tv.clientId, client_type: "public", client_name: "Living-room TV",
      grant_types: [grant, "refresh_token"], scopes: ["openid", "profile", "email", "offline_access"],
    },
    {
      client_id: kiosk.clientId, client_type: "confidential", token_endpoint_auth_method: "client_secret_basic",
      client_secret_hash: phc(kiosk.secret, 1000), grant_types: [grant], scopes: ["openid", "profile"],
    },
  );
  fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
  return { tv, kiosk };
}

/**
 * Adds token exchange (RFC 8693) to a fixture made by `opFixture`: a resource `backend`
 * (https://backend.example/, scope `api:read`, which the SPA may now ask for), `gateway`, a
 * confidential client that may impersonate, and `delegator`, one that must name an actor (and
 * gets its own tokens with client credentials). Rewrites `fx.secrets.OIDC_CONFIG`; returns
 * `{ gateway, delegator, backend }` (clients as { clientId, secret }).
 */
export function addExchangeClients(fx) {
  const grant = "urn:ietf:params:oauth:grant-type:token-exchange";
  const backend = "https://backend.example/";
  const gateway = { clientId: "gateway", secret: b64url(randomBytes(32)) };
  const delegator = { clientId: "delegator", secret: b64url(randomBytes(32)) };
  const spa = fx.config.clients.find((c) => c.client_id === fx.spa.clientId);
  spa.scopes = [...spa.scopes, "api:read"];
  fx.config.resources = [...(fx.config.resources ?? []), { resource: backend, scopes: ["api:read"] }];
  fx.config.clients.push(
    {
      client_id: gateway.clientId, client_type: "confidential", client_secret_hash: phc(gateway.secret, 1000),
      grant_types: [grant], scopes: ["api:read"], token_exchange_impersonation: true,
    },
    {
      client_id: delegator.clientId, client_type: "confidential", client_secret_hash: phc(delegator.secret, 1000),
      grant_types: [grant, "client_credentials"], scopes: ["api:read"],
    },
  );
  fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
  return { gateway, delegator, backend };
}

/**
 * Adds CIBA in poll mode (OpenID Connect CIBA Core 1.0) to a fixture made by `opFixture`:
 * `call-centre`, a confidential client (client_secret_basic) that may refresh, and a second
 * user `second` to ask. Rewrites `fx.secrets.OIDC_CONFIG`; returns `{ desk, second }`
 * (desk as { clientId, secret }, second as { username, password, sub }).
 */
export function addCibaClient(fx) {
  const desk = { clientId: "call-centre", secret: b64url(randomBytes(32)) };
  const second = { username: "second", password: "second-" + b64url(randomBytes(6)), sub: "u2" };
  fx.config.clients.push({
    client_id: desk.clientId, client_type: "confidential", client_secret_hash: phc(desk.secret, 1000),
    client_name: "Bank call centre", grant_types: ["urn:openid:params:grant-type:ciba", "refresh_token"],
    backchannel_token_delivery_mode: "poll", scopes: ["openid", "profile", "offline_access"],
  });
  fx.config.users.push({ sub: second.sub, username: second.username, password_hash: phc(second.password, 100_000) });
  fx.secrets.OIDC_CONFIG = JSON.stringify(fx.config);
  return { desk, second };
}
