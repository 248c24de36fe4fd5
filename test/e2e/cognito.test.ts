/**
 * The built CLI with --provider cognito, end to end: init -> status -> cleanup, with Cognito on moto_server
 * (behind the validating stand-in, through the real SDK and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER)
 * and the gateway on (a) moto's AgentCore control plane, an existing gateway whose other settings must survive,
 * and (b) the sandbox control plane, a gateway init creates. Cleanup must leave nothing at Cognito that init made.
 * Skips with a clear message where moto_server is not installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BedrockAgentCoreControlClient,
  CreateGatewayCommand,
  GetGatewayCommand,
  ListGatewaysCommand,
} from '@aws-sdk/client-bedrock-agentcore-control';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolCommand,
  DescribeResourceServerCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  GetGroupCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { describeRun, freePort, isolatedEnv, parseSingleJson, runCli, type CliResult } from '../helpers/cli.js';
import { MOTO_MISSING, startCognitoStandin, startMoto, type CognitoStandin, type Moto } from '../helpers/cognito-standin.js';

const ROLE = 'arn:aws:iam::123456789012:role/AgentCoreGatewayRole';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

let moto: Moto | undefined;
let standin: CognitoStandin;
let cognito: CognitoIdentityProviderClient;
let motoGateways: BedrockAgentCoreControlClient;
let sb: Sandbox;
let root: string;

before(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  root = await mkdtemp(join(tmpdir(), 'acauth-cognito-e2e-'));
  moto = await startMoto();
  if (!moto) return;
  standin = await startCognitoStandin(moto.endpoint);
  cognito = new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: standin.endpoint, credentials: creds });
  motoGateways = new BedrockAgentCoreControlClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: creds });
  // moto loads each service on its first call (about a second): warm both up while the sandbox starts.
  [sb] = await Promise.all([
    startSandbox({ logger: createMemoryLogger(), readyDelayMs: 30 }),
    cognito.send(new ListUserPoolsCommand({ MaxResults: 1 })),
    motoGateways.send(new ListGatewaysCommand({})),
  ]);
});

after(async () => {
  cognito?.destroy();
  motoGateways?.destroy();
  await sb?.close();
  await standin?.close();
  await moto?.stop();
  await rm(root, { recursive: true, force: true });
});

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}\n${describeRun(r)}`);
}

function noTokens(r: CliResult): void {
  assert.doesNotMatch(r.stdout + r.stderr, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'no token-shaped string in the output');
  assert.doesNotMatch(r.output, /NodeVersionSupportWarning/, "the SDK's Node-version notice stays out of the output");
}

async function home(name: string): Promise<string> {
  const h = join(root, name);
  await mkdir(h, { recursive: true });
  return h;
}

async function kiroEntry(h: string): Promise<{ args: string[] }> {
  const doc = JSON.parse(await readFile(join(h, '.kiro', 'settings', 'mcp.json'), 'utf8')) as { mcpServers: Record<string, { args: string[] }> };
  return doc.mcpServers['gateway-tools']!;
}

/** The value after a flag in mcp-remote's args. */
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

