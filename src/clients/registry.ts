/**
 * Every MCP client agentcore-auth can configure (FACTS §6): where its config file lives, whether it is
 * installed here, and the entry it gets. One safe editor (jsonfile.ts) does every write: atomic, backed up,
 * only our entry's text changed, unparsable files refused, comments kept where the client accepts JSONC.
 *
 * Why (almost) every entry runs the mcp-remote stdio bridge: the gateway offers no dynamic client
 * registration, so a client must sign in with the static client id the admin registered, at exactly the
 * redirect URI registered for it (`http://localhost:<port>/oauth/callback`), and some IdPs need extra
 * authorization parameters (Entra: no `resource`; Auth0: an `audience`). mcp-remote does all three, the
 * same way in every client, and `verify` can check its command line and its token cache. The clients' own
 * remote + OAuth support falls short of that here:
 *   - Claude Code: `oauth.clientId` + `oauth.callbackPort` exist, but its redirect is `/callback` (not the
 *     registered `/oauth/callback`) and there is no way to add IdP-specific authorization parameters.
 *   - VS Code: `oauth.clientId` exists (2026), but its redirect URI is not a fixed loopback port.
 *   - Cursor, Amazon Q Developer CLI, Claude Desktop: no documented static client id for remote servers.
 *   - Gemini CLI: `httpUrl` + `oauth {clientId, redirectUri, scopes...}` works for plain OIDC, but needs the
 *     authorization and token URLs spelled out and cannot drop `resource` or add `audience`; mcp-remote is
 *     the reliable choice.
 *   - Kiro: `--kiro-native` writes Kiro's documented remote entry (`url`, `oauth.clientId`,
 *     `oauth.redirectUri` "host:port", `oauthScopes`); see buildKiroNativeEntry.
 *
 * Every bridge entry names npx by absolute path and carries PATH and HOME in `env`: Kiro and GUI apps
 * (Claude Desktop, Cursor started from the Dock) do not pass a login shell's PATH to servers.
 *
 * Light module (node:fs and node:path only, plus the entry builders); nothing heavy is imported.
 */
import { suggest } from '../core/text.js';
import { launcher } from './npx.js';
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join, posix, win32 } from 'node:path';
import { CliError, UsageError } from '../core/errors.js';
import type { WriteScope } from '../core/fs.js';
import { editJsonMember, readJsonMember } from './jsonfile.js';
import { assertServerName, buildKiroEntry } from './kiro.js';
import { buildMcpRemoteArgs } from './mcp-remote.js';

export type ClientScope = 'user' | 'project';

export interface ClientEnv {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
  /** APPDATA (Windows), XDG_CONFIG_HOME (Linux), PATH (detection). */
  env?: NodeJS.ProcessEnv;
}

/** Everything an entry is built from: the team profile's values plus this machine's node and home. */
export interface ClientEntryInput {
  serverName: string;
  gatewayUrl: string;
  callbackPort: number;
  clientId: string;
  scopes: string[];
  /** IdP-specific mcp-remote flags (Entra/Cognito: --disable-resource-parameter; Auth0: --authorize-param audience=...). */
  mcpRemoteArgs?: string[];
  /** dirname(process.execPath): this folder leads PATH (npx's `#!/usr/bin/env node` finds this node). */
  nodeBinDir: string;
  /** The npx the entry runs, by absolute path (resolveNpx); default: the one beside node. */
  npx?: string;
  home: string;
  /** The machine the entry is for (default: this one): win32 entries start npx through cmd /c. */
  platform?: NodeJS.Platform;
  /** MCP_REMOTE_CONFIG_DIR for the server's env (sandbox/tests: keep the token cache elsewhere). */
  mcpRemoteConfigDir?: string;
  /** NODE_EXTRA_CA_CERTS where init runs: carried into the entry (clients pass no environment). */
  caCerts?: string;
  /** Kiro only: its own remote transport and OAuth instead of mcp-remote. */
  kiroNative?: boolean;
}

