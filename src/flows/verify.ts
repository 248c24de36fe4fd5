/**
 * verify: the health check. Works from a setup's journal, or standalone with --gateway-url.
 */
import type { AdapterContext, AppRecord, IdpAdapter, ProviderId } from '../../providers/types.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import type { CheckResult } from '../checks/types.js';
import type { VerifyInput } from '../checks/run.js';
import type { ParsedOptions } from '../commands/types.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { requireSecureUrl } from '../core/net.js';
import { readJournal } from '../journal/journal.js';
import { loginTimeoutMs, parsePort, parseScopes, parseSeconds, parseUrl, region, str } from './answers.js';

export type { VerifyInput as VerifyInputs } from '../checks/run.js';

export interface VerifySummary {
  ok: boolean;
  gatewayUrl: string;
  checks: CheckResult[];
  counts: Record<'pass' | 'info' | 'warn' | 'fail' | 'skip', number>;
}

/** Runs the checks, prints the report, and revokes the test login's tokens afterwards. */
export async function verifySetup(
  ctx: Pick<Context, 'logger' | 'out' | 'outColor' | 'env'>,
  input: VerifyInput,
  deps: { opener?: (url: string) => Promise<void> | void; app?: AppRecord; adapter?: IdpAdapter; revokeAfter?: boolean } = {},
): Promise<VerifySummary> {
  const { runVerify, formatReport } = await import('../checks/run.js');
  ctx.logger.step(`Verifying ${input.gatewayUrl}`);
  const out = await runVerify(input, { logger: ctx.logger, opener: deps.opener });
  ctx.out.styled(formatReport(out.checks, { color: ctx.outColor }));
  const { sameIssuer } = await import('../oauth/issuer-pin.js');
  // The test login's tokens have done their job: revoke them so verify leaves nothing behind, but only at the
  // issuer they came from (pinned to the gateway): never at another issuer a setup or profile names.
  if (deps.revokeAfter && out.tokens && deps.app && deps.adapter && sameIssuer(deps.app.issuer, out.issuer)) {
    const r = await deps.adapter
      .revoke({ logger: ctx.logger, env: ctx.env, timeoutMs: input.timeoutMs ?? 15_000 }, deps.app, { refreshToken: out.tokens.refreshToken, accessToken: out.tokens.accessToken })
      .catch(() => undefined);
    if (r?.revoked.length) ctx.logger.debug(`revoked the test login's ${r.revoked.join(' and ')}`);
  }
  const counts = { pass: 0, info: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of out.checks) counts[c.status]++;
  return { ok: out.ok, gatewayUrl: input.gatewayUrl, checks: out.checks, counts };
}

const PROVIDER_IDS: ProviderId[] = ['oidc', 'okta', 'entra', 'cognito', 'auth0'];
function providerFlag(v: string | undefined): ProviderId | undefined {
  if (v === undefined) return undefined;
  if (!PROVIDER_IDS.includes(v as ProviderId)) throw new UsageError(`--provider must be one of ${PROVIDER_IDS.join(', ')} (got "${v}").`);
  return v as ProviderId;
}

