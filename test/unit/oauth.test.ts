import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { CliError } from '../../src/core/errors.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import { openBrowser } from '../../src/oauth/browser.js';
import {
  DiscoveryError,
  discoverAuthorizationServer,
  fetchJwks,
  fetchProtectedResourceMetadata,
  parseWwwAuthenticate,
  probeChallenge,
} from '../../src/oauth/discovery.js';
import { runLogin } from '../../src/oauth/login.js';
import { startCallbackServer } from '../../src/oauth/loopback.js';
import { challengeFor, createPkce } from '../../src/oauth/pkce.js';
import { deleteClient, readClient, registerClient } from '../../src/oauth/registration.js';
import { decodeJwtClaims, exchangeCode, refreshTokens, revokeToken } from '../../src/oauth/tokens.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => unknown;

const servers: Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

/** A real HTTP server on 127.0.0.1:0 standing in for a third-party endpoint. */
async function serve(handler: Handler): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      Promise.resolve(handler(req, res, body)).catch((err: Error) => {
        res.writeHead(500).end(err.message);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function rejectsWith(p: Promise<unknown>, check: (e: CliError) => void): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CliError, `expected CliError, got ${String(err)}`);
    check(err);
    return true;
  });
}

describe('PKCE', () => {
  test('S256 matches the RFC 7636 appendix B vector', () => {
    assert.equal(challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  test('fresh pairs: 43+ unreserved characters, a matching challenge, never repeated', () => {
    const a = createPkce();
    const b = createPkce();
    assert.match(a.verifier, /^[A-Za-z0-9\-._~]{43,128}$/);
    assert.equal(a.method, 'S256');
    assert.equal(a.challenge, createHash('sha256').update(a.verifier).digest('base64url'));
    assert.notEqual(a.verifier, b.verifier);
  });
});

describe('WWW-Authenticate parsing', () => {
  test('the AgentCore 401 header', () => {
    const w = parseWwwAuthenticate('Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource"');
    assert.equal(w.scheme, 'Bearer');
    assert.equal(w.params.resource_metadata, 'https://gw.example/.well-known/oauth-protected-resource');
  });

  test('commas and escaped quotes inside quoted strings, scopes with spaces, no space after commas', () => {
    const w = parseWwwAuthenticate(
      'Bearer error="invalid_token",error_description="The token, it \\"expired\\"", scope="openid profile offline_access", resource_metadata="https://gw/x"',
    );
    assert.equal(w.params.error, 'invalid_token');
    assert.equal(w.params.error_description, 'The token, it "expired"');
    assert.equal(w.params.scope, 'openid profile offline_access');
    assert.equal(w.params.resource_metadata, 'https://gw/x');
  });

  test('case-insensitive names, unquoted URL values, spaces around "="', () => {
    const w = parseWwwAuthenticate('bearer Resource_Metadata = https://gw.example/.well-known/oauth-protected-resource/mcp , Error=invalid_token');
    assert.equal(w.scheme.toLowerCase(), 'bearer');
    assert.equal(w.params.resource_metadata, 'https://gw.example/.well-known/oauth-protected-resource/mcp');
    assert.equal(w.params.error, 'invalid_token');
  });

  test('several challenges: the Bearer one is primary, token68 is kept apart from params', () => {
    const w = parseWwwAuthenticate('Basic dXNlcjpwYXNz==, Newauth realm="apps", type=1, Bearer realm="mcp", scope="a b"');
    assert.deepEqual(
      w.challenges.map((c) => c.scheme),
      ['Basic', 'Newauth', 'Bearer'],
    );
    assert.equal(w.challenges[0]!.token68, 'dXNlcjpwYXNz==');
    assert.deepEqual(w.challenges[1]!.params, { realm: 'apps', type: '1' });
    assert.equal(w.scheme, 'Bearer');
    assert.deepEqual(w.params, { realm: 'mcp', scope: 'a b' });
  });

  test('a bare scheme and a non-Bearer header', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer').params, {});
    const w = parseWwwAuthenticate('Basic realm="x"');
    assert.equal(w.scheme, 'Basic');
    assert.equal(w.params.realm, 'x');
  });
});

describe('discovery', () => {
  test('probeChallenge POSTs an MCP initialize without a token and reads the 401', async () => {
    let seen: { method?: string; headers?: IncomingMessage['headers']; body?: unknown } = {};
    const { origin } = await serve((req, res, body) => {
      seen = { method: req.method, headers: req.headers, body: JSON.parse(body) };
      json(res, 401, { jsonrpc: '2.0', id: 0, error: { code: -32001, message: 'Missing Bearer token' } }, {
        'www-authenticate': `Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource", scope="openid"`,
      });
    });
    const r = await probeChallenge(`${origin}/mcp`);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.headers?.authorization, undefined);
    assert.equal(seen.headers?.['mcp-protocol-version'], '2025-06-18');
    assert.match(String(seen.headers?.accept), /application\/json/);
    assert.match(String(seen.headers?.accept), /text\/event-stream/);
    assert.equal((seen.body as { method: string }).method, 'initialize');
    assert.equal(r.status, 401);
    assert.equal(r.wwwAuthenticate?.params.resource_metadata, 'http://127.0.0.1/.well-known/oauth-protected-resource');
    assert.equal(r.wwwAuthenticate?.params.scope, 'openid');
    assert.equal(r.bodyIsJsonRpcError, true);
  });

  test('PRM: header URL 404, then path-suffixed 404, then the root', async () => {
    const order: string[] = [];
    const { origin } = await serve((req, res) => {
      order.push(req.url!);
      if (req.url === '/.well-known/oauth-protected-resource') return json(res, 200, { resource: 'x', authorization_servers: ['y'] });
      json(res, 404, { error: 'not found' });
    });
    const r = await fetchProtectedResourceMetadata(`${origin}/mcp`, `${origin}/custom/prm`);
    assert.deepEqual(order, ['/custom/prm', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']);
    assert.equal(r.url, `${origin}/.well-known/oauth-protected-resource`);
    assert.deepEqual(r.tried, order.map((p) => `${origin}${p}`));
    assert.deepEqual(r.metadata.authorization_servers, ['y']);
  });

  test('PRM: the path-suffixed document wins over the root; nothing anywhere is a DiscoveryError naming every URL', async () => {
    const { origin } = await serve((req, res) => {
      if (req.url === '/.well-known/oauth-protected-resource/mcp') return json(res, 200, { resource: 'suffixed' });
      if (req.url === '/.well-known/oauth-protected-resource') return json(res, 200, { resource: 'root' });
      json(res, 404, {});
    });
    const r = await fetchProtectedResourceMetadata(`${origin}/mcp/`);
    assert.equal(r.metadata.resource, 'suffixed');

    const { origin: empty } = await serve((_req, res) => json(res, 404, {}));
    await assert.rejects(fetchProtectedResourceMetadata(`${empty}/mcp`), (err: unknown) => {
      assert.ok(err instanceof DiscoveryError);
      assert.deepEqual(err.tried, [`${empty}/.well-known/oauth-protected-resource/mcp`, `${empty}/.well-known/oauth-protected-resource`]);
      assert.match(err.message, /HTTP 404/);
      return true;
    });
  });

  test('AS discovery for an issuer with a path: RFC 8414 insertion, OIDC insertion, then OIDC appending', async () => {
    const order: string[] = [];
    const { origin } = await serve((req, res) => {
      order.push(req.url!);
      if (req.url === '/tenant1/.well-known/openid-configuration') return json(res, 200, { issuer: `${origin}/tenant1` });
      json(res, 404, {});
    });
    const r = await discoverAuthorizationServer(`${origin}/tenant1/`);
    assert.deepEqual(order, [
      '/.well-known/oauth-authorization-server/tenant1',
      '/.well-known/openid-configuration/tenant1',
      '/tenant1/.well-known/openid-configuration',
    ]);
    assert.equal(r.kind, 'oidc');
    assert.equal(r.metadata.issuer, `${origin}/tenant1`);
  });

  test('AS discovery for a root issuer: RFC 8414 first, then OIDC', async () => {
    const order: string[] = [];
    const { origin } = await serve((req, res) => {
      order.push(req.url!);
      if (req.url === '/.well-known/openid-configuration') return json(res, 200, { issuer: origin });
      json(res, 404, {});
    });
    const r = await discoverAuthorizationServer(origin);
    assert.deepEqual(order, ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']);
    assert.equal(r.url, `${origin}/.well-known/openid-configuration`);
  });

  test('JWKS: only RSA/EC/OKP keys for signatures count', async () => {
    const { origin } = await serve((_req, res) =>
      json(res, 200, {
        keys: [
          { kty: 'RSA', use: 'sig', kid: 'a', n: 'x', e: 'AQAB' },
          { kty: 'EC', kid: 'b', crv: 'P-256', x: 'x', y: 'y' },
          { kty: 'RSA', use: 'enc', kid: 'c', n: 'x', e: 'AQAB' },
          { kty: 'RSA', kid: 'd', alg: 'RSA-OAEP-256', n: 'x', e: 'AQAB' },
          { kty: 'oct', kid: 'e', k: 'x' },
        ],
      }),
    );
    const r = await fetchJwks(`${origin}/jwks`);
    assert.equal(r.keys.length, 5);
    assert.equal(r.signingKeyCount, 2);
    assert.deepEqual(r.signingKeys.map((k) => k.kid), ['a', 'b']);
  });
});

describe('loopback callback server', () => {
  test('a port held by another process is a clear error naming --callback-port', async () => {
    const { server } = await serve((_req, res) => res.end());
    const port = (server.address() as { port: number }).port;
    await rejectsWith(startCallbackServer({ host: '127.0.0.1', port, expectedState: 's', timeoutMs: 5000 }), (e) => {
      assert.equal(e.message, `Callback port ${port} is in use by another process.`);
      assert.match(e.fix ?? '', /--callback-port/);
    });
  });

  test('delivers the code and tells the browser it can close the tab (http://localhost works)', async () => {
    const cb = await startCallbackServer({ host: 'localhost', port: 0, expectedState: 'st8', timeoutMs: 5000 });
    try {
      assert.equal(cb.redirectUri, `http://localhost:${cb.port}/oauth/callback`);
      const res = await fetch(`${cb.redirectUri}?code=abc123&state=st8`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /You can close this tab/);
      assert.deepEqual(await cb.result, { code: 'abc123' });
      const other = await fetch(`http://127.0.0.1:${cb.port}/favicon.ico`);
      assert.equal(other.status, 404);
    } finally {
      await cb.close();
    }
  });

  test('a state mismatch rejects the sign-in', async () => {
    const cb = await startCallbackServer({ host: '127.0.0.1', port: 0, expectedState: 'expected', timeoutMs: 5000 });
    try {
      const res = await fetch(`${cb.redirectUri}?code=abc&state=forged`);
      assert.equal(res.status, 400);
      await rejectsWith(cb.result, (e) => assert.equal(e.code, 'state_mismatch'));
    } finally {
      await cb.close();
    }
  });

  test('an error= callback rejects with the IdP error and its description', async () => {
    const cb = await startCallbackServer({ host: '127.0.0.1', port: 0, expectedState: 's', timeoutMs: 5000 });
    try {
      await fetch(`${cb.redirectUri}?error=access_denied&error_description=${encodeURIComponent('User is not assigned to the client application.')}&state=s`);
      await rejectsWith(cb.result, (e) => {
        assert.match(e.message, /access_denied/);
        assert.match(e.message, /User is not assigned to the client application/);
        assert.match(e.fix ?? '', /assign the user/i);
      });
    } finally {
      await cb.close();
    }
  });

  test('no callback within the timeout rejects', async () => {
    const cb = await startCallbackServer({ host: '127.0.0.1', port: 0, expectedState: 's', timeoutMs: 30 });
    try {
      await rejectsWith(cb.result, (e) => assert.equal(e.code, 'login_timeout'));
    } finally {
      await cb.close();
    }
  });
});

describe('token endpoint', () => {
  test('code exchange sends the PKCE verifier, client id, redirect URI and resource', async () => {
    let form = new URLSearchParams();
    const { origin } = await serve((req, res, body) => {
      assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
      form = new URLSearchParams(body);
      json(res, 200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1' });
    });
    const t = await exchangeCode({
      tokenEndpoint: `${origin}/token`,
      clientId: 'cli',
      code: 'the-code',
      redirectUri: 'http://localhost:3334/oauth/callback',
      verifier: 'ver',
      resource: 'https://gw.example/mcp',
    });
    assert.equal(t.access_token, 'at-1');
    assert.equal(t.refresh_token, 'rt-1');
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'http://localhost:3334/oauth/callback',
      client_id: 'cli',
      code_verifier: 'ver',
      resource: 'https://gw.example/mcp',
    });
  });

  test('refresh sends the refresh grant; an OAuth error names error and description but never the token', async () => {
    let form = new URLSearchParams();
    const { origin } = await serve((_req, res, body) => {
      form = new URLSearchParams(body);
      if (form.get('refresh_token') === 'good-refresh-token') return json(res, 200, { access_token: 'at-2', token_type: 'Bearer' });
      json(res, 400, { error: 'invalid_grant', error_description: 'Refresh token is revoked' });
    });
    const t = await refreshTokens({ tokenEndpoint: `${origin}/token`, clientId: 'cli', refreshToken: 'good-refresh-token', scope: 'openid' });
    assert.equal(t.access_token, 'at-2');
    assert.deepEqual(Object.fromEntries(form), { grant_type: 'refresh_token', refresh_token: 'good-refresh-token', client_id: 'cli', scope: 'openid' });

    await rejectsWith(refreshTokens({ tokenEndpoint: `${origin}/token`, clientId: 'cli', refreshToken: 'revoked-refresh-token' }), (e) => {
      assert.match(e.message, /invalid_grant: Refresh token is revoked/);
      assert.doesNotMatch(e.message, /revoked-refresh-token/);
      assert.equal(e.code, 'token_invalid_grant');
      assert.match(e.fix ?? '', /sign in again/);
    });
  });

  test('revocation posts token, hint and client id; a refusal is reported, not thrown', async () => {
    let form = new URLSearchParams();
    const { origin } = await serve((_req, res, body) => {
      form = new URLSearchParams(body);
      if (form.get('token_type_hint') === 'access_token') return json(res, 400, { error: 'unsupported_token_type' });
      res.writeHead(200).end();
    });
    const ok = await revokeToken({ revocationEndpoint: `${origin}/revoke`, clientId: 'cli', token: 'rt', tokenTypeHint: 'refresh_token' });
    assert.deepEqual(ok, { ok: true, status: 200 });
    assert.deepEqual(Object.fromEntries(form), { token: 'rt', token_type_hint: 'refresh_token', client_id: 'cli' });
    const refused = await revokeToken({ revocationEndpoint: `${origin}/revoke`, clientId: 'cli', token: 'at', tokenTypeHint: 'access_token' });
    assert.deepEqual(refused, { ok: false, status: 400, error: 'unsupported_token_type' });
  });

  test('decodeJwtClaims reads a JWT without verifying it; opaque tokens give null', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ cid: 'c1', scp: ['openid'] }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('https://idp').sign(privateKey);
    const d = decodeJwtClaims(jwt);
    assert.equal(d?.header.kid, 'k1');
    assert.equal(d?.payload.cid, 'c1');
    assert.equal(d?.payload.iss, 'https://idp');
    assert.equal(decodeJwtClaims('opaque-token-value'), null);
    assert.equal(decodeJwtClaims('a.b.c'), null);
  });
});

describe('dynamic client registration', () => {
  test('register, read, delete; a deleted client is gone', async () => {
    const clients = new Map<string, Record<string, unknown>>();
    const { origin } = await serve((req, res, body) => {
      if (req.method === 'POST' && req.url === '/reg') {
        if (req.headers.authorization !== 'Bearer iat-1') return json(res, 401, { error: 'invalid_token' });
        const md = JSON.parse(body) as Record<string, unknown>;
        const uris = md.redirect_uris as string[];
        if (!uris.every((u) => u.startsWith('http://localhost'))) return json(res, 400, { error: 'invalid_redirect_uri', error_description: 'only loopback' });
        clients.set('c1', md);
        return json(res, 201, { ...md, client_id: 'c1', registration_access_token: 'rat-1', registration_client_uri: `${origin}/reg/c1` });
      }
      const id = req.url!.split('/').pop()!;
      if (req.headers.authorization !== 'Bearer rat-1' || !clients.has(id)) return json(res, 401, { error: 'invalid_token' });
      if (req.method === 'GET') return json(res, 200, { ...clients.get(id), client_id: id });
      if (req.method === 'DELETE') {
        clients.delete(id);
        return res.writeHead(204).end();
      }
    });
    const metadata = { client_name: 'kiro', redirect_uris: ['http://localhost:3334/oauth/callback'], token_endpoint_auth_method: 'none' };

    await rejectsWith(registerClient({ registrationEndpoint: `${origin}/reg`, metadata }), (e) => {
      assert.equal(e.code, 'registration_unauthorized');
      assert.match(e.fix ?? '', /AGENTCORE_AUTH_INITIAL_ACCESS_TOKEN/);
    });
    await rejectsWith(
      registerClient({ registrationEndpoint: `${origin}/reg`, metadata: { ...metadata, redirect_uris: ['https://evil.example/cb'] }, initialAccessToken: 'iat-1' }),
      (e) => {
        assert.equal(e.code, 'registration_invalid_redirect_uri');
        assert.match(e.message, /only loopback/);
      },
    );
    const reg = await registerClient({ registrationEndpoint: `${origin}/reg`, metadata, initialAccessToken: 'iat-1' });
    assert.equal(reg.client_id, 'c1');
    assert.equal(reg.registration_client_uri, `${origin}/reg/c1`);
    const args = { registrationClientUri: reg.registration_client_uri!, registrationAccessToken: reg.registration_access_token! };
    assert.equal((await readClient(args))?.client_name, 'kiro');
    assert.equal(await deleteClient(args), 'deleted');
    assert.equal(await readClient(args), null);
    assert.equal(await deleteClient(args), 'gone');
  });
});

describe('sign-in', () => {
  test('runLogin: code + PKCE S256 + state through the loopback callback, prompt=consent for offline_access', async () => {
    const codes = new Map<string, { challenge: string; redirectUri: string }>();
    let authorizeQuery = new URLSearchParams();
    const { origin } = await serve((req, res, body) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/authorize') {
        authorizeQuery = url.searchParams;
        const q = url.searchParams;
        codes.set('code-1', { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')! });
        res.writeHead(302, { location: `${q.get('redirect_uri')}?code=code-1&state=${encodeURIComponent(q.get('state')!)}` });
        return res.end();
      }
      if (url.pathname === '/token') {
        const f = new URLSearchParams(body);
        const issued = codes.get(f.get('code')!);
        const verifierOk = issued && createHash('sha256').update(f.get('code_verifier')!).digest('base64url') === issued.challenge;
        if (!issued || !verifierOk || f.get('redirect_uri') !== issued.redirectUri || f.get('client_id') !== 'kiro-client') {
          return json(res, 400, { error: 'invalid_grant' });
        }
        return json(res, 200, { access_token: 'access', refresh_token: 'refresh', token_type: 'Bearer', expires_in: 3600 });
      }
      json(res, 404, {});
    });
    const logger = createMemoryLogger();
    const tokens = await runLogin({
      authorizationEndpoint: `${origin}/authorize`,
      tokenEndpoint: `${origin}/token`,
      clientId: 'kiro-client',
      scopes: ['openid', 'offline_access'],
      resource: 'https://gw.example/mcp',
      host: '127.0.0.1',
      port: 0,
      logger,
      timeoutMs: 5000,
      opener: async (url) => {
        await (await fetch(url)).text(); // a "browser" that follows the redirect to the callback
      },
    });
    assert.equal(tokens.access_token, 'access');
    assert.equal(tokens.refresh_token, 'refresh');
    assert.equal(authorizeQuery.get('response_type'), 'code');
    assert.equal(authorizeQuery.get('code_challenge_method'), 'S256');
    assert.equal(authorizeQuery.get('scope'), 'openid offline_access');
    assert.equal(authorizeQuery.get('prompt'), 'consent');
    assert.equal(authorizeQuery.get('resource'), 'https://gw.example/mcp');
    assert.match(authorizeQuery.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
    assert.ok(logger.lines.some((l) => l.startsWith('Open this URL to sign in: ') && l.includes('/authorize?')));
  });

  test('openBrowser always prints the URL and hands it to $BROWSER', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aca-browser-'));
    const saved = process.env.BROWSER;
    try {
      const out = join(dir, 'opened.txt');
      const script = join(dir, 'browser.sh');
      await writeFile(script, `#!/bin/sh\nprintf '%s' "$1" > "${out}"\n`);
      await chmod(script, 0o755);
      process.env.BROWSER = script;
      const logger = createMemoryLogger();
      const url = 'http://127.0.0.1:1/authorize?client_id=a&state=b';
      await openBrowser(url, { logger });
      assert.deepEqual(logger.lines, [`Open this URL to sign in: ${url}`]);
      let opened = '';
      for (let i = 0; i < 100 && !opened; i++) {
        opened = await readFile(out, 'utf8').catch(() => '');
        if (!opened) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(opened, url);
    } finally {
      if (saved === undefined) delete process.env.BROWSER;
      else process.env.BROWSER = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
