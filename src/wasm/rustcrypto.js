// Loads the package's modules that are fetched on first use, so that code which never calls
// them never downloads them: the pure-Rust module (oidc_edge_rustcrypto.js + wasm, from
// rustcrypto/), which the core calls from src/wasm/rust_backend.rs; and the resource-server
// module (oidc_edge_server.js + wasm: validateAccessToken, verifyDpopProof), which
// server-module.js calls. Shipped
// at snippets/<crate>/src/wasm/, four levels down; the resource-server module's own glue
// imports this file too, so both modules share the one pure-Rust module.
const modules = {
  rustcrypto: { load: () => import("../../../../oidc_edge_rustcrypto.js") },
  server: { load: () => import("../../../../oidc_edge_server.js") },
};

// Where fetching beside the glue cannot work (Node, a Worker): a function giving the wasm.
export function setModuleSource(name, read) {
  modules[name].source = read;
}

// A module's exports once loaded, else a promise of them; a failed load is retried.
export function loadModule(name) {
  const entry = modules[name];
  if (entry.ready) return entry.ready;
  entry.loading ??= entry
    .load()
    .then(async (module) => {
      if (entry.source) {
        // What the caller gave is not this module (another file, another version).
        try {
          module.initSync({ module: entry.source() });
        } catch (cause) {
          throw Object.assign(new Error(cause?.message ?? cause), { cause, given: true });
        }
      } else await module.default();
      return (entry.ready = module);
    })
    .catch((reason) => {
      entry.loading = null;
      throw reason;
    });
  return entry.loading;
}

export const rustCrypto = () => loadModule("rustcrypto");

// SHA-384 / SHA-512 for the core's at_hash and c_hash where it does not ask WebCrypto
// (backend "wasm"): the module's, as a promise of the bytes. `data` is a view of the core's
// memory, copied before anything else can move it.
export async function rustDigest(name, data) {
  const copy = data.slice();
  const digest = (await rustCrypto()).digest(name, copy);
  if (digest.length === 0) throw new Error(`the pure-Rust module has no ${name}`);
  return digest;
}
