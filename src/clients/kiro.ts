/**
 * Kiro's MCP configuration (`~/.kiro/settings/mcp.json`, or `<workspace>/.kiro/settings/mcp.json`, which
 * wins): one `mcpServers.<name>` entry that runs mcp-remote through npx.
 *
 * Kiro does not pass its PATH or HOME to stdio servers, so the entry names npx by absolute path (the one
 * next to the running node) and carries PATH (node's folder first, for npx's `#!/usr/bin/env node`) and
 * HOME (where mcp-remote keeps its token cache) in `env`.
 */
import { launcher } from './npx.js';
import { constants as fsConstants, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from '../core/errors.js';
import { templatePath } from '../core/package.js';
import { editJsonMember, readJsonMember } from './jsonfile.js';
import { buildMcpRemoteArgs } from './mcp-remote.js';

export type KiroScope = 'user' | 'workspace';

export function kiroConfigPath(scope: KiroScope, env: { home: string; cwd: string }): string {
  return join(scope === 'user' ? env.home : env.cwd, '.kiro', 'settings', 'mcp.json');
}

export interface KiroEntryInput {
  serverName: string;
  gatewayUrl: string;
  callbackPort: number;
  clientId: string;
  scopes: string[];
  extraArgs?: string[];
  /** dirname(process.execPath): this folder leads PATH. */
  nodeBinDir: string;
  /** The npx the entry runs, by absolute path; default: the one beside node. */
  npx?: string;
  home: string;
  /** The machine the entry is for (default: this one). */
  platform?: NodeJS.Platform;
  /** Optional MCP_REMOTE_CONFIG_DIR for the server's env (sandbox/tests: keep the token cache elsewhere). */
  mcpRemoteConfigDir?: string;
  /** NODE_EXTRA_CA_CERTS where init runs: carried into the entry (Kiro passes no environment). */
  caCerts?: string;
}

export interface KiroEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
  disabled: false;
  autoApprove: string[];
}

/** Folders after node's own on the server's PATH. */
export { POSIX_DEFAULT_PATH as KIRO_DEFAULT_PATH } from './npx.js';

interface TemplateValues {
  npx: string;
  args: string[];
  path: string;
  home: string;
}

let templateCache: unknown;
function loadTemplate(): unknown {
  templateCache ??= JSON.parse(readFileSync(templatePath('kiro-mcp-remote.json'), 'utf8'));
  return templateCache;
}

/** Replace `"{{name}}"` strings (whole value: any type; inside a string: string values only). */
function fillTemplate(node: unknown, values: TemplateValues): unknown {
  if (typeof node === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(node);
    if (whole) return lookup(whole[1]!, values);
    return node.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const v = lookup(key, values);
      if (typeof v !== 'string') throw new Error(`template placeholder {{${key}}} inside a string must be a string`);
      return v;
    });
  }
  if (Array.isArray(node)) return node.map((n) => fillTemplate(n, values));
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fillTemplate(v, values)]));
  }
  return node;
}

function lookup(key: string, values: TemplateValues): unknown {
  if (!Object.prototype.hasOwnProperty.call(values, key)) throw new Error(`unknown template placeholder {{${key}}}`);
  const v = values[key as keyof TemplateValues];
  return Array.isArray(v) ? [...v] : v;
}

export function buildKiroEntry(input: KiroEntryInput): KiroEntry {
  const l = launcher(input);
  const values: TemplateValues = {
    npx: l.command,
    args: [
      ...l.argsPrefix,
      ...buildMcpRemoteArgs({
        gatewayUrl: input.gatewayUrl,
        callbackPort: input.callbackPort,
        host: 'localhost',
        clientId: input.clientId,
        scopes: input.scopes,
        ...(input.extraArgs ? { extraArgs: input.extraArgs } : {}),
      }),
    ],
    path: l.env.PATH!,
    home: input.home,
  };
  const entry = fillTemplate(loadTemplate(), values) as KiroEntry;
  // Windows: Node's homedir (mcp-remote's cache) comes from USERPROFILE.
  if (l.env.USERPROFILE) entry.env = { ...entry.env, USERPROFILE: l.env.USERPROFILE };
  if (l.env.NODE_EXTRA_CA_CERTS) entry.env = { ...entry.env, NODE_EXTRA_CA_CERTS: l.env.NODE_EXTRA_CA_CERTS };
  if (input.mcpRemoteConfigDir) entry.env = { ...entry.env, MCP_REMOTE_CONFIG_DIR: input.mcpRemoteConfigDir };
  return entry;
}

