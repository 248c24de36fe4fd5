import type { Logger } from '../core/logger.js';
import type { Journal } from '../journal/journal.js';
import type { PlanStep } from '../plan/plan.js';
import { writeKiroEntry, type KiroEntryInput } from '../clients/kiro.js';

type ClientStep = Extract<PlanStep, { kind: 'client-entry' }>;

/** Step 3: write the MCP client entry (Kiro's mcp.json through mcp-remote), remembering what it replaced. */
export async function writeClientEntry(
  deps: { logger: Logger; dryRun: boolean },
  journal: Journal,
  step: ClientStep,
  input: KiroEntryInput,
): Promise<{ path: string; changed: boolean; backupPath?: string }> {
  const earlier = journal.live('client-entry').find((e) => e.intent.path === step.path && e.intent.serverName === step.serverName && e.state === 'done');
  const entry = await journal.intend('client-entry', { client: step.client, path: step.path, serverName: step.serverName, gatewayUrl: input.gatewayUrl });
  try {
    const r = await writeKiroEntry(step.path, input, { dryRun: deps.dryRun });
    // What cleanup restores is what was there before the first write of this setup.
    const previousEntry = earlier ? (earlier.result?.previousEntry ?? null) : r.previousEntry;
    if (earlier) await journal.undone(earlier, `superseded by entry ${entry.seq}`);
    await journal.done(entry, { previousEntry, beforeEntry: r.previousEntry ?? null, backupPath: r.backupPath ?? null });
    deps.logger.success(`${r.changed ? (r.created ? 'Created' : 'Updated') : 'Unchanged:'} ${step.path} (server "${step.serverName}")${r.backupPath ? `; backup ${r.backupPath}` : ''}`);
    return r;
  } catch (err) {
    await journal.failed(entry, (err as Error).message);
    throw err;
  }
}
