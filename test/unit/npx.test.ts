/**
 * Which npx a client entry runs: beside node, else the first on PATH, else a clear error; the entry's PATH then
 * holds node's folder (npx runs `env node`) and npx's.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveNpx } from '../../src/clients/npx.js';
import { buildBridgeEntry, entryPath } from '../../src/clients/registry.js';
import { buildKiroEntry } from '../../src/clients/kiro.js';
import { CliError } from '../../src/core/errors.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-npx-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function fakeBin(name: string, withNpx: boolean): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  if (withNpx) {
    await writeFile(join(dir, 'npx'), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, 'npx'), 0o755);
  }
  return dir;
}

describe('resolveNpx', () => {
  test('the npx beside node wins; else the first executable one on PATH; else npx_missing naming both places', async () => {
    const node = await fakeBin('node-with-npx', true);
    const elsewhere = await fakeBin('elsewhere', true);
    assert.equal(await resolveNpx({ PATH: elsewhere }, node), join(node, 'npx'));

    const bare = await fakeBin('node-from-npm-package', false);
    const notExec = await fakeBin('not-exec', false);
    await writeFile(join(notExec, 'npx'), 'not executable');
    assert.equal(await resolveNpx({ PATH: [notExec, elsewhere].join(':') }, bare), join(elsewhere, 'npx'), 'a file that is not executable is skipped');

    await assert.rejects(resolveNpx({ PATH: notExec }, bare), (e: unknown) => e instanceof CliError && e.code === 'npx_missing' && e.message.includes(join(bare, 'npx')) && /PATH/.test(e.fix ?? ''));
    // The machine's own: beside process.execPath.
    assert.equal(await resolveNpx({ PATH: '' }), join(dirname(process.execPath), 'npx'));
  });

  test('an entry with npx elsewhere runs it by absolute path, with node and npx folders on its PATH', () => {
    const input = { serverName: 's', gatewayUrl: 'https://gw.example.com/mcp', callbackPort: 3334, clientId: 'c', scopes: ['openid'], nodeBinDir: '/opt/node/bin', npx: '/usr/local/lib/npm/bin/npx', home: '/home/a' };
    const bridge = buildBridgeEntry(input);
    assert.equal(bridge.command, '/usr/local/lib/npm/bin/npx');
    assert.equal(bridge.env.PATH, '/opt/node/bin:/usr/local/lib/npm/bin:/usr/local/bin:/usr/bin:/bin');
    const kiro = buildKiroEntry({ ...input, extraArgs: [] });
    assert.equal(kiro.command, '/usr/local/lib/npm/bin/npx');
    assert.equal(kiro.env.PATH, bridge.env.PATH);
    assert.equal(entryPath({ nodeBinDir: '/opt/node/bin', npx: '/opt/node/bin/npx' }), '/opt/node/bin:/usr/local/bin:/usr/bin:/bin', 'no duplicate folder');
  });
});
