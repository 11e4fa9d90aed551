// Completes the wasm-pack output in pkg/ into a publishable npm package: copies the
// hand-written JavaScript (the code-flow client, the resource-server kit, the verify
// functions that take fetched key sets, the DPoP proof check that loads the resource-server
// module, the device-flow client) and the Node entry point
// (with the path of the pure-Rust module's loader written in), writes the package entry
// (index.js: the wasm exports, the error class, the kit and the clients) and package.json
// with conditional exports (browser/bundler ESM by default, the self-initialising entry
// under Node), types and the files list, and copies the package's README
// (src/wasm/README.npm.md, written for npm users; the repository's README.md is about the
// whole project) and the LICENSE.
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
for (const file of ["client.d.ts", "dpop-key.d.ts", "init.d.ts", "error.d.ts", "server.d.ts", "verify.d.ts", "device.d.ts", "server-module.d.ts"]) {
  copyFileSync(join(root, "src/wasm", file), join(pkg, file));
}
// wasm-bindgen ships src/wasm/rustcrypto.js under snippets/<crate and hash>/; the Node
// entry and init.js import it there (RUSTCRYPTO_SNIPPET) to tell it where the modules loaded
// on first use find their wasm, and server-module.js to load the resource-server module.
const snippetDirs = readdirSync(join(pkg, "snippets")).filter((dir) =>
  existsSync(join(pkg, "snippets", dir, "src/wasm/rustcrypto.js")),
);
if (snippetDirs.length !== 1) throw new Error(`expected one rustcrypto.js snippet, found ${snippetDirs.length}`);
const snippets = join(pkg, "snippets", snippetDirs[0], "src/wasm");
// The error class (src/wasm/error.js) is a snippet too, since the wasm constructs it; the
// package's own modules import it from there, so all of them share the one class that
// `instanceof` needs. Its types are pkg/error.d.ts.
const errorSnippet = `./snippets/${snippetDirs[0]}/src/wasm/error.js`;
if (!existsSync(join(pkg, errorSnippet))) throw new Error(`${errorSnippet} is missing: error.rs imports it`);

