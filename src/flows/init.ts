/**
 * init: answers -> plan -> confirm -> steps (journaled) -> verify.
 */
import { dirname, join } from 'node:path';
import { loadAdapter } from '../../providers/index.js';
import type { AdapterContext, AppRecord, ClientRequirements, IdpAdapter, ProviderOptions } from '../../providers/types.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import type { ParsedOptions } from '../commands/types.js';
import type { Context } from '../core/context.js';
import { CancelledError, CliError, DeclinedError } from '../core/errors.js';
import { GatewayPort, authorizerTypeError, type GatewayInfo } from '../gateway/agentcore.js';
import { Journal } from '../journal/journal.js';
import { CLIENT_PLACEHOLDER, buildInitPlan, formatPlan, type ExistingState, type InitAnswers, type InitPlan, type PlanStep } from '../plan/plan.js';
import { loadApp } from '../steps/register-app.js';
import { clientNextStepLines } from '../clients/registry.js';
import { collectInitAnswers, loginTimeoutMs, parseSeconds, str } from './answers.js';
import { checkGatewayDiscovery, updateOrAnother, usableCallbackPort } from './init-preflight.js';
import type { VerifySummary } from './verify.js';

export interface InitResult {
  ok: boolean;
  setup: string;
  plan: InitPlan;
  dryRun: boolean;
  app?: { clientId: string; issuer: string; provider: string };
  gateway?: { gatewayId: string; gatewayUrl: string; status: string };
  /** The first client's entry (kept for scripts that read one client). */
  client?: { path: string; serverName: string };
  /** Every client entry written, in order. */
  clients?: Array<{ client: string; path: string; serverName: string }>;
  /** The team profile for `agentcore-auth connect`, and the one line to share (shareable: inside the project folder). */
  teamProfile?: { path: string; connectCommand: string; shareable: boolean };
  /** The same setup as one non-interactive command, for the admin to keep; and what should not be committed. */
  handoff?: { initCommand: string; warnings: string[] };
  verify?: VerifySummary;
}

export interface InitDeps {
  /** Opens the authorization URL during verify's test login (demo: a headless redirect-follower). */
  opener?: (url: string) => Promise<void> | void;
  timeoutMs?: number;
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError('Cancelled. Everything done so far is in the journal: run init again to resume, or cleanup to undo.');
}

