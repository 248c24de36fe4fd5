import type { ParsedOptions } from '../commands/types.js';
import { resolveHome, resolveStateDir, type Context, type GlobalFlags } from './context.js';
import { isInteractive, whyNotInteractive } from './interactive.js';
import { createLogger } from './logger.js';
import { createPrompter } from './prompts.js';
import { redactObject } from './redact.js';
import { setHttpLogger } from './http.js';
import { configureOwnerOnly } from './owner-only.js';
import { validateSetupName } from '../journal/journal.js';

export function globalFlags(opts: ParsedOptions): GlobalFlags {
  return {
    json: opts.json === true,
    yes: opts.yes === true,
    dryRun: opts['dry-run'] === true,
    noInput: opts['no-input'] === true,
    verbose: opts.verbose === true,
    // A bad --setup is a usage error up front, before any answer is collected or anything is contacted.
    setup: typeof opts.setup === 'string' ? validateSetupName(opts.setup) : 'default',
  };
}

export function createContext(opts: ParsedOptions, env: NodeJS.ProcessEnv = process.env): Context {
  const flags = globalFlags(opts);
  const inter = {
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    env,
    json: flags.json,
    noInput: flags.noInput,
  };
  const abort = new AbortController();
  globalThis.__agentcoreAuthAbort = abort;
  const color = Boolean(process.stderr.isTTY) && !env.NO_COLOR;
  let emitted = false;
  const logger = createLogger({ verbose: flags.verbose, color });
  const outStream = flags.json ? process.stderr : process.stdout;
  const outColor = flags.json ? color : Boolean((outStream as NodeJS.WriteStream).isTTY) && !env.NO_COLOR;
  const out = flags.json ? logger : createLogger({ verbose: flags.verbose, stream: outStream, color: outColor });
  setHttpLogger(logger); // --verbose shows retries
  configureOwnerOnly({ warn: (m) => logger.warn(m) }); // win32: a secret file left readable by others is said
  return {
    flags,
    logger,
    out,
    outColor,
    prompter: createPrompter({ interactive: isInteractive(inter), whyNot: whyNotInteractive(inter), env }),
    env,
    cwd: process.cwd(),
    home: resolveHome(env),
    stateDir: resolveStateDir(env),
    signal: abort.signal,
    color,
    emitJson(doc: unknown) {
      if (emitted) throw new Error('emitJson called twice: --json prints exactly one document');
      emitted = true;
      process.stdout.write(`${JSON.stringify(redactObject(doc), null, 2)}\n`);
    },
  };
}