export interface ClientWriter {
  /** The product: kiro, claude-code, cursor, vscode, amazon-q, gemini, claude-desktop. */
  id: string;
  displayName: string;
  /** The first is the default (`--client <id>`); another is `--client <id>-workspace` / `<id>-user`. */
  scopes: ClientScope[];
  path(scope: ClientScope, env: ClientEnv): string;
  /** Installed here: its config folder exists or its program is on PATH. */
  detect(env: { home: string; cwd: string; env: NodeJS.ProcessEnv; platform?: NodeJS.Platform }): boolean;
  buildEntry(input: ClientEntryInput): unknown;
  topKey: 'mcpServers' | 'servers';
  /** The client reads JSON with comments: comments are accepted and kept byte for byte. */
  jsonc: boolean;
  /** What the user does after the write, for the summary. */
  nextStep: string;
}

/** The bridge entry every non-Kiro client gets: absolute npx, pinned mcp-remote, PATH and HOME in env. */
export function buildBridgeEntry(input: ClientEntryInput): { command: string; args: string[]; env: Record<string, string> } {
  const l = launcher(input);
  return {
    command: l.command,
    args: [...l.argsPrefix, ...buildMcpRemoteArgs({
      gatewayUrl: input.gatewayUrl,
      callbackPort: input.callbackPort,
      host: 'localhost',
      clientId: input.clientId,
      scopes: input.scopes,
      ...(input.mcpRemoteArgs?.length ? { extraArgs: input.mcpRemoteArgs } : {}),
    })],
    env: {
      ...l.env,
      ...(input.mcpRemoteConfigDir ? { MCP_REMOTE_CONFIG_DIR: input.mcpRemoteConfigDir } : {}),
    },
  };
}

/**
 * Kiro's own remote entry (kiro.dev/docs/mcp/configuration): `url`, `oauth.clientId` (a pre-registered
 * client, for servers without dynamic registration), `oauth.redirectUri` as "host:port" (Kiro builds the
 * full URI; observed as http://localhost:PORT/oauth/callback, the same as mcp-remote's, in kirodotdev/Kiro
 * issue #10927), and `oauthScopes`. Kiro has no documented way to drop the `resource` parameter or add
 * authorization parameters, so IdPs that need them (Entra, Auth0 without a default audience) need the
 * mcp-remote entry instead.
 */
export function buildKiroNativeEntry(input: ClientEntryInput): Record<string, unknown> {
  return {
    url: input.gatewayUrl,
    oauth: { clientId: input.clientId, redirectUri: `localhost:${input.callbackPort}` },
    oauthScopes: [...input.scopes],
    disabled: false,
    autoApprove: [],
  };
}

function onPath(bin: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  const exts = platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const p = join(dir, bin + ext);
      try {
        if (!statSync(p).isFile()) continue;
        if (platform !== 'win32') accessSync(p, fsConstants.X_OK);
        return true;
      } catch {
        /* not here */
      }
    }
  }
  return false;
}

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The platform's own path join (a win32 entry built on Linux gets backslashes, as Windows reads them). */
const pj = (e: Pick<ClientEnv, 'platform'>) => (e.platform === 'win32' ? win32.join : posix.join);

function claudeDesktopDir(env: ClientEnv): string {
  const j = pj(env);
  if (env.platform === 'darwin') return j(env.home, 'Library', 'Application Support', 'Claude');
  if (env.platform === 'win32') return j(env.env?.APPDATA || j(env.home, 'AppData', 'Roaming'), 'Claude');
  return j(env.env?.XDG_CONFIG_HOME || j(env.home, '.config'), 'Claude');
}

const byScope = (user: (e: ClientEnv) => string, project: (e: ClientEnv) => string) => (scope: ClientScope, e: ClientEnv) => (scope === 'user' ? user(e) : project(e));

