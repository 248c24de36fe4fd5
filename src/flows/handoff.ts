/**
 * The team hand-off at the end of init: where the team profile goes (asked, suggesting the repository), the line a
 * teammate runs, the non-interactive init command the admin keeps, and a warning before machine-specific client
 * configs are committed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { ProviderOptions } from '../../providers/types.js';
import type { ParsedOptions } from '../commands/types.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import type { InitAnswers } from '../plan/plan.js';
import { DEFAULT_CALLBACK_PORT, DEFAULT_SCOPES, str, TEAM_PROFILE_FILE } from './answers.js';

/** The git work tree that holds `dir`, if any (the folder with .git). */
export function gitRoot(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * --team-profile PATH, --no-team-profile, or: interactive in a repository, ask (suggesting ./agentcore-auth.team.json,
 * which connect finds by itself); otherwise the state folder (private: nothing is written into a repository unasked).
 */
export async function teamProfileTarget(ctx: Pick<Context, 'cwd' | 'flags' | 'prompter' | 'stateDir'>, opts: ParsedOptions): Promise<string | undefined> {
  const flag = str(opts, 'team-profile');
  if (opts['no-team-profile'] === true) {
    if (flag !== undefined) throw new UsageError('--team-profile and --no-team-profile cannot be used together.', { fix: 'Pick one.' });
    return undefined;
  }
  if (flag === '') throw new UsageError('--team-profile is empty.', { fix: `Pass a file path, e.g. --team-profile ./${TEAM_PROFILE_FILE}.` });
  if (flag !== undefined) return resolve(ctx.cwd, flag);
  const privateDefault = join(ctx.stateDir, 'teams', ctx.flags.setup, TEAM_PROFILE_FILE);
  const repo = gitRoot(ctx.cwd);
  if (!ctx.prompter.interactive || !repo) return privateDefault;
  const suggested = `./${relative(ctx.cwd, join(repo, TEAM_PROFILE_FILE)) || TEAM_PROFILE_FILE}`;
  const answer = await ctx.prompter.ask({
    flag: '--team-profile',
    message: `Where should the team profile go (teammates run \`agentcore-auth connect\` with it; no secrets)? "-" keeps it private in ${privateDefault}`,
    default: suggested,
    validate: (v) => (v.trim() ? true : 'a path, or "-" for the private default'),
  });
  return answer.trim() === '-' ? privateDefault : resolve(ctx.cwd, answer.trim());
}

const shq = (s: string) => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The init command that makes this same setup without a question: for the admin to keep (a runbook, CI). */
export function equivalentInitCommand(a: InitAnswers, providerOptions: ProviderOptions, cwd: string, privateProfile?: string): string {
  const parts = ['agentcore-auth', 'init', '--provider', a.provider];
  if (a.setup !== 'default') parts.push('--setup', a.setup);
  const issuerFlag = providerOptions.issuer;
  if (typeof issuerFlag === 'string' && issuerFlag) parts.push('--issuer', issuerFlag);
  if (a.gateway.mode === 'existing') parts.push('--gateway', a.gateway.id);
  else parts.push('--create-gateway', a.gateway.name, '--role-arn', a.gateway.roleArn);
  parts.push('--region', a.region);
  if (a.endpointUrl) parts.push('--endpoint-url', a.endpointUrl);
  if (a.profile) parts.push('--profile', a.profile);
  for (const [k, v] of Object.entries(providerOptions)) {
    if (['issuer', 'region', 'profile'].includes(k) || v === undefined || v === false) continue;
    if (v === true) parts.push(`--${k}`);
    else for (const x of Array.isArray(v) ? v : [v]) parts.push(`--${k}`, String(x));
  }
  parts.push('--client', a.clients.map((c) => c.client).join(','));
  if (a.serverName !== 'gateway-tools') parts.push('--server-name', a.serverName);
  if (a.callbackPort !== DEFAULT_CALLBACK_PORT) parts.push('--callback-port', String(a.callbackPort));
  if (a.scopes.join(' ') !== DEFAULT_SCOPES.join(' ')) parts.push('--scopes', a.scopes.join(' '));
  for (const g of a.access?.groups ?? []) parts.push('--allow-group', g);
  for (const s of a.access?.scopes ?? []) parts.push('--require-scope', s);
  for (const c of a.access?.claims ?? []) parts.push('--require-claim', `${c.claim}${c.op === 'EQUALS' ? '=' : '~'}${c.values.join(',')}`);
  if (a.kiroNative) parts.push('--kiro-native');
  if (a.teamProfile && a.teamProfile === privateProfile) {
    // the default: nothing to say
  } else if (a.teamProfile) {
    const rel = relative(cwd, a.teamProfile);
    parts.push('--team-profile', rel && !rel.startsWith('..') ? `./${rel}` : a.teamProfile);
  } else parts.push('--no-team-profile');
  parts.push('--yes');
  return parts.map((p, i) => (i < 2 ? p : shq(p))).join(' ');
}

function gitIgnored(repo: string, path: string): Promise<boolean | undefined> {
  return new Promise((done) => {
    execFile('git', ['-C', repo, 'check-ignore', '-q', path], { timeout: 3000 }, (err) => {
      if (!err) return done(true);
      const code = (err as unknown as { code?: number | string }).code;
      done(code === 1 ? false : undefined); // 1: not ignored; anything else: git cannot tell (not installed...)
    });
  });
}

/**
 * Client configs init wrote inside a git work tree that git does not ignore: they hold this machine's paths
 * (npx's absolute path, HOME) and would break a teammate's client if committed. One line each, with the fix.
 */
export async function machineSpecificInRepo(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const repo = gitRoot(dirname(p));
    if (!repo) continue;
    if ((await gitIgnored(repo, p)) !== false) continue;
    const rel = relative(repo, p);
    out.push(`${rel} is in the git repository ${repo} and holds this machine's paths (npx, HOME): committed, it breaks a teammate's client. Add it to .gitignore (echo ${shq(rel)} >> ${shq(join(repo, '.gitignore'))}); teammates write their own with \`agentcore-auth connect\`.`);
  }
  return out;
}
