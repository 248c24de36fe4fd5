/**
 * Every claim the tool makes is true (issue #11): the built CLI as a process, with the sandbox identity provider
 * behind a fault proxy (its issuer IS the proxy's origin) and the sandbox control plane behind another, so each
 * case can be driven to the edge a user meets:
 *   - a registration whose answer never arrives (kill -9 in flight) stays a manual step on every cleanup run,
 *     until `cleanup --forget`;
 *   - a lost management secret: status says "cannot be managed", init registers a new client instead of reusing
 *     a dead one, cleanup finishes everything else and names the way out;
 *   - a full disk: refused before anything is made, and when it fills mid-run a clear error and a journal that
 *     cleanup finishes (tmpfs; needs root to mount, skipped with a message otherwise);
 *   - a re-run with another --callback-port updates the same client (RFC 7592 PUT), keeps the clients the setup
 *     configured, and status names each file and finds no drift;
 *   - preflight refuses a busy callback port and impossible token lifetimes before anything is made;
 *   - cleanup's summary counts what its plan listed, and a refused token revocation is not shown as done.
 * The truth is read at the IdP (its own log and RFC 7592 at its own origin) and at the control plane (the SDK).
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs truth
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, ListGatewaysCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { CLI_PATH, PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli as runCliRaw, type CliResult } from '../helpers/cli.js';
import { flagArg } from '../../src/core/text.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/fault-proxy.js';
import { clientExists, idpEvents, readRegistration, registrationOf, startProxiedIdp, type ProxiedIdp, closeWorld } from '../helpers/proxied-idp.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROLE = 'arn:aws:iam::123456789012:role/AgentCoreGatewaySandboxRole';
const REG = /^\/reg\/?$/;
const REVOCATION = /^\/token\/revocation$/;
const GATEWAYS = /^\/gateways\/?$/;

let root: string;
let sb: Sandbox;
let idp: ProxiedIdp;
let cp: FaultProxy;
let sdk: BedrockAgentCoreControlClient;
const outputs: Array<{ args: string[]; text: string }> = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-truth-'));
  sb = await startSandbox({ autoLogin: 'alice', logger: createMemoryLogger(), readyDelayMs: 40 });
  idp = await startProxiedIdp();
  cp = await startFaultProxy({ target: sb.controlPlaneEndpoint });
  sdk = new BedrockAgentCoreControlClient({ region: 'us-east-1', endpoint: sb.controlPlaneEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

after(() => closeWorld({ closers: [sdk, cp, idp, sb], root, outputs }));

interface User {
  home: string;
  project: string;
  env: NodeJS.ProcessEnv;
  journal: string;
  secrets: string;
}

let users = 0;
async function newUser(stateDir?: string): Promise<User> {
  const home = join(root, `home-${++users}`);
  const project = join(root, `project-${users}`);
  await mkdir(home, { recursive: true });
  await mkdir(project, { recursive: true });
  const env = isolatedEnv(home, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ...(stateDir ? { AGENTCORE_AUTH_HOME: stateDir } : {}) });
  const state = env.AGENTCORE_AUTH_HOME!;
  return { home, project, env, journal: join(state, 'setups', 'default.json'), secrets: join(state, 'setups', 'default.secrets.json') };
}

const run_ = (u: User, args: string[], timeoutMs?: number) => run(u, args, timeoutMs);
async function run(u: User, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  const r = await runCliRaw(args, { env: u.env, cwd: u.project, timeoutMs });
  outputs.push({ args, text: `${r.stdout}\n${r.stderr}` });
  return r;
}

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.timedOut, false, `timed out:\n${describeRun(r)}`);
  assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);
}

let names = 0;
const uniqueName = (what: string) => `truth-${what}-${process.pid % 10000}-${++names}`;

async function initArgs(name: string, extra: string[] = []): Promise<string[]> {
  return [
    'init', '--provider', 'oidc', '--issuer', idp.issuer, '--endpoint-url', cp.origin, '--region', 'us-east-1',
    '--create-gateway', name, '--role-arn', ROLE, '--yes', '--no-verify',
    ...(extra.includes('--callback-port') ? [] : ['--callback-port', String(await freePort())]),
    ...extra,
  ];
}

async function gatewaysNamed(name: string): Promise<string[]> {
  const out = await sdk.send(new ListGatewaysCommand({}));
  return (out.items ?? []).filter((g) => g.name === name).map((g) => g.gatewayId!);
}

const registered = () => idpEvents(idp.log, 'registered');

// ---------------------------------------------------------------------------------------------------------------

describe('nothing is forgotten', { concurrency: 1 }, () => {
  test('kill -9 while the registration answer is in flight: every cleanup names the manual step (exit 1) until --forget', async () => {
    const u = await newUser();
    const name = uniqueName('kill9');
    const before = registered();
    const rule = idp.proxy.addRule({ method: 'POST', path: REG, action: { kind: 'hang', forward: true } });
    try {
      const child = spawn(process.execPath, [CLI_PATH, ...(await initArgs(name, ['--app-name', `kill9 ${name}`]))], { env: u.env, cwd: u.project, stdio: 'ignore' });
      const deadline = Date.now() + 20_000;
      while (idp.proxy.matching('POST', REG).length === 0 || registered() === before) {
        assert.ok(Date.now() < deadline, 'the registration never reached the IdP');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
    } finally {
      idp.proxy.removeRule(rule);
    }
    assert.equal(registered(), before + 1, 'the IdP registered the client; its answer never reached the CLI');
    for (let i = 1; i <= 3; i++) {
      const c = await run(u, ['cleanup', '--yes']);
      expectExit(c, 1);
      assert.match(c.output, new RegExp(`Look for a client named "kill9 ${name}"`), `run ${i} names the manual step`);
      assert.match(c.output, /agentcore-auth cleanup --forget 1\b/);
      assert.match(c.output, /is not fully cleaned up: 1 of \d+ planned step\(s\) did not succeed/);
      assert.doesNotMatch(c.output, /Nothing is left behind/);
      assert.equal(existsSync(u.journal), true, 'the journal keeps the manual step');
    }
    const s = await run(u, ['status']);
    expectExit(s, 1);
    assert.match(s.stdout + s.stderr, /registration interrupted/);
    const bad = await run(u, ['cleanup', '--yes', '--forget', 'nope']);
    expectExit(bad, 2);
    assert.match(bad.output, /--forget nope: this setup records no OIDC client/);
    const f = await run(u, ['cleanup', '--yes', '--forget', '1']);
    expectExit(f, 0);
    assert.match(f.output, /Forget OIDC client #1: done/);
    assert.equal(existsSync(u.journal), false);
  });

  test('a lost management secret: status says "cannot be managed", init registers a new client, cleanup names the way out', async () => {
    const u = await newUser();
    const name = uniqueName('nosecret');
    expectExit(await run(u, await initArgs(name)), 0);
    const old = await registrationOf(u);
    // The client is deleted at the IdP, and the setup's secrets file is lost.
    const del = await fetch(`${idp.direct}${new URL(old.uri).pathname}`, { method: 'DELETE', headers: { authorization: `Bearer ${old.token}` } });
    assert.equal(del.status, 204);
    await rm(u.secrets);

    const s = await run(u, ['status']);
    expectExit(s, 1);
    const text = s.stdout + s.stderr;
    assert.match(text, new RegExp(`OIDC client ${old.clientId}: cannot be managed`));
    assert.doesNotMatch(text, new RegExp(`OIDC client ${old.clientId}: present`));
    // An id that starts with "-" (oidc-provider makes one in 64) is printed as --forget=ID, which parseArgs accepts.
    const forget = flagArg('--forget', old.clientId);
    assert.match(text, new RegExp(`cleanup ${forget}`));

    const before = registered();
    const again = await run(u, await initArgs(name));
    expectExit(again, 0);
    assert.match(again.output, /\+ Register public OIDC client/);
    assert.match(again.output, /cannot be managed: its registration access token \(RFC 7592\) is missing/);
    assert.equal(registered(), before + 1, 'a new client, not the dead one');
    const fresh = await registrationOf(u);
    assert.notEqual(fresh.clientId, old.clientId);

    const c = await run(u, ['cleanup', '--yes']);
    expectExit(c, 1);
    assert.match(c.output, new RegExp(`Delete OIDC client ${fresh.clientId}: done`));
    assert.match(c.output, new RegExp(`Manual step: Delete client ${old.clientId} in the IdP's admin console, then run \`agentcore-auth cleanup ${forget}\` \\(or \`agentcore-auth cleanup --keep-app\``));
    assert.equal(await clientExists(fresh, idp.direct), false, 'everything else was finished first');
    assert.deepEqual(await gatewaysNamed(name), []);
    expectExit(await run(u, ['cleanup', '--yes', ...(forget.includes('=') ? [forget] : forget.split(' '))]), 0);
    assert.equal(existsSync(u.journal), false);
  });
});

describe('cleanup says only what is true', { concurrency: 1 }, () => {
  test('the summary counts what the plan listed; a refused revocation is not done, and the run exits 1', async () => {
    const u = await newUser();
    const name = uniqueName('revoke');
    const r = await run(u, [...(await initArgs(name)), '--json']);
    expectExit(r, 0);
    const doc = parseSingleJson<{ gateway: { gatewayUrl: string } }>(r);
    // mcp-remote's cache for this server holds tokens (as after a sign-in in Kiro); the IdP refuses to revoke them.
    const entry = (JSON.parse(await readFile(join(u.home, '.kiro', 'settings', 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { args: string[] }> }).mcpServers['gateway-tools']!;
    const mr = await import('../../src/clients/mcp-remote.js');
    const hashInput = mr.mcpRemoteHashInputFromArgs(entry.args.slice(entry.args.findIndex((a) => a.startsWith('http'))));
    assert.equal(hashInput.serverUrl, doc.gateway.gatewayUrl);
    const cacheFile = join(mr.mcpRemoteCacheDir(u.env), `${mr.mcpRemoteServerHash(hashInput.serverUrl, hashInput.opts)}_tokens.json`);
    await mkdir(dirname(cacheFile), { recursive: true });
    await writeFile(cacheFile, JSON.stringify({ access_token: 'opaque-access', refresh_token: 'opaque-refresh', token_type: 'Bearer' }));
    const refuse = idp.proxy.addRule({ method: 'POST', path: REVOCATION, action: { kind: 'respond', status: 401, headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_client"}' } });
    let c: CliResult;
    try {
      c = await run(u, ['cleanup', '--yes']);
    } finally {
      idp.proxy.removeRule(refuse);
    }
    expectExit(c, 1);
    const planned = c.stderr.split('\n').filter((l) => /^ {2}\d+\. - /.test(l)).length;
    assert.ok(planned >= 6, c.stderr);
    assert.match(c.output, /Revoke cached tokens for .*: left \(refresh_token not revoked: revocation answered HTTP 401/);
    assert.match(c.output, new RegExp(`not fully cleaned up: 1 of ${planned} planned step\\(s\\) did not succeed`));
    assert.doesNotMatch(c.output, /Nothing is left behind/);
    assert.equal(existsSync(u.journal), true);
    // Run again: the cache is gone, so there is nothing to revoke; every planned step finishes and is counted.
    const again = await run(u, ['cleanup', '--yes']);
    expectExit(again, 0);
    const planned2 = again.stderr.split('\n').filter((l) => /^ {2}\d+\. - /.test(l)).length;
    assert.match(again.output, new RegExp(`is gone: all ${planned2} planned step\\(s\\) finished`));
    assert.match(again.output, /Nothing is left behind\./);
    assert.deepEqual(await gatewaysNamed(name), []);
  });
});

describe('re-running init is an update', { concurrency: 1 }, () => {
  test('another --callback-port updates the same client (RFC 7592), keeps the configured clients; status names each file, no drift', async () => {
    const u = await newUser();
    const name = uniqueName('rerun');
    const p1 = await freePort();
    const before = registered();
    expectExit(await run(u, await initArgs(name, ['--callback-port', String(p1), '--client', 'kiro,cursor,vscode'])), 0);
    const first = await registrationOf(u);
    const p2 = await freePort();
    const r = await run(u, await initArgs(name, ['--callback-port', String(p2)]));
    expectExit(r, 0);
    assert.match(r.output, new RegExp(`~ Update OIDC client ${first.clientId} .*: redirect URI http://localhost:${p2}/oauth/callback`));
    assert.match(r.output, new RegExp(`replacing http://localhost:${p1}/oauth/callback`));
    assert.equal(registered(), before + 1, 'one client, registered once');
    const now = await registrationOf(u);
    assert.equal(now.clientId, first.clientId);
    assert.notEqual(now.token, first.token, 'the rotated registration access token was kept');
    const live = await readRegistration(now, idp.direct);
    assert.deepEqual(live?.redirect_uris, [`http://localhost:${p2}/oauth/callback`]);
    assert.deepEqual(live?.grant_types, ['authorization_code', 'refresh_token'], 'everything else kept');
    assert.equal(live?.token_endpoint_auth_method, 'none');
    // The three clients of the first run were written again, with the new port.
    for (const f of [join(u.home, '.kiro', 'settings', 'mcp.json'), join(u.home, '.cursor', 'mcp.json'), join(u.project, '.vscode', 'mcp.json')]) {
      assert.match(await readFile(f, 'utf8'), new RegExp(`"${p2}"`), f);
    }
    const s = await run(u, ['status']);
    expectExit(s, 0);
    const text = s.stdout + s.stderr;
    assert.doesNotMatch(text, /DRIFT|drifted/);
    assert.match(text, new RegExp(`OIDC client ${first.clientId}: present`));
    for (const f of ['.kiro/settings/mcp.json', '.cursor/mcp.json', '.vscode/mcp.json']) assert.match(text, new RegExp(`"gateway-tools" in \\S*${f.replace(/\./g, '\\.')}: present`));
    expectExit(await run(u, ['cleanup', '--yes']), 0);
    assert.equal(await clientExists(now, idp.direct), false);
  });
});

describe('preflight refuses before anything is made', { concurrency: 1 }, () => {
  test('a callback port held by another program: exit 2 naming --callback-port and a free port; nothing registered', async () => {
    const u = await newUser();
    const squatter: Server = createServer((_q, s) => s.end('not mcp-remote'));
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as { port: number }).port;
    const before = registered();
    try {
      const r = await run(u, await initArgs(uniqueName('port'), ['--callback-port', String(port)]));
      expectExit(r, 2);
      assert.match(r.output, new RegExp(`Callback port ${port} is in use by another program \\(127\\.0\\.0\\.1:${port}\\).*Nothing was changed`));
      assert.match(r.output, /Fix: Pass --callback-port \d+/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    assert.equal(registered(), before);
    assert.equal(existsSync(u.journal), false);
  });

  for (const [flags, why] of [
    [['--access-token-ttl', '0'], /--access-token-ttl 0 is outside 1m to 3650d/],
    [['--access-token-ttl', '999999999999d'], /--access-token-ttl 999999999999d is outside 1m to 3650d/],
    [['--access-token-ttl', '5s'], /--access-token-ttl 5s is outside 1m to 3650d/],
    [['--access-token-ttl', '2h', '--refresh-token-ttl', '1h'], /--refresh-token-ttl 1h is shorter than --access-token-ttl 2h/],
  ] as const) {
    test(`token lifetimes ${flags.join(' ')}: exit 2 naming the flag; nothing registered`, async () => {
      const u = await newUser();
      const before = registered();
      const r = await run(u, await initArgs(uniqueName('ttl'), [...flags]));
      expectExit(r, 2);
      assert.match(r.output, why);
      assert.equal(registered(), before);
      assert.equal(existsSync(u.journal), false);
    });
  }
});

// --- Ctrl-C --------------------------------------------------------------------------------------------------

interface Live {
  stderr(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  interrupt(): Promise<{ code: number | null; stderr: string; output: string; ms: number }>;
}

/** The CLI as a process we interrupt: SIGINT, then how long it took to exit and with which code. */
function startLive(u: User, args: string[]): Live {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: u.env, cwd: u.project, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => ((stderr += d), (output += d)));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exited.then(() => {
    clearTimeout(killer);
    outputs.push({ args, text: output });
  });
  return {
    stderr: () => stderr,
    async waitFor(re, timeoutMs = 20_000) {
      const start = Date.now();
      while (!re.test(stderr)) {
        assert.equal(child.exitCode, null, `exited before printing ${re}:\n${stderr}`);
        assert.ok(Date.now() - start < timeoutMs, `no ${re} within ${timeoutMs} ms:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async interrupt() {
      const t0 = Date.now();
      child.kill('SIGINT');
      const code = await exited;
      // The 2 s backstop in cli.ts must never be what stopped it: every wait listens to Ctrl-C itself.
      assert.doesNotMatch(stderr, /did not stop when asked/, 'a wait ignored Ctrl-C and the backstop exited');
      return { code, stderr, output, ms: Date.now() - t0 };
    },
  };
}

/** Run the CLI until a call it makes hangs at the control plane (`reached`), then Ctrl-C it; the rule goes after. */
async function interruptWhenHung(u: User, args: string[], rule: FaultRule, started: RegExp, reached: () => boolean, what: string): Promise<{ code: number | null; stderr: string; output: string; ms: number }> {
  try {
    const live = startLive(u, args);
    await live.waitFor(started);
    const deadline = Date.now() + 10_000;
    while (!reached()) {
      assert.ok(Date.now() < deadline, `${what} never reached the control plane`);
      await new Promise((res) => setTimeout(res, 25));
    }
    return await live.interrupt();
  } finally {
    cp.removeRule(rule);
  }
}

const journalStates = async (u: User) =>
  (JSON.parse(await readFile(u.journal, 'utf8')) as { entries: Array<{ kind: string; state: string }> }).entries.filter((e) => e.state !== 'undone').map((e) => `${e.kind}:${e.state}`);

describe('Ctrl-C stops within seconds, keeps what was made, and exits 130', { concurrency: 1 }, () => {
  test('init waiting for the test login\'s sign-in: exit 130 at once, nothing rolled back; init again resumes, cleanup undoes', async () => {
    const u = await newUser();
    Object.assign(u.env, { BROWSER: 'true' }); // the browser never signs in
    const name = uniqueName('ctrlc-login');
    const args = (await initArgs(name)).filter((a) => a !== '--no-verify');
    const before = registered();
    const run = startLive(u, [...args, '--login-timeout', '120']);
    await run.waitFor(/Waiting for the sign-in in your browser .*\(up to 120 s, --login-timeout; Ctrl-C to stop\)/);
    const r = await run.interrupt();
    assert.equal(r.code, 130, r.stderr);
    assert.ok(r.ms < 3_000, `took ${r.ms} ms`);
    assert.match(r.output, /Cancelled\. What was made so far is kept in the journal: `agentcore-auth init` resumes it, `agentcore-auth cleanup` undoes it\./);
    assert.doesNotMatch(r.output, /Roll|Unexpected error|Setup "default" is ready/);
    const states = await journalStates(u);
    for (const want of ['idp-app:done', 'gateway-create:done', 'client-entry:done']) assert.ok(states.includes(want), `${want} in ${states.join(', ')}`);
    assert.ok(!states.some((x) => x.endsWith(':intent')), 'every step finished before the wait');
    const reg = await registrationOf(u);
    assert.equal(await clientExists(reg, idp.direct), true, 'the OIDC client was kept');
    assert.equal((await gatewaysNamed(name)).length, 1, 'the gateway was kept');
    // Resume: the same flags (no sign-in this time) reuse all of it.
    const again = await run_(u, args.concat('--no-verify'));
    expectExit(again, 0);
    assert.equal(registered(), before + 1, 'no second client');
    expectExit(await run_(u, ['cleanup', '--yes']), 0);
    assert.equal(await clientExists(reg, idp.direct), false);
  });

  test('init while a control-plane call hangs: exit 130 at once, the IdP client is kept (no rollback); cleanup finishes later', async () => {
    const u = await newUser();
    const name = uniqueName('ctrlc-hang');
    const rule = cp.addRule({ method: 'POST', path: GATEWAYS, action: { kind: 'hang' } });
    const sent = cp.matching('POST', GATEWAYS).length;
    const r = await interruptWhenHung(u, await initArgs(name), rule, /Registered OIDC client/, () => cp.matching('POST', GATEWAYS).length > sent, 'CreateGateway');
    assert.equal(r.code, 130, r.stderr);
    assert.ok(r.ms < 3_000, `took ${r.ms} ms`);
    assert.doesNotMatch(r.output, /Rolling back|Delete OIDC client/);
    assert.deepEqual(await journalStates(u), ['idp-app:done', 'gateway-create:intent']);
    const reg = await registrationOf(u);
    assert.equal(await clientExists(reg, idp.direct), true, 'the OIDC client was not rolled back');
    const c = await run_(u, ['cleanup', '--yes']);
    expectExit(c, 0);
    assert.equal(await clientExists(reg, idp.direct), false);
  });

  test('verify waiting for the sign-in: exit 130 at once; --login-timeout 2 ends the wait after 2 s naming the flag', async () => {
    const u = await newUser();
    Object.assign(u.env, { BROWSER: 'true' });
    const name = uniqueName('ctrlc-verify');
    expectExit(await run_(u, await initArgs(name)), 0);
    const run = startLive(u, ['verify']);
    await run.waitFor(/Waiting for the sign-in in your browser .*\(up to 300 s, --login-timeout; Ctrl-C to stop\)/);
    const r = await run.interrupt();
    assert.equal(r.code, 130, r.stderr);
    assert.ok(r.ms < 3_000, `took ${r.ms} ms`);
    assert.doesNotMatch(r.output, /Sign-in.*fail|Unexpected error/);

    const t0 = Date.now();
    const timed = await run_(u, ['verify', '--login-timeout', '2']);
    expectExit(timed, 1);
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
    assert.match(timed.stdout + timed.stderr, /No sign-in arrived within 2 s/);
    assert.match(timed.stdout + timed.stderr, /--login-timeout/);
    expectExit(await run_(u, ['cleanup', '--yes']), 0);
  });

  test('cleanup while the control plane hangs: exit 130 at once; the journal is kept, and the next cleanup finishes', async () => {
    const u = await newUser();
    const name = uniqueName('ctrlc-cleanup');
    expectExit(await run_(u, await initArgs(name)), 0);
    const rule = cp.addRule({ method: 'DELETE', path: /^\/gateways\/[^/]+\/?$/, action: { kind: 'hang' } });
    const r = await interruptWhenHung(u, ['cleanup', '--yes'], rule, /Delete the team profile/, () => cp.requests.some((q) => q.method === 'DELETE'), 'DeleteGateway');
    assert.equal(r.code, 130, r.stderr);
    assert.ok(r.ms < 3_000, `took ${r.ms} ms`);
    assert.match(r.output, /run `agentcore-auth cleanup` again to finish/);
    assert.doesNotMatch(r.output, /is gone|Nothing is left behind/);
    assert.equal(existsSync(u.journal), true, 'the journal is kept');
    const c = await run_(u, ['cleanup', '--yes']);
    expectExit(c, 0);
    assert.deepEqual(await gatewaysNamed(name), []);
  });
});

// --- a full disk: a real tmpfs where it can be mounted (root), and an injected ENOSPC at the fs layer always -----

interface Disk {
  dir: string;
  env: NodeJS.ProcessEnv;
  fill(): Promise<void>;
  free(): Promise<void>;
  done(): Promise<void>;
}

async function tmpfsDisk(dir: string): Promise<Disk | undefined> {
  await mkdir(dir, { recursive: true });
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' }).status !== 0) return undefined;
  const filler = join(dir, 'filler');
  return {
    dir,
    env: {},
    async fill() {
      const fh = await open(filler, 'w');
      const chunk = Buffer.alloc(16 * 1024);
      try {
        for (;;) await fh.write(chunk);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        await fh.close();
      }
    },
    free: () => rm(filler, { force: true }),
    async done() {
      spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
    },
  };
}

/** test/helpers/full-disk-preload.mjs: the CLI process sees ENOSPC under `dir` while `dir/.full` exists. */
async function injectedDisk(dir: string): Promise<Disk> {
  await mkdir(dir, { recursive: true });
  const preload = join(PROJECT_ROOT, 'test', 'helpers', 'full-disk-preload.mjs');
  return {
    dir,
    env: { NODE_OPTIONS: `--import=${preload}`, AGENTCORE_AUTH_TEST_FULL_DIR: dir },
    fill: () => writeFile(join(dir, '.full'), ''),
    free: () => rm(join(dir, '.full'), { force: true }),
    done: async () => undefined,
  };
}

describe('a full disk', { concurrency: 1 }, () => {
  for (const kind of ['tmpfs', 'injected'] as const) {
    test(`${kind}: too little room: init refuses before anything is made; filling up mid-run: a clear error and a journal cleanup finishes`, async (t) => {
      const disk = kind === 'tmpfs' ? await tmpfsDisk(join(root, 'small-disk')) : await injectedDisk(join(root, 'injected-disk'));
      if (!disk) {
        t.skip('cannot mount a tmpfs here (needs root): the injected variant covers the same cases');
        return;
      }
      try {
        const u = await newUser(join(disk.dir, 'state'));
        Object.assign(u.env, disk.env);
        await disk.fill();
        const before = registered();
        const refused = await run(u, await initArgs(uniqueName('full')));
        expectExit(refused, 1);
        assert.match(refused.output, /Only \d+ KiB are free on the disk that holds .*state.*init needs 1 MiB there.*Nothing was changed/);
        assert.equal(registered(), before, 'nothing registered');
        await disk.free();

        // Room at the start; the disk fills while the gateway is being created.
        const name = uniqueName('fills');
        let held = false;
        const hold = cp.addRule({
          method: 'POST',
          path: GATEWAYS,
          action: {
            kind: 'forward-after',
            until: async () => {
              held = true;
              await disk.fill();
            },
          },
        });
        let r: CliResult;
        try {
          r = await run(u, await initArgs(name));
        } finally {
          cp.removeRule(hold);
        }
        assert.ok(held, 'the create was held while the disk filled');
        expectExit(r, 1);
        assert.match(r.output, /Could not write the setup journal .*default\.json: no space is left on the device \(ENOSPC\)/);
        assert.doesNotMatch(r.output, /Unexpected error/);
        assert.match(r.output, /Not rolled back: the journal cannot be written/);
        const journal = JSON.parse(await readFile(u.journal, 'utf8')) as { entries: Array<{ kind: string; state: string }> };
        assert.deepEqual(journal.entries.map((e) => `${e.kind}:${e.state}`), ['idp-app:done', 'gateway-create:intent'], 'the last complete version');
        assert.equal((await gatewaysNamed(name)).length, 1, 'the gateway exists (its id was never recorded)');
        const reg = await registrationOf(u);

        await disk.free();
        const c = await run(u, ['cleanup', '--yes']);
        expectExit(c, 0);
        assert.match(c.output, new RegExp(`Find and delete gateway "${name}" \\(its creation was interrupted\\): done`));
        assert.deepEqual(await gatewaysNamed(name), []);
        assert.equal(await clientExists(reg, idp.direct), false);
        assert.equal(existsSync(u.journal), false);
      } finally {
        await disk.done();
      }
    });
  }
});