export const CLIENT_WRITERS: readonly ClientWriter[] = [
  {
    id: 'kiro',
    displayName: 'Kiro',
    scopes: ['user', 'project'],
    path: byScope((e) => pj(e)(e.home, '.kiro', 'settings', 'mcp.json'), (e) => pj(e)(e.cwd, '.kiro', 'settings', 'mcp.json')),
    detect: (e) => isDir(join(e.home, '.kiro')) || onPath('kiro', e.env, e.platform),
    buildEntry: (input) =>
      input.kiroNative
        ? buildKiroNativeEntry(input)
        : buildKiroEntry({ ...input, ...(input.mcpRemoteArgs?.length ? { extraArgs: input.mcpRemoteArgs } : {}) }),
    topKey: 'mcpServers',
    jsonc: false,
    nextStep: 'Reload MCP servers in Kiro (MCP panel); the first tool call opens your browser to sign in.',
  },
  {
    // .mcp.json (project) is strict JSON; ~/.claude.json (user) is a big file with Claude Code's other
    // state: only the mcpServers member's text is touched, every other byte stays.
    id: 'claude-code',
    displayName: 'Claude Code',
    scopes: ['project', 'user'],
    path: byScope((e) => pj(e)(e.home, '.claude.json'), (e) => pj(e)(e.cwd, '.mcp.json')),
    detect: (e) => isDir(join(e.home, '.claude')) || existsSync(join(e.home, '.claude.json')) || onPath('claude', e.env, e.platform),
    buildEntry: (input) => ({ type: 'stdio', ...buildBridgeEntry(input) }),
    topKey: 'mcpServers',
    jsonc: false,
    nextStep: 'Start claude in this folder and approve the project server (or run /mcp); the first tool call opens your browser to sign in.',
  },
  {
    id: 'cursor',
    displayName: 'Cursor',
    scopes: ['user', 'project'],
    path: byScope((e) => pj(e)(e.home, '.cursor', 'mcp.json'), (e) => pj(e)(e.cwd, '.cursor', 'mcp.json')),
    detect: (e) => isDir(join(e.home, '.cursor')) || onPath('cursor', e.env, e.platform),
    buildEntry: (input) => buildBridgeEntry(input),
    topKey: 'mcpServers',
    jsonc: false,
    nextStep: 'Enable the server in Cursor Settings > MCP; the first tool call opens your browser to sign in.',
  },
  {
    // VS Code reads .vscode/mcp.json as JSON with comments: our member is edited in place, comments stay.
    id: 'vscode',
    displayName: 'VS Code',
    scopes: ['project'],
    path: (_scope, e) => pj(e)(e.cwd, '.vscode', 'mcp.json'),
    detect: (e) => isDir(join(e.cwd, '.vscode')) || isDir(join(e.home, '.vscode')) || onPath('code', e.env, e.platform),
    buildEntry: (input) => ({ type: 'stdio', ...buildBridgeEntry(input) }),
    topKey: 'servers',
    jsonc: true,
    nextStep: 'Open .vscode/mcp.json in VS Code and click Start above the server (Copilot agent mode); the first tool call opens your browser to sign in.',
  },
  {
    id: 'amazon-q',
    displayName: 'Amazon Q Developer CLI',
    scopes: ['user', 'project'],
    path: byScope((e) => pj(e)(e.home, '.aws', 'amazonq', 'mcp.json'), (e) => pj(e)(e.cwd, '.amazonq', 'mcp.json')),
    detect: (e) => isDir(join(e.home, '.aws', 'amazonq')) || onPath('q', e.env, e.platform),
    buildEntry: (input) => buildBridgeEntry(input),
    topKey: 'mcpServers',
    jsonc: false,
    nextStep: 'Start `q chat` (it loads MCP servers at start); the first tool call opens your browser to sign in.',
  },
  {
    // settings.json holds all of Gemini CLI's settings: only mcpServers.<name> is touched. Gemini CLI strips
    // comments from settings.json, so they are accepted and kept.
    id: 'gemini',
    displayName: 'Gemini CLI',
    scopes: ['user', 'project'],
    path: byScope((e) => pj(e)(e.home, '.gemini', 'settings.json'), (e) => pj(e)(e.cwd, '.gemini', 'settings.json')),
    detect: (e) => isDir(join(e.home, '.gemini')) || onPath('gemini', e.env, e.platform),
    buildEntry: (input) => buildBridgeEntry(input),
    topKey: 'mcpServers',
    jsonc: true,
    nextStep: 'Start gemini and check /mcp; the first tool call opens your browser to sign in.',
  },
  {
    id: 'claude-desktop',
    displayName: 'Claude Desktop',
    scopes: ['user'],
    path: (_scope, e) => pj(e)(claudeDesktopDir(e), 'claude_desktop_config.json'),
    detect: (e) => isDir(claudeDesktopDir({ home: e.home, cwd: e.cwd, platform: e.platform ?? process.platform, env: e.env })),
    buildEntry: (input) => buildBridgeEntry(input),
    topKey: 'mcpServers',
    jsonc: false,
    nextStep: 'Quit and reopen Claude Desktop; the first tool call opens your browser to sign in.',
  },
];

