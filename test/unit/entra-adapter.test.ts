/**
 * The Microsoft Entra ID adapter against a local HTTPS stand-in of the Entra authority and Microsoft Graph
 * (test/helpers/entra-standin.ts), with the real MSAL: what it creates (and what it must never send), the admin
 * sign-ins (client secret, certificate, device code), permissions, lifetimes, replication lag, rollback, cleanup
 * with and without purge, revocation, and the token profile against the gateway's rule evaluator.
 *
 * Run: npx tsc -p tsconfig.json && node --test dist/test/unit/entra-adapter.test.js
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createEntraAdapterFromOptions, type EntraAdapterDeps } from '../../providers/entra/adapter.js';
import { provider } from '../../providers/entra/index.js';
import { formatLifetime, planLifetimes, resolveSettings, GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID } from '../../providers/entra/settings.js';
import type { AdapterContext, AppRecord, AppRequest, IdpAdapter, ProviderOptions } from '../../providers/types.js';
import { roleValueFor } from '../../providers/entra/access.js';
import { describePolicy, parseAccessPolicy } from '../../src/authorizer/access.js';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import { authorizerWithAccess } from '../../src/flows/access.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import type { AskSpec, Prompter } from '../../src/core/prompts.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { EntraStandin, haveOpenssl, makeCertificate, writeTemp, type StandinOptions } from '../helpers/entra-standin.js';

const OPENSSL = await haveOpenssl();
const NEED_OPENSSL = OPENSSL ? false : 'openssl is not on PATH (the HTTPS stand-in needs it for its certificate)';

const ADMIN = '0d0d0d0d-1111-4222-8333-444444444444';
const SECRET = 'sEcReT~value-not-to-print-0123456789';
const ALL_ROLES = ['Application.ReadWrite.OwnedBy', 'Policy.ReadWrite.ApplicationConfiguration'];
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const REQ: AppRequest = {
  name: 'agentcore-auth unit',
  redirectUris: ['http://localhost:3334/oauth/callback'],
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  lifetimes: { accessTokenSeconds: 3600, refreshTokenSeconds: 90 * 86400, idTokenSeconds: 3600 },
};

function prompter(interactive: boolean, answers: Record<string, string> = {}): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    interactive,
    whyNot: interactive ? '' : 'stdin is not a TTY',
    asked,
    async ask<T extends string>(spec: AskSpec<T>): Promise<T> {
      asked.push(spec.flag);
      const v = answers[spec.flag];
      if (v === undefined) throw new UsageError(`no answer for ${spec.flag}`);
      const ok = spec.validate?.(v);
      if (typeof ok === 'string') throw new UsageError(ok);
      return v as T;
    },
    async chooseMany<T extends string>(): Promise<T[]> {
      throw new UsageError('chooseMany is not expected here');
    },
    async confirm() {
      return true;
    },
  };
}

interface Rig {
  sa: EntraStandin;
  adapter: IdpAdapter;
  ctx: AdapterContext;
  logger: ReturnType<typeof createMemoryLogger>;
  env: NodeJS.ProcessEnv;
  opened: string[];
}

/** A stand-in, and an adapter pointed at it the supported way (authority host + Graph URL env, a CA-trusting dispatcher). */
async function rig(
  t: { after: (fn: () => Promise<void>) => void },
  o: { standin?: StandinOptions; options?: ProviderOptions; env?: NodeJS.ProcessEnv; prompter?: Prompter; roles?: string[]; credentials?: boolean; opener?: (sa: EntraStandin) => EntraAdapterDeps['opener'] } = {},
): Promise<Rig> {
  const sa = await EntraStandin.start({ clients: [{ clientId: ADMIN, secret: SECRET, roles: o.roles ?? ALL_ROLES }], ...o.standin });
  t.after(() => sa.close());
  const logger = createMemoryLogger();
  const env: NodeJS.ProcessEnv = {
    AZURE_TENANT_ID: sa.tenantId,
    ...(o.credentials === false ? {} : { AZURE_CLIENT_ID: ADMIN, AZURE_CLIENT_SECRET: SECRET }),
    AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST: sa.host,
    AGENTCORE_AUTH_GRAPH_URL: sa.graphUrl,
    ...o.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const opened: string[] = [];
  const opener = o.opener?.(sa) ?? ((url: string) => void opened.push(url));
  const deps: EntraAdapterDeps = { dispatcher: await sa.dispatcher(), replicationDelaysMs: [5, 10, 20], opener };
  const adapter = await createEntraAdapterFromOptions(o.options ?? {}, { logger, env, prompter: o.prompter ?? prompter(false) }, deps);
  const ctx: AdapterContext = { logger, env, timeoutMs: 5_000, ...(o.prompter ? { prompter: o.prompter } : { prompter: prompter(false) }) };
  return { sa, adapter, ctx, logger, env, opened };
}

/** Nothing secret in what the adapter logged: no admin secret, no token the stand-in issued, nothing JWT-shaped. */
function assertNoSecrets(r: Rig): void {
  const text = r.logger.lines.join('\n');
  assert.ok(!text.includes(SECRET), 'the client secret was logged');
  for (const tok of r.sa.issuedTokens()) assert.ok(!text.includes(tok), 'an issued token was logged');
  assert.doesNotMatch(text, JWT);
}

function entraAccessToken(app: AppRecord, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: app.clientId,
    iss: app.issuer,
    iat: now,
    nbf: now,
    exp: now + 3600,
    azp: app.clientId,
    azpacr: '0',
    name: 'Ada Lovelace',
    oid: '12345678-aaaa-bbbb-cccc-1234567890ab',
    preferred_username: 'ada@contoso.onmicrosoft.com',
    scp: 'access_as_user',
    sub: 'pairwise-subject',
    tid: app.extras.tenantId,
    ver: '2.0',
    ...over,
  };
}

