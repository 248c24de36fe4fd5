/**
 * connect: for a developer without IdP or AWS admin rights. From the team profile an admin's init wrote (or
 * the same values as flags), write the chosen MCP clients' entries, then verify with a test login.
 *
 * It changes nothing at the identity provider or the gateway: its journal (its own setup, "connect" unless
 * --setup says otherwise) holds client entries only, so `cleanup --setup connect` removes exactly those
 * entries (putting back whatever each replaced) and this machine's cached login for the gateway.
 */
import { dirname, resolve } from 'node:path';
import type { AppRecord, IdpAdapter, ProviderId } from '../../providers/types.js';
import type { ParsedOptions } from '../commands/types.js';
import type { Context } from '../core/context.js';
import { CancelledError, UsageError, DeclinedError } from '../core/errors.js';
import { clientNextStepLines, writeClientConfig, writeScopeFor, type ClientEntryInput } from '../clients/registry.js';
import { Journal, readJournal } from '../journal/journal.js';
import { clientEntrySteps, formatClientStep, redirectUriFor, type ClientChoice, type PlanStep } from '../plan/plan.js';
import { DEFAULT_CALLBACK_PORT, DEFAULT_SCOPES, TEAM_PROFILE_FILE, collectClients, loginTimeoutMs, parsePort, parseScopes, parseSeconds, parseServerName, parseUrl, str } from './answers.js';
import { checkMcpRemoteArgs, loadTeamProfile, type TeamProfile } from './team-profile.js';
import type { VerifySummary } from './verify.js';

export const DEFAULT_CONNECT_SETUP = 'connect';

/** What connect configures: a team profile's values, after flags. No secrets. */
export interface ConnectValues {
  gatewayUrl: string;
  clientId: string;
  scopes: string[];
  callbackPort: number;
  serverName: string;
  mcpRemoteArgs: string[];
  /** The IdP's issuer, once pinned to the gateway (see pinConnectIssuer). */
  issuer?: string;
  /** Where the issuer came from ("--issuer", "the team profile <file>"), for the pin's error. */
  issuerSource?: string;
  provider?: string;
  resource?: string;
  /** Who may use the gateway (the team profile's rules), shown and judged for the developer's own token. */
  access?: import('./team-profile.js').ProfileAccess;
  /** The profile's file or URL, when one was given. */
  source?: string;
}

export interface ConnectResult {
  ok: boolean;
  setup: string;
  dryRun: boolean;
  values: ConnectValues;
  plan: Array<Extract<PlanStep, { kind: 'client-entry' }>>;
  clients: Array<{ client: string; path: string; serverName: string; changed?: boolean; created?: boolean; backupPath?: string }>;
  verify?: VerifySummary;
}

export interface ConnectDeps {
  /** Opens the authorization URL during the test login (tests: a headless redirect-follower). */
  opener?: (url: string) => Promise<void> | void;
}

const PROVIDER_IDS: ProviderId[] = ['oidc', 'okta', 'entra', 'cognito', 'auth0'];

/**
 * Revocation for a developer's own tokens: the public client id at the issuer's RFC 7009 endpoint (found by
 * discovery). No app record or admin credential is needed. Undefined when the issuer is not known.
 */
export async function userRevoker(cfg: { issuer?: string; clientId?: string; provider?: string }): Promise<{ app: AppRecord; adapter: IdpAdapter } | undefined> {
  if (!cfg.issuer || !cfg.clientId) return undefined;
  const { createOidcAdapter } = await import('../../providers/oidc/adapter.js');
  let adapter: IdpAdapter;
  try {
    adapter = createOidcAdapter({ issuer: cfg.issuer });
  } catch {
    return undefined;
  }
  const provider = PROVIDER_IDS.includes(cfg.provider as ProviderId) ? (cfg.provider as ProviderId) : 'oidc';
  return { app: { provider, clientId: cfg.clientId, issuer: cfg.issuer, discoveryUrl: adapter.tokenProfile().discoveryUrl, extras: {} }, adapter };
}

