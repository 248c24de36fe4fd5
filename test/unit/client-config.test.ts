/**
 * checkClientConfig against real files: a Kiro mcp.json in a temp HOME, mcp-remote's cache next to it, real
 * listeners on the callback port. The correct entry (exactly what init writes) passes; each fault, one at a
 * time, gives the right status on the right check id, and no token value ever appears in the output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildKiroEntry, type KiroEntry } from '../../src/clients/kiro.js';
import { mcpRemoteCacheDir, mcpRemoteServerHash } from '../../src/clients/mcp-remote.js';
import { checkClientConfig, parseMcpRemoteEntry, type ClientConfigInput } from '../../src/checks/client-config.js';
import type { CheckResult, CheckStatus } from '../../src/checks/types.js';

const GW = 'https://gw-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp';
const ISSUER = 'https://idp.example.test/oauth2/default';
const CLIENT = '0oa-the-right-client';
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const SERVER = 'gateway-tools';

let root: string;
let n = 0;
const listeners: Array<Server | HttpServer> = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-client-config-'));
});
after(async () => {
  await Promise.all(listeners.map((s) => new Promise<void>((r) => s.close(() => r()))));
  await rm(root, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Setup {
  home: string;
  configPath: string;
  port: number;
  entry: KiroEntry;
  input: ClientConfigInput;
  cacheDir: string;
  hash: string;
}

/** A fresh HOME with the entry init writes (npx next to this node, PATH and HOME in env). */
async function setup(): Promise<Setup> {
  const home = join(root, `home-${++n}`);
  await mkdir(join(home, '.kiro', 'settings'), { recursive: true });
  const port = await freePort();
  const entry = buildKiroEntry({ serverName: SERVER, gatewayUrl: GW, callbackPort: port, clientId: CLIENT, scopes: SCOPES, nodeBinDir: dirname(process.execPath), home });
  const configPath = join(home, '.kiro', 'settings', 'mcp.json');
  await writeConfig(configPath, entry);
  return {
    home,
    configPath,
    port,
    entry,
    cacheDir: mcpRemoteCacheDir({ HOME: home }),
    hash: mcpRemoteServerHash(GW),
    input: { configPath, serverName: SERVER, gatewayUrl: GW, clientId: CLIENT, scopes: SCOPES, callbackPort: port, issuer: ISSUER, env: { HOME: home } },
  };
}

async function writeConfig(path: string, entry: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify({ mcpServers: { other: { command: 'uvx', args: ['x'] }, [SERVER]: entry } }, null, 2)}\n`);
}

/** The entry with its args changed by `fn` (a copy). */
function withArgs(entry: KiroEntry, fn: (args: string[]) => string[]): KiroEntry {
  return { ...entry, args: fn([...entry.args]) };
}

function setArg(args: string[], flag: string, value: string): string[] {
  const i = args.indexOf(flag);
  args[i + 1] = value;
  return args;
}

async function run(s: Setup, entry?: unknown, extra: Partial<ClientConfigInput> = {}): Promise<CheckResult[]> {
  if (entry !== undefined) await writeConfig(s.configPath, entry);
  return checkClientConfig({ ...s.input, ...extra });
}

function get(checks: CheckResult[], id: string): CheckResult {
  const c = checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id}`);
  return c;
}

function expect(checks: CheckResult[], id: string, status: CheckStatus, finding?: RegExp): CheckResult {
  const c = get(checks, id);
  const all = checks.map((x) => `${x.id}: ${x.status} - ${x.finding}${x.fix ? ` [fix: ${x.fix}]` : ''}`).join('\n');
  assert.equal(c.status, status, `${id} should be ${status}:\n${all}`);
  if (finding) assert.match(c.finding, finding, all);
  if (status === 'warn' || status === 'fail') assert.ok(c.fix, `${id} has a fix`);
  assert.equal(c.stage, 'config');
  return c;
}

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}
/** A JWT-shaped token (unsigned: the cache check only reads claims). */
function jwt(payload: Record<string, unknown>): string {
  return `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })}.${b64(payload)}.${'s'.repeat(86)}`;
}

