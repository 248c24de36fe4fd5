import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import type { Logger } from '../core/logger.js';
import type { GatewayInfo, GatewayPort } from '../gateway/agentcore.js';
import type { Journal } from '../journal/journal.js';
import type { PlanStep } from '../plan/plan.js';

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
    const entry = await journal.intend('gateway-create', { name: step.name, region: step.region, endpointUrl: step.endpointUrl });
    let created: GatewayInfo;
    try {
      created = await gateway.create({ name: step.name!, roleArn: step.roleArn!, authorizer });
    } catch (err) {
      await journal.failed(entry, (err as Error).message);
      throw err;
    }
    await journal.done(entry, { gatewayId: created.gatewayId, gatewayArn: created.gatewayArn, gatewayUrl: created.gatewayUrl });
    logger.success(`Created gateway ${created.gatewayId} (${created.status})`);
    id = created.gatewayId;
  } else {
    id = step.gatewayId!;
    // The first authorizer we replaced is what cleanup restores; later re-runs must not overwrite it with our own.
    const earlier = journal.live('gateway-authorizer').find((e) => e.intent.gatewayId === id && e.state === 'done');
    const entry = await journal.intend('gateway-authorizer', { gatewayId: id, region: step.region, endpointUrl: step.endpointUrl, authorizer });
    try {
      const { previous } = await gateway.setAuthorizer(id, authorizer);
      const original = earlier ? earlier.result?.previous : previous;
      if (earlier) await journal.undone(earlier, `superseded by entry ${entry.seq}`);
      await journal.done(entry, { previous: original ?? null });
    } catch (err) {
      await journal.failed(entry, (err as Error).message);
      throw err;
    }
    logger.success(`Set gateway ${id}'s inbound authorizer`);
  }
  if (!step.wait) {
    const g = await gateway.require(id);
    logger.warn(`Not waiting for gateway ${id} (status ${g.status}); check with \`agentcore-auth status\`.`);
    return g;
  }
  return gateway.waitReady(id, { timeoutMs: opts.waitTimeoutMs, signal: deps.signal });
}
