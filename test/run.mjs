#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Usage: node test/run.mjs [unit|e2e|<substring>...]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})(root);
const filters = process.argv.slice(2);
// Matched against the path below dist/test/ (a checkout folder's own name, e.g. wt-glewlwyd, must not match every file).
const chosen = files.filter((f) => !filters.length || filters.some((x) => f.slice(root.length).includes(x))).sort();
if (!chosen.length) {
  console.error(`No test files matched ${filters.join(' ')} under ${root}`);
  process.exit(1);
}
// Tests that use the AWS SDK directly would print its Node-version notice in every log.
// In-process tests never write into the developer's own state folder (backups, journals).
const stateDir = process.env.AGENTCORE_AUTH_HOME ? undefined : mkdtempSync(join(tmpdir(), 'agentcore-auth-test-state-'));
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AGENTCORE_AUTH_HOME: process.env.AGENTCORE_AUTH_HOME ?? stateDir };
// The artifact test (npm pack, install, then six e2e files again against the installed copy) needs minutes, more
// than the per-file limit the others keep: it runs on its own afterwards, alone on the CPUs, with a longer limit.
const long = chosen.filter((f) => f.endsWith('/e2e/artifact.test.js'));
const rest = chosen.filter((f) => !long.includes(f));
const statuses = [];
if (rest.length) statuses.push(spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...rest], { stdio: 'inherit', env }).status ?? 1);
if (long.length) statuses.push(spawnSync(process.execPath, ['--test', '--test-timeout=1200000', ...long], { stdio: 'inherit', env }).status ?? 1);
const status = statuses.find((x) => x !== 0) ?? 0;
if (stateDir) rmSync(stateDir, { recursive: true, force: true });
process.exit(status);
