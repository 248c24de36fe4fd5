/**
 * The generic OIDC journey against software this project did not write: Debian's glewlwyd (2.7.5), a real OpenID
 * provider in C, run from its package (test/helpers/glewlwyd.ts: own config, sqlite database from the shipped
 * schema, a free loopback port, configured through its admin API: a password user, an OIDC plugin with dynamic
 * client registration, PKCE, refresh tokens and RS256 JWT access tokens).
 *
 * What a user relies on:
 *   - `init --provider oidc --issuer <glewlwyd>` registers a public client there by RFC 7591 and points a sandbox
 *     gateway at glewlwyd's discovery URL; the gateway validates glewlwyd's JWTs through its JWKS; the test login
 *     (a real password sign-in and consent at glewlwyd, test/helpers/glewlwyd-browser.mjs) passes, and `verify`
 *     exits 0;
 *   - `cleanup` removes the client at glewlwyd by RFC 7592 DELETE: glewlwyd keeps the row but disables it, and
 *     neither a sign-in nor the registration token works any more;
 *   - a client glewlwyd stored as confidential (an RFC 7591 registration that only says
 *     token_endpoint_auth_method "none") fails the token exchange with unauthorized_client, and verify says why and
 *     what to change at glewlwyd;
 *   - glewlwyd requires a nonce with openid: mcp-remote sends none, so a Kiro entry cannot sign in there, and verify
 *     (whose login stands for the entry's) says so; a login with a nonce goes through.
 *
 * Skipped, with the reason, when glewlwyd is not installed (apt-get install -y glewlwyd).
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs glewlwyd
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, GetGatewayCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { explainIdpError } from '../../src/oauth/idp-errors.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli, type CliResult } from '../helpers/cli.js';
import { GLEWLWYD_USER, glewlwydMissing, signIn, startGlewlwyd, type Glewlwyd } from '../helpers/glewlwyd.js';

const missing = glewlwydMissing();
const BROWSER = join(PROJECT_ROOT, 'test', 'helpers', 'glewlwyd-browser.sh');

let root: string;
let glw: Glewlwyd;
let sb: Sandbox;
let sdk: BedrockAgentCoreControlClient;
let homes = 0;

interface Check {
  id: string;
  status: string;
  finding: string;
  fix?: string;
}

const expectExit = (r: CliResult, code: number) => assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);

async function newEnv(): Promise<NodeJS.ProcessEnv> {
  const home = join(root, `home-${++homes}`);
  await mkdir(home, { recursive: true });
  return isolatedEnv(home, {
    BROWSER,
    DISPLAY: '',
    GLEWLWYD_USERNAME: GLEWLWYD_USER.username,
    GLEWLWYD_PASSWORD: GLEWLWYD_USER.password,
    BROWSER_LOG: join(home, 'browser.log'),
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
}

/** An RFC 7591 registration the way the spec alone says "public client": token_endpoint_auth_method "none". */
async function registerAsRfcSays(port: number, extra: Record<string, unknown> = {}): Promise<{ client_id: string; registration_client_uri: string; registration_access_token: string }> {
  const res = await fetch(`${glw.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'rfc-only public client', application_type: 'native', redirect_uris: [`http://localhost:${port}/oauth/callback`], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', ...extra }),
  });
  assert.equal(res.status, 200, 'glewlwyd answers a registration with 200 (RFC 7591 says 201)');
  return (await res.json()) as { client_id: string; registration_client_uri: string; registration_access_token: string };
}

