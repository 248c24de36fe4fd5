/**
 * The package as a user gets it, not the repository: `npm pack`, then `npm install <tarball>` into an empty folder
 * with an empty npm cache and no network (--offline: a package that needed a dependency could not install), then:
 *   - what the tarball holds: the bundle, templates, README, licences; no tests, sources or source maps;
 *   - the installed bin runs `demo` end to end (sandbox IdP, gateway, mcp-remote entry, verify, cleanup);
 *   - the end-to-end files named in ARTIFACT_FILES run again with AGENTCORE_AUTH_TEST_CLI pointing at the installed
 *     bin: init/verify/cleanup on the sandbox, and the Okta, Entra, Cognito and Auth0 adapters against their
 *     stand-ins, each driven through the installed copy.
 * The tarball is packed with --ignore-scripts from the bundle `npm run build` made (packing must not rebuild dist/
 * under the other test files' feet).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROJECT_ROOT, describeRun, isolatedEnv, parseSingleJson, type CliResult } from '../helpers/cli.js';

/** The end-to-end files that run a second time against the installed package. */
const ARTIFACT_FILES = ['cli.test.js', 'verify.test.js', 'okta.test.js', 'entra.test.js', 'cognito.test.js', 'auth0.test.js'];

let work: string;
let tarball: string;
let installed: string;
let bin: string;

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, base));
    else out.push(p.slice(base.length + 1));
  }
  return out;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'agentcore-auth-artifact-'));
  const cache = join(work, 'npm-cache');
  const env = { ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], PROJECT_ROOT, env);
  assert.equal(pack.code, 0, `npm pack failed:\n${pack.out}`);
  const name = (JSON.parse(pack.out.slice(pack.out.indexOf('['), pack.out.lastIndexOf(']') + 1)) as Array<{ filename: string }>)[0]!.filename;
  tarball = join(work, name);
  installed = join(work, 'app');
  await mkdir(installed);
  const install = npm(['install', '--offline', '--no-package-lock', tarball], installed, env);
  assert.equal(install.code, 0, `npm install --offline <tarball> into an empty folder with an empty cache failed (a runtime dependency?):\n${install.out}`);
  bin = join(installed, 'node_modules', '.bin', 'agentcore-auth');
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed package, installed into an empty folder', () => {
  test('it holds the bundle, templates, README and licences, nothing else, and installs as one package with no dependencies', async () => {
    const pkgDir = join(installed, 'node_modules', 'agentcore-auth');
    const files = walk(pkgDir).sort();
    const outside = files.filter((f) => !/^(bundle\/|templates\/|README\.md$|LICENSE$|package\.json$)/.test(f));
    assert.deepEqual(outside, [], 'files outside the bundle, templates, README and licence');
    assert.deepEqual(files.filter((f) => /\.(map|ts)$|(^|\/)test\//.test(f)), [], 'no source maps, TypeScript or tests');
    assert.ok(files.includes('bundle/cli.js') && files.includes('bundle/THIRD_PARTY_LICENSES.txt') && files.includes('templates/kiro-mcp-remote.json'));
    const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { dependencies?: object; optionalDependencies?: object; peerDependencies?: object; bin: Record<string, string> };
    assert.deepEqual([manifest.dependencies, manifest.optionalDependencies, manifest.peerDependencies].filter(Boolean).flatMap((d) => Object.keys(d!)), [], 'runtime dependencies');
    const modules = readdirSync(join(installed, 'node_modules')).filter((n) => !n.startsWith('.'));
    assert.deepEqual(modules, ['agentcore-auth'], 'packages installed');
    assert.ok(lstatSync(bin).isSymbolicLink() || existsSync(bin), 'npm linked the bin');
    assert.ok((statSync(join(pkgDir, manifest.bin['agentcore-auth']!)).mode & 0o111) !== 0, 'the bin is executable');
    const licences = await readFile(join(pkgDir, 'bundle', 'THIRD_PARTY_LICENSES.txt'), 'utf8');
    for (const p of ['@okta/okta-sdk-nodejs@', 'auth0@', '@azure/msal-node@', '@aws-sdk/client-cognito-identity-provider@', 'oidc-provider@', 'jose@']) assert.ok(licences.includes(p), `THIRD_PARTY_LICENSES.txt names ${p}`);
  });

  test('the installed bin prints its version and help, and runs the whole demo journey', async () => {
    const home = await mkdtemp(join(work, 'home-'));
    const env = isolatedEnv(home, { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` });
    const manifest = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    const version = spawnSync(bin, ['--version'], { env, encoding: 'utf8', cwd: home });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, `${manifest.version}\n`);
    const help = spawnSync(bin, ['init', '--help'], { env, encoding: 'utf8', cwd: home });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--okta-org-url/);
    const demo = await runInstalled(['demo', '--json'], env, home);
    assert.equal(demo.code, 0, describeRun(demo));
    const doc = parseSingleJson<{ ok: boolean }>(demo);
    assert.equal(doc.ok, true);
  });

  test(`the end-to-end files (${ARTIFACT_FILES.join(', ')}) pass against the installed package`, { timeout: 1_500_000 }, async () => {
    const dir = join(PROJECT_ROOT, 'dist', 'test', 'e2e');
    const files = ARTIFACT_FILES.map((f) => join(dir, f));
    for (const f of files) assert.ok(existsSync(f), `${f} exists`);
    const cli = join(installed, 'node_modules', 'agentcore-auth', 'bundle', 'cli.js');
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=120000', '--test-reporter=tap', ...files], {
        cwd: PROJECT_ROOT,
        // Without NODE_TEST_CONTEXT: the child is a test run of its own, not a subprocess of this one's runner.
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), AGENTCORE_AUTH_TEST_CLI: cli },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.once('close', (code) => resolve({ code, out }));
    });
    const count = (k: string): number => Number(new RegExp(`^# ${k} (\\d+)`, 'm').exec(r.out)?.[1] ?? NaN);
    const failures = r.out.split('\n').filter((l) => /^\s*not ok /.test(l) && !/# SKIP/.test(l));
    assert.equal(r.code, 0, `against the installed package: ${count('fail')} failed of ${count('tests')}:\n${failures.join('\n')}\n${r.out.slice(-4000)}`);
    assert.ok(count('pass') >= 20, `the files ran (${count('pass')} passed)`);
  });
});

function runInstalled(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  // The bin as npm linked it (node_modules/.bin/agentcore-auth, started through its #!/usr/bin/env node line).
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), (output += d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output, timedOut: false, durationMs: Date.now() - started, args });
    });
  });
}
