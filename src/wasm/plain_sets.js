// Plain JWKS / JWK objects given to verifyJwt, validateIdToken and validateAccessToken
// (src/wasm/plain_sets.rs): an object seen a second time is remembered with a snapshot of
// its members (checked against the JSON text the set was parsed from), so that later calls with the same, unchanged object find its parsed set by
// number instead of paying a JSON.stringify and a copy into wasm. Anything the snapshot
// cannot vouch for (an accessor, toJSON, a prototype other than Object's or Array's, a
// value JSON.stringify drops or rewrites) is never remembered, and any change since the
// snapshot is a miss: the object is then read afresh, as every call did before.
// Per wasm module (0 the core, 1 the resource-server module: each numbers its own sets) and
// object: null once seen, false when it cannot be vouched for, else { snapshot, number }.
const seen = [new WeakMap(), new WeakMap()];

/**
 * The number the object was remembered under, if it is unchanged since; -1 when it should
 * be remembered now (seen before, or changed since: rememberPlainSet follows); undefined
 * otherwise (first sighting: a set built for one call is not worth a snapshot).
 */
export function plainSetNumber(keys, module) {
  const entry = seen[module].get(keys);
  if (entry === undefined) {
    seen[module].set(keys, null);
    return undefined;
  }
  if (entry === null) return -1;
  if (entry === false) return undefined;
  if (same(keys, entry.snapshot, 0)) return entry.number;
  seen[module].set(keys, null);
  return undefined;
}

/**
 * Remembers the object under `number`, the set parsed from `text` (its JSON.stringify just
 * before): only if a snapshot can vouch for every member and the object still reads as
 * that text. Returns whether it did.
 */
export function rememberPlainSet(keys, text, number, module) {
  const snapshot = take(keys, 0);
  const remembered = snapshot !== undefined && JSON.stringify(keys) === text;
  seen[module].set(keys, remembered ? { snapshot, number } : false);
  return remembered;
}

// JWKs nest two levels (set, keys array, key, key_ops array); deeper is not a key set.
const MAX_DEPTH = 4;

function plainObject(value) {
  const proto = Object.getPrototypeOf(value);
  return Array.isArray(value)
    ? proto === Array.prototype
    : (proto === Object.prototype || proto === null) && !("toJSON" in value);
}

/** What JSON.stringify reads from `value`, or undefined when it cannot be vouched for. */
function take(value, depth) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "object" || depth > MAX_DEPTH || !plainObject(value)) return undefined;
  const names = Array.isArray(value) ? null : Object.keys(value);
  const length = names ? names.length : value.length;
  const values = [];
  for (let i = 0; i < length; i++) {
    const name = names ? names[i] : i;
    const descriptor = Object.getOwnPropertyDescriptor(value, name);
    if (!descriptor || !("value" in descriptor)) return undefined; // an accessor or a hole
    const member = take(descriptor.value, depth + 1);
    if (member === undefined) return undefined;
    values.push(member);
  }
  return { names, values };
}

/** Whether `value` still holds what `snapshot` recorded. */
function same(value, snapshot, depth) {
  if (typeof snapshot !== "object" || snapshot === null) return value === snapshot;
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH || !plainObject(value)) return false;
  const { names, values } = snapshot;
  if (names === null) {
    if (!Array.isArray(value) || value.length !== values.length) return false;
    for (let i = 0; i < values.length; i++) if (!same(value[i], values[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(value)) return false;
  const current = Object.keys(value);
  if (current.length !== names.length) return false;
  for (let i = 0; i < names.length; i++) {
    if (current[i] !== names[i] || !same(value[names[i]], values[i], depth + 1)) return false;
  }
  return true;
}
