// The package as a product (issue 16): the README npm shows is the package's own, written
// for npm users (src/wasm/README.npm.md, copied by scripts/finish-pkg.mjs), the Apache-2.0
// LICENSE ships with it, package.json says license, repository, keywords and sideEffects
// truly, and every name the README's code imports from the package exists: the README
// cannot drift from the API unnoticed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

import { importPackage } from "./package.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PKG = join(ROOT, "pkg");
const read = (...path) => readFileSync(join(...path), "utf8");
const manifest = JSON.parse(read(PKG, "package.json"));
const readme = read(PKG, "README.md");

test("pkg/README.md is the package's own README, for npm users", () => {
  assert.equal(readme, read(ROOT, "src/wasm/README.npm.md"), "copied from src/wasm/README.npm.md");
  assert.ok(readme.startsWith("# oidc-edge\n"), "starts with its title");
  assert.notEqual(readme, read(ROOT, "README.md"), "not the repository's README");
  for (const name of ["OidcClient", "verifyJwt", "verifyDpopProof", "dpopErrorResponse", "initSync", "OidcEdgeError", "authenticateRequest"]) {
    assert.ok(readme.includes(name), `mentions ${name}`);
  }
  // npm renders the README away from the repository: a relative link would lead nowhere.
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  const relativeLinks = links.filter((link) => !/^(https:\/\/|#)/.test(link));
  assert.deepEqual(relativeLinks, [], "every link is absolute");
});

test("LICENSE: the Apache License 2.0, in the repository and in the package", () => {
  const license = read(ROOT, "LICENSE");
  assert.ok(license.trimStart().startsWith("Apache License"), "starts with Apache License");
  assert.ok(license.includes("Version 2.0, January 2004"), "version 2.0");
  assert.ok(license.includes("END OF TERMS AND CONDITIONS"), "the whole text");
  assert.equal(read(PKG, "LICENSE"), license, "pkg/LICENSE is the repository's");
  assert.match(read(ROOT, "Cargo.toml"), /^license = "Apache-2.0"$/m, "the workspace's license");
  assert.equal(manifest.license, "Apache-2.0");
});

test("package.json: repository, homepage, bugs, keywords, and files with the README and LICENSE", () => {
  const repository = read(ROOT, "Cargo.toml").match(/^repository = "([^"]+)"$/m)[1];
  assert.equal(manifest.repository?.type, "git");
  assert.ok(manifest.repository.url.includes(repository.replace(/^https:\/\//, "")), manifest.repository.url);
  assert.equal(manifest.homepage, `${repository}#readme`);
  assert.equal(manifest.bugs?.url, `${repository}/issues`);
  assert.ok(Array.isArray(manifest.keywords) && manifest.keywords.length >= 5, "keywords");
  for (const keyword of ["oidc", "jwt", "dpop", "pkce"]) assert.ok(manifest.keywords.includes(keyword), keyword);
  for (const file of ["README.md", "LICENSE"]) assert.ok(manifest.files.includes(file), `files lists ${file}`);
  for (const file of manifest.files) assert.ok(existsSync(join(PKG, file)), `pkg/${file} exists`);
});

/** What bundling `file` alone, for its side effects only, leaves: esbuild drops what
 *  importing it does not run. `ignoreAnnotations` makes esbuild disregard package.json's
 *  sideEffects (which would drop the file unread); its own imports stay out. */
async function sideEffectCode(file) {
  const result = await esbuild.build({
    stdin: { contents: `import ${JSON.stringify(`./${relative(PKG, file)}`)};`, resolveDir: PKG },
    bundle: true,
    write: false,
    format: "esm",
    ignoreAnnotations: true,
    logLevel: "silent",
    plugins: [{
      name: "imports-out",
      setup(build) {
        build.onResolve({ filter: /.*/ }, (args) => (args.importer === "<stdin>" ? undefined : { path: args.path, external: true }));
      },
    }],
  });
  // What is left but the file's own (external) imports.
  return result.outputFiles[0].text.replace(/^import\b[^;]*;$/gm, "").replace(/^\s*\/\/.*$/gm, "").trim();
}

test("sideEffects lists node.js, the one file that acts on import; the snippets only declare", async () => {
  assert.deepEqual(manifest.sideEffects, ["./node.js"]);
  assert.match(await sideEffectCode(join(PKG, "node.js")), /^initSync\(/m, "node.js initialises the wasm on import");
  const walk = (dir) => readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
  const snippets = walk(join(PKG, "snippets")).filter((file) => file.endsWith(".js"));
  assert.ok(snippets.length >= 3, `snippets: ${snippets.join(", ")}`);
  for (const file of [...snippets, join(PKG, "init.js"), join(PKG, "index.js")]) {
    assert.equal(await sideEffectCode(file), "", `${relative(PKG, file)} does nothing on import`);
  }
});

/** The names a .d.ts exports, following `export *` and `export { … } from`. */
function dtsExports(file) {
  const text = readFileSync(file, "utf8");
  const names = new Set(
    [...text.matchAll(/^export (?:declare )?(?:abstract )?(?:function|class|interface|type|const|let|enum) ([A-Za-z_$][\w$]*)/gm)]
      .map((m) => m[1]),
  );
  for (const [, from] of text.matchAll(/^export \* from "(\.[^"]+)\.js";/gm)) {
    for (const name of dtsExports(join(dirname(file), `${from}.d.ts`))) names.add(name);
  }
  for (const [, list] of text.matchAll(/^export (?:type )?\{([^}]*)\} from "[^"]+";/gm)) {
    for (const item of list.split(",")) names.add(item.trim().split(/\s+as\s+/).pop());
  }
  return names;
}

test("every name the README's code imports from the package is exported, with its types", async () => {
  const types = manifest.types.replace(/^\.\//, "");
  const declared = dtsExports(join(PKG, types));
  const runtime = new Set(Object.keys(await importPackage()));
  const blocks = [...readme.matchAll(/^```(js|ts|javascript|typescript)\n([\s\S]*?)^```$/gm)];
  assert.ok(blocks.length >= 5, `code blocks: ${blocks.length}`);
  const used = new Set();
  for (const [, lang, code] of blocks) {
    // Each sample parses (as a module: top-level await allowed).
    esbuild.transformSync(code, { loader: lang.startsWith("t") ? "ts" : "js", format: "esm" });
    for (const [, typeOnly, clause, specifier] of code.matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+"(oidc-edge[^"]*)";/gm)) {
      if (specifier !== "oidc-edge") {
        const target = manifest.exports[`.${specifier.slice("oidc-edge".length)}`];
        assert.ok(target, `package.json exports ${specifier}`);
        assert.ok(existsSync(join(PKG, typeof target === "string" ? target : target.default)), `${specifier} exists`);
        continue;
      }
      const braces = clause.match(/\{([^}]*)\}/);
      const defaultName = clause.replace(/\{[^}]*\}/, "").replace(/,/g, "").trim();
      if (defaultName) {
        assert.ok(declared.has("default") && runtime.has("default"), `default import ${defaultName}`);
        used.add("default");
      }
      for (const item of (braces?.[1] ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
        const isType = Boolean(typeOnly) || item.startsWith("type ");
        const name = item.replace(/^type\s+/, "").split(/\s+as\s+/)[0];
        assert.ok(declared.has(name), `${name} (imported in the README) is declared in pkg/${types}`);
        if (!isType) assert.ok(runtime.has(name), `${name} (imported in the README) is exported at runtime`);
        used.add(name);
      }
    }
  }
  for (const name of [
    "OidcClient", "createKeySet", "verifyJwt", "validateIdToken", "validateAccessToken", "verifyDpopProof", "dpopErrorResponse",
    "dpopNonce", "initSync", "default", "OidcEdgeError", "OidcEdgeErrorCode", "authenticateRequest", "createRemoteKeySet",
    "protectedResourceMetadata",
  ]) {
    assert.ok(used.has(name), `the README's code imports ${name}`);
  }
});

test("the README's references to its own sections name sections it has", () => {
  const headings = new Set([...readme.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1].trim()));
  const references = [...readme.matchAll(/"([^"\n]+)" (?:above|below)|\bsee "([^"\n]+)"/g)].map((m) => m[1] ?? m[2]);
  assert.ok(references.length >= 1, "the README refers to a section");
  for (const name of references) assert.ok(headings.has(name), `"${name}" is a section of the README (${[...headings].join(", ")})`);
});

