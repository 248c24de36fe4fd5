/**
 * Help text, "did you mean", and the command table's shape for shell completion. Light on purpose: --help must
 * stay within 2x of a bare `node -e 0`, so nothing here imports more than the command specs.
 */
import { GLOBAL_OPTIONS } from './global.js';
export { suggest } from '../core/text.js';
import type { CommandSpec, OptionSpec } from './types.js';

/** The terminal's width for help (stdout), within sensible bounds; 100 when it is not a terminal. */
export function helpWidth(): number {
  const cols = process.stdout.isTTY ? process.stdout.columns : undefined;
  return Math.max(60, Math.min(cols ?? 100, 120));
}

/** Words of `text` in lines of at most `width` characters (a word longer than that gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

function flagLeft(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : '    '}--${name}${o.placeholder ? ` <${o.placeholder}>` : ''}`;
}

/** Flags as aligned, wrapped rows, under a heading per group (in the order groups first appear). */
export function optionSections(options: Record<string, OptionSpec>, defaultHeading: string, width = helpWidth()): string[] {
  const entries = Object.entries(options);
  if (!entries.length) return [];
  const left = Math.min(38, Math.max(...entries.map(([n, o]) => flagLeft(n, o).length)) + 2);
  const descWidth = Math.max(30, width - 2 - left);
  const groups = new Map<string, string[]>();
  for (const [name, o] of entries) {
    const heading = o.group ?? defaultHeading;
    const rows = groups.get(heading) ?? [];
    const l = flagLeft(name, o);
    const desc = wrap(o.description + (o.multiple ? ' (repeatable)' : ''), descWidth);
    if (l.length >= left) rows.push(`  ${l}`, ...desc.map((d) => `  ${' '.repeat(left)}${d}`));
    else rows.push(`  ${l.padEnd(left)}${desc[0]}`, ...desc.slice(1).map((d) => `  ${' '.repeat(left)}${d}`));
    groups.set(heading, rows);
  }
  const out: string[] = [];
  for (const [heading, rows] of groups) out.push('', `${heading}:`, ...rows);
  return out.slice(1);
}

/** The global flags a command takes that do something for it. */
export function globalsFor(spec: Pick<CommandSpec, 'globals'>): Record<string, OptionSpec> {
  if (!spec.globals) return GLOBAL_OPTIONS;
  return Object.fromEntries(Object.entries(GLOBAL_OPTIONS).filter(([k]) => spec.globals!.includes(k) || k === 'help'));
}

export function commandHelp(spec: CommandSpec, width = helpWidth()): string {
  return [
    ...wrap(`${spec.summary}.`, width),
    '',
    ...wrap(`Usage: ${spec.usage}`, width).map((l, i) => (i ? `         ${l}` : l)),
    ...(Object.keys(spec.options).length ? ['', ...optionSections(spec.options, 'Flags', width)] : []),
    '',
    ...optionSections(Object.fromEntries(Object.entries(globalsFor(spec)).map(([k, o]) => [k, { ...o, group: 'Global flags' }])), 'Global flags', width),
    ...(spec.notes?.length ? ['', ...spec.notes.flatMap((n) => wrap(n, width))] : []),
    ...(spec.examples?.length ? ['', 'Examples:', ...spec.examples.map((e) => `  ${e}`)] : []),
  ].join('\n');
}

/** node:util parseArgs' messages, said the way the rest of the CLI says things. */
export function translateParseError(msg: string, command: string): string {
  let m = /^Option '(?:-\w, )?(-{1,2}[^ ',]+)(?: <value>)?' argument missing/.exec(msg);
  if (m) return `${m[1]} needs a value.`;
  m = /^Option '(?:-\w, )?(-{1,2}[^ ',]+)' does not take an argument/.exec(msg);
  if (m) return `${m[1]} is an on/off flag and takes no value.`;
  m = /^Option '(?:-\w, )?(-{1,2}[^ ',]+)(?: <value>)?' argument is ambiguous/.exec(msg);
  if (m) return `${m[1]} needs a value, but the next word is a flag. (A value that starts with "-" is written ${m[1]}=VALUE.)`;
  m = /^Unexpected argument '([^']*)'/.exec(msg);
  if (m) return `'${command}' takes no argument '${m[1]}'.`;
  return msg.replace(/\. To specify.*$/s, '.');
}
