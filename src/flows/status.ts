/**
 * status: what the journal says exists, checked against the live resources; drift is named.
 */
import { accessRequirements, accessWords, describeRequirement, requirementsOf, type AccessPolicy } from '../authorizer/access.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import type { AppRecord } from '../../providers/types.js';
import type { Context } from '../core/context.js';
import { CliError, errorMessage } from '../core/errors.js';
import { listSetups, readJournal, removedAt, type JournalDoc, type JournalEntry } from '../journal/journal.js';
import { loadApp } from '../steps/register-app.js';

export interface StatusItem {
  kind: string;
  id: string;
  recorded: string;
  /** unmanageable: it may exist, but this tool lost what it needs to check, change or delete it. */
  live: 'present' | 'missing' | 'drifted' | 'unknown' | 'unmanageable';
  detail?: string;
  /** What to do about a missing, drifted or unmanageable item. */
  fix?: string;
}

export interface SetupStatus {
  setup: string;
  status: JournalDoc['status'];
  updatedAt: string;
  items: StatusItem[];
  drift: boolean;
  /** The command that puts drift right (absent when there is none). */
  fix?: string;
  /** Who may use the gateway, as its live rules say (words), when the gateway could be read. */
  access?: string[];
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
  const setupFlag = doc.setup !== 'default' ? ` --setup ${doc.setup}` : '';
  const items: StatusItem[] = [];
  const live = doc.entries.filter((e) => e.state === 'done' || e.state === 'intent');
  let liveAuthorizer: CustomJwtAuthorizer | undefined;
  for (const e of live) {
    try {
      if (e.kind === 'idp-app') {
        const app = e.result?.app as AppRecord | undefined;
        const item: StatusItem = { kind: 'OIDC client', id: app?.clientId ?? `#${e.seq} (registration interrupted)`, recorded: String(e.intent.issuer), live: 'unknown' };
        if (!app) {
          item.live = 'unmanageable';
          item.detail = `the IdP may have registered "${String(e.intent.appName)}" without this tool learning its id`;
          item.fix = `Look for it in the IdP's admin console; \`agentcore-auth cleanup --forget ${e.seq}${setupFlag}\` once it is gone.`;
        } else if (cfg.provider) {
          const { loadAdapter, savedProviderOptions } = await import('../../providers/index.js');
          const adapter = await loadAdapter(cfg.provider, savedProviderOptions(cfg));
          // Each recorded client with its own secrets (an older one is not judged by the newest one's).
          const full = (await loadJournalApp(ctx, doc.setup, e)) ?? app;
          const expected = String(e.result?.redirectUri ?? e.intent.redirectUri);
          try {
            const d = await adapter.describeApp({ logger: ctx.logger, env: ctx.env, timeoutMs: 10_000 }, full);
            if (!d) {
              item.live = 'missing';
              item.fix = `Run \`agentcore-auth init${setupFlag}\` again: it registers a new client.`;
            } else if (d.unverified) {
              item.detail = `cannot be checked: ${d.unverified}`;
            } else if (d.redirectUris.length && !d.redirectUris.includes(expected)) {
              item.live = 'drifted';
              item.detail = `redirect URIs now ${d.redirectUris.join(', ')}; expected ${expected}`;
              item.fix = `Run \`agentcore-auth init${setupFlag}\` again: it puts the redirect URI back.`;
            } else item.live = 'present';
          } catch (err) {
            if (!(err instanceof CliError && err.code === 'unmanageable')) throw err;
            item.live = 'unmanageable';
            item.detail = err.message.replace(/^OIDC client \S+ cannot be managed: /, '');
            item.fix = err.fix;
          }
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
            const lost = lostRules(cfg.access as AccessPolicy | undefined, e.intent.authorizer as CustomJwtAuthorizer | undefined, g.authorizer);
            if (lost.length) {
              item.live = 'drifted';
              item.detail = `the gateway no longer enforces the access rules init set: ${lost.join('; ')}`;
            }
          }
          if (g.authorizer) liveAuthorizer = g.authorizer;
        }
        items.push(item);
      } else if (e.kind === 'client-entry') {
        const path = String(e.intent.path);
        const name = String(e.intent.serverName);
        const { readClientEntry } = await import('../clients/registry.js');
        const entry = await readClientEntry(typeof e.intent.client === 'string' ? e.intent.client : undefined, path, name);
        const label = typeof e.intent.client === 'string' ? (await import('../clients/registry.js')).clientLabel(e.intent.client) : 'MCP client';
        const item: StatusItem = { kind: `${label} entry`, id: `"${name}" in ${path}`, recorded: path, live: 'unknown' };
        // Each entry is compared with what it was written for: its own gateway URL and client id.
        const writtenFor = [String(e.intent.gatewayUrl ?? '')];
        if (!entry) {
          item.live = 'missing';
          item.fix = `Run \`agentcore-auth init${setupFlag}\` again: it writes the entry back.`;
        } else if (!writtenFor.every((v) => JSON.stringify(entry).includes(v))) {
          item.live = 'drifted';
          item.detail = 'the entry no longer points at this gateway';
          item.fix = `Run \`agentcore-auth init${setupFlag}\` again to rewrite it (or leave it, if someone changed it on purpose).`;
        } else item.live = 'present';
        items.push(item);
      }
    } catch (err) {
      items.push({ kind: e.kind, id: '?', recorded: '', live: 'unknown', detail: errorMessage(err) });
    }
  }
  const drift = items.some((i) => i.live === 'missing' || i.live === 'drifted' || i.live === 'unmanageable');
  const unmanaged = items.filter((i) => i.live === 'unmanageable' || i.id.includes('registration interrupted'));
  const fix = !drift
    ? undefined
    : unmanaged.length && !items.some((i) => i.live === 'missing' || i.live === 'drifted')
      ? unmanaged.map((i) => i.fix).filter(Boolean).join(' ')
      : `agentcore-auth init${setupFlag} (with the flags of the first run) puts back what is missing or drifted and reuses the rest; agentcore-auth cleanup${setupFlag} removes it all.`;
  const access = liveAuthorizer ? accessWords(liveAuthorizer) : undefined;
  return { setup: doc.setup, status: doc.status, updatedAt: doc.updatedAt, items, drift, ...(fix ? { fix } : {}), ...(access ? { access } : {}) };
}


