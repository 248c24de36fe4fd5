/**
 * The CLI's promises, end to end: the built CLI (`node dist/src/cli.js ...`) runs as its own process, against
 * the sandbox (identity provider + AgentCore-compatible control plane) started in this process for speed.
 * Every test gets its own HOME / AGENTCORE_AUTH_HOME, CI=1, and checks what a user sees: the exit code, that
 * the message names the flag or the fix, and that files and remote resources are unchanged when promised.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node --test dist/test/e2e/cli.test.js
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BedrockAgentCoreControlClient,
  CreateGatewayCommand,
  DeleteGatewayCommand,
  ListGatewaysCommand,
} from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import {
  CLI_PATH,
  PROJECT_ROOT,
  describeRun,
  freePort,
  isolatedEnv,
  parseSingleJson,
  runCli as runCliRaw,
  startSandboxProcess,
  type CliResult,
} from '../helpers/cli.js';
import { readGateway } from '../helpers/gateways.js';
import { packagesIn, sourcesLoadedBy } from '../helpers/loaded.js';

const BROWSER_SH = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

// ---------------------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------------------

let root: string;
/** Every stdout and stderr the CLI printed in this file: scanned for tokens at the end. */
const allOutput: Array<{ args: string[]; text: string }> = [];

async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  const r = await runCliRaw(args, { env, timeoutMs });
  allOutput.push({ args, text: `${r.stdout}\n${r.stderr}` });
  assert.equal(r.timedOut, false, `timed out:\n${describeRun(r)}`);
  return r;
}

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);
}

/** A throwaway user: HOME, state dir, env for the CLI (CI=1, $BROWSER follows the sandbox's auto-login). */
interface User {
  home: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  kiroPath: string;
  journal(setup?: string): string;
}

let userCount = 0;
async function newUser(extra: NodeJS.ProcessEnv = {}): Promise<User> {
  const home = join(root, `home-${++userCount}`);
  await mkdir(home, { recursive: true });
  const env = isolatedEnv(home, { BROWSER: BROWSER_SH, DISPLAY: '', BROWSER_TIMEOUT_MS: '10000', ...extra });
  const stateDir = env.AGENTCORE_AUTH_HOME!;
  return {
    home,
    stateDir,
    env,
    kiroPath: join(home, '.kiro', 'settings', 'mcp.json'),
    journal: (setup = 'default') => join(stateDir, 'setups', `${setup}.json`),
  };
}

/** Every file under dir (recursively) with its bytes: "changes nothing" means this is identical. */
async function fileTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = await stat(p);
      if (st.isDirectory()) await walk(p);
      else out.set(relative(dir, p), (await readFile(p)).toString('base64'));
    }
  };
  await walk(dir);
  return out;
}

function assertSameTree(before: Map<string, string>, after: Map<string, string>, what: string): void {
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), `${what}: the set of files changed`);
  for (const [k, v] of before) assert.equal(after.get(k), v, `${what}: ${k} changed`);
}

// --- the sandbox, and the control plane through the real AWS SDK -----------------------------------------

let sb: Sandbox;
const sbLog = createMemoryLogger();
let sdk: BedrockAgentCoreControlClient;

