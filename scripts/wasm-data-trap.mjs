// Zeroes the read-only data that nothing in a finished module can read any more: the tables
// and texts only the trapped panic and formatting code used (Unicode printability tables,
// digit tables, type names, error texts of `Display` implementations). The linker kept them
// because that code was live when it linked; scripts/wasm-panic-trap.mjs and
// scripts/wasm-fmt-trap.mjs made it dead, and an optimiser cannot tell which bytes of the
// data section a pointer reaches. Zeroed bytes stay in place (no address moves), and the
// optimiser run after this packs the zero runs away: 2.7 KB gzipped of the core module
// (benches/README.md, "Package size").
//
// How an object is judged dead: the linker's map (build.rs asks for it through
// `OIDC_EDGE_LINK_MAP`) gives every input section of `.rodata`, with its address and size. A
// program reaches such an object only through an address: an `i32.const` in the code (or
// either half of an `i64.const`, where a pointer and a length were stored as one word), the
// constant `offset=` of a load or store (where the optimiser folded the address in), or a
// pointer stored in data (a vtable, a `&str` in a static). Every such number found anywhere
// (all 4-byte words of the data, dead or alive) counts as a reference to an object when it
// falls within its bytes or up to 64 bytes before them (an index that starts below its
// base). One past its end does not count: that address is the next object's start, and
// counting it kept 7 objects of each module that only the trapped code read. That test cannot
// see every way to an address (a base folded further below, an end pointer alone, an
// address computed from two others), so it is applied twice: an object is
// zeroed only when the test FINDS a reference to it in the module as linked
// (LINKED.wasm, before any trap) and finds none in the finished module. That is exactly the
// data whose every visible reference left with the trapped code; an object reached in a way
// the test cannot see in the linked module either is left alone, whatever the finished module
// does with it. (A reference seen in the linked module from trapped code, while live code
// reaches the same object in a way the test does not see, would still be missed: the
// hostile-input sweep of the package's exports, tests/node/hostile-exports.test.mjs, is what
// would meet such a trap.)
//
// The map must belong to the linked module: its `.rodata` and `.data` rows must name the
// addresses and sizes of the linked module's data segments and its rows must end where the
// file does; and before zeroing, an object's bytes in the finished module must equal those the
// linker wrote at that address (wasm-bindgen and wasm-opt move no data). Any mismatch fails
// the build. Merged string sections (`<internal>`) are never touched: their parts have no
// addresses in the map.
//
// Usage: node scripts/wasm-data-trap.mjs MODULE.wasm LINKED.wasm LINK.map
// MODULE.wasm (optimised, after the traps) is rewritten in place.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readU32 } from "./wasm-binary.mjs";

const [modulePath, linkedPath, mapPath] = process.argv.slice(2);
if (!modulePath || !linkedPath || !mapPath) {
  console.error("usage: wasm-data-trap.mjs MODULE.wasm LINKED.wasm LINK.map");
  process.exit(2);
}
const fail = (message) => {
  console.error(`wasm-data-trap: ${message}`);
  process.exit(1);
};

/** The active data segments of a module: [{ address, start (in the file), length }]. */
function segments(bytes) {
  const found = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, start] = readU32(bytes, pos + 1);
    if (id === 11) {
      let [count, at] = readU32(bytes, start);
      for (let i = 0; i < count; i++) {
        let flags;
        [flags, at] = readU32(bytes, at);
        if (flags !== 0 || bytes[at] !== 0x41) fail("a data segment that is not active at an i32.const address");
        let address;
        [address, at] = readU32(bytes, at + 1);
        if (bytes[at] !== 0x0b) fail("a data segment address that is not a plain i32.const");
        let length;
        [length, at] = readU32(bytes, at + 1);
        found.push({ address, start: at, length });
        at += length;
      }
    }
    pos = start + size;
  }
  return found;
}

/** The bytes at [address, address + length) of a module's data, or null where none are. */
function dataAt(bytes, list, address, length) {
  const segment = list.find((s) => s.address <= address && address + length <= s.address + s.length);
  return segment ? bytes.subarray(segment.start + address - segment.address, segment.start + address - segment.address + length) : null;
}

