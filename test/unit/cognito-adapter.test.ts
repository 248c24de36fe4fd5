/**
 * The Amazon Cognito adapter: pure rules (lifetimes, scopes, options, the gateway rule against Cognito-shaped
 * tokens), then the adapter through the real @aws-sdk/client-cognito-identity-provider against moto_server
 * behind the validating stand-in (test/helpers/cognito-standin.ts), which refuses what AWS would refuse.
 * The moto tests skip with a clear message when moto_server is not installed.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CognitoIdentityProviderClient,
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DeleteUserPoolCommand,
  DescribeResourceServerCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import type { AskSpec, Prompter } from '../../src/core/prompts.js';
import { provider } from '../../providers/cognito/index.js';
import {
  PKCE_WARNING,
  TAG_APP,
  TAG_CREATED_BY,
  cognitoScopes,
  createCognitoAdapter,
  explainCognitoError,
  resolveCognitoOptions,
  tokenValidity,
  validateDomainPrefix,
} from '../../providers/cognito/adapter.js';
import type { AdapterContext, AppRecord, AppRequest, IdpAdapter, ProviderOptions } from '../../providers/types.js';
import { MOTO_MISSING, startCognitoStandin, startMoto, type CognitoStandin, type Moto } from '../helpers/cognito-standin.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const DAY = 86_400;
const LIFETIMES = { accessTokenSeconds: 3600, refreshTokenSeconds: 90 * DAY, idTokenSeconds: 3600 };
const REDIRECT = 'http://localhost:3334/oauth/callback';
const GENERIC_DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

function request(over: Partial<AppRequest> = {}): AppRequest {
  return { name: 'agentcore-auth default', redirectUris: [REDIRECT], scopes: GENERIC_DEFAULT_SCOPES, lifetimes: LIFETIMES, ...over };
}

function usage(re: RegExp) {
  return (err: unknown) => err instanceof UsageError && re.test(err.message + ' ' + (err.fix ?? ''));
}

/** An unsigned JWT-shaped token body, for the rule checks (the claims are what matter there). */
function cognitoAccessClaims(clientId: string, issuer: string, scope = 'openid profile email'): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'a1b2', iss: issuer, client_id: clientId, origin_jti: 'x', event_id: 'y', token_use: 'access', scope, auth_time: now, exp: now + 3600, iat: now, jti: 'z', username: 'alice' };
}

