/**
 * `verify`: walks the chain an MCP client walks (401 challenge, PRM, AS metadata, JWKS, sign-in, MCP calls,
 * refresh) and reports each link. A link whose prerequisite failed is 'skip', with the reason.
 */
import type { ProviderId } from '../../providers/types.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import { styled, type Logger, type StyledLine, type StyledText } from '../core/logger.js';
import type { Opener } from '../oauth/browser.js';
import type { TokenResponse } from '../oauth/tokens.js';
import { checkAsMetadata } from './as-metadata.js';
import { checkChallenge } from './challenge.js';
import { checkJwks } from './jwks.js';
import { checkLogin } from './login.js';
import { checkMcpCalls } from './mcp.js';
import { checkPrm } from './prm.js';
import { checkRefresh, type RefreshCheckInput } from './refresh.js';
import { checkTokenClaims } from './token-claims.js';
import { sameIssuer } from '../oauth/issuer-pin.js';
import { mcpRemoteScope, type McpRemoteScopeSource } from '../clients/mcp-remote.js';
import { dropTagged, skipped, type CheckResult, type CheckStage, type CheckStatus } from './types.js';

export interface VerifyInput {
  gatewayUrl: string;
  clientId?: string;
  /** Default: the 401's scope, else the PRM's scopes_supported, else `openid email profile` (mcp-remote's order). */
  scopes?: string[];
  /** RFC 8707 resource parameter. Default: the PRM's `resource`, as mcp-remote sends it. */
  resource?: string;
  /** Send no resource parameter (mcp-remote's --disable-resource-parameter; Entra needs it). */
  disableResource?: boolean;
  /** Extra authorization request parameters, as the client sends them (mcp-remote --authorize-param; Auth0's audience). */
  authorizeParams?: Record<string, string>;
  /** An access token the IdP signed that has expired (e.g. from mcp-remote's cache), for the expired-token probe. */
  expiredToken?: string;
  /**
   * The issuer a setup recorded or a team profile names. It must be one the gateway's protected resource
   * metadata names, or no token is requested (the issuer-pin check fails); without it, the gateway's first
   * authorization server is the one used.
   */
  expectedIssuer?: string;
  /** Where expectedIssuer came from, for the finding ('setup "connect"'). */
  expectedIssuerSource?: string;
  /** The IdP adapter of the setup (custom domains cannot be recognised from the issuer). */
  provider?: ProviderId;
  /** The MCP client entry to check (Kiro's mcp.json and the server name), when known; --via-client runs it. */
  clientConfig?: { path: string; serverName: string; client?: string };
  /** Every configured client's entry (default: just clientConfig). The first mcp-remote one gets the deep checks. */
  clientConfigs?: Array<{ path: string; serverName: string; client?: string }>;
  /** Redirect URIs registered at the IdP for the client (the adapter's describeApp), when known. */
  registeredRedirectUris?: string[];
  /** Also run the sign-in and calls through the client entry, exactly as Kiro would (spawns mcp-remote). */
  viaClient?: boolean;
  /** The user's environment (cache location, BROWSER for --via-client). */
  env?: NodeJS.ProcessEnv;
  /** Where the client entry is started for --via-client (Kiro: the workspace). */
  cwd?: string;
  callbackHost?: 'localhost' | '127.0.0.1';
  callbackPort?: number;
  noLogin?: boolean;
  callTool?: { name: string; args?: Record<string, unknown> };
  authorizer?: CustomJwtAuthorizer;
  /** --dry-run: nothing but read-only probes (no cached refresh token is redeemed). */
  readOnly?: boolean;
  /** Who may use the gateway, when the authorizer itself is not known (a team profile's rules): judged for the user. */
  accessRules?: Pick<CustomJwtAuthorizer, 'allowedScopes' | 'customClaims'>;
  /** Per HTTP request; default 10 s. */
  timeoutMs?: number;
  /** How long to wait for the browser sign-in; default 5 min. */
  loginTimeoutMs?: number;
  /**
   * What is being judged: an AgentCore gateway (its CUSTOM_JWT authorizer needs JWT access tokens it can check
   * against the IdP's JWKS), or any OAuth-protected MCP server (RFC 9728), which may check opaque tokens by
   * introspection. Default: agentcore when its rules are known or the URL is a gateway's, else mcp.
   */
  endpoint?: EndpointKind;
}

