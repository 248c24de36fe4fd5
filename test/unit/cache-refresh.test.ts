/**
 * The cached-refresh check only uses and writes back a plain file mcp-remote wrote: a tokens file that is a symbolic
 * link (a repository's entry can point mcp-remote's cache folder anywhere) is never followed, read for a token, or
 * written through.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkCachedRefresh } from '../../src/checks/cache-refresh.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-cache-refresh-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a tokens file that is a symbolic link is refused: nothing is sent, the link\'s target is untouched', async () => {
  const victim = join(root, 'victim.json');
  const original = JSON.stringify({ refresh_token: 'r-attacker', access_token: 'a' });
  await writeFile(victim, original);
  await symlink(victim, join(root, 'abc_tokens.json'));
  const r = await checkCachedRefresh({ dir: root, hash: 'abc', tokenEndpoint: 'http://127.0.0.1:9/token', issuer: 'http://127.0.0.1:9', clientId: 'c1', timeoutMs: 500 });
  assert.equal(r?.status, 'warn');
  assert.match(r!.finding, /is not a plain file/);
  assert.equal(await readFile(victim, 'utf8'), original);
  assert.equal(await checkCachedRefresh({ dir: root, hash: 'none', tokenEndpoint: 'http://127.0.0.1:9/token', issuer: 'http://127.0.0.1:9', clientId: 'c1' }), undefined, 'no cached login: nothing to try');
});
