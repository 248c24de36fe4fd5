/**
 * Amazon Cognito adapter: a public app client (no secret, code flow + PKCE, refresh tokens) in a user pool,
 * through @aws-sdk/client-cognito-identity-provider (loaded lazily, on the first call).
 *
 * What it makes, in order (createApp): the user pool (only with --cognito-create-user-pool), a hosted
 * domain (only when the pool has none), the resource server (only with --cognito-resource-server and when
 * it is missing), the app client, and a managed-login branding style (only when the pool's domain uses
 * managed login v2, whose pages need one per client). deleteApp removes them in reverse, and only what init
 * made: the branding, the client, the resource server, then the domain before its pool.
 *
 * Cognito's access tokens carry no `aud`, name the client in `client_id` and the scopes in `scope`, and
 * say `token_use: access`: the gateway pins `allowedClients [clientId]` (FACTS section 4). Everything needed
 * to manage the app later (region, pool, domain, what was created) is in AppRecord.extras, so cleanup,
 * status and verify work from the journal alone. No secret exists: the client is public.
 */
import type { AccessPolicy } from '../../src/authorizer/access.js';
import { checkGroups, cognitoAccessSupport, ensureGroups, type GroupApi } from './access.js';
import { randomBytes } from 'node:crypto';
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import { isLoopbackUrl } from '../../src/core/net.js';
import { describeIssuer, discoveryUrlForIssuer, recommendedRule } from '../profiles.js';
import type {
  AdapterContext,
  AdapterSetupContext,
  AppRecord,
  AppRequest,
  ClientRequirements,
  IdpAdapter,
  ProviderOptions,
  RevokeResult,
  TokenProfile,
} from '../types.js';

type Sdk = typeof import('@aws-sdk/client-cognito-identity-provider');
type SdkClient = InstanceType<Sdk['CognitoIdentityProviderClient']>;

/** The OIDC scopes Cognito knows; anything else must be `resourceServerIdentifier/scopeName`. */
export const BUILTIN_SCOPES = ['openid', 'email', 'profile', 'phone', 'aws.cognito.signin.user.admin'];
export const DEFAULT_RESOURCE_SERVER_SCOPES = ['invoke'];
export const DEFAULT_REGION = 'us-east-1';
/** Tags on a pool init created: a later run (resume) recognises its own pool by them. */
export const TAG_CREATED_BY = 'agentcore-auth:created-by';
export const TAG_APP = 'agentcore-auth:app';

/** Cognito's token lifetime ranges (CreateUserPoolClient): access and ID 5 min to 1 day, refresh 60 min to 10 years. */
export const LIFETIME_RANGES = {
  access: { min: 300, max: 86_400, flag: '--access-token-ttl', what: 'Access token lifetime' },
  id: { min: 300, max: 86_400, flag: '--id-token-ttl', what: 'ID token lifetime' },
  refresh: { min: 3_600, max: 315_360_000, flag: '--refresh-token-ttl', what: 'Refresh token lifetime' },
} as const;

/** The IAM actions the adapter uses (for the permission hints). */
export const REQUIRED_PERMISSIONS = [
  'cognito-idp:ListUserPools',
  'cognito-idp:DescribeUserPool',
  'cognito-idp:CreateUserPool (only with --cognito-create-user-pool)',
  'cognito-idp:DeleteUserPool (only with --cognito-create-user-pool)',
  'cognito-idp:DescribeUserPoolDomain',
  'cognito-idp:CreateUserPoolDomain',
  'cognito-idp:DeleteUserPoolDomain',
  'cognito-idp:CreateUserPoolClient',
  'cognito-idp:DescribeUserPoolClient',
  'cognito-idp:ListUserPoolClients',
  'cognito-idp:DeleteUserPoolClient',
  'cognito-idp:UpdateUserPoolClient (only when init runs again with another --callback-port)',
  'cognito-idp:DescribeResourceServer / CreateResourceServer / DeleteResourceServer (only with --cognito-resource-server)',
  'cognito-idp:CreateManagedLoginBranding / DeleteManagedLoginBranding (only for managed-login v2 domains)',
  'cognito-idp:GetGroup (with --allow-group), CreateGroup / DeleteGroup (with --cognito-create-group)',
];

export const PKCE_WARNING =
  "Cognito's discovery document does not list code_challenge_methods_supported (Cognito does support PKCE S256): " +
  'mcp-remote proceeds, but stricter MCP clients may refuse to connect.';

const POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const NAME = /^[\w\s+=,.@-]+$/;
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RS_IDENTIFIER = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
const RS_SCOPE_NAME = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/;

// ---------------------------------------------------------------------------------------------------------
// Pure helpers (exported for tests)

export function cognitoIssuer(region: string, poolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
}

/** The sign-in base URL of a pool domain: a prefix (`x` -> x.auth.{region}.amazoncognito.com) or a custom FQDN. */
export function hostedDomainUrl(region: string, domain: string): string {
  return domain.includes('.') ? `https://${domain}` : `https://${domain}.auth.${region}.amazoncognito.com`;
}

/** The region a pool id names (`eu-west-1_AbC` -> eu-west-1), if it has that shape. */
export function regionOfPoolId(poolId: string): string | undefined {
  const r = poolId.split('_')[0]!;
  return REGION.test(r) ? r : undefined;
}

/** Cognito names (pool, client): letters, digits, spaces and + = , . @ - only; at most 128. */
export function clientNameFor(name: string): string {
  const cleaned = name.replace(/[^\w\s+=,.@-]/g, '-').replace(/\s+/g, ' ').trim().slice(0, 128);
  return cleaned || 'agentcore-auth';
}

export function validatePoolName(name: string, flag = '--cognito-create-user-pool'): string {
  if (!NAME.test(name) || name.length > 128) {
    throw new UsageError(`${flag} "${name}" is not a valid user pool name.`, { fix: 'Use letters, digits, spaces and + = , . @ - (at most 128).' });
  }
  return name;
}

export function validateDomainPrefix(prefix: string, flag = '--cognito-domain-prefix'): string {
  if (!DOMAIN_PREFIX.test(prefix)) {
    throw new UsageError(`${flag} "${prefix}" is not a valid Cognito domain prefix.`, { fix: 'Use 1-63 lowercase letters, digits and inner hyphens, e.g. my-team-mcp.' });
  }
  const reserved = ['aws', 'amazon', 'cognito'].find((w) => prefix.includes(w));
  if (reserved) throw new UsageError(`${flag} "${prefix}" contains "${reserved}", which Cognito reserves.`, { fix: 'Pick a prefix without aws, amazon or cognito.' });
  return prefix;
}