export async function runInit(ctx: Context, opts: ParsedOptions, deps: InitDeps = {}): Promise<InitResult> {
  const { logger } = ctx;
  const timeoutMs = deps.timeoutMs ?? 15_000;
  const waitTimeoutMs = parseSeconds(str(opts, 'wait-timeout'), '--wait-timeout', 300) * 1000;
  const loginMs = loginTimeoutMs(opts); // a bad value is refused before anything is made

  const gatewayFor = (a: Pick<InitAnswers, 'region' | 'endpointUrl' | 'profile'>) =>
    new GatewayPort({ region: a.region, endpointUrl: a.endpointUrl, profile: a.profile, env: ctx.env, timeoutMs }, logger);

  if (ctx.prompter.interactive && typeof opts.setup !== 'string') await updateOrAnother(ctx);
  const { providerOptionsFrom } = await import('../../providers/index.js');
  const { region } = await import('./answers.js');
  const earlyGateways = () => gatewayFor({ region: region(opts, ctx.env), endpointUrl: str(opts, 'endpoint-url'), profile: str(opts, 'profile') });
  /** Interactive: the IdP's admin credentials and the AWS credentials are checked as soon as the IdP is known. */
  let early: { adapter: IdpAdapter; provider: string } | undefined;
  // One ListGateways for both the credential check and the gateway question.
  let listed: ReturnType<GatewayPort['list']> | undefined;
  const listGateways = () => (listed ??= earlyGateways().list());
  const answers = await collectInitAnswers(ctx, opts, listGateways, ctx.prompter.interactive
    ? async (provider, issuer) => {
        logger.step('Checking the identity provider\'s admin credentials and the AWS credentials before the other questions');
        const a = await loadAdapter(provider, providerOptionsFrom(provider, { ...opts, issuer: issuer || undefined }), { logger, env: ctx.env, prompter: ctx.prompter });
        await a.preflight({ logger, env: ctx.env, timeoutMs, prompter: ctx.prompter });
        await listGateways();
        early = { adapter: a, provider };
      }
    : undefined);
  const providerOptions = providerOptionsFrom(answers.provider, { ...opts, issuer: answers.issuer || undefined });
  const adapter = early?.provider === answers.provider ? early.adapter : await loadAdapter(answers.provider, providerOptions, { logger, env: ctx.env, prompter: ctx.prompter });
  answers.gatewayFirst = adapter.requiresResource === true && answers.gateway.mode === 'create';
  const issuerGiven = Boolean(answers.issuer);
  answers.issuer ||= adapter.tokenProfile().issuer;
  const gateway = gatewayFor(answers);
  const actx: AdapterContext = { logger, env: ctx.env, timeoutMs, prompter: ctx.prompter };

  /** An existing gateway's authorizer now: the plan shows what it replaces. */
  let liveAuthorizer: CustomJwtAuthorizer | undefined;
  // Preflight: everything that can refuse does so before anything is touched.
  logger.step('Checking the client config, the identity provider and the gateway');
  adapter.checkLifetimes?.(answers.lifetimes);
  // Who may use the gateway: refused here when the IdP cannot enforce it.
  const { accessSupportOf, requireAccessApply, scopesWithAccess, groupsClaimOption } = await import('./access.js');
  const accessSupport = accessSupportOf(adapter, answers.access, undefined, groupsClaimOption(providerOptions));
  requireAccessApply(adapter, accessSupport);
  answers.callbackPort = await usableCallbackPort(ctx, answers.callbackPort, answers.callbackHost);
  // Every client config write is rehearsed now (a file that does not parse, is read-only, or an npx that cannot
  // start), before anything remote is created.
  const { writeClientConfig, writeScopeFor } = await import('../clients/registry.js');
  const { resolveNpx } = await import('../clients/npx.js');
  const npx = answers.clients.length ? await resolveNpx(ctx.env) : undefined;
  for (const c of answers.clients) {
    await writeClientConfig(
      c.client,
      c.path,
      { serverName: answers.serverName, gatewayUrl: 'https://preflight.invalid/mcp', callbackPort: answers.callbackPort, clientId: 'preflight', scopes: answers.scopes, nodeBinDir: dirname(process.execPath), ...(npx ? { npx } : {}), home: ctx.home, kiroNative: answers.kiroNative === true },
      { dryRun: true, scope: writeScopeFor(c.client, ctx, answers.followSymlinks === true) },
    );
  }
  if (answers.teamProfile) {
    const { checkTeamProfileTarget } = await import('./team-profile.js');
    await checkTeamProfileTarget(answers.teamProfile);
  }
  // The journal records every change before and after it is made: without room for it, nothing is started.
  const { lowDiskSpace, MIN_FREE_BYTES } = await import('../core/fs.js');
  const low = await lowDiskSpace([
    { path: ctx.stateDir, what: 'the state folder (journal, secrets, backups)' },
    ...answers.clients.map((c) => ({ path: dirname(c.path), what: `the ${c.client} config` })),
    ...(answers.teamProfile ? [{ path: dirname(answers.teamProfile), what: 'the team profile' }] : []),
  ]);
  if (low) {
    throw new CliError(`Only ${Math.floor(low.free / 1024)} KiB are free on the disk that holds ${low.path} (${low.what}); init needs ${MIN_FREE_BYTES / 1024 / 1024} MiB there to record what it makes. Nothing was changed.`, {
      code: 'disk_full',
      fix: `Free some space on that disk (df -h ${low.path}), then run init again.`,
    });
  }
  if (!early) await adapter.preflight(actx);
  if (answers.access) await adapter.checkAccess?.(actx, answers.access);
  // Preflight may settle the issuer (e.g. the Cognito pool it found or will create).
  if (!issuerGiven) answers.issuer = adapter.tokenProfile().issuer;
  const discovered = await checkGatewayDiscovery(ctx, adapter, timeoutMs);
  if (discovered && answers.access && !adapter.applyAccess) {
    const { unadvertised } = await import('./access.js');
    for (const w of unadvertised(discovered, answers.access, accessSupport)) logger.warn(w);
  }
  // An IdP that needs nothing changed for the policy (generic OIDC): the app may request the policy's scopes.
  if (!adapter.applyAccess) answers.scopes = scopesWithAccess(answers.scopes, answers.access, accessSupport);
  if (answers.gateway.mode === 'existing') {
    answers.gateway.id = await gateway.resolve(answers.gateway.id);
    const { validGatewayName, validRoleArn } = await import('./answers.js');
    const g = await gateway.require(answers.gateway.id);
    liveAuthorizer = g.authorizer ?? undefined;
    if (g.authorizerType !== 'CUSTOM_JWT') {
      // AWS cannot change a gateway's authorizer type: say so before anything is touched, and offer a new gateway.
      const err = authorizerTypeError(g.gatewayId, g.authorizerType);
      if (!ctx.prompter.interactive) throw err;
      logger.warn(err.message);
      if (!(await ctx.prompter.confirm({ message: 'Create a new gateway with a JWT authorizer instead?', flag: '--create-gateway', yes: false, default: true }))) {
        throw new DeclinedError('Nothing was changed: you declined.');
      }
      const name = await ctx.prompter.ask({ flag: '--create-gateway', message: 'New gateway name:', default: `${g.name}-jwt`.slice(0, 100), validate: validGatewayName });
      const roleArn = await ctx.prompter.ask({ flag: '--role-arn', message: 'IAM role ARN for the new gateway:', default: g.roleArn, validate: validRoleArn });
      answers.gateway = { mode: 'create', name, roleArn };
      answers.gatewayFirst = adapter.requiresResource === true;
    } else if (g.status !== 'READY') {
      throw new CliError(`Gateway ${g.gatewayId} is ${g.status}, not READY.`, { code: 'gateway_state', fix: 'Wait until it is READY (agentcore-auth status, or the AWS console), then run again.' });
    }
  }

  // The plan is built from what the journal says exists, checked against the live resources (an app or a
  // gateway deleted by someone else is made again, not reused). Nothing is locked or written until confirmed.
  const reconcile = async (j: Journal, write: boolean): Promise<ExistingState> => {
    const state: ExistingState = {};
    const app = await loadApp(j);
    if (app && app.issuer === adapter.tokenProfile().issuer) {
      let live: Awaited<ReturnType<IdpAdapter['describeApp']>> | 'unmanageable';
      try {
        live = await adapter.describeApp(actx, app);
      } catch (err) {
        if (!(err instanceof CliError && err.code === 'unmanageable')) throw err;
        // It may be alive or deleted; either way this tool can neither check nor change it: a new client is
        // registered, and the old one stays in the journal as a manual step for cleanup.
        logger.warn(`${err.message} A new client will be registered; ${err.fix ?? ''}`);
        live = 'unmanageable';
      }
      if (live === 'unmanageable') {
        // state.clientId stays unset: the plan registers a new client
      } else if (live) {
        state.clientId = app.clientId;
        const recorded = j.find('idp-app');
        const known = recorded?.result?.redirectUri ?? recorded?.intent.redirectUri;
        state.appRedirectUris = live.redirectUris.length ? live.redirectUris : known ? [String(known)] : [];
        state.appUpdatable = typeof adapter.updateRedirectUris === 'function';
      } else {
        logger.warn(`OIDC client ${app.clientId} no longer exists at the IdP: a new one will be registered.`);
        if (write) await j.undone(j.find('idp-app')!, 'gone at the IdP');
      }
    }
    const created = j.live('gateway-create').filter((e) => e.state === 'done').at(-1);
    if (created?.result?.gatewayId) {
      const id = String(created.result.gatewayId);
      const live = await gateway.get(id);
      const { gatewayRecordOf, recordMismatch } = await import('../gateway/identity.js');
      const why = live ? recordMismatch(live, gatewayRecordOf(created)) : undefined;
      if (why) {
        // An edited journal must not make a re-run change someone else's gateway.
        throw new CliError(`The journal of setup "${answers.setup}" says this setup created gateway ${id}, but ${why}. Nothing was changed.`, {
          code: 'journal_mismatch',
          fix: `Correct or move ${j.path} (it may have been edited or copied), then run again.`,
        });
      }
      if (live) state.createdGatewayId = id;
      else {
        logger.warn(`Gateway ${id}, created by an earlier run, no longer exists: a new one will be created.`);
        if (write) await j.undone(created, 'gone');
      }
    }
    return state;
  };
  const { authorizerWithAccess, accessLines } = await import('./access.js');
  const authorizerPreview = (clientId: string) =>
    authorizerWithAccess(adapter.recommendedAuthorizer({ provider: adapter.id, clientId, issuer: adapter.tokenProfile().issuer, discoveryUrl: adapter.tokenProfile().discoveryUrl, extras: {} }, {}), answers.access, accessSupport);
  const accessView = accessLines(answers.access, accessSupport);
  const { existsSync } = await import('node:fs');
  for (const c of answers.clients) c.exists = existsSync(c.path);
  const planFrom = async (j: Journal, write = false): Promise<InitPlan> =>
    buildInitPlan(answers, { ...(await reconcile(j, write)), ...(liveAuthorizer && answers.gateway.mode === 'existing' ? { gatewayAuthorizer: liveAuthorizer } : {}) }, authorizerPreview, accessView);
  const preview = await planFrom(await Journal.open(ctx.stateDir, answers.setup, { create: true, dryRun: true }));
  const placeholderApp = { provider: adapter.id, clientId: CLIENT_PLACEHOLDER, issuer: answers.issuer, discoveryUrl: adapter.tokenProfile().discoveryUrl, extras: {} };
  let clientScopes: string[] | undefined;
  try {
    clientScopes = adapter.clientRequirements(placeholderApp, { scopes: answers.scopes }).scopes;
  } catch {
    clientScopes = undefined; // the adapter needs the real app to say; the plan shows the asked scopes
  }
  for (const line of formatPlan(preview, { home: ctx.home, clientScopes })) logger.info(line);
  if (ctx.flags.dryRun) {
    logger.info('Dry run: nothing was changed.');
    return { ok: true, setup: answers.setup, plan: preview, dryRun: true };
  }
  if (!(await ctx.prompter.confirm({ message: 'Apply this plan?', flag: '--yes', yes: ctx.flags.yes }))) throw new DeclinedError('Nothing was changed: you declined.');
  // The clients' first start must not wait for npx to download mcp-remote: fetch it while the plan runs.
  const warming = npx && answers.clients.some((c) => c.client) && !answers.kiroNative ? (await import('../clients/warm.js')).warmBridge(npx, ctx.env) : undefined;

  const journal = await Journal.open(ctx.stateDir, answers.setup, { create: true });
  const runStart = journal.doc.entries.at(-1)?.seq ?? 0;
  try {
    const plan = await planFrom(journal, true);
    const result: InitResult = { ok: false, setup: answers.setup, plan, dryRun: false };
    let applied: Applied;
    try {
      applied = await applyPlan(ctx, journal, plan, answers, adapter, gateway, result, waitTimeoutMs, providerOptions);
    } catch (err) {
      await rollbackOrKeep(ctx, journal, runStart, err, opts['keep-on-failure'] === true);
      throw err;
    }
    if (answers.teamProfile) await writeProfile(ctx, journal, answers, applied, result);
    const { equivalentInitCommand, machineSpecificInRepo } = await import('./handoff.js');
    const { clientTarget } = await import('../clients/registry.js');
    result.handoff = {
      initCommand: equivalentInitCommand(answers, providerOptions, ctx.cwd, join(ctx.stateDir, 'teams', answers.setup, 'agentcore-auth.team.json')),
      warnings: await machineSpecificInRepo(answers.clients.filter((c) => clientTarget(c.client).scope === 'project').map((c) => c.path)),
    };

    // 4. Verify
    result.ok = true;
    if (plan.steps.some((s) => s.kind === 'verify')) {
      const { app, gateway: g, authorizer, requirements: req } = applied;
      const { verifySetup, knownRedirectUris } = await import('./verify.js');
      const { loginParamsFromArgs } = await import('../clients/mcp-remote.js');
      const login = loginParamsFromArgs(req.mcpRemoteArgs);
      result.verify = await verifySetup(ctx, {
        gatewayUrl: g.gatewayUrl,
        clientId: app.clientId,
        scopes: req.scopes,
        resource: req.resource ?? login.resource,
        disableResource: login.disableResource,
        authorizeParams: login.authorizeParams,
        callbackHost: answers.callbackHost,
        callbackPort: answers.callbackPort,
        noLogin: opts['no-login'] === true,
        loginTimeoutMs: loginMs,
        endpoint: 'agentcore',
        authorizer,
        timeoutMs,
        provider: answers.provider,
        expectedIssuer: app.issuer,
        expectedIssuerSource: `setup "${answers.setup}"`,
        clientConfig: answers.clients[0] ? { client: answers.clients[0].client, path: answers.clients[0].path, serverName: answers.serverName } : undefined,
        clientConfigs: answers.clients.map((c) => ({ client: c.client, path: c.path, serverName: answers.serverName })),
        registeredRedirectUris: await knownRedirectUris(adapter, { logger, env: ctx.env, timeoutMs }, app),
        env: ctx.env,
        cwd: ctx.cwd,
      }, { opener: deps.opener, app, adapter, revokeAfter: true });
      result.ok = result.verify.ok;
    }
    await warming?.settle(logger);
    return result;
  } finally {
    await journal.release();
  }
}

