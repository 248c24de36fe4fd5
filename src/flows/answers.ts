/**
 * Flags, env and prompts become typed answers. Precedence: flag, env, prompt, default, else fail naming the flag.
 */
import { AccessPolicyError, hasAccessRules, parseAccessPolicy, type AccessPolicy } from '../authorizer/access.js';
import type { ParsedOptions } from '../commands/types.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { requireSecureUrl } from '../core/net.js';
import { DEFAULT_LIFETIMES, type ClientChoice, type Lifetimes, type GatewayChoice, type InitAnswers } from '../plan/plan.js';
import type { ProviderId } from '../../providers/types.js';

export const DEFAULT_CALLBACK_PORT = 3334;
export const DEFAULT_SERVER_NAME = 'gateway-tools';
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export function str(opts: ParsedOptions, name: string): string | undefined {
  const v = opts[name];
  return typeof v === 'string' ? v : undefined;
}

export function parsePort(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UsageError(`${flag} must be a port number from 1 to 65535 (got "${value}").`);
  }
  return n;
}

export function parseSeconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^(\d+)(s|m|h|d)?$/.exec(value);
  if (!m) throw new UsageError(`${flag} must be a duration like 300, 300s, 5m, 1h (got "${value}").`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's']!;
}

/** --login-timeout in ms: how long the test login waits for the browser (default 300 s). */
export function loginTimeoutMs(opts: ParsedOptions): number {
  const s = parseSeconds(str(opts, 'login-timeout'), '--login-timeout', 300);
  if (s < 1) throw new UsageError('--login-timeout must be at least 1s.', { fix: 'Pass e.g. --login-timeout 300 (or 5m).' });
  return s * 1000;
}

/** Bounds every IdP shares: shorter tokens expire before a client can use them, longer ones outlive any policy. */
export const LIFETIME_BOUNDS = { min: 60, max: 10 * 365 * 86400 } as const;

function humanSeconds(s: number): string {
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60]] as const) if (s >= n && s % n === 0) return `${s / n}${unit}`;
  return `${s}s`;
}

/**
 * --access-token-ttl, --refresh-token-ttl, --id-token-ttl: each from 1 minute to 10 years, and a refresh token
 * that lives at least as long as the access token it renews. Each IdP's own (narrower) ranges are checked by its
 * adapter in init's preflight, before anything is created.
 */
export function parseLifetimes(opts: ParsedOptions): Lifetimes {
  const flags = { accessTokenSeconds: '--access-token-ttl', refreshTokenSeconds: '--refresh-token-ttl', idTokenSeconds: '--id-token-ttl' } as const;
  const out = {} as Lifetimes;
  for (const [key, flag] of Object.entries(flags) as Array<[keyof Lifetimes, string]>) {
    const v = parseSeconds(str(opts, flag.slice(2)), flag, DEFAULT_LIFETIMES[key]);
    if (!Number.isSafeInteger(v) || v < LIFETIME_BOUNDS.min || v > LIFETIME_BOUNDS.max) {
      throw new UsageError(`${flag} ${str(opts, flag.slice(2))} is outside 1m to 3650d: ${v < LIFETIME_BOUNDS.min ? 'a token that short expires before a client can use it' : 'no identity provider accepts a token lifetime that long'}.`, {
        fix: `Pass ${flag} between 1m and 3650d (default ${humanSeconds(DEFAULT_LIFETIMES[key])}).`,
      });
    }
    out[key] = v;
  }
  if (out.refreshTokenSeconds < out.accessTokenSeconds) {
    throw new UsageError(`--refresh-token-ttl ${humanSeconds(out.refreshTokenSeconds)} is shorter than --access-token-ttl ${humanSeconds(out.accessTokenSeconds)}: the refresh token would expire before the access token it renews.`, {
      fix: `Raise --refresh-token-ttl to at least ${humanSeconds(out.accessTokenSeconds)}, or lower --access-token-ttl.`,
    });
  }
  return out;
}

/** An http(s) URL that may carry credentials: https, or plain http to this machine only (src/core/net.ts). */
export function parseUrl(value: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    u = new URL('invalid:');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`${flag} "${value}" is not an http(s) URL.`, { fix: `Pass a full URL, e.g. ${flag} https://example.com/...` });
  }
  return requireSecureUrl(value, flag);
}

export function parseScopes(value: string | undefined): string[] {
  if (value === undefined) return DEFAULT_SCOPES;
  const s = value.split(/[\s,]+/).filter(Boolean);
  if (!s.length) throw new UsageError('--scopes is empty.', { fix: `Pass e.g. --scopes "${DEFAULT_SCOPES.join(' ')}".` });
  return s;
}

