/**
 * Run the built CLI as a real process, the way a user or a CI script does: the bundle that `npm pack` ships
 * (bundle/cli.js, package.json's bin), or the installed copy that AGENTCORE_AUTH_TEST_CLI names (the artifact test).
 *
 *   runCli(args, opts)            one command to completion: exit code, stdout, stderr (bounded by a timeout)
 *   parseSingleJson(result)       --json contract: stdout is exactly one JSON document
 *   startSandboxProcess(args)     `agentcore-auth sandbox --json ...` in the background; resolves on its
 *                                 single JSON ready line; stop() sends SIGTERM and reports how it exited
 *   isolatedEnv(home)             an env whose HOME and state dir point into a throwaway folder
 *   freePort()                    a TCP port that was free on 127.0.0.1 a moment ago
 *   redactedTail(text)            the end of a process's output, tokens masked, for failure messages
 *
 * Everything here needs `npm run build` first (tsc for dist/, esbuild for bundle/; never the .ts sources).
 * Output is collected in memory; print it only through redactedTail (never print a token).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../../src/core/redact.js';
import type { SandboxInfo } from '../../src/sandbox/index.js';

/** The package root (this file runs from <root>/dist/test/helpers/cli.js). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
/** The CLI under test: package.json's bin (the bundle), or an installed package's bin from AGENTCORE_AUTH_TEST_CLI. */
export const CLI_PATH = process.env.AGENTCORE_AUTH_TEST_CLI || join(PROJECT_ROOT, 'bundle', 'cli.js');

export interface CliResult {
  /** Exit code; null when the process was killed by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /**
   * Both streams in the order they arrived: what a user sees in a terminal. Results (reports, summaries) go to
   * stdout and progress to stderr, so assertions about what the user is told read this.
   */
  output: string;
  /** True when the timeout fired and the process was killed. */
  timedOut: boolean;
  /** How long it ran, in ms. */
  durationMs: number;
  /** The arguments it ran with (for messages). */
  args: string[];
}

export interface RunCliOptions {
  /** The child's whole environment (not merged with process.env): pass isolatedEnv(...) or your own. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill (SIGKILL) after this long; the result then has timedOut: true. Default 30 s. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed. Default: stdin closed at once (no TTY, like CI). */
  input?: string;
}

/** Runs `node <CLI_PATH> ...args` to completion. Never rejects for a non-zero exit: check `code`. */
export function runCli(args: string[], opts: RunCliOptions): Promise<CliResult> {
  assertBuilt();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: opts.cwd ?? PROJECT_ROOT,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), (output += d)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output, timedOut, durationMs: Date.now() - started, args });
    });
    child.stdin.on('error', () => undefined); // EPIPE when the CLI exits before reading
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * The --json contract: stdout holds exactly one JSON document (pretty-printed or one line) and nothing
 * else. Throws with the run's (redacted) output when it does not.
 */
export function parseSingleJson<T = Record<string, unknown>>(r: CliResult): T {
  const text = r.stdout.trim();
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`\`agentcore-auth ${r.args.join(' ')}\` did not print exactly one JSON document on stdout (${(err as Error).message}).\n${describeRun(r)}`);
  }
}

/** A multi-line description of a finished run (exit, time, redacted stdout/stderr tails), for assertion messages. */
export function describeRun(r: CliResult): string {
  return [
    `$ agentcore-auth ${r.args.join(' ')}`,
    `exit ${r.code ?? r.signal}${r.timedOut ? ' (TIMED OUT, killed)' : ''} after ${r.durationMs} ms`,
    `--- stdout ---\n${redactedTail(r.stdout, 2000)}`,
    `--- stderr ---\n${redactedTail(r.stderr)}`,
  ].join('\n');
}

/** The last `max` characters of a process's output with tokens masked (src/core/redact.ts). */
export function redactedTail(text: string, max = 6000): string {
  const t = text.length > max ? `…(${text.length - max} chars cut)…\n${text.slice(-max)}` : text;
  return redact(t).trimEnd() || '(empty)';
}

