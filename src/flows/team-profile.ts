/**
 * The team profile: the small, secret-free JSON file an admin's `init` writes so that every developer can run
 * `agentcore-auth connect --profile <file>` without IdP or AWS rights. It holds what an MCP client entry needs
 * (gateway URL, client id, scopes, callback port, server name, the IdP-specific mcp-remote flags) and what
 * verify uses to explain failures (issuer, provider, resource). Nothing here is a secret: a public client's id
 * and a gateway URL are what any client sends anyway.
 *
 * A profile can come from a file or an https URL (http only on loopback). Its mcp-remote flags are limited to
 * an allow-list, so a tampered profile cannot make the entry send headers or read local files.
 */
import { CLAIM_NAME_PATTERN, CLAIM_VALUE_PATTERN, SCOPE_PATTERN, type ClaimRequirement } from '../authorizer/access.js';
import { isLoopbackHost, requireSecureUrl } from '../core/net.js';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { CliError, UsageError } from '../core/errors.js';
import { ensureDir, readTextIfExists, writeFileAtomic } from '../core/fs.js';

const TEAM_PROFILE_FILE = 'agentcore-auth.team.json';

export const TEAM_PROFILE_VERSION = 1;

export interface TeamProfile {
  version: number;
  gatewayUrl: string;
  clientId: string;
  /** The IdP's issuer (verify and cleanup revoke the developer's tokens there). */
  issuer?: string;
  provider?: string;
  scopes: string[];
  callbackPort: number;
  /** Only the IdP-specific flags (e.g. --disable-resource-parameter, --authorize-param audience=...). */
  mcpRemoteArgs: string[];
  serverName: string;
  /** The RFC 8707 resource the IdP needs, when it differs from the gateway URL. */
  resource?: string;
  /** Who may use the gateway: its allowedScopes and claim rules (not the client pin), so connect can tell a developer. */
  access?: ProfileAccess;
}

export interface ProfileAccess {
  allowedScopes?: string[];
  rules?: ClaimRequirement[];
}

/** A profile's access rules, checked as AgentCore would accept them: the words shown are built from these, never read. */
function validateAccess(raw: unknown, source: string): ProfileAccess {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(source, '"access" is not an object');
  const a = raw as Record<string, unknown>;
  const out: ProfileAccess = {};
  if (a.allowedScopes !== undefined) {
    if (!Array.isArray(a.allowedScopes) || !a.allowedScopes.every((x) => typeof x === 'string' && SCOPE_PATTERN.test(x))) fail(source, '"access.allowedScopes" is not a list of scopes');
    out.allowedScopes = a.allowedScopes as string[];
  }
  if (a.rules !== undefined) {
    if (!Array.isArray(a.rules)) fail(source, '"access.rules" is not a list');
    out.rules = a.rules.map((r: unknown) => {
      const x = (r ?? {}) as Record<string, unknown>;
      const ok =
        typeof x.claim === 'string' && CLAIM_NAME_PATTERN.test(x.claim) &&
        (x.op === 'EQUALS' || x.op === 'CONTAINS' || x.op === 'CONTAINS_ANY') &&
        Array.isArray(x.values) && x.values.length > 0 && x.values.length <= 100 && x.values.every((v) => typeof v === 'string' && CLAIM_VALUE_PATTERN.test(v));
      if (!ok) fail(source, '"access.rules" holds a rule AgentCore would not accept');
      return { claim: x.claim as string, op: x.op as ClaimRequirement['op'], values: x.values as string[] };
    });
  }
  return out;
}

/** mcp-remote flags a profile may carry: flag -> takes a value. */
export const PROFILE_MCP_REMOTE_FLAGS: Record<string, boolean> = {
  '--disable-resource-parameter': false,
  '--resource': true,
  '--authorize-param': true,
  '--transport': true,
};