export type EndpointKind = 'agentcore' | 'mcp';

const AGENTCORE_HOST = /\.gateway\.bedrock-agentcore\.[a-z0-9-]+\.amazonaws\.com$/i;

export function endpointKind(input: Pick<VerifyInput, 'endpoint' | 'authorizer' | 'gatewayUrl'>): EndpointKind {
  if (input.endpoint) return input.endpoint;
  if (input.authorizer) return 'agentcore';
  try {
    return AGENTCORE_HOST.test(new URL(input.gatewayUrl).hostname) ? 'agentcore' : 'mcp';
  } catch {
    return 'mcp';
  }
}

/** Checks whose failures are about what an AgentCore gateway needs (JWTs, JWKS, its rules). */
const GATEWAY_ONLY = new Set(['jwks', 'token-claims']);

/**
 * One premise, one verdict. On a server that is not an AgentCore gateway, gateway-only expectations are notes.
 * And a server that accepted the token (initialize passed) outranks any inference from the token's shape.
 */
function judgeByEndpoint(checks: CheckResult[], kind: EndpointKind): void {
  const accepted = checks.some((c) => c.id === 'mcp-initialize' && c.status === 'pass');
  for (const c of checks) {
    if (!GATEWAY_ONLY.has(c.id) || (c.status !== 'fail' && c.status !== 'warn')) continue;
    if (c.details?.clockSkewSeconds !== undefined) continue; // a clock off is everyone's problem
    if (kind === 'mcp') {
      c.status = 'info';
      c.finding = `${c.finding} An AgentCore gateway needs this; this server is not one${accepted ? ', and it accepted the token' : ''}, so it is only a note.`;
      delete c.fix;
    } else if (accepted && c.status === 'fail') {
      c.status = 'warn';
      c.finding = `${c.finding} Yet the server accepted the token (initialize passed), so this is not what would stop a client.`;
    }
  }
}

export interface VerifyDeps {
  logger: Logger;
  opener?: Opener;
}

export interface VerifyResult {
  checks: CheckResult[];
  ok: boolean;
  tokens?: { accessToken: string; refreshToken?: string };
  /** The issuer the test login used (pinned to the gateway): the only one its tokens may be revoked at. */
  issuer?: string;
}

/** mcp-remote's historical default callback port; the wizard registers the port it writes to mcp.json. */
export const DEFAULT_CALLBACK_PORT = 3334;

const TITLES = {
  prm: 'Protected resource metadata',
  as: 'Authorization server metadata',
  jwks: 'Signing keys (JWKS)',
  login: 'Sign-in (authorization code + PKCE)',
  claims: 'Access token claims',
  init: 'MCP initialize with the token',
  list: 'MCP tools/list',
  refresh: 'Token refresh',
} as const;

/** What the primary client entry's mcp-remote will send when it signs in: the login verify runs is that one. */
interface EntryLogin {
  file: string;
  /** undefined: the entry names no scope, so mcp-remote takes the challenge's, the PRM's, or its fallback. */
  scopes?: string[];
  disableResource: boolean;
  resource?: string;
  authorizeParams?: Record<string, string>;
  host: 'localhost' | '127.0.0.1';
  port?: number;
  /** mcp-remote's cache for this entry's server (absent with --header-file, which changes the hash) and its client. */
  cache?: { dir: string; hash: string };
  clientId?: string;
}

