/**
 * verify against an IdP we did not write: npm's oauth2-mock-server (in-process, on a free loopback port) is the
 * identity provider of a sandbox gateway whose CUSTOM_JWT authorizer uses the mock's discovery URL.
 *
 * What the mock is (read in node_modules/oauth2-mock-server): discovery document, JWKS, /authorize that
 * redirects at once with a code (no person), /token with PKCE, refresh tokens, an ID token; no registration
 * endpoint (so `init --provider oidc` cannot register a client: the client id is simply given to verify), and
 * access tokens that carry sub/scope but no aud and no client_id unless a `beforeTokenSigning` hook adds them,
 * as an IdP admin would configure a real IdP.
 *
 *   healthy (hook adds client_id; gateway pins allowedClients)   verify exit 0: login, claims, MCP, refresh
 *   issuer with a trailing slash                                  verify exit 0 (the slash is kept everywhere)
 *   wrong audience (hook sets aud other-api; rule wants my-api)   exit 1, token-claims/rule-fit name both, fix
 *   no client_id in tokens (the mock's default)                   exit 1, rule-fit says add client_id or use aud
 *   issuer http://localhost:P behind discoveryUrl 127.0.0.1:P     exit 1, discovery-url names the exact URL
 *   init --provider oidc --issuer <mock>                          exit 1 no_registration, before changing anything
 *
 * Logins use test/helpers/browser.sh (the headless redirect follower): the mock needs no person.
 * Needs a build first: `npx tsc -p tsconfig.json && node test/run.mjs oauth2-mock`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, CreateGatewayCommand, GetGatewayCommand, ListGatewaysCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { OAuth2Server, type MutableToken, type TokenRequestIncomingMessage } from 'oauth2-mock-server';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli, type CliResult } from '../helpers/cli.js';

const BROWSER_SCRIPT = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');
const CLIENT_ID = 'mock-mcp-client';

interface Check {
  id: string;
  status: string;
  finding: string;
  fix?: string;
}
interface Report {
  ok: boolean;
  checks: Check[];
}

/** How the mock shapes its next access tokens (the hook an IdP admin would configure). */
interface TokenShape {
  clientId?: boolean;
  aud?: string;
}

interface Mock {
  server: OAuth2Server;
  port: number;
  discoveryUrl: string;
  shape: TokenShape;
}

let sandbox: Sandbox;
let sdk: BedrockAgentCoreControlClient;
let home: string;
const mocks: Mock[] = [];

/**
 * Starts an oauth2-mock-server on 127.0.0.1. Its issuer is http://127.0.0.1:PORT (plus `suffix`) unless
 * `issuerHost` says otherwise (the mock's own default is http://localhost:PORT whatever it listens on).
 */
async function startMock(opts: { suffix?: string; issuerHost?: string } = {}): Promise<Mock> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  const port = await freePort();
  server.issuer.url = `http://${opts.issuerHost ?? '127.0.0.1'}:${port}${opts.suffix ?? ''}`;
  await server.start(port, '127.0.0.1');
  const mock: Mock = { server, port, discoveryUrl: `http://127.0.0.1:${port}/.well-known/openid-configuration`, shape: { clientId: true } };
  // Access tokens only (they carry `scope`): the ID token (aud = the client, no scope) is left as the mock makes it.
  server.service.on('beforeTokenSigning', (token: MutableToken, req: TokenRequestIncomingMessage) => {
    if (!('scope' in token.payload)) return;
    const clientId = req.body.client_id;
    if (mock.shape.clientId && typeof clientId === 'string') token.payload.client_id = clientId;
    if (mock.shape.aud) token.payload.aud = mock.shape.aud;
  });
  mocks.push(mock);
  return mock;
}

async function gateway(name: string, mock: Mock, rules: { allowedClients?: string[]; allowedAudience?: string[] }): Promise<{ id: string; url: string }> {
  const r = await sdk.send(
    new CreateGatewayCommand({
      name,
      roleArn: sandbox.roleArn,
      protocolType: 'MCP',
      authorizerType: 'CUSTOM_JWT',
      authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: mock.discoveryUrl, ...rules } },
    }),
  );
  for (let i = 0; i < 100; i++) {
    const g = await sdk.send(new GetGatewayCommand({ gatewayIdentifier: r.gatewayId! }));
    if (g.status === 'READY') return { id: r.gatewayId!, url: g.gatewayUrl! };
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('gateway not READY');
}

