/**
 * Transport rules (src/core/net.ts, src/core/http.ts): a credential (bearer, code, verifier, refresh token,
 * initial or registration access token) travels over https, or over plain http only to a literal loopback
 * host. Refusals happen before a byte is sent: the URLs below use TEST-NET-1 (192.0.2.1, RFC 5737), which
 * nothing answers, so a request that was really sent would hang until its timeout instead of failing at once.
 * Response bodies are read through one bounded reader.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import { CliError, ExitCode, UsageError } from '../../src/core/errors.js';
import { MAX_RESPONSE_BYTES, getJson, httpFetch, readJsonBody, readText } from '../../src/core/http.js';
import { isLoopbackHost, isLoopbackUrl, isSecureTransportUrl, requireSecureUrl } from '../../src/core/net.js';
import { checkForgedTokens } from '../../src/checks/forged.js';
import { checkMcpCalls } from '../../src/checks/mcp.js';
import { parseUrl } from '../../src/flows/answers.js';
import { loadTeamProfile, validateTeamProfile } from '../../src/flows/team-profile.js';
import { fetchProtectedResourceMetadata } from '../../src/oauth/discovery.js';
import { deleteClient, readClient, registerClient } from '../../src/oauth/registration.js';
import { exchangeCode, refreshTokens, revokeToken } from '../../src/oauth/tokens.js';
import { normaliseIssuer } from '../../providers/oidc/adapter.js';
import { normaliseOrgUrl } from '../../providers/okta/api.js';
import { isLoopbackDomain, normaliseAuth0Issuer } from '../../providers/auth0/adapter.js';

/** Nothing listens there: a request that is really sent hangs. */
const REMOTE_HTTP = 'http://192.0.2.1';
/** Long enough that a request really sent to REMOTE_HTTP shows as a timeout, not a quick refusal. */
const SLOW = 3_000;
/** A refusal before sending takes well under this. */
const AT_ONCE = 1_000;

const servers: Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

/** A server whose body never ends (or is merely huge): it writes as fast as the client reads. */
async function endless(opts: { contentLength?: number } = {}): Promise<string> {
  const { origin } = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...(opts.contentLength ? { 'content-length': String(opts.contentLength) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    res.write('{"a":"');
    let open = true;
    res.on('close', () => (open = false));
    const pump = () => {
      while (open && res.write(chunk));
      if (open) res.once('drain', pump);
    };
    pump();
  });
  return origin;
}

async function refusedAtOnce(p: Promise<unknown>, what: string): Promise<CliError> {
  const started = Date.now();
  let caught: unknown;
  await p.catch((err: unknown) => (caught = err));
  assert.ok(caught instanceof CliError, `${what}: expected a CliError, got ${String(caught)}`);
  assert.equal(caught.code, 'insecure_transport', `${what}: ${caught.message}`);
  assert.ok(Date.now() - started < AT_ONCE, `${what}: refused at once, not after a network attempt (${Date.now() - started} ms)`);
  assert.match(caught.message, /plain http to 192\.0\.2\.1/);
  assert.match(caught.fix ?? '', /https/);
  return caught;
}

