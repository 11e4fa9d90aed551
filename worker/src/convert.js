// Headers across the JS/wasm boundary in one call each way. Going through the Headers
// iterator or `append` from Rust costs one boundary crossing and one or two string copies
// per field, which was a measurable share of every request (benches/README.md).
//
// Fields travel as one string: name, value, name, value…, each followed by "\n". A field
// value never contains "\n" (the Fetch standard strips CR/LF from values, and
// convert.rs refuses to send one).

/** Every field of `headers`, names lower-cased (as the Headers iterator gives them). */
export function headerLines(headers) {
  let text = "";
  for (const [name, value] of headers) text += name + "\n" + value + "\n";
  return text;
}

/**
 * The fields of `lines` (as above) as the Response constructor reads them fastest: a plain
 * object when every name is distinct, which costs it as little as a `Headers` filled by
 * `append` (one call into the runtime instead of one per field) and about half what a list
 * of pairs does (benches/README.md, "What a Response costs"); a list of pairs when a name
 * repeats (Set-Cookie), which an object cannot hold. Equivalent either way: the constructor
 * appends each entry in order (Fetch, "fill").
 */
export function fieldsOf(lines) {
  const pairs = [];
  const parts = lines.split("\n");
  for (let i = 0; i + 1 < parts.length; i += 2) pairs.push([parts[i], parts[i + 1]]);
  // fromEntries defines each name as the object's own property, "__proto__" included.
  const record = Object.fromEntries(pairs);
  return Object.keys(record).length === pairs.length ? record : pairs;
}

/**
 * A Response with `status`, the fields of `lines` and `body`, a Uint8Array (none when empty,
 * as a 204 or a 304 must have).
 *
 * `body` may be a view of the module's memory, valid only during this call: the Response
 * constructor copies a buffer source's bytes before it returns (Fetch, "extract a body":
 * "a copy of the bytes held by object"), so nothing reads the view afterwards and the body
 * is copied once, not twice. workerd's Body::extractBody copies every buffer source since
 * release 1.20260410.1 (earlier ones kept a reference to a fixed-size buffer); package.json
 * pins wrangler 4.86.0, whose workerd is 1.20260426.1, and tests/e2e/recovery.test.mjs
 * checks the copy on it.
 */
export function makeResponse(status, lines, body) {
  return new Response(body.byteLength === 0 ? null : body, { status, headers: fieldsOf(lines) });
}

/**
 * The client certificate facts Cloudflare's edge puts in `request.cf.tlsClientAuth` when
 * the host name asks for client certificates (mTLS), as one string for convert.rs:
 * verified ("1" for certVerified "SUCCESS"), revoked ("1" for certRevoked "1"),
 * certFingerprintSHA256, certSubjectDNRFC2253, certIssuerDNRFC2253, each followed by "\n"
 * but the last. The RFC 2253 forms, not certSubjectDN: that one lists the attributes in
 * the other order, with ", " between them, which RFC 4514 comparison would misread.
 *
 * `null` when no certificate was presented (certPresented is not "1", or there is no
 * `cf` at all, as for a request another Worker made), and when a fact is not what
 * Cloudflare documents (a flag outside its values, a field that is not a string, a line
 * break): facts that cannot be read are no certificate, never a guess. A missing DN is
 * empty (unknown). Whether the thumbprint is 64 hex digits is the core's to check.
 */
export function clientCertificate(request) {
  let auth;
  try {
    auth = request.cf?.tlsClientAuth;
  } catch {
    return null;
  }
  if (auth === null || typeof auth !== "object" || auth.certPresented !== "1") return null;
  const { certVerified, certRevoked, certFingerprintSHA256 } = auth;
  if (typeof certVerified !== "string" || typeof certFingerprintSHA256 !== "string") return null;
  if (certRevoked !== "0" && certRevoked !== "1") return null;
  const dn = (value) => (value === undefined ? "" : value);
  const subject = dn(auth.certSubjectDNRFC2253);
  const issuer = dn(auth.certIssuerDNRFC2253);
  const facts = [certFingerprintSHA256, subject, issuer];
  if (!facts.every((fact) => typeof fact === "string" && !fact.includes("\n"))) return null;
  const verified = certVerified === "SUCCESS" ? "1" : "0";
  return [verified, certRevoked, ...facts].join("\n");
}