// The map's rows: "Addr Off Size Out In Symbol", numbers in hex. Output sections (`.rodata`,
// `.data`, and the file's sections, whose offsets run to the end of the file) start in the
// fourth column; `.rodata`'s input sections, the objects, further right.
const objects = [];
const outputs = new Map();
let fileEnd = 0;
let inRodata = false;
for (const line of readFileSync(mapPath, "utf8").split("\n")) {
  const row = /^\s*([0-9a-f]+|-)\s+([0-9a-f]+)\s+([0-9a-f]+)\s(.*)$/.exec(line);
  if (!row) continue;
  const [, addr, off, size, rest] = row;
  if (/^\S/.test(rest)) {
    const name = rest.trim();
    inRodata = name === ".rodata";
    if (addr !== "-") outputs.set(name, { address: parseInt(addr, 16), size: parseInt(size, 16) });
    else fileEnd = Math.max(fileEnd, parseInt(off, 16) + parseInt(size, 16));
    continue;
  }
  const input = rest.trim();
  if (inRodata && addr !== "-" && input.includes(":(")) {
    objects.push({ address: parseInt(addr, 16), size: parseInt(size, 16), name: input.slice(input.lastIndexOf(":(") + 2, -1) });
  }
}
if (objects.length === 0) fail(`no .rodata objects in ${mapPath}`);

const bytes = readFileSync(modulePath);
const linked = readFileSync(linkedPath);
const own = segments(bytes);
const original = segments(linked);

// The map must describe the linked module: a map left from another link (another feature set,
// another toolchain) would name addresses where other data lies.
if (fileEnd !== linked.length) fail(`${mapPath} describes a file of ${fileEnd} bytes, ${linkedPath} has ${linked.length}`);
for (const name of [".rodata", ".data"]) {
  const section = outputs.get(name);
  if (!section) fail(`no ${name} in ${mapPath}`);
  if (!original.some((s) => s.address === section.address && s.length === section.size)) {
    fail(`${mapPath}'s ${name} (${section.size} bytes at 0x${section.address.toString(16)}) is no data segment of ${linkedPath}`);
  }
}

const wasmOpt = fileURLToPath(new URL("../node_modules/.bin/wasm-opt", import.meta.url));
/** Every address-like number a module holds, sorted: the test this script applies to both modules. */
function addresses(path, moduleBytes, list) {
  const text = execFileSync(wasmOpt, [
    "--enable-bulk-memory", "--enable-reference-types", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
    "--enable-mutable-globals", "--enable-multivalue", "--enable-exception-handling", path, "--print",
  ], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const found = [];
  for (const [, value] of text.matchAll(/(?:i32\.const |offset=)(-?\d+)/g)) found.push(Number(value) >>> 0);
  for (const [, value] of text.matchAll(/i64\.const (-?\d+)/g)) {
    const word = BigInt.asUintN(64, BigInt(value));
    found.push(Number(word & 0xffffffffn), Number(word >> 32n));
  }
  for (const segment of list) {
    for (let at = segment.start; at + 4 <= segment.start + segment.length; at++) {
      if ((segment.address + at - segment.start) % 4 === 0) found.push(moduleBytes.readUInt32LE(at));
    }
  }
  return found.sort((a, b) => a - b);
}
/** Whether some number of sorted `list` lies in [low, high]. */
function within(list, low, high) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < low) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length && list[lo] <= high;
}
const before = addresses(linkedPath, linked, original);
const after = addresses(modulePath, bytes, own);

const BELOW = 64;
let zeroed = 0;
let unseen = 0;
const names = [];
for (const object of objects) {
  if (object.size === 0) continue;
  // From 64 bytes below its start to its last byte.
  const low = Math.max(0, object.address - BELOW);
  const high = object.address + object.size - 1;
  if (!within(before, low, high)) {
    unseen++; // reached in a way the test does not see, or not at all: left alone
    continue;
  }
  if (within(after, low, high)) continue;
  const now = dataAt(bytes, own, object.address, object.size);
  const then = dataAt(linked, original, object.address, object.size);
  if (!now) continue; // packed away already (all zeros)
  if (!then || !now.equals(then)) fail(`${object.name} at 0x${object.address.toString(16)} is not where the map says`);
  now.fill(0);
  zeroed += object.size;
  names.push(object.name);
}
writeFileSync(modulePath, bytes);
console.error(
  `wasm-data-trap: ${zeroed} bytes of ${names.length} objects only the trapped code referenced zeroed ` +
    `(${unseen} with no reference seen in the linked module left alone)`,
);
if (process.env.WASM_DATA_TRAP_LIST) console.error(names.join("\n"));
