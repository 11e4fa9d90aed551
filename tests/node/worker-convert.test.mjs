// The Worker's reading of Cloudflare's client-certificate facts (`request.cf.tlsClientAuth`,
// worker/src/convert.js `clientCertificate`) with constructed `cf` objects: the shape the
// edge sends for a verified, a self-signed, a revoked and an absent certificate, and values
// it never sends, which must read as no certificate (never a guess, never a throw). What
// convert.rs then requires of the thumbprint (64 hex digits) is the core's
// `ClientCertificate::from_host`, tested natively; the whole path on workerd, with a `cf`
// object the local runtime delivers, is tests/e2e/mtls.test.mjs. And the responses the
// module's answers become (`makeResponse`), with Node's Response, the Fetch standard's as on
// workerd.
//
//   node --test tests/node/worker-convert.test.mjs

import assert from "node:assert/strict";
import { test } from "node:test";

import { clientCertificate, fieldsOf, makeResponse } from "../../worker/src/convert.js";

const SHA256 = "d0b98bd8ae17f33e22bf9a557c5ab7c91beaa498d5ed36701de74da5b9f2adb9";

/** The facts Cloudflare documents for a presented certificate, with `changes`. */
function presented(changes = {}) {
  return {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certIssuerDN: "CN=Test Client CA, O=oidc-edge tests",
    certSubjectDN: "CN=bank-app, OU=Payments, O=Bank of Tests, C=DE",
    certIssuerDNRFC2253: "CN=Test Client CA,O=oidc-edge tests",
    certSubjectDNRFC2253: "CN=bank-app,OU=Payments,O=Bank of Tests,C=DE",
    certIssuerDNLegacy: "/O=oidc-edge tests/CN=Test Client CA",
    certSubjectDNLegacy: "/C=DE/O=Bank of Tests/OU=Payments/CN=bank-app",
    certSerial: "1A2B",
    certIssuerSerial: "",
    certSKI: "",
    certIssuerSKI: "",
    certFingerprintSHA1: "6b9109f323999e52259cda7373ff0b4d26bd232e",
    certFingerprintSHA256: SHA256,
    certNotBefore: "Dec  5 10:00:00 2026 GMT",
    certNotAfter: "Dec  5 10:00:00 2126 GMT",
    ...changes,
  };
}

const request = (tlsClientAuth) => ({ cf: { colo: "FRA", tlsClientAuth } });
const lines = (facts) => facts?.split("\n");

test("a verified certificate: its thumbprint and RFC 2253 DNs, verified, not revoked", () => {
  assert.deepEqual(lines(clientCertificate(request(presented()))), [
    "1",
    "0",
    SHA256,
    "CN=bank-app,OU=Payments,O=Bank of Tests,C=DE",
    "CN=Test Client CA,O=oidc-edge tests",
  ]);
});

test("a self-signed or otherwise unverified certificate is presented, not verified", () => {
  for (const certVerified of ["FAILED:self signed certificate", "FAILED:certificate has expired", "FAILED", "NONE", "success"]) {
    const facts = lines(clientCertificate(request(presented({ certVerified }))));
    assert.equal(facts[0], "0", certVerified);
    assert.equal(facts[2], SHA256, certVerified);
  }
});

test("a revoked certificate says so (Cloudflare still reports certVerified SUCCESS)", () => {
  assert.deepEqual(lines(clientCertificate(request(presented({ certRevoked: "1" })))).slice(0, 2), ["1", "1"]);
});

test("no certificate: certPresented other than \"1\", no tlsClientAuth, no cf, a cf that throws", () => {
  // What the edge (and the local runtime) sends when no certificate was presented.
  const none = presented({
    certPresented: "0", certVerified: "NONE", certFingerprintSHA256: "", certSubjectDNRFC2253: "", certIssuerDNRFC2253: "",
  });
  for (const [i, req] of [
    request(none),
    request(presented({ certPresented: 1 })),
    request(presented({ certPresented: "true" })),
    request(null),
    request("1"),
    { cf: {} },
    { cf: null },
    {},
    { get cf() { throw new Error("no cf here"); } },
  ].entries()) {
    assert.equal(clientCertificate(req), null, `case ${i}`);
  }
});

test("facts of another shape than documented are no certificate", () => {
  for (const changes of [
    { certVerified: true },
    { certVerified: undefined },
    { certRevoked: 0 },
    { certRevoked: "yes" },
    { certRevoked: undefined },
    { certFingerprintSHA256: undefined },
    { certFingerprintSHA256: 1234 },
    { certSubjectDNRFC2253: ["CN=a"] },
    { certIssuerDNRFC2253: null },
    { certSubjectDNRFC2253: "CN=a\nCN=b" },
    { certFingerprintSHA256: `${SHA256}\n1` },
  ]) {
    assert.equal(clientCertificate(request(presented(changes))), null, JSON.stringify(changes));
  }
});

test("a missing DN reads as empty (unknown), and the legacy forms are never used", () => {
  const facts = lines(clientCertificate(request(presented({ certSubjectDNRFC2253: undefined }))));
  assert.equal(facts[3], "");
  assert.equal(facts.length, 5);
});

test("the thumbprint is passed on as written: its format is the core's to judge", () => {
  // convert.rs hands it to ClientCertificate::from_host, which takes exactly 64 hex digits.
  for (const certFingerprintSHA256 of ["", "zz", SHA256.toUpperCase(), `${SHA256}00`]) {
    assert.equal(lines(clientCertificate(request(presented({ certFingerprintSHA256 }))))[2], certFingerprintSHA256);
  }
});

test("makeResponse: the status, every field in order (a repeated name too), and the body", async () => {
  const body = new TextEncoder().encode('{"a":1}');
  const response = makeResponse(201, "content-type\napplication/json\nset-cookie\na=1\nset-cookie\nb=2\n", body);
  assert.equal(response.status, 201);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(response.headers.getSetCookie(), ["a=1", "b=2"]);
  assert.equal(await response.text(), '{"a":1}');
});

test("fieldsOf: an object when every name is distinct, pairs when one repeats, and no name reaches a prototype", () => {
  assert.deepEqual(fieldsOf("cache-control\nno-store\ncontent-type\napplication/json\n"), {
    "cache-control": "no-store",
    "content-type": "application/json",
  });
  assert.deepEqual(fieldsOf("set-cookie\na=1\nset-cookie\nb=2\n"), [["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
  assert.deepEqual(fieldsOf(""), {});
  const odd = fieldsOf("__proto__\nx\n");
  assert.equal(Object.getPrototypeOf(odd), Object.prototype);
  assert.deepEqual(Object.entries(odd), [["__proto__", "x"]]);
});

test("makeResponse copies the body: the view it was given may change at once (it is the module's memory)", async () => {
  const memory = new Uint8Array(16).fill(0x61);
  const response = makeResponse(200, "", memory.subarray(4, 8));
  memory.fill(0x7a);
  assert.equal(await response.text(), "aaaa");
});

test("makeResponse: an empty body is no body, as a 204 and a 304 require", async () => {
  for (const status of [204, 304, 200]) {
    const response = makeResponse(status, "cache-control\nno-store\n", new Uint8Array(0));
    assert.equal(response.status, status);
    assert.equal(response.body, null);
  }
});