/** The team profile for `agentcore-auth connect`: written after the setup is applied, named in the journal. */
async function writeProfile(ctx: Context, journal: Journal, answers: InitAnswers, applied: Applied, result: InitResult): Promise<void> {
  const { writeTeamProfile, connectCommand, profileIsShareable, TEAM_PROFILE_VERSION } = await import('./team-profile.js');
  const { profileAccess } = await import('./access.js');
  const path = answers.teamProfile!;
  const r = await writeTeamProfile(path, {
    version: TEAM_PROFILE_VERSION,
    gatewayUrl: applied.gateway.gatewayUrl,
    clientId: applied.app.clientId,
    issuer: applied.app.issuer,
    provider: applied.app.provider,
    scopes: applied.requirements.scopes,
    callbackPort: answers.callbackPort,
    mcpRemoteArgs: applied.requirements.mcpRemoteArgs,
    serverName: answers.serverName,
    ...(applied.requirements.resource ? { resource: applied.requirements.resource } : {}),
    ...(answers.access ? { access: profileAccess(applied.authorizer) } : {}),
  }).catch((err: Error) => ({ written: false, reason: err.message }));
  if (!r.written) {
    ctx.logger.warn(`Team profile not written: ${r.reason}. Pass --team-profile PATH to write it elsewhere.`);
    return;
  }
  await journal.setConfig({ teamProfile: path });
  const shareable = profileIsShareable(path, ctx.cwd);
  // A profile outside the repository is shared by committing a copy at its root, where connect finds it by itself.
  const { join: joinPath } = await import('node:path');
  const shared = shareable ? path : joinPath(ctx.cwd, 'agentcore-auth.team.json');
  result.teamProfile = { path, connectCommand: connectCommand(shared, ctx.cwd, answers.clients.map((c) => c.client)), shareable };
  ctx.logger.success(`Wrote the team profile ${path} (no secrets)`);
}

