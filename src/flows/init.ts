/**
 * init: answers -> plan -> confirm -> steps (journaled) -> verify.
 */
import { dirname } from 'node:path';
import { loadAdapter } from '../../providers/index.js';
import type { AdapterContext, AppRecord } from '../../providers/types.js';
import type { ParsedOptions } from '../commands/types.js';
import type { Context } from '../core/context.js';
import { CancelledError, CliError } from '../core/errors.js';
import { GatewayPort, authorizerTypeError } from '../gateway/agentcore.js';
import { Journal } from '../journal/journal.js';
import { buildInitPlan, formatPlan, type InitAnswers, type InitPlan, type PlanStep } from '../plan/plan.js';
import { loadApp } from '../steps/register-app.js';
import { collectInitAnswers, parseSeconds, str } from './answers.js';
import type { VerifySummary } from './verify.js';

export interface InitResult {
  ok: boolean;
  setup: string;
  plan: InitPlan;
  dryRun: boolean;
  app?: { clientId: string; issuer: string; provider: string };
  gateway?: { gatewayId: string; gatewayUrl: string; status: string };
  client?: { path: string; serverName: string };
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

  const gatewayFor = (a: Pick<InitAnswers, 'region' | 'endpointUrl' | 'profile'>) =>
    new GatewayPort({ region: a.region, endpointUrl: a.endpointUrl, profile: a.profile, env: ctx.env, timeoutMs }, logger);

  const answers = await collectInitAnswers(ctx, opts, async () => {
    const { region } = await import('./answers.js');
    return gatewayFor({ region: region(opts, ctx.env), endpointUrl: str(opts, 'endpoint-url'), profile: str(opts, 'profile') }).list();
  });
  const adapter = await loadAdapter(answers.provider, { issuer: answers.issuer, audience: str(opts, 'audience') });
  const gateway = gatewayFor(answers);
  const actx: AdapterContext = { logger, env: ctx.env, timeoutMs };

  // Preflight: everything that can refuse does so before anything is touched.
  logger.step('Checking the client config, the identity provider and the gateway');
  // A client config that does not parse is refused now, before anything remote is created.
  const { readJsonObject } = await import('../clients/jsonfile.js');
  await readJsonObject(answers.clientConfigPath);
  await adapter.preflight(actx);
  if (answers.gateway.mode === 'existing') {
    answers.gateway.id = await gateway.resolve(answers.gateway.id);
    const g = await gateway.require(answers.gateway.id);
    if (g.authorizerType !== 'CUSTOM_JWT') {
      // AWS cannot change a gateway's authorizer type: say so before anything is touched, and offer a new gateway.
      const err = authorizerTypeError(g.gatewayId, g.authorizerType);
      if (!ctx.prompter.interactive) throw err;
      logger.warn(err.message);
      if (!(await ctx.prompter.confirm({ message: 'Create a new gateway with a JWT authorizer instead?', flag: '--create-gateway', yes: false, default: true }))) {
        throw new CancelledError('Nothing was changed.');
      }
      const name = await ctx.prompter.ask({ flag: '--create-gateway', message: 'New gateway name:', default: `${g.name}-jwt`.slice(0, 100), validate: (v) => (/^([0-9a-zA-Z][-]?){1,100}$/.test(v) ? true : 'letters, digits and single hyphens') });
      const roleArn = await ctx.prompter.ask({ flag: '--role-arn', message: 'IAM role ARN for the new gateway:', default: g.roleArn });
      answers.gateway = { mode: 'create', name, roleArn };
    } else if (g.status !== 'READY') {
      throw new CliError(`Gateway ${g.gatewayId} is ${g.status}, not READY.`, { code: 'gateway_state', fix: 'Wait until it is READY (agentcore-auth status, or the AWS console), then run again.' });
    }
  }

  // The plan is built from what the journal says already exists; nothing is locked or written until confirmed.
  const planFrom = async (j: Journal): Promise<InitPlan> => {
    const existingApp = await loadApp(j);
    const createdGw = j.find('gateway-create');
    const appIntent = j.find('idp-app')?.intent.redirectUri;
    return buildInitPlan(
      answers,
      {
        clientId: existingApp && existingApp.issuer === adapter.tokenProfile().issuer ? existingApp.clientId : undefined,
        appRedirectUris: existingApp ? (appIntent ? [String(appIntent)] : []) : undefined,
        createdGatewayId: createdGw?.state === 'done' ? String(createdGw.result?.gatewayId) : undefined,
      },
      (clientId) => adapter.recommendedAuthorizer({ provider: adapter.id, clientId, issuer: adapter.tokenProfile().issuer, discoveryUrl: adapter.tokenProfile().discoveryUrl, extras: {} }, {}),
    );
  };
  const preview = await planFrom(await Journal.open(ctx.stateDir, answers.setup, { create: true, dryRun: true }));
  for (const line of formatPlan(preview, { home: ctx.home })) logger.info(line);
  if (ctx.flags.dryRun) {
    logger.info('Dry run: nothing was changed.');
    return { ok: true, setup: answers.setup, plan: preview, dryRun: true };
  }
  if (!(await ctx.prompter.confirm({ message: 'Apply this plan?', flag: '--yes', yes: ctx.flags.yes }))) throw new CancelledError('Nothing was changed.');

