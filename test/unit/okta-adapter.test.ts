/**
 * The Okta adapter against a stand-in Okta org (test/helpers/okta-standin.ts) that keeps state and checks every
 * request against Okta's OpenAPI documents: a request the real Management API would refuse fails these tests.
 * Also: Okta-shaped access tokens against the recommended gateway rule (src/authorizer/evaluate.ts), both admin
 * credentials (API token; service app with private_key_jwt and DPoP), and every refusal naming what to change.
 *
 * Run: npx tsc -p tsconfig.json && node --test dist/test/unit/okta-adapter.test.js
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { provider } from '../../providers/okta/index.js';
import type { AdapterContext, AppRecord, AppRequest, IdpAdapter, ProviderOptions } from '../../providers/types.js';
import { parseAccessPolicy, withAccessRules } from '../../src/authorizer/access.js';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import type { AskSpec, ChooseManySpec, Prompter } from '../../src/core/prompts.js';
import { startOktaStandin, type OktaStandin, type StandinOptions } from '../helpers/okta-standin.js';

const REDIRECT = 'http://localhost:3334/oauth/callback';
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const LIFETIMES = { accessTokenSeconds: 3600, refreshTokenSeconds: 90 * 86400, idTokenSeconds: 3600 };
const request = (over: Partial<AppRequest> = {}): AppRequest => ({ name: 'agentcore-auth default', redirectUris: [REDIRECT], scopes: SCOPES, lifetimes: LIFETIMES, ...over });

const open: OktaStandin[] = [];
let dir: string;

async function standin(o: StandinOptions = {}): Promise<OktaStandin> {
  const s = await startOktaStandin({ users: [{ login: 'jane@example.com' }], groups: [{ name: 'Engineering' }], ...o });
  open.push(s);
  return s;
}

function setup(s: OktaStandin, envOver: NodeJS.ProcessEnv = {}) {
  const logger = createMemoryLogger();
  const env: NodeJS.ProcessEnv = { OKTA_ORG_URL: s.orgUrl, OKTA_API_TOKEN: s.apiToken, HOME: dir, ...envOver };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const ctx: AdapterContext = { logger, env, timeoutMs: 5_000 };
  return { logger, env, ctx, adapter: (options: ProviderOptions = {}, prompter?: Prompter) => provider.createAdapter(options, { logger, env, prompter }) };
}

/** A Prompter that answers from a table (by flag; lists comma-separated) and records what was asked. */
function fakePrompter(answers: Record<string, string>, interactive = true): Prompter & { asked: Array<AskSpec | ChooseManySpec> } {
  const asked: Array<AskSpec | ChooseManySpec> = [];
  return {
    interactive,
    whyNot: '',
    asked,
    async ask<T extends string>(spec: AskSpec<T>): Promise<T> {
      asked.push(spec as AskSpec);
      return (answers[spec.flag] ?? spec.default ?? '') as T;
    },
    async chooseMany<T extends string>(spec: ChooseManySpec<T>): Promise<T[]> {
      asked.push(spec as ChooseManySpec);
      const names = (answers[spec.flag] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      return spec.choices.filter((c) => names.includes(c.name ?? c.value)).map((c) => c.value);
    },
    async confirm(): Promise<boolean> {
      return true;
    },
  };
}

async function made(s: OktaStandin, options: ProviderOptions = { 'okta-assign-group': ['Engineering'], 'okta-assign-user': ['jane@example.com'] }): Promise<{ adapter: IdpAdapter; app: AppRecord; ctx: AdapterContext; logger: ReturnType<typeof createMemoryLogger> }> {
  const { ctx, adapter, logger } = setup(s);
  const a = await adapter(options);
  await a.preflight(ctx);
  return { adapter: a, app: await a.createApp(ctx, request()), ctx, logger };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'okta-unit-'));
});
afterEach(async () => {
  // Every request the test made must have matched Okta's contract.
  const these = open.splice(0);
  await Promise.all(these.map((s) => s.close()));
  for (const s of these) assert.deepEqual(s.violations, [], 'requests the real Okta API would refuse');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createApp', () => {
  test('registers a native public client (PKCE, no secret) with exactly the redirect URI, assigns the users and groups, and scopes a 60 min / 90 d access policy to it', async () => {
    const s = await standin();
    const { app } = await made(s);

    assert.equal(s.apps.size, 1);
    const [appId, live] = [...s.apps.entries()][0]!;
    const oc = (live.credentials as { oauthClient: Record<string, unknown> }).oauthClient;
    const st = (live.settings as { oauthClient: Record<string, unknown> }).oauthClient;
    assert.equal(live.signOnMode, 'OPENID_CONNECT');
    assert.equal(live.status, 'ACTIVE');
    assert.equal(live.label, 'agentcore-auth default');
    assert.equal(oc.token_endpoint_auth_method, 'none');
    assert.equal(oc.pkce_required, true);
    assert.equal(st.application_type, 'native');
    assert.deepEqual(st.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(st.response_types, ['code']);
    assert.deepEqual(st.redirect_uris, [REDIRECT]);
    assert.deepEqual(st.refresh_token, { rotation_type: 'ROTATE', leeway: 30 });

    // Assigned: the group and the user (nobody else can sign in).
    const group = [...s.groups.values()].find((g) => (g.profile as { name: string }).name === 'Engineering')!;
    const user = [...s.users.values()][0]!;
    assert.deepEqual([...(s.appGroups.get(appId)?.keys() ?? [])], [group.id]);
    assert.deepEqual([...(s.appUsers.get(appId)?.keys() ?? [])], [user.id]);

    // One policy for this client only, first in line, with one rule holding the lifetimes.
    const policy = [...s.policies.values()][0]!;
    assert.equal(s.policies.size, 1);
    assert.equal(policy.authServerId, 'default');
    assert.equal(policy.priority, 1);
    assert.deepEqual((policy.conditions as { clients: { include: string[] } }).clients.include, [app.clientId]);
    const rule = [...s.rules.values()][0]!;
    assert.equal(rule.policyId, policy.id);
    assert.deepEqual((rule.actions as { token: unknown }).token, { accessTokenLifetimeMinutes: 60, refreshTokenLifetimeMinutes: 129600, refreshTokenWindowMinutes: 129600 });
    assert.deepEqual((rule.conditions as { grantTypes: unknown }).grantTypes, { include: ['authorization_code'] });

    // The record: everything cleanup needs, nothing secret.
    assert.equal(app.provider, 'okta');
    assert.equal(app.clientId, oc.client_id);
    assert.equal(app.issuer, `${s.orgUrl}/oauth2/default`);
    assert.equal(app.discoveryUrl, `${s.orgUrl}/oauth2/default/.well-known/openid-configuration`);
    assert.deepEqual(
      { ...app.extras },
      { orgUrl: s.orgUrl, appId, authServerId: 'default', policyId: policy.id, ruleId: rule.id, audience: 'api://default', assignedGroups: group.id, assignedUsers: user.id },
    );
    assert.equal(app.secrets, undefined);
    assert.ok(!JSON.stringify(app).includes(s.apiToken));
    // Every Management API call carried the API token as Okta wants it.
    assert.ok(s.calls.every((c) => c.auth === 'ssws'));
  });

  test('lifetimes outside Okta\'s ranges are usage errors naming the flag, and nothing is created', async () => {
    const s = await standin();
    const { ctx, adapter } = setup(s);
    const a = await adapter();
    await a.preflight(ctx);
    const cases: Array<[Partial<AppRequest['lifetimes']>, RegExp]> = [
      [{ accessTokenSeconds: 120 }, /--access-token-ttl: Okta allows .* from 5 to 1440 minutes/],
      [{ accessTokenSeconds: 2 * 86400 }, /--access-token-ttl/],
      [{ accessTokenSeconds: 3601 }, /--access-token-ttl: Okta sets .* in whole minutes/],
      [{ refreshTokenSeconds: 300 }, /--refresh-token-ttl: Okta allows .* from 10 to 2628000 minutes/],
      [{ refreshTokenSeconds: 1800, accessTokenSeconds: 3600 }, /--refresh-token-ttl .* shorter than --access-token-ttl/],
      [{ idTokenSeconds: 7200 }, /--id-token-ttl: Okta fixes ID tokens at 60 minutes/],
    ];
    for (const [l, re] of cases) {
      await assert.rejects(a.createApp(ctx, request({ lifetimes: { ...LIFETIMES, ...l } })), (err: unknown) => err instanceof UsageError && re.test(err.message), JSON.stringify(l));
    }
    assert.equal(s.calls.filter((c) => c.method !== 'GET').length, 0, 'no write reached Okta');
  });

  test('other lifetimes in range go onto the rule as given', async () => {
    const s = await standin();
    const { ctx, adapter } = setup(s);
    const a = await adapter();
    await a.preflight(ctx);
    await a.createApp(ctx, request({ lifetimes: { accessTokenSeconds: 15 * 60, refreshTokenSeconds: 7 * 86400, idTokenSeconds: 3600 } }));
    assert.deepEqual(([...s.rules.values()][0]!.actions as { token: unknown }).token, { accessTokenLifetimeMinutes: 15, refreshTokenLifetimeMinutes: 10080, refreshTokenWindowMinutes: 10080 });
  });

  test('a failure after the app exists removes what was made (app deactivated and deleted), so nothing is left behind', async () => {
    const s = await standin();
    const { ctx, adapter } = setup(s);
    const a = await adapter({ 'okta-assign-group': ['Engineering'] });
    await a.preflight(ctx);
    s.failNext({ method: 'POST', path: /\/rules$/, status: 500, body: { errorCode: 'E0000009', errorSummary: 'Internal Server Error' } });
    await assert.rejects(a.createApp(ctx, request()), (err: unknown) => err instanceof CliError && /removed again/.test(err.message) && err.code === 'rolled_back');
    assert.equal(s.apps.size, 0);
    assert.equal(s.policies.size, 0);
    assert.equal(s.appGroups.size, 0);
  });
});

describe('authorization servers', () => {
  test('the org authorization server is refused with the reason, by id and by issuer', async () => {
    const s = await standin();
    const { adapter } = setup(s);
    for (const options of [{ 'okta-auth-server': 'org' }, { issuer: s.orgUrl }, { issuer: `${s.orgUrl}/` }]) {
      await assert.rejects(adapter(options), (err: unknown) => {
        assert.ok(err instanceof UsageError, String(err));
        assert.match(err.message, /org authorization server/);
        assert.match(err.message, /nobody else can validate them/);
        assert.match(err.fix ?? '', /--okta-auth-server default/);
        return true;
      });
    }
    assert.equal(s.calls.length, 0);
  });

  test('a custom server named by --issuer or --okta-auth-server sets the issuer and the audience from the server', async () => {
    const s = await standin({ authServers: [{ id: 'default' }, { id: 'aus1mcp', name: 'mcp', audiences: ['api://mcp-tools'] }] });
    const { ctx, adapter } = setup(s);
    for (const options of [{ issuer: `${s.orgUrl}/oauth2/aus1mcp` }, { 'okta-auth-server': 'aus1mcp' }]) {
      const a = await adapter(options);
      assert.equal(a.tokenProfile().issuer, `${s.orgUrl}/oauth2/aus1mcp`);
      await a.preflight(ctx);
      const app = await a.createApp(ctx, request());
      assert.equal(app.issuer, `${s.orgUrl}/oauth2/aus1mcp`);
      assert.deepEqual(a.recommendedAuthorizer(app, {}).allowedAudience, ['api://mcp-tools']);
      assert.equal([...s.policies.values()].at(-1)!.authServerId, 'aus1mcp');
    }
  });

  test('an unknown server names the ones that exist; an org without custom servers is told why it needs one', async () => {
    const s = await standin({ authServers: [{ id: 'default' }, { id: 'aus2' }] });
    const { ctx, adapter } = setup(s);
    await assert.rejects((await adapter({ 'okta-auth-server': 'nope' })).preflight(ctx), (err: unknown) => err instanceof CliError && /no custom authorization server "nope"/.test(err.message) && /default, aus2/.test(err.fix ?? ''));

    const bare = await standin({ authServers: [] });
    const b = setup(bare);
    await assert.rejects((await b.adapter()).preflight(b.ctx), (err: unknown) => err instanceof CliError && /API Access Management/.test(err.fix ?? '') && /org authorization server cannot be used/.test(err.fix ?? ''));
  });

  test('an --audience the server does not issue is refused; an inactive server is refused', async () => {
    const s = await standin({ authServers: [{ id: 'default' }, { id: 'ausoff', status: 'INACTIVE' }] });
    const { ctx, adapter } = setup(s);
    await assert.rejects((await adapter({ audience: 'api://other' })).preflight(ctx), (err: unknown) => err instanceof UsageError && /--audience api:\/\/other/.test(err.message) && /"api:\/\/default"/.test(err.message));
    await assert.rejects((await adapter({ 'okta-auth-server': 'ausoff' })).preflight(ctx), (err: unknown) => err instanceof CliError && /is INACTIVE/.test(err.message));
  });

  test('interactive init lists the custom servers to choose from (default first), and the groups and users to assign, each by its flag', async () => {
    const s = await standin({ authServers: [{ id: 'default' }, { id: 'aus1mcp', name: 'mcp', audiences: ['api://mcp'] }] });
    const { ctx, adapter } = setup(s);
    const p = fakePrompter({ '--okta-auth-server': 'aus1mcp', '--okta-assign-group': 'Engineering, Everyone', '--okta-assign-user': 'jane@example.com' });
    const a = await adapter({}, p);
    const serverAsk = p.asked.find((x) => x.flag === '--okta-auth-server') as AskSpec;
    assert.deepEqual(serverAsk.choices?.map((c) => c.value), ['default', 'aus1mcp']);
    assert.equal(serverAsk.default, 'default');
    assert.equal(a.tokenProfile().issuer, `${s.orgUrl}/oauth2/aus1mcp`);
    await a.preflight({ ...ctx, prompter: p });
    assert.deepEqual(p.asked.map((x) => x.flag), ['--okta-auth-server', '--okta-assign-group', '--okta-assign-user']);
    const groupAsk = p.asked[1] as ChooseManySpec;
    assert.deepEqual(groupAsk.choices.map((c) => c.name).sort(), ['Engineering', 'Everyone']);
    await a.createApp(ctx, request());
    const appId = [...s.apps.keys()][0]!;
    assert.equal(s.appGroups.get(appId)?.size, 2);
    assert.equal(s.appUsers.get(appId)?.size, 1);
  });
});

describe('token profile and gateway rule', () => {
  test('Okta-shaped access tokens of this client pass the recommended rule; other clients, other servers and ID tokens do not', async () => {
    const s = await standin({ authServers: [{ id: 'default' }, { id: 'ausother', audiences: ['api://other'] }] });
    const { adapter, app } = await made(s);
    const rule = adapter.recommendedAuthorizer(app, {});
    assert.deepEqual(rule.allowedAudience, ['api://default']);
    assert.equal(rule.allowedClients, undefined, 'Okta access tokens have no client_id claim');
    assert.deepEqual(adapter.tokenProfile(app), { provider: 'okta', issuer: app.issuer, discoveryUrl: app.discoveryUrl, audienceClaim: 'aud', clientClaim: 'cid', scopeClaim: 'scp' });

    // The gateway's view: discovery -> issuer and keys -> verified claims -> the rule.
    const meta = (await (await fetch(rule.discoveryUrl)).json()) as { issuer: string; jwks_uri: string };
    assert.equal(meta.issuer, app.issuer);
    const keys = createRemoteJWKSet(new URL(meta.jwks_uri));
    const verify = async (token: string) => (await jwtVerify(token, keys, { issuer: meta.issuer })).payload as Record<string, unknown>;

    const ok = await verify(await s.mintAccessToken({ clientId: app.clientId }));
    assert.deepEqual(evaluateAuthorizer(rule, ok), { allow: true });

    const otherClient = await verify(await s.mintAccessToken({ clientId: '0oaSomeoneElse00000' }));
    const d1 = evaluateAuthorizer(rule, otherClient);
    assert.equal(d1.allow, false);
    assert.equal(!d1.allow && d1.rule, 'customClaims[0]');

    const otherServer = (await jwtVerify(await s.mintAccessToken({ clientId: app.clientId, authServerId: 'ausother' }), createRemoteJWKSet(new URL(`${s.issuer('ausother')}/v1/keys`)))).payload as Record<string, unknown>;
    const d2 = evaluateAuthorizer(rule, otherServer);
    assert.equal(!d2.allow && d2.rule, 'allowedAudience');

    // An ID token: aud is the client id and there is no cid.
    const idToken = await verify(await s.mintAccessToken({ clientId: app.clientId, claims: { aud: app.clientId, cid: undefined, scp: undefined } }));
    assert.equal(evaluateAuthorizer(rule, idToken).allow, false);
  });

  test('clientRequirements: the default scopes, no extra mcp-remote flags', async () => {
    const s = await standin();
    const { adapter, app } = await made(s, {});
    assert.deepEqual(adapter.clientRequirements(app, { scopes: [] }), { scopes: SCOPES, mcpRemoteArgs: [] });
    assert.deepEqual(adapter.clientRequirements(app, { scopes: ['openid', 'offline_access'] }).scopes, ['openid', 'offline_access']);
  });
});

describe('describe, revoke, delete', () => {
  test('describeApp reads the live app; null once it is gone', async () => {
    const s = await standin();
    const { adapter, app, ctx } = await made(s);
    assert.deepEqual(await adapter.describeApp(ctx, app), { clientId: app.clientId, redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token'] });
    await adapter.deleteApp(ctx, app);
    assert.equal(await adapter.describeApp(ctx, app), null);
  });

  test('updateRedirectUris (a re-run with another callback port): PUT sends the whole app back with only the redirect URI changed; 403 and gone are clear', async () => {
    const s = await standin();
    const { adapter, app, ctx } = await made(s);
    const appId = app.extras.appId!;
    // Settings init does not make, as an admin would change them in the Admin Console afterwards: a PUT that only
    // sent what init knows would lose them.
    const edited = s.apps.get(appId)! as Record<string, any>;
    edited.profile = { team: 'platform' };
    edited.visibility = { ...edited.visibility, hide: { iOS: false, web: false } };
    edited.accessibility = { ...edited.accessibility, errorRedirectUrl: 'https://app.example.com/error' };
    edited.settings = { ...edited.settings, notes: { admin: 'owned by the platform team' } };
    edited.settings.oauthClient = { ...edited.settings.oauthClient, post_logout_redirect_uris: ['https://app.example.com/signed-out'] };
    const before = structuredClone(edited);
    const uri = 'http://localhost:4999/oauth/callback';
    const updated = await adapter.updateRedirectUris!(ctx, app, [uri]);
    assert.equal(updated.clientId, app.clientId);
    const after = s.apps.get(appId)! as Record<string, any>;
    assert.deepEqual(after.settings.oauthClient.redirect_uris, [uri]);
    const strip = (a: Record<string, any>) => ({ ...a, lastUpdated: undefined, settings: { ...a.settings, oauthClient: { ...a.settings.oauthClient, redirect_uris: undefined } } });
    assert.deepEqual(strip(after), strip(before), 'every other setting is kept (a PUT replaces the app whole)');
    assert.equal((await adapter.describeApp(ctx, app))?.redirectUris[0], uri);
    assert.equal(s.apps.size, 1);

    s.failNext({ method: 'PUT', path: new RegExp(`^/api/v1/apps/${appId}$`), status: 403, body: { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' } });
    await assert.rejects(adapter.updateRedirectUris!(ctx, app, [REDIRECT]), (err: unknown) => err instanceof CliError && err.code === 'access_denied' && /changing the redirect URI/.test(err.message) && /administrator/.test(err.fix ?? ''));
    assert.deepEqual((s.apps.get(appId) as Record<string, any>).settings.oauthClient.redirect_uris, [uri], 'a refused update changes nothing');
    await adapter.deleteApp(ctx, app);
    await assert.rejects(adapter.updateRedirectUris!(ctx, app, [REDIRECT]), (err: unknown) => err instanceof CliError && err.code === 'not_found');
  });

  test('revoke posts both tokens to {issuer}/v1/revoke as the public client', async () => {
    const s = await standin();
    const { adapter, app, ctx } = await made(s);
    const refreshToken = s.issueRefreshToken(app.clientId);
    const accessToken = await s.mintAccessToken({ clientId: app.clientId });
    const r = await adapter.revoke(ctx, app, { refreshToken, accessToken });
    assert.deepEqual(r, { revoked: ['refresh_token', 'access_token'], notRevoked: [] });
    assert.ok(s.revoked.has(refreshToken) && s.revoked.has(accessToken));
    const revokes = s.calls.filter((c) => c.path === '/oauth2/default/v1/revoke');
    assert.deepEqual(revokes.map((c) => (c.body as Record<string, string>).token_type_hint), ['refresh_token', 'access_token']);
    assert.ok(revokes.every((c) => (c.body as Record<string, string>).client_id === app.clientId));
  });

  test('deleteApp: deactivates the app, deletes the rule and the policy, then the app (assignments go with it); again: gone', async () => {
    const s = await standin();
    const { adapter, app, ctx } = await made(s);
    const from = s.calls.length;
    assert.equal(await adapter.deleteApp(ctx, app), 'deleted');
    const { appId, policyId, ruleId } = app.extras;
    assert.deepEqual(
      s.calls.slice(from).map((c) => `${c.method} ${c.path} ${c.status}`),
      [
        `POST /api/v1/apps/${appId}/lifecycle/deactivate 200`,
        `DELETE /api/v1/authorizationServers/default/policies/${policyId}/rules/${ruleId} 204`,
        `DELETE /api/v1/authorizationServers/default/policies/${policyId} 204`,
        `DELETE /api/v1/apps/${appId} 204`,
      ],
    );
    assert.equal(s.apps.size + s.policies.size + s.rules.size + s.appUsers.size + s.appGroups.size, 0);
    assert.equal(await adapter.deleteApp(ctx, app), 'gone');
  });

  test('later commands work from the app record alone (no org flag), and refuse credentials of another org', async () => {
    const s = await standin();
    const { app } = await made(s);
    const later = setup(s, { OKTA_ORG_URL: undefined });
    const a = await later.adapter({});
    assert.ok(await a.describeApp(later.ctx, app));
    const wrong = setup(s, { OKTA_ORG_URL: 'https://other.okta.com' });
    await assert.rejects((await wrong.adapter({})).deleteApp(wrong.ctx, app), (err: unknown) => err instanceof CliError && err.code === 'credentials' && err.message.includes(s.orgUrl));
    assert.equal(s.apps.size, 1);
    assert.equal(await a.deleteApp(later.ctx, app), 'deleted');
  });
});

describe('assignments', () => {
  test('an unknown user or group is a usage error naming the flag, before anything is created', async () => {
    const s = await standin();
    const { ctx, adapter } = setup(s);
    await assert.rejects((await adapter({ 'okta-assign-user': ['nobody@example.com'] })).preflight(ctx), (err: unknown) => err instanceof UsageError && /--okta-assign-user "nobody@example.com"/.test(err.message));
    await assert.rejects((await adapter({ 'okta-assign-group': ['Nope'] })).preflight(ctx), (err: unknown) => err instanceof UsageError && /--okta-assign-group "Nope"/.test(err.message));
    assert.equal(s.calls.filter((c) => c.method !== 'GET').length, 0);
  });

  test('a group name two groups share asks for the id; ids work directly', async () => {
    const s = await standin({ groups: [{ name: 'Ops', id: '00gOpsOne0000000000' }, { name: 'Ops', id: '00gOpsTwo0000000000' }] });
    const { ctx, adapter } = setup(s);
    await assert.rejects((await adapter({ 'okta-assign-group': ['Ops'] })).preflight(ctx), (err: unknown) => err instanceof UsageError && /00gOpsOne0000000000, 00gOpsTwo0000000000/.test(err.fix ?? ''));
    const a = await adapter({ 'okta-assign-group': ['00gOpsTwo0000000000'] });
    await a.preflight(ctx);
    await a.createApp(ctx, request());
    assert.deepEqual([...[...s.appGroups.values()][0]!.keys()], ['00gOpsTwo0000000000']);
  });

  test('no assignment: a warning that only assigned users and groups can sign in', async () => {
    const s = await standin();
    const { ctx, adapter, logger } = setup(s);
    await (await adapter({})).preflight(ctx);
    assert.ok(logger.lines.some((l) => /^! No Okta users or groups to assign: only users and groups assigned to the app can sign in/.test(l)), logger.lines.join('\n'));
    assert.ok(logger.lines.some((l) => /ID tokens last 60 minutes \(fixed by Okta\)/.test(l)));
  });
});

describe('admin credentials and refusals', () => {
  test('missing credentials name every env var; a wrong token is a 401 naming OKTA_API_TOKEN; nothing prints the token', async () => {
    const s = await standin();
    const none = setup(s, { OKTA_API_TOKEN: undefined });
    await assert.rejects((await none.adapter()).preflight(none.ctx), (err: unknown) => err instanceof CliError && err.code === 'credentials' && /OKTA_API_TOKEN/.test(err.fix ?? '') && /OKTA_OAUTH_CLIENT_ID/.test(err.fix ?? '') && /OKTA_OAUTH_PRIVATE_KEY_FILE/.test(err.fix ?? ''));
    const bad = setup(s, { OKTA_API_TOKEN: '00notTheRightTokenAtAll0000000000' });
    await assert.rejects((await bad.adapter()).preflight(bad.ctx), (err: unknown) => {
      assert.ok(err instanceof CliError && err.code === 'credentials');
      assert.match(err.message, /HTTP 401/);
      assert.match(err.fix ?? '', /OKTA_API_TOKEN is invalid/);
      assert.ok(!`${err.message}${err.fix}`.includes('00notTheRightTokenAtAll'));
      return true;
    });
    assert.ok(!bad.logger.lines.join('\n').includes('00notTheRightTokenAtAll'));
    // A half-set service app is named too.
    const half = setup(s, { OKTA_API_TOKEN: undefined, OKTA_OAUTH_CLIENT_ID: '0oasvc' });
    await assert.rejects((await half.adapter()).preflight(half.ctx), (err: unknown) => err instanceof CliError && /OKTA_OAUTH_PRIVATE_KEY_FILE is not/.test(err.message));
    // No org at all during init (non-interactive): named.
    const noOrg = setup(s, { OKTA_ORG_URL: undefined });
    await assert.rejects(noOrg.adapter({}, fakePrompter({}, false)), (err: unknown) => err instanceof CliError && /--okta-org-url or set OKTA_ORG_URL/.test(err.message));
  });

  test('a 403 names the missing permission; a 429 says to wait; the org URL is checked', async () => {
    const s = await standin();
    const { ctx, adapter } = setup(s);
    const a = await adapter();
    await a.preflight(ctx);
    s.failNext({ method: 'POST', path: /^\/api\/v1\/apps$/, status: 403, body: { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' } });
    await assert.rejects(a.createApp(ctx, request()), (err: unknown) => err instanceof CliError && err.code === 'access_denied' && /create, assign, deactivate and delete apps/.test(err.message) && /administrator/.test(err.fix ?? ''));
    s.failNext({ method: 'GET', path: /^\/api\/v1\/authorizationServers\/default$/, status: 429, headers: { 'X-Rate-Limit-Reset': String(Math.floor(Date.now() / 1000) + 30) }, times: 10 });
    await assert.rejects((await adapter()).preflight(ctx), (err: unknown) => err instanceof CliError && err.code === 'rate_limited' && /wait \d+ s and run the command again/.test(err.fix ?? ''));
    assert.equal(s.apps.size, 0);

    for (const [url, re] of [['http://acme.okta.com', /not https/], ['https://acme-admin.okta.com', /Admin Console host/], ['https://acme.okta.com/oauth2/default', /--okta-auth-server default/]] as const) {
      await assert.rejects(adapter({ 'okta-org-url': url }), (err: unknown) => err instanceof UsageError && re.test(`${err.message} ${err.fix}`), url);
    }
  });

  for (const requireDpop of [true, false]) {
    test(`a service app (private_key_jwt${requireDpop ? ', DPoP-bound tokens' : ', bearer tokens'}) creates, updates and deletes the app with one token`, async () => {
      // RSA (RS256) for one, EC P-256 (ES256) for the other: both are what Okta's private_key_jwt takes.
      const { privateKey, publicKey } = requireDpop ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const keyFile = join(dir, `sa-${requireDpop}.pem`);
      await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      const s = await standin({
        serviceApps: [
          { clientId: '0oaServiceApp000000', publicJwk: { ...publicKey.export({ format: 'jwk' }), kid: 'key-1' }, scopes: ['okta.apps.manage', 'okta.authorizationServers.manage', 'okta.groups.read'], requireDpop },
          { clientId: '0oaServiceApp00000n', publicJwk: { ...publicKey.export({ format: 'jwk' }), kid: 'key-1' }, scopes: ['okta.authorizationServers.manage'], requireDpop },
        ],
      });
      const env = { OKTA_API_TOKEN: undefined, OKTA_OAUTH_CLIENT_ID: '0oaServiceApp000000', OKTA_OAUTH_PRIVATE_KEY_FILE: keyFile, OKTA_OAUTH_KEY_ID: 'key-1' };
      const { ctx, adapter } = setup(s, env);
      const a = await adapter({ 'okta-assign-group': ['Engineering'] });
      await a.preflight(ctx);
      const app = await a.createApp(ctx, request());
      await a.updateRedirectUris!(ctx, app, ['http://localhost:4999/oauth/callback']);
      assert.deepEqual((s.apps.get(app.extras.appId!) as Record<string, any>).settings.oauthClient.redirect_uris, ['http://localhost:4999/oauth/callback']);
      // The access policy's claim and scope, with the same token (okta.authorizationServers.manage covers them).
      await a.checkAccess!(ctx, { groups: ['Engineering'] });
      const access = await a.applyAccess!(ctx, app, { groups: ['Engineering'], scopes: ['mcp:invoke'] });
      assert.equal(s.claims.size, 1);
      assert.equal(await a.removeAccess!(ctx, app, access), 'deleted');
      assert.equal(await a.deleteApp(ctx, app), 'deleted');
      const api = s.calls.filter((c) => c.path.startsWith('/api/'));
      assert.ok(api.every((c) => c.auth === (requireDpop ? 'dpop' : 'bearer') && c.status < 300), api.map((c) => `${c.method} ${c.path} ${c.status} ${c.auth}`).join('\n'));
      const tokens = s.calls.filter((c) => c.path === '/oauth2/v1/token');
      assert.equal(tokens.filter((c) => c.status === 200).length, 1, 'one token for the whole run');
      assert.equal((tokens[0]!.body as Record<string, string>).scope, 'okta.apps.manage okta.authorizationServers.manage okta.groups.read');
      assert.equal(s.apps.size, 0);

      // A scope the app was not granted is named, with where to grant it.
      const b = await adapter({ 'okta-assign-user': ['jane@example.com'] });
      await assert.rejects(b.preflight(ctx), (err: unknown) => err instanceof CliError && err.code === 'access_denied' && /may not request okta\.users\.read/.test(err.message) && /Okta API Scopes/.test(err.fix ?? ''));
      // A re-run by a service app that may not manage apps: the scope is named.
      const narrow = setup(s, { ...env, OKTA_OAUTH_CLIENT_ID: '0oaServiceApp00000n' });
      await assert.rejects((await narrow.adapter()).updateRedirectUris!(narrow.ctx, app, [REDIRECT]), (err: unknown) => err instanceof CliError && err.code === 'access_denied' && /okta\.apps\.manage/.test(`${err.message} ${err.fix}`));
    });
  }

  test('a service app key that is not the registered one is refused naming the key file', async () => {
    const registered = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(dir, 'wrong.json');
    await writeFile(keyFile, JSON.stringify(other.privateKey.export({ format: 'jwk' })), { mode: 0o600 });
    const s = await standin({ serviceApps: [{ clientId: '0oaServiceApp000001', publicJwk: registered.publicKey.export({ format: 'jwk' }), scopes: ['okta.apps.manage', 'okta.authorizationServers.manage'] }] });
    const { ctx, adapter } = setup(s, { OKTA_API_TOKEN: undefined, OKTA_OAUTH_CLIENT_ID: '0oaServiceApp000001', OKTA_OAUTH_PRIVATE_KEY_FILE: keyFile });
    await assert.rejects((await adapter()).preflight(ctx), (err: unknown) => err instanceof CliError && err.code === 'credentials' && /client assertion/.test(err.message) && /OKTA_OAUTH_PRIVATE_KEY_FILE/.test(err.fix ?? ''));
    const notAKey = join(dir, 'not-a-key.pem');
    await writeFile(notAKey, 'hello');
    const n = setup(s, { OKTA_API_TOKEN: undefined, OKTA_OAUTH_CLIENT_ID: '0oaServiceApp000001', OKTA_OAUTH_PRIVATE_KEY_FILE: notAKey });
    await assert.rejects((await n.adapter()).preflight(n.ctx), (err: unknown) => err instanceof CliError && /not a private key in PEM or JWK form/.test(err.message));
  });
});

describe('the stand-in refuses what Okta refuses (so these tests can fail)', () => {
  test('typos, wrong enums, missing fields, read-only fields, undeclared query parameters, unknown paths, deleting an active app', async () => {
    const s = await standin();
    const h = { authorization: `SSWS ${s.apiToken}`, 'content-type': 'application/json' };
    const good = () => ({ name: 'oidc_client', label: 'x', signOnMode: 'OPENID_CONNECT', credentials: { oauthClient: { token_endpoint_auth_method: 'none', pkce_required: true } }, settings: { oauthClient: { application_type: 'native', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT] } } });
    const post = async (mutate: (b: ReturnType<typeof good>) => void, path = '/api/v1/apps') => {
      const b = good();
      mutate(b);
      const before = s.violations.length;
      const r = await fetch(`${s.orgUrl}${path}`, { method: 'POST', headers: h, body: JSON.stringify(b) });
      return { status: r.status, violations: s.violations.splice(before) };
    };
    const cases: Array<[string, (b: any) => void, RegExp, string?]> = [
      ['typo', (b) => (b.credentials.oauthClient.pkceRequired = true), /pkceRequired is not a property/],
      ['enum', (b) => (b.settings.oauthClient.application_type = 'desktop'), /application_type is "desktop", not one of/],
      ['grant enum', (b) => (b.settings.oauthClient.grant_types = ['authorization-code']), /grant_types\[0\]/],
      ['required', (b) => delete b.label, /body\.label is required/],
      ['read-only', (b) => (b.id = '0oa1'), /body\.id is read-only/],
      ['type', (b) => (b.credentials.oauthClient.pkce_required = 'true'), /must be a boolean/],
      ['web needs a secret', (b) => (b.settings.oauthClient.application_type = 'web'), /web needs client authentication/],
      ['query', () => undefined, /query parameter "activated" is not declared/, '/api/v1/apps?activated=true'],
    ];
    for (const [name, mutate, re, path] of cases) {
      const r = await post(mutate, path);
      assert.equal(r.status, 400, name);
      assert.ok(r.violations.some((v) => re.test(v)), `${name}: ${r.violations.join(' | ')}`);
    }
    const before = s.violations.length;
    assert.equal((await fetch(`${s.orgUrl}/api/v1/applications`, { headers: h })).status, 404);
    assert.equal((await fetch(`${s.orgUrl}/api/v1/apps`, { method: 'PATCH', headers: h })).status, 405);
    assert.equal(s.violations.splice(before).length, 2);

    const created = (await (await fetch(`${s.orgUrl}/api/v1/apps`, { method: 'POST', headers: h, body: JSON.stringify(good()) })).json()) as { id: string };
    const del = await fetch(`${s.orgUrl}/api/v1/apps/${created.id}`, { method: 'DELETE', headers: h });
    assert.equal(del.status, 403, 'an active app cannot be deleted');
    assert.equal(s.apps.size, 1);
  });
});

describe('the Okta SDK: isolated from its implicit configuration, on our transport, loaded lazily', () => {
  /** Puts okta.yaml files in a temp HOME and cwd and OKTA_CLIENT_* in process.env; undone by the returned function. */
  async function plantSdkConfig(yaml: string, processEnv: Record<string, string>): Promise<{ home: string; cwd: string; restore: () => void }> {
    const home = await mkdtemp(join(dir, 'home-'));
    const cwd = await mkdtemp(join(dir, 'cwd-'));
    await mkdir(join(home, '.okta'), { recursive: true });
    await writeFile(join(home, '.okta', 'okta.yaml'), yaml, { mode: 0o600 });
    await writeFile(join(cwd, 'okta.yaml'), yaml, { mode: 0o600 });
    const saved = { HOME: process.env.HOME, cwd: process.cwd(), env: Object.fromEntries(Object.keys(processEnv).map((k) => [k, process.env[k]])) };
    process.env.HOME = home;
    process.chdir(cwd);
    Object.assign(process.env, processEnv);
    return {
      home,
      cwd,
      restore: () => {
        process.chdir(saved.cwd);
        if (saved.HOME === undefined) delete process.env.HOME;
        else process.env.HOME = saved.HOME;
        for (const [k, v] of Object.entries(saved.env)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      },
    };
  }

  test('~/.okta/okta.yaml, ./okta.yaml and OKTA_CLIENT_* pointing elsewhere are ignored: only the configured org sees requests, with the configured token', async () => {
    const s = await standin();
    const decoy = await standin();
    const yaml = `okta:\n  client:\n    orgUrl: "${decoy.orgUrl}"\n    token: "${decoy.apiToken}"\n    authorizationMode: "SSWS"\n    userAgent: "from-yaml"\n`;
    const planted = await plantSdkConfig(yaml, { OKTA_CLIENT_ORGURL: decoy.orgUrl, OKTA_CLIENT_TOKEN: decoy.apiToken, OKTA_CLIENT_AUTHORIZATIONMODE: 'SSWS' });
    try {
      // The trap is real: the SDK's own Client picks the decoy up from the files and env on its own.
      const sdk = (await import('@okta/okta-sdk-nodejs')) as unknown as { default?: { Client: new () => { baseUrl: string } }; Client: new () => { baseUrl: string } };
      const Client = sdk.default?.Client ?? sdk.Client;
      assert.equal(new Client().baseUrl, decoy.orgUrl);

      // The adapter, given the whole process env (as the CLI does) plus its own settings, talks to s alone.
      const { ctx, adapter } = setup(s, { ...process.env, OKTA_ORG_URL: s.orgUrl, OKTA_API_TOKEN: s.apiToken, HOME: planted.home });
      const a = await adapter({ 'okta-assign-group': ['Engineering'] });
      await a.preflight(ctx);
      const app = await a.createApp(ctx, request());
      assert.ok(await a.describeApp(ctx, app));
      assert.equal(await a.deleteApp(ctx, app), 'deleted');
      assert.deepEqual(decoy.calls, [], 'nothing went to the org named by okta.yaml / OKTA_CLIENT_ORGURL');
      const api = s.calls.filter((c) => c.path.startsWith('/api/'));
      assert.ok(api.length >= 8);
      assert.ok(api.every((c) => c.auth === 'ssws' && c.status < 300), api.map((c) => `${c.method} ${c.path} ${c.status}`).join('\n'));

      // With no OKTA_* credential, the files are still not read: the error says how to opt in.
      const none = setup(s, { ...process.env, OKTA_ORG_URL: s.orgUrl, OKTA_API_TOKEN: undefined, HOME: planted.home });
      await assert.rejects((await none.adapter()).preflight(none.ctx), (err: unknown) => err instanceof CliError && err.code === 'credentials' && /--okta-use-config-file/.test(err.fix ?? '') && !(err.fix ?? '').includes(decoy.apiToken));
      assert.deepEqual(decoy.calls, []);
    } finally {
      planted.restore();
    }
  });

  test('--okta-use-config-file (or OKTA_USE_CONFIG_FILE=1) lets the SDK config fill in what OKTA_* does not set: API token, or a service app key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const s = await standin({
      serviceApps: [{ clientId: '0oaYamlServiceApp00', publicJwk: { ...publicKey.export({ format: 'jwk' }), kid: 'yaml-key' }, scopes: ['okta.apps.manage', 'okta.authorizationServers.manage'], requireDpop: true }],
    });
    const home = await mkdtemp(join(dir, 'opt-in-'));
    await mkdir(join(home, '.okta'), { recursive: true });
    const yamlFile = join(home, '.okta', 'okta.yaml');
    await writeFile(yamlFile, `okta:\n  client:\n    orgUrl: "${s.orgUrl}"\n    token: "${s.apiToken}"\n`, { mode: 0o600 });
    const env = { OKTA_ORG_URL: undefined, OKTA_API_TOKEN: undefined, HOME: home };
    for (const [how, options, extra] of [
      ['flag', { 'okta-use-config-file': true }, {}],
      ['env', {}, { OKTA_USE_CONFIG_FILE: '1' }],
    ] as const) {
      const { ctx, adapter } = setup(s, { ...env, ...extra });
      const a = await adapter(options);
      await a.preflight(ctx);
      assert.equal(a.tokenProfile().issuer, `${s.orgUrl}/oauth2/default`, how);
    }
    assert.ok(s.calls.filter((c) => c.path.startsWith('/api/')).every((c) => c.auth === 'ssws'));

    // A service app (authorizationMode PrivateKey, the key inline), the org from OKTA_CLIENT_ORGURL of the adapter's env.
    const pem = (privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).replace(/\n/g, '\n      ');
    await writeFile(yamlFile, `okta:\n  client:\n    authorizationMode: PrivateKey\n    clientId: 0oaYamlServiceApp00\n    keyId: yaml-key\n    privateKey: |\n      ${pem}\n`, { mode: 0o600 });
    const sa = setup(s, { ...env, OKTA_CLIENT_ORGURL: s.orgUrl });
    const before = s.calls.length;
    await (await sa.adapter({ 'okta-use-config-file': true })).preflight(sa.ctx);
    const api = s.calls.slice(before).filter((c) => c.path.startsWith('/api/'));
    assert.ok(api.length > 0 && api.every((c) => c.auth === 'dpop' && c.status < 300), api.map((c) => `${c.method} ${c.path} ${c.status} ${c.auth}`).join('\n'));

    // A broken okta.yaml, when asked for, is named (and its content not echoed).
    await writeFile(yamlFile, `okta:\n  client:\n    token: [unclosed\n`, { mode: 0o600 });
    const broken = setup(s, { ...env, OKTA_ORG_URL: s.orgUrl });
    await assert.rejects(broken.adapter({ 'okta-use-config-file': true }).then((a) => a.preflight(broken.ctx)), (err: unknown) => err instanceof CliError && err.message.includes(yamlFile) && /not valid okta\.yaml/.test(err.message));
  });

  test('SDK requests go through src/core/http.ts: a 503 on a GET is retried, a lost POST is reported as outcome unknown, not repeated', async () => {
    const s = await standin();
    const { ctx, adapter } = setup(s);
    const a = await adapter();
    s.failNext({ method: 'GET', path: /^\/api\/v1\/authorizationServers\/default$/, status: 503, body: { errorCode: 'E0000009', errorSummary: 'Internal Server Error' } });
    await a.preflight(ctx);
    assert.deepEqual(s.calls.filter((c) => c.path === '/api/v1/authorizationServers/default').map((c) => c.status), [503, 200]);

    // A POST whose answer never comes: the shared timeout fires, and it is not sent twice.
    const { createServer } = await import('node:http');
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const posts: number[] = [];
    hang.on('request', () => posts.push(Date.now()));
    try {
      const port = (hang.address() as { port: number }).port;
      const { OktaApi } = await import('../../providers/okta/api.js');
      const api = new OktaApi(`http://127.0.0.1:${port}`, { kind: 'ssws', token: 'x' }, { timeoutMs: 300, logger: ctx.logger });
      await assert.rejects(
        api.call({ scope: 'okta.apps.manage', purpose: 'creating the OIDC app', unknownOutcomeFix: 'Look for the app in the Admin Console.' }, (sdk) =>
          sdk.applicationApi.createApplication({ application: { name: 'oidc_client', label: 'x', signOnMode: 'OPENID_CONNECT' } as never }),
        ),
        (err: unknown) => err instanceof CliError && err.code === 'outcome_unknown' && /Admin Console/.test(err.fix ?? ''),
      );
      assert.equal(posts.length, 1);
    } finally {
      hang.closeAllConnections();
      await new Promise((r) => hang.close(r));
    }
  });

  test('the SDK is loaded on the first API call, not by the provider module or createAdapter', async () => {
    const s = await standin();
    const { execFile } = await import('node:child_process');
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(${JSON.stringify(new URL('../../providers/okta/api.js', import.meta.url).href)});
      const sdkEntry = require.resolve('@okta/okta-sdk-nodejs');
      const loaded = () => Object.keys(require.cache).includes(sdkEntry);
      const { provider } = await import(${JSON.stringify(new URL('../../providers/okta/index.js', import.meta.url).href)});
      const logger = { debug() {}, info() {}, warn() {}, error() {}, success() {}, step() {} };
      const env = { OKTA_ORG_URL: ${JSON.stringify(s.orgUrl)}, OKTA_API_TOKEN: ${JSON.stringify(s.apiToken)} };
      const a = await provider.createAdapter({}, { logger, env });
      const before = loaded();
      await a.preflight({ logger, env, timeoutMs: 5000 });
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { before: false, after: true });
  });
});

describe('access policy (issue 13): a groups claim and custom scopes on the authorization server', () => {
  const CLAIMS = /^\/api\/v1\/authorizationServers\/default\/claims/;
  const SCOPES_PATH = /^\/api\/v1\/authorizationServers\/default\/scopes/;
  const writes = (s: OktaStandin, from: number, re: RegExp) => s.calls.slice(from).filter((c) => c.method !== 'GET' && re.test(c.path)).map((c) => `${c.method} ${c.path.replace(/\/[^/]+$/, (m) => (/^\/(claims|scopes)$/.test(m) ? m : '/{id}'))} ${c.status}`);
  const people = { users: [{ login: 'jane@example.com', groups: ['engineering'] }, { login: 'bob@example.com', groups: ['sales'] }, { login: 'pat@example.com', groups: ['platform', 'sales'] }], groups: [{ name: 'Engineering' }, { name: 'engineering' }, { name: 'platform' }] };
  /** An admin request straight to the stand-in (as another admin would make it), contract-checked like ours. */
  const admin = async (s: OktaStandin, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${s.orgUrl}${path}`, { method, headers: { authorization: `SSWS ${s.apiToken}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: r.status === 204 ? undefined : ((await r.json()) as Record<string, unknown>) };
  };

  test('accessSupport: the groups claim and the IdP changes in words, without contacting Okta; okta.* scopes are refused naming the flag', async () => {
    const s = await standin();
    const { adapter } = setup(s);
    const a = await adapter({ 'okta-auth-server': 'default' });
    const sup = a.accessSupport!(parseAccessPolicy({ groups: ['engineering', 'platform'], scopes: ['mcp:invoke'], claims: ['department=eng'] }));
    assert.deepEqual(sup.groupClaim, { claim: 'groups' });
    assert.deepEqual(sup.idpChanges, [
      'a "groups" claim in access tokens on authorization server default, listing only engineering, platform',
      'custom scope mcp:invoke on authorization server default (created when missing)',
    ]);
    assert.ok(sup.notes?.some((n) => /"department"/.test(n) && /does not create it/.test(n)), JSON.stringify(sup.notes));
    // The server of the app record wins over the flag's.
    assert.match(a.accessSupport!({ groups: ['x'] }, { clientId: 'c', extras: { authServerId: 'aus9' } }).idpChanges[0]!, /authorization server aus9/);
    assert.deepEqual(a.accessSupport!({ claims: [{ claim: 'dept', op: 'EQUALS', values: ['x'] }] }).idpChanges, []);
    assert.throws(() => a.accessSupport!({ scopes: ['okta.users.read'] }), (err: unknown) => err instanceof UsageError && /--require-scope okta\.users\.read/.test(err.message));
    assert.equal(s.calls.length, 0, 'pure: nothing reached Okta');
  });

  test('checkAccess: each --allow-group must be an Okta group spelled as Okta spells it', async () => {
    const s = await standin({ groups: [{ name: 'Engineering' }, { name: 'platform' }] });
    const { ctx, adapter } = setup(s);
    const a = await adapter();
    await a.checkAccess!(ctx, { groups: ['Engineering', 'platform'] });
    await assert.rejects(a.checkAccess!(ctx, { groups: ['engineering'] }), (err: unknown) => err instanceof UsageError && /named "Engineering"/.test(err.message) && /--allow-group Engineering/.test(err.fix ?? ''));
    await assert.rejects(a.checkAccess!(ctx, { groups: ['nobody'] }), (err: unknown) => err instanceof UsageError && /--allow-group nobody: no Okta group/.test(err.message));
  });

  test('applyAccess creates exactly one access-token groups claim (REGEX of the named groups) and only the missing scopes; tokens then carry the groups the gateway rule reads', async () => {
    const s = await standin(people);
    const { adapter, app, ctx } = await made(s);
    const from = s.calls.length;
    const policy = parseAccessPolicy({ groups: ['engineering', 'platform'], scopes: ['mcp:invoke', 'openid'] });
    const ids = await adapter.applyAccess!(ctx, app, policy);

    assert.deepEqual(writes(s, from, /\/(claims|scopes)/), ['POST /api/v1/authorizationServers/default/claims 201', 'POST /api/v1/authorizationServers/default/scopes 201']);
    const claimPost = s.calls.slice(from).find((c) => c.method === 'POST' && CLAIMS.test(c.path))!;
    assert.deepEqual(claimPost.body, {
      name: 'groups',
      status: 'ACTIVE',
      claimType: 'RESOURCE',
      valueType: 'GROUPS',
      group_filter_type: 'REGEX',
      value: '^(engineering|platform)$',
      alwaysIncludeInToken: true,
      conditions: { scopes: [] },
    });
    const scopePost = s.calls.slice(from).find((c) => c.method === 'POST' && SCOPES_PATH.test(c.path))!;
    const sb = scopePost.body as Record<string, unknown>;
    assert.equal(sb.name, 'mcp:invoke');
    assert.equal(sb.consent, 'IMPLICIT', 'no consent screen for a scope the gateway requires');
    assert.equal(sb.metadataPublish, 'ALL_CLIENTS', 'advertised in the server\'s discovery');
    assert.match(String(sb.description), new RegExp(`client ${app.clientId}`));

    const claim = [...s.claims.values()][0]!;
    const scope = [...s.scopes.values()].find((x) => x.name === 'mcp:invoke')!;
    assert.deepEqual(ids, { groupsClaimId: claim.id, scopeIds: scope.id }, 'only what was created is returned (openid existed)');
    const md = (await (await fetch(app.discoveryUrl)).json()) as { scopes_supported: string[] };
    assert.ok(md.scopes_supported.includes('mcp:invoke'));

    // The gateway's view: jane (engineering) and pat (platform) pass the rule; bob (sales) carries no groups claim.
    const rule = withAccessRules(adapter.recommendedAuthorizer(app, {}), { groups: policy.groups }, adapter.accessSupport!(policy).groupClaim);
    const keys = createRemoteJWKSet(new URL(`${app.issuer}/v1/keys`));
    const claimsOf = async (sub: string) => (await jwtVerify(await s.mintAccessToken({ clientId: app.clientId, sub }), keys, { issuer: app.issuer })).payload as Record<string, unknown>;
    const jane = await claimsOf('jane@example.com');
    assert.deepEqual(jane.groups, ['engineering'], 'only the listed groups, as Okta spells them (not "Engineering", not Everyone)');
    assert.deepEqual(evaluateAuthorizer(rule, jane), { allow: true });
    const pat = await claimsOf('pat@example.com');
    assert.deepEqual(pat.groups, ['platform']);
    assert.equal(evaluateAuthorizer(rule, pat).allow, true);
    const bob = await claimsOf('bob@example.com');
    assert.equal(bob.groups, undefined);
    assert.equal(evaluateAuthorizer(rule, bob).allow, false);

    // One group: still an exact, case-sensitive filter; a dot in a name is escaped.
    const one = await adapter.applyAccess!(ctx, app, { groups: ['eng.ops'] }, ids);
    assert.equal([...s.claims.values()][0]!.value, '^eng\\.ops$');
    assert.equal(one.groupsClaimId, ids.groupsClaimId);
  });

  test('a re-run with the earlier ids creates nothing new; changed groups update the same claim; what the policy drops is deleted', async () => {
    const s = await standin(people);
    const { adapter, app, ctx } = await made(s);
    const policy = parseAccessPolicy({ groups: ['engineering'], scopes: ['mcp:invoke', 'mcp:admin'] });
    const first = await adapter.applyAccess!(ctx, app, policy);

    let from = s.calls.length;
    assert.deepEqual(await adapter.applyAccess!(ctx, app, policy, first), first);
    assert.deepEqual(writes(s, from, /\/(claims|scopes)/), [], 'nothing written on an identical re-run');
    assert.equal(s.claims.size, 1);

    from = s.calls.length;
    const second = await adapter.applyAccess!(ctx, app, parseAccessPolicy({ groups: ['engineering', 'platform'], scopes: ['mcp:invoke'] }), first);
    assert.deepEqual(writes(s, from, /\/(claims|scopes)/), ['PUT /api/v1/authorizationServers/default/claims/{id} 200', 'DELETE /api/v1/authorizationServers/default/scopes/{id} 204']);
    assert.equal(second.groupsClaimId, first.groupsClaimId, 'the same claim, updated in place');
    assert.equal(s.claims.get(first.groupsClaimId!)!.value, '^(engineering|platform)$');
    assert.ok(![...s.scopes.values()].some((x) => x.name === 'mcp:admin'), 'a scope no longer required is deleted');
    assert.equal(second.scopeIds, first.scopeIds!.split(' ')[0]);

    // A claim deleted by hand since: created again (never a duplicate).
    s.claims.clear();
    const third = await adapter.applyAccess!(ctx, app, parseAccessPolicy({ groups: ['engineering'] }), second);
    assert.equal(s.claims.size, 1);
    assert.notEqual(third.groupsClaimId, second.groupsClaimId);
    assert.equal(third.scopeIds, undefined);
    assert.equal([...s.scopes.values()].filter((x) => x.name === 'mcp:invoke').length, 0);

    // A scope create whose answer was lost is recognised by its mark on the next run, not made twice.
    await admin(s, 'POST', '/api/v1/authorizationServers/default/scopes', { name: 'mcp:invoke', description: `agentcore-auth: required by the gateway for client ${app.clientId} (agentcore-auth cleanup deletes it)` });
    from = s.calls.length;
    const fourth = await adapter.applyAccess!(ctx, app, parseAccessPolicy({ groups: ['engineering'], scopes: ['mcp:invoke'] }), third);
    assert.deepEqual(writes(s, from, /\/scopes/), []);
    assert.equal(fourth.scopeIds, [...s.scopes.values()].find((x) => x.name === 'mcp:invoke')!.id);
  });

  test('removeAccess deletes the claim and the scopes it created; again: gone', async () => {
    const s = await standin(people);
    const { adapter, app, ctx } = await made(s);
    const ids = await adapter.applyAccess!(ctx, app, parseAccessPolicy({ groups: ['engineering'], scopes: ['mcp:invoke', 'profile'] }));
    const scopesBefore = s.scopes.size;
    assert.equal(await adapter.removeAccess!(ctx, app, ids), 'deleted');
    assert.equal(s.claims.size, 0);
    assert.equal(s.scopes.size, scopesBefore - 1, 'only the scope it created (profile is Okta\'s)');
    assert.ok([...s.scopes.values()].some((x) => x.name === 'profile'));
    assert.equal(await adapter.removeAccess!(ctx, app, ids), 'gone');
    assert.equal(await adapter.removeAccess!(ctx, app, {}), 'gone');
  });

  test('a "groups" access-token claim this tool did not create is never modified: reused when it lists groups, else a clear error with the fix', async () => {
    const s = await standin(people);
    const { adapter, app, ctx, logger } = await made(s);
    // Someone's expression claim named groups: refused, untouched.
    const foreign = await admin(s, 'POST', '/api/v1/authorizationServers/default/claims', { name: 'groups', claimType: 'RESOURCE', valueType: 'EXPRESSION', value: 'user.department', conditions: { scopes: [] } });
    assert.equal(foreign.status, 201);
    const snapshot = JSON.stringify([...s.claims.values()]);
    let from = s.calls.length;
    await assert.rejects(adapter.applyAccess!(ctx, app, { groups: ['engineering'] }), (err: unknown) => {
      assert.ok(err instanceof CliError && err.code === 'conflict', String(err));
      assert.match(err.message, /already has a "groups" claim for access tokens/);
      assert.match(err.message, /did not create/);
      assert.match(err.message, /expression claim/);
      assert.match(err.fix ?? '', /value type Groups/);
      assert.match(err.fix ?? '', /Security > API > Authorization Servers > default > Claims/);
      return true;
    });
    assert.deepEqual(writes(s, from, CLAIMS), []);
    assert.equal(JSON.stringify([...s.claims.values()]), snapshot);

    // Someone's groups claim: used as it is, not journaled (cleanup leaves it), a warning when its filter leaves a group out.
    s.claims.clear();
    await admin(s, 'POST', '/api/v1/authorizationServers/default/claims', { name: 'groups', claimType: 'RESOURCE', valueType: 'GROUPS', group_filter_type: 'STARTS_WITH', value: 'eng', conditions: { scopes: [] } });
    from = s.calls.length;
    const ids = await adapter.applyAccess!(ctx, app, { groups: ['engineering', 'platform'] });
    assert.deepEqual(ids, {});
    assert.deepEqual(writes(s, from, CLAIMS), []);
    assert.ok(logger.lines.some((l) => /used as it is and left in place by cleanup/.test(l)), logger.lines.join('\n'));
    assert.ok(logger.lines.some((l) => /^! .*filter leaves out platform/.test(l)), logger.lines.join('\n'));
    assert.equal(await adapter.removeAccess!(ctx, app, ids), 'gone');
    assert.equal(s.claims.size, 1);

    // An ID-token claim named groups is no clash: the access-token claim is created beside it.
    s.claims.clear();
    await admin(s, 'POST', '/api/v1/authorizationServers/default/claims', { name: 'groups', claimType: 'IDENTITY', valueType: 'GROUPS', group_filter_type: 'REGEX', value: '.*', conditions: { scopes: ['profile'] } });
    const mine = await adapter.applyAccess!(ctx, app, { groups: ['engineering'] });
    assert.equal(s.claims.size, 2);
    assert.equal(s.claims.get(mine.groupsClaimId!)!.claimType, 'RESOURCE');
  });

  test('403 and 429 from Okta are clear errors; nothing half-made is left unrecorded', async () => {
    const s = await standin(people);
    const { adapter, app, ctx } = await made(s);
    s.failNext({ method: 'POST', path: CLAIMS, status: 403, body: { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' } });
    await assert.rejects(adapter.applyAccess!(ctx, app, { groups: ['engineering'] }), (err: unknown) => {
      assert.ok(err instanceof CliError && err.code === 'access_denied', String(err));
      assert.match(err.message, /creating the "groups" claim on authorization server default/);
      assert.match(err.message, /claims and scopes/);
      assert.match(err.fix ?? '', /administrator/);
      return true;
    });
    assert.equal(s.claims.size, 0);
    s.failNext({ method: 'GET', path: SCOPES_PATH, status: 429, headers: { 'X-Rate-Limit-Reset': String(Math.floor(Date.now() / 1000) + 30) }, times: 10 });
    await assert.rejects(adapter.applyAccess!(ctx, app, { scopes: ['mcp:invoke'] }), (err: unknown) => err instanceof CliError && err.code === 'rate_limited' && /wait \d+ s and run the command again/.test(err.fix ?? ''));
    s.failNext({ method: 'DELETE', path: CLAIMS, status: 403, body: { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' } });
    const ids = await adapter.applyAccess!(ctx, app, { groups: ['engineering'] });
    await assert.rejects(adapter.removeAccess!(ctx, app, ids), (err: unknown) => err instanceof CliError && err.code === 'access_denied' && /deleting claim/.test(err.message));
    assert.equal(s.claims.size, 1, 'still there, and still recorded for the next cleanup');
  });

  test('the stand-in refuses claims and scopes Okta refuses', async () => {
    const s = await standin();
    const base = { name: 'groups', claimType: 'RESOURCE', valueType: 'GROUPS', group_filter_type: 'REGEX', value: '^a$', conditions: { scopes: [] } };
    assert.equal((await admin(s, 'POST', '/api/v1/authorizationServers/default/claims', base)).status, 201);
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['duplicate claim', 'claims', base, /already exists/],
      ['filter enum', 'claims', { ...base, name: 'g2', group_filter_type: 'LIKE' }, /group_filter_type is "LIKE", not one of/],
      ['claim type enum', 'claims', { ...base, name: 'g3', claimType: 'ACCESS_TOKEN' }, /claimType is "ACCESS_TOKEN"/],
      ['groups without a filter', 'claims', { ...base, name: 'g4', group_filter_type: undefined }, /group_filter_type is required/],
      ['reserved name', 'claims', { ...base, name: 'cid' }, /reserved claim/],
      ['unknown scope condition', 'claims', { ...base, name: 'g5', conditions: { scopes: ['nope'] } }, /scope nope does not exist/],
      ['read-only id', 'claims', { ...base, name: 'g6', id: 'ocl1' }, /body\.id is read-only/],
      ['scope without a name', 'scopes', { description: 'x' }, /body\.name is required/],
      ['okta.* scope', 'scopes', { name: 'okta.apps.manage' }, /reserved/],
      ['duplicate scope', 'scopes', { name: 'openid' }, /already exists/],
    ];
    for (const [name, kind, body, re] of cases) {
      const before = s.violations.length;
      const r = await admin(s, 'POST', `/api/v1/authorizationServers/default/${kind}`, body);
      const v = s.violations.splice(before);
      assert.equal(r.status, 400, name);
      assert.ok(v.some((x) => re.test(x)), `${name}: ${v.join(' | ')}`);
    }
    const system = [...s.scopes.values()].find((x) => x.name === 'openid')!;
    assert.equal((await admin(s, 'DELETE', `/api/v1/authorizationServers/default/scopes/${String(system.id)}`)).status, 403);
    assert.equal((await admin(s, 'DELETE', '/api/v1/authorizationServers/default/claims/oclNope')).status, 404);
  });
});
