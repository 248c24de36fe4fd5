/**
 * An AgentCore-compatible control plane for gateways, spoken by the real
 * `@aws-sdk/client-bedrock-agentcore-control` client (restJson1) with `endpoint: http://127.0.0.1:PORT`.
 *
 * Operations (paths, methods and status codes from the SDK's operation schemas):
 *   CreateGateway POST /gateways/ 202 · GetGateway GET /gateways/{id}/ 200 · UpdateGateway PUT /gateways/{id}/ 202
 *   DeleteGateway DELETE /gateways/{id}/ 202 · ListGateways GET /gateways/?maxResults&nextToken 200
 *   CreateGatewayTarget POST /gateways/{id}/targets/ 202 · ListGatewayTargets GET /gateways/{id}/targets/ 200
 *   DeleteGatewayTarget DELETE /gateways/{id}/targets/{targetId}/ 202 (targets are stored, not invoked: they exist
 *   so that DeleteGateway can refuse a gateway that still has targets, as AWS does)
 * Timestamps are RFC 3339 strings (the model marks createdAt/updatedAt as date-time). Errors carry the
 * `x-amzn-errortype` header and a JSON body with `message` (ValidationException adds `reason` and
 * `fieldList[{name,message}]`), which is how the SDK picks the exception class.
 *
 * Semantics follow AWS, not moto (FACTS §2, §3): update is a full replace; name, roleArn and
 * authorizerType are required on update; authorizerType cannot change; CREATING/UPDATING become READY
 * after readyDelayMs; DELETING disappears after readyDelayMs; update/delete while not settled is a
 * ConflictException. Each gateway gets its own data-plane server (dataplane.ts), started on create.
 */
import { CLAIM_NAME_PATTERN, CLAIM_VALUE_PATTERN } from '../authorizer/access.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import { createJwtValidator } from '../authorizer/validate.js';
import type { JwtValidator } from '../authorizer/validate.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { startDataPlane } from './dataplane.js';
import type { ActiveAuthorizer, DataPlane } from './dataplane.js';

export interface ControlPlaneOptions {
  host?: string;
  region: string;
  accountId: string;
  logger: Logger;
  /** CREATING/UPDATING -> READY (and DELETING -> gone) after this many ms. Default 300. */
  readyDelayMs?: number;
  /** The folder the gateways' `list_files` tool shows. */
  toolsDir: string;
  validator?: JwtValidator;
}

export interface ControlPlane {
  /** true when the request is a control-plane call (paths under /gateways). */
  matches(req: IncomingMessage): boolean;
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** Closes every gateway data-plane server and stops pending status changes. */
  close(): Promise<void>;
}

export type GatewayStatus = 'CREATING' | 'READY' | 'UPDATING' | 'UPDATE_UNSUCCESSFUL' | 'DELETING' | 'FAILED';
const AUTHORIZER_TYPES = ['CUSTOM_JWT', 'AWS_IAM', 'NONE', 'AUTHENTICATE_ONLY'];
const NAME_PATTERN = /^([0-9a-zA-Z][-]?){1,100}$/;
const ROLE_ARN_PATTERN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const DISCOVERY_PATTERN = /^.+\/\.well-known\/openid-configuration$/;
const KMS_ARN_PATTERN = /^arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key\/[a-zA-Z0-9-]{36}$/;
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]{1,255}$/;

/** Fields an update replaces wholesale (omitted = removed). protocolType falls back to its default, MCP. */
const REPLACEABLE = [
  'description',
  'protocolType',
  'protocolConfiguration',
  'authorizerConfiguration',
  'kmsKeyArn',
  'customTransformConfiguration',
  'interceptorConfigurations',
  'policyEngineConfiguration',
  'exceptionLevel',
  'wafConfiguration',
] as const;
/** Fields CreateGateway accepts besides name, roleArn, authorizerType, clientToken and tags. */
const CREATE_FIELDS = [
  'description',
  'protocolType',
  'protocolConfiguration',
  'authorizerConfiguration',
  'kmsKeyArn',
  'interceptorConfigurations',
  'policyEngineConfiguration',
  'exceptionLevel',
] as const;

