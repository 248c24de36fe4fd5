/**
 * Checks (stage 'config'): the client side of the chain, read from an MCP client's config file (Kiro's
 * mcp.json, or any client in src/clients/registry.ts) and mcp-remote's cache.
 *
 *   client-entry      the entry exists, runs the pinned mcp-remote with the gateway URL (as typed: mcp-remote
 *                     hashes it), the callback port, --host localhost, the client id and the scopes; the client
 *                     can start its command (Kiro passes no PATH/HOME of its own); a Kiro --kiro-native entry:
 *                     url, oauth.clientId, the callback port in oauth.redirectUri, oauthScopes
 *   redirect-uri      the IdP app's registered redirect URIs include mcp-remote's exact callback
 *   callback-port     nothing else listens on the callback port
 *   mcp-remote-cache  this server's cached login is not stale (other client, other issuer, expired refresh)
 *
 * Everything mirrors mcp-remote 0.15.1 (see src/clients/mcp-remote.ts). Never prints a token: findings name
 * files, claims such as client ids and issuers, and times, never token values.
 */
import { registerRedirectFix } from '../oauth/idp-errors.js';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { tryListen, whoHolds } from '../oauth/port-probe.js';
import { readTextIfExists } from '../core/fs.js';
import { MAX_CONFIG_BYTES, locateJsonError, parseConfigText } from '../clients/jsonfile.js';
import { clientLabel, writerFor } from '../clients/registry.js';
import {
  MCP_REMOTE_CALLBACK_PATH,
  MCP_REMOTE_VERSION,
  mcpRemoteCacheFiles,
  mcpRemoteHashInputFromArgs,
  mcpRemoteServerHash,
  type McpRemoteHashOptions,
} from '../clients/mcp-remote.js';
import { decodeJwtClaims } from '../oauth/tokens.js';
import { baseName, mcpRemoteArgv, unwrapLauncher, type EntryLaunch } from '../clients/entry-command.js';
import { commandProblems } from './entry-launch.js';
import { fromProblems, skipped, type CheckResult, type Problem } from './types.js';

export interface ClientConfigInput {
  /** The client's config file (Kiro's mcp.json, .vscode/mcp.json, ...). */
  configPath: string;
  /** The registry id of the client (kiro, claude-code, vscode, ...): its display name, top key and dialect. Default kiro. */
  client?: string;
  /** The check id for the entry check (default 'client-entry'; more clients: 'client-entry:<client>'). */
  checkId?: string;
  /** Only the entry check (the callback, redirect and cache checks run once, for the first client). */
  entryOnly?: boolean;
  serverName: string;
  gatewayUrl: string;
  clientId?: string;
  scopes?: string[];
  callbackPort?: number;
  /** Redirect URIs registered at the IdP for this client (from the adapter's describeApp), when known. */
  registeredRedirectUris?: string[];
  /** The setup's IdP adapter: some compare the whole redirect URI, port included (Okta, Cognito, Auth0). */
  provider?: string;
  /** The IdP's issuer: cached tokens from another issuer are stale. */
  issuer?: string;
  /** The user's environment: the cache location when the entry has no env.HOME / MCP_REMOTE_CONFIG_DIR. */
  env: NodeJS.ProcessEnv;
  now?: () => number;
  /** For the one local request this makes (asking a busy callback port who holds it). Default 1000 ms. */
  timeoutMs?: number;
  /** The machine verify runs on (default process.platform): a Windows entry's paths are checked on win32 only. */
  platform?: NodeJS.Platform;
  /** Whether a path names an executable file (default: the file system; tests give Windows paths here). */
  isExecutable?: (path: string) => Promise<boolean>;
}

const TITLES = {
  entry: 'Kiro entry (mcp-remote command line)',
  nativeEntry: "Kiro entry (Kiro's own OAuth)",
  redirect: 'Redirect URI registered at the IdP',
  port: 'Callback port free',
  cache: "mcp-remote's cached login",
} as const;

/** The client's name in findings ("Kiro", "Claude Code", ...). */
function who(input: Pick<ClientConfigInput, 'client'>): string {
  return input.client ? writerFor(input.client).displayName : 'Kiro';
}

function entryBase(input: ClientConfigInput, native = false): { id: string; stage: 'config'; title: string } {
  const name = input.client ? clientLabel(input.client) : 'Kiro';
  const title = native ? `${name} entry (its own OAuth)` : `${name} entry (mcp-remote command line)`;
  return { id: input.checkId ?? 'client-entry', stage: 'config', title: !input.client || input.client === 'kiro' ? (native ? TITLES.nativeEntry : TITLES.entry) : title };
}

// ---------------------------------------------------------------------------------------------
// Reading an mcp-remote command line (shared with via-client)

/** mcp-remote's default callback host: `localhost`, except on Windows (`127.0.0.1`) without --host. */
export function defaultCallbackHost(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? '127.0.0.1' : 'localhost';
}

/** The port mcp-remote derives from the server hash when no port is given (its calculateDefaultPort). */
export function mcpRemoteDerivedPort(hash: string): number {
  return 3335 + (parseInt(hash.slice(0, 4), 16) % 45816);
}

