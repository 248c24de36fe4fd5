/**
 * Trust boundaries (README "Security"): what comes from outside the user's own hands (a team profile, a
 * repository's files and symlinks, HTTP responses, text bound for the terminal, an edited journal) can
 * neither steal a token nor write outside the project. Each case runs the built CLI against the sandbox and
 * a hostile server (test/helpers/hostile-server.ts) that records every request: no credential reaches it,
 * no byte outside the project changes, no escape byte reaches stdout or stderr.
 *
 * One admin `init` (sandbox IdP, a new gateway, a team profile) is shared by the cases; each case works in
 * its own developer HOME and project folder.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node --test dist/test/e2e/security.test.js
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, CreateGatewayCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli as runCliRaw, type CliResult } from '../helpers/cli.js';
import { readGateway } from '../helpers/gateways.js';
import { startHostileServer, type HostileReply, type HostileServer } from '../helpers/hostile-server.js';

const BROWSER_SH = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
/** ESC, CSI, other C0 controls (but tab and newline), DEL and C1 controls. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let root: string;
let sb: Sandbox;
const sbLog = createMemoryLogger();
const outputs: CliResult[] = [];

interface Person {
  home: string;
  project: string;
  env: NodeJS.ProcessEnv;
}

let seq = 0;
async function person(name: string): Promise<Person> {
  const base = join(root, `${name}-${++seq}`);
  const home = join(base, 'home');
  const project = join(home, 'project');
  await mkdir(project, { recursive: true });
  return { home, project, env: isolatedEnv(home, { BROWSER: BROWSER_SH, DISPLAY: '', BROWSER_TIMEOUT_MS: '10000' }) };
}

async function run(args: string[], who: Person, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const r = await runCliRaw(args, { env: { ...who.env, ...opts.env }, cwd: who.project, timeoutMs: opts.timeoutMs ?? 60_000 });
  outputs.push(r);
  assert.equal(r.timedOut, false, `timed out:\n${describeRun(r)}`);
  return r;
}

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);
}

/** Every file under dir with its bytes (symlinks are listed as links, not followed). */
async function fileTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const n of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, n.name);
      if (n.isDirectory()) await walk(p);
      else if (n.isSymbolicLink()) out.set(relative(dir, p), '<symlink>');
      else out.set(relative(dir, p), await readFile(p, 'utf8'));
    }
  };
  await walk(dir);
  return out;
}

