/**
 * Ctrl-C, wherever the CLI waits: the built CLI as a process, the sandbox without auto-login (no sign-in ever
 * arrives unless a test makes one), its control plane behind a fault proxy that can hang any call. Each case sends
 * SIGINT while the CLI waits and checks what a user relies on:
 *   - it exits 130 within seconds, because the wait itself ended (the 2 s backstop in cli.ts, which exits without
 *     waiting and says so, must never be what stopped it);
 *   - it says what to run next, naming the setup;
 *   - nothing is rolled back: the journal, the IdP client, the gateway are as they were, and the next init
 *     resumes (no second client), the next cleanup finishes.
 * Cases not already covered by truth.test.ts's Ctrl-C suite (sign-in wait in init and verify, a hung
 * CreateGateway, a hung DeleteGateway, --login-timeout): the READY poll (GetGateway) hanging under --setup,
 * UpdateGateway hanging on an existing gateway, the IdP's registration answer never arriving (our HTTP layer), and
 * connect waiting for the sign-in.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs cancel
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, CreateGatewayCommand, ListGatewaysCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { CLI_PATH, describeRun, freePort, isolatedEnv, runCli, type CliResult } from '../helpers/cli.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/fault-proxy.js';
import { readGateway } from '../helpers/gateways.js';
import { clientExists, idpEvents, registrationOf, startProxiedIdp, type ProxiedIdp, closeWorld } from '../helpers/proxied-idp.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What the backstop in cli.ts prints when a wait did not stop on its own. */
const BACKSTOP = /did not stop when asked/;
const GATEWAY = /^\/gateways\/[^/]+\/?$/;
const WAITING_FOR_SIGN_IN = /Waiting for the sign-in in your browser .*\(up to 300 s, --login-timeout; Ctrl-C to stop\)/;
/** SIGINT to exit, with room for a busy 2-CPU machine; the backstop check above is what proves the wait ended. */
const PROMPT_MS = 3_000;

let root: string;
let sb: Sandbox;
const sbLog = createMemoryLogger();
let cp: FaultProxy;
/** A second sandbox IdP, behind a fault proxy (its issuer is the proxy's origin), for a registration that hangs. */
let idp: ProxiedIdp;
let sdk: BedrockAgentCoreControlClient;
const outputs: Array<{ args: string[]; text: string }> = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-cancel-'));
  // No autoLogin: the sandbox IdP shows its sign-in form and waits for a person who never comes.
  sb = await startSandbox({ logger: sbLog, readyDelayMs: 40 });
  cp = await startFaultProxy({ target: sb.controlPlaneEndpoint });
  idp = await startProxiedIdp();
  sdk = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

after(() => closeWorld({ closers: [sdk, cp, idp, sb], root, outputs }));

interface User {
  home: string;
  env: NodeJS.ProcessEnv;
  state: string;
  files(setup: string): { journal: string; secrets: string };
}

let users = 0;
async function newUser(): Promise<User> {
  const home = join(root, `home-${++users}`);
  await mkdir(home, { recursive: true });
  // BROWSER=true: the "browser" exits at once and never opens the sign-in page.
  const env = isolatedEnv(home, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', BROWSER: 'true' });
  const state = env.AGENTCORE_AUTH_HOME!;
  return { home, env, state, files: (setup) => ({ journal: join(state, 'setups', `${setup}.json`), secrets: join(state, 'setups', `${setup}.secrets.json`) }) };
}

async function run(u: User, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const r = await runCli(args, { env: u.env, cwd: u.home, timeoutMs });
  outputs.push({ args, text: `${r.stdout}\n${r.stderr}` });
  return r;
}

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.timedOut, false, `timed out:\n${describeRun(r)}`);
  assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);
}

interface Interrupted {
  code: number | null;
  /** stdout and stderr together. */
  text: string;
  /** From SIGINT to exit. */
  ms: number;
}

