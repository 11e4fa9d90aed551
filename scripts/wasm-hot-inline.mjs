// Marks which functions of a wasm module wasm-opt may inline aggressively: every function
// whose name does not match one of the given patterns is renamed "cold$<name>" in the
// name section, so `wasm-opt --no-inline='cold$*' -aimfs=…` inlines only the hot ones.
//
// Why: the pure-Rust P-256 field multiplication calls `__multi3` (a 64×64→128-bit product,
// a compiler-builtins function) 16 times per multiplication, and Node 20's V8 does not
// inline wasm calls (newer V8s do, which is why Chromium was 1.7× faster on the same
// bytes). Inlining everything makes the module 2.6× larger; inlining these few functions
// costs about 6 KB gzipped and takes ES256 verification from 1.03 to about 0.77 ms in
// Node (benches/README.md, "Pure-Rust ES256").
//
// Usage: node scripts/wasm-hot-inline.mjs IN.wasm OUT.wasm REGEX...
// The module must still carry its name section (wasm-bindgen keeps it; the final
// wasm-opt run of scripts/build-pkg.sh strips it).
import { readFileSync, writeFileSync } from "node:fs";
import { readU32 } from "./wasm-binary.mjs";

const [input, output, ...patterns] = process.argv.slice(2);
if (!input || !output || patterns.length === 0) {
  console.error("usage: wasm-hot-inline.mjs IN.wasm OUT.wasm REGEX...");
  process.exit(2);
}
const hot = patterns.map((p) => new RegExp(p));

function u32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}

const section = (id, body) => Buffer.concat([Buffer.from([id]), u32(body.length), body]);
const text = (s) => {
  const bytes = Buffer.from(s);
  return Buffer.concat([u32(bytes.length), bytes]);
};

/** The function-names subsection (id 1) with every cold name prefixed. */
function renameFunctions(body, counts) {
  let [count, pos] = readU32(body, 0);
  const out = [u32(count)];
  for (let i = 0; i < count; i++) {
    let index;
    let length;
    [index, pos] = readU32(body, pos);
    [length, pos] = readU32(body, pos);
    const name = body.subarray(pos, pos + length).toString();
    pos += length;
    const isHot = hot.some((pattern) => pattern.test(name));
    counts[isHot ? "hot" : "cold"]++;
    out.push(u32(index), text(isHot ? name : `cold$${name}`));
  }
  return Buffer.concat(out);
}

/** The "name" custom section with its function names rewritten, other subsections kept. */
function rewriteNameSection(body, counts) {
  const parts = [text("name")];
  let [length, pos] = readU32(body, 0);
  pos += length;
  while (pos < body.length) {
    const id = body[pos++];
    let size;
    [size, pos] = readU32(body, pos);
    const sub = body.subarray(pos, pos + size);
    pos += size;
    parts.push(section(id, id === 1 ? renameFunctions(sub, counts) : sub));
  }
  return Buffer.concat(parts);
}

const wasm = readFileSync(input);
const parts = [wasm.subarray(0, 8)]; // magic and version
const counts = { hot: 0, cold: 0 };
let pos = 8;
while (pos < wasm.length) {
  const start = pos;
  const id = wasm[pos++];
  let size;
  [size, pos] = readU32(wasm, pos);
  const body = wasm.subarray(pos, pos + size);
  pos += size;
  const [nameLength, namePos] = id === 0 ? readU32(body, 0) : [0, 0];
  if (id === 0 && body.subarray(namePos, namePos + nameLength).toString() === "name") {
    parts.push(section(0, rewriteNameSection(body, counts)));
  } else {
    parts.push(wasm.subarray(start, pos));
  }
}
if (counts.hot === 0) {
  // No name section, or the patterns match nothing: inlining would silently not happen.
  console.error(`wasm-hot-inline: no function of ${input} matches ${patterns.join(" ")}`);
  process.exit(1);
}
writeFileSync(output, Buffer.concat(parts));
