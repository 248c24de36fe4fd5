/**
 * Secret files readable by the user only, on Windows too (src/core/owner-only.ts), tested from any machine: the
 * exact icacls argv for a file and a folder, nothing spawned on linux/darwin, and, with the platform set to
 * win32 and a recording runner instead of icacls, every place that writes a 0600 file or makes a 0700 folder
 * (writeFileAtomic, ensureDir, the journal and its secrets file, client config backups) asks for it, before the
 * secret is in the file; a failure is one warning naming the file and the exact command, and the write goes on.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  configureOwnerOnly,
  icaclsArgs,
  icaclsCommandLine,
  icaclsProgram,
  keepOwnerOnly,
  restrictToOwner,
  windowsAccount,
  type IcaclsRunner,
} from '../../src/core/owner-only.js';
import { ensureDir, writeFileAtomic } from '../../src/core/fs.js';
import { Journal, setupsDir } from '../../src/journal/journal.js';
import { editJsonMember } from '../../src/clients/jsonfile.js';

const ENV = { USERDOMAIN: 'CORP', USERNAME: 'ignored-when-userinfo-works', SystemRoot: 'D:\\Win' };

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-owner-only-'));
});
after(async () => {
  configureOwnerOnly();
  await rm(root, { recursive: true, force: true });
});
afterEach(() => configureOwnerOnly());

async function folder(): Promise<string> {
  const d = join(root, `d-${++n}`);
  await mkdir(d);
  return d;
}

/** A runner that records each call, and the size of the file at that moment (0: nothing secret written yet). */
function recorder(fail?: string): { calls: Array<{ program: string; args: string[]; size?: number }>; run: IcaclsRunner } {
  const calls: Array<{ program: string; args: string[]; size?: number }> = [];
  return {
    calls,
    run: async (program, args) => {
      const size = await stat(args[0]!).then((s) => (s.isFile() ? s.size : undefined)).catch(() => undefined);
      calls.push({ program, args, ...(size !== undefined ? { size } : {}) });
      if (fail) throw new Error(fail);
    },
  };
}

describe('the icacls command', () => {
  test('a file: inheritance removed, the one grant replaced by full control for DOMAIN\\user', () => {
    assert.deepEqual(icaclsArgs('C:\\Users\\dev\\.agentcore-auth\\setups\\default.secrets.json', 'CORP\\dev', 'file'), [
      'C:\\Users\\dev\\.agentcore-auth\\setups\\default.secrets.json',
      '/inheritance:r',
      '/grant:r',
      'CORP\\dev:F',
    ]);
  });

  test('a folder: the grant is inherited by what is created in it, (OI)(CI)F', () => {
    assert.deepEqual(icaclsArgs('C:\\Users\\dev\\.agentcore-auth', 'dev', 'dir'), ['C:\\Users\\dev\\.agentcore-auth', '/inheritance:r', '/grant:r', 'dev:(OI)(CI)F']);
  });

  test('icacls by absolute path under SystemRoot; the command a user types, quoted', () => {
    assert.equal(icaclsProgram({ SystemRoot: 'D:\\Win' }), 'D:\\Win\\System32\\icacls.exe');
    assert.equal(icaclsProgram({}), 'C:\\Windows\\System32\\icacls.exe');
    assert.equal(icaclsCommandLine('C:\\Users\\Dev Name\\x.json', 'CORP\\dev', 'file'), 'icacls "C:\\Users\\Dev Name\\x.json" /inheritance:r /grant:r "CORP\\dev:F"');
    assert.equal(icaclsCommandLine('C:\\s', 'dev', 'dir'), 'icacls "C:\\s" /inheritance:r /grant:r "dev:(OI)(CI)F"');
  });

  test('the account: USERDOMAIN\\user when the domain is known, else the user alone; USERNAME when no user name is given', () => {
    assert.equal(windowsAccount({ USERDOMAIN: 'CORP' }, 'dev'), 'CORP\\dev');
    assert.equal(windowsAccount({}, 'dev'), 'dev');
    assert.ok(windowsAccount({ USERDOMAIN: 'AzureAD' })?.startsWith('AzureAD\\'), 'os.userInfo() names this process\'s user');
  });
});

