// DPoP in headless Chromium: the same measurement as dpop.mjs (measureDpop), run inside a
// page against the package's web entry point (init() fetching the wasm), jose's browser
// build and the dpop package, all served from the repository by tests/browser/chromium.mjs.
// Launched from a pinned Node (benches/run.sh), Chromium inherits the CPU affinity.
import { openPage } from "../../tests/browser/chromium.mjs";
import { printTable } from "./harness.mjs";

const { browser, page, errors } = await openPage();
try {
  const { proofRows, checkRows, notes } = await page.evaluate(async () => {
    const lib = await import("/pkg/index.js");
    await lib.default();
    const jose = await import("/node_modules/jose/dist/webapi/index.js");
    const dpop = await import("/node_modules/dpop/build/index.js");
    const { measureDpop } = await import("/benches/js/dpop.mjs");
    return measureDpop(lib, jose, dpop);
  });
  printTable(`DPoP proofs, Chromium ${browser.version()}`, proofRows);
  printTable(`DPoP proof checks, Chromium ${browser.version()}`, checkRows);
  console.log("");
  for (const note of notes) console.log(note);
  if (errors.length) throw new Error(`uncaught page errors: ${errors.join("; ")}`);
} finally {
  await browser.close();
}
