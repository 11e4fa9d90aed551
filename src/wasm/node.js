// Node entry point of the oidc-edge package: loads the wasm synchronously from the
// package directory, so Node users import and call without an explicit init().
// Calling the default export (init) afterwards is harmless: it returns the ready module.
// The code-flow client (client.js) shares this module instance, so it is ready too.
import { readFileSync } from "node:fs";
import { initSync } from "./oidc_edge.js";
// src/wasm/rustcrypto.js as wasm-bindgen ships it; scripts/finish-pkg.mjs writes the path.
import { setModuleSource } from "./snippets/RUSTCRYPTO_SNIPPET";

initSync({ module: readFileSync(new URL("./oidc_edge_bg.wasm", import.meta.url)) });
// The pure-Rust and resource-server modules are read from the package directory too, on
// first use.
for (const name of ["rustcrypto", "server"]) {
  setModuleSource(name, () => readFileSync(new URL(`./oidc_edge_${name}_bg.wasm`, import.meta.url)));
}

// The same names as the browser entry (index.js, written by scripts/finish-pkg.mjs).
export * from "./index.js";
export { default } from "./index.js";
