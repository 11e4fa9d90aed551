// One error model: every error the package throws is an `OidcEdgeError` (one class, for
// `instanceof`, whether the wasm core or the JavaScript made it), and every `code` it can
// carry is in the exported union `OidcEdgeErrorCode` (src/wasm/error.d.ts), and nothing else
// is. The codes are gathered from their sources: `Error::code` in src/error.rs, and each
// place the package's JavaScript makes an error (`fail(code, …)`, `new OidcEdgeError(code, …)`),
// following a code passed down as an argument to where it is written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { importPackage } from "./package.mjs";

const ROOT = new URL("../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, ROOT), "utf8");
const lib = await importPackage();

/** The codes `Error::code` returns (src/error.rs). */
function rustCodes() {
  const source = read("src/error.rs");
  const body = source.slice(source.indexOf("pub fn code(&self)"), source.indexOf("impl fmt::Display for Error"));
  return new Set([...body.matchAll(/=> "([a-z0-9_]+)"/g)].map((m) => m[1]));
}

/** The members of the union type `OidcEdgeErrorCode`. */
function declaredCodes() {
  const source = read("src/wasm/error.d.ts");
  const start = source.indexOf("export type OidcEdgeErrorCode =");
  const union = source.slice(start, source.indexOf(";", start)).replace(/\/\/.*$/gm, "");
  return new Set([...union.matchAll(/"([a-z0-9_]+)"/g)].map((m) => m[1]));
}

/** The text of the argument of a call that starts at `at` (just after its "("), by index.
 *  Strings, template literals (with their `${…}`, nested) and brackets are skipped over. */
function argument(text, at, index) {
  const stack = []; // open brackets, "`" for a template literal, "${" for its substitutions
  let quote = null;
  let start = at;
  let n = 0;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    const top = stack.at(-1);
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (top === "`") {
      if (c === "\\") i++;
      else if (c === "`") stack.pop();
      else if (c === "$" && text[i + 1] === "{") stack.push("${"), i++;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "`" || "([{".includes(c)) {
      stack.push(c);
    } else if (")]}".includes(c)) {
      if (stack.length === 0) return n === index ? text.slice(start, i).trim() : null;
      stack.pop();
    } else if (c === "," && stack.length === 0) {
      if (n === index) return text.slice(start, i).trim();
      n++;
      start = i + 1;
    }
  }
  return null;
}

/**
 * The codes the package's JavaScript (`files`: [{ name, source }]) can give an error: the
 * first argument of each `fail(…)` / `new OidcEdgeError(…)`, and each `code = "…"` set on an
 * error by hand. An argument must be a literal, a condition choosing between literals, or a
 * name that is a parameter (or a destructured `{ code }` option) of functions whose callers,
 * in the file or in files importing the function, pass such (else a variable set to such);
 * otherwise the test cannot tell the codes, and says so.
 */
function jsCodes(files, problems) {
  const codes = new Set();
  const seen = new Set();
  const callers = (file, name) =>
    files.filter((other) => other === file || new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from "\\./${file.name}"`).test(other.source));
  // A code the pure-Rust module reports for a key it refuses (dpop-key.js reads it as
  // `coreCode` from `[code, message]`) is the core error's, one of src/error.rs's codes.
  const fromRust = new Set(["dpop-key.js coreCode"]);
  const resolve = (file, expr, where) => {
    if (fromRust.has(`${file.name} ${expr}`)) return;
    const literals = [...expr.matchAll(/^"([a-z0-9_]+)"$|(?<=[?:]\s*)"([a-z0-9_]+)"/g)].map((m) => m[1] ?? m[2]);
    if (literals.length > 0 && /^[\w$.\s?:!=&|()"]+$/.test(expr)) {
      for (const code of literals) codes.add(code);
      return;
    }
    if (!/^[A-Za-z_$][\w$]*$/.test(expr)) {
      problems.push(`${file.name}: cannot tell the code of \`${expr}\` (${where})`);
      return;
    }
    if (seen.has(`${file.name} ${expr}`)) return;
    seen.add(`${file.name} ${expr}`);
    let found = false;
    // Functions of the file that take it as a parameter, or in an options object they destructure.
    for (const m of file.source.matchAll(/function\s+([\w$]+)\s*\(([^)]*)\)/g)) {
      const params = m[2].split(/,(?![^{]*\})/).map((p) => p.trim());
      const index = params.findIndex((p) => p === expr || p.startsWith(`${expr} =`) || (p.startsWith("{") && new RegExp(`[{,]\\s*${expr}\\s*[,}]`).test(p)));
      if (index < 0) continue;
      found = true;
      const destructured = params[index].startsWith("{");
      for (const caller of callers(file, m[1])) {
        for (const call of caller.source.matchAll(new RegExp(`(?<!function\\s+)\\b${m[1]}\\(`, "g"))) {
          const arg = argument(caller.source, call.index + call[0].length, index);
          if (arg === null) continue;
          if (destructured) {
            const member = new RegExp(`\\b${expr}:\\s*("[a-z0-9_]+")`).exec(arg);
            if (member) resolve(caller, member[1], `${m[1]}({ ${expr} })`);
            else if (arg !== expr && !arg.startsWith("{")) problems.push(`${caller.name}: cannot tell ${expr} of ${m[1]}(…, ${arg})`);
          } else if (arg !== expr) {
            resolve(caller, arg, `argument of ${m[1]}`);
          }
        }
      }
    }
    // Else a variable of the file set to one.
    if (!found) {
      for (const m of file.source.matchAll(new RegExp(`(?:const|let)\\s+${expr}\\s*=\\s*([^;]+);`, "g"))) {
        found = true;
        resolve(file, m[1].trim(), `const ${expr}`);
      }
    }
    if (!found) problems.push(`${file.name}: cannot tell where ${expr} comes from`);
  };
  for (const file of files) {
    for (const m of file.source.matchAll(/\b(?:fail|new OidcEdgeError)\(/g)) {
      const arg = argument(file.source, m.index + m[0].length, 0);
      if (arg !== null && !file.source.slice(Math.max(0, m.index - 9), m.index).includes("function")) resolve(file, arg, "an error made");
    }
    for (const m of file.source.matchAll(/\.code\s*=\s*("[a-z0-9_]+")/g)) resolve(file, m[1], "code set by hand");
    if (/\.name\s*=\s*"OidcEdgeError"/.test(file.source) && !file.source.includes("class OidcEdgeError")) {
      problems.push(`${file.name}: makes an Error named OidcEdgeError by hand: throw the class (import it from "./error.js") so instanceof holds`);
    }
  }
  return codes;
}

