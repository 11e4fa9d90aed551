// Just enough of a browser for the OP's login pages, with plain `fetch`: a cookie jar for one
// origin, manual redirects (stopping at the first redirect that leaves the OP, which is the
// client's redirect URI: the SPA is never fetched), and the hidden inputs of an HTML form.
// Plus `rawRequest`, an HTTP/1.1 client over a bare socket for requests `fetch` cannot make
// (repeated header fields, unnormalised paths, non-UTF-8 bytes in the request line).

import { connect } from 'node:net';

/** Decodes the few character references the OP's pages use (src/op/pages.rs `escape`). */
export function unescapeHtml(text) {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, ref) =>
    ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[ref],
  );
}

/** The attributes of one start tag's source (`<input type="hidden" name="tx" value="…">`). */
function attributes(tag) {
  const out = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    const name = m[1].toLowerCase();
    if (name === 'input' || name === 'form') continue;
    out[name] = unescapeHtml(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/**
 * The first form of an HTML page: its method, action, hidden inputs (name → value) and the
 * names of its other fields. Throws when the page has no form.
 */
export function parseForm(html) {
  const form = html.match(/<form\b([^>]*)>([\s\S]*?)<\/form>/i);
  if (!form) throw new Error(`no <form> in the page:\n${html.slice(0, 2000)}`);
  const { method = 'get', action = '' } = attributes(form[1]);
  const hidden = {};
  const fields = [];
  for (const input of form[2].matchAll(/<input\b([^>]*)>/gi)) {
    const attrs = attributes(input[1]);
    if (!attrs.name) continue;
    if ((attrs.type ?? 'text').toLowerCase() === 'hidden') hidden[attrs.name] = attrs.value ?? '';
    else fields.push(attrs.name);
  }
  const buttons = [...form[2].matchAll(/<button\b([^>]*)>/gi)].map((b) => attributes(b[1]));
  return { method: method.toUpperCase(), action, hidden, fields, buttons };
}

/** A cookie jar and `fetch` with manual redirects, for one origin (the OP). */
export class Browser {
  /** @param {string} origin  the OP's origin: redirects elsewhere end a navigation */
  constructor(origin) {
    this.origin = new URL(origin).origin;
    /** name → value */
    this.cookies = new Map();
    /** every `Set-Cookie` line received, in order, for attribute checks */
    this.setCookies = [];
  }

  /** The `Cookie` header value for the next request. */
  cookieHeader() {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }

  #store(res) {
    for (const line of res.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = attrs.map((a) => a.trim().match(/^max-age=(-?\d+)$/i)).find(Boolean);
      if (maxAge && Number(maxAge[1]) <= 0) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request (no redirect following), sending and storing cookies. */
  async fetch(url, init = {}) {
    const target = new URL(url, this.origin);
    if (target.origin !== this.origin) throw new Error(`the browser only talks to ${this.origin}, not ${target}`);
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', this.cookieHeader());
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.#store(res);
    return res;
  }

  /**
   * Follows redirects from `url` (303 turns into GET) while they stay at the OP. Returns
   * `{ res, url, html }` for the page it stops at, or `{ res, location }` when a redirect
   * leaves the OP (the client's redirect URI, not fetched).
   */
  async navigate(url, init = {}) {
    let res = await this.fetch(url, init);
    let current = new URL(url, this.origin);
    for (let hops = 0; hops < 10; hops++) {
      if (![301, 302, 303, 307, 308].includes(res.status)) {
        return { res, url: current.href, html: await res.text() };
      }
      await res.arrayBuffer();
      const next = new URL(res.headers.get('location'), current);
      if (next.origin !== this.origin) return { res, location: next.href };
      current = next;
      res = await this.fetch(next, { method: 'GET' });
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits a form (as parsed by `parseForm`) with `fields` added, and follows redirects. */
  async submit(pageUrl, form, fields) {
    const body = new URLSearchParams({ ...form.hidden, ...fields });
    return this.navigate(new URL(form.action || pageUrl, pageUrl).href, {
      method: form.method,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  }
}

/**
 * One HTTP/1.1 request over a new TCP connection, bytes exactly as given. `target` is the raw
 * request-target (a string or a Buffer, sent as is); `headers` is a list of [name, value] pairs
 * (repeats allowed). Resolves with { status, headers: [[name, value]…], header(name), body }.
 */
export function rawRequest(url, { method = 'GET', target = '/', headers = [], body } = {}) {
  const { hostname, port } = new URL(url);
  const bodyBuf = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = [
    Buffer.from(`${method} `),
    Buffer.isBuffer(target) ? target : Buffer.from(target, 'latin1'),
    Buffer.from(` HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: close\r\n`),
    ...headers.map(([n, v]) => Buffer.concat([Buffer.from(`${n}: `), Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1'), Buffer.from('\r\n')])),
    Buffer.from(bodyBuf ? `content-length: ${bodyBuf.length}\r\n\r\n` : '\r\n'),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      socket.destroy();
      fn(value);
    };
    socket.setTimeout(30_000, () => finish(reject, new Error(`no answer to ${method} ${target}`)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      // Done as soon as the message is complete: servers may keep the socket open a while.
      try {
        const parsed = parseResponse(received, method);
        if (parsed) finish(resolve, parsed);
      } catch (err) {
        finish(reject, err);
      }
    });
    socket.on('error', (err) => finish(reject, err));
    socket.on('end', () => {
      try {
        const parsed = parseResponse(received, method, true);
        if (!parsed) throw new Error(`incomplete HTTP response: ${JSON.stringify(received.toString('latin1').slice(0, 200))}`);
        finish(resolve, parsed);
      } catch (err) {
        finish(reject, err);
      }
    });
    socket.write(Buffer.concat(bodyBuf ? [...head, bodyBuf] : head));
  });
}

/** The response in `buf`, or null while it is incomplete (`ended`: the connection closed). */
function parseResponse(buf, method, ended = false) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = lines.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
  });
  const header = (name) => headers.find(([n]) => n === name.toLowerCase())?.[1] ?? null;
  const rest = buf.subarray(end + 4);
  let body;
  if (method === 'HEAD' || status === 204 || status === 304) {
    body = Buffer.alloc(0);
  } else if (/chunked/i.test(header('transfer-encoding') ?? '')) {
    const parts = [];
    let at = 0;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size');
      if (size === 0) break;
      if (rest.length < lineEnd + 2 + size + 2) return null;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (header('content-length') !== null) {
    const length = Number(header('content-length'));
    if (rest.length < length) return null;
    body = rest.subarray(0, length);
  } else {
    if (!ended) return null;
    body = rest;
  }
  return { status, headers, header, body: body.toString('utf8') };
}

/**
 * Writes `bytes` (a whole HTTP/1.1 request: request line, header fields, body) to a new TCP
 * connection to `url`'s host and port, exactly as given, and resolves with the response as
 * `rawRequest` does. For requests whose framing itself is the test (Host, Content-Length);
 * `halfClose` shuts the sending side after them, for a body shorter than declared.
 */
export function rawSend(url, bytes, { timeoutMs = 30_000, halfClose = false } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      socket.destroy();
      fn(value);
    };
    socket.setTimeout(timeoutMs, () => finish(reject, new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      try {
        const parsed = parseResponse(received, 'GET');
        if (parsed) finish(resolve, parsed);
      } catch (err) {
        finish(reject, err);
      }
    });
    socket.on('error', (err) => finish(reject, err));
    socket.on('end', () => {
      try {
        const parsed = parseResponse(received, 'GET', true);
        if (!parsed) throw new Error(`incomplete HTTP response: ${JSON.stringify(received.toString('latin1').slice(0, 200))}`);
        finish(resolve, parsed);
      } catch (err) {
        finish(reject, err);
      }
    });
    // halfClose: the request ends here (FIN), so a server waiting for more body gives up.
    if (halfClose) socket.end(bytes);
    else socket.write(bytes);
  });
}
