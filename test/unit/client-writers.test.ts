/**
 * Every MCP client writer in the registry, against realistic existing files: other servers and unknown keys
 * kept, only our entry's text added or changed (checked line by line), unusual indentation and CRLF kept,
 * comments and trailing commas kept where the client reads JSONC (VS Code, Gemini CLI) and refused where it
 * does not, ~/.claude.json's other state byte for byte, and removal taking out only ours.
 */
import assert from 'node:assert/strict';
import { findNpx } from '../../src/clients/npx.js';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CliError } from '../../src/core/errors.js';
import { checkClientConfig } from '../../src/checks/client-config.js';
import { clientEntrySteps, formatClientStep } from '../../src/plan/plan.js';
import { editJsonMember, parseConfigText } from '../../src/clients/jsonfile.js';
import { buildKiroEntry } from '../../src/clients/kiro.js';
import { buildMcpRemoteArgs } from '../../src/clients/mcp-remote.js';
import {
  CLIENT_IDS,
  CLIENT_TARGETS,
  buildBridgeEntry,
  clientPath,
  clientTarget,
  detectClients,
  parseClientList,
  readClientEntry,
  removeClientEntry,
  setClientEntry,
  writeClientConfig,
  writerFor,
  type ClientEntryInput,
} from '../../src/clients/registry.js';

const nodeBinDir = dirname(process.execPath);
/** The npx the entries name on this machine: beside node, else on PATH (Node 22/24 in CI come without one). */
const npxPath = findNpx(process.env)!;
const entryPath = [...new Set([nodeBinDir, dirname(npxPath), '/usr/local/bin', '/usr/bin', '/bin'])].join(':');
const SERVER = 'gateway-tools';
const GW = 'https://gw-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp';

let root: string;
let seq = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-writers-'));
  // Backups go to the state folder: keep them in this test's own, never the developer's ~/.agentcore-auth.
  process.env.AGENTCORE_AUTH_HOME = join(root, 'state');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});
