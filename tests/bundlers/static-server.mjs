// A plain static file server for a bundler's output, as a deployment would serve it, on a
// free port of 127.0.0.1 (a secure context for WebCrypto and IndexedDB). It records every
// path it served, in order, so a test can tell what a page loaded.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
};

/** Serves `dir`; resolves to { url, served: string[], close() }. */
export async function serveStatic(dir) {
  const served = [];
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url, "http://localhost");
    const path = normalize(decodeURIComponent(pathname === "/" ? "/index.html" : pathname));
    if (path.split(sep).includes("..")) return res.writeHead(403).end();
    try {
      const body = await readFile(join(dir, path));
      served.push(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const close = () =>
    new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections(); // the browser's keep-alive connections
    });
  return { url: `http://127.0.0.1:${server.address().port}`, served, close };
}