async function entryLogin(input: VerifyInput): Promise<EntryLogin | undefined> {
  const all = input.clientConfigs?.length ? input.clientConfigs : input.clientConfig ? [input.clientConfig] : [];
  const { readClientEntry, isBridgeEntry } = await import('../clients/registry.js');
  for (const c of all) {
    const e = await readClientEntry(c.client, c.path, c.serverName).catch(() => null);
    if (!isBridgeEntry(e)) continue;
    const { parseMcpRemoteEntry } = await import('./client-config.js');
    const { loginParamsFromArgs } = await import('../clients/mcp-remote.js');
    const p = await parseMcpRemoteEntry(e as Record<string, unknown>, { cwd: input.cwd }).catch(() => undefined);
    if (!p?.runsMcpRemote) return undefined;
    const l = loginParamsFromArgs(p.argv);
    const scope = p.clientMetadata.kind === 'ok' ? p.clientMetadata.scope?.trim() : undefined;
    const { mcpRemoteCacheEnv } = await import('./client-config.js');
    const { mcpRemoteCacheDir, mcpRemoteServerHash } = await import('../clients/mcp-remote.js');
    const cache = p.serverUrl && p.headerFile === undefined ? { dir: mcpRemoteCacheDir(mcpRemoteCacheEnv(p.env, input.env ?? process.env)), hash: mcpRemoteServerHash(p.serverUrl, p.hashOpts) } : undefined;
    return {
      ...(cache ? { cache } : {}),
      ...(p.clientInfo.kind === 'ok' && p.clientInfo.clientId ? { clientId: p.clientInfo.clientId } : {}),
      file: c.path,
      ...(scope ? { scopes: scope.split(/\s+/) } : {}),
      disableResource: l.disableResource,
      ...(l.resource ? { resource: l.resource } : {}),
      ...(l.authorizeParams ? { authorizeParams: l.authorizeParams } : {}),
      host: p.host === '127.0.0.1' ? '127.0.0.1' : 'localhost',
      ...(p.effectivePort ? { port: p.effectivePort } : {}),
    };
  }
  return undefined;
}

