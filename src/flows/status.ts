/**
 * status: what the journal says exists, checked against the live resources; drift is named.
 */
import type { AppRecord } from '../../providers/types.js';
import type { Context } from '../core/context.js';
import { CliError, errorMessage } from '../core/errors.js';
import { listSetups, readJournal, removedAt, type JournalDoc } from '../journal/journal.js';
import { loadApp } from '../steps/register-app.js';

export interface StatusItem {
  kind: string;
  id: string;
  recorded: string;
  live: 'present' | 'missing' | 'drifted' | 'unknown';
  detail?: string;
}

export interface SetupStatus {
  setup: string;
  status: JournalDoc['status'];
  updatedAt: string;
  items: StatusItem[];
  drift: boolean;
}

export async function runStatus(ctx: Context, explicitSetup: boolean): Promise<{ setups: SetupStatus[]; known: string[] }> {
  const known = await listSetups(ctx.stateDir);
  if (explicitSetup && !known.includes(ctx.flags.setup)) {
    const removed = await removedAt(ctx.stateDir, ctx.flags.setup);
    if (!removed) {
      throw new CliError(`No setup named "${ctx.flags.setup}" in ${ctx.stateDir}.`, {
        code: 'unknown_setup',
        fix: known.length ? `Known setups: ${known.join(', ')}.` : 'Run `agentcore-auth init` first.',
      });
    }
  }
  const names = explicitSetup ? [ctx.flags.setup] : known;
  const setups: SetupStatus[] = [];
  for (const name of names) {
    const doc = await readJournal(ctx.stateDir, name);
    if (!doc) continue;
    setups.push(await statusOf(ctx, doc));
  }
  return { setups, known };
}

async function statusOf(ctx: Context, doc: JournalDoc): Promise<SetupStatus> {
  const cfg = doc.config;
  const items: StatusItem[] = [];
  const live = doc.entries.filter((e) => e.state === 'done' || e.state === 'intent');
  for (const e of live) {
    try {
      if (e.kind === 'idp-app') {
        const app = e.result?.app as AppRecord | undefined;
        const item: StatusItem = { kind: 'OIDC client', id: app?.clientId ?? '(registration interrupted)', recorded: String(e.intent.issuer), live: 'unknown' };
        if (app && cfg.provider) {
          const { loadAdapter, savedProviderOptions } = await import('../../providers/index.js');
          const adapter = await loadAdapter(cfg.provider, savedProviderOptions(cfg));
          const full = (await loadJournalApp(ctx, doc.setup)) ?? app;
          const d = await adapter.describeApp({ logger: ctx.logger, env: ctx.env, timeoutMs: 10_000 }, full);
          if (!d) item.live = 'missing';
          else if (d.redirectUris.length && !d.redirectUris.includes(String(e.intent.redirectUri))) {
            item.live = 'drifted';
            item.detail = `redirect URIs now ${d.redirectUris.join(', ')}; expected ${String(e.intent.redirectUri)}`;
          } else item.live = 'present';
        }
        items.push(item);
      } else if (e.kind === 'gateway-create' || e.kind === 'gateway-authorizer') {
        const id = String(e.result?.gatewayId ?? e.intent.gatewayId ?? e.intent.name);
        const item: StatusItem = { kind: e.kind === 'gateway-create' ? 'Gateway (created)' : 'Gateway authorizer', id, recorded: cfg.region ?? '', live: 'unknown' };
        const { GatewayPort } = await import('../gateway/agentcore.js');
        const g = await new GatewayPort({ region: cfg.region ?? 'us-east-1', endpointUrl: cfg.endpointUrl, profile: cfg.profile, env: ctx.env }, ctx.logger).get(id);
        const { gatewayRecordOf, recordMismatch } = await import('../gateway/identity.js');
        const notOurs = g ? recordMismatch(g, gatewayRecordOf(e)) : undefined;
        if (!g) item.live = 'missing';
        else if (notOurs) {
          item.live = 'drifted';
          item.detail = `not the gateway this setup recorded: ${notOurs}`;
        } else {
          const want = (e.intent.authorizer as { allowedClients?: string[] } | undefined)?.allowedClients ?? (cfg.clientId ? [cfg.clientId] : []);
          const have = g.authorizer?.allowedClients ?? [];
          const clientRuleOk = !cfg.clientId || have.includes(cfg.clientId) || JSON.stringify(g.authorizer ?? {}).includes(cfg.clientId);
          if (!clientRuleOk) {
            item.live = 'drifted';
            item.detail = `authorizer no longer pins client ${cfg.clientId} (allowedClients [${have.join(', ')}]; expected [${want.join(', ')}])`;
          } else {
            item.live = 'present';
            item.detail = `${g.status}, ${g.gatewayUrl}`;
          }
        }
        items.push(item);
      } else if (e.kind === 'client-entry') {
        const path = String(e.intent.path);
        const name = String(e.intent.serverName);
        const { readClientEntry } = await import('../clients/registry.js');
        const entry = await readClientEntry(typeof e.intent.client === 'string' ? e.intent.client : undefined, path, name);
        const item: StatusItem = { kind: 'MCP client entry', id: name, recorded: path, live: 'unknown' };
        if (!entry) item.live = 'missing';
        else if (!JSON.stringify(entry).includes(String(e.intent.gatewayUrl ?? ''))) {
          item.live = 'drifted';
          item.detail = 'the entry no longer points at this gateway';
        } else item.live = 'present';
        items.push(item);
      }
    } catch (err) {
      items.push({ kind: e.kind, id: '?', recorded: '', live: 'unknown', detail: errorMessage(err) });
    }
  }
  return { setup: doc.setup, status: doc.status, updatedAt: doc.updatedAt, items, drift: items.some((i) => i.live === 'missing' || i.live === 'drifted') };
}

async function loadJournalApp(ctx: Context, setup: string): Promise<AppRecord | undefined> {
  // Secrets are read without taking the lock: status never writes.
  const { Journal } = await import('../journal/journal.js');
  const j = await Journal.open(ctx.stateDir, setup, { create: false, dryRun: true });
  return loadApp(j);
}

export function printStatus(ctx: Context, r: { setups: SetupStatus[]; known: string[] }): void {
  const { logger } = ctx;
  if (!r.setups.length) {
    logger.info(`No setups in ${ctx.stateDir}. Run \`agentcore-auth init\` (or \`agentcore-auth demo\`).`);
    return;
  }
  for (const s of r.setups) {
    logger.info(`Setup "${s.setup}": ${s.status} (updated ${s.updatedAt})${s.drift ? ' — DRIFT' : ''}`);
    for (const i of s.items) {
      const mark = i.live === 'present' ? '✔' : i.live === 'unknown' ? '?' : '✖';
      logger.info(`  ${mark} ${i.kind} ${i.id}: ${i.live}${i.detail ? ` (${i.detail})` : ''}`);
    }
  }
}
