// The built npm package (pkg/, web entry point with init()) in headless Chromium: the JWT,
// ID-token and access-token cases shared with the Node suite (cross-checked against jose's
// browser build, loaded in the page from node_modules), one test each.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { openPage, runCasesInPage } from "./chromium.mjs";
import { jwtCases } from "../shared/jwt-cases.mjs";

let session;
let results;

before(async () => {
  session = await openPage();
  results = new Map(
    (await runCasesInPage(session.page, "tests/shared/jwt-cases.mjs", "jwtCases")).map((r) => [r.name, r.error]),
  );
});

after(async () => {
  await session?.browser.close();
});

for (const [name] of jwtCases) {
  test(`chromium: ${name}`, () => {
    assert.ok(results.has(name), "the case ran in the page");
    assert.equal(results.get(name), null);
  });
}

test("chromium: no uncaught page errors", () => {
  assert.deepEqual(session.errors, []);
});