export function parseServerName(value: string | undefined, flag = '--server-name'): string {
  const serverName = value ?? DEFAULT_SERVER_NAME;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(serverName)) throw new UsageError(`${flag} "${serverName}" is not a usable MCP server name.`, { fix: 'Use letters, digits, ".", "-" and "_".' });
  return serverName;
}

/**
 * Which MCP clients to configure: --client a,b; else (interactive) a checkbox of every client with the ones
 * installed here preselected; else `fallback`; else fail naming --client (and what is installed here).
 */
export async function collectClients(
  ctx: Pick<Context, 'prompter' | 'env' | 'home' | 'cwd'>,
  opts: ParsedOptions,
  fallback: string[] | undefined,
  /** The clients this setup configured before (a re-run): the default selection, with the files they were written to. */
  configured?: ClientChoice[],
): Promise<ClientChoice[]> {
  const { CLIENT_TARGETS, clientLabel, clientPath, detectClients, parseClientList } = await import('../clients/registry.js');
  const where = { home: ctx.home, cwd: ctx.cwd, platform: process.platform, env: ctx.env };
  const flag = str(opts, 'client');
  let ids: string[];
  if (flag !== undefined) ids = parseClientList(flag);
  else if (configured?.length && !ctx.prompter.interactive) return configured;
  else {
    const detected = detectClients({ home: ctx.home, cwd: ctx.cwd, env: ctx.env });
    const preselect = configured?.length ? configured.map((c) => c.client) : detected.length ? detected : (fallback ?? []);
    const tilde = (p: string) => (p.startsWith(`${ctx.home}/`) ? `~${p.slice(ctx.home.length)}` : p);
    ids = await ctx.prompter.chooseMany({
      flag: '--client',
      message: 'MCP clients to configure (space toggles, enter confirms):',
      // Installed clients first (and preselected), then the rest: all of them on one page.
      choices: [...CLIENT_TARGETS].sort((x, y) => Number(detected.includes(y.id)) - Number(detected.includes(x.id))).map((t) => ({
        value: t.id,
        name: `${clientLabel(t.id)}${detected.includes(t.id) ? ' [installed]' : ''}: ${tilde(clientPath(t.id, where))}`,
        checked: preselect.includes(t.id),
      })),
      ...(fallback ? { default: fallback } : {}),
      fix: `Pass --client with one or more of: ${CLIENT_TARGETS.map((t) => t.id).join(', ')}${detected.length ? ` (installed here: ${detected.join(', ')})` : ''}.`,
    });
  }
  // A client this setup configured keeps the file it was written to (a project-scoped one, from another folder).
  return ids.map((client) => configured?.find((c) => c.client === client) ?? { client, path: clientPath(client, where) });
}

export const TEAM_PROFILE_FILE = 'agentcore-auth.team.json';

export function region(opts: ParsedOptions, env: NodeJS.ProcessEnv): string {
  const r = str(opts, 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(r)) throw new UsageError(`--region "${r}" is not an AWS region name.`, { fix: 'Pass e.g. --region us-east-1.' });
  return r;
}

