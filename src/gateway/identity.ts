/**
 * Which gateway a journal entry means. An id alone is not enough to act on: a journal edited by hand (or
 * copied from another account) could name someone else's gateway, and cleanup would delete it. So every entry
 * records the gateway's name and ARN with its id, gateways init creates are described "Created by
 * agentcore-auth …", and nothing is deleted or restored unless the live gateway matches that record.
 */
import type { JournalEntry } from '../journal/journal.js';
import { CREATED_BY, type GatewayInfo, type GatewayPort } from './agentcore.js';

export interface GatewayRecord {
  /** The id the entry names (absent: a create whose outcome is unknown). */
  id?: string;
  name?: string;
  arn?: string;
  /** init created it (so it carries our description), rather than changing an existing one. */
  created: boolean;
}

/** The record a gateway-create or gateway-authorizer entry holds. */
export function gatewayRecordOf(e: JournalEntry): GatewayRecord {
  const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  if (e.kind === 'gateway-create') return { id: s(e.result?.gatewayId), name: s(e.intent.name), arn: s(e.result?.gatewayArn), created: true };
  return { id: s(e.intent.gatewayId), name: s(e.intent.gatewayName), arn: s(e.intent.gatewayArn), created: false };
}

/** Why the live gateway is not the one recorded (undefined when it is). */
export function recordMismatch(g: GatewayInfo, rec: GatewayRecord): string | undefined {
  const id = g.gatewayId;
  if (!rec.name) return `the journal recorded no name with gateway ${id}, so it cannot be told apart from another`;
  if (g.name !== rec.name) return `gateway ${id} is named "${g.name}", but this setup recorded "${rec.name}"`;
  if (rec.arn && g.gatewayArn && g.gatewayArn !== rec.arn) return `gateway ${id} has the ARN ${g.gatewayArn}, but this setup recorded ${rec.arn}`;
  if (rec.created && !(g.description ?? '').startsWith(CREATED_BY)) {
    return `gateway ${id} is not described "${CREATED_BY}…" as the gateways init creates are (its description is ${JSON.stringify(g.description ?? '')})`;
  }
  return undefined;
}

/**
 * A gateway this setup created, found by its recorded name and our description when its id is not it. The ARN
 * is not compared: it holds the id, so an edit of the id usually changed it too (gateway names are unique in
 * an account and region).
 */
export async function findRecordedGateway(gw: Pick<GatewayPort, 'list' | 'get'>, rec: GatewayRecord): Promise<GatewayInfo | undefined> {
  if (!rec.name) return undefined;
  for (const summary of (await gw.list()).filter((x) => x.name === rec.name)) {
    const g = await gw.get(summary.gatewayId);
    if (g && !recordMismatch(g, { ...rec, id: g.gatewayId, arn: undefined })) return g;
  }
  return undefined;
}

/**
 * The live gateway an entry means: the recorded id when that gateway matches the record; for a gateway init
 * created, else the one found by its recorded name, ARN and description (the id was edited or lost).
 * 'gone' when none exists; a refusal (with why) when the recorded id names another gateway and no match is found.
 */
export async function resolveRecordedGateway(
  gw: Pick<GatewayPort, 'list' | 'get'>,
  rec: GatewayRecord,
): Promise<{ gateway: GatewayInfo; note?: string } | 'gone' | { refused: string }> {
  const g = rec.id ? await gw.get(rec.id) : null;
  const why = g ? recordMismatch(g, rec) : undefined;
  if (g && !why) return { gateway: g };
  if (rec.created) {
    const found = await findRecordedGateway(gw, rec);
    if (found) return { gateway: found, note: rec.id ? `the journal named ${rec.id}${why ? ` (${why})` : ', which no longer exists'}; this setup's gateway ${found.gatewayId} was found by its recorded name` : undefined };
  }
  return why ? { refused: why } : 'gone';
}
