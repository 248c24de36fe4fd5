/**
 * One sandbox gateway's data plane: its own HTTP server (AWS gives each gateway its own host), serving
 *  - Protected Resource Metadata (RFC 9728) at /.well-known/oauth-protected-resource[/mcp], and
 *  - MCP Streamable HTTP at /mcp (stateless: a new McpServer + transport per request, JSON responses),
 * behind the gateway's inbound authorizer, read afresh on every request so updates take effect.
 * What an unauthenticated or rejected caller sees follows FACTS §2/§7 (401, WWW-Authenticate, JSON-RPC
 * error -32001). Reasons shown to callers and logged never contain the token.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { JwtValidator } from '../authorizer/validate.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import { tokenScopes } from '../authorizer/evaluate.js';
import { errorMessage } from '../core/errors.js';
import { getJson } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import type { SandboxAuthExtra } from './tools.js';

/** The part of a gateway the data plane needs: the authorizer that is in force right now. */
export interface ActiveAuthorizer {
  authorizerType: string;
  customJWTAuthorizer?: CustomJwtAuthorizer;
}

export interface DataPlaneOptions {
  host: string;
  gatewayId: string;
  logger: Logger;
  toolsDir: string;
  validator: JwtValidator;
  /** The authorizer in force now; undefined when the gateway is gone. Called on every request. */
  authorizer: () => ActiveAuthorizer | undefined;
  /** Timeout for fetching the IdP's discovery document (for the PRM's authorization_servers). Default 5000. */
  timeoutMs?: number;
}

export interface DataPlane {
  /** http://127.0.0.1:PORT/mcp */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  close(): Promise<void>;
}