export interface ParsedMcpRemoteEntry {
  /** The entry's own command and args (what a client spawns). */
  command: string | undefined;
  args: string[];
  /** What they start: a Windows `cmd /c` wrapper taken off (src/clients/entry-command.ts). */
  launch: EntryLaunch;
  /** The entry's env (strings only). */
  env: Record<string, string>;
  disabled: boolean;
  /** Kiro's native remote transport (`url`), when the entry has one. */
  url?: string;
  /** Whether the command line runs mcp-remote. */
  runsMcpRemote: boolean;
  /** `0.15.1` from `mcp-remote@0.15.1`; null when unpinned (`mcp-remote`, `@latest`, a global install). */
  version: string | null;
  /** mcp-remote's own argv (after the package). */
  argv: string[];
  serverUrl?: string;
  /** The second positional argument, when it is a port. */
  specifiedPort?: number;
  /** The port mcp-remote really uses: the given one, else derived from the hash. */
  effectivePort?: number;
  /** `--host` value, when given. */
  host?: string;
  callbackPath: string;
  hashOpts: McpRemoteHashOptions;
  headerFile?: string;
  /** The server hash (cache file prefix), when the server URL is known. */
  hash?: string;
  /** --static-oauth-client-info: absent, unreadable, or its client_id. */
  clientInfo: { kind: 'absent' } | { kind: 'invalid'; why: string } | { kind: 'ok'; clientId?: string };
  /** --static-oauth-client-metadata: absent, unreadable, or its scope. */
  clientMetadata: { kind: 'absent' } | { kind: 'invalid'; why: string } | { kind: 'ok'; scope?: string };
}

function valueAfter(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i !== -1 && i < args.length - 1 ? args[i + 1] : undefined;
}

/** `${VAR}` replaced from the server's env, as mcp-remote's parseJsonWithEnvVars does. */
function expandEnv(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string) => env[name] ?? m);
}

async function readJsonArg(value: string, env: Record<string, string>, cwd: string): Promise<Record<string, unknown>> {
  let text = value;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    const path = isAbsolute(file) ? file : resolve(cwd, file);
    const read = await readTextIfExists(path, { what: 'mcp-remote argument file' });
    if (read === null) throw new Error(`${path} does not exist`);
    text = read;
  }
  const parsed: unknown = JSON.parse(expandEnv(text, env));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
  return parsed as Record<string, unknown>;
}

/** Reads a Kiro entry the way Kiro starts it and mcp-remote parses its command line. */
export async function parseMcpRemoteEntry(entry: Record<string, unknown>, opts: { cwd?: string } = {}): Promise<ParsedMcpRemoteEntry> {
  const cwd = opts.cwd ?? process.cwd();
  const command = typeof entry.command === 'string' ? entry.command : undefined;
  const args = Array.isArray(entry.args) ? entry.args.filter((a): a is string => typeof a === 'string') : [];
  const env: Record<string, string> = {};
  if (entry.env && typeof entry.env === 'object' && !Array.isArray(entry.env)) {
    for (const [k, v] of Object.entries(entry.env)) if (typeof v === 'string') env[k] = v;
  }
  // `cmd /c <npx.cmd> ...rest` (Windows) reads exactly like `<npx> ...rest`.
  const launch = unwrapLauncher(command, args, env);
  const mr = mcpRemoteArgv(command, args);
  const runsMcpRemote = mr !== undefined;
  const version = mr?.version ?? null;
  const argv = mr?.argv ?? [];
  const parsed: ParsedMcpRemoteEntry = {
    command,
    args,
    launch,
    env,
    disabled: entry.disabled === true,
    ...(typeof entry.url === 'string' ? { url: entry.url } : {}),
    runsMcpRemote,
    version,
    argv,
    callbackPath: MCP_REMOTE_CALLBACK_PATH,
    hashOpts: {},
    clientInfo: { kind: 'absent' },
    clientMetadata: { kind: 'absent' },
  };
  if (!runsMcpRemote) return parsed;

  const hashInput = mcpRemoteHashInputFromArgs(argv);
  parsed.hashOpts = hashInput.opts;
  if (hashInput.headerFile !== undefined) parsed.headerFile = hashInput.headerFile;
  // mcp-remote drops --header pairs before reading the positionals.
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '--header' || argv[i] === '--header-file') && i < argv.length - 1) {
      i++;
      continue;
    }
    positional.push(argv[i]!);
  }
  parsed.serverUrl = positional[0];
  const port = positional[1] !== undefined ? parseInt(positional[1], 10) : NaN;
  if (Number.isInteger(port) && port > 0) parsed.specifiedPort = port;
  if (parsed.serverUrl) {
    parsed.hash = mcpRemoteServerHash(parsed.serverUrl, parsed.hashOpts);
    parsed.effectivePort = parsed.specifiedPort ?? mcpRemoteDerivedPort(parsed.hash);
  }
  const host = valueAfter(argv, '--host');
  if (host !== undefined) parsed.host = host;
  const path = valueAfter(argv, '--callback-path');
  if (path && path.startsWith('/') && path !== '/wait-for-auth' && path !== '/.mcp-remote/id') parsed.callbackPath = path;

  const info = valueAfter(argv, '--static-oauth-client-info');
  if (info !== undefined) {
    try {
      const obj = await readJsonArg(info, env, cwd);
      parsed.clientInfo = { kind: 'ok', ...(typeof obj.client_id === 'string' ? { clientId: obj.client_id } : {}) };
    } catch (err) {
      parsed.clientInfo = { kind: 'invalid', why: err instanceof SyntaxError ? 'not valid JSON' : errorMessage(err) };
    }
  }
  const md = valueAfter(argv, '--static-oauth-client-metadata');
  if (md !== undefined) {
    try {
      const obj = await readJsonArg(md, env, cwd);
      parsed.clientMetadata = { kind: 'ok', ...(typeof obj.scope === 'string' ? { scope: obj.scope } : {}) };
    } catch (err) {
      parsed.clientMetadata = { kind: 'invalid', why: err instanceof SyntaxError ? 'not valid JSON' : errorMessage(err) };
    }
  }
  return parsed;
}

/**
 * The env that decides where the Kiro-started mcp-remote keeps its cache: the entry's MCP_REMOTE_CONFIG_DIR,
 * else the entry's HOME; an entry with neither falls back to the user's environment (os.homedir() in the
 * child resolves to the same account's home).
 */