interface GatewayRecord {
  gatewayId: string;
  gatewayArn: string;
  gatewayUrl: string;
  createdAt: Date;
  updatedAt: Date;
  status: GatewayStatus;
  name: string;
  roleArn: string;
  authorizerType: string;
  fields: Record<string, unknown>;
  tags?: Record<string, string>;
  clientToken?: string;
  workloadIdentityDetails: { workloadIdentityArn: string };
  /** The authorizer the data plane enforces: switched when an update becomes READY. */
  active: ActiveAuthorizer;
  dataPlane?: DataPlane;
  timer?: NodeJS.Timeout;
  targets: Map<string, TargetRecord>;
}

interface TargetRecord {
  targetId: string;
  name: string;
  description?: string;
  targetConfiguration: unknown;
  credentialProviderConfigurations: unknown[];
  status: 'CREATING' | 'READY' | 'DELETING';
  createdAt: Date;
  updatedAt: Date;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface FieldProblem {
  name: string;
  message: string;
}

function validationError(problems: FieldProblem[]): ApiError {
  const n = problems.length;
  const message = `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.map((p) => p.message).join('; ')}`;
  return new ApiError('ValidationException', 400, message, { reason: 'FieldValidationFailed', fieldList: problems });
}

function constraint(name: string, value: unknown, what: string): FieldProblem {
  const shown = typeof value === 'string' ? `'${value.length > 80 ? `${value.slice(0, 77)}...` : value}' ` : '';
  return { name, message: `Value ${shown}at '${name}' failed to satisfy constraint: ${what}` };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkStringList(path: string, v: unknown, problems: FieldProblem[], pattern?: RegExp): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length < 1 || !v.every((x) => typeof x === 'string' && x.length > 0)) {
    problems.push(constraint(path, undefined, 'Member must be a list of at least 1 non-empty string'));
    return;
  }
  if (pattern) for (const x of v as string[]) if (!pattern.test(x)) problems.push(constraint(path, x, `Member must satisfy regular expression pattern: ${pattern.source}`));
}

