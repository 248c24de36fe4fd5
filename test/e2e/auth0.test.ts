/**
 * The Auth0 journey through the built CLI (`node dist/src/cli.js`, its own process): init --provider auth0 against
 * a stand-in Auth0 tenant (test/helpers/auth0-standin.ts: every Management API request checked against Auth0's
 * OpenAPI description) and the sandbox's AgentCore-compatible control plane and gateway (in this process), then
 * status, then cleanup. Checks what exists at the stand-in and the control plane after each step, that a token
 * shaped like Auth0's gets through the sandbox gateway only when the sign-in asked for the audience the client
 * entry asks for, and that nothing is left at the end (no client, no API, the tenant's default audience restored).
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node --test dist/test/e2e/auth0.test.js
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, GetGatewayCommand, ListGatewaysCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { mcpRemoteHashInputFromArgs } from '../../src/clients/mcp-remote.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startAuth0Standin, type Auth0Standin } from '../helpers/auth0-standin.js';
import { describeRun, freePort, isolatedEnv, parseSingleJson, runCli, type CliResult } from '../helpers/cli.js';
import { sourcesLoadedBy } from '../helpers/loaded.js';

let root: string;
let sb: Sandbox;
let sdk: BedrockAgentCoreControlClient;
const tenants: Auth0Standin[] = [];
let users = 0;
/** Everything the CLI printed, and every journal it wrote: scanned for secrets at the end of each test. */
const outputs: string[] = [];

const expectExit = (r: CliResult, code: number) => assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);

async function tenant(opts: Parameters<typeof startAuth0Standin>[0] = {}): Promise<Auth0Standin> {
  const t = await startAuth0Standin(opts);
  tenants.push(t);
  return t;
}

async function newHome(auth0: Auth0Standin, extra: NodeJS.ProcessEnv = {}): Promise<{ home: string; env: NodeJS.ProcessEnv; stateDir: string }> {
  const home = join(root, `home-${++users}`);
  await mkdir(home, { recursive: true });
  const env = isolatedEnv(home, { ...auth0.env(), ...extra });
  return { home, env, stateDir: env.AGENTCORE_AUTH_HOME! };
}

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const r = await runCli(args, { env, timeoutMs: 60_000 });
  outputs.push(`${r.stdout}\n${r.stderr}`);
  return r;
}

function initArgs(gateway: string, port: number, extra: string[] = []): string[] {
  return [
    'init', '--provider', 'auth0',
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

async function waitGatewayGone(name: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await gatewayNames()).includes(name)) {
    if (Date.now() > deadline) assert.fail(`gateway ${name} is still there`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function kiroArgs(home: string): Promise<string[]> {
  const doc = JSON.parse(await readFile(join(home, '.kiro', 'settings', 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { args?: string[] }> };
  return doc.mcpServers['gateway-tools']?.args ?? [];
}

/** An MCP initialize through the sandbox gateway with this bearer token: the gateway's HTTP status. */
async function mcpInitialize(gatewayUrl: string, token: string): Promise<number> {
  const r = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'auth0-e2e', version: '1' } } }),
  });
  await r.body?.cancel();
  return r.status;
}

async function filesUnder(dir: string): Promise<string> {
  let text = '';
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else text += `${await readFile(p, 'utf8')}\n`;
    }
  };
  await walk(dir);
  return text;
}

/** No token or secret the tenant issued appears in the CLI's output or in the state it keeps. */
async function assertNoSecretsLeaked(t: Auth0Standin, stateDir: string): Promise<void> {
  const state = await filesUnder(stateDir);
  for (const secret of t.secrets()) {
    assert.ok(!outputs.some((o) => o.includes(secret)), 'a token or secret the tenant issued was printed');
    assert.ok(!state.includes(secret), 'a token or secret the tenant issued was written to the state directory');
  }
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'auth0-e2e-'));
  sb = await startSandbox({ logger: createMemoryLogger(), readyDelayMs: 40 });
  sdk = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

after(async () => {
  sdk?.destroy();
  await sb?.close();
  for (const t of tenants) await t.close();
  if (root) await rm(root, { recursive: true, force: true });
});


