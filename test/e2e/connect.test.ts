/**
 * Team onboarding end to end on the sandbox: an admin's `init` writes the team profile; a developer with
 * another HOME and project folder runs `connect --profile ... --client claude-code,cursor,vscode --yes --json`,
 * which writes those three clients' entries into the files they already have (other servers, comments) and
 * verifies with a test login (BROWSER=test/helpers/browser.sh, sandbox auto-login). Then `cleanup --setup
 * connect` gives back the developer's files byte for byte and leaves the admin's gateway and app alone.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node --test dist/test/e2e/connect.test.js
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli as runCliRaw, type CliResult } from '../helpers/cli.js';
import { readGateway } from '../helpers/gateways.js';

const BROWSER_SH = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const SERVER = 'gateway-tools';

let root: string;
let sb: Sandbox;
const sbLog = createMemoryLogger();
let sdk: BedrockAgentCoreControlClient;
const outputs: CliResult[] = [];

async function run(args: string[], who: Person, timeoutMs = 60_000): Promise<CliResult> {
  const r = await runCliRaw(args, { env: who.env, cwd: who.project, timeoutMs });
  outputs.push(r);
  assert.equal(r.timedOut, false, `timed out:\n${describeRun(r)}`);
  return r;
}

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);
}

interface Person {
  home: string;
  project: string;
  env: NodeJS.ProcessEnv;
}

async function person(name: string): Promise<Person> {
  const home = join(root, name, 'home');
  const project = join(root, name, 'project');
  await mkdir(home, { recursive: true });
  await mkdir(project, { recursive: true });
  return { home, project, env: isolatedEnv(home, { BROWSER: BROWSER_SH, DISPLAY: '', BROWSER_TIMEOUT_MS: '10000' }) };
}

/** Every file under dir with its bytes. */
async function fileTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const n of await readdir(d).catch(() => [] as string[])) {
      const p = join(d, n);
      if ((await stat(p)).isDirectory()) await walk(p);
      else out.set(relative(dir, p), await readFile(p, 'utf8'));
    }
  };
  await walk(dir);
  return out;
}

function idpEvents(kind: 'registered' | 'deleted'): string[] {
  const re = new RegExp(`IdP: ${kind} client (\\S+)`);
  return sbLog.lines.map((l) => re.exec(l)?.[1]).filter((x): x is string => Boolean(x));
}

const getGateway = (id: string) => readGateway(sdk, id);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-connect-e2e-'));
  sb = await startSandbox({ autoLogin: 'alice', logger: sbLog, readyDelayMs: 40 });
  sdk = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

after(async () => {
  sdk?.destroy();
  await sb?.close();
  await rm(root, { recursive: true, force: true });
  // Tokens are never printed, by any run in this file.
  for (const r of outputs) assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, JWT, `a JWT was printed by agentcore-auth ${r.args.join(' ')}`);
});

