import type { InitInput, InitOutput, SyncInitInput } from "./oidc_edge.js";

/** The pure-Rust module's wasm (`oidc_edge_rustcrypto_bg.wasm`): bytes or a compiled module. */
export type RustCryptoInput = BufferSource | WebAssembly.Module;

/**
 * Loads the package's wasm. `module_or_path` as in wasm-bindgen (default: fetched beside the
 * glue). `rustcrypto`: the pure-Rust module, for runtimes that cannot fetch it on first use
 * (a Worker, the web entry in Node); without it, it is fetched when a call needs it.
 */
export default function init(
  options?: { module_or_path?: InitInput | Promise<InitInput>; rustcrypto?: RustCryptoInput } | InitInput | Promise<InitInput>,
): Promise<InitOutput>;

/** `init`, synchronously, from bytes or a compiled module. */
export function initSync(options: { module: SyncInitInput; rustcrypto?: RustCryptoInput } | SyncInitInput): InitOutput;
