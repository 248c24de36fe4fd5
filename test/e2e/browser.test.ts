/**
 * A real browser instead of our headless redirect follower: Debian's Chromium driven by playwright-core
 * (test/helpers/chromium-browser.mjs) is $BROWSER. The sandbox runs WITHOUT --auto-login, so every sign-in is
 * the person's journey: oidc-provider's sign-in form (alice / alice-password), its consent page, then the
 * loopback callback page the client serves. The browser logs what it saw (codes, states, ids masked).
 *
 *   sandbox --json (no auto-login) + init --provider oidc ... --no-verify       (as other e2e tests do)
 *   verify                         our test login through Chromium: exit 0, "Signed in" on the callback page
 *   verify --via-client --no-login mcp-remote signs in through Chromium: exit 0, mcp-remote's success page
 *   verify, Deny at consent        login fails fast with access_denied and the consent fix
 *   verify, Cancel at sign-in      the same, from the sign-in form
 *   verify --via-client, Deny      mcp-remote's refusal is reported fast with the same finding
 *
 * Skipped with a reason when /usr/bin/chromium or playwright-core is missing (CI installs chromium with apt).
 * Needs a build first: `npx tsc -p tsconfig.json && node test/run.mjs browser`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, describeRun, freePort, isolatedEnv, parseSingleJson, redactedTail, runCli, startSandboxProcess, type CliResult, type SandboxProcess } from '../helpers/cli.js';

/** Debian's Chromium; CHROMIUM_PATH points elsewhere (or at nothing, to see the skip). */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const BROWSER_PROGRAM = join(PROJECT_ROOT, 'test', 'helpers', 'chromium-browser.mjs');

function skipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (apt-get install -y chromium)`;
  try {
    createRequire(join(PROJECT_ROOT, 'package.json')).resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm install --save-dev playwright-core)';
  }
  return undefined;
}

interface Check {
  id: string;
  status: string;
  finding: string;
  fix?: string;
  details?: Record<string, unknown>;
}
interface Report {
  ok: boolean;
  checks: Check[];
}

let home = '';
let sandbox: SandboxProcess | undefined;
let lastRun: CliResult | undefined;

const byId = (r: Report, id: string): Check => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
};

/**
 * A $BROWSER for one scenario: a wrapper script with its log file and sign-in action baked in. The CLI passes
 * its env to the browser, but mcp-remote gets only the Kiro entry's env plus BROWSER/DISPLAY, so settings
 * cannot travel as env variables.
 */
async function browserFor(name: string, action: 'allow' | 'deny' | 'cancel'): Promise<{ browser: string; log: string }> {
  const log = join(home, `${name}.browser.log`);
  const browser = join(home, `${name}.browser.sh`);
  await writeFile(browser, `#!/bin/sh\nBROWSER_LOG='${log}' SIGNIN_ACTION=${action} CHROMIUM_PATH='${CHROMIUM}' exec '${process.execPath}' '${BROWSER_PROGRAM}' "$@"\n`);
  await chmod(browser, 0o755);
  return { browser, log };
}

