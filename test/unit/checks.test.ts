/**
 * verify's checks against a small, configurable *endpoint under test*: a real local HTTP server that plays
 * an OAuth-protected MCP gateway (401 challenge, PRM, MCP over streamable HTTP) and its identity provider
 * (OIDC discovery with a path issuer, JWKS, authorize, token). Each fault variant breaks exactly one thing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import { formatReport, runVerify, type VerifyInput } from '../../src/checks/run.js';
import type { CheckResult } from '../../src/checks/types.js';

interface Faults {
  /** The gateway serves MCP to anyone. */
  open?: boolean;
  /** The 401 has no WWW-Authenticate header. */
  noWww?: boolean;
  /** No protected resource metadata anywhere. */
  noPrm?: boolean;
  /** The path the 401's resource_metadata points at (default: the served root document). */
  headerPrmPath?: string;
  /** The PRM's `resource`, given the gateway URL. */
  prmResource?: (gatewayUrl: string) => string;
  /** The AS metadata's issuer, given the real one. */
  metadataIssuer?: (issuer: string) => string;
  /** code_challenge_methods_supported; null leaves it out. */
  ccm?: string[] | null;
  emptyJwks?: boolean;
  /** Like allowedClients on a real gateway: other clients' tokens get 401 invalid_token. */
  allowedClient?: string;
}

interface Endpoint {
  gatewayUrl: string;
  issuer: string;
  /** What the last authorize request asked for. */
  lastAuthorize: () => URLSearchParams | undefined;
}

const servers: Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