/** A fresh domain prefix: agentcore-auth-<10 hex> (hex never spells a reserved word). */
export function generatedDomainPrefix(): string {
  return `agentcore-auth-${randomBytes(5).toString('hex')}`;
}

export function parseScopeNames(value: string | undefined): string[] {
  if (value === undefined) return DEFAULT_RESOURCE_SERVER_SCOPES;
  const names = value.split(/[\s,]+/).filter(Boolean);
  if (!names.length) throw new UsageError('--cognito-resource-scopes is empty.', { fix: 'Pass scope names, e.g. --cognito-resource-scopes "invoke read".' });
  for (const n of names) {
    if (!RS_SCOPE_NAME.test(n)) throw new UsageError(`--cognito-resource-scopes: "${n}" is not a valid scope name.`, { fix: 'Use printable ASCII without spaces, quotes, backslashes or slashes.' });
  }
  return [...new Set(names)];
}

export interface TokenValidity {
  AccessTokenValidity: number;
  IdTokenValidity: number;
  RefreshTokenValidity: number;
  TokenValidityUnits: { AccessToken: Unit; IdToken: Unit; RefreshToken: Unit };
}
type Unit = 'seconds' | 'minutes' | 'hours' | 'days';

/** The largest unit that expresses `seconds` exactly (what the Cognito console then shows). */
function inUnits(seconds: number): { value: number; unit: Unit } {
  for (const [unit, size] of [['days', 86_400], ['hours', 3_600], ['minutes', 60]] as const) {
    if (seconds % size === 0) return { value: seconds / size, unit };
  }
  return { value: seconds, unit: 'seconds' };
}

function human(seconds: number): string {
  const { value, unit } = inUnits(seconds);
  return `${value} ${value === 1 ? unit.slice(0, -1) : unit}`;
}

/** AppRequest.lifetimes -> the client's validity fields; a lifetime outside Cognito's range is a UsageError naming its flag. */
export function tokenValidity(l: AppRequest['lifetimes']): TokenValidity {
  const check = (k: keyof typeof LIFETIME_RANGES, s: number) => {
    const r = LIFETIME_RANGES[k];
    if (!Number.isInteger(s) || s < r.min || s > r.max) {
      throw new UsageError(`${r.flag}: ${r.what} ${human(s)} is outside what Cognito allows (${human(r.min)} to ${human(r.max)}).`, {
        fix: `Pass ${r.flag} between ${r.min}s and ${r.max}s (e.g. ${r.flag} ${k === 'refresh' ? '90d' : '1h'}).`,
      });
    }
    return inUnits(s);
  };
  const a = check('access', l.accessTokenSeconds);
  const i = check('id', l.idTokenSeconds);
  const r = check('refresh', l.refreshTokenSeconds);
  return {
    AccessTokenValidity: a.value,
    IdTokenValidity: i.value,
    RefreshTokenValidity: r.value,
    TokenValidityUnits: { AccessToken: a.unit, IdToken: i.unit, RefreshToken: r.unit },
  };
}

/**
 * The scopes to allow and request at Cognito: `offline_access` is dropped (Cognito has no such scope; the
 * code flow always returns a refresh token), `openid` is added when phone/email/profile are asked for (Cognito
 * returns those claims only with openid), resource-server scopes are appended. Unknown scopes: UsageError.
 */
export function cognitoScopes(requested: string[], resourceServerScopes: string[] = []): { scopes: string[]; dropped: string[] } {
  const dropped: string[] = [];
  const out: string[] = [];
  for (const s of requested) {
    if (s === 'offline_access') {
      dropped.push(s);
      continue;
    }
    if (!BUILTIN_SCOPES.includes(s) && !/^[^/\s]+\/[^/\s]+$/.test(s) && !/^https?:\/\/\S+\/[^/\s]+$/.test(s)) {
      throw new UsageError(`--scopes: Cognito has no scope "${s}".`, {
        fix: `Use ${BUILTIN_SCOPES.join(', ')}, or resource-server scopes "identifier/name" (see --cognito-resource-server).`,
      });
    }
    out.push(s);
  }
  if (out.some((s) => ['email', 'profile', 'phone'].includes(s)) && !out.includes('openid')) out.unshift('openid');
  for (const s of resourceServerScopes) out.push(s);
  if (!out.length) out.push('openid');
  return { scopes: [...new Set(out)], dropped };
}

/** The AWS error name behind an error (the CliError's cause when it was explained already). */
export function awsErrorName(err: unknown): string | undefined {
  const e = err instanceof CliError ? (err.cause ?? err) : err;
  return (e as { name?: string } | undefined)?.name;
}

const isNotFound = (err: unknown) => awsErrorName(err) === 'ResourceNotFoundException';