/** Where the entry's sign-in differs from the setup's: each difference is a sign-in the setup did not mean. */
function entryLoginCheck(input: VerifyInput, e: EntryLogin): CheckResult {
  const base = { id: 'entry-login', stage: 'config', title: 'The entry signs in as the setup says' } as const;
  const diffs: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (input.scopes && e.scopes && [...e.scopes].sort().join(' ') !== [...input.scopes].sort().join(' ')) diffs.push(`scope "${e.scopes.join(' ')}" instead of "${input.scopes.join(' ')}"`);
  if (input.scopes && !e.scopes) diffs.push(`no scope (so mcp-remote chooses one; see the next check) instead of "${input.scopes.join(' ')}"`);
  if (Boolean(input.disableResource) !== e.disableResource) diffs.push(e.disableResource ? 'no resource parameter (--disable-resource-parameter) where the setup sends one' : 'a resource parameter where the setup sends none (--disable-resource-parameter is missing)');
  if (!same(input.authorizeParams ?? {}, e.authorizeParams ?? {})) {
    const show = (p?: Record<string, string>) => Object.entries(p ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
    diffs.push(`authorization parameters ${show(e.authorizeParams)} instead of ${show(input.authorizeParams)}`);
  }
  if (input.callbackPort && e.port && input.callbackPort !== e.port) diffs.push(`callback port ${e.port} instead of ${input.callbackPort}`);
  if (input.callbackHost && e.host !== input.callbackHost) diffs.push(`callback host ${e.host} instead of ${input.callbackHost}`);
  if (!diffs.length) return { ...base, status: 'pass', finding: `The test login used exactly what ${e.file} sends (scope, resource, authorization parameters, callback).`, details: { file: e.file } };
  return {
    ...base,
    status: 'fail',
    finding: `${e.file} signs in with ${diffs.join('; ')}. The test login used the entry's values, as the client will.`,
    fix: `Run \`agentcore-auth init\` again (it rewrites the entry from the setup), or correct the entry in ${e.file}.`,
    details: { file: e.file, differences: diffs },
  };
}

const SCOPE_SOURCES: Record<McpRemoteScopeSource, string> = {
  entry: 'the entry',
  challenge: "the gateway's 401 challenge",
  prm: "the gateway's scopes_supported",
  as: "every scope the authorization server's metadata lists (scopes_supported)",
  fallback: "mcp-remote's fallback, as the authorization server lists no scopes_supported",
};

/**
 * An entry that names no scope: mcp-remote asks for one of its own choosing. Which one is a fact; whether the
 * IdP app may have it, the test login (which asks exactly that) finds out.
 */
function entryScopeCheck(e: EntryLogin, asked: { scopes: string[]; from: McpRemoteScopeSource; addedOfflineAccess?: boolean }): CheckResult {
  const what = asked.scopes.length ? `"${asked.scopes.join(' ')}"` : 'no scope at all';
  return {
    id: 'entry-scope',
    stage: 'config',
    title: 'The scope the entry asks for',
    status: 'warn',
    finding: `${e.file} gives mcp-remote no scope, so it asks for ${what}: ${SCOPE_SOURCES[asked.from]}${asked.addedOfflineAccess ? ', with offline_access added' : ''}. The test login asks for the same.`,
    fix: `Name the scope in the entry: --static-oauth-client-metadata '{"scope":"…"}' with the scopes the IdP app may request (\`agentcore-auth init\` writes it).`,
    details: { file: e.file, scopes: asked.scopes, from: asked.from },
  };
}

/** Check 6, client side: the entry, the registered redirect URI, the callback port, mcp-remote's cache. */
async function clientConfigChecks(input: VerifyInput): Promise<CheckResult[]> {
  const all = input.clientConfigs?.length ? input.clientConfigs : input.clientConfig ? [input.clientConfig] : [];
  if (!all.length) return [];
  const { checkClientConfig } = await import('./client-config.js');
  const { readClientEntry, isBridgeEntry } = await import('../clients/registry.js');
  // The callback port, redirect URI and cache checks are about mcp-remote: they run once, with the first
  // entry that runs it (every bridge entry of a setup has the same command line, so the same cache).
  let primary = 0;
  for (let i = 0; i < all.length; i++) {
    const e = await readClientEntry(all[i]!.client, all[i]!.path, all[i]!.serverName).catch(() => null);
    if (isBridgeEntry(e)) {
      primary = i;
      break;
    }
  }
  const common = {
    gatewayUrl: input.gatewayUrl,
    clientId: input.clientId,
    scopes: input.scopes,
    callbackPort: input.callbackPort,
    registeredRedirectUris: input.registeredRedirectUris,
    ...(input.provider ? { provider: input.provider } : {}),
    // A cached login is judged against the issuer the setup recorded (a stale one from another IdP is named).
    ...(input.expectedIssuer ? { issuer: input.expectedIssuer } : {}),
    env: input.env ?? process.env,
  };
  const many = all.length > 1;
  const results = await Promise.all(
    all.map((c, i) =>
      checkClientConfig({
        ...common,
        configPath: c.path,
        serverName: c.serverName,
        ...(c.client ? { client: c.client } : {}),
        // One client keeps the plain 'client-entry' id; several are told apart by their client id.
        ...(many && c.client ? { checkId: `client-entry:${c.client}` } : {}),
        entryOnly: i !== primary,
      }),
    ),
  );
  // Every entry first, then the mcp-remote checks.
  return [...results.map((r) => r[0]!), ...results[primary]!.slice(1)];
}

/** Check 7 through the client: mcp-remote started from the entry exactly as Kiro would. */
async function viaClientChecks(input: VerifyInput, logger: Logger): Promise<CheckResult[]> {
  if (!input.clientConfig) {
    return [skipped('via-client-initialize', 'calls', 'Through the client: start and initialize', 'Skipped: no client entry to run (run from a setup, or pass --client and --server-name).')];
  }
  const { checkViaClient } = await import('./via-client.js');
  return checkViaClient(
    {
      configPath: input.clientConfig.path,
      serverName: input.clientConfig.serverName,
      ...(input.clientConfig.client ? { client: input.clientConfig.client } : {}),
      timeoutMs: input.loginTimeoutMs ?? 300_000,
      requestTimeoutMs: input.timeoutMs,
      callTool: input.callTool,
      env: input.env ?? process.env,
      cwd: input.cwd,
    },
    { logger },
  );
}

/** Check 6: the gateway's rules fit the IdP's token profile (when the rules are known). */
async function consistencyChecks(input: VerifyInput, learned: { issuer?: string; accessToken?: string }): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  // The issuer the setup (or team profile) recorded is the reference: a discovery URL with a typo that lands on
  // another live issuer names that other issuer everywhere the gateway leads, so it cannot be its own reference.
  const reference = input.expectedIssuer ?? learned.issuer;
  if (input.authorizer && reference) {
    const { checkRuleFit } = await import('./rule-fit.js');
    const { decodeJwtClaims } = await import('../oauth/tokens.js');
    out.push(
      ...checkRuleFit({
        provider: input.provider,
        issuer: reference,
        authorizer: input.authorizer,
        clientId: input.clientId,
        gatewayUrl: input.gatewayUrl,
        scopes: input.scopes,
        accessTokenClaims: learned.accessToken ? decodeJwtClaims(learned.accessToken)?.payload : undefined,
      }),
    );
  } else {
    const why = input.authorizer
      ? 'Skipped: no issuer was found to compare the rules with.'
      : "Skipped: the gateway's claim rules are unknown (run from a setup, or pass --gateway ID so they are read from the control plane).";
    out.push(skipped('discovery-url', 'config', 'Gateway discovery URL matches the issuer', why), skipped('rule-fit', 'config', "Gateway claim rules fit the IdP's tokens", why));
  }
  return out;
}

