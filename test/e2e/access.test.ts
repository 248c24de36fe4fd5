/**
 * Who may use the gateway (issue 13), end to end on the sandbox: the built CLI's init turns --allow-group,
 * --require-scope and --require-claim into gateway rules the sandbox's data plane enforces (with the same rule
 * function as verify), shows them in words in the plan, status, the team profile and connect; verify judges each
 * rule for the user who signed in: alice (engineering) is admitted, bob (sales) is refused in plain words; a rule on
 * a claim the IdP never issues fails for everyone, with the IdP-side fix; a rule AgentCore would refuse is refused
 * before anything is created.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs e2e/access
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli } from '../helpers/cli.js';

const BROWSER_SH = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');
let root: string;
let alice: Sandbox;
let bob: Sandbox;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-access-'));
  [alice, bob] = await Promise.all([
    startSandbox({ autoLogin: 'alice', logger: createMemoryLogger(), readyDelayMs: 20 }),
    startSandbox({ autoLogin: 'bob', logger: createMemoryLogger(), readyDelayMs: 20 }),
  ]);
});

after(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  if (root) await rm(root, { recursive: true, force: true });
});

interface Check {
  id: string;
  status: string;
  finding: string;
  fix?: string;
}

async function home(name: string): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return { dir, env: isolatedEnv(dir, { BROWSER: BROWSER_SH, DISPLAY: '' }) };
}

const initArgs = async (sb: Sandbox, gw: string, ...rules: string[]) => [
  'init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
  '--create-gateway', gw, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()), ...rules, '--yes',
];

const RULES = ['--allow-group', 'engineering', '--require-claim', 'department=engineering', '--require-scope', 'mcp:tools'];

describe('access rules: who may use the gateway', () => {
  test('alice (engineering) is admitted: the plan, the gateway, verify, status and the team profile all say the same rules', async () => {
    const { dir, env } = await home('alice');
    const dry = await runCli([...(await initArgs(alice, `acc-a-${process.pid % 1000}`, ...RULES)), '--dry-run'], { env });
    assert.equal(dry.code, 0, describeRun(dry));
    for (const line of ['who may use it:', '- members of "engineering": only tokens whose groups contains "engineering"', '- only tokens whose department is "engineering"', '- only tokens granted "mcp:tools" (allowedScopes)']) {
      assert.ok(dry.output.includes(line), `the plan says: ${line}\n${dry.stderr}`);
    }
    assert.match(dry.output, /scopes openid profile email offline_access mcp:tools/, 'the app asks for the required scope');

    const init = await runCli([...(await initArgs(alice, `acc-a-${process.pid % 1000}`, ...RULES)), '--json'], { env, timeoutMs: 90_000 });
    assert.equal(init.code, 0, describeRun(init));
    const out = parseSingleJson<{ gateway: { gatewayId: string }; verify: { checks: Check[] }; teamProfile: { path: string } }>(init);
    const access = out.verify.checks.find((c) => c.id === 'access-rules');
    assert.equal(access?.status, 'pass', JSON.stringify(access));
    assert.match(access!.finding, /^alice is admitted: only tokens granted "mcp:tools": granted; only tokens whose groups contains "engineering": holds; only tokens whose department is "engineering": holds\./);

    // The gateway really carries the rules (read back from the control plane, as AWS would return them).
    const g = (await (await fetch(`${alice.controlPlaneEndpoint}/gateways/${out.gateway.gatewayId}`)).json()) as { authorizerConfiguration: { customJWTAuthorizer: Record<string, unknown> } };
    const z = g.authorizerConfiguration.customJWTAuthorizer as { allowedScopes?: string[]; customClaims?: Array<{ inboundTokenClaimName: string; authorizingClaimMatchValue: { claimMatchOperator: string } }> };
    assert.deepEqual(z.allowedScopes, ['mcp:tools']);
    assert.deepEqual(z.customClaims?.map((c) => [c.inboundTokenClaimName, c.authorizingClaimMatchValue.claimMatchOperator]), [['groups', 'CONTAINS'], ['department', 'EQUALS']]);

    // alice calls a tool through the gateway with her token.
    const call = await runCli(['verify', '--call', 'whoami', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(call.code, 0, describeRun(call));
    const called = parseSingleJson<{ checks: Check[] }>(call).checks.find((c) => c.id === 'mcp-tools-call');
    assert.equal(called?.status, 'pass', JSON.stringify(called));
    assert.match(called!.finding, /alice/);

    const status = await runCli(['status'], { env });
    assert.equal(status.code, 0, describeRun(status));
    assert.match(status.stdout + status.stderr, /Who may use the gateway:\n\s+- only tokens granted "mcp:tools" \(allowedScopes\)\n\s+- only tokens whose groups contains "engineering"\n\s+- only tokens whose department is "engineering"/);

    const profile = JSON.parse(await readFile(out.teamProfile.path, 'utf8')) as { access?: unknown };
    assert.deepEqual(profile.access, { allowedScopes: ['mcp:tools'], rules: [{ claim: 'groups', op: 'CONTAINS', values: ['engineering'] }, { claim: 'department', op: 'EQUALS', values: ['engineering'] }] });

    const clean = await runCli(['cleanup', '--yes'], { env, timeoutMs: 60_000 });
    assert.equal(clean.code, 0, describeRun(clean));
    assert.equal(existsSync(join(dir, '.kiro', 'settings', 'mcp.json')), false);
  });

  test('bob (sales) is refused in plain words by verify and by connect; the gateway refuses his token', async () => {
    const admin = await home('bob-admin');
    const init = await runCli([...(await initArgs(bob, `acc-b-${process.pid % 1000}`, '--allow-group', 'engineering')), '--json'], { env: admin.env, timeoutMs: 90_000 });
    assert.equal(init.code, 1, `verify fails: bob signed in for the admin's test login\n${describeRun(init)}`);
    const out = parseSingleJson<{ verify: { checks: Check[] }; teamProfile: { path: string } }>(init);
    const access = out.verify.checks.find((c) => c.id === 'access-rules')!;
    assert.equal(access.status, 'fail');
    assert.match(access.finding, /^bob is not admitted: bob's groups are \["sales"\], without "engineering"\. The gateway will refuse bob\./);
    assert.match(access.fix ?? '', /Sign in as a user the rules admit, or give bob what the rules ask at the IdP/);
    // The same premise elsewhere points here instead of "change the IdP app".
    for (const id of ['token-claims', 'rule-fit']) {
      const c = out.verify.checks.find((x) => x.id === id)!;
      assert.equal(c.status, 'fail', id);
      assert.equal(c.fix, 'The gateway\'s access rules refuse this user: see "Access rules for the signed-in user".', id);
    }
    assert.equal(out.verify.checks.find((c) => c.id === 'mcp-initialize')?.status, 'fail', 'the gateway refused the token');

    // A developer (bob) connects with the team profile: the rules are shown, and his test login says he is not admitted.
    const dev = await home('bob-dev');
    const connect = await runCli(['connect', '--profile', out.teamProfile.path, '--client', 'kiro', '--yes'], { env: dev.env, timeoutMs: 90_000 });
    assert.equal(connect.code, 1, describeRun(connect));
    assert.match(connect.output, /Who may use this gateway \(you must satisfy every rule\):\n\s+- only tokens whose groups contains "engineering"/);
    assert.match(connect.stdout + connect.stderr, /bob is not admitted: bob's groups are \["sales"\], without "engineering"/);

    const clean = await runCli(['cleanup', '--yes'], { env: admin.env, timeoutMs: 60_000 });
    assert.equal(clean.code, 0, describeRun(clean));
  });

  test('a rule on a claim the IdP never issues: init warns, verify fails for everyone with the IdP-side fix', async () => {
    const { env } = await home('noclaim');
    const init = await runCli([...(await initArgs(alice, `acc-n-${process.pid % 1000}`, '--require-claim', 'team~platform')), '--json'], { env, timeoutMs: 90_000 });
    assert.equal(init.code, 1, describeRun(init));
    assert.match(init.output, /The IdP does not list "team" in claims_supported/);
    const access = parseSingleJson<{ verify: { checks: Check[] } }>(init).verify.checks.find((c) => c.id === 'access-rules')!;
    assert.equal(access.status, 'fail');
    assert.match(access.finding, /The token carries no "team" claim, which the gateway's rules read: the gateway refuses alice, and every other user of this IdP alike/);
    assert.match(access.fix ?? '', /Make the IdP put "team" in access tokens/);
    const clean = await runCli(['cleanup', '--yes'], { env, timeoutMs: 60_000 });
    assert.equal(clean.code, 0, describeRun(clean));
  });

  test('rules AgentCore would refuse are refused before anything is created (exit 2, the flag named)', async () => {
    const { dir, env } = await home('bad');
    const cases: Array<[string[], RegExp]> = [
      [['--require-claim', 'department'], /--require-claim "department" is not a claim rule/],
      [['--require-claim', 'department=eng,sales'], /"=" compares a string claim with one value/],
      [['--require-claim', 'groups~has space'], /--require-claim value "has space" is not a value AgentCore accepts/],
      [['--require-claim', 'aud=x'], /cannot rule on "aud"/],
      [['--allow-group', 'Domain Users'], /--allow-group "Domain Users": the groups claim carries it as "Domain Users", which AgentCore cannot match/],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(await initArgs(alice, `acc-x-${process.pid % 1000}`, ...flags), { env });
      assert.equal(r.code, 2, describeRun(r));
      assert.match(r.output, message);
    }
    assert.equal(existsSync(join(dir, '.kiro')), false, 'no client config written');
    const status = await runCli(['status', '--json'], { env });
    assert.deepEqual((parseSingleJson<{ setups: unknown[] }>(status)).setups, [], 'no setup was started');
  });
});
