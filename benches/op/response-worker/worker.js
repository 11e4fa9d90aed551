// The Worker of benches/op/response-costs.mjs: what answering costs on workerd, in two ways.
//
//   GET /amp/<op>      runs <op> AMPLIFY times in one request and answers "ok": the CPU per
//                      request over that of /amp/none, divided by AMPLIFY, is one <op>.
//   GET /shape/<name>  one answer of a document's shape (its size and its fields), for the
//                      cost of a shape through the whole `wrangler dev` tree.
//
// It runs next to the provider's own build (worker/build, copied in by the script), so the
// `module` op is the provider's real `/healthz` answer, entered as worker/entry.js enters it.
// `/healthz` needs no binding, so the provider's Durable Object class is neither bound nor
// exported here.
import entrypoint from "./build/index.js";

const AMPLIFY = 100;
const handleFetch = entrypoint.prototype.fetch;

// A body in a bigger buffer, as the module's memory hands it over.
const HEALTHY = '{"status":"ok","version":"0.0.0"}';
const memory = new Uint8Array(1 << 16);
memory.set(new TextEncoder().encode(HEALTHY), 1024);
const view = () => memory.subarray(1024, 1024 + HEALTHY.length);
const TWO_FIELDS = { "cache-control": "no-store", "content-type": "application/json" };
const TWO_PAIRS = Object.entries(TWO_FIELDS);

const OPS = {
  none: () => undefined,
  "no-fields": () => new Response(view()),
  "fields-object": () => new Response(view(), { headers: { ...TWO_FIELDS } }),
  "fields-pairs": () => new Response(view(), { headers: TWO_PAIRS.map(([n, v]) => [n, v]) }),
  "fields-append": () => {
    const headers = new Headers();
    for (const [name, value] of TWO_PAIRS) headers.append(name, value);
    return new Response(view(), { headers });
  },
  "response-json": () => Response.json({ status: "ok" }),
  "js-healthz": () => new Response(HEALTHY, { headers: { ...TWO_FIELDS } }),
  "module-healthz": (env, ctx, request) => handleFetch.call({ env, ctx }, request),
};

// Document shapes: our metadata document's size and fields (1,993 bytes; Content-Type,
// Cache-Control, Access-Control-Allow-Origin) and the peer's (675 bytes; Content-Type).
const document = (bytes) => new TextEncoder().encode(JSON.stringify({ pad: "x".repeat(bytes - 10) }));
const OURS = [["access-control-allow-origin", "*"], ["cache-control", "public, max-age=300"], ["content-type", "application/json"]];
const THEIRS = [["content-type", "application/json"]];
const SHAPES = {
  "large-three-fields": [document(1993), OURS],
  "large-one-field": [document(1993), THEIRS],
  "small-three-fields": [document(675), OURS],
  "small-one-field": [document(675), THEIRS],
};

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === "/healthz") return new Response("ok");
    const [, kind, name] = pathname.split("/");
    if (kind === "amp" && Object.hasOwn(OPS, name)) {
      const op = OPS[name];
      const healthz = new Request(new URL("/healthz", request.url));
      for (let i = 0; i < AMPLIFY; i++) op(env, ctx, healthz);
      return new Response("ok");
    }
    if (kind === "shape" && Object.hasOwn(SHAPES, name)) {
      const [body, fields] = SHAPES[name];
      return new Response(body, { headers: Object.fromEntries(fields) });
    }
    return new Response(null, { status: 404 });
  },
};
