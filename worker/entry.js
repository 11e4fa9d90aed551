// The Worker's entry module: the workers-rs build (build/index.js) with two changes.
//
// 1. The runtime offers RPC only to Durable Object classes that derive from its
//    `DurableObject`, and workers-rs exports a plain class; linking its prototype chain here
//    lets the provider call `SingleUseObject.operate` over RPC instead of `fetch`: a read
//    costs a thirteenth of the CPU, a write under a quarter (worker/src/objects.rs,
//    benches/op/do-calls.mjs). worker-build does the same for its Emscripten target.
//
// 2. Requests enter through a plain object, not through workers-rs's entrypoint class. That
//    class is wrapped in a `Proxy` that builds an instance, a `Proxy` of it and an `async`
//    wrapper of `fetch` for every request; that was most of what a metadata document cost us
//    beyond a plain JS Worker (benches/README.md, "Side by side"). What the wrapper was for,
//    bringing the module back after a trap, the wasm-bindgen glue does by itself: a trap or
//    an uncaught exception marks the instance terminated, workers-rs's abort handler asks for
//    a new one, and the next call into the module instantiates it afresh
//    (tests/e2e/recovery.test.mjs proves it on workerd). The handler called is the one
//    worker-build generates, `function (request) { return exports.fetch.call(this, request,
//    this.env, this.ctx) }`, so `this` carries what the class instance would.
//
// 3. A GET of a public document the module has answered before (discovery, `/jwks`,
//    protected-resource metadata: what its `Cache-Control` lets any shared cache keep) is
//    answered from a copy kept for the same deploy, without entering the module
//    (src/public-cache.js).
import { DurableObject } from "cloudflare:workers";
import entrypoint, { SingleUseObject } from "./build/index.js";
import { PublicCache } from "./src/public-cache.js";

Object.setPrototypeOf(SingleUseObject.prototype, DurableObject.prototype);
Object.setPrototypeOf(SingleUseObject, DurableObject);

const handleFetch = entrypoint.prototype.fetch;
if (typeof handleFetch !== "function") {
  throw new Error("build/index.js has no fetch handler: is it a workers-rs build?");
}

const publicDocuments = new PublicCache();
/** The module's answer, as workers-rs's entrypoint class would give it (see 2. above). */
const fromModule = (request, env, ctx) => handleFetch.call({ env, ctx }, request);

export { SingleUseObject };
export default {
  fetch(request, env, ctx) {
    return publicDocuments.serve(request, env, ctx, fromModule);
  },
};
