// wrangler.toml's main: the README's Worker (index.js, unchanged) behind the /healthz that
// tests/e2e/wrangler.mjs waits for before the tests start.
import api from "./index.js";

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/healthz") return new Response("ok");
    return api.fetch(request, env, ctx);
  },
};
