// The Worker's entry module: the workers-rs build (build/index.js) as it is, with one
// addition. The runtime offers RPC only to Durable Object classes that derive from its
// `DurableObject`, and workers-rs exports a plain class; linking its prototype chain here
// lets the provider call `SingleUseObject.operate` over RPC instead of `fetch`: a read costs
// a thirteenth of the CPU, a write under a quarter (worker/src/objects.rs,
// benches/op/do-calls.mjs).
// worker-build does the same for its Emscripten target.
import { DurableObject } from "cloudflare:workers";
import worker, { SingleUseObject } from "./build/index.js";

Object.setPrototypeOf(SingleUseObject.prototype, DurableObject.prototype);
Object.setPrototypeOf(SingleUseObject, DurableObject);

export { SingleUseObject };
export default worker;
