/**
 * The interactive wizard in a real pseudo-terminal (tmux): the main path with no flag knowledge, an issuer typo
 * re-asked at the prompt with the reason, a bad role ARN re-asked, the plan screen, declining it (exit 1, "Nothing
 * was changed"), and Ctrl-C at a prompt (exit 130, nothing written). The built CLI against the sandbox.
 *
 * Skips with a clear message where tmux is not installed. Run: node test/run.mjs e2e/wizard
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMemoryLogger } from '../../src/core/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { CLI_PATH, PROJECT_ROOT, freePort } from '../helpers/cli.js';

const TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].find((p) => existsSync(p));
const CLI = CLI_PATH;
let root: string;
let sb: Sandbox;
const sessions: string[] = [];

before(async () => {
  if (!TMUX) return;
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-wizard-'));
  sb = await startSandbox({ autoLogin: 'alice', logger: createMemoryLogger(), readyDelayMs: 20 });
});

after(async () => {
  for (const s of sessions) {
    try {
      execFileSync(TMUX!, ['-L', 'agentcore-auth-test', 'kill-session', '-t', s], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  }
  await sb?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A terminal 160x50 running the CLI with a clean environment (no CI: a person at a keyboard). */
class Term {
  constructor(readonly name: string) {}

  static async start(name: string, home: string, args: string[]): Promise<Term> {
    const env = [`HOME=${home}`, `AGENTCORE_AUTH_HOME=${join(home, '.agentcore-auth')}`, `PATH=${process.env.PATH}`, 'TERM=xterm-256color', 'AWS_ACCESS_KEY_ID=test', 'AWS_SECRET_ACCESS_KEY=test', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true', 'NO_COLOR=1', 'AGENTCORE_AUTH_NO_PREFETCH=1'];
    const cmd = `cd ${q(home)} && env -i ${env.map(q).join(' ')} ${q(process.execPath)} ${q(CLI)} ${args.map(q).join(' ')}; echo "[exit $?]"; sleep 60`;
    execFileSync(TMUX!, ['-L', 'agentcore-auth-test', 'new-session', '-d', '-s', name, '-x', '160', '-y', '50', cmd]);
    sessions.push(name);
    return new Term(name);
  }

  screen(): string {
    return execFileSync(TMUX!, ['-L', 'agentcore-auth-test', 'capture-pane', '-p', '-J', '-S', '-2000', '-t', this.name], { encoding: 'utf8' });
  }

  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const start = Date.now();
    for (;;) {
      const text = this.screen();
      if (re.test(text)) return text;
      if (Date.now() - start > timeoutMs) throw new Error(`no ${re} on the terminal within ${timeoutMs} ms:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  keys(...keys: string[]): void {
    execFileSync(TMUX!, ['-L', 'agentcore-auth-test', 'send-keys', '-t', this.name, ...keys]);
  }

  type(text: string): void {
    execFileSync(TMUX!, ['-L', 'agentcore-auth-test', 'send-keys', '-t', this.name, '-l', text]);
  }

  async exitCode(timeoutMs = 60_000): Promise<number> {
    const m = /\[exit (\d+)\]/.exec(await this.waitFor(/\[exit \d+\]/, timeoutMs));
    return Number(m![1]);
  }
}

async function home(name: string): Promise<string> {
  const h = join(root, name);
  await mkdir(h, { recursive: true });
  return h;
}

describe('the wizard in a terminal', () => {
  test('main path: every question answered at a prompt, typos re-asked with the reason, the plan shown, applied', async (t) => {
    if (!TMUX) return t.skip('tmux is not installed: the pseudo-terminal tests need it (apt-get install tmux)');
    const h = await home('main');
    const port = await freePort();
    const term = await Term.start('wiz-main', h, ['init', '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--callback-port', String(port), '--no-verify']);

    await term.waitFor(/Identity provider:/);
    term.keys('Enter'); // the first choice: any OIDC provider (the sandbox)
    await term.waitFor(/Issuer URL:/);
    const closed = `http://127.0.0.1:${await freePort()}`;
    term.type(closed);
    term.keys('Enter');
    await term.waitFor(new RegExp(`cannot read ${closed.replace(/[.]/g, '\\.')}/\\.well-known/openid-configuration`));
    // Clear the bad answer and type the right one: the prompt asked again instead of exiting.
    for (let i = 0; i < closed.length; i++) term.keys('BSpace');
    term.type(sb.issuer);
    term.keys('Enter');

    await term.waitFor(/Gateway:/);
    term.keys('End', 'Enter'); // "Create a new gateway" is the last choice
    await term.waitFor(/New gateway name:/);
    term.type('wizard-gw');
    term.keys('Enter');
    await term.waitFor(/IAM role ARN for the gateway:/);
    term.type('not-an-arn');
    term.keys('Enter');
    await term.waitFor(/must be an IAM role ARN/);
    for (let i = 0; i < 'not-an-arn'.length; i++) term.keys('BSpace');
    term.type(sb.roleArn);
    term.keys('Enter');

    await term.waitFor(/MCP clients to configure/);
    const clients = term.screen();
    for (const c of ['Kiro', 'Claude Code', 'Cursor', 'VS Code', 'Claude Desktop']) assert.ok(clients.includes(c), `the client list shows ${c} on one page`);
    term.keys('Enter'); // Kiro is preselected
    await term.waitFor(/Who may use the gateway\?/);
    term.keys('Down', 'Enter'); // members of a group
    await term.waitFor(/Group names/);
    term.type('engineering');
    term.keys('Enter');

    const plan = await term.waitFor(/Apply this plan\?/);
    assert.match(plan, /Plan for setup "default":/);
    assert.match(plan, /1\. \+ Register public OIDC client/);
    assert.match(plan, /2\. \+ Create gateway "wizard-gw"/);
    assert.match(plan, /3\. \+ Create ~\/\.kiro\/settings\/mcp\.json with MCP server "gateway-tools"/);
    assert.match(plan, /- members of "engineering": only tokens whose groups contains "engineering"/);
    term.keys('y', 'Enter');
    assert.equal(await term.exitCode(), 0, term.screen());
    const done = term.screen();
    assert.match(done, /Setup "default" is ready\./);
    assert.match(done, /The same setup without questions \(for a runbook or CI\):\s+agentcore-auth init --provider oidc --issuer http:\/\/127\.0\.0\.1:\d+ --create-gateway wizard-gw/);
    assert.ok(existsSync(join(h, '.kiro', 'settings', 'mcp.json')));

    // Again: the setup exists, so the wizard offers to update it or start another.
    const again = await Term.start('wiz-again', h, ['init', '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--no-verify']);
    await again.waitFor(/Setup "default" exists \(gateway http:\/\/127\.0\.0\.1:\d+\/mcp\):/);
    again.keys('C-c');
    assert.equal(await again.exitCode(), 130);
  });

  test('credentials are checked as soon as the IdP is known, before the other questions', async (t) => {
    if (!TMUX) return t.skip('tmux is not installed: the pseudo-terminal tests need it (apt-get install tmux)');
    const h = await home('early');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const term = await Term.start('wiz-early', h, ['init', '--provider', 'oidc', '--endpoint-url', closed, '--region', 'us-east-1']);
    await term.waitFor(/Issuer URL:/);
    term.type(sb.issuer);
    term.keys('Enter');
    assert.equal(await term.exitCode(), 1, term.screen());
    const screen = term.screen();
    assert.match(screen, /Checking the identity provider's admin credentials and the AWS credentials before the other questions/);
    assert.ok(screen.includes(closed.replace('http://', '')) || /connect|refused|ECONNREFUSED|reach/i.test(screen), screen);
    assert.doesNotMatch(screen, /Gateway:|MCP clients to configure/, 'no further question was asked');
  });

  test('declining the plan exits 1, "Nothing was changed"; Ctrl-C at a prompt exits 130 and writes nothing', async (t) => {
    if (!TMUX) return t.skip('tmux is not installed: the pseudo-terminal tests need it (apt-get install tmux)');
    const h = await home('decline');
    const term = await Term.start('wiz-decline', h, ['init', '--provider', 'oidc', '--issuer', sb.issuer, '--endpoint-url', sb.controlPlaneEndpoint, '--region', sb.region, '--create-gateway', 'declined', '--role-arn', sb.roleArn, '--client', 'kiro', '--callback-port', String(await freePort()), '--no-verify']);
    await term.waitFor(/Who may use the gateway\?/);
    term.keys('Enter');
    await term.waitFor(/Apply this plan\?/);
    term.keys('n', 'Enter');
    assert.equal(await term.exitCode(), 1, term.screen());
    assert.match(term.screen(), /Nothing was changed: you declined\./);
    assert.equal(existsSync(join(h, '.kiro')), false);

    const h2 = await home('ctrl-c');
    const c = await Term.start('wiz-ctrlc', h2, ['init', '--endpoint-url', sb.controlPlaneEndpoint]);
    await c.waitFor(/Identity provider:/);
    c.keys('C-c');
    assert.equal(await c.exitCode(), 130, c.screen());
    assert.doesNotMatch(c.screen(), /Unexpected error|at .*\.js:\d+/);
    assert.equal(existsSync(join(h2, '.agentcore-auth', 'setups')), false, 'no journal was started');
  });
});
