import { Chalk } from 'chalk';
import { safeText, safeTextKeepingColour } from './redact.js';

/**
 * Human output goes to stderr (stdout is reserved for --json and for data). Every line is redacted and made
 * terminal-safe (src/core/redact.ts safeText): no escape sequence or control character from a profile, a
 * config file or an HTTP response reaches the terminal. Our own colours are added after that, to our own
 * prefixes, or to text rendered with `styled` (which makes every piece safe before it paints it).
 */
export interface Logger {
  info(msg: string): void;
  step(msg: string): void;
  success(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
  /** Text that `styled` rendered: already safe, its colours kept. */
  styled(text: StyledText): void;
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

declare const styledBrand: unique symbol;
/** Lines built by `styled`: each piece of text was made safe before our colours were added. */
export type StyledText = string & { readonly [styledBrand]: true };

/** One line of pieces, each plain or in one of our styles. */
export type StyledLine = Array<string | [Style, string]>;

/** Renders lines of pieces: every piece is redacted and stripped of control characters, then painted. */
export function styled(lines: StyledLine[], color: boolean): StyledText {
  return lines
    .map((line) => line.map((piece) => (typeof piece === 'string' ? safeText(piece) : paint(color, piece[0], safeText(piece[1])))).join(''))
    .join('\n') as StyledText;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const color = opts.color ?? (Boolean((stream as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR);
  const write = (prefix: string, msg: string) => stream.write(`${prefix}${safeText(msg)}\n`);
  return {
    info: (m) => !opts.quiet && write('', m),
    step: (m) => !opts.quiet && write(`${paint(color, 'cyan', '›')} `, m),
    success: (m) => !opts.quiet && write(`${paint(color, 'green', '✔')} `, m),
    warn: (m) => write(`${paint(color, 'yellow', '!')} `, m),
    error: (m) => write(`${paint(color, 'red', '✖')} `, m),
    debug: (m) => opts.verbose && stream.write(`${paint(color, 'dim', `  ${safeText(m)}`)}\n`),
    styled: (t) => !opts.quiet && stream.write(`${safeTextKeepingColour(t)}\n`),
  };
}

/** A logger that keeps lines in memory: for tests and for in-process composition (demo). */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (p: string) => (m: string) => void lines.push(`${p}${safeText(m)}`);
  return { lines, info: push(''), step: push('› '), success: push('✔ '), warn: push('! '), error: push('✖ '), debug: push('  '), styled: (t) => void lines.push(safeTextKeepingColour(t)) };
}
