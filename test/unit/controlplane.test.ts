import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BedrockAgentCoreControlClient,
  CreateGatewayCommand,
  DeleteGatewayCommand,
  GetGatewayCommand,
  ListGatewaysCommand,
  UpdateGatewayCommand,
  paginateListGateways,
} from '@aws-sdk/client-bedrock-agentcore-control';
import type { CreateGatewayCommandInput, GetGatewayCommandOutput, UpdateGatewayCommandInput } from '@aws-sdk/client-bedrock-agentcore-control';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import { createControlPlane } from '../../src/sandbox/controlplane.js';
import type { ControlPlane } from '../../src/sandbox/controlplane.js';
import { startTestIssuer } from '../helpers/authorizer-issuer.js';
import type { TestIssuer } from '../helpers/authorizer-issuer.js';

const ROLE = 'arn:aws:iam::123456789012:role/AgentCoreGatewayRole';
const DELAY = 40;

let server: Server;
let cp: ControlPlane;
let client: BedrockAgentCoreControlClient;
let idp: TestIssuer;
let toolsDir: string;
const logger = createMemoryLogger();

before(async () => {
  idp = await startTestIssuer();
  toolsDir = await mkdtemp(path.join(tmpdir(), 'acauth-tools-'));
  await writeFile(path.join(toolsDir, 'readme.txt'), 'hello');
  await mkdir(path.join(toolsDir, 'docs'));
  await writeFile(path.join(toolsDir, 'docs', 'guide.md'), '# guide');
  cp = createControlPlane({ region: 'us-east-1', accountId: '123456789012', logger, readyDelayMs: DELAY, toolsDir });
  server = createServer((req, res) => {
    if (cp.matches(req)) cp.handler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new BedrockAgentCoreControlClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

after(async () => {
  client.destroy();
  await cp.close();
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  await idp.close();
  await rm(toolsDir, { recursive: true, force: true });
});

async function waitForStatus(gatewayIdentifier: string, status: string): Promise<GetGatewayCommandOutput> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const g = await client.send(new GetGatewayCommand({ gatewayIdentifier }));
    if (g.status === status) return g;
    if (Date.now() > deadline) assert.fail(`gateway ${gatewayIdentifier} stayed ${g.status}, wanted ${status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function expectError(p: Promise<unknown>, name: string): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & Record<string, unknown>;
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    return e;
  }
  assert.fail(`expected ${name}`);
}

function jwtGateway(name: string, extra: Partial<CreateGatewayCommandInput> = {}): CreateGatewayCommandInput {
  return {
    name,
    roleArn: ROLE,
    protocolType: 'MCP',
    authorizerType: 'CUSTOM_JWT',
    authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: idp.discoveryUrl, allowedClients: ['app1'], allowedScopes: ['mcp.tools'] } },
    ...extra,
  };
}

/** The fields of a GetGateway answer that UpdateGateway accepts (what a careful caller sends back). */
function replaceInput(g: GetGatewayCommandOutput, changes: Partial<UpdateGatewayCommandInput>): UpdateGatewayCommandInput {
  return {
    gatewayIdentifier: g.gatewayId!,
    name: g.name!,
    roleArn: g.roleArn!,
    authorizerType: g.authorizerType!,
    description: g.description,
    protocolType: g.protocolType,
    protocolConfiguration: g.protocolConfiguration,
    authorizerConfiguration: g.authorizerConfiguration,
    kmsKeyArn: g.kmsKeyArn,
    interceptorConfigurations: g.interceptorConfigurations,
    policyEngineConfiguration: g.policyEngineConfiguration,
    exceptionLevel: g.exceptionLevel,
    ...changes,
  };
}

describe('control plane through the real AgentCore SDK', () => {
  test('create answers 202 CREATING with an AWS-shaped id and ARN, then GetGateway shows READY', async () => {
    const out = await client.send(
      new CreateGatewayCommand(
        jwtGateway('Demo-Create', {
          description: 'first',
          exceptionLevel: 'DEBUG',
          protocolConfiguration: { mcp: { supportedVersions: ['2025-06-18'], searchType: 'SEMANTIC' } },
          tags: { team: 'x' },
        }),
      ),
    );
    assert.equal(out.$metadata.httpStatusCode, 202);
    assert.equal(out.status, 'CREATING');
    assert.match(out.gatewayId!, /^demo-create-[a-z0-9]{10}$/);
    assert.equal(out.gatewayArn, `arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/${out.gatewayId}`);
    assert.match(out.gatewayUrl!, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.ok(out.createdAt instanceof Date && !Number.isNaN(out.createdAt.getTime()), 'createdAt parses as a date');
    const g = await waitForStatus(out.gatewayId!, 'READY');
    assert.equal(g.description, 'first');
    assert.equal(g.exceptionLevel, 'DEBUG');
    assert.deepEqual(g.protocolConfiguration, { mcp: { supportedVersions: ['2025-06-18'], searchType: 'SEMANTIC' } });
    assert.equal(g.authorizerConfiguration?.customJWTAuthorizer?.discoveryUrl, idp.discoveryUrl);
    assert.deepEqual(g.authorizerConfiguration?.customJWTAuthorizer?.allowedClients, ['app1']);
    assert.ok(logger.lines.some((l) => l.includes(`Control plane: CreateGateway ${out.gatewayId} -> CREATING`)));
    // The gateway can be found by ARN too.
    assert.equal((await client.send(new GetGatewayCommand({ gatewayIdentifier: out.gatewayArn }))).gatewayId, out.gatewayId);
  });

  test('list pages with maxResults/nextToken and the SDK paginator sees every gateway', async () => {
    for (const n of ['list-a', 'list-b', 'list-c']) await client.send(new CreateGatewayCommand(jwtGateway(n)));
    const first = await client.send(new ListGatewaysCommand({ maxResults: 2 }));
    assert.equal(first.items?.length, 2);
    assert.ok(first.nextToken);
    const second = await client.send(new ListGatewaysCommand({ maxResults: 2, nextToken: first.nextToken }));
    assert.ok((second.items?.length ?? 0) >= 1);
    const firstIds = new Set(first.items!.map((i) => i.gatewayId));
    assert.ok(second.items!.every((i) => !firstIds.has(i.gatewayId)), 'pages do not overlap');
    const names: string[] = [];
    for await (const page of paginateListGateways({ client, pageSize: 1 }, {})) names.push(...(page.items ?? []).map((i) => i.name!));
    for (const n of ['list-a', 'list-b', 'list-c']) assert.ok(names.includes(n), `${n} listed`);
    const summary = first.items![0]!;
    assert.equal(typeof summary.authorizerType, 'string');
    assert.ok(summary.createdAt instanceof Date);
    assert.equal((summary as unknown as Record<string, unknown>).authorizerConfiguration, undefined, 'summaries carry no authorizer configuration');
    await expectError(client.send(new ListGatewaysCommand({ nextToken: 'bogus' })), 'ValidationException');
  });

  test('update is a full replace: a field left out is gone; the new authorizer is returned', async () => {
    const created = await client.send(new CreateGatewayCommand(jwtGateway('replace-me', { description: 'keep?', kmsKeyArn: undefined })));
    const g = await waitForStatus(created.gatewayId!, 'READY');
    const input = replaceInput(g, {
      description: undefined,
      authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: idp.discoveryUrl, allowedClients: ['app2'] } },
    });
    const up = await client.send(new UpdateGatewayCommand(input));
    assert.equal(up.$metadata.httpStatusCode, 202);
    assert.equal(up.status, 'UPDATING');
    const after = await waitForStatus(g.gatewayId!, 'READY');
    assert.equal(after.description, undefined, 'omitted description was removed');
    assert.deepEqual(after.authorizerConfiguration?.customJWTAuthorizer?.allowedClients, ['app2']);
    assert.equal(after.authorizerConfiguration?.customJWTAuthorizer?.allowedScopes, undefined, 'omitted allowedScopes was removed');
    assert.ok(after.updatedAt!.getTime() >= g.updatedAt!.getTime());
    assert.equal(after.createdAt!.getTime(), g.createdAt!.getTime());
  });

  test('changing authorizerType is refused with the exact AWS message', async () => {
    const created = await client.send(new CreateGatewayCommand(jwtGateway('no-type-change')));
    const g = await waitForStatus(created.gatewayId!, 'READY');
    const e = await expectError(client.send(new UpdateGatewayCommand(replaceInput(g, { authorizerType: 'NONE', authorizerConfiguration: undefined }))), 'ValidationException');
    assert.equal(e.message, 'Authorizer type cannot be updated for an existing gateway');
    assert.equal((e.$metadata as { httpStatusCode: number }).httpStatusCode, 400);
  });

  test('a discoveryUrl without /.well-known/openid-configuration is a ValidationException naming the field', async () => {
    const e = await expectError(
      client.send(new CreateGatewayCommand(jwtGateway('bad-discovery', { authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: idp.issuer } } }))),
      'ValidationException',
    );
    assert.equal(e.reason, 'FieldValidationFailed');
    const fields = e.fieldList as { name: string; message: string }[];
    assert.equal(fields[0]!.name, 'authorizerConfiguration.customJWTAuthorizer.discoveryUrl');
    assert.match(fields[0]!.message, /openid-configuration/);
    const missing = await expectError(client.send(new CreateGatewayCommand({ name: 'no-conf', roleArn: ROLE, authorizerType: 'CUSTOM_JWT' })), 'ValidationException');
    assert.equal((missing.fieldList as { name: string }[])[0]!.name, 'authorizerConfiguration');
  });

  test('a repeated clientToken (an SDK retry) returns the same gateway; a second gateway with the same name conflicts', async () => {
    const input = jwtGateway('idempotent', { clientToken: 'token-123456789012345678901234567890ab' });
    const a = await client.send(new CreateGatewayCommand(input));
    const b = await client.send(new CreateGatewayCommand(input));
    assert.equal(b.gatewayId, a.gatewayId);
    await expectError(client.send(new CreateGatewayCommand(jwtGateway('idempotent'))), 'ConflictException');
  });

  test('bad name and role ARN are ValidationExceptions listing both fields', async () => {
    const e = await expectError(client.send(new CreateGatewayCommand({ name: 'bad_name!', roleArn: 'arn:aws:iam::123:user/x', authorizerType: 'NONE' })), 'ValidationException');
    assert.deepEqual((e.fieldList as { name: string }[]).map((f) => f.name), ['name', 'roleArn']);
    assert.match(e.message, /^2 validation errors detected/);
  });

  test('update while UPDATING and delete while CREATING are ConflictExceptions', async () => {
    const created = await client.send(new CreateGatewayCommand(jwtGateway('busy')));
    await expectError(client.send(new DeleteGatewayCommand({ gatewayIdentifier: created.gatewayId })), 'ConflictException');
    const g = await waitForStatus(created.gatewayId!, 'READY');
    await client.send(new UpdateGatewayCommand(replaceInput(g, {})));
    const e = await expectError(client.send(new UpdateGatewayCommand(replaceInput(g, {}))), 'ConflictException');
    assert.equal((e.$metadata as { httpStatusCode: number }).httpStatusCode, 409);
    await waitForStatus(g.gatewayId!, 'READY');
  });

  test('delete answers DELETING, closes the gateway endpoint, then the gateway is gone', async () => {
    const created = await client.send(new CreateGatewayCommand({ name: 'delete-me', roleArn: ROLE, authorizerType: 'NONE', protocolType: 'MCP' }));
    await waitForStatus(created.gatewayId!, 'READY');
    // authorizerType NONE: the gateway is open, and advertises no OAuth metadata.
    const open = await fetch(created.gatewayUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    assert.equal(open.status, 200);
    assert.equal((await fetch(new URL('/.well-known/oauth-protected-resource', created.gatewayUrl!))).status, 404);
    const del = await client.send(new DeleteGatewayCommand({ gatewayIdentifier: created.gatewayId }));
    assert.equal(del.$metadata.httpStatusCode, 202);
    assert.equal(del.status, 'DELETING');
    await assert.rejects(fetch(created.gatewayUrl!, { method: 'POST' }), 'the data plane stops listening');
    const deadline = Date.now() + 3000;
    for (;;) {
      try {
        await client.send(new GetGatewayCommand({ gatewayIdentifier: created.gatewayId }));
      } catch (err) {
        assert.equal((err as Error).name, 'ResourceNotFoundException');
        assert.equal((err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode, 404);
        break;
      }
      assert.ok(Date.now() < deadline, 'gateway never disappeared');
      await new Promise((r) => setTimeout(r, 10));
    }
    await expectError(client.send(new GetGatewayCommand({ gatewayIdentifier: 'nope-0123456789' })), 'ResourceNotFoundException');
  });
});

describe('gateway data plane', () => {
  let gatewayId: string;
  let gatewayUrl: string;
  let origin: string;

  before(async () => {
    const out = await client.send(
      new CreateGatewayCommand(
        jwtGateway('data-plane', {
          authorizerConfiguration: {
            customJWTAuthorizer: {
              discoveryUrl: idp.discoveryUrl,
              allowedClients: ['app1'],
              allowedScopes: ['mcp.tools'],
              advertisedScopeMapping: { 'mcp.tools': 'api://gw/mcp.tools' },
            },
          },
        }),
      ),
    );
    gatewayId = out.gatewayId!;
    gatewayUrl = out.gatewayUrl!;
    origin = new URL(gatewayUrl).origin;
    await waitForStatus(gatewayId, 'READY');
  });

  test('no token: 401, resource_metadata challenge and the JSON-RPC error body AgentCore sends', async () => {
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource"`);
    assert.deepEqual(await res.json(), { jsonrpc: '2.0', id: 7, error: { code: -32001, message: 'Missing Bearer token' } });
    const noBody = await fetch(gatewayUrl, { method: 'POST' });
    assert.equal(noBody.status, 401);
    assert.deepEqual(await noBody.json(), { jsonrpc: '2.0', id: 0, error: { code: -32001, message: 'Missing Bearer token' } });
  });

  test('protected resource metadata names the gateway, the issuer and the advertised scopes', async () => {
    for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(`${origin}${p}`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        resource: gatewayUrl,
        authorization_servers: [idp.issuer],
        scopes_supported: ['api://gw/mcp.tools'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  test('with a valid token the MCP SDK client initializes, lists tools and calls whoami and list_files', async () => {
    const token = await idp.sign({ sub: 'alice-sub', preferred_username: 'alice', client_id: 'app1', scope: 'openid mcp.tools' });
    const mcp = new Client({ name: 'test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(gatewayUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    await mcp.connect(transport);
    try {
      const tools = await mcp.listTools();
      assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['list_files', 'whoami']);
      const who = await mcp.callTool({ name: 'whoami', arguments: {} });
      const text = (who.content as { type: string; text: string }[])[0]!.text;
      assert.ok(!text.includes(token), 'whoami never returns the token');
      const body = JSON.parse(text) as { subject: string; clientId: string; claims: Record<string, unknown>; scopes: string[] };
      assert.equal(body.subject, 'alice-sub');
      assert.equal(body.clientId, 'app1');
      assert.equal(body.claims.preferred_username, 'alice');
      assert.deepEqual(body.scopes, ['openid', 'mcp.tools']);

      const files = await mcp.callTool({ name: 'list_files', arguments: {} });
      assert.equal((files.content as { text: string }[])[0]!.text, 'docs/\nreadme.txt');
      const sub = await mcp.callTool({ name: 'list_files', arguments: { path: 'docs' } });
      assert.equal((sub.content as { text: string }[])[0]!.text, 'guide.md');
      const escape = await mcp.callTool({ name: 'list_files', arguments: { path: '../..' } });
      assert.equal(escape.isError, true);
      assert.match((escape.content as { text: string }[])[0]!.text, /outside the demo folder/);
    } finally {
      await mcp.close();
    }
    assert.ok(logger.lines.some((l) => l === `Gateway ${gatewayId}: token validated for user alice (client app1)`));
    assert.ok(logger.lines.some((l) => l === `Gateway ${gatewayId}: executing tool: whoami`));
    assert.ok(!logger.lines.some((l) => l.includes(token)), 'no log line holds the token');
  });

  test('a token with the wrong client_id gets 401 invalid_token naming allowedClients and the scope', async () => {
    const token = await idp.sign({ sub: 'eve', client_id: 'intruder', scope: 'mcp.tools' });
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'a1', method: 'tools/list' }),
    });
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate')!;
    assert.match(challenge, /^Bearer error="invalid_token", error_description="[^"]*allowedClients[^"]*", resource_metadata="[^"]+", scope="api:\/\/gw\/mcp\.tools"$/);
    assert.ok(challenge.includes(`resource_metadata="${origin}/.well-known/oauth-protected-resource"`));
    assert.ok(!challenge.includes(token));
    assert.deepEqual(await res.json(), { jsonrpc: '2.0', id: 'a1', error: { code: -32001, message: 'Invalid Bearer token' } });
    assert.ok(logger.lines.some((l) => l.startsWith(`Gateway ${gatewayId}: rejected: `) && l.includes('intruder')));
  });

  test('an authorizer update takes effect on the data plane once the gateway is READY again', async () => {
    const token = await idp.sign({ sub: 'carol', client_id: 'app2', scope: 'mcp.tools' });
    const call = () =>
      fetch(gatewayUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
    assert.equal((await call()).status, 401);
    const g = await client.send(new GetGatewayCommand({ gatewayIdentifier: gatewayId }));
    await client.send(
      new UpdateGatewayCommand(replaceInput(g, { authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: idp.discoveryUrl, allowedClients: ['app1', 'app2'] } } })),
    );
    await waitForStatus(gatewayId, 'READY');
    const ok = await call();
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { result: { serverInfo: { name: string } } };
    assert.equal(body.result.serverInfo.name, 'agentcore-auth-sandbox-gateway');
  });
});
