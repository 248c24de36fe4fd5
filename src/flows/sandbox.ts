/**
 * sandbox: run the local IdP + AgentCore-compatible gateway until SIGINT/SIGTERM.
 * With --json, exactly one JSON line on stdout when ready (a contract scripts wait for).
 */
import type { ParsedOptions } from '../commands/types.js';
import type { Context } from '../core/context.js';
import { parsePort, region, str } from './answers.js';
import { startSandbox, type SandboxInfo } from '../sandbox/index.js';

export function describeSandbox(s: SandboxInfo): string[] {
  return [
    'Sandbox ready (loopback only):',
    `  issuer                 ${s.issuer}`,
    `  discovery URL          ${s.discoveryUrl}`,
    `  control plane endpoint ${s.controlPlaneEndpoint}   (region ${s.region}, account ${s.accountId})`,
    `  gateway role ARN       ${s.roleArn}`,
    `  users                  ${s.users.map((u) => `${u}/${u}-password`).join(', ')}${s.autoLogin ? `   (auto-login as ${s.autoLogin})` : ''}`,
    `  demo files             ${s.toolsDir}`,
    '',
    'Point agentcore-auth at it:',
    `  agentcore-auth init --provider oidc --issuer ${s.issuer} --endpoint-url ${s.controlPlaneEndpoint} --region ${s.region} \\`,
    `    --create-gateway my-gateway --role-arn ${s.roleArn}`,
    'Stop with Ctrl-C.',
  ];
}

export async function runSandbox(ctx: Context, opts: ParsedOptions): Promise<number> {
  const sandbox = await startSandbox({
    port: parsePort(str(opts, 'port') === '0' ? undefined : str(opts, 'port'), '--port', 0),
    autoLogin: str(opts, 'auto-login'),
    region: region(opts, ctx.env),
    toolsDir: str(opts, 'files'),
    logger: ctx.logger,
    initialAccessToken: ctx.env.AGENTCORE_AUTH_SANDBOX_INITIAL_ACCESS_TOKEN || undefined,
  });
  const { close, ...info } = sandbox;
  if (ctx.flags.json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else for (const l of describeSandbox(info)) ctx.logger.info(l);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    ctx.signal.addEventListener('abort', done, { once: true });
    process.once('SIGTERM', done);
  });
  // Ctrl-C is how a sandbox ends: a clean stop, exit 0.
  const { consumeCancel } = await import('../core/cancel.js');
  consumeCancel();
  ctx.logger.info('Stopping the sandbox…');
  await close();
  return 0;
}
