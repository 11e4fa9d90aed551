// What the build's wasm post-processing scripts share: reading the binary format's LEB128
// numbers, and turning functions into traps with binaryen.

import binaryen from "binaryen";

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
