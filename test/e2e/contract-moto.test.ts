/**
 * Contract test: the sandbox control plane and moto_server answer the same SDK calls with the same
 * response SHAPES (keys, value types, status enum), so code written against one works against the other.
 *
 * Semantics are deliberately NOT compared: the sandbox models AWS, moto does not (FACTS §3). Known moto
 * differences, documented here instead of asserted:
 *   - UpdateGateway is a partial merge in moto (omitted fields are kept); AWS and the sandbox replace.
 *   - moto answers HTTP 500 to CreateGateway/UpdateGateway without `protocolType` (KeyError); we always send it.
 *   - moto lets authorizerType change on update; AWS and the sandbox refuse
 *     ("Authorizer type cannot be updated for an existing gateway").
 *   - moto leaves an updated gateway UPDATING forever; the sandbox goes back to READY after readyDelayMs.
 *   - moto's CREATING -> READY happens on a later GetGateway call, not by time.
 *   - moto deletes at once (GetGateway right after DeleteGateway is ResourceNotFoundException); the sandbox
 *     shows DELETING for readyDelayMs first, as AWS does.
 *   - moto's gatewayUrl has no `/mcp` suffix and nothing listens there; the sandbox serves a real gateway.
 *   - moto's gatewayId is 10 hex characters; AWS and the sandbox use `<name lowercased>-<10 alphanumerics>`.
 *   - moto always returns `description` ("" when unset); the sandbox omits it when unset.
 *   - moto's ListGateways ignores maxResults/nextToken (one page).
 *   - moto validates no field patterns (discoveryUrl, name, roleArn); the sandbox validates as AWS documents.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BedrockAgentCoreControlClient,
  CreateGatewayCommand,
  DeleteGatewayCommand,
  GatewayStatus,
  GetGatewayCommand,
  ListGatewaysCommand,
  UpdateGatewayCommand,
} from '@aws-sdk/client-bedrock-agentcore-control';
import type { CreateGatewayCommandInput } from '@aws-sdk/client-bedrock-agentcore-control';
import { createMemoryLogger } from '../../src/core/logger.js';
import { createControlPlane } from '../../src/sandbox/controlplane.js';
import type { ControlPlane } from '../../src/sandbox/controlplane.js';

const ROLE = 'arn:aws:iam::123456789012:role/AgentCoreGatewayRole';
const STATUSES = new Set<string>(Object.values(GatewayStatus));

async function onPath(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, cmd);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The type a shape comparison cares about. */
function kind(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'invalid-date' : 'date';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Same value types for every key both responses carry (recursing into objects), ignoring $metadata. */
function assertSameShape(sandboxAnswer: object, motoAnswer: object, where: string, mustShare: string[]): void {
  const sandbox = sandboxAnswer as Record<string, unknown>;
  const moto = motoAnswer as Record<string, unknown>;
  for (const k of mustShare) {
    assert.ok(k in sandbox && sandbox[k] !== undefined, `${where}: the sandbox answer lacks ${k}`);
    assert.ok(k in moto && moto[k] !== undefined, `${where}: moto's answer lacks ${k}`);
  }
  for (const k of Object.keys(sandbox)) {
    if (k === '$metadata' || moto[k] === undefined || sandbox[k] === undefined) continue;
    assert.equal(kind(sandbox[k]), kind(moto[k]), `${where}.${k}: sandbox ${kind(sandbox[k])}, moto ${kind(moto[k])}`);
    if (kind(sandbox[k]) === 'object') assertSameShape(sandbox[k] as object, moto[k] as object, `${where}.${k}`, []);
  }
  if (typeof sandbox.status === 'string') assert.ok(STATUSES.has(sandbox.status), `${where}: sandbox status ${sandbox.status}`);
  if (typeof moto.status === 'string') assert.ok(STATUSES.has(moto.status), `${where}: moto status ${moto.status}`);
}

let motoBin: string | undefined;
let moto: ChildProcess | undefined;
let motoClient: BedrockAgentCoreControlClient;
let sandboxClient: BedrockAgentCoreControlClient;
let cp: ControlPlane;
let server: Server;
let toolsDir: string;

before(async () => {
  motoBin = await onPath('moto_server');
  if (!motoBin) return;
  const port = await freePort();
  moto = spawn(motoBin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (moto.exitCode !== null || Date.now() > deadline) throw new Error(`moto_server did not start on ${endpoint}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  motoClient = new BedrockAgentCoreControlClient({ endpoint, region: 'us-east-1', credentials });

  toolsDir = await mkdtemp(path.join(tmpdir(), 'acauth-contract-'));
  cp = createControlPlane({ region: 'us-east-1', accountId: '123456789012', logger: createMemoryLogger(), readyDelayMs: 30, toolsDir });
  server = createServer((req, res) => (cp.matches(req) ? cp.handler(req, res) : res.writeHead(404).end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sandboxClient = new BedrockAgentCoreControlClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials });
});

after(async () => {
  motoClient?.destroy();
  sandboxClient?.destroy();
  if (moto && moto.exitCode === null) {
    const exited = new Promise((r) => moto!.once('exit', r));
    moto.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (moto.exitCode === null) moto.kill('SIGKILL');
  }
  await cp?.close();
  if (server) {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  }
  if (toolsDir) await rm(toolsDir, { recursive: true, force: true });
});

test('sandbox and moto_server give the same response shapes for Create/Get/List/Update/Delete', async (t) => {
  if (!motoBin) {
    t.skip('moto_server not on PATH: install moto (pip install "moto[server]") to run the AWS-emulator contract test');
    return;
  }
  const input: CreateGatewayCommandInput = {
    name: 'contract-gw',
    roleArn: ROLE,
    protocolType: 'MCP', // moto 500s without it
    authorizerType: 'CUSTOM_JWT',
    description: 'contract test',
    authorizerConfiguration: {
      customJWTAuthorizer: { discoveryUrl: 'http://127.0.0.1:9/realm/.well-known/openid-configuration', allowedClients: ['app1'], allowedAudience: ['api://default'] },
    },
    protocolConfiguration: { mcp: { supportedVersions: ['2025-06-18'] } },
  };
  const [s, m] = [sandboxClient, motoClient];

  // Create
  const sc = await s.send(new CreateGatewayCommand(input));
  const mc = await m.send(new CreateGatewayCommand(input));
  assert.equal(sc.$metadata.httpStatusCode, mc.$metadata.httpStatusCode, 'same HTTP status for create');
  const detailKeys = ['gatewayArn', 'gatewayId', 'gatewayUrl', 'createdAt', 'updatedAt', 'status', 'name', 'roleArn', 'protocolType', 'authorizerType', 'authorizerConfiguration', 'protocolConfiguration', 'description', 'workloadIdentityDetails'];
  assertSameShape(sc, mc, 'CreateGateway', detailKeys);
  assert.equal(sc.status, 'CREATING');
  assert.equal(mc.status, 'CREATING');
  assert.deepEqual(sc.authorizerConfiguration, mc.authorizerConfiguration, 'both echo the authorizer configuration as sent');

  // Get
  const sg = await s.send(new GetGatewayCommand({ gatewayIdentifier: sc.gatewayId }));
  const mg = await m.send(new GetGatewayCommand({ gatewayIdentifier: mc.gatewayId }));
  assertSameShape(sg, mg, 'GetGateway', detailKeys);

  // List
  const sl = await s.send(new ListGatewaysCommand({}));
  const ml = await m.send(new ListGatewaysCommand({}));
  const ss = sl.items!.find((i) => i.gatewayId === sc.gatewayId)!;
  const ms = ml.items!.find((i) => i.gatewayId === mc.gatewayId)!;
  assert.ok(ss && ms, 'both list the new gateway');
  assertSameShape(ss, ms, 'ListGateways.items[]', ['gatewayId', 'name', 'status', 'createdAt', 'updatedAt', 'authorizerType', 'protocolType']);
  assert.deepEqual(Object.keys(ss).sort(), Object.keys(ms).sort(), 'summaries carry the same keys');

  // Update (full input; wait for the sandbox to be READY, as AWS requires; moto does not care)
  const deadline = Date.now() + 3000;
  while ((await s.send(new GetGatewayCommand({ gatewayIdentifier: sc.gatewayId }))).status !== 'READY') {
    assert.ok(Date.now() < deadline, 'sandbox gateway never became READY');
    await new Promise((r) => setTimeout(r, 10));
  }
  const update = (id: string) =>
    new UpdateGatewayCommand({
      gatewayIdentifier: id,
      name: input.name,
      roleArn: input.roleArn,
      protocolType: 'MCP',
      authorizerType: 'CUSTOM_JWT',
      description: 'updated',
      protocolConfiguration: input.protocolConfiguration,
      authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: 'http://127.0.0.1:9/realm/.well-known/openid-configuration', allowedClients: ['app2'] } },
    });
  const su = await s.send(update(sc.gatewayId!));
  const mu = await m.send(update(mc.gatewayId!));
  assert.equal(su.$metadata.httpStatusCode, mu.$metadata.httpStatusCode, 'same HTTP status for update');
  assertSameShape(su, mu, 'UpdateGateway', detailKeys);
  assert.equal(su.status, 'UPDATING');
  assert.equal(mu.status, 'UPDATING');
  assert.deepEqual(su.authorizerConfiguration, mu.authorizerConfiguration, 'both store the new authorizer');

  // Unknown id: same error class.
  await assert.rejects(s.send(new GetGatewayCommand({ gatewayIdentifier: 'nope-0000000000' })), { name: 'ResourceNotFoundException' });
  await assert.rejects(m.send(new GetGatewayCommand({ gatewayIdentifier: 'nope-0000000000' })), { name: 'ResourceNotFoundException' });

  // Delete (the sandbox, like AWS, refuses while UPDATING: wait for READY first)
  while ((await s.send(new GetGatewayCommand({ gatewayIdentifier: sc.gatewayId }))).status !== 'READY') await new Promise((r) => setTimeout(r, 10));
  const sd = await s.send(new DeleteGatewayCommand({ gatewayIdentifier: sc.gatewayId }));
  const md = await m.send(new DeleteGatewayCommand({ gatewayIdentifier: mc.gatewayId }));
  assert.equal(sd.$metadata.httpStatusCode, md.$metadata.httpStatusCode, 'same HTTP status for delete');
  assertSameShape(sd, md, 'DeleteGateway', ['gatewayId', 'status']);
  assert.equal(sd.status, 'DELETING');
  assert.equal(md.status, 'DELETING');
});