function checkCustomJwt(jwt: unknown, problems: FieldProblem[]): void {
  const base = 'authorizerConfiguration.customJWTAuthorizer';
  if (!isObject(jwt)) {
    problems.push(constraint(base, undefined, 'Member must not be null when authorizerType is CUSTOM_JWT'));
    return;
  }
  const url = jwt.discoveryUrl;
  if (typeof url !== 'string' || !url) {
    problems.push(constraint(`${base}.discoveryUrl`, undefined, 'Member must not be null'));
  } else if (!DISCOVERY_PATTERN.test(url)) {
    problems.push(constraint(`${base}.discoveryUrl`, url, 'Member must satisfy regular expression pattern: .+/\\.well-known/openid-configuration'));
  } else if (!URL.canParse(url)) {
    problems.push(constraint(`${base}.discoveryUrl`, url, 'Member must be a valid URL'));
  }
  checkStringList(`${base}.allowedAudience`, jwt.allowedAudience, problems);
  checkStringList(`${base}.allowedClients`, jwt.allowedClients, problems);
  checkStringList(`${base}.allowedScopes`, jwt.allowedScopes, problems, SCOPE_PATTERN);
  if (jwt.advertisedScopeMapping !== undefined) {
    const m = jwt.advertisedScopeMapping;
    if (!isObject(m) || !Object.values(m).every((v) => typeof v === 'string')) {
      problems.push(constraint(`${base}.advertisedScopeMapping`, undefined, 'Member must be a map of strings'));
    } else {
      const allowed = Array.isArray(jwt.allowedScopes) ? (jwt.allowedScopes as unknown[]) : [];
      for (const k of Object.keys(m)) {
        if (!allowed.includes(k)) problems.push(constraint(`${base}.advertisedScopeMapping`, k, 'Each key must be one of allowedScopes'));
      }
    }
  }
  const claims = jwt.customClaims;
  if (claims === undefined) return;
  if (!Array.isArray(claims) || claims.length < 1) {
    problems.push(constraint(`${base}.customClaims`, undefined, 'Member must have length greater than or equal to 1'));
    return;
  }
  claims.forEach((c: unknown, i: number) => {
    const p = `${base}.customClaims.${i + 1}`;
    if (!isObject(c)) {
      problems.push(constraint(p, undefined, 'Member must be an object'));
      return;
    }
    if (typeof c.inboundTokenClaimName !== 'string' || !CLAIM_NAME_PATTERN.test(c.inboundTokenClaimName)) {
      problems.push(constraint(`${p}.inboundTokenClaimName`, c.inboundTokenClaimName, `Member must satisfy regular expression pattern: ${CLAIM_NAME_PATTERN.source}`));
    }
    const type = c.inboundTokenClaimValueType;
    if (type !== 'STRING' && type !== 'STRING_ARRAY') {
      problems.push(constraint(`${p}.inboundTokenClaimValueType`, type, 'Member must satisfy enum value set: [STRING, STRING_ARRAY]'));
      return;
    }
    const match = c.authorizingClaimMatchValue;
    if (!isObject(match) || !isObject(match.claimMatchValue)) {
      problems.push(constraint(`${p}.authorizingClaimMatchValue`, undefined, 'Member must not be null'));
      return;
    }
    const op = match.claimMatchOperator;
    const value = match.claimMatchValue;
    const hasString = typeof value.matchValueString === 'string';
    const hasList = Array.isArray(value.matchValueStringList) && value.matchValueStringList.length > 0 && value.matchValueStringList.every((x) => typeof x === 'string');
    const fits =
      (op === 'EQUALS' && type === 'STRING' && hasString) ||
      (op === 'CONTAINS' && type === 'STRING_ARRAY' && hasString) ||
      (op === 'CONTAINS_ANY' && type === 'STRING_ARRAY' && hasList);
    const values = hasString ? [value.matchValueString] : hasList ? (value.matchValueStringList as string[]) : [];
    for (const v of values) {
      if (!CLAIM_VALUE_PATTERN.test(String(v))) problems.push(constraint(`${p}.authorizingClaimMatchValue.claimMatchValue`, String(v), `Member must satisfy regular expression pattern: ${CLAIM_VALUE_PATTERN.source}`));
    }
    if (!fits) {
      problems.push(
        constraint(
          `${p}.authorizingClaimMatchValue`,
          typeof op === 'string' ? op : undefined,
          'EQUALS needs a STRING claim and matchValueString; CONTAINS needs a STRING_ARRAY claim and matchValueString; CONTAINS_ANY needs a STRING_ARRAY claim and matchValueStringList',
        ),
      );
    }
  });
}

/** Validation shared by create and update. */
function validateCommon(body: Record<string, unknown>, problems: FieldProblem[]): void {
  const { name, roleArn, authorizerType } = body;
  if (typeof name !== 'string' || !name) problems.push(constraint('name', undefined, 'Member must not be null'));
  else if (!NAME_PATTERN.test(name)) problems.push(constraint('name', name, 'Member must satisfy regular expression pattern: ([0-9a-zA-Z][-]?){1,100}'));
  if (typeof roleArn !== 'string' || !roleArn) problems.push(constraint('roleArn', undefined, 'Member must not be null'));
  else if (!ROLE_ARN_PATTERN.test(roleArn)) problems.push(constraint('roleArn', roleArn, 'Member must satisfy regular expression pattern: arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+'));
  if (typeof authorizerType !== 'string' || !authorizerType) problems.push(constraint('authorizerType', undefined, 'Member must not be null'));
  else if (!AUTHORIZER_TYPES.includes(authorizerType)) problems.push(constraint('authorizerType', authorizerType, `Member must satisfy enum value set: [${AUTHORIZER_TYPES.join(', ')}]`));
  if (body.description !== undefined && (typeof body.description !== 'string' || body.description.length > 200)) {
    problems.push(constraint('description', undefined, 'Member must be a string of at most 200 characters'));
  }
  if (body.protocolType !== undefined && body.protocolType !== 'MCP') problems.push(constraint('protocolType', body.protocolType, 'Member must satisfy enum value set: [MCP]'));
  if (body.exceptionLevel !== undefined && body.exceptionLevel !== 'DEBUG') problems.push(constraint('exceptionLevel', body.exceptionLevel, 'Member must satisfy enum value set: [DEBUG]'));
  if (body.kmsKeyArn !== undefined && (typeof body.kmsKeyArn !== 'string' || !KMS_ARN_PATTERN.test(body.kmsKeyArn))) {
    problems.push(constraint('kmsKeyArn', body.kmsKeyArn, 'Member must be a KMS key ARN'));
  }
  for (const k of ['protocolConfiguration', 'authorizerConfiguration', 'customTransformConfiguration', 'policyEngineConfiguration', 'wafConfiguration']) {
    if (body[k] !== undefined && !isObject(body[k])) problems.push(constraint(k, undefined, 'Member must be an object'));
  }
  if (body.interceptorConfigurations !== undefined && !Array.isArray(body.interceptorConfigurations)) {
    problems.push(constraint('interceptorConfigurations', undefined, 'Member must be a list'));
  }
  if (authorizerType === 'CUSTOM_JWT') {
    const conf = body.authorizerConfiguration;
    if (!isObject(conf)) problems.push(constraint('authorizerConfiguration', undefined, 'Member must not be null when authorizerType is CUSTOM_JWT'));
    else checkCustomJwt(conf.customJWTAuthorizer, problems);
  }
}

