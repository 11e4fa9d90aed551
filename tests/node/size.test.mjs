// The package's size target: what every user loads (the core module, its glue, the client,
// the snippets and the entries; not the pure-Rust module, fetched on first use, nor the
// resource-server kit or the device-flow client, which bundlers drop from pages that do not
// import them) stays under
// 100 KB gzipped. A size, not a timing: it does not depend on the machine. It once crept
// over the target unnoticed (benches/README.md, "Package size"); this keeps it from doing so
// again. `node benches/js/size.mjs` prints the table file by file.
import assert from "node:assert/strict";
import { test } from "node:test";

import { TARGET_GZIP_BYTES, loadedSizes, shippedFiles } from "../../scripts/package-files.mjs";

test("what every user loads is under 100 KB gzipped", () => {
  const files = shippedFiles();
  const names = files.map((file) => file.name);
  for (const expected of ["oidc_edge_bg.wasm", "oidc_edge.js", "client.js", "index.js", "node.js"]) {
    assert.ok(names.includes(expected), `${expected} is shipped (${names.join(", ")})`);
  }
  const { core, page } = loadedSizes(files);
  // The files the failure message names: the ones `core` counts, the same filter.
  const counted = files.filter((file) => !file.onFirstUse && !file.server && !file.cli);
  assert.equal(counted.reduce((total, file) => total + file.gzip, 0), core, "the message lists exactly what core sums");
  const table = counted.map((file) => `${file.name} ${file.gzip}`).join("; ");
  assert.ok(core < TARGET_GZIP_BYTES, `every user loads ${core} bytes gzipped, over ${TARGET_GZIP_BYTES}: ${table}`);
  assert.ok(page <= core);
});