const clientsOf = async (poolId: string) => ((await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 60 }))).UserPoolClients ?? []).map((c) => c.ClientId);
const poolsNamed = async (name: string) => ((await cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? []).filter((p) => p.Name === name).map((p) => p.Id!);
const domainExists = async (d: string) => Boolean((await cognito.send(new DescribeUserPoolDomainCommand({ Domain: d }))).DomainDescription?.Domain);

test('moto end to end: existing pool + existing gateway on moto; the authorizer is set, the other settings kept; cleanup restores and removes', async (t) => {
  if (!moto) {
    t.skip(MOTO_MISSING);
    return;
  }
  const poolId = (await cognito.send(new CreateUserPoolCommand({ PoolName: 'e2e-existing' }))).UserPool!.Id!;
  const previous = { discoveryUrl: 'https://idp.example.com/.well-known/openid-configuration', allowedAudience: ['previous-api'] };
  const created = await motoGateways.send(new CreateGatewayCommand({
    name: 'e2e-cognito-gw',
    roleArn: ROLE,
    protocolType: 'MCP', // moto answers 500 without it
    authorizerType: 'CUSTOM_JWT',
    description: 'keep this description',
    authorizerConfiguration: { customJWTAuthorizer: previous },
    protocolConfiguration: { mcp: { supportedVersions: ['2025-06-18'], searchType: 'SEMANTIC' } },
    exceptionLevel: 'DEBUG',
  }));
  const gatewayId = created.gatewayId!;
  // moto turns CREATING into READY on a later GetGateway.
  while ((await motoGateways.send(new GetGatewayCommand({ gatewayIdentifier: gatewayId }))).status !== 'READY') await new Promise((r) => setTimeout(r, 20));
  const before = await motoGateways.send(new GetGatewayCommand({ gatewayIdentifier: gatewayId }));

  const h = await home('moto');
  const env = isolatedEnv(h, { AWS_ENDPOINT_URL: standin.endpoint });
  const port = await freePort();
  standin.clearLog();
  const init = await runCli([
    'init', '--provider', 'cognito', '--cognito-user-pool-id', poolId,
    '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--gateway', gatewayId,
    '--callback-port', String(port), '--no-wait', '--yes', '--json', '--no-verify',
  ], { env });
  expectExit(init, 0);
  noTokens(init);
  const doc = parseSingleJson<{ ok: boolean; app: { clientId: string; issuer: string; provider: string }; gateway: { gatewayId: string } }>(init);
  const issuer = `https://cognito-idp.us-east-1.amazonaws.com/${poolId}`;
  assert.deepEqual(doc.app, { clientId: doc.app.clientId, issuer, provider: 'cognito' });
  assert.match(init.output, /code_challenge_methods_supported/, 'the PKCE-metadata warning is shown');
  assert.deepEqual(standin.refused, [], 'init sent nothing Cognito would refuse');

  // Cognito: the client, registered for mcp-remote's exact callback; a hosted domain was added.
  const clientId = doc.app.clientId;
  const c = (await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }))).UserPoolClient!;
  assert.deepEqual(c.CallbackURLs, [`http://localhost:${port}/oauth/callback`]);
  assert.deepEqual(c.AllowedOAuthFlows, ['code']);
  assert.equal(c.ClientSecret, undefined);
  const domain = (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!.Domain!;
  assert.match(domain, /^agentcore-auth-/);
  assert.match(init.output, new RegExp(`https://${domain}\\.auth\\.us-east-1\\.amazoncognito\\.com`), 'the new domain is reported');

  // The gateway (read back): Cognito's rule, everything else as it was.
  const g = await motoGateways.send(new GetGatewayCommand({ gatewayIdentifier: gatewayId }));
  assert.deepEqual(g.authorizerConfiguration, { customJWTAuthorizer: { discoveryUrl: `${issuer}/.well-known/openid-configuration`, allowedClients: [clientId] } });
  for (const k of ['name', 'description', 'roleArn', 'protocolType', 'protocolConfiguration', 'authorizerType', 'exceptionLevel'] as const) {
    assert.deepEqual(g[k], before[k], `${k} is preserved`);
  }

  // Kiro: mcp-remote with the static client, Cognito's scopes (no offline_access), no resource parameter.
  const entry = await kiroEntry(h);
  assert.equal(JSON.parse(argAfter(entry.args, '--static-oauth-client-info')!).client_id, clientId);
  assert.equal(JSON.parse(argAfter(entry.args, '--static-oauth-client-metadata')!).scope, 'openid profile email');
  assert.ok(entry.args.includes('--disable-resource-parameter'));

  // status: a fresh process finds the client from the journal alone.
  const status = await runCli(['status', '--json'], { env });
  expectExit(status, 0);
  const st = parseSingleJson<{ setups: Array<{ items: Array<{ kind: string; id: string; live: string }> }> }>(status);
  assert.deepEqual(st.setups[0]!.items.find((i) => i.kind === 'OIDC client'), { kind: 'OIDC client', id: clientId, recorded: issuer, live: 'present' });

  // cleanup: the client and the domain init made are gone; the pool (it existed before) and the gateway stay, with the old rule back.
  const cleanup = await runCli(['cleanup', '--yes', '--json'], { env });
  expectExit(cleanup, 0);
  noTokens(cleanup);
  assert.equal(parseSingleJson<{ ok: boolean }>(cleanup).ok, true);
  assert.deepEqual(standin.refused, []);
  assert.deepEqual(await clientsOf(poolId), []);
  assert.equal(await domainExists(domain), false);
  assert.deepEqual(await poolsNamed('e2e-existing'), [poolId]);
  const restored = await motoGateways.send(new GetGatewayCommand({ gatewayIdentifier: gatewayId }));
  assert.deepEqual(restored.authorizerConfiguration, { customJWTAuthorizer: previous });
  assert.equal(restored.description, 'keep this description');
});