/** The verify command: inputs from flags, else from the setup's journal. */
export async function runVerifyCommand(ctx: Context, opts: ParsedOptions): Promise<VerifySummary> {
  const timeoutMs = parseSeconds(str(opts, 'timeout'), '--timeout', 10) * 1000;
  const call = str(opts, 'call');
  let args: Record<string, unknown> | undefined;
  const argsText = str(opts, 'call-args');
  if (argsText) {
    try {
      args = JSON.parse(argsText) as Record<string, unknown>;
    } catch {
      throw new UsageError('--call-args must be a JSON object, e.g. --call-args \'{"path":"."}\'.');
    }
  }
  let gatewayUrl = str(opts, 'gateway-url');
  let authorizer: CustomJwtAuthorizer | undefined;
  let fromJournal: Awaited<ReturnType<typeof readJournal>> = null;
  if (gatewayUrl) parseUrl(gatewayUrl, '--gateway-url');
  const gatewayRef = str(opts, 'gateway');
  if (!gatewayUrl && !gatewayRef) {
    fromJournal = await readJournal(ctx.stateDir, ctx.flags.setup);
    if (!fromJournal || !fromJournal.config.gatewayUrl) {
      throw new UsageError(`Nothing to verify: no setup "${ctx.flags.setup}" in ${ctx.stateDir}.`, {
        fix: 'Pass --gateway-url URL (any OAuth-protected MCP endpoint), --gateway ID, or run `agentcore-auth init` first.',
      });
    }
    gatewayUrl = requireSecureUrl(fromJournal.config.gatewayUrl, `setup "${ctx.flags.setup}"'s gateway URL`);
  }
  const cfg = fromJournal?.config ?? {};
  const endpointUrl = str(opts, 'endpoint-url') ?? cfg.endpointUrl;
  const gatewayId = gatewayRef ?? cfg.gatewayId;
  // Reading the authorizer lets verify explain which claim rule a token fails. From a setup it runs alongside
  // the other reads below; with --gateway and no --gateway-url the URL comes from it, so it is awaited now.
  let gatewayRead: Promise<void> = Promise.resolve();
  if (gatewayId && (gatewayRef || fromJournal)) {
    gatewayRead = (async () => {
      const { GatewayPort, parseGatewayRef } = await import('../gateway/agentcore.js');
      const port = new GatewayPort({ region: str(opts, 'region') ? region(opts, ctx.env) : (cfg.region ?? region(opts, ctx.env)), endpointUrl, profile: str(opts, 'profile') ?? cfg.profile, env: ctx.env, timeoutMs }, ctx.logger);
      const g = await (gatewayRef ? port.resolve(parseGatewayRef(gatewayRef)).then((id) => port.require(id)) : port.get(String(gatewayId))).catch((err: Error) => {
        if (gatewayRef) throw err;
        ctx.logger.warn(`Could not read gateway ${String(gatewayId)} from the control plane (${err.message}); checking without its rules.`);
        return null;
      });
      if (g) {
        authorizer = g.authorizer;
        // The control plane's answer is a network response too: its URL gets the same transport rule as a flag.
        if (!gatewayUrl && g.gatewayUrl) gatewayUrl = requireSecureUrl(g.gatewayUrl, `gateway ${g.gatewayId}'s URL (from the control plane)`);
      }
    })();
    if (!gatewayUrl) await gatewayRead;
  }
  const input: VerifyInput = {
    gatewayUrl: gatewayUrl!,
    clientId: str(opts, 'client-id') ?? cfg.clientId,
    scopes: str(opts, 'scopes') ? parseScopes(str(opts, 'scopes')) : cfg.scopes,
    callbackHost: cfg.callbackHost ?? 'localhost',
    callbackPort: parsePort(str(opts, 'callback-port'), '--callback-port', cfg.callbackPort ?? 3334),
    // --dry-run: read-only probes only (no sign-in, no use of a cached token).
    noLogin: opts['no-login'] === true || ctx.flags.dryRun,
    ...(ctx.flags.dryRun ? { readOnly: true } : {}),
    loginTimeoutMs: loginTimeoutMs(opts),
    // A setup's gateway, or one named by --gateway, is an AgentCore gateway; a bare URL is judged by its shape.
    ...(fromJournal || gatewayRef ? { endpoint: 'agentcore' as const } : {}),
    callTool: call ? { name: call, args } : undefined,
    authorizer,
    timeoutMs,
    provider: providerFlag(str(opts, 'provider')) ?? (cfg.provider as ProviderId | undefined),
    // A setup's issuer is pinned: the gateway must name it, or verify requests no token.
    ...(fromJournal && cfg.issuer && !gatewayRef ? { expectedIssuer: cfg.issuer, expectedIssuerSource: `setup "${ctx.flags.setup}"` } : {}),
  };
  if (ctx.flags.dryRun) ctx.logger.info('Dry run: read-only probes only; no test login, and no cached token is used or refreshed.');
  if (!input.noLogin && !input.clientId) {
    throw new UsageError('A test login needs the OAuth client id.', { fix: 'Pass --client-id ID, or --no-login to check only the challenge and metadata.' });
  }
  // The client entries: the setup's (every configured client), or the ones named by --client/--server-name.
  const clientFlag = str(opts, 'client');
  const { clientPath, parseClientList } = await import('../clients/registry.js');
  const where = { home: ctx.home, cwd: ctx.cwd, platform: process.platform, env: ctx.env };
  if (clientFlag || str(opts, 'server-name')) {
    const serverName = str(opts, 'server-name') ?? cfg.serverName ?? 'gateway-tools';
    const ids = clientFlag ? parseClientList(clientFlag) : savedClients(cfg).map((c) => c.client);
    input.clientConfigs = (ids.length ? ids : ['kiro']).map((client) => ({ client, path: clientPath(client, where), serverName }));
  } else if (cfg.serverName && savedClients(cfg).length) {
    input.clientConfigs = savedClients(cfg).map((c) => ({ client: c.client, path: c.path, serverName: cfg.serverName! }));
  }
  input.clientConfig = input.clientConfigs?.[0];
  // The test login asks what the client asks: the setup's mcp-remote flags (no resource for Entra, an audience for Auth0).
  if (Array.isArray(cfg.mcpRemoteArgs)) {
    const { loginParamsFromArgs } = await import('../clients/mcp-remote.js');
    const login = loginParamsFromArgs(cfg.mcpRemoteArgs);
    input.disableResource = login.disableResource;
    input.resource = login.resource;
    input.authorizeParams = login.authorizeParams;
  }
  input.viaClient = opts['via-client'] === true;
  input.env = ctx.env;
  input.cwd = ctx.cwd;
  if (input.viaClient && !input.clientConfig) {
    throw new UsageError('--via-client needs a client entry to run.', { fix: 'Run it from a setup, or name the entry with --client ID and --server-name NAME.' });
  }

  let app: AppRecord | undefined;
  let adapter: IdpAdapter | undefined;
  const appRead = (async () => {
    if (fromJournal && cfg.kind === 'connect') {
      // A developer's connect setup: no app record, no admin rights; the test login's tokens are revoked with
      // the public client id at the issuer's RFC 7009 endpoint.
      const { userRevoker } = await import('./connect.js');
      ({ app, adapter } = (await userRevoker(cfg)) ?? {});
      return;
    }
    if (!(fromJournal && cfg.provider && cfg.issuer)) return;
    const { loadAdapter, savedProviderOptions } = await import('../../providers/index.js');
    const { Journal } = await import('../journal/journal.js');
    const { loadApp } = await import('../steps/register-app.js');
    adapter = await loadAdapter(cfg.provider, savedProviderOptions(cfg)).catch(() => undefined);
    app = await loadApp(await Journal.open(ctx.stateDir, ctx.flags.setup, { create: false, dryRun: true }));
    if (adapter && app) {
      // What the IdP really has registered: the redirect URI check compares it with the client's callback.
      const live = await adapter.describeApp({ logger: ctx.logger, env: ctx.env, timeoutMs }, app).catch(() => undefined);
      if (live && !live.unverified) input.registeredRedirectUris = live.redirectUris;
    }
  })();
  const expiredRead = cachedExpiredToken(input).then((t) => void (input.expiredToken = t)).catch(() => undefined);
  await Promise.all([gatewayRead, appRead, expiredRead]);
  input.authorizer = authorizer;
  return verifySetup(ctx, input, { app, adapter, revokeAfter: true });
}

