/**
 * `verify --via-client` end to end: the sandbox and `init` run as processes (as a user runs them), then
 * checkViaClient (from dist) starts the Kiro entry that init wrote (the REAL mcp-remote through npx, with only
 * the entry's env, as Kiro does), signs in through BROWSER=test/helpers/browser.sh, and calls tools.
 * Then the same with the entry's client id changed to one the IdP does not know: a fast, clear failure.
 * Every run must leave no server process behind and free the callback port.
 *
 * Needs a build first: `npx tsc -p tsconfig.json && node --test dist/test/e2e/via-client.test.js`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '../../src/core/logger.js';
import { checkViaClient } from '../../src/checks/via-client.js';
import { checkClientConfig } from '../../src/checks/client-config.js';
import type { CheckResult } from '../../src/checks/types.js';
import { mcpRemoteCacheFiles } from '../../src/clients/mcp-remote.js';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, redactedTail, runCli, startSandboxProcess, type SandboxProcess } from '../helpers/cli.js';

const SERVER_NAME = 'gateway-tools';
const BROWSER_SCRIPT = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];

let home = '';
let sandbox: SandboxProcess | undefined;
let callbackPort = 0;
let clientId = '';
let gatewayUrl = '';
let kiroPath = '';
/** The entry init wrote; each fault test starts from it. */
let original: { command: string; args: string[]; env: Record<string, string> } | undefined;

