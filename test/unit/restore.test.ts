/**
 * Init's client-entry step, then cleanup's undo of it: the real writer (src/steps/write-client.ts) with a real
 * journal, undone by cleanup's own undoEntries, on real files in a throwaway HOME and project folder.
 *
 *   - a matrix of files as they were before init (none; empty; `{}`; strict JSON with neighbours in odd spacing;
 *     tabs; CRLF; a BOM; JSONC with comments and trailing commas; an entry of the same name in odd spacing) comes
 *     back byte for byte, with no file and no folder where there was none, and no backup left anywhere;
 *   - a file edited elsewhere after init: only our entry's bytes change back (removed, or the previous entry's
 *     own text put back), the other edit stays;
 *   - an entry someone else changed since is left as it is.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs unit/restore
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMemoryLogger } from '../../src/core/logger.js';
import { clientPath, type ClientEntryInput } from '../../src/clients/registry.js';
import { undoEntries, type CleanupAction } from '../../src/flows/cleanup.js';
import { Journal } from '../../src/journal/journal.js';
import { writeClientEntry } from '../../src/steps/write-client.js';

const SERVER = 'gateway-tools';
const GW = 'https://gw-restore.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-restore-unit-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Place {
  home: string;
  project: string;
  state: string;
}

let n = 0;
async function place(): Promise<Place> {
  const base = join(root, `p${++n}`);
  const p = { home: join(base, 'home'), project: join(base, 'project'), state: join(base, 'state') };
  for (const d of Object.values(p)) await mkdir(d, { recursive: true });
  return p;
}

/** Every file (its bytes) and folder under `dir`. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[`${relative(dir, p)}/`] = '';
        await walk(p);
      } else out[relative(dir, p)] = (await readFile(p)).toString('latin1');
    }
  };
  await walk(dir);
  return out;
}

function input(p: Place): ClientEntryInput {
  return {
    serverName: SERVER,
    gatewayUrl: GW,
    callbackPort: 33418,
    clientId: '0oa1clientid',
    scopes: ['openid', 'offline_access'],
    nodeBinDir: dirname(process.execPath),
    home: p.home,
  };
}

function pathOf(client: string, p: Place): string {
  return clientPath(client, { home: p.home, cwd: p.project, platform: 'linux', env: {} });
}

/** init's step 3 for one client, in setup `setup`: the journal as init leaves it. */
async function write(client: string, p: Place, setup = 'unit'): Promise<Journal> {
  const journal = await Journal.open(p.state, setup, { create: true });
  const logger = createMemoryLogger();
  const path = pathOf(client, p);
  await writeClientEntry(
    { logger, dryRun: false, where: { cwd: p.project, home: p.home }, followSymlinks: false },
    journal,
    { kind: 'client-entry', action: 'write', client, transport: 'mcp-remote', path, serverName: SERVER, callbackPort: 33418, redirectUri: 'http://localhost:33418/oauth/callback' },
    input(p),
  );
  return journal;
}

/** cleanup's undo of the client entries of this journal. */
async function undo(journal: Journal, p: Place): Promise<CleanupAction[]> {
  const logger = createMemoryLogger();
  try {
    return await undoEntries(
      { logger, env: { ...process.env, HOME: p.home, AGENTCORE_AUTH_HOME: p.state }, signal: new AbortController().signal },
      journal,
      journal.doc.entries,
      { deleteGateway: false, keepApp: true, clearClientCache: false, restore: 'original' },
    );
  } finally {
    await journal.release();
  }
}

async function backupsLeft(p: Place): Promise<string[]> {
  return readdir(join(p.state, 'backups')).catch(() => []);
}

interface Case {
  name: string;
  client: string;
  /** The file before init (null: none). */
  original: string | null;
}

