import type { AdapterContext, AppRecord, IdpAdapter } from '../../providers/types.js';
import type { AccessPolicy } from '../authorizer/access.js';
import type { Journal } from '../journal/journal.js';
import { definitelyRefused } from './outcome.js';

/**
 * Step 1b: make the access policy's claims reach the app's access tokens (a groups claim, app roles, scopes, an
 * Action), through the adapter. Write-ahead like every step; a re-run hands the adapter what the earlier run
 * created (it updates, never duplicates), and the earlier entry is superseded. Cleanup removes what is recorded.
 */
export async function applyAccess(ctx: AdapterContext, journal: Journal, adapter: IdpAdapter, app: AppRecord, policy: AccessPolicy): Promise<Record<string, string>> {
  if (!adapter.applyAccess) return {};
  const earlier = journal.live('idp-access').filter((e) => e.intent.clientId === app.clientId);
  const previous = Object.assign({}, ...earlier.map((e) => (e.result?.created ?? e.intent.previous ?? {}) as Record<string, string>)) as Record<string, string>;
  const entry = await journal.intend('idp-access', { provider: app.provider, clientId: app.clientId, policy, previous });
  let created: Record<string, string>;
  try {
    created = await adapter.applyAccess(ctx, app, policy, Object.keys(previous).length ? previous : undefined);
  } catch (err) {
    if (definitelyRefused(err)) await journal.failed(entry, (err as Error).message);
    throw err;
  }
  await journal.done(entry, { created });
  for (const e of earlier) await journal.undone(e, `superseded by entry ${entry.seq}`);
  ctx.logger.success(`Set up ${adapter.displayName} so the access rules' claims reach the access token`);
  return created;
}
