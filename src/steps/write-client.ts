import type { Logger } from '../core/logger.js';
import type { Journal } from '../journal/journal.js';
import type { PlanStep } from '../plan/plan.js';
import { backupDir } from '../core/context.js';
import { clientLabel, writeClientConfig, writeScopeFor, type ClientEntryInput } from '../clients/registry.js';

type ClientStep = Extract<PlanStep, { kind: 'client-entry' }>;

/**
 * Step 3: write one MCP client's entry (any client in the registry), remembering what it replaced. The
 * journal intent names the client id, the file, the server name and the gateway URL; the result keeps the
 * entry that was there before this setup's first write (previousEntry, what cleanup restores) and the one
 * this write replaced (beforeEntry, what a rollback of this run restores).
 */
export async function writeClientEntry(
  deps: { logger: Logger; dryRun: boolean; where: { cwd: string; home: string }; followSymlinks: boolean },
  journal: Journal,
  step: ClientStep,
  input: ClientEntryInput,
): Promise<{ path: string; changed: boolean; created: boolean; backupPath?: string }> {
  const earlier = journal.live('client-entry').find((e) => e.intent.path === step.path && e.intent.serverName === step.serverName && e.state === 'done');
  // The containment (project folder or HOME) is recorded, so cleanup holds its writes to the same, from anywhere.
  const scope = writeScopeFor(step.client, deps.where, deps.followSymlinks);
  const entry = await journal.intend('client-entry', {
    client: step.client, path: step.path, serverName: step.serverName, gatewayUrl: input.gatewayUrl, root: scope.root, followSymlinks: deps.followSymlinks,
  });
  try {
    const r = await writeClientConfig(step.client, step.path, input, { dryRun: deps.dryRun, scope, backupDir: backupDir(journal.stateDir) });
    const { sha256 } = await import('../clients/restore.js');
    // What this write found: the file's origin (created, or its backup) and the entry under our name.
    const found = { created: r.created, createdDirs: r.createdDirs ?? [], backup: r.backupPath ?? null };
    // What cleanup restores is what was there before the first write of this setup.
    const first = earlier?.result;
    const previousEntry = earlier ? (first?.previousEntry ?? null) : r.previousEntry;
    const owner = earlier ? undefined : await ownerOf(journal, step.path, step.serverName, r.previousEntry);
    if (earlier) await journal.undone(earlier, `superseded by entry ${entry.seq}`);
    await journal.done(entry, {
      previousEntry,
      previousText: earlier ? (first?.previousText ?? null) : (r.previousText ?? null),
      previousOwner: earlier ? (first?.previousOwner ?? null) : (owner?.setup ?? null),
      inheritedOrigin: earlier ? (first?.inheritedOrigin ?? null) : (owner?.origin ?? null),
      origin: earlier && first?.origin ? first.origin : found,
      beforeEntry: r.previousEntry ?? null,
      beforeText: r.previousText ?? null,
      beforeOrigin: found,
      backupPath: r.backupPath ?? null,
      backups: [...((first?.backups as string[] | undefined) ?? []), ...(r.backupPath ? [r.backupPath] : [])],
      writtenEntry: r.entry,
      writtenSha256: sha256(r.after),
    });
    deps.logger.success(
      `${r.changed ? (r.created ? 'Created' : 'Updated') : 'Unchanged:'} ${step.path} (${clientLabel(step.client)}, server "${step.serverName}")${r.backupPath ? `; backup ${r.backupPath}` : ''}`,
    );
    return { path: r.path, changed: r.changed, created: r.created, ...(r.backupPath ? { backupPath: r.backupPath } : {}) };
  } catch (err) {
    await journal.failed(entry, (err as Error).message);
    throw err;
  }
}

/**
 * The live setup (other than this one) whose entry we just replaced, with the origin it recorded for the file: its
 * cleanup leaves the entry to us, and ours then takes the file back to that origin, never to its dead entry.
 */
async function ownerOf(journal: Journal, path: string, serverName: string, entry: unknown): Promise<{ setup: string; origin: unknown } | undefined> {
  if (entry === null || entry === undefined) return undefined;
  const { listSetups, readJournal } = await import('../journal/journal.js');
  for (const setup of await listSetups(journal.stateDir)) {
    if (setup === journal.setup) continue;
    const doc = await readJournal(journal.stateDir, setup).catch(() => null);
    const e = doc?.entries.find((x) => x.kind === 'client-entry' && x.state === 'done' && x.intent.path === path && x.intent.serverName === serverName);
    if (e && JSON.stringify(e.result?.writtenEntry ?? null) === JSON.stringify(entry)) return { setup, origin: e.result?.origin ?? null };
  }
  return undefined;
}
