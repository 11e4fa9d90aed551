// Completes the wasm-pack output in pkg/ into a publishable npm package: copies the
// hand-written code-flow client (client.js) and the Node entry point (with the path of
// the pure-Rust module's loader written in), writes the package
// entry (index.js: the wasm exports plus the client) and package.json with conditional
// exports (browser/bundler ESM by default, the self-initialising entry under Node), types
// and the files list, and copies the package's README (src/wasm/README.npm.md, written for
// npm users; the repository's README.md is about the whole project) and the LICENSE.
// `oidc-edge/oidc_edge.js` stays importable on its own.
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");

// The [package] table's scalar fields, read without a TOML dependency: the root
// Cargo.toml keeps them as plain `key = "value"` lines.
function cargoField(name) {
  const section = cargo.slice(cargo.indexOf("\n[package]"));
  const match = section.match(new RegExp(`^${name} = "([^"]*)"$`, "m"));
  if (!match) throw new Error(`Cargo.toml [package] has no ${name}`);
  return match[1];
}
function workspaceField(name) {
  const match = cargo.match(new RegExp(`^${name} = "([^"]*)"$`, "m"));
  if (!match) throw new Error(`Cargo.toml has no ${name}`);
  return match[1];
}

// wasm-pack writes a catch-all .gitignore into pkg/; the repository already ignores pkg/,
// and npm must not read it as an ignore list for the published files.
rmSync(join(pkg, ".gitignore"), { force: true });
for (const file of ["client.d.ts", "init.d.ts"]) {
  copyFileSync(join(root, "src/wasm", file), join(pkg, file));
}
// The package's JavaScript ships without comments and whitespace (esbuild, names kept, so
// stack traces still read): every user loads it, and the package's size target counts what
// they load (benches/js/size.mjs). The commented sources are under src/wasm/; the glue is
// wasm-bindgen's.
const compact = (code) =>
  esbuild.transformSync(code, {
    format: "esm",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
  }).code;
