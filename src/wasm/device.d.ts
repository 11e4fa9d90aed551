// Types of the device-flow client (device.js). Re-exported by the package entry point.
import type { IdTokenClaims } from "./oidc_edge.js";

export interface DeviceAuthorizationOptions {
  /** The issuer identifier, exactly: discovery's `issuer` must equal it (OIDC Discovery §4.3),
   *  and so must the ID token's `iss`. https (http only on localhost, 127.0.0.1, [::1]). */
  issuer: string;
  clientId: string;
  /** A confidential client's secret, sent with HTTP Basic (client_secret_basic, RFC 6749
   *  §2.3.1). Without it the client is public and sends `client_id`. */
  clientSecret?: string;
  /** The scopes asked for, space-separated. With `openid`, the tokens must include an ID
   *  token, which is validated against the issuer's JWKS. */
  scope: string;
  /** Resource indicators (RFC 8707): the APIs the access token is for. */
  resource?: string | string[];
  /** Seconds one request may take (default 30, at most 600): a poll that takes longer counts
   *  as a network failure. */
  timeout?: number;
  /** Seconds of clock skew accepted on ID-token times (default 0). */
  clockTolerance?: number;
  /** Default `globalThis.fetch`. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

export interface DevicePollOptions {
  /** Stops polling: `poll()` rejects with "aborted". A later `poll()` resumes, still waiting
   *  the interval from the last request. */
  signal?: AbortSignal;
  /** Called after each `slow_down`, with the interval now in force (seconds). */
  onSlowDown?: (interval: number) => void;
}

export interface DeviceTokens {
  accessToken: string;
  tokenType: "Bearer";
  /** Unix seconds: when the access token expires (measured from when it was requested), if
   *  the provider said. */
  expiresAt?: number;
  refreshToken?: string;
  /** The ID token, when one came (always with `openid`). */
  idToken?: string;
  /** The validated ID-token claims, with `idToken`. */
  claims?: IdTokenClaims;
  /** The granted scope (the requested one when the provider did not say). */
  scope: string;
}

/** A device authorization waiting for its user (RFC 8628 §3.2, §3.3). */
export interface DeviceAuthorization {
  /** The code to show the user: printable text, at most 64 characters. */
  readonly userCode: string;
  /** Where the user enters the code (https; http only on localhost). */
  readonly verificationUri: string;
  /** The same with the code in it, to show as a link or a QR code (§3.3.1), if given. */
  readonly verificationUriComplete?: string;
  /** Seconds the codes live, and when they expire (Unix seconds). */
  readonly expiresIn: number;
  readonly expiresAt: number;
  /** Seconds between polls now: the provider's `interval` (default 5), plus 5 for each
   *  `slow_down`. */
  readonly interval: number;
  /**
   * Polls the token endpoint until the user answers (RFC 8628 §3.4, §3.5): the first poll an
   * interval after the codes came, each next one an interval after the last answer; each
   * `slow_down` adds 5 s for good; after a network failure, a timeout, an HTTP 5xx or 429, the
   * wait doubles until the provider answers again. Resolves with the tokens. Rejects with
   * "access_denied" (the user said no), "device_code_expired" (the codes expired first: the
   * provider's `expired_token`, or the expiry reached with no answer, the last failure as
   * `cause`), "aborted", "token_error" (another refusal, with its `error`),
   * "token_response_invalid", the ID token's codes ("jwt_audience_mismatch"…), or
   * "invalid_option" (while another `poll()` of it runs).
   */
  poll(options?: DevicePollOptions): Promise<DeviceTokens>;
}

/**
 * Starts the device authorization grant (RFC 8628) for a client that cannot show a login
 * page (a command-line tool, a TV): discovers the provider at `issuer`, asks its
 * `device_authorization_endpoint` for a device code and a user code, and resolves with what
 * to show the user and `poll()`. Rejects with "invalid_option", "discovery_invalid" (the
 * issuer does not match, no device endpoint), "device_authorization_error" (refused, with
 * its `status`, `error`, `error_description`), "device_authorization_invalid" (an answer
 * that is not RFC 8628 §3.2's, or a user code or URI unfit to show), "network_error",
 * "aborted" (the timeout) or "response_too_large" (an answer over 64 KB).
 *
 * ```js
 * const device = await startDeviceAuthorization({ issuer, clientId: "my-cli", scope: "openid" });
 * console.log(`Open ${device.verificationUri} and enter ${device.userCode}`);
 * const { accessToken, claims } = await device.poll();
 * ```
 */
export function startDeviceAuthorization(options: DeviceAuthorizationOptions): Promise<DeviceAuthorization>;