/**
 * Which team profile: --team-profile; else --profile (its old name, which means the AWS profile everywhere else:
 * taken with a notice when it names a file or URL, refused otherwise); else ./agentcore-auth.team.json when the
 * repository holds one and no --gateway-url says otherwise.
 */
async function teamProfileRef(ctx: Pick<Context, 'cwd'> & Partial<Pick<Context, 'logger'>>, opts: ParsedOptions): Promise<string | undefined> {
  const team = str(opts, 'team-profile');
  const old = str(opts, 'profile');
  if (team !== undefined && old !== undefined) throw new UsageError('--team-profile and --profile name the same thing.', { fix: 'Pass only --team-profile.' });
  if (old !== undefined) {
    const { existsSync } = await import('node:fs');
    if (!/^https?:\/\//.test(old) && !existsSync(resolve(ctx.cwd, old))) {
      throw new UsageError(`--profile "${old}" is not a file or URL: connect's --profile is the team profile (agentcore-auth.team.json), not an AWS profile.`, {
        fix: 'Pass the team profile with --team-profile FILE|URL (connect needs no AWS profile).',
      });
    }
    ctx.logger?.info('Note: --profile is now --team-profile (--profile means the AWS profile in the other commands).');
    return old;
  }
  if (team !== undefined) return team;
  if (str(opts, 'gateway-url') === undefined) {
    const { existsSync } = await import('node:fs');
    const found = resolve(ctx.cwd, TEAM_PROFILE_FILE);
    if (existsSync(found)) {
      ctx.logger?.info(`Using the team profile ./${TEAM_PROFILE_FILE} of this folder.`);
      return found;
    }
  }
  return undefined;
}

/** The values from --profile (file or URL), overridden by flags; prompts (when interactive) for what is missing. */
export async function connectValues(ctx: Pick<Context, 'prompter' | 'cwd'> & Partial<Pick<Context, 'logger'>>, opts: ParsedOptions): Promise<ConnectValues> {
  const ref = await teamProfileRef(ctx, opts);
  let base: Partial<TeamProfile> = {};
  let source: string | undefined;
  if (ref) ({ profile: base, source } = await loadTeamProfile(ref, ctx.cwd));
  const gatewayFlag = str(opts, 'gateway-url') ?? base.gatewayUrl;
  const clientFlag = str(opts, 'client-id') ?? base.clientId;
  if (!ctx.prompter.interactive && (!gatewayFlag || !clientFlag)) {
    const missing = [!gatewayFlag && '--gateway-url', !clientFlag && '--client-id'].filter(Boolean).join(' and ');
    throw new UsageError(`Missing --team-profile (or ${missing}); there is no ./${TEAM_PROFILE_FILE} here, and connect cannot prompt because ${ctx.prompter.whyNot}.`, {
      fix: 'Run connect in the repository that holds agentcore-auth.team.json, or pass --team-profile FILE|URL (the file your admin shared), or --gateway-url URL --client-id ID.',
    });
  }
  const gatewayUrl = parseUrl(await ctx.prompter.ask({ flag: '--gateway-url', message: 'Gateway MCP URL (from your admin):', flagValue: gatewayFlag }), '--gateway-url');
  const clientId = await ctx.prompter.ask({ flag: '--client-id', message: 'OAuth client id (from your admin):', flagValue: clientFlag, validate: (v) => (v.trim() ? true : 'must not be empty') });
  const argsFlag = opts['mcp-remote-arg'];
  const mcpRemoteArgs = Array.isArray(argsFlag) ? checkMcpRemoteArgs(argsFlag, '--mcp-remote-arg') : typeof argsFlag === 'string' ? checkMcpRemoteArgs([argsFlag], '--mcp-remote-arg') : (base.mcpRemoteArgs ?? []);
  const issuer = str(opts, 'issuer') ?? base.issuer;
  if (issuer) parseUrl(issuer, '--issuer');
  const provider = str(opts, 'provider') ?? base.provider;
  if (provider !== undefined && !PROVIDER_IDS.includes(provider as ProviderId)) {
    throw new UsageError(`--provider must be one of ${PROVIDER_IDS.join(', ')} (got "${provider}").`);
  }
  return {
    gatewayUrl,
    clientId,
    scopes: str(opts, 'scopes') !== undefined ? parseScopes(str(opts, 'scopes')) : (base.scopes ?? DEFAULT_SCOPES),
    callbackPort: parsePort(str(opts, 'callback-port'), '--callback-port', base.callbackPort ?? DEFAULT_CALLBACK_PORT),
    serverName: parseServerName(str(opts, 'server-name') ?? base.serverName),
    mcpRemoteArgs,
    ...(issuer ? { issuer } : {}),
    ...(issuer ? { issuerSource: str(opts, 'issuer') ? '--issuer' : `the team profile ${source}` } : {}),
    ...(provider ? { provider } : {}),
    ...(base.resource ? { resource: base.resource } : {}),
    ...(base.access ? { access: base.access } : {}),
    ...(source ? { source } : {}),
  };
}

