// IndexedDB storage for DpopKey.save / DpopKey.load. Records hold the private key as a
// CryptoKey object (structured clone keeps it non-extractable: the key material never
// reaches JavaScript) next to its public JWK.
import { OidcEdgeError } from "./error.js";

const DB_NAME = "oidc-edge";
const STORE = "dpop-keys";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function open() {
  if (typeof indexedDB === "undefined") {
    throw new OidcEdgeError("storage_unavailable", "IndexedDB is not available in this runtime");
  }
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return request(req);
}

async function withStore(mode, use) {
  const db = await open();
  try {
    const tx = db.transaction(STORE, mode);
    // Listen for completion before anything can complete: a write counts only once its
    // transaction has committed.
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    const [result] = await Promise.all([request(use(tx.objectStore(STORE))), done]);
    return result;
  } finally {
    db.close();
  }
}

export function idbPut(name, record) {
  return withStore("readwrite", (store) => store.put(record, name));
}

export function idbGet(name) {
  return withStore("readonly", (store) => store.get(name));
}

export function idbDelete(name) {
  return withStore("readwrite", (store) => store.delete(name));
}
