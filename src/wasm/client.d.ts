// Types of the code-flow client (client.js). Re-exported by the package entry point.
import type { IdTokenClaims } from "./oidc_edge.js";
import type { DpopKey } from "./dpop-key.js";
import type { OidcEdgeError } from "./error.js";

/** What `OidcClient` needs to keep an authorization request across the redirect
 *  (the `Storage` interface; `sessionStorage` by default). */
export interface TransactionStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  /** Optional: with `key` and `length`, requests older than 10 minutes are swept away. */
  key?(index: number): string | null;
  readonly length?: number;
}

export interface OidcClientOptions {
  /** The issuer identifier, exactly: discovery's `issuer` must equal it (OIDC Discovery §4.3),
   *  and so must the `iss` of the authorization response (RFC 9207) and of every ID token. */
  issuer: string;
  clientId: string;
  /** Registered redirect URI, where `handleCallback` runs. */
  redirectUri: string;
  /** Default "openid profile email"; must include "openid". Add "offline_access" for a
   *  refresh token where the provider issues them only then. */
  scope?: string;
  /** Sent as `post_logout_redirect_uri` by `signOut()`. */
  postLogoutRedirectUri?: string;
  /** Sender-constrained tokens (RFC 9449). Default true. */
  dpop?: boolean;
  /** The DPoP key to use. Default: the key saved in IndexedDB under
   *  `"oidc-edge:dpop:" + issuer + " " + clientId`, or a new non-extractable one saved
   *  there; where IndexedDB is unavailable, a new key for this page only. */
  dpopKey?: DpopKey;
  /** Where the PKCE verifier, state and nonce wait for the callback. Default `sessionStorage`
   *  (required where there is none, e.g. Node). */
  storage?: TransactionStorage;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Seconds of clock skew accepted on ID-token times (default 0). */
  clockTolerance?: number;
  /** Origins (`scheme://host[:port]`) that `fetch` sends the access token to; default: the
   *  issuer's origin only. Any other URL, or a redirect to one, is refused with
   *  `origin_not_allowed`. */
  apiOrigins?: string[];
  /**
   * One session for all the tabs of this origin that use this `issuer` and `clientId`. Default
   * true in a browser window, false elsewhere (a server process may hold clients of several
   * users); off wherever `BroadcastChannel` or Web Locks (`navigator.locks`) are missing.
   *
   * Tokens are never written to storage: tabs pass them to each other over a `BroadcastChannel`
   * (same-origin by construction). `create()` asks the open tabs for their session (waiting
   * up to 250 ms, beside discovery; a later answer is adopted when it comes); a sign-in or a
   * refresh is sent to every tab; `signOut()` in one tab signs out all. A tab adopts a session
   * only when it is newer than its own and bound to its DPoP key (the key in IndexedDB, which
   * tabs share; a tab with another key, e.g. a `dpopKey` option, keeps its own session, which
   * a sign-out elsewhere still ends); malformed messages are ignored.
   *
   * Refreshes are serialized with a Web Lock per session: the first tab refreshes and keeps the
   * lock; the others, whose refresh token is now spent, wait for the new session to arrive and
   * adopt it. One token request however many tabs refresh at once, and the refresh token is
   * never sent twice (a provider that detects reuse revokes the token's whole family,
   * RFC 9700 §4.14.2). A refresh whose request went out and then failed (no answer, one the
   * client cannot use) spends the token all the same: every tab keeps the access token
   * without the refresh token, and the tabs that waited reject with "no_refresh_token".
   * false: every tab keeps its own session, as in a server.
   */
  shareSession?: boolean;
  /** Called when another tab changes this client's session: the session it adopted, or null
   *  after a sign-out in another tab. Not called for this tab's own sign-in, refresh or
   *  sign-out, nor for the session `create()` starts with. */
  onSessionChange?: (session: Session | null) => void;
  /**
   * Pushed authorization requests (RFC 9126). When on, `authorizationUrl()` POSTs the
   * request's parameters (all it would put in the URL: PKCE challenge, `state`, `nonce`,
   * `dpop_jkt`…) to the provider's `pushed_authorization_request_endpoint`, as a public client
   * (`client_id` in the body), and returns the authorization endpoint with `client_id` and
   * the `request_uri` it got, nothing else: the parameters never pass through the browser's
   * address bar, history or the provider's access logs, and the provider checks them before
   * the user is sent there. With DPoP, the push also carries a DPoP proof of the client's key
   * (RFC 9449 §10.1, one retry on `use_dpop_nonce`), to which the provider binds the code.
   *
   * Default: whatever the discovery document's `require_pushed_authorization_requests` says
   * (RFC 9126 §5), so a provider that requires it for every client gets it. A client that
   * only its own registration holds to it (client metadata, which discovery does not show)
   * sets `par: true`. `create()` rejects with "invalid_option" for `par: true` when the
   * provider advertises no `pushed_authorization_request_endpoint`, and for `par: false` when
   * it requires pushed requests.
   */
  par?: boolean;
}

