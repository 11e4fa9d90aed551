// The built npm package (pkg/, web entry point with init()) in headless Chromium: the DPoP
// cases shared with the Node suite (cross-checked against jose's and the dpop package's
// browser builds, loaded in the page from node_modules), one test each; and, in Chromium
// only, a key kept in IndexedDB across a real page reload.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { openPage, runCasesInPage } from "./chromium.mjs";
import { dpopCases } from "../shared/dpop-cases.mjs";

let session;
let results;

before(async () => {
  session = await openPage();
  results = new Map(
    (await runCasesInPage(session.page, "tests/shared/dpop-cases.mjs", "dpopCases")).map((r) => [r.name, r.error]),
  );
});

after(async () => {
  await session?.browser.close();
});

for (const [name] of dpopCases) {
  test(`chromium: ${name}`, () => {
    assert.ok(results.has(name), "the case ran in the page");
    assert.equal(results.get(name), null);
  });
}

test("chromium: no uncaught page errors", () => {
  assert.deepEqual(session.errors, []);
});

// RFC 9449 §2 (and §11.4's advice to keep the private key non-exportable): a browser client
// keeps one key across page loads. A fresh browser, so nothing else has touched IndexedDB.
test("chromium: a saved DpopKey survives a page reload, still non-extractable, and signs proofs that verify", async () => {
  const own = await openPage();
  try {
    const { page } = own;
    const saved = await page.evaluate(async () => {
      const lib = await import("/pkg/index.js");
      await lib.default();
      const key = await lib.DpopKey.generate();
      await key.save("test-key");
      window.__beforeReload = true;
      return { thumbprint: key.thumbprint, jwk: key.publicJwk(), extractable: key.cryptoKey.extractable };
    });
    assert.equal(saved.extractable, false, "generated key is non-extractable");

    const navigation = await page.reload({ waitUntil: "load" });
    assert.equal(navigation?.status(), 200, "the reload was served");

    const after = await page.evaluate(async ({ TOKEN_URI }) => {
      const out = {};
      out.markerGone = window.__beforeReload === undefined;
      out.navigationType = performance.getEntriesByType("navigation")[0]?.type;
      const lib = await import("/pkg/index.js");
      await lib.default();
      const jose = await import("/node_modules/jose/dist/webapi/index.js");

      const loaded = await lib.DpopKey.load("test-key");
      out.loadedIsKey = loaded instanceof lib.DpopKey;
      out.backend = loaded.backend;
      out.thumbprint = loaded.thumbprint;
      out.jwk = loaded.publicJwk();
      out.cryptoKey = {
        isCryptoKey: loaded.cryptoKey instanceof CryptoKey,
        type: loaded.cryptoKey.type,
        extractable: loaded.cryptoKey.extractable,
        usages: loaded.cryptoKey.usages,
      };
      try {
        await crypto.subtle.exportKey("jwk", loaded.cryptoKey);
        out.exportedLoaded = true;
      } catch (err) {
        out.exportedLoaded = false;
        out.exportError = err.name;
      }

      // The record as IndexedDB holds it, read without the package.
      const record = await new Promise((resolve, reject) => {
        const open = indexedDB.open("oidc-edge");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const get = db.transaction("dpop-keys", "readonly").objectStore("dpop-keys").get("test-key");
          get.onerror = () => reject(get.error);
          get.onsuccess = () => {
            db.close();
            resolve(get.result);
          };
        };
      });
      const cryptoKeys = Object.entries(record).filter(([, v]) => v instanceof CryptoKey);
      out.raw = {
        members: Object.keys(record).sort(),
        cryptoKeys: cryptoKeys.map(([name, v]) => ({ name, type: v.type, extractable: v.extractable })),
        hasD: JSON.stringify(record).includes('"d"'),
      };
      try {
        await crypto.subtle.exportKey("pkcs8", cryptoKeys.find(([, v]) => v.type === "private")[1]);
        out.exportedRaw = true;
      } catch {
        out.exportedRaw = false;
      }

      const proof = await loaded.proof({ htm: "POST", htu: TOKEN_URI, accessToken: "at-1" });
      const checked = await lib.verifyDpopProof(proof, { htm: "POST", htu: TOKEN_URI, accessToken: "at-1", jkt: loaded.thumbprint });
      out.verified = checked;
      const { payload, protectedHeader } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
        typ: "dpop+jwt", algorithms: ["ES256"], maxTokenAge: 60,
      });
      out.jose = { htm: payload.htm, htu: payload.htu, jti: payload.jti, jkt: await jose.calculateJwkThumbprint(protectedHeader.jwk) };
      return out;
    }, { TOKEN_URI: "https://server.example.com/token" });

    assert.equal(after.markerGone, true, "window state was reset: a real reload");
    assert.equal(after.navigationType, "reload", "navigation type");
    assert.equal(after.loadedIsKey, true, "load() gives a DpopKey");
    assert.equal(after.backend, "webcrypto");
    assert.equal(after.thumbprint, saved.thumbprint, "thumbprint survived");
    assert.deepEqual(after.jwk, saved.jwk, "public JWK survived");
    assert.deepEqual(after.cryptoKey, { isCryptoKey: true, type: "private", extractable: false, usages: ["sign"] });
    assert.equal(after.exportedLoaded, false, "WebCrypto refuses to export the loaded key");
    assert.ok(after.raw.cryptoKeys.length >= 1, `the record holds a CryptoKey (${after.raw.members})`);
    for (const k of after.raw.cryptoKeys) assert.equal(k.extractable, false, `raw record ${k.name}: non-extractable`);
    assert.ok(after.raw.cryptoKeys.some((k) => k.type === "private"), "the stored CryptoKey is the private key");
    assert.equal(after.raw.hasD, false, "no private JWK member in the record");
    assert.equal(after.exportedRaw, false, "WebCrypto refuses to export the raw stored key");
    assert.equal(after.verified.jkt, saved.thumbprint, "verifyDpopProof: jkt");
    assert.equal(after.jose.jkt, saved.thumbprint, "jose: thumbprint of the proof's jwk");
    assert.equal(after.jose.htm, "POST");
    assert.equal(after.jose.htu, "https://server.example.com/token");
    assert.equal(after.jose.jti, after.verified.jti, "same jti");
    assert.deepEqual(own.errors, [], "no uncaught page errors");
  } finally {
    await own.browser.close();
  }
});

