// Types of server-module.js: verifyDpopProof (the resource-server module, loaded on first use)
// and dpopErrorResponse. Its validateAccessToken is declared in verify.d.ts, beside the other
// token checks. Re-exported by the package entry point.
import type { DpopCheck } from "./oidc_edge_server.js";
import type { OidcEdgeError } from "./error.js";

export type { DpopCheck } from "./oidc_edge_server.js";

export interface DpopErrorOptions {
  /** "resource" (401 + WWW-Authenticate, RFC 9449 §7.1) or "token" (400 JSON, §5). */
  endpoint?: "resource" | "token";
  /** Algorithms to list in the challenge. */
  algorithms?: string[];
  /** With `use_dpop_nonce`: the secret to mint the `DPoP-Nonce` header from. */
  nonceSecret?: Uint8Array;
  /** The URL of the resource's RFC 9728 metadata document, named in the challenge as
   *  `resource_metadata` (RFC 9728 §5.1). */
  resourceMetadata?: string;
  nonceStep?: number;
  currentTime?: number;
}

export interface DpopErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description?: string };
}

/**
 * Checks a DPoP proof as a resource server or token endpoint would (RFC 9449 §4.3).
 * `proof` is the `DPoP` header value (or all of them, as an array: exactly one must be
 * present). Resolves to `{ jkt, jti, iat }`; rejects with a `dpop_*` code (or a JOSE one)
 * and, when the proof is at fault, the OAuth error to answer with as `error`. Runs in the
 * resource-server module (`oidc_edge_server_bg.wasm`), loaded on the first call: where it
 * cannot be fetched (a Worker), give it to `init` / `initSync` as `server`, or the call
 * rejects with `wasm_not_loaded`.
 */
export function verifyDpopProof(proof: string | string[] | null | undefined, options: DpopCheck): Promise<{ jkt: string; jti: string; iat: number }>;

/**
 * The HTTP response for a failed DPoP or token check. `error` is an error thrown by
 * `verifyDpopProof` (answered with the `invalid_dpop_proof` or `use_dpop_nonce` it names as
 * `error`), by a token check such as `validateAccessToken` (`insufficient_scope`, else
 * `invalid_token`), or an OAuth error code such as "invalid_token". Resource endpoints answer
 * 401 (403 for `insufficient_scope`) with a `WWW-Authenticate: DPoP` challenge (RFC 9449
 * §7.1); token endpoints 400 with a JSON body (§5). `use_dpop_nonce` adds a fresh
 * `DPoP-Nonce` when `nonceSecret` is given.
 */
export function dpopErrorResponse(error: OidcEdgeError | string, options?: DpopErrorOptions): DpopErrorResponse;
