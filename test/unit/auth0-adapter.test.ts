/**
 * The Auth0 adapter against a local Auth0 stand-in (test/helpers/auth0-standin.ts) that checks every Management
 * API request against Auth0's OpenAPI description and keeps state, plus token-profile checks with tokens shaped
 * like Auth0's (Auth0 profile, RFC 9068 profile, opaque) through the real JWT validator and AgentCore's rules.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { createAuth0Adapter, AUTH0_LIFETIME_LIMITS, isLoopbackDomain, normaliseDomain } from '../../providers/auth0/adapter.js';
import { provider } from '../../providers/auth0/index.js';
import { PROVIDER_MODULES } from '../../providers/index.js';
import { recommendedRule } from '../../providers/profiles.js';
import type { AdapterContext, AppRecord, AppRequest, IdpAdapter, ProviderOptions } from '../../providers/types.js';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import { createJwtValidator } from '../../src/authorizer/validate.js';
import { mcpRemoteHashInputFromArgs } from '../../src/clients/mcp-remote.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { createPrompter, type AskSpec, type Prompter } from '../../src/core/prompts.js';
import { decodeJwtClaims } from '../../src/oauth/tokens.js';
import { ALL_ADAPTER_SCOPES, startAuth0Standin, type Auth0Standin } from '../helpers/auth0-standin.js';
import { CLAIM_NAME_PATTERN } from '../../src/authorizer/access.js';
import { authorizerWithAccess } from '../../src/flows/access.js';
import { PROJECT_ROOT } from '../helpers/cli.js';

const GATEWAY = 'https://gw-abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp';
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const LIFETIMES = { accessTokenSeconds: 3600, refreshTokenSeconds: 90 * 86400, idTokenSeconds: 3600 };

/** A logger that keeps lines exactly as the adapter wrote them (no redaction), to prove it writes no secret. */
function rawLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (p: string) => (m: string) => void lines.push(`${p}${m}`);
  return { lines, info: push(''), step: push('> '), success: push('ok '), warn: push('! '), error: push('x '), debug: push('  '), styled: push('') };
}

const standins: Auth0Standin[] = [];
afterEach(async () => {
  for (const s of standins.splice(0)) await s.close();
});

interface Harness {
  s: Auth0Standin;
  adapter: IdpAdapter;
  ctx: AdapterContext & { logger: Logger & { lines: string[] } };
}

async function harness(
  o: { options?: ProviderOptions; env?: Record<string, string | undefined>; standin?: Parameters<typeof startAuth0Standin>[0]; prompter?: Prompter } = {},
): Promise<Harness> {
  const s = await startAuth0Standin(o.standin);
  standins.push(s);
  const logger = rawLogger();
  const env: NodeJS.ProcessEnv = { ...s.env(), ...o.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const adapter = await provider.createAdapter(o.options ?? {}, { logger, env, prompter: o.prompter });
  return { s, adapter, ctx: { logger, env, timeoutMs: 5_000, prompter: o.prompter } };
}

const request = (over: Partial<AppRequest> = {}): AppRequest => ({
  name: 'agentcore-auth default',
  redirectUris: ['http://localhost:3334/oauth/callback'],
  scopes: SCOPES,
  resource: GATEWAY,
  lifetimes: LIFETIMES,
  ...over,
});

/** What init does: preflight, then createApp with the gateway URL. */
async function init(h: Harness, over: Partial<AppRequest> = {}): Promise<AppRecord> {
  await h.adapter.preflight(h.ctx);
  return h.adapter.createApp(h.ctx, request(over));
}

/** The stand-in accepted every request and answered in the spec's shapes. */
function assertClean(s: Auth0Standin): void {
  assert.deepEqual(s.rejections, [], 'the stand-in refused a request the real Auth0 would refuse');
  assert.deepEqual(s.standinErrors, []);
}

function assertNoSecrets(s: Auth0Standin, text: string, what: string): void {
  for (const secret of s.secrets()) assert.ok(!text.includes(secret), `${what} contains a token or secret the tenant issued`);
}

async function rejectsWith(p: Promise<unknown>, check: (e: CliError) => void): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CliError, `expected a CliError, got ${String(err)}`);
    check(err);
    return true;
  });
}

