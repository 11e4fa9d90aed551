// Completes the wasm-pack output in pkg/ into a publishable npm package: copies the Node
// entry point and writes package.json with conditional exports (browser/bundler ESM by
// default, the self-initialising entry under Node), types and the files list.
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

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
copyFileSync(join(root, "src/wasm/node.js"), join(pkg, "node.js"));
writeFileSync(
  join(pkg, "node.d.ts"),
  'export * from "./oidc_edge.js";\nexport { default } from "./oidc_edge.js";\n',
);

const files = ["oidc_edge_bg.wasm", "oidc_edge.js", "oidc_edge.d.ts", "oidc_edge_bg.wasm.d.ts", "node.js", "node.d.ts"];
for (const file of files) {
  if (!existsSync(join(pkg, file))) throw new Error(`pkg/${file} is missing: did wasm-pack run?`);
}
// wasm-bindgen puts inline JS snippets (if any) in snippets/; ship them too.
const extra = existsSync(join(pkg, "snippets")) ? ["snippets/"] : [];
const readme = existsSync(join(root, "README.md")) ? ["README.md"] : [];
for (const file of readme) copyFileSync(join(root, file), join(pkg, file));

const manifest = {
  name: cargoField("name"),
  version: cargoField("version"),
  description: cargoField("description"),
  license: workspaceField("license"),
  repository: { type: "git", url: workspaceField("repository") },
  keywords: ["oauth", "openid", "oidc", "jwt", "dpop", "pkce", "webassembly"],
  type: "module",
  main: "./oidc_edge.js",
  module: "./oidc_edge.js",
  types: "./oidc_edge.d.ts",
  exports: {
    ".": {
      types: "./oidc_edge.d.ts",
      node: "./node.js",
      default: "./oidc_edge.js",
    },
    "./oidc_edge_bg.wasm": "./oidc_edge_bg.wasm",
    "./package.json": "./package.json",
  },
  files: [...files, ...extra, ...readme],
  sideEffects: ["./node.js", "./snippets/*"],
  engines: { node: ">=20" },
};
writeFileSync(join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
