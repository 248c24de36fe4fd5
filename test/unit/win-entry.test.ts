/**
 * verify reads Windows client entries (`cmd /c C:\...\npx.cmd -y mcp-remote@0.15.1 <url> ...`) exactly like POSIX
 * ones (`<npx> -y mcp-remote@0.15.1 <url> ...`), on any machine: the entry launcher({platform:'win32'}) and each
 * client's writer make, written to a real file and read back, gives the same gateway URL, callback port, scope,
 * client id and cache hash; cmd's spellings (cmd.exe, /C, /d /s /c, the rest as one string) read the same; a
 * malformed cmd entry is a clear finding; the entry's paths are checked with Windows rules (";" PATH, backslashes,
 * npx.cmd's node.exe) when verify runs on win32, and are not reported missing when it runs elsewhere.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { baseName, entryMcpRemoteArgv, isNpx, mcpRemoteArgv, splitWindowsCommandLine, unwrapLauncher } from '../../src/clients/entry-command.js';
import { launcher } from '../../src/clients/npx.js';
import { buildMcpRemoteArgs } from '../../src/clients/mcp-remote.js';
import { CLIENT_WRITERS, readClientEntry, setClientEntry, writerFor } from '../../src/clients/registry.js';
import { checkClientConfig, parseMcpRemoteEntry, type ClientConfigInput } from '../../src/checks/client-config.js';
import { diagnoseFailure } from '../../src/checks/via-client.js';
import type { CheckResult } from '../../src/checks/types.js';

const GW = 'https://gw-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp';
const CLIENT = '0oa-the-right-client';
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const SERVER = 'gateway-tools';
const PORT = 3334;
const WIN_NODE = 'C:\\Program Files\\nodejs';
const WIN_HOME = 'C:\\Users\\dev';
/** What exists on the pretend Windows machine. */
const WIN_FILES = new Set([`${WIN_NODE}\\npx.cmd`, `${WIN_NODE}\\node.exe`, 'C:\\Windows\\System32\\cmd.exe']);
const onWindows = async (p: string) => WIN_FILES.has(p);

