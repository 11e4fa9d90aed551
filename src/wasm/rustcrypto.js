// Loads the package's pure-Rust module (oidc_edge_rustcrypto.js and its wasm, built from
// rustcrypto/) the first time the JS API needs it: a signature WebCrypto cannot check,
// `backend: "wasm"`, or a DPoP key held in wasm. Code that never needs it never downloads
// it. src/wasm/rust_backend.rs is the Rust side.
//
// This file is shipped as pkg/snippets/<crate>/src/wasm/rustcrypto.js, four levels below
// the package root, beside the module's glue.
let ready = null;
let loading = null;
let readWasm = null;

// The Node entry (node.js) passes a function that reads the module's wasm from the
// package directory; elsewhere the glue fetches it next to itself.
export function setRustCryptoSource(read) {
  readWasm = read;
}

// The module's exports once loaded, else a promise of them.
export function rustCrypto() {
  if (ready) return ready;
  loading ??= import("../../../../oidc_edge_rustcrypto.js")
    .then(async (module) => {
      if (readWasm) module.initSync({ module: readWasm() });
      else await module.default();
      ready = module;
      return module;
    })
    .catch((reason) => {
      loading = null;
      throw reason;
    });
  return loading;
}