/** One file to write: a writer and one of its scopes. Its id is what `--client` takes. */
export interface ClientTarget {
  id: string;
  writer: ClientWriter;
  scope: ClientScope;
}

function targetId(w: ClientWriter, scope: ClientScope): string {
  if (scope === w.scopes[0]) return w.id;
  return `${w.id}-${scope === 'project' ? 'workspace' : 'user'}`;
}

/** kiro, kiro-workspace, claude-code, claude-code-user, cursor, cursor-workspace, vscode, amazon-q, ... */
export const CLIENT_TARGETS: readonly ClientTarget[] = CLIENT_WRITERS.flatMap((w) => w.scopes.map((scope) => ({ id: targetId(w, scope), writer: w, scope })));
export const CLIENT_IDS: readonly string[] = CLIENT_TARGETS.map((t) => t.id);

export function clientTarget(id: string): ClientTarget {
  const t = CLIENT_TARGETS.find((x) => x.id === id);
  if (!t) throw new UsageError(`Unknown client "${id}".`, { fix: `Use one or more of: ${CLIENT_IDS.join(', ')} (comma-separated).` });
  return t;
}

/** A human label: "Cursor", "Cursor (workspace)", "Claude Code (user)". */
export function clientLabel(id: string): string {
  const t = CLIENT_TARGETS.find((x) => x.id === id);
  if (!t) return id;
  return t.scope === t.writer.scopes[0] ? t.writer.displayName : `${t.writer.displayName} (${t.scope === 'project' ? 'workspace' : 'user'})`;
}

/** `--client a,b` -> known, de-duplicated ids in the given order. */
export function parseClientList(value: string, flag = '--client'): string[] {
  const ids = value.split(/[\s,]+/).filter(Boolean);
  if (!ids.length) throw new UsageError(`${flag} is empty.`, { fix: `Pass e.g. ${flag} kiro,claude-code (one or more of: ${CLIENT_IDS.join(', ')}).` });
  for (const id of ids) {
    if (!CLIENT_IDS.includes(id)) {
      const near = suggest(id, CLIENT_IDS);
      throw new UsageError(`${flag}: unknown client "${id}".${near ? ` Did you mean ${near}?` : ''}`, { fix: `Use one or more of: ${CLIENT_IDS.join(', ')} (comma-separated).` });
    }
  }
  return [...new Set(ids)];
}

export function clientPath(id: string, env: ClientEnv): string {
  const t = clientTarget(id);
  return t.writer.path(t.scope, env);
}

/** The default-scope ids of the clients installed here (their folder exists or their program is on PATH). */
export function detectClients(env: { home: string; cwd: string; env: NodeJS.ProcessEnv; platform?: NodeJS.Platform }): string[] {
  return CLIENT_WRITERS.filter((w) => {
    try {
      return w.detect(env);
    } catch {
      return false;
    }
  }).map((w) => w.id);
}

/**
 * The writer for a journaled or configured client id. Older journals say `kiro` / `kiro-workspace`, which
 * are still ids; anything unknown is treated as an mcpServers file in strict JSON (Kiro's shape).
 */
export function writerFor(id: string | undefined): ClientWriter {
  return CLIENT_TARGETS.find((t) => t.id === id)?.writer ?? CLIENT_WRITERS[0]!;
}

/** Whether an entry runs a stdio bridge (has a command) rather than a client's own remote transport. */
export function isBridgeEntry(entry: unknown): boolean {
  return typeof entry === 'object' && entry !== null && typeof (entry as { command?: unknown }).command === 'string';
}