// The d.ts declares `load(name): Promise<DpopKey | null>`: an absent name is `null`, not `undefined`. Check it
// both before the database exists and once it holds another key.
test("chromium: DpopKey.load of a name never saved resolves to null", async () => {
  const own = await openPage();
  try {
    const seen = await own.page.evaluate(async () => {
      const lib = await import("/pkg/index.js");
      await lib.default();
      const kind = (v) => (v === null ? "null" : v === undefined ? "undefined" : typeof v);
      const before = kind(await lib.DpopKey.load("absent"));
      await (await lib.DpopKey.generate()).save("present");
      const after = kind(await lib.DpopKey.load("absent"));
      const present = (await lib.DpopKey.load("present")) instanceof lib.DpopKey;
      return { before, after, present };
    });
    assert.equal(seen.present, true, "a saved name loads");
    assert.deepEqual({ before: seen.before, after: seen.after }, { before: "null", after: "null" }, "load('absent') with no database, then with one");
    assert.deepEqual(own.errors, [], "no uncaught page errors");
  } finally {
    await own.browser.close();
  }
});

// What IndexedDB holds can be changed by any script of the origin: a record that is not what
// `save` wrote (no private ECDSA P-256 signing key, or a public JWK that is not a P-256
// point's) is refused with jwk_invalid rather than made into a key that fails later (or a
// TypeError). That the two halves belong together is not checked: whoever can write there
// runs script on the origin anyway.
test("chromium: DpopKey.load refuses a damaged record with jwk_invalid", async () => {
  const own = await openPage();
  try {
    const codes = await own.page.evaluate(async () => {
      const lib = await import("/pkg/index.js");
      await lib.default();
      const key = await lib.DpopKey.generate();
      await key.save("good");
      const put = (record) => new Promise((resolve, reject) => {
        const open = indexedDB.open("oidc-edge", 1);
        open.onsuccess = () => {
          const tx = open.result.transaction("dpop-keys", "readwrite");
          tx.objectStore("dpop-keys").put(record, "bad");
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
      });
      const jwk = key.publicJwk();
      const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
      const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const p384 = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, false, ["sign"]);
      const records = [
        "a string",
        { privateKey: "not a key", publicJwk: jwk },
        { privateKey: pair.publicKey, publicJwk: jwk },
        { privateKey: hmac, publicJwk: jwk },
        { privateKey: p384.privateKey, publicJwk: jwk },
        { privateKey: key.cryptoKey },
        { privateKey: key.cryptoKey, publicJwk: { ...jwk, crv: "P-384" } },
        { privateKey: key.cryptoKey, publicJwk: { ...jwk, x: jwk.x.slice(1) } },
        { privateKey: key.cryptoKey, publicJwk: { ...jwk, y: 5 } },
      ];
      const codes = [];
      for (const record of records) {
        await put(record);
        codes.push(await lib.DpopKey.load("bad").then(() => "loaded", (err) => `${err instanceof lib.OidcEdgeError} ${err.code}`));
      }
      const good = await lib.DpopKey.load("good");
      codes.push(good.thumbprint === key.thumbprint ? "good" : "other");
      return codes;
    });
    assert.deepEqual(codes, [...Array(9).fill("true jwk_invalid"), "good"]);
    assert.deepEqual(own.errors, [], "no uncaught page errors");
  } finally {
    await own.browser.close();
  }
});
