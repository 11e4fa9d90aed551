// Turns `core::fmt`, which nothing but the trapped panic path can reach any more, into bare
// traps: the body of `core::fmt::write`, of every `Formatter` method and of every `Debug` and
// `Display` implementation becomes `unreachable`, and the optimiser run after this drops what
// only they reached (the padding and escaping code, Unicode tables): 2.9 KB gzipped of the
// core module (benches/README.md, "Package size").
//
// Why they stay without this: after scripts/wasm-panic-trap.mjs no export reaches them, but
// the function table still holds them (a panicking call site's arguments and the panic
// payloads' vtables point to them), and an optimiser keeps whatever the table holds.
//
// Why trapping them is safe, and checked here: a `Debug` or `Display` implementation runs only
// with a `Formatter`, which only `core::fmt::write` makes (from `fmt::Arguments`) or code that
// calls the implementation directly (`ToString`). So this script first follows every direct
// call from the exports, the start function and every table entry outside that set; if any
// function of the set is reached, formatting is live somewhere, and the build fails here
// rather than ship a trap on a working path. If none is, a function of the set can only be
// called indirectly from another of the set, or through an index built by formatting code
// that never runs (a panic's arguments, handed to the trapped panic path): a call that never
// happens, as with the panic trap. Of the `fmt::Write` implementations only `write_fmt` goes
// (it is `core::fmt::write`); `write_str` and `write_char`, a `String` appending, stay. (The
// package's code holds no `dyn fmt::Write` through which a live path could reach `write_fmt`
// indirectly.)
//
// Usage: node scripts/wasm-fmt-trap.mjs IN.wasm OUT.wasm
// IN.wasm must be optimised (wasm-opt -Oz after the panic trap, so the dead callers are gone)
// and carry its name section.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import binaryen from "binaryen";
import { trapFunctions } from "./wasm-binary.mjs";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: wasm-fmt-trap.mjs IN.wasm OUT.wasm");
  process.exit(2);
}

const c = String.raw`(\[[0-9a-f]+\])?`; // std's crate disambiguator in the name section
const FORMATTING = [
  new RegExp(String.raw`^core${c}::fmt::write$`),
  new RegExp(String.raw`^<core${c}::fmt::Formatter>::`),
  new RegExp(String.raw`^<.+ as core${c}::fmt::(Debug|Display|LowerHex|UpperHex|Octal|Binary|Pointer)>::fmt`),
  // Writing formatted text (`write!`), which is `core::fmt::write` again.
  new RegExp(String.raw`^<.+ as core${c}::fmt::Write>::write_fmt`),
  new RegExp(String.raw`^<std${c}::panicking::(panic_handler::\w+Payload|begin_panic::Payload<.*>) as `),
];
const formatting = (name) => FORMATTING.some((pattern) => pattern.test(name));

const module = binaryen.readBinary(readFileSync(input));
const F = binaryen.Features;
module.setFeatures(
  F.BulkMemory | F.BulkMemoryOpt | F.ReferenceTypes | F.CallIndirectOverlong |
    F.NontrappingFPToInt | F.SignExt | F.MutableGlobals | F.Multivalue | F.ExceptionHandling,
);

const bodies = [];
for (let i = 0; i < module.getNumFunctions(); i++) {
  const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
  if (!info.module) bodies.push(info.name); // imports have no body
}
const set = new Set(bodies.filter(formatting));
if (![...set].some((name) => FORMATTING[0].test(name))) {
  // Nothing to do is not an error: a module without formatting left is what this is for.
  console.error("wasm-fmt-trap: core::fmt::write is already gone");
}

// The direct calls, from binaryen's own call graph (every `call` of every body).
const wasmOpt = fileURLToPath(new URL("../node_modules/.bin/wasm-opt", import.meta.url));
const graph = execFileSync(wasmOpt, [
  "--enable-bulk-memory", "--enable-reference-types", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-multivalue", "--enable-exception-handling",
  input, "--print-call-graph", "-o", "/dev/null",
], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
const calls = new Map();
for (const [, from, to] of graph.matchAll(/^\s*"(.+?)" -> "(.+?)"; \/\/ call$/gm)) {
  if (!calls.has(from)) calls.set(from, new Set());
  calls.get(from).add(to);
}

const roots = [];
for (let i = 0; i < module.getNumExports(); i++) {
  const info = binaryen.getExportInfo(module.getExportByIndex(i));
  if (info.kind === binaryen.ExternalFunction) roots.push(info.value);
}
const start = module.getStart();
if (start) roots.push(binaryen.getFunctionInfo(start).name);
for (let i = 0; i < module.getNumElementSegments(); i++) {
  for (const name of binaryen.getElementSegmentInfo(module.getElementSegmentByIndex(i)).data) {
    if (!set.has(name)) roots.push(name);
  }
}
const reached = new Set();
const path = new Map();
const stack = [...roots];
while (stack.length > 0) {
  const name = stack.pop();
  if (reached.has(name)) continue;
  reached.add(name);
  for (const next of calls.get(name) ?? []) {
    if (!path.has(next)) path.set(next, name);
    stack.push(next);
  }
}
const live = [...set].filter((name) => reached.has(name));
if (live.length > 0) {
  const chain = (name) => {
    const links = [name];
    while (path.has(links[0]) && links.length < 12) links.unshift(path.get(links[0]));
    return links.join("\n    -> ");
  };
  console.error(`wasm-fmt-trap: formatting is reachable without the function table:\n  ${chain(live[0])}`);
  process.exit(1);
}

writeFileSync(output, trapFunctions(module, set, "wasm-fmt-trap"));