/** A prompter that answers from a table and records what it was asked. */
function scriptedPrompter(answers: Record<string, string>): Prompter & { asked: AskSpec[] } {
  const asked: AskSpec[] = [];
  return {
    // Everything else as a real prompter has it (it fails loudly when asked anything unexpected).
    ...createPrompter({ interactive: false, whyNot: 'scripted test', env: {} }),
    interactive: true,
    whyNot: '',
    asked,
    async ask<T extends string>(spec: AskSpec<T>): Promise<T> {
      asked.push(spec as AskSpec);
      const a = answers[spec.flag];
      if (a === undefined) throw new Error(`unexpected prompt for ${spec.flag}`);
      return a as T;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------

describe('provider module', () => {
  test('flags are prefixed auth0-, none takes a secret; credentials are named env vars; the registry has it', () => {
    for (const [name, spec] of Object.entries(provider.flags)) {
      assert.match(name, /^auth0-/);
      assert.doesNotMatch(`${name} ${spec.placeholder ?? ''}`, /secret|token|password/i, `--${name} looks like a secret flag`);
    }
    assert.deepEqual(provider.credentialEnv, ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_TOKEN']);
    assert.equal(PROVIDER_MODULES.find((p) => p.id === 'auth0'), provider);
  });

  test('index.js loads neither the auth0 SDK nor the adapter at import time (the --help path stays light)', async () => {
    const js = await readFile(join(PROJECT_ROOT, 'dist', 'providers', 'auth0', 'index.js'), 'utf8');
    const staticImports = [...js.matchAll(/^\s*import\s[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    assert.deepEqual(staticImports, [], `static imports in providers/auth0/index.js: ${staticImports.join(', ')}`);
    const adapterJs = await readFile(join(PROJECT_ROOT, 'dist', 'providers', 'auth0', 'adapter.js'), 'utf8');
    assert.doesNotMatch(adapterJs, /^\s*import\s[^;]*from\s+['"]auth0['"]/m, 'adapter.js must load the SDK lazily');
  });

  test('the mcp-remote installed here (0.15.1) understands --authorize-param, which carries the audience', async () => {
    const dir = join(PROJECT_ROOT, 'node_modules', 'mcp-remote', 'dist');
    let found = false;
    for (const f of await readdir(dir)) if (f.endsWith('.js') && (await readFile(join(dir, f), 'utf8')).includes('"--authorize-param"')) found = true;
    assert.ok(found, 'mcp-remote no longer parses --authorize-param: the Auth0 client entry would lose its audience');
  });

  test('domains: bare host, host:port, https URL; anything with a path is refused; loopback speaks http', () => {
    assert.equal(normaliseDomain('https://My-Tenant.us.auth0.com/', 'AUTH0_DOMAIN'), 'my-tenant.us.auth0.com');
    assert.equal(normaliseDomain('127.0.0.1:4000', 'AUTH0_DOMAIN'), '127.0.0.1:4000');
    assert.throws(() => normaliseDomain('https://x.auth0.com/api/v2', 'AUTH0_DOMAIN'), (e: unknown) => e instanceof UsageError && /AUTH0_DOMAIN/.test(e.message));
    assert.equal(isLoopbackDomain('127.0.0.1:4000'), true);
    assert.equal(isLoopbackDomain('my-tenant.auth0.com'), false);
  });
});

describe('init: what is created at Auth0', () => {
  test('an API named after the gateway URL and a native public client, exactly as configured; nothing else changes', async () => {
    const h = await harness();
    const app = await init(h);

    const apis = h.s.createdResourceServers();
    assert.equal(apis.length, 1);
    const api = apis[0]!;
    assert.equal(api.identifier, GATEWAY);
    assert.equal(api.signing_alg, 'RS256');
    assert.equal(api.token_lifetime, 3600);
    assert.equal(api.allow_offline_access, true);
    assert.equal(api.token_dialect, 'access_token');

    const clients = h.s.createdClients();
    assert.equal(clients.length, 1);
    const c = clients[0]!;
    assert.equal(c.client_id, app.clientId);
    assert.equal(c.app_type, 'native');
    assert.equal(c.token_endpoint_auth_method, 'none');
    assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(c.callbacks, ['http://localhost:3334/oauth/callback']);
    assert.equal(c.oidc_conformant, true);
    assert.deepEqual(c.jwt_configuration, { alg: 'RS256', lifetime_in_seconds: 3600, secret_encoded: false });
    const rt = c.refresh_token as Record<string, unknown>;
    assert.equal(rt.rotation_type, 'rotating');
    assert.equal(rt.expiration_type, 'expiring');
    assert.equal(rt.token_lifetime, 90 * 86400);
    assert.equal(rt.infinite_token_lifetime, false);

    assert.equal(h.s.tenant.default_audience, '', 'the tenant default audience must not change without consent');
    assertClean(h.s);

    // The record: issuer with Auth0's trailing slash, everything cleanup needs, nothing secret.
    assert.equal(app.issuer, h.s.issuer);
    assert.ok(app.issuer.endsWith('/'));
    assert.equal(app.discoveryUrl, h.s.discoveryUrl);
    assert.deepEqual(app.extras, {
      domain: h.s.domain,
      identifier: GATEWAY,
      resourceServerId: String(api.id),
      resourceServerOwned: 'true',
      tokenDialect: 'access_token',
    });
    assertNoSecrets(h.s, JSON.stringify(app), 'the app record');
    assertNoSecrets(h.s, h.ctx.logger.lines.join('\n'), 'the log');
    assert.match(h.ctx.logger.lines.join('\n'), /opaque access token/, 'the opaque-token trap is explained');
  });

  test('the gateway rule and the client entry: allowedAudience [gateway URL] + azp EQUALS client id; mcp-remote asks for the audience', async () => {
    const h = await harness();
    const app = await init(h);
    assert.deepEqual(h.adapter.recommendedAuthorizer(app, { resource: GATEWAY }), {
      discoveryUrl: h.s.discoveryUrl,
      allowedAudience: [GATEWAY],
      customClaims: [{ inboundTokenClaimName: 'azp', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: app.clientId } } }],
    });
    const req = h.adapter.clientRequirements(app, { resource: GATEWAY, scopes: SCOPES });
    assert.deepEqual(req, { scopes: SCOPES, mcpRemoteArgs: ['--authorize-param', `audience=${GATEWAY}`] });
    // Parsed the way mcp-remote parses its command line.
    assert.deepEqual(mcpRemoteHashInputFromArgs([GATEWAY, '3334', ...req.mcpRemoteArgs]).opts.authorizeParams, { audience: GATEWAY });
    assert.deepEqual(h.adapter.tokenProfile(app), { provider: 'auth0', issuer: h.s.issuer, discoveryUrl: h.s.discoveryUrl, audienceClaim: 'aud', clientClaim: 'azp', scopeClaim: 'scope' });
  });

  test('the plan preview (no app, no gateway yet) gets a rule with a placeholder audience instead of an error', async () => {
    const h = await harness();
    const rule = h.adapter.recommendedAuthorizer({ provider: 'auth0', clientId: '<client id of the new app>', issuer: h.s.issuer, discoveryUrl: h.s.discoveryUrl, extras: {} }, {});
    assert.match(rule.allowedAudience![0]!, /gateway URL/);
  });

  test('lifetimes outside Auth0\'s ranges are usage errors naming the flag, before anything is sent', async () => {
    const h = await harness();
    const cases: Array<[Partial<AppRequest['lifetimes']>, string]> = [
      [{ accessTokenSeconds: 31 * 86400 }, '--access-token-ttl'],
      [{ idTokenSeconds: 2_592_001 }, '--id-token-ttl'],
      [{ refreshTokenSeconds: 400 * 86400 }, '--refresh-token-ttl'],
      [{ accessTokenSeconds: 0 }, '--access-token-ttl'],
    ];
    for (const [l, flag] of cases) {
      await assert.rejects(h.adapter.createApp(h.ctx, request({ lifetimes: { ...LIFETIMES, ...l } })), (e: unknown) => e instanceof UsageError && e.message.includes(flag));
    }
    assert.equal(h.s.requests.length, 0);
    assert.equal(AUTH0_LIFETIME_LIMITS.accessTokenSeconds.max, 2_592_000);
  });

  test('a re-run with another callback port: PATCH changes only the callbacks; without update:clients the scope is named; a gone app is not_found', async () => {
    const h = await harness();
    const app = await init(h);
    const before = structuredClone(h.s.createdClients()[0]!) as Record<string, unknown>;
    const uri = 'http://localhost:4999/oauth/callback';
    const updated = await h.adapter.updateRedirectUris!(h.ctx, app, [uri]);
    assert.equal(updated.clientId, app.clientId);
    const after = h.s.createdClients()[0]! as Record<string, unknown>;
    assert.deepEqual(after.callbacks, [uri]);
    assert.deepEqual({ ...after, callbacks: before.callbacks }, before, 'everything else is as it was');
    assert.deepEqual((await h.adapter.describeApp(h.ctx, app))?.redirectUris, [uri]);
    assert.equal(h.s.createdClients().length, 1, 'no second client');
    assertClean(h.s);

    const narrow = await harness({ standin: { scopes: ['create:clients', 'read:clients', 'delete:clients', 'create:resource_servers', 'read:resource_servers', 'delete:resource_servers'] } });
    const app2 = await init(narrow);
    await rejectsWith(narrow.adapter.updateRedirectUris!(narrow.ctx, app2, [uri]), (e) => {
      assert.equal(e.code, 'forbidden');
      assert.match(`${e.message} ${e.fix}`, /update:clients/);
    });
    await h.adapter.deleteApp(h.ctx, app);
    await rejectsWith(h.adapter.updateRedirectUris!(h.ctx, app, [uri]), (e) => assert.equal(e.code, 'not_found'));
  });

  test('an API with the gateway URL already there (409): reused; cleanup deletes it only when it carries this setup\'s name', async () => {
    for (const [name, owned] of [['someone else\'s API', false], ['agentcore-auth default', true]] as const) {
      const h = await harness();
      const token = await h.s.issueManagementToken();
      const r = await fetch(`http://${h.s.domain}/api/v2/resource-servers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, identifier: GATEWAY, signing_alg: 'RS256', allow_offline_access: true }),
      });
      assert.equal(r.status, 201);
      const app = await init(h);
      assert.equal(app.extras.resourceServerOwned, String(owned));
      assert.equal(h.s.createdResourceServers().length, 1);
      assert.equal(await h.adapter.deleteApp(h.ctx, app), 'deleted');
      assert.equal(h.s.createdClients().length, 0);
      assert.equal(h.s.createdResourceServers().length, owned ? 0 : 1, owned ? 'its own API is deleted' : 'a pre-existing API is left alone');
    }
  });

  test('an existing HS256 API with that identifier is refused (the gateway cannot check HS256), and no client is made', async () => {
    const h = await harness();
    const token = await h.s.issueManagementToken();
    await fetch(`http://${h.s.domain}/api/v2/resource-servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'legacy', identifier: GATEWAY, signing_alg: 'HS256' }),
    });
    await rejectsWith(init(h), (e) => {
      assert.equal(e.code, 'auth0_api_unusable');
      assert.match(e.message, /HS256/);
    });
    assert.equal(h.s.createdClients().length, 0);
  });

  test('--audience names the API instead of the gateway URL', async () => {
    const h = await harness({ options: { audience: 'https://api.example.com/tools' } });
    const app = await init(h);
    assert.equal(h.s.createdResourceServers()[0]!.identifier, 'https://api.example.com/tools');
    assert.deepEqual(h.adapter.recommendedAuthorizer(app, { resource: GATEWAY }).allowedAudience, ['https://api.example.com/tools']);
  });
});

describe('token profile: tokens shaped like Auth0\'s against the recommended rule', () => {
  test('a sign-in that asks for the audience (as the client entry does) passes the real validator and the rule', async () => {
    const h = await harness();
    const app = await init(h);
    const rule = h.adapter.recommendedAuthorizer(app, { resource: GATEWAY });
    const req = h.adapter.clientRequirements(app, { resource: GATEWAY, scopes: SCOPES });
    const audience = mcpRemoteHashInputFromArgs([GATEWAY, ...req.mcpRemoteArgs]).opts.authorizeParams!.audience;
    const { accessToken, refreshToken } = await h.s.authorize({ clientId: app.clientId, audience, scope: req.scopes.join(' ') });
    assert.ok(refreshToken, 'offline_access on an API that allows it gives a refresh token');
    const claims = decodeJwtClaims(accessToken)!.payload;
    assert.deepEqual(claims.aud, [GATEWAY, `${h.s.issuer}userinfo`], 'Auth0 puts the userinfo audience next to the API');
    assert.equal(claims.azp, app.clientId);
    assert.equal(claims.client_id, undefined, 'the Auth0 profile has no client_id claim');

    const validator = createJwtValidator({ timeoutMs: 3_000 });
    assert.deepEqual(await validator.validate(accessToken, rule), { ok: true, claims });
  });

  test('no audience and no tenant default: an opaque token, refused as "not a JWT"; another API\'s or another client\'s token fails its rule', async () => {
    const h = await harness();
    const app = await init(h);
    const rule = h.adapter.recommendedAuthorizer(app, { resource: GATEWAY });
    const validator = createJwtValidator({ timeoutMs: 3_000 });

    const opaque = await h.s.authorize({ clientId: app.clientId, scope: 'openid profile email offline_access' });
    assert.equal(opaque.opaque, true);
    const r1 = await validator.validate(opaque.accessToken, rule);
    assert.equal(r1.ok, false);
    assert.equal(!r1.ok && r1.rule, 'format');

    // A token for another API of the same tenant.
    const token = await h.s.issueManagementToken();
    await fetch(`http://${h.s.domain}/api/v2/resource-servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'billing', identifier: 'https://billing.example.com', signing_alg: 'RS256' }),
    });
    const other = await h.s.authorize({ clientId: app.clientId, audience: 'https://billing.example.com', scope: 'openid' });
    const r2 = await validator.validate(other.accessToken, rule);
    assert.equal(!r2.ok && r2.rule, 'allowedAudience');

    // Another application of the tenant asking for this API.
    h.s.clients.set('otherApp000000000000000000000000', { client_id: 'otherApp000000000000000000000000', grant_types: ['authorization_code'], callbacks: [] });
    const foreign = await h.s.authorize({ clientId: 'otherApp000000000000000000000000', audience: GATEWAY, scope: 'openid' });
    const r3 = await validator.validate(foreign.accessToken, rule);
    assert.equal(!r3.ok && r3.rule, 'customClaims[0]');
  });

  test('--auth0-rfc9068: the API issues RFC 9068 tokens (client_id, no azp); the rule pins allowedClients, which such tokens pass', async () => {
    const h = await harness({ options: { 'auth0-rfc9068': true } });
    const app = await init(h);
    assert.equal(h.s.createdResourceServers()[0]!.token_dialect, 'rfc9068_profile');
    assert.equal(app.extras.tokenDialect, 'rfc9068_profile');
    const rule = h.adapter.recommendedAuthorizer(app, { resource: GATEWAY });
    assert.deepEqual(rule, { discoveryUrl: h.s.discoveryUrl, allowedAudience: [GATEWAY], allowedClients: [app.clientId] });
    assert.equal(h.adapter.tokenProfile(app).clientClaim, 'client_id');

    const { accessToken } = await h.s.authorize({ clientId: app.clientId, audience: GATEWAY, scope: 'openid offline_access' });
    const decoded = decodeJwtClaims(accessToken)!;
    assert.equal(decoded.header.typ, 'at+jwt');
    assert.equal(decoded.payload.client_id, app.clientId);
    assert.equal(decoded.payload.azp, undefined);
    const validator = createJwtValidator({ timeoutMs: 3_000 });
    assert.equal((await validator.validate(accessToken, rule)).ok, true);
    // Why the rule differs: the Auth0-profile rule (azp EQUALS) refuses an RFC 9068 token.
    const azpRule = recommendedRule('auth0', { discoveryUrl: h.s.discoveryUrl, clientId: app.clientId, audience: GATEWAY });
    const d = evaluateAuthorizer(azpRule, decoded.payload);
    assert.equal(!d.allow && d.rule, 'customClaims[0]');
  });
});

describe('the tenant default audience: only with consent, and restored', () => {
  test('--auth0-set-default-audience: sets it, keeps the previous value, the client entry needs no audience, cleanup restores it', async () => {
    const h = await harness({ options: { 'auth0-set-default-audience': true }, standin: { defaultAudience: 'https://previous.example.com/api' } });
    const app = await init(h);
    assert.equal(h.s.tenant.default_audience, GATEWAY);
    assert.equal(app.extras.defaultAudience, 'set');
    assert.equal(app.extras.previousDefaultAudience, 'https://previous.example.com/api');
    assert.deepEqual(h.adapter.clientRequirements(app, { resource: GATEWAY, scopes: SCOPES }).mcpRemoteArgs, []);

    // A sign-in that names no audience now gets a JWT the rule accepts.
    const { accessToken, opaque } = await h.s.authorize({ clientId: app.clientId, scope: 'openid offline_access' });
    assert.equal(opaque, false);
    assert.equal((await createJwtValidator({ timeoutMs: 3_000 }).validate(accessToken, h.adapter.recommendedAuthorizer(app, {}))).ok, true);

    assert.equal(await h.adapter.deleteApp(h.ctx, app), 'deleted');
    assert.equal(h.s.tenant.default_audience, 'https://previous.example.com/api');
    assert.equal(h.s.createdClients().length + h.s.createdResourceServers().length, 0);
    assertClean(h.s);
  });

  test('a default audience changed by someone else since init is left as it is (the app and API still go)', async () => {
    const h = await harness({ options: { 'auth0-set-default-audience': true } });
    const app = await init(h);
    h.s.tenant.default_audience = 'https://someone-else.example.com';
    assert.equal(await h.adapter.deleteApp(h.ctx, app), 'deleted');
    assert.equal(h.s.tenant.default_audience, 'https://someone-else.example.com');
    assert.equal(h.s.createdClients().length + h.s.createdResourceServers().length, 0);
    assert.match(h.ctx.logger.lines.join('\n'), /changed by someone else/);
  });

  test('interactive: asks (flag --auth0-set-default-audience) with a tenant-wide warning; the answer decides', async () => {
    for (const [answer, expected] of [['client', ''], ['tenant', GATEWAY]] as const) {
      const prompter = scriptedPrompter({ '--auth0-set-default-audience': answer });
      const h = await harness({ prompter });
      await init(h);
      assert.equal(prompter.asked.length, 1);
      const spec = prompter.asked[0]!;
      assert.deepEqual(spec.choices?.map((c) => c.value), ['client', 'tenant']);
      assert.equal(spec.default, 'client');
      assert.match(spec.choices!.find((c) => c.value === 'tenant')!.name!, /TENANT-WIDE/);
      assert.equal(h.s.tenant.default_audience, expected);
    }
  });

  test('non-interactive without the flag: no prompt, the tenant is left alone', async () => {
    const h = await harness({ prompter: createPrompter({ interactive: false, whyNot: 'CI=1', env: {} }) });
    await init(h);
    assert.equal(h.s.tenant.default_audience, '');
    assert.equal(h.s.requests.some((r) => r.operationId === 'patch_settings' || r.operationId === 'tenant_settings_route'), false);
  });
});

describe('credentials and errors', () => {
  test('no credentials: preflight names the env vars and contacts nothing', async () => {
    const h = await harness({ env: { AUTH0_CLIENT_ID: undefined, AUTH0_CLIENT_SECRET: undefined } });
    await rejectsWith(h.adapter.preflight(h.ctx), (e) => {
      assert.equal(e.code, 'missing_credentials');
      for (const v of ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_TOKEN']) assert.match(e.message, new RegExp(v));
      assert.match(e.fix ?? '', /never accepted as flags/);
    });
    assert.equal(h.s.requests.length, 0);

    const half = await harness({ env: { AUTH0_CLIENT_SECRET: undefined } });
    await rejectsWith(half.adapter.preflight(half.ctx), (e) => assert.match(e.message, /AUTH0_CLIENT_ID is set but AUTH0_CLIENT_SECRET is not/));
  });

  test('no tenant domain at init: a usage error naming --auth0-domain and AUTH0_DOMAIN', async () => {
    const s = await startAuth0Standin();
    standins.push(s);
    const prompter = createPrompter({ interactive: false, whyNot: 'CI=1', env: {} });
    await assert.rejects(provider.createAdapter({}, { logger: rawLogger(), env: {}, prompter }), (e: unknown) => e instanceof UsageError && /--auth0-domain/.test(e.message) && /AUTH0_DOMAIN/.test(e.fix ?? ''));
  });

  test('a missing Management API scope is named before anything is created (preflight), with where to grant it', async () => {
    const h = await harness({ standin: { scopes: ['create:clients', 'read:clients', 'delete:clients', 'create:resource_servers', 'read:resource_servers'] } });
    await rejectsWith(h.adapter.preflight(h.ctx), (e) => {
      assert.equal(e.code, 'forbidden');
      assert.match(e.message, /delete:resource_servers/);
      assert.match(e.fix ?? '', new RegExp(`${h.s.m2m.clientId}.*Auth0 Management API`));
    });
    assert.equal(h.s.createdClients().length + h.s.createdResourceServers().length, 0);

    const t = await harness({ options: { 'auth0-set-default-audience': true }, standin: { scopes: ['create:clients', 'read:clients', 'delete:clients', 'create:resource_servers', 'read:resource_servers', 'delete:resource_servers', 'read:tenant_settings'] } });
    await rejectsWith(t.adapter.preflight(t.ctx), (e) => assert.match(e.message, /update:tenant_settings/));
  });

  test('a 403 from the Management API names the scope from Auth0\'s answer; the API made before it is rolled back', async () => {
    const h = await harness({ standin: { scopes: ['create:resource_servers', 'read:resource_servers', 'delete:resource_servers'] } });
    await rejectsWith(h.adapter.createApp(h.ctx, request()), (e) => {
      assert.equal(e.code, 'forbidden');
      assert.match(e.message, /create:clients/);
      assert.match(e.fix ?? '', /create:clients/);
    });
    assert.equal(h.s.createdResourceServers().length, 0, 'the API created in step 1 was deleted again');
    assert.equal(h.s.requests.filter((r) => r.operationId === 'post_clients').at(-1)?.status, 403);
  });

  test('wrong client secret (401) and an app not authorized for the Management API (403) say what to fix', async () => {
    const h = await harness({ env: { AUTH0_CLIENT_SECRET: 'not-the-secret-0123456789' } });
    await rejectsWith(h.adapter.preflight(h.ctx), (e) => {
      assert.equal(e.code, 'auth0_unauthorized');
      assert.match(e.message, /AUTH0_CLIENT_ID \/ AUTH0_CLIENT_SECRET/);
      assert.ok(!e.message.includes('not-the-secret-0123456789') && !(e.fix ?? '').includes('not-the-secret-0123456789'));
    });
    const n = await harness({ standin: { m2mAuthorized: false } });
    await rejectsWith(n.adapter.preflight(n.ctx), (e) => {
      assert.equal(e.code, 'forbidden');
      assert.match(e.fix ?? '', /Machine To Machine Applications/);
    });
  });

  test('AUTH0_TOKEN works without the token endpoint; an expired one or one for another tenant is refused in preflight', async () => {
    const h = await harness();
    const token = await h.s.issueManagementToken();
    const env = { AUTH0_DOMAIN: h.s.domain, AUTH0_TOKEN: token };
    const adapter = await provider.createAdapter({}, { logger: h.ctx.logger, env });
    const ctx = { ...h.ctx, env };
    const app = await (async () => {
      await adapter.preflight(ctx);
      return adapter.createApp(ctx, request());
    })();
    assert.equal(h.s.requests.filter((r) => r.path === '/oauth/token').length, 0);
    assert.equal(await adapter.deleteApp(ctx, app), 'deleted');

    const expired = await h.s.issueManagementToken({ expiresIn: -120 });
    const a2 = await provider.createAdapter({}, { logger: h.ctx.logger, env: { ...env, AUTH0_TOKEN: expired } });
    await rejectsWith(a2.preflight({ ...ctx, env: { ...env, AUTH0_TOKEN: expired } }), (e) => assert.match(e.message, /AUTH0_TOKEN expired/));

    const foreign = await h.s.issueManagementToken({ audience: 'https://other-tenant.auth0.com/api/v2/' });
    const a3 = await provider.createAdapter({}, { logger: h.ctx.logger, env: { ...env, AUTH0_TOKEN: foreign } });
    await rejectsWith(a3.preflight({ ...ctx, env: { ...env, AUTH0_TOKEN: foreign } }), (e) => assert.match(e.message, /not this tenant's Management API/));
  });

  test('HTTP 429 says how long to wait; the half-made setup is rolled back', async () => {
    const h = await harness();
    await h.adapter.preflight(h.ctx);
    h.s.failNext('post_clients', 429, { headers: { 'retry-after': '120', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 120) } });
    await rejectsWith(h.adapter.createApp(h.ctx, request()), (e) => {
      assert.equal(e.code, 'rate_limited');
      assert.match(e.fix ?? '', /wait 120 s/);
    });
    assert.equal(h.s.createdClients().length + h.s.createdResourceServers().length, 0);
  });

  test('an issuer that does not match the tenant\'s discovery document is refused (the trailing slash matters)', async () => {
    const s0 = await harness();
    const wrong = s0.s.issuer.replace('127.0.0.1', 'localhost');
    const h = await harness({ options: { issuer: wrong } });
    await rejectsWith(h.adapter.preflight(h.ctx), (e) => {
      assert.equal(e.code, 'issuer_mismatch');
      assert.match(e.fix ?? '', /--issuer/);
    });
  });
});

describe('status, cleanup and revocation', () => {
  test('describeApp reads the live client; after deleteApp it is null, a second delete is "gone", nothing is left', async () => {
    const h = await harness();
    const app = await init(h);
    assert.deepEqual(await h.adapter.describeApp(h.ctx, app), { clientId: app.clientId, redirectUris: ['http://localhost:3334/oauth/callback'], grantTypes: ['authorization_code', 'refresh_token'] });
    assert.equal(await h.adapter.deleteApp(h.ctx, app), 'deleted');
    assert.equal(await h.adapter.describeApp(h.ctx, app), null);
    assert.equal(await h.adapter.deleteApp(h.ctx, app), 'gone');
    assert.equal(h.s.createdClients().length + h.s.createdResourceServers().length, 0);
    assertClean(h.s);
    // Deletes are preceded by reads (Auth0 answers 204 to deleting an unknown id).
    const ops = h.s.requests.map((r) => r.operationId).filter(Boolean);
    assert.ok(ops.indexOf('get_clients_by_id') < ops.indexOf('delete_clients_by_id'));
  });

  test('describeApp warns when the API is gone (sign-ins would get opaque tokens)', async () => {
    const h = await harness();
    const app = await init(h);
    h.s.resourceServers.delete(app.extras.resourceServerId!);
    assert.ok(await h.adapter.describeApp(h.ctx, app));
    assert.match(h.ctx.logger.lines.join('\n'), /API .* is gone/);
  });

  test('cleanup works from the record alone (no AUTH0_DOMAIN), and refuses a different tenant than the one recorded', async () => {
    const h = await harness();
    const app = await init(h);
    const noDomainEnv = { AUTH0_CLIENT_ID: h.s.m2m.clientId, AUTH0_CLIENT_SECRET: h.s.m2m.clientSecret };
    const wrong = await createAuth0Adapter({ domain: 'other-tenant.auth0.com' }, { logger: rawLogger(), env: noDomainEnv });
    await rejectsWith(wrong.deleteApp({ ...h.ctx, env: noDomainEnv }, app), (e) => {
      assert.equal(e.code, 'tenant_mismatch');
      assert.match(e.fix ?? '', new RegExp(`AUTH0_DOMAIN=${h.s.domain.replace(/\./g, '\\.')}`));
    });
    const fromJournal = await provider.createAdapter({}, { logger: rawLogger(), env: noDomainEnv });
    assert.equal(await fromJournal.deleteApp({ ...h.ctx, env: noDomainEnv }, app), 'deleted');
    assert.equal(h.s.createdClients().length + h.s.createdResourceServers().length, 0);
  });

  test('revoke: the refresh token at /oauth/revoke (public client, no secret); access tokens are reported as not revocable', async () => {
    const h = await harness();
    const app = await init(h);
    const { accessToken, refreshToken } = await h.s.authorize({ clientId: app.clientId, audience: GATEWAY, scope: 'openid offline_access' });
    const r = await h.adapter.revoke(h.ctx, app, { accessToken, refreshToken });
    assert.deepEqual(r.revoked, ['refresh_token']);
    assert.equal(r.notRevoked.length, 1);
    assert.equal(r.notRevoked[0]!.what, 'access_token');
    assert.match(r.notRevoked[0]!.why, /until they expire/);
    assert.deepEqual(h.s.revoked, [refreshToken]);
    assertNoSecrets(h.s, `${JSON.stringify(r)}\n${h.ctx.logger.lines.join('\n')}`, 'the revoke result and log');
  });
});

describe('the stand-in refuses what Auth0\'s contract refuses (so the tests above mean something)', () => {
  test('unknown fields, wrong enums and types, a missing identifier, rotating non-expiring refresh tokens, unknown paths, missing scope', async () => {
    const s = await startAuth0Standin({ scopes: ['create:clients', 'create:resource_servers'] });
    standins.push(s);
    const token = await s.issueManagementToken();
    const post = (path: string, body: unknown) =>
      fetch(`http://${s.domain}/api/v2${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const cases: Array<[string, unknown, number, RegExp]> = [
      ['/clients', { name: 'x', redirect_uris: ['http://localhost/cb'] }, 400, /additional property redirect_uris/],
      ['/clients', { name: 'x', app_type: 'public' }, 400, /app_type/],
      ['/clients', { name: 'x', callbacks: 'http://localhost/cb' }, 400, /expected array/],
      ['/clients', { app_type: 'native' }, 400, /missing required property name/],
      ['/clients', { name: 'x', refresh_token: { rotation_type: 'rotating', expiration_type: 'non-expiring' } }, 400, /expiring/],
      ['/clients', { name: 'x', jwt_configuration: { lifetime_in_seconds: '3600' } }, 400, /expected integer/],
      ['/resource-servers', { name: 'x', token_lifetime: 3600 }, 400, /missing required property identifier/],
      ['/resource-servers', { identifier: 'https://a', token_dialect: 'jwt' }, 400, /token_dialect/],
      ['/applications', { name: 'x' }, 404, /not in the Management API/],
    ];
    for (const [path, body, status, re] of cases) {
      const r = await post(path, body);
      const text = await r.text();
      assert.equal(r.status, status, `${path} ${JSON.stringify(body)} -> ${r.status} ${text}`);
      assert.match(text, re);
    }
    const del = await fetch(`http://${s.domain}/api/v2/clients/abc`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(del.status, 403);
    assert.match(await del.text(), /Insufficient scope, expected any of: delete:clients/);
    const anon = await fetch(`http://${s.domain}/api/v2/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
    assert.equal(anon.status, 401);
    assert.deepEqual(s.standinErrors, []);
  });
});

describe('who may use the gateway (issue 13): roles through a Post-Login Action, permissions through RBAC', () => {
  const ROLES_CLAIM = 'https://agentcore-auth/roles';
  const opsOf = (s: Auth0Standin, from = 0) => s.requests.slice(from).filter((r) => r.operationId && r.method !== 'GET').map((r) => `${r.operationId}:${r.status}`);

  test('accessSupport: the rule reads the namespaced roles claim (which fits AgentCore\'s pattern); scopes go to allowedScopes and the client asks for them; the changes in words', async () => {
    const h = await harness();
    const support = h.adapter.accessSupport!({ groups: ['engineering', 'platform'], scopes: ['mcp:invoke'] }, { clientId: 'abc', extras: { identifier: GATEWAY, tokenDialect: 'access_token' } });
    assert.equal(support.groupClaim.claim, ROLES_CLAIM);
    assert.match(ROLES_CLAIM, CLAIM_NAME_PATTERN);
    assert.deepEqual(support.allowedScopes, ['mcp:invoke']);
    assert.deepEqual(support.clientScopes, ['mcp:invoke']);
    const words = support.idpChanges.join('\n');
    assert.match(words, /Post-Login Action .*"engineering", "platform".*https:\/\/agentcore-auth\/roles.*bound to the Login flow/);
    assert.match(words, /RBAC .*enforce_policies.*Add Permissions in the Access Token.*access_token_authz.*mcp:invoke/);
    assert.ok((support.notes ?? []).some((n) => /User Management > Roles/.test(n)));
    // The gateway rule: <namespace>/roles CONTAINS_ANY [names], plus allowedScopes.
    const z = authorizerWithAccess(recommendedRule('auth0', { discoveryUrl: 'https://t/.well-known/openid-configuration', clientId: 'abc', audience: GATEWAY }), { groups: ['engineering', 'platform'], scopes: ['mcp:invoke'] }, support);
    assert.deepEqual(z.allowedScopes, ['mcp:invoke']);
    assert.deepEqual(z.customClaims?.at(-1), {
      inboundTokenClaimName: ROLES_CLAIM,
      inboundTokenClaimValueType: 'STRING_ARRAY',
      authorizingClaimMatchValue: { claimMatchOperator: 'CONTAINS_ANY', claimMatchValue: { matchValueStringList: ['engineering', 'platform'] } },
    });
    // RFC 9068 APIs keep their profile; an OIDC scope restricts nobody and is refused.
    assert.match(h.adapter.accessSupport!({ scopes: ['mcp:invoke'] }, { clientId: 'abc', extras: { tokenDialect: 'rfc9068_profile' } }).idpChanges.join(''), /rfc9068_profile_authz/);
    assert.throws(() => h.adapter.accessSupport!({ scopes: ['openid'] }), (e: unknown) => e instanceof UsageError && /admits everyone/.test(e.message));
  });

  test('applyAccess creates exactly an Action, its deploy and one binding (others\' bindings kept, in order) and the API\'s permission; the token then passes the gateway rule for a member only', async () => {
    const h = await harness();
    h.s.addRole('engineering');
    h.s.addRole('platform');
    h.s.addRole('sales');
    const foreign = h.s.addForeignBinding('Someone else\'s MFA action');
    const app = await init(h);
    const policy = { groups: ['engineering', 'platform'], scopes: ['mcp:invoke'] };
    await h.adapter.checkAccess!(h.ctx, policy);
    const from = h.s.requests.length;
    const created = await h.adapter.applyAccess!(h.ctx, app, policy);

    assert.deepEqual(opsOf(h.s, from), ['post_action:201', 'post_deploy_action:202', 'patch_bindings:200', 'patch_resource-servers_by_id:200']);
    const ours = [...h.s.actions.values()].filter((a) => a.id !== foreign.id);
    assert.equal(ours.length, 1);
    const action = ours[0]!;
    assert.deepEqual(action.supported_triggers, [{ id: 'post-login', version: 'v3' }]);
    assert.match(action.code, /event\.authorization\.roles/);
    assert.ok(action.deployed_version, 'deployed');
    assert.deepEqual(h.s.bindings.get('post-login')!.map((b) => b.actionId), [foreign.id, action.id], 'the foreign binding stays first, ours is appended');
    const patch = h.s.requests.find((r) => r.operationId === 'patch_bindings')!;
    assert.deepEqual((patch.body as { bindings: unknown[] }).bindings[0], { ref: { type: 'action_id', value: foreign.id }, display_name: 'Someone else\'s MFA action' });

    const api = h.s.resourceServers.get(app.extras.resourceServerId!)!;
    assert.equal(api.enforce_policies, true);
    assert.equal(api.token_dialect, 'access_token_authz');
    assert.deepEqual((api.scopes as Array<{ value: string }>).map((x) => x.value), ['mcp:invoke']);
    assert.deepEqual(created, {
      actionId: action.id,
      actionName: `agentcore-auth roles ${app.clientId}`,
      trigger: 'post-login',
      claim: ROLES_CLAIM,
      apiId: app.extras.resourceServerId,
      apiScopesAdded: 'mcp:invoke',
      apiEnforcePoliciesBefore: 'false',
      apiTokenDialectBefore: 'access_token',
    });
    assertNoSecrets(h.s, JSON.stringify(created), 'the journaled ids');
    assertNoSecrets(h.s, h.ctx.logger.lines.join('\n'), 'the log');
    assertClean(h.s);

    // Tokens as Auth0 now issues them (the deployed Action really runs), against the gateway's rules.
    const support = h.adapter.accessSupport!(policy, app);
    const z = authorizerWithAccess(h.adapter.recommendedAuthorizer(app, { resource: GATEWAY }), policy, support);
    const scope = [...SCOPES, 'mcp:invoke'].join(' ');
    const alice = decodeJwtClaims((await h.s.authorize({ clientId: app.clientId, audience: GATEWAY, scope, roles: ['engineering', 'other'], permissions: ['mcp:invoke'] })).accessToken)!.payload;
    assert.deepEqual(alice[ROLES_CLAIM], ['engineering'], 'only the named roles reach the claim');
    assert.deepEqual(alice.permissions, ['mcp:invoke']);
    assert.equal(alice['https://example.com/foreign'], true, 'the other Action still runs');
    assert.equal(evaluateAuthorizer(z, alice).allow, true);
    const bob = decodeJwtClaims((await h.s.authorize({ clientId: app.clientId, audience: GATEWAY, scope, roles: ['sales'], permissions: ['mcp:invoke'] })).accessToken)!.payload;
    assert.deepEqual(bob[ROLES_CLAIM], []);
    assert.equal(evaluateAuthorizer(z, bob).allow, false);
    const noPerm = decodeJwtClaims((await h.s.authorize({ clientId: app.clientId, audience: GATEWAY, scope, roles: ['engineering'] })).accessToken)!.payload;
    assert.ok(!String(noPerm.scope).split(' ').includes('mcp:invoke'), 'RBAC: no permission, no scope');
    assert.equal(evaluateAuthorizer(z, noPerm).allow, false);
  });

  test('a re-run creates nothing new; a changed role list updates and redeploys the same Action; a lost journal finds it by name', async () => {
    const h = await harness();
    h.s.addRole('engineering');
    h.s.addRole('platform');
    const app = await init(h);
    const first = await h.adapter.applyAccess!(h.ctx, app, { groups: ['engineering'], scopes: ['mcp:invoke'] });

    let from = h.s.requests.length;
    const again = await h.adapter.applyAccess!(h.ctx, app, { groups: ['engineering'], scopes: ['mcp:invoke'] }, first);
    assert.deepEqual(again, first);
    assert.deepEqual(opsOf(h.s, from), [], 'nothing written on a re-run');

    from = h.s.requests.length;
    const changed = await h.adapter.applyAccess!(h.ctx, app, { groups: ['engineering', 'platform'], scopes: ['mcp:invoke'] }, first);
    assert.equal(changed.actionId, first.actionId);
    assert.deepEqual(opsOf(h.s, from), ['patch_action:200', 'post_deploy_action:202']);
    assert.match(h.s.actions.get(first.actionId!)!.deployedCode!, /"engineering","platform"/);

    from = h.s.requests.length;
    const lost = await h.adapter.applyAccess!(h.ctx, app, { groups: ['engineering', 'platform'], scopes: ['mcp:invoke'] });
    assert.equal(lost.actionId, first.actionId);
    assert.deepEqual(opsOf(h.s, from), []);
    assert.equal(h.s.actions.size, 1);
    assert.equal(h.s.bindings.get('post-login')!.length, 1);
    assertClean(h.s);
  });

  test('removeAccess unbinds ours (keeping the others), deletes the Action, restores the API; a second run is "gone"', async () => {
    const h = await harness();
    h.s.addRole('engineering');
    const before = h.s.addForeignBinding('before');
    const app = await init(h);
    const created = await h.adapter.applyAccess!(h.ctx, app, { groups: ['engineering'], scopes: ['mcp:invoke'] });
    const after = h.s.addForeignBinding('bound after ours');
    const from = h.s.requests.length;
    assert.equal(await h.adapter.removeAccess!(h.ctx, app, created), 'deleted');
    assert.deepEqual(opsOf(h.s, from), ['patch_bindings:200', 'delete_action:204', 'patch_resource-servers_by_id:200']);
    assert.deepEqual(h.s.bindings.get('post-login')!.map((b) => b.actionId), [before.id, after.id]);
    assert.ok(!h.s.actions.has(created.actionId!));
    const api = h.s.resourceServers.get(app.extras.resourceServerId!)!;
    assert.equal(api.enforce_policies, false);
    assert.equal(api.token_dialect, 'access_token');
    assert.deepEqual(api.scopes, []);
    assert.equal(await h.adapter.removeAccess!(h.ctx, app, created), 'gone');
    assert.equal(await h.adapter.deleteApp(h.ctx, app), 'deleted');
    assertClean(h.s);
  });

  test('--auth0-rfc9068 keeps its profile (rfc9068_profile_authz); permissions already on the API are kept and left at cleanup', async () => {
    const h = await harness({ options: { 'auth0-rfc9068': true } });
    const app = await init(h);
    const api = h.s.resourceServers.get(app.extras.resourceServerId!)!;
    api.scopes = [{ value: 'read:docs', description: 'theirs' }, { value: 'mcp:invoke', description: 'theirs too' }];
    const created = await h.adapter.applyAccess!(h.ctx, app, { scopes: ['mcp:invoke', 'mcp:admin'] });
    assert.equal(api.token_dialect, 'rfc9068_profile_authz');
    assert.deepEqual((api.scopes as Array<{ value: string }>).map((x) => x.value), ['read:docs', 'mcp:invoke', 'mcp:admin']);
    assert.equal(created.apiScopesAdded, 'mcp:admin');
    const token = decodeJwtClaims((await h.s.authorize({ clientId: app.clientId, audience: GATEWAY, scope: 'openid mcp:invoke', permissions: ['mcp:invoke'] })).accessToken)!.payload;
    assert.equal(token.client_id, app.clientId);
    assert.deepEqual(token.permissions, ['mcp:invoke']);
    assert.equal(await h.adapter.removeAccess!(h.ctx, app, created), 'deleted');
    assert.equal(api.token_dialect, 'rfc9068_profile');
    assert.equal(api.enforce_policies, false);
    assert.deepEqual((api.scopes as Array<{ value: string }>).map((x) => x.value), ['read:docs', 'mcp:invoke']);
    assertClean(h.s);
  });

  test('a role that does not exist is a clear usage error (a near name says role names are case-sensitive), before anything is created', async () => {
    const h = await harness();
    h.s.addRole('Engineering');
    h.s.addRole('engineering-leads');
    const app = await init(h);
    for (const run of [() => h.adapter.checkAccess!(h.ctx, { groups: ['engineering', 'sales'] }), () => h.adapter.applyAccess!(h.ctx, app, { groups: ['engineering', 'sales'] })]) {
      await rejectsWith(run(), (e) => {
        assert.ok(e instanceof UsageError);
        assert.equal(e.code, 'role_not_found');
        assert.match(e.message, /no role "engineering" \(there is "Engineering": role names are case-sensitive\), "sales"/);
        assert.match(e.fix ?? '', /User Management > Roles/);
      });
    }
    assert.equal(h.s.actions.size, 0);
    assert.equal(h.s.requests.filter((r) => r.operationId === 'get_roles')[0]?.query?.name_filter, 'engineering');
    assertClean(h.s);
  });

  test('a 403 names the missing Management API scope (read:roles, create:actions, update:actions, update:resource_servers); checkAccess names them first; 429 says how long to wait', async () => {
    const base = ALL_ADAPTER_SCOPES;
    const cases: Array<[string, { groups?: string[]; scopes?: string[] }]> = [
      ['read:roles', { groups: ['engineering'] }],
      ['create:actions', { groups: ['engineering'] }],
      ['update:actions', { groups: ['engineering'] }],
      ['update:resource_servers', { scopes: ['mcp:invoke'] }],
    ];
    for (const [scope, policy] of cases) {
      const h = await harness();
      h.s.addRole('engineering');
      const app = await init(h);
      h.s.setScopes(base.filter((x) => x !== scope));
      const fresh = await provider.createAdapter({}, { logger: h.ctx.logger, env: h.ctx.env });
      await rejectsWith(fresh.checkAccess!(h.ctx, policy), (e) => {
        assert.equal(e.code, 'forbidden');
        assert.match(e.message, new RegExp(scope));
      });
      await rejectsWith(fresh.applyAccess!(h.ctx, app, policy), (e) => {
        assert.equal(e.code, 'forbidden', e.message);
        assert.match(e.message, new RegExp(`lack the scope ${scope}`));
        assert.match(e.fix ?? '', new RegExp(`${scope}.*then run again`));
      });
      assert.deepEqual(h.s.bindings.get('post-login') ?? [], [], `no binding without ${scope}`);
      assert.equal(h.s.actions.size, 0, `no Action left behind without ${scope}`);
    }
    const h = await harness();
    h.s.addRole('engineering');
    const app = await init(h);
    h.s.failNext('post_action', 429, { times: 5, headers: { 'retry-after': '30' } });
    await rejectsWith(h.adapter.applyAccess!(h.ctx, app, { groups: ['engineering'] }), (e) => {
      assert.equal(e.code, 'rate_limited');
      assert.match(e.fix ?? '', /wait 30 s/);
    });
  });
});