/** An access token mcp-remote cached for this server that has expired: the one honest expired-token probe. */
async function cachedExpiredToken(input: VerifyInput): Promise<string | undefined> {
  if (!input.clientConfig) return undefined;
  const { readClientEntry } = await import('../clients/registry.js');
  const entry = (await readClientEntry(input.clientConfig.client, input.clientConfig.path, input.clientConfig.serverName)) as { args?: string[]; env?: Record<string, string> } | null;
  // `cmd /c npx.cmd -y mcp-remote@x ...` (Windows) reads like `npx -y mcp-remote@x ...`.
  const argv = (await import('../clients/entry-command.js')).entryMcpRemoteArgv(entry);
  if (!entry || !argv) return undefined;
  const mr = await import('../clients/mcp-remote.js');
  const { serverUrl, opts } = mr.mcpRemoteHashInputFromArgs(argv);
  if (!serverUrl) return undefined;
  const tokens = (await mr.readMcpRemoteTokens(serverUrl, opts, { ...input.env, ...(entry.env ?? {}) })) as { access_token?: string } | null;
  const { decodeJwtClaims } = await import('../oauth/tokens.js');
  const exp = tokens?.access_token ? Number(decodeJwtClaims(tokens.access_token)?.payload.exp) : NaN;
  return Number.isFinite(exp) && exp * 1000 < Date.now() ? tokens!.access_token : undefined;
}

/** A setup's client entries: `clients` (this version), else the single `client` + `clientConfigPath` (older journals). */
export function savedClients(cfg: { clients?: unknown; client?: string; clientConfigPath?: string }): Array<{ client: string; path: string }> {
  if (Array.isArray(cfg.clients)) {
    return cfg.clients.filter((c): c is { client: string; path: string } => !!c && typeof c.client === 'string' && typeof c.path === 'string');
  }
  return cfg.clientConfigPath ? [{ client: cfg.client ?? 'kiro', path: cfg.clientConfigPath }] : [];
}

/**
 * The redirect URIs registered for the app, or undefined when they cannot be known (the IdP offers no read of
 * its clients, or the read failed): then verify's redirect-uri check is skipped rather than told "none".
 */
export async function knownRedirectUris(adapter: IdpAdapter, ctx: AdapterContext, app: AppRecord): Promise<string[] | undefined> {
  const live = await adapter.describeApp(ctx, app).catch(() => null);
  return live && !live.unverified ? live.redirectUris : undefined;
}
