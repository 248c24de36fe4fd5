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
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli as runCliRaw, type CliResult } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-server.js';

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
    assert.match(r.stderr, new RegExp(`${evil.origin.replace(/[.]/g, '\\.')}`), 'the error names the profile\'s issuer');
    assert.ok(r.stderr.includes(sb.issuer), 'the error names the issuer the gateway names');
    const homeAfter = await fileTree(dev.home);
    assert.deepEqual(homeAfter, homeBefore, 'nothing was written');
    assert.deepEqual(evil.credentials(), [], 'no credential reached the other server');
  });
});
