// Strict option reading for the package's JavaScript, as the wasm core reads its own
// (src/wasm/options.rs): an unknown name or a wrong type is `invalid_option`, so a misspelt
// option cannot switch a check off.
import { OidcEdgeError } from "./error.js";

export function fail(code, message, details) {
  throw new OidcEdgeError(code, message, details);
}

export const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

/** `given` (an object, or undefined or null for none) checked against `types` (name →
 *  "string", "number", "boolean", "object", "function", "Uint8Array", "string[]", or "any"
 *  for a value the caller checks): an unknown name (an own key not in `types`) or a value of
 *  the wrong type is `invalid_option`. A number is finite and at least 0 (every number option
 *  is a duration or a time). Each name of `types` is read once, by name as JavaScript reads
 *  properties (inherited and non-enumerable ones too, so none is skipped), and the checked
 *  values are returned in a fresh object; an object whose keys or values cannot be read (a
 *  revoked Proxy, a getter that throws) is `invalid_option` too. */
export function readOptions(given, types, what) {
  const read = Object.create(null);
  if (given === undefined || given === null) return read;
  try {
    // A revoked Proxy throws from Array.isArray already.
    if (!isObject(given)) fail("invalid_option", `${what}: options must be an object`);
    for (const name of Object.keys(given)) {
      if (!Object.hasOwn(types, name)) fail("invalid_option", `${what}: unknown option ${name}`);
    }
    for (const [name, type] of Object.entries(types)) {
      const value = given[name];
      if (value === undefined) continue;
      const ok =
        type === "any" ||
        (type === "Uint8Array" ? value instanceof Uint8Array
          : type === "string[]" ? Array.isArray(value) && value.every((item) => typeof item === "string")
          : type === "object" ? isObject(value)
          : typeof value === type && (type !== "number" || (Number.isFinite(value) && value >= 0)));
      if (!ok) fail("invalid_option", `${what}: ${name} must be ${type === "number" ? "a number of seconds, at least 0" : `a ${type}`}`);
      read[name] = value;
    }
  } catch (cause) {
    if (cause instanceof OidcEdgeError) throw cause;
    fail("invalid_option", `${what}: options could not be read`, { cause });
  }
  return read;
}