/**
 * The issuer connect records (verify and cleanup revoke the developer's tokens there) must be one the gateway
 * names: a profile that says otherwise is refused before anything is written. Without one, the gateway's own
 * issuer is recorded. When the gateway cannot be read, an issuer is not recorded on the profile's word alone:
 * verify and cleanup then take it from the gateway.
 */
async function pinConnectIssuer(ctx: Pick<Context, 'logger'>, values: ConnectValues, timeoutMs: number): Promise<void> {
  const { pinIssuer } = await import('../oauth/issuer-pin.js');
  const pin = await pinIssuer({ gatewayUrl: values.gatewayUrl, claimed: values.issuer, source: values.issuerSource ?? '--issuer', timeoutMs });
  if (pin.status === 'pinned') {
    values.issuer = pin.issuer;
    return;
  }
  if (values.issuer) {
    ctx.logger.warn(`Could not confirm the issuer ${values.issuer} with the gateway (${pin.why}); it is not recorded, so verify and cleanup will take the issuer from the gateway itself.`);
  }
  delete values.issuer;
  delete values.issuerSource;
}

function entryInput(v: ConnectValues, ctx: Pick<Context, 'home' | 'env'>, kiroNative: boolean, npx: string): ClientEntryInput {
  return {
    serverName: v.serverName,
    gatewayUrl: v.gatewayUrl,
    callbackPort: v.callbackPort,
    clientId: v.clientId,
    scopes: v.scopes,
    mcpRemoteArgs: v.mcpRemoteArgs,
    nodeBinDir: dirname(process.execPath),
    npx,
    home: ctx.home,
    ...(ctx.env.NODE_EXTRA_CA_CERTS ? { caCerts: ctx.env.NODE_EXTRA_CA_CERTS } : {}),
    kiroNative,
  };
}