test("the option names the README gives for verifyJwt are verifyJwt's (VerifyOptions, and accepted at runtime)", async () => {
  const sentence = /The\s+option\s+names\s+are\s+jose's\s+where\s+they\s+mean\s+the\s+same\s*\(([^)]*)\)/.exec(readme);
  assert.ok(sentence, "the README names verifyJwt's options");
  const names = [...sentence[1].matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]);
  assert.ok(names.length >= 5, names.join(", "));
  const dts = read(PKG, "oidc_edge.d.ts");
  const start = dts.indexOf("export interface VerifyOptions {");
  const members = new Set([...dts.slice(start, dts.indexOf("\n}", start)).matchAll(/^\s+(\w+)\?:/gm)].map((m) => m[1]));
  const lib = await importPackage();
  const samples = { issuer: "x", audience: "x", algorithms: ["ES256"], typ: "JWT", clockTolerance: 5, requiredClaims: ["sub"] };
  for (const name of names) {
    assert.ok(members.has(name), `${name} is a member of VerifyOptions`);
    const err = await lib.verifyJwt("a.b.c", { keys: [] }, { [name]: samples[name] ?? 60 }).catch((e) => e);
    assert.notEqual(err?.code, "invalid_option", `verifyJwt accepts ${name}: ${err?.message}`);
  }
});