describe('Entra provider module', () => {
  test('flags are all prefixed --entra-, none takes a secret, and the module loads no SDK', async () => {
    for (const [name, spec] of Object.entries(provider.flags)) {
      assert.match(name, /^entra-/, `flag --${name} is not prefixed with the provider id`);
      assert.doesNotMatch(name, /secret|password|token$/i);
      assert.ok(spec.description.length > 10);
    }
    for (const v of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH']) assert.ok(provider.credentialEnv.includes(v));
    const src = await readFile(join(PROJECT_ROOT, 'dist', 'providers', 'entra', 'index.js'), 'utf8');
    assert.doesNotMatch(src, /^import .*msal/m, 'index.js imports MSAL statically');
    assert.doesNotMatch(src, /^import .*(adapter|auth|graph)\.js/m, 'index.js imports the adapter statically');
  });

  test('the tenant comes from --entra-tenant, --issuer or AZURE_TENANT_ID; multi-tenant authorities and foreign issuers are refused', () => {
    const tid = '11111111-2222-4333-8444-555555555555';
    assert.equal(resolveSettings({ 'entra-tenant': tid }, {}, { requireTenant: true }).tenant, tid);
    assert.equal(resolveSettings({ issuer: `https://login.microsoftonline.com/${tid}/v2.0` }, {}, { requireTenant: true }).tenant, tid);
    assert.equal(resolveSettings({}, { AZURE_TENANT_ID: 'contoso.onmicrosoft.com' }, { requireTenant: true }).tenant, 'contoso.onmicrosoft.com');
    assert.throws(() => resolveSettings({}, {}, { requireTenant: true }), (e: unknown) => e instanceof UsageError && /--entra-tenant/.test(e.fix ?? '') && /AZURE_TENANT_ID/.test(e.fix ?? ''));
    assert.throws(() => resolveSettings({ 'entra-tenant': 'common' }, {}, { requireTenant: true }), /multi-tenant/);
    assert.throws(() => resolveSettings({ issuer: 'https://idp.example.com/realms/x' }, {}, { requireTenant: true }), /not a Microsoft Entra ID issuer/);
    assert.throws(() => resolveSettings({ 'entra-tenant': tid }, { AGENTCORE_AUTH_GRAPH_URL: 'http://127.0.0.1:1/v1.0' }, { requireTenant: true }), /must be an https URL/);
    // The public cloud by default; Graph of the same cloud for a US Government issuer.
    const s = resolveSettings({ 'entra-tenant': tid }, {}, { requireTenant: true });
    assert.equal(s.authorityHost, 'login.microsoftonline.com');
    assert.equal(s.graphBase, 'https://graph.microsoft.com/v1.0');
    assert.equal(resolveSettings({ issuer: `https://login.microsoftonline.us/${tid}/v2.0` }, {}, { requireTenant: true }).graphResource, 'https://graph.microsoft.us');
  });

  test('lifetimes: access/ID 10m..23:59:59, refresh fixed at 90 days, ID tokens follow the access lifetime', () => {
    assert.equal(formatLifetime(3600), '01:00:00');
    assert.equal(formatLifetime(86399), '23:59:59');
    assert.equal(planLifetimes(REQ.lifetimes).accessTokenLifetime, '01:00:00');
    assert.match(planLifetimes(REQ.lifetimes).notes.join(' '), /90 days.*cannot be configured/);
    assert.throws(() => planLifetimes({ ...REQ.lifetimes, accessTokenSeconds: 300 }), (e: unknown) => e instanceof UsageError && /--access-token-ttl/.test(e.message));
    assert.throws(() => planLifetimes({ ...REQ.lifetimes, accessTokenSeconds: 86400 }), (e: unknown) => e instanceof UsageError && /--access-token-ttl/.test(e.message));
    assert.throws(() => planLifetimes({ ...REQ.lifetimes, refreshTokenSeconds: 30 * 86400 }), (e: unknown) => e instanceof UsageError && /--refresh-token-ttl/.test(e.message) && /90 days/.test(e.message));
    assert.match(planLifetimes({ ...REQ.lifetimes, accessTokenSeconds: 7200 }).notes.join(' '), /one lifetime .* ID tokens will live 2h/);
  });

  test('the gateway rule and the client entry fit Entra v2 tokens (aud = app id, client in azp, scp string)', async () => {
    const tid = '11111111-2222-4333-8444-555555555555';
    const adapter = await createEntraAdapterFromOptions({ 'entra-tenant': tid }, { logger: createMemoryLogger(), env: {} });
    const appId = '99999999-aaaa-4bbb-8ccc-dddddddddddd';
    const app: AppRecord = { provider: 'entra', clientId: appId, issuer: `https://login.microsoftonline.com/${tid}/v2.0`, discoveryUrl: `https://login.microsoftonline.com/${tid}/v2.0/.well-known/openid-configuration`, extras: { tenantId: tid } };
    const rule = adapter.recommendedAuthorizer(app, {});
    assert.deepEqual(rule, {
      discoveryUrl: `https://login.microsoftonline.com/${tid}/v2.0/.well-known/openid-configuration`,
      allowedAudience: [appId],
      customClaims: [{ inboundTokenClaimName: 'azp', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: appId } } }],
    });
    assert.equal(rule.allowedClients, undefined, 'Entra tokens have no client_id claim: allowedClients would refuse every token');
    const profile = adapter.tokenProfile(app);
    assert.deepEqual({ aud: profile.audienceClaim, client: profile.clientClaim, scope: profile.scopeClaim }, { aud: 'aud', client: 'azp', scope: 'scp' });
    assert.match(profile.discoveryUrl, /\/v2\.0\/\.well-known\/openid-configuration$/);

    assert.deepEqual(evaluateAuthorizer(rule, entraAccessToken(app)), { allow: true });
    // A token for Microsoft Graph (the usual mistake: no API scope asked for) is refused.
    const graphToken = entraAccessToken(app, { aud: '00000003-0000-0000-c000-000000000000', scp: 'User.Read openid profile' });
    assert.equal((evaluateAuthorizer(rule, graphToken) as { rule: string }).rule, 'allowedAudience');
    // Another app's token for the same API is refused by the azp pin.
    assert.equal((evaluateAuthorizer(rule, entraAccessToken(app, { azp: '12121212-3434-4565-8787-989898989898' })) as { rule: string }).rule, 'customClaims[0]');
    // A v1 token (requestedAccessTokenVersion not 2) names aud api://... and the client in appid: refused.
    const v1 = entraAccessToken(app, { aud: `api://${appId}`, appid: appId, azp: undefined, ver: '1.0', iss: `https://sts.windows.net/${tid}/` });
    assert.equal(evaluateAuthorizer(rule, v1).allow, false);

    const req = adapter.clientRequirements(app, { scopes: REQ.scopes });
    assert.deepEqual(req.scopes, [`api://${appId}/access_as_user`, 'openid', 'profile', 'offline_access']);
    assert.deepEqual(req.mcpRemoteArgs, ['--disable-resource-parameter']);
    assert.equal(req.resource, undefined);
    // The plan's preview (client id not known yet) does not throw.
    assert.deepEqual(adapter.recommendedAuthorizer({ ...app, clientId: '<client id of the new app>' }, {}).allowedAudience, ['<client id of the new app>']);
  });
});

