import type { InitInput, InitOutput, SyncInitInput } from "./oidc_edge.js";

/** The pure-Rust module's wasm (`oidc_edge_rustcrypto_bg.wasm`), or the resource-server
 *  module's (`oidc_edge_server_bg.wasm`): bytes or a compiled module. */
export type RustCryptoInput = BufferSource | WebAssembly.Module;

/**
 * Loads the package's wasm. `module_or_path` as in wasm-bindgen (default: fetched beside the
 * glue). `rustcrypto`: the pure-Rust module, and `server`: the resource-server module
 * (`validateAccessToken`, `verifyDpopProof`, and so `authenticateRequest`), for runtimes that cannot fetch
 * them on first use (a Worker, the web entry in Node); without them, each is fetched when a
 * call needs it.
 *
 * Rejects with an `OidcEdgeError` of code `wasm_not_loaded` when the wasm had to be fetched
 * and could not be (a Worker has no URL to fetch it from): import it and pass it instead,
 * `import wasm from "oidc-edge/oidc_edge_bg.wasm"; await init({ module_or_path: wasm })`;
 * `wasm_invalid` when the bytes or module given do not compile or link (another file,
 * another version's), with the engine's error as `cause`.
 */
export default function init(
  options?: { module_or_path?: InitInput | Promise<InitInput>; rustcrypto?: RustCryptoInput; server?: RustCryptoInput } | InitInput | Promise<InitInput>,
): Promise<InitOutput>;

/** `init`, synchronously, from bytes or a compiled module (`wasm_not_loaded` without one,
 *  `wasm_invalid` for one that does not compile or link). */
export function initSync(options: { module: SyncInitInput; rustcrypto?: RustCryptoInput; server?: RustCryptoInput } | SyncInitInput): InitOutput;
