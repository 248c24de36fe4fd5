import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findNpx } from '../../src/clients/npx.js';
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CliError } from '../../src/core/errors.js';
import { writeFileAtomic } from '../../src/core/fs.js';
import { editJsonFile } from '../../src/clients/jsonfile.js';
import {
  buildKiroEntry,
  kiroConfigPath,
  readKiroEntry,
  removeKiroEntry,
  restoreKiroEntry,
  writeKiroEntry,
  type KiroEntryInput,
} from '../../src/clients/kiro.js';
import { buildMcpRemoteArgs } from '../../src/clients/mcp-remote.js';

const execFileP = promisify(execFile);
const nodeBinDir = dirname(process.execPath);
/** The npx the entries name on this machine: beside node, else on PATH (Node 22/24 in CI come without one). */
const npxPath = findNpx(process.env)!;
const entryPath = [...new Set([nodeBinDir, dirname(npxPath), '/usr/local/bin', '/usr/bin', '/bin'])].join(':');

let root: string;
let seq = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-clients-'));
  // Backups go to the state folder: keep them in this test's own, never the developer's ~/.agentcore-auth.
  process.env.AGENTCORE_AUTH_HOME = join(root, 'state');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder per test. */
async function freshDir(): Promise<string> {
  const dir = join(root, `t${++seq}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

function input(over: Partial<KiroEntryInput> = {}): KiroEntryInput {
  return {
    serverName: 'agentcore-gateway',
    gatewayUrl: 'https://gw-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp',
    callbackPort: 33418,
    clientId: '0oa1clientid',
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    nodeBinDir,
    home: '/home/dev',
    ...over,
  };
}

const OTHER_SERVER = { command: 'uvx', args: ['awslabs.aws-documentation-mcp-server@latest'], env: { FASTMCP_LOG_LEVEL: 'ERROR' }, disabled: false, autoApprove: [] };

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('Kiro config path', () => {
  test('user scope is ~/.kiro/settings/mcp.json, workspace scope is <cwd>/.kiro/settings/mcp.json', () => {
    assert.equal(kiroConfigPath('user', { home: '/home/dev', cwd: '/work/proj' }), '/home/dev/.kiro/settings/mcp.json');
    assert.equal(kiroConfigPath('workspace', { home: '/home/dev', cwd: '/work/proj' }), '/work/proj/.kiro/settings/mcp.json');
  });
});

describe('Kiro entry', () => {
  test('runs mcp-remote through the npx next to node, with PATH and HOME in env, args exactly as built', async () => {
    const e = buildKiroEntry(input({ extraArgs: ['--resource', 'https://gw.example/mcp'] }));
    assert.equal(e.command, npxPath);
    await access(e.command, fsConstants.X_OK); // exists and is executable
    assert.deepEqual(
      e.args,
      buildMcpRemoteArgs({
        gatewayUrl: input().gatewayUrl,
        callbackPort: 33418,
        host: 'localhost',
        clientId: '0oa1clientid',
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        extraArgs: ['--resource', 'https://gw.example/mcp'],
      }),
    );
    assert.equal(e.env.PATH, entryPath);
    assert.equal(e.env.PATH!.split(':')[0], nodeBinDir);
    assert.equal(e.env.HOME, '/home/dev');
    assert.equal(e.disabled, false);
    assert.deepEqual(e.autoApprove, []);
    assert.deepEqual(Object.keys(e), ['command', 'args', 'env', 'disabled', 'autoApprove']);
  });

  test('the command starts with only the entry env (Kiro passes no PATH/HOME)', async () => {
    const home = await freshDir();
    const e = buildKiroEntry(input({ home }));
    const { stdout } = await execFileP(e.command, ['--version'], { env: e.env, timeout: 15_000 });
    assert.match(stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  test('an optional mcp-remote config dir goes into env', () => {
    const e = buildKiroEntry(input({ mcpRemoteConfigDir: '/tmp/mcp-auth-x' }));
    assert.equal(e.env.MCP_REMOTE_CONFIG_DIR, '/tmp/mcp-auth-x');
  });
});

describe('writeKiroEntry', () => {
  test('creates a new file (and its parent folders) holding only the entry', async () => {
    const home = await freshDir();
    const path = kiroConfigPath('user', { home, cwd: home });
    const res = await writeKiroEntry(path, input(), {});
    assert.equal(res.created, true);
    assert.equal(res.changed, true);
    assert.equal(res.backupPath, undefined);
    assert.equal(res.previousEntry, null);
    const text = await readFile(path, 'utf8');
    assert.deepEqual(JSON.parse(text), { mcpServers: { 'agentcore-gateway': buildKiroEntry(input()) } });
    assert.equal(text, JSON.stringify(JSON.parse(text), null, 2) + '\n');
    assert.equal((await stat(path)).mode & 0o777, 0o644);
    assert.deepEqual(await readKiroEntry(path, 'agentcore-gateway'), buildKiroEntry(input()));
  });

  test('keeps other servers and unknown top-level keys, in their order', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    const original = {
      zeta: 1,
      mcpServers: { 'b-server': OTHER_SERVER, 'a-server': { url: 'https://x.example/mcp', headers: { A: 'b' } } },
      alpha: { nested: [1, 'two', null, true], deep: { k: 'v' } },
    };
    await writeFile(path, JSON.stringify(original, null, 2) + '\n');
    await writeKiroEntry(path, input(), {});
    const after = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(Object.keys(after), Object.keys(original));
    assert.deepEqual(Object.keys(after.mcpServers), ['b-server', 'a-server', 'agentcore-gateway']);
    assert.deepEqual(after.mcpServers['b-server'], OTHER_SERVER);
    assert.deepEqual(after.mcpServers['a-server'], original.mcpServers['a-server']);
    assert.deepEqual(after.alpha, original.alpha);
    assert.equal(after.zeta, 1);
  });

  test('keeps 4-space indentation', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    await writeFile(path, JSON.stringify({ mcpServers: { other: OTHER_SERVER } }, null, 4) + '\n');
    await writeKiroEntry(path, input(), {});
    const text = await readFile(path, 'utf8');
    assert.equal(text, JSON.stringify(JSON.parse(text), null, 4) + '\n');
    assert.match(text, /^ {4}"mcpServers"/m);
  });

  test('keeps tab indentation', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    await writeFile(path, JSON.stringify({ mcpServers: { other: OTHER_SERVER } }, null, '\t') + '\n');
    await writeKiroEntry(path, input(), {});
    const text = await readFile(path, 'utf8');
    assert.equal(text, JSON.stringify(JSON.parse(text), null, '\t') + '\n');
    assert.ok(!/^ +"/m.test(text), 'no space-indented lines');
  });

  test('keeps CRLF line endings, and a missing trailing newline stays missing', async () => {
    const dir = await freshDir();
    const crlf = join(dir, 'crlf.json');
    await writeFile(crlf, JSON.stringify({ mcpServers: { other: OTHER_SERVER } }, null, 2).replace(/\n/g, '\r\n') + '\r\n');
    await writeKiroEntry(crlf, input(), {});
    const text = await readFile(crlf, 'utf8');
    assert.ok(text.endsWith('}\r\n'));
    assert.equal(text.split('\n').length, text.split('\r\n').length, 'every newline is CRLF');
    assert.ok(JSON.parse(text).mcpServers['agentcore-gateway']);

    const bare = join(dir, 'bare.json');
    await writeFile(bare, '{\n  "mcpServers": {}\n}');
    await writeKiroEntry(bare, input(), {});
    const t2 = await readFile(bare, 'utf8');
    assert.ok(t2.endsWith('}') && !t2.endsWith('\n'));
  });

  test('re-running replaces the entry in place: one entry, same position, previousEntry returned', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    const old = { command: 'npx', args: ['-y', 'mcp-remote@0.1.0', 'https://old.example/mcp'] };
    await writeFile(path, JSON.stringify({ mcpServers: { first: OTHER_SERVER, 'agentcore-gateway': old, last: OTHER_SERVER } }, null, 2) + '\n');

    const r1 = await writeKiroEntry(path, input(), {});
    assert.deepEqual(r1.previousEntry, old);
    assert.equal(r1.changed, true);
    const r2 = await writeKiroEntry(path, input({ callbackPort: 40000 }), {});
    assert.deepEqual(r2.previousEntry, buildKiroEntry(input()));

    const text = await readFile(path, 'utf8');
    const doc = JSON.parse(text);
    assert.deepEqual(Object.keys(doc.mcpServers), ['first', 'agentcore-gateway', 'last']);
    assert.equal(text.match(/"agentcore-gateway"/g)!.length, 1);
    assert.equal(doc.mcpServers['agentcore-gateway'].args[3], '40000');

    // Same input again: nothing to change, so no write and no new backup.
    const before = await listDir(dir);
    const r3 = await writeKiroEntry(path, input({ callbackPort: 40000 }), {});
    assert.equal(r3.changed, false);
    assert.equal(r3.backupPath, undefined);
    assert.deepEqual(await listDir(dir), before);
    assert.equal(await readFile(path, 'utf8'), text);
  });

  test('restoreKiroEntry puts a previous entry back in place', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    const old = { command: 'npx', args: ['old'] };
    await writeFile(path, JSON.stringify({ mcpServers: { 'agentcore-gateway': old, z: OTHER_SERVER } }, null, 2));
    const w = await writeKiroEntry(path, input(), {});
    await restoreKiroEntry(path, 'agentcore-gateway', w.previousEntry, {});
    const doc = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(doc, { mcpServers: { 'agentcore-gateway': old, z: OTHER_SERVER } });
  });

  test('dry run writes nothing (new file, new folders, existing file)', async () => {
    const home = await freshDir();
    const path = kiroConfigPath('user', { home, cwd: home });
    const res = await writeKiroEntry(path, input(), { dryRun: true });
    assert.equal(res.changed, true);
    assert.equal(res.created, true);
    assert.deepEqual(await listDir(home), [], 'no .kiro folder created');

    const dir = await freshDir();
    const existing = join(dir, 'mcp.json');
    const text = JSON.stringify({ mcpServers: { other: OTHER_SERVER } }, null, 2) + '\n';
    await writeFile(existing, text);
    const r2 = await writeKiroEntry(existing, input(), { dryRun: true });
    assert.equal(r2.changed, true);
    assert.equal(r2.backupPath, undefined);
    assert.equal(await readFile(existing, 'utf8'), text);
    assert.deepEqual(await listDir(dir), ['mcp.json']);

    const edit = await editJsonFile(existing, (d) => { d.x = 1; }, { dryRun: true });
    assert.equal(edit.before, text);
    assert.deepEqual(JSON.parse(edit.after), { mcpServers: { other: OTHER_SERVER }, x: 1 });
    assert.equal(await readFile(existing, 'utf8'), text);
  });

  for (const [label, content, line, column] of [
    ['invalid JSON (trailing comma)', '{\n  "mcpServers": {\n    "a": {"command": "x"},\n  }\n}\n', 4, 3],
    ['JSON with // comments', '{\n  "mcpServers": {\n    // my servers\n    "a": {"command": "x"}\n  }\n}\n', 3, 5],
    ['JSON with /* */ comments', '{ /* c */ "mcpServers": {} }', 1, 3],
    ['truncated JSON', '{\n  "mcpServers": {\n', 3, 1],
  ] as const) {
    test(`${label} is refused with the file name, line and column; the file is untouched`, async () => {
      const dir = await freshDir();
      const path = join(dir, 'mcp.json');
      await writeFile(path, content);
      const mtime = (await stat(path)).mtimeMs;
      await assert.rejects(writeKiroEntry(path, input(), {}), (err: unknown) => {
        assert.ok(err instanceof CliError);
        assert.equal(err.code, 'invalid_json');
        assert.ok(err.message.includes(path), err.message);
        assert.ok(err.message.includes(`line ${line}, column ${column}`), err.message);
        assert.equal(err.fix, 'Fix or move the file, then run again');
        return true;
      });
      assert.equal(await readFile(path, 'utf8'), content);
      assert.equal((await stat(path)).mtimeMs, mtime);
      assert.deepEqual(await listDir(dir), ['mcp.json'], 'no backup or temp file');
      await assert.rejects(readKiroEntry(path, 'a'), CliError);
      await assert.rejects(removeKiroEntry(path, 'a', {}), CliError);
    });
  }

  test('a top level that is not an object, or mcpServers that is not an object, is refused untouched', async () => {
    const dir = await freshDir();
    const arr = join(dir, 'arr.json');
    await writeFile(arr, '[1, 2]\n');
    await assert.rejects(writeKiroEntry(arr, input(), {}), CliError);
    assert.equal(await readFile(arr, 'utf8'), '[1, 2]\n');
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"mcpServers": []}');
    await assert.rejects(writeKiroEntry(bad, input(), {}), /mcpServers/);
    assert.equal(await readFile(bad, 'utf8'), '{"mcpServers": []}');
  });

  test('a read-only file is refused (also as root) and left untouched', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    const text = JSON.stringify({ mcpServers: { other: OTHER_SERVER } }, null, 2) + '\n';
    await writeFile(path, text);
    await chmod(path, 0o444);
    await assert.rejects(writeKiroEntry(path, input(), {}), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.code, 'file_read_only');
      assert.match(err.message, /read-only/);
      assert.ok(err.message.includes(path));
      assert.match(err.fix ?? '', /chmod u\+w/);
      return true;
    });
    // A dry run reports it too, before anyone relies on it.
    await assert.rejects(writeKiroEntry(path, input(), { dryRun: true }), CliError);
    assert.equal(await readFile(path, 'utf8'), text);
    assert.equal((await stat(path)).mode & 0o777, 0o444);
    assert.deepEqual(await listDir(dir), ['mcp.json']);
  });

  test('a symlinked mcp.json: the target is updated and the link stays', async () => {
    const dir = await freshDir();
    const dotfiles = join(dir, 'dotfiles');
    const settings = join(dir, 'home', '.kiro', 'settings');
    await mkdir(dotfiles, { recursive: true });
    await mkdir(settings, { recursive: true });
    const real = join(dotfiles, 'kiro-mcp.json');
    const oldText = JSON.stringify({ mcpServers: { other: OTHER_SERVER } }, null, 2) + '\n';
    await writeFile(real, oldText);
    const link = join(settings, 'mcp.json');
    await symlink('../../../dotfiles/kiro-mcp.json', link);

    const res = await writeKiroEntry(link, input(), {});
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readlink(link), '../../../dotfiles/kiro-mcp.json');
    const doc = JSON.parse(await readFile(real, 'utf8'));
    assert.deepEqual(Object.keys(doc.mcpServers), ['other', 'agentcore-gateway']);
    assert.ok(res.backupPath);
    assert.equal(await readFile(res.backupPath, 'utf8'), oldText);
    assert.deepEqual(await listDir(dotfiles), ['kiro-mcp.json'], 'no temp file left next to the target');

    // A link to a file that does not exist yet: the file is created where the link points.
    const dangling = join(settings, 'dangling.json');
    await symlink('../../../dotfiles/new.json', dangling);
    const r2 = await writeKiroEntry(dangling, input(), {});
    assert.equal(r2.created, true);
    assert.ok((await lstat(dangling)).isSymbolicLink());
    assert.deepEqual(Object.keys(JSON.parse(await readFile(join(dotfiles, 'new.json'), 'utf8')).mcpServers), ['agentcore-gateway']);
  });

  test('backs up the old content first, with the same mode, and keeps the file mode', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    const oldText = '{\n    "mcpServers": {\n        "other": {"command": "x"}\n    }\n}\n';
    await writeFile(path, oldText);
    await chmod(path, 0o600);
    const backups = join(dir, 'state', 'backups');
    const res = await writeKiroEntry(path, input(), { backupDir: backups });
    assert.ok(res.backupPath);
    // Never next to the file (a project folder is shared, the copy may hold a secret): in the state folder,
    // named after the file's whole path, mode 0600 whatever the file's mode, in a 0700 folder.
    assert.equal(dirname(res.backupPath), backups);
    assert.deepEqual(await listDir(dir), ['mcp.json', 'state']);
    assert.ok(basename(res.backupPath).startsWith(`${path.slice(1).replace(/\//g, '_')}.bak-`), res.backupPath);
    assert.match(res.backupPath, /mcp\.json\.bak-\d{8}T\d{6}Z(-\d+)?$/);
    assert.equal(await readFile(res.backupPath, 'utf8'), oldText);
    assert.equal((await stat(res.backupPath)).mode & 0o777, 0o600);
    assert.equal((await stat(backups)).mode & 0o777, 0o700);
    assert.equal((await stat(path)).mode & 0o777, 0o600);

    // A second change in the same second gets its own backup instead of overwriting the first.
    const res2 = await writeKiroEntry(path, input({ callbackPort: 40001 }), { backupDir: backups });
    assert.ok(res2.backupPath && res2.backupPath !== res.backupPath);
    assert.equal(await readFile(res.backupPath, 'utf8'), oldText);
  });

  test('atomic writes leave no temp files, also when the write fails', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    await writeKiroEntry(path, input(), {});
    await writeKiroEntry(path, input({ callbackPort: 40002 }), {});
    const names = await listDir(dir);
    assert.equal(names.filter((n) => n.endsWith('.tmp')).length, 0);
    assert.deepEqual(names, ['mcp.json'], 'no backup and no temp file next to the file');

    // Renaming over a folder fails: the temp file must be gone afterwards.
    const failing = await freshDir();
    await mkdir(join(failing, 'target'));
    await assert.rejects(writeFileAtomic(join(failing, 'target'), 'data'));
    assert.deepEqual(await listDir(failing), ['target']);
  });

  test('writeFileAtomic keeps the mode of an existing file unless a mode is given', async () => {
    const dir = await freshDir();
    const path = join(dir, 'f');
    await writeFile(path, 'a');
    await chmod(path, 0o640);
    await writeFileAtomic(path, 'b');
    assert.equal((await stat(path)).mode & 0o777, 0o640);
    assert.equal(await readFile(path, 'utf8'), 'b');
    await writeFileAtomic(path, 'c', { mode: 0o600 });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });
});

