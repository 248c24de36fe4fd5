/**
 * `verify --via-client` (stage 'calls'): start the Kiro entry exactly as Kiro does (its command, its args, its
 * env and nothing of ours: Kiro passes no PATH or HOME) and speak MCP to it over stdio: `initialize` (which,
 * through mcp-remote, includes the browser sign-in when nothing is cached), `tools/list`, and optionally
 * `tools/call`.
 *
 * When it fails, mcp-remote's stderr says why; its last lines (tokens masked) go into the finding, and the
 * well-known failures become one-line findings with a fix. While mcp-remote waits for the browser, the
 * authorization URL it printed is requested once (no redirects followed): an IdP that refuses it at once
 * (unknown client id, unregistered redirect URI) is reported right away instead of after the timeout.
 *
 * The child and its children (npx -> sh -> node mcp-remote) are always stopped: on success, on failure and on
 * timeout.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { whenCancelled } from '../core/cancel.js';
import { CancelledError, CliError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { redact } from '../core/redact.js';
import { probeAuthorization, type IdpRefusal } from '../oauth/authorize-probe.js';
import { explainIdpError } from '../oauth/idp-errors.js';
import { readClientEntry } from '../clients/registry.js';
import { mcpRemoteCacheEnv, parseMcpRemoteEntry, shellQuote, type ParsedMcpRemoteEntry } from './client-config.js';
import { MCP_REMOTE_CALLBACK_PATH, mcpRemoteCacheFiles } from '../clients/mcp-remote.js';
import type { CheckResult } from './types.js';

export interface ViaClientInput {
  /** Kiro's mcp.json (or another client's config file: see `client`). */
  configPath: string;
  serverName: string;
  /** The registry id of the client whose file this is (default: Kiro's shape). */
  client?: string;
  /** For starting the server: spawn, discovery, the browser sign-in when needed, and `initialize`. */
  timeoutMs: number;
  callTool?: { name: string; args?: Record<string, unknown> };
  /** The user's env: BROWSER, DISPLAY... are passed on so the user's browser can open. */
  env: NodeJS.ProcessEnv;
  /** The folder the server starts in (Kiro: the workspace). Default: this process's. */
  cwd?: string;
  /** Per MCP request after the start (tools/list, tools/call). Default: timeoutMs, at most 30 s. */
  requestTimeoutMs?: number;
}

const TITLES = {
  init: 'Through the client: start and initialize',
  list: 'Through the client: tools/list',
} as const;

/** What the user's environment lends the server so a browser can open (only where the entry sets none). */
const PASS_THROUGH = ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'XAUTHORITY', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR'];
/** The MCP SDK merges these from this process into the child's env unless they are given (as undefined). */
const SDK_DEFAULT_ENV = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'APPDATA', 'HOMEDRIVE', 'HOMEPATH', 'LOCALAPPDATA', 'PROCESSOR_ARCHITECTURE', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'USERNAME', 'USERPROFILE', 'PROGRAMFILES'];

/**
 * The env the server gets: the entry's env, plus the user's browser variables (where the entry sets none)
 * and, for an entry that sets neither MCP_REMOTE_CONFIG_DIR nor HOME, the user's MCP_REMOTE_CONFIG_DIR.
 * Every other variable the MCP SDK would add from this process is passed as undefined (node drops those).
 */
export function kiroChildEnv(entryEnv: Record<string, string>, userEnv: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const k of SDK_DEFAULT_ENV) env[k] = undefined;
  Object.assign(env, entryEnv);
  for (const k of PASS_THROUGH) if (entryEnv[k] === undefined && userEnv[k] !== undefined) env[k] = userEnv[k];
  if (!entryEnv.MCP_REMOTE_CONFIG_DIR && !entryEnv.HOME && userEnv.MCP_REMOTE_CONFIG_DIR) env.MCP_REMOTE_CONFIG_DIR = userEnv.MCP_REMOTE_CONFIG_DIR;
  return env;
}

/** The command line for messages: --header values and anything token-like masked. */
export function describeCommand(command: string, args: readonly string[]): string {
  const shown = args.map((a, i) => {
    if (args[i - 1] === '--header') {
      const colon = a.indexOf(':');
      return colon > 0 ? `${a.slice(0, colon)}: ****` : '****';
    }
    return a;
  });
  return redact([command, ...shown].map(shellQuote).join(' '));
}

