// The build's wasm post-processing refuses what it cannot prove safe (benches/README.md,
// "Package size"): scripts/wasm-fmt-trap.mjs on small modules built here with binaryen.js,
// where formatting is reachable or the premises do not hold; scripts/wasm-data-trap.mjs on
// a small linked module with its map, and with the real linked modules and maps in target/
// when a package build left them (skipped otherwise: no crate build is needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";

const root = fileURLToPath(new URL("../..", import.meta.url));
const script = (name) => join(root, "scripts", name);

function scratch(t) {
  const dir = mkdtempSync(join(tmpdir(), "oidc-edge-wasm-scripts-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function run(name, ...args) {
  const result = spawnSync(process.execPath, [script(name), ...args], { encoding: "utf8" });
  return { status: result.status, stderr: result.stderr };
}

/** Emits `module` with its name section (the scripts find functions by name). */
function emit(module, path) {
  assert.ok(module.validate(), "the fixture validates");
  binaryen.setDebugInfo(true);
  writeFileSync(path, module.emitBinary());
  binaryen.setDebugInfo(false);
}

const FMT_WRITE = "core::fmt::write";
const DISPLAY = "<u32 as core::fmt::Display>::fmt";
const none = binaryen.none;
const i32 = binaryen.i32;

/**
 * A module shaped like the package's after the panic trap: `core::fmt::write`, a `Display`
 * implementation that calls it, a helper chain, and an export `run`. `build(m)` returns the
 * body of `run`; `table` names the functions the function table holds.
 */
function formattingModule(build, { table = [DISPLAY], withWrite = true } = {}) {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.ReferenceTypes | binaryen.Features.BulkMemory);
  const fnType = binaryen.createType([]);
  if (withWrite) m.addFunction(FMT_WRITE, fnType, none, [], m.nop());
  m.addFunction(DISPLAY, fnType, none, [], withWrite ? m.call(FMT_WRITE, [], none) : m.nop());
  m.addFunction("leaf", fnType, i32, [], m.i32.const(1));
  m.addFunction("helper", fnType, i32, [], m.call("leaf", [], i32));
  m.addFunction("run", fnType, none, [], build(m));
  m.addFunctionExport("run", "run");
  m.addTable("table", table.length, table.length);
  m.addActiveElementSegment("table", "elems", table, m.i32.const(0));
  return m;
}

// wasm-short-imports.mjs renames what a module imports from its own glue, in both files: the
// renamed module must still instantiate with the objects the renamed glue builds, and a glue
// that does not spell each name once as a key fails the build.
function importingModule(path) {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP);
  m.addFunctionImport("own", "./tiny_bg.js", "__wbg_answer_0123456789abcdef", binaryen.none, i32);
  m.addFunctionImport("snippet", "./snippets/s.js", "helper", binaryen.none, i32);
  m.addFunction("run", binaryen.none, i32, [], m.i32.add(m.call("own", [], i32), m.call("snippet", [], i32)));
  m.addFunctionExport("run", "run");
  emit(m, path);
}
const GLUE = 'const D={helper(){return 2}};function T(){return{__proto__:null,"./tiny_bg.js":{__proto__:null,__wbg_answer_0123456789abcdef:function(){return 40}},"./snippets/s.js":D}}';

test("wasm-short-imports: the glue's own imports get short names in the module and the glue, which still instantiate together", (t) => {
  const dir = scratch(t);
  const wasm = join(dir, "tiny_bg.wasm");
  const glue = join(dir, "tiny.js");
  importingModule(wasm);
  writeFileSync(glue, GLUE);
  const { status, stderr } = run("wasm-short-imports.mjs", wasm, glue);
  assert.equal(status, 0, stderr);
  const renamed = readFileSync(glue, "utf8");
  assert.ok(!renamed.includes("__wbg_answer"), renamed);
  const imports = new Function(`${renamed}; return T();`)();
  assert.deepEqual(Object.keys(imports["./tiny_bg.js"]), ["a"]);
  assert.deepEqual(Object.keys(imports["./snippets/s.js"]), ["helper"], "a snippet's import keeps its name");
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)), imports);
  assert.equal(instance.exports.run(), 42);
});

