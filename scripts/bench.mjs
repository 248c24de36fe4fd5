#!/usr/bin/env node
// npm run bench: start-up budget (--help / --version within 2x of `node -e 0`) and the demo's duration.
import { spawnSync } from 'node:child_process';

const cli = new URL('../dist/src/cli.js', import.meta.url).pathname;
const runs = Number(process.env.BENCH_RUNS ?? 15);

function time(args) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0 && !(args.length === 1)) throw new Error(`${args.join(' ')} exited ${r.status}`);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const base = time(['-e', '0']);
const help = time([cli, '--help']);
const version = time([cli, '--version']);
const initHelp = time([cli, 'init', '--help']);
const row = (name, ms) => `${name.padEnd(28)} ${ms.toFixed(1).padStart(7)} ms  ${(ms / base).toFixed(2)}x`;
console.log(`median of ${runs} runs`);
console.log(row('node -e 0', base));
console.log(row('agentcore-auth --help', help));
console.log(row('agentcore-auth --version', version));
console.log(row('agentcore-auth init --help', initHelp));
const worst = Math.max(help, version) / base;
console.log(`start-up ratio: ${worst.toFixed(2)}x (budget 2.00x) ${worst <= 2 ? 'OK' : 'OVER BUDGET'}`);

const t = process.hrtime.bigint();
const demo = spawnSync(process.execPath, [cli, 'demo', '--json'], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
const ms = Number(process.hrtime.bigint() - t) / 1e6;
let ok = demo.status === 0;
try {
  ok = ok && JSON.parse(demo.stdout).ok === true;
} catch {
  ok = false;
}
console.log(`demo: ${(ms / 1000).toFixed(2)} s wall, exit ${demo.status}, ${ok ? 'ok' : 'FAILED'}`);
process.exit(worst <= 2 && ok ? 0 : 1);
