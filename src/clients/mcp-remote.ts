/**
 * mcp-remote (the stdio-to-HTTP OAuth bridge, pinned): its command line and its token cache.
 *
 * Everything here mirrors mcp-remote 0.15.1's own code (dist/chunk-*.js: parseCommandLineArgs,
 * getServerUrlHash, getConfigDir, getConfigFilePath); test/unit/mcp-remote.test.ts checks it against
 * that code. Pure node: modules only.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isErrnoCode, readTextIfExists } from '../core/fs.js';

export const MCP_REMOTE_VERSION = '0.15.1';
export const MCP_REMOTE_PACKAGE = `mcp-remote@${MCP_REMOTE_VERSION}`;
/** `mcp-remote-v${CONFIG_STORE_VERSION}`: the cache layout version, not the package version. */
export const MCP_REMOTE_CACHE_SUBDIR = 'mcp-remote-v1';
/** mcp-remote's DEFAULT_CALLBACK_PATH. */
export const MCP_REMOTE_CALLBACK_PATH = '/oauth/callback';

export interface McpRemoteArgsInput {
  gatewayUrl: string;
  callbackPort: number;
  host: 'localhost';
  clientId: string;
  scopes: string[];
  /** Appended as is, e.g. ['--resource', url], ['--disable-resource-parameter'], ['--header', 'Name: value']. */
  extraArgs?: string[];
}

/** The arguments after `npx`: `-y mcp-remote@0.15.1 <url> <port> --host localhost --static-oauth-client-info ...`. */
export function buildMcpRemoteArgs(input: McpRemoteArgsInput): string[] {
  if (!Number.isInteger(input.callbackPort) || input.callbackPort < 1 || input.callbackPort > 65535) {
    throw new RangeError(`callbackPort must be an integer 1-65535, got ${input.callbackPort}`);
  }
  return [
    '-y',
    MCP_REMOTE_PACKAGE,
    input.gatewayUrl,
    String(input.callbackPort),
    '--host',
    input.host,
    '--static-oauth-client-info',
    JSON.stringify({ client_id: input.clientId }),
    '--static-oauth-client-metadata',
    JSON.stringify({ scope: input.scopes.join(' ') }),
    ...(input.extraArgs ?? []),
  ];
}

/** The redirect URI mcp-remote uses, to register exactly at the IdP: `http://localhost:PORT/oauth/callback`. */
export function mcpRemoteRedirectUri(callbackPort: number, host = 'localhost'): string {
  return `http://${host}:${callbackPort}${MCP_REMOTE_CALLBACK_PATH}`;
}

/** The request options that mcp-remote folds into the per-server hash (besides the server URL). */
export interface McpRemoteHashOptions {
  /** --resource value (ignored by mcp-remote when --disable-resource-parameter is given). */
  resource?: string;
  /** --header Name:value pairs, before ${VAR} expansion (mcp-remote hashes the raw values). */
  headers?: Record<string, string>;
  /** --authorize-param key=value pairs. */
  authorizeParams?: Record<string, string>;
  /** --client-metadata-url (only https URLs with a path count). */
  clientMetadataUrl?: string;
  /** --token-endpoint (only with --client-credentials). */
  tokenEndpoint?: string;
}

/**
 * The per-server file prefix in the cache, exactly as mcp-remote's getServerUrlHash computes it:
 * md5 hex of `[serverUrl, resource?, JSON(authorizeParams sorted)?, JSON(headers sorted)?,
 * clientMetadataUrl?, tokenEndpoint?].join('|')`. The URL is used as typed (no normalisation).
 */
export function mcpRemoteServerHash(gatewayUrl: string, opts: McpRemoteHashOptions = {}): string {
  const parts = [gatewayUrl];
  if (opts.resource) parts.push(opts.resource);
  if (opts.authorizeParams && Object.keys(opts.authorizeParams).length > 0) {
    parts.push(JSON.stringify(opts.authorizeParams, Object.keys(opts.authorizeParams).sort()));
  }
  if (opts.headers && Object.keys(opts.headers).length > 0) {
    parts.push(JSON.stringify(opts.headers, Object.keys(opts.headers).sort()));
  }
  if (opts.clientMetadataUrl) parts.push(opts.clientMetadataUrl);
  if (opts.tokenEndpoint) parts.push(opts.tokenEndpoint);
  return createHash('md5').update(parts.join('|')).digest('hex');
}

