// Gives the functions a wasm-bindgen module imports from its own glue short names, in the
// module and in the glue alike.
//
// wasm-bindgen names each of them after the JS it calls plus a hash of its signature,
// `__wbg_getRandomValues_8b6f1f663e6f188d`, and spells each name twice: in the module's
// import section and as a key of the imports object its glue builds. Sixteen random hex
// digits per import, some 40 to 50 imports, in two files: gzip cannot shrink them, and they were
// 1.7 KB of what a page loads. Nothing else reads those names: the glue hands the object to
// `WebAssembly.instantiate`, which matches imports by name, and neither the package's API
// nor its exports change.
//
// Usage: node scripts/wasm-short-imports.mjs MODULE_bg.wasm GLUE.js
// Only the imports of the glue's own module (`./MODULE_bg.js`, wasm-bindgen's name for it)
// are renamed; those of snippets keep theirs. Each name must be a key of the glue exactly
// once (`{` or `,` before it, `:` after): anything else means wasm-bindgen wrote its glue
// another way, and the build fails here rather than ship a module its glue cannot
// instantiate.
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

import { readU32 } from "./wasm-binary.mjs";

const [wasmPath, gluePath] = process.argv.slice(2);
if (!wasmPath || !gluePath) {
  console.error("usage: wasm-short-imports.mjs MODULE_bg.wasm GLUE.js");
  process.exit(2);
}

function fail(message) {
  console.error(`wasm-short-imports: ${message}`);
  process.exit(1);
}

/** An unsigned LEB128. */
function u32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** `a` … `z`, `A` … `Z`, then `aa`, `ab`…: identifiers, never `__proto__`. */
function shortName(index) {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let name = "";
  do {
    name = letters[index % letters.length] + name;
    index = Math.floor(index / letters.length) - 1;
  } while (index >= 0);
  return name;
}

const bytes = readFileSync(wasmPath);
let glue = readFileSync(gluePath, "utf8");
const own = `./${basename(wasmPath, ".wasm")}.js`;
if (bytes.readUInt32LE(0) !== 0x6d736100) fail(`${wasmPath} is not a wasm module`);

/** The end of the import description at `pos` (the binary format's `importdesc`). */
function skipDescription(pos) {
  const kind = bytes[pos++];
  const limits = (at) => {
    const flags = bytes[at++];
    [, at] = readU32(bytes, at);
    if (flags & 1) [, at] = readU32(bytes, at);
    return at;
  };
  switch (kind) {
    case 0: // a function: its type index
      return readU32(bytes, pos)[1];
    case 1: // a table: its reference type, then its limits
      return limits(pos + 1);
    case 2: // a memory
      return limits(pos);
    case 3: // a global: its value type and mutability
      return pos + 2;
    case 4: // a tag: its attribute and type index
      return readU32(bytes, pos + 1)[1];
    default:
      return fail(`an import of an unknown kind (${kind})`);
  }
}

const text = (start, length) => bytes.subarray(start, start + length).toString("utf8");
const sections = [bytes.subarray(0, 8)];
let renamed = 0;
for (let pos = 8; pos < bytes.length; ) {
  const id = bytes[pos];
  const [size, body] = readU32(bytes, pos + 1);
  const end = body + size;
  if (id !== 2) {
    sections.push(bytes.subarray(pos, end));
    pos = end;
    continue;
  }
  let [count, at] = readU32(bytes, body);
  const section = [...u32(count)];
  for (let i = 0; i < count; i++) {
    let length;
    [length, at] = readU32(bytes, at);
    const module = text(at, length);
    at += length;
    [length, at] = readU32(bytes, at);
    let field = text(at, length);
    at += length;
    const description = bytes.subarray(at, (at = skipDescription(at)));
    if (module === own) {
      const short = shortName(renamed++);
      const key = new RegExp(`([{,])${field.replace(/\$/g, "\\$")}:`, "g");
      const found = glue.match(key)?.length ?? 0;
      if (found !== 1) fail(`${field} is ${found === 0 ? "not" : `${found} times`} a key of ${gluePath}'s imports`);
      glue = glue.replace(key, `$1${short}:`);
      field = short;
    }
    for (const name of [module, field]) {
      const encoded = Buffer.from(name, "utf8");
      section.push(...u32(encoded.length), ...encoded);
    }
    section.push(...description);
  }
  if (at !== end) fail("the import section does not end where its size says");
  sections.push(Buffer.from([2, ...u32(section.length), ...section]));
  pos = end;
}
if (renamed === 0) fail(`${wasmPath} imports nothing from ${own}`);
writeFileSync(wasmPath, Buffer.concat(sections));
writeFileSync(gluePath, glue);
console.error(`wasm-short-imports: ${renamed} imports of ${own} renamed`);