/**
 * An environment for the CLI with everything user-specific pointed into `home`: HOME (so Kiro's config
 * and mcp-remote's cache land there), AGENTCORE_AUTH_HOME (journal), CI=1 (never prompt). Only PATH and a
 * few neutral variables are taken from this process; AWS_*, MCP_REMOTE_*, AGENTCORE_AUTH_* are not
 * inherited, so a developer's own setup cannot leak into the test.
 */
export function isolatedEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // The machine's TLS trust settings too: a Node from the npm registry's `node` package (Node 22 and 24 in CI) trusts
  // only its bundled CAs, so behind a TLS-inspecting proxy npx reaches the registry only with NODE_EXTRA_CA_CERTS.
  const keep = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SYSTEMROOT', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return {
    ...env,
    HOME: home,
    AGENTCORE_AUTH_HOME: join(home, '.agentcore-auth'),
    CI: '1',
    NO_COLOR: '1',
    // Each isolated HOME has an empty npm cache: init's background fetch of mcp-remote would download it for every
    // test. test/e2e/warm.test.ts proves the fetch itself.
    AGENTCORE_AUTH_NO_PREFETCH: '1',
    ...extra,
  };
}

/**
 * A TCP port that was free on 127.0.0.1 (and ::1) when asked, picked below the kernel's ephemeral range (Linux
 * 32768-60999): the servers other tests start on port 0 get ephemeral ports, so they cannot take this one between
 * the ask and its use (init refuses a callback port another program holds).
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await canListen(port, '127.0.0.1')) && (await canListen(port, '::1', true))) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

function canListen(port: number, host: string, missingIsFine = false): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(missingIsFine && (err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT')));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export interface SandboxProcess {
  /** The ready line: issuer, discoveryUrl, controlPlaneEndpoint, region, accountId, roleArn, toolsDir, ... */
  info: SandboxInfo;
  child: ChildProcess;
  /** Everything the sandbox wrote to stderr so far (its log: IdP and control-plane events). */
  stderr(): string;
  /** Whether it has exited already. */
  exited(): boolean;
  /**
   * SIGTERM, then wait up to `timeoutMs` (default 5 s) for the exit; SIGKILL after that. Resolves with how
   * it exited (code 0 = clean shutdown). Safe to call twice.
   */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

/**
 * Starts `node <CLI_PATH> sandbox --json ...args` and resolves when it prints its one JSON ready line.
 * Rejects (and kills it) when it exits first, prints something else, or is not ready within `timeoutMs`.
 */
export function startSandboxProcess(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<SandboxProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI_PATH, 'sandbox', '--json', ...args], {
    cwd: opts.cwd ?? PROJECT_ROOT,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));

  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> | undefined;
  const stop = (timeoutMs = 5_000) => {
    stopping ??= (async () => {
      if (exit) return { ...exit, killed: false };
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const first = await Promise.race([exitedPromise, timedOut]);
      clearTimeout(timer);
      if (first !== 'timeout') return { ...first, killed: false };
      child.kill('SIGKILL');
      return { ...(await exitedPromise), killed: true };
    })();
    return stopping;
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      void stop(1_000).then(() =>
        reject(new Error(`The sandbox did not start: ${why}.\n--- sandbox stdout ---\n${redactedTail(stdout)}\n--- sandbox stderr ---\n${redactedTail(stderr)}`)),
      );
    };
    const timer = setTimeout(() => fail(`no ready line within ${opts.timeoutMs ?? 15_000} ms`), opts.timeoutMs ?? 15_000);
    child.once('error', (err) => fail(`spawn failed: ${err.message}`));
    void exitedPromise.then((e) => fail(`it exited first (code ${e.code}, signal ${e.signal})`));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl === -1) return;
      const line = stdout.slice(0, nl);
      let info: SandboxInfo;
      try {
        info = JSON.parse(line) as SandboxInfo;
      } catch {
        fail('its first stdout line is not JSON');
        return;
      }
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      // Keep draining stdout: the --json contract says nothing more comes, but a full pipe must never block it.
      child.stdout!.on('data', (more: string) => (stdout += more));
      resolve({ info, child, stderr: () => stderr, exited: () => exit !== undefined, stop });
    });
  });
}

function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first.`);
}