/** Check 5: forged tokens that look valid in every claim must be refused. */
async function forgedProbes(
  input: VerifyInput,
  challengeStatus: CheckStatus,
  issuer: string | undefined,
  prm: { resource?: string; scopes_supported?: string[] } | undefined,
  jwks: Promise<{ jwks?: { signingKeys: Array<{ kid?: string }> } }> | undefined,
  timeoutMs: number,
): Promise<CheckResult[]> {
  const { checkForgedTokens, FORGED_PROBE_IDS, FORGED_PROBE_TITLES } = await import('./forged.js');
  const skipAll = (why: string) => FORGED_PROBE_IDS.map((id) => skipped(id, 'probes', FORGED_PROBE_TITLES[id], why));
  if (challengeStatus === 'fail') return skipAll('Skipped: the gateway does not challenge unauthenticated requests (see the challenge check).');
  if (!issuer) return skipAll('Skipped: no authorization server metadata, so no issuer to forge.');
  const z = input.authorizer;
  const kids = ((await jwks)?.jwks?.signingKeys ?? []).map((k) => k.kid).filter((k): k is string => Boolean(k));
  return checkForgedTokens({
    gatewayUrl: input.gatewayUrl,
    issuer,
    audience: z?.allowedAudience?.length ? z.allowedAudience : [prm?.resource ?? input.gatewayUrl],
    clientId: z?.allowedClients?.[0] ?? input.clientId,
    scopes: z?.allowedScopes?.length ? z.allowedScopes : prm?.scopes_supported,
    customClaims: z?.customClaims,
    publishedKids: kids,
    expiredToken: input.expiredToken,
    timeoutMs,
  });
}

