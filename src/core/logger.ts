import { Chalk } from 'chalk';
import { redact } from './redact.js';

/** Human output goes to stderr (stdout is reserved for --json and for data). Every line is redacted. */
export interface Logger {
  info(msg: string): void;
  step(msg: string): void;
  success(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export interface LoggerOptions {
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
  stream?: NodeJS.WritableStream;
}

export type Style = 'dim' | 'green' | 'yellow' | 'red' | 'cyan' | 'bold';

// Colour is decided by the caller (a TTY on stderr, NO_COLOR unset), not by chalk's stdout detection.
const colored = new Chalk({ level: 1 });

export function paint(enabled: boolean, style: Style, text: string): string {
  return enabled ? colored[style](text) : text;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const color = opts.color ?? (Boolean((stream as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR);
  const write = (line: string) => stream.write(`${redact(line)}\n`);
  return {
    info: (m) => !opts.quiet && write(m),
    step: (m) => !opts.quiet && write(`${paint(color, 'cyan', '›')} ${m}`),
    success: (m) => !opts.quiet && write(`${paint(color, 'green', '✔')} ${m}`),
    warn: (m) => write(`${paint(color, 'yellow', '!')} ${m}`),
    error: (m) => write(`${paint(color, 'red', '✖')} ${m}`),
    debug: (m) => opts.verbose && write(paint(color, 'dim', `  ${m}`)),
  };
}

/** A logger that keeps lines in memory: for tests and for in-process composition (demo). */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (p: string) => (m: string) => void lines.push(`${p}${redact(m)}`);
  return { lines, info: push(''), step: push('› '), success: push('✔ '), warn: push('! '), error: push('✖ '), debug: push('  ') };
}
