import { existsSync } from 'node:fs';
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
import { launcher, POSIX_DEFAULT_PATH } from '../../src/clients/npx.js';
import { buildBridgeEntry, clientPath, writerFor } from '../../src/clients/registry.js';
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
    // The machine's own: beside process.execPath when npm installed node; a node from the npm registry's `node`
    // package (how .ci/run gets Node 22 and 24) has none beside it, and then only PATH can supply one.
    const besideNode = join(dirname(process.execPath), 'npx');
    if (existsSync(besideNode)) assert.equal(await resolveNpx({ PATH: '' }), besideNode);
    else await assert.rejects(resolveNpx({ PATH: '' }), (e: unknown) => e instanceof CliError && e.code === 'npx_missing');
  });

  test('an entry with npx elsewhere runs it by absolute path, with node and npx folders on its PATH', () => {
    const input = { serverName: 's', gatewayUrl: 'https://gw.example.com/mcp', callbackPort: 3334, clientId: 'c', scopes: ['openid'], nodeBinDir: '/opt/node/bin', npx: '/usr/local/lib/npm/bin/npx', home: '/home/a' };
    const bridge = buildBridgeEntry(input);
    assert.equal(bridge.command, '/usr/local/lib/npm/bin/npx');
    assert.equal(bridge.env.PATH, '/opt/node/bin:/usr/local/lib/npm/bin:/usr/local/bin:/usr/bin:/bin');
    const kiro = buildKiroEntry({ ...input, extraArgs: [] });
    assert.equal(kiro.command, '/usr/local/lib/npm/bin/npx');
    assert.equal(kiro.env.PATH, bridge.env.PATH);
    assert.equal(launcher({ nodeBinDir: '/opt/node/bin', npx: '/opt/node/bin/npx', home: '/h', platform: 'linux' }).env.PATH, `/opt/node/bin:${POSIX_DEFAULT_PATH}`, 'no duplicate folder');
  });
});

describe('entries for each platform, built on any machine', () => {
  const base = { serverName: 'gateway-tools', gatewayUrl: 'https://gw.example.com/mcp', callbackPort: 3334, clientId: 'c1', scopes: ['openid', 'offline_access'] };
  const mcpArgs = ['-y', 'mcp-remote@0.15.1', 'https://gw.example.com/mcp', '3334'];

  test('linux and darwin: npx by absolute path, PATH with ":"', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const e = buildBridgeEntry({ ...base, nodeBinDir: '/usr/local/bin', home: '/Users/dev', platform });
      assert.equal(e.command, '/usr/local/bin/npx', platform);
      assert.deepEqual(e.args.slice(0, 4), mcpArgs);
      assert.equal(e.env.PATH, '/usr/local/bin:/usr/bin:/bin', 'node\'s folder first, no folder twice');
      assert.equal(e.env.USERPROFILE, undefined);
    }
  });

  test('win32: cmd /c npx.cmd (a batch file cannot be spawned without a shell), PATH with ";", USERPROFILE for the cache', () => {
    const input = { ...base, nodeBinDir: 'C:\\Program Files\\nodejs', home: 'C:\\Users\\dev', platform: 'win32' as const };
    const e = buildBridgeEntry(input);
    assert.equal(e.command, 'cmd');
    assert.deepEqual(e.args.slice(0, 2), ['/c', 'C:\\Program Files\\nodejs\\npx.cmd']);
    assert.deepEqual(e.args.slice(2, 6), mcpArgs);
    assert.equal(e.env.PATH, 'C:\\Program Files\\nodejs;C:\\Windows\\System32');
    assert.equal(e.env.USERPROFILE, 'C:\\Users\\dev');
    const kiro = writerFor('kiro').buildEntry(input) as { command: string; args: string[]; env: Record<string, string> };
    assert.equal(kiro.command, 'cmd');
    assert.deepEqual(kiro.args.slice(0, 2), e.args.slice(0, 2));
    assert.equal(kiro.env.USERPROFILE, 'C:\\Users\\dev');
  });

  test('config locations per platform: Claude Desktop under %APPDATA%, Library or XDG; Windows paths with backslashes', () => {
    const at = (platform: NodeJS.Platform, home: string, env: NodeJS.ProcessEnv = {}) => clientPath('claude-desktop', { home, cwd: home, platform, env });
    assert.equal(at('win32', 'C:\\Users\\dev', { APPDATA: 'C:\\Users\\dev\\AppData\\Roaming' }), 'C:\\Users\\dev\\AppData\\Roaming\\Claude\\claude_desktop_config.json');
    assert.equal(at('win32', 'C:\\Users\\dev'), 'C:\\Users\\dev\\AppData\\Roaming\\Claude\\claude_desktop_config.json');
    assert.equal(at('darwin', '/Users/dev'), '/Users/dev/Library/Application Support/Claude/claude_desktop_config.json');
    assert.equal(at('linux', '/home/dev', { XDG_CONFIG_HOME: '/home/dev/.cfg' }), '/home/dev/.cfg/Claude/claude_desktop_config.json');
    assert.equal(clientPath('kiro', { home: 'C:\\Users\\dev', cwd: 'C:\\src\\app', platform: 'win32' }), 'C:\\Users\\dev\\.kiro\\settings\\mcp.json');
    assert.equal(clientPath('vscode', { home: 'C:\\Users\\dev', cwd: 'C:\\src\\app', platform: 'win32' }), 'C:\\src\\app\\.vscode\\mcp.json');
  });
});

describe('NODE_EXTRA_CA_CERTS travels in the entry (clients pass no environment)', () => {
  test('given where init runs, every entry carries it (Kiro, bridge, win32); absent, no entry names it', () => {
    const base = { serverName: 'gateway-tools', gatewayUrl: 'https://gw.example.com/mcp', callbackPort: 3334, clientId: 'c1', scopes: ['openid'], nodeBinDir: '/opt/node/bin', npx: '/opt/node/bin/npx', home: '/home/dev' };
    const ca = '/etc/ssl/corp-proxy.pem';
    assert.equal(buildKiroEntry({ ...base, caCerts: ca }).env.NODE_EXTRA_CA_CERTS, ca);
    assert.equal(buildBridgeEntry({ ...base, caCerts: ca, platform: 'linux' }).env.NODE_EXTRA_CA_CERTS, ca);
    assert.equal(buildBridgeEntry({ ...base, npx: undefined, nodeBinDir: 'C:\\nodejs', home: 'C:\\Users\\dev', caCerts: 'C:\\ca.pem', platform: 'win32' }).env.NODE_EXTRA_CA_CERTS, 'C:\\ca.pem');
    assert.equal('NODE_EXTRA_CA_CERTS' in buildKiroEntry(base).env, false);
    assert.equal('NODE_EXTRA_CA_CERTS' in buildBridgeEntry({ ...base, platform: 'linux' }).env, false);
  });
});
