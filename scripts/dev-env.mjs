// The Worker's configuration for `make dev` (scripts/dev.sh): OIDC_CONFIG, OIDC_SIGNING_KEYS and
// OIDC_SERVER_SECRET.
//
//   node scripts/dev-env.mjs            prints the values, in that order, one line each, on
//                                       stdout
//   node scripts/dev-env.mjs probe URL  asks the Worker at URL whether it took them
//
// Where the values come from: each variable in this process's environment, as its value (JSON
// on any number of lines for the first two) or as `@path/to/file`; whatever is not set there
// comes from worker/.dev.vars, the development defaults. That file is written once when absent
// (and needed): a new signing key, a new server secret, and a demo configuration (one public
// SPA client for the demo page, one confidential service client, one demo user); a default
// missing from an older file is added to it. When OIDC_CONFIG comes from the defaults and
// OP_PORT / WWW_PORT differ from 8787 / 5173, its URLs are moved to those ports.
//
// The values are checked here, in well under a second and before anything is built: JSON
// syntax (with line and column, and repeated member names, which the provider refuses), the
// top-level shape, and the server secret's length. The rest is the provider's own check, which
// runs in the Worker; `probe` asks the started Worker for its discovery document and, if it
// refused the configuration, prints the provider's message attributed to its variable.
// Every failure is one line on stderr and exit status 1. Nothing is written but
// worker/.dev.vars: dev.sh hands the values to wrangler in its environment.
import { createHash, generateKeyPairSync, pbkdf2Sync, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { devVarsLine, parseDevVars } from "./env-file.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const devVars = join(root, "worker", ".dev.vars");
const NAMES = ["OIDC_CONFIG", "OIDC_SIGNING_KEYS", "OIDC_SERVER_SECRET"];
// Linux refuses to start a program whose environment holds a `NAME=value` string longer than
// this (MAX_ARG_STRLEN, 32 pages).
const ENV_STRING_MAX = 128 * 1024 - 1;

/** Demo credentials, documented in the README (local development only). */
export const DEMO = { username: "demo", password: "demo-password", serviceSecret: "demo-service-secret" };

/** A configuration mistake: reported as its message alone, on one line. */
class Refused extends Error {}

/** Where `name`'s value comes from, for messages: "" (the environment) or " (in FILE)". */
function origin(name) {
  const raw = process.env[name];
  if (raw === undefined) return ` (in ${relative(process.cwd(), devVars) || devVars})`;
  return raw.startsWith("@") ? ` (in ${raw.slice(1).trim()})` : "";
}

/** `name`'s value from the environment (inline or `@file`), or undefined when unset. */
function fromEnvironment(name) {
  const raw = process.env[name];
  if (raw === undefined) return undefined;
  if (raw.trim() === "") {
    throw new Refused(`${name} is set but empty (unset it to use the defaults in worker/.dev.vars)`);
  }
  if (!raw.startsWith("@")) return raw;
  const given = raw.slice(1).trim();
  const path = resolve(given.replace(/^~(?=\/|$)/, homedir()));
  try {
    const text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
    return name === "OIDC_SERVER_SECRET" ? text.trim() : text;
  } catch (err) {
    const why = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "is a directory" }[err.code];
    throw new Refused(`${name}=@${given}: cannot read ${path}: ${why ?? err.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The quick check: JSON syntax, then the top-level shape.

/**
 * Scans `text` as RFC 8259 JSON as the provider's parser does (duplicate member names and
 * nesting deeper than 127 refused too); throws `{ at, message }` at the first fault.
 */
function scanJson(text) {
  let i = 0;
  const fail = (message, at = i) => {
    throw { at, message };
  };
  const found = () =>
    i >= text.length
      ? "the end of the text"
      : `${JSON.stringify(text[i])}${text[i] === "'" ? " (JSON strings take double quotes)" : ""}`;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) fail("a string is not closed", start);
      const c = text[i];
      if (c === '"') break;
      if (c < " ") fail("a control character (a line break?) inside a string: escape it, e.g. \\n");
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail("an invalid escape sequence in a string");
      } else i++;
    }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (depth) => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      if (depth >= 127) fail("arrays and objects nested deeper than 127");
      return c === "{" ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return string();
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = i;
    if (number.test(text) && number.lastIndex > i) {
      i = number.lastIndex;
      return;
    }
    const literal = ["true", "false", "null"].find((word) => text.startsWith(word, i));
    if (literal) {
      i += literal.length;
      return;
    }
    fail(`expected a value, found ${found()}`);
  };
  const object = (depth) => {
    i++;
    ws();
    if (text[i] === "}") return void i++;
    const names = new Set();
    for (;;) {
      ws();
      if (text[i] !== '"') {
        const hint = text[i] === "}" ? " (JSON allows no comma before '}')" : "";
        fail(`expected a member name in double quotes, found ${found()}${hint}`);
      }
      const at = i;
      const name = string();
      if (names.has(name)) fail(`repeats the member name ${JSON.stringify(name)} (each name may appear once)`, at);
      names.add(name);
      ws();
      if (text[i] !== ":") fail(`expected ':' after the member name, found ${found()}`);
      i++;
      value(depth);
      ws();
      if (text[i] === "}") return void i++;
      if (text[i] !== ",") fail(`expected ',' or '}' after a member, found ${found()}`);
      i++;
    }
  };
  const array = (depth) => {
    i++;
    ws();
    if (text[i] === "]") return void i++;
    for (;;) {
      value(depth);
      ws();
      if (text[i] === "]") return void i++;
      if (text[i] !== ",") fail(`expected ',' or ']' after an array element, found ${found()}`);
      i++;
      ws();
      if (text[i] === "]") fail("expected a value, found \"]\" (JSON allows no comma before ']')");
    }
  };
  value(0);
  ws();
  if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
}

/** `text` parsed as JSON, or a Refused naming `name`, the line and the column. */
function parseJson(name, text) {
  try {
    scanJson(text);
  } catch (err) {
    if (typeof err?.at !== "number") throw err;
    const before = text.slice(0, err.at);
    const line = before.split("\n").length;
    const column = err.at - before.lastIndexOf("\n");
    throw new Refused(`${name}: not valid JSON: line ${line}, column ${column}: ${err.message}${origin(name)}`);
  }
  return JSON.parse(text);
}

const kind = (v) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`);

/** Throws a Refused for the first top-level shape fault of OIDC_CONFIG. */
function checkConfigShape(config) {
  const at = (path, message) => new Refused(`OIDC_CONFIG${path}: ${message}${origin("OIDC_CONFIG")}`);
  if (kind(config) !== "an object") throw at("", `must be a JSON object, not ${kind(config)}`);
  if (config.issuer === undefined) throw at(".issuer", "is required");
  if (typeof config.issuer !== "string") throw at(".issuer", `must be a string, not ${kind(config.issuer)}`);
  for (const list of ["clients", "users"]) {
    if (config[list] === undefined) continue;
    if (!Array.isArray(config[list])) throw at(`.${list}`, `must be an array, not ${kind(config[list])}`);
    config[list].forEach((item, i) => {
      if (kind(item) !== "an object") throw at(`.${list}[${i}]`, `must be an object, not ${kind(item)}`);
    });
  }
  if (config.lifetimes !== undefined && kind(config.lifetimes) !== "an object") {
    throw at(".lifetimes", `must be an object, not ${kind(config.lifetimes)}`);
  }
}

/** Throws a Refused unless `text` is 32 to 64 bytes as unpadded base64url, as the provider wants. */
function checkServerSecret(text) {
  const secret = text.trim();
  const bytes = Math.floor((secret.length * 3) / 4);
  if (!/^[A-Za-z0-9_-]*$/.test(secret) || secret.length % 4 === 1 || bytes < 32 || bytes > 64) {
    throw new Refused(
      `OIDC_SERVER_SECRET: must be 32 to 64 random bytes as unpadded base64url (make one with \`cargo run -- server-secret\`)${origin("OIDC_SERVER_SECRET")}`,
    );
  }
}

/** Throws a Refused for the first top-level shape fault of OIDC_SIGNING_KEYS. */
function checkKeysShape(jwks) {
  const at = (path, message) => new Refused(`OIDC_SIGNING_KEYS${path}: ${message}${origin("OIDC_SIGNING_KEYS")}`);
  if (kind(jwks) !== "an object") throw at("", `must be a JSON object (a JWKS, {"keys": [...]}), not ${kind(jwks)}`);
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw at(".keys", "is required: a non-empty array of private JWKs (make one with `cargo run -- keygen`)");
  }
  jwks.keys.forEach((key, i) => {
    if (kind(key) !== "an object") throw at(`.keys[${i}]`, `must be a JSON object (a JWK), not ${kind(key)}`);
    if (key.d === undefined) {
      throw at(`.keys[${i}].d`, "is required: OIDC_SIGNING_KEYS holds private keys (make one with `cargo run -- keygen`)");
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The development defaults, worker/.dev.vars.

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** A PHC PBKDF2-SHA256 string, as DESIGN.md specifies and `oidc-edge hash-password` makes. */
function phc(secret, iterations) {
  const salt = randomBytes(16);
  return `$pbkdf2-sha256$i=${iterations}$${b64url(salt)}$${b64url(pbkdf2Sync(secret, salt, iterations, 32, "sha256"))}`;
}

/** The RFC 7638 thumbprint of a public JWK's required members. */
function thumbprint(required) {
  return b64url(createHash("sha256").update(JSON.stringify(required)).digest());
}

/**
 * A private JWKS as `oidc-edge keygen --alg RS256,ES256` makes it (kid: RFC 7638): an RSA key
 * for ID tokens (OpenID Connect's default, RS256) and a P-256 key, last, for everything else.
 */
function keygen() {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  return {
    keys: [
      { ...rsa, alg: "RS256", use: "sig", kid: thumbprint({ e: rsa.e, kty: rsa.kty, n: rsa.n }) },
      { ...ec, alg: "ES256", use: "sig", kid: thumbprint({ crv: ec.crv, kty: ec.kty, x: ec.x, y: ec.y }) },
    ],
  };
}

function demoConfig() {
  return {
    issuer: "http://localhost:8787",
    clients: [
      {
        client_id: "demo-spa", client_type: "public", token_endpoint_auth_method: "none",
        redirect_uris: ["http://localhost:5173/callback"], post_logout_redirect_uris: ["http://localhost:5173/"],
        grant_types: ["authorization_code", "refresh_token"], scopes: ["openid", "profile", "email", "offline_access"],
        allowed_origins: ["http://localhost:5173"], first_party: true, dpop_bound_access_tokens: false,
        // The demo page pushes its requests (RFC 9126): the provider refuses any other.
        require_pushed_authorization_requests: true,
      },
      {
        client_id: "demo-service", client_type: "confidential", token_endpoint_auth_method: "client_secret_basic",
        client_secret_hash: phc(DEMO.serviceSecret, 1000), grant_types: ["client_credentials"], scopes: ["api:read"],
      },
    ],
    users: [
      {
        sub: "248289761001", username: DEMO.username, password_hash: phc(DEMO.password, 100_000),
        claims: { name: "Demo User", email: "demo@example.com", email_verified: true },
      },
    ],
    lifetimes: { code: 60, access_token: 600, id_token: 600, refresh_token: 1209600, session: 86400 },
  };
}

/** New development defaults, as `NAME='value'` lines. */
const DEFAULTS = {
  OIDC_SIGNING_KEYS: () => devVarsLine("OIDC_SIGNING_KEYS", JSON.stringify(keygen())),
  OIDC_CONFIG: () => devVarsLine("OIDC_CONFIG", JSON.stringify(demoConfig())),
  OIDC_SERVER_SECRET: () => devVarsLine("OIDC_SERVER_SECRET", b64url(randomBytes(32))),
};

/** The values of worker/.dev.vars, written first if absent, completed if older. */
function defaults() {
  if (!existsSync(devVars)) {
    try {
      writeFileSync(
        devVars,
        "# Development defaults for `make dev` and `wrangler dev`, written by scripts/dev-env.mjs.\n" +
          "# Not for production. Delete this file to get new ones.\n" +
          Object.values(DEFAULTS).map((make) => make()).join(""),
        { mode: 0o600, flag: "wx" },
      );
      console.error(`dev: wrote worker/.dev.vars (demo user "${DEMO.username}" / "${DEMO.password}")`);
    } catch (err) {
      if (err.code !== "EEXIST") throw err; // written meanwhile by another start: read that one
    }
  }
  let text = readFileSync(devVars, "utf8");
  const absent = NAMES.filter((name) => !(name in parseDevVars(text)));
  if (absent.length > 0) {
    const lines = absent.map((name) => DEFAULTS[name]()).join("");
    appendFileSync(devVars, `${text.endsWith("\n") || text === "" ? "" : "\n"}${lines}`);
    console.error(`dev: added ${absent.join(", ")} to worker/.dev.vars`);
    text = readFileSync(devVars, "utf8");
  }
  const values = parseDevVars(text);
  for (const [name, value] of Object.entries(values)) {
    // Files written before this script wrote `$` as `\$` (the --env-file escape, which
    // .dev.vars does not have); `\$` cannot occur in valid JSON otherwise.
    if (value.includes("\\$")) {
      try {
        JSON.parse(value);
      } catch {
        values[name] = value.replaceAll("\\$", "$");
      }
    }
  }
  return values;
}

// ---------------------------------------------------------------------------------------------

const CHECKS = {
  OIDC_CONFIG: (text) => checkConfigShape(parseJson("OIDC_CONFIG", text)),
  OIDC_SIGNING_KEYS: (text) => checkKeysShape(parseJson("OIDC_SIGNING_KEYS", text)),
  OIDC_SERVER_SECRET: checkServerSecret,
};

function resolveValues() {
  // The environment's values first: a mistake there is reported before anything is written.
  const values = {};
  for (const name of NAMES) {
    values[name] = fromEnvironment(name);
    if (values[name] !== undefined) CHECKS[name](values[name]);
  }
  const missing = NAMES.filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    const fallback = defaults();
    for (const name of missing) {
      values[name] = fallback[name];
      if (name === "OIDC_CONFIG") {
        const op = process.env.OP_PORT ?? "8787";
        const www = process.env.WWW_PORT ?? "5173";
        values[name] = values[name]
          .replaceAll("http://localhost:8787", `http://localhost:${op}`)
          .replaceAll("http://localhost:5173", `http://localhost:${www}`);
      }
      CHECKS[name](values[name]);
    }
  }
  for (const name of NAMES) {
    // One line each for dev.sh. Lossless: in valid JSON a raw CR or LF is whitespace, and the
    // server secret is base64url.
    values[name] = name === "OIDC_SERVER_SECRET" ? values[name].trim() : values[name].replace(/[\r\n]/g, " ");
    const size = Buffer.byteLength(`${name}=${values[name]}`);
    if (size > ENV_STRING_MAX) {
      throw new Refused(
        `${name} is ${size} bytes: more than make dev can hand to wrangler (Linux allows 128 KiB per environment variable)${origin(name)}`,
      );
    }
  }
  return values;
}

/** The Worker's answer at `url`: the provider's message, attributed, if it refused the configuration. */
async function probe(url) {
  let res;
  try {
    res = await fetch(new URL("/.well-known/openid-configuration", url), { signal: AbortSignal.timeout(30_000) });
  } catch {
    return; // not for this check to say: dev.sh watches the servers
  }
  if (res.status !== 500) return void (await res.arrayBuffer());
  const body = await res.json().catch(() => ({}));
  const message = body?.error === "server_error" ? body.error_description : undefined;
  if (typeof message !== "string") return;
  // The provider names keys fields `OIDC_SIGNING_KEYS…`, the secret `OIDC_SERVER_SECRET`, and
  // config fields from the root.
  const name = NAMES.find((n) => message.startsWith(n)) ?? "OIDC_CONFIG";
  const text = message.startsWith(name) ? message : `${name}.${message}`;
  throw new Refused(`${text}${origin(name)}`);
}

async function main(args) {
  if (args[0] === "probe" && args.length === 2) return probe(args[1]);
  if (args.length !== 0) throw new Error("usage: node scripts/dev-env.mjs [probe URL]");
  const values = resolveValues();
  process.stdout.write(NAMES.map((name) => `${values[name]}\n`).join(""));
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Refused ? `dev: ${err.message}` : `dev: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