function byId(checks: CheckResult[], id: string): CheckResult {
  const c = checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} is reported: ${checks.map((x) => x.id).join(', ')}`);
  return c;
}

function show(checks: CheckResult[]): string {
  return checks.map((c) => `${c.id}: ${c.status} - ${c.finding}${c.fix ? ` [fix: ${c.fix}]` : ''}`).join('\n');
}

/** Processes whose command line names this gateway URL (npx, its shell, node running mcp-remote). */
async function serverProcessesLeft(): Promise<string[]> {
  const left: string[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmd = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmd.split('\0').includes(gatewayUrl)) left.push(`${name}: ${cmd.split('\0').join(' ').slice(0, 120)}`);
  }
  return left;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Nothing of the server is left: no process names the gateway URL, nothing listens on the callback port. */
async function assertNothingLeft(): Promise<void> {
  const deadline = Date.now() + 3_000;
  let left = await serverProcessesLeft();
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = await serverProcessesLeft();
  }
  assert.deepEqual(left, [], 'no server process is left running');
  assert.equal(await portAnswers(callbackPort), false, `callback port ${callbackPort} is free again`);
}

/** Rewrites the Kiro entry: init's original, changed by `fn`. */
async function writeEntry(fn: (e: NonNullable<typeof original>) => void): Promise<void> {
  const doc = JSON.parse(await readFile(kiroPath, 'utf8')) as { mcpServers: Record<string, unknown> };
  const e = structuredClone(original!);
  fn(e);
  doc.mcpServers[SERVER_NAME] = e;
  await writeFile(kiroPath, JSON.stringify(doc, null, 2));
}

/** Deletes mcp-remote's cached login for this server (a machine that never signed in). */
async function forgetLogin(): Promise<void> {
  for (const f of await mcpRemoteCacheFiles(gatewayUrl, {}, { HOME: home })) await rm(f);
}

const userEnv = (): NodeJS.ProcessEnv => ({ BROWSER: BROWSER_SCRIPT, DISPLAY: '', HOME: home });

describe('e2e: verify --via-client starts the Kiro entry as Kiro does', () => {
  before(async () => {
    home = await realpath(await mkdtemp(join(tmpdir(), 'agentcore-auth-e2e-via-client-')));
    kiroPath = join(home, '.kiro', 'settings', 'mcp.json');
    sandbox = await startSandboxProcess(['--auto-login', 'alice', '--port', '0'], { env: isolatedEnv(join(home, 'sandbox-home')), timeoutMs: 10_000 });
    callbackPort = await freePort();
    const { info } = sandbox;
    const r = await runCli(
      ['init', '--provider', 'oidc', '--issuer', info.issuer, '--endpoint-url', info.controlPlaneEndpoint, '--region', info.region,
        '--create-gateway', 'e2e-via-client', '--role-arn', info.roleArn, '--callback-port', String(callbackPort), '--yes', '--json', '--no-verify'],
      { env: isolatedEnv(home), cwd: home, timeoutMs: 30_000 },
    );
    assert.equal(r.code, 0, `init exits 0\n${describeRun(r)}`);
    const out = parseSingleJson<{ app: { clientId: string }; gateway: { gatewayUrl: string } }>(r);
    clientId = out.app.clientId;
    gatewayUrl = out.gateway.gatewayUrl;
    original = (JSON.parse(await readFile(kiroPath, 'utf8')) as { mcpServers: Record<string, NonNullable<typeof original>> }).mcpServers[SERVER_NAME];
    assert.ok(original, 'init wrote the entry');
  });

  after(async () => {
    if (sandbox) await sandbox.stop(3_000).catch(() => undefined);
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('signs in through the browser, then initialize, tools/list and tools/call whoami pass; nothing is left running', { timeout: 60_000 }, async () => {
    const logger = createMemoryLogger();
    const checks = await checkViaClient(
      { configPath: kiroPath, serverName: SERVER_NAME, timeoutMs: 30_000, callTool: { name: 'whoami' }, env: userEnv(), cwd: PROJECT_ROOT },
      { logger },
    );
    const why = `${show(checks)}\n--- log ---\n${logger.lines.join('\n')}\n--- sandbox ---\n${redactedTail(sandbox!.stderr(), 2000)}`;
    assert.deepEqual(checks.map((c) => [c.id, c.status]), [
      ['via-client-initialize', 'pass'],
      ['via-client-tools-list', 'pass'],
      ['via-client-tools-call', 'pass'],
    ], why);
    assert.match(byId(checks, 'via-client-initialize').finding, /signed in through the browser/, why);
    assert.match(byId(checks, 'via-client-tools-list').finding, /whoami/);
    const call = byId(checks, 'via-client-tools-call').finding;
    assert.match(call, /alice/, 'the gateway saw the signed-in user');
    assert.ok(call.includes(clientId), 'and our client');
    assert.ok(logger.lines.some((l) => l.startsWith(`› Starting ${SERVER_NAME} as Kiro would: `) && l.includes('mcp-remote@0.15.1') && l.includes(gatewayUrl)), logger.lines.join('\n'));
    await assertNothingLeft();

    // The client-side config checks agree with what just worked: mcp-remote's fresh cache is this client's.
    const config = await checkClientConfig({
      configPath: kiroPath, serverName: SERVER_NAME, gatewayUrl, clientId, scopes: SCOPES, callbackPort, issuer: sandbox!.info.issuer, env: userEnv(),
    });
    for (const id of ['client-entry', 'callback-port', 'mcp-remote-cache']) assert.equal(byId(config, id).status, 'pass', show(config));
    assert.match(byId(config, 'mcp-remote-cache').finding, /access token valid for/, show(config));
  });

  it('a second start uses the cached login (no browser)', { timeout: 30_000 }, async () => {
    const checks = await checkViaClient(
      { configPath: kiroPath, serverName: SERVER_NAME, timeoutMs: 20_000, env: userEnv(), cwd: PROJECT_ROOT },
      { logger: createMemoryLogger() },
    );
    assert.deepEqual(checks.map((c) => [c.id, c.status]), [['via-client-initialize', 'pass'], ['via-client-tools-list', 'pass']], show(checks));
    assert.match(byId(checks, 'via-client-initialize').finding, /used the cached login/);
    await assertNothingLeft();
  });

  it('verify redeems the cached (opaque) refresh token as mcp-remote would: under its lease, saved back so mcp-remote goes on without a browser; a revoked one is named', { timeout: 90_000 }, async () => {
    const [tokensFile] = (await mcpRemoteCacheFiles(gatewayUrl, {}, { HOME: home })).filter((f) => f.endsWith('_tokens.json'));
    assert.ok(tokensFile, 'mcp-remote cached a login');
    const before = JSON.parse(await readFile(tokensFile, 'utf8')) as Record<string, unknown>;
    assert.equal(String(before.refresh_token).split('.').length, 1, 'the sandbox refresh token is opaque: only using it tells whether it works');
    const env = isolatedEnv(home, { BROWSER: BROWSER_SCRIPT, DISPLAY: '' });
    const report = async () => {
      const r = await runCli(['verify', '--no-login', '--json'], { env, cwd: home, timeoutMs: 60_000 });
      const checks = parseSingleJson<{ checks: CheckResult[] }>(r).checks;
      return { r, checks, c: checks.find((x) => x.id === 'mcp-remote-cache-refresh') };
    };

    const first = await report();
    assert.equal(first.c?.status, 'pass', `${describeRun(first.r)}\n${show(first.checks)}`);
    assert.match(first.c!.finding, /The cached refresh token works: the IdP returned a new access token/);
    const after = JSON.parse(await readFile(tokensFile, 'utf8')) as Record<string, unknown>;
    assert.notEqual(after.access_token, before.access_token, 'the new access token is in the cache');
    assert.ok(typeof after.expires_at === 'number' && after.expires_at > Date.now(), 'with expires_at, as mcp-remote saves it');
    assert.equal(after.requested_scope, before.requested_scope);
    assert.equal((await import('node:fs/promises').then((m) => m.stat(tokensFile))).mode & 0o777, 0o600);
    assert.deepEqual((await mcpRemoteCacheFiles(gatewayUrl, {}, { HOME: home })).filter((f) => f.includes('refresh_in_progress')), [], 'the lease is released');
    assert.ok(!first.r.stdout.includes(String(after.refresh_token)) && !first.r.stderr.includes(String(after.access_token)), 'no token printed');

    // mcp-remote takes the cache verify wrote (a rotated refresh token included) and needs no browser.
    const again = await checkViaClient({ configPath: kiroPath, serverName: SERVER_NAME, timeoutMs: 20_000, env: userEnv(), cwd: PROJECT_ROOT }, { logger: createMemoryLogger() });
    assert.match(byId(again, 'via-client-initialize').finding, /used the cached login/, show(again));
    await assertNothingLeft();

    // A running mcp-remote holding the refresh lease: verify does not race it.
    const leaseFile = tokensFile.replace(/_tokens\.json$/, '_refresh_in_progress.json');
    await writeFile(leaseFile, JSON.stringify({ pid: process.pid, nonce: 'held-by-test', at: Date.now() }), { mode: 0o600 });
    const busy = await report();
    assert.equal(busy.c?.status, 'skip', show(busy.checks));
    assert.match(busy.c!.finding, /a running mcp-remote is refreshing this login right now/);
    assert.equal(JSON.parse(await readFile(leaseFile, 'utf8')).nonce, 'held-by-test', "someone else's lease is left alone");
    await rm(leaseFile);

    // The IdP revokes the refresh token: the finding says so, and what it means.
    const cached = JSON.parse(await readFile(tokensFile, 'utf8')) as Record<string, unknown>;
    const discovery = (await (await fetch(`${sandbox!.info.issuer}/.well-known/openid-configuration`)).json()) as { revocation_endpoint: string };
    const rev = await fetch(discovery.revocation_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: String(cached.refresh_token), token_type_hint: 'refresh_token', client_id: clientId }) });
    assert.equal(rev.status, 200);
    const revoked = await report();
    assert.equal(revoked.c?.status, 'warn', show(revoked.checks));
    assert.match(revoked.c!.finding, /The IdP no longer accepts the cached refresh token \(.*invalid_grant/);
    assert.match(revoked.c!.finding, /mcp-remote opens the browser for a new sign-in when the access token expires \(in \d+ (min|s)\)/);
    assert.match(revoked.c!.fix ?? '', /sign in again when the browser opens/);
  });

  it('with a client id the IdP does not know, it fails fast with a clear finding and leaves nothing running', { timeout: 40_000 }, async () => {
    await writeEntry((e) => {
      e.args[e.args.indexOf('--static-oauth-client-info') + 1] = JSON.stringify({ client_id: 'client-nobody-registered' });
    });
    // A machine with no cached login (with one, mcp-remote would keep using the old client's tokens).
    await forgetLogin();

    const timeoutMs = 25_000;
    const startedAt = Date.now();
    const checks = await checkViaClient(
      { configPath: kiroPath, serverName: SERVER_NAME, timeoutMs, callTool: { name: 'whoami' }, env: userEnv(), cwd: PROJECT_ROOT },
      { logger: createMemoryLogger() },
    );
    const elapsed = Date.now() - startedAt;
    assert.deepEqual(checks.map((c) => [c.id, c.status]), [
      ['via-client-initialize', 'fail'],
      ['via-client-tools-list', 'skip'],
      ['via-client-tools-call', 'skip'],
    ], show(checks));
    const init = byId(checks, 'via-client-initialize');
    assert.match(init.finding, /refused client client-nobody-registered .*invalid_client.*does not know this client id/, show(checks));
    assert.match(init.fix ?? '', /--static-oauth-client-info/);
    assert.ok(elapsed < timeoutMs - 5_000, `it failed as soon as the IdP refused (${elapsed} ms), not at the timeout`);
    await assertNothingLeft();

    // The config check names the same fault without starting anything.
    const config = await checkClientConfig({ configPath: kiroPath, serverName: SERVER_NAME, gatewayUrl, clientId, scopes: SCOPES, callbackPort, env: userEnv() });
    assert.equal(byId(config, 'client-entry').status, 'fail');
    assert.match(byId(config, 'client-entry').finding, /client-nobody-registered/);
  });

  it('with a redirect URI the IdP app does not have (/callback): the redirect URI finding, fast', { timeout: 40_000 }, async () => {
    await writeEntry((e) => {
      e.args.push('--callback-path', '/callback');
    });
    await forgetLogin();
    const startedAt = Date.now();
    const checks = await checkViaClient({ configPath: kiroPath, serverName: SERVER_NAME, timeoutMs: 25_000, env: userEnv(), cwd: PROJECT_ROOT }, { logger: createMemoryLogger() });
    const init = byId(checks, 'via-client-initialize');
    assert.equal(init.status, 'fail', show(checks));
    assert.match(init.finding, new RegExp(`refused the redirect URI http://localhost:${callbackPort}/callback`), show(checks));
    assert.match(init.fix ?? '', /Remove "--callback-path", "\/callback" from the entry/);
    assert.ok(Date.now() - startedAt < 20_000, 'not at the timeout');
    await assertNothingLeft();
  });

  it('with the callback port held by another program: the EADDRINUSE finding', { timeout: 40_000 }, async () => {
    await writeEntry(() => undefined);
    await forgetLogin();
    const holder = createServer((sock) => sock.destroy());
    await new Promise<void>((resolve) => holder.listen(callbackPort, '127.0.0.1', resolve));
    try {
      const checks = await checkViaClient({ configPath: kiroPath, serverName: SERVER_NAME, timeoutMs: 25_000, env: userEnv(), cwd: PROJECT_ROOT }, { logger: createMemoryLogger() });
      const init = byId(checks, 'via-client-initialize');
      assert.equal(init.status, 'fail', show(checks));
      assert.match(init.finding, new RegExp(`callback port ${callbackPort} is in use by another program`), show(checks));
      assert.match(init.fix ?? '', /lsof/);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    await assertNothingLeft();
  });

  it('with a command that does not exist: Kiro cannot start it', { timeout: 20_000 }, async () => {
    await writeEntry((e) => {
      e.command = join(home, 'not-installed', 'npx');
    });
    const checks = await checkViaClient({ configPath: kiroPath, serverName: SERVER_NAME, timeoutMs: 10_000, env: userEnv(), cwd: PROJECT_ROOT }, { logger: createMemoryLogger() });
    assert.deepEqual(checks.map((c) => [c.id, c.status]), [['via-client-initialize', 'fail'], ['via-client-tools-list', 'skip']], show(checks));
    assert.match(byId(checks, 'via-client-initialize').finding, /Kiro cannot start .*not-installed\/npx: not found/, show(checks));
  });
});