/**
 * The server URL and hash options from an mcp-remote command line (as in a client config entry), parsed
 * the way mcp-remote 0.15.1 parses them. Accepts the args with or without the leading `-y mcp-remote@x`.
 * `--header-file` is not read (its headers would change the hash): `headerFile` reports it.
 */
export function mcpRemoteHashInputFromArgs(argv: readonly string[]): {
  serverUrl: string | undefined;
  opts: McpRemoteHashOptions;
  headerFile?: string;
} {
  let args = [...argv];
  const pkgIndex = args.findIndex((a) => a === 'mcp-remote' || a.startsWith('mcp-remote@'));
  if (pkgIndex !== -1) args = args.slice(pkgIndex + 1);

  const headers: Record<string, string> = {};
  let headerFile: string | undefined;
  for (let i = 0; i < args.length; ) {
    if (args[i] === '--header' && i < args.length - 1) {
      const m = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(args[i + 1]!);
      if (m) headers[m[1]!] = m[2]!;
      args.splice(i, 2);
      continue;
    }
    if (args[i] === '--header-file' && i < args.length - 1) {
      headerFile = args[i + 1];
      args.splice(i, 2);
      continue;
    }
    i++;
  }
  const valueOf = (flag: string): string | undefined => {
    const idx = args.indexOf(flag);
    return idx !== -1 && idx < args.length - 1 ? args[idx + 1] : undefined;
  };

  let resource: string | undefined;
  let skipResource = args.includes('--disable-resource-parameter');
  const resourceValue = valueOf('--resource');
  if (resourceValue !== undefined) {
    const v = resourceValue.trim();
    if (v.length === 0) skipResource = true;
    else resource = v;
  }
  if (skipResource) resource = undefined;

  const authorizeParams: Record<string, string> = {};
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] !== '--authorize-param') continue;
    const raw = args[i + 1]!;
    const sep = raw.indexOf('=');
    if (sep < 1) continue; // mcp-remote refuses to start with such a value
    authorizeParams[raw.slice(0, sep).trim()] = raw.slice(sep + 1);
  }

  let clientMetadataUrl: string | undefined;
  const cmu = valueOf('--client-metadata-url')?.trim();
  if (cmu) {
    try {
      const u = new URL(cmu);
      if (u.protocol === 'https:' && u.pathname !== '/') clientMetadataUrl = cmu;
    } catch {
      /* ignored by mcp-remote too */
    }
  }

  let tokenEndpoint: string | undefined;
  const te = valueOf('--token-endpoint');
  if (te !== undefined && args.includes('--client-credentials')) {
    try {
      tokenEndpoint = new URL(te.trim()).toString();
    } catch {
      /* mcp-remote refuses to start */
    }
  }

  const opts: McpRemoteHashOptions = {};
  if (resource) opts.resource = resource;
  if (Object.keys(headers).length > 0) opts.headers = headers;
  if (Object.keys(authorizeParams).length > 0) opts.authorizeParams = authorizeParams;
  if (clientMetadataUrl) opts.clientMetadataUrl = clientMetadataUrl;
  if (tokenEndpoint) opts.tokenEndpoint = tokenEndpoint;
  return { serverUrl: args[0], opts, ...(headerFile !== undefined ? { headerFile } : {}) };
}

type EnvLike = Record<string, string | undefined>;

/** `${MCP_REMOTE_CONFIG_DIR || $HOME/.mcp-auth}/mcp-remote-v1`, as mcp-remote's getConfigDir. */
export function mcpRemoteCacheDir(env: EnvLike = process.env): string {
  const base = env.MCP_REMOTE_CONFIG_DIR || join(env.HOME || homedir(), '.mcp-auth');
  return join(base, MCP_REMOTE_CACHE_SUBDIR);
}

/**
 * This server's files in mcp-remote's cache (tokens, client info, code verifiers, discovery state,
 * refresh lease, debug log...): every file named `<hash>_*`. Never another server's. Sorted absolute paths.
 */
