// Imports the built package the way a user's project does: by name, through the
// "exports" map of pkg/package.json, from a throwaway project whose node_modules links to
// pkg/. Under Node this resolves the self-initialising "node" entry.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const pkgDir = fileURLToPath(new URL("../../pkg", import.meta.url));

export async function importPackage() {
  const project = mkdtempSync(join(tmpdir(), "oidc-edge-user-"));
  mkdirSync(join(project, "node_modules"));
  symlinkSync(pkgDir, join(project, "node_modules", "oidc-edge"), "dir");
  writeFileSync(join(project, "package.json"), '{ "type": "module" }\n');
  writeFileSync(join(project, "index.js"), 'export * from "oidc-edge";\nexport { default } from "oidc-edge";\n');
  try {
    return await import(pathToFileURL(join(project, "index.js")).href);
  } finally {
    // Loaded: Node resolved the link to pkg/ itself, so the project can go (no test leaves
    // files behind).
    rmSync(project, { recursive: true, force: true });
  }
}
