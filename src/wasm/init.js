// `init` and `initSync` of the package: wasm-bindgen's, plus the `rustcrypto` and `server`
// options (the pure-Rust module's and the resource-server module's wasm, bytes or compiled)
// for runtimes that cannot fetch them on first use, and an error that names the fix where
// the core's wasm cannot be fetched.
// scripts/finish-pkg.mjs writes the snippet path in.
import wasmInit, { initSync as wasmInitSync } from "./oidc_edge.js";
import { setModuleSource } from "./snippets/RUSTCRYPTO_SNIPPET";
import { OidcEdgeError } from "./error.js";

const isPlainObject = (value) =>
  value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;

function withoutModules(input) {
  if (!isPlainObject(input)) return input;
  const { rustcrypto, server, ...rest } = input;
  if (rustcrypto !== undefined) setModuleSource("rustcrypto", () => rustcrypto);
  if (server !== undefined) setModuleSource("server", () => server);
  return rest;
}

// The package's error class, as every error of the package.
function invalid(cause) {
  const reason = String(cause?.message ?? cause).replace(/\.$/, "");
  return new OidcEdgeError(
    "wasm_invalid",
    `oidc-edge could not use the wasm it was given: ${reason}. Pass this version's oidc_edge_bg.wasm ` +
      '(import wasm from "oidc-edge/oidc_edge_bg.wasm"), the pure-Rust module only as rustcrypto and the resource-server module only as server',
    { cause },
  );
}

function notLoaded(reason, cause) {
  return new OidcEdgeError(
    "wasm_not_loaded",
    `oidc-edge could not load its wasm: ${reason}. Where it cannot be fetched (a Worker), pass it: ` +
      'import wasm from "oidc-edge/oidc_edge_bg.wasm"; await init({ module_or_path: wasm }) or initSync({ module: wasm })',
    { cause },
  );
}

export default async function init(input) {
  const rest = withoutModules(input);
  try {
    return await wasmInit(rest);
  } catch (err) {
    // Bytes or a module the caller passed: they did not compile or link (another file,
    // another version's), the engine's error kept as the cause. Anything else had to be
    // fetched: by default through `new URL("oidc_edge_bg.wasm", import.meta.url)`, which
    // throws "Invalid URL string" in a Worker.
    const source = isPlainObject(rest) ? rest.module_or_path : rest;
    if (source instanceof WebAssembly.Module || source instanceof ArrayBuffer || ArrayBuffer.isView(source)) throw invalid(err);
    throw notLoaded(String(err?.message ?? err).replace(/\.$/, ""), err);
  }
}

export function initSync(input) {
  const rest = withoutModules(input);
  try {
    return wasmInitSync(rest);
  } catch (err) {
    // Called without the wasm (and before any init): nothing to compile.
    if ((isPlainObject(rest) ? rest.module : rest) === undefined) throw notLoaded("initSync was given none", err);
    throw invalid(err);
  }
}
