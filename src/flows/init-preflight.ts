/**
 * init's checks before anything is made (each can refuse): the callback port, and the discovery URL the gateway
 * will be given; and, interactively, whether an existing setup is updated or another one started.
 */
import type { IdpAdapter } from '../../providers/types.js';
import type { Context } from '../core/context.js';
import { CliError, UsageError } from '../core/errors.js';

/**
 * mcp-remote receives the sign-in on the callback port: a port another program holds (or one a user may not
 * open) is refused now, before the IdP app registers a redirect URI on it. Interactive: offer a free one.
 */
export async function usableCallbackPort(ctx: Context, port: number, host: string): Promise<number> {
  const { callbackPortProblem, findFreeCallbackPort } = await import('../oauth/port-probe.js');
  const problem = await callbackPortProblem(port, host);
  if (!problem) return port;
  const free = await findFreeCallbackPort(port === 65535 ? 3334 : port + 1, host);
  const why = problem.kind === 'busy'
    ? `Callback port ${port} is in use by another program (${problem.where}): mcp-remote could not receive the sign-in there.`
    : `Callback port ${port} cannot be opened by a normal user here (permission denied).`;
  if (!ctx.prompter.interactive) {
    throw new UsageError(`${why} Nothing was changed.`, {
      code: 'callback_port_in_use',
      fix: `Pass --callback-port ${free ?? '<a free port above 1024>'}${problem.kind === 'busy' ? `, or stop what listens there (lsof -nP -iTCP:${port} -sTCP:LISTEN)` : ''}.`,
    });
  }
  ctx.logger.warn(why);
  for (;;) {
    const answer = Number(await ctx.prompter.ask({
      flag: '--callback-port',
      message: 'Callback port to use instead:',
      default: free ? String(free) : undefined,
      validate: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? true : 'a port number from 1 to 65535'),
    }));
    const p = await callbackPortProblem(answer, host);
    if (!p) return answer;
    ctx.logger.warn(`${p.where} is ${p.kind === 'busy' ? 'in use by another program too' : 'not allowed either'}.`);
  }
}

/**
 * The discovery URL init will give the gateway must answer with this issuer and a jwks_uri (the gateway
 * validates tokens with it), and offer PKCE S256 (mcp-remote refuses an authorization server without it): checked
 * before anything is made. An answer that says otherwise is refused; no answer at all (a pool that does not exist
 * yet, a network that cannot reach it) is a warning, because the gateway reads it later from AWS.
 */
export async function checkGatewayDiscovery(ctx: Context, adapter: IdpAdapter, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
  const { discoveryUrl, issuer } = adapter.tokenProfile();
  if (!discoveryUrl || discoveryUrl.includes('<')) return undefined; // not known until the app exists (a placeholder)
  const { httpFetch, readText } = await import('../core/http.js');
  const { sameIssuer } = await import('../oauth/issuer-pin.js');
  let res: Response;
  try {
    res = await httpFetch(discoveryUrl, { headers: { accept: 'application/json' } }, { timeoutMs: Math.min(timeoutMs, 10_000), purpose: "reading the gateway's discovery URL" });
  } catch (err) {
    ctx.logger.warn(`Could not read ${discoveryUrl} (${(err as Error).message}): the gateway must be able to read it; verify checks it after init.`);
    return undefined;
  }
  const refuse = (why: string, fix: string) => {
    throw new CliError(`The discovery URL the gateway would use, ${discoveryUrl}, ${why}. Nothing was changed.`, { code: 'discovery_invalid', fix });
  };
  const text = await readText(res).catch(() => '');
  if (!res.ok) refuse(`answers HTTP ${res.status}`, 'The issuer must serve OpenID Connect discovery at {issuer}/.well-known/openid-configuration (an authorization server with only RFC 8414 metadata cannot be a CUSTOM_JWT discovery URL); check --issuer.');
  let md: Record<string, unknown> = {};
  try {
    md = JSON.parse(text) as Record<string, unknown>;
  } catch {
    refuse('does not answer JSON', "Check --issuer: it must be the IdP's issuer, whose discovery document the gateway reads.");
  }
  if (typeof md.issuer !== 'string' || !sameIssuer(md.issuer, issuer)) {
    refuse(`names the issuer ${typeof md.issuer === 'string' ? md.issuer : '(none)'}, not ${issuer}`, `Pass --issuer exactly as the IdP names itself${typeof md.issuer === 'string' ? ` (${md.issuer})` : ''}: the gateway accepts tokens whose iss is the discovery document's issuer.`);
  }
  if (typeof md.jwks_uri !== 'string' || !md.jwks_uri) refuse('names no jwks_uri', 'The gateway validates token signatures with the keys at jwks_uri: the IdP must publish them.');
  const pkce = md.code_challenge_methods_supported;
  if (Array.isArray(pkce) && !pkce.includes('S256')) refuse(`offers PKCE only as ${pkce.join(', ') || 'nothing'}, not S256`, 'Enable PKCE S256 at the IdP: mcp-remote signs in with it, and refuses an authorization server without it.');
  if (!Array.isArray(pkce) && adapter.id !== 'cognito') {
    // (Cognito's adapter says the same in its own words.)
    ctx.logger.warn(`${discoveryUrl} does not list code_challenge_methods_supported: mcp-remote may refuse to sign in until the IdP advertises PKCE S256.`);
  }
  return md;
}

/** Interactive init where the setup exists already: update it, or start another one (asking its name). */
export async function updateOrAnother(ctx: Context): Promise<void> {
  const { readJournal, listSetups, validateSetupName } = await import('../journal/journal.js');
  const prior = await readJournal(ctx.stateDir, ctx.flags.setup).catch(() => null);
  if (!prior) return;
  const where = typeof prior.config.gatewayUrl === 'string' ? ` (gateway ${prior.config.gatewayUrl})` : '';
  const choice = await ctx.prompter.ask<'update' | 'another'>({
    flag: '--setup',
    message: `Setup "${ctx.flags.setup}" exists${where}:`,
    choices: [
      { value: 'update', name: `Update it (what exists is reused; a changed answer updates it)` },
      { value: 'another', name: 'Start another setup (another gateway or IdP, kept apart)' },
    ],
    default: 'update',
  });
  if (choice === 'update') return;
  const known = await listSetups(ctx.stateDir);
  ctx.flags.setup = await ctx.prompter.ask({
    flag: '--setup',
    message: 'Name of the new setup:',
    validate: (v) => {
      try {
        validateSetupName(v);
      } catch (err) {
        return (err as Error).message;
      }
      return known.includes(v) ? `setup "${v}" exists already` : true;
    },
  });
}