writeFileSync(join(pkg, "client.js"), compact(readFileSync(join(root, "src/wasm/client.js"), "utf8")));
// wasm-bindgen ships src/wasm/rustcrypto.js under snippets/<crate and hash>/; the Node
// entry and init.js import it there to tell it where the pure-Rust module's wasm is.
const snippetDirs = readdirSync(join(pkg, "snippets")).filter((dir) =>
  existsSync(join(pkg, "snippets", dir, "src/wasm/rustcrypto.js")),
);
if (snippetDirs.length !== 1) throw new Error(`expected one rustcrypto.js snippet, found ${snippetDirs.length}`);
for (const file of ["node.js", "init.js"]) {
  const text = readFileSync(join(root, "src/wasm", file), "utf8");
  if (!text.includes("RUSTCRYPTO_SNIPPET")) throw new Error(`src/wasm/${file} lost its RUSTCRYPTO_SNIPPET mark`);
  writeFileSync(join(pkg, file), text.replace("RUSTCRYPTO_SNIPPET", `${snippetDirs[0]}/src/wasm/rustcrypto.js`));
}
// The entry point: what the wasm module exports (init as the default), plus the client.
// `Job` is the JS API's internal job class (src/wasm/job.rs), exported by wasm-bindgen
// only so that drive.js can resume it: it is left out of the entry.
const INTERNAL = ["Job"];
const glue = readFileSync(join(pkg, "oidc_edge.js"), "utf8");
const named = [...glue.matchAll(/^export (?:class|function) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
for (const name of INTERNAL) {
  if (!named.includes(name)) throw new Error(`oidc_edge.js no longer exports ${name}: update INTERNAL`);
}
const exported = named.filter((name) => !INTERNAL.includes(name));
// init and initSync come from init.js: wasm-bindgen's, with the `rustcrypto` option.
const entry =
  `export { ${exported.join(", ")} } from "./oidc_edge.js";\nexport { default, initSync } from "./init.js";\n` +
  'export { OidcClient, OidcError } from "./client.js";\n';
writeFileSync(join(pkg, "index.js"), entry);
const entryTypes =
  'export * from "./oidc_edge.js";\nexport { default, initSync } from "./init.js";\n' +
  'export type { RustCryptoInput } from "./init.js";\nexport * from "./client.js";\n';
writeFileSync(join(pkg, "index.d.ts"), entryTypes);
writeFileSync(join(pkg, "node.d.ts"), entryTypes);

const files = [
  "oidc_edge_bg.wasm", "oidc_edge.js", "oidc_edge.d.ts", "oidc_edge_bg.wasm.d.ts",
  "oidc_edge_rustcrypto_bg.wasm", "oidc_edge_rustcrypto.js", "oidc_edge_rustcrypto.d.ts",
  "oidc_edge_rustcrypto_bg.wasm.d.ts",
  "client.js", "client.d.ts", "init.js", "init.d.ts", "index.js", "index.d.ts", "node.js", "node.d.ts",
];
for (const file of files) {
  if (!existsSync(join(pkg, file))) throw new Error(`pkg/${file} is missing: did wasm-pack run?`);
}
// wasm-bindgen puts inline JS snippets (if any) in snippets/; ship them too.
const extra = existsSync(join(pkg, "snippets")) ? ["snippets/"] : [];
// What npm shows and what the license requires: never loaded by a page or a process, so
// scripts/package-files.mjs leaves both out of the size target.
const docs = { "README.md": "src/wasm/README.npm.md", LICENSE: "LICENSE" };
for (const [file, source] of Object.entries(docs)) {
  if (!existsSync(join(root, source))) throw new Error(`${source} is missing`);
  copyFileSync(join(root, source), join(pkg, file));
}

// homepage and bugs follow from a GitHub repository; npm spells the git URL git+….git.
const repository = workspaceField("repository");
const github = /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/.test(repository);

const manifest = {
  name: cargoField("name"),
  version: cargoField("version"),
  description: cargoField("description"),
  license: workspaceField("license"),
  repository: { type: "git", url: github ? `git+${repository}.git` : repository },
  ...(github ? { homepage: `${repository}#readme`, bugs: { url: `${repository}/issues` } } : {}),
  keywords: [
    "oauth", "oauth2", "openid", "openid-connect", "oidc", "jwt", "jwks", "id-token", "dpop",
    "pkce", "webassembly", "wasm", "cloudflare-workers",
  ],
  type: "module",
  main: "./index.js",
  module: "./index.js",
  types: "./index.d.ts",
  exports: {
    ".": {
      types: "./index.d.ts",
      node: "./node.js",
      default: "./index.js",
    },
    "./oidc_edge.js": {
      types: "./oidc_edge.d.ts",
      default: "./oidc_edge.js",
    },
    "./oidc_edge_bg.wasm": "./oidc_edge_bg.wasm",
    "./oidc_edge_rustcrypto_bg.wasm": "./oidc_edge_rustcrypto_bg.wasm",
    "./package.json": "./package.json",
  },
  files: [...files, ...extra, ...Object.keys(docs)],
  // Only node.js does something on import (it loads the wasm: initSync); a bundler may drop
  // every other file whose exports go unused. wasm-pack lists ./snippets/* by default, for
  // snippets in general: ours (drive.js, idb.js, rustcrypto.js) only declare functions and
  // module state (tests/node/package.test.mjs checks both).
  sideEffects: ["./node.js"],
  engines: { node: ">=20" },
};
writeFileSync(join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

// Last, once the glue has been read for its exports: wasm-bindgen's glue, the snippets and
// init.js, compacted like client.js above (7.5 KB gzipped of glue became 4.7:
// benches/README.md, "Package size"). The two entries are re-exports only, which esbuild
// would spell longer.
const snippetFiles = extra.length
  ? readdirSync(join(pkg, "snippets"), { recursive: true })
      .filter((file) => file.endsWith(".js"))
      .map((file) => join("snippets", file))
  : [];
for (const file of ["oidc_edge.js", "oidc_edge_rustcrypto.js", "init.js", ...snippetFiles]) {
  writeFileSync(join(pkg, file), compact(readFileSync(join(pkg, file), "utf8")));
}