function lastLines(text: string, n = 6, maxChars = 600): string {
  const lines = redact(text)
    .split(/\r?\n/)
    .map((l) => l.replace(/^(\[\d+\]\s*)+/, '').replace(/(https?:\/\/[^\s?#]+)\?\S+/g, '$1?…').trimEnd())
    .filter((l) => l.trim() && !/^\s*at\s/.test(l));
  const tail = lines.slice(-n).join(' | ');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}

// ---------------------------------------------------------------------------------------------
// The authorization request probe

// ---------------------------------------------------------------------------------------------
// Diagnosis

interface Diagnosis {
  finding: string;
  fix: string;
}

interface FailureContext {
  error: unknown;
  stderr: string;
  timedOut: boolean;
  timeoutMs: number;
  refusal?: IdpRefusal;
  authUrlSeen: boolean;
  parsed: ParsedMcpRemoteEntry;
  serverName: string;
  cacheFiles: string[];
}

function redirectUriOf(p: ParsedMcpRemoteEntry): string {
  return `http://${p.host ?? (process.platform === 'win32' ? '127.0.0.1' : 'localhost')}:${p.effectivePort ?? '<port>'}${p.callbackPath}`;
}

function clientIdOf(p: ParsedMcpRemoteEntry): string {
  return p.clientInfo.kind === 'ok' && p.clientInfo.clientId ? p.clientInfo.clientId : '(none)';
}

/** An OAuth error code (from the IdP) as a finding and fix about this entry (the shared table, src/oauth/idp-errors.ts). */
function explainOAuthError(code: string, text: string, where: string, p: ParsedMcpRemoteEntry): Diagnosis {
  const description = text.startsWith(`${code}: `) ? text.slice(code.length + 2) : text;
  const why = explainIdpError(code || undefined, description, { clientId: clientIdOf(p), redirectUri: redirectUriOf(p), ...(p.clientMetadata.kind === 'ok' && p.clientMetadata.scope ? { scopes: p.clientMetadata.scope.split(/\s+/) } : {}) });
  if (why.cause === 'redirect_uri' && p.callbackPath !== MCP_REMOTE_CALLBACK_PATH) {
    why.fix = `Remove "--callback-path", "${p.callbackPath}" from the entry (mcp-remote then uses ${MCP_REMOTE_CALLBACK_PATH}, which agentcore-auth registers), or register exactly ${redirectUriOf(p)} at the IdP app.`;
  }
  if (why.cause === 'unknown_client') why.fix = 'Put the client id of the IdP app registered for this gateway in --static-oauth-client-info (agentcore-auth init writes it), or register the app.';
  return { finding: where === 'The IdP' ? why.finding : why.finding.replace(/^The IdP/, where), fix: why.fix };
}

export function diagnoseFailure(ctx: FailureContext): Diagnosis {
  const { stderr, parsed: p } = ctx;
  const tail = lastLines(stderr);
  const said = tail ? ` mcp-remote said: ${tail}` : '';
  const err = ctx.error as NodeJS.ErrnoException | undefined;
  const command = p.command ?? '(no command)';

  if (err?.code === 'ENOENT' || /spawn .* ENOENT/.test(errorMessage(err))) {
    return { finding: `Kiro cannot start ${command}: not found${p.env.PATH ? " on the entry's env.PATH" : ' (the entry sets no PATH)'}.`, fix: 'Give "command" as an absolute path (agentcore-auth init writes the npx next to node).' };
  }
  if (err?.code === 'EACCES') {
    return { finding: `Kiro cannot start ${command}: permission denied.`, fix: `Make it executable (chmod +x ${shellQuote(command)}) or point "command" at another one.` };
  }
  if (/env: .?node.?: No such file or directory/.test(stderr)) {
    return { finding: `${command} starts node through PATH, and node is not on the entry's env.PATH.`, fix: "Put node's folder first in env.PATH in the entry." };
  }
  // Windows: `cmd /c <npx.cmd>` where npx.cmd (or the node it runs) is missing.
  const notFound = /'([^'\r\n]+)' is not recognized as an internal or external command/.exec(stderr)?.[1];
  if (notFound !== undefined) {
    const isNode = /^node(\.exe)?$/i.test(notFound.split(/[\\/]/).pop() ?? '');
    const program = p.launch.program ?? '';
    if (program.startsWith(`${notFound} `)) {
      return {
        finding: `cmd cut ${program} at its first space and tried to start ${notFound}: cmd /c removes the quotes around a path with spaces when other arguments are quoted too.`,
        fix: 'Point the entry at an npx.cmd whose path has no spaces (its 8.3 short name, shown by: for %I in ("<path>") do @echo %~sI), or start the server through a .cmd file of your own.',
      };
    }
    return {
      finding: `cmd cannot start ${notFound}: ${isNode ? "npx.cmd finds node.exe neither in its own folder nor on the entry's env.PATH" : `no such program${p.env.PATH ? " (nor on the entry's env.PATH)" : ''}`}.`,
      fix: isNode ? "Put node's folder first in env.PATH in the entry." : 'Give npx.cmd by its absolute path after /c (agentcore-auth init writes the one next to node), or add its folder to env.PATH in the entry.',
    };
  }
  const port = /Callback port (\d+) is already in use/.exec(stderr)?.[1] ?? (/EADDRINUSE/.test(stderr) ? String(p.effectivePort ?? '') : undefined);
  if (port !== undefined) {
    return {
      finding: `mcp-remote needed a sign-in, but callback port ${port} is in use by another program, so it stopped.`,
      fix: `Stop whatever listens on port ${port} (lsof -nP -iTCP:${port} -sTCP:LISTEN), or choose another port with agentcore-auth init --callback-port.`,
    };
  }
  const callbackError = /Authorization failed: ([\w.-]+) - (.*)/.exec(stderr);
  if (callbackError) return explainOAuthError(callbackError[1]!, redact(`${callbackError[1]}: ${callbackError[2]!.trim()}`), 'The IdP', p);
  if (ctx.refusal) {
    const r = ctx.refusal;
    const d = explainOAuthError(r.error ?? '', redact(r.text), `The IdP's authorization endpoint (${r.endpoint}, HTTP ${r.status})`, p);
    return d;
  }
  if (/Issuer mismatch/.test(stderr)) {
    return { finding: `mcp-remote refused the IdP: ${/Issuer mismatch[^\n]*/.exec(stderr)![0]}.`, fix: "The gateway's protected resource metadata must name the IdP's issuer exactly (see the as-metadata check)." };
  }
  if (/does not support code challenge method S256/.test(stderr)) {
    return { finding: 'mcp-remote refused the IdP: its metadata lists code_challenge_methods_supported without S256.', fix: 'Enable PKCE S256 at the IdP.' };
  }
  if (/Non-HTTPS URLs are only allowed/.test(stderr)) {
    return { finding: `mcp-remote refuses the server URL ${p.serverUrl ?? ''}: plain http is allowed only for localhost.`, fix: 'Use the gateway\'s https URL (or add --allow-http for a test server).' };
  }
  if (/rejected a freshly issued token|access tokens were issued in the last \d+s and the MCP server rejected them all|refused the tokens it wrote/.test(stderr)) {
    return {
      finding: "The sign-in worked, but the gateway rejected the new token: the token does not satisfy the gateway's CUSTOM_JWT rules.",
      fix: 'Run agentcore-auth verify (without --via-client) and read the token-claims check: audience, client claim, scopes or issuer differ.',
    };
  }
  if (/Authentication is still pending in another instance/.test(stderr)) {
    return { finding: 'Another mcp-remote for this server (Kiro?) is in the middle of a sign-in and holds the callback port.', fix: 'Finish that sign-in in the browser, or restart the server in Kiro, then run again.' };
  }
  if (/sign-ins were started in the last \d+s and none of them completed/.test(stderr)) {
    return { finding: 'mcp-remote gave up: several sign-ins started and none completed.', fix: `Check the IdP app (redirect URI ${redirectUriOf(p)}, client id ${clientIdOf(p)}), then run again.` };
  }
  const oauth = /\b(invalid_client|invalid_grant|invalid_redirect_uri|redirect_uri_mismatch|unauthorized_client|invalid_scope|invalid_target|access_denied)\b/.exec(stderr);
  if (oauth) {
    const line = /[^\n]*\b(invalid_client|invalid_grant|invalid_redirect_uri|redirect_uri_mismatch|unauthorized_client|invalid_scope|invalid_target|access_denied)\b[^\n]*/.exec(stderr)![0];
    const d = explainOAuthError(oauth[1]!, redact(line.trim()).slice(0, 240), 'The IdP', p);
    if (oauth[1] === 'invalid_grant' && ctx.cacheFiles.length) d.fix = `Delete the cached login for this server: rm -f ${ctx.cacheFiles.map(shellQuote).join(' ')}`;
    return d;
  }
  if (/Error from authorization server/i.test(stderr)) {
    return { finding: `The IdP returned an error.${said}`, fix: `Check the IdP app: client ${clientIdOf(p)}, redirect URI ${redirectUriOf(p)}, the scopes.` };
  }
  if (/npm (ERR!|error)/.test(stderr)) {
    return { finding: `npx could not run mcp-remote.${said}`, fix: 'Check that npm can reach its registry (or install mcp-remote@0.15.1 where the server starts).' };
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed|ETIMEDOUT/.test(stderr)) {
    return { finding: `mcp-remote could not reach the gateway or the IdP.${said}`, fix: 'Check the URL in the entry and that the gateway and the IdP are reachable from this machine.' };
  }
  const secs = Math.round(ctx.timeoutMs / 1000);
  if (ctx.timedOut) {
    if (/Could not open a browser automatically/.test(stderr)) {
      return {
        finding: `mcp-remote could not open a browser for the sign-in, and nobody signed in within ${secs} s.`,
        fix: 'Set BROWSER (or run where a desktop browser can open), or open the URL mcp-remote printed and sign in; raise --timeout if you need longer.',
      };
    }
    if (ctx.authUrlSeen) {
      return { finding: `The browser sign-in did not complete within ${secs} s (mcp-remote is still waiting for ${redirectUriOf(p)}).${said}`, fix: 'Finish the sign-in in the browser that opened (raise --timeout if you need longer); an IdP error page there names what is wrong.' };
    }
    return { finding: `The server did not answer initialize within ${secs} s.${said}`, fix: 'Run the command from the entry in a terminal to see where it stops, or raise --timeout.' };
  }
  if (/Connection closed/i.test(errorMessage(ctx.error))) {
    return { finding: `${command} stopped before answering initialize.${said}`, fix: 'Run the command from the entry in a terminal to see the full error.' };
  }
  return { finding: `initialize failed: ${redact(errorMessage(ctx.error))}.${said}`, fix: 'Run the command from the entry in a terminal to see the full error.' };
}

// ---------------------------------------------------------------------------------------------
// Process tree

interface ProcInfo {
  pid: number;
  ppid: number;
  args: string;
}

async function processTable(): Promise<ProcInfo[]> {
  if (process.platform === 'linux') {
    try {
      const out: ProcInfo[] = [];
      for (const name of await readdir('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          const stat = await readFile(`/proc/${name}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          const args = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').join(' ').trim();
          out.push({ pid: Number(name), ppid, args });
        } catch {
          /* exited meanwhile */
        }
      }
      return out;
    } catch {
      /* fall through to ps */
    }
  }
  if (process.platform === 'win32') return [];
  return new Promise((resolve) => {
    execFile('ps', ['-A', '-o', 'pid=,ppid=,args='], { timeout: 3000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => {
      if (err) return resolve([]);
      resolve(
        stdout
          .split('\n')
          .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
          .filter((m): m is RegExpExecArray => !!m)
          .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! })),
      );
    });
  });
}