describe('restrictToOwner', () => {
  test('linux and darwin: nothing is spawned', async () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const r = recorder();
      assert.deepEqual(await restrictToOwner('/home/dev/.agentcore-auth/setups/default.secrets.json', 'file', { platform, run: r.run, env: ENV }), { status: 'not-needed' });
      assert.deepEqual(await restrictToOwner('/home/dev/.agentcore-auth', 'dir', { platform, run: r.run, env: ENV }), { status: 'not-needed' });
      assert.equal(r.calls.length, 0, platform);
    }
  });

  test('linux: keepOwnerOnly, ensureDir(0700) and writeFileAtomic(0600) spawn nothing', async () => {
    const r = recorder();
    configureOwnerOnly({ platform: 'linux', run: r.run, env: ENV });
    const d = await folder();
    await ensureDir(join(d, 'state'), 0o700);
    await writeFileAtomic(join(d, 'state', 'secret.json'), '{}', { mode: 0o600 });
    assert.equal((await keepOwnerOnly(join(d, 'state'), 'dir')).status, 'not-needed');
    assert.equal(r.calls.length, 0);
    assert.equal((await stat(join(d, 'state', 'secret.json'))).mode & 0o777, 0o600, 'the POSIX mode is still what says it');
  });

  test('win32: icacls runs with exactly that argv', async () => {
    const r = recorder();
    const out = await restrictToOwner('C:\\Users\\dev\\x.json', 'file', { platform: 'win32', run: r.run, env: ENV, username: 'dev' });
    assert.deepEqual(r.calls, [{ program: 'D:\\Win\\System32\\icacls.exe', args: ['C:\\Users\\dev\\x.json', '/inheritance:r', '/grant:r', 'CORP\\dev:F'] }]);
    assert.equal(out.status, 'restricted');
  });

  test('win32, icacls fails: the outcome says the file may be readable by others, why, and the exact command', async () => {
    const r = recorder('C:\\Users\\dev\\x.json: Access is denied.');
    const out = await restrictToOwner('C:\\Users\\dev\\.x.json.123.tmp', 'file', { platform: 'win32', run: r.run, env: ENV, username: 'dev', shownAs: 'C:\\Users\\dev\\x.json' });
    assert.equal(out.status, 'failed');
    assert.ok(out.status === 'failed');
    assert.equal(out.command, 'icacls "C:\\Users\\dev\\x.json" /inheritance:r /grant:r "CORP\\dev:F"');
    assert.match(out.warning, /^The file C:\\Users\\dev\\x\.json may be readable by other users of this computer/);
    assert.ok(out.warning.includes('Access is denied'), out.warning);
    assert.ok(out.warning.endsWith(`Fix: ${out.command}`), out.warning);
    assert.ok(!out.warning.includes('.tmp'), 'the warning names the real file, not the temp file');
  });
});