export async function runVerify(input: VerifyInput, deps: VerifyDeps): Promise<VerifyResult> {
  const { logger } = deps;
  const timeoutMs = input.timeoutMs ?? 10_000;
  const checks: CheckResult[] = [];
  // What the chain learns, for the consistency checks that close the run.
  const learned: { issuer?: string; accessToken?: string } = {};
  /** The issuer tokens may be requested from: the gateway's, and the setup's when it names one. */
  let pinned: string | undefined;
  const entryChecks: CheckResult[] = [];
  /** Set once the issuer is pinned and its metadata read: the cached login's refresh token, tried. */
  let cacheRefreshPending: Promise<CheckResult | undefined> = Promise.resolve(undefined);
  const done = async (tokens?: TokenResponse): Promise<VerifyResult> => {
    const cacheRefresh = await cacheRefreshPending;
    checks.push(...(await clientConfigPending), ...entryChecks, ...(cacheRefresh ? [cacheRefresh] : []), ...(await consistencyChecks(input, learned)));
    if (input.viaClient) checks.push(...(await viaClientChecks(input, deps.logger)));
    judgeByEndpoint(checks, endpointKind(input));
    if (checks.some((c) => c.id === 'access-rules')) (await import('./access-rules.js')).deferToAccessRules(checks, input.authorizer ?? (input.accessRules ? { discoveryUrl: '', ...input.accessRules } : undefined));
    // A refresh that worked disproves every "no refresh token" premise (Cognito issues them without offline_access).
    if (checks.some((c) => c.id === 'refresh' && c.status === 'pass')) for (const c of checks) dropTagged(c, ['no-refresh']);
    return {
      checks,
      ok: !checks.some((c) => c.status === 'fail'),
      ...(tokens ? { tokens: { accessToken: tokens.access_token, ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}) }, issuer: pinned } : {}),
    };
  };
  const callTitle = `MCP tools/call ${input.callTool?.name ?? ''}`.trim();
  const skipAfterLogin = (why: string) => {
    checks.push(skipped('token-claims', 'login', TITLES.claims, why));
    checks.push(skipped('mcp-initialize', 'calls', TITLES.init, why));
    checks.push(skipped('mcp-tools-list', 'calls', TITLES.list, why));
    if (input.callTool) checks.push(skipped('mcp-tools-call', 'calls', callTitle, why));
    checks.push(skipped('refresh', 'login', TITLES.refresh, why));
  };

  // The client entry checks are local and quick; they probe the callback port, so they finish before our own
  // sign-in listens on it.
  const clientConfigPending = clientConfigChecks(input);
  const entryPending = entryLogin(input).catch(() => undefined);
  // RSA key generation for the forged-token probes takes a while: start it now, while the network is busy.
  void import('./forged.js').then((m) => m.probeKeyPair()).catch(() => undefined);
  logger.debug(`Probing ${input.gatewayUrl} without a token`);
  const challenge = await checkChallenge(input.gatewayUrl, { timeoutMs, authorizerKnown: Boolean(input.authorizer) });
  checks.push(challenge.result);
  if (!challenge.challenge) {
    const why = 'Skipped: the gateway did not answer.';
    checks.push(skipped('prm', 'metadata', TITLES.prm, why), skipped('as-metadata', 'metadata', TITLES.as, why), skipped('jwks', 'metadata', TITLES.jwks, why));
    checks.push(skipped('login', 'login', TITLES.login, why));
    skipAfterLogin(why);
    return done();
  }
  const www = challenge.challenge.wwwAuthenticate;

  logger.debug('Reading the protected resource metadata');
  const prm = await checkPrm(input.gatewayUrl, www?.params.resource_metadata, { timeoutMs });
  checks.push(prm.result);
  const named = prm.prm?.metadata.authorization_servers;
  const servers = (Array.isArray(named) ? named : []).filter((s): s is string => typeof s === 'string' && s.length > 0);
  let issuer = servers[0];
  // The pin: a setup's or profile's issuer must be one the gateway names, or no token is requested at all.
  if (input.expectedIssuer && prm.prm) {
    const match = servers.find((s) => sameIssuer(s, input.expectedIssuer));
    checks.push(pinCheck(input, servers, match));
    if (match) issuer = pinned = match;
  } else pinned = issuer;

  let as: Awaited<ReturnType<typeof checkAsMetadata>> | undefined;
  if (!issuer) {
    checks.push(skipped('as-metadata', 'metadata', TITLES.as, 'Skipped: no authorization server to look up (see the protected resource metadata check).'));
  } else {
    logger.debug(`Discovering the authorization server ${issuer}`);
    as = await checkAsMetadata(issuer, { timeoutMs });
    checks.push(as.result);
  }
  const asMd = as?.as?.metadata;
  learned.issuer = asMd?.issuer ?? issuer;

  // The JWKS fetch and the forged-token probes run while the user signs in.
  const jwksFetch = asMd ? checkJwks(asMd.jwks_uri, { timeoutMs }) : undefined;
  const jwksPending = jwksFetch
    ? jwksFetch.then((r) => r.result)
    : Promise.resolve(skipped('jwks', 'metadata', TITLES.jwks, 'Skipped: no authorization server metadata.'));
  const probesPending = forgedProbes(input, challenge.result.status, asMd?.issuer, prm.prm?.metadata, jwksFetch, timeoutMs);

  let tokens: TokenResponse | undefined;
  let scopes: string[] = [];
  let scopesFrom: RefreshCheckInput['scopesFrom'] = 'given';
  // The login verify runs is the one the client entry will run: its scope, resource, parameters and callback.
  const entry = await entryPending;
  if (entry) entryChecks.push(entryLoginCheck(input, entry));
  const disableResource = entry ? entry.disableResource : input.disableResource;
  const resource = disableResource ? undefined : ((entry ? entry.resource : input.resource) ?? prm.prm?.metadata.resource);
  const authorizeParams = entry ? entry.authorizeParams : input.authorizeParams;
  const givenScopes = entry ? entry.scopes : input.scopes;
  // The scope the client asks for, computed once: given flags as they are; else (and for any entry) mcp-remote's.
  const asked = !asMd
    ? undefined
    : givenScopes && !entry
      ? { scopes: givenScopes, from: 'given' as const }
      : mcpRemoteScope({ entryScope: givenScopes?.join(' '), challengeScope: www?.params.scope, prmScopes: prm.prm?.metadata.scopes_supported, asScopes: asMd.scopes_supported });
  // An opaque cached refresh token tells nothing until it is used: use it, as mcp-remote would (under its lease).
  const refreshClient = entry?.clientId ?? input.clientId;
  if (!input.readOnly && entry?.cache && refreshClient && asMd?.token_endpoint && pinned && asMd.issuer === pinned) {
    const cache = entry.cache;
    const tokenEndpoint = asMd.token_endpoint;
    const issuer = pinned;
    const scope = (asked?.scopes ?? []).join(' ');
    cacheRefreshPending = clientConfigPending
      .then(() => import('./cache-refresh.js'))
      .then((m) => m.checkCachedRefresh({ ...cache, tokenEndpoint, issuer, clientId: refreshClient, scope: scope || undefined, resource, timeoutMs }))
      .catch((err: unknown) => {
        if (err instanceof Error && err.name === 'CancelledError') throw err;
        return { id: 'mcp-remote-cache-refresh', stage: 'config', title: "mcp-remote's cached refresh token", status: 'warn', finding: `Could not try the cached refresh token: ${err instanceof Error ? err.message : String(err)}.` } satisfies CheckResult;
      });
  }
  if (entry && !entry.scopes && asked && asked.from !== 'given') entryChecks.push(entryScopeCheck(entry, asked));
  await clientConfigPending;
  if (input.noLogin) {
    checks.push(skipped('login', 'login', TITLES.login, 'Skipped (--no-login).'));
  } else if (!asMd) {
    checks.push(skipped('login', 'login', TITLES.login, 'Skipped: no authorization server metadata to sign in with.'));
  } else if (!pinned) {
    checks.push(skipped('login', 'login', TITLES.login, "Skipped: the issuer is not one the gateway names (see the issuer check); no token is requested from it."));
  } else if (asMd.issuer !== pinned) {
    checks.push(skipped('login', 'login', TITLES.login, `Skipped: the metadata found for ${pinned} names another issuer (see the authorization server metadata check); no token is requested from it, and mcp-remote refuses it too.`));
  } else {
    scopes = asked!.scopes;
    scopesFrom = asked!.from;
    const login = await checkLogin({
      metadata: asMd,
      clientId: input.clientId,
      scopes,
      resource,
      authorizeParams,
      // The entry's client (mcp-remote 0.15.1) sends no nonce: neither does the login that stands for it.
      ...(entry ? { noNonce: true } : {}),
      host: entry?.host ?? input.callbackHost ?? 'localhost',
      port: entry?.port ?? input.callbackPort ?? DEFAULT_CALLBACK_PORT,
      logger,
      opener: deps.opener,
      loginTimeoutMs: input.loginTimeoutMs ?? 300_000,
      timeoutMs,
    });
    checks.push(login.result);
    tokens = login.tokens;
  }
  // keep the report in chain order: JWKS and the probes belong before the sign-in
  const jwks = await jwksPending;
  checks.splice(checks.findIndex((c) => c.id === 'login'), 0, jwks, ...(await probesPending));

  if (!tokens) {
    const loginCheck = checks.find((c) => c.id === 'login');
    skipAfterLogin(
      input.noLogin ? 'Skipped: no token (--no-login).' : loginCheck?.status === 'fail' ? 'Skipped: the sign-in failed.' : 'Skipped: no sign-in, so no token.',
    );
    return done();
  }

  const accessToken = tokens.access_token;
  learned.accessToken = accessToken;
  const [claims, calls] = await Promise.all([
    checkTokenClaims({ accessToken, expectedIssuer: asMd?.issuer, authorizer: input.authorizer }),
    checkMcpCalls({ gatewayUrl: input.gatewayUrl, accessToken, callTool: input.callTool, timeoutMs }),
  ]);
  checks.push(claims);
  // Who may use the gateway, judged for this user (a JWT only: an opaque token's claims are the server's to read).
  const accessZ = input.authorizer ?? (input.accessRules ? { discoveryUrl: '', ...input.accessRules } : undefined);
  if (accessZ) {
    const { decodeJwtClaims } = await import('../oauth/tokens.js');
    const payload = decodeJwtClaims(accessToken)?.payload;
    if (payload) {
      const { checkAccessRules } = await import('./access-rules.js');
      const { detectProvider } = await import('../../providers/profiles.js');
      const access = checkAccessRules({ authorizer: accessZ, claims: payload, provider: input.provider ?? detectProvider(asMd?.issuer ?? '') });
      if (access) checks.push(access);
    }
  }
  checks.push(...calls);

  const refresh = await checkRefresh({
    tokenEndpoint: asMd!.token_endpoint!,
    clientId: input.clientId!,
    refreshToken: tokens.refresh_token,
    scopes,
    scopesFrom,
    grantTypesSupported: asMd?.grant_types_supported as string[] | undefined,
    scopesSupported: asMd?.scopes_supported as string[] | undefined,
    resource,
    timeoutMs,
  });
  checks.push(refresh.result);
  if (refresh.tokens) {
    tokens = { ...refresh.tokens, refresh_token: refresh.tokens.refresh_token ?? tokens.refresh_token };
  }
  return done(tokens);
}