/** Turns an SDK error into one CliError that says what failed and what to change. */
export function explainCognitoError(err: unknown, action: string, permission: string, endpoint?: string): CliError {
  if (err instanceof CliError) return err;
  const e = err as Error & { name: string; $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> }; code?: string; cause?: { code?: string } };
  const status = e.$metadata?.httpStatusCode;
  const msg = (e.message ?? '').split('\n')[0]!.trim();
  const opts = (code: string, fix: string) => ({ code, fix, cause: err });
  switch (e.name) {
    case 'AccessDeniedException':
    case 'NotAuthorizedException':
    case 'ForbiddenException':
      return new CliError(`${action} was denied by AWS (${e.name}): ${msg}`, opts('access_denied', `Grant the caller ${permission} (and check --cognito-profile / --cognito-region).`));
    case 'TooManyRequestsException':
    case 'ThrottlingException': {
      const wait = Number(e.$response?.headers?.['retry-after']) || 30;
      return new CliError(`${action}: Cognito rate limited this account (${e.name}, HTTP ${status ?? 429}).`, opts('rate_limited', `Wait ${wait} s and run again (it resumes where it stopped).`));
    }
    case 'LimitExceededException':
    case 'ServiceQuotaExceededException':
      return new CliError(`${action}: a Cognito quota is used up (${msg}).`, opts('quota', 'Delete unused app clients, domains or pools, or ask AWS for a quota increase.'));
    case 'ResourceNotFoundException':
      return new CliError(`${action}: not found (${msg}).`, opts('not_found', 'Check --cognito-user-pool-id and --cognito-region (a pool id starts with its region).'));
    case 'ScopeDoesNotExistException':
      return new CliError(`${action} was refused: ${msg}.`, opts('validation', 'Request only scopes that exist in the pool: openid, email, profile, phone, or a resource server scope (--cognito-resource-server).'));
    case 'InvalidParameterException':
    case 'InvalidOAuthFlowException':
    case 'FeatureUnavailableInTierException':
    case 'UnsupportedIdentityProviderException':
    case 'ManagedLoginBrandingExistsException':
      return new CliError(`${action} was refused (${e.name}): ${msg}`, opts('validation', 'Correct the named setting and run again.'));
    case 'CredentialsProviderError':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
    case 'InvalidClientTokenId':
      return new CliError(`${action}: no usable AWS credentials (${msg}).`, opts('credentials', 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN), or AWS_PROFILE / --cognito-profile, or run `aws sso login`.'));
    default: {
      if (/region is missing/i.test(msg)) return new CliError(`${action}: no AWS region.`, opts('usage', 'Pass --cognito-region, or set AWS_REGION.'));
      const cause = e.cause?.code ?? e.code;
      const where = endpoint ?? 'Cognito';
      if (e.name === 'TimeoutError' || cause === 'ETIMEDOUT') return new CliError(`${action}: no answer from ${where} in time.`, opts('timeout', 'Check your network (and AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER if set), then run again.'));
      if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'ECONNRESET') {
        return new CliError(`${action}: cannot reach ${where} (${cause}).`, opts('network', 'Check your network, --cognito-region, and AWS_ENDPOINT_URL(_COGNITO_IDENTITY_PROVIDER) if set.'));
      }
      if (status === 403) return new CliError(`${action} was denied (HTTP 403): ${msg}`, opts('access_denied', `Grant the caller ${permission}.`));
      if (status === 429) return new CliError(`${action}: rate limited (HTTP 429).`, opts('rate_limited', 'Wait 30 s and run again (it resumes where it stopped).'));
      return new CliError(`${action} failed${status ? ` (HTTP ${status})` : ''}: ${e.name}: ${msg}`, { code: 'aws_error', cause: err });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Options

export interface CognitoOptions {
  region: string;
  poolId?: string;
  createPoolName?: string;
  profile?: string;
  domainPrefix?: string;
  resourceServer?: { identifier: string; scopes: string[] };
}

const optStr = (o: ProviderOptions, k: string): string | undefined => {
  const v = o[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** Provider options (flags or the journal) -> validated settings. Never contacts anything. */
export function resolveCognitoOptions(o: ProviderOptions, env: NodeJS.ProcessEnv): CognitoOptions {
  let poolId = optStr(o, 'cognito-user-pool-id');
  const createPoolName = optStr(o, 'cognito-create-user-pool');
  const issuer = optStr(o, 'issuer');
  let issuerRegion: string | undefined;
  if (issuer) {
    const info = describeIssuer(issuer);
    if (info.provider !== 'cognito' || !info.tenant) {
      throw new UsageError(`--issuer ${issuer} is not a Cognito user pool issuer.`, { fix: 'Pass https://cognito-idp.{region}.amazonaws.com/{poolId}, or just --cognito-user-pool-id.' });
    }
    if (poolId && poolId !== info.tenant) throw new UsageError(`--issuer names pool ${info.tenant}, but --cognito-user-pool-id is ${poolId}.`, { fix: 'Pass one of them.' });
    poolId = info.tenant;
    issuerRegion = info.region;
  }
  if (optStr(o, 'audience')) {
    throw new UsageError('--audience cannot be used with --provider cognito: Cognito access tokens carry no aud claim.', { fix: 'Leave --audience out: the gateway pins the app client (allowedClients) instead.' });
  }
  if (poolId && createPoolName) throw new UsageError('--cognito-user-pool-id and --cognito-create-user-pool cannot be used together.', { fix: 'Use an existing pool, or create a new one.' });
  if (poolId && (!POOL_ID.test(poolId) || poolId.length > 55)) throw new UsageError(`--cognito-user-pool-id "${poolId}" is not a user pool id.`, { fix: 'Pass the pool id as the Cognito console shows it, e.g. us-east-1_AbC123xyz.' });
  if (createPoolName) validatePoolName(createPoolName);

  const flagRegion = optStr(o, 'cognito-region');
  const poolRegion = issuerRegion ?? (poolId ? regionOfPoolId(poolId) : undefined);
  if (flagRegion && poolRegion && flagRegion !== poolRegion) {
    throw new UsageError(`--cognito-region ${flagRegion} does not match pool ${poolId}, which is in ${poolRegion}.`, { fix: `Pass --cognito-region ${poolRegion} or leave it out.` });
  }
  const region = flagRegion ?? poolRegion ?? optStr(o, 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
  if (!REGION.test(region)) throw new UsageError(`--cognito-region "${region}" is not an AWS region name.`, { fix: 'Pass e.g. --cognito-region us-east-1.' });

  const domainPrefix = optStr(o, 'cognito-domain-prefix');
  if (domainPrefix) validateDomainPrefix(domainPrefix);

  const rsId = optStr(o, 'cognito-resource-server');
  const rsScopesRaw = optStr(o, 'cognito-resource-scopes');
  if (rsScopesRaw && !rsId) throw new UsageError('--cognito-resource-scopes needs --cognito-resource-server.', { fix: 'Pass --cognito-resource-server IDENTIFIER too.' });
  if (rsId && !RS_IDENTIFIER.test(rsId)) throw new UsageError(`--cognito-resource-server "${rsId}" is not a valid identifier.`, { fix: 'Use printable ASCII without spaces, quotes or backslashes, e.g. mcp-gateway or https://gateway.example.com.' });

  return {
    region,
    ...(poolId ? { poolId } : {}),
    ...(createPoolName ? { createPoolName } : {}),
    ...(optStr(o, 'cognito-profile') ?? optStr(o, 'profile') ? { profile: optStr(o, 'cognito-profile') ?? optStr(o, 'profile') } : {}),
    ...(domainPrefix ? { domainPrefix } : {}),
    ...(rsId ? { resourceServer: { identifier: rsId, scopes: parseScopeNames(rsScopesRaw) } } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// SDK access


/** The Cognito endpoint override the SDK would use (service-specific first), if any. */
export function cognitoEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER || env.AWS_ENDPOINT_URL || undefined;
}

class CognitoApi {
  private readonly clients = new Map<string, Promise<{ client: SdkClient; sdk: Sdk }>>();
  constructor(private readonly profile: string | undefined) {}

  private async get(region: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ client: SdkClient; sdk: Sdk }> {
    let p = this.clients.get(region);
    if (!p) {
      p = (async () => {
        // The SDK's Node-version notice is about its own future releases, not this run: keep the output clean.
        process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
        const sdk = await import('@aws-sdk/client-cognito-identity-provider');
        const { httpTimeoutOverride } = await import('../../src/core/http.js');
        const endpoint = cognitoEndpoint(env);
        const requestTimeout = httpTimeoutOverride(env) ?? timeoutMs;
        const envKeys = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
          ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
          : undefined;
        // An explicit profile wins over env keys (as in the AWS CLI); a loopback endpoint (moto) needs no real credentials.
        const credentials = this.profile ? undefined : envKeys ?? (isLoopbackUrl(endpoint) && !env.AWS_PROFILE ? { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } : undefined);
        const { cancellableSdkClient } = await import('../../src/core/cancel.js');
        const client = cancellableSdkClient(new sdk.CognitoIdentityProviderClient({
          region,
          ...(endpoint ? { endpoint } : {}),
          ...(this.profile ? { profile: this.profile } : {}),
          ...(credentials ? { credentials } : {}),
          // Retries: the SDK's default (3 attempts, AWS_MAX_ATTEMPTS / max_attempts in the profile override it).
          // Without throwOnRequestTimeout the SDK only warns on a hung request.
          requestHandler: { requestTimeout, throwOnRequestTimeout: true, connectionTimeout: Math.min(requestTimeout, 5_000) },
        }));
        return { client, sdk };
      })();
      this.clients.set(region, p);
      p.catch(() => this.clients.delete(region));
    }
    return p;
  }

  /** One SDK call; errors come back explained (CliError with the AWS error as cause). */
  async call<T>(
    ctx: { env: NodeJS.ProcessEnv; timeoutMs?: number },
    region: string,
    action: string,
    permission: string,
    fn: (c: SdkClient, sdk: Sdk) => Promise<T>,
  ): Promise<T> {
    const { client, sdk } = await this.get(region, ctx.env, ctx.timeoutMs ?? 15_000);
    try {
      return await fn(client, sdk);
    } catch (err) {
      throw explainCognitoError(err, action, `cognito-idp:${permission}`, cognitoEndpoint(ctx.env));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The adapter

interface PoolSummary {
  Id?: string;
  Name?: string;
}

export async function createCognitoAdapter(options: ProviderOptions, setup: AdapterSetupContext): Promise<IdpAdapter> {
  const o = resolveCognitoOptions(options, setup.env);
  const api = new CognitoApi(o.profile);
  const region = o.region;
  let poolId = o.poolId;
  let createPoolName = o.createPoolName;
  /** A pool named like --cognito-create-user-pool that an earlier run of agentcore-auth created (found in preflight). */
  let adopted: { poolId: string; appTag?: string } | undefined;
  let pkceWarned = false;

  const listPools = async (ctx: { env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<PoolSummary[]> => {
    const pools: PoolSummary[] = [];
    let next: string | undefined;
    do {
      const page = await api.call(ctx, region, 'Listing Cognito user pools', 'ListUserPools', (c, sdk) => c.send(new sdk.ListUserPoolsCommand({ MaxResults: 60, ...(next ? { NextToken: next } : {}) })));
      pools.push(...(page.UserPools ?? []));
      next = page.NextToken;
    } while (next && pools.length < 1_000);
    return pools;
  };

  // Interactive init without a pool: pick one (or create one) now, so the plan already names the issuer.
  if (!poolId && !createPoolName && setup.prompter?.interactive) {
    const pools = await listPools({ env: setup.env });
    const choice = await setup.prompter.ask({
      flag: '--cognito-user-pool-id',
      message: `Cognito user pool (${region}):`,
      choices: [
        ...pools.filter((p) => p.Id).map((p) => ({ value: p.Id!, name: `${p.Name ?? '?'} (${p.Id})` })),
        { value: '__create__', name: 'Create a new user pool' },
      ],
    });
    if (choice === '__create__') {
      createPoolName = await setup.prompter.ask({
        flag: '--cognito-create-user-pool',
        message: 'New user pool name:',
        default: 'agentcore-auth',
        validate: (v) => (NAME.test(v) && v.length <= 128 ? true : 'letters, digits, spaces and + = , . @ - (at most 128)'),
      });
    } else poolId = choice;
  }

  const currentIssuer = () =>
    cognitoIssuer(region, poolId ?? adopted?.poolId ?? (createPoolName ? `<new user pool "${createPoolName}">` : '<user pool>'));
  /** Full resource-server scopes: a created app's own (its record), else what the options ask for (plan preview, createApp). */
  const rsScopes = (extras?: Record<string, string>): string[] => {
    if (extras?.userPoolId) return (extras.resourceServerScopes ?? '').split(' ').filter(Boolean);
    return o.resourceServer ? o.resourceServer.scopes.map((s) => `${o.resourceServer!.identifier}/${s}`) : [];
  };
  const locate = (app: AppRecord): { region: string; poolId: string } => {
    const info = describeIssuer(app.issuer);
    const r = app.extras.region ?? info.region ?? region;
    const p = app.extras.userPoolId ?? info.tenant;
    if (!p) throw new CliError(`The app record of client ${app.clientId} names no user pool.`, { code: 'manual', fix: `Delete app client ${app.clientId} in the Cognito console.` });
    return { region: r, poolId: p };
  };

  const describePool = (ctx: AdapterContext, r: string, id: string) =>
    api.call(ctx, r, `Reading user pool ${id}`, 'DescribeUserPool', async (c, sdk) => (await c.send(new sdk.DescribeUserPoolCommand({ UserPoolId: id }))).UserPool ?? ({} as UserPoolType));

  const createGroups = options['cognito-create-group'] === true;
  const groupApi: GroupApi = {
    exists: async (ctx, p, group) =>
      api
        .call(ctx, region, `Reading group ${group}`, 'GetGroup', (c, sdk) => c.send(new sdk.GetGroupCommand({ UserPoolId: p, GroupName: group })))
        .then(() => true)
        .catch((err) => (isNotFound(err) ? false : Promise.reject(err))),
    create: async (ctx, p, group, description) => {
      await api.call(ctx, region, `Creating group ${group}`, 'CreateGroup', (c, sdk) => c.send(new sdk.CreateGroupCommand({ UserPoolId: p, GroupName: group, Description: description })));
      ctx.logger.success(`Created group ${group} in ${p}`);
    },
    remove: async (ctx, p, group) =>
      api
        .call(ctx, region, `Deleting group ${group}`, 'DeleteGroup', (c, sdk) => c.send(new sdk.DeleteGroupCommand({ UserPoolId: p, GroupName: group })))
        .then(() => true)
        .catch((err) => (isNotFound(err) ? false : Promise.reject(err))),
  };

  /** The resource server's state: missing, or present (with the requested scopes missing from it, if any). */
  const checkResourceServer = async (ctx: AdapterContext, id: string): Promise<'missing' | 'present'> => {
    const rs = o.resourceServer!;
    try {
      const found = await api.call(ctx, region, `Reading resource server ${rs.identifier}`, 'DescribeResourceServer', async (c, sdk) =>
        (await c.send(new sdk.DescribeResourceServerCommand({ UserPoolId: id, Identifier: rs.identifier }))).ResourceServer,
      );
      const have = (found?.Scopes ?? []).map((s) => s.ScopeName);
      const missing = rs.scopes.filter((s) => !have.includes(s));
      if (missing.length) {
        throw new UsageError(`Resource server ${rs.identifier} in pool ${id} has no scope ${missing.join(', ')} (it has: ${have.join(', ') || 'none'}).`, {
          fix: `Pass --cognito-resource-scopes with existing names (${have.join(' ') || 'add one in the Cognito console first'}).`,
        });
      }
      return 'present';
    } catch (err) {
      if (isNotFound(err)) return 'missing';
      throw err;
    }
  };

  /** Other app clients of a pool (besides ours); `oauthOnly`: only those that use the hosted sign-in (OAuth flows). */
  const otherClients = async (ctx: AdapterContext, r: string, pool: string, ours: string, oauthOnly: boolean): Promise<number> => {
    const ids: string[] = [];
    let next: string | undefined;
    do {
      const page = await api.call(ctx, r, `Listing the app clients of ${pool}`, 'ListUserPoolClients', (c, sdk) =>
        c.send(new sdk.ListUserPoolClientsCommand({ UserPoolId: pool, MaxResults: 60, ...(next ? { NextToken: next } : {}) })),
      );
      for (const cl of page.UserPoolClients ?? []) if (cl.ClientId && cl.ClientId !== ours) ids.push(cl.ClientId);
      next = page.NextToken;
    } while (next && ids.length < 1_000);
    if (!oauthOnly) return ids.length;
    if (ids.length > 20) return ids.length; // too many to inspect: assume they use it
    let n = 0;
    for (const id of ids) {
      const cl = await api.call(ctx, r, `Reading app client ${id}`, 'DescribeUserPoolClient', async (c, sdk) =>
        (await c.send(new sdk.DescribeUserPoolClientCommand({ UserPoolId: pool, ClientId: id }))).UserPoolClient,
      ).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (cl?.AllowedOAuthFlowsUserPoolClient) n++;
    }
    return n;
  };

  /** Runs fn; ResourceNotFound counts as "already gone" (false). */
  const unlessGone = async (fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };

  return {
    id: 'cognito',
    displayName: 'Amazon Cognito',

    tokenProfile(app?: Pick<AppRecord, 'issuer' | 'clientId'>): TokenProfile {
      const issuer = app?.issuer ?? currentIssuer();
      return { provider: 'cognito', issuer, discoveryUrl: discoveryUrlForIssuer(issuer), audienceClaim: null, clientClaim: 'client_id', scopeClaim: 'scope' };
    },

    recommendedAuthorizer(app: AppRecord): CustomJwtAuthorizer {
      const rule = recommendedRule('cognito', { discoveryUrl: app.discoveryUrl, clientId: app.clientId });
      const scopes = rsScopes(app.extras);
      // With a resource server, the gateway also requires one of its scopes (AgentCore: any overlap passes).
      return scopes.length ? { ...rule, allowedScopes: scopes } : rule;
    },

    clientRequirements(app: AppRecord, opts: { scopes: string[] }): ClientRequirements {
      const { scopes } = cognitoScopes(opts.scopes, rsScopes(app.extras));
      // Cognito binds `resource` only to a resource server of that URL; the gateway rule needs none: never send it.
      return { scopes, mcpRemoteArgs: ['--disable-resource-parameter'] };
    },

    checkLifetimes(l) {
      tokenValidity(l);
    },
    async preflight(ctx: AdapterContext): Promise<void> {
      await checkPool(ctx);
      if (!pkceWarned) ctx.logger.warn(PKCE_WARNING);
      pkceWarned = true;
    },

    async createApp(ctx: AdapterContext, req: AppRequest): Promise<AppRecord> {
      return createApp(ctx, req);
    },

    async describeApp(ctx: AdapterContext, app: AppRecord) {
      return describeApp(ctx, app);
    },

    async deleteApp(ctx: AdapterContext, app: AppRecord): Promise<'deleted' | 'gone'> {
      return deleteApp(ctx, app);
    },

    async updateRedirectUris(ctx: AdapterContext, app: AppRecord, redirectUris: string[]): Promise<AppRecord> {
      return updateRedirectUris(ctx, app, redirectUris);
    },

    async revoke(ctx: AdapterContext, app: AppRecord, tokens: { refreshToken?: string; accessToken?: string }): Promise<RevokeResult> {
      return revoke(ctx, app, tokens);
    },

    accessSupport(policy) {
      return cognitoAccessSupport(policy, { resourceServer: o.resourceServer, createGroups, newPool: Boolean(createPoolName) && !adopted });
    },
    async checkAccess(ctx, policy) {
      const pool = poolId ?? adopted?.poolId;
      if (policy.groups?.length && pool) await checkGroups(ctx, groupApi, pool, policy.groups, createGroups);
    },
    ...(createGroups
      ? {
          async applyAccess(ctx: AdapterContext, app: AppRecord, policy: AccessPolicy, previous?: Record<string, string>): Promise<Record<string, string>> {
            const { poolId: p } = locate(app);
            const before = (previous?.createdGroups ?? '').split(' ').filter(Boolean);
            const made = await ensureGroups(ctx, groupApi, p, policy.groups ?? [], before, `Created by agentcore-auth for app client ${app.clientId}`);
            return made.length ? { createdGroups: made.join(' ') } : {};
          },
          async removeAccess(ctx: AdapterContext, app: AppRecord, created: Record<string, string>) {
            const { poolId: p } = locate(app);
            let any = false;
            for (const g of (created.createdGroups ?? '').split(' ').filter(Boolean)) any = (await groupApi.remove(ctx, p, g)) || any;
            return any ? ('deleted' as const) : ('gone' as const);
          },
        }
      : {}),
  };

  /** Preflight's checks: the pool (or the name of the new one) and the resource server, through the API only. */
  async function checkPool(ctx: AdapterContext): Promise<void> {
    if (poolId) {
      let pool: Awaited<ReturnType<typeof describePool>>;
      try {
        pool = await describePool(ctx, region, poolId);
      } catch (err) {
        if (isNotFound(err)) {
          throw new CliError(`Cognito user pool ${poolId} does not exist in ${region} (or this account cannot see it).`, {
            code: 'not_found',
            fix: 'Check --cognito-user-pool-id and the AWS account/profile; list pools with `aws cognito-idp list-user-pools --max-results 60`.',
            cause: err,
          });
        }
        throw err;
      }
      const domain = pool.CustomDomain ?? pool.Domain;
      ctx.logger.info(`Cognito user pool "${pool.Name ?? poolId}" (${poolId}, ${region}); hosted sign-in: ${domain ? hostedDomainUrl(region, domain) : 'none yet, init creates a domain'}.`);
      if (o.resourceServer && (await checkResourceServer(ctx, poolId)) === 'missing') {
        ctx.logger.info(`Resource server ${o.resourceServer.identifier} does not exist yet: init creates it with scopes ${o.resourceServer.scopes.join(', ')}.`);
      }
      return;
    }
    if (createPoolName) {
      const same = (await listPools(ctx)).filter((p) => p.Name === createPoolName && p.Id);
      const ours: Array<{ poolId: string; appTag?: string }> = [];
      for (const p of same) {
        const full = await describePool(ctx, region, p.Id!);
        if (full.UserPoolTags?.[TAG_CREATED_BY] === 'agentcore-auth') ours.push({ poolId: p.Id!, ...(full.UserPoolTags?.[TAG_APP] ? { appTag: full.UserPoolTags[TAG_APP] } : {}) });
      }
      if (same.length && (ours.length !== 1 || same.length !== 1)) {
        throw new UsageError(`A user pool named "${createPoolName}" already exists in ${region} (${same.map((p) => p.Id).join(', ')}).`, {
          fix: `Use it with --cognito-user-pool-id ${same[0]!.Id}, or pick another --cognito-create-user-pool name.`,
        });
      }
      if (ours.length === 1) {
        adopted = ours[0]!;
        ctx.logger.info(`Reusing user pool ${adopted.poolId} ("${createPoolName}"), created by an earlier agentcore-auth run.`);
      } else ctx.logger.info(`A new Cognito user pool "${createPoolName}" will be created in ${region}.`);
      return;
    }
    throw new UsageError('Which Cognito user pool?', {
      fix: 'Pass --cognito-user-pool-id ID (an existing pool) or --cognito-create-user-pool NAME (a new one), or run init interactively to pick one.',
    });
  }

  async function createApp(ctx: AdapterContext, req: AppRequest): Promise<AppRecord> {
    // Everything that can refuse without a call does so first.
    const validity = tokenValidity(req.lifetimes);
    const rsFull = rsScopes();
    const { scopes, dropped } = cognitoScopes(req.scopes, rsFull);
    if (dropped.length) ctx.logger.debug(`Cognito has no ${dropped.join(', ')} scope; the code flow returns a refresh token without it.`);
    if (!req.redirectUris.length) throw new UsageError('No redirect URI to register.', { fix: 'Pass --callback-port.' });

    const undo: Array<{ what: string; run: () => Promise<unknown> }> = [];
    const extras: Record<string, string> = { region };
    try {
      // 1. The pool.
      let pool = poolId ?? adopted?.poolId;
      if (pool && adopted && pool === adopted.poolId && adopted.appTag === clientNameFor(req.name)) {
        // Our own pool from an earlier run of this setup whose app record was lost: still ours to delete.
        extras.createdUserPool = 'true';
      }
      if (!pool) {
        const name = createPoolName!;
        const created = await api.call(ctx, region, `Creating user pool "${name}"`, 'CreateUserPool', async (c, sdk) =>
          (await c.send(new sdk.CreateUserPoolCommand({
            PoolName: name,
            // Only an admin adds users (nobody signs themselves up into the gateway); sign-in by email.
            AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
            UsernameAttributes: ['email'],
            AutoVerifiedAttributes: ['email'],
            DeletionProtection: 'INACTIVE',
            UserPoolTags: { [TAG_CREATED_BY]: 'agentcore-auth', [TAG_APP]: clientNameFor(req.name).slice(0, 256) },
          }))).UserPool,
        );
        pool = created!.Id!;
        extras.createdUserPool = 'true';
        const id = pool;
        undo.push({ what: `user pool ${id}`, run: () => api.call(ctx, region, `Deleting user pool ${id}`, 'DeleteUserPool', (c, sdk) => c.send(new sdk.DeleteUserPoolCommand({ UserPoolId: id }))) });
        ctx.logger.success(`Created Cognito user pool "${name}" (${pool}) in ${region}`);
        ctx.logger.info(`  It has no users yet: add one with \`aws cognito-idp admin-create-user --region ${region} --user-pool-id ${pool} --username you@example.com\`.`);
      }
      extras.userPoolId = pool;
      const poolIdNow = pool;

      // 2. A hosted domain (the sign-in pages and OAuth endpoints live there).
      const info = await describePool(ctx, region, poolIdNow);
      let domain = info.CustomDomain ?? info.Domain;
      let managedLoginVersion: number | undefined;
      if (domain) {
        const d = await api.call(ctx, region, `Reading domain ${domain}`, 'DescribeUserPoolDomain', async (c, sdk) =>
          (await c.send(new sdk.DescribeUserPoolDomainCommand({ Domain: domain! }))).DomainDescription,
        );
        managedLoginVersion = d?.ManagedLoginVersion;
      } else {
        let prefix = o.domainPrefix ?? generatedDomainPrefix();
        for (let attempt = 1; ; attempt++) {
          try {
            const p = prefix;
            // Version 1 = the classic hosted UI: works on every feature plan and needs no branding style.
            await api.call(ctx, region, `Creating domain ${p}`, 'CreateUserPoolDomain', (c, sdk) => c.send(new sdk.CreateUserPoolDomainCommand({ UserPoolId: poolIdNow, Domain: p, ManagedLoginVersion: 1 })));
            break;
          } catch (err) {
            const taken = awsErrorName(err) === 'InvalidParameterException' && /already|exist|associated/i.test((err as Error).message);
            if (!taken) throw err;
            if (o.domainPrefix) {
              throw new CliError(`The Cognito domain prefix "${prefix}" is taken.`, { code: 'validation', fix: 'Pick another --cognito-domain-prefix (prefixes are unique per region across all AWS accounts).', cause: err });
            }
            if (attempt >= 3) throw err;
            prefix = generatedDomainPrefix();
          }
        }
        domain = prefix;
        managedLoginVersion = 1;
        extras.createdDomain = 'true';
        const p = prefix;
        undo.push({ what: `domain ${p}`, run: () => api.call(ctx, region, `Deleting domain ${p}`, 'DeleteUserPoolDomain', (c, sdk) => c.send(new sdk.DeleteUserPoolDomainCommand({ UserPoolId: poolIdNow, Domain: p }))) });
        ctx.logger.success(`Created hosted sign-in domain ${hostedDomainUrl(region, prefix)} (it can take a minute to answer)`);
      }
      extras.domain = domain;
      extras.hostedUiUrl = hostedDomainUrl(region, domain);

      // 3. The resource server, when asked for.
      if (o.resourceServer) {
        const rs = o.resourceServer;
        if ((await checkResourceServer(ctx, poolIdNow)) === 'missing') {
          await api.call(ctx, region, `Creating resource server ${rs.identifier}`, 'CreateResourceServer', (c, sdk) =>
            c.send(new sdk.CreateResourceServerCommand({
              UserPoolId: poolIdNow,
              Identifier: rs.identifier,
              Name: clientNameFor(`agentcore-auth ${rs.identifier}`).slice(0, 256),
              Scopes: rs.scopes.map((s) => ({ ScopeName: s, ScopeDescription: `${s} (agentcore-auth)` })),
            })),
          );
          extras.createdResourceServer = 'true';
          undo.push({ what: `resource server ${rs.identifier}`, run: () => api.call(ctx, region, `Deleting resource server ${rs.identifier}`, 'DeleteResourceServer', (c, sdk) => c.send(new sdk.DeleteResourceServerCommand({ UserPoolId: poolIdNow, Identifier: rs.identifier }))) });
          ctx.logger.success(`Created resource server ${rs.identifier} with scopes ${rsFull.join(', ')}`);
        }
        extras.resourceServer = rs.identifier;
        extras.resourceServerScopes = rsFull.join(' ');
      }

      // 4. The app client: public (no secret), code flow, refresh tokens, revocable.
      const client = await api.call(ctx, region, `Creating app client "${clientNameFor(req.name)}"`, 'CreateUserPoolClient', async (c, sdk) =>
        (await c.send(new sdk.CreateUserPoolClientCommand({
          UserPoolId: poolIdNow,
          ClientName: clientNameFor(req.name),
          GenerateSecret: false,
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthFlows: ['code'],
          AllowedOAuthScopes: scopes,
          CallbackURLs: req.redirectUris,
          SupportedIdentityProviders: ['COGNITO'],
          ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
          EnableTokenRevocation: true,
          PreventUserExistenceErrors: 'ENABLED',
          ...validity,
        }))).UserPoolClient,
      );
      const clientId = client!.ClientId!;
      undo.push({ what: `app client ${clientId}`, run: () => api.call(ctx, region, `Deleting app client ${clientId}`, 'DeleteUserPoolClient', (c, sdk) => c.send(new sdk.DeleteUserPoolClientCommand({ UserPoolId: poolIdNow, ClientId: clientId }))) });

      // 5. Managed login (v2) shows nothing for a client without a branding style: give it Cognito's default.
      if (managedLoginVersion === 2) {
        const b = await api.call(ctx, region, `Creating the managed-login branding of ${clientId}`, 'CreateManagedLoginBranding', async (c, sdk) =>
          (await c.send(new sdk.CreateManagedLoginBrandingCommand({ UserPoolId: poolIdNow, ClientId: clientId, UseCognitoProvidedValues: true }))).ManagedLoginBranding,
        );
        if (b?.ManagedLoginBrandingId) extras.managedLoginBrandingId = b.ManagedLoginBrandingId;
      }

      poolId = poolIdNow; // tokenProfile() names the real issuer from now on
      const issuer = cognitoIssuer(region, poolIdNow);
      ctx.logger.debug(`Cognito app client ${clientId} in ${poolIdNow}: scopes ${scopes.join(' ')}, sign-in at ${extras.hostedUiUrl}`);
      return { provider: 'cognito', clientId, issuer, discoveryUrl: discoveryUrlForIssuer(issuer), extras };
    } catch (err) {
      // Leave nothing half-made behind: this call's own creations are undone, newest first.
      for (const u of undo.reverse()) {
        await u.run().catch((e: unknown) => ctx.logger.warn(`Could not remove ${u.what} after the failure (${(e as Error).message}): delete it in the Cognito console.`));
      }
      throw err;
    }
  }

  async function describeApp(ctx: AdapterContext, app: AppRecord): Promise<{ clientId: string; redirectUris: string[]; grantTypes: string[] } | null> {
    const { region: r, poolId: p } = locate(app);
    try {
      const cl = await api.call(ctx, r, `Reading app client ${app.clientId}`, 'DescribeUserPoolClient', async (c, sdk) =>
        (await c.send(new sdk.DescribeUserPoolClientCommand({ UserPoolId: p, ClientId: app.clientId }))).UserPoolClient,
      );
      if (!cl) return null;
      const grants = (cl.AllowedOAuthFlows ?? []).map((f) => (f === 'code' ? 'authorization_code' : String(f)));
      if ((cl.ExplicitAuthFlows ?? []).includes('ALLOW_REFRESH_TOKEN_AUTH')) grants.push('refresh_token');
      return { clientId: cl.ClientId ?? app.clientId, redirectUris: cl.CallbackURLs ?? [], grantTypes: grants };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * UpdateUserPoolClient is a full replace: every setting it is not sent goes back to its default. So the client is
   * read first and every writable setting is sent back, with the callback URL changed.
   */
  async function updateRedirectUris(ctx: AdapterContext, app: AppRecord, redirectUris: string[]): Promise<AppRecord> {
    const { region: r, poolId: p } = locate(app);
    const cl = await api
      .call(ctx, r, `Reading app client ${app.clientId}`, 'DescribeUserPoolClient', async (c, sdk) => (await c.send(new sdk.DescribeUserPoolClientCommand({ UserPoolId: p, ClientId: app.clientId }))).UserPoolClient)
      .catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    if (!cl) throw new CliError(`Cognito app client ${app.clientId} no longer exists in ${p}.`, { code: 'not_found', fix: 'Run init again: it creates a new app client.' });
    const writable = [
      'ClientName', 'RefreshTokenValidity', 'AccessTokenValidity', 'IdTokenValidity', 'TokenValidityUnits', 'ReadAttributes', 'WriteAttributes',
      'ExplicitAuthFlows', 'SupportedIdentityProviders', 'LogoutURLs', 'AllowedOAuthFlows', 'AllowedOAuthScopes', 'AllowedOAuthFlowsUserPoolClient',
      'AnalyticsConfiguration', 'PreventUserExistenceErrors', 'EnableTokenRevocation', 'EnablePropagateAdditionalUserContextData', 'AuthSessionValidity', 'RefreshTokenRotation',
    ] as const;
    const keep = Object.fromEntries(writable.filter((k) => (cl as Record<string, unknown>)[k] !== undefined).map((k) => [k, (cl as Record<string, unknown>)[k]]));
    const defaultRedirect = cl.DefaultRedirectURI && !redirectUris.includes(cl.DefaultRedirectURI) ? redirectUris[0] : cl.DefaultRedirectURI;
    await api.call(ctx, r, `Changing the callback URL of app client ${app.clientId}`, 'UpdateUserPoolClient', (c, sdk) =>
      c.send(new sdk.UpdateUserPoolClientCommand({ ...keep, UserPoolId: p, ClientId: app.clientId, CallbackURLs: redirectUris, ...(defaultRedirect ? { DefaultRedirectURI: defaultRedirect } : {}) } as never)),
    );
    return app;
  }

  async function deleteApp(ctx: AdapterContext, app: AppRecord): Promise<'deleted' | 'gone'> {
    const { region: r, poolId: p } = locate(app);
    const x = app.extras;
    let deleted = false;
    if (x.managedLoginBrandingId) {
      const id = x.managedLoginBrandingId;
      deleted = (await unlessGone(() => api.call(ctx, r, `Deleting managed-login branding ${id}`, 'DeleteManagedLoginBranding', (c, sdk) => c.send(new sdk.DeleteManagedLoginBrandingCommand({ UserPoolId: p, ManagedLoginBrandingId: id }))))) || deleted;
    }
    deleted = (await unlessGone(() => api.call(ctx, r, `Deleting app client ${app.clientId}`, 'DeleteUserPoolClient', (c, sdk) => c.send(new sdk.DeleteUserPoolClientCommand({ UserPoolId: p, ClientId: app.clientId }))))) || deleted;
    if (x.createdResourceServer === 'true' && x.resourceServer) {
      const id = x.resourceServer;
      deleted = (await unlessGone(() => api.call(ctx, r, `Deleting resource server ${id}`, 'DeleteResourceServer', (c, sdk) => c.send(new sdk.DeleteResourceServerCommand({ UserPoolId: p, Identifier: id }))))) || deleted;
    }
    const deleteDomain = (d: string) =>
      unlessGone(() => api.call(ctx, r, `Deleting domain ${d}`, 'DeleteUserPoolDomain', (c, sdk) => c.send(new sdk.DeleteUserPoolDomainCommand({ UserPoolId: p, Domain: d }))));

    if (x.createdUserPool === 'true') {
      const pool = await describePool(ctx, r, p).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (pool) {
        const others = await otherClients(ctx, r, p, app.clientId, false);
        if (others) {
          ctx.logger.warn(`Kept user pool ${p} (init created it) because it now has ${others} other app client(s); delete it in the Cognito console when they are no longer needed.`);
          return 'deleted';
        }
        // A domain must go before its pool (Cognito refuses to delete a pool that still has one).
        for (const d of [pool.CustomDomain, pool.Domain]) if (d) deleted = (await deleteDomain(d)) || deleted;
        deleted = (await unlessGone(() => api.call(ctx, r, `Deleting user pool ${p}`, 'DeleteUserPool', (c, sdk) => c.send(new sdk.DeleteUserPoolCommand({ UserPoolId: p }))))) || deleted;
      }
    } else if (x.createdDomain === 'true' && x.domain) {
      const pool = await describePool(ctx, r, p).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (pool && (pool.Domain === x.domain || pool.CustomDomain === x.domain)) {
        const users = await otherClients(ctx, r, p, app.clientId, true);
        if (users) ctx.logger.warn(`Kept domain ${x.domain} (init created it) because ${users} other app client(s) of pool ${p} sign in through it.`);
        else deleted = (await deleteDomain(x.domain)) || deleted;
      }
    }
    return deleted ? 'deleted' : 'gone';
  }

  async function revoke(ctx: AdapterContext, app: AppRecord, tokens: { refreshToken?: string; accessToken?: string }): Promise<RevokeResult> {
    const result: RevokeResult = { revoked: [], notRevoked: [] };
    if (tokens.refreshToken) {
      const { region: r } = locate(app);
      try {
        // RevokeToken = the domain's /oauth2/revoke (public client: no secret). It also ends the tokens issued from it for Cognito's own APIs.
        await api.call(ctx, r, 'Revoking the refresh token', 'RevokeToken', (c, sdk) => c.send(new sdk.RevokeTokenCommand({ Token: tokens.refreshToken!, ClientId: app.clientId })));
        result.revoked.push('refresh_token');
      } catch (err) {
        result.notRevoked.push({ what: 'refresh_token', why: `Cognito answered ${awsErrorName(err) ?? 'an error'}: ${(err as Error).message}` });
      }
    }
    if (tokens.accessToken) {
      result.notRevoked.push({ what: 'access_token', why: 'Cognito revokes refresh tokens only; the gateway accepts the access token until it expires', unsupported: true });
    }
    return result;
  }
}