// What ships of JavaScript is minified as a bundler would (esbuild: whitespace, syntax and
// local names; 1.6 KB gzipped less for a page than with names kept), except that classes
// keep their names (`DpopKey.name`, `new OidcClient` in a stack trace): a static `name`, which
// leaves a class as free of side effects as before, so bundlers still drop an unused one.
// Exported names never change. The package's size target counts what users load
// (benches/js/size.mjs); the commented sources are in src/wasm/.
const CLASS = /^((?:export )?class ([A-Za-z_$][\w$]*)(?: extends [\w$.]+)? \{)$/gm;
// The Node entry, which no page loads, keeps its local names too.
const minified = (code, file) =>
  esbuild.transformSync(code.replace(CLASS, '$1 static name = "$2";'), {
    format: "esm", minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: file !== "node.js", legalComments: "none",
  }).code;
const HAND_WRITTEN = [
  "client.js", "dpop-key.js", "options.js", "verify.js", "server.js", "remote-keys.js", "resource-metadata.js", "device.js",
  "server-module.js", "init.js", "node.js",
];
for (const file of HAND_WRITTEN) {
  let text = readFileSync(join(root, "src/wasm", file), "utf8");
  if (["init.js", "node.js", "server-module.js", "dpop-key.js"].includes(file)) {
    if (!text.includes("RUSTCRYPTO_SNIPPET")) throw new Error(`src/wasm/${file} lost its RUSTCRYPTO_SNIPPET mark`);
    text = text.replace("RUSTCRYPTO_SNIPPET", `${snippetDirs[0]}/src/wasm/rustcrypto.js`);
  }
  writeFileSync(join(pkg, file), minified(text.replaceAll('from "./error.js"', `from "${errorSnippet}"`), file));
}
// The snippets too, as wasm-bindgen copied them.
for (const file of readdirSync(snippets).filter((name) => name.endsWith(".js"))) {
  writeFileSync(join(snippets, file), minified(readFileSync(join(snippets, file), "utf8")));
}
// The entry point: what the wasm module exports (init as the default), the error class, the
// resource-server kit and the client. `Job` is the JS API's internal job class
// (src/wasm/job.rs), exported by wasm-bindgen only so that drive.js can resume it: it is
// left out of the entry. verifyJwt and validateIdToken come from verify.js, which adds fetched
// key sets (createRemoteKeySet) to what the wasm's take; validateAccessToken,
// verifyDpopProof and dpopErrorResponse from server-module.js (the resource-server module,
// oidc_edge_server.js, is loaded by it, never exported). The three verify functions' types
// are verify.d.ts's.
const INTERNAL = ["Job"];
const WRAPPED = ["verifyJwt", "validateIdToken"];
const VERIFY_TYPES = [...WRAPPED, "validateAccessToken"];
const glue = readFileSync(join(pkg, "oidc_edge.js"), "utf8");
const named = [...glue.matchAll(/^export (?:class|function) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
for (const name of INTERNAL) {
  if (!named.includes(name)) throw new Error(`oidc_edge.js no longer exports ${name}: update INTERNAL`);
}
for (const name of WRAPPED) {
  if (!named.includes(name)) throw new Error(`oidc_edge.js no longer exports ${name}: update WRAPPED`);
}
const exported = named.filter((name) => !INTERNAL.includes(name) && !WRAPPED.includes(name));
const kit = "authenticateRequest, createRemoteKeySet, protectedResourceMetadata";
// init and initSync come from init.js: wasm-bindgen's, with the `rustcrypto` option.
const entry =
  `export { ${exported.join(", ")} } from "./oidc_edge.js";\nexport { ${WRAPPED.join(", ")} } from "./verify.js";\n` +
  `export { default, initSync } from "./init.js";\nexport { OidcEdgeError } from "${errorSnippet}";\n` +
  'export { validateAccessToken, verifyDpopProof, dpopErrorResponse } from "./server-module.js";\n' +
  `export { ${kit} } from "./server.js";\nexport { OidcClient } from "./client.js";\nexport { DpopKey } from "./dpop-key.js";\n` +
  // The device-flow client, for command-line tools: bundlers drop it from apps that do not use it.
  'export { startDeviceAuthorization } from "./device.js";\n';
writeFileSync(join(pkg, "index.js"), entry);
// Named re-exports win over `export *` (the wasm's declarations of the three).
const entryTypes =
  `export * from "./oidc_edge.js";\nexport { ${VERIFY_TYPES.join(", ")} } from "./verify.js";\n` +
  'export type { KeySource } from "./verify.js";\nexport { default, initSync } from "./init.js";\n' +
  'export type { RustCryptoInput } from "./init.js";\nexport * from "./error.js";\nexport * from "./server.js";\n' +
  'export * from "./server-module.js";\n' +
  'export * from "./client.js";\nexport * from "./dpop-key.js";\nexport * from "./device.js";\n';
writeFileSync(join(pkg, "index.d.ts"), entryTypes);
writeFileSync(join(pkg, "node.d.ts"), entryTypes);

const files = [
  "oidc_edge_bg.wasm", "oidc_edge.js", "oidc_edge.d.ts", "oidc_edge_bg.wasm.d.ts",
  "oidc_edge_rustcrypto_bg.wasm", "oidc_edge_rustcrypto.js", "oidc_edge_rustcrypto.d.ts",
  "oidc_edge_rustcrypto_bg.wasm.d.ts", "oidc_edge_server_bg.wasm", "oidc_edge_server.js", "oidc_edge_server.d.ts",
  "oidc_edge_server_bg.wasm.d.ts", "server-module.js", "server-module.d.ts",
  "client.js", "client.d.ts", "dpop-key.js", "dpop-key.d.ts", "options.js", "init.js", "init.d.ts", "index.js", "index.d.ts", "node.js", "node.d.ts",
  "error.d.ts", "verify.js", "verify.d.ts", "server.js", "server.d.ts", "remote-keys.js",
  "resource-metadata.js", "device.js", "device.d.ts",
];
// wasm-bindgen declares `[Symbol.dispose]()` on its classes, and `Symbol.dispose` exists only
// from TypeScript's lib esnext.disposable / es2025 on: under a plain `lib: ["ES2022", "DOM"]`
// the declarations would not compile (tests/types checks they do). The method is still
// there at runtime; `free()` is the declared way to release a key early.
for (const file of ["oidc_edge.d.ts", "oidc_edge_rustcrypto.d.ts", "oidc_edge_server.d.ts"]) {
  const text = readFileSync(join(pkg, file), "utf8");
  writeFileSync(join(pkg, file), text.replace(/^\s*\[Symbol\.dispose\]\(\): void;\n/gm, ""));
}
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
    "./oidc_edge_server_bg.wasm": "./oidc_edge_server_bg.wasm",
    "./package.json": "./package.json",
  },
  files: [...files, ...extra, ...Object.keys(docs)],
  // Only node.js does something on import (it loads the wasm: initSync); a bundler may drop
  // every other file whose exports go unused. wasm-pack lists ./snippets/* by default, for
  // snippets in general: ours (drive.js, error.js, plain_sets.js, rustcrypto.js) only declare functions and
  // module state (tests/node/package.test.mjs checks both).
  sideEffects: ["./node.js"],
  engines: { node: ">=20" },
};
writeFileSync(join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

// Last, once the glue has been read for its exports: wasm-bindgen's glue, minified like the
// hand-written files above (7.5 KB gzipped of glue became 4.7: benches/README.md, "Package
// size"). The two entries are re-exports only, which esbuild would spell longer.
for (const file of ["oidc_edge.js", "oidc_edge_rustcrypto.js", "oidc_edge_server.js"]) {
  writeFileSync(join(pkg, file), minified(readFileSync(join(pkg, file), "utf8")));
}
