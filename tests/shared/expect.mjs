// A dependency-free assertion kit for test cases that run both in Node and in a browser
// page (where node:assert does not exist). Each failure throws an Error saying why.

export function equal(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export function ok(condition, what) {
  if (!condition) throw new Error(`${what}: expected true`);
}

/** Runs `fn` (sync or async) and checks that it throws an Error whose `code` is `code`. */
export async function throwsCode(fn, code, what) {
  let thrown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) throw new Error(`${what}: expected an error with code ${code}, nothing was thrown`);
  if (!(thrown instanceof Error)) throw new Error(`${what}: thrown value is not an Error: ${String(thrown)}`);
  equal(thrown.code, code, `${what}: error.code (message: ${thrown.message})`);
}
