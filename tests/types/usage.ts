// Every export of the package, used as a TypeScript user would, checked by `tsc --strict
// --noEmit -p tests/types` (scripts/test.sh) under a plain `lib: ["ES2022", "DOM"]` and
// without skipLibCheck: the declarations compile, and they say what the functions return.
// Never run: only its types are checked.
import init, {
  DpopKey,
  OidcClient,
  OidcEdgeError,
  authenticateRequest,
  createKeySet,
  createPkce,
  createRemoteKeySet,
  dpopErrorResponse,
  dpopNonce,
  initSync,
  pkceChallenge,
  protectedResourceMetadata,
  randomToken,
  startDeviceAuthorization,
  validateAccessToken,
  validateIdToken,
  verifyDpopProof,
  verifyJwt,
} from "oidc-edge";
import type {
  AccessTokenClaims,
  AuthenticateResult,
  DpopProofInput,
  IdTokenClaims,
  JWK,
  JWKS,
  KeySet,
  KeySource,
  OidcEdgeErrorCode,
  ProtectedResourceMetadata,
  RemoteKeySet,
  Session,
} from "oidc-edge";
import * as lib from "oidc-edge";

// Every runtime export is listed here: a new export without a line below fails to compile,
// and so does a line for an export that went.
const exercised: Record<keyof typeof lib, true> = {
  default: true, initSync: true, DpopKey: true, OidcClient: true, OidcEdgeError: true, authenticateRequest: true,
  createKeySet: true, createPkce: true, createRemoteKeySet: true, dpopErrorResponse: true, dpopNonce: true,
  pkceChallenge: true, protectedResourceMetadata: true, randomToken: true, startDeviceAuthorization: true, validateAccessToken: true,
  validateIdToken: true, verifyDpopProof: true, verifyJwt: true,
};

declare const token: string;
declare const request: Request;
const secret = new Uint8Array(32);