export async function runConnect(ctx: Context, opts: ParsedOptions, deps: ConnectDeps = {}): Promise<ConnectResult> {
  const { logger } = ctx;
  const setup = typeof opts.setup === 'string' ? ctx.flags.setup : DEFAULT_CONNECT_SETUP;
  const timeoutMs = parseSeconds(str(opts, 'timeout'), '--timeout', 10) * 1000;
  const values = await connectValues(ctx, opts);
  await pinConnectIssuer(ctx, values, timeoutMs);
  const clients: ClientChoice[] = await collectClients(ctx, opts, undefined);
  const kiroNative = opts['kiro-native'] === true;
  if (kiroNative && !clients.some((c) => c.client === 'kiro' || c.client === 'kiro-workspace')) {
    throw new UsageError('--kiro-native changes the Kiro entry, but no Kiro client is chosen.', { fix: 'Add --client kiro (or kiro-workspace), or drop --kiro-native.' });
  }
  // connect keeps its own journal: never one that init made (which holds an IdP app and a gateway).
  const existing = await readJournal(ctx.stateDir, setup);
  if (existing && existing.config.kind !== 'connect' && existing.entries.some((e) => e.kind !== 'client-entry')) {
    throw new UsageError(`Setup "${setup}" was made by init (it holds an identity provider app or a gateway); connect keeps a setup of its own.`, {
      fix: `Pick another name: --setup ${setup}-connect (default "${DEFAULT_CONNECT_SETUP}").`,
    });
  }

  // Everything that can refuse does so before anything is written: a file that does not parse, a read-only
  // file, an npx that cannot start.
  const npx = await (await import('../clients/npx.js')).resolveNpx(ctx.env);
  const input = entryInput(values, ctx, kiroNative, npx);
  const followSymlinks = opts['follow-symlinks'] === true;
  for (const c of clients) await writeClientConfig(c.client, c.path, input, { dryRun: true, scope: writeScopeFor(c.client, ctx, followSymlinks) });

  const redirectUri = redirectUriFor('localhost', values.callbackPort);
  const { existsSync } = await import('node:fs');
  const steps = clientEntrySteps(clients.map((c) => ({ ...c, exists: existsSync(c.path) })), { serverName: values.serverName, callbackPort: values.callbackPort, kiroNative }, redirectUri);
  const verifyWanted = opts['no-verify'] !== true;
  const loginMs = loginTimeoutMs(opts);
  const noLogin = opts['no-login'] === true;
  const tilde = (p: string) => (p.startsWith(`${ctx.home}/`) ? `~${p.slice(ctx.home.length)}` : p);
  logger.info(`Plan for setup "${setup}" (${values.source ? `team profile ${values.source}` : 'values from flags'}):`);
  logger.info(`  gateway ${values.gatewayUrl}, client ${values.clientId}, scopes ${values.scopes.join(' ')}${values.mcpRemoteArgs.length ? `, mcp-remote ${values.mcpRemoteArgs.join(' ')}` : ''}`);
  const { accessAuthorizer } = await import('./access.js');
  const rules = accessAuthorizer(values.access);
  if (rules) {
    const { accessWords } = await import('../authorizer/access.js');
    logger.info('  Who may use this gateway (you must satisfy every rule):');
    for (const w of accessWords({ discoveryUrl: '', ...rules })) logger.info(`    - ${w}`);
  }
  steps.forEach((s, i) => {
    for (const l of formatClientStep(s, `${i + 1}.`, tilde)) logger.info(l);
  });
  if (verifyWanted) {
    logger.info(`  ${steps.length + 1}.   Verify: 401 challenge, metadata, each client's entry${noLogin ? '' : `, test login on port ${values.callbackPort}, tools/list`}`);
  }
  logger.info('  Nothing at the identity provider or the gateway is changed.');
  const result: ConnectResult = {
    ok: false,
    setup,
    dryRun: ctx.flags.dryRun,
    values,
    plan: steps,
    clients: steps.map((s) => ({ client: s.client, path: s.path, serverName: s.serverName })),
  };
  if (ctx.flags.dryRun) {
    logger.info('Dry run: nothing was changed.');
    result.ok = true;
    return result;
  }
  if (!(await ctx.prompter.confirm({ message: 'Write these client entries?', flag: '--yes', yes: ctx.flags.yes }))) throw new DeclinedError('Nothing was changed: you declined.');
  const warming = kiroNative && clients.every((c) => c.client === 'kiro' || c.client === 'kiro-workspace') ? undefined : (await import('../clients/warm.js')).warmBridge(npx, ctx.env);

  const journal = await Journal.open(ctx.stateDir, setup, { create: true });
  const runStart = journal.doc.entries.at(-1)?.seq ?? 0;
  try {
    const { buildMcpRemoteArgs } = await import('../clients/mcp-remote.js');
    await journal.setConfig({
      kind: 'connect',
      gatewayUrl: values.gatewayUrl,
      clientId: values.clientId,
      ...(values.issuer ? { issuer: values.issuer } : {}),
      ...(values.provider ? { provider: values.provider } : {}),
      ...(values.resource ? { resource: values.resource } : {}),
      ...(values.source ? { teamProfileSource: values.source } : {}),
      scopes: values.scopes,
      callbackPort: values.callbackPort,
      callbackHost: 'localhost',
      serverName: values.serverName,
      clients,
      client: clients[0]?.client,
      clientConfigPath: clients[0]?.path,
      kiroNative,
      mcpRemoteArgs: buildMcpRemoteArgs({ gatewayUrl: values.gatewayUrl, callbackPort: values.callbackPort, host: 'localhost', clientId: values.clientId, scopes: values.scopes, extraArgs: values.mcpRemoteArgs }),
    });
    await journal.setStatus('in-progress');
    const { writeClientEntry } = await import('../steps/write-client.js');
    for (const [i, s] of steps.entries()) {
      const r = await writeClientEntry({ logger, dryRun: false, where: { cwd: ctx.cwd, home: ctx.home }, followSymlinks }, journal, s, input);
      result.clients[i] = { ...result.clients[i]!, changed: r.changed, created: r.created, ...(r.backupPath ? { backupPath: r.backupPath } : {}) };
    }
    await journal.setStatus('ready');
  } catch (err) {
    // Put back what this run changed, so a failed connect leaves every file as it was. Ctrl-C keeps it (the user
    // asked to stop, not to undo): the journal has it for the next connect or cleanup.
    const mine = journal.doc.entries.filter((e) => e.seq > runStart && (e.state === 'done' || e.state === 'intent'));
    if (mine.length && !(err instanceof CancelledError || ctx.signal.aborted)) {
      logger.warn('Putting back the client entries this run wrote');
      const { undoEntries } = await import('./cleanup.js');
      await undoEntries({ logger, env: ctx.env, signal: new AbortController().signal }, journal, mine, { deleteGateway: false, keepApp: true, clearClientCache: false, restore: 'beforeRun' }).catch(() => undefined);
    }
    await journal.setStatus('failed').catch(() => undefined);
    throw err;
  } finally {
    await journal.release();
  }

  result.ok = true;
  if (verifyWanted) {
    const { verifySetup } = await import('./verify.js');
    const revoker = await userRevoker(values);
    const configs = steps.map((s) => ({ client: s.client, path: s.path, serverName: s.serverName }));
    result.verify = await verifySetup(
      ctx,
      {
        gatewayUrl: values.gatewayUrl,
        clientId: values.clientId,
        scopes: values.scopes,
        ...(values.issuer ? { expectedIssuer: values.issuer, expectedIssuerSource: values.issuerSource ?? '--issuer' } : {}),
        ...(values.resource ? { resource: values.resource } : {}),
        ...(values.access ? { accessRules: (await import('./access.js')).accessAuthorizer(values.access) } : {}),
        disableResource: values.mcpRemoteArgs.includes('--disable-resource-parameter'),
        callbackHost: 'localhost',
        callbackPort: values.callbackPort,
        noLogin,
        loginTimeoutMs: loginMs,
        endpoint: 'agentcore',
        timeoutMs,
        ...(values.provider ? { provider: values.provider as ProviderId } : {}),
        clientConfig: configs[0],
        clientConfigs: configs,
        env: ctx.env,
        cwd: ctx.cwd,
      },
      { opener: deps.opener, ...(revoker ?? {}), revokeAfter: true },
    );
    result.ok = result.verify.ok;
  }
  await warming?.settle(ctx.logger);
  return result;
}

export function printConnectSummary(ctx: Pick<Context, 'out'>, r: ConnectResult): void {
  if (r.dryRun) return;
  const logger = ctx.out;
  logger.info('');
  if (r.ok) logger.success(`Connected: ${r.clients.length} client(s) point at ${r.values.gatewayUrl}.`);
  else logger.error('The client entries are written, but verify found problems (see above).');
  for (const line of clientNextStepLines(r.clients)) logger.info(`  ${line}`);
  const setupFlag = ` --setup ${r.setup}`;
  logger.info(`  Check again any time: agentcore-auth verify${setupFlag}`);
  logger.info(`  Remove these entries: agentcore-auth cleanup${setupFlag}`);
}