/** The browser runs detached from the CLI: wait until it has written its last line (or give up). */
async function browserLog(log: string, opens: number, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const done = lines.filter((l) => /^(done|fail) /.test(l)).length;
    if (done >= opens || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function verify(args: string[], browser: string): Promise<{ r: CliResult; rep: Report }> {
  const r = await runCli(['verify', ...args, '--login-timeout', '60s', '--json'], {
    env: isolatedEnv(home, { BROWSER: browser, DISPLAY: '' }),
    cwd: home,
    timeoutMs: 90_000,
  });
  lastRun = r;
  return { r, rep: parseSingleJson<Report>(r) };
}

function diagnostics(log: string[]): string {
  return [
    '--- browser log ---',
    log.join('\n') || '(empty)',
    lastRun ? `--- last CLI run ---\n${describeRun(lastRun)}` : '',
    sandbox ? `--- sandbox stderr ---\n${redactedTail(sandbox.stderr(), 3000)}` : '',
  ].join('\n');
}

/** No code, state or token value may reach the browser log. */
function assertNoSecrets(lines: string[]): void {
  for (const l of lines) assert.doesNotMatch(l, /[?&](code|state|iss)=|eyJ[\w-]{10,}/, `the browser log leaks a value: ${l}`);
}

const skip = skipReason();

describe('e2e: a real browser (Chromium via playwright-core) signs in at the sandbox IdP', { skip }, () => {
  before(async () => {
    home = await realpath(await mkdtemp(join(tmpdir(), 'agentcore-auth-e2e-browser-')));
    sandbox = await startSandboxProcess(['--port', '0'], { env: isolatedEnv(join(home, 'sandbox-home')), timeoutMs: 10_000 });
    assert.equal(sandbox.info.autoLogin, null, 'the sandbox needs a person to sign in');
    const { info } = sandbox;
    const callbackPort = await freePort();
    const r = await runCli(
      ['init', '--provider', 'oidc', '--issuer', info.issuer, '--endpoint-url', info.controlPlaneEndpoint, '--region', info.region,
        '--create-gateway', 'e2e-browser', '--role-arn', info.roleArn, '--callback-port', String(callbackPort), '--yes', '--json', '--no-verify'],
      { env: isolatedEnv(home), cwd: home, timeoutMs: 30_000 },
    );
    assert.equal(r.code, 0, `init exits 0\n${describeRun(r)}`);
  });

  after(async () => {
    if (sandbox) await sandbox.stop(3_000).catch(() => undefined);
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('verify: the test login goes through sign-in form and consent in Chromium; the callback page says "Signed in"; exit 0', { timeout: 60_000 }, async () => {
    const { browser, log } = await browserFor('verify-ok', 'allow');
    const { r, rep } = await verify([], browser);
    const lines = await browserLog(log, 1);
    assert.equal(r.code, 0, `verify exits 0\n${diagnostics(lines)}`);
    assert.equal(byId(rep, 'login').status, 'pass', byId(rep, 'login').finding);
    assert.equal(byId(rep, 'mcp-tools-list').status, 'pass');
    // The person's journey, in order: sign-in form, consent, our callback page.
    const pages = lines.filter((l) => /^(page|callback) /.test(l)).map((l) => (l.startsWith('callback') ? 'callback' : l.split(' ').slice(0, 2).join(' ')));
    assert.deepEqual(pages, ['page login', 'page consent', 'callback'], diagnostics(lines));
    const cb = lines.find((l) => l.startsWith('callback '))!;
    assert.match(cb, /\/oauth\/callback \[code state iss\]/);
    assert.match(cb, /h1="Signed in"/);
    assert.match(cb, /return to the terminal/);
    assert.match(lines.at(-1)!, /^done exit 0/);
    assertNoSecrets(lines);
  });

  it('verify --via-client: mcp-remote opens Chromium, the user signs in, mcp-remote shows its success page and the gateway answers; exit 0', { timeout: 60_000 }, async () => {
    const { browser, log } = await browserFor('via-client-ok', 'allow');
    // --no-login: only mcp-remote opens the browser (its cache is empty: nobody signed in through it yet).
    const { r, rep } = await verify(['--via-client', '--no-login'], browser);
    const lines = await browserLog(log, 1);
    assert.equal(r.code, 0, `verify --via-client exits 0\n${diagnostics(lines)}`);
    const init = byId(rep, 'via-client-initialize');
    assert.equal(init.status, 'pass', init.finding);
    assert.equal(init.details?.browserSignIn, true, 'mcp-remote signed in through the browser, not from a cache');
    assert.equal(byId(rep, 'via-client-tools-list').status, 'pass');
    assert.equal(lines.filter((l) => l.startsWith('open ')).length, 1, diagnostics(lines));
    assert.ok(lines.some((l) => l.startsWith('page login')) && lines.some((l) => l.startsWith('page consent')), diagnostics(lines));
    const cb = lines.find((l) => l.startsWith('callback '));
    assert.ok(cb, diagnostics(lines));
    assert.match(cb, /\/oauth\/callback \[code state/);
    assert.match(cb, /Authorization successful/);
    assertNoSecrets(lines);
  });

  it('Deny at consent: verify reports the refusal within seconds (not after --login-timeout) with the consent fix; the page says "Sign-in failed"', { timeout: 60_000 }, async () => {
    const { browser, log } = await browserFor('deny', 'deny');
    const { r, rep } = await verify([], browser);
    const lines = await browserLog(log, 1);
    assert.equal(r.code, 1, `verify exits 1\n${diagnostics(lines)}`);
    assert.ok(r.durationMs < 20_000, `took ${r.durationMs} ms (the login wait is 60 s)`);
    const login = byId(rep, 'login');
    assert.equal(login.status, 'fail');
    assert.match(login.finding, /denied \(access_denied: End-User aborted interaction\)/);
    assert.match(login.fix ?? '', /accept the consent screen/);
    assert.equal(byId(rep, 'mcp-initialize').status, 'skip');
    const cb = lines.find((l) => l.startsWith('callback '));
    assert.ok(cb, diagnostics(lines));
    assert.match(cb, /\[error=access_denied /);
    assert.match(cb, /h1="Sign-in failed"/);
    assert.match(cb, /access_denied: End-User aborted interaction/);
    assertNoSecrets(lines);
  });

  it('Cancel on the sign-in form: the same refusal, found as fast', { timeout: 60_000 }, async () => {
    const { browser, log } = await browserFor('cancel', 'cancel');
    const { r, rep } = await verify([], browser);
    const lines = await browserLog(log, 1);
    assert.equal(r.code, 1, `verify exits 1\n${diagnostics(lines)}`);
    assert.ok(r.durationMs < 20_000, `took ${r.durationMs} ms`);
    assert.ok(!lines.some((l) => l.startsWith('page consent')), 'no consent page after Cancel');
    assert.match(byId(rep, 'login').finding, /access_denied/);
    assert.match(lines.find((l) => l.startsWith('callback ')) ?? '', /h1="Sign-in failed"/);
  });

  it('Deny at consent under mcp-remote: verify --via-client reports it within seconds with the same finding', { timeout: 60_000 }, async () => {
    const { browser, log } = await browserFor('via-client-deny', 'deny');
    // A fresh mcp-remote cache, so it has to sign in again.
    await rm(join(home, '.mcp-auth'), { recursive: true, force: true });
    const { r, rep } = await verify(['--via-client', '--no-login'], browser);
    const lines = await browserLog(log, 1);
    assert.equal(r.code, 1, `verify exits 1\n${diagnostics(lines)}`);
    assert.ok(r.durationMs < 25_000, `took ${r.durationMs} ms (the login wait is 60 s)`);
    const init = byId(rep, 'via-client-initialize');
    assert.equal(init.status, 'fail');
    assert.match(init.finding, /denied \(access_denied/);
    assert.match(init.fix ?? '', /accept the consent screen/);
    assert.match(lines.find((l) => l.startsWith('callback ')) ?? '', /Authorization failed/);
  });
});
