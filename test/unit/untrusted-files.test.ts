/** Files from outside: safe reads (regular files under a size limit) and contained writes (src/core/fs.ts). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CliError } from '../../src/core/errors.js';
import { containedWriteTarget, readTextIfExists } from '../../src/core/fs.js';

describe('files from outside', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agentcore-auth-untrusted-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('readTextIfExists: a regular file is read; missing is null; FIFO, device, folder and oversize are refused at once', async () => {
    await writeFile(join(dir, 'ok.json'), '{}');
    assert.equal(await readTextIfExists(join(dir, 'ok.json')), '{}');
    assert.equal(await readTextIfExists(join(dir, 'missing.json')), null);
    assert.equal(await readTextIfExists(join(dir, 'ok.json', 'under-a-file')), null);
    assert.equal(spawnSync('mkfifo', [join(dir, 'fifo')]).status, 0);
    await mkdir(join(dir, 'folder'));
    await writeFile(join(dir, 'big'), 'x'.repeat(2048));
    const refused = async (path: string, code: string, why: RegExp) =>
      assert.rejects(readTextIfExists(path, { limit: 1024, what: 'team profile' }), (e: CliError) => e.code === code && why.test(e.message) && e.message.includes(path));
    await refused(join(dir, 'fifo'), 'not_a_file', /team profile .* is a named pipe \(FIFO\)/);
    await refused('/dev/zero', 'not_a_file', /is a device/);
    await refused(join(dir, 'folder'), 'not_a_file', /is a folder/);
    await refused(join(dir, 'big'), 'file_too_large', /larger than 1 KiB/);
  });

  test('containedWriteTarget: links that stay inside pass; links that leave the root are refused, naming the real path', async () => {
    const project = join(dir, 'project');
    const outside = join(dir, 'outside');
    await mkdir(join(project, 'sub'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(project, 'real.json'), '{}');
    await writeFile(join(outside, 'secret.json'), '{}');
    await symlink('real.json', join(project, 'inside.json'));
    await symlink('../outside/secret.json', join(project, 'escape.json'));
    await symlink('../outside', join(project, 'linkdir'));
    const scope = { root: project, label: 'the project folder' };
    assert.equal(await containedWriteTarget(join(project, 'inside.json'), scope), join(project, 'real.json'));
    assert.equal(await containedWriteTarget(join(project, 'sub', 'new.json'), scope), join(project, 'sub', 'new.json'));
    for (const p of [join(project, 'escape.json'), join(project, 'linkdir', 'new.json')]) {
      await assert.rejects(containedWriteTarget(p, scope), (e: CliError) => e.code === 'path_escape' && e.message.includes(`its real path is ${join(outside, p.endsWith('new.json') ? 'new.json' : 'secret.json')}`));
    }
    assert.equal(await containedWriteTarget(join(project, 'escape.json'), { ...scope, followSymlinks: true }), join(outside, 'secret.json'));
    // A location the user's own environment chose outside the root is held to its own folder.
    assert.equal(await containedWriteTarget(join(outside, 'x.json'), scope), join(outside, 'x.json'));
    assert.equal(await readFile(join(outside, 'secret.json'), 'utf8'), '{}');
  });
});
