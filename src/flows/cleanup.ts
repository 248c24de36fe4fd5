/**
 * cleanup: undo exactly what init made, from the journal, in the seed's order:
 * revoke tokens, clear mcp-remote's cache for this server, remove the client entry, restore (or delete)
 * the gateway's authorizer, delete the IdP app. "Already gone" counts as done; running it twice is fine.
 * The same undo machinery rolls back a failed init run (undoEntries with that run's entries).
 */
import { rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AdapterContext, IdpAdapter } from '../../providers/types.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import type { GatewayInfo } from '../gateway/agentcore.js';
import type { ParsedOptions } from '../commands/types.js';
import { backupDir, type Context } from '../core/context.js';
import { CancelledError, CliError, UsageError, errorMessage, DeclinedError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Journal, listSetups, markRemoved, readJournal, removedAt, setupsDir, type JournalEntry, type SetupConfig } from '../journal/journal.js';
import { forgetAppSecrets, loadApp } from '../steps/register-app.js';
import { flagArg } from '../core/text.js';

export interface CleanupAction {
  what: string;
  status: 'done' | 'gone' | 'planned' | 'left' | 'skipped';
  detail?: string;
  /** For 'left': the manual step. */
  fix?: string;
  /** What stays by design after this step (e.g. --keep-app): never hidden under "nothing left behind". */
  kept?: string;
}

export interface CleanupResult {
  ok: boolean;
  setup: string;
  dryRun: boolean;
  nothingToDo: boolean;
  /** The plan that was shown, one line per step; `actions` has one entry per line, in the same order. */
  planned: string[];
  actions: CleanupAction[];
}

export interface UndoOptions {
  /** Delete gateways whose authorizer init changed, instead of restoring it. */
  deleteGateway: boolean;
  keepApp: boolean;
  /** Revoke mcp-remote's cached tokens and delete its cache files (cleanup: yes; rolling back a run: no). */
  clearClientCache: boolean;
  /** 'original': what was there before agentcore-auth (cleanup); 'beforeRun': what this run replaced (rollback). */
  restore?: 'original' | 'beforeRun';
  /** Entra: purge the deleted app from deleted items. */
  purge?: boolean;
  /** Journal entries (by seq) the user confirmed are gone (--forget): dropped from the journal, nothing contacted. */
  forget?: Set<number>;
}

const live = (entries: JournalEntry[], kind: JournalEntry['kind']) => entries.filter((e) => e.kind === kind && (e.state === 'done' || e.state === 'intent')).reverse();
const appOf = (e: JournalEntry) => (e.result?.app as { clientId?: string } | undefined)?.clientId;

/** Gateways init created are deleted; restoring their authorizer first would only make them UPDATING. */
function createdGatewayIds(entries: JournalEntry[]): Set<string> {
  return new Set(live(entries, 'gateway-create').flatMap((e) => (e.result?.gatewayId ? [String(e.result.gatewayId)] : [])));
}

/** What an idp-access entry changed at the IdP, in words (its created ids, by kind). */
function accessWhat(e: JournalEntry): string {
  const created = (e.result?.created ?? e.intent.previous ?? {}) as Record<string, unknown>;
  const keys = Object.keys(created);
  return keys.length ? keys.join(', ') : 'what init set up for the access rules';
}