/** The admin's setup, shared by the cases: a sandbox client, a new gateway pinned to it, a team profile. */
let admin: Person;
let profile: Record<string, unknown>;
let profilePath: string;
let init: { app: { clientId: string; issuer: string }; gateway: { gatewayId: string; gatewayUrl: string } };

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-security-e2e-'));
  sb = await startSandbox({ autoLogin: 'alice', logger: sbLog, readyDelayMs: 40 });
  admin = await person('admin');
  profilePath = join(root, 'agentcore-auth.team.json');
  const r = await run(
    ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
      '--create-gateway', `sec-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()),
      '--team-profile', profilePath, '--no-verify', '--yes', '--json'],
    admin,
  );
  expectExit(r, 0);
  init = parseSingleJson(r);
  profile = JSON.parse(await readFile(profilePath, 'utf8')) as Record<string, unknown>;
});

after(async () => {
  await sb?.close();
  await rm(root, { recursive: true, force: true });
  for (const r of outputs) {
    const text = `${r.stdout}\n${r.stderr}`;
    assert.doesNotMatch(text, JWT, `a JWT was printed by agentcore-auth ${r.args.join(' ')}`);
    assert.doesNotMatch(text, CONTROL, `a control character reached the terminal from agentcore-auth ${r.args.join(' ')}`);
  }
});

/** A copy of the admin's profile with some values changed, in the developer's project (as if committed there). */
async function tamperedProfile(who: Person, patch: Record<string, unknown>, name = 'agentcore-auth.team.json'): Promise<string> {
  const path = join(who.project, name);
  await writeFile(path, `${JSON.stringify({ ...profile, ...patch }, null, 2)}\n`);
  return path;
}

describe('security: the issuer is pinned to the gateway', () => {
  let evil: HostileServer;
  before(async () => {
    evil = await startHostileServer();
  });
  after(async () => {
    await evil?.close();
  });

  test('a team profile whose issuer was swapped is refused by connect before anything is written or sent', async () => {
    const dev = await person('dev');
    const path = await tamperedProfile(dev, { issuer: evil.origin });
    const homeBefore = await fileTree(dev.home);
    const r = await run(['connect', '--profile', path, '--client', 'kiro', '--yes'], dev);
    expectExit(r, 1);
    assert.match(r.output, new RegExp(`${evil.origin.replace(/[.]/g, '\\.')}`), 'the error names the profile\'s issuer');
    assert.ok(r.output.includes(sb.issuer), 'the error names the issuer the gateway names');
    const homeAfter = await fileTree(dev.home);
    assert.deepEqual(homeAfter, homeBefore, 'nothing was written');
    assert.deepEqual(evil.credentials(), [], 'no credential reached the other server');
  });

  test('--issuer naming another server is refused the same way; a profile without an issuer gets the gateway\'s', async () => {
    const dev = await person('dev');
    const path = await tamperedProfile(dev, { issuer: undefined });
    const flag = await run(['connect', '--profile', path, '--issuer', evil.origin, '--client', 'kiro', '--yes', '--no-verify'], dev);
    expectExit(flag, 1);
    assert.match(flag.output, /from --issuer is not the gateway's/);
    assert.equal(existsSync(join(dev.home, '.kiro')), false, 'nothing was written');

    const ok = await run(['connect', '--profile', path, '--client', 'kiro', '--yes', '--no-verify', '--json'], dev);
    expectExit(ok, 0);
    assert.equal(parseSingleJson<{ values: { issuer?: string } }>(ok).values.issuer, sb.issuer, 'the issuer recorded is the one the gateway names');
    assert.deepEqual(evil.credentials(), []);
  });

  describe('a connect setup whose journal names another issuer', () => {
    let dev: Person;
    const journalOf = (who: Person) => join(who.home, '.agentcore-auth', 'setups', 'connect.json');
    before(async () => {
      dev = await person('dev');
      const r = await run(['connect', '--profile', profilePath, '--client', 'kiro', '--yes', '--json'], dev);
      expectExit(r, 0);
      assert.equal(parseSingleJson<{ verify: { ok: boolean } }>(r).verify.ok, true, 'the honest profile connects and verifies');
      const doc = JSON.parse(await readFile(journalOf(dev), 'utf8')) as { config: { issuer: string } };
      assert.equal(doc.config.issuer, sb.issuer);
      doc.config.issuer = evil.origin;
      await writeFile(journalOf(dev), JSON.stringify(doc, null, 2));
    });

    test('verify --setup connect requests no token: the issuer check fails naming both issuers', async () => {
      const r = await run(['verify', '--setup', 'connect', '--json'], dev);
      expectExit(r, 1);
      const checks = parseSingleJson<{ checks: Array<{ id: string; status: string; finding: string }> }>(r).checks;
      const pin = checks.find((c) => c.id === 'issuer-pin');
      assert.equal(pin?.status, 'fail');
      assert.ok(pin.finding.includes(evil.origin) && pin.finding.includes(sb.issuer), pin.finding);
      assert.equal(checks.find((c) => c.id === 'login')?.status, 'skip');
      assert.deepEqual(evil.credentials(), [], 'no credential reached the other server');
    });

    test('cleanup --setup connect does not send the cached tokens to it', async () => {
      // mcp-remote's cache for the entry connect wrote, as a sign-in through Kiro leaves it (opaque tokens).
      const { mcpRemoteCacheDir, mcpRemoteHashInputFromArgs, mcpRemoteServerHash } = await import('../../src/clients/mcp-remote.js');
      const entry = (JSON.parse(await readFile(join(dev.home, '.kiro', 'settings', 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { args: string[]; env: Record<string, string> }> }).mcpServers['gateway-tools']!;
      const { serverUrl, opts } = mcpRemoteHashInputFromArgs(entry.args);
      const dir = join(mcpRemoteCacheDir({ ...dev.env, ...entry.env }), '');
      await mkdir(dir, { recursive: true });
      const tokens = join(dir, `${mcpRemoteServerHash(serverUrl!, opts)}_tokens.json`);
      await writeFile(tokens, JSON.stringify({ access_token: 'opaque-access-0123456789', refresh_token: 'opaque-refresh-0123456789', token_type: 'Bearer' }), { mode: 0o600 });

      const r = await run(['cleanup', '--setup', 'connect', '--yes', '--json'], dev);
      expectExit(r, 0);
      const revoke = parseSingleJson<{ actions: Array<{ what: string; status: string; detail?: string }> }>(r).actions.find((a) => a.what.startsWith('Revoke cached tokens'));
      assert.equal(revoke?.status, 'skipped');
      assert.match(revoke.detail ?? '', /not revoked: the gateway names/);
      assert.deepEqual(evil.credentials(), [], 'no credential reached the other server');
      assert.equal(existsSync(tokens), false, 'the cache files are still deleted');
    });
  });
});

describe('security: cleanup acts only on the gateways the setup recorded', () => {
  let sdk: BedrockAgentCoreControlClient;
  before(() => {
    sdk = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  after(() => sdk?.destroy());

  const getGateway = (id: string) => readGateway(sdk, id);

  /** The journal with every occurrence of one gateway id replaced by another's, as a careless sed would. */
  async function swapGatewayId(who: Person, from: string, to: string): Promise<void> {
    const path = join(who.home, '.agentcore-auth', 'setups', 'default.json');
    await writeFile(path, (await readFile(path, 'utf8')).split(from).join(to));
  }

  test('a created gateway\'s id edited to another gateway: that gateway is left alone, this setup\'s own is found and deleted', async () => {
    const other = init.gateway.gatewayId;
    const otherBefore = await getGateway(other);
    assert.ok(otherBefore);
    const a = await person('admin');
    const r = await run(
      ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
        '--create-gateway', `own-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()),
        '--no-team-profile', '--no-verify', '--yes', '--json'],
      a,
    );
    expectExit(r, 0);
    const own = parseSingleJson<{ gateway: { gatewayId: string } }>(r).gateway.gatewayId;
    assert.match(String((await getGateway(own))?.description), /^Created by agentcore-auth for setup "default"$/);
    await swapGatewayId(a, own, other);

    const c = await run(['cleanup', '--yes', '--json'], a);
    expectExit(c, 0);
    const del = parseSingleJson<{ actions: Array<{ what: string; status: string; detail?: string }> }>(c).actions.find((x) => x.what.startsWith('Delete gateway'));
    assert.equal(del?.status, 'done');
    assert.match(del.detail ?? '', new RegExp(`found by its recorded name`));
    assert.deepEqual(await getGateway(other), otherBefore, 'the other gateway is untouched');
    assert.equal(await getGateway(own), null, 'this setup\'s own gateway is deleted, not orphaned');
  });

  test('a changed gateway\'s id edited to another gateway: restore and --delete-gateway both refuse, naming why', async () => {
    const other = init.gateway.gatewayId;
    const otherBefore = await getGateway(other);
    const mine = await sdk.send(new CreateGatewayCommand({
      name: `mine-${process.pid}`, roleArn: sb.roleArn, protocolType: 'MCP', authorizerType: 'CUSTOM_JWT',
      authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: sb.discoveryUrl, allowedClients: ['before-agentcore-auth'] } },
    }));
    for (let i = 0; i < 50 && (await getGateway(mine.gatewayId!))?.status !== 'READY'; i++) await new Promise((res) => setTimeout(res, 50));
    const a = await person('admin');
    const r = await run(
      ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
        '--gateway', mine.gatewayId!, '--callback-port', String(await freePort()), '--no-team-profile', '--no-verify', '--yes', '--json'],
      a,
    );
    expectExit(r, 0);
    await swapGatewayId(a, mine.gatewayId!, other);

    const st = await run(['status', '--json'], a);
    const items = parseSingleJson<{ setups: Array<{ items: Array<{ kind: string; live: string; detail?: string }> }> }>(st).setups[0]!.items;
    const gwItem = items.find((i) => i.kind === 'Gateway authorizer');
    assert.equal(gwItem?.live, 'drifted', 'status does not call another gateway present');
    assert.match(gwItem.detail ?? '', /not the gateway this setup recorded/);

    for (const extra of [[], ['--delete-gateway']]) {
      const c = await run(['cleanup', '--yes', '--json', ...extra], a);
      expectExit(c, 1);
      const act = parseSingleJson<{ actions: Array<{ what: string; status: string; detail?: string }> }>(c).actions.find((x) => x.what.includes(`gateway ${other}`));
      assert.equal(act?.status, 'left', JSON.stringify(act));
      assert.match(act.detail ?? '', new RegExp(`is named "sec-${process.pid}", but this setup recorded "mine-${process.pid}"; refusing to touch`));
      assert.match(String((act as { fix?: string }).fix), /^Leave that gateway alone: find the one this setup changed/, 'the fix never says to delete the other gateway');
      assert.deepEqual(await getGateway(other), otherBefore, 'the other gateway is untouched');
    }
  });
});

