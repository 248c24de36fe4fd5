import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  MCP_REMOTE_VERSION,
  buildMcpRemoteArgs,
  mcpRemoteCacheDir,
  mcpRemoteCacheFiles,
  mcpRemoteHashInputFromArgs,
  mcpRemoteRedirectUri,
  mcpRemoteScope,
  mcpRemoteServerHash,
  readMcpRemoteTokens,
  type McpRemoteHashOptions,
} from '../../src/clients/mcp-remote.js';

// dist/test/unit -> package root
const MCP_REMOTE_DIR = fileURLToPath(new URL('../../../node_modules/mcp-remote/', import.meta.url));

type ParseCommandLineArgs = (args: string[], usage: string) => Promise<{ serverUrlHash: string; callbackPort: number; host: string; staticOAuthClientInfo: unknown; staticOAuthClientMetadata: unknown; authorizeResource?: string; headers: Record<string, string> }>;

/** mcp-remote's own argument parser (it computes the hash), from whichever dist chunk exports it. */
async function loadMcpRemoteParser(): Promise<ParseCommandLineArgs> {
  const dist = join(MCP_REMOTE_DIR, 'dist');
  for (const name of (await readdir(dist)).filter((n) => /^chunk-.*\.js$/.test(n))) {
    const text = await readFile(join(dist, name), 'utf8');
    if (!text.includes('function getServerUrlHash(')) continue;
    const mod = (await import(pathToFileURL(join(dist, name)).href)) as { parseCommandLineArgs?: ParseCommandLineArgs };
    if (typeof mod.parseCommandLineArgs === 'function') return mod.parseCommandLineArgs;
  }
  throw new Error('mcp-remote parseCommandLineArgs not found in node_modules/mcp-remote/dist');
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-mcp-remote-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const GW = 'https://gw-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp';
const base = { gatewayUrl: GW, callbackPort: 33418, host: 'localhost' as const, clientId: '0oa1clientid', scopes: ['openid', 'profile', 'email', 'offline_access'] };

describe('buildMcpRemoteArgs', () => {
  test('pins the version, puts the port second, passes the static client and scope', () => {
    assert.equal(MCP_REMOTE_VERSION, '0.15.1');
    assert.deepEqual(buildMcpRemoteArgs({ ...base, extraArgs: ['--disable-resource-parameter'] }), [
      '-y',
      'mcp-remote@0.15.1',
      GW,
      '33418',
      '--host',
      'localhost',
      '--static-oauth-client-info',
      '{"client_id":"0oa1clientid"}',
      '--static-oauth-client-metadata',
      '{"scope":"openid profile email offline_access"}',
      '--disable-resource-parameter',
    ]);
    assert.throws(() => buildMcpRemoteArgs({ ...base, callbackPort: 0 }), RangeError);
  });

  test('the installed mcp-remote is the pinned version', async () => {
    const pkg = JSON.parse(await readFile(join(MCP_REMOTE_DIR, 'package.json'), 'utf8')) as { version: string };
    assert.equal(pkg.version, MCP_REMOTE_VERSION);
  });

  test('mcp-remote reads our args as intended (port, host, client id, scope)', async () => {
    const parse = await loadMcpRemoteParser();
    const args = buildMcpRemoteArgs(base).slice(2);
    const parsed = await parse([...args, '--silent'], 'usage');
    assert.equal(parsed.callbackPort, 33418);
    assert.equal(parsed.host, 'localhost');
    assert.deepEqual(parsed.staticOAuthClientInfo, { client_id: '0oa1clientid' });
    assert.deepEqual(parsed.staticOAuthClientMetadata, { scope: 'openid profile email offline_access' });
    assert.equal(mcpRemoteRedirectUri(33418), 'http://localhost:33418/oauth/callback');
  });
});

describe('mcp-remote server hash', () => {
  const cases: Array<{ label: string; extraArgs: string[]; opts: McpRemoteHashOptions }> = [
    { label: 'plain', extraArgs: [], opts: {} },
    { label: '--resource', extraArgs: ['--resource', 'https://gw.example/mcp'], opts: { resource: 'https://gw.example/mcp' } },
    { label: '--disable-resource-parameter wins over --resource', extraArgs: ['--resource', 'https://gw.example/mcp', '--disable-resource-parameter'], opts: {} },
    { label: 'headers (sorted, raw values)', extraArgs: ['--header', 'X-Zed: 1', '--header', 'Authorization:Bearer ${TOKEN}'], opts: { headers: { 'X-Zed': '1', Authorization: 'Bearer ${TOKEN}' } } },
    { label: 'authorize params', extraArgs: ['--authorize-param', 'audience=https://api.example.com', '--authorize-param', 'a=b=c'], opts: { authorizeParams: { audience: 'https://api.example.com', a: 'b=c' } } },
    {
      label: 'everything',
      extraArgs: ['--header', 'A: b', '--resource', 'https://r.example/x', '--authorize-param', 'k=v', '--client-metadata-url', 'https://cm.example/client.json'],
      opts: { headers: { A: 'b' }, resource: 'https://r.example/x', authorizeParams: { k: 'v' }, clientMetadataUrl: 'https://cm.example/client.json' },
    },
  ];

  for (const c of cases) {
    test(`equals mcp-remote's own hash: ${c.label}`, async () => {
      const parse = await loadMcpRemoteParser();
      const args = buildMcpRemoteArgs({ ...base, extraArgs: c.extraArgs });
      const theirs = (await parse([...args.slice(2), '--silent'], 'usage')).serverUrlHash;
      assert.equal(mcpRemoteServerHash(GW, c.opts), theirs);
      // ...and the options can be recovered from a config entry's args.
      const fromArgs = mcpRemoteHashInputFromArgs(args);
      assert.equal(fromArgs.serverUrl, GW);
      assert.equal(mcpRemoteServerHash(fromArgs.serverUrl!, fromArgs.opts), theirs);
    });
  }

  test('different servers and options get different hashes', () => {
    const a = mcpRemoteServerHash(GW);
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, mcpRemoteServerHash(GW + '/'));
    assert.notEqual(a, mcpRemoteServerHash(GW, { resource: GW }));
  });

  test('the real mcp-remote process writes its files under our cache dir with our hash', async () => {
    // A loopback port with nothing listening: mcp-remote starts, logs (with --debug) and gives up quickly.
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}/mcp`;
    const configDir = join(root, 'spawned');
    const args = buildMcpRemoteArgs({ ...base, gatewayUrl: url, extraArgs: ['--header', 'X-Trace: on', '--debug'] });
    const child = spawn(process.execPath, [join(MCP_REMOTE_DIR, 'dist', 'proxy.js'), ...args.slice(2)], {
      env: { PATH: process.env.PATH ?? '', HOME: join(root, 'home'), MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: 'true', DISPLAY: '' },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.stdin.end();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
    const env = { MCP_REMOTE_CONFIG_DIR: configDir };
    assert.equal(mcpRemoteCacheDir(env), join(configDir, 'mcp-remote-v1'));
    const hash = mcpRemoteServerHash(url, { headers: { 'X-Trace': 'on' } });
    const files = await mcpRemoteCacheFiles(url, { headers: { 'X-Trace': 'on' } }, env);
    assert.deepEqual(files, [join(configDir, 'mcp-remote-v1', `${hash}_debug.log`)]);
    assert.deepEqual(await mcpRemoteCacheFiles(url, {}, env), [], 'without the header it is another server');
  });
});

describe('mcp-remote cache', () => {
  test('cache dir: MCP_REMOTE_CONFIG_DIR, else $HOME/.mcp-auth, else the home folder', () => {
    assert.equal(mcpRemoteCacheDir({ MCP_REMOTE_CONFIG_DIR: '/x/y' }), '/x/y/mcp-remote-v1');
    assert.equal(mcpRemoteCacheDir({ HOME: '/home/dev' }), '/home/dev/.mcp-auth/mcp-remote-v1');
    assert.equal(mcpRemoteCacheDir({ MCP_REMOTE_CONFIG_DIR: '', HOME: '/home/dev' }), '/home/dev/.mcp-auth/mcp-remote-v1');
    assert.equal(mcpRemoteCacheDir({}), join(homedir(), '.mcp-auth', 'mcp-remote-v1'));
  });

  test("lists only this server's files and reads its tokens", async () => {
    const configDir = join(root, 'listing');
    const dir = join(configDir, 'mcp-remote-v1');
    await mkdir(dir, { recursive: true });
    const env = { MCP_REMOTE_CONFIG_DIR: configDir };
    const ours = mcpRemoteServerHash(GW);
    const other = mcpRemoteServerHash('https://other.example/mcp');
    const withResource = mcpRemoteServerHash(GW, { resource: GW });
    const ourNames = ['tokens.json', 'client_info.json', 'code_verifier_abc.txt', 'discovery_state_abc.json', 'refresh_in_progress.json'].map((n) => `${ours}_${n}`);
    for (const n of [...ourNames, `${other}_tokens.json`, `${withResource}_tokens.json`, 'unrelated.txt', `x${ours}_tokens.json`]) {
      await writeFile(join(dir, n), n.endsWith('tokens.json') ? JSON.stringify({ access_token: `at-${n}`, refresh_token: 'rt', expires_at: 1 }) : 'x');
    }
    assert.deepEqual(await mcpRemoteCacheFiles(GW, {}, env), ourNames.sort().map((n) => join(dir, n)));
    assert.deepEqual(await mcpRemoteCacheFiles(GW, { resource: GW }, env), [join(dir, `${withResource}_tokens.json`)]);

    const tokens = await readMcpRemoteTokens(GW, {}, env);
    assert.equal(tokens?.access_token, `at-${ours}_tokens.json`);
    assert.equal(tokens?.refresh_token, 'rt');
    assert.equal(await readMcpRemoteTokens('https://nobody.example/mcp', {}, env), null);
    await writeFile(join(dir, `${ours}_tokens.json`), 'not json');
    assert.equal(await readMcpRemoteTokens(GW, {}, env), null);

    assert.deepEqual(await mcpRemoteCacheFiles(GW, {}, { MCP_REMOTE_CONFIG_DIR: join(root, 'missing') }), []);
    assert.ok(existsSync(join(dir, `${other}_tokens.json`)), 'listing never touches files');
  });
});

describe('the scope mcp-remote asks for', () => {
  const AS_ALL = ['openid', 'profile', 'email', 'offline_access', 'mcp:invoke'];
  const cases: Array<{ name: string; entryScope?: string; prmScopes?: string[]; asScopes?: string[]; expect: string[]; from: string }> = [
    { name: "the entry's scope, exactly (nothing appended)", entryScope: 'openid mcp:invoke', prmScopes: ['mcp:invoke'], asScopes: AS_ALL, expect: ['openid', 'mcp:invoke'], from: 'entry' },
    { name: "no entry scope: the gateway's scopes_supported, with offline_access added", prmScopes: ['mcp:invoke'], asScopes: AS_ALL, expect: ['mcp:invoke', 'offline_access'], from: 'prm' },
    { name: 'no entry scope, no PRM scopes: every scope the authorization server lists', asScopes: AS_ALL, expect: AS_ALL, from: 'as' },
    { name: 'nothing lists scopes: the fallback "openid email profile"', expect: ['openid', 'email', 'profile'], from: 'fallback' },
    { name: 'PRM scopes, an AS without offline_access: nothing added', prmScopes: ['mcp:invoke'], asScopes: ['openid', 'mcp:invoke'], expect: ['mcp:invoke'], from: 'prm' },
  ];

  test('mcpRemoteScope follows mcp-remote 0.15.1 (unit table)', () => {
    for (const c of cases) {
      const r = mcpRemoteScope({ entryScope: c.entryScope, prmScopes: c.prmScopes, asScopes: c.asScopes });
      assert.deepEqual(r.scopes, c.expect, c.name);
      assert.equal(r.from, c.from, c.name);
    }
    assert.deepEqual(mcpRemoteScope({ prmScopes: [], asScopes: AS_ALL }).scopes, [], 'an empty scopes_supported means no scope parameter');
    assert.deepEqual(mcpRemoteScope({ entryScope: '  ', challengeScope: 'a b', asScopes: ['offline_access'] }), { scopes: ['a', 'b', 'offline_access'], from: 'challenge', addedOfflineAccess: true });
  });

  /** A gateway (401 + PRM) and an authorization server (metadata only) on loopback; mcp-remote's browser writes the URL to a file. */
  async function askedByRealMcpRemote(c: (typeof cases)[number], i: number): Promise<string[] | undefined> {
    const http = await import('node:http');
    const servers: import('node:http').Server[] = [];
    const listen = (handler: import('node:http').RequestListener) =>
      new Promise<number>((resolve) => {
        const s = http.createServer(handler);
        servers.push(s);
        s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
      });
    let asPort = 0;
    asPort = await listen((req, res) => {
      if (!req.url?.startsWith('/.well-known/')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ issuer: `http://127.0.0.1:${asPort}`, authorization_endpoint: `http://127.0.0.1:${asPort}/auth`, token_endpoint: `http://127.0.0.1:${asPort}/token`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'], ...(c.asScopes ? { scopes_supported: c.asScopes } : {}) }),
      );
    });
    let gwPort = 0;
    gwPort = await listen((req, res) => {
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resource: `http://127.0.0.1:${gwPort}/mcp`, authorization_servers: [`http://127.0.0.1:${asPort}`], ...(c.prmScopes ? { scopes_supported: c.prmScopes } : {}) }));
      }
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="http://127.0.0.1:${gwPort}/.well-known/oauth-protected-resource"` }).end('{}');
    });
    const dir = join(root, `scope-${i}`);
    await mkdir(dir, { recursive: true });
    const urlFile = join(dir, 'url.txt');
    const browser = join(dir, 'browser.sh');
    await writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > '${urlFile}'\n`, { mode: 0o755 });
    const callbackPort = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const args = [`http://127.0.0.1:${gwPort}/mcp`, String(callbackPort), '--static-oauth-client-info', JSON.stringify({ client_id: 'c1' }), ...(c.entryScope ? ['--static-oauth-client-metadata', JSON.stringify({ scope: c.entryScope })] : [])];
    const child = spawn(process.execPath, [join(MCP_REMOTE_DIR, 'dist', 'proxy.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: join(dir, 'home'), MCP_REMOTE_CONFIG_DIR: join(dir, 'cache'), BROWSER: browser, DISPLAY: '' },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    try {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !existsSync(urlFile)) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 50));
      if (!existsSync(urlFile)) return undefined;
      const scope = new URL(await readFile(urlFile, 'utf8')).searchParams.get('scope');
      return scope === null ? [] : scope.split(' ').filter(Boolean);
    } finally {
      child.kill('SIGKILL');
      for (const s of servers) s.close();
    }
  }

  test('the real mcp-remote asks for exactly the scope mcpRemoteScope predicts', async () => {
    const asked = await Promise.all(cases.map((c, i) => askedByRealMcpRemote(c, i)));
    cases.forEach((c, i) => assert.deepEqual(asked[i], c.expect, `${c.name}: mcp-remote asked for ${JSON.stringify(asked[i])}`));
  });
});
