/**
 * End to end, all as processes, with the REAL mcp-remote spawned exactly as Kiro spawns it:
 *
 *   agentcore-auth sandbox --json --auto-login alice      (IdP + control plane + gateway, background)
 *   agentcore-auth init ... --yes --json --no-verify       (registers the client, creates the gateway,
 *                                                           writes ~/.kiro/settings/mcp.json)
 *   <entry.command> <entry.args> with env = entry.env only (what Kiro does), MCP over stdio:
 *       initialize, tools/list, tools/call whoami + list_files; the browser opens once (BROWSER=browser.sh)
 *   same entry again: cached tokens, no browser
 *   agentcore-auth status --json / verify --no-login --json
 *   agentcore-auth cleanup --yes --json: entry, cache, gateway, OIDC client, journal all gone; twice is fine
 *
 * Needs a build first: `npx tsc -p tsconfig.json && node --test dist/test/e2e/mcp-remote.test.js`.
 * On failure the error carries the (token-redacted) stderr of the CLI, the sandbox and mcp-remote.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { BedrockAgentCoreControlClient, GetGatewayCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  PROJECT_ROOT,
  describeRun,
  freePort,
  isolatedEnv,
  parseSingleJson,
  redactedTail,
  runCli,
  startSandboxProcess,
  type CliResult,
  type SandboxProcess,
} from '../helpers/cli.js';

const SERVER_NAME = 'gateway-tools';
const SCOPES = 'openid profile email offline_access';
const BROWSER_SCRIPT = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');
/** Per MCP request through mcp-remote; the first connect includes the (headless) browser sign-in. */
const MCP_REQUEST_TIMEOUT_MS = 15_000;
const MCP_CONNECT_TIMEOUT_MS = 30_000;

interface KiroEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
  disabled?: boolean;
}

/** Seeded before init: cleanup must leave both exactly as they were. */
const UNRELATED_SERVER = {
  command: 'uvx',
  args: ['mcp-server-fetch'],
  env: { FETCH_TIMEOUT: '30' },
  disabled: true,
  autoApprove: ['fetch'],
};
const UNRELATED_TOP_LEVEL = { note: 'written by hand; agentcore-auth must keep it', list: [1, 2, 3] };

// ---- shared state across the ordered steps ----------------------------------------------------------
let home = '';
let sandbox: SandboxProcess | undefined;
let callbackPort = 0;
let clientId = '';
let gatewayId = '';
let gatewayUrl = '';
let kiroPath = '';
let entry: KiroEntry | undefined;
let browserLog = '';
/** The latest refresh token mcp-remote cached (kept in memory only, never printed). */
let cachedRefreshToken = '';
/** Live MCP client (closed in after() if a step failed midway). */
let liveClient: Client | undefined;
/** Output of every process, for failure messages (redacted when printed). */
const runs: CliResult[] = [];
const mcpRemoteStderr: string[] = [];
let failed = false;

function diagnostics(): string {
  const parts: string[] = ['', '======== diagnostics (tokens redacted) ========'];
  const last = runs.at(-1);
  if (last) parts.push(`--- last CLI run ---\n${describeRun(last)}`);
  if (sandbox) parts.push(`--- sandbox stderr ---\n${redactedTail(sandbox.stderr(), 4000)}`);
  mcpRemoteStderr.forEach((s, i) => parts.push(`--- mcp-remote stderr (spawn ${i + 1}) ---\n${redactedTail(s, 4000)}`));
  if (browserLog && existsSync(browserLog)) parts.push(`--- BROWSER_LOG ---\n(see ${browserLog})`);
  return parts.join('\n');
}

/**
 * One ordered step: skipped when an earlier one failed (its state would be missing), and on failure the
 * error message gets the diagnostics appended so a CI log is enough to see what went wrong.
 */
function step(name: string, timeoutMs: number, fn: () => Promise<void>): void {
  it(name, { timeout: timeoutMs }, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await fn();
    } catch (err) {
      failed = true;
      if (err instanceof Error) {
        err.message = `${err.message}\n${diagnostics()}`;
        throw err;
      }
      throw new Error(`${String(err)}\n${diagnostics()}`);
    }
  });
}

async function cli(args: string[], timeoutMs = 20_000): Promise<CliResult> {
  const r = await runCli(args, { env: isolatedEnv(home), cwd: home, timeoutMs });
  runs.push(r);
  assert.equal(r.timedOut, false, `\`agentcore-auth ${args.join(' ')}\` timed out after ${timeoutMs} ms`);
  return r;
}

function valueAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
}

/** mcp-remote's per-server cache prefix: md5 of the server URL as typed (no extra request options here). */
function cachePrefix(url: string): string {
  return `${createHash('md5').update(url).digest('hex')}_`;
}

function cacheDir(): string {
  return join(home, '.mcp-auth', 'mcp-remote-v1');
}

async function cacheFilesForServer(): Promise<string[]> {
  const names = await readdir(cacheDir()).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter((n) => n.startsWith(cachePrefix(gatewayUrl))).sort();
}

async function browserOpens(): Promise<string[]> {
  const text = await readFile(browserLog, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

/**
 * The environment Kiro gives a stdio server: the entry's `env` and nothing of its own (no PATH, no HOME),
 * plus the test's browser. The MCP SDK's StdioClientTransport merges a "safe" default environment (HOME,
 * PATH, USER, SHELL, ...) from this process under the given env; every default key the entry does not set
 * is passed as undefined, which node's spawn drops, so the child really gets only these variables.
 */
function kiroLikeEnv(e: KiroEntry): Record<string, string> {
  const env: Record<string, string | undefined> = {};
  for (const k of Object.keys(getDefaultEnvironment())) env[k] = undefined;
  Object.assign(env, e.env, { BROWSER: BROWSER_SCRIPT, BROWSER_LOG: browserLog, DISPLAY: '' });
  return env as Record<string, string>;
}

/** Spawns the Kiro entry and connects an MCP client to it over stdio. */
async function spawnEntry(): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  assert.ok(entry, 'no Kiro entry was read');
  const env = kiroLikeEnv(entry);
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    env,
    // The project root, so `npx -y mcp-remote@0.15.1` resolves the pinned local devDependency
    // (node_modules/.bin/mcp-remote, same version) instead of downloading it. A real Kiro starts servers in
    // the workspace folder; where mcp-remote is not installed locally, npx fetches it into its cache once.
    cwd: PROJECT_ROOT,
    stderr: 'pipe',
  });
  const index = mcpRemoteStderr.push('') - 1;
  // With stderr: 'pipe' this is the child's stderr stream (typed as a plain Stream by the SDK).
  const stderr = transport.stderr as Readable | null;
  stderr?.setEncoding('utf8');
  stderr?.on('data', (d: string) => (mcpRemoteStderr[index] += d));
  const client = new Client({ name: 'kiro-e2e', version: '0.0.0' });
  liveClient = client;
  await client.connect(transport, { timeout: MCP_CONNECT_TIMEOUT_MS });
  // Prove the env claim: what the spawned process actually received (Linux exposes it in /proc).
  const pid = transport.pid;
  if (pid && existsSync(`/proc/${pid}/environ`)) {
    const keys = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').filter(Boolean).map((kv) => kv.slice(0, kv.indexOf('=')));
    assert.deepEqual(
      [...keys].sort(),
      [...Object.keys(entry.env), 'BROWSER', 'BROWSER_LOG', 'DISPLAY'].sort(),
      'the server process must receive only the entry env (plus the test browser), as under Kiro',
    );
  }
  return { client, transport, stderr: () => mcpRemoteStderr[index]! };
}

async function closeClient(client: Client): Promise<void> {
  await client.close();
  if (liveClient === client) liveClient = undefined;
}

/** Resolves when nothing accepts connections on 127.0.0.1:port any more (or rejects after timeoutMs). */
async function portClosed(port: number, host: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (!open) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n');
}

async function readKiroDoc(): Promise<Record<string, unknown> & { mcpServers: Record<string, unknown> }> {
  return JSON.parse(await readFile(kiroPath, 'utf8')) as Record<string, unknown> & { mcpServers: Record<string, unknown> };
}