async function writeCache(s: Setup, files: Record<string, unknown>, mode = 0o600): Promise<string[]> {
  await mkdir(s.cacheDir, { recursive: true });
  const paths: string[] = [];
  for (const [suffix, body] of Object.entries(files)) {
    const p = join(s.cacheDir, `${s.hash}_${suffix}.json`);
    await writeFile(p, JSON.stringify(body), { mode });
    await chmod(p, mode);
    paths.push(p);
  }
  return paths;
}

const now = Math.floor(Date.now() / 1000);
const goodAccess = () => jwt({ iss: ISSUER, sub: 'alice', aud: 'api://default', cid: CLIENT, scp: ['openid'], iat: now, exp: now + 3600 });

describe('checkClientConfig: the correct entry', () => {
  test('what init writes passes every check', async () => {
    const s = await setup();
    const checks = await run(s, undefined, { registeredRedirectUris: [`http://localhost:${s.port}/oauth/callback`] });
    assert.deepEqual(checks.map((c) => c.id), ['client-entry', 'redirect-uri', 'callback-port', 'mcp-remote-cache']);
    expect(checks, 'client-entry', 'pass');
    expect(checks, 'redirect-uri', 'pass');
    expect(checks, 'callback-port', 'pass', new RegExp(`Port ${s.port} is free`));
    expect(checks, 'mcp-remote-cache', 'pass', /No cached login.*first tool call opens the browser/);
  });

  test('a fresh cached login of this client passes too', async () => {
    const s = await setup();
    await writeCache(s, { tokens: { access_token: goodAccess(), refresh_token: 'opaque-refresh-token-value-123456', token_type: 'Bearer', expires_at: Date.now() + 3_600_000 }, client_info: { client_id: CLIENT, redirect_uris: [] } });
    expect(await run(s), 'mcp-remote-cache', 'pass', /access token valid for/);
  });

  test('parseMcpRemoteEntry reads the command line as mcp-remote does', async () => {
    const s = await setup();
    const p = await parseMcpRemoteEntry(s.entry as unknown as Record<string, unknown>);
    assert.equal(p.runsMcpRemote, true);
    assert.equal(p.version, '0.15.1');
    assert.equal(p.serverUrl, GW);
    assert.equal(p.specifiedPort, s.port);
    assert.equal(p.host, 'localhost');
    assert.deepEqual(p.clientInfo, { kind: 'ok', clientId: CLIENT });
    assert.deepEqual(p.clientMetadata, { kind: 'ok', scope: SCOPES.join(' ') });
    assert.equal(p.hash, mcpRemoteServerHash(GW));
  });
});