test("wasm-short-imports: fails when a name is not a key of the glue exactly once", (t) => {
  const dir = scratch(t);
  const wasm = join(dir, "tiny_bg.wasm");
  const glue = join(dir, "tiny.js");
  for (const text of [GLUE.replace("__wbg_answer_0123456789abcdef:", '"__wbg_answer_0123456789abcdef":'), GLUE.replace("},\"./snippets", ",__wbg_answer_0123456789abcdef:function(){return 1}},\"./snippets")]) {
    importingModule(wasm);
    writeFileSync(glue, text);
    const { status, stderr } = run("wasm-short-imports.mjs", wasm, glue);
    assert.equal(status, 1, text);
    assert.match(stderr, /__wbg_answer_0123456789abcdef is (not|2 times) a key/);
    assert.equal(readFileSync(glue, "utf8"), text, "nothing written");
  }
});

// The panic trap's patterns must each name a function (a toolchain that renames one fails the
// build), except one marked optional with `?`: a function only some modules link in (the
// core slices no string, the resource-server module does).
test("wasm-panic-trap: a pattern that matches nothing fails the build unless it is marked optional", (t) => {
  const dir = scratch(t);
  const input = join(dir, "in.wasm");
  const output = join(dir, "out.wasm");
  emit(formattingModule((m) => m.drop(m.call("helper", [], i32))), input);
  const missing = run("wasm-panic-trap.mjs", input, output, "^leaf$", "^no_such_function$");
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no function matches \^no_such_function\$/);
  const optional = run("wasm-panic-trap.mjs", input, output, "^leaf$", "?^no_such_function$");
  assert.equal(optional.status, 0, optional.stderr);
  const out = binaryen.readBinary(readFileSync(output));
  assert.equal(binaryen.getExpressionId(binaryen.getFunctionInfo(out.getFunction("leaf")).body), binaryen.UnreachableId, "the named function is a trap");
  assert.notEqual(binaryen.getExpressionId(binaryen.getFunctionInfo(out.getFunction("helper")).body), binaryen.UnreachableId, "the others are not");
});

test("wasm-fmt-trap: traps formatting only the function table holds (the build's case)", (t) => {
  const dir = scratch(t);
  emit(formattingModule((m) => m.drop(m.call("helper", [], i32))), join(dir, "in.wasm"));
  const { status, stderr } = run("wasm-fmt-trap.mjs", join(dir, "in.wasm"), join(dir, "out.wasm"));
  assert.equal(status, 0, stderr);
  const out = binaryen.readBinary(readFileSync(join(dir, "out.wasm")));
  const body = binaryen.getFunctionInfo(out.getFunction(DISPLAY)).body;
  assert.equal(binaryen.getExpressionId(body), binaryen.UnreachableId);
  assert.notEqual(binaryen.getExpressionId(binaryen.getFunctionInfo(out.getFunction("helper")).body), binaryen.UnreachableId);
});

test("wasm-fmt-trap: fails when an export calls formatting directly", (t) => {
  const dir = scratch(t);
  emit(formattingModule((m) => m.block(null, [m.drop(m.call("helper", [], i32)), m.call(DISPLAY, [], none)])), join(dir, "in.wasm"));
  const { status, stderr } = run("wasm-fmt-trap.mjs", join(dir, "in.wasm"), join(dir, "out.wasm"));
  assert.equal(status, 1);
  assert.match(stderr, /formatting is reachable/);
  assert.equal(existsSync(join(dir, "out.wasm")), false);
});

test("wasm-fmt-trap: fails when live code takes a ref.func of formatting", (t) => {
  const dir = scratch(t);
  emit(formattingModule((m) => m.block(null, [m.drop(m.call("helper", [], i32)), m.drop(m.ref.func(DISPLAY, binaryen._BinaryenFunctionGetType(m.getFunction(DISPLAY))))])), join(dir, "in.wasm"));
  const { status, stderr } = run("wasm-fmt-trap.mjs", join(dir, "in.wasm"), join(dir, "out.wasm"));
  assert.equal(status, 1);
  assert.match(stderr, /formatting is reachable/);
});