/** Refuse anything but the allow-listed flags (and their values). */
export function checkMcpRemoteArgs(args: string[], source: string): string[] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!Object.prototype.hasOwnProperty.call(PROFILE_MCP_REMOTE_FLAGS, a)) {
      throw new UsageError(`${source}: the mcp-remote flag ${JSON.stringify(a)} is not one connect passes on.`, {
        fix: `Only ${Object.keys(PROFILE_MCP_REMOTE_FLAGS).join(', ')} are allowed; ask your admin for a profile written by \`agentcore-auth init\`.`,
      });
    }
    if (PROFILE_MCP_REMOTE_FLAGS[a]) {
      if (i + 1 >= args.length || args[i + 1]!.startsWith('--')) throw new UsageError(`${source}: ${a} needs a value.`, { fix: `Give it as ${a} VALUE.` });
      i++;
    }
  }
  return args;
}

function fail(source: string, what: string): never {
  throw new UsageError(`${source} is not a usable team profile: ${what}.`, {
    fix: 'Ask your admin for the file `agentcore-auth init` wrote (or pass --gateway-url and --client-id instead).',
  });
}

/** Check a parsed profile's shape; unknown keys are ignored (a newer init may add some). */
export function validateTeamProfile(raw: unknown, source: string): TeamProfile {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(source, 'not a JSON object');
  const p = raw as Record<string, unknown>;
  if (typeof p.version !== 'number') fail(source, 'no "version"');
  if (p.version > TEAM_PROFILE_VERSION) {
    throw new UsageError(`${source} was written by a newer agentcore-auth (profile version ${p.version}, this one reads ${TEAM_PROFILE_VERSION}).`, {
      fix: 'Upgrade: npx agentcore-auth@latest connect ...',
    });
  }
  const url = (k: string) => {
    if (typeof p[k] !== 'string') fail(source, `"${k}" is missing`);
    try {
      const u = new URL(p[k] as string);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
    } catch {
      fail(source, `"${k}" is not an http(s) URL`);
    }
    // Tokens go to the gateway and the issuer: never over plain http to another machine.
    return requireSecureUrl(p[k] as string, `${source}: "${k}"`);
  };
  const gatewayUrl = url('gatewayUrl');
  if (typeof p.clientId !== 'string' || !p.clientId) fail(source, '"clientId" is missing');
  // OAuth's own character sets (RFC 6749 A.1, A.4): printable ASCII, so nothing in them can drive a terminal.
  if (!/^[\x20-\x7e]{1,255}$/.test(p.clientId)) fail(source, '"clientId" is not an OAuth client id (printable ASCII only)');
  const scopes = p.scopes;
  if (!Array.isArray(scopes) || !scopes.length || !scopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) fail(source, '"scopes" is not a list of scopes');
  const port = p.callbackPort;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail(source, '"callbackPort" is not a port number');
  if (typeof p.serverName !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(p.serverName)) fail(source, '"serverName" is not a usable MCP server name');
  const args = p.mcpRemoteArgs ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string' && /^[\x20-\x7e]*$/.test(a))) fail(source, '"mcpRemoteArgs" is not a list of printable strings');
  const profile: TeamProfile = {
    version: p.version,
    gatewayUrl,
    clientId: p.clientId,
    scopes: scopes as string[],
    callbackPort: port,
    mcpRemoteArgs: checkMcpRemoteArgs(args as string[], source),
    serverName: p.serverName,
  };
  if (p.issuer !== undefined) profile.issuer = url('issuer');
  if (p.provider !== undefined) {
    if (typeof p.provider !== 'string' || !/^[a-z0-9]{1,32}$/.test(p.provider)) fail(source, '"provider" is not a provider id');
    profile.provider = p.provider;
  }
  if (p.resource !== undefined) profile.resource = url('resource');
  if (p.access !== undefined) profile.access = validateAccess(p.access, source);
  return profile;
}


