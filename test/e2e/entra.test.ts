/**
 * `agentcore-auth init --provider entra`, `status`, `cleanup --purge` as real CLI processes, against the HTTPS
 * Entra stand-in (test/helpers/entra-standin.ts: authority + Microsoft Graph) and the sandbox control plane,
 * started in this process. The CLI trusts the stand-in through NODE_EXTRA_CA_CERTS and is pointed at it with
 * AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST / AGENTCORE_AUTH_GRAPH_URL (the stand-in's cliEnv()).
 *
 * Run: npx tsc -p tsconfig.json && node --test dist/test/e2e/entra.test.js
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, GetGatewayCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { describeRun, freePort, isolatedEnv, parseSingleJson, runCli, type CliResult } from '../helpers/cli.js';
import { EntraStandin, haveOpenssl } from '../helpers/entra-standin.js';

const OPENSSL = await haveOpenssl();
const ADMIN = '0d0d0d0d-1111-4222-8333-444444444444';
/** An admin app that may also assign app roles and read groups (--allow-group). */
const ACCESS_ADMIN = '0e0e0e0e-1111-4222-8333-444444444444';
const SECRET = 'e2e-sEcReT~value-never-printed-9876543210';
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

describe('init --provider entra, status, cleanup --purge (CLI processes)', { skip: OPENSSL ? false : 'openssl is not on PATH (the HTTPS stand-in needs it)' }, () => {
  let sa: EntraStandin;
  let sb: Sandbox;
  let root: string;
  let sdk: BedrockAgentCoreControlClient;
  const outputs: CliResult[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'entra-e2e-'));
    sa = await EntraStandin.start({
      clients: [
        { clientId: ADMIN, secret: SECRET, roles: ['Application.ReadWrite.OwnedBy', 'Policy.ReadWrite.ApplicationConfiguration'] },
        { clientId: ACCESS_ADMIN, secret: SECRET, roles: ['Application.ReadWrite.OwnedBy', 'Policy.ReadWrite.ApplicationConfiguration', 'AppRoleAssignment.ReadWrite.All', 'Group.Read.All'] },
      ],
      groups: [
        { displayName: 'engineering', members: ['alice@contoso.onmicrosoft.com'] },
        { displayName: 'sales', members: ['bob@contoso.onmicrosoft.com'] },
      ],
    });
    sb = await startSandbox({ logger: createMemoryLogger(), readyDelayMs: 0 });
    sdk = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });

  after(async () => {
    // Nothing printed by any run holds the admin secret or a token.
    for (const r of outputs) {
      const text = `${r.stdout}\n${r.stderr}`;
      assert.ok(!text.includes(SECRET), `agentcore-auth ${r.args[0]} printed the client secret`);
      assert.doesNotMatch(text, JWT, `agentcore-auth ${r.args[0]} printed a JWT`);
      for (const tok of sa.issuedTokens()) assert.ok(!text.includes(tok), `agentcore-auth ${r.args[0]} printed a Graph token`);
    }
    sdk?.destroy();
    await sb?.close();
    await sa?.close();
    await rm(root, { recursive: true, force: true });
  });

  const cli = async (args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> => {
    const r = await runCli(args, { env, timeoutMs: 30_000 });
    outputs.push(r);
    assert.equal(r.timedOut, false, describeRun(r));
    return r;
  };

  let users = 0;
  const user = async (extra: NodeJS.ProcessEnv = {}) => {
    const home = join(root, `home-${++users}`);
    await mkdir(home, { recursive: true });
    return { home, env: isolatedEnv(home, { ...sa.cliEnv(), AZURE_TENANT_ID: sa.tenantId, ...extra }) };
  };

  const gatewayRule = async (id: string) => {
    try {
      const g = await sdk.send(new GetGatewayCommand({ gatewayIdentifier: id }));
      return g.authorizerConfiguration?.customJWTAuthorizer ?? null;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  };

  test('init makes the public client, sets the v2.0 rule and the mcp-remote entry; status sees it; cleanup --purge leaves nothing', async () => {
    const u = await user({ AZURE_CLIENT_ID: ADMIN, AZURE_CLIENT_SECRET: SECRET });
    const port = await freePort();
    const init = await cli(
      ['init', '--provider', 'entra', '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', `entra-e2e-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(port), '--yes', '--json', '--no-verify'],
      u.env,
    );
    assert.equal(init.code, 0, describeRun(init));
    const doc = parseSingleJson<{ ok: boolean; app: { clientId: string; issuer: string; provider: string }; gateway: { gatewayId: string; gatewayUrl: string } }>(init);
    assert.equal(doc.ok, true);
    assert.equal(doc.app.provider, 'entra');
    assert.equal(doc.app.issuer, sa.issuer);

    // At Entra: one public client for mcp-remote's redirect URI, v2 tokens, its API scope, a service principal, a policy.
    assert.equal(sa.applications.size, 1);
    const app = [...sa.applications.values()][0]!;
    assert.equal(app.appId, doc.app.clientId);
    assert.deepEqual(app.publicClient.redirectUris, [`http://localhost:${port}/oauth/callback`]);
    assert.equal(app.web, null);
    assert.equal(app.isFallbackPublicClient, true);
    assert.equal(app.api.requestedAccessTokenVersion, 2);
    assert.deepEqual(app.identifierUris, [`api://${app.appId}`]);
    assert.deepEqual((app.api.oauth2PermissionScopes as Array<{ value: string }>).map((s) => s.value), ['access_as_user']);
    assert.deepEqual([...sa.servicePrincipals.values()].map((s) => s.appId), [app.appId]);
    assert.equal(sa.policies.size, 1);
    assert.deepEqual(app.tokenLifetimePolicies, [...sa.policies.keys()]);
    assert.match(init.output, /refresh tokens live 90 days/);

    // The gateway: the tenant's v2.0 discovery URL, audience = app id, azp pinned (Entra tokens have no client_id).
    const rule = await gatewayRule(doc.gateway.gatewayId);
    assert.ok(rule);
    assert.equal(rule.discoveryUrl, `${sa.issuer}/.well-known/openid-configuration`);
    assert.match(rule.discoveryUrl!, /\/v2\.0\//);
    assert.deepEqual(rule.allowedAudience, [app.appId]);
    assert.equal(rule.allowedClients, undefined);
    assert.deepEqual(rule.customClaims?.map((c) => [c.inboundTokenClaimName, c.authorizingClaimMatchValue?.claimMatchOperator, c.authorizingClaimMatchValue?.claimMatchValue?.matchValueString]), [['azp', 'EQUALS', app.appId]]);

    // Kiro: mcp-remote asks for this API's scope and sends no resource parameter.
    const kiroPath = join(u.home, '.kiro', 'settings', 'mcp.json');
    const entry = (JSON.parse(await readFile(kiroPath, 'utf8')) as { mcpServers: Record<string, { args: string[] }> }).mcpServers['gateway-tools']!;
    assert.ok(entry.args.includes('--disable-resource-parameter'));
    const meta = entry.args[entry.args.indexOf('--static-oauth-client-metadata') + 1]!;
    assert.deepEqual(JSON.parse(meta), { scope: `api://${app.appId}/access_as_user openid profile offline_access` });
    assert.equal(JSON.parse(entry.args[entry.args.indexOf('--static-oauth-client-info') + 1]!).client_id, app.appId);

    const status = await cli(['status', '--json'], u.env);
    assert.equal(status.code, 0, describeRun(status));
    const st = parseSingleJson<{ setups: Array<{ drift: boolean; items: Array<{ kind: string; id: string; live: string }> }> }>(status);
    const client = st.setups[0]!.items.find((i) => i.kind === 'OIDC client')!;
    assert.deepEqual({ id: client.id, live: client.live }, { id: app.appId, live: 'present' });
    assert.equal(st.setups[0]!.drift, false);

    const cleanup = await cli(['cleanup', '--yes', '--json', '--purge'], u.env);
    assert.equal(cleanup.code, 0, describeRun(cleanup));
    const c = parseSingleJson<{ ok: boolean; actions: Array<{ what: string; status: string }> }>(cleanup);
    assert.equal(c.ok, true);
    assert.ok(c.actions.some((a) => a.what.includes(app.appId) && a.status === 'done'), JSON.stringify(c.actions));

    // Nothing left at Entra: not in applications, not in deleted items, no service principal, no policy.
    assert.equal(sa.applications.size, 0);
    assert.equal(sa.servicePrincipals.size, 0);
    assert.equal(sa.deletedItems.size, 0, `still in deleted items: ${[...sa.deletedItems.keys()].join(', ')}`);
    assert.equal(sa.policies.size, 0);
    // Nor at the gateway or in Kiro's config.
    for (let i = 0; i < 100 && (await gatewayRule(doc.gateway.gatewayId)) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await gatewayRule(doc.gateway.gatewayId), undefined, 'the gateway init created is gone');
    assert.equal(existsSync(kiroPath), false, 'the mcp.json init created is deleted');
    assert.equal(existsSync(join(u.home, '.agentcore-auth', 'setups', 'default.json')), false);
  });

  test('init without admin credentials (not interactive) exits 1 naming the env vars, and makes nothing', async () => {
    const u = await user();
    const before = sa.requests.length;
    const r = await cli(
      ['init', '--provider', 'entra', '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', `entra-nocreds-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()), '--yes', '--no-verify'],
      u.env,
    );
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.output, /AZURE_CLIENT_SECRET/);
    assert.match(r.output, /--entra-device-code/);
    assert.equal(sa.requests.slice(before).filter((q) => q.path.startsWith('/v1.0/')).length, 0, 'no Graph call');
    assert.equal(sa.applications.size, 0);
  });

  test('init --allow-group engineering --require-scope mcp.invoke: an app role assigned to the group, the rule on roles; cleanup removes them', async () => {
    const u = await user({ AZURE_CLIENT_ID: ACCESS_ADMIN, AZURE_CLIENT_SECRET: SECRET });
    const port = await freePort();
    const init = await cli(
      ['init', '--provider', 'entra', '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', `entra-access-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(port), '--allow-group', 'engineering', '--require-scope', 'mcp.invoke', '--yes', '--json', '--no-verify'],
      u.env,
    );
    assert.equal(init.code, 0, describeRun(init));
    const doc = parseSingleJson<{ ok: boolean; app: { clientId: string }; gateway: { gatewayId: string } }>(init);
    const app = [...sa.applications.values()].find((a) => a.appId === doc.app.clientId)!;
    assert.ok(app);

    // At Entra: the role, its assignment to the group on the service principal, and the scope next to access_as_user.
    assert.deepEqual(app.appRoles.map((r) => [r.value, r.isEnabled, r.allowedMemberTypes]), [['engineering', true, ['User']]]);
    const sp = [...sa.servicePrincipals.values()].find((x) => x.appId === app.appId)!;
    const eng = [...sa.groups.values()].find((g) => g.displayName === 'engineering')!;
    assert.deepEqual([...sa.assignments.values()].map((a) => [a.resourceId, a.principalId, a.appRoleId]), [[sp.id, eng.id, app.appRoles[0]!.id]]);
    assert.deepEqual((app.api.oauth2PermissionScopes as Array<{ value: string }>).map((x) => x.value), ['access_as_user', 'mcp.invoke']);
    assert.deepEqual(sa.rolesFor('alice@contoso.onmicrosoft.com', app.appId), ['engineering']);
    assert.deepEqual(sa.rolesFor('bob@contoso.onmicrosoft.com', app.appId), []);

    // The gateway: the app's pins, then roles CONTAINS engineering; allowedScopes as scp carries it (bare).
    const rule = await gatewayRule(doc.gateway.gatewayId);
    assert.ok(rule);
    assert.deepEqual(rule.allowedScopes, ['mcp.invoke']);
    assert.deepEqual(
      rule.customClaims?.map((c) => [c.inboundTokenClaimName, c.inboundTokenClaimValueType, c.authorizingClaimMatchValue?.claimMatchOperator, c.authorizingClaimMatchValue?.claimMatchValue?.matchValueString]),
      [['azp', 'STRING', 'EQUALS', app.appId], ['roles', 'STRING_ARRAY', 'CONTAINS', 'engineering']],
    );
    // The client asks for the new scope by its full name.
    const entry = (JSON.parse(await readFile(join(u.home, '.kiro', 'settings', 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { args: string[] }> }).mcpServers['gateway-tools']!;
    const meta = JSON.parse(entry.args[entry.args.indexOf('--static-oauth-client-metadata') + 1]!) as { scope: string };
    assert.ok(meta.scope.split(' ').includes(`api://${app.appId}/mcp.invoke`), meta.scope);

    const cleanup = await cli(['cleanup', '--yes', '--json', '--purge'], u.env);
    assert.equal(cleanup.code, 0, describeRun(cleanup));
    // Removed in Graph's order: the assignment, then the role and scope disabled, then removed (then the app itself).
    const accessWrites = sa.graphRequests().filter((q) => q.method !== 'GET' && (/appRoleAssignedTo/.test(q.path) || (q.method === 'PATCH' && q.path === `/v1.0/applications/${app.id}`)));
    const tail = accessWrites.slice(-3).map((q) => q.method);
    assert.deepEqual(tail, ['DELETE', 'PATCH', 'PATCH']);
    assert.equal(sa.assignments.size, 0);
    assert.equal(sa.applications.size, 0);
    assert.equal(sa.deletedItems.size, 0);
  });
});
