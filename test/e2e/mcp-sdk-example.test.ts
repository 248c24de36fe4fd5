/**
 * verify against software this project did not write: the MCP TypeScript SDK's own example server with
 * `--oauth` (node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js), an
 * OAuth-protected MCP server that is not an AgentCore gateway. Its authorization server (the SDK's demo provider)
 * signs every request in at once, registers clients by RFC 7591, issues opaque access tokens that the MCP server
 * checks by introspection, publishes no JWKS, and issues no refresh tokens.
 *
 * What a user relies on: a healthy server of this kind verifies with exit 0 (gateway-only expectations such as
 * JWT access tokens and a JWKS are notes, not failures, and a server that accepted the token outranks any
 * inference from its shape), while the same findings stay failures for an AgentCore gateway.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs mcp-sdk-example
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, runCli } from '../helpers/cli.js';

const EXAMPLE = join(PROJECT_ROOT, 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm', 'examples', 'server', 'simpleStreamableHttp.js');
const BROWSER_SH = join(PROJECT_ROOT, 'test', 'helpers', 'browser.sh');

let root: string;
let server: ChildProcess | undefined;
let mcpUrl: string;
let asUrl: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-mcp-example-'));
  const [mcpPort, authPort] = [await freePort(), await freePort()];
  server = spawn(process.execPath, [EXAMPLE, '--oauth'], { env: { ...process.env, MCP_PORT: String(mcpPort), MCP_AUTH_PORT: String(authPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  server.stderr!.resume();
  const deadline = Date.now() + 15_000;
  while (!/MCP Streamable HTTP Server listening/.test(out)) {
    assert.ok(server.exitCode === null && Date.now() < deadline, `the SDK example server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  mcpUrl = `http://localhost:${mcpPort}/mcp`;
  asUrl = `http://localhost:${authPort}`;
});

after(async () => {
  server?.kill('SIGKILL');
  if (root) await rm(root, { recursive: true, force: true });
});

/** RFC 7591 at the example's authorization server: a public client with our loopback redirect. */
async function register(port: number): Promise<string> {
  const res = await fetch(`${asUrl}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'agentcore-auth verify test', redirect_uris: [`http://localhost:${port}/oauth/callback`], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { client_id: string }).client_id;
}

interface Report {
  ok: boolean;
  checks: Array<{ id: string; status: string; finding: string; fix?: string }>;
}

describe('verify on the MCP SDK example OAuth server (not an AgentCore gateway)', () => {
  test('healthy: exit 0; initialize and tools/list pass with the opaque token; JWT and JWKS expectations are notes', async () => {
    const home = join(root, 'home');
    await mkdir(home, { recursive: true });
    const port = await freePort();
    const clientId = await register(port);
    const r = await runCli(['verify', '--gateway-url', mcpUrl, `--client-id=${clientId}`, '--callback-port', String(port), '--login-timeout', '30', '--json'], {
      env: isolatedEnv(home, { BROWSER: BROWSER_SH, DISPLAY: '' }),
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, describeRun(r));
    const doc = parseSingleJson<Report>(r);
    assert.equal(doc.ok, true);
    const by = (id: string) => doc.checks.find((c) => c.id === id);
    assert.equal(by('login')?.status, 'pass', by('login')?.finding);
    assert.equal(by('mcp-initialize')?.status, 'pass');
    assert.equal(by('mcp-tools-list')?.status, 'pass');
    assert.match(by('mcp-tools-list')!.finding, /greet/);
    for (const id of ['jwks', 'token-claims']) {
      assert.equal(by(id)?.status, 'info', `${id}: ${by(id)?.finding}`);
      assert.match(by(id)!.finding, /this server is not one, and it accepted the token, so it is only a note/);
    }
    assert.deepEqual(doc.checks.filter((c) => c.status === 'fail').map((c) => c.id), [], 'no failure on a healthy server');
    // verify's own scope choice is named as such, not blamed on the client.
    assert.match(by('refresh')!.finding, /verify asked for mcp:tools \(the server's scopes_supported, as mcp-remote does\)/);
    assert.doesNotMatch(by('refresh')!.fix ?? '', /Add offline_access/);
  });
});
