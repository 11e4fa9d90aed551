// Small helpers the Node test suites share (node:test files only: these use node:assert and
// node:crypto, unlike expect.mjs, which also runs in browser pages).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";

/** Awaits `work` (a promise, or a function returning one), which must reject; returns the
 *  rejection. */
export async function rejection(work) {
  try {
    await (typeof work === "function" ? work() : work);
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection, got a success");
}

/** The Web Storage interface over a Map (Node has no sessionStorage), with key()/length. */
export class MemoryStorage {
  map = new Map();
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
  key(i) { return [...this.map.keys()][i] ?? null; }
  get length() { return this.map.size; }
}

export const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
export const sha256 = (text) => createHash("sha256").update(text).digest();

/** The auth-params of each challenge of a WWW-Authenticate value, by scheme (RFC 9110 §11.6.1). */
export function challenges(value) {
  const out = {};
  let scheme = null;
  const re = /\s*(?:([A-Za-z][\w-]*)(?=\s+[a-z_]+=|\s*,|\s*$))?\s*(?:([a-z_]+)="((?:[^"\\]|\\.)*)")?\s*,?/gy;
  let m;
  while (re.lastIndex < value.length && (m = re.exec(value)) !== null && m[0] !== "") {
    if (m[1]) out[(scheme = m[1])] = {};
    if (m[2]) out[scheme][m[2]] = m[3];
  }
  return out;
}