const keysPromise = generateKeyPair('ES256');

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function startEndpoint(faults: Faults = {}): Promise<Endpoint> {
  const { privateKey, publicKey } = await keysPromise;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' };
  let origin = '';
  let issuer = '';
  let gatewayUrl = '';
  let lastAuthorize: URLSearchParams | undefined;
  const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string; scope: string }>();
  let refreshCounter = 0;
  const refreshTokens = new Map<string, { clientId: string; scope: string }>();

  const issue = async (clientId: string, scope: string) => {
    const access = await new SignJWT({ client_id: clientId, scope, sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(gatewayUrl)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const out: Record<string, unknown> = { access_token: access, token_type: 'Bearer', expires_in: 3600, scope };
    if (scope.split(' ').includes('offline_access')) {
      const rt = `rt-${++refreshCounter}-${Math.random().toString(36).slice(2)}`;
      refreshTokens.set(rt, { clientId, scope });
      out.refresh_token = rt;
    }
    return out;
  };

  const challenge = (error?: string): Record<string, string> => {
    const params = [`resource_metadata="${origin}${faults.headerPrmPath ?? '/.well-known/oauth-protected-resource'}"`];
    if (error) params.unshift(`error="${error}"`);
    return faults.noWww ? {} : { 'www-authenticate': `Bearer ${params.join(', ')}` };
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (!faults.open) {
      const auth = req.headers.authorization;
      if (!auth?.startsWith('Bearer ')) {
        return json(res, 401, { jsonrpc: '2.0', id: 0, error: { code: -32001, message: 'Missing Bearer token' } }, challenge());
      }
      try {
        const { payload } = await jwtVerify(auth.slice(7), publicKey, { issuer, audience: gatewayUrl });
        if (faults.allowedClient && payload.client_id !== faults.allowedClient) throw new Error('client not allowed');
      } catch {
        return json(res, 401, { jsonrpc: '2.0', id: 0, error: { code: -32001, message: 'Invalid Bearer token' } }, challenge('invalid_token'));
      }
    }
    const mcp = new McpServer({ name: 'fixture-gateway', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'Says who called' }, async () => ({ content: [{ type: 'text', text: 'you are alice' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url!, origin);
    switch (url.pathname) {
      case '/mcp':
        return handleMcp(req, res, body);
      case '/.well-known/oauth-protected-resource':
        if (faults.noPrm) break;
        return json(res, 200, { resource: faults.prmResource ? faults.prmResource(gatewayUrl) : gatewayUrl, authorization_servers: [issuer], scopes_supported: ['openid', 'offline_access'] });
      case '/idp/.well-known/openid-configuration': {
        const md: Record<string, unknown> = {
          issuer: faults.metadataIssuer ? faults.metadataIssuer(issuer) : issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          revocation_endpoint: `${issuer}/revoke`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          scopes_supported: ['openid', 'offline_access'],
        };
        if (faults.ccm !== null) md.code_challenge_methods_supported = faults.ccm ?? ['S256'];
        return json(res, 200, md);
      }
      case '/idp/jwks':
        return json(res, 200, { keys: faults.emptyJwks ? [] : [jwk] });
      case '/idp/authorize': {
        const q = url.searchParams;
        lastAuthorize = q;
        const code = `code-${Math.random().toString(36).slice(2)}`;
        codes.set(code, { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')!, clientId: q.get('client_id')!, scope: q.get('scope') ?? '' });
        res.writeHead(302, { location: `${q.get('redirect_uri')}?code=${code}&state=${encodeURIComponent(q.get('state')!)}` });
        return res.end();
      }
      case '/idp/token': {
        const f = new URLSearchParams(body);
        if (f.get('grant_type') === 'authorization_code') {
          const c = codes.get(f.get('code')!);
          codes.delete(f.get('code')!);
          const pkceOk = c && createHash('sha256').update(f.get('code_verifier') ?? '').digest('base64url') === c.challenge;
          if (!c || !pkceOk || c.redirectUri !== f.get('redirect_uri') || c.clientId !== f.get('client_id')) return json(res, 400, { error: 'invalid_grant' });
          return json(res, 200, await issue(c.clientId, c.scope));
        }
        if (f.get('grant_type') === 'refresh_token') {
          const r = refreshTokens.get(f.get('refresh_token')!);
          refreshTokens.delete(f.get('refresh_token')!);
          if (!r || r.clientId !== f.get('client_id')) return json(res, 400, { error: 'invalid_grant' });
          return json(res, 200, await issue(r.clientId, r.scope));
        }
        return json(res, 400, { error: 'unsupported_grant_type' });
      }
    }
    json(res, 404, { error: 'not_found' });
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      handle(req, res, body).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(err.message);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  issuer = `${origin}/idp`;
  gatewayUrl = `${origin}/mcp`;
  return { gatewayUrl, issuer, lastAuthorize: () => lastAuthorize };
}

const byId = (checks: CheckResult[], id: string): CheckResult => {
  const c = checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${checks.map((x) => x.id).join(', ')}`);
  return c;
};

async function verify(faults: Faults, input: Partial<VerifyInput> = {}) {
  const ep = await startEndpoint(faults);
  const logger = createMemoryLogger();
  const result = await runVerify({ gatewayUrl: ep.gatewayUrl, noLogin: true, timeoutMs: 3000, ...input }, { logger });
  return { ...result, ep, logger };
}

const browserThatFollowsRedirects = async (url: string) => {
  await (await fetch(url)).text();
};

describe('verify metadata checks (no sign-in)', () => {
  test('a correct endpoint passes every metadata check; sign-in and calls are skipped with the reason', async () => {
    const { checks, ok } = await verify({});
    for (const id of ['challenge', 'prm', 'as-metadata', 'jwks']) assert.equal(byId(checks, id).status, 'pass', `${id}: ${byId(checks, id).finding}`);
    assert.equal(byId(checks, 'login').status, 'skip');
    assert.match(byId(checks, 'login').finding, /--no-login/);
    for (const id of ['token-claims', 'mcp-initialize', 'mcp-tools-list', 'refresh']) {
      assert.equal(byId(checks, id).status, 'skip');
      assert.match(byId(checks, id).finding, /no token/);
    }
    assert.deepEqual(
      checks.map((c) => c.id),
      ['challenge', 'prm', 'as-metadata', 'jwks', 'forged-unsigned', 'forged-unknown-key', 'forged-wrong-key', 'forged-expired', 'forged-garbage', 'login', 'token-claims', 'mcp-initialize', 'mcp-tools-list', 'refresh', 'discovery-url', 'rule-fit'],
    );
    // the endpoint validates signatures: every forged token is refused (expiry needs a real expired token: skipped)
    for (const id of ['forged-unsigned', 'forged-unknown-key', 'forged-wrong-key', 'forged-garbage']) assert.equal(byId(checks, id).status, 'pass', `${id}: ${byId(checks, id).finding}`);
    assert.equal(byId(checks, 'forged-expired').status, 'skip');
    assert.equal(ok, true);
  });

  test('a gateway that serves unauthenticated requests fails the challenge: open to anyone', async () => {
    const { checks, ok } = await verify({ open: true });
    const c = byId(checks, 'challenge');
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /HTTP 200/);
    assert.match(c.finding, /open to anyone/);
    assert.match(c.fix ?? '', /CUSTOM_JWT/);
    assert.equal(ok, false);
  });

  test('a 401 without WWW-Authenticate fails; the well-known PRM is still found', async () => {
    const { checks } = await verify({ noWww: true });
    const c = byId(checks, 'challenge');
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /no WWW-Authenticate/);
    assert.equal(byId(checks, 'prm').status, 'pass');
  });

  test('missing protected resource metadata fails, naming the URLs tried; later checks are skipped', async () => {
    const { checks, ep } = await verify({ noPrm: true });
    const c = byId(checks, 'prm');
    assert.equal(c.status, 'fail');
    const origin = new URL(ep.gatewayUrl).origin;
    assert.match(c.finding, new RegExp(`${origin}/\\.well-known/oauth-protected-resource \\(HTTP 404\\)`));
    assert.match(c.finding, /oauth-protected-resource\/mcp \(HTTP 404\)/);
    assert.equal(byId(checks, 'as-metadata').status, 'skip');
    assert.match(byId(checks, 'as-metadata').finding, /no authorization server/);
    assert.equal(byId(checks, 'jwks').status, 'skip');
  });

  test('a resource_metadata URL that does not serve the metadata fails even when the well-known URL does', async () => {
    const { checks, ep } = await verify({ headerPrmPath: '/prm-moved' });
    const c = byId(checks, 'prm');
    assert.equal(c.status, 'fail');
    assert.ok(c.finding.includes(`${new URL(ep.gatewayUrl).origin}/prm-moved`), c.finding);
    assert.match(c.finding, /HTTP 404/);
    assert.match(c.finding, /reads only the header's URL/);
    assert.equal(byId(checks, 'as-metadata').status, 'pass');
  });

  test('a PRM for another resource fails naming both; a trailing slash alone is fine', async () => {
    const other = byId((await verify({ prmResource: () => 'https://other-gateway.example/mcp' })).checks, 'prm');
    assert.equal(other.status, 'fail');
    assert.match(other.finding, /https:\/\/other-gateway\.example\/mcp/);
    assert.match(other.finding, /127\.0\.0\.1:\d+\/mcp/);
    const slash = byId((await verify({ prmResource: (gw) => `${gw}/` })).checks, 'prm');
    assert.equal(slash.status, 'pass', slash.finding);
  });

  test('an issuer that differs by a trailing slash fails, naming both values', async () => {
    const { checks, ep } = await verify({ metadataIssuer: (iss) => `${iss}/` });
    const c = byId(checks, 'as-metadata');
    assert.equal(c.status, 'fail');
    assert.ok(c.finding.includes(`"${ep.issuer}/"`), c.finding);
    assert.ok(c.finding.includes(`"${ep.issuer}"`), c.finding);
    assert.match(c.finding, /trailing slash/);
  });

  test('code_challenge_methods_supported without S256 fails', async () => {
    const c = byId((await verify({ ccm: ['plain'] })).checks, 'as-metadata');
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /lacks S256/);
    assert.match(c.fix ?? '', /S256/);
  });

  test('code_challenge_methods_supported absent is a warning: strict clients refuse', async () => {
    const { checks, ok } = await verify({ ccm: null });
    const c = byId(checks, 'as-metadata');
    assert.equal(c.status, 'warn');
    assert.match(c.finding, /MCP authorization 2025-11-25 must refuse/);
    assert.equal(ok, true);
  });

  test('an empty JWKS fails for an AgentCore gateway, and is a note for any other OAuth-protected MCP server', async () => {
    const c = byId((await verify({ emptyJwks: true }, { endpoint: 'agentcore' })).checks, 'jwks');
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /none is a usable signing key/);
    const other = await verify({ emptyJwks: true }, { endpoint: 'mcp' });
    assert.equal(byId(other.checks, 'jwks').status, 'info');
    assert.equal(byId(other.checks, 'jwks').fix, undefined);
    assert.equal(other.ok, true);
    // A bare URL is judged by its shape: an AgentCore gateway's host makes it a gateway.
    const { endpointKind } = await import('../../src/checks/run.js');
    assert.equal(endpointKind({ gatewayUrl: 'https://gw-1.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp' }), 'agentcore');
    assert.equal(endpointKind({ gatewayUrl: 'http://localhost:3000/mcp' }), 'mcp');
    assert.equal(endpointKind({ gatewayUrl: 'http://localhost:3000/mcp', authorizer: { discoveryUrl: 'https://idp/.well-known/openid-configuration' } }), 'agentcore');
  });

  test('an unreachable gateway fails once and skips the rest', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { checks, ok } = await runVerify({ gatewayUrl: `http://127.0.0.1:${port}/mcp`, noLogin: true, timeoutMs: 2000 }, { logger: createMemoryLogger() });
    assert.equal(byId(checks, 'challenge').status, 'fail');
    assert.match(byId(checks, 'challenge').finding, /ECONNREFUSED/);
    assert.ok(checks.filter((c) => c.id !== 'challenge').every((c) => c.status === 'skip'));
    assert.equal(ok, false);
  });
});

describe('verify with a sign-in', () => {
  test('the whole chain passes: sign-in, claims, initialize, tools/list, tools/call, refresh', async () => {
    const ep = await startEndpoint({});
    const logger = createMemoryLogger();
    const result = await runVerify(
      {
        gatewayUrl: ep.gatewayUrl,
        clientId: 'kiro-client',
        scopes: ['openid', 'offline_access'],
        callbackHost: '127.0.0.1',
        callbackPort: 0,
        callTool: { name: 'whoami' },
        authorizer: { discoveryUrl: `${ep.issuer}/.well-known/openid-configuration`, allowedClients: ['kiro-client'] },
        timeoutMs: 5000,
        loginTimeoutMs: 5000,
      },
      { logger, opener: browserThatFollowsRedirects },
    );
    for (const c of result.checks) assert.equal(c.status, c.id === 'forged-expired' ? 'skip' : 'pass', `${c.id}: ${c.finding}`);
    assert.equal(result.ok, true);
    assert.match(byId(result.checks, 'mcp-tools-list').finding, /whoami/);
    assert.match(byId(result.checks, 'mcp-tools-call').finding, /you are alice/);
    assert.match(byId(result.checks, 'refresh').finding, /rotated refresh token/);
    assert.equal(ep.lastAuthorize()?.get('prompt'), 'consent');
    // the returned tokens are the refreshed ones, and they work
    assert.ok(result.tokens?.accessToken.startsWith('eyJ'));
    assert.ok(result.tokens?.refreshToken?.startsWith('rt-2-'));
    const res = await fetch(ep.gatewayUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${result.tokens!.accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(res.status, 200);
    // no token reaches the report or the log
    const report = formatReport(result.checks, { color: false });
    for (const text of [report, ...logger.lines]) {
      assert.ok(!text.includes(result.tokens!.accessToken), 'access token leaked');
      assert.ok(!text.includes(result.tokens!.refreshToken!), 'refresh token leaked');
    }
  });

  test('the test login asks what the client entry asks: --authorize-param (Auth0 audience) and --disable-resource-parameter (Entra)', async () => {
    const { loginParamsFromArgs } = await import('../../src/clients/mcp-remote.js');
    const ep = await startEndpoint({});
    const run = (args: string[]) =>
      runVerify(
        {
          gatewayUrl: ep.gatewayUrl,
          clientId: 'kiro-client',
          scopes: ['openid'],
          callbackHost: '127.0.0.1',
          callbackPort: 0,
          ...loginParamsFromArgs(args),
          timeoutMs: 5000,
          loginTimeoutMs: 5000,
        },
        { logger: createMemoryLogger(), opener: browserThatFollowsRedirects },
      );
    await run(['--authorize-param', 'audience=https://api.example/mcp']);
    assert.equal(ep.lastAuthorize()?.get('audience'), 'https://api.example/mcp');
    assert.equal(ep.lastAuthorize()?.get('resource'), ep.gatewayUrl, 'mcp-remote sends the PRM resource by default');
    await run(['--disable-resource-parameter']);
    assert.equal(ep.lastAuthorize()?.get('resource'), null);
    assert.equal(ep.lastAuthorize()?.get('audience'), null);
  });

  test('a token the gateway refuses: the call fails with invalid_token and token-claims names the rule', async () => {
    const ep = await startEndpoint({ allowedClient: 'the-registered-app' });
    const result = await runVerify(
      {
        gatewayUrl: ep.gatewayUrl,
        clientId: 'some-other-app',
        scopes: ['openid'],
        callbackHost: '127.0.0.1',
        callbackPort: 0,
        authorizer: { discoveryUrl: `${ep.issuer}/.well-known/openid-configuration`, allowedClients: ['the-registered-app'] },
        timeoutMs: 5000,
        loginTimeoutMs: 5000,
      },
      { logger: createMemoryLogger(), opener: browserThatFollowsRedirects },
    );
    const init = byId(result.checks, 'mcp-initialize');
    assert.equal(init.status, 'fail');
    assert.match(init.finding, /HTTP 401 invalid_token/);
    assert.equal(byId(result.checks, 'mcp-tools-list').status, 'skip');
    const claims = byId(result.checks, 'token-claims');
    assert.equal(claims.status, 'fail');
    assert.match(claims.finding, /allowedClients/);
    assert.match(claims.finding, /some-other-app/);
    const refresh = byId(result.checks, 'refresh');
    assert.equal(refresh.status, 'warn');
    assert.match(refresh.fix ?? '', /offline_access/);
    assert.equal(result.ok, false);
  });

  test('without a client id the sign-in is skipped with a fix', async () => {
    const { checks } = await verify({}, { noLogin: false });
    const c = byId(checks, 'login');
    assert.equal(c.status, 'skip');
    assert.match(c.fix ?? '', /--client-id/);
    assert.equal(byId(checks, 'mcp-initialize').status, 'skip');
  });
});

describe('formatReport', () => {
  test('groups by stage, one line per check, the fix indented under non-passing ones, counts at the end', () => {
    const checks: CheckResult[] = [
      { id: 'challenge', stage: 'challenge', title: 'Unauthenticated request is challenged', status: 'pass', finding: 'HTTP 401.' },
      { id: 'prm', stage: 'metadata', title: 'Protected resource metadata', status: 'fail', finding: 'Not found.', fix: 'Serve it.' },
      { id: 'as-metadata', stage: 'metadata', title: 'Authorization server metadata', status: 'warn', finding: 'No S256 listed.', fix: 'List it.' },
      { id: 'login', stage: 'login', title: 'Sign-in', status: 'skip', finding: 'Skipped (--no-login).' },
    ];
    const text = formatReport(checks, { color: false });
    assert.equal(
      text,
      [
        'Challenge',
        '  ✔ Unauthenticated request is challenged: HTTP 401.',
        '',
        'Discovery',
        '  ✖ Protected resource metadata: Not found.',
        '      fix: Serve it.',
        '  ! Authorization server metadata: No S256 listed.',
        '      fix: List it.',
        '',
        'Sign-in',
        '  - Sign-in: Skipped (--no-login).',
        '',
        '1 passed, 1 warning(s), 1 failed, 1 skipped.',
      ].join('\n'),
    );
    assert.match(formatReport(checks, { color: true }), /\u001b\[31m✖\u001b\[39m/);
  });
});

describe('findings that name the real cause', () => {
  const jwt = (payload: Record<string, unknown>) =>
    `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;

  test('a machine clock an hour ahead: named with both clocks, not "the token expired 3600 s ago"', async () => {
    const { checkTokenClaims } = await import('../../src/checks/token-claims.js');
    const iat = 1_800_000_000;
    const c = await checkTokenClaims({ accessToken: jwt({ iss: 'https://idp', iat, exp: iat + 3600 }), expectedIssuer: 'https://idp', now: iat + 7200 });
    assert.equal(c.status, 'warn');
    assert.match(c.finding, /This machine's clock is 7200 s ahead of the IdP's/);
    assert.match(c.finding, /2027-01-15T08:00:00Z \(IdP clock\) and this machine says 2027-01-15T10:00:00Z/);
    assert.doesNotMatch(c.finding, /expired/);
    assert.match(c.fix ?? '', /NTP/);
    // Within a minute is no finding; a token really expired (iat an hour and more ago, clock right) still fails.
    assert.equal((await checkTokenClaims({ accessToken: jwt({ iss: 'https://idp', iat, exp: iat + 3600 }), now: iat + 30 })).status, 'pass');
    const old = await checkTokenClaims({ accessToken: jwt({ iss: 'https://idp', exp: iat + 3600 }), now: iat + 7200 });
    assert.equal(old.status, 'fail');
    assert.match(old.finding, /expired 3600 s ago/);
  });

  test('a gateway discovery URL with a typo that lands on another live issuer: discovery-url fails against the issuer the setup recorded', async () => {
    const ep = await startEndpoint();
    {
      const recorded = 'https://idp.example.test/realms/right';
      const { checks } = await runVerify(
        { gatewayUrl: ep.gatewayUrl, noLogin: true, timeoutMs: 3000, endpoint: 'agentcore', authorizer: { discoveryUrl: `${ep.issuer}/.well-known/openid-configuration`, allowedClients: ['c'] }, expectedIssuer: recorded, expectedIssuerSource: 'setup "default"' },
        { logger: createMemoryLogger() },
      );
      assert.equal(byId(checks, 'issuer-pin').status, 'fail');
      const d = byId(checks, 'discovery-url');
      assert.equal(d.status, 'fail', d.finding);
      assert.match(d.finding, new RegExp(`the IdP's issuer is ${recorded}`));
      assert.match(d.fix ?? '', new RegExp(`Set discoveryUrl to exactly ${recorded}/.well-known/openid-configuration`));
    }
  });

  test('a premise a later check disproved goes: "lacks offline_access" is dropped once a refresh worked, other problems stay', async () => {
    const { dropTagged, fromProblems } = await import('../../src/checks/types.js');
    const c = fromProblems({ id: 'x', stage: 'config', title: 'X' }, [
      { status: 'warn', finding: 'lacks offline_access.', fix: 'Add offline_access.', tag: 'no-refresh' },
      { status: 'warn', finding: 'other thing.', fix: 'Fix the other thing.' },
    ], 'all good');
    dropTagged(c, ['no-refresh']);
    assert.deepEqual({ status: c.status, finding: c.finding, fix: c.fix }, { status: 'warn', finding: 'other thing.', fix: 'Fix the other thing.' });
    const only = fromProblems({ id: 'y', stage: 'config', title: 'Y' }, [{ status: 'warn', finding: 'lacks offline_access.', fix: 'Add it.', tag: 'no-refresh' }], 'all good');
    dropTagged(only, ['no-refresh']);
    assert.deepEqual({ status: only.status, finding: only.finding, fix: only.fix }, { status: 'pass', finding: 'all good', fix: undefined });
  });

  test('the challenge\'s fixes say what is possible: an open gateway is replaced (init refuses to change it); a 403 from a known CUSTOM_JWT gateway is not blamed on AWS_IAM', async () => {
    const { checkChallenge } = await import('../../src/checks/challenge.js');
    for (const [status, authorizerKnown, re, not] of [
      [200, false, /cannot be changed: create a CUSTOM_JWT gateway \(agentcore-auth init --create-gateway NAME --role-arn ARN\)/, /init does this/],
      [403, true, /The gateway's authorizer is CUSTOM_JWT, yet it refused/, /AWS_IAM/],
      [403, false, /usually means the gateway uses AWS_IAM/, /^$/],
    ] as const) {
      const server = createServer((_q, res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const { result } = await checkChallenge(`http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`, { timeoutMs: 2000, authorizerKnown });
        assert.equal(result.status, 'fail');
        assert.match(result.fix ?? '', re);
        if (not.source !== '^$') assert.doesNotMatch(result.fix ?? '', not);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    }
  });

  test('no refresh token: an authorization server without the refresh grant is a note; verify names its own scope choice', async () => {
    const { checkRefresh } = await import('../../src/checks/refresh.js');
    const base = { tokenEndpoint: 'http://127.0.0.1:9/token', clientId: 'c' };
    const none = await checkRefresh({ ...base, scopes: ['openid'], grantTypesSupported: ['authorization_code'] });
    assert.equal(none.result.status, 'info');
    assert.match(none.result.finding, /offers no refresh grant \(grant_types_supported: authorization_code\)/);
    const defaults = await checkRefresh({ ...base, scopes: ['openid', 'email', 'profile'], scopesFrom: 'fallback' });
    assert.equal(defaults.result.status, 'warn');
    assert.match(defaults.result.finding, /verify asked for openid email profile \(mcp-remote's fallback, as mcp-remote does\)/);
    assert.match(defaults.result.fix ?? '', /Pass --scopes exactly as your client asks/);
    const given = await checkRefresh({ ...base, scopes: ['openid'], scopesFrom: 'given', scopesSupported: ['openid', 'offline_access'] });
    assert.match(given.result.fix ?? '', /Add offline_access/);
    const cannot = await checkRefresh({ ...base, scopes: ['openid'], scopesFrom: 'given', scopesSupported: ['openid'] });
    assert.doesNotMatch(cannot.result.fix ?? '', /Add offline_access/);
  });
});
