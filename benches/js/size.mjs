// The npm package's size, file by file: bytes, gzip -9, and for JS minified + gzip -9
// (esbuild, which wrangler brings: what a bundler ships). Three groups: what every user of
// the package loads (the core module, its glue, the client, the snippets, the entries), what
// a resource server adds (the kit, which bundlers drop from pages that do not import it), what
// a command-line tool adds (the device-flow client, dropped the same way), and the pure-Rust
// module, loaded only when a call needs it (src/wasm/rustcrypto.js).
// Run after `make pkg`: node benches/js/size.mjs
import { TARGET_GZIP_BYTES, gzipBytes as gz, loadedSizes, shippedFiles } from "../../scripts/package-files.mjs";

let minify = null;
try {
  const esbuild = await import("esbuild");
  minify = (code) => esbuild.transformSync(code, { minify: true, format: "esm" }).code;
} catch {
  // Without esbuild the minified column stays empty.
}

const rows = shippedFiles().map(({ name, bytes, gzip, onFirstUse, server, cli }) => ({
  name,
  group: onFirstUse ? "loaded on first use" : server ? "a resource server adds" : cli ? "a command-line tool adds" : "every user loads",
  bytes: bytes.length,
  gzip,
  // esbuild's transform spells a re-export-only entry longer than it is; a bundler
  // would inline it, so the smaller of the two stands for it.
  minGzip: minify && name.endsWith(".js")
    ? Math.min(gzip, gz(Buffer.from(minify(bytes.toString("utf8")))))
    : null,
}));

const fmt = (n) => (n === null ? "—" : n.toLocaleString("en-US"));
console.log("| file | bytes | gzip -9 | minified + gzip -9 |\n|---|---:|---:|---:|");
for (const title of ["every user loads", "a resource server adds", "a command-line tool adds", "loaded on first use"]) {
  const group = rows.filter((row) => row.group === title);
  for (const row of group) {
    console.log(`| \`${row.name}\` | ${fmt(row.bytes)} | ${fmt(row.gzip)} | ${fmt(row.minGzip)} |`);
  }
  const sum = (key) => group.reduce((total, row) => total + (row[key] ?? row.gzip), 0);
  console.log(`| **${title}** | **${fmt(sum("bytes"))}** | **${fmt(sum("gzip"))}** | **${minify ? fmt(sum("minGzip")) : "—"}** |`);
}
const { core, page, server, cli } = loadedSizes();
const budget = `${TARGET_GZIP_BYTES / 1000} KB`;
console.log(`\nevery user loads ${(core / 1000).toFixed(1)} KB gzipped`);
console.log(`a browser page loads ${(page / 1000).toFixed(1)} KB gzipped (every user's files but node.js): ${page < TARGET_GZIP_BYTES ? "under" : "over"} the ${budget} budget`);
console.log(`a resource server adds ${(server / 1000).toFixed(1)} KB gzipped (the kit: bundlers drop it from pages that do not import it)`);
console.log(`a command-line tool adds ${(cli / 1000).toFixed(1)} KB gzipped (the device-flow client, beside the kit's remote-keys.js: bundlers drop it from apps that do not import it)`);
