/**
 * Check: mcp-remote's cached refresh token still works (id `mcp-remote-cache-refresh`).
 *
 * A cached login can only be judged by its shape when its refresh token is a JWT (it has an `exp`); an opaque one
 * (Okta, Auth0, Entra, Cognito, most IdPs) says nothing until it is used. So verify uses it, exactly as mcp-remote
 * 0.15.1 would at its next refresh, and as one of mcp-remote's own instances:
 * - it takes mcp-remote's host-wide refresh lease (`<hash>_refresh_in_progress.json`, created exclusively, with
 *   our pid), so it never races a running mcp-remote; a live lease held by someone else means "not now";
 * - it redeems the refresh token stored in the file under the lease, with the entry's scope and resource;
 * - it writes the answer back the way mcp-remote's saveTokens does (the old refresh token kept when the IdP does
 *   not rotate, `expires_at` from `expires_in`), atomically and 0600, then releases the lease.
 * A rotated refresh token is therefore never lost: the cache holds the new one, as it would after mcp-remote's
 * own refresh. Tokens go only to the token endpoint of the pinned issuer's metadata.
 */
import { randomUUID } from 'node:crypto';
import { lstat, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CLIENT_CLAIMS } from '../authorizer/access.js';
import { isCancelled } from '../core/cancel.js';
import { CancelledError, CliError, errorMessage } from '../core/errors.js';
import { isErrnoCode, writeFileAtomic } from '../core/fs.js';
import { decodeJwtClaims, refreshTokens } from '../oauth/tokens.js';
import type { CheckResult } from './types.js';

/** mcp-remote's REFRESH_LEASE_FILE and REFRESH_LEASE_MS. */
export const REFRESH_LEASE_FILE = 'refresh_in_progress.json';
const REFRESH_LEASE_MS = 30_000;

export interface CacheRefreshInput {
  /** mcp-remote's cache folder (…/mcp-remote-v1) and this server's hash. */
  dir: string;
  hash: string;
  /** The token endpoint of the pinned issuer's metadata, and that issuer. */
  tokenEndpoint: string;
  issuer: string;
  /** The client the entry signs in as. */
  clientId: string;
  /** What mcp-remote sends on a refresh: the requested scope and the resource (undefined with --disable-resource-parameter). */
  scope?: string;
  resource?: string;
  timeoutMs?: number;
  now?: () => number;
}

const base = { id: 'mcp-remote-cache-refresh', stage: 'config', title: "mcp-remote's cached refresh token" } as const;

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrnoCode(err, 'EPERM');
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** mcp-remote's acquireConfigLease: exclusive create; an abandoned lease (old, or its process gone) is cleared once. */
async function takeLease(path: string, now: number): Promise<string | undefined> {
  const nonce = randomUUID();
  for (const attempt of [0, 1]) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify({ pid: process.pid, nonce, at: now }, null, 2));
      } finally {
        await fh.close();
      }
      return (await readJson(path))?.nonce === nonce ? nonce : undefined;
    } catch (err) {
      if (!isErrnoCode(err, 'EEXIST') || attempt > 0) return undefined;
      const held = await readJson(path);
      const live = typeof held?.pid === 'number' && typeof held.at === 'number' && now - held.at < REFRESH_LEASE_MS && processIsAlive(held.pid);
      if (live) return undefined;
      await unlink(path).catch(() => undefined);
    }
  }
  return undefined;
}

async function releaseLease(path: string, nonce: string): Promise<void> {
  if ((await readJson(path))?.nonce === nonce) await unlink(path).catch(() => undefined);
}

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
}

/**
 * Redeems the cached refresh token when that is the only way to know whether it works. Returns undefined when
 * there is nothing to try (no cached login, no refresh token, a JWT refresh token whose exp already tells, a login
 * from another issuer or client: the cache check reports those).
 */
