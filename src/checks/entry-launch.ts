/**
 * Part of the client-entry check: can the client start the entry's command, with only the entry's env (Kiro
 * passes no PATH or HOME of its own)? POSIX entries are checked with POSIX rules (":" in PATH, `env node` behind
 * npx). A Windows entry (`cmd /c C:\...\npx.cmd ...`) is checked with Windows rules: ";" in PATH, backslashes,
 * cmd.exe found as spawn finds it (.com/.exe), npx.cmd found as cmd finds it (PATHEXT), and npx.cmd's node (its
 * own folder's node.exe, else node on PATH). On a machine that is not Windows its paths cannot be checked: that
 * is said, never reported as a missing file.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, posix, win32 } from 'node:path';
import { baseName, isNpx, type EntryLaunch } from '../clients/entry-command.js';
import type { Problem } from './types.js';

export interface LaunchCheckInput {
  /** The client's name in findings ("Kiro", "Claude Code"). */
  name: string;
  /** `mcpServers."gateway-tools"`: where the fix goes. */
  where: string;
  /** The machine verify runs on (default process.platform). */
  platform?: NodeJS.Platform;
  /** The user's env (SystemRoot on Windows). */
  env: NodeJS.ProcessEnv;
  /** Whether a path names an executable file (default: the file system). Tests give Windows files here. */
  isExecutable?: (path: string) => Promise<boolean>;
}

export interface LaunchEntry {
  command: string | undefined;
  launch: EntryLaunch;
  env: Record<string, string>;
}

async function fsIsExecutable(file: string): Promise<boolean> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return false;
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** node's lookup path when the env given to spawn has no PATH (POSIX). */
export const SPAWN_DEFAULT_PATH = '/usr/bin:/bin';

interface Rules {
  windows: boolean;
  path: typeof posix;
  delimiter: string;
  /** Where a bare command is looked up when the entry sets no PATH. */
  defaultPath: string;
  exists: (file: string) => Promise<boolean>;
}

/**
 * The first of `names` in a folder of `pathValue`. Windows: a name without an extension is tried with each of
 * `exts` (spawn: .com, .exe; cmd: PATHEXT); a name with one is tried as it is.
 */
async function findOnPath(names: string[], pathValue: string, r: Rules, exts: string[] = []): Promise<string | undefined> {
  const candidates = r.windows ? names.flatMap((n) => (/\.[A-Za-z0-9]+$/.test(n) ? [n] : exts.map((e) => `${n}${e}`))) : names;
  for (const dir of pathValue.split(r.delimiter).filter(Boolean)) {
    for (const name of candidates) {
      const candidate = r.path.join(dir, name);
      if (await r.exists(candidate)) return candidate;
    }
  }
  return undefined;
}

const SPAWN_EXTS = ['.com', '.exe'];
const PATHEXT = ['.com', '.exe', '.bat', '.cmd'];