describe('Entra adapter against the stand-in', { skip: NEED_OPENSSL }, () => {
  test('creates a public client with a v2 API, a service principal and a lifetime policy; cleanup leaves nothing with purge', async (t) => {
    const r = await rig(t);
    const { sa, adapter, ctx } = r;
    await adapter.preflight(ctx);
    const app = await adapter.createApp(ctx, REQ);

    // What exists at Entra.
    assert.equal(sa.applications.size, 1);
    const stored = [...sa.applications.values()][0]!;
    assert.equal(app.clientId, stored.appId);
    assert.equal(stored.displayName, REQ.name);
    assert.equal(stored.signInAudience, 'AzureADMyOrg');
    assert.equal(stored.isFallbackPublicClient, true);
    assert.deepEqual(stored.publicClient.redirectUris, REQ.redirectUris);
    assert.equal(stored.web, null, 'a web platform needs a client secret (AADSTS7000218)');
    assert.equal(stored.spa, null, 'an spa platform needs an Origin header and gets 24 h refresh tokens');
    assert.equal(stored.api.requestedAccessTokenVersion, 2, 'v1 tokens carry aud api://... and appid, not what the rule pins');
    assert.deepEqual(stored.identifierUris, [`api://${stored.appId}`]);
    const scopes = stored.api.oauth2PermissionScopes as Array<Record<string, unknown>>;
    assert.equal(scopes.length, 1);
    assert.deepEqual({ value: scopes[0]!.value, type: scopes[0]!.type, isEnabled: scopes[0]!.isEnabled }, { value: 'access_as_user', type: 'User', isEnabled: true });
    assert.match(String(scopes[0]!.id), GUID);
    const sps = [...sa.servicePrincipals.values()];
    assert.deepEqual(sps.map((s) => s.appId), [stored.appId]);
    assert.equal(sa.policies.size, 1);
    const policy = [...sa.policies.values()][0]!;
    assert.deepEqual(JSON.parse(policy.definition[0]!), { TokenLifetimePolicy: { Version: 1, AccessTokenLifetime: '01:00:00' } });
    assert.equal(policy.isOrganizationDefault, false, 'the policy must not become the whole tenant\'s default');
    assert.deepEqual(stored.tokenLifetimePolicies, [policy.id]);

    // What was sent: the create carries no web/spa platform and no identifierUris (the appId is not known yet).
    const create = sa.graphRequests().find((q) => q.method === 'POST' && q.path === '/v1.0/applications')!;
    for (const k of ['web', 'spa', 'identifierUris']) assert.ok(!(k in (create.body as object)), `POST /applications sent ${k}`);

    // The record: everything cleanup needs, nothing secret.
    assert.equal(app.provider, 'entra');
    assert.equal(app.issuer, sa.issuer);
    assert.equal(app.discoveryUrl, `${sa.issuer}/.well-known/openid-configuration`);
    assert.deepEqual(
      { objectId: app.extras.objectId, sp: app.extras.servicePrincipalId, policy: app.extras.policyId, tenant: app.extras.tenantId },
      { objectId: stored.id, sp: sps[0]!.id, policy: policy.id, tenant: sa.tenantId },
    );
    assert.ok(!app.secrets || Object.keys(app.secrets).length === 0);
    assert.match(r.logger.lines.join('\n'), /refresh tokens live 90 days/);

    const rule = adapter.recommendedAuthorizer(app, {});
    assert.equal(rule.discoveryUrl, `${sa.issuer}/.well-known/openid-configuration`);
    assert.deepEqual(rule.allowedAudience, [app.clientId]);
    assert.deepEqual(evaluateAuthorizer(rule, entraAccessToken(app)), { allow: true });

    assert.deepEqual(await adapter.describeApp(ctx, app), { clientId: app.clientId, redirectUris: REQ.redirectUris, grantTypes: ['authorization_code', 'refresh_token'] });

    // Delete without purge: gone from applications, kept 30 days in deleted items (and the user is told).
    assert.equal(await adapter.deleteApp(ctx, app), 'deleted');
    assert.equal(sa.applications.size, 0);
    assert.equal(sa.servicePrincipals.size, 0);
    assert.equal(sa.policies.size, 0, 'the token lifetime policy is a tenant object of its own: it must be deleted too');
    assert.ok(sa.deletedItems.has(stored.id) && sa.deletedItems.has(sps[0]!.id));
    assert.match(r.logger.lines.join('\n'), /deleted items for 30 days.*--purge/);
    const deletes = sa.graphRequests().filter((q) => q.method === 'DELETE').map((q) => q.path.replace(/[0-9a-f-]{36}/g, '{id}'));
    assert.deepEqual(deletes, [
      '/v1.0/applications/{id}/tokenLifetimePolicies/{id}/$ref',
      '/v1.0/policies/tokenLifetimePolicies/{id}',
      '/v1.0/servicePrincipals/{id}',
      '/v1.0/applications/{id}',
    ]);
    assert.equal(await adapter.describeApp(ctx, app), null);

    // Purge then finds it in deleted items; once more, it is all gone.
    assert.equal(await adapter.deleteApp(ctx, app, { purge: true }), 'deleted');
    assert.equal(sa.deletedItems.size, 0);
    assert.equal(await adapter.deleteApp(ctx, app, { purge: true }), 'gone');
    assertNoSecrets(r);
  });

  test('a re-run with another callback port: only publicClient.redirectUris changes (PATCH); a 403 names the permission; a gone app is not_found', async (t) => {
    const r = await rig(t);
    const { sa, adapter, ctx } = r;
    await adapter.preflight(ctx);
    const app = await adapter.createApp(ctx, REQ);
    const before = structuredClone([...sa.applications.values()][0]!) as unknown as Record<string, unknown>;
    const uri = 'http://localhost:4999/oauth/callback';
    const updated = await adapter.updateRedirectUris!(ctx, app, [uri]);
    assert.equal(updated.clientId, app.clientId);
    const after = [...sa.applications.values()][0]! as unknown as Record<string, unknown>;
    assert.deepEqual((after.publicClient as { redirectUris: string[] }).redirectUris, [uri]);
    assert.deepEqual((await adapter.describeApp(ctx, app))?.redirectUris, [uri]);
    for (const k of ['displayName', 'signInAudience', 'isFallbackPublicClient', 'identifierUris', 'api', 'web', 'spa', 'tokenLifetimePolicies']) assert.deepEqual(after[k], before[k], `${k} is kept`);
    assert.equal(sa.applications.size, 1, 'no second app');

    sa.fail('PATCH', /^\/v1\.0\/applications\/[^/]+$/, 403, { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    await assert.rejects(adapter.updateRedirectUris!(ctx, app, ['http://localhost:5000/oauth/callback']), (e: unknown) => e instanceof CliError && e.code === 'forbidden' && /Application\.ReadWrite/.test(e.fix ?? ''));
    await adapter.deleteApp(ctx, app, { purge: true });
    await assert.rejects(adapter.updateRedirectUris!(ctx, app, [uri]), (e: unknown) => e instanceof CliError && e.code === 'not_found');
    assertNoSecrets(r);
  });

  test('a tenant given by domain is recorded by its id; an unknown tenant stops at preflight', async (t) => {
    const r = await rig(t, { options: { 'entra-tenant': 'contoso.onmicrosoft.com' }, env: { AZURE_TENANT_ID: undefined } });
    await r.adapter.preflight(r.ctx);
    assert.equal(r.adapter.tokenProfile().issuer, r.sa.issuer);
    const app = await r.adapter.createApp(r.ctx, REQ);
    assert.equal(app.issuer, `${r.sa.origin}/${r.sa.tenantId}/v2.0`);
    assert.equal(app.extras.tenantId, r.sa.tenantId);

    const bad = await rig(t, { options: { 'entra-tenant': 'fabrikam.onmicrosoft.com' } });
    await assert.rejects(bad.adapter.preflight(bad.ctx), (e: unknown) => e instanceof CliError && e.code === 'tenant_not_found' && /--entra-tenant/.test(e.fix ?? ''));
    assert.equal(bad.sa.graphRequests().length, 0);
  });

  test('a tenant without Entra ID P1 (policy refused): the app is made, the user is told plainly, no policy is left', async (t) => {
    const r = await rig(t, { standin: { licensed: false } });
    await r.adapter.preflight(r.ctx);
    const app = await r.adapter.createApp(r.ctx, REQ);
    assert.equal(r.sa.applications.size, 1);
    assert.equal(r.sa.policies.size, 0);
    assert.equal(app.extras.policyId, undefined);
    const warn = r.logger.lines.filter((l) => l.startsWith('! ')).join('\n');
    assert.match(warn, /Entra ID P1/);
    assert.match(warn, /60-90 minutes/);
    assert.equal(await r.adapter.deleteApp(r.ctx, app, { purge: true }), 'deleted');
    assert.equal(r.sa.deletedItems.size + r.sa.applications.size + r.sa.servicePrincipals.size, 0);
  });

  test('an admin app without the policy permission: warned at preflight, no policy request at all', async (t) => {
    const r = await rig(t, { roles: ['Application.ReadWrite.All'] });
    await r.adapter.preflight(r.ctx);
    assert.match(r.logger.lines.join('\n'), /lacks Policy\.ReadWrite\.ApplicationConfiguration/);
    await r.adapter.createApp(r.ctx, REQ);
    assert.equal(r.sa.graphRequests().filter((q) => q.path.includes('/policies')).length, 0);
    assert.equal(r.sa.applications.size, 1);
  });

  test('--entra-skip-lifetime-policy makes no policy and needs no policy permission', async (t) => {
    const r = await rig(t, { options: { 'entra-skip-lifetime-policy': true }, roles: ['Application.ReadWrite.OwnedBy'] });
    await r.adapter.preflight(r.ctx);
    const app = await r.adapter.createApp(r.ctx, REQ);
    assert.equal(r.sa.policies.size, 0);
    assert.equal(app.extras.policyId, undefined);
    assert.doesNotMatch(r.logger.lines.filter((l) => l.startsWith('! ')).join('\n'), /Policy/);
  });

  test('an admin app without Application.ReadWrite permissions is refused at preflight, naming the permission; nothing is made', async (t) => {
    const r = await rig(t, { roles: ['User.Read.All'] });
    await assert.rejects(r.adapter.preflight(r.ctx), (e: unknown) => e instanceof CliError && e.code === 'forbidden' && /Application\.ReadWrite\.OwnedBy/.test(`${e.message} ${e.fix}`));
    assert.equal(r.sa.applications.size, 0);
  });

  test('a 403 from Graph mid-way names the permission, and the half-made app is removed (and purged)', async (t) => {
    const r = await rig(t);
    r.sa.fail('POST', /^\/v1\.0\/servicePrincipals$/, 403, { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    await assert.rejects(r.adapter.createApp(r.ctx, REQ), (e: unknown) => e instanceof CliError && e.code === 'forbidden' && /Application\.ReadWrite/.test(e.fix ?? ''));
    assert.equal(r.sa.applications.size, 0);
    assert.equal(r.sa.deletedItems.size, 0, 'an app nobody recorded must not linger in deleted items');
  });

  test('Entra\'s replication delay (new app not visible yet) is waited out', async (t) => {
    const r = await rig(t, { standin: { lag: 2 } });
    const app = await r.adapter.createApp(r.ctx, REQ);
    assert.equal(r.sa.servicePrincipals.size, 1);
    const lagged = r.sa.graphRequests().filter((q) => q.status === 404 || (q.status === 400 && q.path.endsWith('servicePrincipals')));
    assert.ok(lagged.length >= 2, 'the stand-in did not lag');
    assert.deepEqual(r.sa.applications.get(app.extras.objectId!)!.identifierUris, [`api://${app.clientId}`]);
  });

  test('rate limiting: Graph\'s 429 with a long Retry-After says how long to wait', async (t) => {
    const r = await rig(t);
    r.sa.fail('POST', /^\/v1\.0\/applications$/, 429, { code: 'TooManyRequests', headers: { 'retry-after': '120' }, times: 5 });
    await assert.rejects(r.adapter.createApp(r.ctx, REQ), (e: unknown) => e instanceof CliError && e.code === 'rate_limited' && /wait 120 s/.test(`${e.message} ${e.fix}`));
    assert.equal(r.sa.applications.size, 0);
  });

  test('lifetimes and scopes Entra cannot honour are usage errors before anything is made; 2h becomes 02:00:00', async (t) => {
    const r = await rig(t);
    await assert.rejects(r.adapter.createApp(r.ctx, { ...REQ, lifetimes: { ...REQ.lifetimes, accessTokenSeconds: 300 } }), (e: unknown) => e instanceof UsageError && /--access-token-ttl/.test(e.message));
    await assert.rejects(r.adapter.createApp(r.ctx, { ...REQ, lifetimes: { ...REQ.lifetimes, refreshTokenSeconds: 86400 } }), (e: unknown) => e instanceof UsageError && /--refresh-token-ttl/.test(e.message));
    await assert.rejects(r.adapter.createApp(r.ctx, { ...REQ, scopes: ['openid', 'User.Read'] }), (e: unknown) => e instanceof UsageError && /--scopes User\.Read/.test(e.message));
    assert.equal(r.sa.graphRequests().length, 0);
    await r.adapter.createApp(r.ctx, { ...REQ, lifetimes: { ...REQ.lifetimes, accessTokenSeconds: 7200, idTokenSeconds: 3600 } });
    assert.equal(JSON.parse([...r.sa.policies.values()][0]!.definition[0]!).TokenLifetimePolicy.AccessTokenLifetime, '02:00:00');
    assert.match(r.logger.lines.join('\n'), /ID tokens will live 2h, not 1h/);
  });

  test('client credentials: missing ones name the env vars and --entra-device-code; a wrong secret says so without printing it', async (t) => {
    const none = await rig(t, { credentials: false });
    await assert.rejects(none.adapter.preflight(none.ctx), (e: unknown) => {
      assert.ok(e instanceof CliError && e.code === 'credentials');
      for (const v of ['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', '--entra-device-code']) assert.match(`${e.message} ${e.fix}`, new RegExp(v));
      return true;
    });
    const half = await rig(t, { credentials: false, env: { AZURE_CLIENT_SECRET: SECRET } });
    await assert.rejects(half.adapter.preflight(half.ctx), (e: unknown) => e instanceof CliError && /AZURE_CLIENT_ID/.test(e.message));

    const wrong = await rig(t, { env: { AZURE_CLIENT_SECRET: 'wrong-secret-value-123456' } });
    await assert.rejects(wrong.adapter.preflight(wrong.ctx), (e: unknown) => {
      assert.ok(e instanceof CliError && e.code === 'credentials');
      assert.match(e.fix ?? '', /secret's Value/);
      assert.ok(!`${e.message} ${e.fix}`.includes('wrong-secret-value-123456'));
      return true;
    });
    assert.equal(wrong.sa.graphRequests().length, 0);
  });

  test('certificate credentials: MSAL signs a client assertion the stand-in verifies against the registered certificate', async (t) => {
    const pem = await writeTemp('admin.pem', '');
    t.after(() => rm(pem.dir, { recursive: true, force: true }));
    const cert = await makeCertificate(pem.dir, 'admin-cert', { rsa: true });
    await writeFile(pem.path, `${cert.certPem}\n${cert.keyPem}`);
    const r = await rig(t, {
      credentials: false,
      standin: { clients: [{ clientId: ADMIN, certPem: cert.certPem, roles: ALL_ROLES }] },
      env: { AZURE_CLIENT_ID: ADMIN, AZURE_CLIENT_CERTIFICATE_PATH: pem.path },
    });
    await r.adapter.preflight(r.ctx);
    await r.adapter.createApp(r.ctx, REQ);
    const tokenReq = r.sa.requests.find((q) => q.path.endsWith('/oauth2/v2.0/token'))!;
    assert.equal((tokenReq.body as Record<string, string>).client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    assert.ok('client_assertion' in (tokenReq.body as object) && !('client_secret' in (tokenReq.body as object)));
    assert.equal(r.sa.applications.size, 1);

    // Another certificate than the registered one is refused, with a hint.
    const other = await makeCertificate(pem.dir, 'other-cert', { rsa: true });
    const otherPem = { path: join(pem.dir, 'other.pem') };
    await writeFile(otherPem.path, `${other.certPem}\n${other.keyPem}`);
    const r2 = await rig(t, {
      credentials: false,
      standin: { clients: [{ clientId: ADMIN, certPem: cert.certPem, roles: ALL_ROLES }] },
      env: { AZURE_CLIENT_ID: ADMIN, AZURE_CLIENT_CERTIFICATE_PATH: otherPem.path },
    });
    await assert.rejects(r2.adapter.preflight(r2.ctx), (e: unknown) => e instanceof CliError && /certificate is not registered/.test(e.fix ?? ''));
  });

  test('device code (interactive, no client credentials): prints Microsoft\'s code message, opens the browser, signs in once', async (t) => {
    const p = prompter(true);
    const r = await rig(t, {
      credentials: false,
      prompter: p,
      standin: { publicClients: [GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID], userScopes: ['Application.ReadWrite.All', 'Policy.ReadWrite.ApplicationConfiguration'], deviceCodeInterval: 1 },
      opener: (sa) => (url: string) => {
        assert.equal(url, `${sa.origin}/devicelogin`);
        sa.approvePending();
      },
    });
    await r.adapter.preflight(r.ctx);
    const app = await r.adapter.createApp(r.ctx, REQ);
    assert.equal(r.sa.deviceCodes.length, 1, 'one sign-in for the whole command');
    const dc = r.sa.requests.find((q) => q.path.endsWith('/oauth2/v2.0/devicecode'))!;
    const asked = String((dc.body as Record<string, string>).scope).split(' ');
    assert.ok(asked.includes('https://graph.microsoft.com/Application.ReadWrite.All'));
    assert.ok(asked.includes('https://graph.microsoft.com/Policy.ReadWrite.ApplicationConfiguration'));
    const text = r.logger.lines.join('\n');
    assert.match(text, new RegExp(`enter the code ${r.sa.deviceCodes[0]!.userCode}`));
    assert.match(text, /devicelogin/);
    assert.ok(r.sa.graphRequests().every((q) => q.caller === `admin@${r.sa.tenantDomain}`), 'Graph was called as the signed-in admin');
    assert.ok(app.extras.policyId);
    assertNoSecrets(r);
  });

  test('device code outside init: only with AGENTCORE_AUTH_ENTRA_DEVICE_CODE=1 (or the saved flag); the tenant comes from the app record', async (t) => {
    const made = await rig(t, { standin: { publicClients: [GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID], userScopes: ['Application.ReadWrite.All', 'Policy.ReadWrite.ApplicationConfiguration'], autoApproveDeviceCodes: true } });
    const app = await made.adapter.createApp(made.ctx, REQ);
    // status/cleanup: no prompter, no tenant flag, no client credentials.
    const env: NodeJS.ProcessEnv = { AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST: made.sa.host, AGENTCORE_AUTH_GRAPH_URL: made.sa.graphUrl };
    const logger = createMemoryLogger();
    const deps = { dispatcher: await made.sa.dispatcher(), opener: () => undefined };
    const cleanupAdapter = await createEntraAdapterFromOptions({}, { logger, env }, deps);
    await assert.rejects(cleanupAdapter.describeApp({ logger, env, timeoutMs: 5000 }, app), (e: unknown) => e instanceof CliError && e.code === 'credentials');
    const env2 = { ...env, AGENTCORE_AUTH_ENTRA_DEVICE_CODE: '1' };
    const a2 = await createEntraAdapterFromOptions({}, { logger, env: env2 }, deps);
    assert.equal((await a2.describeApp({ logger, env: env2, timeoutMs: 5000 }, app))?.clientId, app.clientId);
    assert.equal(await a2.deleteApp({ logger, env: env2, timeoutMs: 5000 }, app, { purge: true }), 'deleted');
    assert.equal(made.sa.applications.size + made.sa.deletedItems.size + made.sa.policies.size, 0);
    assert.match(logger.lines.join('\n'), /enter the code/);
  });

  test('the tenant is asked for during an interactive init when nothing names it', async (t) => {
    const sa = await EntraStandin.start({});
    t.after(() => sa.close());
    const p = prompter(true, { '--entra-tenant': sa.tenantId });
    const env = { AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST: sa.host };
    const a = await createEntraAdapterFromOptions({}, { logger: createMemoryLogger(), env, prompter: p });
    assert.deepEqual(p.asked, ['--entra-tenant']);
    assert.equal(a.tokenProfile().issuer, `https://${sa.host}/${sa.tenantId}/v2.0`);
    await assert.rejects(createEntraAdapterFromOptions({}, { logger: createMemoryLogger(), env, prompter: prompter(false) }), (e: unknown) => e instanceof UsageError && /--entra-tenant/.test(e.fix ?? ''));
  });

  test('revoke: Entra has no revocation endpoint (said plainly); --entra-revoke-sessions revokes the user\'s sessions', async (t) => {
    const r = await rig(t);
    const app = await r.adapter.createApp(r.ctx, REQ);
    const access = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(entraAccessToken(app))).toString('base64url')}.sig`;
    const before = r.sa.graphRequests().length;
    const res = await r.adapter.revoke(r.ctx, app, { refreshToken: 'opaque-refresh', accessToken: access });
    assert.deepEqual(res.revoked, []);
    assert.deepEqual(res.notRevoked.map((n) => n.what).sort(), ['access_token', 'refresh_token']);
    for (const n of res.notRevoked) assert.match(n.why, /no token revocation endpoint/);
    assert.match(res.notRevoked.find((n) => n.what === 'refresh_token')!.why, /revokeSignInSessions/);
    assert.equal(r.sa.graphRequests().length, before, 'nothing is called without the opt-in');

    const r2 = await rig(t, { options: { 'entra-revoke-sessions': true }, roles: [...ALL_ROLES, 'User.RevokeSessions.All'] });
    const app2 = await r2.adapter.createApp(r2.ctx, REQ);
    const access2 = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(entraAccessToken(app2))).toString('base64url')}.sig`;
    const res2 = await r2.adapter.revoke(r2.ctx, app2, { refreshToken: 'opaque-refresh', accessToken: access2 });
    assert.deepEqual(r2.sa.revokedSessions, ['12345678-aaaa-bbbb-cccc-1234567890ab']);
    assert.deepEqual(res2.revoked, ['refresh_token']);
    assert.deepEqual(res2.notRevoked.map((n) => n.what), ['access_token']);
  });
});

/** Graph application permissions for the access rules: assignments, group and user look-ups. */
const ACCESS_ROLES = [...ALL_ROLES, 'AppRoleAssignment.ReadWrite.All', 'Group.Read.All', 'User.ReadBasic.All'];
const DIRECTORY: StandinOptions = {
  users: ['carol@contoso.onmicrosoft.com'],
  groups: [
    { displayName: 'engineering', members: ['alice@contoso.onmicrosoft.com'] },
    { displayName: 'sales', members: ['bob@contoso.onmicrosoft.com'] },
    { displayName: 'twins' },
    { displayName: 'twins' },
  ],
};
const writes = (sa: EntraStandin, from = 0) => sa.graphRequests().slice(from).filter((q) => q.method !== 'GET');
const shape = (q: { method: string; path: string }) => `${q.method} ${q.path.replace(/[0-9a-f-]{36}/g, '{id}').replace(/appRoleAssignedTo\/[\w-]+$/, 'appRoleAssignedTo/{assignment}')}`;

describe('Entra access rules (issue 13): words, no I/O', () => {
  test('groups become app roles read from `roles`; scopes are bare in scp and asked for as api://<app id>/NAME', async () => {
    const tid = '11111111-2222-4333-8444-555555555555';
    const adapter = await createEntraAdapterFromOptions({ 'entra-tenant': tid }, { logger: createMemoryLogger(), env: {} });
    // A user principal name is a name the adapter takes (the role value is what the gateway rule sees).
    const policy = { ...parseAccessPolicy({ groups: ['engineering'], scopes: ['mcp.invoke'], claims: ['department=eng'] }), groups: ['engineering', 'carol@contoso.onmicrosoft.com'] };
    const appId = '99999999-aaaa-4bbb-8ccc-dddddddddddd';
    const support = adapter.accessSupport!(policy, { clientId: appId, extras: { identifierUri: `api://${appId}` } });
    assert.equal(support.groupClaim.claim, 'roles');
    assert.equal(support.groupClaim.valueFor!('engineering'), 'engineering');
    assert.deepEqual(support.allowedScopes, ['mcp.invoke']);
    assert.deepEqual(support.clientScopes, [`api://${appId}/mcp.invoke`]);
    assert.match(support.idpChanges.join('\n'), /app roles .*"engineering" for group engineering.*"carol_contoso\.onmicrosoft\.com" for user carol@contoso\.onmicrosoft\.com/);
    assert.match(support.idpChanges.join('\n'), /scope mcp\.invoke on the app's API/);
    assert.match(support.notes!.join('\n'), /nested .* do not/);
    assert.match(support.notes!.join('\n'), /P1 or P2/);
    assert.match(support.notes!.join('\n'), /"department" .* optional claim/);
    // The plan, before the app exists: a placeholder, not a wrong id.
    assert.deepEqual(adapter.accessSupport!(policy).clientScopes, ['api://<app id>/mcp.invoke']);
    // access_as_user exists already: nothing to add at Entra for it.
    assert.deepEqual(adapter.accessSupport!({ scopes: ['access_as_user'] }).idpChanges, []);
    assert.deepEqual(describePolicy({ groups: ['engineering'] }, support.groupClaim), ['members of "engineering": only tokens whose roles contains "engineering"']);

    // The gateway rule, judged on Entra-shaped tokens.
    const base = { discoveryUrl: `https://login.microsoftonline.com/${tid}/v2.0/.well-known/openid-configuration`, allowedAudience: [appId] };
    const z = authorizerWithAccess(base, { groups: ['engineering', 'platform'], scopes: ['mcp.invoke'] }, support);
    assert.deepEqual(z.allowedScopes, ['mcp.invoke']);
    assert.deepEqual(z.customClaims!.map((c) => [c.inboundTokenClaimName, c.inboundTokenClaimValueType, c.authorizingClaimMatchValue.claimMatchOperator]), [['roles', 'STRING_ARRAY', 'CONTAINS_ANY']]);
    const app = { clientId: appId, issuer: `https://login.microsoftonline.com/${tid}/v2.0`, extras: { tenantId: tid } } as unknown as AppRecord;
    assert.deepEqual(evaluateAuthorizer(z, entraAccessToken(app, { roles: ['engineering'], scp: 'access_as_user mcp.invoke' })), { allow: true });
    assert.equal(evaluateAuthorizer(z, entraAccessToken(app, { scp: 'access_as_user mcp.invoke' })).allow, false, 'no roles claim: refused');
    assert.equal(evaluateAuthorizer(z, entraAccessToken(app, { roles: ['engineering'] })).allow, false, 'scope not granted: refused');
  });

  test('role values are what Entra accepts (no leading dot, at most 120 characters); scopes Entra cannot issue are refused', async () => {
    assert.equal(roleValueFor('platform-team'), 'platform-team');
    assert.equal(roleValueFor('.hidden'), '_hidden');
    assert.equal(roleValueFor('ada@contoso.com'), 'ada_contoso.com', 'a claim match value AgentCore accepts');
    const long = roleValueFor('x'.repeat(200));
    assert.equal(long.length, 120);
    assert.notEqual(long, roleValueFor(`${'x'.repeat(199)}y`), 'two long names keep distinct values');
    assert.equal(roleValueFor('x'.repeat(200)), long, 'deterministic');
    const adapter = await createEntraAdapterFromOptions({ 'entra-tenant': '11111111-2222-4333-8444-555555555555' }, { logger: createMemoryLogger(), env: {} });
    assert.throws(() => adapter.accessSupport!({ scopes: ['openid'] }), (e: unknown) => e instanceof UsageError && /--require-scope openid/.test(e.message) && /access_as_user/.test(e.fix ?? ''));
    assert.throws(() => adapter.accessSupport!({ scopes: ['.x'] }), (e: unknown) => e instanceof UsageError && /not a scope name Entra accepts/.test(e.message));
    const appId = '99999999-aaaa-4bbb-8ccc-dddddddddddd';
    assert.throws(() => adapter.accessSupport!({ scopes: ['api://someone-else/read'] }, { clientId: appId, extras: {} }), (e: unknown) => e instanceof UsageError && /another API/.test(e.message));
    assert.deepEqual(adapter.accessSupport!({ scopes: [`api://${appId}/read`] }, { clientId: appId, extras: {} }).allowedScopes, ['read']);
  });
});

describe('Entra access rules against the stand-in (app roles, assignments, scopes)', { skip: NEED_OPENSSL }, () => {
  const made = async (t: Parameters<typeof rig>[0], o: Parameters<typeof rig>[1] = {}) => {
    const r = await rig(t, { roles: ACCESS_ROLES, ...o, standin: { ...DIRECTORY, ...o.standin } });
    await r.adapter.preflight(r.ctx);
    const app = await r.adapter.createApp(r.ctx, REQ);
    return { ...r, app, stored: [...r.sa.applications.values()][0]! };
  };

  test('--allow-group: one app role per name, the group or user assigned on the service principal, with Graph\'s documented bodies; tokens carry roles', async (t) => {
    const r = await made(t);
    const { sa, adapter, ctx, app, stored } = r;
    const policy = { ...parseAccessPolicy({ scopes: ['mcp.invoke'] }), groups: ['engineering', 'carol@contoso.onmicrosoft.com'] };
    await adapter.checkAccess!(ctx, policy);
    const from = sa.graphRequests().length;
    const created = await adapter.applyAccess!(ctx, app, policy);

    // Look-ups: the group by display name ($filter), the user by user principal name.
    const gets = sa.graphRequests().filter((q) => q.method === 'GET');
    assert.ok(gets.some((q) => q.path === '/v1.0/groups' && new URLSearchParams(q.query).get('$filter') === "displayName eq 'engineering'"));
    assert.ok(gets.some((q) => q.path === '/v1.0/users/carol%40contoso.onmicrosoft.com' || q.path === '/v1.0/users/carol@contoso.onmicrosoft.com'));

    // The roles: User-assignable, enabled, GUID ids, values from the names; access_as_user kept next to the new scope.
    const roles = stored.appRoles;
    assert.deepEqual(roles.map((x) => [x.value, x.isEnabled, x.allowedMemberTypes]), [['engineering', true, ['User']], ['carol_contoso.onmicrosoft.com', true, ['User']]]);
    for (const x of roles) assert.match(x.id, GUID);
    assert.deepEqual((stored.api.oauth2PermissionScopes as Array<{ value: string }>).map((x) => x.value), ['access_as_user', 'mcp.invoke']);
    assert.equal(stored.api.requestedAccessTokenVersion, 2, 'the API keeps v2 tokens (PATCH replaces api whole)');

    // What was sent: one PATCH with the whole appRoles array (no read-only origin), then one POST per assignment.
    const w = writes(sa, from);
    assert.deepEqual(w.map(shape), ['PATCH /v1.0/applications/{id}', 'POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo', 'POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo']);
    const patchBody = w[0]!.body as { appRoles: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(patchBody.appRoles[0]!).sort(), ['allowedMemberTypes', 'description', 'displayName', 'id', 'isEnabled', 'value']);
    const spId = app.extras.servicePrincipalId!;
    const eng = [...sa.groups.values()].find((g) => g.displayName === 'engineering')!;
    const carol = [...sa.users.values()].find((u) => u.userPrincipalName.startsWith('carol'))!;
    assert.deepEqual(w[1]!.body, { principalId: eng.id, resourceId: spId, appRoleId: roles[0]!.id });
    assert.deepEqual(w[2]!.body, { principalId: carol.id, resourceId: spId, appRoleId: roles[1]!.id });
    assert.deepEqual([...sa.assignments.values()].map((a) => [a.principalType, a.principalId]), [['Group', eng.id], ['User', carol.id]]);

    // The record: ids only, one entry per created thing.
    const assignmentIds = [...sa.assignments.keys()];
    const scopeId = (stored.api.oauth2PermissionScopes as Array<{ id: string; value: string }>).find((x) => x.value === 'mcp.invoke')!.id;
    assert.deepEqual(created, {
      appRoles: `${roles[0]!.id}:engineering ${roles[1]!.id}:carol_contoso.onmicrosoft.com`,
      roleAssignments: `${assignmentIds[0]}:${roles[0]!.id}:${eng.id} ${assignmentIds[1]}:${roles[1]!.id}:${carol.id}`,
      scopes: `${scopeId}:mcp.invoke`,
    });

    // Entra's tokens: alice (in engineering) and carol (assigned) carry the role; bob does not, and the gateway refuses him.
    assert.deepEqual(sa.rolesFor('alice@contoso.onmicrosoft.com', app.clientId), ['engineering']);
    assert.deepEqual(sa.rolesFor('carol@contoso.onmicrosoft.com', app.clientId), ['carol_contoso.onmicrosoft.com']);
    assert.deepEqual(sa.rolesFor('bob@contoso.onmicrosoft.com', app.clientId), []);
    const support = adapter.accessSupport!(policy, app);
    const z = authorizerWithAccess(adapter.recommendedAuthorizer(app, {}), policy, support);
    assert.deepEqual(evaluateAuthorizer(z, sa.userAccessTokenClaims('alice@contoso.onmicrosoft.com', app.clientId)), { allow: true });
    assert.deepEqual(evaluateAuthorizer(z, sa.userAccessTokenClaims('carol@contoso.onmicrosoft.com', app.clientId)), { allow: true });
    assert.equal(evaluateAuthorizer(z, sa.userAccessTokenClaims('bob@contoso.onmicrosoft.com', app.clientId)).allow, false);
    assert.match(r.logger.lines.join('\n'), /Assigned group engineering to app role engineering/);
    assertNoSecrets(r);
  });

  test('a re-run creates nothing new; a narrower policy removes only what it no longer names; removeAccess unassigns, disables, then removes', async (t) => {
    const r = await made(t);
    const { sa, adapter, ctx, app, stored } = r;
    const policy = parseAccessPolicy({ groups: ['engineering', 'sales'], scopes: ['mcp.invoke'] });
    const first = await adapter.applyAccess!(ctx, app, policy);
    const n = sa.graphRequests().length;
    const again = await adapter.applyAccess!(ctx, app, policy, first);
    assert.deepEqual(again, first);
    assert.deepEqual(writes(sa, n), [], 'nothing written on a re-run');
    assert.equal(stored.appRoles.length, 2);
    assert.equal(sa.assignments.size, 2);
    // A lost journal entry (no previous): still nothing duplicated, and our roles are recognised by their marker.
    const m = sa.graphRequests().length;
    assert.deepEqual(await adapter.applyAccess!(ctx, app, policy), first);
    assert.deepEqual(writes(sa, m), []);

    // sales dropped: its assignment goes, then its role is disabled, then removed; engineering is untouched.
    const k = sa.graphRequests().length;
    const narrower = await adapter.applyAccess!(ctx, app, parseAccessPolicy({ groups: ['engineering'], scopes: ['mcp.invoke'] }), first);
    assert.deepEqual(writes(sa, k).map(shape), ['DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment}', 'PATCH /v1.0/applications/{id}', 'PATCH /v1.0/applications/{id}']);
    const [disable, remove] = writes(sa, k).slice(1).map((q) => (q.body as { appRoles: Array<{ value: string; isEnabled: boolean }> }).appRoles);
    assert.deepEqual(disable!.map((x) => [x.value, x.isEnabled]), [['engineering', true], ['sales', false]]);
    assert.deepEqual(remove!.map((x) => x.value), ['engineering']);
    assert.deepEqual(stored.appRoles.map((x) => x.value), ['engineering']);
    assert.equal(sa.assignments.size, 1);
    assert.doesNotMatch(narrower.appRoles!, /sales/);

    // Cleanup: every assignment deleted first, then roles and the scope disabled in one PATCH and removed in the next.
    const c = sa.graphRequests().length;
    assert.equal(await adapter.removeAccess!(ctx, app, narrower), 'deleted');
    assert.deepEqual(writes(sa, c).map(shape), ['DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment}', 'PATCH /v1.0/applications/{id}', 'PATCH /v1.0/applications/{id}']);
    const disabled = writes(sa, c)[1]!.body as { appRoles: Array<{ isEnabled: boolean }>; api: { oauth2PermissionScopes: Array<{ value: string; isEnabled: boolean }>; requestedAccessTokenVersion: number } };
    assert.deepEqual(disabled.appRoles.map((x) => x.isEnabled), [false]);
    assert.deepEqual(disabled.api.oauth2PermissionScopes.map((x) => [x.value, x.isEnabled]), [['access_as_user', true], ['mcp.invoke', false]]);
    assert.equal(disabled.api.requestedAccessTokenVersion, 2);
    assert.deepEqual(stored.appRoles, []);
    assert.equal(sa.assignments.size, 0);
    assert.deepEqual((stored.api.oauth2PermissionScopes as Array<{ value: string }>).map((x) => x.value), ['access_as_user'], 'the app\'s own scope stays');
    assert.equal(sa.rolesFor('alice@contoso.onmicrosoft.com', app.clientId).length, 0);
    // Already gone counts as done; after the app is deleted too.
    assert.equal(await adapter.removeAccess!(ctx, app, narrower), 'gone');
    await adapter.deleteApp(ctx, app, { purge: true });
    assert.equal(await adapter.removeAccess!(ctx, app, first), 'gone');
    assertNoSecrets(r);
  });

  test('the stand-in holds Graph\'s rule: an enabled app role cannot be removed in one step (CannotDeleteOrUpdateEnabledEntitlement)', async (t) => {
    const r = await made(t);
    await r.adapter.applyAccess!(r.ctx, r.app, { groups: ['engineering'] });
    const token = await (await fetch(`${r.sa.origin}/${r.sa.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: ADMIN, client_secret: SECRET, scope: 'https://graph.microsoft.com/.default' }),
      dispatcher: await r.sa.dispatcher(),
    } as RequestInit)).json() as { access_token: string };
    const patch = async (body: unknown) => fetch(`${r.sa.graphUrl}/applications/${r.stored.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), dispatcher: await r.sa.dispatcher() } as RequestInit);
    const res = await patch({ appRoles: [] });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'CannotDeleteOrUpdateEnabledEntitlement');
    const withOrigin = await patch({ appRoles: r.stored.appRoles });
    assert.equal(withOrigin.status, 400, 'origin is read-only');
    assert.equal(r.stored.appRoles.length, 1);
  });

  test('a name that is no group or user stops before anything is changed, saying which and where to find the right one', async (t) => {
    const r = await made(t);
    const { sa, adapter, ctx, app, stored } = r;
    const from = sa.graphRequests().length;
    await assert.rejects(adapter.checkAccess!(ctx, { groups: ['enginering'] }), (e: unknown) => e instanceof CliError && e.code === 'not_found' && /no group named "enginering"/.test(e.message) && new RegExp(sa.tenantId).test(e.message) && /Groups > All groups/.test(e.fix ?? '') && /Object Id/.test(e.fix ?? ''));
    await assert.rejects(adapter.applyAccess!(ctx, app, { groups: ['engineering', 'dave@contoso.onmicrosoft.com'] }), (e: unknown) => e instanceof CliError && e.code === 'not_found' && /no user .* "dave@contoso\.onmicrosoft\.com"/.test(e.message) && /user principal name/.test(e.fix ?? ''));
    await assert.rejects(adapter.applyAccess!(ctx, app, { groups: ['twins'] }), (e: unknown) => e instanceof CliError && e.code === 'ambiguous' && /2 groups/.test(e.message) && /Object Id/.test(e.fix ?? ''));
    await assert.rejects(adapter.applyAccess!(ctx, app, { groups: ['0badc0de-0000-4000-8000-000000000000'] }), (e: unknown) => e instanceof CliError && e.code === 'not_found' && /object id/.test(e.message));
    assert.deepEqual(writes(sa, from), [], 'nothing written');
    assert.deepEqual(stored.appRoles, []);
    // A group's object id works where its name cannot be given (spaces).
    const spaced = sa.addGroup('Platform Team', ['erin@contoso.onmicrosoft.com']);
    await adapter.applyAccess!(ctx, app, { groups: [spaced.id] });
    assert.deepEqual(sa.rolesFor('erin@contoso.onmicrosoft.com', app.clientId), [spaced.id]);
  });

  test('403 names the Graph permission (AppRoleAssignment.ReadWrite.All, Group.Read.All, Application.ReadWrite.All); 429 says how long to wait', async (t) => {
    const noAssign = await made(t, { roles: [...ALL_ROLES, 'Group.Read.All'] });
    // Said at init's preflight (checkAccess), before anything is created...
    await assert.rejects(noAssign.adapter.checkAccess!(noAssign.ctx, { groups: ['engineering'] }), (e: unknown) => e instanceof CliError && e.code === 'forbidden' && /AppRoleAssignment\.ReadWrite\.All/.test(`${e.message} ${e.fix}`));
    // ...and by Graph's 403 if it gets that far.
    await assert.rejects(noAssign.adapter.applyAccess!(noAssign.ctx, noAssign.app, { groups: ['engineering'] }), (e: unknown) => e instanceof CliError && e.code === 'forbidden' && /AppRoleAssignment\.ReadWrite\.All/.test(e.fix ?? ''));
    const noGroups = await made(t, { roles: [...ALL_ROLES, 'AppRoleAssignment.ReadWrite.All'] });
    await assert.rejects(noGroups.adapter.checkAccess!(noGroups.ctx, { groups: ['engineering'] }), (e: unknown) => e instanceof CliError && e.code === 'forbidden' && /Group\.Read\.All/.test(e.fix ?? ''));
    const r = await made(t);
    r.sa.fail('PATCH', /^\/v1\.0\/applications\/[^/]+$/, 403, { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    await assert.rejects(r.adapter.applyAccess!(r.ctx, r.app, { groups: ['engineering'] }), (e: unknown) => e instanceof CliError && e.code === 'forbidden' && /Application\.ReadWrite\.All/.test(e.fix ?? ''));
    r.sa.fail('POST', /appRoleAssignedTo$/, 429, { code: 'TooManyRequests', message: 'Too many requests.', headers: { 'retry-after': '90' } });
    await assert.rejects(r.adapter.applyAccess!(r.ctx, r.app, { groups: ['engineering'] }), (e: unknown) => e instanceof CliError && e.code === 'rate_limited' && /wait 90 s/.test(`${e.message} ${e.fix}`));
    // Run again once Graph lets it: the role made before the 429 is reused, the assignment made once.
    const done = await r.adapter.applyAccess!(r.ctx, r.app, { groups: ['engineering'] });
    assert.equal(r.stored.appRoles.length, 1);
    assert.equal(r.sa.assignments.size, 1);
    assert.match(done.roleAssignments!, /:/);
  });
});
