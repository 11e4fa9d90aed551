// Env files for `wrangler dev --env-file` (dotenv syntax), shared by scripts/dev-env.mjs
// and the end-to-end tests. Values are JSON documents, written on one line and quoted
// with a quote character they do not contain. wrangler expands `$NAME` in values
// (dotenv-expand) even inside quotes, and PHC hashes are full of `$`: every `$` is
// written as `\$`, which dotenv-expand turns back into `$`.

/** One `NAME='value'` line. */
export function envLine(name, value) {
  const quote = ["'", "`", '"'].find((q) => !value.includes(q));
  if (!quote || /[\r\n]/.test(value)) throw new Error(`${name} cannot be written to an env file (quotes or newlines)`);
  return `${name}=${quote}${value.replaceAll("$", "\\$")}${quote}\n`;
}

/** The quoted `NAME=value` lines of an env file written by `envLine`. */
export function parseEnv(text) {
  const out = {};
  for (const match of text.matchAll(/^([A-Z_][A-Z0-9_]*)=(['`"])(.*)\2$/gm)) out[match[1]] = match[3].replaceAll("\\$", "$");
  return out;
}