export async function collectInitAnswers(
  ctx: Pick<Context, 'prompter' | 'env' | 'home' | 'cwd' | 'flags' | 'stateDir'>,
  opts: ParsedOptions,
  listGateways: () => Promise<Array<{ gatewayId: string; name: string; status: string; authorizerType: string }>>,
): Promise<InitAnswers> {
  const { prompter } = ctx;
  const { PROVIDER_MODULES } = await import('../../providers/index.js');
  const issuerFlag = str(opts, 'issuer') ?? ctx.env.AGENTCORE_AUTH_ISSUER;
  if (issuerFlag) parseUrl(issuerFlag, '--issuer');
  let providerFlag = str(opts, 'provider') ?? ctx.env.AGENTCORE_AUTH_PROVIDER;
  if (!providerFlag && issuerFlag && !prompter.interactive) {
    // An issuer alone names its IdP by its shape (Okta, Entra, Cognito, Auth0), else the generic OIDC adapter.
    const { detectProvider } = await import('../../providers/profiles.js');
    providerFlag = detectProvider(issuerFlag);
  }
  if (!providerFlag && !prompter.interactive) {
    throw new UsageError(`Missing --issuer or --provider: cannot prompt because ${prompter.whyNot}.`, {
      fix: 'Pass --provider oidc --issuer URL (or --provider okta|entra|cognito|auth0 with its flags), or set AGENTCORE_AUTH_ISSUER / AGENTCORE_AUTH_PROVIDER.',
    });
  }
  // Interactive with an issuer: the IdP it names is preselected.
  const detected = issuerFlag && prompter.interactive ? (await import('../../providers/profiles.js')).detectProvider(issuerFlag) : undefined;
  const provider = await prompter.ask<ProviderId>({
    flag: '--provider',
    message: 'Identity provider:',
    flagValue: providerFlag,
    ...(detected ? { default: detected } : {}),
    choices: PROVIDER_MODULES.map((p) => ({ value: p.id, name: p.displayName })),
  });
  // The generic OIDC adapter needs the issuer; the others derive it from their own settings (org, tenant, pool).
  const issuer =
    provider === 'oidc'
      ? parseUrl(await prompter.ask({ flag: '--issuer', message: 'Issuer URL:', flagValue: issuerFlag, validate: ruleOf((v) => parseUrl(v, '--issuer')), promptCheck: issuerAnswers }), '--issuer')
      : (issuerFlag ?? '');
  const endpointUrl = str(opts, 'endpoint-url');
  if (endpointUrl) parseUrl(endpointUrl, '--endpoint-url');

  let gateway: GatewayChoice;
  const existing = str(opts, 'gateway');
  const createName = str(opts, 'create-gateway');
  if (existing && createName) throw new UsageError('--gateway and --create-gateway cannot be used together.', { fix: 'Pick one: use an existing gateway, or create a new one.' });
  if (createName) {
    if (validGatewayName(createName) !== true) throw new UsageError(`--create-gateway "${createName}" is not a valid gateway name.`, { fix: 'Use letters, digits and single hyphens (at most 100).' });
    const roleArn = await prompter.ask({
      flag: '--role-arn',
      message: 'IAM role ARN for the new gateway (trusted by bedrock-agentcore.amazonaws.com):',
      flagValue: str(opts, 'role-arn'),
      validate: validRoleArn,
    });
    gateway = { mode: 'create', name: createName, roleArn };
  } else if (existing) {
    const { parseGatewayRef } = await import('../gateway/agentcore.js');
    gateway = { mode: 'existing', id: parseGatewayRef(existing) };
  } else if (prompter.interactive) {
    const list = await listGateways();
    const id = await prompter.ask({
      flag: '--gateway',
      message: 'Gateway:',
      choices: [
        ...list.map((g) => ({ value: g.gatewayId, name: `${g.name} (${g.gatewayId}) ${g.status} ${g.authorizerType}` })),
        { value: '__create__', name: 'Create a new gateway' },
      ],
    });
    if (id === '__create__') {
      const name = await prompter.ask({ flag: '--create-gateway', message: 'New gateway name:', validate: validGatewayName });
      const roleArn = await prompter.ask({ flag: '--role-arn', message: 'IAM role ARN for the gateway:', validate: validRoleArn });
      gateway = { mode: 'create', name, roleArn };
    } else gateway = { mode: 'existing', id };
  } else {
    throw new UsageError(`Which gateway? Cannot prompt because ${prompter.whyNot}.`, { fix: 'Pass --gateway ID (or ARN or URL), or --create-gateway NAME --role-arn ARN.' });
  }

  const { readJournal } = await import('../journal/journal.js');
  const prior = await readJournal(ctx.stateDir, ctx.flags.setup).catch(() => null);
  const configured = ((prior?.config.clients ?? []) as Array<Partial<ClientChoice> | null>).filter((c): c is ClientChoice => typeof c?.client === 'string' && typeof c?.path === 'string');
  const clients = await collectClients(ctx, opts, ['kiro'], configured);
  const kiroNative = opts['kiro-native'] === true;
  if (kiroNative && !clients.some((c) => c.client === 'kiro' || c.client === 'kiro-workspace')) {
    throw new UsageError('--kiro-native changes the Kiro entry, but no Kiro client is chosen.', { fix: 'Add --client kiro (or kiro-workspace), or drop --kiro-native.' });
  }
  const { teamProfileTarget } = await import('./handoff.js');
  const teamProfile = await teamProfileTarget(ctx, opts);
  const serverName = parseServerName(str(opts, 'server-name'));
  const callbackPort = parsePort(str(opts, 'callback-port'), '--callback-port', DEFAULT_CALLBACK_PORT);
  const access = await collectAccessPolicy(prompter, opts);
  return {
    setup: ctx.flags.setup,
    provider,
    issuer,
    gateway,
    region: region(opts, ctx.env),
    endpointUrl,
    profile: str(opts, 'profile'),
    clients,
    kiroNative,
    followSymlinks: opts['follow-symlinks'] === true,
    ...(teamProfile ? { teamProfile } : {}),
    serverName,
    callbackPort,
    callbackHost: 'localhost',
    scopes: parseScopes(str(opts, 'scopes')),
    ...(hasAccessRules(access) ? { access } : {}),
    lifetimes: parseLifetimes(opts),
    appName: str(opts, 'app-name') ?? `agentcore-auth ${ctx.flags.setup}`,
    verify: opts['no-verify'] !== true,
    wait: opts['no-wait'] !== true,
  };
}