export async function checkCachedRefresh(input: CacheRefreshInput): Promise<CheckResult | undefined> {
  const now = (input.now ?? Date.now)();
  const tokensPath = join(input.dir, `${input.hash}_tokens.json`);
  // The folder may come from an entry's env (a repository's file): only a plain file mcp-remote wrote is used and
  // written back, never a link that would carry the write elsewhere.
  const st = await lstat(tokensPath).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isFile()) {
    return { ...base, status: 'warn', finding: `Not tried: ${tokensPath} is not a plain file (a symbolic link or something else), and mcp-remote writes a plain file there.`, fix: `Delete it: rm -f ${tokensPath} (the next tool call signs in again).` };
  }
  const cached = await readJson(tokensPath);
  const refresh = typeof cached?.refresh_token === 'string' && cached.refresh_token ? cached.refresh_token : undefined;
  if (!cached || !refresh) return undefined;
  const access = typeof cached.access_token === 'string' ? decodeJwtClaims(cached.access_token)?.payload : undefined;
  if (access) {
    if (typeof access.iss === 'string' && access.iss !== input.issuer) return undefined;
    const client = CLIENT_CLAIMS.map((c) => access[c]).find((v) => typeof v === 'string');
    if (client !== undefined && client !== input.clientId) return undefined;
  }
  if (typeof cached.issuer === 'string' && cached.issuer !== input.issuer) return undefined;
  const jwtRefresh = decodeJwtClaims(refresh)?.payload;
  if (typeof jwtRefresh?.exp === 'number' && jwtRefresh.exp * 1000 <= now) return undefined; // the cache check says it expired

  const leasePath = join(input.dir, `${input.hash}_${REFRESH_LEASE_FILE}`);
  const lease = await takeLease(leasePath, now);
  if (!lease) {
    return { ...base, status: 'skip', finding: 'Not tried: a running mcp-remote is refreshing this login right now (it holds the refresh lease).' };
  }
  try {
    // Under the lease, the file is the truth (a sibling may have rotated the token meanwhile).
    const stored = (await readJson(tokensPath)) ?? cached;
    const token = typeof stored.refresh_token === 'string' && stored.refresh_token ? stored.refresh_token : refresh;
    const scope = typeof stored.requested_scope === 'string' && stored.requested_scope ? stored.requested_scope : input.scope;
    let tokens;
    try {
      tokens = await refreshTokens({ tokenEndpoint: input.tokenEndpoint, clientId: input.clientId, refreshToken: token, resource: input.resource, scope }, { timeoutMs: input.timeoutMs });
    } catch (err) {
      if (err instanceof CancelledError || isCancelled()) throw err;
      const code = err instanceof CliError ? err.code : undefined;
      const accessLeft = typeof stored.expires_at === 'number' ? stored.expires_at - now : undefined;
      if (code === 'token_invalid_grant') {
        return {
          ...base,
          status: 'warn',
          finding: `The IdP no longer accepts the cached refresh token (${errorMessage(err)}): mcp-remote opens the browser for a new sign-in ${accessLeft !== undefined && accessLeft > 0 ? `when the access token expires (in ${minutes(accessLeft / 1000)})` : 'at the next tool call'}. A refresh token ends when it is revoked, rotated elsewhere, idle too long, or past its lifetime.`,
          fix: 'Nothing to repair: sign in again when the browser opens. If this happens often, lengthen the refresh token lifetime at the IdP (agentcore-auth init --refresh-token-ttl).',
          details: { tokenEndpoint: input.tokenEndpoint, code },
        };
      }
      return { ...base, status: 'fail', finding: `Refreshing the cached login failed: ${errorMessage(err)}`, fix: err instanceof CliError ? err.fix : undefined, details: { tokenEndpoint: input.tokenEndpoint, code } };
    }
    const rotated = Boolean(tokens.refresh_token && tokens.refresh_token !== token);
    const saved: Record<string, unknown> = {
      ...stored,
      ...tokens,
      refresh_token: tokens.refresh_token ?? token,
      expires_at: typeof tokens.expires_in === 'number' ? now + tokens.expires_in * 1000 : undefined,
      ...(typeof stored.requested_scope === 'string' ? { requested_scope: stored.requested_scope } : {}),
    };
    if (saved.expires_at === undefined) delete saved.expires_at;
    try {
      await writeFileAtomic(tokensPath, JSON.stringify(saved, null, 2), { mode: 0o600 });
    } catch (err) {
      return {
        ...base,
        status: 'fail',
        finding: `The cached refresh token works, but the new tokens could not be saved to ${tokensPath} (${errorMessage(err)})${rotated ? ': the IdP rotated the refresh token, so the cached one is now spent' : ''}.`,
        fix: `Make ${input.dir} writable; ${rotated ? 'mcp-remote will ask for a new sign-in.' : 'nothing else is lost.'}`,
      };
    }
    return {
      ...base,
      status: 'pass',
      finding: `The cached refresh token works: the IdP returned a new access token${typeof tokens.expires_in === 'number' ? ` (valid ${minutes(tokens.expires_in)})` : ''}${rotated ? ' and a rotated refresh token' : ''}, now in mcp-remote's cache as mcp-remote itself would have saved ${rotated ? 'them' : 'it'}.`,
      details: { tokenEndpoint: input.tokenEndpoint, rotated },
    };
  } finally {
    await releaseLease(leasePath, lease);
  }
}
