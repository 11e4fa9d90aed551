// Requests for the provider (a client's `jwks_uri`, a client ID metadata document, an
// upstream provider's discovery document, keys, token endpoint and UserInfo endpoint), with
// the limits the core asks for enforced here, where the bytes arrive (and the provider's
// effects, `postStatus`, whose answers are not read): the body is read chunk by chunk and
// dropped past `maxBytes`, and one deadline covers the headers and the body. fetch.rs turns
// the answer into the core's `Fetched` or `FetchError`.

/**
 * GETs `url` without following redirects (workerd has no `redirect: "error"`; with "manual" a
 * 3xx is answered as it is, and the core refuses it) and without credentials (a Worker's fetch
 * has no cookie jar and sends none). Resolves, never rejects, to
 * `{ status, cacheControl, contentType, body: Uint8Array }` or
 * `{ failure: "too_large" | "timed_out" | "failed", detail }`, `detail` being the runtime's
 * error with the URL in it shown without its query (`withoutQuery`).
 */
export function getCapped(url, maxBytes, timeoutMs) {
  return capped(url, { method: "GET", headers: { accept: "application/jwk-set+json, application/json" } }, maxBytes, timeoutMs);
}

/**
 * POSTs `form` (bytes, `application/x-www-form-urlencoded`) to `url`, with `Authorization:
 * authorization` unless it is empty, under the same rules and limits as `getCapped`. Neither the
 * form nor the authorization ever reaches a log: `detail` is the runtime's error only.
 */
export function postFormCapped(url, authorization, form, maxBytes, timeoutMs) {
  const init = postInit("application/x-www-form-urlencoded", authorization, form);
  return capped(url, init, maxBytes, timeoutMs);
}

/**
 * POSTs `body` (bytes of type `contentType`) like `postFormCapped`, for the provider's
 * effects (a back-channel logout token, a CIBA ping): no redirect followed (CIBA Core
 * §10.2), one deadline, and only the status read.
 * Both specifications say the answer's body is to be ignored, so it is cancelled unread: an
 * endpoint answering 200 with a page of any size has received the POST. Resolves, never
 * rejects, to `{ status }` or `{ failure: "timed_out" | "failed", detail }`, `detail` being
 * the runtime's error only.
 */
export async function postStatus(url, contentType, authorization, body, timeoutMs) {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { ...postInit(contentType, authorization, body), redirect: "manual", signal });
    // Cancelled, not read: its bytes never cross the network past what is in flight. A
    // failure to cancel changes nothing about the status already answered.
    await response.body?.cancel().catch(() => {});
    return { status: response.status };
  } catch (err) {
    const timedOut = signal.aborted || err?.name === "TimeoutError";
    return { failure: timedOut ? "timed_out" : "failed", detail: errorDetail(err, url) };
  }
}

/**
 * `url` without its query and fragment: what a log may show of a URL, since a query may carry
 * a client's own key or token.
 */
export function withoutQuery(url) {
  return String(url).split(/[?#]/, 1)[0];
}

/**
 * The runtime's error message, with `url` in it (as the runtime wrote it, or as it parses)
 * shown without its query: some errors quote the URL ("Fetch API cannot load: <url>",
 * "Failed to parse URL from <url>"), and the detail is logged.
 */
export function errorDetail(err, url) {
  let detail = String(err);
  const bases = new Set([withoutQuery(url)]);
  try {
    bases.add(withoutQuery(new URL(url).href));
  } catch {
    // Not a URL: only its text as given can appear.
  }
  // Whatever query or fragment follows the URL's path where the message quotes it, in
  // whichever form the runtime wrote it (with the fragment or without, escaped or not),
  // is cut up to the next space or quote.
  for (const base of bases) {
    detail = detail
      .split(base)
      .map((part, i) => (i === 0 ? part : part.replace(/^[?#][^\s"'<>]*/, "")))
      .join(base);
  }
  return detail;
}

function postInit(contentType, authorization, body) {
  const headers = { accept: "application/json", "content-type": contentType };
  if (authorization) headers.authorization = authorization;
  // `body` is a view into the module's memory, valid only during this call: copy it.
  return { method: "POST", headers, body: body.slice() };
}

/**
 * GETs `url` with `Authorization: Bearer accessToken` (an upstream provider's UserInfo endpoint),
 * under the same rules and limits as `getCapped`. The token never reaches a log: `detail` is the
 * runtime's error only.
 */
export function getBearerCapped(url, accessToken, maxBytes, timeoutMs) {
  const headers = { accept: "application/json", authorization: `Bearer ${accessToken}` };
  return capped(url, { method: "GET", headers }, maxBytes, timeoutMs);
}

async function capped(url, init, maxBytes, timeoutMs) {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { ...init, redirect: "manual", signal });
    const declared = response.headers.get("content-length");
    if (declared !== null && Number(declared) > maxBytes) {
      await response.body?.cancel();
      return { failure: "too_large", detail: `Content-Length ${declared}` };
    }
    const chunks = [];
    let length = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        length += value.byteLength;
        if (length > maxBytes) {
          await reader.cancel();
          return { failure: "too_large", detail: `over ${maxBytes} bytes` };
        }
        chunks.push(value);
      }
    }
    const body = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    return {
      status: response.status,
      cacheControl: response.headers.get("cache-control"),
      contentType: response.headers.get("content-type"),
      body,
    };
  } catch (err) {
    const timedOut = signal.aborted || err?.name === "TimeoutError";
    return { failure: timedOut ? "timed_out" : "failed", detail: errorDetail(err, url) };
  }
}
