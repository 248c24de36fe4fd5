/**
 * Issue #4's promises for init that stops half-way, run as a user would (the built CLI as a process, the
 * sandbox in-process): a failed step is rolled back with --yes (or kept with --keep-on-failure), a re-run
 * resumes from the journal without making anything twice, and cleanup then leaves nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BedrockAgentCoreControlClient, CreateGatewayCommand, CreateGatewayTargetCommand, DeleteGatewayCommand, GetGatewayCommand, ListGatewaysCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { describeRun, freePort, isolatedEnv, parseSingleJson, runCli } from '../helpers/cli.js';

let sandbox: Sandbox;
let log: ReturnType<typeof createMemoryLogger>;
let sdk: BedrockAgentCoreControlClient;
let root: string;

const registered = () => log.lines.filter((l) => /IdP: registered client/.test(l)).map((l) => /client (\S+)/.exec(l)![1]!);
const deleted = () => log.lines.filter((l) => /IdP: deleted client/.test(l)).map((l) => /client (\S+)/.exec(l)![1]!);
const gatewaysNamed = async (name: string) => ((await sdk.send(new ListGatewaysCommand({}))).items ?? []).filter((g) => g.name === name && g.status !== 'DELETING');

async function user(name: string) {
  const home = join(root, name);
  return { home, env: isolatedEnv(home), journal: join(home, '.agentcore-auth', 'setups', 'default.json'), kiro: join(home, '.kiro', 'settings', 'mcp.json') };
}

function initArgs(gateway: string, port: number): string[] {
  return ['init', '--provider', 'oidc', '--issuer', sandbox.issuer, '--endpoint-url', sandbox.controlPlaneEndpoint, '--region', sandbox.region,
    '--create-gateway', gateway, '--role-arn', sandbox.roleArn, '--callback-port', String(port), '--no-verify', '--yes'];
}

describe('init that fails half-way', () => {
  before(async () => {
    log = createMemoryLogger();
    sandbox = await startSandbox({ logger: log, readyDelayMs: 30 });
    sdk = new BedrockAgentCoreControlClient({ endpoint: sandbox.controlPlaneEndpoint, region: sandbox.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    root = await mkdtemp(join(tmpdir(), 'agentcore-auth-resume-'));
  });
  after(async () => {
    sdk.destroy();
    await sandbox.close();
    await rm(root, { recursive: true, force: true });
  });

  test('with --yes, a failed step rolls back what the run made (the registered app), says so, exits 1, and writes no client config', async () => {
    await sdk.send(new CreateGatewayCommand({ name: 'taken', roleArn: sandbox.roleArn, protocolType: 'MCP', authorizerType: 'NONE' }));
    const u = await user('rollback');
    const before = registered().length;
    const r = await runCli(initArgs('taken', await freePort()), { env: u.env });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.output, /Rolled back everything this run made/);
    const mine = registered().slice(before);
    assert.equal(mine.length, 1, 'one app was registered before the gateway step failed');
    assert.ok(deleted().includes(mine[0]!), 'and the rollback deleted it at the IdP');
    assert.equal(existsSync(u.kiro), false, 'no client config was written');
    const journal = JSON.parse(await readFile(u.journal, 'utf8')) as { entries: Array<{ state: string }> };
    assert.ok(journal.entries.every((e) => e.state !== 'done' && e.state !== 'intent'), 'nothing is left live in the journal');
    const c = await runCli(['cleanup', '--yes'], { env: u.env });
    assert.equal(c.code, 0, describeRun(c));
  });

  test('with --keep-on-failure the run is kept; the next init resumes: same client id, one gateway, one entry; cleanup leaves nothing', async () => {
    const u = await user('resume');
    const port = await freePort();
    const before = registered().length;
    // First run: the name is taken, so the gateway step fails after the app exists.
    await sdk.send(new CreateGatewayCommand({ name: 'resume-gw', roleArn: sandbox.roleArn, protocolType: 'MCP', authorizerType: 'NONE' }));
    const blocked = await runCli([...initArgs('resume-gw', port), '--keep-on-failure'], { env: u.env });
    assert.equal(blocked.code, 1, describeRun(blocked));
    assert.match(blocked.output, /Kept what this run made/);
    const firstClient = registered().slice(before);
    assert.equal(firstClient.length, 1);
    // Someone frees the name; the re-run resumes.
    const [taken] = await gatewaysNamed('resume-gw');
    await sdk.send(new DeleteGatewayCommand({ gatewayIdentifier: taken!.gatewayId! }));
    await new Promise((r) => setTimeout(r, 100));
    const resumed = await runCli([...initArgs('resume-gw', port), '--json'], { env: u.env });
    assert.equal(resumed.code, 0, describeRun(resumed));
    const out = parseSingleJson<{ app: { clientId: string }; gateway: { gatewayId: string } }>(resumed);
    assert.equal(out.app.clientId, firstClient.at(-1), 'the app registered by the failed run is reused');
    assert.equal(registered().length, before + firstClient.length, 'no second app');
    assert.equal((await gatewaysNamed('resume-gw')).length, 1, 'one gateway');
    const kiro = JSON.parse(await readFile(u.kiro, 'utf8')) as { mcpServers: Record<string, unknown> };
    assert.deepEqual(Object.keys(kiro.mcpServers), ['gateway-tools']);
    // Re-running a finished setup updates in place.
    const again = await runCli([...initArgs('resume-gw', port), '--json'], { env: u.env });
    assert.equal(again.code, 0, describeRun(again));
    assert.equal(parseSingleJson<{ app: { clientId: string } }>(again).app.clientId, out.app.clientId);
    assert.equal((await gatewaysNamed('resume-gw')).length, 1);

    const clean = await runCli(['cleanup', '--yes'], { env: u.env });
    assert.equal(clean.code, 0, describeRun(clean));
    assert.equal((await gatewaysNamed('resume-gw')).length, 0);
    assert.ok(deleted().includes(out.app.clientId));
    const twice = await runCli(['cleanup', '--yes'], { env: u.env });
    assert.equal(twice.code, 0, describeRun(twice));
    assert.match(twice.output, /already cleaned up/);
  });

  test('an app deleted by someone else is registered again on resume (not reused); an unknown setup name is an error', async () => {
    const u = await user('gone');
    const port = await freePort();
    const first = await runCli([...initArgs('gone-gw', port), '--json'], { env: u.env });
    assert.equal(first.code, 0, describeRun(first));
    const firstId = parseSingleJson<{ app: { clientId: string } }>(first).app.clientId;
    // Delete the client at the IdP behind the tool's back (RFC 7592 with the journaled registration token).
    const secrets = JSON.parse(await readFile(join(u.home, '.agentcore-auth', 'setups', 'default.secrets.json'), 'utf8')) as Record<string, string>;
    const journal = JSON.parse(await readFile(u.journal, 'utf8')) as { entries: Array<{ kind: string; result?: { app?: { extras: { registrationClientUri: string } } } }> };
    const uri = journal.entries.find((e) => e.kind === 'idp-app')!.result!.app!.extras.registrationClientUri;
    const token = Object.entries(secrets).find(([k]) => k.endsWith('registrationAccessToken'))![1];
    const del = await fetch(uri, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(del.status, 204);
    const again = await runCli([...initArgs('gone-gw', port), '--json'], { env: u.env });
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.output, /no longer exists at the IdP/);
    assert.notEqual(parseSingleJson<{ app: { clientId: string } }>(again).app.clientId, firstId);
    assert.equal((await gatewaysNamed('gone-gw')).length, 1, 'the gateway is reused');

    const unknown = await runCli(['cleanup', '--setup', 'no-such-setup', '--yes'], { env: u.env });
    assert.equal(unknown.code, 1, describeRun(unknown));
    assert.match(unknown.output, /No setup named "no-such-setup"/);
    assert.match(unknown.output, /Known setups: default/);
    const status = await runCli(['status', '--setup', 'no-such-setup'], { env: u.env });
    assert.equal(status.code, 1, describeRun(status));
    const clean = await runCli(['cleanup', '--yes'], { env: u.env });
    assert.equal(clean.code, 0, describeRun(clean));
  });

  test('an existing gateway: cleanup restores its exact previous authorizer and keeps every other setting; --delete-gateway deletes its targets first', async () => {
    const previous = { discoveryUrl: sandbox.discoveryUrl, allowedClients: ['someone-elses-app'], allowedScopes: ['openid'] };
    const made = await sdk.send(new CreateGatewayCommand({ name: 'existing-gw', roleArn: sandbox.roleArn, description: 'team gateway', protocolType: 'MCP', authorizerType: 'CUSTOM_JWT', authorizerConfiguration: { customJWTAuthorizer: previous } }));
    const id = made.gatewayId!;
    const ready = async () => {
      for (let i = 0; i < 100; i++) {
        const g = await sdk.send(new GetGatewayCommand({ gatewayIdentifier: id }));
        if (g.status === 'READY') return g;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('not READY');
    };
    await ready();
    const u = await user('existing');
    const args = ['init', '--provider', 'oidc', '--issuer', sandbox.issuer, '--endpoint-url', sandbox.controlPlaneEndpoint, '--gateway', id, '--callback-port', String(await freePort()), '--no-verify', '--yes', '--json'];
    const r = await runCli(args, { env: u.env });
    assert.equal(r.code, 0, describeRun(r));
    const clientId = parseSingleJson<{ app: { clientId: string } }>(r).app.clientId;
    const during = await ready();
    assert.deepEqual(during.authorizerConfiguration?.customJWTAuthorizer?.allowedClients, [clientId]);
    assert.equal(during.description, 'team gateway', 'the full-replace update sent the other fields back');
    const clean = await runCli(['cleanup', '--yes'], { env: u.env });
    assert.equal(clean.code, 0, describeRun(clean));
    const after = await ready();
    assert.deepEqual(after.authorizerConfiguration?.customJWTAuthorizer, previous, 'the previous authorizer is back, exactly');
    assert.equal(after.description, 'team gateway');

    // Again, now deleting the gateway: its target goes first (a gateway with targets cannot be deleted).
    const r2 = await runCli(args, { env: u.env });
    assert.equal(r2.code, 0, describeRun(r2));
    await ready();
    await sdk.send(new CreateGatewayTargetCommand({ gatewayIdentifier: id, name: 'tools', targetConfiguration: { mcp: { mcpServer: { endpoint: 'https://example.invalid/mcp' } } } as never }));
    const del = await runCli(['cleanup', '--yes', '--delete-gateway'], { env: u.env });
    assert.equal(del.code, 0, describeRun(del));
    assert.match(del.output, /Deleted 1 target\(s\) of gateway/);
    assert.equal((await gatewaysNamed('existing-gw')).length, 0);
  });
});