function sdkFor(s: Sandbox): BedrockAgentCoreControlClient {
  return new BedrockAgentCoreControlClient({
    region: s.region,
    endpoint: s.controlPlaneEndpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

async function listGateways(client = sdk): Promise<Array<{ id: string; name: string; status: string }>> {
  const r = await client.send(new ListGatewaysCommand({}));
  return (r.items ?? []).map((g) => ({ id: g.gatewayId!, name: g.name!, status: g.status! })).sort((a, b) => a.id.localeCompare(b.id));
}

const getGateway = (id: string, client = sdk) => readGateway(client, id);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 5_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Deleted gateways pass through DELETING: wait until GetGateway says they are gone. */
async function waitGone(id: string): Promise<void> {
  await waitFor(`gateway ${id} to disappear`, async () => (await getGateway(id)) === null);
}

/** Clients the sandbox IdP registered / deleted so far (from its log). */
function idpEvents(kind: 'registered' | 'deleted'): string[] {
  const re = new RegExp(`IdP: ${kind} client (\\S+)`);
  return sbLog.lines.map((l) => re.exec(l)?.[1]).filter((x): x is string => Boolean(x));
}

/** Remote state to compare before/after a run that must change nothing. */
async function remoteSnapshot(): Promise<{ gateways: string; registered: number }> {
  return { gateways: JSON.stringify(await listGateways()), registered: idpEvents('registered').length };
}

async function assertRemoteUnchanged(before: { gateways: string; registered: number }, what: string): Promise<void> {
  const now = await remoteSnapshot();
  assert.equal(now.registered, before.registered, `${what}: an OIDC client was registered at the IdP`);
  assert.equal(now.gateways, before.gateways, `${what}: the gateways changed (ListGateways)`);
}

let gwCount = 0;
const gwName = (prefix: string) => `${prefix}-${process.pid}-${++gwCount}`;

/** init's flags for a new gateway on the sandbox. */
function initArgs(opts: { gateway: string; port: number; setup?: string; s?: Sandbox }): string[] {
  const s = opts.s ?? sb;
  return [
    'init',
    '--provider', 'oidc',
    '--issuer', s.issuer,
    '--endpoint-url', s.controlPlaneEndpoint,
    '--region', s.region,
    '--create-gateway', opts.gateway,
    '--role-arn', s.roleArn,
    '--callback-port', String(opts.port),
    ...(opts.setup ? ['--setup', opts.setup] : []),
  ];
}

/** A finished setup (init --yes --no-verify), for the tests that start from one. */
async function initSetup(u: User, setup: string, prefix: string): Promise<{ clientId: string; gatewayId: string; gatewayUrl: string; port: number }> {
  const port = await freePort();
  const r = await runCli([...initArgs({ gateway: gwName(prefix), port, setup }), '--yes', '--no-verify', '--json'], u.env);
  expectExit(r, 0);
  const doc = parseSingleJson<{ ok: boolean; app: { clientId: string }; gateway: { gatewayId: string; gatewayUrl: string } }>(r);
  assert.equal(doc.ok, true);
  return { clientId: doc.app.clientId, gatewayId: doc.gateway.gatewayId, gatewayUrl: doc.gateway.gatewayUrl, port };
}

// --- a CLI process we talk to while it runs (Ctrl-C tests) ------------------------------------------------

interface LiveCli {
  child: ChildProcess;
  stderr(): string;
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; output: string }>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv): LiveCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => ((stderr += d), (output += d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; output: string }>((resolve) => {
    child.once('close', (code, signal) => {
      allOutput.push({ args, text: `${stdout}\n${stderr}` });
      resolve({ code, signal, stdout, stderr, output });
    });
  });
  live.add(child);
  void exited.then(() => live.delete(child));
  return {
    child,
    stderr: () => stderr,
    exited,
    async waitForStderr(re, timeoutMs = 20_000) {
      const start = Date.now();
      while (!re.test(stderr)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before printing ${re}:\n${stderr}`);
        if (Date.now() - start > timeoutMs) throw new Error(`no ${re} on stderr within ${timeoutMs} ms:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}
const live = new Set<ChildProcess>();

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-cli-e2e-'));
  sb = await startSandbox({ autoLogin: 'alice', logger: sbLog, readyDelayMs: 40 });
  sdk = sdkFor(sb);
});

after(async () => {
  for (const c of live) c.kill('SIGKILL');
  sdk?.destroy();
  await sb?.close();
  await rm(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------
// Flags and usage errors (no sandbox needed: these fail before anything is contacted)
// ---------------------------------------------------------------------------------------------------------

describe('help, version and usage errors', () => {
  test('--help and --version exit 0; a command\'s --help lists its flags', async () => {
    const u = await newUser();
    const help = await runCli(['--help'], u.env);
    expectExit(help, 0);
    assert.match(help.stdout, /Usage: agentcore-auth <command>/);
    for (const c of ['init', 'verify', 'cleanup', 'status', 'sandbox', 'demo']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));

    const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const v = await runCli([flag], u.env);
      expectExit(v, 0);
      assert.equal(v.stdout, `${pkg.version}\n`);
    }

    const initHelp = await runCli(['init', '--help'], u.env);
    expectExit(initHelp, 0);
    for (const f of ['--issuer', '--gateway', '--create-gateway', '--role-arn', '--callback-port', '--yes', '--dry-run', '--json']) {
      assert.ok(initHelp.stdout.includes(f), `init --help mentions ${f}`);
    }
  });

  test('--help, --version and a command\'s --help load no dependency: every SDK waits in a chunk of its own', async () => {
    const u = await newUser();
    for (const args of [['--help'], ['--version'], ['init', '--help'], ['verify', '--help'], ['connect', '--help'], ['cleanup', '--help']]) {
      const r = await sourcesLoadedBy(args, u.env);
      assert.equal(r.code, 0, `agentcore-auth ${args.join(' ')} exits 0`);
      assert.ok(r.sources.includes('src/cli.ts'), `the sources of \`${args.join(' ')}\` were traced: ${r.sources.join(', ')}`);
      assert.deepEqual(packagesIn(r.sources), [], `\`agentcore-auth ${args.join(' ')}\` loaded packages`);
      assert.ok(!r.sources.some((s) => /^(providers\/[^/]+\/(adapter|api)|src\/(sandbox|checks|gateway)\/)/.test(s)), `\`${args.join(' ')}\` loaded an adapter, the sandbox or verify's checks: ${r.sources.join(', ')}`);
    }
  });

  test('help: flags under headings by purpose and by provider, wrapped, one example per provider; status and sandbox list only the flags that do something', async () => {
    const u = await newUser();
    const initHelp = (await runCli(['init', '--help'], u.env)).stdout;
    const headings = initHelp.split('\n').filter((l) => /^\S.*:$/.test(l));
    for (const h of ['Identity provider:', 'Who may use the gateway (default: anyone who can sign in through this app):', 'Gateway and AWS:', 'MCP clients and the team:', 'Run and verify:', 'Global flags:', 'Examples:']) {
      assert.ok(headings.includes(h), `init --help has the heading ${h}`);
    }
    for (const p of ['okta', 'entra', 'cognito', 'auth0', 'oidc']) {
      assert.ok(headings.some((h) => h.endsWith(`(--provider ${p}):`)), `a heading for ${p}`);
      assert.match(initHelp, new RegExp(`^  agentcore-auth init --provider ${p} `, 'm'), `an example for ${p}`);
    }
    assert.ok(initHelp.indexOf('--okta-org-url') > initHelp.indexOf('Okta'), 'provider flags sit under their provider');
    const widest = Math.max(...initHelp.split('\n').filter((l) => !l.startsWith('  agentcore-auth')).map((l) => l.length));
    assert.ok(widest <= 100, `lines are wrapped to the width (100 when not a terminal): ${widest}`);

    const status = (await runCli(['status', '--help'], u.env)).stdout;
    for (const f of ['--json', '--setup', '--verbose']) assert.ok(status.includes(f), `status --help lists ${f}`);
    for (const f of ['--yes', '--dry-run', '--no-input']) assert.ok(!status.includes(f), `status --help does not list ${f}, which does nothing there`);
    const sandbox = (await runCli(['sandbox', '--help'], u.env)).stdout;
    for (const f of ['--yes', '--dry-run', '--setup', '--no-input']) assert.ok(!sandbox.includes(f), `sandbox --help does not list ${f}`);
    const verify = (await runCli(['verify', '--help'], u.env)).stdout;
    assert.match(verify, /--dry-run skips both: read-only probes only/);
  });

  test("parseArgs' messages are said plainly, and values get 'did you mean'", async () => {
    const u = await newUser();
    const cases: Array<[string[], RegExp]> = [
      [['init', '--issuer'], /✖ --issuer needs a value\./],
      [['init', '--issuer', '--yes'], /✖ --issuer needs a value, but the next word is a flag/],
      [['init', '--yes=1'], /✖ --yes is an on\/off flag and takes no value\./],
      [['status', 'extra'], /✖ 'status' takes no argument 'extra'\./],
      [['init', '--provider', 'okat', '--yes'], /--provider must be one of: oidc, okta, entra, cognito, auth0 \(got "okat"\)\. Did you mean okta\?/],
      [['init', '--client', 'claud-code', '--issuer', 'https://idp.example.com', '--gateway', 'gw-1', '--yes'], /--client: unknown client "claud-code"\. Did you mean claude-code\?/],
      [['completion', 'bsh'], /completion needs one shell: bash, zsh, fish \(got "bsh"\)\. Did you mean bash\?/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, u.env);
      expectExit(r, 2);
      assert.match(r.stderr, re, args.join(' '));
      assert.doesNotMatch(r.stderr, /Option '|ERR_PARSE_ARGS/, 'no raw parseArgs text');
    }
  });

  test('completion: a bash script generated from the commands completes commands, flags and values', async () => {
    const u = await newUser();
    const r = await runCli(['completion', 'bash'], u.env);
    expectExit(r, 0);
    const script = join(u.home, 'completion.bash');
    await writeFile(script, r.stdout);
    const complete = (words: string[]) =>
      execFileSync('bash', ['-c', `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _agentcore_auth; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).trim();
    assert.equal(complete(['agentcore-auth', 've']), 'verify');
    assert.equal(complete(['agentcore-auth', 'init', '--allow-gr']), '--allow-group');
    assert.equal(complete(['agentcore-auth', 'init', '--provider', 'co']), 'cognito');
    assert.equal(complete(['agentcore-auth', 'verify', '--client', 'kiro-w']), 'kiro-workspace');
    assert.equal(complete(['agentcore-auth', 'cleanup', '--keep']), '--keep-app');
    for (const shell of ['zsh', 'fish']) {
      const x = await runCli(['completion', shell], u.env);
      expectExit(x, 0);
      assert.match(x.stdout, shell === 'zsh' ? /bashcompinit/ : /complete -c agentcore-auth -n '__fish_seen_subcommand_from init' -l allow-group -r/);
    }
  });

  test('no arguments prints the help and exits 2', async () => {
    const u = await newUser();
    const r = await runCli([], u.env);
    expectExit(r, 2);
    assert.match(r.stdout, /Usage: agentcore-auth <command>/);
  });

  test('an unknown command exits 2 with a suggestion', async () => {
    const u = await newUser();
    const r = await runCli(['int'], u.env);
    expectExit(r, 2);
    assert.match(r.output, /Unknown command 'int'\. Did you mean 'init'\?/);
    assert.equal(r.stdout, '');
  });

  test('an unknown flag exits 2 naming it, with "Did you mean" for a near miss', async () => {
    const u = await newUser();
    const far = await runCli(['init', '--frobnicate'], u.env);
    expectExit(far, 2);
    assert.match(far.output, /Unknown flag --frobnicate for 'init'/);
    assert.doesNotMatch(far.output, /Did you mean/);

    const near = await runCli(['init', '--issur', 'https://idp.example.com'], u.env);
    expectExit(near, 2);
    assert.match(near.output, /Unknown flag --issur for 'init'\. Did you mean --issuer\?/);
    assert.match(near.output, /agentcore-auth init --help/);
  });

  test('init --callback-port 70000 exits 2 naming the flag and the value', async () => {
    const u = await newUser();
    const bare = await runCli(['init', '--callback-port', '70000'], u.env);
    expectExit(bare, 2);
    // With every other answer given, the port is what is wrong, and it is caught before anything is contacted
    // (the issuer below is a closed port).
    const full = await runCli(
      ['init', '--issuer', 'http://127.0.0.1:9', '--create-gateway', 'gw', '--role-arn', 'arn:aws:iam::123456789012:role/r', '--callback-port', '70000', '--yes'],
      u.env,
    );
    expectExit(full, 2);
    assert.match(full.output, /--callback-port/);
    assert.match(full.output, /70000/);
    assert.deepEqual(await fileTree(u.home), new Map(), 'nothing written');
  });

  test('init --issuer not-a-url exits 2 naming --issuer', async () => {
    const u = await newUser();
    const r = await runCli(['init', '--issuer', 'not-a-url'], u.env);
    expectExit(r, 2);
    assert.match(r.output, /--issuer "not-a-url" is not an http\(s\) URL/);
  });

  test("--setup 'bad name!' exits 2 for every command that reads a setup", async () => {
    const u = await newUser();
    for (const cmd of ['init', 'status', 'cleanup', 'verify']) {
      const r = await runCli([cmd, '--setup', 'bad name!'], u.env);
      expectExit(r, 2);
      assert.match(r.output, /Invalid setup name "bad name!"/, cmd);
    }
    // Refused up front, before the issuer (a closed port here) is contacted.
    const full = await runCli(
      ['init', '--setup', 'bad name!', '--issuer', 'http://127.0.0.1:9', '--create-gateway', 'gw', '--role-arn', 'arn:aws:iam::123456789012:role/r', '--yes'],
      u.env,
    );
    expectExit(full, 2);
    assert.match(full.output, /Invalid setup name "bad name!"/);
    assert.deepEqual([...(await fileTree(u.home)).keys()], [], 'nothing written');
  });

  test('--json usage error: stdout is one JSON document {ok:false, error:{code,message}}, exit 2', async () => {
    const u = await newUser();
    for (const args of [['init', '--issur', 'x', '--json'], ['init', '--json'], ['frob', '--json']]) {
      const r = await runCli(args, u.env);
      expectExit(r, 2);
      const doc = parseSingleJson<{ ok: boolean; error: { code: string; message: string; fix?: string } }>(r);
      assert.equal(doc.ok, false);
      assert.equal(doc.error.code, 'usage');
      assert.equal(typeof doc.error.message, 'string');
      assert.ok(doc.error.message.length > 0);
      assert.ok(r.output.includes(doc.error.message), 'the human message goes to stderr too');
    }
  });

  test('non-interactive (CI=1): init without --issuer names --issuer; without a gateway names --gateway and --create-gateway', async () => {
    const u = await newUser();
    const noIssuer = await runCli(['init'], u.env);
    expectExit(noIssuer, 2);
    assert.match(noIssuer.output, /Missing --issuer/);
    assert.match(noIssuer.output, /CI is set/);
    assert.match(noIssuer.output, /AGENTCORE_AUTH_ISSUER/);

    const noGateway = await runCli(['init', '--issuer', 'http://127.0.0.1:9'], u.env);
    expectExit(noGateway, 2);
    assert.match(noGateway.output, /--gateway/);
    assert.match(noGateway.output, /--create-gateway/);

    const noRole = await runCli(['init', '--issuer', 'http://127.0.0.1:9', '--create-gateway', 'gw'], u.env);
    expectExit(noRole, 2);
    assert.match(noRole.output, /Missing --role-arn/);
    assert.deepEqual(await fileTree(u.home), new Map(), 'nothing written');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Against the sandbox
// ---------------------------------------------------------------------------------------------------------

describe('init against the sandbox', () => {
  test('a full init without --yes exits 2 naming --yes and changes nothing', async () => {
    const u = await newUser();
    const remote = await remoteSnapshot();
    const r = await runCli(initArgs({ gateway: gwName('noyes'), port: await freePort() }), u.env);
    expectExit(r, 2);
    assert.match(r.output, /--yes/);
    assert.match(r.output, /Plan for setup "default"/, 'the plan was shown before asking');
    assert.equal(existsSync(u.journal()), false, 'no journal');
    assert.equal(existsSync(u.kiroPath), false, 'no mcp.json');
    assert.deepEqual([...(await fileTree(u.home)).keys()], [], 'no file at all');
    await assertRemoteUnchanged(remote, 'init without --yes');
  });

  test('--dry-run prints the plan and changes nothing; with --json stdout is one JSON document with the plan', async () => {
    const u = await newUser();
    const remote = await remoteSnapshot();
    const port = await freePort();
    const name = gwName('dry');
    const r = await runCli([...initArgs({ gateway: name, port }), '--dry-run'], u.env);
    expectExit(r, 0);
    assert.match(r.output, /Register public OIDC client/);
    assert.match(r.output, new RegExp(`Create gateway "${name}"`));
    // A file that does not exist yet is created (nothing to back up); every step is numbered in the order it runs.
    assert.match(r.output, /  3\. \+ Create ~\/\.kiro\/settings\/mcp\.json with MCP server "gateway-tools"/);
    assert.doesNotMatch(r.output, /backed up/);
    assert.match(r.output, /  4\. \+ Write the team profile .*\n  5\.   Verify:/);
    assert.match(r.output, /Dry run: nothing was changed/);
    assert.equal(r.stdout, '', 'without --json, stdout stays empty');

    const j = await runCli([...initArgs({ gateway: name, port }), '--dry-run', '--json'], u.env);
    expectExit(j, 0);
    const doc = parseSingleJson<{ ok: boolean; dryRun: boolean; plan: { steps: Array<{ kind: string; action?: string; redirectUri?: string }> } }>(j);
    assert.equal(doc.ok, true);
    assert.equal(doc.dryRun, true);
    assert.deepEqual(doc.plan.steps.map((s) => s.kind), ['idp-app', 'gateway', 'client-entry', 'verify']);
    assert.equal(doc.plan.steps[0]!.action, 'create');
    assert.equal(doc.plan.steps[0]!.redirectUri, `http://localhost:${port}/oauth/callback`);
    assert.equal(doc.plan.steps[1]!.action, 'create');
    assert.match(j.output, /Plan for setup/, 'human text on stderr');

    assert.deepEqual([...(await fileTree(u.home)).keys()], [], 'nothing written');
    await assertRemoteUnchanged(remote, 'init --dry-run');
  });

  test('the whole journey with --json: init (with test login), status, verify, cleanup; one JSON document each, no token printed', async () => {
    const u = await newUser();
    const port = await freePort();
    const name = gwName('journey');
    const registeredBefore = idpEvents('registered').length;

    const init = await runCli([...initArgs({ gateway: name, port }), '--yes', '--json'], u.env, 60_000);
    expectExit(init, 0);
    const doc = parseSingleJson<{
      ok: boolean;
      app: { clientId: string; issuer: string };
      gateway: { gatewayId: string; gatewayUrl: string; status: string };
      client: { path: string; serverName: string };
      verify: { ok: boolean; counts: Record<string, number>; checks: Array<{ id: string; status: string }> };
    }>(init);
    assert.equal(doc.ok, true);
    assert.equal(doc.app.issuer, sb.issuer);
    assert.equal(doc.gateway.status, 'READY');
    assert.equal(doc.client.path, u.kiroPath);
    assert.equal(doc.verify.ok, true);
    assert.equal(doc.verify.counts.fail, 0);
    assert.equal(doc.verify.checks.find((c) => c.id === 'login')?.status, 'pass', 'the test login went through $BROWSER');
    assert.match(init.output, /Setup "default" is ready/);
    assert.deepEqual(idpEvents('registered').slice(registeredBefore), [doc.app.clientId], 'exactly one client registered');

    // The gateway pins tokens to this client.
    const g = await getGateway(doc.gateway.gatewayId);
    assert.ok(g);
    assert.equal(g.authorizerType, 'CUSTOM_JWT');
    assert.deepEqual((g.authorizerConfiguration as any).customJWTAuthorizer.allowedClients, [doc.app.clientId]);
    assert.equal((g.authorizerConfiguration as any).customJWTAuthorizer.discoveryUrl, sb.discoveryUrl);

    // Kiro's mcp.json runs mcp-remote against the gateway with the registered client and callback port.
    const kiro = JSON.parse(await readFile(u.kiroPath, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    const entry = kiro.mcpServers['gateway-tools'];
    assert.ok(entry);
    assert.ok(entry.args.includes(doc.gateway.gatewayUrl));
    assert.ok(entry.args.includes(String(port)));
    assert.ok(entry.args.some((a) => a.includes(doc.app.clientId)));

    // Journal and secrets are private.
    assert.equal((await stat(u.journal())).mode & 0o777, 0o600);

    const status = await runCli(['status', '--json'], u.env);
    expectExit(status, 0);
    const st = parseSingleJson<{ setups: Array<{ setup: string; drift: boolean; items: Array<{ kind: string; live: string }> }> }>(status);
    assert.equal(st.setups.length, 1);
    assert.equal(st.setups[0]!.drift, false);
    assert.deepEqual(st.setups[0]!.items.map((i) => i.live), ['present', 'present', 'present']);
    assert.match(status.output, /Setup "default": ready/);

    const verify = await runCli(['verify', '--json'], u.env, 60_000);
    expectExit(verify, 0);
    const v = parseSingleJson<{ ok: boolean; gatewayUrl: string; counts: Record<string, number> }>(verify);
    assert.equal(v.ok, true);
    assert.equal(v.gatewayUrl, doc.gateway.gatewayUrl);
    assert.equal(v.counts.fail, 0);
    assert.ok(v.counts.pass >= 8, `verify passed ${v.counts.pass} checks`);
    assert.match(verify.output, /passed, 0 warning\(s\), 0 failed/);

    const cleanup = await runCli(['cleanup', '--yes', '--json'], u.env);
    expectExit(cleanup, 0);
    const c = parseSingleJson<{ ok: boolean; nothingToDo: boolean; actions: Array<{ what: string; status: string }> }>(cleanup);
    assert.equal(c.ok, true);
    assert.equal(c.nothingToDo, false);
    assert.ok(!c.actions.some((a) => a.status === 'left'), JSON.stringify(c.actions));
    assert.match(cleanup.output, /is gone/);

    // Nothing left: no gateway, no client at the IdP, no entry, no journal.
    await waitGone(doc.gateway.gatewayId);
    assert.ok(idpEvents('deleted').includes(doc.app.clientId), 'the OIDC client was deleted at the IdP');
    assert.equal(existsSync(u.kiroPath), false, 'the mcp.json init created is deleted');
    assert.equal(existsSync(join(u.home, '.kiro')), false, 'and the folders it made');
    assert.equal(existsSync(u.journal()), false);

    // Tokens never printed, in any of the four runs.
    for (const r of [init, status, verify, cleanup]) {
      assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, JWT, `a JWT was printed by agentcore-auth ${r.args[0]}`);
    }
  });

  test('an mcp.json that does not parse: init exits 1 naming the file and line, before touching anything remote', async () => {
    const u = await newUser();
    await mkdir(join(u.home, '.kiro', 'settings'), { recursive: true });
    const broken = '{\n  "mcpServers": {\n    "other": { "command": "x", }\n  }\n}\n';
    await writeFile(u.kiroPath, broken);
    const remote = await remoteSnapshot();
    const r = await runCli([...initArgs({ gateway: gwName('badjson'), port: await freePort() }), '--yes'], u.env);
    expectExit(r, 1);
    assert.ok(r.output.includes(u.kiroPath), 'the message names the file');
    assert.match(r.output, /line 3/);
    assert.equal(await readFile(u.kiroPath, 'utf8'), broken, 'the file is byte-identical');
    // The config file is checked in preflight: no app registered, no gateway created, no journal.
    await assertRemoteUnchanged(remote, 'init with an unparseable mcp.json');
    assert.equal(existsSync(u.journal()), false);
    assert.deepEqual([...(await fileTree(u.home)).keys()], [join('.kiro', 'settings', 'mcp.json')], 'no other file (no backup, no temp file)');

    // And cleanup has nothing to remove.
    const c = await runCli(['cleanup', '--yes'], u.env);
    expectExit(c, 0);
    assert.match(c.output, /Nothing to clean up/);
    await assertRemoteUnchanged(remote, 'cleanup after the refused init');
  });

  test('an existing gateway with authorizer NONE: init --gateway exits 1, explains AWS cannot change it, suggests --create-gateway, changes nothing', async () => {
    const u = await newUser();
    const created = await sdk.send(
      new CreateGatewayCommand({ name: gwName('open'), roleArn: sb.roleArn, protocolType: 'MCP', authorizerType: 'NONE', description: 'no auth' }),
    );
    const id = created.gatewayId!;
    await waitFor('READY', async () => (await getGateway(id))?.status === 'READY');
    const before = await getGateway(id);
    const remote = await remoteSnapshot();

    const r = await runCli(
      ['init', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--gateway', id, '--callback-port', String(await freePort()), '--yes'],
      u.env,
    );
    expectExit(r, 1);
    assert.ok(r.output.includes(id));
    assert.match(r.output, /authorizer type NONE/);
    assert.match(r.output, /cannot change/);
    assert.match(r.output, /--create-gateway/);
    assert.match(r.output, /Nothing was changed/);
    assert.deepEqual(await getGateway(id), before, 'GetGateway unchanged');
    await assertRemoteUnchanged(remote, 'init on a NONE gateway');
    assert.equal(existsSync(u.journal()), false, 'no journal');
    assert.deepEqual([...(await fileTree(u.home)).keys()], [], 'nothing written');

    await sdk.send(new DeleteGatewayCommand({ gatewayIdentifier: id }));
    await waitGone(id);
  });

  test('an unreachable issuer: init exits 1 naming the URL; nothing written', async () => {
    const u = await newUser();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const remote = await remoteSnapshot();
    const r = await runCli(
      ['init', '--issuer', closed, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', gwName('noidp'), '--role-arn', sb.roleArn, '--yes'],
      u.env,
    );
    expectExit(r, 1);
    assert.ok(r.output.includes(closed), `the message names ${closed}`);
    assert.doesNotMatch(r.output, STACK_FRAME, 'no stack trace');
    assert.deepEqual([...(await fileTree(u.home)).keys()], [], 'nothing written');
    await assertRemoteUnchanged(remote, 'init with an unreachable issuer');
  });

  test('re-running init on a finished setup updates in place: same client, one mcp.json entry, authorizer unchanged; cleanup then removes everything', async () => {
    const u = await newUser();
    const port = await freePort();
    const name = gwName('rerun');
    const setup = 'rerun';
    const first = await runCli([...initArgs({ gateway: name, port, setup }), '--yes', '--no-verify', '--json'], u.env);
    expectExit(first, 0);
    const a = parseSingleJson<{ app: { clientId: string }; gateway: { gatewayId: string } }>(first);
    const gwBefore = await getGateway(a.gateway.gatewayId);
    const registered = idpEvents('registered').length;
    const gateways = await listGateways();

    const second = await runCli([...initArgs({ gateway: name, port, setup }), '--yes', '--no-verify', '--json'], u.env);
    expectExit(second, 0);
    const b = parseSingleJson<{ ok: boolean; app: { clientId: string }; gateway: { gatewayId: string } }>(second);
    assert.equal(b.ok, true);
    assert.equal(b.app.clientId, a.app.clientId, 'the same client id is reused');
    assert.equal(b.gateway.gatewayId, a.gateway.gatewayId, 'the same gateway');
    assert.match(second.output, /Reuse OIDC client/);
    assert.equal(idpEvents('registered').length, registered, 'no second app registered');
    assert.deepEqual(await listGateways(), gateways, 'no second gateway');
    const gwAfter = await getGateway(a.gateway.gatewayId);
    assert.deepEqual(gwAfter?.authorizerConfiguration, gwBefore?.authorizerConfiguration, "the gateway's authorizer is unchanged");
    assert.equal(gwAfter?.authorizerType, 'CUSTOM_JWT');
    const kiro = JSON.parse(await readFile(u.kiroPath, 'utf8')) as { mcpServers: Record<string, unknown> };
    assert.deepEqual(Object.keys(kiro.mcpServers), ['gateway-tools'], 'still one mcp.json entry');

    const c = await runCli(['cleanup', '--setup', setup, '--yes'], u.env);
    expectExit(c, 0);
    assert.doesNotMatch(c.output, /could not be removed/);
    await waitGone(a.gateway.gatewayId);
    assert.ok(idpEvents('deleted').includes(a.app.clientId));
    assert.equal(existsSync(u.journal(setup)), false);
  });

  test('a second concurrent run is refused naming the holder\'s pid; a stale lock is taken over', async () => {
    const u = await newUser();
    await mkdir(join(u.stateDir, 'setups'), { recursive: true });
    const lock = join(u.stateDir, 'setups', 'default.lock');
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    live.add(holder);
    try {
      await new Promise((r) => holder.once('spawn', r));
      await writeFile(lock, `${holder.pid}\n`);
      const remote = await remoteSnapshot();
      const r = await runCli([...initArgs({ gateway: gwName('locked'), port: await freePort() }), '--yes', '--no-verify'], u.env);
      expectExit(r, 1);
      assert.match(r.output, new RegExp(`in use by another agentcore-auth run \\(pid ${holder.pid}\\)`));
      assert.equal(await readFile(lock, 'utf8'), `${holder.pid}\n`, 'the lock is left to its holder');
      assert.equal(existsSync(u.journal()), false);
      await assertRemoteUnchanged(remote, 'init refused by the lock');
    } finally {
      holder.kill();
      live.delete(holder);
    }
    // The holder is gone now: its lock is stale and the next run takes it over.
    await new Promise((r) => (holder.exitCode !== null || holder.signalCode !== null ? r(null) : holder.once('exit', r)));
    const r2 = await runCli([...initArgs({ gateway: gwName('stale'), port: await freePort() }), '--yes', '--no-verify'], u.env);
    expectExit(r2, 0);
    assert.equal(existsSync(lock), false, 'the lock is released at the end');
    expectExit(await runCli(['cleanup', '--yes'], u.env), 0);
  });

  test('a corrupt journal, and one from a newer version (99): status and cleanup exit 1 with a clear message; the file is untouched', async () => {
    const u = await newUser();
    await mkdir(join(u.stateDir, 'setups'), { recursive: true });
    const cases = [
      { setup: 'corrupt', text: '{"version": 1, "entries": [', message: /is corrupt \(not JSON\)/, code: 'journal_corrupt' },
      { setup: 'future', text: `${JSON.stringify({ version: 99, setup: 'future', status: 'ready', config: {}, entries: [] })}\n`, message: /newer agentcore-auth \(schema 99/, code: 'journal_newer' },
    ];
    for (const c of cases) {
      await writeFile(u.journal(c.setup), c.text, { mode: 0o600 });
      for (const cmd of [['status'], ['cleanup', '--yes'], ['verify']]) {
        const r = await runCli([...cmd, '--setup', c.setup], u.env);
        expectExit(r, 1);
        assert.match(r.output, c.message, `${cmd[0]} on ${c.setup}`);
        assert.ok(r.output.includes(u.journal(c.setup)), 'the message names the file');
        assert.match(r.output, /Fix: /);
        assert.doesNotMatch(r.output, STACK_FRAME);
        const j = await runCli([...cmd, '--setup', c.setup, '--json'], u.env);
        expectExit(j, 1);
        assert.equal(parseSingleJson<{ error: { code: string } }>(j).error.code, c.code);
      }
      assert.equal(await readFile(u.journal(c.setup), 'utf8'), c.text, 'the journal is byte-identical');
      assert.equal(existsSync(join(u.stateDir, 'setups', `${c.setup}.lock`)), false, 'no lock left behind');
    }
    // status without --setup reads every setup, so it refuses too rather than hiding one.
    const all = await runCli(['status'], u.env);
    expectExit(all, 1);
  });

  test('results go to stdout (a user may redirect them), progress and logs to stderr; --json keeps stdout for its one document', async () => {
    const u = await newUser();
    await initSetup(u, 'streams', 'streams');
    const v = await runCli(['verify', '--setup', 'streams', '--no-login'], u.env);
    expectExit(v, 0);
    assert.match(v.stdout, /^Challenge\n  ✔ Unauthenticated request is challenged/m, 'the report is on stdout');
    assert.match(v.stdout, /\d+ passed, \d+ warning\(s\), 0 failed/);
    assert.match(v.stderr, /› Verifying /, 'progress is on stderr');
    assert.doesNotMatch(v.stderr, /Unauthenticated request is challenged/);
    assert.doesNotMatch(v.stdout, /\x1b\[/, 'no colour codes in redirected output');

    const st = await runCli(['status', '--setup', 'streams'], u.env);
    expectExit(st, 0);
    assert.match(st.stdout, /^Setup "streams": ready/m);
    assert.equal(st.stderr, '', 'status prints only its result');

    const j = await runCli(['verify', '--setup', 'streams', '--no-login', '--json'], u.env);
    expectExit(j, 0);
    assert.equal(parseSingleJson<{ ok: boolean }>(j).ok, true);
    assert.match(j.stderr, /Unauthenticated request is challenged/, 'with --json the human report moves to stderr');

    const c = await runCli(['cleanup', '--setup', 'streams', '--yes'], u.env);
    expectExit(c, 0);
    assert.match(c.stdout, /Setup "streams" is gone: all \d+ planned step\(s\) finished/);
    assert.match(c.stderr, /Cleanup plan for setup "streams"/);
  });

  test('status shows drift: a gateway deleted behind our back is reported missing (exit 1); cleanup still finishes', async () => {
    const u = await newUser();
    const s = await initSetup(u, 'drift', 'drift');
    await sdk.send(new DeleteGatewayCommand({ gatewayIdentifier: s.gatewayId }));
    await waitGone(s.gatewayId);

    const r = await runCli(['status', '--setup', 'drift'], u.env);
    expectExit(r, 1);
    assert.match(r.output, /DRIFT/);
    assert.match(r.output, new RegExp(`Gateway \\(created\\) ${s.gatewayId}: missing`));

    const j = await runCli(['status', '--setup', 'drift', '--json'], u.env);
    expectExit(j, 1);
    const doc = parseSingleJson<{ ok: boolean; setups: Array<{ drift: boolean; items: Array<{ kind: string; id: string; live: string }> }> }>(j);
    assert.equal(doc.ok, false, 'status --json carries ok, like every command');
    assert.equal(doc.setups[0]!.drift, true);
    assert.equal(doc.setups[0]!.items.find((i) => i.id === s.gatewayId)?.live, 'missing');
    assert.equal(doc.setups[0]!.items.find((i) => i.kind === 'OIDC client')?.live, 'present');

    const c = await runCli(['cleanup', '--setup', 'drift', '--yes'], u.env);
    expectExit(c, 0);
    assert.match(c.output, /already gone/);
    assert.ok(idpEvents('deleted').includes(s.clientId));
  });

  test('one setup with another name: verify and cleanup use it without --setup, and say so; `setups` lists the setups without contacting anything', async () => {
    const u = await newUser();
    const s = await initSetup(u, 'only-one', 'onlyone');
    const list = await runCli(['setups'], u.env);
    expectExit(list, 0);
    assert.match(list.stdout, /^only-one {2}\(init, ready, updated /m);
    assert.ok(list.stdout.includes(s.gatewayUrl), 'with its gateway');
    const j = parseSingleJson<{ ok: boolean; setups: Array<{ setup: string; kind: string; clients: string[] }> }>(await runCli(['setups', '--json'], u.env));
    assert.deepEqual(j.setups.map((x) => [x.setup, x.kind, x.clients]), [['only-one', 'init', ['kiro']]]);

    const v = await runCli(['verify', '--no-login'], u.env);
    expectExit(v, 0);
    assert.match(v.output, /Using setup "only-one", the only one here \(--setup only-one\)\./);
    const c = await runCli(['cleanup', '--yes'], u.env);
    expectExit(c, 0);
    assert.match(c.output, /Using setup "only-one"/);
    assert.match(c.output, /Setup "only-one" is gone/);
  });

  test('cleanup --dry-run changes nothing; cleanup twice: the second exits 0 and says there is nothing to clean up', async () => {
    const u = await newUser();
    const s = await initSetup(u, 'twice', 'twice');
    const files = await fileTree(u.home);
    const gw = await getGateway(s.gatewayId);
    const deleted = idpEvents('deleted').length;

    const dry = await runCli(['cleanup', '--setup', 'twice', '--dry-run'], u.env);
    expectExit(dry, 0);
    assert.match(dry.output, new RegExp(`Delete gateway ${s.gatewayId}`));
    assert.match(dry.output, new RegExp(`Delete OIDC client ${s.clientId}`));
    assert.match(dry.output, /Dry run: nothing was changed/);
    assertSameTree(files, await fileTree(u.home), 'cleanup --dry-run');
    assert.deepEqual(await getGateway(s.gatewayId), gw);
    assert.equal(idpEvents('deleted').length, deleted);

    const dryJson = await runCli(['cleanup', '--setup', 'twice', '--dry-run', '--json'], u.env);
    expectExit(dryJson, 0);
    const plan = parseSingleJson<{ dryRun: boolean; actions: Array<{ status: string }> }>(dryJson);
    assert.equal(plan.dryRun, true);
    assert.ok(plan.actions.length >= 3 && plan.actions.every((a) => a.status === 'planned'));
    assertSameTree(files, await fileTree(u.home), 'cleanup --dry-run --json');

    expectExit(await runCli(['cleanup', '--setup', 'twice', '--yes'], u.env), 0);
    await waitGone(s.gatewayId);
    const again = await runCli(['cleanup', '--setup', 'twice', '--yes'], u.env);
    expectExit(again, 0);
    assert.match(again.output, /Nothing to clean up/);
    const againJson = await runCli(['cleanup', '--setup', 'twice', '--yes', '--json'], u.env);
    expectExit(againJson, 0);
    assert.equal(parseSingleJson<{ nothingToDo: boolean }>(againJson).nothingToDo, true);
  });
});

describe('verify', () => {
  test('callback port in use: verify with login exits 1 naming the port and --callback-port', async () => {
    const u = await newUser();
    const s = await initSetup(u, 'busyport', 'busyport');
    const blocker: Server = createHttpServer((_req, res) => res.end('someone else'));
    await new Promise<void>((r) => blocker.listen(s.port, '127.0.0.1', () => r()));
    try {
      const r = await runCli(['verify', '--setup', 'busyport'], u.env);
      expectExit(r, 1);
      assert.match(r.output, new RegExp(`[Pp]ort ${s.port} is in use`));
      assert.match(r.output, /--callback-port/);
      assert.doesNotMatch(r.output, STACK_FRAME);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    expectExit(await runCli(['cleanup', '--setup', 'busyport', '--yes'], u.env), 0);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Ctrl-C
// ---------------------------------------------------------------------------------------------------------

describe('Ctrl-C', () => {
  test('SIGINT to `sandbox` stops it cleanly (exit 0)', async () => {
    const u = await newUser();
    const proc = await startSandboxProcess([], { env: u.env });
    const stopped = new Promise<number | null>((r) => proc.child.once('exit', (code) => r(code)));
    proc.child.kill('SIGINT');
    assert.equal(await stopped, 0, proc.stderr());
    assert.match(proc.stderr(), /Stopping the sandbox/);
    assert.doesNotMatch(proc.stderr(), STACK_FRAME);
    await proc.stop();
  });

  test('SIGINT while init waits for the gateway: exit 130, no stack trace, the journal records the gateway, and cleanup (waiting for it to settle) removes it', async () => {
    const slowLog = createMemoryLogger();
    const slow = await startSandbox({ logger: slowLog, readyDelayMs: 4_000 });
    const slowSdk = sdkFor(slow);
    try {
      const u = await newUser();
      const run = startCli([...initArgs({ gateway: gwName('slow'), port: await freePort(), s: slow }), '--yes', '--no-verify'], u.env);
      await run.waitForStderr(/Waiting for gateway/);
      run.child.kill('SIGINT');
      const r = await run.exited;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.output, /Cancel/);
      assert.doesNotMatch(r.output, STACK_FRAME);
      const journal = JSON.parse(await readFile(u.journal(), 'utf8')) as { entries: Array<{ kind: string; state: string; result?: { gatewayId?: string } }> };
      const gw = journal.entries.find((e) => e.kind === 'gateway-create');
      assert.equal(gw?.state, 'done');
      const [listed] = await listGateways(slowSdk);
      assert.equal(gw?.result?.gatewayId, listed?.id, 'the journal names the gateway that exists');
      assert.equal(existsSync(join(u.stateDir, 'setups', 'default.lock')), false, 'the lock is released');
      const plan = await runCli(['cleanup', '--dry-run'], u.env);
      expectExit(plan, 0);
      assert.ok(plan.output.includes(`Delete gateway ${listed!.id}`));
      // The gateway is still CREATING: cleanup waits for it to settle instead of failing on a ConflictException.
      const clean = await runCli(['cleanup', '--yes'], u.env, 30_000);
      expectExit(clean, 0);
      assert.deepEqual((await listGateways(slowSdk)).filter((g) => g.id === listed!.id && g.status !== 'DELETING'), []);
    } finally {
      slowSdk.destroy();
      await slow.close();
    }
  });

  test('`demo --keep`: one Ctrl-C cleans up and exits 0; two quick Ctrl-C exit 130 at once, without a stack trace', async () => {
    const tmp = join(root, 'demo-tmp');
    await mkdir(tmp, { recursive: true });
    const u = await newUser({ TMPDIR: tmp });

    const once = startCli(['demo', '--keep'], u.env);
    await once.waitForStderr(/Press Ctrl-C to stop/, 30_000);
    once.child.kill('SIGINT');
    const r1 = await once.exited;
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.output, /Setup "demo" is gone/);
    // The sandbox's own log (the gateway rejecting forged tokens) is not shown as if it were a problem: only with --verbose.
    assert.doesNotMatch(r1.output, /^(Gateway \S+: rejected|IdP: |Control plane: )/m);
    assert.doesNotMatch(r1.output, STACK_FRAME);

    const twice = startCli(['demo', '--keep'], u.env);
    await twice.waitForStderr(/Press Ctrl-C to stop/, 30_000);
    twice.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 20));
    twice.child.kill('SIGINT');
    const r2 = await twice.exited;
    assert.equal(r2.code, 130, r2.stderr);
    assert.match(r2.output, /Interrupted again: exiting now/);
    assert.doesNotMatch(r2.output, STACK_FRAME);
    assert.doesNotMatch(r2.output, /Unexpected error/);
  });
});

// ---------------------------------------------------------------------------------------------------------

test('no run of the CLI in this file printed anything that looks like a JWT', () => {
  assert.ok(allOutput.length > 30, `ran the CLI ${allOutput.length} times`);
  const leaks = allOutput.filter((o) => JWT.test(o.text)).map((o) => `agentcore-auth ${o.args.join(' ')}`);
  assert.deepEqual(leaks, []);
});