/** The CLI as a live process: wait until it prints something (and the world is in some state), then Ctrl-C it. */
function startLive(u: User, args: string[]) {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: u.env, cwd: u.home, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  void exited.then(() => {
    clearTimeout(killer);
    outputs.push({ args, text });
  });
  return {
    async waitFor(re: RegExp, also: () => boolean = () => true, what = String(re), timeoutMs = 30_000): Promise<void> {
      const start = Date.now();
      while (!re.test(text) || !also()) {
        assert.equal(child.exitCode, null, `exited before ${what}:\n${text}`);
        assert.ok(Date.now() - start < timeoutMs, `no ${what} within ${timeoutMs} ms:\n${text}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async interrupt(): Promise<Interrupted> {
      const t0 = Date.now();
      child.kill('SIGINT');
      const code = await exited;
      return { code, text, ms: Date.now() - t0 };
    },
  };
}

/** Exit 130 within seconds because the wait ended, not because the backstop gave up on it; no rollback. */
function expectPromptCancel(r: Interrupted): void {
  assert.equal(r.code, 130, r.text);
  assert.ok(r.ms < PROMPT_MS, `SIGINT to exit took ${r.ms} ms:\n${r.text}`);
  assert.doesNotMatch(r.text, BACKSTOP, 'a wait ignored the cancellation; only the 2 s backstop stopped it');
  assert.doesNotMatch(r.text, /Rolling back|Rolled back|Putting back|Unexpected error/);
}

const journalStates = async (journal: string) =>
  (JSON.parse(await readFile(journal, 'utf8')) as { entries: Array<{ kind: string; state: string }> }).entries.filter((e) => e.state !== 'undone').map((e) => `${e.kind}:${e.state}`);

async function gatewaysNamed(name: string): Promise<string[]> {
  const out = await sdk.send(new ListGatewaysCommand({}));
  return (out.items ?? []).filter((g) => g.name === name).map((g) => g.gatewayId!);
}

const registeredCount = () => sbLog.lines.filter((l) => l.includes('IdP: registered client')).length;

let names = 0;
const uniqueName = (what: string) => `cancel-${what}-${process.pid % 10000}-${++names}`;

async function initArgs(target: { create: string } | { gateway: string }, extra: string[] = [], issuer = sb.issuer): Promise<string[]> {
  return [
    'init', '--provider', 'oidc', '--issuer', issuer, '--endpoint-url', cp.origin, '--region', sb.region,
    ...('create' in target ? ['--create-gateway', target.create, '--role-arn', sb.roleArn] : ['--gateway', target.gateway]),
    '--client', 'kiro', '--callback-port', String(await freePort()), '--yes', '--no-verify',
    ...extra,
  ];
}

/** Runs `test` with `rule` in place at the control-plane proxy, and takes it away after (whatever happens). */
async function withRule<T>(rule: FaultRule, body: () => Promise<T>): Promise<T> {
  cp.addRule(rule);
  try {
    return await body();
  } finally {
    cp.removeRule(rule);
  }
}

describe('Ctrl-C ends every wait within seconds, keeps what was made, exits 130', { concurrency: 1 }, () => {
  test('init --setup team-a while the READY poll (GetGateway) hangs: exit 130 naming --setup team-a; client and gateway kept; init resumes without a second client; cleanup removes both', async () => {
    const u = await newUser();
    const name = uniqueName('poll');
    const setup = 'team-a';
    const files = u.files(setup);
    const args = await initArgs({ create: name }, ['--setup', setup]);
    const registeredBefore = registeredCount();
    const polled = () => cp.matching('GET', GATEWAY).length;
    const sentBefore = polled();
    const r = await withRule({ method: 'GET', path: GATEWAY, action: { kind: 'hang' } }, async () => {
      const live = startLive(u, args);
      await live.waitFor(/Created gateway/, () => polled() > sentBefore, 'GetGateway hanging at the control plane');
      return live.interrupt();
    });
    expectPromptCancel(r);
    assert.match(r.text, /`agentcore-auth init --setup team-a` resumes it, `agentcore-auth cleanup --setup team-a` undoes it/);
    assert.doesNotMatch(r.text, /Delete OIDC client|Deleted/);

    // Kept: the journal records both as made; the IdP and the control plane still have them.
    assert.deepEqual(await journalStates(files.journal), ['idp-app:done', 'gateway-create:done']);
    const reg = await registrationOf(files);
    assert.equal(await clientExists(reg, sb.issuer), true, 'the OIDC client was kept');
    const ids = await gatewaysNamed(name);
    assert.equal(ids.length, 1, 'the gateway was kept');
    assert.notEqual(await readGateway(sdk, ids[0]!), null);
    assert.equal(registeredCount(), registeredBefore + 1);

    // Resume with the same flags: the same client, the same gateway, now finished.
    const again = await run(u, args);
    expectExit(again, 0);
    assert.equal(registeredCount(), registeredBefore + 1, 'no second client registered');
    assert.deepEqual(await gatewaysNamed(name), ids, 'no second gateway');
    assert.ok((await journalStates(files.journal)).includes('client-entry:done'));

    const c = await run(u, ['cleanup', '--setup', setup, '--yes']);
    expectExit(c, 0);
    assert.equal(await clientExists(reg, sb.issuer), false, 'cleanup deleted the client');
    assert.deepEqual(await gatewaysNamed(name), [], 'cleanup deleted the gateway');
  });

  test('init on an existing gateway while UpdateGateway hangs: exit 130; the IdP client is kept and the authorizer change stays an intent; cleanup deletes the client and leaves the gateway as it was', async () => {
    const u = await newUser();
    const theirs = { customJWTAuthorizer: { discoveryUrl: sb.discoveryUrl, allowedClients: ['their-own-client'] } };
    const created = await sdk.send(new CreateGatewayCommand({ name: uniqueName('existing'), roleArn: sb.roleArn, protocolType: 'MCP', authorizerType: 'CUSTOM_JWT', authorizerConfiguration: theirs }));
    const id = created.gatewayId!;
    const deadline = Date.now() + 10_000;
    while ((await readGateway(sdk, id))?.status !== 'READY') {
      assert.ok(Date.now() < deadline, 'the gateway never became READY');
      await new Promise((res) => setTimeout(res, 50));
    }
    const files = u.files('default');
    const updates = () => cp.matching('PUT', GATEWAY).length;
    const sentBefore = updates();
    const r = await withRule({ method: 'PUT', path: GATEWAY, action: { kind: 'hang' } }, async () => {
      const live = startLive(u, await initArgs({ gateway: id }));
      await live.waitFor(/Registered OIDC client/, () => updates() > sentBefore, 'UpdateGateway hanging at the control plane');
      return live.interrupt();
    });
    expectPromptCancel(r);
    assert.match(r.text, /`agentcore-auth init` resumes it, `agentcore-auth cleanup` undoes it/);
    assert.doesNotMatch(r.text, /Delete OIDC client/);

    // The call's outcome is unknown to the CLI: it stays an intent for cleanup (or the next init) to reconcile.
    assert.deepEqual(await journalStates(files.journal), ['idp-app:done', 'gateway-authorizer:intent']);
    const reg = await registrationOf(files);
    assert.equal(await clientExists(reg, sb.issuer), true, 'the OIDC client was not rolled back');
    assert.deepEqual((await readGateway(sdk, id))?.authorizerConfiguration, theirs, 'the hung update never reached the gateway');

    const c = await run(u, ['cleanup', '--yes']);
    expectExit(c, 0);
    assert.equal(await clientExists(reg, sb.issuer), false, 'cleanup deleted the client');
    const g = await readGateway(sdk, id);
    assert.notEqual(g, null, 'a gateway init did not create is never deleted');
    assert.deepEqual(g?.authorizerConfiguration, theirs, "the gateway keeps its owner's authorizer");
  });

  test("init while the IdP's registration answer never arrives: exit 130; the registration stays an intent (it may have happened), no gateway is made; cleanup names the manual step", async () => {
    const u = await newUser();
    const name = uniqueName('reg');
    const files = u.files('default');
    const REG = /^\/reg\/?$/;
    const registeredBefore = idpEvents(idp.log, 'registered');
    // The IdP gets the request and registers the client; its answer never comes back.
    const rule = idp.proxy.addRule({ method: 'POST', path: REG, action: { kind: 'hang', forward: true } });
    let r: Interrupted;
    try {
      const live = startLive(u, await initArgs({ create: name }, [], idp.issuer));
      await live.waitFor(/Register/, () => idpEvents(idp.log, 'registered') > registeredBefore, 'the registration reaching the IdP');
      r = await live.interrupt();
    } finally {
      idp.proxy.removeRule(rule);
    }
    expectPromptCancel(r);
    assert.match(r.text, /`agentcore-auth init` resumes it, `agentcore-auth cleanup` undoes it/);
    // Its outcome is unknown to the CLI: never recorded as failed (that would forget a client that exists).
    assert.deepEqual(await journalStates(files.journal), ['idp-app:intent']);
    assert.deepEqual(await gatewaysNamed(name), [], 'init stopped before the gateway');

    const c = await run(u, ['cleanup', '--yes']);
    expectExit(c, 1);
    assert.match(c.output, /Look for a client named "agentcore-auth default"/);
    assert.match(c.output, /agentcore-auth cleanup --forget 1\b/);
    expectExit(await run(u, ['cleanup', '--yes', '--forget', '1']), 0);
    assert.equal(existsSync(files.journal), false);
  });

  test('connect waiting for the sign-in: exit 130 naming `cleanup --setup connect`; the entry it wrote is kept; that cleanup removes it', async () => {
    // The admin's setup, and the team profile a developer connects with.
    const admin = await newUser();
    const profile = join(admin.home, 'agentcore-auth.team.json');
    expectExit(await run(admin, await initArgs({ create: uniqueName('team') }, ['--team-profile', profile])), 0);

    const dev = await newUser();
    const kiro = join(dev.home, '.kiro', 'settings', 'mcp.json');
    const live = startLive(dev, ['connect', '--profile', profile, '--client', 'kiro', '--yes']);
    await live.waitFor(WAITING_FOR_SIGN_IN);
    const r = await live.interrupt();
    expectPromptCancel(r);
    assert.match(r.text, /`agentcore-auth cleanup --setup connect` undoes it/);

    const files = dev.files('connect');
    assert.deepEqual(await journalStates(files.journal), ['client-entry:done']);
    const entry = (JSON.parse(await readFile(kiro, 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers;
    assert.equal(Object.keys(entry).length, 1, 'the entry connect wrote is still there');

    // The command it named removes it: the file connect created goes with it.
    expectExit(await run(dev, ['cleanup', '--setup', 'connect', '--yes']), 0);
    assert.equal(existsSync(kiro), false);
    expectExit(await run(admin, ['cleanup', '--yes']), 0);
  });
});
