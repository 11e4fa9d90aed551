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
// Why trapping them is safe, and what checks it: a `Debug` or `Display` implementation runs
// only with a `Formatter`, which `core::fmt::write` makes (from `fmt::Arguments`), or
// `ToString::to_string`, which makes one itself and calls the implementation. So this script
// walks every body (binaryen's own reading of it) and follows every direct call from the
// roots: the exports, the start function, every table entry outside that set and every
// function some code or global takes a `ref.func` of; if any function of the set is reached,
// formatting is live somewhere, and the build fails here rather than ship a trap on a
// working path. That covers `write!`, `format!` and `to_string` on a concrete type (each a
// direct call into the set). It does not cover a call through a vtable: `to_string` on a
// `dyn Display` (or `dyn Error`) calls the implementation through the table, which this walk
// does not follow, so a reached `<dyn … as ToString>` instantiation fails the build too; and
// a `dyn Debug`/`dyn Display` handed to code that calls its `fmt` by hand is caught by no
// analysis here. What guards that is tests/node/hostile-exports.test.mjs, which drives every
// export of both modules through its error paths (where messages are made) and fails on any
// `RuntimeError` such a trap would raise. If nothing of the set is reached, a function of the
// set can only be called indirectly from another of the set, or through an index built by
// formatting code that never runs (a panic's arguments, handed to the trapped panic path): a
// call that never happens, as with the panic trap. Of the `fmt::Write` implementations only
// `write_fmt` goes (it is `core::fmt::write`); `write_str` and `write_char`, a `String`
// appending, stay. (The package's code holds no `dyn fmt::Write` through which a live path
// could reach `write_fmt` indirectly.)
//
// It fails, rather than guess, when its premises do not hold: formatting functions without a
// `core::fmt::write` among them (a standard library that names it otherwise), an expression
// the walk does not know, or a call graph too sparse to be one (under a tenth of a call per
// function).
//
// Usage: node scripts/wasm-fmt-trap.mjs IN.wasm OUT.wasm
// IN.wasm must be optimised (wasm-opt -Oz after the panic trap, so the dead callers are gone)
// and carry its name section.
import { writeFileSync } from "node:fs";

import binaryen from "binaryen";
import { readModule, references, trapFunctions } from "./wasm-binary.mjs";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: wasm-fmt-trap.mjs IN.wasm OUT.wasm");
  process.exit(2);
}
const fail = (message) => {
  console.error(`wasm-fmt-trap: ${message}`);
  process.exit(1);
};

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

const module = readModule(input);

// Every body's direct calls and function references, walked with binaryen itself.
const bodies = [];
const calls = new Map();
const referenced = new Set(); // `ref.func` targets anywhere: callable through a reference
let edges = 0;
for (let i = 0; i < module.getNumFunctions(); i++) {
  const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
  if (info.module) continue; // imports have no body
  bodies.push(info.name);
  const callees = new Set();
  try {
    references(info.body, callees, referenced);
  } catch (error) {
    fail(`${info.name}: ${error.message}`);
  }
  calls.set(info.name, callees);
  edges += callees.size;
}
for (let i = 0; i < module.getNumGlobals(); i++) {
  const init = binaryen.getGlobalInfo(module.getGlobalByIndex(i)).init;
  if (init) references(init, new Set(), referenced);
}
// A call graph this sparse means the walk missed the bodies, not that the code calls nothing
// (the package's modules hold several calls per function).
if (edges < bodies.length / 10) fail(`${edges} direct calls among ${bodies.length} functions: the walk saw no call graph`);

const set = new Set(bodies.filter(formatting));
if (set.size === 0) {
  // Nothing to do is not an error: a module without formatting left is what this is for.
  console.error("wasm-fmt-trap: no formatting left to trap");
} else if (![...set].some((name) => FORMATTING[0].test(name))) {
  // Implementations without `core::fmt::write`: the standard library names it otherwise, or
  // something formats without it; either way the premise above no longer holds.
  fail(`${set.size} formatting functions but no core::fmt::write (a renamed standard library?): ${[...set][0]}`);
}

// The roots: the exports, the start function, every table entry outside that set, and every
// function whose reference some code or global takes (`ref.func`), in the set or not.
const roots = [...referenced];
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
// `to_string` through a vtable: the call into the set is indirect, invisible to the walk.
const DYN_TO_STRING = new RegExp(String.raw`^<dyn [^>]* as alloc${c}::string::(Spec)?ToString>::`);
const live = [...set].filter((name) => reached.has(name));
live.push(...[...reached].filter((name) => DYN_TO_STRING.test(name)));
if (live.length > 0) {
  const chain = (name) => {
    const links = [name];
    while (path.has(links[0]) && links.length < 12) links.unshift(path.get(links[0]));
    return links.join("\n    -> ");
  };
  fail(`formatting is reachable without the function table:\n  ${chain(live[0])}`);
}

writeFileSync(output, trapFunctions(module, set, "wasm-fmt-trap"));