async function freshDir(): Promise<string> {
  const dir = join(root, `t${++seq}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

function input(over: Partial<ClientEntryInput> = {}): ClientEntryInput {
  return {
    serverName: SERVER,
    gatewayUrl: GW,
    callbackPort: 33418,
    clientId: '0oa1clientid',
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    nodeBinDir,
    home: '/home/dev',
    ...over,
  };
}

const OTHER = { command: 'uvx', args: ['awslabs.aws-documentation-mcp-server@latest'], env: { FASTMCP_LOG_LEVEL: 'ERROR' } };

/** Whether `a` is `b` with one ',' inserted (the separator after what used to be the last member). */
function addsOneComma(b: string, a: string): boolean {
  if (a.length !== b.length + 1) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] === ',' && a.slice(i + 1) === b.slice(i);
  return false;
}

/**
 * Every line of `before` is still in `after`, in order (at most gaining the separating comma), and the lines
 * that were added are exactly `"<name>": <entry>`: nothing else was touched.
 */
function assertOnlyOurMemberAdded(beforeText: string, afterText: string, entry: unknown, name = SERVER): void {
  const b = beforeText.split('\n');
  const a = afterText.split('\n');
  const extra: string[] = [];
  let i = 0;
  let commas = 0;
  for (const line of a) {
    if (i < b.length && line === b[i]) i++;
    else if (i < b.length && addsOneComma(b[i]!, line)) {
      i++;
      commas++;
    } else extra.push(line);
  }
  assert.equal(i, b.length, `every line of the original is still there, in order:\n${afterText}`);
  assert.ok(commas <= 1, 'at most one separating comma was added');
  const text = extra.join('\n').trim().replace(/,$/, '');
  assert.deepEqual(JSON.parse(`{${text}}`), { [name]: entry }, `the added lines are our entry and nothing else:\n${text}`);
}

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

// ---------------------------------------------------------------------------------------------------------

describe('the client registry', () => {
  test('knows every client and scope by id', () => {
    assert.deepEqual(CLIENT_IDS, [
      'kiro', 'kiro-workspace', 'claude-code', 'claude-code-user', 'cursor', 'cursor-workspace', 'vscode',
      'amazon-q', 'amazon-q-workspace', 'gemini', 'gemini-workspace', 'claude-desktop',
    ]);
  });

  test('config file paths (FACTS §6), Claude Desktop per platform', () => {
    const env = { home: '/home/dev', cwd: '/work/proj', platform: 'linux' as const, env: {} };
    const expected: Record<string, string> = {
      kiro: '/home/dev/.kiro/settings/mcp.json',
      'kiro-workspace': '/work/proj/.kiro/settings/mcp.json',
      'claude-code': '/work/proj/.mcp.json',
      'claude-code-user': '/home/dev/.claude.json',
      cursor: '/home/dev/.cursor/mcp.json',
      'cursor-workspace': '/work/proj/.cursor/mcp.json',
      vscode: '/work/proj/.vscode/mcp.json',
      'amazon-q': '/home/dev/.aws/amazonq/mcp.json',
      'amazon-q-workspace': '/work/proj/.amazonq/mcp.json',
      gemini: '/home/dev/.gemini/settings.json',
      'gemini-workspace': '/work/proj/.gemini/settings.json',
      'claude-desktop': '/home/dev/.config/Claude/claude_desktop_config.json',
    };
    for (const id of CLIENT_IDS) assert.equal(clientPath(id, env), expected[id], id);
    assert.equal(clientPath('claude-desktop', { ...env, platform: 'darwin' }), '/home/dev/Library/Application Support/Claude/claude_desktop_config.json');
    assert.equal(clientPath('claude-desktop', { ...env, env: { XDG_CONFIG_HOME: '/home/dev/.xdg' } }), '/home/dev/.xdg/Claude/claude_desktop_config.json');
    // A Windows location is a Windows path, whichever machine builds it.
    assert.equal(clientPath('claude-desktop', { ...env, platform: 'win32', env: { APPDATA: 'C:\\Users\\dev\\AppData\\Roaming' } }), 'C:\\Users\\dev\\AppData\\Roaming\\Claude\\claude_desktop_config.json');
    assert.equal(writerFor('vscode').topKey, 'servers');
    assert.ok(CLIENT_TARGETS.filter((t) => t.id !== 'vscode').every((t) => t.writer.topKey === 'mcpServers'));
  });

  test('--client lists: de-duplicated, in order; an unknown id names the valid ones', () => {
    assert.deepEqual(parseClientList('claude-code, cursor,vscode,cursor'), ['claude-code', 'cursor', 'vscode']);
    assert.throws(() => parseClientList('kiro,cursr'), (err: unknown) => err instanceof CliError && /unknown client "cursr"/.test(err.message) && /claude-desktop/.test(err.fix ?? ''));
    assert.throws(() => parseClientList(' , '), /--client is empty/);
    assert.throws(() => clientTarget('nope'), CliError);
  });

  test('detects installed clients by their config folder or their program on PATH', async () => {
    const home = await freshDir();
    const cwd = await freshDir();
    const bin = await freshDir();
    await mkdir(join(home, '.cursor'));
    await mkdir(join(home, '.gemini'));
    await mkdir(join(cwd, '.vscode'));
    await writeFile(join(bin, 'claude'), '#!/bin/sh\n');
    await chmod(join(bin, 'claude'), 0o755);
    await writeFile(join(bin, 'q'), 'not executable');
    const found = detectClients({ home, cwd, env: { PATH: bin }, platform: 'linux' });
    assert.deepEqual(found, ['claude-code', 'cursor', 'vscode', 'gemini']);
    assert.deepEqual(detectClients({ home: await freshDir(), cwd: await freshDir(), env: { PATH: '' }, platform: 'linux' }), []);
  });
});

describe('entry shapes', () => {
  test('every client but Kiro gets the mcp-remote bridge: absolute npx, pinned args, PATH and HOME in env', () => {
    const extra = ['--authorize-param', 'audience=https://api.example.com'];
    const args = buildMcpRemoteArgs({ gatewayUrl: GW, callbackPort: 33418, host: 'localhost', clientId: '0oa1clientid', scopes: input().scopes, extraArgs: extra });
    const bridge = { command: npxPath, args, env: { PATH: entryPath, HOME: '/home/dev' } };
    assert.deepEqual(buildBridgeEntry(input({ mcpRemoteArgs: extra })), bridge);
    for (const t of CLIENT_TARGETS) {
      const e = t.writer.buildEntry(input({ mcpRemoteArgs: extra }));
      if (t.writer.id === 'kiro') assert.deepEqual(e, buildKiroEntry({ ...input(), extraArgs: extra }), t.id);
      else if (t.writer.id === 'claude-code' || t.writer.id === 'vscode') assert.deepEqual(e, { type: 'stdio', ...bridge }, t.id);
      else assert.deepEqual(e, bridge, t.id);
    }
  });

  test("--kiro-native: Kiro's documented remote entry with a static client id, the registered callback port and the scopes", () => {
    const e = writerFor('kiro').buildEntry(input({ kiroNative: true }));
    assert.deepEqual(e, {
      url: GW,
      oauth: { clientId: '0oa1clientid', redirectUri: 'localhost:33418' },
      oauthScopes: ['openid', 'profile', 'email', 'offline_access'],
      disabled: false,
      autoApprove: [],
    });
    // Only Kiro has a native entry; the flag does not change the others.
    assert.deepEqual(writerFor('cursor').buildEntry(input({ kiroNative: true })), buildBridgeEntry(input()));
  });
});

// ---------------------------------------------------------------------------------------------------------

/** A realistic strict-JSON config of this client: other servers, unknown keys, 4-space indent, CRLF. */
function realisticStrict(topKey: string): string {
  const doc = {
    $schema: 'https://example.com/schema.json',
    [topKey]: { 'aws-docs': OTHER, remote: { url: 'https://mcp.example.com/mcp', headers: { 'X-Team': 'a' } } },
    theme: 'dark',
    nested: { list: [1, 2.5, 'three', null, true] },
  };
  return JSON.stringify(doc, null, 4).replace(/\n/g, '\r\n') + '\r\n';
}

describe('each writer against a realistic file (other servers, unknown keys, 4-space indent, CRLF)', () => {
  for (const t of CLIENT_TARGETS) {
    test(`${t.id}: only our entry is added; CRLF and indentation kept; backup; update in place; remove gives back the original bytes`, async () => {
      const dir = await freshDir();
      const path = join(dir, 'config.json');
      const original = realisticStrict(t.writer.topKey);
      await writeFile(path, original);

      const w = await writeClientConfig(t.id, path, input());
      assert.equal(w.changed, true);
      assert.equal(w.created, false);
      assert.equal(w.previousEntry, null);
      const text = await readFile(path, 'utf8');
      assertOnlyOurMemberAdded(original, text, w.entry);
      assert.equal(text.split('\n').length, text.split('\r\n').length, 'every newline is CRLF');
      assert.match(text, /\r\n {8}"gateway-tools": \{\r\n {12}"/, 'our entry is indented like its neighbours');
      assert.ok(w.backupPath);
      assert.equal(await readFile(w.backupPath, 'utf8'), original);
      const doc = parseConfigText(text, path, t.writer.jsonc) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(doc[t.writer.topKey]!), ['aws-docs', 'remote', SERVER]);
      assert.deepEqual(await readClientEntry(t.id, path, SERVER), w.entry);

      // A second write with other values replaces ours in place; the same values again write nothing.
      const w2 = await writeClientConfig(t.id, path, input({ callbackPort: 40000 }));
      assert.deepEqual(w2.previousEntry, w.entry);
      assertOnlyOurMemberAdded(original, await readFile(path, 'utf8'), w2.entry);
      const files = await listDir(dir);
      const w3 = await writeClientConfig(t.id, path, input({ callbackPort: 40000 }));
      assert.equal(w3.changed, false);
      assert.deepEqual(await listDir(dir), files, 'no write, no new backup');

      // Someone else's entry is never removed; ours is, and the file is byte for byte what it was.
      const notOurs = await removeClientEntry(t.id, path, SERVER, { onlyIfMatches: () => false });
      assert.equal(notOurs.removed, false);
      const r = await removeClientEntry(t.id, path, SERVER, { onlyIfMatches: (e) => JSON.stringify(e).includes(GW) });
      assert.equal(r.removed, true);
      assert.equal(await readFile(path, 'utf8'), original);
      assert.equal(await readClientEntry(t.id, path, SERVER), null);
    });
  }

  test('a new file (and its folders) holds only our entry, 2-space indent, mode 0644', async () => {
    for (const t of CLIENT_TARGETS) {
      const dir = await freshDir();
      const path = join(dir, 'deep', 'er', 'config.json');
      const w = await writeClientConfig(t.id, path, input());
      assert.equal(w.created, true, t.id);
      const text = await readFile(path, 'utf8');
      assert.equal(text, `${JSON.stringify({ [t.writer.topKey]: { [SERVER]: w.entry } }, null, 2)}\n`, t.id);
      assert.equal((await stat(path)).mode & 0o777, 0o644);
    }
  });

  test('restoring the entry we replaced puts it back in its place', async () => {
    const dir = await freshDir();
    const path = join(dir, '.mcp.json');
    const old = { type: 'http', url: 'https://old.example/mcp' };
    await writeFile(path, `${JSON.stringify({ mcpServers: { first: OTHER, [SERVER]: old, last: OTHER } }, null, 2)}\n`);
    const before = await readFile(path, 'utf8');
    const w = await writeClientConfig('claude-code', path, input());
    assert.deepEqual(w.previousEntry, old);
    await setClientEntry('claude-code', path, SERVER, w.previousEntry);
    assert.equal(await readFile(path, 'utf8'), before);
  });
});

describe('strict clients refuse comments; JSONC clients keep them byte for byte', () => {
  const commented = (topKey: string) =>
    [
      '{',
      '  // Team servers: ask #platform before changing',
      `  "${topKey}": {`,
      '    /* docs search */',
      '    "aws-docs": {',
      '      "command": "uvx", // pinned by IT',
      '      "args": ["awslabs.aws-documentation-mcp-server@latest"],',
      '    },',
      '    "remote": { "type": "http", "url": "https://mcp.example.com/mcp" } // last one',
      '  },',
      '  "inputs": [',
      '    { "type": "promptString", "id": "token", "password": true },',
      '  ],',
      '}',
      '',
    ].join('\n');

  for (const t of CLIENT_TARGETS.filter((x) => !x.writer.jsonc)) {
    test(`${t.id} (strict JSON): a file with comments is refused with its line and column, untouched, no backup`, async () => {
      const dir = await freshDir();
      const path = join(dir, 'config.json');
      const text = commented(t.writer.topKey);
      await writeFile(path, text);
      await assert.rejects(writeClientConfig(t.id, path, input()), (err: unknown) => {
        assert.ok(err instanceof CliError);
        assert.equal(err.code, 'invalid_json');
        assert.ok(err.message.includes(path));
        assert.match(err.message, /line 2, column 3 \(comments are not allowed\)/);
        return true;
      });
      await assert.rejects(removeClientEntry(t.id, path, SERVER), CliError);
      assert.equal(await readFile(path, 'utf8'), text);
      assert.deepEqual(await listDir(dir), ['config.json']);
    });
  }

  for (const t of CLIENT_TARGETS.filter((x) => x.writer.jsonc)) {
    test(`${t.id} (JSONC): comments and trailing commas elsewhere stay byte for byte; only our entry is added, changed and removed`, async () => {
      const dir = await freshDir();
      const path = join(dir, 'config.json');
      const text = commented(t.writer.topKey);
      await writeFile(path, text);
      const w = await writeClientConfig(t.id, path, input());
      const after1 = await readFile(path, 'utf8');
      assertOnlyOurMemberAdded(text, after1, w.entry);
      // The comma goes right after the last value, before its comment.
      assert.ok(after1.includes('"url": "https://mcp.example.com/mcp" }, // last one'), after1);
      for (const c of ['// Team servers: ask #platform before changing', '/* docs search */', '// pinned by IT', '// last one']) assert.ok(after1.includes(c), c);

      const w2 = await writeClientConfig(t.id, path, input({ clientId: 'another-client' }));
      assert.deepEqual(w2.previousEntry, w.entry);
      assertOnlyOurMemberAdded(text, await readFile(path, 'utf8'), w2.entry);

      await removeClientEntry(t.id, path, SERVER);
      assert.equal(await readFile(path, 'utf8'), text, 'removing ours gives back the original bytes');
    });
  }

  test('VS Code: servers holding only a comment, and an unterminated comment', async () => {
    const dir = await freshDir();
    const empty = join(dir, 'empty.json');
    await writeFile(empty, '{\n\t"servers": {\n\t\t// add servers here\n\t}\n}\n');
    const w = await writeClientConfig('vscode', empty, input());
    const text = await readFile(empty, 'utf8');
    assert.equal(text, `{\n\t"servers": {\n\t\t// add servers here\n\t\t"gateway-tools": ${JSON.stringify(w.entry, null, '\t').split('\n').join('\n\t\t')}\n\t}\n}\n`);
    await removeClientEntry('vscode', empty, SERVER);
    assert.equal(await readFile(empty, 'utf8'), '{\n\t"servers": {\n\t\t// add servers here\n\t}\n}\n');

    const broken = join(dir, 'broken.json');
    const bad = '{\n  "servers": {} /* unterminated\n}\n';
    await writeFile(broken, bad);
    await assert.rejects(writeClientConfig('vscode', broken, input()), (err: unknown) => err instanceof CliError && /line 2, column 17 \(unterminated comment\)/.test(err.message));
    assert.equal(await readFile(broken, 'utf8'), bad);
  });
});

describe('special files', () => {
  test("~/.claude.json: only the top-level mcpServers member changes; the rest of Claude Code's state stays byte for byte", async () => {
    const home = await freshDir();
    const path = clientPath('claude-code-user', { home, cwd: home, platform: 'linux' });
    // Spellings a JSON round trip would change: 1.0, an escaped é, a 2^53+ integer, "\/", and a project-local server.
    const original =
      '{\n  "numStartups": 42,\n  "installMethod": "npm",\n  "tipsHistory": {"ide-hotkey": 1.0},\n  "userID": "caf\\u00e9",\n' +
      '  "bigCounter": 9007199254740993,\n  "homepage": "https:\\/\\/claude.ai",\n  "projects": {\n    "/work/proj": {\n      "allowedTools": [],\n' +
      '      "mcpServers": {"local-only": {"type": "stdio", "command": "node", "args": ["server.js"]}}\n    }\n  },\n' +
      '  "mcpServers": {\n    "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/"}\n  },\n  "autoUpdates": true\n}\n';
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, original);
    const w = await writeClientConfig('claude-code-user', path, input());
    const text = await readFile(path, 'utf8');
    assertOnlyOurMemberAdded(original, text, w.entry);
    for (const s of ['"ide-hotkey": 1.0', '"caf\\u00e9"', '9007199254740993', '"https:\\/\\/claude.ai"']) assert.ok(text.includes(s), s);
    const doc = JSON.parse(text) as { projects: Record<string, { mcpServers: Record<string, unknown> }>; mcpServers: Record<string, unknown> };
    assert.deepEqual(Object.keys(doc.projects['/work/proj']!.mcpServers), ['local-only'], 'project-local servers untouched');
    assert.deepEqual(Object.keys(doc.mcpServers), ['github', SERVER]);
    await removeClientEntry('claude-code-user', path, SERVER);
    assert.equal(await readFile(path, 'utf8'), original);
  });

  test("Gemini CLI settings.json without mcpServers (one line): the member is added, every other setting kept", async () => {
    const dir = await freshDir();
    const path = join(dir, 'settings.json');
    await writeFile(path, '{"theme": "GitHub", "selectedAuthType": "gemini-api-key"}');
    const w = await writeClientConfig('gemini', path, input());
    const doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(doc, { theme: 'GitHub', selectedAuthType: 'gemini-api-key', mcpServers: { [SERVER]: w.entry } });
    // Removing ours leaves an empty mcpServers, never the other settings touched.
    await removeClientEntry('gemini', path, SERVER);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { theme: 'GitHub', selectedAuthType: 'gemini-api-key', mcpServers: {} });
  });

  test('an empty file, a BOM, and a top key that is not an object', async () => {
    const dir = await freshDir();
    const empty = join(dir, 'empty.json');
    await writeFile(empty, '');
    const w = await writeClientConfig('cursor', empty, input());
    assert.deepEqual(JSON.parse(await readFile(empty, 'utf8')), { mcpServers: { [SERVER]: w.entry } });

    const bom = join(dir, 'bom.json');
    await writeFile(bom, '\ufeff{\n  "mcpServers": {}\n}\n');
    await writeClientConfig('amazon-q', bom, input());
    const t = await readFile(bom, 'utf8');
    assert.equal(t.charCodeAt(0), 0xfeff, 'the BOM stays');
    assert.ok(JSON.parse(t.slice(1)).mcpServers[SERVER]);

    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ "servers": [] }');
    await assert.rejects(writeClientConfig('vscode', bad, input()), /"servers" is not a JSON object/);
    assert.equal(await readFile(bad, 'utf8'), '{ "servers": [] }');
  });

  test('a dry run checks everything and writes nothing', async () => {
    const dir = await freshDir();
    const path = join(dir, '.vscode', 'mcp.json');
    const r = await writeClientConfig('vscode', path, input(), { dryRun: true });
    assert.equal(r.changed, true);
    assert.deepEqual(await listDir(dir), []);
  });

  test('editJsonMember: strict mode refuses a trailing comma; the edit is re-parsed before anything is written', async () => {
    const dir = await freshDir();
    const path = join(dir, 'x.json');
    await writeFile(path, '{"mcpServers": {"a": 1,}}');
    await assert.rejects(editJsonMember(path, 'mcpServers', 'b', () => ({ set: 2 })), /trailing comma/);
    await writeFile(path, '{"mcpServers": {"a": 1,}}');
    const r = await editJsonMember(path, 'mcpServers', 'b', () => ({ set: 2 }), { jsonc: true });
    assert.equal(r.after, '{"mcpServers": {"a": 1, "b": 2}}');
  });
});

