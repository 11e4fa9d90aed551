// Types of DpopKey (dpop-key.js). Re-exported by the package entry point.
import type { JWK } from "./oidc_edge.js";

export interface DpopProofInput {
  /** The request method, e.g. "POST". */
  htm: string;
  /** The request URI; query and fragment are dropped (RFC 9449 §4.2). */
  htu: string;
  /** The access token the request carries: adds `ath`. */
  accessToken?: string;
  /** The server's latest `DPoP-Nonce`. */
  nonce?: string;
  /** Issue time in Unix seconds (default: now). */
  iat?: number;
}

/**
 * A DPoP key pair (P-256, ES256). In browsers the private key is a non-extractable
 * WebCrypto key that can be kept in IndexedDB; the `wasm` backend holds it in the pure-Rust
 * module, for runtimes without WebCrypto and for fixed test keys.
 */
export class DpopKey {
  private constructor();
  /**
   * Creates a new key. `backend` defaults to "webcrypto" where the runtime has it;
   * `extractable` (default false) only applies to WebCrypto keys.
   */
  static generate(options?: { backend?: "webcrypto" | "wasm"; extractable?: boolean }): Promise<DpopKey>;
  /**
   * A key from a private P-256 JWK (`kty`, `crv`, `x`, `y`, `d`; its `alg`, `use` and
   * `key_ops`, when given, must allow signing ES256), or its JSON text, on the wasm backend.
   */
  static importJwk(privateJwk: JWK | string): Promise<DpopKey>;
  /** The key saved under `name`, or `null`. */
  static load(name: string): Promise<DpopKey | null>;
  /**
   * A DPoP proof JWT for one request (RFC 9449 §4.2): `typ` dpop+jwt, ES256, the public
   * `jwk`, `htm`, `htu` without query and fragment, `iat`, a fresh `jti`, and `ath` /
   * `nonce` when given.
   */
  proof(input: DpopProofInput): Promise<string>;
  /** The public JWK (`kty`, `crv`, `x`, `y`), as it appears in proofs. */
  publicJwk(): JWK;
  /**
   * Stores the key in IndexedDB under `name` (browsers). Only WebCrypto keys can be
   * saved: their private half stays a non-extractable `CryptoKey`.
   */
  save(name: string): Promise<void>;
  /** "webcrypto" or "wasm". */
  readonly backend: "webcrypto" | "wasm";
  /**
   * The private `CryptoKey` of a WebCrypto key (non-extractable unless generated with
   * `extractable: true`), or `undefined` for the wasm backend.
   */
  readonly cryptoKey: CryptoKey | undefined;
  /** The RFC 7638 thumbprint of the public key: what tokens are bound to (`cnf.jkt`). */
  readonly thumbprint: string;
}