/** Nothing init made is left: no client or API at the stand-in, the gateway gone, no contract refusal, no secret leaked. */
async function assertAllGone(t: Awaited<ReturnType<typeof startAuth0Standin>>, name: string, stateDir: string): Promise<void> {
  assert.deepEqual(t.createdClients(), []);
  assert.deepEqual(t.createdResourceServers(), []);
  await waitGatewayGone(name);
  assert.deepEqual(t.rejections, []);
  assert.deepEqual(t.standinErrors, []);
  await assertNoSecretsLeaked(t, stateDir);
}

describe('agentcore-auth with --provider auth0 (stand-in tenant + sandbox control plane)', () => {
  test('init --help lists the Auth0 flags without loading the auth0 SDK or the adapter', async () => {
    const { sources, stdout, code } = await sourcesLoadedBy(['init', '--help'], isolatedEnv(root));
    assert.equal(code, 0);
    assert.ok(sources.some((s) => s === 'src/cli.ts'), `the run's sources were traced (${sources.length})`);
    for (const f of ['--auth0-domain', '--auth0-set-default-audience', '--auth0-rfc9068']) assert.ok(stdout.includes(f), `${f} in init --help`);
    const heavy = sources.filter((s) => /node_modules\/auth0\/|providers\/auth0\/adapter/.test(s));
    assert.deepEqual(heavy, [], 'the --help path loaded the Auth0 SDK or adapter');
  });

  test('init makes the API and the public client, the gateway pins audience and azp, the entry asks for the audience; status; cleanup leaves nothing', async () => {
    const t = await tenant();
    const { env, stateDir, home } = await newHome(t);
    const port = await freePort();
    const name = `auth0-e2e-${process.pid}`;
    const init = await cli(initArgs(name, port), env);
    expectExit(init, 0);
    const doc = parseSingleJson<{ ok: boolean; app: { clientId: string; issuer: string; provider: string }; gateway: { gatewayId: string; gatewayUrl: string } }>(init);
    assert.equal(doc.ok, true);
    assert.equal(doc.app.provider, 'auth0');
    assert.equal(doc.app.issuer, t.issuer, 'the issuer keeps Auth0\'s trailing slash');
    const gatewayUrl = doc.gateway.gatewayUrl;

    // At Auth0: one API named after the gateway URL, one native public client with mcp-remote's redirect URI.
    const apis = t.createdResourceServers();
    assert.equal(apis.length, 1);
    assert.equal(apis[0]!.identifier, gatewayUrl);
    assert.equal(apis[0]!.signing_alg, 'RS256');
    assert.equal(apis[0]!.token_lifetime, 3600);
    assert.equal(apis[0]!.allow_offline_access, true);
    const clients = t.createdClients();
    assert.equal(clients.length, 1);
    const c = clients[0]!;
    assert.equal(c.client_id, doc.app.clientId);
    assert.equal(c.app_type, 'native');
    assert.equal(c.token_endpoint_auth_method, 'none');
    assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(c.callbacks, [`http://localhost:${port}/oauth/callback`]);
    assert.equal((c.jwt_configuration as { lifetime_in_seconds: number }).lifetime_in_seconds, 3600);
    assert.deepEqual(
      { ...(c.refresh_token as Record<string, unknown>) },
      { rotation_type: 'rotating', expiration_type: 'expiring', token_lifetime: 7_776_000, idle_token_lifetime: 7_776_000, infinite_token_lifetime: false, infinite_idle_token_lifetime: false, leeway: 0 },
    );
    assert.equal(t.tenant.default_audience, '', 'the tenant default audience is untouched without consent');

    // The gateway: Auth0's discovery URL, the API identifier as audience, azp pinned to the client.
    const g = await sdk.send(new GetGatewayCommand({ gatewayIdentifier: doc.gateway.gatewayId }));
    assert.deepEqual(g.authorizerConfiguration?.customJWTAuthorizer, {
      discoveryUrl: t.discoveryUrl,
      allowedAudience: [gatewayUrl],
      customClaims: [{ inboundTokenClaimName: 'azp', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: doc.app.clientId } } }],
    });

    // Kiro's entry: mcp-remote with this client and --authorize-param audience=<gateway URL>.
    const args = await kiroArgs(home);
    assert.ok(args.some((a) => a.includes(doc.app.clientId)));
    const audience = mcpRemoteHashInputFromArgs(args).opts.authorizeParams?.audience;
    assert.equal(audience, gatewayUrl);

    // What the gateway does with Auth0's tokens: the sign-in the entry makes passes; one without audience does not.
    const signedIn = await t.authorize({ clientId: doc.app.clientId, audience, scope: 'openid profile email offline_access' });
    assert.equal(await mcpInitialize(gatewayUrl, signedIn.accessToken), 200, 'a token for the API audience, azp = the client, gets through');
    const opaque = await t.authorize({ clientId: doc.app.clientId, scope: 'openid profile email offline_access' });
    assert.equal(opaque.opaque, true);
    assert.equal(await mcpInitialize(gatewayUrl, opaque.accessToken), 401, 'an opaque token (no audience asked) is refused');

    const status = await cli(['status', '--json'], env);
    expectExit(status, 0);
    const st = parseSingleJson<{ setups: Array<{ drift: boolean; items: Array<{ kind: string; live: string }> }> }>(status);
    assert.equal(st.setups[0]!.drift, false, describeRun(status));
    assert.ok(st.setups[0]!.items.length >= 3);
    assert.ok(st.setups[0]!.items.every((i) => i.live === 'present'), JSON.stringify(st.setups[0]!.items));

    const cleanup = await cli(['cleanup', '--yes', '--json'], env);
    expectExit(cleanup, 0);
    const cl = parseSingleJson<{ ok: boolean; actions: Array<{ what: string; status: string }> }>(cleanup);
    assert.equal(cl.ok, true, JSON.stringify(cl.actions));

    // Nothing left at Auth0, the gateway is gone, so is the journal.
    assert.deepEqual(t.createdClients(), []);
    assert.deepEqual(t.createdResourceServers(), []);
    assert.equal(t.tenant.default_audience, '');
    await waitGatewayGone(name);
    assert.equal(existsSync(join(stateDir, 'setups', 'default.json')), false, 'the journal is gone');

    // Every Management API request matched Auth0's contract, with the client-credentials token.
    assert.deepEqual(t.rejections, []);
    assert.deepEqual(t.standinErrors, []);
    assert.ok(t.requests.some((r) => r.path === '/oauth/token' && r.status === 200));
    await assertNoSecretsLeaked(t, stateDir);
  });

  test('--auth0-set-default-audience: the tenant default becomes the API, the entry needs no audience, cleanup restores the previous default', async () => {
    const previous = 'https://previous.example.com/api';
    const t = await tenant({ defaultAudience: previous });
    const { env, stateDir, home } = await newHome(t);
    const name = `auth0-e2e-default-${process.pid}`;
    const init = await cli(initArgs(name, await freePort(), ['--auth0-set-default-audience']), env);
    expectExit(init, 0);
    const doc = parseSingleJson<{ app: { clientId: string }; gateway: { gatewayUrl: string } }>(init);
    assert.equal(t.tenant.default_audience, doc.gateway.gatewayUrl);
    const args = await kiroArgs(home);
    assert.ok(!args.includes('--authorize-param'), `no audience parameter in ${JSON.stringify(args)}`);

    // A sign-in that names no audience now gets a JWT for the API, which the gateway accepts.
    const token = await t.authorize({ clientId: doc.app.clientId, scope: 'openid offline_access' });
    assert.equal(token.opaque, false);
    assert.equal(await mcpInitialize(doc.gateway.gatewayUrl, token.accessToken), 200);

    const cleanup = await cli(['cleanup', '--yes', '--json'], env);
    expectExit(cleanup, 0);
    assert.equal(t.tenant.default_audience, previous, 'the previous default audience is back');
    await assertAllGone(t, name, stateDir);
  });

  test('init --allow-group --require-scope: a Post-Login Action bound after the tenant\'s own, RBAC on the API, the gateway rules on the namespaced roles claim and the scope; members pass, others are refused; cleanup unbinds and deletes', async () => {
    const claim = 'https://agentcore-auth/roles';
    const t = await tenant();
    t.addRole('engineering');
    t.addRole('sales');
    const foreign = t.addForeignBinding('Tenant MFA policy');
    const { env, stateDir, home } = await newHome(t);
    const name = `auth0-e2e-access-${process.pid}`;
    const init = await cli(initArgs(name, await freePort(), ['--allow-group', 'engineering', '--require-scope', 'mcp:invoke']), env);
    expectExit(init, 0);
    const doc = parseSingleJson<{ app: { clientId: string }; gateway: { gatewayId: string; gatewayUrl: string } }>(init);
    const gatewayUrl = doc.gateway.gatewayUrl;

    // At Auth0: one Action, deployed, bound after the tenant's own; RBAC and the permission on the API.
    const ours = [...t.actions.values()].filter((a) => a.id !== foreign.id);
    assert.equal(ours.length, 1);
    assert.ok(ours[0]!.deployed_version);
    assert.deepEqual(t.bindings.get('post-login')!.map((b) => b.actionId), [foreign.id, ours[0]!.id]);
    const api = t.createdResourceServers()[0]!;
    assert.equal(api.enforce_policies, true);
    assert.equal(api.token_dialect, 'access_token_authz');
    assert.deepEqual((api.scopes as Array<{ value: string }>).map((x) => x.value), ['mcp:invoke']);

    // The gateway: allowedScopes and the rule on the namespaced roles claim, after the azp pin.
    const z = (await sdk.send(new GetGatewayCommand({ gatewayIdentifier: doc.gateway.gatewayId }))).authorizerConfiguration?.customJWTAuthorizer;
    assert.deepEqual(z?.allowedScopes, ['mcp:invoke']);
    assert.deepEqual(z?.customClaims?.at(-1), {
      inboundTokenClaimName: claim,
      inboundTokenClaimValueType: 'STRING_ARRAY',
      authorizingClaimMatchValue: { claimMatchOperator: 'CONTAINS', claimMatchValue: { matchValueString: 'engineering' } },
    });

    // The client entry asks for the scope; a member with the permission gets through, a non-member does not.
    const args = await kiroArgs(home);
    const audience = mcpRemoteHashInputFromArgs(args).opts.authorizeParams?.audience;
    assert.ok(args.join(' ').includes('mcp:invoke'), `the entry asks for mcp:invoke: ${JSON.stringify(args)}`);
    const scope = 'openid profile email offline_access mcp:invoke';
    const alice = await t.authorize({ clientId: doc.app.clientId, audience, scope, roles: ['engineering'], permissions: ['mcp:invoke'] });
    assert.equal(await mcpInitialize(gatewayUrl, alice.accessToken), 200, 'engineering with the permission is admitted');
    const bob = await t.authorize({ clientId: doc.app.clientId, audience, scope, roles: ['sales'], permissions: ['mcp:invoke'] });
    assert.ok([401, 403].includes(await mcpInitialize(gatewayUrl, bob.accessToken)), 'sales is refused');
    const noPermission = await t.authorize({ clientId: doc.app.clientId, audience, scope, roles: ['engineering'] });
    assert.ok([401, 403].includes(await mcpInitialize(gatewayUrl, noPermission.accessToken)), 'without the permission, no scope: refused');

    // A re-run makes no second Action or binding.
    const again = await cli(initArgs(name, await freePort(), ['--allow-group', 'engineering', '--require-scope', 'mcp:invoke']), env);
    expectExit(again, 0);
    assert.equal(t.actions.size, 2);
    assert.equal(t.bindings.get('post-login')!.length, 2);

    const cleanup = await cli(['cleanup', '--yes', '--json'], env);
    expectExit(cleanup, 0);
    const cl = parseSingleJson<{ ok: boolean; actions: Array<{ what: string; status: string }> }>(cleanup);
    assert.equal(cl.ok, true, JSON.stringify(cl.actions));
    assert.deepEqual([...t.actions.keys()], [foreign.id], 'our Action is deleted, the tenant\'s own stays');
    assert.deepEqual(t.bindings.get('post-login')!.map((b) => b.actionId), [foreign.id], 'unbound, the other binding kept');
    await assertAllGone(t, name, stateDir);
  });

  test('missing admin credentials: exit 1 naming the env vars; nothing reaches Auth0 and no gateway is created', async () => {
    const t = await tenant();
    const { env } = await newHome(t);
    delete env.AUTH0_CLIENT_ID;
    delete env.AUTH0_CLIENT_SECRET;
    const before = await gatewayNames();
    const name = `auth0-nocreds-${process.pid}`;
    const r = await cli(initArgs(name, await freePort()), env);
    expectExit(r, 1);
    for (const v of ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_TOKEN']) assert.match(r.output, new RegExp(v));
    assert.equal(t.requests.length, 0, 'nothing reached Auth0');
    assert.deepEqual(await gatewayNames(), before);
  });
});
