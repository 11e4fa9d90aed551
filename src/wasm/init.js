// `init` and `initSync` of the package: wasm-bindgen's, plus a `rustcrypto` option (the
// pure-Rust module's wasm, bytes or compiled) for runtimes that cannot fetch it on first
// use. scripts/finish-pkg.mjs writes the snippet path in.
import wasmInit, { initSync as wasmInitSync } from "./oidc_edge.js";
import { setRustCryptoSource } from "./snippets/RUSTCRYPTO_SNIPPET";

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
