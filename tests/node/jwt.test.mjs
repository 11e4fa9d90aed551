// The built npm package (pkg/) in Node 20: the JWT, ID-token and access-token cases shared
// with the browser suite (cross-checked against jose), one test each.
import { test } from "node:test";
import { jwtCases } from "../shared/jwt-cases.mjs";
import { importPackage } from "./package.mjs";

const lib = await importPackage();

for (const [name, run] of jwtCases) {
  test(name, () => run(lib));
}