export function mcpRemoteCacheEnv(entryEnv: Record<string, string>, userEnv: NodeJS.ProcessEnv): Record<string, string | undefined> {
  if (entryEnv.MCP_REMOTE_CONFIG_DIR) return { MCP_REMOTE_CONFIG_DIR: entryEnv.MCP_REMOTE_CONFIG_DIR };
  if (entryEnv.HOME) return { HOME: entryEnv.HOME };
  return { MCP_REMOTE_CONFIG_DIR: userEnv.MCP_REMOTE_CONFIG_DIR, HOME: userEnv.HOME || homedir() };
}

import { shellQuote } from '../core/text.js';
export { shellQuote };

// ---------------------------------------------------------------------------------------------
// client-entry

type EntryRead =
  | { kind: 'ok'; entry: Record<string, unknown> }
  | { kind: 'fail'; result: CheckResult };

async function readEntry(input: ClientConfigInput): Promise<EntryRead> {
  const base = entryBase(input);
  const name = who(input);
  const w = writerFor(input.client);
  const top = w.topKey;
  let text: string | null;
  try {
    text = await readTextIfExists(input.configPath, { limit: MAX_CONFIG_BYTES, what: 'config file' });
  } catch (err) {
    return { kind: 'fail', result: { ...base, status: 'fail', finding: errorMessage(err), fix: 'Make it a readable JSON file, then run again.' } };
  }
  if (text === null) {
    return { kind: 'fail', result: { ...base, status: 'fail', finding: `${input.configPath} does not exist, so ${name} has no "${input.serverName}" server.`, fix: missingEntryFix(input) } };
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let doc: unknown;
  if (w.jsonc) {
    try {
      doc = parseConfigText(text, input.configPath, true);
    } catch (err) {
      return { kind: 'fail', result: { ...base, status: 'fail', finding: `${errorMessage(err).replace(/; it was left untouched\.$/, '')}: ${name} cannot load any server from it.`, fix: `Fix ${input.configPath} at that spot.` } };
    }
  } else {
    try {
      doc = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      const loc = locateJsonError(body);
      return {
        kind: 'fail',
        result: {
          ...base,
          status: 'fail',
          finding: `${input.configPath} is not valid JSON${loc ? ` (line ${loc.line}, column ${loc.column}: ${loc.reason})` : ''}; ${name} cannot load any server from it.`,
          fix: `Fix ${input.configPath} at that spot (${name}'s ${w.id === 'kiro' ? 'mcp.json' : 'config file'} is strict JSON: no comments, no trailing commas).`,
        },
      };
    }
  }
  const servers = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>)[top] : undefined;
  if (servers !== undefined && (typeof servers !== 'object' || servers === null || Array.isArray(servers))) {
    return { kind: 'fail', result: { ...base, status: 'fail', finding: `${input.configPath}: "${top}" is not a JSON object.`, fix: `Make "${top}" an object of servers in ${input.configPath}.` } };
  }
  const entry = servers ? (servers as Record<string, unknown>)[input.serverName] : undefined;
  if (entry === undefined || !Object.prototype.hasOwnProperty.call(servers ?? {}, input.serverName)) {
    return { kind: 'fail', result: { ...base, status: 'fail', finding: `${input.configPath} has no ${top}."${input.serverName}" entry.`, fix: missingEntryFix(input) } };
  }
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    return { kind: 'fail', result: { ...base, status: 'fail', finding: `${top}."${input.serverName}" in ${input.configPath} is not a JSON object.`, fix: missingEntryFix(input) } };
  }
  return { kind: 'ok', entry: entry as Record<string, unknown> };
}

function missingEntryFix(input: ClientConfigInput): string {
  const init = 'Run `agentcore-auth init` (or `agentcore-auth connect`) to write it';
  if (!input.clientId || !input.callbackPort) return `${init}.`;
  const w = writerFor(input.client);
  try {
    const entry = w.buildEntry({
      serverName: input.serverName,
      gatewayUrl: input.gatewayUrl,
      callbackPort: input.callbackPort,
      clientId: input.clientId,
      scopes: input.scopes?.length ? input.scopes : ['openid', 'profile', 'email', 'offline_access'],
      nodeBinDir: dirname(process.execPath),
      home: input.env.HOME || homedir(),
    });
    return `${init}, or add under "${w.topKey}" in ${input.configPath}: ${JSON.stringify({ [input.serverName]: entry })}`;
  } catch {
    return `${init}.`;
  }
}

/** Why `actual` is not the gateway URL, in words. */
function describeUrlDifference(actual: string, expected: string): string {
  try {
    const a = new URL(actual);
    const e = new URL(expected);
    if (a.origin === e.origin) {
      const ap = a.pathname;
      const ep = e.pathname;
      if (ap === `${ep}/`) return 'it has a trailing slash';
      if (`${ap}/` === ep) return 'it lacks the trailing slash';
      if (ep.endsWith('/mcp') && (ap === ep.slice(0, -4) || ap === `${ep.slice(0, -4)}/`)) return 'it lacks the /mcp path';
      if (ap === ep && a.search !== e.search) return 'its query differs';
      return `its path is ${ap} instead of ${ep}`;
    }
    if (a.protocol !== e.protocol && a.host === e.host) return `it uses ${a.protocol.slice(0, -1)} instead of ${e.protocol.slice(0, -1)}`;
    return `it points at ${a.host} instead of ${e.host}`;
  } catch {
    return 'it is not a valid URL';
  }
}

/**
 * Kiro's own remote entry (--kiro-native): `url`, `oauth.clientId`, `oauth.redirectUri` ("host:port") and
 * `oauthScopes`, checked against the setup (the lighter check: there is no command line to read).
 */
