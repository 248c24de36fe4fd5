/**
 * The write-ahead state journal: what cleanup relies on to undo exactly what init made, even after a crash.
 * Real files in a temp folder, real processes for the lock holder.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CliError, UsageError } from '../../src/core/errors.js';
import { JOURNAL_VERSION, Journal, journalPath, listSetups, readJournal, setupsDir, validateSetupName } from '../../src/journal/journal.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-journal-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh state folder (what ~/.agentcore-auth would be) per test. */
async function stateDir(): Promise<string> {
  const d = join(root, `state-${++n}`);
  await mkdir(d);
  return d;
}

async function readDoc(path: string): Promise<any> {
  return JSON.parse(await readFile(path, 'utf8'));
}

function mode(st: { mode: number }): number {
  return st.mode & 0o777;
}

/** A live process that is not us: its pid holds the lock. */
function liveProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

describe('journal', () => {
  test('write-ahead: the intent is on disk before the external call, then completed with its result', async () => {
    const dir = await stateDir();
    const j = await Journal.open(dir, 'team-gw', { create: true });
    try {
      const entry = await j.intend('idp-app', { issuer: 'https://idp.example.com', redirectUri: 'http://localhost:3334/oauth/callback' });
      // A crash here (between the intent and the IdP's answer) must still leave a record cleanup can act on.
      let doc = await readDoc(journalPath(dir, 'team-gw'));
      assert.equal(doc.version, JOURNAL_VERSION);
      assert.equal(doc.entries.length, 1);
      assert.equal(doc.entries[0].kind, 'idp-app');
      assert.equal(doc.entries[0].state, 'intent');
      assert.equal(doc.entries[0].intent.issuer, 'https://idp.example.com');
      assert.equal(doc.entries[0].result, undefined);

      await j.done(entry, { clientId: 'client-123' });
      doc = await readDoc(journalPath(dir, 'team-gw'));
      assert.equal(doc.entries[0].state, 'done');
      assert.deepEqual(doc.entries[0].result, { clientId: 'client-123' });

      const second = await j.intend('gateway-create', { name: 'dev-gw' });
      assert.equal(second.seq, entry.seq + 1);
      await j.failed(second, 'CreateGateway refused');
      doc = await readDoc(journalPath(dir, 'team-gw'));
      assert.equal(doc.entries[1].state, 'failed');
      assert.equal(doc.entries[1].error, 'CreateGateway refused');
      // Failed entries are not live: cleanup does not try to undo what never happened.
      assert.deepEqual(j.live().map((e) => e.kind), ['idp-app']);
    } finally {
      await j.release();
    }
    // Re-opened later (another run), the journal says what exists.
    const again = await readJournal(dir, 'team-gw');
    assert.equal(again?.entries[0]?.state, 'done');
  });

  test('an intent whose outcome is unknown stays live, so cleanup still looks for it', async () => {
    const dir = await stateDir();
    const j = await Journal.open(dir, 'crash', { create: true });
    await j.intend('gateway-create', { name: 'half-made' });
    // Simulate a crash: no done(), lock released by the OS (process gone).
    await j.release();
    const j2 = await Journal.open(dir, 'crash', { create: false });
    try {
      assert.equal(j2.find('gateway-create')?.state, 'intent');
      assert.equal(j2.find('gateway-create')?.intent.name, 'half-made');
    } finally {
      await j2.release();
    }
  });

  test('journal file is 0600 and its folders 0700 (it names the user\'s resources)', async () => {
    const dir = await stateDir();
    const j = await Journal.open(dir, 'perm', { create: true });
    try {
      await j.setConfig({ issuer: 'https://idp.example.com' });
      assert.equal(mode(await stat(journalPath(dir, 'perm'))), 0o600);
      assert.equal(mode(await stat(setupsDir(dir))), 0o700);
      assert.equal(mode(await stat(dir)), 0o700);
      // The lock file too.
      assert.equal(mode(await stat(join(setupsDir(dir), 'perm.lock'))), 0o600);
    } finally {
      await j.release();
    }
    await assert.rejects(stat(join(setupsDir(dir), 'perm.lock')), { code: 'ENOENT' }, 'release removes the lock');
  });

  test('opening a new setup writes no journal until the first change (a declined init leaves nothing)', async () => {
    const dir = await stateDir();
    const j = await Journal.open(dir, 'declined', { create: true });
    await j.release();
    assert.equal(await readJournal(dir, 'declined'), null);
    assert.deepEqual(await listSetups(dir), []);
  });

  test('a dry run neither writes the journal nor takes the lock', async () => {
    const dir = await stateDir();
    const j = await Journal.open(dir, 'dry', { create: true, dryRun: true });
    await j.intend('idp-app', { issuer: 'x' });
    await j.setSecret('app.registrationAccessToken', 'secret-value-123456');
    await j.release();
    await assert.rejects(readdir(setupsDir(dir)), { code: 'ENOENT' });
  });

  test('a setup in use by a live process is refused, naming its pid and the way out', async () => {
    const dir = await stateDir();
    await mkdir(setupsDir(dir), { recursive: true });
    const holder = liveProcess();
    try {
      await new Promise((r) => holder.once('spawn', r));
      const lock = join(setupsDir(dir), 'busy.lock');
      await writeFile(lock, `${holder.pid}\n`);
      await assert.rejects(Journal.open(dir, 'busy', { create: true }), (err: unknown) => {
        assert.ok(err instanceof CliError);
        assert.equal(err.exitCode, 1);
        assert.equal(err.code, 'locked');
        assert.match(err.message, new RegExp(`pid ${holder.pid}\\b`));
        assert.match(err.fix ?? '', new RegExp(`kill ${holder.pid}`));
        assert.ok((err.fix ?? '').includes(lock), 'the fix names the lock file');
        return true;
      });
      // The holder's lock is untouched and no journal was started.
      assert.equal(await readFile(lock, 'utf8'), `${holder.pid}\n`);
      assert.equal(await readJournal(dir, 'busy'), null);
    } finally {
      holder.kill();
    }
  });

  test('a stale lock (its process is gone) is taken over', async () => {
    const dir = await stateDir();
    await mkdir(setupsDir(dir), { recursive: true });
    const lock = join(setupsDir(dir), 'stale.lock');
    await writeFile(lock, `${await deadPid()}\n`);
    const j = await Journal.open(dir, 'stale', { create: true });
    try {
      assert.equal((await readFile(lock, 'utf8')).trim(), String(process.pid));
    } finally {
      await j.release();
    }
  });

  test('a journal written by a newer version (schema 99) is refused and left untouched', async () => {
    const dir = await stateDir();
    await mkdir(setupsDir(dir), { recursive: true });
    const path = journalPath(dir, 'future');
    const text = `${JSON.stringify({ version: 99, setup: 'future', entries: [{ kind: 'hologram' }], config: {} }, null, 2)}\n`;
    await writeFile(path, text, { mode: 0o600 });
    for (const attempt of [() => readJournal(dir, 'future'), () => Journal.open(dir, 'future', { create: true })]) {
      await assert.rejects(attempt(), (err: unknown) => {
        assert.ok(err instanceof CliError);
        assert.equal(err.code, 'journal_newer');
        assert.match(err.message, /newer agentcore-auth \(schema 99, this one reads 1\)/);
        assert.ok(err.message.includes(path));
        assert.match(err.fix ?? '', /Upgrade agentcore-auth/);
        return true;
      });
    }
    assert.equal(await readFile(path, 'utf8'), text);
    await assert.rejects(stat(join(setupsDir(dir), 'future.lock')), { code: 'ENOENT' }, 'no lock left behind');
  });

  test('a corrupt journal is refused with the file named and left untouched', async () => {
    const dir = await stateDir();
    await mkdir(setupsDir(dir), { recursive: true });
    const cases: Array<[string, string]> = [
      ['notjson', '{"version": 1, "entries": [\n'],
      ['noentries', '{"version": 1, "setup": "noentries"}\n'],
    ];
    for (const [name, text] of cases) {
      const path = journalPath(dir, name);
      await writeFile(path, text);
      await assert.rejects(Journal.open(dir, name, { create: true }), (err: unknown) => {
        assert.ok(err instanceof CliError);
        assert.equal(err.code, 'journal_corrupt');
        assert.ok(err.message.includes(path));
        assert.match(err.message, /corrupt/);
        assert.ok((err.fix ?? '').includes(path));
        return true;
      });
      assert.equal(await readFile(path, 'utf8'), text);
    }
  });

  test('secrets go to a separate 0600 file, never into the journal', async () => {
    const dir = await stateDir();
    const SECRET = 'reg-access-token-Zq8vXr2mK9pL4sT7';
    const j = await Journal.open(dir, 'sec', { create: true });
    try {
      const e = await j.intend('idp-app', { issuer: 'https://idp.example.com' });
      await j.setSecret('app.registrationAccessToken', SECRET);
      await j.done(e, { app: { clientId: 'client-123' } });
      const secretsFile = join(setupsDir(dir), 'sec.secrets.json');
      assert.equal(mode(await stat(secretsFile)), 0o600);
      assert.deepEqual(await readDoc(secretsFile), { 'app.registrationAccessToken': SECRET });
      assert.deepEqual(await j.getSecrets(), { 'app.registrationAccessToken': SECRET });
      const journalText = await readFile(journalPath(dir, 'sec'), 'utf8');
      assert.ok(!journalText.includes(SECRET), 'the journal does not hold the secret');
      // The secrets file is not mistaken for a setup.
      assert.deepEqual(await listSetups(dir), ['sec']);
      // Removing the last secret removes the file.
      await j.setSecret('app.registrationAccessToken', undefined);
      await assert.rejects(stat(secretsFile), { code: 'ENOENT' });
    } finally {
      await j.release();
    }
  });

  test('setup names that could escape the folder or confuse the shell are refused (exit 2)', async () => {
    for (const bad of ['bad name!', '../etc', 'a/b', '', '-x', 'x'.repeat(64)]) {
      assert.throws(() => validateSetupName(bad), (err: unknown) => err instanceof UsageError && err.exitCode === 2 && /Invalid setup name/.test(err.message));
    }
    for (const good of ['default', 'team-gw', 'A_1']) assert.equal(validateSetupName(good), good);
    const dir = await stateDir();
    await assert.rejects(Journal.open(dir, '../escape', { create: true }), UsageError);
    await assert.rejects(stat(join(dir, '..', 'escape.json')), { code: 'ENOENT' });
  });

  test('opening an unknown setup without create says which setups exist', async () => {
    const dir = await stateDir();
    const j = await Journal.open(dir, 'known-one', { create: true });
    await j.setStatus('ready');
    await j.release();
    await assert.rejects(Journal.open(dir, 'nope', { create: false }), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.code, 'unknown_setup');
      assert.match(err.message, /No setup named "nope"/);
      assert.match(err.fix ?? '', /Known setups: known-one/);
      return true;
    });
  });
});
