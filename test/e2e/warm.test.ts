/**
 * Warm the bridge (issue 15): init fetches the pinned mcp-remote into npx's cache while it runs, so a client's first
 * start does not wait for the download. Against the real npm registry (as a user's npx would), with a fresh cache.
 *
 * Run: node test/run.mjs e2e/warm
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bridgeCached } from '../../src/clients/warm.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { describeRun, freePort, isolatedEnv, runCli } from '../helpers/cli.js';

let root: string;
let sb: Sandbox;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-warm-'));
  sb = await startSandbox({ logger: createMemoryLogger(), readyDelayMs: 20 });
});
after(async () => {
  await sb?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

test('init leaves mcp-remote@0.15.1 in npx\'s cache (a fresh one); with it there, nothing is fetched again', { timeout: 120_000 }, async () => {
  const home = join(root, 'home');
  await mkdir(home, { recursive: true });
  const cache = join(root, 'npm-cache');
  const env = { ...isolatedEnv(home, { npm_config_cache: cache }), AGENTCORE_AUTH_NO_PREFETCH: '' };
  assert.equal(await bridgeCached(env), false, 'a fresh cache');
  const args = ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', `warm-${process.pid % 1000}`, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()), '--no-verify', '--yes', '--verbose'];
  const r = await runCli(args, { env, timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun(r));
  const deadline = Date.now() + 90_000;
  while (!(await bridgeCached(env))) {
    assert.ok(Date.now() < deadline, `mcp-remote@0.15.1 did not reach ${cache} in time:\n${describeRun(r)}`);
    await new Promise((res) => setTimeout(res, 500));
  }
  assert.doesNotMatch(r.output, /Could not fetch mcp-remote/);
  const again = await runCli(args, { env, timeoutMs: 60_000 });
  assert.equal(again.code, 0, describeRun(again));
  assert.match(again.output, /mcp-remote@0\.15\.1: cached/, 'already in the cache: not fetched again');
  const clean = await runCli(['cleanup', '--yes'], { env, timeoutMs: 60_000 });
  assert.equal(clean.code, 0, describeRun(clean));
});