function activeOf(authorizerType: string, fields: Record<string, unknown>): ActiveAuthorizer {
  const conf = fields.authorizerConfiguration;
  const jwt = isObject(conf) && isObject(conf.customJWTAuthorizer) ? (structuredClone(conf.customJWTAuthorizer) as unknown as CustomJwtAuthorizer) : undefined;
  return { authorizerType, ...(jwt ? { customJWTAuthorizer: jwt } : {}) };
}

function randomSuffix(n = 10): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

function toDetail(g: GatewayRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    gatewayArn: g.gatewayArn,
    gatewayId: g.gatewayId,
    gatewayUrl: g.gatewayUrl,
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
    status: g.status,
    name: g.name,
    roleArn: g.roleArn,
    authorizerType: g.authorizerType,
    workloadIdentityDetails: g.workloadIdentityDetails,
  };
  for (const [k, v] of Object.entries(g.fields)) if (v !== undefined) out[k] = structuredClone(v);
  return out;
}

function toSummary(g: GatewayRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    gatewayId: g.gatewayId,
    name: g.name,
    status: g.status,
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
    authorizerType: g.authorizerType,
  };
  if (typeof g.fields.description === 'string') out.description = g.fields.description;
  if (typeof g.fields.protocolType === 'string') out.protocolType = g.fields.protocolType;
  return out;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) throw new ApiError('ValidationException', 400, 'The request body is too large.', { reason: 'CannotParse' });
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (!isObject(v)) throw new Error('not an object');
    return v;
  } catch {
    throw new ApiError('ValidationException', 400, 'The request body is not a JSON object.', { reason: 'CannotParse' });
  }
}