async function assertExecutable(file: string): Promise<void> {
  try {
    await access(file, fsConstants.X_OK);
  } catch {
    throw new CliError(`npx (${file}) is not an executable file; the Kiro entry would not start.`, {
      fix: 'Install npm alongside this Node.js (npx ships with npm), or put a directory that holds npx on PATH, then run again.',
      code: 'npx_missing',
    });
  }
}

/**
 * Put our entry at `mcpServers.<serverName>`: replaced in place when it exists (same position, never a
 * second entry); every other server and top-level key untouched. `previousEntry` is what was there.
 */
export async function writeKiroEntry(
  path: string,
  input: KiroEntryInput,
  opts: { dryRun?: boolean; backupDir?: string } = {},
): Promise<{ path: string; changed: boolean; created: boolean; backupPath?: string; previousEntry: unknown | null }> {
  const entry = buildKiroEntry(input);
  await assertExecutable(entry.command);
  return setKiroEntry(path, input.serverName, entry, opts);
}

/** Put any entry back (e.g. cleanup restoring the `previousEntry` that writeKiroEntry replaced). */
export async function restoreKiroEntry(
  path: string,
  serverName: string,
  entry: unknown,
  opts: { dryRun?: boolean; backupDir?: string } = {},
): Promise<{ path: string; changed: boolean; created: boolean; backupPath?: string; previousEntry: unknown | null }> {
  return setKiroEntry(path, serverName, entry, opts);
}

async function setKiroEntry(
  path: string,
  serverName: string,
  entry: unknown,
  opts: { dryRun?: boolean; backupDir?: string },
): Promise<{ path: string; changed: boolean; created: boolean; backupPath?: string; previousEntry: unknown | null }> {
  assertServerName(serverName);
  // Only this member's text changes: other servers, keys, their order and spelling stay byte for byte.
  const res = await editJsonMember(path, 'mcpServers', serverName, () => ({ set: entry }), { ...opts, dryRun: opts.dryRun ?? false });
  return {
    path: res.path,
    changed: res.changed,
    created: res.created,
    ...(res.backupPath ? { backupPath: res.backupPath } : {}),
    previousEntry: res.previous,
  };
}

export function assertServerName(serverName: string): void {
  if (serverName === '' || serverName === '__proto__') {
    throw new CliError(`Invalid MCP server name ${JSON.stringify(serverName)}.`, { fix: 'Choose another server name', code: 'usage' });
  }
}

/**
 * Remove `mcpServers.<serverName>` (only when `onlyIfMatches`, if given, accepts it). The file stays, with
 * `"mcpServers": {}` when it was the last entry.
 */
export async function removeKiroEntry(
  path: string,
  serverName: string,
  opts: { dryRun?: boolean; onlyIfMatches?: (entry: unknown) => boolean } = {},
): Promise<{ removed: boolean; path: string; backupPath?: string }> {
  const res = await editJsonMember(
    path,
    'mcpServers',
    serverName,
    (cur) => (cur.exists && (!opts.onlyIfMatches || opts.onlyIfMatches(cur.value)) ? { remove: true } : null),
    { dryRun: opts.dryRun ?? false },
  );
  return { removed: res.changed, path, ...(res.backupPath ? { backupPath: res.backupPath } : {}) };
}

/** The entry at `mcpServers.<serverName>`, or null (no file, no mcpServers, no such entry). */
export async function readKiroEntry(path: string, serverName: string): Promise<unknown | null> {
  return readJsonMember(path, 'mcpServers', serverName);
}
