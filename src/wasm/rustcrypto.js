// Loads the pure-Rust module (oidc_edge_rustcrypto.js + wasm, from rustcrypto/) when the
// JS API first needs it; code using only WebCrypto never downloads it. Rust side:
// src/wasm/rust_backend.rs. Shipped at snippets/<crate>/src/wasm/, four levels down.
let ready = null;
let loading = null;
let source = null;

// Where fetching beside the glue cannot work (Node, a Worker): a function giving the wasm.
export function setRustCryptoSource(read) {
  source = read;
}

// The module's exports once loaded, else a promise of them; a failed load is retried.
export function rustCrypto() {
  if (ready) return ready;
  loading ??= import("../../../../oidc_edge_rustcrypto.js")
    .then(async (module) => {
      if (source) module.initSync({ module: source() });
      else await module.default();
      return (ready = module);
    })
    .catch((reason) => {
      loading = null;
      throw reason;
    });
  return loading;
}
