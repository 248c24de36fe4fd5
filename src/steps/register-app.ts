import type { AdapterContext, AppRecord, IdpAdapter } from '../../providers/types.js';
import type { Journal } from '../journal/journal.js';
import type { PlanStep } from '../plan/plan.js';

type AppStep = Extract<PlanStep, { kind: 'idp-app' }>;

/** Load a journaled app record with its secrets put back (for describe/delete). */
export async function loadApp(journal: Journal): Promise<AppRecord | undefined> {
  const e = journal.find('idp-app');
  const app = e?.state === 'done' ? (e.result?.app as AppRecord | undefined) : undefined;
  if (!app) return undefined;
  const secrets = await journal.getSecrets();
  const mine = Object.fromEntries(
    Object.entries(secrets)
      .filter(([k]) => k.startsWith('app.'))
      .map(([k, v]) => [k.slice(4), v]),
  );
  return { ...app, secrets: mine };
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
  // An intent without a result means an earlier run stopped mid-call; RFC 7591 has no lookup by name,
  // so it is recorded as failed and a fresh client is registered.
  for (const e of journal.live('idp-app')) if (e.state === 'intent') await journal.failed(e, 'interrupted before the IdP answered');
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
    await journal.failed(entry, (err as Error).message);
    throw err;
  }
  for (const [k, v] of Object.entries(app.secrets ?? {})) await journal.setSecret(`app.${k}`, v);
  const { secrets: _secrets, ...publicRecord } = app;
  await journal.done(entry, { app: publicRecord });
  ctx.logger.success(`Registered OIDC client ${app.clientId} at ${app.issuer}`);
  return app;
}
