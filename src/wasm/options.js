// Strict option reading for the package's JavaScript, as the wasm core reads its own
// (src/wasm/options.rs): an unknown name or a wrong type is `invalid_option`, so a misspelt
// option cannot switch a check off.
import { OidcEdgeError } from "./error.js";

export function fail(code, message, details) {
  throw new OidcEdgeError(code, message, details);
}

export const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

/** An object literal or `Object.create(null)`: nothing to inherit an option from. */
export function isPlainObject(value) {
  if (!isObject(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

/** `given` (an object literal or `Object.create(null)`) checked against `types` (name → "string", "number", "boolean", "object",
 *  "function", "Uint8Array", "string[]"): unknown names and wrong types are `invalid_option`.
 *  A number is finite and at least 0 (every number option is a duration or a time). Returns
 *  what was checked, read once: a copy of the own options, never a value from a prototype or a
 *  getter's second answer; a getter or Proxy that throws is `invalid_option` too. */
export function readOptions(given, types, what) {
  const read = Object.create(null);
  if (given === undefined) return read;
  let entries;
  try {
    // Only own options are read: one inherited would be skipped silently, so an object that
    // can inherit any (not a literal, not Object.create(null)) is refused. (A revoked Proxy
    // throws from Array.isArray already.)
    if (isPlainObject(given)) entries = Object.entries(given);
  } catch (cause) {
    fail("invalid_option", `${what}: options could not be read`, { cause });
  }
  if (!entries) fail("invalid_option", `${what}: options must be a plain object`);
  for (const [name, value] of entries) {
    const type = Object.hasOwn(types, name) ? types[name] : undefined;
    if (type === undefined) fail("invalid_option", `${what}: unknown option ${name}`);
    const ok =
      value === undefined ||
      (type === "Uint8Array" ? value instanceof Uint8Array
        : type === "string[]" ? Array.isArray(value) && value.every((item) => typeof item === "string")
        : type === "object" ? isObject(value)
        : typeof value === type && (type !== "number" || (Number.isFinite(value) && value >= 0)));
    if (!ok) fail("invalid_option", `${what}: ${name} must be ${type === "number" ? "a number of seconds, at least 0" : `a ${type}`}`);
    read[name] = value;
  }
  return read;
}
