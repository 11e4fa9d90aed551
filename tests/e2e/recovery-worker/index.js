// The provider's own entry (worker/entry.js) with one more path, `/__fail-module`, which hands
// it a request whose every property throws a `WebAssembly.RuntimeError`. The first property
// the module reads throws inside it, uncaught, exactly as a trap surfaces at the boundary: the
// wasm-bindgen glue marks the instance terminated and workers-rs's abort handler asks for a
// new one. `/__module-instance` reports which instance of the module is current (workers-rs
// counts them in `globalThis.__worker_init_state`). `/__response-copies-body` reports whether
// this runtime's Response constructor copies a view it is given, as worker/src/convert.js's
// `makeResponse` relies on (it hands over a view of the module's memory). Every other path is
// the provider, unchanged.
import provider, { SingleUseObject } from "../../../worker/entry.js";

export { SingleUseObject };

const failing = new Proxy(
  {},
  {
    get(_target, property) {
      throw new WebAssembly.RuntimeError(`unreachable (reading ${String(property)})`);
    },
  },
);

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === "/__module-instance") return Response.json({ instance: globalThis.__worker_init_state?.instanceId });
    if (pathname === "/__response-copies-body") {
      // A view into a bigger buffer, as wasm memory is, changed right after the constructor.
      const memory = new Uint8Array(64).fill(0x61);
      const response = new Response(memory.subarray(8, 24));
      memory.fill(0x7a);
      return Response.json({ body: await response.text() });
    }
    if (pathname !== "/__fail-module") return provider.fetch(request, env, ctx);
    try {
      await provider.fetch(failing, env, ctx);
    } catch (err) {
      // The glue rethrows what ended the instance as the cause of a "Critical error".
      const cause = err?.cause ?? err;
      return Response.json({ failed: true, message: String(err?.message), trap: cause instanceof WebAssembly.RuntimeError });
    }
    return Response.json({ failed: false });
  },
};