/** The issuer-pin check: the setup's (or profile's) issuer is one the gateway names. */
function pinCheck(input: VerifyInput, servers: string[], match: string | undefined): CheckResult {
  const base = { id: 'issuer-pin', stage: 'metadata', title: "Issuer is the gateway's", details: { expected: input.expectedIssuer, authorizationServers: servers } } as const;
  const source = input.expectedIssuerSource ?? 'the setup';
  if (match) return { ...base, status: 'pass', finding: `${source} names ${input.expectedIssuer}, an authorization server the gateway names.` };
  return {
    ...base,
    status: 'fail',
    finding: `${source} names the issuer ${input.expectedIssuer}, but the gateway names ${servers.length ? servers.join(', ') : 'no authorization server'}. No token was requested or sent.`,
    fix: servers.length
      ? `If the gateway is right, update ${source} (a current team profile, or run connect/init again); if not, fix the gateway's discovery URL so it names ${input.expectedIssuer}.`
      : "The gateway's CUSTOM_JWT discovery URL must name the IdP.",
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const STAGES: Array<{ stage: CheckStage; heading: string }> = [
  { stage: 'challenge', heading: 'Challenge' },
  { stage: 'metadata', heading: 'Discovery' },
  { stage: 'probes', heading: 'Forged tokens' },
  { stage: 'login', heading: 'Sign-in' },
  { stage: 'calls', heading: 'MCP calls' },
  { stage: 'config', heading: 'Configuration' },
];

const GLYPH: Record<CheckStatus, { glyph: string; style: 'green' | 'yellow' | 'red' | 'dim' }> = {
  pass: { glyph: '✔', style: 'green' },
  info: { glyph: 'i', style: 'dim' },
  warn: { glyph: '!', style: 'yellow' },
  fail: { glyph: '✖', style: 'red' },
  skip: { glyph: '-', style: 'dim' },
};

/** Human report: grouped by stage, one line per check, the fix indented under non-passing ones. Terminal-safe. */
export function formatReport(checks: CheckResult[], opts: { color: boolean }): StyledText {
  const lines: StyledLine[] = [];
  for (const { stage, heading } of STAGES) {
    const inStage = checks.filter((c) => c.stage === stage);
    if (!inStage.length) continue;
    if (lines.length) lines.push([]);
    lines.push([['bold', heading]]);
    for (const c of inStage) {
      const g = GLYPH[c.status];
      lines.push(['  ', [g.style, g.glyph], ` ${c.title}: ${c.finding}`]);
      if (c.fix && c.status !== 'pass' && c.status !== 'info') lines.push(['      ', ['dim', 'fix:'], ` ${c.fix}`]);
    }
  }
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  lines.push([]);
  lines.push([`${count('pass')} passed, ${count('info') ? `${count('info')} note(s), ` : ''}${count('warn')} warning(s), ${count('fail')} failed, ${count('skip')} skipped.`]);
  return styled(lines, opts.color);
}
