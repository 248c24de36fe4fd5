/**
 * verify as a user runs it: the built CLI as a process against the sandbox, standalone (--gateway-url,
 * --gateway), with a correct gateway and with one fault each. Exit codes, --json and timing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, CreateGatewayCommand, GetGatewayCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { describeRun, freePort, isolatedEnv, parseSingleJson, runCli } from '../helpers/cli.js';

interface Report {
  ok: boolean;
  checks: Array<{ id: string; status: string; finding: string; fix?: string }>;
}

let sandbox: Sandbox;
let sdk: BedrockAgentCoreControlClient;
let home: string;

async function gateway(name: string, authorizerType: 'CUSTOM_JWT' | 'NONE', allowedClients?: string[]): Promise<{ id: string; url: string }> {
  const r = await sdk.send(
    new CreateGatewayCommand({
      name,
      roleArn: sandbox.roleArn,
      protocolType: 'MCP',
      authorizerType,
      ...(authorizerType === 'CUSTOM_JWT' ? { authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: sandbox.discoveryUrl, allowedClients } } } : {}),
    }),
  );
  for (let i = 0; i < 50; i++) {
    const g = await sdk.send(new GetGatewayCommand({ gatewayIdentifier: r.gatewayId! }));
    if (g.status === 'READY') return { id: r.gatewayId!, url: g.gatewayUrl! };
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('gateway not READY');
}

const byId = (r: Report, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
};

describe('verify (CLI process) against the sandbox', () => {
  before(async () => {
    sandbox = await startSandbox({ logger: createMemoryLogger(), readyDelayMs: 20 });
    sdk = new BedrockAgentCoreControlClient({ endpoint: sandbox.controlPlaneEndpoint, region: sandbox.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    home = await mkdtemp(join(tmpdir(), 'agentcore-auth-verify-'));
  });
  after(async () => {
    sdk.destroy();
    await sandbox.close();
    await rm(home, { recursive: true, force: true });
  });

  test('a correct gateway, standalone with --gateway-url: every metadata check and forged-token probe passes, exit 0, well under a second of work', async () => {
    const g = await gateway('verify-ok', 'CUSTOM_JWT', ['some-client']);
    const r = await runCli(['verify', '--gateway-url', g.url, '--no-login', '--json'], { env: isolatedEnv(home) });
    assert.equal(r.code, 0, describeRun(r));
    const rep = parseSingleJson<Report>(r);
    for (const id of ['challenge', 'prm', 'as-metadata', 'jwks', 'forged-unsigned', 'forged-unknown-key', 'forged-wrong-key', 'forged-garbage']) {
      assert.equal(byId(rep, id).status, 'pass', `${id}: ${byId(rep, id).finding}`);
    }
    // No journal and no --gateway: the claim rules are unknown, and the report says how to supply them.
    assert.equal(byId(rep, 'rule-fit').status, 'skip');
    assert.match(byId(rep, 'rule-fit').finding, /--gateway ID/);
    assert.ok(r.durationMs < 5000, `took ${r.durationMs} ms`);
  });

  test('an open gateway (authorizer NONE): challenge fails loudly, probes are skipped, exit 1', async () => {
    const g = await gateway('verify-open', 'NONE');
    const r = await runCli(['verify', '--gateway-url', g.url, '--no-login', '--json'], { env: isolatedEnv(home) });
    assert.equal(r.code, 1, describeRun(r));
    const rep = parseSingleJson<Report>(r);
    assert.equal(rep.ok, false);
    assert.equal(byId(rep, 'challenge').status, 'fail');
    assert.match(byId(rep, 'challenge').finding, /open to anyone|without a token/i);
    assert.equal(byId(rep, 'forged-unsigned').status, 'skip');
  });

  test('--gateway reads the rules from the control plane: a pin on another client than --client-id fails rule-fit, naming both', async () => {
    const g = await gateway('verify-pin', 'CUSTOM_JWT', ['the-other-app']);
    const r = await runCli(
      ['verify', '--gateway', g.id, '--endpoint-url', sandbox.controlPlaneEndpoint, '--region', sandbox.region, '--client-id', 'my-app', '--no-login', '--json'],
      { env: isolatedEnv(home) },
    );
    assert.equal(r.code, 1, describeRun(r));
    const rule = byId(parseSingleJson<Report>(r), 'rule-fit');
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /the-other-app/);
    assert.match(rule.finding, /my-app/);
    assert.ok(rule.fix);
  });

  test('--gateway given as the gateway URL (not AWS-shaped) is looked up by its URL', async () => {
    const g = await gateway('verify-byurl', 'CUSTOM_JWT', ['app-x']);
    const r = await runCli(['verify', '--gateway', g.url, '--endpoint-url', sandbox.controlPlaneEndpoint, '--client-id', 'app-x', '--no-login', '--json'], { env: isolatedEnv(home) });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(byId(parseSingleJson<Report>(r), 'rule-fit').status, 'pass');
  });

  test('usage errors: no setup and no URL (exit 2, names the flags); a malformed URL (exit 2); --via-client without an entry (exit 2)', async () => {
    const none = await runCli(['verify'], { env: isolatedEnv(home) });
    assert.equal(none.code, 2, describeRun(none));
    assert.match(none.output, /--gateway-url/);
    const bad = await runCli(['verify', '--gateway-url', 'not a url'], { env: isolatedEnv(home) });
    assert.equal(bad.code, 2, describeRun(bad));
    const via = await runCli(['verify', '--gateway-url', 'http://127.0.0.1:9/mcp', '--no-login', '--via-client'], { env: isolatedEnv(home) });
    assert.equal(via.code, 2, describeRun(via));
    assert.match(via.output, /--server-name/);
  });

  test('the IdP refuses the redirect URI: the test login fails in seconds (not after --login-timeout), naming the exact URI to register', async () => {
    const g = await gateway('verify-redirect', 'CUSTOM_JWT', ['x']);
    // oidc-provider lets a native client's loopback redirect use any port (RFC 8252 §7.3); the path must match.
    const used = await freePort();
    const md = (await (await fetch(sandbox.discoveryUrl)).json()) as { registration_endpoint: string };
    const reg = await fetch(md.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [`http://localhost:${used}/callback`], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], application_type: 'native' }),
    });
    const clientId = ((await reg.json()) as { client_id: string }).client_id;
    const r = await runCli(['verify', '--gateway-url', g.url, `--client-id=${clientId}`, '--callback-port', String(used), '--json'], {
      env: isolatedEnv(home, { BROWSER: 'true' }), // nobody would ever sign in: only the IdP's refusal can end the wait early
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.ok(r.durationMs < 15_000, `took ${r.durationMs} ms (the login wait is 300 s)`);
    const login = byId(parseSingleJson<Report>(r), 'login');
    assert.equal(login.status, 'fail');
    assert.match(login.finding, new RegExp(`refused the redirect URI http://localhost:${used}/oauth/callback`));
    assert.match(login.fix ?? '', new RegExp(`Register exactly http://localhost:${used}/oauth/callback`));
    assert.doesNotMatch(`${login.finding} ${login.fix}`, /\bPORT\b|--timeout\b/);
  });

  test('an unreachable gateway: exit 1 with a message naming the URL, within the timeout', async () => {
    const r = await runCli(['verify', '--gateway-url', 'http://127.0.0.1:9/mcp', '--no-login', '--timeout', '2s', '--json'], { env: isolatedEnv(home) });
    assert.equal(r.code, 1, describeRun(r));
    const c = byId(parseSingleJson<Report>(r), 'challenge');
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /127\.0\.0\.1:9/);
  });
});
