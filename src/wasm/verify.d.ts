// Types of verify.js: the verify functions of the package entry, which take fetched key sets
// (createRemoteKeySet) besides what the wasm's functions take.
import type {
  AccessTokenClaims, AccessTokenOptions, IdTokenClaims, IdTokenOptions, JWK, JWKS, KeySet, VerifiedJwt,
  VerifyOptions,
} from "./oidc_edge.js";
import type { RemoteKeySet } from "./server.js";

/** Keys to verify with: a set from `createKeySet` (checked once), a JWKS or one JWK (looked
 *  up on every call), or a set fetched from a URL (`createRemoteKeySet`). */
export type KeySource = KeySet | JWKS | JWK | RemoteKeySet;

/** Verifies a JWT's signature with `keys` and its claims with `options` (RFC 7519,
 *  RFC 8725): `exp` is required unless `requireExp: false`. Rejects with an `OidcEdgeError`
 *  whose `code` says why ("signature_invalid", "jwt_expired", "alg_not_allowed"…). */
export function verifyJwt(token: string, keys: KeySource, options?: VerifyOptions): Promise<VerifiedJwt>;

/** Validates an OpenID Connect ID token (Core §3.1.3.7): signature, iss, aud, azp, exp,
 *  iat, nonce, auth_time with max_age, at_hash and c_hash. Resolves to the claims. */
export function validateIdToken(token: string, keys: KeySource, options: IdTokenOptions): Promise<IdTokenClaims>;

/** Validates a JWT access token as a resource server (RFC 9068 §4): typ `at+jwt`, signature,
 *  iss, aud, exp, required claims and scopes ("insufficient_scope"). Runs in the
 *  resource-server module, loaded on the first call: where it cannot be fetched (a Worker),
 *  give it to `init` / `initSync` as `server`, or the call rejects with `wasm_not_loaded`. */
export function validateAccessToken(
  token: string,
  keys: KeySource,
  options: AccessTokenOptions,
): Promise<VerifiedJwt<AccessTokenClaims>>;
