#!/usr/bin/env node
/**
 * Entry point: argv -> command table (lazy import), global flags, one top-level error handler, exit codes.
 * Nothing heavy is imported here: --help and --version must stay within 2x of a bare `node -e 0`.
 */
import { parseArgs } from 'node:util';
import type { CommandSpec, OptionSpec, ParsedOptions } from './commands/types.js';
import { CancelledError, CliError, ExitCode, UsageError, errorMessage } from './core/errors.js';
import './core/cancel.js';
import { GLOBAL_OPTIONS } from './commands/global.js';
import { commandHelp, optionSections, suggest, translateParseError } from './commands/help.js';

import { COMMANDS } from './commands/table.js';
import { packageVersion } from './core/package.js';



function topHelp(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'agentcore-auth: put a real user identity on every MCP request to an Amazon Bedrock AgentCore Gateway.',
    '',
    'Usage: agentcore-auth <command> [flags]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(w)}${COMMANDS[n]!.summary}`),
    '',
    ...optionSections({ ...GLOBAL_OPTIONS, version: { type: 'boolean', short: 'V', description: 'Print the version' } }, 'Global flags'),
    '',
    'Exit codes: 0 ok, 1 failed, 2 usage error, 130 cancelled.',
    'Run `agentcore-auth <command> --help` for a command\'s flags. Quick start: `agentcore-auth demo`.',
  ].join('\n');
}

function parse(spec: CommandSpec, argv: string[]): { opts: ParsedOptions; positionals: string[] } {
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
      ),
      allowPositionals: spec.positionals === true,
      strict: true,
    });
    return { opts: values as ParsedOptions, positionals };
  } catch (err) {
    const msg = errorMessage(err);
    const flag = /'(-{1,2}[^' ]+)/.exec(msg)?.[1];
    if (flag && /Unknown option/i.test(msg)) {
      const near = suggest(flag.replace(/^-+/, ''), Object.keys(options));
      throw new UsageError(`Unknown flag ${flag} for '${spec.name}'.${near ? ` Did you mean --${near}?` : ''}`, {
        fix: `Run 'agentcore-auth ${spec.name} --help' to see its flags.`,
      });
    }
    throw new UsageError(translateParseError(msg, spec.name), { fix: `Run 'agentcore-auth ${spec.name} --help'.` });
  }
}

function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V' || (argv.length === 1 && argv[0] === 'version')) {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.ok;
  }
  const name = argv[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && argv[1] && COMMANDS[argv[1]]) {
      process.stdout.write(`${commandHelp((await COMMANDS[argv[1]]!.load()).command)}\n`);
    } else process.stdout.write(`${topHelp()}\n`);
    return name ? ExitCode.ok : ExitCode.usage;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const near = suggest(name, Object.keys(COMMANDS));
    throw new UsageError(`Unknown command '${name}'.${near ? ` Did you mean '${near}'?` : ''}`, {
      fix: "Run 'agentcore-auth --help' to see the commands.",
    });
  }
  const { command } = await entry.load();
  const rest = argv.slice(1);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return ExitCode.ok;
  }
  const { opts, positionals } = parse(command, rest);
  const { createContext } = await import('./core/create-context.js');
  const ctx = createContext(opts);
  return command.run(ctx, opts, positionals);
}

function report(err: unknown, json: boolean, safe: (text: string) => string): number {
  const cli = err instanceof CliError ? err : undefined;
  const code = cli?.exitCode ?? ExitCode.failed;
  // An error can quote a profile, a file or a server's answer: it is shown redacted and terminal-safe.
  const message = safe(cli ? cli.message : `Unexpected error: ${errorMessage(err)}`);
  const fix = cli?.fix === undefined ? undefined : safe(cli.fix);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code: cli?.code ?? 'internal', message, fix } })}\n`);
  }
  const red = process.stderr.isTTY && !process.env.NO_COLOR ? (s: string) => `\u001b[31m${s}\u001b[39m` : (s: string) => s;
  if (err instanceof CancelledError) process.stderr.write(`${message}\n`);
  else {
    process.stderr.write(`${red('✖')} ${message}\n${fix ? `  Fix: ${fix}\n` : ''}`);
    if (!cli && process.env.AGENTCORE_AUTH_DEBUG) process.stderr.write(`${safe((err as Error)?.stack ?? '')}\n`);
  }
  return code;
}

const argv = process.argv.slice(2);
let interrupted = 0;
process.on('SIGINT', () => {
  interrupted++;
  if (interrupted > 1) {
    process.stderr.write('\nInterrupted again: exiting now.\n');
    process.exit(ExitCode.cancelled);
  }
  process.stderr.write('\nCancelling (Ctrl-C again to exit now)…\n');
  const cancelled = globalThis.__agentcoreAuthAbort;
  cancelled?.abort(new CancelledError(cancelMessage(argv)));
  // Every wait listens to that signal; should one not, the process still stops promptly, and says so (a wait that
  // ignores Ctrl-C is a bug, and the e2e tests look for this line). The journal is written atomically at each step,
  // so stopping here keeps what was made. (A command whose normal end is Ctrl-C consumes it: consumeCancel.)
  setTimeout(() => {
    if (globalThis.__agentcoreAuthAbort !== cancelled) return;
    process.stderr.write(`A call in flight did not stop when asked: exiting without waiting for it.\n${cancelMessage(argv)}\n`);
    process.exit(ExitCode.cancelled);
  }, 2000).unref();
});

/** What a Ctrl-C keeps, and what to run next, for the command being cancelled. */
function cancelMessage(args: string[]): string {
  const i = args.indexOf('--setup');
  const setup = i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('-') ? ` --setup ${args[i + 1]}` : (args.find((a) => a.startsWith('--setup='))?.replace('--setup=', ' --setup ') ?? '');
  switch (args[0]) {
    case 'init':
      return `Cancelled. What was made so far is kept in the journal: \`agentcore-auth init${setup}\` resumes it, \`agentcore-auth cleanup${setup}\` undoes it.`;
    case 'connect':
      // connect keeps a setup of its own ("connect" unless --setup says otherwise): a bare `cleanup` would undo
      // the admin's default setup instead.
      return `Cancelled. What was written so far is kept in the journal: the same \`agentcore-auth connect\` command again resumes it, \`agentcore-auth cleanup${setup || ' --setup connect'}\` undoes it.`;
    case 'cleanup':
      return `Cancelled. What is not yet undone is still in the journal: run \`agentcore-auth cleanup${setup}\` again to finish.`;
    default:
      return 'Cancelled.';
  }
}


main(argv)
  .then((code) => {
    // A flow that returned after Ctrl-C was cut short, whatever it concluded.
    if (globalThis.__agentcoreAuthAbort?.signal.aborted) {
      process.stderr.write(`${cancelMessage(argv)}\n`);
      process.exitCode = ExitCode.cancelled;
    } else process.exitCode = code;
  })
  .catch(async (err) => {
    // Lazy: only on the error path.
    const { safeText } = await import('./core/redact.js');
    // After Ctrl-C, whatever a cancelled call threw (an AbortError, the SDK's own, a timeout) is the cancellation.
    const abort = globalThis.__agentcoreAuthAbort?.signal;
    const e = abort?.aborted && !(err instanceof CliError && !(err instanceof CancelledError) && err.code === 'state_write_failed')
      ? (abort.reason instanceof CancelledError ? abort.reason : new CancelledError(cancelMessage(argv)))
      : err;
    process.exitCode = report(e instanceof Error ? e : new Error(String(e)), wantsJson(argv), safeText);
  });
