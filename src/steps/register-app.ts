import type { AdapterContext, AppRecord, IdpAdapter } from '../../providers/types.js';
import type { Journal, JournalEntry } from '../journal/journal.js';
import type { PlanStep } from '../plan/plan.js';
import { definitelyRefused } from './outcome.js';
import { CliError } from '../core/errors.js';

type AppStep = Extract<PlanStep, { kind: 'idp-app' }>;

const secretPrefix = (e: JournalEntry) => `app.${e.seq}.`;

/** A journaled app record (by default the latest) with its secrets put back, for describe/delete. */
export async function loadApp(journal: Journal, entry: JournalEntry | undefined = journal.find('idp-app')): Promise<AppRecord | undefined> {
  const app = entry?.state === 'done' ? (entry.result?.app as AppRecord | undefined) : undefined;
  if (!entry || !app) return undefined;
  const prefix = secretPrefix(entry);
  const secrets = Object.fromEntries(
    Object.entries(await journal.getSecrets())
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
  return { ...app, secrets };
}

/** Drop an app's secrets once the app is gone. */
export async function forgetAppSecrets(journal: Journal, entry: JournalEntry): Promise<void> {
  for (const k of Object.keys(await journal.getSecrets())) if (k.startsWith(secretPrefix(entry))) await journal.setSecret(k, undefined);
}

/** Step 1: register the public client at the IdP (or reuse the one this setup already made). */
export async function registerApp(
  ctx: AdapterContext,
  journal: Journal,
  adapter: IdpAdapter,
  step: AppStep,
  resource?: string,
): Promise<AppRecord> {
  if (step.action === 'reuse') {
    const app = await loadApp(journal);
    if (app) {
      ctx.logger.success(`Reusing OIDC client ${app.clientId} (${adapter.displayName})`);
      return app;
    }
  }
  if (step.action === 'update' && adapter.updateRedirectUris) {
    const entry = journal.find('idp-app');
    const app = await loadApp(journal, entry);
    if (entry && app) {
      const updated = await adapter.updateRedirectUris(ctx, app, [step.redirectUri]);
      // A rotated registration access token is kept at once: without it the client could not be managed.
      for (const [k, v] of Object.entries(updated.secrets ?? {})) await journal.setSecret(`${secretPrefix(entry)}${k}`, v);
      const { secrets: _secrets, ...publicRecord } = updated;
      await journal.done(entry, { app: publicRecord, redirectUri: step.redirectUri });
      ctx.logger.success(`Updated OIDC client ${updated.clientId}: redirect URI ${step.redirectUri}`);
      return updated;
    }
  }
  // An intent without a result means an earlier run stopped mid-call. RFC 7591 has no lookup by name, so a
  // fresh client is registered; the old intent stays in the journal, and cleanup reports it as possibly left.
  const entry = await journal.intend('idp-app', { provider: step.provider, issuer: step.issuer, appName: step.appName, redirectUri: step.redirectUri });
  let app: AppRecord;
  try {
    app = await adapter.createApp(ctx, {
      name: step.appName,
      redirectUris: [step.redirectUri],
      scopes: step.scopes,
      resource,
      lifetimes: step.lifetimes,
    });
  } catch (err) {
    if (definitelyRefused(err)) await journal.failed(entry, (err as Error).message);
    throw err;
  }
  // The client id is recorded first: a secrets write that fails after it (disk full) leaves a client that cleanup
  // names as "cannot be managed", never one nobody knows about.
  const { secrets: _secrets, ...publicRecord } = app;
  try {
    await journal.done(entry, { app: publicRecord });
    for (const [k, v] of Object.entries(app.secrets ?? {})) await journal.setSecret(`${secretPrefix(entry)}${k}`, v);
  } catch (err) {
    if (err instanceof CliError && err.code === 'state_write_failed') {
      throw new CliError(`OIDC client ${app.clientId} was registered at ${app.issuer}, but ${err.message.replace(/^Could not/, 'this tool could not')}`, {
        code: err.code,
        fix: `${err.fix ?? ''} If the journal does not name client ${app.clientId}, delete it in the IdP's admin console.`,
      });
    }
    throw err;
  }
  ctx.logger.success(`Registered OIDC client ${app.clientId} at ${app.issuer}`);
  return app;
}
