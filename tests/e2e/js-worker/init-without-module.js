// The package in a Worker that calls `init()` with no argument, as a browser app does: a
// Worker has no URL to fetch the wasm from, and the error must say what to do instead. Then
// the Worker does what it says. The same for the resource-server module, which
// verifyDpopProof loads on its first call. Each path reports plain JSON for
// tests/e2e/js-worker.test.mjs.
import init, { DpopKey, createPkce, initSync, verifyDpopProof } from "oidc-edge";
import wasm from "oidc-edge/oidc_edge_bg.wasm";
import rustcrypto from "oidc-edge/oidc_edge_rustcrypto_bg.wasm";
import server from "oidc-edge/oidc_edge_server_bg.wasm";

// Loaded: a PKCE pair from the core, and a DPoP proof from a key of the pure-Rust module.
const attempt = async (load) => {
  try {
    await load();
    const key = await DpopKey.generate({ backend: "wasm" });
    const proof = await key.proof({ htm: "GET", htu: "https://api.example/orders" });
    return Response.json({ loaded: true, pkce: createPkce(), proof, thumbprint: key.thumbprint });
  } catch (err) {
    return Response.json({ loaded: false, name: err?.name, code: err?.code, message: String(err?.message ?? err) });
  }
};

// A proof made and checked: the check runs in the resource-server module.
const check = async (options) => {
  try {
    initSync(options);
    const key = await DpopKey.generate();
    const htu = "https://api.example/orders";
    const checked = await verifyDpopProof(await key.proof({ htm: "GET", htu }), { htm: "GET", htu });
    return Response.json({ checked: checked.jkt === key.thumbprint });
  } catch (err) {
    return Response.json({ checked: false, name: err?.name, code: err?.code, message: String(err?.message ?? err) });
  }
};

export default {
  async fetch(request) {
    switch (new URL(request.url).pathname) {
      case "/healthz":
        return new Response("ok");
      case "/init":
        return attempt(() => init());
      case "/init-sync":
        return attempt(() => initSync());
      case "/init-with-module":
        return attempt(() => init({ module_or_path: wasm, rustcrypto }));
      case "/proof-check":
        return check({ module: wasm });
      case "/proof-check-with-server":
        return check({ module: wasm, server });
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