describe('checkClientConfig: client-entry faults', () => {
  test('the gateway URL without /mcp, or with a trailing slash, is another server', async () => {
    const s = await setup();
    const noMcp = await run(s, withArgs(s.entry, (a) => a.map((x) => (x === GW ? GW.replace(/\/mcp$/, '') : x))));
    expect(noMcp, 'client-entry', 'fail', /lacks the \/mcp path/);
    const slash = await run(s, withArgs(s.entry, (a) => a.map((x) => (x === GW ? `${GW}/` : x))));
    expect(slash, 'client-entry', 'fail', /trailing slash/);
    const other = await run(s, withArgs(s.entry, (a) => a.map((x) => (x === GW ? 'https://gw-other.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp' : x))));
    expect(other, 'client-entry', 'fail', /gw-other.* instead of gw-abc/);
  });

  test('a callback port other than the registered one fails', async () => {
    const s = await setup();
    const checks = await run(s, withArgs(s.entry, (a) => a.map((x) => (x === String(s.port) ? String(s.port + 1) : x))));
    expect(checks, 'client-entry', 'fail', new RegExp(`port in the entry is ${s.port + 1}, not ${s.port}`));
  });

  test('another client id fails, naming both', async () => {
    const s = await setup();
    const checks = await run(s, withArgs(s.entry, (a) => setArg(a, '--static-oauth-client-info', JSON.stringify({ client_id: '0oa-someone-else' }))));
    const c = expect(checks, 'client-entry', 'fail', /signs in as client 0oa-someone-else, not 0oa-the-right-client/);
    assert.match(c.fix!, /0oa-the-right-client/);
  });

  test('client info that is not JSON, or missing, fails', async () => {
    const s = await setup();
    expect(await run(s, withArgs(s.entry, (a) => setArg(a, '--static-oauth-client-info', "{client_id: 'x'}"))), 'client-entry', 'fail', /cannot be read \(not valid JSON\)/);
    expect(await run(s, withArgs(s.entry, (a) => a.filter((x, i) => x !== '--static-oauth-client-info' && a[i - 1] !== '--static-oauth-client-info'))), 'client-entry', 'fail', /dynamic client registration/);
  });

  test('a scope without offline_access warns (no refresh); a missing required scope fails', async () => {
    const s = await setup();
    expect(await run(s, withArgs(s.entry, (a) => setArg(a, '--static-oauth-client-metadata', JSON.stringify({ scope: 'openid profile email' })))), 'client-entry', 'warn', /lacks offline_access/);
    expect(await run(s, withArgs(s.entry, (a) => setArg(a, '--static-oauth-client-metadata', JSON.stringify({ scope: 'openid offline_access' })))), 'client-entry', 'fail', /lacks profile, email/);
  });

  test('no --host warns (Windows would use 127.0.0.1)', async () => {
    const s = await setup();
    const checks = await run(s, withArgs(s.entry, (a) => a.filter((x, i) => x !== '--host' && a[i - 1] !== '--host')));
    expect(checks, 'client-entry', 'warn', /No --host.*127\.0\.0\.1/);
  });

  test('an unpinned or different mcp-remote warns', async () => {
    const s = await setup();
    expect(await run(s, withArgs(s.entry, (a) => a.map((x) => (x === 'mcp-remote@0.15.1' ? 'mcp-remote' : x)))), 'client-entry', 'warn', /not pinned/);
    expect(await run(s, withArgs(s.entry, (a) => a.map((x) => (x === 'mcp-remote@0.15.1' ? 'mcp-remote@latest' : x)))), 'client-entry', 'warn', /not pinned/);
    expect(await run(s, withArgs(s.entry, (a) => a.map((x) => (x === 'mcp-remote@0.15.1' ? 'mcp-remote@0.1.16' : x)))), 'client-entry', 'warn', /runs mcp-remote 0\.1\.16/);
  });

  test('a disabled entry warns', async () => {
    const s = await setup();
    expect(await run(s, { ...s.entry, disabled: true }), 'client-entry', 'warn', /disabled/);
  });

  test('an env without HOME warns; without PATH it warns (and fails when node is not on the default path)', async () => {
    const s = await setup();
    const { HOME: _h, ...noHome } = s.entry.env;
    expect(await run(s, { ...s.entry, env: noHome }), 'client-entry', 'warn', /env has no HOME/);
    const { PATH: _p, ...noPath } = s.entry.env;
    const nodeOnDefaultPath = existsSync('/usr/bin/node') || existsSync('/bin/node');
    const c = expect(await run(s, { ...s.entry, env: noPath }), 'client-entry', nodeOnDefaultPath ? 'warn' : 'fail', /no PATH/);
    if (!nodeOnDefaultPath) assert.match(c.finding, /node is not on/);
  });

  test('a command that does not exist, or is not on the entry PATH, fails', async () => {
    const s = await setup();
    expect(await run(s, { ...s.entry, command: join(s.home, 'no-such-dir', 'npx') }), 'client-entry', 'fail', /does not exist or is not executable: Kiro cannot start/);
    expect(await run(s, { ...s.entry, command: 'definitely-not-a-command-xyz' }), 'client-entry', 'fail', /not on the entry's env\.PATH/);
  });

  test('a file that does not parse fails with file and line, never its content', async () => {
    const s = await setup();
    await writeFile(s.configPath, '{\n  "mcpServers": {\n    "x": { "env": { "API_KEY": "sk-live-very-secret-value" }, }\n  }\n}\n');
    const checks = await checkClientConfig(s.input);
    const c = expect(checks, 'client-entry', 'fail', /mcp\.json is not valid JSON \(line 3, column/);
    assert.ok(!JSON.stringify(checks).includes('sk-live-very-secret-value'), 'the file content is not echoed');
    assert.ok(c.finding.includes(s.configPath));
  });

  test('a missing entry fails with the exact JSON to add', async () => {
    const s = await setup();
    await writeFile(s.configPath, JSON.stringify({ mcpServers: { other: { command: 'uvx' } } }));
    const c = expect(await checkClientConfig(s.input), 'client-entry', 'fail', /has no mcpServers\."gateway-tools" entry/);
    assert.match(c.fix!, /agentcore-auth init/);
    const json = /add under "mcpServers" in .*?: (\{.*\})$/.exec(c.fix!)?.[1];
    assert.ok(json, c.fix);
    assert.deepEqual(JSON.parse(json), { [SERVER]: s.entry });
  });
});

describe('checkClientConfig: redirect-uri', () => {
  const cases: Array<[string, (port: number) => string, CheckStatus, RegExp]> = [
    ['/callback instead of /oauth/callback', (p) => `http://localhost:${p}/callback`, 'fail', /path \/callback instead of \/oauth\/callback/],
    ['127.0.0.1 instead of localhost', (p) => `http://127.0.0.1:${p}/oauth/callback`, 'fail', /host 127\.0\.0\.1 instead of localhost/],
    ['https instead of http', (p) => `https://localhost:${p}/oauth/callback`, 'fail', /https instead of http/],
    ['a trailing slash', (p) => `http://localhost:${p}/oauth/callback/`, 'fail', /a trailing slash/],
    ['/callback on another port', (p) => `http://localhost:${p + 7}/callback`, 'fail', /port \d+ instead of \d+ and path \/callback/],
    // RFC 8252 loopback: some IdPs ignore the port, Okta, Cognito and Auth0 do not
    ['only another port', (p) => `http://localhost:${p + 7}/oauth/callback`, 'warn', /registered only with another port.*Okta, Cognito and Auth0 refuse/],
  ];
  for (const [name, registered, status, why] of cases) {
    test(`registered with ${name}: ${status} and says so`, async () => {
      const s = await setup();
      const c = expect(await run(s, undefined, { registeredRedirectUris: [registered(s.port), 'https://app.example.test/signin'] }), 'redirect-uri', status, why);
      assert.ok(c.fix!.includes(`http://localhost:${s.port}/oauth/callback`), c.fix);
    });
  }
  test('only another port, at an IdP that compares the whole URI (Okta, Cognito, Auth0): a failure naming the IdP', async () => {
    for (const [provider, name] of [['okta', 'Okta'], ['cognito', 'Amazon Cognito'], ['auth0', 'Auth0']] as const) {
      const s = await setup();
      const c = expect(await run(s, undefined, { registeredRedirectUris: [`http://localhost:${s.port + 7}/oauth/callback`], provider }), 'redirect-uri', 'fail', new RegExp(`${name} compares the whole redirect URI, port included`));
      assert.ok(c.fix!.includes(`http://localhost:${s.port}/oauth/callback`));
    }
  });

  test('unknown registered URIs: skip; an empty list: fail', async () => {
    const s = await setup();
    expect(await run(s), 'redirect-uri', 'skip');
    expect(await run(s, undefined, { registeredRedirectUris: [] }), 'redirect-uri', 'fail', /no redirect URIs/);
  });
});

describe('checkClientConfig: callback-port', () => {
  function holdTcp(port: number, host = '127.0.0.1'): Promise<Server> {
    return new Promise((resolve, reject) => {
      const srv = createServer((sock) => sock.destroy());
      srv.once('error', reject);
      srv.listen(port, host, () => {
        listeners.push(srv);
        resolve(srv);
      });
    });
  }
  function holdLikeMcpRemote(port: number, hash: string): Promise<HttpServer> {
    return new Promise((resolve, reject) => {
      const srv = createHttpServer((req, res) => {
        if (req.url === '/.mcp-remote/id') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ mcpRemote: true, serverUrlHash: hash }));
        } else {
          res.writeHead(404).end();
        }
      });
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        listeners.push(srv);
        resolve(srv);
      });
    });
  }
  const close = (srv: Server | HttpServer) => new Promise<void>((r) => srv.close(() => r()));

  test('held by another program: fail, naming the address', async () => {
    const s = await setup();
    const srv = await holdTcp(s.port);
    try {
      expect(await run(s), 'callback-port', 'fail', new RegExp(`127\\.0\\.0\\.1:${s.port} is in use by another program`));
    } finally {
      await close(srv);
    }
  });

  test('held by mcp-remote for this server (a sign-in under way in Kiro): warn', async () => {
    const s = await setup();
    const srv = await holdLikeMcpRemote(s.port, s.hash);
    try {
      expect(await run(s), 'callback-port', 'warn', /held by mcp-remote for this very server/);
    } finally {
      await close(srv);
    }
  });

  test('held by mcp-remote for another server: fail (their sign-ins collide)', async () => {
    const s = await setup();
    const srv = await holdLikeMcpRemote(s.port, mcpRemoteServerHash('https://other.example.test/mcp'));
    try {
      expect(await run(s), 'callback-port', 'fail', /mcp-remote for another server/);
    } finally {
      await close(srv);
    }
  });

  test('busy on ::1 only: warn (a browser may deliver the sign-in there)', async (t) => {
    const s = await setup();
    let srv: Server;
    try {
      srv = await holdTcp(s.port, '::1');
    } catch {
      t.skip('no IPv6 loopback on this machine');
      return;
    }
    try {
      expect(await run(s), 'callback-port', 'warn', /\[::1\]:\d+ is in use/);
    } finally {
      await close(srv);
    }
  });
});