export async function mcpRemoteCacheFiles(
  gatewayUrl: string,
  opts: McpRemoteHashOptions = {},
  env: EnvLike = process.env,
): Promise<string[]> {
  const dir = mcpRemoteCacheDir(env);
  const prefix = `${mcpRemoteServerHash(gatewayUrl, opts)}_`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT') || isErrnoCode(err, 'ENOTDIR')) return [];
    throw err;
  }
  return names
    .filter((n) => n.startsWith(prefix))
    .sort()
    .map((n) => join(dir, n));
}

/** The shape of `<hash>_tokens.json` (OAuth token response + mcp-remote's bookkeeping). Secrets: never print. */
export interface McpRemoteTokens {
  access_token?: string;
  token_type?: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
  scope?: string;
  expires_at?: number;
  requested_scope?: string;
  issuer?: string;
  [key: string]: unknown;
}

/** The cached tokens for this server, or null (no file, or not a JSON object). */
export async function readMcpRemoteTokens(
  gatewayUrl: string,
  opts: McpRemoteHashOptions = {},
  env: EnvLike = process.env,
): Promise<McpRemoteTokens | null> {
  const file = join(mcpRemoteCacheDir(env), `${mcpRemoteServerHash(gatewayUrl, opts)}_tokens.json`);
  const text = await readTextIfExists(file);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    return value as McpRemoteTokens;
  } catch {
    return null;
  }
}

/**
 * What a sign-in through these mcp-remote args sends beyond the defaults, so verify's test login asks exactly
 * what the client will ask: no resource (--disable-resource-parameter), another resource, extra parameters.
 */
export function loginParamsFromArgs(args: readonly string[]): { disableResource: boolean; resource?: string; authorizeParams?: Record<string, string> } {
  const { opts } = mcpRemoteHashInputFromArgs(['mcp-remote', 'https://placeholder.invalid/mcp', ...args.filter((a) => !/^mcp-remote(@|$)/.test(a))]);
  const disableResource = args.includes('--disable-resource-parameter') || (args.includes('--resource') && !opts.resource);
  return {
    disableResource,
    ...(opts.resource ? { resource: opts.resource } : {}),
    ...(opts.authorizeParams && Object.keys(opts.authorizeParams).length ? { authorizeParams: opts.authorizeParams } : {}),
  };
}

/** Where mcp-remote's scope came from (see mcpRemoteScope). */
export type McpRemoteScopeSource = 'entry' | 'challenge' | 'prm' | 'as' | 'fallback';

/** mcp-remote's FALLBACK_SCOPE: asked when nothing else names a scope. */
export const MCP_REMOTE_FALLBACK_SCOPE = ['openid', 'email', 'profile'];

/**
 * The scope mcp-remote 0.15.1 asks for at its first sign-in (its provider's requestedScope/getEffectiveScope,
 * then the SDK's determineScope), measured against the package itself (test/e2e/verify-entry.test.ts):
 * - the entry's --static-oauth-client-metadata scope, exactly as written;
 * - else the 401 challenge's scope, else the protected resource metadata's scopes_supported, else every scope
 *   the authorization server's metadata lists (scopes_supported), else "openid email profile";
 * - and, when the scope was not the entry's, offline_access is appended when the authorization server lists it.
 * An empty list where one is published means no scope parameter at all.
 */
export function mcpRemoteScope(input: { entryScope?: string; challengeScope?: string; prmScopes?: unknown; asScopes?: unknown }): { scopes: string[]; from: McpRemoteScopeSource; addedOfflineAccess?: boolean } {
  const words = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : undefined);
  const entry = words(input.entryScope);
  if (entry.length) return { scopes: entry, from: 'entry' };
  const asScopes = list(input.asScopes);
  const prmScopes = list(input.prmScopes);
  const challenge = words(input.challengeScope);
  const [scopes, from]: [string[], McpRemoteScopeSource] = challenge.length
    ? [challenge, 'challenge']
    : prmScopes
      ? [prmScopes, 'prm']
      : asScopes
        ? [asScopes, 'as']
        : [[...MCP_REMOTE_FALLBACK_SCOPE], 'fallback'];
  if (scopes.length && asScopes?.includes('offline_access') && !scopes.includes('offline_access')) return { scopes: [...scopes, 'offline_access'], from, addedOfflineAccess: true };
  return { scopes, from };
}