/** verify as a user runs it without a setup: the gateway URL, its id (to read the rules) and the client id. */
async function verify(g: { id: string; url: string }, name: string): Promise<{ r: CliResult; rep: Report; browserLog: string }> {
  const log = join(home, `${name}.browser.log`);
  const r = await runCli(
    ['verify', '--gateway-url', g.url, '--gateway', g.id, '--endpoint-url', sandbox.controlPlaneEndpoint, '--region', sandbox.region,
      '--client-id', CLIENT_ID, '--callback-port', String(await freePort()), '--login-timeout', '30s', '--json'],
    { env: isolatedEnv(home, { BROWSER: BROWSER_SCRIPT, BROWSER_LOG: log }), cwd: home, timeoutMs: 45_000 },
  );
  return { r, rep: parseSingleJson<Report>(r), browserLog: await readFile(log, 'utf8').catch(() => '') };
}

const byId = (r: Report, id: string): Check => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
};

const show = (r: Report): string => r.checks.map((c) => `${c.id}: ${c.status} - ${c.finding}${c.fix ? ` [fix: ${c.fix}]` : ''}`).join('\n');

describe('verify with npm oauth2-mock-server as the IdP of a sandbox gateway', () => {
  let mock: Mock;
  before(async () => {
    sandbox = await startSandbox({ logger: createMemoryLogger(), readyDelayMs: 20 });
    sdk = new BedrockAgentCoreControlClient({ endpoint: sandbox.controlPlaneEndpoint, region: sandbox.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    home = await mkdtemp(join(tmpdir(), 'agentcore-auth-oauth2-mock-'));
    mock = await startMock();
  });
  after(async () => {
    sdk?.destroy();
    await sandbox?.close();
    for (const m of mocks) await m.server.stop().catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  });

  test('healthy: tokens carry client_id, the gateway pins allowedClients; verify signs in at the mock, calls the gateway, refreshes: exit 0', async () => {
    mock.shape = { clientId: true };
    const g = await gateway('mock-ok', mock, { allowedClients: [CLIENT_ID] });
    const { r, rep, browserLog } = await verify(g, 'ok');
    assert.equal(r.code, 0, `${describeRun(r)}\n${show(rep)}`);
    for (const id of ['challenge', 'prm', 'as-metadata', 'jwks', 'forged-unsigned', 'forged-unknown-key', 'forged-wrong-key', 'login', 'token-claims', 'mcp-initialize', 'mcp-tools-list', 'refresh', 'discovery-url', 'rule-fit']) {
      assert.equal(byId(rep, id).status, 'pass', `${id}: ${byId(rep, id).finding}`);
    }
    assert.match(byId(rep, 'as-metadata').finding, /openid-configuration/, 'the mock has no RFC 8414 document: found through OIDC discovery');
    assert.match(byId(rep, 'token-claims').finding, new RegExp(`iss http://127\\.0\\.0\\.1:${mock.port}, aud \\(none\\), client ${CLIENT_ID}, scopes dummy`));
    // The mock answers /authorize with a redirect straight to our callback: one hop, no page.
    assert.match(browserLog, /^ok 200 http:\/\/localhost:\d+\/oauth\/callback\?code=\*\*\*&state=\*\*\* \(1 hops\)$/m);
    assert.doesNotMatch(r.stdout + r.stderr, /eyJ[\w-]{20,}\.[\w-]{20,}/, 'no token is printed');
  });

  test('an issuer with a trailing slash (http://127.0.0.1:P/) works end to end: the slash is kept in every comparison', async () => {
    const slash = await startMock({ suffix: '/' });
    const g = await gateway('mock-slash', slash, { allowedClients: [CLIENT_ID] });
    const { r, rep } = await verify(g, 'slash');
    assert.equal(r.code, 0, `${describeRun(r)}\n${show(rep)}`);
    assert.match(byId(rep, 'token-claims').finding, new RegExp(`iss http://127\\.0\\.0\\.1:${slash.port}/,`));
    assert.equal(byId(rep, 'discovery-url').status, 'pass', byId(rep, 'discovery-url').finding);
  });

  test('wrong audience: the mock signs aud "other-api", the gateway wants "my-api": exit 1, token-claims and rule-fit name both values, and the fix says where aud comes from', async () => {
    mock.shape = { clientId: true, aud: 'other-api' };
    const g = await gateway('mock-aud', mock, { allowedClients: [CLIENT_ID], allowedAudience: ['my-api'] });
    const { r, rep } = await verify(g, 'aud');
    mock.shape = { clientId: true };
    assert.equal(r.code, 1, describeRun(r));
    assert.equal(byId(rep, 'login').status, 'pass');
    const claims = byId(rep, 'token-claims');
    assert.equal(claims.status, 'fail');
    assert.match(claims.finding, /aud "other-api", but allowedAudience wants one of "my-api"/);
    const init = byId(rep, 'mcp-initialize');
    assert.equal(init.status, 'fail');
    assert.match(init.finding, /HTTP 401/);
    const fit = byId(rep, 'rule-fit');
    assert.equal(fit.status, 'fail');
    assert.match(fit.fix ?? '', /Make the IdP put the gateway's audience in the token .*or change allowedAudience/);
  });

  test("no client_id in the access token (the mock's default) while the gateway pins allowedClients: exit 1 with the RFC 9068 / allowedAudience fix", async () => {
    mock.shape = { clientId: false };
    const g = await gateway('mock-noclient', mock, { allowedClients: [CLIENT_ID] });
    const { r, rep } = await verify(g, 'noclient');
    mock.shape = { clientId: true };
    assert.equal(r.code, 1, describeRun(r));
    assert.match(byId(rep, 'token-claims').finding, /no client_id claim, but allowedClients wants client_id to be one of "mock-mcp-client"/);
    const fit = byId(rep, 'rule-fit');
    assert.equal(fit.status, 'fail');
    assert.match(fit.fix ?? '', /put client_id in access tokens \(RFC 9068\), or remove allowedClients and pin the client with allowedAudience/);
  });

  test('issuer mismatch: the mock calls itself http://localhost:P while the gateway\'s discoveryUrl says 127.0.0.1:P: exit 1, the exact discoveryUrl to set', async () => {
    const local = await startMock({ issuerHost: 'localhost' });
    local.shape = { clientId: true };
    const g = await gateway('mock-iss', local, { allowedClients: [CLIENT_ID] });
    const { r, rep } = await verify(g, 'iss');
    assert.equal(r.code, 1, describeRun(r));
    const d = byId(rep, 'discovery-url');
    assert.equal(d.status, 'fail');
    assert.match(d.finding, new RegExp(`the IdP's issuer is http://localhost:${local.port}`));
    assert.equal(d.fix, `Set discoveryUrl to exactly http://localhost:${local.port}/.well-known/openid-configuration.`);
  });

  test('init --provider oidc --issuer <mock> refuses before changing anything: no registration endpoint (no_registration, exit 1)', async () => {
    const r = await runCli(
      ['init', '--provider', 'oidc', '--issuer', `http://127.0.0.1:${mock.port}`, '--endpoint-url', sandbox.controlPlaneEndpoint, '--region', sandbox.region,
        '--create-gateway', 'mock-init', '--role-arn', sandbox.roleArn, '--callback-port', String(await freePort()), '--yes', '--json', '--no-verify'],
      { env: isolatedEnv(home), cwd: home, timeoutMs: 30_000 },
    );
    assert.equal(r.code, 1, describeRun(r));
    const out = parseSingleJson<{ ok: boolean; error: { code: string; message: string; fix: string } }>(r);
    assert.equal(out.error.code, 'no_registration');
    assert.match(out.error.message, /no registration_endpoint/);
    const gws = await sdk.send(new ListGatewaysCommand({}));
    assert.ok((gws.items ?? []).some((x) => x.name === 'mock-ok'), 'the listing works (it shows an earlier test\'s gateway)');
    assert.ok(!(gws.items ?? []).some((x) => x.name === 'mock-init'), 'no gateway was created');
  });
});