const CASES: Case[] = [
  { name: 'no file (user scope, Kiro)', client: 'kiro', original: null },
  { name: 'no file (project scope, Kiro workspace)', client: 'kiro-workspace', original: null },
  { name: 'no file (VS Code, JSONC, project)', client: 'vscode', original: null },
  { name: 'no file (Claude Code, project root)', client: 'claude-code', original: null },
  { name: 'an empty file', client: 'cursor', original: '' },
  { name: '{} without a newline', client: 'kiro', original: '{}' },
  { name: 'an empty mcpServers, CRLF', client: 'kiro', original: '{\r\n  "mcpServers": {}\r\n}\r\n' },
  {
    name: 'strict JSON with neighbours in odd spacing, escapes and number spellings',
    client: 'cursor',
    original: '{"mcpServers" :{ "a":{"command":"x" ,"args":[ "1" ]} ,"b": {"url":"u\\u00e9"}} , "n": 1.50,"e":1E3 }',
  },
  {
    name: 'tabs and CRLF, no trailing newline',
    client: 'kiro',
    original: '{\r\n\t"mcpServers": {\r\n\t\t"other": {\r\n\t\t\t"command": "x"\r\n\t\t}\r\n\t},\r\n\t"keep":   true\r\n}',
  },
  { name: 'a BOM, 4-space indent, other settings', client: 'gemini', original: '\ufeff{\n    "theme": "dark",\n    "mcpServers": {\n        "z": {"command": "z"}\n    }\n}\n' },
  {
    name: 'JSONC (VS Code): comments, trailing commas, a BOM',
    client: 'vscode',
    original: '\ufeff// my servers\n{\n  "servers": {\n    "a": { "type": "stdio", "command": "a", }, // trailing comma\n    /* b */ "b": {"url": "https://b.example/mcp"},\n  },\n  /* inputs */ "inputs": [],\n}\n',
  },
  {
    name: 'an entry of the same name in odd spacing, between neighbours',
    client: 'cursor',
    original: '{\n "mcpServers": {\n  "first": {},\n  "gateway-tools" : { "command":"old" ,  "args":[ ]},\n  "z": {"url": "z"}\n }\n}\n',
  },
  {
    name: 'an entry of the same name, last, JSONC with a comment after it',
    client: 'vscode',
    original: '{\n\t"servers": {\n\t\t"a": {"command": "a"},\n\t\t"gateway-tools": {"command":"old"} // mine\n\t}\n}',
  },
  {
    name: "~/.claude.json's other state",
    client: 'claude-code-user',
    original: '{"numStartups":12,"projects":{"/x":{"allowedTools":[]}},"mcpServers":{"q":{"type":"stdio","command":"q","args":[],"env":{}}},"tipsHistory":{}}',
  },
];

describe('cleanup undoes a client entry byte for byte', { concurrency: 4 }, () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const p = await place();
      const path = pathOf(c.client, p);
      if (c.original !== null) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, c.original);
      }
      const before = { home: await tree(p.home), project: await tree(p.project) };
      const journal = await write(c.client, p);
      const written = await readFile(path, 'utf8');
      assert.notEqual(written, c.original, 'init wrote the entry');
      assert.ok(written.includes(GW));

      const actions = await undo(journal, p);
      assert.equal(actions.length, 1, JSON.stringify(actions));
      assert.equal(actions[0]!.status, 'done', JSON.stringify(actions[0]));
      if (c.original === null) assert.equal(existsSync(path), false, 'the file init created is gone');
      else assert.equal((await readFile(path)).toString('latin1'), Buffer.from(c.original).toString('latin1'), 'the original bytes are back');
      assert.deepEqual(await tree(p.project), before.project, 'the project folder is as it was (no file, folder or .bak left)');
      assert.deepEqual(await tree(p.home), before.home, 'HOME is as it was');
      assert.deepEqual(await backupsLeft(p), [], 'the backup is removed once the entry is undone');
    });
  }
});