describe('security: bearer tokens travel over https, or to this machine only', () => {
  let evil: HostileServer;
  before(async () => {
    evil = await startHostileServer();
  });
  after(async () => {
    await evil?.close();
  });

  test('verify --gateway-url http://0.0.0.0:PORT/mcp is refused before anything is sent (0.0.0.0 is not loopback)', async () => {
    const dev = await person('dev');
    const port = new URL(evil.origin).port;
    const before = evil.requests.length;
    const r = await run(['verify', '--gateway-url', `http://0.0.0.0:${port}/mcp`, '--client-id', 'X'], dev);
    expectExit(r, 2);
    assert.match(r.output, /--gateway-url http:\/\/0\.0\.0\.0:\d+\/mcp is plain http to 0\.0\.0\.0, which is not this machine/);
    assert.match(r.output, /Fix: Use https:\/\/0\.0\.0\.0:\d+\/mcp/);
    assert.equal(evil.requests.length, before, 'not one request was sent');
  });

  for (const [field, value] of [['gatewayUrl', 'http://evil.example.com/mcp'], ['issuer', 'http://idp.evil.example.com'], ['gatewayUrl', 'http://gw.localhost:8080/mcp']] as const) {
    test(`a team profile whose ${field} is ${value} is refused by connect before anything is written`, async () => {
      const dev = await person('dev');
      const path = await tamperedProfile(dev, { [field]: value });
      const homeBefore = await fileTree(dev.home);
      const r = await run(['connect', '--profile', path, '--client', 'kiro', '--yes'], dev);
      expectExit(r, 2);
      assert.ok(r.output.includes(`"${field}" ${value}`) && r.stderr.includes('is plain http to'), r.stderr);
      assert.match(r.output, /Fix: Use https:\/\//);
      assert.deepEqual(await fileTree(dev.home), homeBefore, 'nothing was written');
    });
  }

  test('an IdP whose metadata names a plain-http token endpoint on another host never gets the code or the verifier', async () => {
    // The gateway names the hostile issuer; its metadata sends the token exchange to http://<another host>.
    const relay = await startHostileServer({
      route: (req, origin) => {
        const path = new URL(req.url, origin).pathname;
        if (path.startsWith('/.well-known/openid-configuration') || path.startsWith('/.well-known/oauth-authorization-server')) {
          return { body: { issuer: origin, authorization_endpoint: `${origin}/authorize`, token_endpoint: 'http://192.0.2.1/token', jwks_uri: `${origin}/jwks`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'] } };
        }
        if (path === '/authorize') {
          // Sign-in "succeeds" at once: back to the callback with a code.
          const u = new URL(req.url, origin);
          return { status: 302, headers: { location: `${u.searchParams.get('redirect_uri')}?code=stolen-code-123456&state=${u.searchParams.get('state')}` } };
        }
        return undefined;
      },
    });
    try {
      const dev = await person('dev');
      const r = await run(['verify', '--gateway-url', `${relay.origin}/mcp`, '--client-id', 'X', '--callback-port', String(await freePort()), '--timeout', '5s', '--json'], dev, { timeoutMs: 60_000 });
      expectExit(r, 1);
      const login = parseSingleJson<{ checks: Array<{ id: string; status: string; finding: string }> }>(r).checks.find((c) => c.id === 'login');
      assert.equal(login?.status, 'fail');
      assert.match(login.finding, /Refusing to send a credential .*over plain http to 192\.0\.2\.1/);
    } finally {
      await relay.close();
    }
  });
});

describe('security: text from outside reaches the terminal without control characters', () => {
  const ESC_CLIENT = '\u001b[2J\u001b]0;pwned\u0007abc\u202e';

  test('a team profile whose client id or server name carries escapes is refused, and the refusal shows nothing but text, human or --json', async () => {
    const dev = await person('dev');
    const withClient = await tamperedProfile(dev, { clientId: ESC_CLIENT });
    for (const extra of [[], ['--json']]) {
      const r = await run(['connect', '--profile', withClient, '--client', 'kiro', '--dry-run', ...extra], dev);
      expectExit(r, 2);
      assert.match(`${r.stdout}${r.stderr}`, /"clientId" is not an OAuth client id \(printable ASCII only\)/);
      assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, CONTROL);
      assert.doesNotMatch(r.stdout, /\\u001b|\\u0007|\\u202e/, 'no escaped control in the JSON either');
    }
    const withName = await tamperedProfile(dev, { serverName: `gw\u001b[31mred\u0007` }, 'named.team.json');
    for (const extra of [[], ['--json']]) {
      const r = await run(['connect', '--profile', withName, '--client', 'kiro', '--yes', ...extra], dev);
      expectExit(r, 2);
      assert.match(`${r.stdout}${r.stderr}`, /"serverName" is not a usable MCP server name/);
      assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, CONTROL);
      assert.doesNotMatch(r.stdout, /\\u001b|\\u0007/);
    }
  });

  test('an IdP error description and metadata values with escapes are shown as plain text', async () => {
    const desc = '\u001b]8;;http://x.example\u0007click here\u001b]8;;\u0007 \u001b[1A\u001b[2Kok';
    const hostile = await startHostileServer({
      route: (req, origin) => {
        const path = new URL(req.url, origin).pathname;
        if (path.startsWith('/.well-known/oauth-protected-resource')) {
          return { body: { resource: `${origin}/mcp`, authorization_servers: [origin], scopes_supported: ['openid\u001b[31m'] } };
        }
        if (path === '/authorize') {
          const u = new URL(req.url, origin);
          return { status: 302, headers: { location: `${u.searchParams.get('redirect_uri')}?error=invalid_request&error_description=${encodeURIComponent(desc)}&state=${u.searchParams.get('state')}` } };
        }
        return undefined;
      },
    });
    try {
      const dev = await person('dev');
      const r = await run(['verify', '--gateway-url', `${hostile.origin}/mcp`, '--client-id', 'X', '--callback-port', String(await freePort()), '--timeout', '5s'], dev);
      expectExit(r, 1);
      assert.match(r.output, /click here/);
      assert.doesNotMatch(r.output, CONTROL);
    } finally {
      await hostile.close();
    }
  });

  test('user:password@ in a URL is never shown', async () => {
    const dev = await person('dev');
    const r = await run(['init', '--provider', 'oidc', '--issuer', 'http://admin:hunter2secret@idp.example.com/realms/x', '--create-gateway', 'x', '--role-arn', 'arn:aws:iam::1:role/r', '--yes'], dev);
    expectExit(r, 2);
    assert.match(r.output, /idp\.example\.com/);
    assert.doesNotMatch(r.output, /hunter2secret/);
    const j = await run(['verify', '--gateway-url', 'https://bob:hunter2secret@[::1/mcp', '--json'], dev);
    expectExit(j, 2);
    assert.doesNotMatch(`${j.stdout}${j.stderr}`, /hunter2secret/);
  });
});

describe('security: client config writes stay in the project (or HOME); backups never land there', () => {
  const SECRET_CONFIG = `${JSON.stringify({ auths: { 'registry.example.com': { auth: 'c2VjcmV0OnBhc3N3b3Jk' } } }, null, 2)}\n`;

  /** A developer whose project links .vscode/mcp.json to ~/.docker/config.json (outside the project). */
  async function linkedRepo(): Promise<{ dev: Person; outside: string; link: string }> {
    const dev = await person('dev');
    const outside = join(dev.home, '.docker', 'config.json');
    await mkdir(join(dev.home, '.docker'), { recursive: true });
    await writeFile(outside, SECRET_CONFIG);
    await mkdir(join(dev.project, '.vscode'));
    const link = join(dev.project, '.vscode', 'mcp.json');
    await symlink('../../.docker/config.json', link);
    return { dev, outside, link };
  }

  test('connect --client vscode refuses a .vscode/mcp.json that links outside the project: nothing written, no backup in the repo', async () => {
    const { dev, outside, link } = await linkedRepo();
    const projectBefore = await fileTree(dev.project);
    const r = await run(['connect', '--profile', profilePath, '--client', 'vscode', '--yes'], dev);
    expectExit(r, 1);
    assert.ok(r.output.includes(`its real path is ${outside}`), r.stderr);
    assert.match(r.output, /--follow-symlinks/);
    assert.equal(await readFile(outside, 'utf8'), SECRET_CONFIG, 'the file outside the project is unchanged');
    assert.ok((await lstat(link)).isSymbolicLink(), 'the link is still a link');
    assert.deepEqual(await fileTree(dev.project), projectBefore, 'nothing in the project changed (no backup either)');
    assert.equal(existsSync(join(dev.home, '.agentcore-auth', 'setups', 'connect.json')), false, 'no setup was recorded');
  });

  test('a user-scoped file linking outside HOME is refused too; --follow-symlinks writes through, backing up to the state folder (0600)', async () => {
    const dev = await person('dev');
    const elsewhere = join(dev.home, '..', 'dotfiles');
    await mkdir(elsewhere, { recursive: true });
    const real = join(elsewhere, 'cursor-mcp.json');
    const original = `${JSON.stringify({ mcpServers: { linear: { url: 'https://mcp.linear.app/sse' } } }, null, 2)}\n`;
    await writeFile(real, original);
    await mkdir(join(dev.home, '.cursor'));
    await symlink(real, join(dev.home, '.cursor', 'mcp.json'));

    const refused = await run(['connect', '--profile', profilePath, '--client', 'cursor', '--yes', '--no-verify'], dev);
    expectExit(refused, 1);
    assert.ok(refused.output.includes(`outside your home folder ${dev.home}: its real path is ${real}`), refused.stderr);
    assert.equal(await readFile(real, 'utf8'), original);

    const ok = await run(['connect', '--profile', profilePath, '--client', 'cursor', '--yes', '--no-verify', '--follow-symlinks', '--json'], dev);
    expectExit(ok, 0);
    const doc = parseSingleJson<{ clients: Array<{ backupPath?: string }> }>(ok);
    const backup = doc.clients[0]?.backupPath;
    assert.ok(backup?.startsWith(join(dev.home, '.agentcore-auth', 'backups')), String(backup));
    assert.equal((await stat(backup!)).mode & 0o777, 0o600);
    assert.equal(await readFile(backup!, 'utf8'), original);
    assert.deepEqual(Object.keys((JSON.parse(await readFile(real, 'utf8')) as { mcpServers: object }).mcpServers), ['linear', 'gateway-tools']);
    assert.deepEqual(await readdir(elsewhere), ['cursor-mcp.json'], 'no backup or temp file beside the real file');

    // cleanup writes through the same link (the choice was recorded) and gives the file back.
    const c = await run(['cleanup', '--setup', 'connect', '--yes'], dev);
    expectExit(c, 0);
    assert.equal(await readFile(real, 'utf8'), original);
  });
});

describe('security: files from outside are read only when they are small regular files', () => {
  test('a team profile that is a FIFO, a device, a folder or 2 MiB is refused at once, naming it', async () => {
    const dev = await person('dev');
    const fifo = join(dev.project, 'fifo.team.json');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const folder = join(dev.project, 'folder.team.json');
    await mkdir(folder);
    const big = join(dev.project, 'big.team.json');
    await writeFile(big, `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    for (const [path, why] of [[fifo, /is a named pipe \(FIFO\), not a regular file/], ['/dev/zero', /is a device, not a regular file/], [folder, /is a folder, not a regular file/], [big, /is larger than 1 MiB/]] as const) {
      const r = await run(['connect', '--profile', path, '--client', 'kiro', '--yes'], dev, { timeoutMs: 15_000 });
      expectExit(r, 2);
      assert.ok(r.durationMs < 10_000, `answered in ${r.durationMs} ms`);
      assert.ok(r.output.includes(path), r.stderr);
      assert.match(r.output, why);
      assert.doesNotMatch(r.output, /Unexpected error/);
    }
  });

  test('a journal with a malformed shape: status, verify and cleanup say which file and what, never "Unexpected error"', async () => {
    const dev = await person('dev');
    const setups = join(dev.home, '.agentcore-auth', 'setups');
    await mkdir(setups, { recursive: true });
    const cases: Array<[string, unknown, RegExp]> = [
      ['array', [1, 2], /not a JSON object/],
      ['config', { version: 1, config: 'x', entries: [] }, /"config" is not an object/],
      ['entry', { version: 1, config: {}, entries: [42] }, /entry 1: not an object/],
      ['kind', { version: 1, config: {}, entries: [{ seq: 1, kind: 'rm -rf', state: 'done', intent: {} }] }, /entry 1: unknown kind "rm -rf"/],
      ['intent', { version: 1, config: {}, entries: [{ seq: 1, kind: 'client-entry', state: 'done', intent: 'x' }] }, /"intent" is not an object/],
      ['url', { version: 1, config: { gatewayUrl: 7 }, entries: [] }, /"config.gatewayUrl" is not a string/],
    ];
    for (const [name, doc, why] of cases) {
      const path = join(setups, `${name}.json`);
      await writeFile(path, JSON.stringify(doc));
      for (const cmd of [['status'], ['verify', '--no-login'], ['cleanup', '--yes']]) {
        const r = await run([...cmd, '--setup', name], dev);
        assert.notEqual(r.code, 0, describeRun(r));
        assert.ok(r.output.includes(path), `${cmd[0]} names the file:\n${describeRun(r)}`);
        assert.match(r.output, why);
        assert.doesNotMatch(r.output, /Unexpected error|TypeError/);
      }
    }
  });

  test('an mcp.json whose servers key is a list, or that is a FIFO, is refused by connect; nothing changes', async () => {
    const dev = await person('dev');
    const mcp = join(dev.project, '.mcp.json');
    const text = '{"mcpServers": []}\n';
    await writeFile(mcp, text);
    const list = await run(['connect', '--profile', profilePath, '--client', 'claude-code', '--yes'], dev);
    expectExit(list, 1);
    assert.match(list.output, /"mcpServers" is not a JSON object; the file was left untouched/);
    assert.equal(await readFile(mcp, 'utf8'), text);

    await rm(mcp);
    assert.equal(spawnSync('mkfifo', [mcp]).status, 0);
    const fifo = await run(['connect', '--profile', profilePath, '--client', 'claude-code', '--yes'], dev, { timeoutMs: 15_000 });
    expectExit(fifo, 1);
    assert.match(fifo.output, /is a named pipe \(FIFO\), not a regular file/);
    assert.equal(existsSync(join(dev.home, '.agentcore-auth', 'setups', 'connect.json')), false);
  });

  test('init --team-profile <a folder> is refused before anything is created', async () => {
    const a = await person('admin');
    const registered = sbLog.lines.filter((l) => /IdP: registered client/.test(l)).length;
    const r = await run(
      ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
        '--create-gateway', `tp-${process.pid}`, '--role-arn', sb.roleArn, '--team-profile', a.project, '--no-verify', '--yes'],
      a,
    );
    expectExit(r, 2);
    assert.ok(r.output.includes(`--team-profile ${a.project} is a folder; nothing was changed`), r.stderr);
    assert.match(r.output, /agentcore-auth\.team\.json/);
    assert.equal(sbLog.lines.filter((l) => /IdP: registered client/.test(l)).length, registered, 'no client was registered');
  });
});

describe('security: what a hostile gateway or IdP answers is shown as text, and read no further than 1 MiB', () => {
  /** An OSC 8 hyperlink (the brief's example), a clear-screen and a cursor move: none may reach the terminal. */
  const ESC_DESCRIPTION = '\u001b]8;;http://x.example\u0007click\u001b]8;;\u0007 \u001b[2J\u001b[1Aagain';
  /** HTTP headers cannot carry ESC or BEL: a header attack uses the 8-bit C1 forms (CSI, OSC, ST) instead. */
  const C1_DESCRIPTION = '\u009b2J\u009d0;pwned\u009cforged refused';

  test('a token endpoint\'s error_description and a 401 header\'s error_description with escapes: cleaned text, human and --json', async () => {
    const hostile = await startHostileServer({
      route: (req, origin): HostileReply | undefined => {
        const u = new URL(req.url, origin);
        if (u.pathname === '/authorize') {
          return { status: 302, headers: { location: `${u.searchParams.get('redirect_uri')}?code=code-for-the-hostile-idp&state=${u.searchParams.get('state')}` } };
        }
        if (u.pathname === '/token') return { status: 400, body: { error: 'invalid_request', error_description: ESC_DESCRIPTION } };
        if (u.pathname === '/mcp' && req.authorization) {
          return {
            status: 401,
            headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${C1_DESCRIPTION}"` },
            body: { jsonrpc: '2.0', id: 0, error: { code: -32001, message: 'Invalid token \u001b[31m' } },
          };
        }
        return undefined;
      },
    });
    try {
      const dev = await person('dev');
      for (const extra of [[], ['--json']]) {
        const r = await run(['verify', '--gateway-url', `${hostile.origin}/mcp`, '--client-id', 'X', '--callback-port', String(await freePort()), '--timeout', '5s', ...extra], dev);
        expectExit(r, 1);
        const all = `${r.stdout}\n${r.stderr}`;
        assert.match(all, /invalid_request: click again/, 'the token endpoint\'s description, as text');
        assert.doesNotMatch(all, CONTROL);
        assert.doesNotMatch(all, /pwned|x\.example/, 'the payload of an OSC sequence (title, hyperlink target) is not shown either');
        if (extra.length) {
          assert.doesNotMatch(r.stdout, /\\u00[01]|\\u009/, 'no escaped control in the JSON document');
          const { checks } = parseSingleJson<{ checks: Array<{ id: string; status: string; finding: string; details?: { errorDescription?: string } }> }>(r);
          assert.equal(checks.find((c) => c.id === 'login')?.status, 'fail');
          // The forged-token probes record the gateway's 401 description in their details: as text.
          assert.equal(checks.find((c) => c.id === 'forged-unsigned')?.details?.errorDescription, 'forged refused');
        }
      }
    } finally {
      await hostile.close();
    }
  });

  test('an endless protected resource metadata body: verify stops reading at 1 MiB and says so', async () => {
    const huge = `{"resource":"${'x'.repeat(3 * 1024 * 1024)}"}`;
    const hostile = await startHostileServer({
      route: (req, origin) => (new URL(req.url, origin).pathname.startsWith('/.well-known/oauth-protected-resource') ? { body: huge } : undefined),
    });
    try {
      const dev = await person('dev');
      const r = await run(['verify', '--gateway-url', `${hostile.origin}/mcp`, '--no-login', '--timeout', '5s', '--json'], dev);
      expectExit(r, 1);
      const prm = parseSingleJson<{ checks: Array<{ id: string; status: string; finding: string }> }>(r).checks.find((c) => c.id === 'prm');
      assert.equal(prm?.status, 'fail');
      assert.match(prm.finding, /more than 1024 KiB/);
      assert.ok(r.stdout.length < 200_000, 'none of the body is echoed');
    } finally {
      await hostile.close();
    }
  });

  test('a team profile URL that answers more than 1 MiB is refused, naming the URL, before anything is written', async () => {
    const hostile = await startHostileServer({ route: () => ({ body: `{"version":1,"pad":"${' '.repeat(2 * 1024 * 1024)}"}` }) });
    try {
      const dev = await person('dev');
      const homeBefore = await fileTree(dev.home);
      const r = await run(['connect', '--profile', `${hostile.origin}/agentcore-auth.team.json`, '--client', 'kiro', '--yes'], dev);
      expectExit(r, 1);
      assert.ok(r.output.includes(`${hostile.origin}/agentcore-auth.team.json answered with more than 1024 KiB`), r.stderr);
      assert.deepEqual(await fileTree(dev.home), homeBefore, 'nothing was written');
    } finally {
      await hostile.close();
    }
  });
});