function checkNativeEntry(input: ClientConfigInput, p: ParsedMcpRemoteEntry, entry: Record<string, unknown>, problems: Problem[]): CheckResult {
  const base = entryBase(input, true);
  const name = who(input);
  const url = p.url ?? '';
  if (url !== input.gatewayUrl) {
    problems.push({ status: 'fail', finding: `The entry's "url" ${url} is not the gateway URL ${input.gatewayUrl} (${describeUrlDifference(url, input.gatewayUrl)}).`, fix: `Set "url" to ${input.gatewayUrl}.` });
  }
  const oauth = entry.oauth && typeof entry.oauth === 'object' && !Array.isArray(entry.oauth) ? (entry.oauth as Record<string, unknown>) : undefined;
  const clientId = typeof oauth?.clientId === 'string' ? oauth.clientId : undefined;
  const redirect = typeof oauth?.redirectUri === 'string' ? oauth.redirectUri : undefined;
  if (!clientId) {
    problems.push({
      status: 'fail',
      finding: `The entry has no "oauth.clientId": ${name} then tries dynamic client registration, which the gateway's IdP does not offer.`,
      fix: `Add "oauth": {"clientId": "${input.clientId ?? '<client id>'}", "redirectUri": "localhost:${input.callbackPort ?? '<port>'}"} (agentcore-auth init --kiro-native writes it).`,
    });
  } else if (input.clientId && clientId !== input.clientId) {
    problems.push({ status: 'fail', finding: `The entry signs in as client ${clientId}, not ${input.clientId}.`, fix: `Set "oauth.clientId" to "${input.clientId}".` });
  }
  const port = redirect ? Number(/:(\d+)$/.exec(redirect)?.[1]) : NaN;
  if (!redirect) {
    problems.push({
      status: input.callbackPort ? 'fail' : 'warn',
      finding: `The entry has no "oauth.redirectUri": ${name} listens on a random port, which IdPs that compare the whole redirect URI (Okta, Cognito, Auth0) refuse.`,
      fix: `Add "redirectUri": "localhost:${input.callbackPort ?? '<port>'}" to "oauth".`,
    });
  } else if (input.callbackPort && port !== input.callbackPort) {
    problems.push({ status: 'fail', finding: `"oauth.redirectUri" ${redirect} uses port ${Number.isFinite(port) ? port : '?'}, not ${input.callbackPort}, the one registered at the IdP.`, fix: `Set it to "localhost:${input.callbackPort}".` });
  }
  const scopes = Array.isArray(entry.oauthScopes) ? entry.oauthScopes.filter((x): x is string => typeof x === 'string') : undefined;
  const required = input.scopes ?? [];
  if (!scopes) {
    problems.push({ status: 'warn', finding: 'The entry has no "oauthScopes": Kiro asks for what the gateway advertises, which may lack offline_access.', fix: `Add "oauthScopes": ${JSON.stringify(required.length ? required : ['openid', 'profile', 'email', 'offline_access'])}.` });
  } else {
    const missing = required.filter((x) => !scopes.includes(x) && x !== 'offline_access');
    if (missing.length) problems.push({ status: 'fail', finding: `"oauthScopes" lacks ${missing.join(', ')}.`, fix: `Set "oauthScopes" to ${JSON.stringify(required)}.` });
    if (!scopes.includes('offline_access')) problems.push({ status: 'warn', finding: '"oauthScopes" lacks offline_access: no refresh token, so the browser opens again whenever the access token expires.', fix: 'Add "offline_access" to "oauthScopes".', tag: 'no-refresh' });
  }
  const result = fromProblems(base, problems, `${input.configPath}: ${name}'s own OAuth to ${url}, client ${clientId ?? '?'}, callback ${redirect ?? '?'}.`);
  return { ...result, details: { configPath: input.configPath, url, clientId, redirectUri: redirect, native: true } };
}

