/**
 * Cleanup restores the client config files exactly (issue #11, cases 2 and 7): the built CLI against the sandbox,
 * in a fresh project folder and HOME, with several clients at once.
 *   - no file before init: after cleanup, no file, no folder init made, no backup anywhere;
 *   - files before init (odd formatting, CRLF, tabs, a BOM, JSONC comments and trailing commas, an entry of the
 *     same name): after cleanup, byte for byte what they were; also when the user edited another part of the
 *     file in between (then only our entry's bytes change back);
 *   - two setups writing the same entry: cleaning them in either order ends with the file as it was before both,
 *     never with an entry that points at a deleted gateway.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs restore.test
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { describeRun, freePort, isolatedEnv, runCli, type CliResult } from '../helpers/cli.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let root: string;
let sb: Sandbox;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-restore-'));
  sb = await startSandbox({ autoLogin: 'alice', logger: createMemoryLogger(), readyDelayMs: 20 });
});

after(async () => {
  await sb?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

interface User {
  home: string;
  project: string;
  state: string;
  env: NodeJS.ProcessEnv;
}

let n = 0;
async function newUser(): Promise<User> {
  const home = join(root, `home-${++n}`);
  const project = join(root, `project-${n}`);
  await mkdir(home, { recursive: true });
  await mkdir(project, { recursive: true });
  const env = isolatedEnv(home);
  return { home, project, state: env.AGENTCORE_AUTH_HOME!, env };
}

async function cli(u: User, args: string[]): Promise<CliResult> {
  return runCli(args, { env: u.env, cwd: u.project, timeoutMs: 60_000 });
}

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);
}

let gateways = 0;
async function init(u: User, setup: string, clients: string): Promise<void> {
  const r = await cli(u, [
    'init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region,
    '--create-gateway', `restore-${++gateways}-${setup}-${process.pid % 1000}`, '--role-arn', sb.roleArn, '--callback-port', String(await freePort()),
    '--client', clients, '--setup', setup, '--no-team-profile', '--yes', '--no-verify',
  ]);
  expectExit(r, 0);
}

async function cleanup(u: User, setup: string): Promise<CliResult> {
  const r = await cli(u, ['cleanup', '--setup', setup, '--yes']);
  expectExit(r, 0);
  return r;
}

/** Every file (with its bytes) and folder under `dir`, except the state folder. */
async function tree(dir: string, skip: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === skip) continue;
      if (e.isDirectory()) {
        out[`${relative(dir, p)}/`] = '';
        await walk(p);
      } else out[relative(dir, p)] = await readFile(p, 'latin1');
    }
  };
  await walk(dir);
  return out;
}

async function backups(u: User): Promise<string[]> {
  return readdir(join(u.state, 'backups')).catch(() => []);
}

const CLIENTS = 'kiro,kiro-workspace,cursor,vscode,claude-code,gemini';