/**
 * The server's own processes below `root` (npx, its shell, node running mcp-remote): descendants whose
 * command line names mcp-remote, npm/npx or the server URL. A browser that mcp-remote launched is left alone.
 */
async function serverProcesses(root: number, serverUrl: string | undefined): Promise<number[]> {
  const table = await processTable();
  const children = new Map<number, ProcInfo[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      const ours = /mcp-remote|\bnpm\b|\bnpx\b|npm-cli|npx-cli/.test(c.args) || (!!serverUrl && c.args.includes(serverUrl));
      if (ours) {
        out.push(c.pid);
        walk(c.pid);
      }
    }
  };
  walk(root);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pids.filter(alive);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter(alive);
  }
  return left;
}

// ---------------------------------------------------------------------------------------------

export async function checkViaClient(input: ViaClientInput, deps: { logger: Logger }): Promise<CheckResult[]> {
  const { logger } = deps;
  const init = { id: 'via-client-initialize', stage: 'calls', title: TITLES.init } as const;
  const list = { id: 'via-client-tools-list', stage: 'calls', title: TITLES.list } as const;
  const call = { id: 'via-client-tools-call', stage: 'calls', title: `Through the client: tools/call ${input.callTool?.name ?? ''}`.trim() } as const;
  const results: CheckResult[] = [];
  const skipRest = (why: string) => {
    results.push({ ...list, status: 'skip', finding: why });
    if (input.callTool) results.push({ ...call, status: 'skip', finding: why });
    return results;
  };

  let entry: unknown;
  try {
    entry = await readClientEntry(input.client, input.configPath, input.serverName);
  } catch (err) {
    results.push({ ...init, status: 'fail', finding: errorMessage(err), fix: err instanceof CliError && err.fix ? err.fix : `Fix ${input.configPath}.` });
    return skipRest('Skipped: the client entry cannot be read.');
  }
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    results.push({
      ...init,
      status: 'fail',
      finding: entry === null ? `${input.configPath} has no mcpServers."${input.serverName}" entry, so there is nothing to start.` : `mcpServers."${input.serverName}" in ${input.configPath} is not an object.`,
      fix: 'Run `agentcore-auth init` to write the entry.',
    });
    return skipRest('Skipped: no client entry.');
  }
  const parsed = await parseMcpRemoteEntry(entry as Record<string, unknown>, input.cwd ? { cwd: input.cwd } : {});
  if (!parsed.command) {
    results.push({
      ...init,
      status: parsed.url ? 'skip' : 'fail',
      finding: parsed.url ? 'The entry uses Kiro\'s native remote transport ("url"): there is no command to start as Kiro would.' : 'The entry has no "command": Kiro cannot start it.',
      ...(parsed.url ? {} : { fix: 'Run `agentcore-auth init` to write the entry.' }),
    });
    return skipRest('Skipped: nothing was started.');
  }
  const command = parsed.command;
  const cacheFiles = parsed.runsMcpRemote && parsed.serverUrl
    ? await mcpRemoteCacheFiles(parsed.serverUrl, parsed.hashOpts, mcpRemoteCacheEnv(parsed.env, input.env)).catch(() => [] as string[])
    : [];
  const hadLogin = cacheFiles.some((f) => f.endsWith('_tokens.json'));

  const [{ Client }, { StdioClientTransport }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
  ]);
  logger.step(`Starting ${input.serverName} as Kiro would: ${describeCommand(command, parsed.args)}`);
  const transport = new StdioClientTransport({
    command,
    args: parsed.args,
    env: kiroChildEnv(parsed.env, input.env) as Record<string, string>,
    ...(input.cwd ? { cwd: input.cwd } : {}),
    stderr: 'pipe',
  });
  let stderr = '';
  let authUrl: string | undefined;
  let refusal: IdpRefusal | undefined;
  let failNow: ((why: 'refused') => void) | undefined;
  const failed = new Promise<'refused'>((resolve) => (failNow = resolve));
  let stderrEnded: Promise<void> = Promise.resolve();

  const stream = transport.stderr as Readable | null;
  if (stream) {
    stream.setEncoding('utf8');
    stderrEnded = new Promise((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
    });
    stream.on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 256 * 1024) stderr = stderr.slice(-128 * 1024);
      if (authUrl) return;
      const m = /Please authorize this client by visiting:\s*\r?\n\s*(\S+)/.exec(stderr);
      if (!m) return;
      authUrl = m[1]!;
      let shown = authUrl;
      try {
        const u = new URL(authUrl);
        shown = `${u.origin}${u.pathname}`;
      } catch {
        /* keep */
      }
      logger.step(`mcp-remote opened the browser for the sign-in (${shown}); waiting up to ${Math.round(input.timeoutMs / 1000)} s`);
      void probeAuthorization(authUrl, Math.min(10_000, input.timeoutMs)).then((r) => {
        if (!r) return;
        refusal = r;
        failNow?.('refused');
      });
    });
  }

  const client = new Client({ name: 'agentcore-auth-verify', version: '0.1.0' }, { capabilities: {} });
  const requestTimeout = input.requestTimeoutMs ?? Math.min(input.timeoutMs, 30_000);
  let started = false;
  let rootPid: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    let timedOut = false;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve('timeout');
      }, input.timeoutMs);
    });
    const connecting = client.connect(transport, { timeout: input.timeoutMs + 5_000 }).then(() => 'ok' as const);
    connecting.catch(() => undefined);
    let error: unknown;
    let outcome: 'ok' | 'timeout' | 'refused' | 'error';
    try {
      outcome = await Promise.race([connecting, timeout, failed, whenCancelled()]);
    } catch (err) {
      if (err instanceof CancelledError) throw err; // Ctrl-C: the finally below stops the client
      error = err;
      outcome = 'error';
    }
    clearTimeout(timer);
    rootPid = transport.pid ?? rootPid;
    if (outcome === 'ok') {
      started = true;
      const server = client.getServerVersion();
      const signedIn = authUrl ? 'signed in through the browser' : hadLogin ? 'used the cached login' : 'started';
      results.push({
        ...init,
        status: 'pass',
        finding: `${input.serverName} started as Kiro starts it, mcp-remote ${signedIn}, and the gateway answered initialize${server ? ` (${server.name} ${server.version})` : ''}.`,
        details: { server, browserSignIn: !!authUrl },
      });
    } else {
      // Let a child that is exiting on its own finish writing stderr (the fatal error is the last line).
      if (outcome === 'error') {
        await Promise.race([stderrEnded, new Promise((r) => setTimeout(r, 1_000))]);
      }
      const d = diagnoseFailure({
        error,
        stderr,
        timedOut,
        timeoutMs: input.timeoutMs,
        ...(refusal ? { refusal } : {}),
        authUrlSeen: !!authUrl,
        parsed,
        serverName: input.serverName,
        cacheFiles,
      });
      results.push({ ...init, status: 'fail', finding: d.finding, fix: d.fix, details: { stderrTail: lastLines(stderr, 12, 2000), timedOut } });
      return skipRest('Skipped: the server did not start.');
    }

    let toolNames: string[] = [];
    try {
      const { tools } = await client.listTools(undefined, { timeout: requestTimeout });
      toolNames = tools.map((t) => t.name);
      results.push({
        ...list,
        status: 'pass',
        finding: `${tools.length} tool(s) through the client${tools.length ? `: ${toolNames.slice(0, 8).join(', ')}${tools.length > 8 ? ', …' : ''}` : ''}.`,
        details: { tools: toolNames },
      });
    } catch (err) {
      results.push({ ...list, status: 'fail', finding: `tools/list failed: ${redact(errorMessage(err))}.${stderr ? ` mcp-remote said: ${lastLines(stderr)}` : ''}`, fix: 'Run agentcore-auth verify without --via-client to test the gateway directly.' });
    }
    if (input.callTool) {
      try {
        const res = await client.callTool({ name: input.callTool.name, arguments: input.callTool.args ?? {} }, undefined, { timeout: requestTimeout });
        const text = Array.isArray(res.content)
          ? (res.content as Array<{ type?: string; text?: string }>).filter((c) => c.type === 'text' && c.text).map((c) => c.text).join(' ').replace(/\s+/g, ' ').trim()
          : '';
        const shown = redact(text.slice(0, 160)) + (text.length > 160 ? '…' : '');
        results.push(
          res.isError
            ? { ...call, status: 'warn', finding: `The call reached the tool, which reported an error${shown ? `: ${shown}` : ''}.`, fix: "Authorization works; check the tool's arguments or its target." }
            : { ...call, status: 'pass', finding: `The tool answered through the client${shown ? `: ${shown}` : '.'}` },
        );
      } catch (err) {
        results.push({
          ...call,
          status: 'fail',
          finding: `tools/call ${input.callTool.name} failed: ${redact(errorMessage(err))}.${stderr ? ` mcp-remote said: ${lastLines(stderr, 3)}` : ''}`,
          fix: toolNames.length && !toolNames.includes(input.callTool.name) ? `The gateway has no tool "${input.callTool.name}" (it has ${toolNames.slice(0, 8).join(', ')}).` : 'Run agentcore-auth verify without --via-client to test the gateway directly.',
          ...(toolNames.length ? { details: { tools: toolNames } } : {}),
        });
      }
    }
    return results;
  } finally {
    clearTimeout(timer);
    await stopServer(transport, client, rootPid ?? transport.pid ?? undefined, parsed.serverUrl, started);
  }
}

/**
 * Stops the server and everything it started for itself. A healthy mcp-remote exits when its stdin closes
 * (what Kiro does); one still waiting for a sign-in does not, so the processes get SIGTERM, then SIGKILL.
 */
async function stopServer(
  transport: { close(): Promise<void> },
  client: { close(): Promise<void> },
  rootPid: number | undefined,
  serverUrl: string | undefined,
  graceful: boolean,
): Promise<void> {
  const tree = rootPid ? [rootPid, ...(await serverProcesses(rootPid, serverUrl).catch(() => [] as number[]))] : [];
  if (!graceful) signal([...tree].reverse(), 'SIGTERM');
  await client.close().catch(() => undefined);
  await transport.close().catch(() => undefined);
  let left = await waitGone(tree, graceful ? 3_000 : 1_500);
  if (left.length) {
    signal(left, 'SIGTERM');
    left = await waitGone(left, 1_000);
  }
  if (left.length) {
    signal(left, 'SIGKILL');
    await waitGone(left, 1_000);
  }
}
