/**
 * The guards for what comes from outside: terminal-safe text and masked URL credentials (src/core/redact.ts),
 * the transport rule (src/core/net.ts, and httpFetch's refusal), bounded response bodies, safe file reads and
 * contained writes (src/core/fs.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CliError } from '../../src/core/errors.js';
import { containedWriteTarget, readTextIfExists } from '../../src/core/fs.js';
import { httpFetch, readText } from '../../src/core/http.js';
import { isLoopbackHost, isSecureTransportUrl, requireSecureUrl } from '../../src/core/net.js';
import { redactObject, safeText, stripControl } from '../../src/core/redact.js';
import { createLogger, styled } from '../../src/core/logger.js';

describe('terminal-safe text', () => {
  test('escape sequences, C0/C1 controls and bidi overrides go; tab and newline stay', () => {
    assert.equal(stripControl('a\u001b[2Jb\u001b]0;title\u0007c\u001b]8;;http://x\u001b\\d\u009b31me\r\u0000f\u202eg\u2066h\t\ni'), 'abcdefgh\t\ni');
    assert.equal(stripControl('x\u001b[31mred\u001b[39m\u0007'), 'xred');
    assert.equal(stripControl('ok\u202eevil\u2069'), 'okevil');
    assert.equal(stripControl('tab\there\nnew line'), 'tab\there\nnew line');
    assert.doesNotMatch(stripControl('a\u001bP1$r\u001b\\b\u001b_apc\u001b\\c\u009d8;;x\u009cd'), /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  test('URL credentials are masked, the host stays', () => {
    assert.equal(safeText('see https://admin:hunter2@idp.example.com/realms/x and http://tok@h:8080/'), 'see https://***@idp.example.com/realms/x and http://***@h:8080/');
    assert.equal(safeText('mail me at a@b.example (not a URL)'), 'mail me at a@b.example (not a URL)');
  });

  test('--json values and keys are made safe as well as masked', () => {
    const out = redactObject({ finding: 'x\u001b]0;t\u0007y', ['k\u001b[2J']: 'https://u:p@h/', access_token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig0123456789' });
    assert.deepEqual(Object.keys(out), ['finding', 'k', 'access_token']);
    assert.equal(out.finding, 'xy');
    assert.equal((out as Record<string, string>).k, 'https://***@h/');
    assert.doesNotMatch(JSON.stringify(out), /\\u001b|\\u0007|hunter|eyJhbGci/);
  });

  test('the logger strips what data carries but keeps its own colours; styled text paints only after cleaning', () => {
    const chunks: string[] = [];
    const stream = { write: (s: string) => void chunks.push(s) } as unknown as NodeJS.WritableStream;
    const log = createLogger({ stream, color: true });
    log.warn('profile says \u001b[31mred\u001b]0;x\u0007');
    log.styled(styled([['  ', ['red', '✖'], ' finding: \u001b[2Jwiped']], true));
    const text = chunks.join('');
    assert.equal(text, '\u001b[33m!\u001b[39m profile says red\n  \u001b[31m✖\u001b[39m finding: wiped\n');
  });
});

describe('transport', () => {
  test('loopback is a literal: localhost, 127/8, ::1; not 0.0.0.0, not *.localhost', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '::1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '[::]', 'gw.localhost', 'localhost.evil.com', '127.0.0.1.nip.io', '10.0.0.1', '[::ffff:7f00:1]']) assert.equal(isLoopbackHost(h), false, h);
    assert.equal(isSecureTransportUrl('http://127.1/x'), true, 'the URL parser spells 127.1 as 127.0.0.1');
    assert.equal(isSecureTransportUrl('https://anything.example/'), true);
    assert.equal(isSecureTransportUrl('http://0.0.0.0:8080/'), false);
    assert.equal(isSecureTransportUrl('ftp://localhost/'), false);
  });

  test('requireSecureUrl refuses plain http off this machine with the https fix, and never echoes a password', () => {
    assert.equal(requireSecureUrl('http://localhost:3000/mcp', '--gateway-url'), 'http://localhost:3000/mcp');
    assert.throws(() => requireSecureUrl('http://u:hunter2@gw.example.com/mcp', '--gateway-url'), (e: CliError) => {
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /--gateway-url http:\/\/gw\.example\.com\/mcp is plain http to gw\.example\.com/);
      assert.doesNotMatch(`${e.message} ${e.fix}`, /hunter2/);
      assert.equal(e.fix, 'Use https://gw.example.com/mcp (plain http is accepted only for localhost, 127.0.0.1 or ::1).');
      return true;
    });
  });

  test('httpFetch refuses, before connecting, a credential bound for plain http off this machine', async () => {
    const started = Date.now();
    for (const init of [
      { headers: { Authorization: 'Bearer abc' } },
      { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c', code_verifier: 'v' }) },
      { method: 'POST', body: 'token=abc&token_type_hint=refresh_token' },
    ] as RequestInit[]) {
      await assert.rejects(httpFetch('http://192.0.2.1/token', init, { timeoutMs: 5_000 }), (e: CliError) => e.code === 'insecure_transport');
    }
    assert.ok(Date.now() - started < 1_000, 'refused at once, no connection attempted');
    // Without a credential, plain http is a matter for the caller (e.g. reading public metadata on loopback).
    await assert.rejects(httpFetch('http://192.0.2.1/.well-known/x', {}, { timeoutMs: 200, retryPolicy: { maxAttempts: 1 } }), (e: CliError) => e.code !== 'insecure_transport');
  });
});

describe('bounded response bodies', () => {
  let port = 0;
  const server = createServer((req, res) => {
    if (req.url === '/endless') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (res.write(chunk)) {
          /* keep writing */
        }
      };
      res.on('drain', pump);
      pump();
      req.on('close', () => res.destroy());
      return;
    }
    res.end('{"ok":true}');
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('an endless body is cut at the limit with a clear error; a small one is read', async () => {
    assert.equal(await readText(await fetch(`http://127.0.0.1:${port}/small`)), '{"ok":true}');
    await assert.rejects(readText(await fetch(`http://127.0.0.1:${port}/endless`), 256 * 1024), (e: CliError) => e.code === 'response_too_large' && /more than 256 KiB/.test(e.message));
  });
});

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