describe('cleanup restores client configs exactly', { concurrency: 2 }, () => {
  test('no config before init: cleanup leaves no file, no folder and no backup anywhere', async () => {
    const u = await newUser();
    const before = { home: await tree(u.home, u.state), project: await tree(u.project, u.state) };
    await init(u, 'fresh', CLIENTS);
    assert.ok(existsSync(join(u.project, '.vscode', 'mcp.json')) && existsSync(join(u.home, '.cursor', 'mcp.json')));
    const c = await cleanup(u, 'fresh');
    assert.deepEqual(await tree(u.project, u.state), before.project, 'the project folder is as it was (no file, folder or .bak left)');
    assert.deepEqual(await tree(u.home, u.state), before.home, 'HOME is as it was');
    assert.deepEqual(await backups(u), [], 'no backup is left in the state folder');
    assert.match(c.output, /the file init created is deleted/);
  });

  test('configs that existed: byte for byte after cleanup (CRLF, tabs, BOM, odd spacing, JSONC comments and trailing commas, an entry of the same name)', async () => {
    const u = await newUser();
    const files: Record<string, string> = {
      [join(u.home, '.kiro', 'settings', 'mcp.json')]: '{\r\n\t"mcpServers" : {\r\n\t\t"other":{"command":"x" ,"args":[ "1" ]},\r\n\t\t"gateway-tools": {"command": "old",  "args": []}\r\n\t},\r\n\t"keep": 1.50\r\n}',
      [join(u.project, '.vscode', 'mcp.json')]: '\ufeff// my servers\n{\n  "servers": {\n    "a": { "type": "stdio", "command": "a", }, // trailing comma\n  },\n  /* inputs */ "inputs": [],\n}\n',
      [join(u.home, '.cursor', 'mcp.json')]: '{"mcpServers":{"z":{"url":"https://z.example/mcp"}}}',
      [join(u.home, '.gemini', 'settings.json')]: '{\n    "theme": "dark",\n    "mcpServers": {}\n}\n',
    };
    for (const [p, text] of Object.entries(files)) {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, text);
    }
    const before = { home: await tree(u.home, u.state), project: await tree(u.project, u.state) };
    await init(u, 'existing', 'kiro,vscode,cursor,gemini');
    for (const p of Object.keys(files)) assert.notEqual(await readFile(p, 'utf8'), files[p], `${p} was written`);
    const c = await cleanup(u, 'existing');
    for (const [p, text] of Object.entries(files)) assert.equal(await readFile(p, 'utf8'), text, `${p} is byte for byte what it was`);
    assert.deepEqual(await tree(u.project, u.state), before.project);
    assert.deepEqual(await tree(u.home, u.state), before.home);
    assert.deepEqual(await backups(u), []);
    assert.match(c.output, /the file is back to its original bytes/);
  });

  test('a file edited elsewhere after init: only our entry changes back, the edit stays, the replaced entry comes back in its own spelling', async () => {
    const u = await newUser();
    const kiro = join(u.home, '.kiro', 'settings', 'mcp.json');
    const original = '{\n  "mcpServers": {\n    "gateway-tools": {"command":"old",   "args": ["keep me"]},\n    "b": {"command": "b"}\n  }\n}\n';
    await mkdir(dirname(kiro), { recursive: true });
    await writeFile(kiro, original);
    await init(u, 'edited', 'kiro');
    const written = await readFile(kiro, 'utf8');
    // The user adds a server after init.
    const edited = written.replace('"b": {"command": "b"}', '"b": {"command": "b"},\n    "c": {"command": "c"}');
    assert.notEqual(edited, written);
    await writeFile(kiro, edited);
    await cleanup(u, 'edited');
    assert.equal(await readFile(kiro, 'utf8'), original.replace('"b": {"command": "b"}', '"b": {"command": "b"},\n    "c": {"command": "c"}'));
    assert.deepEqual(await backups(u), []);
  });

  // The user's own "gateway-tools" entry (and a neighbour) stood there before either setup: it must come back.
  const MINE = '{\n  "mcpServers": {\n    "n": {"command":"n"},\n    "gateway-tools": { "url" : "https://mine.example/mcp" }\n  }\n}\n';
  for (const original of [null, MINE]) {
    for (const order of [['a', 'b'], ['b', 'a']] as const) {
      test(`two setups wrote the same entry (${original ? 'over the user\'s own' : 'no file before'}); cleanup ${order.join(' then ')}: the file ends as it was before both, never with a dead entry`, async () => {
        const u = await newUser();
        const cursor = join(u.home, '.cursor', 'mcp.json');
        if (original !== null) {
          await mkdir(dirname(cursor), { recursive: true });
          await writeFile(cursor, original);
        }
        const before = await tree(u.home, u.state);
        await init(u, 'a', 'cursor');
        const afterA = await readFile(cursor, 'utf8');
        await init(u, 'b', 'cursor');
        const afterB = await readFile(cursor, 'utf8');
        assert.notEqual(afterB, afterA);
        const first = await cleanup(u, order[0]);
        if (order[0] === 'a') {
          assert.equal(await readFile(cursor, 'utf8'), afterB, "b's entry (b is live) is left to b, not one byte changed");
        } else {
          assert.equal(await readFile(cursor, 'utf8'), afterA, "b's cleanup puts a's entry back, byte for byte, while a is live");
          // a's backup of the original stays while a lives (a's cleanup restores from it); b's own is gone.
          const left = await backups(u);
          assert.equal(left.length, original === null ? 0 : 1, left.join(', '));
          if (original !== null) assert.equal(await readFile(join(u.state, 'backups', left[0]!), 'utf8'), original);
        }
        await cleanup(u, order[1]);
        if (original === null) {
          assert.equal(existsSync(cursor), false, 'the file neither setup found is gone');
          assert.equal(existsSync(join(u.home, '.cursor')), false, 'and the folder init made');
        } else assert.equal(await readFile(cursor, 'utf8'), original, "the user's own entry is back, byte for byte");
        assert.deepEqual(await tree(u.home, u.state), before, 'HOME is as it was before both setups');
        assert.deepEqual(await backups(u), []);
        if (order[0] === 'a') {
          assert.match(first.output, new RegExp(`"gateway-tools" in ${cursor.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: skipped \\("gateway-tools" in \\S+ is also written by setup "b"; left to it\\)`));
        }
      });
    }
  }
});