async function checkEntry(input: ClientConfigInput, p: ParsedMcpRemoteEntry, entry: Record<string, unknown> = {}): Promise<CheckResult> {
  const base = entryBase(input);
  const problems: Problem[] = [];
  const name = who(input);
  const where = `${writerFor(input.client).topKey}."${input.serverName}"`;

  if (p.disabled) problems.push({ status: 'warn', finding: `The entry is disabled ("disabled": true): ${name} does not start it.`, fix: `Set "disabled": false in ${where} (or enable the server in ${name}'s MCP panel).` });

  if (!p.command) {
    if (p.url !== undefined) return checkNativeEntry(input, p, entry, problems);
    problems.push({ status: 'fail', finding: `The entry has no "command": ${name} cannot start it.`, fix: missingEntryFix(input) });
    return fromProblems(base, problems, '');
  }

  // Can the client start the command, with only the entry's env (Kiro passes none of its own)? POSIX or Windows rules.
  const launchProblems = await commandProblems(p, {
    name,
    where,
    env: input.env,
    ...(input.platform ? { platform: input.platform } : {}),
    ...(input.isExecutable ? { isExecutable: input.isExecutable } : {}),
  });
  problems.push(...launchProblems);
  if (p.launch.problem) return fromProblems(base, problems, '');

  if (!p.runsMcpRemote) {
    problems.push({ status: 'fail', finding: `The entry does not run mcp-remote (${p.command} ${p.args.slice(0, 3).join(' ')}…).`, fix: 'Run `agentcore-auth init` to write the mcp-remote entry for this gateway.' });
    return fromProblems(base, problems, '');
  }
  if (p.version === null) {
    problems.push({ status: 'warn', finding: 'mcp-remote is not pinned to a version: npx runs whatever is newest, which can change the cache layout and flags.', fix: `Use "mcp-remote@${MCP_REMOTE_VERSION}" in args.` });
  } else if (p.version !== MCP_REMOTE_VERSION) {
    problems.push({ status: 'warn', finding: `The entry runs mcp-remote ${p.version}; agentcore-auth is tested with ${MCP_REMOTE_VERSION}.`, fix: `Use "mcp-remote@${MCP_REMOTE_VERSION}" in args.` });
  }

  if (!p.serverUrl) {
    problems.push({ status: 'fail', finding: 'mcp-remote is given no server URL.', fix: `Put ${input.gatewayUrl} right after the mcp-remote package in args.` });
  } else if (p.serverUrl !== input.gatewayUrl) {
    problems.push({
      status: 'fail',
      finding: `The entry's server URL ${p.serverUrl} is not the gateway URL ${input.gatewayUrl}: ${describeUrlDifference(p.serverUrl, input.gatewayUrl)} (mcp-remote uses the URL exactly as typed).`,
      fix: `Replace the URL in args with ${input.gatewayUrl}.`,
    });
  }

  if (input.callbackPort !== undefined) {
    if (p.specifiedPort === undefined) {
      problems.push({
        status: 'fail',
        finding: `No callback port is given (the argument after the URL), so mcp-remote derives ${p.effectivePort ?? 'one'} from the URL instead of ${input.callbackPort}, the one registered at the IdP.`,
        fix: `Put "${input.callbackPort}" right after the server URL in args.`,
      });
    } else if (p.specifiedPort !== input.callbackPort) {
      problems.push({
        status: 'fail',
        finding: `The callback port in the entry is ${p.specifiedPort}, not ${input.callbackPort}: the redirect goes to http://localhost:${p.specifiedPort}${p.callbackPath}.`,
        fix: `Use ${input.callbackPort} as the argument after the URL (or register http://localhost:${p.specifiedPort}${p.callbackPath} at the IdP instead).`,
      });
    }
  }

  if (p.host === undefined) {
    problems.push({ status: 'warn', finding: 'No --host: on Windows mcp-remote then redirects to 127.0.0.1, which does not match a localhost redirect URI.', fix: 'Add "--host", "localhost" to args.' });
  } else if (p.host !== 'localhost') {
    problems.push({ status: 'warn', finding: `--host is ${p.host}: the redirect URI is http://${p.host}:…${p.callbackPath}, so the IdP must have exactly that registered.`, fix: 'Use "--host", "localhost" (what agentcore-auth registers).' });
  }

  if (p.clientInfo.kind === 'absent') {
    problems.push({
      status: 'fail',
      finding: 'No --static-oauth-client-info: mcp-remote tries dynamic client registration, which the gateway\'s IdP does not offer.',
      fix: `Add "--static-oauth-client-info", ${JSON.stringify(JSON.stringify({ client_id: input.clientId ?? '<client id>' }))} to args.`,
    });
  } else if (p.clientInfo.kind === 'invalid') {
    problems.push({ status: 'fail', finding: `--static-oauth-client-info cannot be read (${p.clientInfo.why}): mcp-remote stops at start.`, fix: `Give it as JSON: {"client_id":"${input.clientId ?? '<client id>'}"}.` });
  } else if (!p.clientInfo.clientId) {
    problems.push({ status: 'fail', finding: '--static-oauth-client-info has no client_id.', fix: `Give it as {"client_id":"${input.clientId ?? '<client id>'}"}.` });
  } else if (input.clientId && p.clientInfo.clientId !== input.clientId) {
    problems.push({
      status: 'fail',
      finding: `The entry signs in as client ${p.clientInfo.clientId}, not ${input.clientId}: the IdP rejects the redirect for an app it does not know, or the gateway rejects that client's tokens.`,
      fix: `Set --static-oauth-client-info to {"client_id":"${input.clientId}"}.`,
    });
  }

  const required = input.scopes ?? [];
  if (p.clientMetadata.kind === 'invalid') {
    problems.push({ status: 'fail', finding: `--static-oauth-client-metadata cannot be read (${p.clientMetadata.why}): mcp-remote stops at start.`, fix: `Give it as JSON: {"scope":"${required.join(' ') || 'openid profile email offline_access'}"}.` });
  } else {
    const scope = p.clientMetadata.kind === 'ok' ? p.clientMetadata.scope : undefined;
    if (scope === undefined) {
      problems.push({
        status: 'warn',
        finding: 'No scope in --static-oauth-client-metadata: mcp-remote then chooses one itself (the gateway\'s scopes_supported, else every scope the authorization server lists, else "openid email profile"), which the IdP app may refuse.',
        fix: `Add "--static-oauth-client-metadata", ${JSON.stringify(JSON.stringify({ scope: required.join(' ') || 'openid profile email offline_access' }))} to args.`,
      });
    } else {
      const have = new Set(scope.split(/\s+/).filter(Boolean));
      const missing = required.filter((s) => !have.has(s) && s !== 'offline_access');
      if (missing.length) {
        problems.push({ status: 'fail', finding: `The entry's scope "${scope}" lacks ${missing.join(', ')}.`, fix: `Set the scope in --static-oauth-client-metadata to "${required.join(' ')}".` });
      }
      if (!have.has('offline_access')) {
        problems.push({ status: 'warn', finding: `The entry's scope "${scope}" lacks offline_access: no refresh token, so the browser opens again whenever the access token expires.`, fix: 'Add offline_access to the scope in --static-oauth-client-metadata.', tag: 'no-refresh' });
      }
    }
  }

  const launcherWords = p.launch.shell && p.launch.program ? `${baseName(p.command ?? 'cmd')} /c ${baseName(p.launch.program)}` : p.command ? baseName(p.command) : '';
  const summary = `${launcherWords} mcp-remote@${p.version ?? '?'} ${p.serverUrl ?? ''}, port ${p.effectivePort ?? '?'}, client ${p.clientInfo.kind === 'ok' ? (p.clientInfo.clientId ?? '?') : '?'}`;
  const result = fromProblems(base, problems, `${input.configPath}: ${summary.trim()}; env has PATH and HOME.`);
  return { ...result, details: { configPath: input.configPath, serverUrl: p.serverUrl, callbackPort: p.effectivePort, host: p.host, version: p.version } };
}

