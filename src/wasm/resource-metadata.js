// protectedResourceMetadata: the OAuth 2.0 Protected Resource Metadata document (RFC 9728 §2)
// a resource serves at /.well-known/oauth-protected-resource (§3), from which a client learns
// which authorization servers issue tokens for it. Checked as it is built, so a typo in the
// configuration fails at start rather than misleading every client.
import { fetchableUrl } from "./remote-keys.js";
import { fail, readOptions } from "./options.js";

/** A scope token (RFC 6749 §3.3); authenticateRequest checks requiredScopes with it too. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const ALG = /^[A-Za-z0-9+-]{2,32}$/; // a JWS "alg" value (RFC 7518 §3.1); "none" is refused

const url = (value, name) => {
  if (typeof value !== "string") fail("invalid_option", `protectedResourceMetadata: ${name} must be a URL string`);
  const parsed = fetchableUrl(value, `protectedResourceMetadata: ${name}`);
  if (parsed.hash || value.includes("#")) fail("invalid_option", `protectedResourceMetadata: ${name} must not have a fragment`);
  return value;
};
const list = (check) => (value, name) => {
  if (!Array.isArray(value)) fail("invalid_option", `protectedResourceMetadata: ${name} must be an array`);
  return Object.freeze(value.map((item) => check(item, name)));
};
const text = (value, name) => {
  if (typeof value !== "string" || !value || value.length > 1000) fail("invalid_option", `protectedResourceMetadata: ${name} must be a non-empty string`);
  return value;
};
const flag = (value, name) => {
  if (typeof value !== "boolean") fail("invalid_option", `protectedResourceMetadata: ${name} must be a boolean`);
  return value;
};
const oneOf = (allowed) => (value, name) => {
  if (!allowed.includes(value)) fail("invalid_option", `protectedResourceMetadata: ${name} must be one of ${allowed.join(", ")}`);
  return value;
};
const alg = (value, name) => {
  if (typeof value !== "string" || !ALG.test(value) || value.toLowerCase() === "none") {
    fail("invalid_option", `protectedResourceMetadata: ${name} must list JWS algorithms, never none`);
  }
  return value;
};
const scope = (value, name) => {
  if (typeof value !== "string" || !SCOPE_TOKEN.test(value)) fail("invalid_option", `protectedResourceMetadata: ${name} must list scope tokens (RFC 6749 §3.3)`);
  return value;
};
/** RFC 8414 §2: an issuer identifier has no query and no fragment. */
const issuer = (value, name) => {
  if (typeof value !== "string") fail("invalid_option", `protectedResourceMetadata: ${name} must be URL strings`);
  if (fetchableUrl(value, `protectedResourceMetadata: ${name}`).search || value.includes("#")) {
    fail("invalid_option", `protectedResourceMetadata: ${name} must be issuer identifiers, without query or fragment`);
  }
  return value;
};

// Option name → [member name (RFC 9728 §2), check], in the RFC's order.
const MEMBERS = {
  resource: ["resource", url],
  authorizationServers: ["authorization_servers", list(issuer)],
  jwksUri: ["jwks_uri", url],
  scopesSupported: ["scopes_supported", list(scope)],
  bearerMethodsSupported: ["bearer_methods_supported", list(oneOf(["header", "body", "query"]))],
  resourceSigningAlgValuesSupported: ["resource_signing_alg_values_supported", list(alg)],
  resourceName: ["resource_name", text],
  resourceDocumentation: ["resource_documentation", url],
  resourcePolicyUri: ["resource_policy_uri", url],
  resourceTosUri: ["resource_tos_uri", url],
  tlsClientCertificateBoundAccessTokens: ["tls_client_certificate_bound_access_tokens", flag],
  authorizationDetailsTypesSupported: ["authorization_details_types_supported", list(text)],
  dpopSigningAlgValuesSupported: ["dpop_signing_alg_values_supported", list(alg)],
  dpopBoundAccessTokensRequired: ["dpop_bound_access_tokens_required", flag],
};
/** The RFC 9728 §2 document for `options` (camelCase names of its members), frozen: serve it
 *  as JSON. `resource` is the one member required (§2); `bearerMethodsSupported` defaults to
 *  ["header"], the one way authenticateRequest reads a token. */
export function protectedResourceMetadata(options) {
  if (options === undefined || options === null) fail("invalid_option", "protectedResourceMetadata: options must be an object");
  // Each option read once, by name; each member checks its own value below.
  const types = Object.fromEntries(Object.keys(MEMBERS).map((name) => [name, "any"]));
  const given = readOptions(options, types, "protectedResourceMetadata");
  if (!("bearerMethodsSupported" in given)) given.bearerMethodsSupported = ["header"];
  if (given.resource === undefined) fail("invalid_option", "protectedResourceMetadata: resource is required");
  const document = {};
  for (const [name, [member, check]] of Object.entries(MEMBERS)) {
    if (given[name] !== undefined) document[member] = check(given[name], name);
  }
  return Object.freeze(document);
}