const base = { serverName: SERVER, gatewayUrl: GW, callbackPort: PORT, clientId: CLIENT, scopes: SCOPES };
const mcpArgs = buildMcpRemoteArgs({ gatewayUrl: GW, callbackPort: PORT, host: 'localhost', clientId: CLIENT, scopes: SCOPES });

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-win-entry-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('taking cmd /c off', () => {
  test("launcher()'s win32 entry: cmd /c <npx.cmd> ...rest reads as <npx.cmd> ...rest", () => {
    const l = launcher({ nodeBinDir: WIN_NODE, home: WIN_HOME, platform: 'win32' });
    const u = unwrapLauncher(l.command, [...l.argsPrefix, ...mcpArgs], l.env);
    assert.equal(u.program, `${WIN_NODE}\\npx.cmd`);
    assert.deepEqual(u.args, mcpArgs);
    assert.deepEqual(u.shell, { command: 'cmd', switches: [], keep: false });
    assert.equal(u.win32, true);
    assert.equal(u.problem, undefined);
  });

  test("cmd's spellings: cmd.exe by path, /C, /d /s /c, /Q, a bare npx", () => {
    const forms: Array<[string, string[]]> = [
      ['cmd.exe', ['/C', `${WIN_NODE}\\npx.cmd`]],
      ['C:\\Windows\\System32\\cmd.exe', ['/d', '/s', '/c', `${WIN_NODE}\\npx.cmd`]],
      ['CMD', ['/Q', '/D', '/c', 'npx']],
      ['cmd', ['/E:ON', '/c', 'npx.cmd']],
    ];
    for (const [command, prefix] of forms) {
      const u = unwrapLauncher(command, [...prefix, ...mcpArgs]);
      assert.ok(isNpx(u.program), `${command} ${prefix.join(' ')}: ${u.program}`);
      assert.deepEqual(u.args, mcpArgs, command);
      assert.deepEqual(mcpRemoteArgv(command, [...prefix, ...mcpArgs]), { argv: mcpArgs.slice(2), version: '0.15.1' });
    }
  });

  test('the rest as one string: split as node.exe behind npx.cmd receives it, after cmd removes its quotes', () => {
    const line = `"${WIN_NODE}\\npx.cmd" -y mcp-remote@0.15.1 ${GW} ${PORT} --host localhost`;
    // Node's own shell form: cmd /d /s /c "<line>": cmd removes the outer pair.
    const s = unwrapLauncher('cmd.exe', ['/d', '/s', '/c', `"${line}"`]);
    assert.equal(s.program, `${WIN_NODE}\\npx.cmd`);
    assert.deepEqual(s.args, ['-y', 'mcp-remote@0.15.1', GW, String(PORT), '--host', 'localhost']);
    // Without /s and with exactly two quotes cmd keeps them.
    assert.deepEqual(unwrapLauncher('cmd', ['/c', line]).args, s.args);
    assert.equal(unwrapLauncher('cmd', ['/c', line]).program, `${WIN_NODE}\\npx.cmd`);
  });

  test('the Microsoft C runtime rules for a command line', () => {
    assert.deepEqual(splitWindowsCommandLine('a "b c" d'), ['a', 'b c', 'd']);
    assert.deepEqual(splitWindowsCommandLine('"{\\"client_id\\":\\"x\\"}"'), ['{"client_id":"x"}']);
    assert.deepEqual(splitWindowsCommandLine('C:\\dir\\ a\\\\"b c"'), ['C:\\dir\\', 'a\\b c']);
    assert.deepEqual(splitWindowsCommandLine('""  x'), ['', 'x']);
  });

  test('cmd that starts nothing: the reason, in words', () => {
    assert.match(unwrapLauncher('cmd', ['/c']).problem ?? '', /^The entry runs cmd \/c with nothing after \/c: cmd starts nothing/);
    assert.match(unwrapLauncher('cmd.exe', ['/d', '/s', '/C', '  ']).problem ?? '', /nothing after \/C/);
    assert.match(unwrapLauncher('cmd', []).problem ?? '', /without \/c: cmd then reads commands from the client's MCP messages/);
    assert.match(unwrapLauncher('cmd', ['npx.cmd', '-y']).problem ?? '', /without \/c/);
    assert.equal(mcpRemoteArgv('cmd', ['/c']), undefined);
  });

  test('POSIX and other commands pass through; npx.cmd is npx; Windows shapes are recognised', () => {
    const u = unwrapLauncher('/usr/local/bin/npx', mcpArgs, { PATH: '/usr/local/bin:/usr/bin:/bin' });
    assert.deepEqual(u, { program: '/usr/local/bin/npx', args: mcpArgs, win32: false });
    assert.equal(unwrapLauncher('npx', [], { PATH: `${WIN_NODE};C:\\Windows\\System32` }).win32, true, 'a ";" PATH of drive paths');
    assert.equal(unwrapLauncher(`${WIN_NODE}\\npx.cmd`, []).win32, true);
    for (const yes of ['npx', 'npx.cmd', 'NPX.CMD', `${WIN_NODE}\\npx.cmd`, '/usr/bin/npx']) assert.ok(isNpx(yes), yes);
    for (const no of ['npm', 'npx.js', 'cmd', undefined]) assert.ok(!isNpx(no), String(no));
    assert.equal(baseName(`${WIN_NODE}\\npx.cmd`), 'npx.cmd');
    assert.deepEqual(mcpRemoteArgv('cmd', ['/c', 'C:\\tools\\mcp-remote.cmd', GW, '3334']), { argv: [GW, '3334'], version: null }, 'its bin after /c');
    assert.equal(mcpRemoteArgv('uvx', ['some-server']), undefined);
  });
});

describe('written by each client writer, read back by verify', () => {
  async function roundTrip(client: string, platform: NodeJS.Platform): Promise<{ entry: Record<string, unknown>; parsed: Awaited<ReturnType<typeof parseMcpRemoteEntry>>; path: string }> {
    const dir = join(root, `c-${++n}`);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'config.json');
    const input = platform === 'win32' ? { ...base, nodeBinDir: WIN_NODE, home: WIN_HOME, platform } : { ...base, nodeBinDir: dirname(process.execPath), home: '/home/dev', platform };
    await setClientEntry(client, path, SERVER, writerFor(client).buildEntry(input));
    const entry = (await readClientEntry(client, path, SERVER)) as Record<string, unknown>;
    return { entry, parsed: await parseMcpRemoteEntry(entry), path };
  }

  for (const client of CLIENT_WRITERS.map((w) => w.id)) {
    test(`${client}: the win32 entry yields the same gateway URL, port, scope, client id and cache as the POSIX one`, async () => {
      const posix = await roundTrip(client, 'linux');
      const win = await roundTrip(client, 'win32');
      assert.equal(win.entry.command, 'cmd');
      assert.deepEqual((win.entry.args as string[]).slice(0, 2), ['/c', `${WIN_NODE}\\npx.cmd`]);
      for (const p of [posix.parsed, win.parsed]) {
        assert.equal(p.runsMcpRemote, true);
        assert.equal(p.serverUrl, GW);
        assert.equal(p.specifiedPort, PORT);
        assert.equal(p.effectivePort, PORT);
        assert.equal(p.host, 'localhost');
        assert.equal(p.version, '0.15.1');
        assert.deepEqual(p.clientInfo, { kind: 'ok', clientId: CLIENT });
        assert.deepEqual(p.clientMetadata, { kind: 'ok', scope: SCOPES.join(' ') });
      }
      assert.deepEqual(win.parsed.argv, posix.parsed.argv);
      assert.equal(win.parsed.hash, posix.parsed.hash);
      assert.deepEqual(win.parsed.hashOpts, posix.parsed.hashOpts);
      assert.equal(win.parsed.launch.win32, true);
      assert.equal(posix.parsed.launch.win32, false);
      assert.equal(win.parsed.launch.program, `${WIN_NODE}\\npx.cmd`);
      // cleanup and verify's expired-token probe read the cache hash from the same argv
      assert.deepEqual(entryMcpRemoteArgv(win.entry), entryMcpRemoteArgv(posix.entry));
    });
  }
});

