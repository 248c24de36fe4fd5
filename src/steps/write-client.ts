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
    // What cleanup restores is what was there before the first write of this setup.
    const previousEntry = earlier ? (earlier.result?.previousEntry ?? null) : r.previousEntry;
    if (earlier) await journal.undone(earlier, `superseded by entry ${entry.seq}`);
    await journal.done(entry, { previousEntry, beforeEntry: r.previousEntry ?? null, backupPath: r.backupPath ?? null });
    deps.logger.success(
      `${r.changed ? (r.created ? 'Created' : 'Updated') : 'Unchanged:'} ${step.path} (${clientLabel(step.client)}, server "${step.serverName}")${r.backupPath ? `; backup ${r.backupPath}` : ''}`,
    );
    return { path: r.path, changed: r.changed, created: r.created, ...(r.backupPath ? { backupPath: r.backupPath } : {}) };
  } catch (err) {
    await journal.failed(entry, (err as Error).message);
    throw err;
  }
}
