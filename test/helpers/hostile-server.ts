/**
 * A hostile server for the security tests: it answers like an OpenID provider (and, on /mcp, like an
 * OAuth-protected MCP endpoint) whose every endpoint is itself, and it records every request it gets:
 * method, path, Authorization header and body. A test points an untrusted input (a team profile's issuer,
 * a gateway URL, a journal) at it and then asserts that no credential ever reached it.
 *
 *   const evil = await startHostileServer();
 *   ... run the CLI ...
 *   assert.deepEqual(evil.credentials(), []);   // no Authorization header, no token in any body or query
 *   await evil.close();
 *
 * `route` lets a test answer a path its own way (a control character in an error, a huge body, a 401 whose
 * metadata names another issuer). Loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  authorization?: string;
  body: string;
}

export interface HostileReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown>;
}

export interface HostileServer {
  origin: string;
  /** Every request, in order. */
  requests: RecordedRequest[];
  /**
   * What looks like a credential in what it was sent: Authorization headers, JWTs, and the values of
   * token, refresh_token, access_token, code, code_verifier, client_secret in a form body or the query.
   */
  credentials(): string[];
  close(): Promise<void>;
}

const SECRET_FIELDS = ['token', 'refresh_token', 'access_token', 'code', 'code_verifier', 'client_secret', 'assertion', 'subject_token'];
const JWT = /eyJ[\w-]{5,}\.[\w-]+\.[\w-]*/g;

function credentialsIn(r: RecordedRequest): string[] {
  const out: string[] = [];
  if (r.authorization) out.push(`Authorization: ${r.authorization}`);
  const texts = [r.body, r.url];
  for (const t of texts) for (const m of t.matchAll(JWT)) out.push(m[0]);
  const forms: URLSearchParams[] = [];
  try {
    forms.push(new URLSearchParams(r.body));
  } catch {
    /* not a form */
  }
  forms.push(new URL(r.url, 'http://x').searchParams);
  for (const f of forms) for (const k of SECRET_FIELDS) if (f.get(k)) out.push(`${k}=${f.get(k)}`);
  try {
    const j = JSON.parse(r.body) as Record<string, unknown>;
    for (const k of SECRET_FIELDS) if (typeof j[k] === 'string' && j[k]) out.push(`${k}: ${String(j[k])}`);
  } catch {
    /* not JSON */
  }
  return [...new Set(out)];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d.length + body.length > 1_000_000 ? '' : d));
    req.on('end', () => resolve(body));
    req.on('error', () => resolve(body));
  });
}

export async function startHostileServer(opts: { route?: (req: RecordedRequest, origin: string) => HostileReply | undefined } = {}): Promise<HostileServer> {
  const requests: RecordedRequest[] = [];
  let origin = '';
  const metadata = () => ({
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    revocation_endpoint: `${origin}/revoke`,
    introspection_endpoint: `${origin}/introspect`,
    registration_endpoint: `${origin}/register`,
    jwks_uri: `${origin}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        body: await readBody(req),
      };
      requests.push(rec);
      const path = new URL(rec.url, origin).pathname;
      let reply = opts.route?.(rec, origin);
      if (!reply) {
        if (path.startsWith('/.well-known/openid-configuration') || path.startsWith('/.well-known/oauth-authorization-server')) reply = { body: metadata() };
        else if (path === '/jwks') reply = { body: { keys: [] } };
        else if (path === '/.well-known/oauth-protected-resource' || path === '/.well-known/oauth-protected-resource/mcp') {
          reply = { body: { resource: `${origin}/mcp`, authorization_servers: [origin] } };
        } else if (path === '/mcp') {
          reply = {
            status: 401,
            headers: { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource"` },
            body: { jsonrpc: '2.0', id: 0, error: { code: -32001, message: 'Missing Bearer token' } },
          };
        } else reply = { body: {} };
      }
      const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(body);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    origin,
    requests,
    credentials: () => [...new Set(requests.flatMap(credentialsIn))],
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