/** The undo plan, in the order undoEntries runs it. */
export function describeUndo(entries: JournalEntry[], cfg: SetupConfig, opts: UndoOptions): string[] {
  const out: string[] = [];
  const created = createdGatewayIds(entries);
  if (opts.clearClientCache && cfg.gatewayUrl) {
    out.push(`Revoke the tokens mcp-remote cached for ${cfg.gatewayUrl}`);
    out.push(`Delete mcp-remote's cache files for ${cfg.gatewayUrl}`);
  }
  for (const e of live(entries, 'client-entry')) out.push(`${e.result?.previousEntry ? 'Restore' : 'Remove'} MCP server "${String(e.intent.serverName)}" in ${String(e.intent.path)}`);
  if (opts.restore !== 'beforeRun' && typeof cfg.teamProfile === 'string') out.push(`Delete the team profile ${cfg.teamProfile}`);
  for (const e of live(entries, 'gateway-authorizer').filter((x) => !created.has(String(x.intent.gatewayId)))) {
    out.push(opts.deleteGateway ? `Delete gateway ${String(e.intent.gatewayId)} (--delete-gateway)` : `Restore gateway ${String(e.intent.gatewayId)}'s previous authorizer`);
  }
  for (const e of live(entries, 'gateway-create')) out.push(`Delete gateway ${String(e.result?.gatewayId ?? `"${String(e.intent.name)}"`)} (created by init)`);
  for (const e of live(entries, 'idp-access')) {
    out.push(opts.keepApp ? `Keep the access rules' IdP changes for client ${String(e.intent.clientId)} (--keep-app)` : `Remove the access rules' IdP changes for client ${String(e.intent.clientId)} (${accessWhat(e)})`);
  }
  for (const e of live(entries, 'idp-app')) {
    const id = appOf(e);
    if (opts.forget?.has(e.seq)) out.push(`Forget OIDC client ${id ?? `#${e.seq} ("${String(e.intent.appName)}")`} (you confirmed it is gone; nothing is contacted)`);
    else if (opts.keepApp) out.push(`Keep OIDC client ${id ?? `#${e.seq}`} (--keep-app)`);
    else if (id) out.push(`Delete OIDC client ${id} at ${String(e.intent.issuer)}${opts.purge ? ' (and purge it from deleted items)' : ''}`);
    else out.push(`Manual step: the registration of "${String(e.intent.appName)}" at ${String(e.intent.issuer)} was interrupted; it may exist without this tool knowing its id`);
  }
  return out;
}

/**
 * A connect setup's issuer came from a team profile: before the developer's cached tokens are sent there to be
 * revoked, the gateway (when it answers) must still name that issuer, and a JWT access token must say it was
 * issued there. Returns why not, or undefined when they may be sent.
 */
async function connectIssuerRefusal(gatewayUrl: string, issuer: string, accessToken: string | undefined): Promise<string | undefined> {
  const { gatewayIssuers, sameIssuer } = await import('../oauth/issuer-pin.js');
  const named = await gatewayIssuers(gatewayUrl, { timeoutMs: 10_000 }).catch(() => undefined);
  // Unreachable: the issuer connect recorded was pinned to the gateway then.
  if (named && !named.some((s) => sameIssuer(s, issuer))) return `the gateway names ${named.join(', ') || 'no issuer'}, not ${issuer}`;
  const { decodeJwtClaims } = await import('../oauth/tokens.js');
  const iss = accessToken ? decodeJwtClaims(accessToken)?.payload.iss : undefined;
  if (typeof iss === 'string' && !sameIssuer(iss, issuer)) return `the cached token was issued by ${iss}, not ${issuer}`;
  return undefined;
}

/** Which other setups of this state folder hold a client entry: for entries two setups wrote to the same file. */
function otherSetups(journal: Journal): { ownerOf: (path: string, name: string, entry: unknown) => Promise<string | undefined>; isLive: (setup: string, path: string, name: string) => Promise<boolean> } {
  // Each other journal is read once per cleanup, however many entries ask.
  const read = new Map<string, Promise<JournalEntry[]>>();
  const liveEntries = (setup: string): Promise<JournalEntry[]> => {
    if (!read.has(setup)) {
      read.set(setup, (setup === journal.setup ? Promise.resolve(null) : readJournal(journal.stateDir, setup).catch(() => null)).then((doc) => (doc?.entries ?? []).filter((x) => x.kind === 'client-entry' && x.state === 'done')));
    }
    return read.get(setup)!;
  };
  return {
    async ownerOf(path, name, entry) {
      for (const setup of await listSetups(journal.stateDir)) {
        const hit = (await liveEntries(setup)).find((x) => x.intent.path === path && x.intent.serverName === name && JSON.stringify(x.result?.writtenEntry ?? null) === JSON.stringify(entry));
        if (hit) return setup;
      }
      return undefined;
    },
    async isLive(setup, path, name) {
      return (await liveEntries(setup)).some((x) => x.intent.path === path && x.intent.serverName === name);
    },
  };
}

/** What one undo action reports: a status ('deleted' counts as done), optionally with a detail. */
type ActOutcome = CleanupAction['status'] | 'deleted' | { status: CleanupAction['status']; detail?: string; fix?: string };

/** Undo the given journal entries (newest first within each kind), marking each undone in the journal. */
export async function undoEntries(
  deps: { logger: Logger; env: NodeJS.ProcessEnv; signal: AbortSignal },
  journal: Journal,
  entries: JournalEntry[],
  opts: UndoOptions,
): Promise<CleanupAction[]> {
  const { logger } = deps;
  const cfg = journal.doc.config;
  const actions: CleanupAction[] = [];
  const act = async (what: string, fn: () => Promise<ActOutcome>, fix: string, entry?: JournalEntry) => {
    try {
      const raw = await fn();
      const r = raw === 'deleted' ? 'done' : raw;
      const a: CleanupAction = typeof r === 'string' ? { what, status: r } : { what, ...r };
      if (a.status === 'left') a.fix ??= fix;
      else delete a.fix;
      actions.push(a);
      if (entry && (a.status === 'done' || a.status === 'gone' || a.status === 'skipped')) await journal.undone(entry, a.status);
      logger[a.status === 'left' ? 'warn' : 'success'](`${what}: ${a.status === 'gone' ? 'already gone' : a.status}${a.detail ? ` (${a.detail})` : ''}`);
    } catch (err) {
      actions.push({ what, status: 'left', detail: errorMessage(err), fix });
      logger.error(`${what}: ${errorMessage(err)}`);
    }
    if (deps.signal.aborted) throw new CancelledError('Cancelled. What is left is still in the journal: run cleanup again.');
  };
  const actx: AdapterContext = { logger, env: deps.env, timeoutMs: 15_000 };
  let adapter: IdpAdapter | undefined;
  // A developer's connect setup has no app record and no admin rights: its tokens are revoked with the public
  // client id at the issuer (RFC 7009), and nothing at the IdP or the gateway is touched.
  const connect = cfg.kind === 'connect' ? await import('./connect.js').then((m) => m.userRevoker(cfg)) : undefined;
  if (connect) adapter = connect.adapter;
  else if (cfg.provider && cfg.kind !== 'connect') {
    const { loadAdapter, savedProviderOptions } = await import('../../providers/index.js');
    adapter = await loadAdapter(cfg.provider, savedProviderOptions(cfg)).catch(() => undefined);
  }
  const clientEntries = live(entries, 'client-entry');

  // 1. Tokens and mcp-remote's cache for this server only. mcp-remote runs with the entry's own env
  //    (Kiro passes no HOME) and hashes the entry's own args, so both come from the entry we wrote.
  if (opts.clearClientCache && cfg.gatewayUrl) {
    const mr = await import('../clients/mcp-remote.js');
    const { readClientEntry, isBridgeEntry } = await import('../clients/registry.js');
    // The first entry that runs mcp-remote (a Kiro --kiro-native entry keeps no mcp-remote cache).
    let written: { args?: string[]; env?: Record<string, string> } | null = null;
    for (const e of clientEntries) {
      const entry = await readClientEntry(String(e.intent.client ?? ''), String(e.intent.path), String(e.intent.serverName)).catch(() => null);
      if (isBridgeEntry(entry)) {
        written = entry as { args?: string[]; env?: Record<string, string> };
        break;
      }
    }
    // `cmd /c npx.cmd -y mcp-remote@x ...` (Windows) reads like `npx -y mcp-remote@x ...`.
    const argv = (await import('../clients/entry-command.js')).entryMcpRemoteArgv(written);
    const fromArgs = argv ? mr.mcpRemoteHashInputFromArgs(argv) : undefined;
    const serverUrl = fromArgs?.serverUrl ?? cfg.gatewayUrl;
    const cacheOpts = fromArgs?.opts ?? {};
    const cacheEnv = { ...deps.env, ...(written?.env ?? {}) };
    const app = (await loadApp(journal)) ?? connect?.app;
    await act(`Revoke cached tokens for ${serverUrl}`, async () => {
      const tokens = (await mr.readMcpRemoteTokens(serverUrl, cacheOpts, cacheEnv)) as { access_token?: string; refresh_token?: string } | null;
      if (!tokens) return { status: 'skipped', detail: 'mcp-remote has no tokens cached for this server' };
      if (cfg.kind === 'connect' && (!app || !adapter)) return { status: 'skipped', detail: 'the issuer is not known (the gateway could not confirm one at connect time); the tokens expire on their own' };
      if (!app || !adapter) return { status: 'left', detail: 'no app record to revoke with' };
      if (cfg.kind === 'connect') {
        const refused = await connectIssuerRefusal(String(cfg.gatewayUrl), app.issuer, tokens.access_token);
        if (refused) return { status: 'skipped', detail: `not revoked: ${refused}; the tokens expire on their own (sign out at the IdP to end them sooner)` };
      }
      const r = await adapter.revoke(actx, app, { refreshToken: tokens.refresh_token, accessToken: tokens.access_token });
      const detail = [r.revoked.length ? `revoked ${r.revoked.join(', ')}` : '', ...r.notRevoked.map((n) => `${n.what} not revoked: ${n.why}`)].filter(Boolean).join('; ');
      if (!r.notRevoked.length) return { status: 'done', detail };
      // An IdP without a revocation endpoint cannot be asked: say what stays valid, and for how long.
      if (r.notRevoked.every((n) => n.unsupported)) {
        const kept = `${r.notRevoked.map((n) => n.what.replace('_', ' ')).join(' and ')} cached for ${serverUrl}: valid until it expires (${adapter.displayName} cannot revoke it)`;
        return { status: r.revoked.length ? 'done' : 'skipped', detail, kept };
      }
      return { status: 'left', detail };
    }, 'Sign out at the IdP; access tokens expire on their own within their lifetime.');
    await act(`Delete mcp-remote cache files for ${serverUrl}`, async () => {
      const files = await mr.mcpRemoteCacheFiles(serverUrl, cacheOpts, cacheEnv);
      for (const f of files) await rm(f, { force: true });
      return files.length ? { status: 'done', detail: `${files.length} file(s)` } : 'gone';
    }, `Delete the files for this server under ${mr.mcpRemoteCacheDir(cacheEnv)}.`);
  }

  // 2. Client entries (every client), newest first: the file back to what it was before (byte for byte while
  //    nobody changed it since), or only our entry changed back; an entry someone changed since is left alone,
  //    and one another live setup wrote since is left to it (src/clients/restore.ts).
  const { removeBackups, undoClientEntry } = await import('../clients/restore.js');
  const others = otherSetups(journal);
  for (const e of clientEntries) {
    const client = typeof e.intent.client === 'string' ? e.intent.client : 'kiro';
    const path = String(e.intent.path);
    const name = String(e.intent.serverName);
    const r = e.result ?? {};
    const rollback = opts.restore === 'beforeRun';
    const previous = rollback ? r.beforeEntry : r.previousEntry;
    // The same containment as when the entry was written (recorded with it), wherever cleanup runs from.
    const root = typeof e.intent.root === 'string' ? e.intent.root : dirname(path);
    await act(`${previous ? 'Restore' : 'Remove'} MCP server "${name}" in ${path}`, async () => {
      const out = await undoClientEntry(
        {
          client,
          path,
          serverName: name,
          gatewayUrl: typeof e.intent.gatewayUrl === 'string' ? e.intent.gatewayUrl : undefined,
          scope: { root, label: 'the folder it was written in', followSymlinks: e.intent.followSymlinks === true },
          writtenEntry: r.writtenEntry,
          writtenSha256: typeof r.writtenSha256 === 'string' ? r.writtenSha256 : undefined,
          origin: (rollback ? r.beforeOrigin : r.origin) as never,
          previousEntry: (previous ?? null) as unknown,
          previousText: (rollback ? r.beforeText : r.previousText) as string | null | undefined,
          previousOwner: rollback ? null : (r.previousOwner as string | null | undefined),
          inheritedOrigin: rollback ? null : (r.inheritedOrigin as never),
          backups: [],
          backupRoot: backupDir(journal.stateDir),
        },
        others,
      );
      // Backups go once the entry is undone (an entry left to another setup keeps them: it may need the original).
      // The backup inherited from the setup whose entry we replaced goes only when that setup is cleaned up: while
      // it lives, its own cleanup still restores the file from it.
      if (!rollback && (out.status === 'done' || out.status === 'gone')) {
        const owner = typeof r.previousOwner === 'string' ? r.previousOwner : undefined;
        const inherited = owner && !(await others.isLive(owner, path, name)) ? (r.inheritedOrigin as { backup?: string | null } | null | undefined)?.backup : undefined;
        await removeBackups([...((r.backups as string[] | undefined) ?? []), r.backupPath as string | undefined, inherited], backupDir(journal.stateDir));
      }
      if (rollback && out.status === 'done') await removeBackups([r.backupPath as string | undefined], backupDir(journal.stateDir));
      return out;
    }, `Remove "${name}" from ${path} by hand.`, e);
  }

  // 2b. The team profile init wrote (it names an app that is about to be deleted): only while it still says so.
  if (opts.restore !== 'beforeRun' && typeof cfg.teamProfile === 'string') {
    const file = cfg.teamProfile;
    await act(`Delete the team profile ${file}`, async () => {
      const { readTextIfExists } = await import('../core/fs.js');
      const text = await readTextIfExists(file);
      if (text === null) return 'gone';
      let same = false;
      try {
        const p = JSON.parse(text) as { gatewayUrl?: unknown; clientId?: unknown };
        same = p.gatewayUrl === cfg.gatewayUrl && p.clientId === cfg.clientId;
      } catch {
        same = false;
      }
      if (!same) return { status: 'skipped', detail: 'it names another gateway or client now; left as it is' };
      await rm(file, { force: true });
      if (basename(dirname(dirname(file))) === 'teams') await rmdir(dirname(file)).catch(() => undefined); // our default folder, when empty
      return 'done';
    }, `Delete ${file} by hand.`);
  }

  // 3. Gateway: restore the authorizer we replaced, or delete what init created (targets first).
  const { GatewayPort } = await import('../gateway/agentcore.js');
  const gw = new GatewayPort({ region: cfg.region ?? 'us-east-1', endpointUrl: cfg.endpointUrl, profile: cfg.profile, env: deps.env }, logger);
  const settle = { timeoutMs: 300_000, signal: deps.signal };
  const created = createdGatewayIds(entries);
  const { gatewayRecordOf, resolveRecordedGateway } = await import('../gateway/identity.js');
  // Only a gateway that matches what the journal recorded with its id (name, ARN, and for ours the description
  // init sets) is restored or deleted: an edited journal cannot point cleanup at someone else's gateway.
  const recorded = async (e: JournalEntry, then: (g: GatewayInfo, note?: string) => Promise<ActOutcome>): Promise<ActOutcome> => {
    const found = await resolveRecordedGateway(gw, gatewayRecordOf(e));
    if (found === 'gone') return 'gone';
    if ('refused' in found) {
      return {
        status: 'left',
        detail: `${found.refused}; refusing to touch a gateway this setup did not create or change`,
        fix: `Leave that gateway alone: find the one this setup ${e.kind === 'gateway-create' ? 'created' : 'changed'} (aws bedrock-agentcore-control list-gateways) and correct ${journal.path}, or undo it by hand.`,
      };
    }
    return then(found.gateway, found.note);
  };
  const withNote = (r: 'deleted' | 'gone', note?: string): ActOutcome => (note && r === 'deleted' ? { status: 'done', detail: note } : r);
  for (const e of live(entries, 'gateway-authorizer')) {
    const id = String(e.intent.gatewayId);
    if (created.has(id)) {
      await journal.undone(e, 'the gateway is deleted below');
      continue;
    }
    if (opts.deleteGateway) {
      await act(`Delete gateway ${id}`, () => recorded(e, (g) => gw.deleteWhenSettled(g.gatewayId, settle)), `Delete gateway ${id} in the AWS console.`, e);
      continue;
    }
    const previous = (opts.restore === 'beforeRun' ? e.intent.before : (e.intent.previous ?? e.result?.previous)) as CustomJwtAuthorizer | null | undefined;
    await act(`Restore gateway ${id}'s previous authorizer`, () => recorded(e, async (g) => {
      if (!previous) return { status: 'left', detail: 'the previous authorizer was not recorded' };
      await gw.setAuthorizer(g.gatewayId, previous);
      return 'done';
    }), `Set gateway ${id}'s authorizer back by hand (AWS console, or aws bedrock-agentcore-control update-gateway).`, e);
  }
  for (const e of live(entries, 'gateway-create')) {
    const id = e.result?.gatewayId ? String(e.result.gatewayId) : undefined;
    const name = String(e.intent.name);
    // Without an id the create's outcome is unknown (crash, timeout): it is found by its name and description.
    const what = id ? `Delete gateway ${id}` : `Find and delete gateway "${name}" (its creation was interrupted)`;
    const fix = id ? `Delete gateway ${id} in the AWS console (delete its targets first).` : `Delete gateway "${name}" in the AWS console if it exists.`;
    await act(what, () => recorded(e, async (g, note) => withNote(await gw.deleteWhenSettled(g.gatewayId, settle), note)), fix, e);
  }

  // 4. The access rules' IdP changes (a groups claim, app roles, an Action), then the IdP apps, each with its own record.
  for (const e of live(entries, 'idp-access')) {
    const clientId = String(e.intent.clientId);
    if (opts.keepApp) {
      actions.push({ what: `Keep the access rules' IdP changes for client ${clientId}`, status: 'skipped', detail: '--keep-app', kept: `${accessWhat(e)} for client ${clientId} (--keep-app)` });
      continue;
    }
    const appEntry = live(entries, 'idp-app').find((a) => appOf(a) === clientId);
    const created = (e.result?.created ?? e.intent.previous ?? {}) as Record<string, string>;
    const fix = `Remove ${accessWhat(e)} in the IdP's admin console; then run \`agentcore-auth cleanup\` again.`;
    await act(`Remove the access rules' IdP changes for client ${clientId}`, async () => {
      const app = appEntry ? await loadApp(journal, appEntry) : undefined;
      if (!app || !adapter?.removeAccess) return { status: 'left', detail: !app ? 'no app record to act with' : `provider ${cfg.provider} cannot remove them` };
      return adapter.removeAccess(actx, app, created);
    }, fix, e);
  }
  const setupFlag = journal.doc.setup !== 'default' ? ` --setup ${journal.doc.setup}` : '';
  const again = (what: string) => `agentcore-auth cleanup ${flagArg('--forget', what)}${setupFlag}`;
  for (const e of live(entries, 'idp-app')) {
    const id = appOf(e);
    if (opts.forget?.has(e.seq)) {
      await act(`Forget OIDC client ${id ?? `#${e.seq}`}`, async () => ({ status: 'done', detail: 'dropped from the journal as you confirmed it is gone' }), '', e);
      if (e.state === 'undone') await forgetAppSecrets(journal, e);
      continue;
    }
    if (opts.keepApp) {
      actions.push({ what: `Keep OIDC client ${id ?? `#${e.seq}`}`, status: 'skipped', detail: '--keep-app', kept: `OIDC client ${id ?? `"${String(e.intent.appName)}"`} at ${String(e.intent.issuer)} (--keep-app)` });
      continue;
    }
    if (!id) {
      // The registration's answer never arrived (crash, timeout): the client may exist. Every run says so, until
      // the user confirms it is gone (--forget) or keeps it (--keep-app).
      await act(`Manual step for the interrupted registration of "${String(e.intent.appName)}"`, async () => ({ status: 'left', detail: `the IdP may have registered it, but its client id never reached this tool (${String(e.intent.issuer)} cannot be searched by name)` }),
        `Look for a client named "${String(e.intent.appName)}" in the IdP's admin console and delete it if it exists; then run \`${again(String(e.seq))}\` (or \`agentcore-auth cleanup --keep-app\` to leave it).`);
      continue;
    }
    const manual = `Delete client ${id} in the IdP's admin console, then run \`${again(id)}\` (or \`agentcore-auth cleanup --keep-app\` to keep it); everything else is already undone.`;
    let app: Awaited<ReturnType<typeof loadApp>>;
    try {
      app = await loadApp(journal, e);
    } catch (err) {
      await act(`Delete OIDC client ${id}`, async () => ({ status: 'left', detail: errorMessage(err) }), manual);
      continue;
    }
    if (!app || !adapter) {
      await act(`Delete OIDC client ${id}`, async () => ({ status: 'left', detail: `provider ${cfg.provider} is not available` }), manual);
      continue;
    }
    await act(`Delete OIDC client ${app.clientId}`, () => adapter!.deleteApp(actx, app!, { purge: opts.purge }), manual, e);
    if (e.state === 'undone') await forgetAppSecrets(journal, e);
  }
  return actions;
}

export async function runCleanup(ctx: Context, opts: ParsedOptions, explicitSetup = typeof opts.setup === 'string'): Promise<CleanupResult> {
  const { logger } = ctx;
  const setup = ctx.flags.setup;
  const result: CleanupResult = { ok: true, setup, dryRun: ctx.flags.dryRun, nothingToDo: false, planned: [], actions: [] };
  const doc = await readJournal(ctx.stateDir, setup);
  if (!doc) {
    const removed = await removedAt(ctx.stateDir, setup);
    const known = await listSetups(ctx.stateDir);
    if (removed || (!explicitSetup && !known.length)) {
      logger.info(removed ? `Nothing to clean up: setup "${setup}" was already cleaned up (${removed}).` : `Nothing to clean up: no setups in ${ctx.stateDir}.`);
      result.nothingToDo = true;
      return result;
    }
    throw new CliError(`No setup named "${setup}" in ${ctx.stateDir}.`, {
      code: 'unknown_setup',
      fix: known.length ? `Known setups: ${known.join(', ')} (pick one with --setup NAME).` : 'Nothing was set up here; check --setup and AGENTCORE_AUTH_HOME.',
    });
  }
  const forget = forgetSeqs(doc.entries, opts.forget);
  const undo: UndoOptions = { deleteGateway: opts['delete-gateway'] === true, keepApp: opts['keep-app'] === true, clearClientCache: true, purge: opts.purge === true, forget };
  const planned = describeUndo(doc.entries, doc.config, undo);
  result.planned = planned;
  logger.info(`Cleanup plan for setup "${setup}":`);
  planned.forEach((p, i) => logger.info(`  ${i + 1}. - ${p}`));
  if (!planned.length) logger.info('  (nothing is recorded as existing)');
  if (ctx.flags.dryRun) {
    result.actions = planned.map((what) => ({ what, status: 'planned' }));
    logger.info('Dry run: nothing was changed.');
    return result;
  }
  if (planned.length && !(await ctx.prompter.confirm({ message: 'Remove all of this?', flag: '--yes', yes: ctx.flags.yes, default: false }))) {
    throw new DeclinedError('Nothing was changed: you declined.');
  }

  const journal = await Journal.open(ctx.stateDir, setup, { create: false });
  let finished = false;
  try {
    result.actions = await undoEntries(ctx, journal, journal.doc.entries, undo);
    finished = true;
  } finally {
    const left = result.actions.filter((a) => a.status === 'left');
    // The journal goes only when every planned step ran and none was left: a stop half-way (Ctrl-C, a crash)
    // keeps it, so the next cleanup continues.
    result.ok = finished && left.length === 0;
    if (result.ok) {
      await journal.release();
      const dir = setupsDir(ctx.stateDir);
      await rm(join(dir, `${setup}.json`), { force: true });
      await rm(join(dir, `${setup}.secrets.json`), { force: true });
      await markRemoved(ctx.stateDir, setup);
    } else {
      await journal.setStatus('failed').catch(() => undefined);
      await journal.release();
    }
  }
  return result;
}

/**
 * `--forget ID` (repeatable): journal entries the user confirmed are gone, by OIDC client id or by the number the
 * manual step printed. Only an entry cleanup cannot finish on its own may be forgotten.
 */
export function forgetSeqs(entries: JournalEntry[], values: unknown): Set<number> {
  const list = (Array.isArray(values) ? values : typeof values === 'string' ? [values] : []).map(String);
  const apps = live(entries, 'idp-app');
  const out = new Set<number>();
  for (const v of list) {
    const hit = apps.find((e) => appOf(e) === v || String(e.seq) === v.replace(/^#/, ''));
    if (!hit) {
      const known = apps.map((e) => appOf(e) ?? `${e.seq} (interrupted registration "${String(e.intent.appName)}")`);
      throw new UsageError(`--forget ${v}: this setup records no OIDC client or interrupted registration by that id.`, {
        fix: known.length ? `It records: ${known.join(', ')}.` : 'It records no OIDC client: leave --forget out.',
      });
    }
    out.add(hit.seq);
  }
  return out;
}

export function printCleanupSummary(ctx: Pick<Context, 'out'>, r: CleanupResult): void {
  if (r.dryRun || r.nothingToDo) return;
  const left = r.actions.filter((a) => a.status === 'left');
  const count = (st: CleanupAction['status']) => r.actions.filter((a) => a.status === st).length;
  const kept = r.actions.flatMap((a) => (a.kept ? [a.kept] : []));
  const setupFlag = r.setup !== 'default' ? ` --setup ${r.setup}` : '';
  ctx.out.info('');
  const tally = [`${count('done')} undone`, count('gone') ? `${count('gone')} already gone` : '', count('skipped') ? `${count('skipped')} with nothing to do` : ''].filter(Boolean).join(', ');
  if (!left.length && r.ok) {
    ctx.out.success(`Setup "${r.setup}" is gone: all ${r.planned.length} planned step(s) finished (${tally}).`);
    if (kept.length) for (const k of kept) ctx.out.info(`  Kept: ${k}`);
    else ctx.out.info('  Nothing is left behind.');
    return;
  }
  ctx.out.error(`Setup "${r.setup}" is not fully cleaned up: ${left.length} of ${r.planned.length} planned step(s) did not succeed (${tally}).`);
  for (const a of left) ctx.out.info(`  - ${a.what}: ${a.detail ?? ''}${a.fix ? `\n    Manual step: ${a.fix}` : ''}`);
  for (const k of kept) ctx.out.info(`  Kept: ${k}`);
  ctx.out.info(`  Run \`agentcore-auth cleanup${setupFlag}\` again after the manual steps: the journal keeps what is left, and it continues from there.`);
}