test("OidcEdgeErrorCode lists every code the package can throw, and only those (src/error.rs, src/wasm/*.js)", () => {
  const problems = [];
  const thrown = new Map(); // code -> where
  for (const code of rustCodes()) thrown.set(code, "src/error.rs");
  // A code may be written in one file and passed to a function of another (server.js calls
  // remote-keys.js's fetchJson).
  const dir = new URL("src/wasm/", ROOT);
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".js"))
    .map((name) => ({ name, source: readFileSync(new URL(name, dir), "utf8") }));
  for (const code of jsCodes(files, problems)) {
    const file = files.find(({ source }) => source.includes(`"${code}"`));
    if (!thrown.has(code)) thrown.set(code, `src/wasm/${file.name}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(thrown.size > 60, `found ${thrown.size} codes`);
  for (const code of ["jwt_expired", "token_error", "storage_unavailable", "jwks_invalid", "introspection_error", "aborted"]) {
    assert.ok(thrown.has(code), `the scan finds ${code}`);
  }
  const declared = declaredCodes();
  const missing = [...thrown].filter(([code]) => !declared.has(code)).map(([code, where]) => `${code} (${where})`);
  const unused = [...declared].filter((code) => !thrown.has(code));
  assert.deepEqual(missing, [], "thrown but missing from OidcEdgeErrorCode");
  assert.deepEqual(unused, [], "in OidcEdgeErrorCode but thrown nowhere");
});

test("the package entry exports OidcEdgeErrorCode and OidcEdgeError's declarations (pkg/index.d.ts)", () => {
  const index = read("pkg/index.d.ts");
  assert.match(index, /^export \* from "\.\/error\.js";$/m);
  assert.equal(read("pkg/error.d.ts"), read("src/wasm/error.d.ts"));
});

test("one class for every error: the wasm core's, the JavaScript's and IndexedDB's errors are instanceof OidcEdgeError", async () => {
  const { OidcEdgeError } = lib;
  const caught = [];
  const keep = (err) => caught.push(err);
  try {
    lib.pkceChallenge("short");
  } catch (err) {
    keep(err); // thrown synchronously by the wasm
  }
  await lib.verifyJwt("not.a.jwt", { keys: [] }).catch(keep); // rejected by a wasm job
  await lib.verifyDpopProof(undefined, { htm: "GET", htu: "https://rs.example/" }).catch(keep);
  await (await lib.DpopKey.generate()).save("k").catch(keep); // dpop-key.js: no IndexedDB in Node
  await lib.OidcClient.create({ issuer: "x" }).catch(keep); // client.js
  await lib.authenticateRequest(new Request("https://rs.example/"), {}).catch(keep); // server.js
  try {
    lib.createRemoteKeySet("http://rs.example/jwks"); // remote-keys.js
  } catch (err) {
    keep(err);
  }
  try {
    lib.protectedResourceMetadata({}); // resource-metadata.js
  } catch (err) {
    keep(err);
  }
  assert.equal(caught.length, 8);
  for (const err of caught) {
    assert.ok(err instanceof OidcEdgeError, `${err?.code}: ${err}`);
    assert.ok(err instanceof Error);
    assert.equal(err.name, "OidcEdgeError");
    assert.equal(typeof err.code, "string");
    assert.ok(declaredCodes().has(err.code), err.code);
  }
  assert.deepEqual(caught.map((err) => err.code), [
    "pkce_verifier_length", "invalid_base64url", "dpop_header_count", "storage_unavailable", "invalid_option",
    "invalid_option", "invalid_option", "invalid_option",
  ]);
  // Provider errors carry the provider's words under their registered names.
  const made = new OidcEdgeError("token_error", "HTTP 400 invalid_grant", { status: 400, error: "invalid_grant", error_description: "used" });
  assert.deepEqual([made.status, made.error, made.error_description], [400, "invalid_grant", "used"]);
});
