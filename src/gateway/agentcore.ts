/**
 * The AgentCore Gateway port: the real @aws-sdk/client-bedrock-agentcore-control, loaded lazily.
 * Update is read-modify-write (GetGateway, replace only the authorizer, send every other field back),
 * because the service treats UpdateGateway as a full replace (FACTS §2).
 */
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import { cancellableSdkClient, withCancel } from '../core/cancel.js';
import { CancelledError, CliError, UsageError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withProgress } from '../core/progress.js';
import { httpTimeoutOverride } from '../core/http.js';
import { isLoopbackUrl } from '../core/net.js';

export interface GatewayConnection {
  region: string;
  endpointUrl?: string;
  profile?: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface GatewayInfo {
  gatewayId: string;
  gatewayArn?: string;
  name: string;
  status: string;
  statusReasons?: string[];
  gatewayUrl: string;
  authorizerType: string;
  authorizer?: CustomJwtAuthorizer;
  roleArn?: string;
  protocolType?: string;
  description?: string;
}

export type GatewayStatus = 'CREATING' | 'READY' | 'UPDATING' | 'UPDATE_UNSUCCESSFUL' | 'DELETING' | 'FAILED';

type Sdk = typeof import('@aws-sdk/client-bedrock-agentcore-control');
type SdkClient = InstanceType<Sdk['BedrockAgentCoreControlClient']>;

/** How every gateway init creates is described; cleanup deletes only gateways marked so (src/gateway/identity.ts). */
export const CREATED_BY = 'Created by agentcore-auth';

/** Kept for callers of the gateway port; see src/core/net.ts. */
export const isLoopback = isLoopbackUrl;

/** Normalise a gateway URL to end in /mcp (some responses lack it). */
export function normaliseGatewayUrl(url: string): string {
  const u = url.replace(/\/+$/, '');
  return u.endsWith('/mcp') ? u : `${u}/mcp`;
}

/** Accepts a gateway id, ARN or URL and returns the id. */
export function parseGatewayRef(ref: string): string {
  const arn = /^arn:aws[a-z-]*:bedrock-agentcore:[^:]*:\d*:gateway\/(.+)$/.exec(ref);
  if (arn) return arn[1]!;
  if (/^https?:\/\//.test(ref)) {
    const host = new URL(ref).hostname;
    const m = /^([^.]+)\.gateway\.bedrock-agentcore\./.exec(host);
    if (m) return m[1]!;
    return ref; // another URL (the sandbox, a proxy): GatewayPort.resolve looks it up by gatewayUrl
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9-]{0,99}$/.test(ref)) {
    throw new UsageError(`"${ref}" is not a gateway id, ARN or URL.`, { fix: 'Pass e.g. --gateway my-gw-abc123xyz or its ARN.' });
  }
  return ref;
}

/** Turns SDK errors into one readable line with the fix. */
export function explainAwsError(err: unknown, action: string): CliError {
  if (err instanceof CliError) return err;
  const e = err as Error & { name: string; reason?: string; fieldList?: Array<{ name?: string; message?: string }>; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  switch (e.name) {
    case 'ValidationException': {
      const fields = (e.fieldList ?? []).map((f) => `${f.name}: ${f.message}`).join('; ');
      return new CliError(`${action} was refused: ${e.message}${e.reason ? ` (reason ${e.reason})` : ''}${fields ? `. Fields: ${fields}` : ''}.`, {
        code: 'validation',
        fix: 'Correct the named field and run again.',
      });
    }
    case 'AccessDeniedException':
      return new CliError(`${action} was denied: ${e.message}`, {
        code: 'access_denied',
        fix: 'Grant the caller bedrock-agentcore:GetGateway, UpdateGateway, CreateGateway, ListGateways, DeleteGateway (and iam:PassRole for the gateway role).',
      });
    case 'ResourceNotFoundException':
      return new CliError(`${action}: the gateway does not exist (${e.message}).`, { code: 'not_found', fix: 'Check --gateway and --region (list them with `agentcore-auth init` interactively or `aws bedrock-agentcore-control list-gateways`).' });
    case 'ThrottlingException':
      return new CliError(`${action} was throttled by AWS (HTTP 429).`, { code: 'throttled', fix: 'Wait a minute and run again; it resumes where it stopped.' });
    case 'ConflictException':
      return new CliError(`${action}: the gateway is busy (${e.message}).`, { code: 'conflict', fix: 'Wait until it is READY (agentcore-auth status) and run again.' });
    case 'CredentialsProviderError':
    case 'ExpiredTokenException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
      return new CliError(`${action}: no usable AWS credentials (${e.message}).`, {
        code: 'credentials',
        fix: 'Run `aws sso login` or `aws configure`, pass --profile, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
      });
    default: {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
      if (e.name === 'TimeoutError' || cause === 'ETIMEDOUT') {
        return new CliError(`${action}: no answer from the AgentCore control plane in time (${cause ?? e.name}).`, {
          code: 'timeout',
          fix: 'Check --endpoint-url / --region and your network, then run again (it resumes).',
        });
      }
      if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND') {
        return new CliError(`${action}: cannot reach the AgentCore control plane (${cause ?? e.name}).`, {
          code: 'network',
          fix: 'Check --endpoint-url / --region and your network; for the sandbox, is `agentcore-auth sandbox` running?',
        });
      }
      return new CliError(`${action} failed${status ? ` (HTTP ${status})` : ''}: ${e.name}: ${e.message}`, { code: 'aws_error' });
    }
  }
}

