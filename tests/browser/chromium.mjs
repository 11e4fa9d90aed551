// Headless Debian Chromium through playwright-core. `launchChromium` starts it the way
// TOOLCHAIN.md says (the end-to-end suite uses it against real servers); `openPage` also
// serves the repository at http://localhost/ by request interception: no server process, no
// port, and the page is still a secure context (localhost), so WebCrypto and IndexedDB behave
// as in production.
import { chromium } from "playwright-core";
import { readFile } from "node:fs/promises";
import { extname, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ORIGIN = "http://localhost";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

// The flags TOOLCHAIN.md lists: without the networking ones Chromium tries to reach
// Google's hosts and the closed network refuses it at every start.
export const CHROMIUM_ARGS = Object.freeze([
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
]);

/** Debian's Chromium (or `CHROMIUM_PATH`), headless, with the flags above. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [...CHROMIUM_ARGS],
  });
}

/** Opens a page at `${ORIGIN}/tests/shared/blank.html` and returns { browser, page }. */
export async function openPage() {
  const browser = await launchChromium();
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err));
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = normalize(decodeURIComponent(new URL(route.request().url()).pathname)).slice(1);
    if (path.split(sep).includes("..")) return route.fulfill({ status: 403 });
    try {
      const body = await readFile(ROOT + path);
      await route.fulfill({ status: 200, body, contentType: TYPES[extname(path)] ?? "application/octet-stream" });
    } catch {
      await route.fulfill({ status: 404, body: "not found" });
    }
  });
  await page.goto(`${ORIGIN}/tests/shared/blank.html`);
  return { browser, page, errors };
}

/**
 * Runs the cases exported as `exportName` by the module at `casesPath` (repository
 * relative) inside the page, against the package imported from pkg/ with init().
 * Returns [{ name, error }] with error null for a pass.
 */
export async function runCasesInPage(page, casesPath, exportName) {
  return page.evaluate(
    async ({ casesUrl, exportName }) => {
      const lib = await import("/pkg/index.js");
      await lib.default();
      const cases = (await import(casesUrl))[exportName];
      const results = [];
      for (const [name, run] of cases) {
        try {
          await run(lib);
          results.push({ name, error: null });
        } catch (err) {
          results.push({ name, error: String(err?.stack ?? err) });
        }
      }
      return results;
    },
    { casesUrl: `/${casesPath}`, exportName },
  );
}