describe('cleanup after the file was edited elsewhere: only our entry changes back', () => {
  test('a new file another server was added to: our entry goes, theirs and the file stay', async () => {
    const p = await place();
    const path = pathOf('kiro', p);
    const journal = await write('kiro', p);
    const written = await readFile(path, 'utf8');
    assert.match(written, /^\{\n  "mcpServers": \{\n    "gateway-tools": /);
    await writeFile(path, written.replace('"mcpServers": {\n', '"mcpServers": {\n    "mine":{"command" : "m"},\n'));
    const [a] = await undo(journal, p);
    assert.equal(a!.status, 'done');
    assert.equal(await readFile(path, 'utf8'), '{\n  "mcpServers": {\n    "mine":{"command" : "m"}\n  }\n}\n');
    assert.deepEqual(await backupsLeft(p), []);
  });

  test('a file that existed, edited since: our member is removed, the edit and every other byte stay', async () => {
    const p = await place();
    const path = pathOf('cursor', p);
    const original = '{\n  "mcpServers": {\n    "a": {"command":"x" ,"args":[ "1" ]}\n  },\n  "n": 1.50\n}\n';
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, original);
    const journal = await write('cursor', p);
    const written = await readFile(path, 'utf8');
    // The user changes a setting elsewhere in the file.
    await writeFile(path, written.replace('"n": 1.50', '"n": 2.50,\n  "added": [ ]'));
    await undo(journal, p);
    assert.equal(await readFile(path, 'utf8'), original.replace('"n": 1.50', '"n": 2.50,\n  "added": [ ]'));
    assert.deepEqual(await backupsLeft(p), []);
  });

  test('the entry we replaced comes back in its own spelling, with comments kept (JSONC)', async () => {
    const p = await place();
    const path = pathOf('vscode', p);
    const original = '{\n  // servers\n  "servers": {\n    "gateway-tools": { "command":"old",\n        "args": [ "--keep",  "me" ] }, // was here\n    "b": {"command": "b"},\n  }\n}\n';
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, original);
    const journal = await write('vscode', p);
    const written = await readFile(path, 'utf8');
    await writeFile(path, written.replace('"b": {"command": "b"},', '"b": {"command": "b2"}, /* edited */'));
    const [a] = await undo(journal, p);
    assert.equal(a!.status, 'done');
    assert.equal(await readFile(path, 'utf8'), original.replace('"b": {"command": "b"},', '"b": {"command": "b2"}, /* edited */'));
    assert.deepEqual(await backupsLeft(p), []);
  });

  test('JSONC, inserted after a member with a comment on its line: removing ours gives back the comma and the comment as they were', async () => {
    const p = await place();
    const path = pathOf('vscode', p);
    const original = '{\n  "servers": {\n    "a": {"command": "a"} // c\n  },\n  "x": 1\n}\n';
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, original);
    const journal = await write('vscode', p);
    const written = await readFile(path, 'utf8');
    assert.ok(written.startsWith('{\n  "servers": {\n    "a": {"command": "a"}, // c\n    "gateway-tools": {'), written);
    await writeFile(path, written.replace('"x": 1', '"x": 2'));
    const [a] = await undo(journal, p);
    assert.equal(a!.status, 'done');
    assert.equal(await readFile(path, 'utf8'), original.replace('"x": 1', '"x": 2'));
  });

  test('an entry someone else changed since is left as it is', async () => {
    const p = await place();
    const path = pathOf('kiro', p);
    const journal = await write('kiro', p);
    const theirs = (await readFile(path, 'utf8')).replace(GW, 'https://elsewhere.example/mcp');
    await writeFile(path, theirs);
    const [a] = await undo(journal, p);
    assert.equal(a!.status, 'skipped', JSON.stringify(a));
    assert.equal(await readFile(path, 'utf8'), theirs, 'not one byte changed');
  });
});

describe('recorded backup paths are trusted only inside the backups folder', () => {
  test('an edited journal cannot make cleanup read or delete a file elsewhere', async () => {
    const { ownBackup, removeBackups } = await import('../../src/clients/restore.js');
    const { mkdtemp, writeFile, mkdir } = await import('node:fs/promises');
    const { existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'own-backup-'));
    const root = join(dir, 'state', 'backups');
    await mkdir(root, { recursive: true });
    const inside = join(root, 'x.bak-1');
    const outside = join(dir, 'precious.txt');
    await writeFile(inside, 'b');
    await writeFile(outside, 'keep me');
    assert.equal(ownBackup(inside, root), inside);
    for (const p of [outside, join(root, '..', 'precious.txt'), root, '', undefined]) assert.equal(ownBackup(p, root), undefined, String(p));
    await removeBackups([inside, outside, join(root, '..', '..', 'precious.txt')], root);
    assert.equal(existsSync(inside), false);
    assert.equal(existsSync(outside), true, 'a path outside the backups folder is never removed');
  });
});