interface Applied {
  app: AppRecord;
  gateway: GatewayInfo;
  authorizer: CustomJwtAuthorizer;
  requirements: ClientRequirements;
}

/** Steps 1-3: IdP app, gateway authorizer, client config; each journaled before and after. */
async function applyPlan(
  ctx: Context,
  journal: Journal,
  plan: InitPlan,
  answers: InitAnswers,
  adapter: IdpAdapter,
  gateway: GatewayPort,
  result: InitResult,
  waitTimeoutMs: number,
  providerOptions: ProviderOptions,
): Promise<Applied> {
  const { logger } = ctx;
  const actx: AdapterContext = { logger, env: ctx.env, timeoutMs: 15_000, prompter: ctx.prompter };
  const step = <K extends PlanStep['kind']>(k: K) => plan.steps.find((s) => s.kind === k) as Extract<PlanStep, { kind: K }>;
  await journal.setConfig({
    provider: answers.provider,
    providerOptions,
    issuer: answers.issuer,
    region: answers.region,
    endpointUrl: answers.endpointUrl,
    profile: answers.profile,
    scopes: answers.scopes,
    callbackPort: answers.callbackPort,
    callbackHost: answers.callbackHost,
    serverName: answers.serverName,
    clients: answers.clients.map(({ client, path }) => ({ client, path })),
    // The first client, as older journals (and older agentcore-auth) read it.
    client: answers.clients[0]?.client,
    clientConfigPath: answers.clients[0]?.path,
    kiroNative: answers.kiroNative === true,
  });
  await journal.setStatus('in-progress');

  const { registerApp } = await import('../steps/register-app.js');
  const { configureGateway } = await import('../steps/configure-gateway.js');
  const gatewayStep = step('gateway');

  // Some IdPs name the app's API after the gateway's resource URL (Auth0). A gateway that does not exist yet is
  // then created first with a rule that admits no token, and gets its real rule once the app exists.
  let g: GatewayInfo | undefined;
  let resource: string | undefined;
  if (adapter.requiresResource) {
    if (gatewayStep.action === 'update') resource = (await gateway.require(gatewayStep.gatewayId!)).gatewayUrl;
    else {
      logger.step('Creating the gateway first (it admits no token until the app exists), so the app can be named after its URL');
      const denyAll: CustomJwtAuthorizer = { discoveryUrl: adapter.tokenProfile().discoveryUrl, allowedClients: ['agentcore-auth-provisioning-admits-no-token'] };
      g = await configureGateway({ logger, gateway, signal: ctx.signal }, journal, gatewayStep, denyAll, { waitTimeoutMs });
      resource = g.gatewayUrl;
      await journal.setConfig({ gatewayId: g.gatewayId, gatewayUrl: g.gatewayUrl });
    }
  }

  // 1. IdP app
  const app = await registerApp(actx, journal, adapter, step('idp-app'), resource);
  await journal.setConfig({ clientId: app.clientId, discoveryUrl: app.discoveryUrl, issuer: app.issuer });
  result.app = { clientId: app.clientId, issuer: app.issuer, provider: app.provider };
  checkAborted(ctx.signal);

  // 1b. The access policy's claims, at the IdP
  const { accessSupportOf, authorizerWithAccess, scopesWithAccess, groupsClaimOption } = await import('./access.js');
  const support = accessSupportOf(adapter, answers.access, app, groupsClaimOption(providerOptions));
  if (answers.access && plan.steps.some((s) => s.kind === 'idp-access')) {
    const { applyAccess } = await import('../steps/apply-access.js');
    await applyAccess(actx, journal, adapter, app, answers.access);
    checkAborted(ctx.signal);
  }
  if (answers.access) await journal.setConfig({ access: answers.access });

  // 2. Gateway authorizer
  const authorizer = authorizerWithAccess(adapter.recommendedAuthorizer(app, { resource }), answers.access, support);
  const finalStep = g ? { ...gatewayStep, action: 'update' as const, gatewayId: g.gatewayId } : gatewayStep;
  g = await configureGateway({ logger, gateway, signal: ctx.signal }, journal, finalStep, authorizer, { waitTimeoutMs });
  await journal.setConfig({ gatewayId: g.gatewayId, gatewayUrl: g.gatewayUrl });
  result.gateway = { gatewayId: g.gatewayId, gatewayUrl: g.gatewayUrl, status: g.status };
  checkAborted(ctx.signal);

  // 3. Client configs, one entry per client
  const baseReq = adapter.clientRequirements(app, { scopes: answers.scopes, resource: g.gatewayUrl });
  const req = { ...baseReq, scopes: scopesWithAccess(baseReq.scopes, answers.access, support) };
  const { writeClientEntry } = await import('../steps/write-client.js');
  const { buildMcpRemoteArgs } = await import('../clients/mcp-remote.js');
  const entryInput = {
    serverName: answers.serverName,
    gatewayUrl: g.gatewayUrl,
    callbackPort: answers.callbackPort,
    clientId: app.clientId,
    scopes: req.scopes,
    mcpRemoteArgs: req.mcpRemoteArgs,
    nodeBinDir: dirname(process.execPath),
    npx: await (await import('../clients/npx.js')).resolveNpx(ctx.env),
    home: ctx.home,
    ...(ctx.env.NODE_EXTRA_CA_CERTS ? { caCerts: ctx.env.NODE_EXTRA_CA_CERTS } : {}),
    kiroNative: answers.kiroNative === true,
  };
  const clientSteps = plan.steps.filter((s): s is Extract<PlanStep, { kind: 'client-entry' }> => s.kind === 'client-entry');
  if (clientSteps.some((s) => s.transport === 'kiro-native') && req.mcpRemoteArgs.length) {
    logger.warn(`Kiro's own OAuth cannot send what ${adapter.displayName} needs (${req.mcpRemoteArgs.join(' ')}): its sign-in may fail. Drop --kiro-native to use the mcp-remote entry.`);
  }
  const where = { cwd: ctx.cwd, home: ctx.home };
  for (const s of clientSteps) await writeClientEntry({ logger, dryRun: false, where, followSymlinks: answers.followSymlinks === true }, journal, s, entryInput);
  await journal.setConfig({
    scopes: req.scopes,
    mcpRemoteArgs: buildMcpRemoteArgs({ gatewayUrl: g.gatewayUrl, callbackPort: answers.callbackPort, host: 'localhost', clientId: app.clientId, scopes: req.scopes, extraArgs: req.mcpRemoteArgs }),
  });
  result.clients = clientSteps.map((s) => ({ client: s.client, path: s.path, serverName: s.serverName }));
  if (clientSteps[0]) result.client = { path: clientSteps[0].path, serverName: clientSteps[0].serverName };
  await journal.setStatus('ready');
  checkAborted(ctx.signal);
  return { app, gateway: g, authorizer, requirements: req };
}