test("wasm-fmt-trap: fails on formatting functions without core::fmt::write", (t) => {
  const dir = scratch(t);
  emit(formattingModule((m) => m.drop(m.call("helper", [], i32)), { withWrite: false }), join(dir, "in.wasm"));
  const { status, stderr } = run("wasm-fmt-trap.mjs", join(dir, "in.wasm"), join(dir, "out.wasm"));
  assert.equal(status, 1);
  assert.match(stderr, /no core::fmt::write/);
});

test("wasm-fmt-trap: fails on a call graph too sparse to be one", (t) => {
  const dir = scratch(t);
  const m = formattingModule((b) => b.drop(b.call("helper", [], i32)));
  for (let i = 0; i < 40; i++) m.addFunction(`callee_free_${i}`, binaryen.createType([]), i32, [], m.i32.const(i));
  emit(m, join(dir, "in.wasm"));
  const { status, stderr } = run("wasm-fmt-trap.mjs", join(dir, "in.wasm"), join(dir, "out.wasm"));
  assert.equal(status, 1);
  assert.match(stderr, /no call graph/);
});

test("wasm-fmt-trap: fails on a dyn Display's to_string reached from an export", (t) => {
  const dir = scratch(t);
  // `to_string` on a `dyn Display` calls the implementation through the table: no direct call
  // into the set, so only its name tells.
  const toString = "<dyn core::fmt::Display as alloc::string::ToString>::to_string";
  const m = formattingModule((b) => b.block(null, [b.drop(b.call("helper", [], i32)), b.call(toString, [], none)]));
  m.addFunction(toString, binaryen.createType([]), none, [], m.drop(m.call("helper", [], i32)));
  emit(m, join(dir, "in.wasm"));
  const { status, stderr } = run("wasm-fmt-trap.mjs", join(dir, "in.wasm"), join(dir, "out.wasm"));
  assert.equal(status, 1);
  assert.match(stderr, /ToString>::to_string/);
});

// A linked module with its data at 0x100000 (as wasm-ld places it): objects A, B, C and D,
// 16 bytes each, 128 bytes apart (beyond the 64 bytes below an object the script counts as
// its own), then a `.data` segment. `kept` reads A and D (D through both halves of an
// i64.const, as a (pointer, length) pair); `trapped` reads B and D; nothing visible reads C.
const BASE = 0x100000;
const SPACING = 128;
const OBJECTS = ["A", "B", "C", "D"].map((name, i) => ({ name, address: BASE + SPACING * i, size: 16 }));
const RODATA = 4 * SPACING;

function dataModule({ withTrapped }) {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.BulkMemory);
  const rodata = new Uint8Array(RODATA).map((_, i) => (i % SPACING < 16 ? 0x41 + Math.floor(i / SPACING) : 0x2e)); // "AAAA…." …
  m.setMemory(17, 17, "memory", [
    { offset: m.i32.const(BASE), data: rodata, passive: false },
    { offset: m.i32.const(BASE + RODATA), data: new Uint8Array(8).fill(9), passive: false },
  ]);
  const fnType = binaryen.createType([]);
  m.addFunction("kept", fnType, i32, [], m.i32.add(
    m.i32.load(0, 1, m.i32.const(OBJECTS[0].address)),
    m.i32.wrap(m.i64.load(0, 1, m.i32.wrap(m.i64.const(BigInt(OBJECTS[3].address) | (16n << 32n))))),
  ));
  m.addFunctionExport("kept", "kept");
  if (withTrapped) {
    m.addFunction("trapped", fnType, i32, [], m.i32.add(
      m.i32.load(0, 1, m.i32.const(OBJECTS[1].address)),
      m.i32.load(0, 1, m.i32.const(OBJECTS[3].address)),
    ));
    m.addFunctionExport("trapped", "trapped");
  }
  return m;
}

