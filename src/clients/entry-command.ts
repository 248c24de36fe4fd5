/**
 * What a client entry's command line really starts. On Windows npx is npx.cmd, a batch file a client cannot spawn
 * without a shell, so entries run it through cmd: `cmd /c C:\...\npx.cmd -y mcp-remote@0.15.1 <url> ...` (what
 * launcher() in npx.ts writes, and the form Claude Desktop's, Cursor's and VS Code's docs give), also spelled
 * `cmd.exe`, `/C`, or `/d /s /c` (Node's own shell form), sometimes with the rest as one string. Everything that
 * reads an entry takes that wrapper off here first, so `cmd /c <npx> ...rest` reads exactly like `<npx> ...rest`.
 *
 * Pure: strings in, strings out (no file system), so a Windows entry reads the same on any machine.
 */

export interface EntryLaunch {
  /** The program the entry starts after any `cmd /c` (npx, C:\...\npx.cmd, mcp-remote...); undefined when none. */
  program: string | undefined;
  /** Its arguments. */
  args: string[];
  /** The `cmd` wrapper, when the entry has one: cmd's own switches before /c, and whether it was /k. */
  shell?: { command: string; switches: string[]; keep: boolean };
  /** Why the wrapper starts nothing (no /c, nothing after it), in words for a finding. */
  problem?: string;
  /** The entry is shaped for Windows: cmd, a .cmd/.bat/.exe program, a drive-letter path, or a PATH with ";". */
  win32: boolean;
}

/** The last part of a path in either platform's spelling (`C:\nodejs\npx.cmd` -> `npx.cmd`). */
export function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

/** cmd or cmd.exe, by name or path, any case. */
export function isCmdShell(command: string | undefined): boolean {
  return command !== undefined && /^cmd(\.exe)?$/i.test(baseName(command));
}

/** npx, or Windows' npx.cmd (npx.exe too), by name or path. */
export function isNpx(program: string | undefined): boolean {
  return program !== undefined && /^npx(\.cmd|\.exe)?$/i.test(baseName(program));
}

/** The mcp-remote package (`mcp-remote`, `mcp-remote@x`), its bin (also `.cmd` on Windows), or its proxy.js. */
export function isMcpRemoteArg(a: string): boolean {
  if (a === 'mcp-remote' || a.startsWith('mcp-remote@') || /^mcp-remote\.(cmd|exe)$/i.test(a)) return true;
  // a path to its bin, or `node /path/node_modules/mcp-remote/dist/proxy.js ...`
  return /[\\/]mcp-remote(\.cmd|\.exe)?$/i.test(a) || /[\\/]mcp-remote[\\/]dist[\\/]proxy\.js$/.test(a);
}

/** A path or PATH value in Windows' spelling. */
function windowsShaped(value: string | undefined): boolean {
  return value !== undefined && (/^[A-Za-z]:[\\/]/.test(value) || /^\\\\/.test(value) || /\.(cmd|bat|exe|com)$/i.test(value) || /(^|;)[A-Za-z]:\\/.test(value));
}

/**
 * A command line split as a Windows program receives it (the Microsoft C runtime's rules, which node.exe behind
 * npx.cmd uses): whitespace separates; double quotes group; 2n backslashes before a quote are n and the quote
 * groups, 2n+1 are n and a literal quote; other backslashes are literal.
 */
export function splitWindowsCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      let n = 0;
      while (line[i + n] === '\\') n++;
      if (line[i + n] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else quoted = !quoted;
        i += n;
      } else {
        cur += '\\'.repeat(n);
        i += n - 1;
      }
      inWord = true;
    } else if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
      inWord = true;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/**
 * The text after `cmd /c` when it came as one argument: cmd's own quote rule first (`cmd /?`: unless /s is absent
 * and there are exactly two quotes, a leading quote and the last quote on the line are removed), then split.
 */
function splitCmdString(text: string, slashS: boolean): string[] {
  let line = text.trimStart();
  const quotes = (line.match(/"/g) ?? []).length;
  if (line.startsWith('"') && (slashS || quotes !== 2)) {
    const last = line.lastIndexOf('"');
    line = last > 0 ? line.slice(1, last) + line.slice(last + 1) : line.slice(1);
  }
  return splitWindowsCommandLine(line);
}

/** Takes a `cmd [/d] [/s] [/q] /c ...` wrapper off an entry's command line; any other command line as it is. */
export function unwrapLauncher(command: string | undefined, args: readonly string[], env: Record<string, string | undefined> = {}): EntryLaunch {
  const pathLooksWindows = windowsShaped(env.PATH) && env.PATH!.includes(';');
  if (!isCmdShell(command)) {
    return { program: command, args: [...args], win32: windowsShaped(command) || pathLooksWindows };
  }
  const switches: string[] = [];
  let i = 0;
  let terminator: string | undefined;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (/^\/[ck]$/i.test(a)) {
      terminator = a;
      i++;
      break;
    }
    if (/^\/[a-z](:\w+)?$/i.test(a)) switches.push(a);
    else break;
  }
  const shell = { command: command!, switches, keep: terminator !== undefined && terminator.toLowerCase() === '/k' };
  if (terminator === undefined) {
    return {
      program: undefined,
      args: args.slice(i),
      shell,
      win32: true,
      problem: `The entry runs ${[command, ...args.slice(0, i + 1)].join(' ')} without /c: cmd then reads commands from the client's MCP messages instead of starting a server.`,
    };
  }
  let rest = args.slice(i);
  if (rest.length === 1 && /\s/.test(rest[0]!)) rest = splitCmdString(rest[0]!, switches.some((s) => s.toLowerCase() === '/s'));
  if (!rest.length || !rest[0]!.trim()) {
    return { program: undefined, args: [], shell, win32: true, problem: `The entry runs ${[command, ...args].join(' ')} with nothing after ${terminator}: cmd starts nothing, so no server runs (npx.cmd, by path, and the mcp-remote arguments must follow ${terminator}).` };
  }
  return { program: rest[0], args: rest.slice(1), shell, win32: true };
}

/**
 * mcp-remote's own argv (after the package, or after its bin) from an entry's command line, cmd wrapper taken
 * off; undefined when the entry does not run mcp-remote. `version` is `0.15.1` of `mcp-remote@0.15.1`, null
 * when unpinned (`mcp-remote`, `@latest`, `@next`, a bin).
 */
export function mcpRemoteArgv(command: string | undefined, args: readonly string[]): { argv: string[]; version: string | null } | undefined {
  const launch = unwrapLauncher(command, args);
  if (launch.program !== undefined && isMcpRemoteArg(baseName(launch.program))) return { argv: launch.args, version: null };
  const i = launch.args.findIndex(isMcpRemoteArg);
  if (i === -1) return undefined;
  const m = /^mcp-remote@(.+)$/.exec(launch.args[i]!);
  return { argv: launch.args.slice(i + 1), version: m && m[1] !== 'latest' && m[1] !== 'next' ? m[1]! : null };
}

/** mcpRemoteArgv of a config entry read from a file (any JSON): its string command and string args. */
export function entryMcpRemoteArgv(entry: unknown): string[] | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const e = entry as { command?: unknown; args?: unknown };
  const args = Array.isArray(e.args) ? e.args.filter((a): a is string => typeof a === 'string') : [];
  return mcpRemoteArgv(typeof e.command === 'string' ? e.command : undefined, args)?.argv;
}