// ---------------------------------------------------------------------------------------------
// redirect-uri

/** How a registered URI differs from the expected one, in words ("path /callback instead of /oauth/callback"). */
function redirectDifferences(registered: string, expected: URL): string[] | null {
  let r: URL;
  try {
    r = new URL(registered);
  } catch {
    return null;
  }
  const diffs: string[] = [];
  if (r.protocol !== expected.protocol) diffs.push(`${r.protocol.slice(0, -1)} instead of ${expected.protocol.slice(0, -1)}`);
  if (r.hostname !== expected.hostname) diffs.push(`host ${r.hostname} instead of ${expected.hostname}`);
  const rPort = r.port || (r.protocol === 'https:' ? '443' : '80');
  if (rPort !== expected.port) diffs.push(r.port ? `port ${r.port} instead of ${expected.port}` : `no port (mcp-remote uses ${expected.port})`);
  if (r.pathname !== expected.pathname) {
    if (r.pathname === `${expected.pathname}/`) diffs.push('a trailing slash');
    else diffs.push(`path ${r.pathname} instead of ${expected.pathname}`);
  }
  if (r.search || r.hash) diffs.push('a query or fragment');
  return diffs;
}

function checkRedirectUri(input: ClientConfigInput, p: ParsedMcpRemoteEntry | undefined): CheckResult {
  const base = { id: 'redirect-uri', stage: 'config', title: TITLES.redirect } as const;
  if (!input.registeredRedirectUris) return skipped(base.id, base.stage, base.title, "Skipped: the IdP app's redirect URIs are not known here.");
  const port = p?.effectivePort ?? input.callbackPort;
  if (!port) return skipped(base.id, base.stage, base.title, 'Skipped: no callback port is known.');
  const host = p?.host ?? defaultCallbackHost();
  const path = p?.callbackPath ?? MCP_REMOTE_CALLBACK_PATH;
  const expectedText = `http://${host}:${port}${path}`;
  let expected: URL;
  try {
    expected = new URL(expectedText);
  } catch {
    return { ...base, status: 'fail', finding: `mcp-remote's redirect URI ${expectedText} is not a valid URL.`, fix: 'Use "--host", "localhost" in the entry.' };
  }
  const registered = input.registeredRedirectUris;
  if (registered.includes(expectedText)) {
    return { ...base, status: 'pass', finding: `${expectedText} is registered.`, details: { expected: expectedText, registered } };
  }
  const fix = registerRedirectFix(expectedText);
  if (!registered.length) {
    return { ...base, status: 'fail', finding: `The IdP app has no redirect URIs; mcp-remote redirects to ${expectedText}.`, fix, details: { expected: expectedText, registered } };
  }
  // The closest registered URI explains the classic mistakes.
  let best: { uri: string; diffs: string[] } | undefined;
  for (const uri of registered) {
    const diffs = redirectDifferences(uri, expected);
    if (diffs && (!best || diffs.length < best.diffs.length)) best = { uri, diffs };
  }
  const closest = best && best.diffs.length <= 2 ? ` The closest, ${best.uri}, has ${best.diffs.join(' and ')}.` : '';
  if (best && best.diffs.length === 1 && best.diffs[0]!.startsWith('port ')) {
    // RFC 8252 §7.3: some IdPs (oidc-provider for native apps, Entra for localhost) accept any loopback port;
    // Okta, Cognito and Auth0 compare the whole URI.
    const strict = { okta: 'Okta', cognito: 'Amazon Cognito', auth0: 'Auth0' }[input.provider ?? ''];
    if (strict) {
      return {
        ...base,
        status: 'fail',
        finding: `${expectedText} is registered only with another port (${best.uri}), and ${strict} compares the whole redirect URI, port included: it refuses the sign-in.`,
        fix,
        details: { expected: expectedText, registered },
      };
    }
    return {
      ...base,
      status: 'warn',
      finding: `${expectedText} is registered only with another port (${best.uri}): IdPs that allow any loopback port accept it, Okta, Cognito and Auth0 refuse the sign-in.`,
      fix,
      details: { expected: expectedText, registered },
    };
  }
  return {
    ...base,
    status: 'fail',
    finding: `The IdP app's redirect URIs (${registered.join(', ')}) do not include ${expectedText}, where mcp-remote receives the sign-in; the IdP refuses the sign-in.${closest}`,
    fix,
    details: { expected: expectedText, registered },
  };
}

// ---------------------------------------------------------------------------------------------
// callback-port

