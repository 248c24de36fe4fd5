/**
 * demo: the whole journey on the sandbox, in one process and a throwaway HOME:
 * sandbox up -> init (register app, create gateway with JWT authorizer, write Kiro's mcp.json)
 * -> verify (401 challenge, metadata, test login, tools/list, tools/call) -> cleanup.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ParsedOptions } from '../commands/types.js';
import type { Context } from '../core/context.js';
import type { Logger } from '../core/logger.js';
import { createPrompter } from '../core/prompts.js';
import { loginTimeoutMs, str } from './answers.js';

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export interface DemoResult {
  ok: boolean;
  durationMs: number;
  home: string;
  sandbox: { issuer: string; controlPlaneEndpoint: string; region: string };
  init?: unknown;
  verify?: unknown;
  cleanup?: unknown;
  kiroEntry?: unknown;
}

export async function runDemo(ctx: Context, opts: ParsedOptions): Promise<DemoResult> {
  const started = Date.now();
  const { logger } = ctx;
  const keep = opts.keep === true;
  const loginMs = loginTimeoutMs(opts); // a bad value is refused before anything starts
  const homeFlag = str(opts, 'home');
  const home = homeFlag ? resolve(homeFlag) : await mkdtemp(join(tmpdir(), 'agentcore-auth-demo-'));
  const user = str(opts, 'auto-login') ?? 'alice';

  logger.step('Starting the sandbox (identity provider + AgentCore-compatible gateway)');
  const { startSandbox } = await import('../sandbox/index.js');
  // The sandbox's own log (a client registered, a forged token rejected: the gateway doing its job) is the
  // servers' side of the story: shown with --verbose, marked as the sandbox's, and otherwise left out.
  const sandboxLog: Logger = {
    info: (m) => logger.debug(`[sandbox] ${m}`),
    step: (m) => logger.debug(`[sandbox] ${m}`),
    success: (m) => logger.debug(`[sandbox] ${m}`),
    debug: (m) => logger.debug(`[sandbox] ${m}`),
    warn: (m) => logger.warn(`[sandbox] ${m}`),
    error: (m) => logger.error(`[sandbox] ${m}`),
    styled: (t) => logger.styled(t),
  };
  const sandbox = await startSandbox({ autoLogin: user, logger: sandboxLog, readyDelayMs: 300 });
  logger.success(`Sandbox up: issuer ${sandbox.issuer}, control plane ${sandbox.controlPlaneEndpoint}`);

  // Everything the demo writes lives under the demo HOME: Kiro's config, the journal, mcp-remote's cache.
  // (No background fetch of mcp-remote: the demo's HOME, and its npm cache, are thrown away.)
  const env = { ...ctx.env, HOME: home, AGENTCORE_AUTH_HOME: join(home, '.agentcore-auth'), MCP_REMOTE_CONFIG_DIR: join(home, '.mcp-auth'), AGENTCORE_AUTH_NO_PREFETCH: '1' };
  const child: Context = {
    ...ctx,
    env,
    home,
    cwd: home,
    stateDir: env.AGENTCORE_AUTH_HOME,
    flags: { ...ctx.flags, yes: true, dryRun: false, setup: 'demo' },
    prompter: createPrompter({ interactive: false, whyNot: 'the demo runs non-interactively', env }),
    emitJson: () => undefined,
  };
  const result: DemoResult = { ok: false, durationMs: 0, home, sandbox: { issuer: sandbox.issuer, controlPlaneEndpoint: sandbox.controlPlaneEndpoint, region: sandbox.region } };
  const { followAuthorization } = await import('../sandbox/headless-browser.js');
  const opener = async (url: string) => {
    logger.info(`  (demo) the browser signs in as ${user} automatically`);
    await followAuthorization(url, { logger });
  };
  try {
    const callbackPort = await freePort();
    const { runInit } = await import('./init.js');
    logger.info('');
    logger.info(`$ agentcore-auth init --provider oidc --issuer ${sandbox.issuer} --create-gateway demo-gateway --role-arn ${sandbox.roleArn} --endpoint-url ${sandbox.controlPlaneEndpoint} --callback-port ${callbackPort} --yes`);
    const init = await runInit(
      child,
      {
        provider: 'oidc',
        issuer: sandbox.issuer,
        'create-gateway': 'demo-gateway',
        'role-arn': sandbox.roleArn,
        'endpoint-url': sandbox.controlPlaneEndpoint,
        region: sandbox.region,
        client: 'kiro',
        'callback-port': String(callbackPort),
        'no-verify': true,
      },
      { opener },
    );
    result.init = init;
    const kiroPath = init.client?.path;
    if (kiroPath) {
      const doc = JSON.parse(await readFile(kiroPath, 'utf8')) as { mcpServers: Record<string, unknown> };
      result.kiroEntry = doc.mcpServers[init.client!.serverName];
      logger.info(`  Kiro entry written to ${kiroPath}:`);
      for (const l of JSON.stringify(result.kiroEntry, null, 2).split('\n')) logger.info(`    ${l}`);
    }

    logger.info('');
    logger.info('$ agentcore-auth verify --call whoami');
    const { verifySetup } = await import('./verify.js');
    const { loadAdapter } = await import('../../providers/index.js');
    const adapter = await loadAdapter('oidc', { issuer: sandbox.issuer });
    const { Journal } = await import('../journal/journal.js');
    const { loadApp } = await import('../steps/register-app.js');
    const app = await loadApp(await Journal.open(child.stateDir, 'demo', { create: false, dryRun: true }));
    const verify = await verifySetup(
      child,
      {
        gatewayUrl: init.gateway!.gatewayUrl,
        clientId: init.app!.clientId,
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        callbackHost: 'localhost',
        callbackPort,
        callTool: { name: 'whoami' },
        authorizer: app ? adapter.recommendedAuthorizer(app, {}) : undefined,
        timeoutMs: 10_000,
        loginTimeoutMs: loginMs,
        provider: 'oidc',
        expectedIssuer: sandbox.issuer,
        expectedIssuerSource: 'setup "demo"',
        clientConfig: init.client ? { path: init.client.path, serverName: init.client.serverName } : undefined,
        registeredRedirectUris: app ? await (await import('./verify.js')).knownRedirectUris(adapter, { logger, env, timeoutMs: 10_000 }, app) : undefined,
        env,
      },
      { opener, app, adapter, revokeAfter: true },
    );
    result.verify = verify;
    result.ok = init.ok && verify.ok;
    if (verify.ok) logger.success(`Kiro would now reach the gateway's tools as ${user}: the token carries her identity and the gateway checked it.`);

    if (keep) {
      logger.info('');
      logger.info('The sandbox keeps running (--keep). To use it from a real Kiro:');
      logger.info(`  copy the "${init.client?.serverName}" entry above into ~/.kiro/settings/mcp.json (or .kiro/settings/mcp.json),`);
      logger.info(`  reload MCP servers in Kiro, and ask it to call whoami. Sign-in is automatic (as ${user}).`);
      logger.info(`  Journal and files: ${home}. Press Ctrl-C to stop; the demo then cleans up.`);
      await new Promise<void>((r) => {
        ctx.signal.addEventListener('abort', () => r(), { once: true });
        process.once('SIGTERM', () => r());
      });
      // That Ctrl-C means "stop and clean up": the cleanup below runs under a fresh signal (a second Ctrl-C exits).
      const { consumeCancel } = await import('../core/cancel.js');
      consumeCancel();
    }
    logger.info('');
    logger.info('$ agentcore-auth cleanup --yes');
    const { runCleanup, printCleanupSummary } = await import('./cleanup.js');
    const cleanup = await runCleanup({ ...child, signal: new AbortController().signal }, {});
    printCleanupSummary(child, cleanup);
    result.cleanup = cleanup;
    result.ok = result.ok && cleanup.ok;
  } finally {
    await sandbox.close();
    if (!homeFlag) await rm(home, { recursive: true, force: true });
    await rm(sandbox.toolsDir, { recursive: true, force: true });
  }
  result.durationMs = Date.now() - started;
  logger.info('');
  if (result.ok) logger.success(`Demo finished in ${(result.durationMs / 1000).toFixed(1)} s: registered, protected, configured, verified, cleaned up.`);
  else logger.error(`Demo finished in ${(result.durationMs / 1000).toFixed(1)} s with failures (see above).`);
  return result;
}
