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

/** A Response with `status`, the fields of `lines` (as above) and `body` (a Uint8Array or null). */
export function makeResponse(status, lines, body) {
  const headers = new Headers();
  const parts = lines.split("\n");
  for (let i = 0; i + 1 < parts.length; i += 2) headers.append(parts[i], parts[i + 1]);
  return new Response(body, { status, headers });
}