// Names a sample leaves to its reader (an `issuer`, a `token`), Node's own types (not
// installed here), and implicit `any` parameters: what is left is a mistake in the sample or
// in the declarations.
const LEFT_TO_THE_READER = new Set(["TS2304", "TS2552", "TS18004", "TS2591", "TS2580"]);

test("the README's code type-checks against the package's declarations (tsc --checkJs --strict)", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "oidc-edge-readme-"));
  try {
    const blocks = [...readme.matchAll(/^```(js|ts)\n([\s\S]*?)^```$/gm)];
    const files = blocks.map(([, lang, code], i) => {
      const name = `block${i}.${lang}`;
      // Each sample on its own, as a module (top-level await).
      writeFileSync(join(dir, name), `${code}\nexport {};\n`);
      return name;
    });
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        strict: true, noImplicitAny: false, noEmit: true, allowJs: true, checkJs: true, target: "ES2022",
        lib: ["ES2022", "DOM"], module: "ESNext", moduleResolution: "bundler", types: [],
        paths: { "oidc-edge": [join(PKG, "index.d.ts")], "oidc-edge/*": [join(PKG, "*")] },
      },
      files,
    }));
    const result = spawnSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", dir], { encoding: "utf8" });
    const errors = `${result.stdout}${result.stderr}`.split("\n").filter((line) => /error TS\d+/.test(line));
    const mistakes = errors.filter((line) => !LEFT_TO_THE_READER.has(/error (TS\d+)/.exec(line)[1]));
    const where = (line) => {
      const block = blocks[Number(/block(\d+)\./.exec(line)?.[1])];
      return block ? `${line}\n  in the block that starts: ${block[2].split("\n")[0]}` : line;
    };
    assert.deepEqual(mistakes.map(where), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the shipped JavaScript is minified, local names included, but its classes keep their names", async () => {
  const lib = await import(new URL("node.js", `file://${PKG}/`).href);
  const key = await lib.DpopKey.generate();
  assert.equal(key.constructor.name, "DpopKey");
  assert.equal(lib.OidcClient.name, "OidcClient");
  assert.equal(lib.OidcEdgeError.name, "OidcEdgeError");
  assert.equal(lib.createRemoteKeySet("https://op.example/jwks").constructor.name, "RemoteKeySet");
  // Minified: no comment, and the glue's local helpers renamed.
  const glue = readFileSync(join(PKG, "oidc_edge.js"), "utf8");
  assert.ok(!glue.includes("function getUint8ArrayMemory0"), "local names are minified");
});