describe('e2e: Kiro entry -> real mcp-remote -> sandbox gateway, then cleanup', () => {
  before(async () => {
    home = await realpath(await mkdtemp(join(tmpdir(), 'agentcore-auth-e2e-mcp-remote-')));
    browserLog = join(home, 'browser.log');
    kiroPath = join(home, '.kiro', 'settings', 'mcp.json');
    // A user who already has Kiro set up: another server and a top-level key the product must not touch.
    await mkdir(join(home, '.kiro', 'settings'), { recursive: true });
    await writeFile(kiroPath, `${JSON.stringify({ mcpServers: { fetch: UNRELATED_SERVER }, teamSettings: UNRELATED_TOP_LEVEL }, null, 2)}\n`);
  });

  after(async () => {
    if (liveClient) await liveClient.close().catch(() => undefined);
    if (sandbox) await sandbox.stop(3_000).catch(() => undefined);
    if (home) await rm(home, { recursive: true, force: true });
  });

  step('1. the sandbox starts as a process and prints one JSON ready line', 15_000, async () => {
    sandbox = await startSandboxProcess(['--auto-login', 'alice', '--port', '0'], { env: isolatedEnv(join(home, 'sandbox-home')), timeoutMs: 10_000 });
    const { info } = sandbox;
    assert.match(info.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.discoveryUrl, `${info.issuer}/.well-known/openid-configuration`);
    assert.match(info.controlPlaneEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.region, 'us-east-1');
    assert.match(info.roleArn, /^arn:aws:iam::\d{12}:role\/.+/);
    assert.equal(info.autoLogin, 'alice');
    assert.ok(existsSync(info.toolsDir), 'the demo files folder exists');
    callbackPort = await freePort();
  });

  step('2. init registers the client, creates the gateway and writes the Kiro entry (--json)', 30_000, async () => {
    const { info } = sandbox!;
    const r = await cli([
      'init', '--provider', 'oidc', '--issuer', info.issuer, '--endpoint-url', info.controlPlaneEndpoint, '--region', info.region,
      '--create-gateway', 'e2e', '--role-arn', info.roleArn, '--callback-port', String(callbackPort), '--yes', '--json', '--no-verify',
    ]);
    assert.equal(r.code, 0, 'init exits 0');
    const out = parseSingleJson<{
      ok: boolean;
      app?: { clientId: string; issuer: string };
      gateway?: { gatewayId: string; gatewayUrl: string; status: string };
      client?: { path: string; serverName: string };
    }>(r);
    assert.equal(out.ok, true);
    assert.ok(out.app?.clientId, 'app.clientId');
    assert.equal(out.app.issuer, info.issuer);
    assert.ok(out.gateway?.gatewayUrl, 'gateway.gatewayUrl');
    assert.match(out.gateway.gatewayUrl, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.equal(out.gateway.status, 'READY');
    assert.equal(out.client?.path, kiroPath);
    assert.equal(out.client.serverName, SERVER_NAME);
    clientId = out.app.clientId;
    gatewayId = out.gateway.gatewayId;
    gatewayUrl = out.gateway.gatewayUrl;
  });

  step('3. the Kiro entry runs the pinned mcp-remote with the gateway, callback port, host, client id and scopes', 5_000, async () => {
    const doc = await readKiroDoc();
    assert.deepEqual(doc.mcpServers.fetch, UNRELATED_SERVER, 'the other server entry is untouched');
    assert.deepEqual(doc.teamSettings, UNRELATED_TOP_LEVEL, 'the other top-level key is untouched');
    entry = doc.mcpServers[SERVER_NAME] as KiroEntry;
    assert.ok(entry, `mcpServers["${SERVER_NAME}"] exists`);
    assert.equal(typeof entry.command, 'string');
    assert.ok(Array.isArray(entry.args));
    const args = entry.args;
    const pkg = args.indexOf('mcp-remote@0.15.1');
    assert.ok(pkg !== -1, `args pin mcp-remote@0.15.1: ${JSON.stringify(args)}`);
    assert.equal(args[pkg + 1], gatewayUrl, 'the server URL follows the package');
    assert.equal(args[pkg + 2], String(callbackPort), 'the callback port is the second positional argument');
    assert.equal(valueAfter(args, '--host'), 'localhost');
    assert.deepEqual(JSON.parse(valueAfter(args, '--static-oauth-client-info') ?? 'null'), { client_id: clientId });
    assert.deepEqual(JSON.parse(valueAfter(args, '--static-oauth-client-metadata') ?? 'null'), { scope: SCOPES });
    // Kiro passes no PATH/HOME: the entry must carry both (HOME decides where mcp-remote caches tokens).
    assert.ok(entry.env?.PATH, 'env.PATH is set');
    assert.equal(entry.env.HOME, home);
    assert.notEqual(entry.disabled, true);
  });

  step('4. spawned as Kiro would: sign-in once in the browser, then tools/list and tools/call work', 45_000, async () => {
    const { client } = await spawnEntry();
    const tools = await client.listTools(undefined, { timeout: MCP_REQUEST_TIMEOUT_MS });
    const names = tools.tools.map((t) => t.name);
    assert.ok(names.includes('list_files') && names.includes('whoami'), `tools/list: ${names.join(', ')}`);

    const who = await client.callTool({ name: 'whoami', arguments: {} }, undefined, { timeout: MCP_REQUEST_TIMEOUT_MS });
    assert.notEqual(who.isError, true, textOf(who));
    const me = JSON.parse(textOf(who)) as { subject: string | null; clientId: string | null; authorizerType: string };
    assert.equal(me.subject, 'alice', 'the gateway saw the signed-in user');
    assert.equal(me.clientId, clientId, 'the gateway saw our client');
    assert.equal(me.authorizerType, 'CUSTOM_JWT');

    const files = await client.callTool({ name: 'list_files', arguments: {} }, undefined, { timeout: MCP_REQUEST_TIMEOUT_MS });
    assert.notEqual(files.isError, true, textOf(files));
    const expected = (await readdir(sandbox!.info.toolsDir, { withFileTypes: true })).map((d) => (d.isDirectory() ? `${d.name}/` : d.name)).sort();
    assert.deepEqual(textOf(files).split('\n').sort(), expected, "list_files shows the sandbox's files");

    const opens = await browserOpens();
    assert.equal(opens.length, 1, `the browser was opened exactly once: ${JSON.stringify(opens)}`);
    assert.match(opens[0]!, /^ok 200 http:\/\/localhost:\d+\/oauth\/callback\?/, 'the sign-in reached the callback');
    assert.ok(opens[0]!.includes(`localhost:${callbackPort}/oauth/callback`), 'the redirect went to the configured callback port');

    const cached = await cacheFilesForServer();
    assert.ok(cached.includes(`${cachePrefix(gatewayUrl)}tokens.json`), `mcp-remote cached tokens under ${cacheDir()}: ${cached.join(', ')}`);
    for (const name of await readdir(cacheDir())) {
      const mode = (await stat(join(cacheDir(), name))).mode & 0o777;
      assert.equal(mode, 0o600, `${name} has mode ${mode.toString(8)}, expected 600`);
    }
    const tokens = JSON.parse(await readFile(join(cacheDir(), `${cachePrefix(gatewayUrl)}tokens.json`), 'utf8')) as { refresh_token?: unknown; access_token?: unknown };
    assert.equal(typeof tokens.access_token, 'string', 'an access token is cached');
    assert.equal(typeof tokens.refresh_token, 'string', 'a refresh token is cached (offline_access)');
    cachedRefreshToken = tokens.refresh_token as string;

    await closeClient(client);
    // Kiro restarts servers: the old one must let go of the callback port.
    assert.ok(await portClosed(callbackPort, '127.0.0.1', 5_000), `mcp-remote released callback port ${callbackPort} after close`);
  });

  step('5. spawned again: the cached tokens are reused and the browser does not open', 30_000, async () => {
    const { client } = await spawnEntry();
    const tools = await client.listTools(undefined, { timeout: MCP_REQUEST_TIMEOUT_MS });
    assert.ok(tools.tools.some((t) => t.name === 'whoami'), 'tools/list works with the cached tokens');
    assert.equal((await browserOpens()).length, 1, 'no second browser sign-in');
    await closeClient(client);
    const tokens = JSON.parse(await readFile(join(cacheDir(), `${cachePrefix(gatewayUrl)}tokens.json`), 'utf8')) as { refresh_token?: unknown };
    if (typeof tokens.refresh_token === 'string') cachedRefreshToken = tokens.refresh_token; // rotated if it refreshed
  });

  step('6. status shows the journal and its live items; verify --no-login passes', 30_000, async () => {
    const journal = join(home, '.agentcore-auth', 'setups', 'default.json');
    assert.ok(existsSync(journal), `the journal exists at ${journal}`);
    const s = await cli(['status', '--json']);
    assert.equal(s.code, 0, 'status exits 0 (no drift)');
    const status = parseSingleJson<{ setups: Array<{ setup: string; items: Array<{ kind: string; id: string; live: string; recorded: string }>; drift: boolean }> }>(s);
    const setup = status.setups.find((x) => x.setup === 'default');
    assert.ok(setup, 'status lists setup "default"');
    assert.equal(setup.drift, false);
    const kinds = setup.items.map((i) => `${i.kind}=${i.live}`);
    assert.ok(setup.items.length >= 3, `items: ${kinds.join(', ')}`);
    for (const i of setup.items) assert.equal(i.live, 'present', `${i.kind} ${i.id} is live`);
    assert.ok(setup.items.some((i) => i.id === clientId), 'the OIDC client is listed');
    assert.ok(setup.items.some((i) => i.id === gatewayId), 'the gateway is listed');
    assert.ok(setup.items.some((i) => i.kind === 'Kiro entry' && i.id === `"${SERVER_NAME}" in ${i.recorded}` && i.recorded.endsWith('mcp.json')), 'the Kiro entry is listed with its file');

    const v = await cli(['verify', '--no-login', '--json']);
    assert.equal(v.code, 0, 'verify --no-login exits 0');
    assert.equal(parseSingleJson<{ ok: boolean }>(v).ok, true);
  });

  step('7. cleanup removes everything init made, and a second cleanup has nothing to do', 30_000, async () => {
    const r = await cli(['cleanup', '--yes', '--json']);
    assert.equal(r.code, 0, 'cleanup exits 0');
    const out = parseSingleJson<{ ok: boolean; actions: Array<{ what: string; status: string }> }>(r);
    assert.equal(out.ok, true);
    assert.deepEqual(out.actions.filter((a) => a.status === 'left'), [], 'nothing was left behind');

    // Kiro's config: our entry gone, the user's own content intact.
    const doc = await readKiroDoc();
    assert.equal(Object.prototype.hasOwnProperty.call(doc.mcpServers, SERVER_NAME), false, `"${SERVER_NAME}" was removed`);
    assert.deepEqual(doc.mcpServers.fetch, UNRELATED_SERVER, 'the other server entry is still there');
    assert.deepEqual(doc.teamSettings, UNRELATED_TOP_LEVEL, 'the other top-level key is still there');

    // mcp-remote's cache for this server.
    assert.deepEqual(await cacheFilesForServer(), [], "mcp-remote's cache files for this server are gone");

    // The gateway: DeleteGateway is asynchronous (DELETING, then gone), as on AWS: poll GetGateway.
    const { info } = sandbox!;
    const control = new BedrockAgentCoreControlClient({
      region: info.region,
      endpoint: info.controlPlaneEndpoint,
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    });
    try {
      const deadline = Date.now() + 5_000;
      let last = '';
      for (;;) {
        try {
          const g = await control.send(new GetGatewayCommand({ gatewayIdentifier: gatewayId }));
          last = String(g.status);
          assert.equal(g.status, 'DELETING', `gateway ${gatewayId} after cleanup`);
        } catch (err) {
          if ((err as Error).name === 'ResourceNotFoundException') break;
          throw err;
        }
        assert.ok(Date.now() < deadline, `gateway ${gatewayId} still exists (${last}) 5 s after cleanup`);
        await new Promise((res) => setTimeout(res, 100));
      }
    } finally {
      control.destroy();
    }
    assert.ok(await portClosed(Number(new URL(gatewayUrl).port), '127.0.0.1', 2_000), 'the gateway URL no longer answers');

    // The OIDC client: the refresh token mcp-remote held is refused because the client no longer exists
    // (a merely revoked token would be invalid_grant; an unknown client is invalid_client).
    const discovery = (await (await fetch(info.discoveryUrl)).json()) as { token_endpoint: string };
    const res = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cachedRefreshToken, client_id: clientId }),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    assert.ok(res.status === 400 || res.status === 401, `token endpoint answered HTTP ${res.status}`);
    assert.equal(body.error, 'invalid_client', `the OIDC client ${clientId} is gone (token endpoint error ${body.error})`);

    // The journal (and its lock and secrets).
    const setups = join(home, '.agentcore-auth', 'setups');
    const left = (await readdir(setups).catch(() => [] as string[])).filter((n) => n.startsWith('default.'));
    // Only the tombstone stays (a date: it lets a second cleanup say "already cleaned up").
    assert.deepEqual(left, ['default.removed'], `the journal, lock and secrets files are gone from ${setups}`);

    const again = await cli(['cleanup', '--yes', '--json']);
    assert.equal(again.code, 0, 'a second cleanup exits 0');
    const second = parseSingleJson<{ ok: boolean; nothingToDo: boolean; actions: unknown[] }>(again);
    assert.equal(second.ok, true);
    assert.equal(second.nothingToDo, true);
    assert.deepEqual(second.actions, []);
    assert.match(again.output, /nothing to clean up/i);
  });

  step('8. the sandbox exits 0 on SIGTERM and removes its demo files', 10_000, async () => {
    const toolsDir = sandbox!.info.toolsDir;
    const exit = await sandbox!.stop(5_000);
    assert.equal(exit.killed, false, 'it stopped without SIGKILL');
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'clean exit on SIGTERM');
    assert.equal(existsSync(toolsDir), false, `the sandbox removed its temporary folder ${toolsDir}`);
  });
});