// -------------------------------------------------------------------------------------------------------
describe('provider module (no SDK on the --help path)', () => {
  test('index.js has no static import at all, and loads the adapter only inside createAdapter', async () => {
    const src = await readFile(join(DIST, 'providers/cognito/index.js'), 'utf8');
    assert.doesNotMatch(src, /^\s*import\s/m, 'a static import in providers/cognito/index.js would load on every command');
    assert.match(src, /await import\('\.\/adapter\.js'\)/);
    const adapter = await readFile(join(DIST, 'providers/cognito/adapter.js'), 'utf8');
    assert.doesNotMatch(adapter, /^import .*@aws-sdk/m, 'the SDK must load lazily in the adapter');
  });

  test('every flag is prefixed with the provider id and none carries a secret', () => {
    assert.equal(provider.id, 'cognito');
    for (const [name, spec] of Object.entries(provider.flags)) {
      assert.match(name, /^cognito-/);
      assert.doesNotMatch(name, /secret|token|password|key/i);
      assert.ok(spec.description.length > 10);
    }
    assert.deepEqual(provider.credentialEnv.slice(0, 2), ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
  });
});

describe('lifetimes', () => {
  test('the defaults become 1 hour / 1 hour / 90 days in Cognito units', () => {
    assert.deepEqual(tokenValidity(LIFETIMES), {
      AccessTokenValidity: 1,
      IdTokenValidity: 1,
      RefreshTokenValidity: 90,
      TokenValidityUnits: { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' },
    });
  });

  test('the range edges pass, in the largest exact unit', () => {
    const v = tokenValidity({ accessTokenSeconds: 300, idTokenSeconds: DAY, refreshTokenSeconds: 3600 });
    assert.deepEqual([v.AccessTokenValidity, v.TokenValidityUnits.AccessToken], [5, 'minutes']);
    assert.deepEqual([v.IdTokenValidity, v.TokenValidityUnits.IdToken], [1, 'days']);
    assert.deepEqual([v.RefreshTokenValidity, v.TokenValidityUnits.RefreshToken], [1, 'hours']);
    const odd = tokenValidity({ accessTokenSeconds: 301, idTokenSeconds: 3600, refreshTokenSeconds: 3650 * DAY });
    assert.deepEqual([odd.AccessTokenValidity, odd.TokenValidityUnits.AccessToken], [301, 'seconds']);
    assert.deepEqual([odd.RefreshTokenValidity, odd.TokenValidityUnits.RefreshToken], [3650, 'days']);
  });

  test('outside Cognito\'s ranges: a UsageError naming the flag', () => {
    assert.throws(() => tokenValidity({ ...LIFETIMES, accessTokenSeconds: 299 }), usage(/--access-token-ttl.*4 minutes 59|--access-token-ttl/));
    assert.throws(() => tokenValidity({ ...LIFETIMES, accessTokenSeconds: 2 * DAY }), usage(/--access-token-ttl/));
    assert.throws(() => tokenValidity({ ...LIFETIMES, idTokenSeconds: DAY + 1 }), usage(/--id-token-ttl/));
    assert.throws(() => tokenValidity({ ...LIFETIMES, refreshTokenSeconds: 3599 }), usage(/--refresh-token-ttl/));
    assert.throws(() => tokenValidity({ ...LIFETIMES, refreshTokenSeconds: 3650 * DAY + 1 }), usage(/--refresh-token-ttl/));
  });
});

describe('scopes', () => {
  test('the generic default becomes openid profile email: Cognito has no offline_access scope', () => {
    assert.deepEqual(cognitoScopes(GENERIC_DEFAULT_SCOPES), { scopes: ['openid', 'profile', 'email'], dropped: ['offline_access'] });
  });

  test('email/profile/phone get openid (Cognito returns their claims only with it); resource-server scopes are appended', () => {
    assert.deepEqual(cognitoScopes(['email']).scopes, ['openid', 'email']);
    assert.deepEqual(cognitoScopes(['openid'], ['mcp/invoke']).scopes, ['openid', 'mcp/invoke']);
    assert.deepEqual(cognitoScopes(['mcp/read']).scopes, ['mcp/read']);
    assert.deepEqual(cognitoScopes(['offline_access']).scopes, ['openid']);
  });

  test('a scope Cognito does not know is a UsageError naming --scopes', () => {
    assert.throws(() => cognitoScopes(['openid', 'groups']), usage(/--scopes.*"groups"/));
  });
});

describe('options', () => {
  const env = {};
  test('the pool id names the region; --issuer names pool and region', () => {
    assert.equal(resolveCognitoOptions({ 'cognito-user-pool-id': 'eu-west-1_AbC123' }, { AWS_REGION: 'us-east-1' }).region, 'eu-west-1');
    const o = resolveCognitoOptions({ issuer: 'https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_Zz9' }, env);
    assert.deepEqual([o.region, o.poolId], ['ap-south-1', 'ap-south-1_Zz9']);
    assert.equal(resolveCognitoOptions({ 'cognito-create-user-pool': 'x' }, { AWS_DEFAULT_REGION: 'eu-central-1' }).region, 'eu-central-1');
    assert.equal(resolveCognitoOptions({ 'cognito-create-user-pool': 'x' }, {}).region, 'us-east-1');
    assert.equal(resolveCognitoOptions({ 'cognito-create-user-pool': 'x', 'cognito-region': 'eu-north-1' }, { AWS_REGION: 'us-east-1' }).region, 'eu-north-1');
  });

  test('contradictions and bad values are UsageErrors naming the flag', () => {
    const bad: Array<[ProviderOptions, RegExp]> = [
      [{ 'cognito-user-pool-id': 'eu-west-1_A', 'cognito-region': 'us-east-1' }, /--cognito-region us-east-1 does not match/],
      [{ 'cognito-user-pool-id': 'us-east-1_A', 'cognito-create-user-pool': 'p' }, /cannot be used together/],
      [{ 'cognito-user-pool-id': 'not a pool' }, /--cognito-user-pool-id/],
      [{ 'cognito-create-user-pool': 'a/b' }, /--cognito-create-user-pool/],
      [{ 'cognito-user-pool-id': 'us-east-1_A', audience: 'api://x' }, /--audience.*no aud/],
      [{ issuer: 'https://login.example.com/' }, /not a Cognito user pool issuer/],
      [{ 'cognito-user-pool-id': 'us-east-1_A', 'cognito-domain-prefix': 'my-aws-login' }, /reserves/],
      [{ 'cognito-user-pool-id': 'us-east-1_A', 'cognito-domain-prefix': 'Upper' }, /--cognito-domain-prefix/],
      [{ 'cognito-user-pool-id': 'us-east-1_A', 'cognito-resource-scopes': 'a' }, /needs --cognito-resource-server/],
      [{ 'cognito-user-pool-id': 'us-east-1_A', 'cognito-resource-server': 'mcp', 'cognito-resource-scopes': 'a/b' }, /not a valid scope name/],
    ];
    for (const [o, re] of bad) assert.throws(() => resolveCognitoOptions(o, env), usage(re), JSON.stringify(o));
    assert.equal(validateDomainPrefix('team-mcp-login'), 'team-mcp-login');
  });
});

describe('gateway rule against Cognito-shaped tokens', () => {
  const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1';
  const app: AppRecord = { provider: 'cognito', clientId: '4tq1mbf3cl2bkaq7s0m0jrbq5a', issuer, discoveryUrl: `${issuer}/.well-known/openid-configuration`, extras: { region: 'us-east-1', userPoolId: 'us-east-1_Pool1' } };

  test('allowedClients [clientId], no audience, on the pool\'s discovery URL; the token profile says client_id/scope/no aud', async () => {
    const a = await createCognitoAdapter({ 'cognito-user-pool-id': 'us-east-1_Pool1' }, { logger: createMemoryLogger(), env: {} });
    const rule = a.recommendedAuthorizer(app, {});
    assert.deepEqual(rule, { discoveryUrl: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1/.well-known/openid-configuration', allowedClients: [app.clientId] });
    assert.deepEqual(a.tokenProfile(), { provider: 'cognito', issuer, discoveryUrl: app.discoveryUrl, audienceClaim: null, clientClaim: 'client_id', scopeClaim: 'scope' });
    assert.deepEqual(evaluateAuthorizer(rule, cognitoAccessClaims(app.clientId, issuer)), { allow: true });
    // Another app client of the same pool is refused.
    assert.equal(evaluateAuthorizer(rule, cognitoAccessClaims('someotherclient', issuer)).allow, false);
    // The ID token (aud = client id, no client_id claim) is refused: the gateway wants access tokens.
    const { client_id: _c, scope: _s, ...rest } = cognitoAccessClaims(app.clientId, issuer);
    const idToken = { ...rest, aud: app.clientId, token_use: 'id', email: 'alice@example.com' };
    const d = evaluateAuthorizer(rule, idToken);
    assert.equal(d.allow, false);
    assert.equal(!d.allow && d.rule, 'allowedClients');
  });

  test('with a resource server the gateway also requires one of its scopes; mcp-remote asks for them and sends no resource', async () => {
    const a = await createCognitoAdapter({ 'cognito-user-pool-id': 'us-east-1_Pool1', 'cognito-resource-server': 'mcp-gw', 'cognito-resource-scopes': 'invoke admin' }, { logger: createMemoryLogger(), env: {} });
    const withRs = { ...app, extras: { ...app.extras, resourceServer: 'mcp-gw', resourceServerScopes: 'mcp-gw/invoke mcp-gw/admin' } };
    const rule = a.recommendedAuthorizer(withRs, {});
    assert.deepEqual(rule.allowedScopes, ['mcp-gw/invoke', 'mcp-gw/admin']);
    assert.equal(rule.allowedAudience, undefined);
    assert.equal(evaluateAuthorizer(rule, cognitoAccessClaims(app.clientId, issuer, 'openid mcp-gw/invoke')).allow, true);
    const noScope = evaluateAuthorizer(rule, cognitoAccessClaims(app.clientId, issuer, 'openid email'));
    assert.equal(!noScope.allow && noScope.rule, 'allowedScopes');
    const req = a.clientRequirements(withRs, { scopes: GENERIC_DEFAULT_SCOPES });
    assert.deepEqual(req.scopes, ['openid', 'profile', 'email', 'mcp-gw/invoke', 'mcp-gw/admin']);
    assert.deepEqual(req.mcpRemoteArgs, ['--disable-resource-parameter']);
    // An app made without a resource server keeps its own rule, whatever the options say now (its client cannot ask for those scopes).
    assert.equal(a.recommendedAuthorizer(app, {}).allowedScopes, undefined);
    assert.deepEqual(a.clientRequirements(app, { scopes: GENERIC_DEFAULT_SCOPES }).scopes, ['openid', 'profile', 'email']);
  });
});

describe('errors', () => {
  const awsErr = (name: string, message: string, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
  test('403-like denials name the missing permission; throttling says how long to wait; credentials name the env vars', () => {
    const denied = explainCognitoError(awsErr('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: cognito-idp:CreateUserPoolClient'), 'Creating app client', 'cognito-idp:CreateUserPoolClient');
    assert.equal(denied.code, 'access_denied');
    assert.match(denied.fix!, /cognito-idp:CreateUserPoolClient/);
    const throttled = explainCognitoError(awsErr('TooManyRequestsException', 'Rate exceeded', 429), 'Listing pools', 'cognito-idp:ListUserPools');
    assert.equal(throttled.code, 'rate_limited');
    assert.match(throttled.message, /rate limited/);
    assert.match(throttled.fix!, /Wait 30 s and run again/);
    const creds = explainCognitoError(awsErr('CredentialsProviderError', 'Could not load credentials from any providers'), 'Reading pool', 'cognito-idp:DescribeUserPool');
    assert.equal(creds.code, 'credentials');
    assert.match(creds.fix!, /AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY.*AWS_PROFILE/);
  });
});

// -------------------------------------------------------------------------------------------------------
// Against moto_server, through the validating stand-in

let moto: Moto | undefined;
let standin: CognitoStandin | undefined;
let admin: CognitoIdentityProviderClient;
let tmp: string;
/** A pool with a domain that several tests use as it is (each cleans up its own clients). */
let sharedPool: string;
const env = (): NodeJS.ProcessEnv => ({ AWS_ENDPOINT_URL: standin!.endpoint });

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'acauth-cognito-'));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  moto = await startMoto();
  if (!moto) return;
  standin = await startCognitoStandin(moto.endpoint);
  admin = new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: standin.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  sharedPool = await newPool('shared-pool', { prefix: 'shared-pool-login' });
});

after(async () => {
  admin?.destroy();
  await standin?.close();
  await moto?.stop();
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(() => standin?.clearLog());

function ctxWith(logger = createMemoryLogger(), extraEnv: NodeJS.ProcessEnv = {}): AdapterContext & { logger: ReturnType<typeof createMemoryLogger> } {
  return { logger, env: { ...env(), ...extraEnv }, timeoutMs: 10_000 };
}

async function adapterFor(options: ProviderOptions, prompter?: Prompter): Promise<IdpAdapter> {
  return createCognitoAdapter(options, { logger: createMemoryLogger(), env: env(), ...(prompter ? { prompter } : {}) });
}

async function newPool(name: string, withDomain?: { prefix: string; version?: number }): Promise<string> {
  const id = (await admin.send(new CreateUserPoolCommand({ PoolName: name }))).UserPool!.Id!;
  if (withDomain) await admin.send(new CreateUserPoolDomainCommand({ UserPoolId: id, Domain: withDomain.prefix, ManagedLoginVersion: withDomain.version ?? 1 }));
  return id;
}

async function poolsNamed(name: string): Promise<string[]> {
  return ((await admin.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? []).filter((p) => p.Name === name).map((p) => p.Id!);
}

async function clientIds(poolId: string): Promise<string[]> {
  return ((await admin.send(new ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 60 }))).UserPoolClients ?? []).map((c) => c.ClientId!);
}

async function domainExists(prefix: string): Promise<boolean> {
  const d = (await admin.send(new DescribeUserPoolDomainCommand({ Domain: prefix }))).DomainDescription;
  return Boolean(d?.Domain);
}

function skipWithoutMoto(t: { skip(msg: string): void }): boolean {
  if (moto) return false;
  t.skip(MOTO_MISSING);
  return true;
}

describe('against moto_server (real SDK, validated requests)', () => {
  test('the stand-in itself refuses what AWS refuses (so a passing adapter test means something)', async (t) => {
    if (skipWithoutMoto(t)) return;
    const poolId = await newPool('standin-check');
    standin!.clearLog();
    const refused = async (p: Promise<unknown>, name: string, re: RegExp) => assert.rejects(p, (e: Error) => e.name === name && re.test(e.message));
    await refused(admin.send(new ListUserPoolsCommand({} as never)), 'InvalidParameterException', /maxResults.*must not be null/);
    const base = { UserPoolId: poolId, ClientName: 'c', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code' as const], AllowedOAuthScopes: ['openid'] };
    await refused(admin.send(new CreateUserPoolClientCommand({ ...base, CallbackURLs: ['http://127.0.0.1:3334/oauth/callback'] })), 'InvalidParameterException', /HTTP/);
    await refused(admin.send(new CreateUserPoolClientCommand({ ...base, CallbackURLs: [REDIRECT], AccessTokenValidity: 2, TokenValidityUnits: { AccessToken: 'minutes' } })), 'InvalidParameterException', /Access token validity/);
    await refused(admin.send(new CreateUserPoolClientCommand({ ...base, CallbackURLs: [REDIRECT], AllowedOAuthScopes: ['openid', 'offline_access'] })), 'ScopeDoesNotExistException', /offline_access/);
    await refused(admin.send(new CreateUserPoolClientCommand({ ...base, ClientName: 'a:b', CallbackURLs: [REDIRECT] })), 'InvalidParameterException', /clientName/);
    await refused(admin.send(new CreateUserPoolClientCommand({ ...base })), 'InvalidParameterException', /CallbackURLs/);
    await refused(admin.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: 'my-cognito-login' })), 'InvalidParameterException', /reserved/);
    await admin.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: 'standin-check-login' }));
    await refused(admin.send(new DeleteUserPoolCommand({ UserPoolId: poolId })), 'InvalidParameterException', /domain configured/);
    assert.equal(standin!.refused.length, 8);
    assert.ok(standin!.calls.filter((c) => c.status === 200).every((c) => c.op === 'CreateUserPoolDomain'), 'refused requests never reach moto');
  });

  test('existing pool without a domain: a public code-flow client + a new hosted domain; cleanup removes both, keeps the pool', async (t) => {
    if (skipWithoutMoto(t)) return;
    const poolId = await newPool('existing-no-domain');
    const a = await adapterFor({ 'cognito-user-pool-id': poolId });
    const ctx = ctxWith();
    assert.equal(a.tokenProfile().issuer, `https://cognito-idp.us-east-1.amazonaws.com/${poolId}`);
    await a.preflight(ctx);
    assert.ok(ctx.logger.lines.some((l) => l.includes(PKCE_WARNING)), 'preflight warns about code_challenge_methods_supported');
    assert.ok(ctx.logger.lines.some((l) => /none yet, init creates a domain/.test(l)));

    const app = await a.createApp(ctx, request());
    assert.deepEqual(standin!.refused, [], 'no request the real service would refuse');
    assert.equal(app.issuer, `https://cognito-idp.us-east-1.amazonaws.com/${poolId}`);
    assert.equal(app.discoveryUrl, `${app.issuer}/.well-known/openid-configuration`);
    assert.equal(app.secrets, undefined, 'a public client has no secret to keep');
    assert.equal(app.extras.userPoolId, poolId);
    assert.equal(app.extras.createdDomain, 'true');
    assert.equal(app.extras.createdUserPool, undefined);
    assert.match(app.extras.domain!, /^agentcore-auth-[0-9a-f]{10}$/);
    assert.equal(app.extras.hostedUiUrl, `https://${app.extras.domain}.auth.us-east-1.amazoncognito.com`);
    assert.ok(ctx.logger.lines.some((l) => l.includes(app.extras.hostedUiUrl!)), 'the new domain is reported');

    const c = (await admin.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: app.clientId }))).UserPoolClient!;
    assert.equal(c.ClientSecret, undefined);
    assert.equal(c.AllowedOAuthFlowsUserPoolClient, true);
    assert.deepEqual(c.AllowedOAuthFlows, ['code']);
    assert.deepEqual(c.AllowedOAuthScopes, ['openid', 'profile', 'email']);
    assert.deepEqual(c.CallbackURLs, [REDIRECT]);
    assert.deepEqual(c.SupportedIdentityProviders, ['COGNITO']);
    assert.deepEqual(c.ExplicitAuthFlows, ['ALLOW_REFRESH_TOKEN_AUTH']);
    assert.equal(c.EnableTokenRevocation, true);
    assert.deepEqual([c.AccessTokenValidity, c.IdTokenValidity, c.RefreshTokenValidity], [1, 1, 90]);
    assert.deepEqual(c.TokenValidityUnits, { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' });
    assert.equal((await admin.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!.Domain, app.extras.domain);

    assert.deepEqual(await a.describeApp(ctx, app), { clientId: app.clientId, redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token'] });

    // A fresh adapter from nothing but the journal's options (none here) and the record does the cleanup.
    const later = await adapterFor({});
    assert.equal(await later.deleteApp(ctx, app), 'deleted');
    assert.deepEqual(standin!.refused, []);
    assert.deepEqual(await clientIds(poolId), []);
    assert.equal(await domainExists(app.extras.domain!), false, 'the domain init created is gone');
    assert.deepEqual(await poolsNamed('existing-no-domain'), [poolId], 'the pool that existed before is kept');
    assert.equal(await later.describeApp(ctx, app), null);
    assert.equal(await later.deleteApp(ctx, app), 'gone', 'running cleanup twice is fine');
  });

  test('updateRedirectUris (a re-run with another callback port): UpdateUserPoolClient gets every setting back, only the callback URL changes; a 403 names the IAM action; a gone client is not_found', async (t) => {
    if (skipWithoutMoto(t)) return;
    const poolId = await newPool('update-redirect', { prefix: 'update-redirect-login' });
    const a = await adapterFor({ 'cognito-user-pool-id': poolId });
    const ctx = ctxWith();
    await a.preflight(ctx);
    const app = await a.createApp(ctx, request({ lifetimes: { accessTokenSeconds: 7200, idTokenSeconds: 1800, refreshTokenSeconds: 30 * 86400 } }));
    // Settings init does not make, as an admin would add them in the console afterwards (moto merges this update).
    const consoleEdit = new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: moto!.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await consoleEdit.send(new UpdateUserPoolClientCommand({ UserPoolId: poolId, ClientId: app.clientId, LogoutURLs: ['https://app.example.com/signed-out'], ReadAttributes: ['email', 'name'], DefaultRedirectURI: REDIRECT, PreventUserExistenceErrors: 'ENABLED' }));
    consoleEdit.destroy();
    const before = (await admin.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: app.clientId }))).UserPoolClient!;
    assert.deepEqual(before.LogoutURLs, ['https://app.example.com/signed-out']);
    const uri = 'http://localhost:4999/oauth/callback';
    assert.equal((await a.updateRedirectUris!(ctx, app, [uri])).clientId, app.clientId);
    assert.deepEqual(standin!.refused, [], 'no request the real service would refuse');
    const after = (await admin.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: app.clientId }))).UserPoolClient!;
    assert.deepEqual(after.CallbackURLs, [uri]);
    assert.equal(after.DefaultRedirectURI, uri, 'the default redirect URI follows the callback URL it named');
    const strip = (c: Record<string, unknown>) => ({ ...c, CallbackURLs: undefined, DefaultRedirectURI: undefined, LastModifiedDate: undefined });
    assert.deepEqual(strip(after as Record<string, unknown>), strip(before as Record<string, unknown>), 'lifetimes, flows, scopes, revocation, logout URLs, attributes: all kept (a full replace would reset them)');
    assert.deepEqual(await clientIds(poolId), [app.clientId], 'no second client');

    standin!.failNext('UpdateUserPoolClient', 'AccessDeniedException', `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cognito-idp:UpdateUserPoolClient on resource: ${poolId}`);
    await assert.rejects(a.updateRedirectUris!(ctx, app, [REDIRECT]), (e: unknown) => e instanceof CliError && e.code === 'access_denied' && /cognito-idp:UpdateUserPoolClient/.test(e.fix ?? ''));
    assert.deepEqual((await admin.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: app.clientId }))).UserPoolClient!.CallbackURLs, [uri], 'a refused update changes nothing');

    assert.equal(await a.deleteApp(ctx, app), 'deleted');
    await assert.rejects(a.updateRedirectUris!(ctx, app, [uri]), (e: unknown) => e instanceof CliError && e.code === 'not_found');
  });

  test('existing pool with a managed-login (v2) domain: the domain is kept, the client gets a branding style, cleanup removes it', async (t) => {
    if (skipWithoutMoto(t)) return;
    const poolId = await newPool('existing-v2', { prefix: 'team-login-v2', version: 2 });
    const a = await adapterFor({ 'cognito-user-pool-id': poolId });
    const ctx = ctxWith();
    await a.preflight(ctx);
    assert.ok(ctx.logger.lines.some((l) => l.includes('https://team-login-v2.auth.us-east-1.amazoncognito.com')));
    const app = await a.createApp(ctx, request({ lifetimes: { accessTokenSeconds: 900, idTokenSeconds: 1800, refreshTokenSeconds: 30 * DAY } }));
    assert.deepEqual(standin!.refused, []);
    assert.equal(app.extras.domain, 'team-login-v2');
    assert.equal(app.extras.createdDomain, undefined);
    assert.ok(app.extras.managedLoginBrandingId);
    assert.deepEqual([...standin!.brandings.values()], [{ poolId, clientId: app.clientId }]);
    const c = (await admin.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: app.clientId }))).UserPoolClient!;
    assert.deepEqual([c.AccessTokenValidity, c.IdTokenValidity, c.RefreshTokenValidity], [15, 30, 30]);
    assert.deepEqual(c.TokenValidityUnits, { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' });

    assert.equal(await a.deleteApp(ctx, app), 'deleted');
    assert.equal(standin!.brandings.size, 0);
    assert.deepEqual(await clientIds(poolId), []);
    assert.equal(await domainExists('team-login-v2'), true, 'a domain init did not create stays');
  });

  test('--cognito-create-user-pool: pool (tagged, admin-only sign-up) + domain + client; cleanup deletes the domain before the pool', async (t) => {
    if (skipWithoutMoto(t)) return;
    const a = await adapterFor({ 'cognito-create-user-pool': 'acauth-new-pool', 'cognito-domain-prefix': 'acauth-unit-new' });
    const ctx = ctxWith();
    assert.match(a.tokenProfile().issuer, /<new user pool "acauth-new-pool">$/);
    await a.preflight(ctx);
    assert.ok(ctx.logger.lines.some((l) => /will be created/.test(l)));
    const app = await a.createApp(ctx, request());
    assert.deepEqual(standin!.refused, []);
    const [poolId] = await poolsNamed('acauth-new-pool');
    assert.ok(poolId);
    assert.equal(app.extras.userPoolId, poolId);
    assert.equal(a.tokenProfile().issuer, app.issuer);
    assert.deepEqual([app.extras.createdUserPool, app.extras.createdDomain, app.extras.domain], ['true', 'true', 'acauth-unit-new']);
    const pool = (await admin.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!;
    assert.equal(pool.UserPoolTags?.[TAG_CREATED_BY], 'agentcore-auth');
    assert.equal(pool.UserPoolTags?.[TAG_APP], 'agentcore-auth default');
    assert.equal(pool.AdminCreateUserConfig?.AllowAdminCreateUserOnly, true);
    assert.ok(ctx.logger.lines.some((l) => /admin-create-user/.test(l)), 'the user is told how to add a user');

    assert.equal(await a.deleteApp(ctx, app), 'deleted');
    assert.deepEqual(standin!.refused, [], 'the domain went first: Cognito refuses to delete a pool that still has one');
    const ops = standin!.calls.map((c) => c.op);
    assert.ok(ops.lastIndexOf('DeleteUserPoolDomain') < ops.lastIndexOf('DeleteUserPool'));
    assert.deepEqual(await poolsNamed('acauth-new-pool'), []);
    assert.equal(await domainExists('acauth-unit-new'), false);
  });

  test('a failure halfway undoes what that createApp made, and the error names the missing permission', async (t) => {
    if (skipWithoutMoto(t)) return;
    const a = await adapterFor({ 'cognito-create-user-pool': 'acauth-rollback' });
    const ctx = ctxWith();
    await a.preflight(ctx);
    standin!.failNext('CreateUserPoolClient', 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cognito-idp:CreateUserPoolClient');
    await assert.rejects(a.createApp(ctx, request()), (err: unknown) => err instanceof CliError && err.code === 'access_denied' && /cognito-idp:CreateUserPoolClient/.test(err.fix ?? ''));
    assert.deepEqual(await poolsNamed('acauth-rollback'), [], 'the pool it created is gone again');
    const domainCalls = standin!.calls.filter((c) => c.op === 'CreateUserPoolDomain');
    assert.equal(domainCalls.length, 1);
    assert.equal(await domainExists(String(domainCalls[0]!.body.Domain)), false, 'and its domain');
  });

  test('a pool named like --cognito-create-user-pool: ours (tagged by an earlier run) is reused, anyone else\'s is refused', async (t) => {
    if (skipWithoutMoto(t)) return;
    const first = await adapterFor({ 'cognito-create-user-pool': 'acauth-resume' });
    const ctx = ctxWith();
    await first.preflight(ctx);
    const app = await first.createApp(ctx, request());
    // The next run (resume) finds it and names the same issuer, so init's reconcile reuses the app.
    const second = await adapterFor({ 'cognito-create-user-pool': 'acauth-resume' });
    await second.preflight(ctx);
    assert.equal(second.tokenProfile().issuer, app.issuer);
    assert.deepEqual(await poolsNamed('acauth-resume'), [app.extras.userPoolId]);
    // If the app itself was lost, a new client in that pool still owns the pool (same app name).
    const again = await second.createApp(ctx, request());
    assert.equal(again.extras.createdUserPool, 'true');
    assert.equal(again.extras.userPoolId, app.extras.userPoolId);
    await first.deleteApp(ctx, app);
    assert.equal(await second.deleteApp(ctx, again), 'deleted');
    assert.deepEqual(await poolsNamed('acauth-resume'), []);

    await newPool('acauth-taken');
    const other = await adapterFor({ 'cognito-create-user-pool': 'acauth-taken' });
    await assert.rejects(other.preflight(ctx), usage(/already exists.*--cognito-user-pool-id/));
  });

  test('resource server: created with its scopes when missing, required by the rule, deleted only when init created it', async (t) => {
    if (skipWithoutMoto(t)) return;
    const poolId = await newPool('rs-pool', { prefix: 'rs-pool-login' });
    const a = await adapterFor({ 'cognito-user-pool-id': poolId, 'cognito-resource-server': 'https://gw.example.com', 'cognito-resource-scopes': 'invoke,read' });
    const ctx = ctxWith();
    await a.preflight(ctx);
    assert.ok(ctx.logger.lines.some((l) => /does not exist yet/.test(l)));
    const app = await a.createApp(ctx, request());
    assert.deepEqual(standin!.refused, [], 'the custom scopes exist before the client names them');
    assert.equal(app.extras.createdResourceServer, 'true');
    const c = (await admin.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: app.clientId }))).UserPoolClient!;
    assert.deepEqual(c.AllowedOAuthScopes, ['openid', 'profile', 'email', 'https://gw.example.com/invoke', 'https://gw.example.com/read']);
    assert.deepEqual(a.recommendedAuthorizer(app, {}).allowedScopes, ['https://gw.example.com/invoke', 'https://gw.example.com/read']);
    await a.deleteApp(ctx, app);
    await assert.rejects(admin.send(new DescribeResourceServerCommand({ UserPoolId: poolId, Identifier: 'https://gw.example.com' })), { name: 'ResourceNotFoundException' });

    // An existing resource server is used as it is, checked for the scopes, and kept.
    await admin.send(new CreateResourceServerCommand({ UserPoolId: poolId, Identifier: 'shared-api', Name: 'shared', Scopes: [{ ScopeName: 'invoke', ScopeDescription: 'x' }] }));
    const missing = await adapterFor({ 'cognito-user-pool-id': poolId, 'cognito-resource-server': 'shared-api', 'cognito-resource-scopes': 'write' });
    await assert.rejects(missing.preflight(ctx), usage(/has no scope write.*it has: invoke/));
    const shared = await adapterFor({ 'cognito-user-pool-id': poolId, 'cognito-resource-server': 'shared-api' });
    await shared.preflight(ctx);
    const app2 = await shared.createApp(ctx, request({ scopes: ['openid'] }));
    assert.equal(app2.extras.createdResourceServer, undefined);
    await shared.deleteApp(ctx, app2);
    await admin.send(new DescribeResourceServerCommand({ UserPoolId: poolId, Identifier: 'shared-api' }));
  });

  test('revoke: the refresh token through RevokeToken (public client, no secret); access tokens are reported as not revocable', async (t) => {
    if (skipWithoutMoto(t)) return;
    const a = await adapterFor({ 'cognito-user-pool-id': sharedPool });
    const ctx = ctxWith();
    const app = await a.createApp(ctx, request());
    const r = await a.revoke(ctx, app, { refreshToken: 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.a.b.c.d', accessToken: 'eyJhbGciOiJub25lIn0.eyJ0b2tlbl91c2UiOiJhY2Nlc3MifQ.' });
    assert.deepEqual(r.revoked, ['refresh_token']);
    assert.deepEqual(r.notRevoked.map((n) => n.what), ['access_token']);
    assert.match(r.notRevoked[0]!.why, /refresh tokens only/);
    assert.deepEqual(standin!.revoked.map((x) => x.clientId), [app.clientId]);
    const call = standin!.calls.find((c) => c.op === 'RevokeToken')!;
    assert.deepEqual(Object.keys(call.body).sort(), ['ClientId', 'Token']);
    assert.ok(!ctx.logger.lines.join('\n').includes('eyJjdHkiOiJKV1Qi'), 'the token is never logged');
    // Against a deleted client Cognito refuses: reported, not thrown.
    await a.deleteApp(ctx, app);
    const gone = await a.revoke(ctx, app, { refreshToken: 'x.y.z.w.v' });
    assert.deepEqual(gone.revoked, []);
    assert.equal(gone.notRevoked[0]!.what, 'refresh_token');
  });

  test('preflight refuses before anything is made: unknown pool, no pool at all, denied, throttled', async (t) => {
    if (skipWithoutMoto(t)) return;
    const ctx = ctxWith();
    const missing = await adapterFor({ 'cognito-user-pool-id': 'us-east-1_doesnotexist' });
    await assert.rejects(missing.preflight(ctx), (e: unknown) => e instanceof CliError && e.code === 'not_found' && /us-east-1_doesnotexist does not exist in us-east-1/.test(e.message));
    await assert.rejects((await adapterFor({})).preflight(ctx), usage(/--cognito-user-pool-id ID.*--cognito-create-user-pool NAME/));

    const a = await adapterFor({ 'cognito-user-pool-id': sharedPool });
    standin!.failNext('DescribeUserPool', 'AccessDeniedException', `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cognito-idp:DescribeUserPool on resource: ${sharedPool}`);
    await assert.rejects(a.preflight(ctx), (e: unknown) => e instanceof CliError && e.code === 'access_denied' && /cognito-idp:DescribeUserPool/.test(e.fix ?? ''));
    // Throttling: the SDK retries it (AWS_MAX_ATTEMPTS, default 3); when retries run out, say how long to wait.
    process.env.AWS_MAX_ATTEMPTS = '1';
    try {
      const once = await adapterFor({ 'cognito-user-pool-id': sharedPool });
      standin!.failNext('DescribeUserPool', 'TooManyRequestsException', 'Rate exceeded', 400, { 'retry-after': '12' });
      await assert.rejects(once.preflight(ctx), (e: unknown) => e instanceof CliError && e.code === 'rate_limited' && /Wait 12 s and run again/.test(e.fix ?? ''));
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
    assert.deepEqual(standin!.calls.filter((c) => c.op.startsWith('Create')), [], 'nothing was created');
  });

  test('lifetimes and scopes outside Cognito\'s rules are refused before any call', async (t) => {
    if (skipWithoutMoto(t)) return;
    const a = await adapterFor({ 'cognito-create-user-pool': 'never-made' });
    const ctx = ctxWith();
    await assert.rejects(a.createApp(ctx, request({ lifetimes: { ...LIFETIMES, refreshTokenSeconds: 60 } })), usage(/--refresh-token-ttl/));
    await assert.rejects(a.createApp(ctx, request({ scopes: ['openid', 'User.Read'] })), usage(/--scopes/));
    assert.deepEqual(standin!.calls, []);
  });

  test('a pool init created but now shared with other app clients is kept on cleanup (with a warning)', async (t) => {
    if (skipWithoutMoto(t)) return;
    const a = await adapterFor({ 'cognito-create-user-pool': 'acauth-shared-later' });
    const ctx = ctxWith();
    await a.preflight(ctx);
    const app = await a.createApp(ctx, request());
    const poolId = app.extras.userPoolId!;
    await admin.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'someone-else', GenerateSecret: false }));
    assert.equal(await a.deleteApp(ctx, app), 'deleted');
    assert.ok(ctx.logger.lines.some((l) => /Kept user pool .* 1 other app client/.test(l)));
    assert.deepEqual(await poolsNamed('acauth-shared-later'), [poolId]);
    assert.ok(!(await clientIds(poolId)).includes(app.clientId));
  });

  test('interactive init picks the pool from ListUserPools (or creates one), through prompts that each have a flag', async (t) => {
    if (skipWithoutMoto(t)) return;
    const poolId = sharedPool;
    const asked: AskSpec[] = [];
    const prompter = (answer: (s: AskSpec) => string): Prompter => ({
      interactive: true,
      whyNot: '',
      async ask<T extends string>(spec: AskSpec<T>) {
        asked.push(spec as AskSpec);
        return answer(spec as AskSpec) as T;
      },
      async chooseMany() {
        throw new Error('not asked by this adapter');
      },
      async confirm() {
        return true;
      },
    });
    const picked = await adapterFor({}, prompter((s) => (s.flag === '--cognito-user-pool-id' ? poolId : 'x')));
    assert.equal(asked[0]!.flag, '--cognito-user-pool-id');
    assert.ok(asked[0]!.choices!.some((c) => c.value === poolId && c.name === `shared-pool (${poolId})`));
    assert.ok(asked[0]!.choices!.some((c) => c.value === '__create__'));
    assert.equal(picked.tokenProfile().issuer, `https://cognito-idp.us-east-1.amazonaws.com/${poolId}`);

    asked.length = 0;
    const created = await adapterFor({}, prompter((s) => (s.flag === '--cognito-user-pool-id' ? '__create__' : 'acauth-prompted')));
    assert.deepEqual(asked.map((s) => s.flag), ['--cognito-user-pool-id', '--cognito-create-user-pool']);
    assert.match(created.tokenProfile().issuer, /<new user pool "acauth-prompted">/);
  });

  test('no credentials and no loopback endpoint: a CliError naming the env vars, nothing contacted', async () => {
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && k !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED') delete process.env[k];
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      process.env.AWS_CONFIG_FILE = join(tmp, 'none-config');
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(tmp, 'none-credentials');
      const a = await createCognitoAdapter({ 'cognito-user-pool-id': 'us-east-1_Abc' }, { logger: createMemoryLogger(), env: {} });
      await assert.rejects(a.preflight({ logger: createMemoryLogger(), env: {}, timeoutMs: 5_000 }), (e: unknown) =>
        e instanceof CliError && e.code === 'credentials' && /AWS_ACCESS_KEY_ID/.test(e.fix ?? '') && /--cognito-profile/.test(e.fix ?? ''),
      );
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
