/**
 * The login verify runs is the login the client will run (issue #12): built from the client entry's own command
 * line (scope, resource, authorization parameters, callback), so an entry that drifted from its setup shows up as
 * a failure naming the entry's file, and the test login proves what the entry really sends. The built CLI against
 * the sandbox (auto-login), its browser a redirect-follower.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs verify-entry
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli } from '../helpers/cli.js';

let root: string;
let sb: Sandbox;
const BROWSER_SH = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-verify-entry-'));
  sb = await startSandbox({ autoLogin: 'alice', logger: createMemoryLogger(), readyDelayMs: 20 });
});

after(async () => {
  await sb?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

interface Report {
  ok: boolean;
  checks: Array<{ id: string; status: string; finding: string; fix?: string; details?: Record<string, unknown> }>;
}

describe('verify signs in with what the client entry sends', () => {
  test('an entry in step with its setup passes; one whose scope was edited fails naming the file, and the login used its scope', async () => {
    const home = join(root, 'home');
    await mkdir(home, { recursive: true });
    const env = isolatedEnv(home, { BROWSER: BROWSER_SH, DISPLAY: '' });
    const init = await runCli(
      ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', `entry-${process.pid % 1000}`, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()), '--yes', '--no-verify'],
      { env },
    );
    assert.equal(init.code, 0, describeRun(init));

    const ok = await runCli(['verify', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(ok.code, 0, describeRun(ok));
    const good = parseSingleJson<Report>(ok).checks.find((c) => c.id === 'entry-login');
    assert.equal(good?.status, 'pass', good?.finding);

    // Someone edits the Kiro entry: the scope loses offline_access and email.
    const kiro = join(home, '.kiro', 'settings', 'mcp.json');
    const doc = JSON.parse(await readFile(kiro, 'utf8')) as { mcpServers: Record<string, { args: string[] }> };
    const args = doc.mcpServers['gateway-tools']!.args;
    const at = args.indexOf('--static-oauth-client-metadata');
    args[at + 1] = JSON.stringify({ scope: 'openid profile' });
    await writeFile(kiro, JSON.stringify(doc, null, 2));

    const drifted = await runCli(['verify', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(drifted.code, 1, describeRun(drifted));
    const rep = parseSingleJson<Report>(drifted);
    const e = rep.checks.find((c) => c.id === 'entry-login')!;
    assert.equal(e.status, 'fail');
    assert.match(e.finding, new RegExp(`${kiro.replace(/[.]/g, '\\.')} signs in with scope "openid profile" instead of "openid profile email offline_access"`));
    assert.match(e.fix ?? '', /agentcore-auth init/);
    const login = rep.checks.find((c) => c.id === 'login')!;
    assert.equal(login.status, 'pass');
    assert.equal(login.details?.scope, 'openid profile', 'the test login asked for the entry\'s scope');
    const refresh = rep.checks.find((c) => c.id === 'refresh')!;
    assert.notEqual(refresh.status, 'pass', 'without offline_access the entry gets no refresh token, and verify shows it');
  });

  test('an entry with no scope asks for what mcp-remote chooses; when the IdP app may not have it, verify fails as the client would', async () => {
    const home = join(root, 'home-noscope');
    await mkdir(home, { recursive: true });
    const env = isolatedEnv(home, { BROWSER: BROWSER_SH, DISPLAY: '' });
    // The IdP app may request only these two scopes (the client registration's scope).
    const init = await runCli(
      ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', `noscope-${process.pid % 1000}`, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()), '--scopes', 'openid offline_access', '--yes', '--no-verify'],
      { env },
    );
    assert.equal(init.code, 0, describeRun(init));
    const ok = await runCli(['verify', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(ok.code, 0, describeRun(ok));

    // The entry loses its scope (copied from a wiki, say): mcp-remote then asks for every scope the sandbox lists.
    const kiro = join(home, '.kiro', 'settings', 'mcp.json');
    const doc = JSON.parse(await readFile(kiro, 'utf8')) as { mcpServers: Record<string, { args: string[] }> };
    const args = doc.mcpServers['gateway-tools']!.args;
    args.splice(args.indexOf('--static-oauth-client-metadata'), 2);
    await writeFile(kiro, JSON.stringify(doc, null, 2));

    const started = Date.now();
    const bad = await runCli(['verify', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(bad.code, 1, describeRun(bad));
    assert.ok(Date.now() - started < 30_000, 'the refusal is reported at once, not after the sign-in wait');
    const rep = parseSingleJson<Report>(bad);
    const scope = rep.checks.find((c) => c.id === 'entry-scope')!;
    assert.equal(scope.status, 'warn');
    assert.match(scope.finding, /gives mcp-remote no scope, so it asks for "openid profile email offline_access [^"]+": every scope the authorization server's metadata lists/);
    assert.match(scope.fix ?? '', /--static-oauth-client-metadata/);
    const login = rep.checks.find((c) => c.id === 'login')!;
    assert.equal(login.status, 'fail', login.finding);
    assert.match(login.finding, /refused the scopes openid profile email offline_access/);
    assert.match(login.fix ?? '', /static-oauth-client-metadata scope is what mcp-remote asks/);

    // The real client, run as Kiro runs it, is refused the same way: the emulation is not a guess.
    const via = await runCli(['verify', '--via-client', '--json'], { env, timeoutMs: 90_000 });
    assert.equal(via.code, 1, describeRun(via));
    const viaRep = parseSingleJson<Report>(via);
    const viaLogin = viaRep.checks.find((c) => c.id.startsWith('via-client') && c.status === 'fail');
    assert.ok(viaLogin, `mcp-remote's own sign-in fails too: ${JSON.stringify(viaRep.checks.filter((c) => c.id.startsWith('via')).map((c) => [c.id, c.status, c.finding]))}`);
    assert.match(viaLogin.finding, /scope/i);
  });
});
