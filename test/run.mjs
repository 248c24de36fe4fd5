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
// Filters match the path under dist/test/ only: a checkout folder named e.g. wt-browser must not match every file.
const chosen = files.filter((f) => !filters.length || filters.some((x) => f.slice(root.length).includes(x))).sort();
if (!chosen.length) {
  console.error(`No test files matched ${filters.join(' ')} under ${root}`);
  process.exit(1);
}
// Tests that use the AWS SDK directly would print its Node-version notice in every log.
// In-process tests never write into the developer's own state folder (backups, journals).
const stateDir = process.env.AGENTCORE_AUTH_HOME ? undefined : mkdtempSync(join(tmpdir(), 'agentcore-auth-test-state-'));
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AGENTCORE_AUTH_HOME: process.env.AGENTCORE_AUTH_HOME ?? stateDir };
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...chosen], { stdio: 'inherit', env });
if (stateDir) rmSync(stateDir, { recursive: true, force: true });
process.exit(r.status ?? 1);