describe('transport: what counts as this machine', () => {
  test('literal loopback only: localhost, 127.0.0.0/8, ::1', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.9.8.7', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', 'gw.localhost', 'localhost.evil.example', '127.0.0.1.nip.io', 'evil.example.com', '10.0.0.1', '::', '[::]', '']) {
      assert.equal(isLoopbackHost(h), false, h);
    }
    assert.equal(isLoopbackUrl('http://gw.localhost:8080/mcp'), false);
    assert.equal(isLoopbackUrl('http://127.0.0.1:8080/mcp'), true);
  });

  test('isSecureTransportUrl: https anywhere, http to loopback only, nothing else', () => {
    for (const u of ['https://gw.example.com/mcp', 'http://127.0.0.1:4000/mcp', 'http://localhost/x', 'http://[::1]:9/', 'http://u:p@127.0.0.1/', new URL('https://x.example')]) {
      assert.equal(isSecureTransportUrl(u), true, String(u));
    }
    for (const u of ['http://0.0.0.0:4000/mcp', 'http://evil.example.com/mcp', 'http://gw.localhost/mcp', 'http://192.0.2.1/token', 'ftp://localhost/', 'not a url', 'file:///etc/passwd']) {
      assert.equal(isSecureTransportUrl(u), false, String(u));
    }
  });

  test('requireSecureUrl: a usage error (exit 2) that names where the value came from and gives the https fix, without the password', () => {
    assert.equal(requireSecureUrl('https://gw.example.com/mcp', '--gateway-url'), 'https://gw.example.com/mcp');
    assert.equal(requireSecureUrl('http://127.0.0.1:9/mcp', '--gateway-url'), 'http://127.0.0.1:9/mcp');
    assert.throws(
      () => requireSecureUrl('http://admin:s3cretpass@0.0.0.0:4000/mcp', '--gateway-url'),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.equal(err.exitCode, ExitCode.usage);
        assert.match(err.message, /^--gateway-url http:\/\/0\.0\.0\.0:4000\/mcp is plain http/);
        assert.equal(err.fix?.startsWith('Use https://0.0.0.0:4000/mcp'), true, err.fix);
        assert.doesNotMatch(`${err.message} ${err.fix}`, /s3cretpass|admin/);
        return true;
      },
    );
  });

  test('--gateway-url, --issuer and --endpoint-url: plain http off loopback is a usage error naming the flag', () => {
    for (const flag of ['--gateway-url', '--issuer', '--endpoint-url']) {
      assert.throws(() => parseUrl('http://0.0.0.0:4000/mcp', flag), (err: unknown) => err instanceof UsageError && err.message.startsWith(`${flag} `) && /https:\/\//.test(err.fix ?? ''));
    }
    assert.equal(parseUrl('http://127.0.0.1:4000/mcp', '--gateway-url'), 'http://127.0.0.1:4000/mcp');
    assert.throws(() => parseUrl('ftp://idp.example.com', '--issuer'), UsageError);
  });

  test('a team profile: gatewayUrl, issuer and resource over plain http to another host are refused, naming the field', () => {
    const base = { version: 1, gatewayUrl: 'https://gw.example.com/mcp', clientId: 'c', scopes: ['openid'], callbackPort: 3334, serverName: 'gateway-tools', mcpRemoteArgs: [] };
    assert.equal(validateTeamProfile(base, 'p.json').gatewayUrl, 'https://gw.example.com/mcp');
    assert.equal(validateTeamProfile({ ...base, gatewayUrl: 'http://127.0.0.1:5/mcp', issuer: 'http://localhost:4/' }, 'p.json').issuer, 'http://localhost:4/');
    for (const [field, value] of [
      ['gatewayUrl', 'http://evil.example.com/mcp'],
      ['gatewayUrl', 'http://0.0.0.0:4000/mcp'],
      ['gatewayUrl', 'http://gw.localhost:4000/mcp'],
      ['issuer', 'http://idp.evil.example.com'],
      ['resource', 'http://evil.example.com/mcp'],
    ] as const) {
      assert.throws(
        () => validateTeamProfile({ ...base, [field]: value }, 'p.json'),
        (err: unknown) => err instanceof UsageError && err.message.includes(`"${field}"`) && /plain http/.test(err.message) && /https:\/\//.test(err.fix ?? ''),
        `${field} ${value}`,
      );
    }
  });

  test('the IdP adapters share the rule: OIDC issuer, Okta org URL, Auth0 domain and issuer', () => {
    assert.equal(normaliseIssuer('http://127.0.0.1:4000/'), 'http://127.0.0.1:4000/');
    for (const issuer of ['http://idp.example.com/realms/x', 'http://0.0.0.0:4000', 'http://idp.localhost:4000']) {
      assert.throws(() => normaliseIssuer(issuer), (err: unknown) => err instanceof CliError && err.code === 'usage', issuer);
    }
    assert.throws(() => normaliseOrgUrl('http://acme.okta.com', 'OKTA_ORG_URL'), UsageError);
    assert.throws(() => normaliseOrgUrl('http://0.0.0.0:8080', 'OKTA_ORG_URL'), UsageError);
    assert.equal(normaliseOrgUrl('http://127.0.0.1:8080', 'OKTA_ORG_URL'), 'http://127.0.0.1:8080');
    assert.equal(isLoopbackDomain('tenant.localhost:4000'), false);
    assert.equal(isLoopbackDomain('127.0.0.1:4000'), true);
    assert.throws(() => normaliseAuth0Issuer('http://tenant.auth0.com/'), UsageError);
    assert.throws(() => normaliseAuth0Issuer('ftp://localhost/'), UsageError);
  });
});