export class GatewayPort {
  private client?: SdkClient;
  private sdk?: Sdk;
  constructor(private readonly conn: GatewayConnection, private readonly logger: Logger) {}

  private async c(): Promise<{ client: SdkClient; sdk: Sdk }> {
    if (!this.client || !this.sdk) {
      // The SDK's Node-version notice is about its own future releases, not this run: keep our output clean.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      this.sdk = await import('@aws-sdk/client-bedrock-agentcore-control');
      const endpoint = this.conn.endpointUrl ?? this.conn.env.AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL ?? this.conn.env.AWS_ENDPOINT_URL;
      const requestTimeout = httpTimeoutOverride(this.conn.env) ?? this.conn.timeoutMs ?? 15_000;
      const haveCreds = Boolean(this.conn.env.AWS_ACCESS_KEY_ID) || Boolean(this.conn.profile) || Boolean(this.conn.env.AWS_PROFILE);
      this.client = cancellableSdkClient(new this.sdk.BedrockAgentCoreControlClient({
        region: this.conn.region,
        ...(this.conn.endpointUrl ? { endpoint: this.conn.endpointUrl } : {}),
        ...(this.conn.profile ? { profile: this.conn.profile } : {}),
        // A loopback endpoint (sandbox, moto) needs no real credentials.
        ...(isLoopback(endpoint) && !haveCreds ? { credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } } : {}),
        maxAttempts: 4,
        // Without throwOnRequestTimeout the SDK only warns on a hung request: a hung control plane would hang init.
        requestHandler: { requestTimeout, throwOnRequestTimeout: true, connectionTimeout: Math.min(requestTimeout, 5_000) },
      }));
    }
    return { client: this.client, sdk: this.sdk };
  }

  private toInfo(g: Record<string, any>): GatewayInfo {
    const jwt = g.authorizerConfiguration?.customJWTAuthorizer as CustomJwtAuthorizer | undefined;
    return {
      gatewayId: g.gatewayId,
      gatewayArn: g.gatewayArn,
      name: g.name,
      status: g.status,
      statusReasons: g.statusReasons,
      gatewayUrl: g.gatewayUrl ? normaliseGatewayUrl(g.gatewayUrl) : '',
      authorizerType: g.authorizerType,
      authorizer: jwt ? stripUndefined(jwt) : undefined,
      roleArn: g.roleArn,
      protocolType: g.protocolType,
      ...(typeof g.description === 'string' ? { description: g.description } : {}),
    };
  }

  async get(id: string): Promise<GatewayInfo | null> {
    const { client, sdk } = await this.c();
    try {
      return this.toInfo(await client.send(new sdk.GetGatewayCommand({ gatewayIdentifier: id })));
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return null;
      throw explainAwsError(err, `GetGateway ${id}`);
    }
  }

  /** An id, or a gateway URL that is not AWS-shaped: found by listing gateways and comparing their URLs. */
  async resolve(ref: string): Promise<string> {
    if (!/^https?:\/\//.test(ref)) return ref;
    const want = normaliseGatewayUrl(ref);
    for (const g of await this.list()) {
      const full = await this.get(g.gatewayId);
      if (full && full.gatewayUrl === want) return full.gatewayId;
    }
    throw new CliError(`No gateway in ${this.conn.region}${this.conn.endpointUrl ? ` at ${this.conn.endpointUrl}` : ''} has the URL ${want}.`, {
      code: 'not_found',
      fix: 'Pass the gateway id or ARN to --gateway, and check --region / --endpoint-url.',
    });
  }

  async require(id: string): Promise<GatewayInfo> {
    const g = await this.get(id);
    if (!g) {
      throw new CliError(`Gateway ${id} was not found in ${this.conn.region}${this.conn.endpointUrl ? ` at ${this.conn.endpointUrl}` : ''}.`, {
        code: 'not_found',
        fix: 'Check --gateway and --region, or create one with --create-gateway NAME --role-arn ARN.',
      });
    }
    return g;
  }

  async list(): Promise<Array<Pick<GatewayInfo, 'gatewayId' | 'name' | 'status' | 'authorizerType'>>> {
    const { client, sdk } = await this.c();
    const out: Array<Pick<GatewayInfo, 'gatewayId' | 'name' | 'status' | 'authorizerType'>> = [];
    try {
      for await (const page of sdk.paginateListGateways({ client }, {})) {
        for (const it of page.items ?? []) out.push({ gatewayId: it.gatewayId!, name: it.name!, status: it.status!, authorizerType: it.authorizerType! });
      }
    } catch (err) {
      throw explainAwsError(err, 'ListGateways');
    }
    return out;
  }

  /**
   * Creates an MCP gateway. `clientToken` makes the call idempotent: init journals it before the call, so a
   * retry or a resume after a crash gets the same gateway back instead of a second one.
   */
  async create(input: { name: string; roleArn: string; authorizer: CustomJwtAuthorizer; description?: string; clientToken?: string }): Promise<GatewayInfo> {
    const { client, sdk } = await this.c();
    try {
      const res = await client.send(
        new sdk.CreateGatewayCommand({
          ...(input.clientToken ? { clientToken: input.clientToken } : {}),
          name: input.name,
          roleArn: input.roleArn,
          description: input.description ?? CREATED_BY,
          protocolType: 'MCP',
          authorizerType: 'CUSTOM_JWT',
          authorizerConfiguration: { customJWTAuthorizer: input.authorizer as any },
        }),
      );
      return this.toInfo(res);
    } catch (err) {
      throw explainAwsError(err, `CreateGateway ${input.name}`);
    }
  }

  /** Read-modify-write: replace only the authorizer, send every other field back. Returns the previous authorizer. */
  async setAuthorizer(id: string, authorizer: CustomJwtAuthorizer): Promise<{ previous?: CustomJwtAuthorizer }> {
    const { client, sdk } = await this.c();
    let current: Record<string, any>;
    try {
      current = await client.send(new sdk.GetGatewayCommand({ gatewayIdentifier: id }));
    } catch (err) {
      throw explainAwsError(err, `GetGateway ${id}`);
    }
    if (current.authorizerType !== 'CUSTOM_JWT') throw authorizerTypeError(id, current.authorizerType);
    const previous = current.authorizerConfiguration?.customJWTAuthorizer as CustomJwtAuthorizer | undefined;
    const keep = [
      'name', 'description', 'roleArn', 'protocolType', 'protocolConfiguration', 'authorizerType', 'kmsKeyArn',
      'interceptorConfigurations', 'policyEngineConfiguration', 'exceptionLevel', 'customTransformConfiguration', 'wafConfiguration',
    ];
    const input: Record<string, unknown> = { gatewayIdentifier: id };
    for (const k of keep) if (current[k] !== undefined && current[k] !== null) input[k] = current[k];
    input.authorizerConfiguration = { customJWTAuthorizer: authorizer };
    try {
      await client.send(new sdk.UpdateGatewayCommand(input as any));
    } catch (err) {
      throw explainAwsError(err, `UpdateGateway ${id}`);
    }
    return { previous: previous ? stripUndefined(previous) : undefined };
  }

  /** Deletes the gateway's targets (a gateway with targets cannot be deleted); returns how many were deleted. */
  async deleteTargets(id: string): Promise<number> {
    const { client, sdk } = await this.c();
    let n = 0;
    try {
      for await (const page of sdk.paginateListGatewayTargets({ client }, { gatewayIdentifier: id })) {
        for (const t of page.items ?? []) {
          try {
            await client.send(new sdk.DeleteGatewayTargetCommand({ gatewayIdentifier: id, targetId: t.targetId! }));
            n++;
          } catch (err) {
            if ((err as Error).name !== 'ResourceNotFoundException') throw err;
          }
        }
      }
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return n;
      throw explainAwsError(err, `Deleting the targets of gateway ${id}`);
    }
    return n;
  }

  async delete(id: string): Promise<'deleted' | 'gone'> {
    const { client, sdk } = await this.c();
    try {
      await client.send(new sdk.DeleteGatewayCommand({ gatewayIdentifier: id }));
      return 'deleted';
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return 'gone';
      throw explainAwsError(err, `DeleteGateway ${id}`);
    }
  }

  /**
   * Deletes a gateway once it has settled: one still CREATING or UPDATING (say, after a Ctrl-C during init)
   * would refuse the delete with a ConflictException, so wait for it first.
   */
  async deleteWhenSettled(id: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<'deleted' | 'gone'> {
    const g = await this.get(id);
    if (!g || g.status === 'DELETING') return 'gone';
    if (g.status === 'CREATING' || g.status === 'UPDATING') {
      await this.waitReady(id, opts).catch((err: CliError) => {
        if (err.code !== 'gateway_failed') throw err; // a FAILED gateway can still be deleted
      });
    }
    const targets = await this.deleteTargets(id);
    if (targets) this.logger.info(`Deleted ${targets} target(s) of gateway ${id} first`);
    return this.delete(id);
  }

  /** Polls GetGateway (there are no waiters) until READY, with visible progress. */
  async waitReady(id: string, opts: { timeoutMs: number; signal?: AbortSignal; pollMs?: number }): Promise<GatewayInfo> {
    const start = Date.now();
    return withProgress(this.logger, `Waiting for gateway ${id} to be READY`, async (p) => {
      let delay = opts.pollMs ?? 250;
      for (;;) {
        const signal = withCancel(opts.signal);
        if (signal?.aborted) throw signal.reason instanceof CancelledError ? signal.reason : new CancelledError('Cancelled while waiting for the gateway; it keeps updating on AWS. Run `agentcore-auth status` to see where it got.');
        const g = await this.require(id);
        p.update(`Waiting for gateway ${id} (${g.status})`);
        if (g.status === 'READY') return g;
        if (g.status === 'FAILED' || g.status === 'UPDATE_UNSUCCESSFUL') {
          throw new CliError(`Gateway ${id} is ${g.status}: ${(g.statusReasons ?? []).join('; ') || 'no reason given'}.`, {
            code: 'gateway_failed',
            fix: 'Fix the reason above (often the role or the discovery URL), then run init again: it resumes.',
          });
        }
        if (Date.now() - start > opts.timeoutMs) {
          throw new CliError(`Gateway ${id} is still ${g.status} after ${Math.round(opts.timeoutMs / 1000)} s.`, {
            code: 'wait_timeout',
            fix: 'Raise --wait-timeout, or pass --no-wait and check later with `agentcore-auth status`.',
          });
        }
        await new Promise<void>((r) => {
          const t = setTimeout(done, delay);
          function done() {
            clearTimeout(t);
            signal?.removeEventListener('abort', done);
            r();
          }
          signal?.addEventListener('abort', done, { once: true });
        });
        delay = Math.min(delay * 2, 5000);
      }
    });
  }
}

export function authorizerTypeError(id: string, type: string): CliError {
  return new CliError(`Gateway ${id} uses authorizer type ${type}, and AWS cannot change a gateway's authorizer type after creation ("Authorizer type cannot be updated for an existing gateway").`, {
    code: 'authorizer_type',
    fix: 'Create a new gateway with a JWT authorizer: --create-gateway NAME --role-arn ARN (then move its targets over). Nothing was changed.',
  });
}

function stripUndefined<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}