test('sandbox control plane end to end: a new pool with a resource server and a new gateway; cleanup leaves nothing at Cognito', async (t) => {
  if (!moto) {
    t.skip(MOTO_MISSING);
    return;
  }
  const h = await home('sandbox');
  // Only Cognito goes to the stand-in: the service-specific variable, so AgentCore is untouched by it.
  const env = isolatedEnv(h, { AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: standin.endpoint });
  const port = await freePort();
  const poolName = 'e2e-new-pool';
  standin.clearLog();
  const init = await runCli([
    'init', '--provider', 'cognito', '--cognito-create-user-pool', poolName, '--cognito-resource-server', 'mcp-gateway',
    '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', 'e2e-cognito-new', '--role-arn', sb.roleArn,
    '--callback-port', String(port), '--access-token-ttl', '30m', '--yes', '--json', '--no-verify',
  ], { env });
  expectExit(init, 0);
  noTokens(init);
  assert.deepEqual(standin.refused, []);
  const doc = parseSingleJson<{ ok: boolean; app: { clientId: string; issuer: string }; gateway: { gatewayId: string; status: string } }>(init);
  const [poolId] = await poolsNamed(poolName);
  assert.ok(poolId, 'init created the pool');
  assert.equal(doc.app.issuer, `https://cognito-idp.us-east-1.amazonaws.com/${poolId}`);
  assert.equal(doc.gateway.status, 'READY');

  const c = (await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: doc.app.clientId }))).UserPoolClient!;
  assert.deepEqual(c.AllowedOAuthScopes, ['openid', 'profile', 'email', 'mcp-gateway/invoke']);
  assert.deepEqual([c.AccessTokenValidity, c.TokenValidityUnits?.AccessToken], [30, 'minutes'], '--access-token-ttl reaches the client');
  const domain = (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!.Domain!;
  assert.ok(domain);
  await cognito.send(new DescribeResourceServerCommand({ UserPoolId: poolId, Identifier: 'mcp-gateway' }));

  const sandboxGateways = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: creds });
  try {
    const g = await sandboxGateways.send(new GetGatewayCommand({ gatewayIdentifier: doc.gateway.gatewayId }));
    assert.deepEqual(g.authorizerConfiguration, {
      customJWTAuthorizer: { discoveryUrl: `${doc.app.issuer}/.well-known/openid-configuration`, allowedClients: [doc.app.clientId], allowedScopes: ['mcp-gateway/invoke'] },
    });
    const entry = await kiroEntry(h);
    assert.equal(JSON.parse(argAfter(entry.args, '--static-oauth-client-metadata')!).scope, 'openid profile email mcp-gateway/invoke');

    const cleanup = await runCli(['cleanup', '--yes', '--json'], { env });
    expectExit(cleanup, 0);
    assert.equal(parseSingleJson<{ ok: boolean }>(cleanup).ok, true);
    assert.deepEqual(standin.refused, [], 'the domain went before the pool');
    assert.deepEqual(await poolsNamed(poolName), [], 'the pool init created is gone');
    assert.equal(await domainExists(domain), false, 'and its domain');
    await assert.rejects(sandboxGateways.send(new GetGatewayCommand({ gatewayIdentifier: doc.gateway.gatewayId })), { name: 'ResourceNotFoundException' });
    const again = await runCli(['cleanup', '--yes', '--json'], { env });
    expectExit(again, 0);
  } finally {
    sandboxGateways.destroy();
  }
});