describe('every owner-only write asks for it on win32', () => {
  test('writeFileAtomic with 0600: the temp file is restricted while still empty, then renamed; without a mode: nothing', async () => {
    const r = recorder();
    configureOwnerOnly({ platform: 'win32', run: r.run, env: ENV, username: 'dev' });
    const d = await folder();
    const target = join(d, 'tokens.json');
    await writeFileAtomic(target, '{"refresh_token":"x"}', { mode: 0o600 });
    assert.equal(r.calls.length, 1);
    const call = r.calls[0]!;
    assert.equal(dirname(call.args[0]!), d, 'the temp file beside the target');
    assert.notEqual(call.args[0], target);
    assert.deepEqual(call.args.slice(1), ['/inheritance:r', '/grant:r', 'CORP\\dev:F']);
    assert.equal(call.size, 0, 'restricted before the secret was written into it');
    assert.equal(await readFile(target, 'utf8'), '{"refresh_token":"x"}');

    await writeFileAtomic(join(d, 'mcp.json'), '{}');
    await writeFileAtomic(join(d, 'shared.json'), '{}', { mode: 0o644 });
    assert.equal(r.calls.length, 1, 'a file that is not owner-only is left as it is');
  });

  test('a failure is one warning per file, naming it and the command; the file is still written', async () => {
    const r = recorder('Access is denied.');
    const warnings: string[] = [];
    configureOwnerOnly({ platform: 'win32', run: r.run, env: ENV, username: 'dev', warn: (m) => warnings.push(m) });
    const d = await folder();
    const target = join(d, 'tokens.json');
    await writeFileAtomic(target, 'a', { mode: 0o600 });
    await writeFileAtomic(target, 'b', { mode: 0o600 });
    assert.equal(await readFile(target, 'utf8'), 'b');
    assert.equal(r.calls.length, 2, 'each new temp file is tried');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0], `The file ${target} may be readable by other users of this computer: limiting it to you failed (Access is denied.). Fix: icacls "${target}" /inheritance:r /grant:r "CORP\\dev:F"`);
    assert.equal((await readdir(d)).length, 1, 'no temp file left behind');
  });

  test('the journal: the state and setups folders get an inherited grant; files made in them then need no spawn', async () => {
    const r = recorder();
    configureOwnerOnly({ platform: 'win32', run: r.run, env: ENV, username: 'dev' });
    const state = await folder();
    const j = await Journal.open(state, 'default', { create: true });
    await j.setSecret('rat', 'registration-access-token');
    await j.setConfig({});
    await j.release();
    const dirs = r.calls.map((c) => c.args);
    assert.deepEqual(dirs.sort(), [
      [setupsDir(state), '/inheritance:r', '/grant:r', 'CORP\\dev:(OI)(CI)F'],
      [state, '/inheritance:r', '/grant:r', 'CORP\\dev:(OI)(CI)F'],
    ].sort());
  });

  test('the journal where the folders could not be restricted: the secrets file is restricted itself, and each failure is said', async () => {
    const r = recorder('The system cannot find the path specified.');
    const warnings: string[] = [];
    configureOwnerOnly({ platform: 'win32', run: r.run, env: ENV, username: 'dev', warn: (m) => warnings.push(m) });
    const state = await folder();
    const j = await Journal.open(state, 'default', { create: true });
    await j.setSecret('rat', 'registration-access-token');
    await j.release();
    const secrets = join(setupsDir(state), 'default.secrets.json');
    assert.ok(r.calls.some((c) => dirname(c.args[0]!) === setupsDir(state) && c.args[0]!.includes('default.secrets.json') && c.args[3] === 'CORP\\dev:F' && c.size === 0));
    assert.ok(warnings.some((w) => w.startsWith(`The folder ${state} may be readable by other users`) && w.includes(`icacls "${state}" /inheritance:r /grant:r "CORP\\dev:(OI)(CI)F"`)), warnings.join('\n'));
    assert.ok(warnings.some((w) => w.startsWith(`The file ${secrets} may be readable by other users`)), warnings.join('\n'));
    assert.equal(JSON.parse(await readFile(secrets, 'utf8')).rat, 'registration-access-token', 'the secret is still kept');
  });

  test('a client config backup (it may hold a secret) is restricted, in a restricted backups folder', async () => {
    const r = recorder();
    configureOwnerOnly({ platform: 'win32', run: r.run, env: ENV, username: 'dev' });
    const d = await folder();
    const backups = join(d, 'state', 'backups');
    const file = join(d, 'mcp.json');
    await writeFile(file, '{"mcpServers":{}}\n');
    const res = await editJsonMember(file, 'mcpServers', 's', () => ({ set: { command: 'npx' } }), { backupDir: backups });
    assert.ok(res.backupPath);
    assert.deepEqual(
      r.calls.map((c) => c.args),
      [
        [backups, '/inheritance:r', '/grant:r', 'CORP\\dev:(OI)(CI)F'],
        [res.backupPath, '/inheritance:r', '/grant:r', 'CORP\\dev:F'],
      ],
    );
  });
});
