// Turns the standard library's panic handling into a bare trap: the body of every function
// whose name matches one of the given patterns becomes `unreachable`, and the optimiser run
// after this drops what only those functions reached (the panic hook, message formatting,
// `core::fmt`). Then the source paths of panic locations in the data (`/rustc/…/library/…`,
// the cargo registry's, `src/….rs`), which only the panic message read, are blanked to
// zeros: 0.4 KB gzipped, and no path of the build machine in the shipped module.
//
// Why this is safe: the package is built with `panic = "abort"` for wasm32-unknown-unknown,
// where a panic formats its message for a standard error that discards it, runs the default
// hook (the package never sets another) and then traps. The trap is the only effect anyone
// can observe, and it stays. What goes is code for a message nobody sees: 2 KB gzipped of
// the core module on the stable toolchain. (Nightly's `-C panic=immediate-abort` removes
// 8.8 KB: it also drops the formatting arguments every panicking call site builds, whose
// `Debug` and `Display` functions stay here because the function table holds them;
// benches/README.md, "Package size".)
//
// Usage: node scripts/wasm-panic-trap.mjs IN.wasm OUT.wasm REGEX...
// The module must still carry its name section. Each pattern must match at least one
// function: a toolchain whose standard library names them otherwise fails the build here
// rather than ship the formatting code unnoticed. A pattern that starts with `?` names a
// function only some modules have (one that no code of the module calls is not linked in);
// a module that has it without the pattern trapping it fails later, in wasm-fmt-trap.mjs,
// since that function formats its message.
import { writeFileSync } from "node:fs";

import binaryen from "binaryen";
import { readModule, readU32, trapFunctions } from "./wasm-binary.mjs";

const [input, output, ...patterns] = process.argv.slice(2);
if (!input || !output || patterns.length === 0) {
  console.error("usage: wasm-panic-trap.mjs IN.wasm OUT.wasm REGEX...");
  process.exit(2);
}

const module = readModule(input);
const names = [];
for (let i = 0; i < module.getNumFunctions(); i++) {
  const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
  if (!info.module) names.push(info.name); // imports have a module name; they have no body
}
const trapped = [];
for (const pattern of patterns) {
  const optional = pattern.startsWith("?");
  const regex = new RegExp(optional ? pattern.slice(1) : pattern);
  const matching = names.filter((name) => regex.test(name));
  if (matching.length === 0 && !optional) {
    console.error(`wasm-panic-trap: no function matches ${pattern}`);
    process.exit(1);
  }
  trapped.push(...matching);
}
writeFileSync(output, blankSourcePaths(trapFunctions(module, trapped, "wasm-panic-trap")));

/**
 * Overwrites, in the data section only and byte for byte (no offset moves), every source
 * path a panic location carries. `#[track_caller]` locations are the only data holding
 * them, and the panic path that formatted them is a trap now.
 */
function blankSourcePaths(bytes) {
  // A prefix (the toolchain's library, the cargo registry, or nothing where the path is
  // relative), then directories, then `src/` or `library/` and a file ending in `.rs`.
  const path =
    /(?:\/rustc\/[0-9a-f]{40}\/library\/|\/[\w.\/-]*?\/registry\/src\/[^/\x00]+\/|(?<![\w/.-]))(?:[\w.-]+\/)*(?:src|library)\/[\w/.-]*\.rs/g;
  let pos = 8; // magic and version
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, start] = readU32(bytes, pos + 1);
    if (id === 11) {
      const text = bytes.toString("latin1", start, start + size);
      for (const match of text.matchAll(path)) {
        bytes.fill(0, start + match.index, start + match.index + match[0].length);
      }
    }
    pos = start + size;
  }
  return bytes;
}