/** How a client config file may be written: where links may lead (src/core/fs.ts), where backups go. */
export interface ClientWriteOptions {
  dryRun?: boolean;
  scope?: WriteScope;
  backupDir?: string;
}

/** The containment of a client's file: the project folder for project-scoped clients, else HOME. */
export function writeScopeFor(client: string, where: { cwd: string; home: string }, followSymlinks = false): WriteScope {
  const project = clientTarget(client).scope === 'project';
  return { root: project ? where.cwd : where.home, label: project ? 'the project folder' : 'your home folder', followSymlinks };
}

export interface WriteEntryResult {
  path: string;
  changed: boolean;
  created: boolean;
  backupPath?: string;
  previousEntry: unknown | null;
  /** The previous entry's exact text in the file (for a byte-exact restore). */
  previousText?: string;
  /** Folders created for a new file, outermost first. */
  createdDirs?: string[];
  /** The file's text after the write. */
  after: string;
}

/** Put `entry` at `<topKey>.<serverName>` (replaced in place when it exists); nothing else in the file changes. */
export async function setClientEntry(client: string, path: string, serverName: string, entry: unknown, opts: ClientWriteOptions = {}): Promise<WriteEntryResult> {
  assertServerName(serverName);
  const w = writerFor(client);
  const r = await editJsonMember(path, w.topKey, serverName, () => ({ set: entry }), { ...opts, dryRun: opts.dryRun ?? false, jsonc: w.jsonc });
  return {
    path: r.path,
    changed: r.changed,
    created: r.created,
    ...(r.backupPath ? { backupPath: r.backupPath } : {}),
    previousEntry: r.previous,
    ...(r.previousText !== undefined ? { previousText: r.previousText } : {}),
    ...(r.createdDirs ? { createdDirs: r.createdDirs } : {}),
    after: r.after,
  };
}

/** Build this client's entry and write it. A bridge entry's npx must exist (else the client cannot start it). */
export async function writeClientConfig(client: string, path: string, input: ClientEntryInput, opts: ClientWriteOptions = {}): Promise<WriteEntryResult & { entry: unknown }> {
  const entry = clientTarget(client).writer.buildEntry(input);
  if (isBridgeEntry(entry)) {
    const command = (entry as { command: string }).command;
    try {
      await access(command, fsConstants.X_OK);
    } catch {
      throw new CliError(`npx (${command}) is not an executable file; the ${clientLabel(client)} entry would not start.`, {
        fix: 'Install npm alongside this Node.js (npx ships with npm), or put a directory that holds npx on PATH, then run again.',
        code: 'npx_missing',
      });
    }
  }
  return { ...(await setClientEntry(client, path, input.serverName, entry, opts)), entry };
}

/** Remove `<topKey>.<serverName>` (only when `onlyIfMatches`, if given, accepts it). */
export async function removeClientEntry(
  client: string,
  path: string,
  serverName: string,
  opts: ClientWriteOptions & { onlyIfMatches?: (entry: unknown) => boolean } = {},
): Promise<{ removed: boolean; path: string; backupPath?: string }> {
  const w = writerFor(client);
  const { onlyIfMatches, ...write } = opts;
  const r = await editJsonMember(path, w.topKey, serverName, (cur) => (cur.exists && (!onlyIfMatches || onlyIfMatches(cur.value)) ? { remove: true } : null), {
    ...write,
    dryRun: opts.dryRun ?? false,
    jsonc: w.jsonc,
  });
  return { removed: r.changed, path, ...(r.backupPath ? { backupPath: r.backupPath } : {}) };
}

/** The entry at `<topKey>.<serverName>`, or null. */
export async function readClientEntry(client: string | undefined, path: string, serverName: string): Promise<unknown | null> {
  const w = writerFor(client);
  return readJsonMember(path, w.topKey, serverName, { jsonc: w.jsonc });
}

/** One line per configured client: where its entry is and what to do next (for summaries). */
export function clientNextStepLines(clients: Array<{ client: string; path: string; serverName: string }>): string[] {
  return clients.map((c) => `${clientLabel(c.client)}: the MCP server "${c.serverName}" is in ${c.path}. ${writerFor(c.client).nextStep}`);
}