export interface AuthorizationParams {
  /** OIDC Core §3.1.2.1 `prompt`, e.g. "login" or "none". */
  prompt?: string;
  /** `max_age` in seconds: the ID token must then carry an `auth_time` no older than this. */
  maxAge?: number;
  /** `login_hint`. */
  loginHint?: string;
}

export interface SignOutOptions {
  /** Default true: revoke the session's refresh token at the provider's `revocation_endpoint`
   *  (RFC 7009) before resolving. false signs out here only, without any request. */
  revoke?: boolean;
  /** Called, before `signOut()` resolves, when the revocation failed: "network_error",
   *  "aborted" (no answer within 5 seconds), "response_too_large", or "revocation_error" with
   *  the provider's `status`, `error` and `error_description` (RFC 7009 §2.2.1; a 503 means
   *  the token was not revoked). The tokens are forgotten all the same, so there is nothing
   *  to retry with: the refresh token stays valid at the provider until it expires. What the
   *  callback throws rejects `signOut()`. */
  onRevocationError?: (error: OidcEdgeError) => void;
}

/** The signed-in state, kept in memory only (and shared with the other tabs in memory: see
 *  `shareSession`). */
export interface Session {
  accessToken: string;
  tokenType: "DPoP" | "Bearer";
  /** Unix seconds: when the access token expires (measured from when it was requested). */
  expiresAt: number;
  /** The latest refresh token (rotated on every refresh). */
  refreshToken?: string;
  /** The ID token (the latest one: a refresh may bring a new one). */
  idToken: string;
  /** The verified ID-token claims. */
  claims: IdTokenClaims;
  /** The granted scope (the requested one when the provider did not say). */
  scope: string;
  /** For DPoP: the thumbprint (RFC 7638) of the key the tokens are bound to (`cnf.jkt`). */
  jkt?: string;
}

/**
 * The OpenID Connect authorization code flow for a single-page app: PKCE (RFC 7636), state,
 * nonce, `iss` (RFC 9207), DPoP-bound tokens (RFC 9449) and ID-token validation, with the
 * tokens kept in memory.
 *
 * ```js
 * const client = await OidcClient.create({ issuer, clientId, redirectUri });
 * location.assign(await client.authorizationUrl());          // on "Sign in"
 * const session = await client.handleCallback();             // at redirectUri
 * const res = await client.fetch("https://api.example/me");  // DPoP + Authorization
 * ```
 */