async function checkCallbackPort(input: ClientConfigInput, p: ParsedMcpRemoteEntry | undefined): Promise<CheckResult> {
  const base = { id: 'callback-port', stage: 'config', title: TITLES.port } as const;
  const port = p?.effectivePort ?? input.callbackPort;
  if (!port) return skipped(base.id, base.stage, base.title, 'Skipped: no callback port is known.');
  const hash = p?.hash ?? mcpRemoteServerHash(input.gatewayUrl);
  const timeoutMs = input.timeoutMs ?? 1_000;
  const host = p?.host ?? defaultCallbackHost();
  const v4 = await tryListen(port, '127.0.0.1');
  const details = { port, '127.0.0.1': v4 } as Record<string, unknown>;
  const changePort = `or choose another port (agentcore-auth init --callback-port <port>: it registers the new redirect URI too)`;
  if (v4 === 'denied') {
    return { ...base, status: 'fail', finding: `Port ${port} cannot be opened by a normal user here (permission denied): mcp-remote cannot receive the sign-in.`, fix: `Use a port above 1024: ${changePort}.`, details };
  }
  if (v4 === 'busy') {
    const holder = await whoHolds(port, '127.0.0.1', timeoutMs);
    details.holder = holder.mcpRemote ? (holder.serverUrlHash === hash ? 'mcp-remote (this server)' : 'mcp-remote (another server)') : 'another program';
    if (holder.mcpRemote && holder.serverUrlHash === hash) {
      return {
        ...base,
        status: 'warn',
        finding: `127.0.0.1:${port} is held by mcp-remote for this very server: a sign-in is under way (Kiro is running it and waits for the browser).`,
        fix: 'Finish the sign-in in the browser that opened, or restart the server in Kiro.',
        details,
      };
    }
    if (holder.mcpRemote) {
      return {
        ...base,
        status: 'fail',
        finding: `127.0.0.1:${port} is held by mcp-remote for another server: two servers share this callback port, so their sign-ins collide.`,
        fix: `Give each server its own callback port: ${changePort}.`,
        details,
      };
    }
    return {
      ...base,
      status: 'fail',
      finding: `127.0.0.1:${port} is in use by another program: when it needs a sign-in, mcp-remote stops with "Callback port ${port} is already in use".`,
      fix: `Stop whatever listens there (lsof -nP -iTCP:${port} -sTCP:LISTEN), ${changePort}.`,
      details,
    };
  }
  if (host === 'localhost') {
    const v6 = await tryListen(port, '::1');
    details['::1'] = v6;
    if (v6 === 'busy') {
      return {
        ...base,
        status: 'warn',
        finding: `[::1]:${port} is in use by another program: a browser that resolves localhost to ::1 delivers the sign-in there, not to mcp-remote (which listens on 127.0.0.1).`,
        fix: `Stop whatever listens on [::1]:${port} (lsof -nP -iTCP:${port} -sTCP:LISTEN), ${changePort}.`,
        details,
      };
    }
  }
  return { ...base, status: 'pass', finding: `Port ${port} is free for mcp-remote's callback.`, details };
}

// ---------------------------------------------------------------------------------------------
// mcp-remote-cache

/** Which client a JWT access token was issued to: client_id (Cognito, RFC 9068), azp (Entra v2, Auth0), cid (Okta), appid (Entra v1). */
function tokenClient(payload: Record<string, unknown>): { claim: string; value: string } | undefined {
  for (const claim of ['client_id', 'azp', 'cid', 'appid']) {
    const v = payload[claim];
    if (typeof v === 'string' && v) return { claim, value: v };
  }
  return undefined;
}

function sameIssuer(a: string, b: string): boolean {
  return a === b;
}

async function readJsonFileSafe(path: string): Promise<{ value?: Record<string, unknown>; error?: string }> {
  try {
    const text = await readTextIfExists(path, { what: 'mcp-remote cache file' });
    if (text === null) return { error: 'it no longer exists' };
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? { value: v as Record<string, unknown> } : { error: 'not a JSON object' };
  } catch (err) {
    return { error: err instanceof SyntaxError ? 'not valid JSON' : errorMessage(err) };
  }
}

