/**
 * Which setup a command acts on when --setup is not given, and the list of setups (`agentcore-auth setups`).
 * One setup and no "default": that one is used, and said so. Several: the default, or the command names them.
 */
import type { Context } from '../core/context.js';
import { listSetups, readJournal } from '../journal/journal.js';

/** verify and cleanup without --setup: the only setup there is, when it is not "default". */
export async function resolveSetup(ctx: Pick<Context, 'flags' | 'stateDir' | 'logger'>, explicit: boolean): Promise<void> {
  if (explicit || ctx.flags.setup !== 'default') return;
  const known = await listSetups(ctx.stateDir);
  if (known.includes('default') || known.length !== 1) return;
  ctx.flags.setup = known[0]!;
  ctx.logger.info(`Using setup "${known[0]}", the only one here (--setup ${known[0]}).`);
}

export interface SetupSummary {
  setup: string;
  kind: 'init' | 'connect';
  status: string;
  updatedAt: string;
  provider?: string;
  gatewayUrl?: string;
  clients: string[];
}

/** Every setup's journal, read without contacting anything. */
export async function listSetupSummaries(stateDir: string): Promise<SetupSummary[]> {
  const out: SetupSummary[] = [];
  for (const name of await listSetups(stateDir)) {
    const doc = await readJournal(stateDir, name).catch(() => null);
    if (!doc) continue;
    const c = doc.config as Record<string, unknown>;
    const clients = Array.isArray(c.clients) ? (c.clients as Array<{ client?: unknown }>).map((x) => String(x?.client ?? '')).filter(Boolean) : [];
    out.push({
      setup: name,
      kind: c.kind === 'connect' ? 'connect' : 'init',
      status: doc.status,
      updatedAt: doc.updatedAt,
      ...(typeof c.provider === 'string' ? { provider: c.provider } : {}),
      ...(typeof c.gatewayUrl === 'string' ? { gatewayUrl: c.gatewayUrl } : {}),
      clients,
    });
  }
  return out;
}

export function printSetups(ctx: Pick<Context, 'out' | 'stateDir'>, list: SetupSummary[]): void {
  if (!list.length) {
    ctx.out.info(`No setups in ${ctx.stateDir}. Run \`agentcore-auth init\` (or \`agentcore-auth connect\`, or \`agentcore-auth demo\`).`);
    return;
  }
  for (const s of list) {
    ctx.out.info(`${s.setup}  (${s.kind}, ${s.status}, updated ${s.updatedAt})`);
    ctx.out.info(`    ${s.gatewayUrl ?? 'no gateway yet'}${s.provider ? `, ${s.provider}` : ''}${s.clients.length ? `, clients ${s.clients.join(', ')}` : ''}`);
  }
  ctx.out.info('Act on one with --setup NAME (status --setup NAME checks it against the live resources).');
}
