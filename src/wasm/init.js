// The package's `init` and `initSync` (index.js exports these): wasm-bindgen's, with one
// more option, `rustcrypto`: the pure-Rust module's wasm (oidc_edge_rustcrypto_bg.wasm) as
// bytes or a compiled WebAssembly.Module, for runtimes that cannot fetch it beside the
// glue (a Worker, the web entry in Node). Without it the module is fetched on first use.
// scripts/finish-pkg.mjs writes the snippet's path in.
import wasmInit, { initSync as wasmInitSync } from "./oidc_edge.js";
import { setRustCryptoSource } from "./snippets/RUSTCRYPTO_SNIPPET";

// Takes `rustcrypto` out of an options object and hands the rest to wasm-bindgen.
function withoutRustCrypto(input) {
  if (input === null || typeof input !== "object" || Object.getPrototypeOf(input) !== Object.prototype) {
    return input;
  }
  const { rustcrypto, ...rest } = input;
  if (rustcrypto !== undefined) setRustCryptoSource(() => rustcrypto);
  return rest;
}

export default function init(input) {
  return wasmInit(withoutRustCrypto(input));
}

export function initSync(input) {
  return wasmInitSync(withoutRustCrypto(input));
}
