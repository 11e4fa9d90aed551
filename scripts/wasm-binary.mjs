// What the build's wasm post-processing scripts share: reading the binary format's LEB128
// numbers, and turning functions into traps with binaryen.

import { readFileSync } from "node:fs";

import binaryen from "binaryen";

/**
 * The module at `path`, read by binaryen with the features rustc's wasm32 target emits by
 * default, as scripts/build-pkg.sh tells wasm-opt: with more, binaryen would write types
 * today's engines refuse.
 */
export function readModule(path) {
  const module = binaryen.readBinary(readFileSync(path));
  const F = binaryen.Features;
  module.setFeatures(
    F.BulkMemory | F.BulkMemoryOpt | F.ReferenceTypes | F.CallIndirectOverlong |
      F.NontrappingFPToInt | F.SignExt | F.MutableGlobals | F.Multivalue | F.ExceptionHandling,
  );
  return module;
}

/** Reads an unsigned LEB128 at `pos` of `bytes`: [value, next position]. */
export function readU32(bytes, pos) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, pos];
}

/**
 * Replaces the body of each function of `module` named in `names` with `unreachable`, then
 * checks the module still validates (`tool` names the script in the error) and returns its
 * binary with the name section kept (the final wasm-opt run strips it).
 */
export function trapFunctions(module, names, tool) {
  for (const name of names) {
    const info = binaryen.getFunctionInfo(module.getFunction(name));
    module.removeFunction(name);
    module.addFunction(name, info.params, info.results, [], module.unreachable());
  }
  if (!module.validate()) {
    console.error(`${tool}: the module no longer validates`);
    process.exit(1);
  }
  binaryen.setDebugInfo(true);
  return Buffer.from(module.emitBinary());
}

// The expressions a body may hold, with the fields that hold its operands (binaryen.js's
// getExpressionInfo names them). Only the features rustc's wasm32 target emits: a body with
// any other kind of expression fails `references` below rather than hide a call in it.
const OPERANDS = new Map([
  [binaryen.BlockId, ["children"]],
  [binaryen.IfId, ["condition", "ifTrue", "ifFalse"]],
  [binaryen.LoopId, ["body"]],
  [binaryen.BreakId, ["condition", "value"]],
  [binaryen.SwitchId, ["condition", "value"]],
  [binaryen.CallId, ["operands"]],
  [binaryen.CallIndirectId, ["target", "operands"]],
  [binaryen.LocalGetId, []],
  [binaryen.LocalSetId, ["value"]],
  [binaryen.GlobalGetId, []],
  [binaryen.GlobalSetId, ["value"]],
  [binaryen.LoadId, ["ptr"]],
  [binaryen.StoreId, ["ptr", "value"]],
  [binaryen.ConstId, []],
  [binaryen.UnaryId, ["value"]],
  [binaryen.BinaryId, ["left", "right"]],
  [binaryen.SelectId, ["ifTrue", "ifFalse", "condition"]],
  [binaryen.DropId, ["value"]],
  [binaryen.ReturnId, ["value"]],
  [binaryen.MemorySizeId, []],
  [binaryen.MemoryGrowId, ["delta"]],
  [binaryen.NopId, []],
  [binaryen.UnreachableId, []],
  [binaryen.MemoryInitId, ["dest", "offset", "size"]],
  [binaryen.DataDropId, []],
  [binaryen.MemoryCopyId, ["dest", "source", "size"]],
  [binaryen.MemoryFillId, ["dest", "value", "size"]],
  [binaryen.RefNullId, []],
  [binaryen.RefIsNullId, ["value"]],
  [binaryen.RefFuncId, []],
  [binaryen.RefEqId, ["left", "right"]],
  [binaryen.TableGetId, ["index"]],
  [binaryen.TableSetId, ["index", "value"]],
  [binaryen.TableSizeId, []],
  [binaryen.TableGrowId, ["value", "delta"]],
  [binaryen.TryId, ["body", "catchBodies"]],
  [binaryen.ThrowId, ["operands"]],
  [binaryen.RethrowId, []],
  [binaryen.TupleMakeId, ["operands"]],
  [binaryen.TupleExtractId, ["tuple"]],
  [binaryen.PopId, []],
]);

/**
 * What an expression tree names: the functions it calls directly (`call`, `return_call`) and
 * those whose reference it takes (`ref.func`), each added to the given set. Throws on an
 * expression this walk does not know, so that a new kind cannot hide a call.
 */
export function references(expression, calls, refs) {
  const stack = [expression];
  while (stack.length > 0) {
    const at = stack.pop();
    if (!at) continue; // an absent operand (a `br` without value, an `if` without `else`)
    const id = binaryen.getExpressionId(at);
    const fields = OPERANDS.get(id);
    if (!fields) throw new Error(`an expression of kind ${id} the walk does not know`);
    // (binaryen.js's getExpressionInfo throws on `nop` and `unreachable`: leaves are skipped.)
    if (fields.length === 0 && id !== binaryen.RefFuncId) continue;
    const info = binaryen.getExpressionInfo(at);
    if (info.id === binaryen.CallId) calls.add(info.target);
    if (info.id === binaryen.RefFuncId) refs.add(info.func);
    for (const field of fields) {
      const value = info[field];
      if (Array.isArray(value)) stack.push(...value);
      else stack.push(value);
    }
  }
}