export async function everything(): Promise<void> {
  await init();
  await init({ module_or_path: new URL("https://cdn.example/oidc_edge_bg.wasm") });
  initSync({ module: new Uint8Array(8) });

  const { verifier, challenge, method } = createPkce(64);
  const same: string = pkceChallenge(verifier);
  const s256: "S256" = method;
  const state: string = randomToken(32);

  const jwks: JWKS = { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", kid: "1" }] };
  const keys: KeySet = createKeySet(jwks);
  const remote: RemoteKeySet = createRemoteKeySet("https://op.example/jwks", { cooldown: 30, maxAge: 600, timeout: 5, fetch });
  const reloaded: KeySet = await remote.reload();
  const sources: KeySource[] = [keys, jwks, jwks.keys[0], remote];

  const { header, payload } = await verifyJwt(token, remote, { issuer: "https://op.example", audience: "api", requireExp: true });
  const alg: string = header.alg;
  const exp: number | undefined = payload.exp;

  const id: IdTokenClaims = await validateIdToken(token, keys, { issuer: "https://op.example", clientId: "spa", nonce: state });
  const subject: string = id.sub;
  const authTime: number | undefined = id.auth_time;

  const access = await validateAccessToken(token, remote, { issuer: "https://op.example", audience: "https://api.example", requiredScopes: ["read"] });
  const claims: AccessTokenClaims = access.payload;
  const clientId: string = claims.client_id;
  const scope: string | undefined = claims.scope;

  const key = await DpopKey.generate({ backend: "webcrypto" });
  const input: DpopProofInput = { htm: "GET", htu: "https://api.example/me", accessToken: token };
  const proof: string = await key.proof(input);
  const imported: DpopKey = await DpopKey.importJwk({ kty: "EC", crv: "P-256", x: "x", y: "y", d: "d" });
  const fromText: DpopKey = await DpopKey.importJwk('{"kty":"EC"}');
  const loaded: DpopKey | null = await DpopKey.load("key");
  await key.save("key");
  const thumbprint: string = key.thumbprint;
  const backend: "webcrypto" | "wasm" = key.backend;
  const publicJwk: JWK = key.publicJwk();

  const checked = await verifyDpopProof(proof, {
    htm: "GET", htu: "https://api.example/me", accessToken: token, jkt: thumbprint, nonceSecret: secret, maxTokenAge: 60,
  });
  const jti: string = checked.jti;
  const nonce: string = dpopNonce(secret, { nonceStep: 300 });

  try {
    await verifyJwt(token, sources[0]);
  } catch (err) {
    if (err instanceof OidcEdgeError) {
      const code: OidcEdgeErrorCode = err.code;
      const status: number | undefined = err.status;
      const description: string | undefined = err.error_description;
      const reply = dpopErrorResponse(err, { nonceSecret: secret, resourceMetadata: "https://api.example/.well-known/oauth-protected-resource" });
      const response = Response.json(reply.body, { status: reply.status, headers: reply.headers });
      void [code, status, description, response];
    }
  }
  const ours = new OidcEdgeError("invalid_option", "made by hand", { status: 400, error: "invalid_request" });

  const metadata: ProtectedResourceMetadata = protectedResourceMetadata({
    resource: "https://api.example/",
    authorizationServers: ["https://op.example"],
    scopesSupported: ["read"],
    dpopSigningAlgValuesSupported: ["ES256"],
    dpopBoundAccessTokensRequired: true,
    resourceName: "Example API",
  });
  const result: AuthenticateResult = await authenticateRequest(request, {
    issuer: "https://op.example",
    audience: metadata.resource,
    keys: remote,
    requiredScopes: ["read"],
    nonceSecret: secret,
    publicOrigin: "https://api.example",
    resourceMetadata: "https://api.example/.well-known/oauth-protected-resource",
    introspection: { endpoint: "https://op.example/introspect", clientId: "api", clientSecret: "secret" },
  });
  if (!result.ok) {
    const response: Response = result.response;
    const code: OidcEdgeErrorCode | undefined = result.error?.code;
    void [response, code];
  } else {
    const sub: string | undefined = result.claims.sub;
    const granted: string | undefined = result.claims.scope;
    if (result.scheme === "DPoP") {
      const jkt: string = result.jkt;
      void jkt;
    }
    void [sub, granted];
  }

  const client = await OidcClient.create({ issuer: "https://op.example", clientId: "spa", redirectUri: "https://app.example/callback" });
  location.assign(await client.authorizationUrl({ prompt: "login", maxAge: 300 }));
  // RFC 9126: the request pushed first, the URL carrying only client_id and request_uri.
  const pushing = await OidcClient.create({ issuer: "https://op.example", clientId: "spa", redirectUri: "https://app.example/callback", par: true });
  location.assign(await pushing.authorizationUrl());
  const session: Session = await client.handleCallback();
  const sessionClaims: IdTokenClaims = session.claims;
  await client.refresh();
  await client.userinfo();
  await client.fetch("https://op.example/api/me");
  await client.signOut({ onRevocationError: (err: OidcEdgeError) => console.warn(err.code, err.status, err.error) });

  void [exercised, challenge, same, s256, reloaded, alg, exp, subject, authTime, clientId, scope, imported, loaded, jti, nonce, ours, sessionClaims];
}

// RFC 8628: a CLI's device flow, start to tokens.
async function deviceFlow(): Promise<string | undefined> {
  const device = await startDeviceAuthorization({ issuer: "https://op.example", clientId: "cli", scope: "openid" });
  const shown: string = `${device.verificationUri} ${device.userCode} ${device.expiresIn}`;
  const tokens = await device.poll({ signal: AbortSignal.timeout(600_000), onSlowDown: (interval: number) => interval });
  const sub: string | undefined = tokens.claims?.sub;
  return tokens.accessToken + shown + sub;
}
void deviceFlow;