/** The linker map's rows for `linked` (wasm-ld's --Map layout, the columns the script reads). */
function mapFor(linkedLength, { rodataSize = RODATA } = {}) {
  const hex = (n) => n.toString(16);
  const row = (addr, off, size, text) => `${addr.padStart(8)} ${hex(off).padStart(8)} ${hex(size).padStart(8)} ${text}`;
  const lines = ["    Addr      Off     Size Out     In      Symbol", row("-", 8, linkedLength - 8, "CODE")];
  lines.push(row(hex(BASE), 0x20, rodataSize, ".rodata"));
  for (const object of OBJECTS) {
    lines.push(row(hex(object.address), 0x20, object.size, `        /build/deps/x.o:(.rodata.${object.name})`));
    lines.push(row(hex(object.address), 0x20, object.size, `                ${object.name}`));
  }
  lines.push(row(hex(BASE + RODATA), 0x220, 8, ".data"));
  return `${lines.join("\n")}\n`;
}

function dataFixture(t, mapOptions) {
  const dir = scratch(t);
  const linked = join(dir, "linked.wasm");
  const final = join(dir, "final.wasm");
  emit(dataModule({ withTrapped: true }), linked);
  emit(dataModule({ withTrapped: false }), final);
  writeFileSync(join(dir, "link.map"), mapFor(readFileSync(linked).length, mapOptions));
  return { dir, linked, final, map: join(dir, "link.map") };
}

/** The bytes of `module`'s data at `address` (found from object A's, which stays). */
function bytesAt(path, address, size) {
  const bytes = readFileSync(path);
  const at = bytes.indexOf(Buffer.from("A".repeat(16))) + address - BASE;
  return bytes.subarray(at, at + size);
}

test("wasm-data-trap: zeroes what only the trapped code referenced, nothing the test cannot see", (t) => {
  const { final, linked, map } = dataFixture(t);
  const { status, stderr } = run("wasm-data-trap.mjs", final, linked, map);
  assert.equal(status, 0, stderr);
  assert.match(stderr, /16 bytes of 1 objects/);
  assert.deepEqual([...bytesAt(final, OBJECTS[1].address, 16)], Array(16).fill(0), "B, read only by the trapped code");
  assert.equal(bytesAt(final, OBJECTS[0].address, 16).toString(), "A".repeat(16), "A, read by live code");
  assert.equal(bytesAt(final, OBJECTS[2].address, 16).toString(), "C".repeat(16), "C, no reference seen in the linked module");
  assert.equal(bytesAt(final, OBJECTS[3].address, 16).toString(), "D".repeat(16), "D, read through an i64.const");
});

test("wasm-data-trap: fails when the map's .rodata is not the linked module's data segment", (t) => {
  const { final, linked, map } = dataFixture(t, { rodataSize: 500 });
  const before = readFileSync(final);
  const { status, stderr } = run("wasm-data-trap.mjs", final, linked, map);
  assert.equal(status, 1);
  assert.match(stderr, /\.rodata \(500 bytes at 0x100000\) is no data segment/);
  assert.deepEqual(readFileSync(final), before, "the module is left as it was");
});

test("wasm-data-trap: fails when the map describes another file", (t) => {
  const { dir, final, linked } = dataFixture(t);
  writeFileSync(join(dir, "other.map"), mapFor(readFileSync(linked).length + 4));
  const { status, stderr } = run("wasm-data-trap.mjs", final, linked, join(dir, "other.map"));
  assert.equal(status, 1);
  assert.match(stderr, /describes a file of/);
});

const real = (name) => [`target/${name}.linked.wasm`, `target/${name}.map`].map((path) => join(root, path));
const haveReal = ["oidc_edge", "oidc_edge_server"].every((name) => real(name).every((path) => existsSync(path)));

test("wasm-data-trap: fails with the other module's map (the package build's linked modules)", { skip: !haveReal && "no linked modules in target/ (bash scripts/build-pkg.sh leaves them)" }, (t) => {
  const dir = scratch(t);
  for (const [module, mapOf] of [["oidc_edge", "oidc_edge_server"], ["oidc_edge_server", "oidc_edge"]]) {
    const copy = join(dir, `${module}.wasm`);
    writeFileSync(copy, readFileSync(join(root, "pkg", `${module}_bg.wasm`)));
    const { status, stderr } = run("wasm-data-trap.mjs", copy, real(module)[0], real(mapOf)[1]);
    assert.equal(status, 1, `${module} with ${mapOf}'s map`);
    assert.match(stderr, /describes a file of|is no data segment|is not where the map says/);
  }
});