describe('e2e: admin init writes the team profile; a developer connects three clients, verifies, cleans up', () => {
  let admin: Person;
  let dev: Person;
  let profilePath: string;
  let init: { app: { clientId: string; issuer: string }; gateway: { gatewayId: string; gatewayUrl: string }; teamProfile: { path: string; connectCommand: string } };
  let port: number;

  // The developer's files before connect: other servers, VS Code comments, CRLF in Cursor's.
  const MCP_JSON = `${JSON.stringify({ mcpServers: { playwright: { type: 'stdio', command: 'npx', args: ['@playwright/mcp@latest'] } } }, null, 2)}\n`;
  const VSCODE_JSON = [
    '{',
    '  // Shared with the team: keep this comment',
    '  "inputs": [{ "type": "promptString", "id": "gh-token", "password": true }],',
    '  "servers": {',
    '    "github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" } /* the GitHub one */',
    '  }',
    '}',
    '',
  ].join('\n');
  const CURSOR_JSON = `${JSON.stringify({ mcpServers: { linear: { url: 'https://mcp.linear.app/sse' } } }, null, 4).replace(/\n/g, '\r\n')}\r\n`;

  test('1. the admin runs init with --team-profile: the profile holds the gateway, client, scopes, port, server name, and no secret', async () => {
    admin = await person('admin');
    dev = await person('dev');
    port = await freePort();
    profilePath = join(root, 'shared', 'agentcore-auth.team.json');
    const r = await run(
      ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
        '--create-gateway', `team-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(port),
        '--team-profile', profilePath, '--no-verify', '--yes', '--json'],
      admin,
    );
    expectExit(r, 0);
    init = parseSingleJson(r);
    assert.equal(init.teamProfile.path, profilePath);
    // The profile is outside the admin's project folder: the share line assumes a copy committed at the repository's
    // root, where connect finds it by itself; the summary says how to make that copy.
    assert.equal(init.teamProfile.connectCommand, 'npx agentcore-auth connect --client kiro');
    assert.match(r.output, new RegExp(`on this machine only\\. Commit a copy in your repository \\(cp ${profilePath.replace(/[.]/g, '\\.')} \\./agentcore-auth\\.team\\.json\\)`));
    assert.match(r.output, /The same setup without questions \(for a runbook or CI\):\n\s+agentcore-auth init --provider oidc --issuer /);
    assert.match(r.output, /Developers run:|each developer then runs, in their clone:/);
    assert.ok(r.output.includes(init.teamProfile.connectCommand), 'the one line to share is printed');

    const profile = JSON.parse(await readFile(profilePath, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(profile, {
      version: 1,
      gatewayUrl: init.gateway.gatewayUrl,
      clientId: init.app.clientId,
      issuer: sb.issuer,
      provider: 'oidc',
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      callbackPort: port,
      mcpRemoteArgs: [],
      serverName: SERVER,
    });
    assert.equal((await stat(profilePath)).mode & 0o777, 0o644);
  });

  test('2. connect needs a profile (or the values) and a client list when it cannot prompt; it will not use the admin\'s init setup', async () => {
    const noProfile = await run(['connect', '--client', 'kiro', '--yes'], dev);
    expectExit(noProfile, 2);
    assert.match(noProfile.output, /Missing --team-profile \(or --gateway-url and --client-id\); there is no \.\/agentcore-auth\.team\.json here/);

    const noClient = await run(['connect', '--profile', profilePath, '--yes'], dev);
    expectExit(noClient, 2);
    assert.match(noClient.output, /Missing --client/);
    assert.match(noClient.output, /claude-code/);

    const intoInit = await run(['connect', '--profile', profilePath, '--client', 'cursor', '--setup', 'default', '--yes'], admin);
    expectExit(intoInit, 2);
    assert.match(intoInit.output, /Setup "default" was made by init/);
    assert.equal(existsSync(join(admin.home, '.cursor', 'mcp.json')), false, 'nothing written');

    // A tampered profile cannot smuggle other mcp-remote flags into the entries.
    const bad = join(root, 'shared', 'bad.team.json');
    await writeFile(bad, JSON.stringify({ ...JSON.parse(await readFile(profilePath, 'utf8')), mcpRemoteArgs: ['--header', 'Authorization: Bearer x'] }));
    const tampered = await run(['connect', '--profile', bad, '--client', 'cursor', '--yes'], dev);
    expectExit(tampered, 2);
    assert.match(tampered.output, /the mcp-remote flag "--header" is not one connect passes on/);
  });

  test('3. connect --dry-run shows one step per client and changes nothing', async () => {
    await writeFile(join(dev.project, '.mcp.json'), MCP_JSON);
    await mkdir(join(dev.project, '.vscode'));
    await writeFile(join(dev.project, '.vscode', 'mcp.json'), VSCODE_JSON);
    await mkdir(join(dev.home, '.cursor'));
    await writeFile(join(dev.home, '.cursor', 'mcp.json'), CURSOR_JSON);
    const home = await fileTree(dev.home);
    const project = await fileTree(dev.project);
    const r = await run(['connect', '--profile', profilePath, '--client', 'claude-code,cursor,vscode', '--dry-run', '--json'], dev);
    expectExit(r, 0);
    const doc = parseSingleJson<{ dryRun: boolean; plan: Array<{ client: string; path: string }> }>(r);
    assert.equal(doc.dryRun, true);
    assert.deepEqual(doc.plan.map((s) => [s.client, s.path]), [
      ['claude-code', join(dev.project, '.mcp.json')],
      ['cursor', join(dev.home, '.cursor', 'mcp.json')],
      ['vscode', join(dev.project, '.vscode', 'mcp.json')],
    ]);
    assert.match(r.output, /Nothing at the identity provider or the gateway is changed/);
    assert.deepEqual(await fileTree(dev.home), home);
    assert.deepEqual(await fileTree(dev.project), project);
  });

  let before: { home: Map<string, string>; project: Map<string, string> };

  test('4. connect --profile ... --client claude-code,cursor,vscode --yes --json: three entries, verify with a test login passes', async () => {
    before = { home: await fileTree(dev.home), project: await fileTree(dev.project) };
    const registered = idpEvents('registered').length;
    const r = await run(['connect', '--profile', profilePath, '--client', 'claude-code,cursor,vscode', '--yes', '--json'], dev);
    expectExit(r, 0);
    const doc = parseSingleJson<{
      ok: boolean;
      setup: string;
      clients: Array<{ client: string; path: string; changed: boolean; backupPath?: string }>;
      verify: { ok: boolean; checks: Array<{ id: string; status: string; finding: string }> };
    }>(r);
    assert.equal(doc.ok, true);
    assert.equal(doc.setup, 'connect');
    assert.deepEqual(doc.clients.map((c) => [c.client, c.changed]), [['claude-code', true], ['cursor', true], ['vscode', true]]);
    const byId = (id: string) => doc.verify.checks.find((c) => c.id === id);
    assert.equal(byId('login')?.status, 'pass', 'the test login went through $BROWSER');
    assert.equal(byId('mcp-tools-list')?.status, 'pass');
    for (const c of ['claude-code', 'cursor', 'vscode']) assert.equal(byId(`client-entry:${c}`)?.status, 'pass', `${c}: ${byId(`client-entry:${c}`)?.finding}`);
    assert.equal(byId('callback-port')?.status, 'pass');
    assert.equal(doc.verify.ok, true);
    assert.equal(idpEvents('registered').length, registered, 'connect registered nothing at the IdP');
    for (const c of ['Claude Code', 'Cursor', 'VS Code']) assert.match(r.output, new RegExp(`${c}: the MCP server "${SERVER}" is in`));

    // Each file: the other servers (and VS Code's comments and Cursor's CRLF) kept, our bridge entry added.
    const mcp = JSON.parse(await readFile(join(dev.project, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, { type: string; args: string[]; command: string }> };
    assert.deepEqual(Object.keys(mcp.mcpServers), ['playwright', SERVER]);
    assert.equal(mcp.mcpServers[SERVER]!.type, 'stdio');
    assert.ok(mcp.mcpServers[SERVER]!.args.includes(init.gateway.gatewayUrl));
    assert.ok(mcp.mcpServers[SERVER]!.args.includes(String(port)));
    assert.ok(mcp.mcpServers[SERVER]!.args.some((a) => a.includes(init.app.clientId)));

    const vs = await readFile(join(dev.project, '.vscode', 'mcp.json'), 'utf8');
    assert.ok(vs.includes('  // Shared with the team: keep this comment\n'));
    assert.ok(vs.includes('"url": "https://api.githubcopilot.com/mcp/" }, /* the GitHub one */'));
    assert.match(vs, /\n {4}"gateway-tools": \{\n {6}"type": "stdio",/);

    const cursor = await readFile(join(dev.home, '.cursor', 'mcp.json'), 'utf8');
    assert.equal(cursor.split('\n').length, cursor.split('\r\n').length, 'Cursor\'s file keeps CRLF');
    assert.deepEqual(Object.keys((JSON.parse(cursor) as { mcpServers: object }).mcpServers), ['linear', SERVER]);
  });

  test('5. status and verify work from the connect setup', async () => {
    const st = await run(['status', '--setup', 'connect', '--json'], dev);
    expectExit(st, 0);
    const items = parseSingleJson<{ setups: Array<{ items: Array<{ kind: string; live: string }> }> }>(st).setups[0]!.items;
    assert.deepEqual(items.map((i) => [i.kind, i.live]), [['Claude Code entry', 'present'], ['Cursor entry', 'present'], ['VS Code entry', 'present']]);

    const v = await run(['verify', '--setup', 'connect', '--no-login', '--json'], dev);
    expectExit(v, 0);
    const checks = parseSingleJson<{ checks: Array<{ id: string; status: string }> }>(v).checks;
    assert.deepEqual(checks.filter((c) => c.id.startsWith('client-entry')).map((c) => [c.id, c.status]), [
      ['client-entry:claude-code', 'pass'],
      ['client-entry:cursor', 'pass'],
      ['client-entry:vscode', 'pass'],
    ]);
  });

  test('6. cleanup --setup connect gives back the developer\'s files byte for byte and leaves the admin\'s gateway and app alone', async () => {
    const r = await run(['cleanup', '--setup', 'connect', '--yes', '--json'], dev);
    expectExit(r, 0);
    const doc = parseSingleJson<{ ok: boolean; actions: Array<{ what: string; status: string }> }>(r);
    assert.equal(doc.ok, true);
    // Only the developer's side: cached login and client entries; nothing about the gateway or the IdP app.
    assert.ok(doc.actions.every((a) => /^(Revoke cached tokens|Delete mcp-remote cache files|Remove MCP server)/.test(a.what)), JSON.stringify(doc.actions));
    assert.equal(doc.actions.filter((a) => a.what.startsWith('Remove MCP server') && a.status === 'done').length, 3);

    // The developer's files are what they were (backups aside).
    const noBackups = (m: Map<string, string>) => new Map([...m].filter(([k]) => !/\.bak-/.test(k) && !k.startsWith('.agentcore-auth')));
    assert.deepEqual(noBackups(await fileTree(dev.project)), noBackups(before.project));
    assert.deepEqual(noBackups(await fileTree(dev.home)), noBackups(before.home));

    // The admin's gateway still pins the client, the app was not deleted, the admin's setup is intact.
    const g = await getGateway(init.gateway.gatewayId);
    assert.ok(g, 'the gateway still exists');
    assert.deepEqual((g.authorizerConfiguration as { customJWTAuthorizer: { allowedClients: string[] } }).customJWTAuthorizer.allowedClients, [init.app.clientId]);
    assert.ok(!idpEvents('deleted').includes(init.app.clientId), 'the OIDC client was not deleted');
    assert.ok(existsSync(join(admin.home, '.agentcore-auth', 'setups', 'default.json')));
    assert.ok(existsSync(profilePath), 'the admin\'s team profile stays');
  });

  test('7. the admin\'s cleanup removes the app, the gateway and the team profile it wrote', async () => {
    const r = await run(['cleanup', '--yes', '--json'], admin);
    expectExit(r, 0);
    assert.match(r.output, /Delete the team profile/);
    assert.equal(existsSync(profilePath), false);
    assert.ok(idpEvents('deleted').includes(init.app.clientId));
  });
});

describe('team hand-off in a repository', () => {
  test('init in a git repository: the profile committed at its root is found by connect with no flag; machine-specific workspace configs get a .gitignore warning; --profile still works, with a notice', async () => {
    const admin = await person('repo-admin');
    const dev = await person('repo-dev');
    execFileSync('git', ['init', '-q', admin.project]);
    execFileSync('git', ['init', '-q', dev.project]);
    const port = await freePort();
    const r = await run(
      ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
        '--create-gateway', `repo-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(port), '--client', 'kiro-workspace',
        '--team-profile', './agentcore-auth.team.json', '--allow-group', 'engineering', '--no-verify', '--yes'],
      admin,
    );
    expectExit(r, 0);
    assert.match(r.output, /Team profile \(no secrets\): .*agentcore-auth\.team\.json\. Commit it; each developer then runs, in their clone:\n\s+npx agentcore-auth connect --client kiro-workspace\n/);
    assert.match(r.output, /! \.kiro\/settings\/mcp\.json is in the git repository .* holds this machine's paths .*Add it to \.gitignore/);
    assert.match(r.output, /agentcore-auth init --provider oidc .*--client kiro-workspace .*--allow-group engineering --team-profile \.\/agentcore-auth\.team\.json --yes/);

    // Ignored, the warning goes away (init again with the same flags is an update in place).
    await writeFile(join(admin.project, '.gitignore'), '.kiro/settings/mcp.json\n');
    const again = await run(['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', `repo-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(port), '--client', 'kiro-workspace', '--team-profile', './agentcore-auth.team.json', '--allow-group', 'engineering', '--no-verify', '--yes'], admin);
    expectExit(again, 0);
    assert.doesNotMatch(again.output, /Add it to \.gitignore/);

    // The developer's clone holds the committed profile: connect needs no flag for it.
    await writeFile(join(dev.project, 'agentcore-auth.team.json'), await readFile(join(admin.project, 'agentcore-auth.team.json'), 'utf8'));
    const c = await run(['connect', '--client', 'cursor', '--no-verify', '--yes'], dev);
    expectExit(c, 0);
    assert.match(c.output, /Using the team profile \.\/agentcore-auth\.team\.json of this folder/);
    assert.match(c.output, /Who may use this gateway \(you must satisfy every rule\):\n\s+- only tokens whose groups contains "engineering"/);

    // The old flag name still works, with a notice; an AWS profile name there is refused with the reason.
    const old = await run(['connect', '--profile', './agentcore-auth.team.json', '--client', 'cursor', '--dry-run'], dev);
    expectExit(old, 0);
    assert.match(old.output, /Note: --profile is now --team-profile/);
    const aws = await run(['connect', '--profile', 'prod-admin', '--client', 'cursor', '--dry-run'], dev);
    expectExit(aws, 2);
    assert.match(aws.output, /--profile "prod-admin" is not a file or URL: connect's --profile is the team profile/);

    expectExit(await run(['cleanup', '--setup', 'connect', '--yes'], dev), 0);
    expectExit(await run(['cleanup', '--yes'], admin), 0);
  });
});