  const journal = await Journal.open(ctx.stateDir, answers.setup, { create: true });
  try {
    const plan = await planFrom(journal);
    const result: InitResult = { ok: false, setup: answers.setup, plan, dryRun: false };

    await journal.setConfig({
      provider: answers.provider,
      issuer: answers.issuer,
      region: answers.region,
      endpointUrl: answers.endpointUrl,
      profile: answers.profile,
      scopes: answers.scopes,
      callbackPort: answers.callbackPort,
      callbackHost: answers.callbackHost,
      serverName: answers.serverName,
      client: answers.client,
      clientConfigPath: answers.clientConfigPath,
    });
    await journal.setStatus('in-progress');

    const step = <K extends PlanStep['kind']>(k: K) => plan.steps.find((s) => s.kind === k) as Extract<PlanStep, { kind: K }> | undefined;

    // 1. IdP app
    const { registerApp } = await import('../steps/register-app.js');
    const app: AppRecord = await registerApp(actx, journal, adapter, step('idp-app')!);
    await journal.setConfig({ clientId: app.clientId, discoveryUrl: app.discoveryUrl, issuer: app.issuer });
    result.app = { clientId: app.clientId, issuer: app.issuer, provider: app.provider };
    checkAborted(ctx.signal);

    // 2. Gateway authorizer
    const { configureGateway } = await import('../steps/configure-gateway.js');
    const authorizer = adapter.recommendedAuthorizer(app, {});
    const g = await configureGateway({ logger, gateway, signal: ctx.signal }, journal, step('gateway')!, authorizer, { waitTimeoutMs });
    await journal.setConfig({ gatewayId: g.gatewayId, gatewayUrl: g.gatewayUrl });
    result.gateway = { gatewayId: g.gatewayId, gatewayUrl: g.gatewayUrl, status: g.status };
    checkAborted(ctx.signal);

    // 3. Client config
    const req = adapter.clientRequirements(app, { scopes: answers.scopes, resource: g.gatewayUrl });
    const { writeClientEntry } = await import('../steps/write-client.js');
    const { buildMcpRemoteArgs } = await import('../clients/mcp-remote.js');
    const entryInput = {
      serverName: answers.serverName,
      gatewayUrl: g.gatewayUrl,
      callbackPort: answers.callbackPort,
      clientId: app.clientId,
      scopes: req.scopes,
      extraArgs: req.mcpRemoteArgs,
      nodeBinDir: dirname(process.execPath),
      home: ctx.home,
    };
    await writeClientEntry({ logger, dryRun: false }, journal, step('client-entry')!, entryInput);
    await journal.setConfig({
      scopes: req.scopes,
      mcpRemoteArgs: buildMcpRemoteArgs({ gatewayUrl: g.gatewayUrl, callbackPort: answers.callbackPort, host: 'localhost', clientId: app.clientId, scopes: req.scopes, extraArgs: req.mcpRemoteArgs }),
    });
    result.client = { path: answers.clientConfigPath, serverName: answers.serverName };
    await journal.setStatus('ready');
    checkAborted(ctx.signal);

    // 4. Verify
    result.ok = true;
    if (step('verify')) {
      const { verifySetup } = await import('./verify.js');
      result.verify = await verifySetup(ctx, {
        gatewayUrl: g.gatewayUrl,
        clientId: app.clientId,
        scopes: req.scopes,
        resource: req.resource,
        callbackHost: answers.callbackHost,
        callbackPort: answers.callbackPort,
        noLogin: opts['no-login'] === true,
        authorizer,
        timeoutMs,
      }, { opener: deps.opener, app, adapter, revokeAfter: true });
      result.ok = result.verify.ok;
    }
    return result;
  } finally {
    await journal.release();
  }
}

export function printInitSummary(ctx: Context, r: InitResult): void {
  if (r.dryRun) return;
  const { logger } = ctx;
  logger.info('');
  if (r.ok) logger.success(`Setup "${r.setup}" is ready.`);
  else logger.error(`Setup "${r.setup}" was applied, but verify found problems (see above).`);
  if (r.client) {
    logger.info(`  Kiro: the MCP server "${r.client.serverName}" is in ${r.client.path}. Reload MCP servers in Kiro; the first tool call opens your browser to sign in.`);
  }
  logger.info('  Check again any time: agentcore-auth verify' + (r.setup !== 'default' ? ` --setup ${r.setup}` : ''));
  logger.info('  Undo everything:      agentcore-auth cleanup' + (r.setup !== 'default' ? ` --setup ${r.setup}` : ''));
}
