// The package's one error class. The wasm core constructs it too (src/wasm/error.rs imports
// this file), so `instanceof OidcEdgeError` holds for every error the package throws, from
// Rust or from JavaScript. scripts/finish-pkg.mjs re-exports it from pkg/error.js, where the
// JS modules of the package import it: one class for all of them.
export class OidcEdgeError extends Error {
  /** `details`: `cause`, and from a provider's answer `status`, `error`, `error_description`. */
  constructor(code, message, details = {}) {
    super(message, "cause" in details ? { cause: details.cause } : undefined);
    this.name = "OidcEdgeError";
    this.code = code;
    for (const key of ["status", "error", "error_description"]) {
      if (details[key] !== undefined) this[key] = details[key];
    }
  }
}