/**
 * A step failed: offer to roll back what this run made (with --yes, do it), or keep it so the next init
 * resumes. Ctrl-C always keeps (the user asked to stop, not to undo). Says which happened.
 */
async function rollbackOrKeep(ctx: Context, journal: Journal, runStart: number, err: unknown, keep: boolean): Promise<void> {
  const { logger } = ctx;
  const mine = journal.doc.entries.filter((e) => e.seq > runStart && (e.state === 'done' || e.state === 'intent'));
  await journal.setStatus('failed').catch(() => undefined);
  if (!mine.length) return;
  const keepMsg = 'Kept what this run made: run `agentcore-auth init` again to resume, or `agentcore-auth cleanup` to remove it.';
  // Ctrl-C (whatever the cancelled call threw) always keeps: the user asked to stop, not to undo.
  if (err instanceof CancelledError || ctx.signal.aborted || keep) {
    logger.warn(keepMsg);
    return;
  }
  if (err instanceof CliError && err.code === 'state_write_failed') {
    // Undoing needs the journal too: with no room to record it, nothing more is changed.
    logger.warn('Not rolled back: the journal cannot be written, so an undo could not be recorded either. Kept what this run made; once there is room, `agentcore-auth cleanup` removes it (or `agentcore-auth init` resumes).');
    return;
  }
  const { describeUndo, undoEntries } = await import('./cleanup.js');
  // An app this run made is purged too (Entra keeps deleted apps for 30 days otherwise).
  const undo = { deleteGateway: false, keepApp: false, clearClientCache: false, restore: 'beforeRun' as const, purge: true };
  logger.error(`init failed: ${(err as Error).message}`);
  logger.info('Undoing what this run made would:');
  for (const l of describeUndo(mine, journal.doc.config, undo)) logger.info(`  - ${l}`);
  let rollback = ctx.flags.yes;
  if (!rollback && ctx.prompter.interactive) {
    rollback = await ctx.prompter.confirm({ message: 'Roll back what this run made? (No keeps it so the next init resumes.)', flag: '--yes', yes: false, default: false }).catch(() => false);
  }
  if (!rollback) {
    logger.warn(keepMsg);
    return;
  }
  logger.step('Rolling back what this run made');
  const actions = await undoEntries({ logger, env: ctx.env, signal: new AbortController().signal }, journal, mine, undo);
  const left = actions.filter((a) => a.status === 'left');
  if (left.length) {
    logger.warn('Rolled back, except:');
    for (const a of left) logger.info(`  - ${a.what}: ${a.detail ?? ''}${a.fix ? `\n    Manual step: ${a.fix}` : ''}`);
  }
  else logger.success('Rolled back everything this run made.');
}