describe('removeKiroEntry', () => {
  test('removes only our entry, only when it matches; the last removal leaves "mcpServers": {}', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    await writeFile(path, JSON.stringify({ top: true, mcpServers: { other: OTHER_SERVER } }, null, 2) + '\n');
    await writeKiroEntry(path, input(), {});
    const ours = buildKiroEntry(input());

    const isOurs = (e: unknown) => JSON.stringify(e) === JSON.stringify(ours);
    const notOurs = await removeKiroEntry(path, 'agentcore-gateway', { onlyIfMatches: () => false });
    assert.equal(notOurs.removed, false);
    assert.deepEqual(await readKiroEntry(path, 'agentcore-gateway'), ours);

    const dry = await removeKiroEntry(path, 'agentcore-gateway', { dryRun: true, onlyIfMatches: isOurs });
    assert.equal(dry.removed, true);
    assert.deepEqual(await readKiroEntry(path, 'agentcore-gateway'), ours);

    const res = await removeKiroEntry(path, 'agentcore-gateway', { onlyIfMatches: isOurs });
    assert.equal(res.removed, true);
    assert.ok(res.backupPath);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { top: true, mcpServers: { other: OTHER_SERVER } });
    assert.equal(await readKiroEntry(path, 'agentcore-gateway'), null);

    const again = await removeKiroEntry(path, 'agentcore-gateway', {});
    assert.equal(again.removed, false);

    await removeKiroEntry(path, 'other', {});
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { top: true, mcpServers: {} });
  });

  test('a missing file stays missing', async () => {
    const dir = await freshDir();
    const path = join(dir, 'nope', 'mcp.json');
    const res = await removeKiroEntry(path, 'agentcore-gateway', {});
    assert.equal(res.removed, false);
    assert.deepEqual(await listDir(dir), []);
    assert.equal(await readKiroEntry(path, 'agentcore-gateway'), null);
  });
});