describe('transport: the HTTP sink refuses a credential over plain http to another machine, before sending', () => {
  test('an Authorization header, a request marked secret, or a form carrying a code', async () => {
    await refusedAtOnce(httpFetch(`${REMOTE_HTTP}/mcp`, { headers: { authorization: 'Bearer abc' } }, { timeoutMs: SLOW }), 'Authorization header');
    await refusedAtOnce(httpFetch(`${REMOTE_HTTP}/x`, { method: 'POST', body: '{}' }, { timeoutMs: SLOW, secret: true }), 'secret: true');
    await refusedAtOnce(
      httpFetch(`${REMOTE_HTTP}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c0de', code_verifier: 'v' }) }, { timeoutMs: SLOW }),
      'form with a code',
    );
  });

  test('a token endpoint named by AS metadata at http://<remote> never gets the code or verifier; refresh, revocation likewise', async () => {
    const err = await refusedAtOnce(
      exchangeCode({ tokenEndpoint: `${REMOTE_HTTP}/token`, clientId: 'c', code: 'the-code', redirectUri: 'http://localhost:3334/oauth/callback', verifier: 'the-verifier' }, { timeoutMs: SLOW }),
      'code exchange',
    );
    assert.match(err.message, /authorization code exchange/);
    await refusedAtOnce(refreshTokens({ tokenEndpoint: `${REMOTE_HTTP}/token`, clientId: 'c', refreshToken: 'rt' }, { timeoutMs: SLOW }), 'refresh');
    await refusedAtOnce(revokeToken({ revocationEndpoint: `${REMOTE_HTTP}/revoke`, clientId: 'c', token: 'rt', tokenTypeHint: 'refresh_token' }, { timeoutMs: SLOW }), 'revocation');
  });

  test('RFC 7591/7592: an initial access token or a registration access token is not sent over plain http to another machine', async () => {
    await refusedAtOnce(
      registerClient({ registrationEndpoint: `${REMOTE_HTTP}/register`, metadata: { client_name: 'x', redirect_uris: ['http://localhost:3334/oauth/callback'] }, initialAccessToken: 'iat' }, { timeoutMs: SLOW }),
      'registration with an initial access token',
    );
    await refusedAtOnce(readClient({ registrationClientUri: `${REMOTE_HTTP}/reg/1`, registrationAccessToken: 'rat' }, { timeoutMs: SLOW }), 'RFC 7592 read');
    await refusedAtOnce(deleteClient({ registrationClientUri: `${REMOTE_HTTP}/reg/1`, registrationAccessToken: 'rat' }, { timeoutMs: SLOW }), 'RFC 7592 delete');
  });

  test('a loopback token endpoint that redirects (307) to plain http elsewhere does not get the code replayed there', async () => {
    const { origin, seen } = await serve((_req, res) => res.writeHead(307, { location: `${REMOTE_HTTP}/token` }).end());
    const err = await refusedAtOnce(
      exchangeCode({ tokenEndpoint: `${origin}/token`, clientId: 'c', code: 'the-code', redirectUri: 'http://localhost:3334/oauth/callback', verifier: 'the-verifier' }, { timeoutMs: SLOW }),
      'redirected exchange',
    );
    assert.match(err.message, /a redirect from 127\.0\.0\.1/);
    assert.equal(seen.length, 1, 'no retry of a refused redirect');
  });

  test('redirects to allowed places are still followed: 307 keeps the form, another origin does not get the Authorization header', async () => {
    const target = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'at-from-target', token_type: 'Bearer' }));
    });
    const hop = await serve((_req, res) => res.writeHead(307, { location: `${target.origin}/token` }).end());
    const tokens = await exchangeCode({ tokenEndpoint: `${hop.origin}/token`, clientId: 'c', code: 'the-code', redirectUri: 'http://localhost:3334/oauth/callback', verifier: 'v' }, { timeoutMs: SLOW });
    assert.equal(tokens.access_token, 'at-from-target');
    assert.equal(target.seen[0]?.method, 'POST');
    assert.match(target.seen[0]?.body ?? '', /code=the-code/);

    const res = await httpFetch(`${hop.origin}/mcp`, { method: 'POST', headers: { authorization: 'Bearer abc' }, body: '{}' }, { timeoutMs: SLOW });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(target.seen[1]?.authorization, undefined, 'the bearer stays with the origin it was meant for');
  });

  test('the MCP SDK transport and the forged-token probes refuse a plain-http gateway on another host at once', async () => {
    const started = Date.now();
    const mcp = await checkMcpCalls({ gatewayUrl: `${REMOTE_HTTP}/mcp`, accessToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', timeoutMs: SLOW });
    assert.equal(mcp[0]?.id, 'mcp-initialize');
    assert.equal(mcp[0]?.status, 'fail');
    assert.match(mcp[0]?.finding ?? '', /Refusing to send the access token over plain http to 192\.0\.2\.1/);
    const forged = await checkForgedTokens({ gatewayUrl: `${REMOTE_HTTP}/mcp`, issuer: 'https://idp.example.com', clientId: 'c', timeoutMs: SLOW });
    const sent = forged.filter((c) => c.status !== 'skip');
    assert.ok(sent.length >= 3, JSON.stringify(forged));
    for (const c of sent) assert.match(c.finding, /Refusing to send a credential .*over plain http to 192\.0\.2\.1/, c.id);
    assert.ok(Date.now() - started < SLOW, `refused at once (${Date.now() - started} ms)`);
  });
});

describe('transport: response bodies are bounded', () => {
  test('readText stops an endless body at the limit with a CliError naming the URL (no query)', async () => {
    const origin = await endless();
    const res = await fetch(`${origin}/meta?state=abc`);
    await assert.rejects(readText(res), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.code, 'response_too_large');
      assert.ok(err.message.startsWith(`${origin}/meta answered with more than 1024 KiB`), err.message);
      return true;
    });
    assert.equal(MAX_RESPONSE_BYTES, 1024 * 1024);
  });

  test('a declared Content-Length past the limit is refused without reading', async () => {
    const origin = await endless({ contentLength: 50 * 1024 * 1024 });
    await assert.rejects(readText(await fetch(`${origin}/x`)), (err: unknown) => err instanceof CliError && err.code === 'response_too_large');
  });

  test('getJson, readJsonBody (token and error bodies) and discovery stop at the limit', async () => {
    const origin = await endless();
    await assert.rejects(getJson(`${origin}/jwks`, { timeoutMs: 10_000 }), (err: unknown) => err instanceof CliError && err.code === 'response_too_large' && err.message.includes(`${origin}/jwks`));
    await assert.rejects(readJsonBody(await fetch(`${origin}/token`)), (err: unknown) => err instanceof CliError && err.code === 'response_too_large');
    await assert.rejects(
      exchangeCode({ tokenEndpoint: `${origin}/token`, clientId: 'c', code: 'x', redirectUri: 'http://localhost:1/oauth/callback', verifier: 'v' }, { timeoutMs: 10_000 }),
      (err: unknown) => err instanceof CliError && err.code === 'response_too_large',
    );
    const prm = await fetchProtectedResourceMetadata(`${origin}/mcp`, `${origin}/.well-known/oauth-protected-resource`, { timeoutMs: 10_000 }).then(
      (r) => JSON.stringify(r),
      (err: Error & { attempts?: unknown }) => `${err.message} ${JSON.stringify(err.attempts ?? '')}`,
    );
    assert.match(prm, /more than 1024 KiB/);
  });

  test('a team profile fetched from a URL is read no further than the limit', async () => {
    const origin = await endless();
    await assert.rejects(loadTeamProfile(`${origin}/agentcore-auth.team.json`, '/'), (err: unknown) => err instanceof CliError && err.code === 'response_too_large' && err.message.includes(origin));
  });

  test('a small body is read as Response.text() reads it (UTF-8, byte-order mark dropped)', async () => {
    const { origin } = await serve((_req, res) => res.writeHead(200).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"é"}')])));
    assert.deepEqual(await readJsonBody(await fetch(origin)), { name: 'é' });
  });
});