test('an issuer URL alone selects Cognito and its pool; init refuses before touching anything when the pool does not exist', async (t) => {
  if (!moto) {
    t.skip(MOTO_MISSING);
    return;
  }
  const h = await home('nopool');
  const env = isolatedEnv(h, { AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: standin.endpoint });
  standin.clearLog();
  const r = await runCli([
    'init', '--issuer', 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_missing1',
    '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', 'e2e-never', '--role-arn', sb.roleArn,
    '--yes', '--json', '--no-verify',
  ], { env });
  assert.notEqual(r.code, 0, describeRun(r));
  assert.match(r.stdout + r.stderr, /us-east-1_missing1 does not exist in us-east-1/);
  assert.deepEqual(standin.calls.filter((c) => c.op.startsWith('Create')), []);
  const sandboxGateways = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: creds });
  const list = await sandboxGateways.send(new ListGatewaysCommand({}));
  sandboxGateways.destroy();
  assert.ok(!(list.items ?? []).some((i) => i.name === 'e2e-never'), 'no gateway was created');
});

test('access rules at Cognito: a missing group is refused before anything is made; --cognito-create-group creates it, the gateway requires cognito:groups and the resource-server scope; cleanup deletes only the group it made', async (t) => {
  if (!moto) {
    t.skip(MOTO_MISSING);
    return;
  }
  const h = await home('access');
  const env = isolatedEnv(h, { AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: standin.endpoint });
  const pool = (await cognito.send(new CreateUserPoolCommand({ PoolName: 'e2e-access-pool' }))).UserPool!.Id!;
  // A group someone else made: used, never deleted.
  await cognito.send(new CreateGroupCommand({ UserPoolId: pool, GroupName: 'platform' }));
  const base = [
    'init', '--provider', 'cognito', '--cognito-user-pool-id', pool, '--cognito-resource-server', 'mcp-gw', '--cognito-resource-scopes', 'invoke admin',
    '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', 'e2e-cognito-access', '--role-arn', sb.roleArn,
    '--callback-port', String(await freePort()), '--allow-group', 'engineering', '--allow-group', 'platform', '--require-scope', 'invoke', '--yes', '--json', '--no-verify',
  ];
  const refused = await runCli(base, { env });
  expectExit(refused, 2);
  assert.match(refused.output, /User pool \S+ has no group "engineering": nobody could be admitted through it/);
  assert.match(refused.output, /--cognito-create-group/);
  assert.deepEqual(await clientsOf(pool), [], 'nothing was created');

  const scopeTypo = await runCli([...base, '--cognito-create-group', '--require-scope', 'invok'], { env });
  expectExit(scopeTypo, 2);
  assert.match(scopeTypo.output, /--require-scope invok is not a scope of resource server mcp-gw \(invoke, admin\)/);

  standin.clearLog();
  const init = await runCli([...base, '--cognito-create-group'], { env });
  expectExit(init, 0);
  assert.deepEqual(standin.refused, []);
  assert.match(init.output, /Make the access rules' claims reach the access token at cognito:\n\s+groups engineering, platform in the user pool, created where missing/);
  assert.match(init.output, /note: Cognito lists a user's groups in cognito:groups; a user in no group has no such claim/);
  assert.deepEqual(standin.calls.filter((c) => c.op === 'CreateGroup').map((c) => c.body.GroupName), ['engineering'], 'only the missing group is created');
  const doc = parseSingleJson<{ app: { clientId: string; issuer: string }; gateway: { gatewayId: string } }>(init);
  const sandboxGateways = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: creds });
  try {
    const g = await sandboxGateways.send(new GetGatewayCommand({ gatewayIdentifier: doc.gateway.gatewayId }));
    assert.deepEqual(g.authorizerConfiguration?.customJWTAuthorizer, {
      discoveryUrl: `${doc.app.issuer}/.well-known/openid-configuration`,
      allowedClients: [doc.app.clientId],
      allowedScopes: ['mcp-gw/invoke'],
      customClaims: [{ inboundTokenClaimName: 'cognito:groups', inboundTokenClaimValueType: 'STRING_ARRAY', authorizingClaimMatchValue: { claimMatchOperator: 'CONTAINS_ANY', claimMatchValue: { matchValueStringList: ['engineering', 'platform'] } } }],
    });
    const cleanup = await runCli(['cleanup', '--yes', '--json'], { env });
    expectExit(cleanup, 0);
    await assert.rejects(cognito.send(new GetGroupCommand({ UserPoolId: pool, GroupName: 'engineering' })), { name: 'ResourceNotFoundException' }, 'the group init made is gone');
    await cognito.send(new GetGroupCommand({ UserPoolId: pool, GroupName: 'platform' }));
    assert.deepEqual(await clientsOf(pool), []);
  } finally {
    sandboxGateways.destroy();
  }
});
