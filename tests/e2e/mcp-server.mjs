// A small MCP server protected by the package, as README.md's "Protecting an MCP server" shows
// it: the @modelcontextprotocol/sdk server over Streamable HTTP (stateless, JSON answers)
// behind authenticateRequest (an RFC 9068 access token from the OP whose `aud` is this
// server's URL and whose scopes include the one the server asks for), and the RFC 9728
// metadata at the path-suffixed well-known URL (§3.1), where MCP clients look first to learn
// which authorization server to ask. The handler is Fetch API only (it would run as a
// Worker's `fetch`); `serveFetch` puts it behind Node's http server for the tests.
import { createServer } from 'node:http';
import { Readable } from 'node:stream';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

/**
 * The MCP server at `url` (e.g. http://127.0.0.1:PORT/mcp), accepting tokens of `issuer` with
 * `scope`, as a Fetch API handler. `lib` is the package (authenticateRequest and friends);
 * `audience` is what tokens must name, the server's URL unless a test says otherwise.
 */
export function mcpHandler({ lib, issuer, url, scope, audience = url }) {
  const { authenticateRequest, createRemoteKeySet, protectedResourceMetadata } = lib;
  const { pathname: mcpPath } = new URL(url);
  const metadataPath = `/.well-known/oauth-protected-resource${mcpPath}`;
  const metadata = protectedResourceMetadata({
    resource: url, authorizationServers: [issuer], scopesSupported: [scope], resourceName: 'oidc-edge e2e MCP server',
  });
  const options = {
    issuer,
    audience,
    keys: createRemoteKeySet(`${issuer}/jwks`),
    requiredScopes: [scope],
    // In every 401's challenge (RFC 9728 §5.1): where the SDK's client finds the metadata.
    resourceMetadata: new URL(metadataPath, url).href,
  };

  return async function handle(request) {
    const { pathname } = new URL(request.url);
    if (pathname === metadataPath) return Response.json(metadata);
    if (pathname !== mcpPath) return new Response(null, { status: 404 });

    const auth = await authenticateRequest(request, options);
    if (!auth.ok) return auth.response;

    const { claims } = auth;
    const server = new McpServer({ name: 'oidc-edge-e2e', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who the access token speaks for, and to whom' }, ({ authInfo }) => ({
      content: [{ type: 'text', text: JSON.stringify(authInfo.extra) }],
    }));
    // Stateless: one server and transport per request, as the SDK's stateless examples do.
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, {
        authInfo: {
          token: request.headers.get('authorization').split(' ')[1],
          clientId: claims.client_id,
          scopes: claims.scope.split(' '),
          expiresAt: claims.exp,
          extra: { sub: claims.sub, client_id: claims.client_id, scope: claims.scope, aud: claims.aud },
        },
      });
    } finally {
      // JSON answers are complete once handleRequest resolves.
      await server.close();
    }
  };
}

/**
 * Serves the Fetch API `handler` on 127.0.0.1:`port` with Node's http server. Resolves to
 * { close(), errors } (errors: what the handler threw, answered 500).
 */
export async function serveFetch(handler, port) {
  const origin = `http://127.0.0.1:${port}`;
  const errors = [];
  const server = createServer(async (req, res) => {
    let response;
    try {
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Readable.toWeb(req);
      const request = new Request(new URL(req.url, origin), { method: req.method, headers: req.headers, body, duplex: 'half' });
      response = await handler(request);
    } catch (err) {
      errors.push(err);
      response = new Response(null, { status: 500 });
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) Readable.fromWeb(response.body).pipe(res);
    else res.end();
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    errors,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
