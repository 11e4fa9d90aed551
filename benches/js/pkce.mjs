// PKCE in Node: oidc-edge (wasm, synchronous) against oauth4webapi (WebCrypto, async).
import * as oauth from "oauth4webapi";
import { createPkce, pkceChallenge } from "../../pkg/node.js";
import { opsPerSecond, printTable } from "./harness.mjs";

const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"; // RFC 7636 Appendix B

const rows = [
  {
    task: "new pair (64-char verifier + S256 challenge)",
    ours: await opsPerSecond(() => createPkce()),
    peerName: "oauth4webapi",
    peer: await opsPerSecond(async () => {
      const verifier = oauth.generateRandomCodeVerifier();
      return oauth.calculatePKCECodeChallenge(verifier);
    }),
  },
  {
    task: "challenge of a fixed verifier",
    ours: await opsPerSecond(() => pkceChallenge(VERIFIER)),
    peerName: "oauth4webapi",
    peer: await opsPerSecond(() => oauth.calculatePKCECodeChallenge(VERIFIER)),
  },
];
printTable(`PKCE, Node ${process.version}`, rows);