export function createControlPlane(opts: ControlPlaneOptions): ControlPlane {
  const host = opts.host ?? '127.0.0.1';
  const delay = opts.readyDelayMs ?? 300;
  const { logger, region, accountId } = opts;
  const validator = opts.validator ?? createJwtValidator();
  const gateways = new Map<string, GatewayRecord>();
  const byClientToken = new Map<string, string>();
  let closing = false;

  function find(identifier: string): GatewayRecord {
    const id = decodeURIComponent(identifier).replace(/^arn:[^:]+:bedrock-agentcore:[^:]*:[^:]*:gateway\//, '');
    const g = gateways.get(id);
    if (!g) throw new ApiError('ResourceNotFoundException', 404, `Could not find Gateway with ID ${id}`);
    return g;
  }

  function schedule(g: GatewayRecord, fn: () => void): void {
    if (g.timer) clearTimeout(g.timer);
    g.timer = setTimeout(() => {
      g.timer = undefined;
      if (!closing) fn();
    }, delay);
    g.timer.unref?.();
  }

  function settleReady(g: GatewayRecord): void {
    schedule(g, () => {
      g.status = 'READY';
      g.active = activeOf(g.authorizerType, g.fields);
      logger.debug(`Control plane: gateway ${g.gatewayId} -> READY`);
    });
  }

  function requireSettled(g: GatewayRecord, op: string): void {
    if (g.status === 'CREATING' || g.status === 'UPDATING' || g.status === 'DELETING') {
      throw new ApiError('ConflictException', 409, `Gateway ${g.gatewayId} is ${g.status}; ${op} is allowed once it is READY.`);
    }
  }

  async function createGateway(body: Record<string, unknown>): Promise<[number, unknown, string]> {
    const clientToken = typeof body.clientToken === 'string' ? body.clientToken : undefined;
    if (clientToken && byClientToken.has(clientToken)) {
      const existing = gateways.get(byClientToken.get(clientToken)!);
      if (existing) {
        if (existing.name !== body.name) throw new ApiError('ConflictException', 409, 'The clientToken was already used for a request with different parameters.');
        return [202, toDetail(existing), `${existing.gatewayId} -> ${existing.status} (repeated clientToken)`];
      }
    }
    const problems: FieldProblem[] = [];
    validateCommon(body, problems);
    if (body.tags !== undefined && (!isObject(body.tags) || !Object.values(body.tags).every((v) => typeof v === 'string'))) {
      problems.push(constraint('tags', undefined, 'Member must be a map of strings'));
    }
    if (problems.length) throw validationError(problems);
    const name = body.name as string;
    if ([...gateways.values()].some((g) => g.name === name)) {
      throw new ApiError('ConflictException', 409, `A gateway named ${name} already exists in this account and region.`);
    }

    const gatewayId = `${name.toLowerCase()}-${randomSuffix()}`;
    const fields: Record<string, unknown> = {};
    for (const k of CREATE_FIELDS) if (body[k] !== undefined) fields[k] = structuredClone(body[k]);
    fields.protocolType ??= 'MCP';
    const now = new Date();
    const g: GatewayRecord = {
      gatewayId,
      gatewayArn: `arn:aws:bedrock-agentcore:${region}:${accountId}:gateway/${gatewayId}`,
      gatewayUrl: '',
      createdAt: now,
      updatedAt: now,
      status: 'CREATING',
      name,
      roleArn: body.roleArn as string,
      authorizerType: body.authorizerType as string,
      fields,
      ...(isObject(body.tags) ? { tags: { ...(body.tags as Record<string, string>) } } : {}),
      ...(clientToken ? { clientToken } : {}),
      workloadIdentityDetails: {
        workloadIdentityArn: `arn:aws:bedrock-agentcore:${region}:${accountId}:workload-identity-directory/default/workload-identity/${gatewayId}`,
      },
      active: activeOf(body.authorizerType as string, fields),
      targets: new Map(),
    };
    g.dataPlane = await startDataPlane({
      host,
      gatewayId,
      logger,
      toolsDir: opts.toolsDir,
      validator,
      authorizer: () => {
        const cur = gateways.get(gatewayId);
        return cur && cur.status !== 'DELETING' ? cur.active : undefined;
      },
    });
    g.gatewayUrl = g.dataPlane.url;
    gateways.set(gatewayId, g);
    if (clientToken) byClientToken.set(clientToken, gatewayId);
    settleReady(g);
    return [202, toDetail(g), `${gatewayId} -> ${g.status}`];
  }

  function updateGateway(id: string, body: Record<string, unknown>): [number, unknown, string] {
    const g = find(id);
    const problems: FieldProblem[] = [];
    validateCommon(body, problems);
    if (problems.length) throw validationError(problems);
    if (body.authorizerType !== g.authorizerType) {
      const message = 'Authorizer type cannot be updated for an existing gateway';
      throw new ApiError('ValidationException', 400, message, { reason: 'FieldValidationFailed', fieldList: [{ name: 'authorizerType', message }] });
    }
    if (body.name !== g.name) {
      const message = `Gateway name cannot be changed: it is ${g.name}, the request has ${String(body.name)}`;
      throw new ApiError('ValidationException', 400, message, { reason: 'FieldValidationFailed', fieldList: [{ name: 'name', message }] });
    }
    requireSettled(g, 'UpdateGateway');
    // Full replace: every replaceable field takes the request's value, and is removed when omitted.
    const fields: Record<string, unknown> = {};
    for (const k of REPLACEABLE) if (body[k] !== undefined) fields[k] = structuredClone(body[k]);
    fields.protocolType ??= 'MCP';
    g.fields = fields;
    g.roleArn = body.roleArn as string;
    g.updatedAt = new Date();
    g.status = 'UPDATING';
    settleReady(g);
    return [202, toDetail(g), `${g.gatewayId} -> ${g.status}`];
  }

  function deleteGateway(id: string): [number, unknown, string] {
    const g = find(id);
    requireSettled(g, 'DeleteGateway');
    if (g.targets.size) {
      throw new ApiError('ValidationException', 400, `Gateway ${g.gatewayId} has ${g.targets.size} target(s); delete them before deleting the gateway.`, {
        reason: 'FieldValidationFailed',
        fieldList: [{ name: 'gatewayIdentifier', message: 'Gateway has targets' }],
      });
    }
    g.status = 'DELETING';
    g.updatedAt = new Date();
    void g.dataPlane?.close();
    schedule(g, () => {
      gateways.delete(g.gatewayId);
      if (g.clientToken) byClientToken.delete(g.clientToken);
      logger.debug(`Control plane: gateway ${g.gatewayId} deleted`);
    });
    return [202, { gatewayId: g.gatewayId, status: g.status }, `${g.gatewayId} -> DELETING`];
  }

  function listGateways(query: URLSearchParams): [number, unknown, string] {
    let max = 1000;
    const rawMax = query.get('maxResults');
    if (rawMax !== null) {
      max = Number(rawMax);
      if (!Number.isInteger(max) || max < 1 || max > 1000) throw validationError([constraint('maxResults', rawMax, 'Member must be an integer between 1 and 1000')]);
    }
    let start = 0;
    const token = query.get('nextToken');
    if (token) {
      const decoded = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
      if (!decoded) throw validationError([constraint('nextToken', undefined, 'Member must be a nextToken from a previous ListGateways answer')]);
      start = Number(decoded[1]);
    }
    const all = [...gateways.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.gatewayId.localeCompare(b.gatewayId));
    const page = all.slice(start, start + max);
    const out: Record<string, unknown> = { items: page.map(toSummary) };
    if (start + max < all.length) out.nextToken = Buffer.from(`o${start + max}`).toString('base64url');
    return [200, out, `${page.length} of ${all.length} gateways`];
  }

  function targetSummary(t: TargetRecord): Record<string, unknown> {
    return { targetId: t.targetId, name: t.name, status: t.status, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(), ...(t.description ? { description: t.description } : {}) };
  }

  function createTarget(id: string, body: Record<string, unknown>): [number, unknown, string] {
    const g = find(id);
    if (g.status === 'CREATING') throw new ApiError('ConflictException', 409, `Targets cannot be added while gateway ${g.gatewayId} is CREATING.`);
    const problems: FieldProblem[] = [];
    if (typeof body.name !== 'string' || !NAME_PATTERN.test(body.name)) problems.push({ name: 'name', message: 'Member must satisfy regular expression pattern: ([0-9a-zA-Z][-]?){1,100}' });
    if (!isObject(body.targetConfiguration)) problems.push({ name: 'targetConfiguration', message: 'Member must not be null' });
    if (problems.length) throw validationError(problems);
    const now = new Date();
    const t: TargetRecord = {
      targetId: randomBytes(5).toString('hex').toUpperCase(),
      name: body.name as string,
      description: typeof body.description === 'string' ? body.description : undefined,
      targetConfiguration: structuredClone(body.targetConfiguration),
      credentialProviderConfigurations: Array.isArray(body.credentialProviderConfigurations) ? structuredClone(body.credentialProviderConfigurations) : [],
      status: 'READY',
      createdAt: now,
      updatedAt: now,
    };
    g.targets.set(t.targetId, t);
    return [202, { gatewayArn: g.gatewayArn, ...targetSummary(t), targetConfiguration: t.targetConfiguration, credentialProviderConfigurations: t.credentialProviderConfigurations, statusReasons: [] }, `${g.gatewayId}/${t.targetId} -> READY`];
  }

  function deleteTarget(id: string, targetId: string): [number, unknown, string] {
    const g = find(id);
    if (!g.targets.delete(targetId)) throw new ApiError('ResourceNotFoundException', 404, `Target ${targetId} not found in gateway ${g.gatewayId}.`);
    return [202, { gatewayArn: g.gatewayArn, targetId, status: 'DELETING', statusReasons: [] }, `${g.gatewayId}/${targetId} -> DELETING`];
  }

  async function route(req: IncomingMessage): Promise<{ op: string; result: [number, unknown, string] }> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const parts = url.pathname.split('/').filter(Boolean); // ['gateways', id?]
    const method = req.method ?? 'GET';
    if (parts.length === 1) {
      if (method === 'POST') return { op: 'CreateGateway', result: await createGateway(await readJson(req)) };
      if (method === 'GET') return { op: 'ListGateways', result: listGateways(url.searchParams) };
    } else if (parts.length === 2) {
      const id = parts[1]!;
      if (method === 'GET') {
        const g = find(id);
        return { op: 'GetGateway', result: [200, toDetail(g), `${g.gatewayId} -> ${g.status}`] };
      }
      if (method === 'PUT') return { op: 'UpdateGateway', result: updateGateway(id, await readJson(req)) };
      if (method === 'DELETE') return { op: 'DeleteGateway', result: deleteGateway(id) };
    } else if (parts[2] === 'targets' && parts.length === 3) {
      const id = parts[1]!;
      if (method === 'POST') return { op: 'CreateGatewayTarget', result: createTarget(id, await readJson(req)) };
      if (method === 'GET') {
        const g = find(id);
        return { op: 'ListGatewayTargets', result: [200, { items: [...g.targets.values()].map(targetSummary) }, `${g.targets.size} targets`] };
      }
    } else if (parts[2] === 'targets' && parts.length === 4 && method === 'DELETE') {
      return { op: 'DeleteGatewayTarget', result: deleteTarget(parts[1]!, parts[3]!) };
    }
    throw new ApiError('UnknownOperationException', 404, `The sandbox control plane does not implement ${method} ${url.pathname}.`);
  }

  function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers);
    res.end(text);
  }

  function opName(req: IncomingMessage): string {
    const parts = new URL(req.url ?? '/', 'http://sandbox').pathname.split('/').filter(Boolean);
    const m = req.method ?? 'GET';
    if (parts.length === 1) return m === 'POST' ? 'CreateGateway' : 'ListGateways';
    const op = ({ GET: 'GetGateway', PUT: 'UpdateGateway', DELETE: 'DeleteGateway' } as Record<string, string>)[m];
    return op && parts.length === 2 ? `${op} ${decodeURIComponent(parts[1]!)}` : `${m} /${parts.join('/')}`;
  }

  return {
    matches(req) {
      const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
      return path === '/gateways' || path.startsWith('/gateways/');
    },
    handler(req, res) {
      route(req)
        .then(({ op, result: [status, body, summary] }) => {
          const line = `Control plane: ${op} ${summary}`;
          if (op === 'GetGateway' || op === 'ListGateways' || op === 'ListGatewayTargets') logger.debug(line);
          else logger.info(line);
          send(res, status, body);
        })
        .catch((err: unknown) => {
          const op = opName(req);
          if (err instanceof ApiError) {
            logger.info(`Control plane: ${op} -> ${err.type}: ${err.message}`);
            send(res, err.status, { message: err.message, ...err.extra }, err.type);
          } else {
            logger.warn(`Control plane: ${op} -> InternalServerException: ${errorMessage(err)}`);
            send(res, 500, { message: `Internal error: ${errorMessage(err)}` }, 'InternalServerException');
          }
        });
    },
    async close() {
      closing = true;
      const all = [...gateways.values()];
      for (const g of all) if (g.timer) clearTimeout(g.timer);
      await Promise.all(all.map((g) => g.dataPlane?.close()));
    },
  };
}