describe('checkClientConfig: mcp-remote-cache', () => {
  test('client_info for another client id: harmless beside --static-oauth-client-info (mcp-remote 0.15.1 never reads it); without it, fail stale with the rm command for exactly these files', async () => {
    const s = await setup();
    const files = await writeCache(s, { client_info: { client_id: '0oa-old-client', redirect_uris: [] } });
    // another server's file must not be named
    await writeFile(join(s.cacheDir, `${mcpRemoteServerHash('https://x.test/mcp')}_tokens.json`), '{}', { mode: 0o600 });
    const withStatic = get(await run(s), 'mcp-remote-cache');
    assert.notEqual(withStatic.status, 'fail', withStatic.finding);
    assert.doesNotMatch(withStatic.finding, /0oa-old-client/);

    const args = (s.entry as { args: string[] }).args;
    const at = args.indexOf('--static-oauth-client-info');
    assert.ok(at >= 0);
    const dynamic = { ...(s.entry as object), args: [...args.slice(0, at), ...args.slice(at + 2)] };
    const c = expect(await run(s, dynamic), 'mcp-remote-cache', 'fail', /client 0oa-old-client, not 0oa-the-right-client.*stale/);
    assert.equal(c.fix, `Delete this server's cached login: rm -f ${files.join(' ')} (then the next tool call in Kiro signs in again).`);
  });

  test('tokens with a JWT access token for another client: fail stale', async () => {
    const s = await setup();
    const access = jwt({ iss: ISSUER, cid: '0oa-old-client', exp: now + 600 });
    const refresh = 'opaque-refresh-abcdefghijklmnop';
    const checks = await (async () => {
      await writeCache(s, { tokens: { access_token: access, refresh_token: refresh, expires_at: Date.now() + 600_000 } });
      return run(s);
    })();
    expect(checks, 'mcp-remote-cache', 'fail', /issued to client 0oa-old-client \(cid\)/);
    const text = JSON.stringify(checks);
    assert.ok(!text.includes(access) && !text.includes(access.split('.')[1]!) && !text.includes(refresh), 'no token value in the output');
  });

  test('tokens from another issuer: fail stale', async () => {
    const s = await setup();
    await writeCache(s, { tokens: { access_token: jwt({ iss: 'https://old-idp.example.test', client_id: CLIENT, exp: now + 600 }), refresh_token: 'opaque-refresh-abcdefghijklmnop' } });
    expect(await run(s), 'mcp-remote-cache', 'fail', /issuer https:\/\/old-idp\.example\.test, not/);
  });

  test('an Entra v1 access token when the issuer is the v2 one: fail, naming the manifest setting', async () => {
    const s = await setup();
    const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    await writeCache(s, { tokens: { access_token: jwt({ iss: `https://sts.windows.net/${tid}/`, appid: CLIENT, ver: '1.0', exp: now + 600 }), refresh_token: 'opaque-refresh-abcdefghijklmnop' } });
    const c = expect(await run(s, undefined, { issuer: `https://login.microsoftonline.com/${tid}/v2.0` }), 'mcp-remote-cache', 'fail', /Entra v1 token/);
    assert.match(c.fix!, /requestedAccessTokenVersion/);
  });

  test('an expired JWT refresh token: warn (the browser opens again)', async () => {
    const s = await setup();
    const refresh = jwt({ iss: ISSUER, exp: now - 3 * 86400 });
    const checks = await (async () => {
      await writeCache(s, { tokens: { access_token: jwt({ iss: ISSUER, cid: CLIENT, exp: now - 60 }), refresh_token: refresh, expires_at: (now - 60) * 1000 } });
      return run(s);
    })();
    expect(checks, 'mcp-remote-cache', 'warn', /refresh token expired 3 days ago: mcp-remote will open the browser again at the next tool call/);
    assert.ok(!JSON.stringify(checks).includes(refresh));
  });

  test('tokens without a refresh token: warn', async () => {
    const s = await setup();
    await writeCache(s, { tokens: { access_token: goodAccess(), expires_at: Date.now() + 600_000 } });
    expect(await run(s), 'mcp-remote-cache', 'warn', /no refresh token/);
  });

  test('cache files readable by others (0644): warn with chmod', async () => {
    const s = await setup();
    await writeCache(s, { tokens: { access_token: goodAccess(), refresh_token: 'opaque-refresh-abcdefghijklmnop', expires_at: Date.now() + 600_000 } }, 0o644);
    const c = expect(await run(s), 'mcp-remote-cache', 'warn', /readable by others: .*_tokens\.json \(644\)/);
    assert.match(c.fix!, /^chmod 600 /);
  });

  test("the entry's MCP_REMOTE_CONFIG_DIR decides where the cache is", async () => {
    const s = await setup();
    const dir = join(s.home, 'elsewhere');
    const entry = { ...s.entry, env: { ...s.entry.env, MCP_REMOTE_CONFIG_DIR: dir } };
    await mkdir(join(dir, 'mcp-remote-v1'), { recursive: true });
    await writeFile(join(dir, 'mcp-remote-v1', `${s.hash}_tokens.json`), JSON.stringify({ access_token: jwt({ iss: ISSUER, cid: '0oa-old-client', exp: now + 600 }), refresh_token: 'opaque-refresh-abcdefghijklmnop' }), { mode: 0o600 });
    expect(await run(s, entry), 'mcp-remote-cache', 'fail', /0oa-old-client/);
  });
});