const PRM_PATHS = new Set(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']);
const MAX_BODY = 1024 * 1024;
const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/** Scopes the gateway advertises: allowedScopes, each replaced by its advertisedScopeMapping entry if any. */
export function advertisedScopes(rules: CustomJwtAuthorizer | undefined): string[] {
  if (!rules?.allowedScopes?.length) return [];
  const map = rules.advertisedScopeMapping ?? {};
  return [...new Set(rules.allowedScopes.map((s) => map[s] ?? s))];
}

/** A value safe inside an RFC 7235 quoted-string: no quotes, backslashes or control characters. */
function quotable(s: string): string {
  return s.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, ' ').slice(0, 400);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function requestId(body: unknown): string | number {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const id = (body as { id?: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return id;
  }
  return 0;
}

export async function startDataPlane(opts: DataPlaneOptions): Promise<DataPlane> {
  const { logger, gatewayId } = opts;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const issuerCache = new Map<string, { at: number; issuer: string }>();
  let origin = '';
  let url = '';

  async function issuerFor(discoveryUrl: string): Promise<string> {
    const hit = issuerCache.get(discoveryUrl);
    if (hit && Date.now() - hit.at < 5 * 60_000) return hit.issuer;
    let issuer: string;
    try {
      const doc = await getJson<{ issuer?: unknown }>(discoveryUrl, { timeoutMs, purpose: 'fetching the OIDC discovery document' });
      if (typeof doc.issuer !== 'string' || !doc.issuer) throw new Error('no issuer');
      issuer = doc.issuer;
      issuerCache.set(discoveryUrl, { at: Date.now(), issuer });
    } catch (err) {
      issuer = discoveryUrl.endsWith(DISCOVERY_SUFFIX) ? discoveryUrl.slice(0, -DISCOVERY_SUFFIX.length) : discoveryUrl;
      logger.debug(`Gateway ${gatewayId}: discovery document unreachable (${errorMessage(err)}); advertising ${issuer}`);
    }
    return issuer;
  }

  async function servePrm(res: ServerResponse, active: ActiveAuthorizer | undefined): Promise<void> {
    if (active?.authorizerType !== 'CUSTOM_JWT' || !active.customJWTAuthorizer) {
      sendJson(res, 404, { message: 'This gateway has no OAuth (CUSTOM_JWT) inbound authorizer.' });
      return;
    }
    const rules = active.customJWTAuthorizer;
    const scopes = advertisedScopes(rules);
    const body: Record<string, unknown> = {
      resource: url,
      authorization_servers: [await issuerFor(rules.discoveryUrl)],
      ...(scopes.length ? { scopes_supported: scopes } : {}),
      bearer_methods_supported: ['header'],
    };
    sendJson(res, 200, body);
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse, active: ActiveAuthorizer): Promise<void> {
    const method = req.method ?? 'GET';
    let parsed: unknown;
    let raw: string | undefined = '';
    if (method === 'POST') {
      raw = await readBody(req);
      if (raw === undefined) {
        sendJson(res, 413, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Request body too large' } });
        return;
      }
      try {
        parsed = raw ? JSON.parse(raw) : undefined;
      } catch {
        parsed = undefined;
      }
    } else {
      req.resume();
    }
    const id = requestId(parsed);

    // Inbound authorizer.
    let authInfo: AuthInfo;
    if (active.authorizerType === 'CUSTOM_JWT' && active.customJWTAuthorizer) {
      const rules = active.customJWTAuthorizer;
      const metadata = `${origin}/.well-known/oauth-protected-resource`;
      const header = req.headers.authorization ?? '';
      const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
      if (!m) {
        logger.info(`Gateway ${gatewayId}: rejected: ${header ? 'the Authorization header is not a Bearer token' : 'no bearer token'}`);
        sendJson(res, 401, { jsonrpc: '2.0', id, error: { code: -32001, message: 'Missing Bearer token' } }, {
          'www-authenticate': `Bearer resource_metadata="${metadata}"`,
        });
        return;
      }
      const token = m[1]!;
      const result = await opts.validator.validate(token, rules);
      if (!result.ok) {
        logger.info(`Gateway ${gatewayId}: rejected: ${result.reason}`);
        const scopes = advertisedScopes(rules);
        const parts = [`error="invalid_token"`, `error_description="${quotable(result.reason)}"`, `resource_metadata="${metadata}"`];
        if (scopes.length) parts.push(`scope="${quotable(scopes.join(' '))}"`);
        sendJson(res, 401, { jsonrpc: '2.0', id, error: { code: -32001, message: 'Invalid Bearer token' } }, { 'www-authenticate': `Bearer ${parts.join(', ')}` });
        return;
      }
      const claims = result.claims;
      const clientId = [claims.client_id, claims.azp, claims.cid].find((v) => typeof v === 'string') as string | undefined;
      const user = [claims.preferred_username, claims.username, claims.email, claims.sub].find((v) => typeof v === 'string') as string | undefined;
      logger.info(`Gateway ${gatewayId}: token validated for user ${user ?? '(no subject)'} (client ${clientId ?? 'unknown'})`);
      const extra: SandboxAuthExtra = { claims, authorizerType: 'CUSTOM_JWT' };
      authInfo = {
        token: '(withheld)', // the tools never see the raw token
        clientId: clientId ?? '',
        scopes: tokenScopes(claims),
        ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
        extra: extra as unknown as Record<string, unknown>,
      };
    } else if (active.authorizerType === 'NONE') {
      logger.info(`Gateway ${gatewayId}: no inbound authorizer (NONE): request accepted without a token`);
      const extra: SandboxAuthExtra = { claims: null, authorizerType: 'NONE' };
      authInfo = { token: '', clientId: '', scopes: [], extra: extra as unknown as Record<string, unknown> };
    } else {
      logger.info(`Gateway ${gatewayId}: rejected: the sandbox does not emulate the ${active.authorizerType} authorizer`);
      sendJson(res, 403, { jsonrpc: '2.0', id, error: { code: -32001, message: `The sandbox gateway does not emulate the ${active.authorizerType} authorizer` } });
      return;
    }

    if (method !== 'POST') {
      // Stateless gateway: no standalone SSE stream (GET) and no session to end (DELETE).
      sendJson(res, 405, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Method not allowed.' } }, { allow: 'POST' });
      return;
    }
    if (parsed === undefined) {
      sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the body is not JSON' } });
      return;
    }

    const [{ McpServer }, { StreamableHTTPServerTransport }, { registerDemoTools }] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/mcp.js'),
      import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
      import('./tools.js'),
    ]);
    const server = new McpServer({ name: 'agentcore-auth-sandbox-gateway', version: '0.1.0' });
    registerDemoTools(server, { toolsDir: opts.toolsDir, gatewayId, logger });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(Object.assign(req, { auth: authInfo }), res, parsed);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    const active = opts.authorizer();
    if (!active) {
      sendJson(res, 404, { message: `Gateway ${gatewayId} does not exist.` });
      return;
    }
    if (PRM_PATHS.has(path)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, { message: 'Method not allowed.' }, { allow: 'GET' });
        return;
      }
      logger.debug(`Gateway ${gatewayId}: served protected resource metadata`);
      await servePrm(res, active);
      return;
    }
    if (path === '/mcp' || path === '/mcp/') {
      await handleMcp(req, res, active);
      return;
    }
    sendJson(res, 404, { message: `Not found: ${path}` });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.warn(`Gateway ${gatewayId}: internal error: ${errorMessage(err)}`);
      if (!res.headersSent) sendJson(res, 500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error' } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  origin = `http://${hostPart}:${port}`;
  url = `${origin}/mcp`;

  let closed: Promise<void> | undefined;
  return {
    url,
    origin,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
