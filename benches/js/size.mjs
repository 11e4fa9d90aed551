// The npm package's size, file by file: bytes, gzip -9, and for JS minified + gzip -9
// (esbuild, which wrangler brings: what a bundler ships). Two groups: what every user of
// the package loads (the core module, its glue, the client, the snippets, the entries) and
// the pure-Rust module, loaded only when a call needs it (src/wasm/rustcrypto.js).
// Run after `make pkg`: node benches/js/size.mjs
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const pkg = fileURLToPath(new URL("../../pkg/", import.meta.url));
const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));

let minify = null;
try {
  const esbuild = await import("esbuild");
  minify = (code) => esbuild.transformSync(code, { minify: true, format: "esm" }).code;
} catch {
  // Without esbuild the minified column stays empty.
}

function filesUnder(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

// Types and the README ship in the tarball but never reach a page or a process.
const shipped = manifest.files
  .flatMap((file) => filesUnder(join(pkg, file)))
  .filter((file) => !file.endsWith(".d.ts") && !file.endsWith(".md"));

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const rows = shipped.map((file) => {
  const bytes = readFileSync(file);
  const name = relative(pkg, file);
  return {
    name,
    onFirstUse: name.startsWith("oidc_edge_rustcrypto"),
    bytes: bytes.length,
    gzip: gz(bytes),
    // esbuild's transform spells a re-export-only entry longer than it is; a bundler
    // would inline it, so the smaller of the two stands for it.
    minGzip: minify && name.endsWith(".js")
      ? Math.min(gz(bytes), gz(Buffer.from(minify(bytes.toString("utf8")))))
      : null,
  };
});

const fmt = (n) => (n === null ? "—" : n.toLocaleString("en-US"));
console.log("| file | bytes | gzip -9 | minified + gzip -9 |\n|---|---:|---:|---:|");
for (const [title, onFirstUse] of [["every user loads", false], ["loaded on first use", true]]) {
  const group = rows.filter((row) => row.onFirstUse === onFirstUse);
  for (const row of group) {
    console.log(`| \`${row.name}\` | ${fmt(row.bytes)} | ${fmt(row.gzip)} | ${fmt(row.minGzip)} |`);
  }
  const sum = (key) => group.reduce((total, row) => total + (row[key] ?? row.gzip), 0);
  console.log(`| **${title}** | **${fmt(sum("bytes"))}** | **${fmt(sum("gzip"))}** | **${minify ? fmt(sum("minGzip")) : "—"}** |`);
}
const core = rows.filter((row) => !row.onFirstUse).reduce((total, row) => total + row.gzip, 0);
// A page never loads the Node entry (package.json gives it to Node only).
const page = core - (rows.find((row) => row.name === "node.js")?.gzip ?? 0);
console.log(`\nevery user loads ${(core / 1000).toFixed(1)} KB gzipped: ${core < 100_000 ? "under" : "over"} the 100 KB target`);
console.log(`a browser page loads ${(page / 1000).toFixed(1)} KB gzipped (all of the above but node.js)`);
