// The origin an e2e test's single-page app runs at: a local HTTP server that serves the
// package from pkg/ and, for any other path (/, /callback), a blank page. On `localhost`, a
// secure context, so WebCrypto and IndexedDB behave in Chromium as in production.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

import { ROOT } from './wrangler.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };

/** Starts the server: `{ server, origin }` (`http://localhost:<port>`); close `server` after. */
export async function servePackagePage() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = path.startsWith('/pkg/') ? normalize(decodeURIComponent(path)).slice(1) : 'tests/shared/blank.html';
    if (file.split(sep).includes('..')) return res.writeHead(403).end();
    try {
      const body = await readFile(join(ROOT, file));
      return res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      return res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${server.address().port}` };
}