describe("verify's entry check, per client", () => {
  const check = async (client: string, path: string, over: Partial<Parameters<typeof checkClientConfig>[0]> = {}) =>
    (await checkClientConfig({ configPath: path, client, serverName: SERVER, gatewayUrl: GW, clientId: '0oa1clientid', scopes: input().scopes, callbackPort: 33418, env: {}, entryOnly: true, ...over }))[0]!;

  test('a VS Code entry in a file with comments passes the full mcp-remote check, titled for VS Code', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    await writeFile(path, '{\n  // ours goes below\n  "servers": {},\n}\n');
    await writeClientConfig('vscode', path, input());
    const c = await check('vscode', path);
    assert.equal(c.status, 'pass', c.finding);
    assert.equal(c.id, 'client-entry');
    assert.equal(c.title, 'VS Code entry (mcp-remote command line)');
    const other = await check('vscode', path, { clientId: 'someone-else' });
    assert.equal(other.status, 'fail');
    assert.match(other.finding, /signs in as client 0oa1clientid, not someone-else/);
  });

  test('a Kiro --kiro-native entry gets the lighter check: url, client id, callback port, scopes', async () => {
    const dir = await freshDir();
    const path = join(dir, 'mcp.json');
    await writeClientConfig('kiro', path, input({ kiroNative: true }));
    const ok = await check('kiro', path, { checkId: 'client-entry:kiro' });
    assert.equal(ok.status, 'pass', ok.finding);
    assert.equal(ok.id, 'client-entry:kiro');
    assert.equal(ok.title, "Kiro entry (Kiro's own OAuth)");
    assert.equal((await check('kiro', path, { clientId: 'x' })).status, 'fail');
    const port = await check('kiro', path, { callbackPort: 4444 });
    assert.equal(port.status, 'fail');
    assert.match(port.finding, /uses port 33418, not 4444/);
    assert.match((await check('kiro', path, { gatewayUrl: `${GW}/` })).finding, /lacks the trailing slash/);

    await setClientEntry('kiro', path, SERVER, { url: GW });
    const bare = await check('kiro', path);
    assert.equal(bare.status, 'fail');
    assert.match(bare.finding, /no "oauth.clientId".*dynamic client registration/);
  });

  test('a missing entry names the client and gives its entry as the fix', async () => {
    const dir = await freshDir();
    const path = join(dir, '.mcp.json');
    await writeFile(path, '{"mcpServers": {}}');
    const c = await check('claude-code', path);
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /has no mcpServers\."gateway-tools" entry/);
    assert.match(c.fix ?? '', /"type":"stdio"/);
  });
});

