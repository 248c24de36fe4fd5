/**
 * The Okta journey through the built CLI (`node dist/src/cli.js`, its own process): init --provider okta against
 * a stand-in Okta org (test/helpers/okta-standin.ts: every request checked against Okta's OpenAPI specs) and the
 * sandbox's AgentCore-compatible control plane (in this process), then status, then cleanup. Checks what exists at
 * the stand-in and the control plane after each step, and that nothing is left at the end.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node --test dist/test/e2e/okta.test.js
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, GetGatewayCommand, ListGatewaysCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { describeRun, freePort, isolatedEnv, parseSingleJson, runCli, type CliResult } from '../helpers/cli.js';
import { startOktaStandin, type OktaStandin } from '../helpers/okta-standin.js';

let root: string;
let sb: Sandbox;
let okta: OktaStandin;
let sdk: BedrockAgentCoreControlClient;
let users = 0;

const expectExit = (r: CliResult, code: number) => assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);

async function newHome(): Promise<{ home: string; env: NodeJS.ProcessEnv; stateDir: string }> {
  const home = join(root, `home-${++users}`);
  await mkdir(home, { recursive: true });
  const env = isolatedEnv(home, { OKTA_ORG_URL: okta.orgUrl, OKTA_API_TOKEN: okta.apiToken });
  return { home, env, stateDir: env.AGENTCORE_AUTH_HOME! };
}

function initArgs(gateway: string, port: number, extra: string[] = []): string[] {
  return [
    'init', '--provider', 'okta',
    '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
    '--create-gateway', gateway, '--role-arn', sb.roleArn,
    '--callback-port', String(port),
    '--yes', '--json', '--no-verify',
    ...extra,
  ];
}

async function gatewayNames(): Promise<string[]> {
  return ((await sdk.send(new ListGatewaysCommand({}))).items ?? []).map((g) => g.name!);
}

/** Nothing but reads reached the stand-in since `from` (index into okta.calls). */
function onlyReadsSince(from: number): void {
  const writes = okta.calls.slice(from).filter((c) => c.method !== 'GET');
  assert.deepEqual(writes.map((c) => `${c.method} ${c.path}`), [], 'nothing was written at Okta');
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'okta-e2e-'));
  okta = await startOktaStandin({ users: [{ login: 'jane@example.com', groups: ['engineering'] }, { login: 'bob@example.com', groups: ['sales'] }], groups: [{ name: 'Engineering' }] });
  sb = await startSandbox({ logger: createMemoryLogger(), readyDelayMs: 40 });
  sdk = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

