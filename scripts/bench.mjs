#!/usr/bin/env node
// npm run bench: what a user pays, measured in one run, against the issue-15 targets.
//   1. the packed package installed into an empty folder: size on disk and number of packages;
//   2. cold start: `npx --package <tarball> agentcore-auth --help` with an empty npm cache;
//   3. warm start: --help and --version as a ratio to `node -e 0` (median of BENCH_RUNS runs);
//   4. the demo's wall time.
// `npm run bench -- --baseline <tarball>` measures another tarball (say, an older release) the same way, side by side.
// Needs `npm run build` first (it packs the bundle as built, with --ignore-scripts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'bundle', 'cli.js');
const runs = Number(process.env.BENCH_RUNS ?? 15);
const baselineArg = process.argv.indexOf('--baseline');
const baselineTarball = baselineArg > 0 ? process.argv[baselineArg + 1] : undefined;
if (!existsSync(cli)) {
  console.error('bundle/cli.js is missing: run `npm run build` first.');
  process.exit(2);
}

// What this package cost before it was bundled: 0.1.0 at commit 5f58d4c, measured by this script with --baseline on
// 2026-12-05 (file bytes, as below; issue 15 quoted 150 MB from du's disk blocks). The cold-start target is a fifth
// of the 27.5 s issue 15 measured.
const BEFORE = { installedMB: 88.1, packages: 257, coldS: 29.1 };
const TARGET = { installedMB: 20, packages: 5, coldS: 27.5 / 5, warmRatio: 2 };

const work = mkdtempSync(join(tmpdir(), 'agentcore-auth-bench-'));
const npmEnv = (cache) => ({ ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_yes: 'true' });

function seconds(fn) {
  const t = process.hrtime.bigint();
  const r = fn();
  return { r, s: Number(process.hrtime.bigint() - t) / 1e9 };
}

function du(dir) {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) bytes += du(p);
    else if (e.isFile()) bytes += statSync(p).size;
  }
  return bytes;
}

function countPackages(nodeModules) {
  let n = 0;
  if (!existsSync(nodeModules)) return 0;
  for (const e of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const p = join(nodeModules, e.name);
    if (e.name.startsWith('@')) n += countPackages(p);
    else n += 1 + countPackages(join(p, 'node_modules'));
  }
  return n;
}

/** Install into an empty folder with an empty cache; cold npx --help with another empty cache. */
function measureTarball(tarball, label) {
  const app = join(work, `${label}-app`);
  mkdirSync(app);
  const install = seconds(() => spawnSync('npm', ['install', '--no-package-lock', tarball], { cwd: app, env: npmEnv(join(work, `${label}-cache-install`)), encoding: 'utf8' }));
  if (install.r.status !== 0) throw new Error(`npm install ${tarball} failed:\n${install.r.stderr}`);
  const nm = join(app, 'node_modules');
  const cold = seconds(() =>
    spawnSync('npx', ['--yes', '--package', tarball, 'agentcore-auth', '--help'], { cwd: join(work), env: npmEnv(join(work, `${label}-cache-npx`)), encoding: 'utf8' }),
  );
  if (cold.r.status !== 0 || !/Usage: agentcore-auth/.test(cold.r.stdout)) throw new Error(`npx --package ${tarball} agentcore-auth --help failed:\n${cold.r.stderr}`);
  return { installedMB: du(nm) / 1e6, packages: countPackages(nm), installS: install.s, coldS: cold.s };
}

function median(args) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0 && args[0] !== '-e') throw new Error(`${args.join(' ')} exited ${r.status}`);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

try {
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, env: npmEnv(join(work, 'cache-pack')), encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0];
  const tarball = join(work, packed.filename);
  const now = measureTarball(tarball, 'now');
  const base = baselineTarball ? measureTarball(baselineTarball, 'baseline') : undefined;

  const nodeMs = median(['-e', '0']);
  const helpMs = median([cli, '--help']);
  const versionMs = median([cli, '--version']);
  const warm = Math.max(helpMs, versionMs) / nodeMs;

  const demo = seconds(() => spawnSync(process.execPath, [cli, 'demo', '--json'], { encoding: 'utf8', env: { ...process.env, CI: '1' } }));
  let demoOk = demo.r.status === 0;
  try {
    demoOk = demoOk && JSON.parse(demo.r.stdout).ok === true;
  } catch {
    demoOk = false;
  }

  const before = base ? { ...base, source: `measured: ${baselineTarball}` } : { ...BEFORE, source: 'recorded before the bundle (issue 15)' };
  const ok = (v, t) => (v <= t ? 'OK' : 'MISSED');
  const row = (name, value, was, target, verdict) => `${name.padEnd(34)} ${value.padStart(10)} ${was.padStart(10)} ${target.padStart(10)}  ${verdict}`;
  console.log(`agentcore-auth ${packed.version}: tarball ${(packed.size / 1e6).toFixed(2)} MB, ${packed.entryCount} files (node ${process.version})`);
  console.log(row('', 'now', 'before', 'target', ''));
  console.log(row('installed size', `${now.installedMB.toFixed(1)} MB`, `${before.installedMB.toFixed(1)} MB`, `<= ${TARGET.installedMB} MB`, ok(now.installedMB, TARGET.installedMB)));
  console.log(row('installed packages', String(now.packages), String(before.packages), `<= ${TARGET.packages}`, ok(now.packages, TARGET.packages)));
  console.log(row('cold npx --package <tgz> --help', `${now.coldS.toFixed(2)} s`, `${before.coldS.toFixed(2)} s`, `<= ${TARGET.coldS.toFixed(1)} s`, ok(now.coldS, TARGET.coldS)));
  console.log(row('warm --help/--version vs node -e 0', `${warm.toFixed(2)}x`, '', `<= ${TARGET.warmRatio}x`, ok(warm, TARGET.warmRatio)));
  console.log(row('demo (wall)', `${demo.s.toFixed(2)} s`, '', '', demoOk ? 'ok' : 'FAILED'));
  console.log(`before: ${before.source}; warm: node -e 0 ${nodeMs.toFixed(1)} ms, --help ${helpMs.toFixed(1)} ms, --version ${versionMs.toFixed(1)} ms (median of ${runs}); npm install took ${now.installS.toFixed(2)} s`);
  const met = now.installedMB <= TARGET.installedMB && now.packages <= TARGET.packages && now.coldS <= TARGET.coldS && warm <= TARGET.warmRatio && demoOk;
  process.exitCode = met ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
