// JWT verification in headless Chromium: the same measurement as jwt.mjs (jwt-measure.mjs),
// run inside a page against the package's web entry point (init() fetching the wasm) and
// jose's browser build. The page comes from tests/browser/chromium.mjs (repository served at
// http://localhost/). Launched from a pinned Node, Chromium inherits the CPU affinity.
import { openPage } from "../../tests/browser/chromium.mjs";
import { printTable } from "./harness.mjs";
import { targetLines } from "./jwt-measure.mjs";

const { browser, page, errors } = await openPage();
try {
  const { rows, rates } = await page.evaluate(async () => {
    const lib = await import("/pkg/oidc_edge.js");
    await lib.default();
    const jose = await import("/node_modules/jose/dist/webapi/index.js");
    const { measureJwt } = await import("/benches/js/jwt-measure.mjs");
    return measureJwt(lib, jose);
  });
  printTable(`JWT verification, Chromium ${browser.version()}`, rows);
  console.log("");
  for (const line of targetLines(rates, "chromium")) console.log(line);
  if (errors.length) throw new Error(`uncaught page errors: ${errors.join("; ")}`);
} finally {
  await browser.close();
}
