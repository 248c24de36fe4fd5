import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './logger.js';
import type { Prompter } from './prompts.js';

export interface GlobalFlags {
  json: boolean;
  yes: boolean;
  dryRun: boolean;
  noInput: boolean;
  verbose: boolean;
  /** Which setup (journal) to act on. */
  setup: string;
}

/** What every command receives. Steps take only the part they need (Pick<Context, ...>). */
export interface Context {
  flags: GlobalFlags;
  /** Progress, spinners, warnings and logs: stderr. */
  logger: Logger;
  /**
   * Results a user may redirect (verify's report, status, a command's final summary): stdout, or stderr with
   * --json (stdout then holds the one JSON document).
   */
  out: Logger;
  /** Whether `out` may be coloured (its stream is a terminal, NO_COLOR unset). */
  outColor: boolean;
  prompter: Prompter;
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  /** ~/.agentcore-auth, or $AGENTCORE_AUTH_HOME. */
  stateDir: string;
  /** Aborted on the first Ctrl-C: flows stop at the next safe point. */
  signal: AbortSignal;
  /** Writes the single JSON document of a --json run to stdout (redacted). */
  emitJson(doc: unknown): void;
  color: boolean;
}

export function resolveHome(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

export function resolveStateDir(env: NodeJS.ProcessEnv): string {
  return env.AGENTCORE_AUTH_HOME || join(resolveHome(env), '.agentcore-auth');
}

/** Where client config backups go: the state folder (0700), never the project (a backup may hold secrets). */
export function backupDir(stateDir: string): string {
  return join(stateDir, 'backups');
}