describe('the plan: one client-entry step per client', () => {
  test('in the given order; only Kiro entries are native with --kiro-native', () => {
    const steps = clientEntrySteps(
      [{ client: 'kiro', path: '/h/.kiro/settings/mcp.json' }, { client: 'claude-code', path: '/p/.mcp.json' }, { client: 'kiro-workspace', path: '/p/.kiro/settings/mcp.json' }],
      { serverName: SERVER, callbackPort: 3334, kiroNative: true },
      'http://localhost:3334/oauth/callback',
    );
    assert.deepEqual(steps.map((s) => [s.client, s.transport, s.path]), [
      ['kiro', 'kiro-native', '/h/.kiro/settings/mcp.json'],
      ['claude-code', 'mcp-remote', '/p/.mcp.json'],
      ['kiro-workspace', 'kiro-native', '/p/.kiro/settings/mcp.json'],
    ]);
    assert.match(formatClientStep(steps[1]!, '3.').join('\n'), /3\. ~ Write MCP server "gateway-tools" to \/p\/\.mcp\.json \(Claude Code, via mcp-remote, callback http:\/\/localhost:3334\/oauth\/callback\)/);
    assert.match(formatClientStep(steps[2]!, '4.').join('\n'), /\(Kiro \(workspace\), Kiro's own OAuth,/);
  });
});
