// A throwaway project of a package user's, for the bundler and Worker suites: its files copied
// into a temporary directory and the built package (pkg/) installed by npm the way a user
// installs it, offline:
//   "link"  `npm install <path to pkg>`: node_modules/oidc-edge is a symlink to pkg/, outside
//           the project (what a developer does with a local build);
//   "pack"  `npm install <tarball>` of `npm pack pkg/`: a copy holding only the files the
//           package lists, as the registry would serve it.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PKG_DIR = fileURLToPath(new URL("../../pkg/", import.meta.url));

function npm(args, cwd) {
  const result = spawnSync("npm", [...args, "--offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`npm ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Copies `sourceDir` into a new temporary directory, gives it a package.json, and installs
 * the package there (`install`: "link" or "pack"). Returns { dir, remove() }.
 */
export function createProject(sourceDir, install) {
  const dir = mkdtempSync(join(tmpdir(), "oidc-edge-project-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    // Not the state of a run in place (wrangler's .wrangler/) nor installed packages.
    cpSync(sourceDir, dir, { recursive: true, filter: (path) => !/[\\/](\.wrangler|node_modules)$/.test(path) });
    writeFileSync(join(dir, "package.json"), '{ "name": "app", "private": true, "type": "module" }\n');
    if (install === "link") {
      npm(["install", PKG_DIR], dir);
    } else if (install === "pack") {
      // `npm pack` prints the tarball's name last.
      const tarball = npm(["pack", PKG_DIR, "--pack-destination", dir], dir).trim().split("\n").pop();
      npm(["install", join(dir, tarball)], dir);
      rmSync(join(dir, tarball));
    } else {
      throw new Error(`install must be "link" or "pack", not ${install}`);
    }
  } catch (err) {
    remove();
    throw err;
  }
  return { dir, remove };
}
