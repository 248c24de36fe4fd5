import { randomUUID } from 'node:crypto';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import type { Logger } from '../core/logger.js';
import { CREATED_BY, type GatewayInfo, type GatewayPort } from '../gateway/agentcore.js';
import type { Journal } from '../journal/journal.js';
import type { PlanStep } from '../plan/plan.js';
import { definitelyRefused } from './outcome.js';

type GatewayStep = Extract<PlanStep, { kind: 'gateway' }>;

/** Step 2: create the gateway with our authorizer, or set the authorizer on an existing one (keeping the old one to restore). */
export async function configureGateway(
  deps: { logger: Logger; gateway: GatewayPort; signal?: AbortSignal },
  journal: Journal,
  step: GatewayStep,
  authorizer: CustomJwtAuthorizer,
  opts: { waitTimeoutMs: number },
): Promise<GatewayInfo> {
  const { logger, gateway } = deps;
  let id: string;
  if (step.action === 'create') {
    // A create whose outcome is unknown (crash, timeout, reset) is retried with the same clientToken:
    // the service answers with the gateway it already made instead of making a second one.
    const pending = journal.live('gateway-create').filter((e) => e.state === 'intent' && e.intent.name === step.name).at(-1);
    const clientToken = typeof pending?.intent.clientToken === 'string' ? pending.intent.clientToken : randomUUID();
    const entry = pending ?? (await journal.intend('gateway-create', { name: step.name, region: step.region, endpointUrl: step.endpointUrl, clientToken }));
    let created: GatewayInfo;
    try {
      created = await gateway.create({ name: step.name!, roleArn: step.roleArn!, authorizer, clientToken, description: `${CREATED_BY} for setup "${journal.setup}"` });
    } catch (err) {
      if (definitelyRefused(err)) await journal.failed(entry, (err as Error).message);
      throw err;
    }
    await journal.done(entry, { gatewayId: created.gatewayId, gatewayArn: created.gatewayArn, gatewayUrl: created.gatewayUrl });
    logger.success(`Created gateway ${created.gatewayId} (${created.status})`);
    id = created.gatewayId;
  } else {
    id = step.gatewayId!;
    // The first authorizer we replaced is what cleanup restores; later re-runs must not overwrite it with our own.
    const earlier = journal.live('gateway-authorizer').filter((e) => e.intent.gatewayId === id).at(0);
    const live = await gateway.require(id);
    const before = live.authorizer ?? null;
    const previous = earlier ? (earlier.intent.previous ?? earlier.result?.previous ?? null) : before;
    // Write-ahead: what to restore is on disk before the gateway is touched. `previous` is what was there
    // before agentcore-auth (cleanup restores it); `before` is what this run replaced (a rollback restores it).
    // The name and ARN identify the gateway later: cleanup acts on it only while they still match.
    const entry = await journal.intend('gateway-authorizer', { gatewayId: id, gatewayName: live.name, gatewayArn: live.gatewayArn, region: step.region, endpointUrl: step.endpointUrl, authorizer, previous, before });
    try {
      await gateway.setAuthorizer(id, authorizer);
    } catch (err) {
      if (definitelyRefused(err)) await journal.failed(entry, (err as Error).message);
      throw err;
    }
    for (const e of journal.live('gateway-authorizer')) if (e !== entry && e.intent.gatewayId === id) await journal.undone(e, `superseded by entry ${entry.seq}`);
    await journal.done(entry, { previous });
    logger.success(`Set gateway ${id}'s inbound authorizer`);
  }
  if (!step.wait) {
    const g = await gateway.require(id);
    logger.warn(`Not waiting for gateway ${id} (status ${g.status}); check with \`agentcore-auth status\`.`);
    return g;
  }
  return gateway.waitReady(id, { timeoutMs: opts.waitTimeoutMs, signal: deps.signal });
}