describe('the client-entry check on a Windows entry', () => {
  async function check(entry: unknown, extra: Partial<ClientConfigInput>, client = 'kiro'): Promise<CheckResult> {
    const dir = join(root, `k-${++n}`);
    await mkdir(dir, { recursive: true });
    const configPath = join(dir, 'mcp.json');
    await setClientEntry(client, configPath, SERVER, entry);
    const [r] = await checkClientConfig({ configPath, client, serverName: SERVER, gatewayUrl: GW, clientId: CLIENT, scopes: SCOPES, callbackPort: PORT, env: {}, entryOnly: true, ...extra });
    return r!;
  }
  const winEntry = () => writerFor('kiro').buildEntry({ ...base, nodeBinDir: WIN_NODE, home: WIN_HOME, platform: 'win32' }) as { command: string; args: string[]; env: Record<string, string> };
  const all = (r: CheckResult) => `${r.status}: ${r.finding} [${r.fix ?? ''}]`;

  test('on win32 it passes like the POSIX entry on linux, with the same details', async () => {
    const win = await check(winEntry(), { platform: 'win32', isExecutable: onWindows });
    assert.equal(win.status, 'pass', all(win));
    assert.match(win.finding, /cmd \/c npx\.cmd mcp-remote@0\.15\.1 https:\/\/gw-abc\S+, port 3334, client 0oa-the-right-client/);
    const posixEntry = writerFor('kiro').buildEntry({ ...base, nodeBinDir: dirname(process.execPath), home: '/home/dev', platform: 'linux' });
    const posix = await check(posixEntry, { platform: 'linux' });
    assert.equal(posix.status, 'pass', all(posix));
    const { configPath: _a, ...wd } = win.details as Record<string, unknown>;
    const { configPath: _b, ...pd } = posix.details as Record<string, unknown>;
    assert.deepEqual(wd, pd);
  });

  test('on linux the Windows paths are not reported missing: one warning that the entry is for Windows', async () => {
    const r = await check(winEntry(), { platform: 'linux' });
    assert.equal(r.status, 'warn', all(r));
    assert.match(r.finding, /^The entry is written for Windows \(cmd \/c C:\\Program Files\\nodejs\\npx\.cmd\): Kiro on this linux machine cannot start it/);
    assert.doesNotMatch(r.finding, /does not exist|not on/);
  });

  test('Windows rules: npx.cmd missing, node.exe in neither its folder nor PATH, cmd not on a ";" PATH', async () => {
    const noNpx = await check(winEntry(), { platform: 'win32', isExecutable: async (p) => p !== `${WIN_NODE}\\npx.cmd` && WIN_FILES.has(p) });
    assert.equal(noNpx.status, 'fail');
    assert.match(noNpx.finding, /C:\\Program Files\\nodejs\\npx\.cmd \(after \/c\) does not exist/);

    const noNode = await check(winEntry(), { platform: 'win32', isExecutable: async (p) => p !== `${WIN_NODE}\\node.exe` && WIN_FILES.has(p) });
    assert.equal(noNode.status, 'fail');
    assert.match(noNode.finding, /npx\.cmd runs node\.exe from its own folder, else node through PATH, and node is in neither C:\\Program Files\\nodejs nor the entry's env\.PATH/);

    const e = winEntry();
    const nodeElsewhere = await check({ ...e, env: { ...e.env, PATH: `D:\\node;${e.env.PATH}` } }, { platform: 'win32', isExecutable: async (p) => p === 'D:\\node\\node.exe' || (p !== `${WIN_NODE}\\node.exe` && WIN_FILES.has(p)) });
    assert.equal(nodeElsewhere.status, 'pass', all(nodeElsewhere));

    const noCmd = await check({ ...e, env: { ...e.env, PATH: WIN_NODE } }, { platform: 'win32', isExecutable: onWindows });
    assert.equal(noCmd.status, 'fail');
    assert.match(noCmd.finding, /The command "cmd" is not on the entry's env\.PATH/);
  });

  test('a bare npx after /c is found through PATH and PATHEXT (npx.cmd)', async () => {
    const e = winEntry();
    const r = await check({ ...e, args: ['/c', 'npx', ...e.args.slice(2)] }, { platform: 'win32', isExecutable: onWindows });
    assert.equal(r.status, 'pass', all(r));
  });

  test('npx.cmd spawned without cmd on Windows: a warning with the cmd /c form', async () => {
    const e = winEntry();
    const r = await check({ ...e, command: `${WIN_NODE}\\npx.cmd`, args: e.args.slice(2) }, { platform: 'win32', isExecutable: onWindows });
    assert.equal(r.status, 'warn', all(r));
    assert.match(r.finding, /npx\.cmd is a batch file/);
    assert.match(r.fix ?? '', /"command": "cmd", "args": \["\/c"/);
  });

  test('a malformed cmd /c entry (nothing after /c) is a clear failure, on any machine', async () => {
    for (const platform of ['win32', 'linux'] as const) {
      const r = await check({ command: 'cmd', args: ['/c'], env: { PATH: 'C:\\Windows\\System32', HOME: WIN_HOME } }, { platform, isExecutable: onWindows });
      assert.equal(r.status, 'fail', all(r));
      assert.match(r.finding, /The entry runs cmd \/c with nothing after \/c: cmd starts nothing, so no server runs/);
      assert.match(r.fix ?? '', /"command": "cmd", "args": \["\/c", "<path to npx\.cmd>"/);
      assert.doesNotMatch(r.finding, /does not run mcp-remote/);
    }
  });

  test('through the client: cmd saying a path with spaces "is not recognized" is explained', async () => {
    const parsed = await parseMcpRemoteEntry(winEntry());
    const d = diagnoseFailure({ error: new Error('Connection closed'), stderr: "'C:\\Program' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", timedOut: false, timeoutMs: 1000, authUrlSeen: false, parsed, serverName: SERVER, cacheFiles: [] });
    assert.match(d.finding, /^cmd cut C:\\Program Files\\nodejs\\npx\.cmd at its first space/);
    const node = diagnoseFailure({ error: new Error('Connection closed'), stderr: "'node' is not recognized as an internal or external command,\r\n", timedOut: false, timeoutMs: 1000, authUrlSeen: false, parsed, serverName: SERVER, cacheFiles: [] });
    assert.match(node.finding, /npx\.cmd finds node\.exe neither in its own folder nor on the entry's env\.PATH/);
  });
});