after(async () => {
  sdk?.destroy();
  await sb?.close();
  await okta?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('agentcore-auth with --provider okta (stand-in org + sandbox control plane)', () => {
  test('init --help lists the Okta flags', async () => {
    const { env } = await newHome();
    const r = await runCli(['init', '--help'], { env });
    expectExit(r, 0);
    for (const f of ['--okta-org-url', '--okta-auth-server', '--okta-assign-group', '--okta-assign-user']) assert.ok(r.stdout.includes(f), `${f} in init --help`);
  });

  test('init creates the app, assignments, policy and gateway rule; status sees them; cleanup leaves nothing', async () => {
    const { env, stateDir, home } = await newHome();
    const port = await freePort();
    const from = okta.calls.length;
    const init = await runCli(initArgs(`okta-e2e-${process.pid}`, port, ['--okta-assign-group', 'Engineering', '--okta-assign-user', 'jane@example.com']), { env, timeoutMs: 60_000 });
    expectExit(init, 0);
    const doc = parseSingleJson<{ ok: boolean; app: { clientId: string; issuer: string; provider: string }; gateway: { gatewayId: string; gatewayUrl: string } }>(init);
    assert.equal(doc.ok, true);
    assert.equal(doc.app.provider, 'okta');
    assert.equal(doc.app.issuer, okta.issuer('default'));

    // At Okta: one active public client with exactly mcp-remote's redirect URI, assigned, with its own policy.
    assert.equal(okta.apps.size, 1);
    const [appId, app] = [...okta.apps.entries()][0]!;
    const oc = (app.credentials as { oauthClient: Record<string, unknown> }).oauthClient;
    const settings = (app.settings as { oauthClient: Record<string, unknown> }).oauthClient;
    assert.equal(oc.client_id, doc.app.clientId);
    assert.equal(oc.token_endpoint_auth_method, 'none');
    assert.equal(oc.pkce_required, true);
    assert.equal(app.status, 'ACTIVE');
    assert.deepEqual(settings.redirect_uris, [`http://localhost:${port}/oauth/callback`]);
    assert.deepEqual(settings.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(okta.appGroups.get(appId)?.size, 1);
    assert.equal(okta.appUsers.get(appId)?.size, 1);
    assert.equal(okta.policies.size, 1);
    const policy = [...okta.policies.values()][0]!;
    assert.deepEqual((policy.conditions as { clients: { include: string[] } }).clients.include, [doc.app.clientId]);
    assert.equal(okta.rules.size, 1);
    assert.deepEqual(([...okta.rules.values()][0]!.actions as { token: unknown }).token, { accessTokenLifetimeMinutes: 60, refreshTokenLifetimeMinutes: 129600, refreshTokenWindowMinutes: 129600 });
    assert.ok(okta.calls.slice(from).filter((c) => c.path.startsWith('/api/')).every((c) => c.auth === 'ssws'), 'every Management API call used the SSWS token (discovery is public)');

    // The gateway: the Okta discovery URL, audience api://default and cid pinned to the client.
    const g = await sdk.send(new GetGatewayCommand({ gatewayIdentifier: doc.gateway.gatewayId }));
    const jwt = g.authorizerConfiguration?.customJWTAuthorizer;
    assert.equal(jwt?.discoveryUrl, `${okta.issuer('default')}/.well-known/openid-configuration`);
    assert.deepEqual(jwt?.allowedAudience, ['api://default']);
    assert.deepEqual(jwt?.customClaims, [
      { inboundTokenClaimName: 'cid', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: doc.app.clientId } } },
    ]);
    // Kiro's entry runs mcp-remote with this client id.
    const kiro = await readFile(join(home, '.kiro', 'settings', 'mcp.json'), 'utf8');
    assert.ok(kiro.includes(doc.app.clientId));

    // The admin token is never printed nor journaled.
    const journalText = await readFile(join(stateDir, 'setups', 'default.json'), 'utf8');
    assert.ok(!journalText.includes(okta.apiToken), 'the API token is not in the journal');
    assert.ok(!`${init.stdout}${init.stderr}`.includes(okta.apiToken), 'the API token is not printed');

    const status = await runCli(['status', '--json'], { env });
    expectExit(status, 0);
    const st = parseSingleJson<{ setups: Array<{ drift: boolean; items: Array<{ kind: string; live: string }> }> }>(status);
    assert.equal(st.setups[0]!.drift, false, describeRun(status));
    assert.deepEqual(st.setups[0]!.items.map((i) => i.live), ['present', 'present', 'present']);

    const cleanupFrom = okta.calls.length;
    const cleanup = await runCli(['cleanup', '--yes', '--json'], { env, timeoutMs: 60_000 });
    expectExit(cleanup, 0);
    const c = parseSingleJson<{ ok: boolean; actions: Array<{ what: string; status: string }> }>(cleanup);
    assert.equal(c.ok, true, JSON.stringify(c.actions));

    // Nothing left at Okta: the app deactivated THEN deleted, its rule and policy deleted, its assignments gone with it.
    assert.equal(okta.apps.size, 0);
    assert.equal(okta.policies.size, 0);
    assert.equal(okta.rules.size, 0);
    assert.equal(okta.appUsers.size + okta.appGroups.size, 0);
    const seq = (method: string, path: string) => okta.calls.slice(cleanupFrom).find((x) => x.method === method && x.path === path && x.status < 300)?.seq;
    const deactivated = seq('POST', `/api/v1/apps/${appId}/lifecycle/deactivate`);
    const deleted = seq('DELETE', `/api/v1/apps/${appId}`);
    assert.ok(deactivated && deleted && deactivated < deleted, 'the app was deactivated, then deleted');
    assert.ok(seq('DELETE', `/api/v1/authorizationServers/default/policies/${String(policy.id)}`), 'the policy was deleted');
    assert.equal((await gatewayNames()).includes(`okta-e2e-${process.pid}`), false, 'the gateway is gone');
    assert.equal(existsSync(join(stateDir, 'setups', 'default.json')), false, 'the journal is gone');

    // Every request the CLI made matched Okta's contract.
    assert.deepEqual(okta.violations, []);
  });

  test('init --allow-group engineering --require-scope mcp:invoke: a groups access-token claim and the scope at Okta, the gateway rule groups CONTAINS engineering; cleanup deletes them', async () => {
    const { env, stateDir, home } = await newHome();
    const port = await freePort();
    const name = `okta-access-${process.pid}`;
    const init = await runCli(initArgs(name, port, ['--okta-assign-group', 'engineering', '--allow-group', 'engineering', '--require-scope', 'mcp:invoke']), { env, timeoutMs: 60_000 });
    expectExit(init, 0);
    const doc = parseSingleJson<{ ok: boolean; app: { clientId: string; issuer: string }; gateway: { gatewayId: string } }>(init);
    // The plan said what changes at Okta, in words.
    assert.match(init.output, /a "groups" claim in access tokens on authorization server default, listing only engineering/);
    assert.match(init.output, /custom scope mcp:invoke on authorization server default \(created when missing\)/);

    // At Okta: exactly one access-token groups claim listing only engineering, and the custom scope.
    const claims = [...okta.claims.values()];
    assert.equal(claims.length, 1, JSON.stringify(claims));
    const claim = claims[0]!;
    assert.equal(claim.authServerId, 'default');
    assert.equal(claim.name, 'groups');
    assert.equal(claim.claimType, 'RESOURCE');
    assert.equal(claim.valueType, 'GROUPS');
    assert.equal(claim.group_filter_type, 'REGEX');
    assert.equal(claim.value, '^engineering$');
    const scope = [...okta.scopes.values()].find((x) => x.name === 'mcp:invoke');
    assert.ok(scope, 'the scope mcp:invoke was created');

    // The gateway: the client pin, then groups CONTAINS engineering; allowedScopes mcp:invoke.
    const g = await sdk.send(new GetGatewayCommand({ gatewayIdentifier: doc.gateway.gatewayId }));
    const jwt = g.authorizerConfiguration?.customJWTAuthorizer;
    assert.deepEqual(jwt?.customClaims, [
      { inboundTokenClaimName: 'cid', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: doc.app.clientId } } },
      { inboundTokenClaimName: 'groups', inboundTokenClaimValueType: 'STRING_ARRAY', authorizingClaimMatchValue: { claimMatchOperator: 'CONTAINS', claimMatchValue: { matchValueString: 'engineering' } } },
    ]);
    assert.deepEqual(jwt?.allowedScopes, ['mcp:invoke']);
    // Okta-shaped tokens against that rule: jane (engineering) is admitted, bob (sales) is not.
    const rule = jwt as unknown as CustomJwtAuthorizer;
    const claimsOf = async (sub: string) => JSON.parse(Buffer.from((await okta.mintAccessToken({ clientId: doc.app.clientId, sub, scopes: ['openid', 'mcp:invoke'] })).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const jane = await claimsOf('jane@example.com');
    assert.deepEqual(jane.groups, ['engineering']);
    assert.equal(evaluateAuthorizer(rule, { ...jane, scope: 'openid mcp:invoke' }).allow, true);
    assert.equal(evaluateAuthorizer(rule, { ...(await claimsOf('bob@example.com')), scope: 'openid mcp:invoke' }).allow, false);
    // The client asks for the scope.
    assert.ok((await readFile(join(home, '.kiro', 'settings', 'mcp.json'), 'utf8')).includes('mcp:invoke'));
    // Journaled: the ids of what was created at Okta.
    const journalText = await readFile(join(stateDir, 'setups', 'default.json'), 'utf8');
    assert.ok(journalText.includes(String(claim.id)) && journalText.includes(String(scope.id)), 'the claim and scope ids are journaled');

    const cleanupFrom = okta.calls.length;
    const cleanup = await runCli(['cleanup', '--yes', '--json'], { env, timeoutMs: 60_000 });
    expectExit(cleanup, 0);
    const c = parseSingleJson<{ ok: boolean; actions: Array<{ what: string; status: string }> }>(cleanup);
    assert.equal(c.ok, true, JSON.stringify(c.actions));
    const deleted = (path: string) => okta.calls.slice(cleanupFrom).some((x) => x.method === 'DELETE' && x.path === path && x.status === 204);
    assert.ok(deleted(`/api/v1/authorizationServers/default/claims/${String(claim.id)}`), 'the claim was deleted');
    assert.ok(deleted(`/api/v1/authorizationServers/default/scopes/${String(scope.id)}`), 'the scope was deleted');
    assert.equal(okta.claims.size, 0);
    assert.ok(![...okta.scopes.values()].some((x) => x.name === 'mcp:invoke'));
    assert.equal(okta.apps.size, 0);
    assert.equal((await gatewayNames()).includes(name), false);
    assert.deepEqual(okta.violations, []);
  });

  test('the org authorization server is refused with the reason, before anything is created', async () => {
    const { env } = await newHome();
    const from = okta.calls.length;
    const before = await gatewayNames();
    const r = await runCli(initArgs(`okta-org-${process.pid}`, await freePort(), ['--okta-auth-server', 'org']), { env });
    expectExit(r, 2);
    assert.match(r.output, /org authorization server/);
    assert.match(r.output, /custom authorization server/);
    onlyReadsSince(from);
    assert.deepEqual(await gatewayNames(), before);
  });

  test('missing admin credentials: exit 1 naming the env vars, nothing created', async () => {
    const { env } = await newHome();
    delete env.OKTA_API_TOKEN;
    const from = okta.calls.length;
    const before = await gatewayNames();
    const r = await runCli(initArgs(`okta-nocreds-${process.pid}`, await freePort()), { env });
    expectExit(r, 1);
    assert.match(r.output, /OKTA_API_TOKEN/);
    assert.match(r.output, /OKTA_OAUTH_CLIENT_ID/);
    assert.equal(okta.calls.length, from, 'nothing reached Okta');
    assert.deepEqual(await gatewayNames(), before);
  });
});
