#!/usr/bin/env node
// Static server for the demo page: www/ at / and the built npm package pkg/ at /pkg/.
// No dependencies (Node 20).
//
//   node scripts/serve-www.mjs [port] [op-url]
//
//   port    default WWW_PORT, else 5173
//   op-url  the OpenID Provider the page signs in with; default OP_URL, else
//           http://localhost:8787. The page reads it from GET /config.json, and the
//           Content-Security-Policy lets the page connect to it (and nowhere else).
//
// /callback (the SPA's redirect URI) serves www/index.html; the page handles the
// authorization response itself. Listens on 127.0.0.1 only. Every response carries
// Cache-Control: no-store and the security headers below.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// Longest prefix first. Each maps a URL prefix onto a directory.
const MOUNTS = [
  { prefix: '/pkg/', dir: join(root, 'pkg') },
  { prefix: '/', dir: join(root, 'www') },
];

// Paths the single-page app handles itself: they serve its page.
const APP_ROUTES = new Set(['/callback']);

function parsePort(value) {
  const port = Number(value);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/** The origin of an http(s) URL (no path, query or credentials), or undefined. */
function parseOrigin(value) {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username || url.password) return undefined;
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Headers on every answer. The CSP lets the page run its own scripts and compile the
 * package's WebAssembly ('wasm-unsafe-eval': compiling, not eval of strings), and talk to
 * itself and to the OP only; no inline script or style, no frames, no forms, no <base>.
 * No referrer: the callback URL carries the authorization code.
 */
function securityHeaders(opOrigin) {
  return {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self' ${opOrigin}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

/** Resolves a URL path to a file inside one of the mounts, or returns undefined. */
async function lookup(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const mount = MOUNTS.find((m) => decoded.startsWith(m.prefix));
  if (!mount) return undefined;
  let file = resolve(mount.dir, `.${sep}${decoded.slice(mount.prefix.length)}`);
  if (!inside(mount.dir, file)) return undefined;
  try {
    let info = await stat(file);
    if (info.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return undefined;
    // Symlinks must not lead outside the mount either.
    const [realDir, realFile] = await Promise.all([realpath(mount.dir), realpath(file)]);
    if (!inside(realDir, realFile)) return undefined;
    return { file: realFile, size: info.size };
  } catch {
    return undefined;
  }
}

function inside(dir, file) {
  return file === dir || file.startsWith(dir + sep);
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

async function handle(req, res) {
  for (const [name, value] of Object.entries(HEADERS)) res.setHeader(name, value);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  }
  let pathname;
  try {
    pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return send(res, 400, 'bad request\n');
  }
  if (pathname === '/config.json') {
    return send(res, 200, CONFIG_JSON, { 'content-type': 'application/json' });
  }
  const found = await lookup(APP_ROUTES.has(pathname) ? '/' : pathname);
  if (!found) return send(res, 404, 'not found\n');
  res.writeHead(200, {
    'content-type': TYPES[extname(found.file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': found.size,
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(found.file)
    .on('error', () => res.destroy())
    .pipe(res);
}

const port = parsePort(process.argv[2] ?? process.env.WWW_PORT ?? 5173);
if (port === undefined) {
  console.error(`serve-www: invalid port ${process.argv[2] ?? process.env.WWW_PORT}`);
  process.exit(2);
}

const opArg = process.argv[3] ?? process.env.OP_URL ?? 'http://localhost:8787';
const opOrigin = parseOrigin(opArg);
if (opOrigin === undefined) {
  console.error(`serve-www: invalid OP URL ${JSON.stringify(opArg)} (an http(s) origin, e.g. http://localhost:8787)`);
  process.exit(2);
}
const HEADERS = securityHeaders(opOrigin);
/** What the page needs to know about its environment. */
const CONFIG_JSON = `${JSON.stringify({ issuer: opOrigin })}\n`;

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error('serve-www:', err);
    if (!res.headersSent) send(res, 500, 'internal error\n');
    else res.destroy();
  });
});
server.on('error', (err) => {
  console.error(`serve-www: ${err.message}`);
  process.exit(1);
});
server.listen(port, HOST, () => {
  console.log(`serve-www: http://localhost:${port}/ (www/, pkg/ at /pkg/; OP ${opOrigin})`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