/** The rules init set (recorded in the journal) that the live gateway no longer has, in words. */
function lostRules(policy: AccessPolicy | undefined, written: CustomJwtAuthorizer | undefined, liveZ: CustomJwtAuthorizer | undefined): string[] {
  if (!policy || !written) return [];
  const key = (r: ReturnType<typeof requirementsOf>[number]) => `${r.claim}\u0000${r.op}\u0000${[...r.values].sort().join('\u0000')}`;
  const have = new Set(requirementsOf(liveZ).map(key));
  const lost = accessRequirements(written).filter((r) => !have.has(key(r)));
  const scopes = (written.allowedScopes ?? []).filter((x) => !(liveZ?.allowedScopes ?? []).includes(x));
  return [...lost.map(describeRequirement), ...(scopes.length ? [`allowedScopes ${scopes.join(', ')}`] : [])];
}

async function loadJournalApp(ctx: Context, setup: string, entry: JournalEntry): Promise<AppRecord | undefined> {
  // Secrets are read without taking the lock: status never writes.
  const { Journal } = await import('../journal/journal.js');
  const j = await Journal.open(ctx.stateDir, setup, { create: false, dryRun: true });
  return loadApp(j, j.doc.entries.find((x) => x.seq === entry.seq));
}

export function printStatus(ctx: Context, r: { setups: SetupStatus[]; known: string[] }): void {
  const logger = ctx.out;
  if (!r.setups.length) {
    logger.info(`No setups in ${ctx.stateDir}. Run \`agentcore-auth init\` (or \`agentcore-auth demo\`).`);
    return;
  }
  for (const s of r.setups) {
    logger.info(`Setup "${s.setup}": ${s.status} (updated ${s.updatedAt})${s.drift ? ' — DRIFT' : ''}`);
    for (const i of s.items) {
      const mark = i.live === 'present' ? '✔' : i.live === 'unknown' ? '?' : '✖';
      const state = i.live === 'unmanageable' ? 'cannot be managed' : i.live;
      logger.info(`  ${mark} ${i.kind} ${i.id}: ${state}${i.detail ? ` (${i.detail})` : ''}`);
      if (i.fix && i.live !== 'present' && i.fix !== s.fix) logger.info(`      Fix: ${i.fix}`);
    }
    if (s.access) {
      logger.info('  Who may use the gateway:');
      for (const a of s.access) logger.info(`    - ${a}`);
    }
    if (s.fix) logger.info(`  To fix: ${s.fix}`);
  }
}