const list = (v: ParsedOptions[string]): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/**
 * Who may use the gateway (issue 13): --allow-group, --require-scope, --require-claim; interactive without them,
 * "Who may use the gateway?". Without flags and without a terminal: anyone who can sign in (the client stays pinned).
 */
export async function collectAccessPolicy(prompter: Context['prompter'], opts: ParsedOptions): Promise<AccessPolicy> {
  const given = { groups: list(opts['allow-group']), scopes: list(opts['require-scope']), claims: list(opts['require-claim']) };
  const parse = (input: Partial<typeof given>): AccessPolicy => {
    try {
      return parseAccessPolicy(input);
    } catch (err) {
      if (err instanceof AccessPolicyError) throw new UsageError(err.message, { fix: err.fix });
      throw err;
    }
  };
  if (given.groups.length || given.scopes.length || given.claims.length || !prompter.interactive) return parse(given);
  const who = await prompter.ask<'anyone' | 'group' | 'scope' | 'claim'>({
    flag: '--allow-group',
    message: 'Who may use the gateway?',
    choices: [
      { value: 'anyone', name: 'Anyone who can sign in at the IdP (this app only)' },
      { value: 'group', name: 'Members of a group (or role)', description: '--allow-group NAME' },
      { value: 'scope', name: 'Holders of a scope', description: '--require-scope SCOPE' },
      { value: 'claim', name: 'A custom claim rule', description: '--require-claim department=engineering | groups~a,b' },
    ],
    default: 'anyone',
  });
  if (who === 'anyone') return {};
  const checked = (key: keyof typeof given) => (v: string) => {
    try {
      parseAccessPolicy({ [key]: [v] });
      return true;
    } catch (err) {
      return err instanceof AccessPolicyError ? `${err.message} ${err.fix}` : String(err);
    }
  };
  if (who === 'group') return parse({ groups: [await prompter.ask({ flag: '--allow-group', message: 'Group names (comma-separated; any of them admits):', validate: checked('groups') })] });
  if (who === 'scope') return parse({ scopes: [await prompter.ask({ flag: '--require-scope', message: 'Scopes (any of them admits):', validate: checked('scopes') })] });
  return parse({ claims: [await prompter.ask({ flag: '--require-claim', message: 'Claim rule (CLAIM=VALUE, CLAIM~VALUE, CLAIM~A,B):', validate: checked('claims') })] });
}

/** A parser as a prompt rule: true, or its message and fix (the same rule the flag is held to). */
export function ruleOf(parse: (v: string) => unknown): (v: string) => string | true {
  return (v) => {
    try {
      parse(v);
      return true;
    } catch (err) {
      const e = err as { message?: string; fix?: string };
      return `${e.message ?? String(err)}${e.fix ? ` ${e.fix}` : ''}`;
    }
  };
}

export const validRoleArn = (v: string): string | true =>
  /^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(v) ? true : 'must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME)';

export const validGatewayName = (v: string): string | true =>
  /^([0-9a-zA-Z][-]?){1,100}$/.test(v) ? true : 'letters, digits and single hyphens (at most 100 characters)';

/** At the prompt: the issuer must answer OpenID discovery naming itself, or the question is asked again with why. */
async function issuerAnswers(issuer: string): Promise<string | true> {
  const { httpFetch } = await import('../core/http.js');
  const { discoveryUrlForIssuer } = await import('../../providers/profiles.js');
  const url = discoveryUrlForIssuer(issuer);
  try {
    const res = await httpFetch(url, { headers: { accept: 'application/json' } }, { timeoutMs: 8000, purpose: 'reading the issuer\'s discovery document', retry: 'none' });
    if (!res.ok) return `${url} answered HTTP ${res.status}: is this the issuer (the URL in the IdP's "iss")?`;
    const md = (await res.json().catch(() => ({}))) as { issuer?: unknown };
    if (typeof md.issuer !== 'string') return `${url} is not an OpenID discovery document.`;
    if (md.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, '')) return `${url} names the issuer ${md.issuer}: enter exactly that.`;
    return true;
  } catch (err) {
    return `cannot read ${url}: ${(err as Error).message}`;
  }
}
