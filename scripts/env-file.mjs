// Env files for `wrangler dev` (dotenv syntax), shared by scripts/dev-env.mjs and the
// end-to-end tests. Values are JSON documents, written on one line.
//
// wrangler reads the two kinds of file differently:
// - `--env-file FILE`: dotenv, then dotenv-expand, which expands `$NAME` in values even inside
//   quotes; PHC hashes are full of `$`, so `envLine` writes every `$` as `\$` (dotenv-expand
//   turns it back into `$`).
// - `.dev.vars` (read when no `--env-file` is given): dotenv only, no expansion, so
//   `devVarsLine` writes values as they are.
// Self-contained: benches/op/load.mjs copies this file alone.

/** Must `value` be JSON? Says so, for a value that cannot be written otherwise. */
function json(name, value, why) {
  try {
    JSON.parse(value);
  } catch {
    throw new Error(`${name} cannot be written to an env file (${why}, and it is not JSON)`);
  }
  return value;
}

/**
 * `value` quoted for dotenv, on one line. Single quotes, else backticks (dotenv processes no
 * escapes in either; never double quotes, in which it turns `\n` into a newline). A JSON
 * value is made to fit without changing its meaning: a raw CR or LF in valid JSON is
 * whitespace between tokens, and a `'` occurs only inside a string, where `\u0027` means
 * the same.
 */
function quoted(name, value, escape = (text) => text) {
  let text = value;
  if (/[\r\n]/.test(text)) text = json(name, text, "a newline").replace(/[\r\n]/g, " ");
  const quote = ["'", "`"].find((q) => !text.includes(q));
  if (quote) return `${quote}${escape(text)}${quote}`;
  return `'${escape(json(name, text, "both ' and `").replaceAll("'", "\\u0027"))}'`;
}

/** One `NAME='value'` line for `wrangler dev --env-file`. */
export function envLine(name, value) {
  return `${name}=${quoted(name, value, (text) => text.replaceAll("$", "\\$"))}\n`;
}

/** One `NAME='value'` line for `worker/.dev.vars`. */
export function devVarsLine(name, value) {
  return `${name}=${quoted(name, value)}\n`;
}

/** The values of a `.dev.vars` file as wrangler reads them: dotenv's `parse`, verbatim. */
export function parseDevVars(text) {
  const LINE =
    /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;
  const out = {};
  for (const match of text.replace(/\r\n?/gm, "\n").matchAll(LINE)) {
    let value = (match[2] || "").trim();
    const quote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    out[match[1]] = value;
  }
  return out;
}

/** The values of an env file written by `envLine` (`\$` read back as `$`). */
export function parseEnv(text) {
  return Object.fromEntries(
    Object.entries(parseDevVars(text)).map(([name, value]) => [name, value.replaceAll("\\$", "$")]),
  );
}