/** Read a profile from a file (relative to cwd) or an https URL (http only on loopback). */
export async function loadTeamProfile(ref: string, cwd: string, opts: { timeoutMs?: number } = {}): Promise<{ profile: TeamProfile; source: string }> {
  let text: string | null;
  let source = ref;
  if (/^https?:\/\//i.test(ref)) {
    const u = new URL(ref);
    if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
      throw new UsageError(`--profile ${ref}: a team profile is fetched over https only (http only from this machine).`, { fix: `Use https://${u.host}${u.pathname}, or download the file and pass its path.` });
    }
    const { httpFetch, readText } = await import('../core/http.js');
    const res = await httpFetch(ref, { headers: { accept: 'application/json' } }, { timeoutMs: opts.timeoutMs ?? 10_000, purpose: 'team profile' });
    text = await readText(res);
    if (!res.ok) throw new UsageError(`--profile ${ref} answered HTTP ${res.status}.`, { fix: 'Check the URL (or download the file and pass its path).' });
  } else {
    source = isAbsolute(ref) ? ref : resolve(cwd, ref);
    try {
      text = await readTextIfExists(source, { what: 'team profile' });
    } catch (err) {
      // A folder, a FIFO, a device, a huge file: a usage error, at once.
      if (err instanceof CliError) throw new UsageError(`--profile ${ref}: ${err.message}`, { fix: err.fix ?? 'Pass the path of the agentcore-auth.team.json your admin shared.' });
      throw err;
    }
    if (text === null) throw new UsageError(`--profile ${ref}: no such file (${source}).`, { fix: 'Pass the path of the agentcore-auth.team.json your admin shared.' });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    fail(source, 'not valid JSON');
  }
  return { profile: validateTeamProfile(raw, source), source };
}

/**
 * Write the profile (pretty JSON, mode 0644: it holds no secret). A file at that path that is not a team
 * profile is left alone (returns written: false with the reason).
 */
export async function writeTeamProfile(path: string, profile: TeamProfile): Promise<{ written: boolean; reason?: string }> {
  const existing = await readTextIfExists(path, { what: 'team profile' });
  if (existing !== null && !isTeamProfileText(existing)) return { written: false, reason: `${path} exists and is not a team profile; it was left untouched` };
  await ensureDir(dirname(path));
  await writeFileAtomic(path, `${JSON.stringify(profile, null, 2)}\n`, existing === null ? { mode: 0o644 } : {});
  return { written: true };
}

/**
 * Refuses, before init changes anything, a --team-profile path the profile could not be written to: a folder,
 * a FIFO or device, a file that is not a team profile (it would be left alone), a parent that is a file.
 */
export async function checkTeamProfileTarget(path: string): Promise<void> {
  const refuse = (why: string, fix: string) => {
    throw new UsageError(`--team-profile ${path} ${why}; nothing was changed.`, { fix });
  };
  let text: string | null;
  try {
    text = await readTextIfExists(path, { what: 'team profile' });
  } catch (err) {
    if (err instanceof CliError && err.code === 'not_a_file') {
      refuse(`is ${/folder/.test(err.message) ? 'a folder' : 'not a regular file'}`, `Pass a file path, e.g. --team-profile ${path.replace(/\/+$/, '')}/agentcore-auth.team.json.`);
    }
    throw err;
  }
  if (text !== null && !isTeamProfileText(text)) refuse('exists and is not a team profile', 'Pass another path, or move that file away.');
  // The nearest existing folder above it must be a folder.
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const st = await stat(dir).catch(() => null);
    if (st) {
      if (!st.isDirectory()) refuse(`is under ${dir}, which is not a folder`, 'Pass a path in a folder.');
      return;
    }
    if (dirname(dir) === dir) return;
  }
}

function isTeamProfileText(text: string): boolean {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    return typeof v === 'object' && v !== null && typeof v.version === 'number' && typeof v.gatewayUrl === 'string';
  } catch {
    return false;
  }
}

/**
 * The one line an admin shares. A profile in the repository's root as agentcore-auth.team.json needs no flag at
 * all (connect finds it: teammates run the same line in their clone); one elsewhere in the repository is named by
 * its relative path; one outside it (the state folder) by its absolute path, which only this machine can open.
 */
export function connectCommand(profilePath: string, cwd: string, clients: string[]): string {
  const rel = relative(cwd, profilePath);
  const inside = rel && !rel.startsWith('..') && !isAbsolute(rel);
  const q = (s: string) => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const profile = inside && rel === TEAM_PROFILE_FILE ? '' : ` --team-profile ${q(inside ? `./${rel}` : profilePath)}`;
  return `npx agentcore-auth connect${profile} --client ${clients.join(',') || 'kiro'}`;
}

/** Whether teammates can open the profile: a path inside the project folder (commit it), not the state folder. */
export function profileIsShareable(profilePath: string, cwd: string): boolean {
  const rel = relative(cwd, profilePath);
  return Boolean(rel) && !rel.startsWith('..') && !isAbsolute(rel);
}
