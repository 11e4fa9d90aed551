// Types of the resource-server kit (server.js, remote-keys.js, resource-metadata.js).
// Re-exported by the package entry point.
import type { AccessTokenClaims, JwtClaims, KeySet } from "./oidc_edge.js";
import type { OidcEdgeError } from "./error.js";
import type { KeySource } from "./verify.js";

/** A JWKS fetched from a URL, for `verifyJwt`, `validateIdToken`, `validateAccessToken` and
 *  `authenticateRequest` (jose's `createRemoteJWKSet`). */
export interface RemoteKeySet {
  /** The JWKS URL. */
  readonly url: string;
  /** Fetches the JWKS now, whatever the cooldown (a fetch in flight is shared). */
  reload(): Promise<KeySet>;
  readonly __oidcEdgeRemoteKeySet: never;
}

export interface RemoteKeySetOptions {
  /** Seconds between two fetches, whatever asks for them (default 30): a token naming an
   *  unknown `kid` refetches the set at most this often. */
  cooldown?: number;
  /** Longest a fetched set is used, in seconds (default 600). A shorter `Cache-Control:
   *  max-age` (less `Age`) wins; `no-store` and `no-cache` make it stale at once (it is then
   *  still used until the cooldown allows the next fetch). */
  maxAge?: number;
  /** Seconds a fetch, body included, may take (default 5, at most 600): then "aborted". */
  timeout?: number;
  /** Default `globalThis.fetch`. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/**
 * A key set fetched from `url` (https; http only on localhost, 127.0.0.1 or [::1]) on first
 * use, kept as its caching headers allow, and fetched again when a token names a `kid` it
 * lacks (at most once per `cooldown`). Redirects are not followed. A fetch that fails rejects
 * the verification with "network_error", "aborted", "response_too_large" (over 64 KB) or
 * "jwks_invalid" (not 200, not JSON, not a JWKS, over 64 keys); within the cooldown the same
 * error is given again rather than a set past its lifetime used. Throws "invalid_option".
 */
export function createRemoteKeySet(url: string | URL, options?: RemoteKeySetOptions): RemoteKeySet;

export interface IntrospectionOptions {
  /** The authorization server's `introspection_endpoint` (RFC 7662 §2). */
  endpoint: string;
  /** This resource server's credentials there, sent with HTTP Basic (RFC 6749 §2.3.1). */
  clientId: string;
  clientSecret: string;
  /** Seconds the request may take (default 5, at most 600). */
  timeout?: number;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

export interface AuthenticateOptions {
  /** The authorization server's issuer identifier: `iss` must equal it. */
  issuer: string;
  /** This resource's identifier (RFC 8707): the token's `aud` must contain it. */
  audience: string;
  /** The issuer's keys, for JWT access tokens (RFC 9068): usually `createRemoteKeySet`. */
  keys?: KeySource;
  /** Scopes the token must all carry: else 403 insufficient_scope. */
  requiredScopes?: string[];
  /** 32 bytes or more, the same on every instance: DPoP proofs must then carry a nonce
   *  minted from it (`dpopNonce`), else 401 use_dpop_nonce with a fresh `DPoP-Nonce`. */
  nonceSecret?: Uint8Array;
  /** The origin clients call (`https://api.example`) when the request reaches this code
   *  through a proxy with another URL: a DPoP proof's `htu` names the public one. */
  publicOrigin?: string;
  /** The URL of this resource's RFC 9728 metadata, named in every challenge as
   *  `resource_metadata` (RFC 9728 §5.1). */
  resourceMetadata?: string;
  /** For opaque (non-JWT) access tokens: RFC 7662 introspection. */
  introspection?: IntrospectionOptions;
}

/** An RFC 7662 §2.2 introspection answer that `authenticateRequest` accepted. */
export interface IntrospectionClaims extends JwtClaims {
  active: true;
  aud: string | string[];
  /** Space-separated scopes. */
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  /** Confirmation (RFC 7800): `jkt` for a DPoP-bound token (RFC 9449 §6.2). */
  cnf?: unknown;
}

/** The claims of an accepted token: an RFC 9068 access token's, or an introspection answer. */
export type AuthenticatedClaims = AccessTokenClaims | IntrospectionClaims;

export type AuthenticateResult =
  | { ok: true; claims: AuthenticatedClaims; scheme: "Bearer" }
  | { ok: true; claims: AuthenticatedClaims; scheme: "DPoP"; /** The proof key's thumbprint (`cnf.jkt`). */ jkt: string }
  | {
      ok: false;
      /** The answer to send: 400 invalid_request, 401 (no credentials, invalid_token,
       *  invalid_dpop_proof, use_dpop_nonce with `DPoP-Nonce`), 403 insufficient_scope, or
       *  503 when the keys or the introspection endpoint could not be reached, or the
       *  proofs' replay cache is full (store_unavailable). */
      response: Response;
      /** What failed, for logs (absent when the request had no usable credentials). */
      error?: OidcEdgeError;
    };

/**
 * Checks the access token of `request` for this resource (RFC 6750, RFC 9449, RFC 9068):
 * `Authorization: Bearer` or `DPoP`; the token's signature, `iss`, `aud`, `exp` and scopes
 * (or its introspection); for DPoP the proof (`htm`, `htu`, `ath`, `cnf.jkt`, nonce, replay).
 * A token bound to a key (`cnf`) sent as Bearer is refused (RFC 9449 §7.2). The scopes come
 * last: a bound token without its proof is refused for that. Never rejects for
 * a bad request; throws "invalid_option" for bad options.
 */
export function authenticateRequest(request: Request, options: AuthenticateOptions): Promise<AuthenticateResult>;

export interface ProtectedResourceMetadataOptions {
  /** This resource's identifier: an https URL without fragment (RFC 9728 §2). */
  resource: string;
  /** Issuer identifiers of the authorization servers that issue tokens for it. */
  authorizationServers?: string[];
  /** Scopes a request for it may carry. */
  scopesSupported?: string[];
  jwksUri?: string;
  /** Default ["header"]: how `authenticateRequest` reads a token. */
  bearerMethodsSupported?: ("header" | "body" | "query")[];
  resourceSigningAlgValuesSupported?: string[];
  resourceName?: string;
  resourceDocumentation?: string;
  resourcePolicyUri?: string;
  resourceTosUri?: string;
  tlsClientCertificateBoundAccessTokens?: boolean;
  authorizationDetailsTypesSupported?: string[];
  dpopSigningAlgValuesSupported?: string[];
  dpopBoundAccessTokensRequired?: boolean;
}

/** The OAuth 2.0 Protected Resource Metadata document (RFC 9728 §2). */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers?: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly bearer_methods_supported: readonly ("header" | "body" | "query")[];
  readonly jwks_uri?: string;
  readonly resource_signing_alg_values_supported?: readonly string[];
  readonly resource_name?: string;
  readonly resource_documentation?: string;
  readonly resource_policy_uri?: string;
  readonly resource_tos_uri?: string;
  readonly tls_client_certificate_bound_access_tokens?: boolean;
  readonly authorization_details_types_supported?: readonly string[];
  readonly dpop_signing_alg_values_supported?: readonly string[];
  readonly dpop_bound_access_tokens_required?: boolean;
}

/**
 * The RFC 9728 §2 document, checked (`resource`, the one member required, an https URL
 * without fragment, issuer identifiers without query or fragment, scope tokens, no `none`
 * algorithm; unknown names are "invalid_option") and frozen. Serve it as JSON at
 * `/.well-known/oauth-protected-resource` (plus the resource's path, if it has one: §3.1).
 */
export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): ProtectedResourceMetadata;