function ago(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

async function checkCache(input: ClientConfigInput, p: ParsedMcpRemoteEntry | undefined): Promise<CheckResult> {
  const base = { id: 'mcp-remote-cache', stage: 'config', title: TITLES.cache } as const;
  if (p?.headerFile !== undefined) {
    return skipped(base.id, base.stage, base.title, `Skipped: the entry reads headers from ${p.headerFile} (--header-file), and they change the cache file names.`);
  }
  const serverUrl = p?.serverUrl ?? input.gatewayUrl;
  const cacheEnv = mcpRemoteCacheEnv(p?.env ?? {}, input.env);
  let files: string[];
  try {
    files = await mcpRemoteCacheFiles(serverUrl, p?.hashOpts ?? {}, cacheEnv);
  } catch (err) {
    return { ...base, status: 'warn', finding: `Cannot read mcp-remote's cache: ${errorMessage(err)}.`, fix: 'Make the cache folder readable (or delete it).' };
  }
  const hash = mcpRemoteServerHash(serverUrl, p?.hashOpts ?? {});
  const dir = files[0] ? dirname(files[0]) : join(cacheEnv.MCP_REMOTE_CONFIG_DIR || join(cacheEnv.HOME || homedir(), '.mcp-auth'), 'mcp-remote-v1');
  const details: Record<string, unknown> = { dir, hash, files: files.map((f) => basename(f)) };
  if (!files.length) {
    return { ...base, status: 'pass', finding: `No cached login for this server yet (${dir}); the first tool call opens the browser.`, details };
  }
  const rmFix = `Delete this server's cached login: rm -f ${files.map(shellQuote).join(' ')} (then the next tool call in Kiro signs in again).`;
  const problems: Problem[] = [];
  const now = (input.now ?? Date.now)();
  const expectedClient = input.clientId ?? (p?.clientInfo.kind === 'ok' ? p.clientInfo.clientId : undefined);

  const infoFile = files.find((f) => basename(f) === `${hash}_client_info.json`);
  // With --static-oauth-client-info, mcp-remote 0.15.1 never reads a cached client_info.json: a leftover one is harmless.
  if (infoFile && expectedClient && p?.clientInfo.kind !== 'ok') {
    const info = await readJsonFileSafe(infoFile);
    const cached = typeof info.value?.client_id === 'string' ? info.value.client_id : undefined;
    if (info.error) problems.push({ status: 'warn', finding: `${basename(infoFile)} is unreadable (${info.error}).`, fix: rmFix });
    else if (cached && cached !== expectedClient) {
      problems.push({ status: 'fail', finding: `The cached client registration is for client ${cached}, not ${expectedClient}: a stale login from an earlier setup.`, fix: rmFix });
    }
  }

  const tokensFile = files.find((f) => basename(f) === `${hash}_tokens.json`);
  let tokenSummary = '';
  if (tokensFile) {
    const t = await readJsonFileSafe(tokensFile);
    if (t.error || !t.value) {
      problems.push({ status: 'warn', finding: `${basename(tokensFile)} is unreadable (${t.error ?? 'empty'}): mcp-remote will sign in again.`, fix: rmFix });
    } else {
      const tokens = t.value;
      const access = typeof tokens.access_token === 'string' ? decodeJwtClaims(tokens.access_token) : null;
      if (access) {
        const client = tokenClient(access.payload);
        if (client && expectedClient && client.value !== expectedClient) {
          problems.push({ status: 'fail', finding: `The cached access token was issued to client ${client.value} (${client.claim}), not ${expectedClient}: a stale login that the gateway rejects.`, fix: rmFix });
        }
        const iss = access.payload.iss;
        if (input.issuer && typeof iss === 'string' && !sameIssuer(iss, input.issuer)) {
          if (/^https:\/\/sts\.windows\.net\//.test(iss) && /login\.microsoftonline\.com\/.*\/v2\.0\/?$/.test(input.issuer)) {
            problems.push({
              status: 'fail',
              finding: `The cached access token is an Entra v1 token (issuer ${iss}), which the gateway, expecting ${input.issuer}, rejects.`,
              fix: `Set "api.requestedAccessTokenVersion": 2 in the Entra app's manifest, then: ${rmFix}`,
            });
          } else {
            problems.push({ status: 'fail', finding: `The cached access token comes from issuer ${iss}, not ${input.issuer}: a stale login from another identity provider.`, fix: rmFix });
          }
        }
      }
      if (input.issuer && typeof tokens.issuer === 'string' && !sameIssuer(tokens.issuer, input.issuer) && !problems.some((x) => x.finding.includes('issuer'))) {
        problems.push({ status: 'fail', finding: `The cached login is from issuer ${tokens.issuer}, not ${input.issuer}: stale.`, fix: rmFix });
      }
      const expiresAt = typeof tokens.expires_at === 'number' ? tokens.expires_at : typeof access?.payload.exp === 'number' ? access.payload.exp * 1000 : undefined;
      const accessExpired = expiresAt !== undefined && expiresAt <= now;
      if (typeof tokens.refresh_token !== 'string' || !tokens.refresh_token) {
        problems.push({
          status: 'warn',
          finding: `The cached login has no refresh token${accessExpired ? ` and its access token expired ${ago(now - expiresAt!)} ago` : ''}: mcp-remote opens the browser again whenever the access token expires.`,
          fix: 'Ask for offline_access in the entry\'s scope (and allow the refresh token grant for the IdP app), then sign in again.',
        });
      } else {
        const refresh = decodeJwtClaims(tokens.refresh_token);
        const rexp = typeof refresh?.payload.exp === 'number' ? refresh.payload.exp * 1000 : undefined;
        if (rexp !== undefined && rexp <= now) {
          problems.push({
            status: 'warn',
            finding: `The cached refresh token expired ${ago(now - rexp)} ago: mcp-remote will open the browser again${accessExpired ? ' at the next tool call' : ' when the access token expires'}.`,
            fix: rmFix,
          });
        }
      }
      tokenSummary = expiresAt !== undefined ? (accessExpired ? `access token expired ${ago(now - expiresAt)} ago (refreshed on next use)` : `access token valid for ${ago(expiresAt - now)}`) : 'tokens cached';
    }
  }

  if (process.platform !== 'win32') {
    const loose: string[] = [];
    for (const f of files) {
      try {
        const mode = (await stat(f)).mode & 0o777;
        if (mode & 0o077) loose.push(`${basename(f)} (${mode.toString(8)})`);
      } catch {
        /* vanished meanwhile */
      }
    }
    if (loose.length) {
      problems.push({ status: 'warn', finding: `Cache files readable by others: ${loose.join(', ')}; mcp-remote writes them 0600.`, fix: `chmod 600 ${files.map(shellQuote).join(' ')}` });
    }
  }
  const result = fromProblems(base, problems, `Cached login for this server in ${dir}${tokenSummary ? `: ${tokenSummary}` : ''}.`);
  return { ...result, details };
}

// ---------------------------------------------------------------------------------------------

/** The client-side checks, in order: client-entry, redirect-uri, callback-port, mcp-remote-cache. */
export async function checkClientConfig(input: ClientConfigInput): Promise<CheckResult[]> {
  const read = await readEntry(input);
  let parsed: ParsedMcpRemoteEntry | undefined;
  let entryResult: CheckResult;
  if (read.kind === 'fail') {
    entryResult = read.result;
  } else {
    parsed = await parseMcpRemoteEntry(read.entry);
    entryResult = await checkEntry(input, parsed, read.entry);
  }
  if (input.entryOnly) return [entryResult];
  // An entry that is not mcp-remote tells nothing about the callback or the cache: use the inputs alone.
  const mr = parsed?.runsMcpRemote ? parsed : undefined;
  const [port, cache] = await Promise.all([checkCallbackPort(input, mr), checkCache(input, mr)]);
  return [entryResult, checkRedirectUri(input, mr), port, cache];
}
