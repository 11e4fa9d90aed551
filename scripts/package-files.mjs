// What the built npm package (pkg/) puts in front of its users, file by file, for
// benches/js/size.mjs (the table) and tests/node/size.test.mjs (the size target): every
// shipped file but the types, the README and the LICENSE, which never reach a page or a
// process, each with its gzip -9 size, whether it is loaded only on first use (the
// pure-Rust module and the resource-server module, src/wasm/rustcrypto.js), and whether only a resource server loads it
// (the resource-server kit: a bundler drops it from a page that does not import it, which
// tests/node/resource-server.test.mjs checks with esbuild; an unbundled page that imports
// index.js by URL fetches it too), and whether only a command-line tool loads it (the
// device-flow client, dropped the same way: tests/node/device.test.mjs).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const PKG = fileURLToPath(new URL("../pkg/", import.meta.url));

/**
 * What a browser page may load, gzipped: the package's size budget, 60 KB (benches/README.md,
 * "Package size", says what got it there: the resource-server module loaded on first use,
 * core::fmt and the data only it read trapped, DpopKey in JavaScript, the JavaScript
 * minified). Growth past it is a decision to make in the open, not an accident.
 */
export const TARGET_GZIP_BYTES = 60_000;

export const gzipBytes = (bytes) => gzipSync(bytes, { level: 9 }).length;

function filesUnder(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

/** The resource-server kit's modules (src/wasm/server.js and what only it imports), and
 *  server-module.js (validateAccessToken, verifyDpopProof, dpopErrorResponse), which only
 *  servers import. */
export const SERVER_FILES = ["server.js", "remote-keys.js", "resource-metadata.js", "server-module.js"];

/** The device-flow client's module (src/wasm/device.js; it shares remote-keys.js with the kit). */
export const CLI_FILES = ["device.js"];

/** [{ name, bytes (a Buffer), gzip, onFirstUse, server, cli }] for every shipped file. */
export function shippedFiles() {
  const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
  return manifest.files
    .flatMap((file) => filesUnder(join(PKG, file)))
    .filter((file) => !file.endsWith(".d.ts") && !file.endsWith(".md") && relative(PKG, file) !== "LICENSE")
    .map((file) => {
      const bytes = readFileSync(file);
      const name = relative(PKG, file);
      return {
        name, bytes, gzip: gzipBytes(bytes), onFirstUse: /^oidc_edge_(rustcrypto|server)[._]/.test(name), server: SERVER_FILES.includes(name),
        cli: CLI_FILES.includes(name),
      };
    });
}

/** Gzipped bytes every user loads, those a browser page loads (no Node entry), those only a
 *  resource server adds, and those only a command-line tool adds. */
export function loadedSizes(files = shippedFiles()) {
  const sum = (list) => list.reduce((total, file) => total + file.gzip, 0);
  const core = sum(files.filter((file) => !file.onFirstUse && !file.server && !file.cli));
  const page = core - (files.find((file) => file.name === "node.js")?.gzip ?? 0);
  return { core, page, server: sum(files.filter((file) => file.server)), cli: sum(files.filter((file) => file.cli)) };
}