export class OidcClient {
  private constructor();
  /** Fetches the provider's metadata (OIDC Discovery §4) and loads or creates the DPoP key.
   *  In browsers it also initialises the wasm module (`init()`). */
  static create(options: OidcClientOptions): Promise<OidcClient>;
  /** The provider's metadata (the discovery document), frozen. */
  readonly metadata: { issuer: string; authorization_endpoint: string; token_endpoint: string; jwks_uri: string; [name: string]: unknown };
  /** The DPoP key, or null with `dpop: false`. */
  readonly dpopKey: DpopKey | null;
  /** `dpopKey.thumbprint`, or null. */
  readonly thumbprint: string | null;
  /** The current session, or null. */
  readonly session: Session | null;
  /**
   * The authorization request URL to navigate to (OIDC Core §3.1.2.1): PKCE S256, `state`,
   * `nonce` and, with DPoP, `dpop_jkt` (RFC 9449 §10). The verifier, nonce and max_age wait
   * in `storage` under a key derived from `state`, for 10 minutes.
   *
   * With pushed requests (`par`), those parameters are POSTed to the provider first and the
   * URL carries only `client_id` and `request_uri` (RFC 9126 §4); navigate to it at once, it
   * expires within the provider's `expires_in` (a minute or so) and serves once. The
   * provider's refusal of the push rejects with "authorization_error" and its `status`,
   * `error` and `error_description` (RFC 9126 §2.3: `invalid_request`, `invalid_client`…);
   * a 201 without a `request_uri` or a positive `expires_in` with "par_response_invalid".
   */
  authorizationUrl(params?: AuthorizationParams): Promise<string>;
  /**
   * Completes the flow at the redirect URI (default `location.href`): `state` must be one this
   * client issued and is consumed whatever happens ("state_mismatch"); `iss` must be the issuer
   * ("issuer_mismatch"); an `error` response throws "authorization_error"; then the code is
   * exchanged (with a DPoP proof, retried once on `use_dpop_nonce`), the token response is
   * checked ("token_response_invalid") and the ID token validated against the JWKS (refetched
   * once on an unknown `kid`, at most once a minute). Clearing the URL (history.replaceState)
   * is left to the app.
   */
  handleCallback(url?: string | URL): Promise<Session>;
  /** The refresh token grant (RFC 6749 §6), DPoP-bound; the refresh token is rotated. A new ID
   *  token must be for the same subject (OIDC Core §12.2). Concurrent calls share one request,
   *  and so do the tabs that share the session (`shareSession`): they resolve with the session
   *  one of them got, or reject with "no_refresh_token" when its refresh failed after the
   *  request went out. */
  refresh(): Promise<Session>;
  /** The UserInfo claims (OIDC Core §5.3) through `fetch`; `sub` must equal the ID token's
   *  ("userinfo_sub_mismatch", §5.3.4). Its redirects are handled as `fetch`'s, with the
   *  provider's origin in place of `apiOrigins`. */
  userinfo(): Promise<{ sub: string; [claim: string]: unknown }>;
  /**
   * `fetch` with the access token: `Authorization: DPoP <token>` plus a `DPoP` proof (htm, htu,
   * ath and the origin's latest `DPoP-Nonce`) for DPoP-bound tokens, `Authorization: Bearer`
   * otherwise. A 401 whose challenge says `use_dpop_nonce` (RFC 9449 §9) is retried once with
   * the new `DPoP-Nonce`; so is a 401 with a new nonce whose `WWW-Authenticate` the browser
   * hides (a cross-origin API that exposes `DPoP-Nonce` but not `WWW-Authenticate`).
   *
   * The token goes only to `apiOrigins`: another URL throws "origin_not_allowed", before
   * anything is sent. Redirects never carry it further: the underlying fetch is called with
   * `redirect: "manual"`, and with the default `redirect: "follow"` this method follows a
   * redirect itself only when its `Location` is in `apiOrigins`, as Fetch's HTTP-redirect
   * fetch does (303, and 301/302 after POST, become GET without a body; 307/308 resend method
   * and body; at most 20, then "network_error"), with a new DPoP proof for each URL and method. A redirect to any
   * other origin throws "origin_not_allowed" (with `status`), and nothing is sent there.
   * Browsers hide where a manual redirect goes (an opaque-redirect response, status 0, no
   * `Location`), so in a browser every redirect throws "redirect_blocked": APIs called with
   * the token should answer without redirecting. With `redirect: "manual"` the first response
   * is returned as it is (opaque in browsers); with `redirect: "error"` a redirect is a
   * "network_error". A custom `fetch` option must honour `Request.redirect`.
   * Throws "not_signed_in" without a session.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /**
   * Signs out: forgets the tokens at once (a `fetch`, `userinfo` or `refresh` called after
   * `signOut()`, even before its promise settles, throws "not_signed_in") in this tab and in
   * the tabs that share the session (`shareSession`), then, when the
   * session has a refresh token and the provider advertises a `revocation_endpoint`, revokes
   * the refresh token (RFC 7009 §2.1: `token`, `token_type_hint=refresh_token` and
   * `client_id`, through the `fetch` option, without a DPoP proof, redirects not followed),
   * which revokes its grant's access tokens with it. One request, waited for at most
   * 5 seconds; access tokens alone are not revoked (they expire within minutes).
   *
   * Never rejects because of the revocation: a network error, a non-200 answer or the
   * timeout is passed to `options.onRevocationError` as an `OidcEdgeError`, and `signOut()`
   * resolves all the same. Resolves with the provider's logout URL (`end_session_endpoint`
   * with `id_token_hint`, `client_id` and `post_logout_redirect_uri`) to navigate to, or null
   * when the provider advertises none. Unknown options reject with "invalid_option" (the
   * tokens are forgotten even then, and nothing is sent).
   *
   * ```js
   * const logout = await client.signOut({ onRevocationError: (err) => console.warn(err.code) });
   * if (logout) location.assign(logout);
   * ```
   */
  signOut(options?: SignOutOptions): Promise<string | null>;
}
