// The Worker's environment for `make dev`: OIDC_CONFIG and OIDC_SIGNING_KEYS.
//
// worker/.dev.vars holds the development defaults and is written once when absent: a new
// signing key, and a demo configuration (one public SPA client for the demo page, one
// confidential service client, one demo user) whose hashes are made by the CLI.
// OIDC_CONFIG / OIDC_SIGNING_KEYS in this process's environment override the defaults (when
// both are set, worker/.dev.vars is neither written nor read: the end-to-end tests rely on it);
// otherwise, when OP_PORT / WWW_PORT differ from 8787 / 5173, the demo configuration is
// adjusted to them. The result is checked with `oidc-edge check-config` (so a bad
// configuration fails here, naming the field) and written to a private temporary file
// whose path is printed for `wrangler dev --env-file`.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { envLine, parseEnv } from "./env-file.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const devVars = join(root, "worker", ".dev.vars");
const opPort = process.env.OP_PORT ?? "8787";
const wwwPort = process.env.WWW_PORT ?? "5173";

/** Demo credentials, documented in the README (local development only). */
export const DEMO = { username: "demo", password: "demo-password", serviceSecret: "demo-service-secret" };

function cli(args, input) {
  execFileSync("cargo", ["build", "--quiet", "--bin", "oidc-edge"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  return execFileSync(join(root, "target", "debug", "oidc-edge"), args, { cwd: root, input, encoding: "utf8" }).trim();
}

function demoConfig() {
  const passwordHash = cli(["hash-password"], `${DEMO.password}\n`);
  const secretHash = cli(["hash-secret", "--stdin"], `${DEMO.serviceSecret}\n`).replace(/^hash:\s*/, "");
  return {
    issuer: "http://localhost:8787",
    clients: [
      {
        client_id: "demo-spa", client_type: "public", token_endpoint_auth_method: "none",
        redirect_uris: ["http://localhost:5173/callback"], post_logout_redirect_uris: ["http://localhost:5173/"],
        grant_types: ["authorization_code", "refresh_token"], scopes: ["openid", "profile", "email", "offline_access"],
        allowed_origins: ["http://localhost:5173"], first_party: true, dpop_bound_access_tokens: false,
      },
      {
        client_id: "demo-service", client_type: "confidential", token_endpoint_auth_method: "client_secret_basic",
        client_secret_hash: secretHash, grant_types: ["client_credentials"], scopes: ["api:read"],
      },
    ],
    users: [
      {
        sub: "248289761001", username: DEMO.username, password_hash: passwordHash,
        claims: { name: "Demo User", email: "demo@example.com", email_verified: true },
      },
    ],
    lifetimes: { code: 60, access_token: 600, id_token: 600, refresh_token: 1209600, session: 86400 },
  };
}


const overridden = Boolean(process.env.OIDC_CONFIG && process.env.OIDC_SIGNING_KEYS);
if (!overridden && !existsSync(devVars)) {
  const keys = cli(["keygen"]);
  const config = JSON.stringify(demoConfig());
  writeFileSync(
    devVars,
    "# Development defaults for `wrangler dev`, written by scripts/dev-env.mjs. Not for production.\n" +
      envLine("OIDC_SIGNING_KEYS", JSON.stringify(JSON.parse(keys))) +
      envLine("OIDC_CONFIG", config),
    { mode: 0o600 },
  );
  console.error(`dev-env: wrote ${devVars} (demo user "${DEMO.username}" / "${DEMO.password}")`);
}

const defaults = overridden ? {} : parseEnv(readFileSync(devVars, "utf8"));
let config = process.env.OIDC_CONFIG ?? defaults.OIDC_CONFIG;
const keys = process.env.OIDC_SIGNING_KEYS ?? defaults.OIDC_SIGNING_KEYS;
if (!process.env.OIDC_CONFIG) {
  config = config.replaceAll("http://localhost:8787", `http://localhost:${opPort}`).replaceAll("http://localhost:5173", `http://localhost:${wwwPort}`);
}
const dir = mkdtempSync(join(tmpdir(), "oidc-edge-dev-"));
chmodSync(dir, 0o700);
writeFileSync(join(dir, "config.json"), config, { mode: 0o600 });
writeFileSync(join(dir, "keys.json"), keys, { mode: 0o600 });
try {
  cli(["check-config", join(dir, "config.json"), "--keys", join(dir, "keys.json")]);
} catch (err) {
  process.stderr.write(err.stderr ?? "");
  console.error("dev-env: the configuration is invalid (see above)");
  process.exit(1);
}
const envFile = join(dir, "worker.env");
writeFileSync(envFile, envLine("OIDC_SIGNING_KEYS", keys) + envLine("OIDC_CONFIG", config), { mode: 0o600 });
console.log(envFile);