/** Problems starting the entry's command (none: the client can start it). */
export async function commandProblems(p: LaunchEntry, input: LaunchCheckInput): Promise<Problem[]> {
  const problems: Problem[] = [];
  const { name, where } = input;
  const command = p.command!;
  const platform = input.platform ?? process.platform;
  const launch = p.launch;
  const entryPath = p.env.PATH;

  if (launch.problem) {
    problems.push({ status: 'fail', finding: launch.problem, fix: `Write "command": "cmd", "args": ["/c", "<path to npx.cmd>", "-y", "mcp-remote@…", …] in ${where} (\`agentcore-auth init\` or connect writes it).` });
    return problems;
  }
  if (launch.win32 && platform !== 'win32') {
    const shown = [command, ...(launch.shell ? [...launch.shell.switches, launch.shell.keep ? '/k' : '/c'] : []), launch.program ?? ''].join(' ').trim();
    problems.push({
      status: 'warn',
      finding: `The entry is written for Windows (${shown}): ${name} on this ${platform} machine cannot start it, and its Windows paths are not checked here.`,
      fix: `If ${name} on this machine reads this file, run \`agentcore-auth init\` (or connect) here to write an entry for this machine; otherwise run verify on the Windows machine.`,
    });
    return problems;
  }
  const windows = platform === 'win32';
  const systemRoot = input.env.SystemRoot || input.env.windir || 'C:\\Windows';
  const r: Rules = {
    windows,
    path: windows ? win32 : posix,
    delimiter: windows ? ';' : ':',
    defaultPath: windows ? win32.join(systemRoot, 'System32') : SPAWN_DEFAULT_PATH,
    exists: input.isExecutable ?? fsIsExecutable,
  };
  const searched = entryPath ?? r.defaultPath;
  const noPathWords = `the default path ${r.defaultPath} (the entry sets no PATH and ${name === 'Kiro' ? 'Kiro passes none' : 'GUI clients pass none'})`;

  // The command the client spawns (npx itself on POSIX, cmd on Windows).
  const batch = windows && !launch.shell && (/\.(cmd|bat)$/i.test(command) || /^npx$/i.test(baseName(command)));
  if (batch) {
    problems.push({
      status: 'warn',
      finding: `On Windows ${baseName(command)} is a batch file (npx.cmd): a client that starts servers without a shell (Node's spawn refuses .cmd files) cannot start it.`,
      fix: `Run it through cmd: "command": "cmd", "args": ["/c", "<path to npx.cmd>", …] in ${where} (\`agentcore-auth init\` or connect writes that).`,
    });
  }
  if (command.includes('/') || command.includes('\\')) {
    if (!r.path.isAbsolute(command)) {
      problems.push({ status: 'warn', finding: `The command ${command} is a relative path: it depends on the folder ${name} starts servers in.`, fix: `Use an absolute path for "command".` });
    } else if (!(await r.exists(command))) {
      problems.push({ status: 'fail', finding: `The command ${command} does not exist or is not executable: ${name} cannot start the server.`, fix: 'Run `agentcore-auth init` (or connect) again (it writes the npx it finds: next to node, else on PATH), or fix "command".' });
    }
  } else if (!(await findOnPath([command], searched, r, batch ? PATHEXT : SPAWN_EXTS))) {
    problems.push({
      status: 'fail',
      finding: `The command "${command}" is not on ${entryPath ? "the entry's env.PATH" : noPathWords}: ${name} cannot start it.`,
      fix: `Give "command" as an absolute path, or add its folder to env.PATH in ${where}.`,
    });
  }

  // Windows: the program after cmd /c, found as cmd finds it.
  let program = launch.program;
  if (launch.shell && program !== undefined) {
    if (program.includes('\\') || program.includes('/')) {
      if (!win32.isAbsolute(program)) {
        problems.push({ status: 'warn', finding: `${program} after ${launch.shell.keep ? '/k' : '/c'} is a relative path: it depends on the folder ${name} starts servers in.`, fix: 'Give npx.cmd by its absolute path.' });
      } else if (!(await r.exists(program))) {
        problems.push({ status: 'fail', finding: `${program} (after ${launch.shell.keep ? '/k' : '/c'}) does not exist: cmd says it "is not recognized" and no server starts.`, fix: 'Run `agentcore-auth init` (or connect) again (it writes the npx.cmd next to the current node), or fix the path in args.' });
      }
    } else {
      const found = await findOnPath([program], searched, r, PATHEXT);
      if (!found) {
        problems.push({ status: 'fail', finding: `cmd cannot find "${program}" on ${entryPath ? "the entry's env.PATH" : noPathWords}: it says it "is not recognized" and no server starts.`, fix: `Give npx.cmd by its absolute path after /c, or add its folder to env.PATH in ${where}.` });
      } else program = found;
    }
    if (launch.shell.keep) {
      problems.push({ status: 'warn', finding: 'The entry runs cmd /k: cmd stays open after the server exits, so the client does not see it stop.', fix: 'Use /c instead of /k.' });
    }
  }

  // npx starts node: POSIX through PATH (#!/usr/bin/env node); npx.cmd its own folder's node.exe, else PATH's.
  if (isNpx(program ?? command)) {
    if (!windows) {
      if (!(await findOnPath(['node'], searched, r))) {
        problems.push({
          status: 'fail',
          finding: `npx starts node through PATH (#!/usr/bin/env node), and node is not on ${entryPath ? "the entry's env.PATH" : 'the default path (no env.PATH)'}.`,
          fix: `Put node's folder (${dirname(process.execPath)}) first in env.PATH in ${where}.`,
        });
      }
    } else {
      const npx = program ?? command;
      const beside = win32.isAbsolute(npx) ? win32.join(win32.dirname(npx), 'node.exe') : undefined;
      if (!(beside && (await r.exists(beside))) && !(await findOnPath(['node'], searched, r, PATHEXT))) {
        problems.push({
          status: 'fail',
          finding: `${baseName(npx)} runs node.exe from its own folder, else node through PATH, and node is in neither ${beside ? win32.dirname(npx) : 'its folder'} nor ${entryPath ? "the entry's env.PATH" : 'the default path (no env.PATH)'}.`,
          fix: `Put node's folder${platform === 'win32' ? ` (${win32.dirname(process.execPath)})` : ''} first in env.PATH in ${where}.`,
        });
      }
    }
  }

  // Windows' mcp-remote keeps its cache under USERPROFILE (Node's homedir), which the launcher writes beside HOME.
  const missingEnv = ['PATH', 'HOME'].filter((k) => !p.env[k] && !(k === 'HOME' && windows && p.env.USERPROFILE));
  if (missingEnv.length) {
    problems.push({
      status: 'warn',
      finding: `The entry's env has no ${missingEnv.join(' or ')}: ${name === 'Kiro' ? 'Kiro passes' : 'Kiro and GUI clients pass'} none of its own to servers${missingEnv.includes('HOME') ? ', and HOME decides where mcp-remote caches the login' : ''}.`,
      fix: `Add ${missingEnv.map((k) => `"${k}"`).join(' and ')} to env in ${where} (agentcore-auth init writes both).`,
    });
  }
  return problems;
}
