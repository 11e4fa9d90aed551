// The package's size budget: what a browser page loads (the core module, its glue, the
// client, the snippets and the web entry; not the Node entry, nor the pure-Rust and
// resource-server modules, fetched on first use, nor the resource-server kit or the device-flow client, which bundlers
// drop from pages that do not import them) stays under TARGET_GZIP_BYTES
// (scripts/package-files.mjs) gzipped. A size, not a timing: it does not depend on the
// machine. It once crept over the target unnoticed (benches/README.md, "Package size"); this
// keeps it from doing so again. `node benches/js/size.mjs` prints the table file by file.
import assert from "node:assert/strict";
import { test } from "node:test";

import { TARGET_GZIP_BYTES, loadedSizes, shippedFiles } from "../../scripts/package-files.mjs";

test(`what a browser page loads is under ${TARGET_GZIP_BYTES / 1000} KB gzipped`, () => {
  const files = shippedFiles();
  const names = files.map((file) => file.name);
  for (const expected of ["oidc_edge_bg.wasm", "oidc_edge.js", "client.js", "dpop-key.js", "index.js", "node.js", "oidc_edge_server_bg.wasm"]) {
    assert.ok(names.includes(expected), `${expected} is shipped (${names.join(", ")})`);
  }
  // The modules loaded on first use are not counted, and only they.
  assert.deepEqual(
    files.filter((file) => file.onFirstUse).map((file) => file.name).sort(),
    ["oidc_edge_rustcrypto.js", "oidc_edge_rustcrypto_bg.wasm", "oidc_edge_server.js", "oidc_edge_server_bg.wasm"],
  );
  const { core, page } = loadedSizes(files);
  // The files the failure message names: the ones `page` counts, the same filter.
  const counted = files.filter((file) => !file.onFirstUse && !file.server && !file.cli && file.name !== "node.js");
  assert.equal(counted.reduce((total, file) => total + file.gzip, 0), page, "the message lists exactly what page sums");
  assert.ok(page <= core, "a page loads no more than every user does");
  const table = counted.map((file) => `${file.name} ${file.gzip}`).join("; ");
  assert.ok(page < TARGET_GZIP_BYTES, `a browser page loads ${page} bytes gzipped, over ${TARGET_GZIP_BYTES}: ${table}`);
  assert.ok(page <= core);
});