export function printInitSummary(ctx: Context, r: InitResult): void {
  if (r.dryRun) return;
  const logger = ctx.out;
  logger.info('');
  if (r.ok) logger.success(`Setup "${r.setup}" is ready.`);
  else logger.error(`Setup "${r.setup}" was applied, but verify found problems (see above).`);
  for (const line of clientNextStepLines(r.clients ?? [])) logger.info(`  ${line}`);
  if (r.teamProfile) {
    if (r.teamProfile.shareable) logger.info(`  Team profile (no secrets): ${r.teamProfile.path}. Commit it; each developer then runs, in their clone:`);
    else logger.info(`  Team profile (no secrets): ${r.teamProfile.path}, on this machine only. Commit a copy in your repository (cp ${r.teamProfile.path} ./agentcore-auth.team.json), or publish it over https; each developer then runs, in their clone:`);
    logger.info(`      ${r.teamProfile.connectCommand}`);
  }
  for (const w of r.handoff?.warnings ?? []) logger.warn(w);
  if (r.handoff) {
    logger.info('  The same setup without questions (for a runbook or CI):');
    logger.info(`      ${r.handoff.initCommand}`);
  }
  logger.info('  Check again any time: agentcore-auth verify' + (r.setup !== 'default' ? ` --setup ${r.setup}` : ''));
  logger.info('  Undo everything:      agentcore-auth cleanup' + (r.setup !== 'default' ? ` --setup ${r.setup}` : ''));
}


