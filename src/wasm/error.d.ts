// Types of the package's error class (error.js). Re-exported by the package entry point.

/**
 * Every `code` an `OidcEdgeError` can carry. The codes are stable: messages may change,
 * codes do not. (tests/node/errors.test.mjs fails when a code thrown anywhere in the
 * package is missing here.)
 */
export type OidcEdgeErrorCode =
  // PKCE, randomness, encodings (src/error.rs)
  | "pkce_verifier_length" | "pkce_verifier_charset" | "pkce_challenge_invalid" | "invalid_length"
  | "random_unavailable" | "invalid_base64url" | "too_large" | "json_invalid" | "json_not_object"
  | "json_duplicate_member"
  // JWS and keys
  | "jws_malformed" | "jws_header_invalid" | "jws_crit_unsupported" | "alg_unsupported" | "alg_not_allowed"
  | "jwk_invalid" | "jwk_unsupported" | "key_not_found" | "key_alg_mismatch" | "signature_invalid"
  | "crypto_unavailable"
  // JWT claims (RFC 7519), ID tokens (OpenID Connect Core §3.1.3.7), scopes (RFC 6750 §3.1)
  | "jwt_claim_missing" | "jwt_claim_invalid" | "jwt_expired" | "jwt_not_yet_valid" | "jwt_issued_in_future"
  | "jwt_issuer_mismatch" | "jwt_audience_mismatch" | "jwt_typ_mismatch" | "id_token_nonce_mismatch"
  | "id_token_azp_mismatch" | "id_token_auth_time_too_old" | "id_token_at_hash_mismatch"
  | "id_token_c_hash_mismatch" | "insufficient_scope"
  // DPoP (RFC 9449)
  | "dpop_header_count" | "dpop_invalid_uri" | "dpop_typ" | "dpop_jwk_missing" | "dpop_jwk_private"
  | "dpop_htm_mismatch" | "dpop_htu_mismatch" | "dpop_iat_too_old" | "dpop_iat_in_future" | "dpop_replay"
  | "dpop_ath_missing" | "dpop_ath_mismatch" | "dpop_nonce_required" | "dpop_nonce_invalid"
  | "dpop_key_mismatch"
  // Storage, options, loading
  | "store_unavailable" | "storage_unavailable" | "invalid_option" | "wasm_not_loaded" | "wasm_invalid"
  // Talking to a provider or a JWKS endpoint (OidcClient, createRemoteKeySet, introspection)
  | "network_error" | "aborted" | "response_too_large" | "discovery_invalid" | "jwks_invalid"
  | "introspection_error" | "token_inactive"
  // OidcClient
  | "state_mismatch" | "issuer_mismatch" | "authorization_error" | "callback_invalid" | "token_error"
  | "token_response_invalid" | "not_signed_in" | "no_refresh_token" | "id_token_sub_mismatch"
  | "userinfo_unavailable" | "userinfo_error" | "userinfo_invalid" | "userinfo_sub_mismatch"
  | "origin_not_allowed" | "redirect_blocked" | "revocation_error" | "par_response_invalid"
  // startDeviceAuthorization (RFC 8628)
  | "device_authorization_error" | "device_authorization_invalid" | "access_denied" | "device_code_expired";

/**
 * Every error the package throws or rejects with, from the wasm core and from its
 * JavaScript alike: test with `err instanceof OidcEdgeError` and switch on `err.code`.
 * Errors from a provider's answer (`token_error`, `userinfo_error`, `revocation_error`,
 * `authorization_error`, `introspection_error`…) carry its `status`, `error` and
 * `error_description` where it gave them.
 */
export class OidcEdgeError extends Error {
  constructor(
    code: OidcEdgeErrorCode,
    message: string,
    details?: { cause?: unknown; status?: number; error?: string; error_description?: string },
  );
  name: "OidcEdgeError";
  /** Stable machine-readable code, e.g. "jwt_expired", "signature_invalid", "token_error". */
  code: OidcEdgeErrorCode;
  /** The HTTP status, when the error came from a response. */
  status?: number;
  /** The provider's OAuth error code (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 7009 §2.2.1).
   *  From `verifyDpopProof`, when the proof is at fault: the error to answer the client with,
   *  "invalid_dpop_proof" or "use_dpop_nonce" (RFC 9449 §7.1, §8), whatever the `code`. */
  error?: string;
  /** The provider's `error_description`. */
  error_description?: string;
}