before(async () => {
  if (missing) return;
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-glewlwyd-'));
  glw = await startGlewlwyd(root);
  sb = await startSandbox({ logger: createMemoryLogger(), readyDelayMs: 20 });
  sdk = new BedrockAgentCoreControlClient({ region: sb.region, endpoint: sb.controlPlaneEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

after(async () => {
  sdk?.destroy();
  await sb?.close();
  await glw?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('glewlwyd (Debian package) as the OIDC provider', { skip: missing }, () => {
  test('init --provider oidc registers a public client at glewlwyd, the gateway trusts its JWTs; verify tells the truth about mcp-remote (no nonce, refused) and passes for a client that sends one; cleanup disables the client there', async () => {
    const env = await newEnv();
    const port = await freePort();
    const name = `glewlwyd-${process.pid}`;
    const init = await runCli(
      ['init', '--provider', 'oidc', '--issuer', glw.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', name, '--role-arn', sb.roleArn, '--callback-port', String(port), '--login-timeout', '30', '--yes', '--json'],
      { env, timeoutMs: 60_000 },
    );
    // init's verify signs in as the Kiro entry will, through mcp-remote 0.15.1, which sends no nonce: glewlwyd insists
    // on one whenever openid is asked, so the entry cannot sign in, and verify says so instead of passing on a login
    // the client never makes.
    expectExit(init, 1);
    const doc = parseSingleJson<{ ok: boolean; app: { clientId: string; issuer: string }; gateway: { gatewayId: string; gatewayUrl: string }; verify: { ok: boolean; checks: Check[] } }>(init);
    assert.equal(doc.app.issuer, glw.issuer);
    assert.equal(doc.verify.ok, false);
    const login = doc.verify.checks.find((c) => c.id === 'login')!;
    assert.equal(login.status, 'fail');
    assert.match(login.finding, /requires a nonce with the openid scope .*mcp-remote sends none/);

    // At glewlwyd: a public client with exactly the loopback redirect URI, code + refresh grants.
    const client = await glw.client(doc.app.clientId);
    assert.ok(client, 'the client exists at glewlwyd');
    assert.equal(client.confidential, false, 'stored as a public client (no secret needed at the token endpoint)');
    assert.equal(client.enabled, true);
    assert.deepEqual(client.redirect_uri, [`http://localhost:${port}/oauth/callback`]);
    assert.deepEqual([...(client.authorization_type as string[])].sort(), ['code', 'refresh_token']);

    // The gateway: glewlwyd's discovery URL, tokens pinned to this client.
    const g = await sdk.send(new GetGatewayCommand({ gatewayIdentifier: doc.gateway.gatewayId }));
    assert.equal(g.authorizerConfiguration?.customJWTAuthorizer?.discoveryUrl, `${glw.issuer}/.well-known/openid-configuration`);
    assert.deepEqual(g.authorizerConfiguration?.customJWTAuthorizer?.allowedClients, [doc.app.clientId]);

    // A client that sends a nonce (verify of the endpoint itself, with no entry to stand for): a real sign-in at
    // glewlwyd, glewlwyd's RS256 JWT accepted by the gateway, MCP calls pass.
    const v = await runCli(['verify', '--gateway-url', doc.gateway.gatewayUrl, '--gateway', doc.gateway.gatewayId, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, `--client-id=${doc.app.clientId}`, '--scopes', 'openid profile email offline_access', '--callback-port', String(port), '--login-timeout', '30', '--json'], { env, timeoutMs: 60_000 });
    expectExit(v, 0);
    const report = parseSingleJson<{ ok: boolean; checks: Check[] }>(v);
    const by = (id: string) => report.checks.find((c) => c.id === id);
    assert.equal(report.ok, true);
    for (const id of ['login', 'jwks', 'token-claims', 'mcp-initialize', 'mcp-tools-list']) assert.equal(by(id)?.status, 'pass', `${id}: ${by(id)?.finding}`);
    assert.deepEqual(report.checks.filter((c) => c.status === 'fail').map((c) => c.id), []);
    assert.doesNotMatch(v.output + init.output, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, 'no token printed');

    // cleanup: RFC 7592 DELETE at glewlwyd. glewlwyd keeps the row but disables the client and its registration token.
    const c = await runCli(['cleanup', '--yes', '--json'], { env, timeoutMs: 60_000 });
    expectExit(c, 0);
    const after = await glw.client(doc.app.clientId);
    assert.ok(after === null || after.enabled === false, `the client is gone or disabled at glewlwyd: ${JSON.stringify(after && { enabled: after.enabled })}`);
    // A new sign-in with it is refused: the authorization endpoint no longer knows an enabled client.
    const u = new URL(`${glw.issuer}/auth`);
    for (const [k, v2] of Object.entries({ response_type: 'code', client_id: doc.app.clientId, redirect_uri: `http://localhost:${port}/oauth/callback`, scope: 'openid', nonce: 'n', state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })) u.searchParams.set(k, v2);
    const auth = await fetch(u, { redirect: 'manual' });
    assert.notEqual(auth.status, 302, 'no redirect (to the login page or the client) for a deleted client');
  });

  test('a client glewlwyd stored as confidential: verify fails the sign-in with unauthorized_client and says to make it public at glewlwyd', async () => {
    const env = await newEnv();
    const port = await freePort();
    const reg = await registerAsRfcSays(port);
    const stored = await glw.client(reg.client_id);
    assert.equal(stored?.confidential, true, 'glewlwyd 2.7.5 stores token_endpoint_auth_method "none" (a string) as a confidential client');
    // A gateway that trusts glewlwyd, for this client.
    const init = await runCli(
      ['init', '--provider', 'oidc', '--issuer', glw.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', `glewlwyd-conf-${process.pid}`, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()), '--yes', '--json', '--no-verify'],
      { env, timeoutMs: 60_000 },
    );
    expectExit(init, 0);
    const gatewayUrl = parseSingleJson<{ gateway: { gatewayUrl: string } }>(init).gateway.gatewayUrl;
    const v = await runCli(['verify', '--gateway-url', gatewayUrl, `--client-id=${reg.client_id}`, '--callback-port', String(port), '--login-timeout', '30', '--json'], { env, timeoutMs: 60_000 });
    assert.notEqual(v.code, 0, describeRun(v));
    const login = parseSingleJson<{ checks: Check[] }>(v).checks.find((c) => c.id === 'login');
    assert.equal(login?.status, 'fail', describeRun(v));
    assert.match(login!.finding, /unauthorized_client/);
    assert.match(login!.finding, new RegExp(`client ${reg.client_id}`));
    assert.match(login!.fix ?? '', /public client/);
    assert.match(login!.fix ?? '', /glewlwyd: .*confidential/i, 'the glewlwyd way out is named');
    await runCli(['cleanup', '--yes', '--json'], { env, timeoutMs: 60_000 });
    await fetch(reg.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${reg.registration_access_token}` } });
  });

  test('glewlwyd refuses openid without a nonce, after the sign-in; the explanation names glewlwyd\'s real options', async () => {
    const port = await freePort();
    const reg = await registerAsRfcSays(port, { client_confidential: false });
    const cookie = await signIn(glw.api, GLEWLWYD_USER.username, GLEWLWYD_USER.password);
    const grant = await fetch(`${glw.api}/auth/grant/${reg.client_id}`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'openid' }) });
    assert.equal(grant.status, 200);
    const u = new URL(`${glw.issuer}/auth`);
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: reg.client_id, redirect_uri: `http://localhost:${port}/oauth/callback`, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })) u.searchParams.set(k, v);
    // Before the sign-in: the login page, so a probe of the authorization URL cannot see the refusal.
    const anon = await fetch(u, { redirect: 'manual' });
    assert.match(anon.headers.get('location') ?? '', /\/login\.html\?/);
    u.searchParams.set('g_continue', '');
    const res = await fetch(u, { redirect: 'manual', headers: { cookie } });
    const back = new URL(res.headers.get('location') ?? 'about:blank');
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.equal(back.searchParams.get('error_description'), 'nonce required');
    const why = explainIdpError('invalid_request', 'nonce required', { clientId: reg.client_id, scopes: ['openid'] });
    assert.equal(why.cause, 'nonce_required');
    assert.match(why.fix, /glewlwyd always requires one with openid/);
    assert.doesNotMatch(why.fix, /"nonce required" setting/, 'glewlwyd has no such setting');
    // With a nonce the same request goes through to a code.
    u.searchParams.set('nonce', 'n-1');
    const ok = new URL((await fetch(u, { redirect: 'manual', headers: { cookie } })).headers.get('location') ?? 'about:blank');
    assert.ok(ok.searchParams.get('code'), `a code with a nonce (got error ${ok.searchParams.get('error')})`);
    await fetch(reg.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${reg.registration_access_token}` } });
  });
});
