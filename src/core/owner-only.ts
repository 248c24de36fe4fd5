/**
 * Files and folders only the current user may read, on Windows too. On POSIX a mode (0600, 0700) says it; on
 * win32 a mode does nothing (only the read-only bit), so the file's ACL is replaced with one entry for the
 * current user: `icacls <path> /inheritance:r /grant:r <DOMAIN\user>:F` (a folder: `:(OI)(CI)F`, so what is
 * created in it later inherits that one entry). icacls's documented switches: `/inheritance:r` removes every
 * inherited ACE, `/grant:r` replaces the user's explicit grants instead of adding to them, `(OI)(CI)` are
 * object- and container-inherit, `F` full access.
 *
 * A failure is never silent: the outcome carries a warning that says the file may be readable by other users
 * and the exact icacls command that fixes it; `keepOwnerOnly` hands it to the warner the CLI configured
 * (its logger), else to process.emitWarning. icacls runs by absolute path (%SystemRoot%\System32), never
 * through a shell and never found through the current folder (a repository could hold an icacls.exe).
 */
import { userInfo } from 'node:os';
import { dirname, resolve, win32 } from 'node:path';

export type OwnerOnlyKind = 'file' | 'dir';

/** Runs icacls: resolves when it exits 0, rejects (with its output in the message) otherwise. */
export type IcaclsRunner = (program: string, args: string[]) => Promise<void>;

export interface OwnerOnlyOptions {
  /** The machine's platform (default process.platform): only win32 does anything. */
  platform?: NodeJS.Platform;
  /** USERDOMAIN, USERNAME, SystemRoot (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The account name (default os.userInfo().username, else USERNAME). */
  username?: string;
  run?: IcaclsRunner;
}

export type OwnerOnlyOutcome =
  | { status: 'not-needed' }
  | { status: 'restricted'; command: string; inherited?: boolean }
  | { status: 'failed'; reason: string; command: string; warning: string };

/** `DOMAIN\user` when USERDOMAIN is set, else the bare user name; undefined when neither is known. */
export function windowsAccount(env: NodeJS.ProcessEnv = process.env, username?: string): string | undefined {
  let user = username;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = undefined;
    }
  }
  user ||= env.USERNAME;
  if (!user) return undefined;
  return env.USERDOMAIN ? `${env.USERDOMAIN}\\${user}` : user;
}

/** The argv after icacls that leaves `path` to `account` alone (full control; a folder's grant is inherited). */
export function icaclsArgs(path: string, account: string, kind: OwnerOnlyKind): string[] {
  return [path, '/inheritance:r', '/grant:r', `${account}:${kind === 'dir' ? '(OI)(CI)F' : 'F'}`];
}

/** icacls by absolute path: %SystemRoot%\System32\icacls.exe. */
export function icaclsProgram(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(env.SystemRoot || env.windir || 'C:\\Windows', 'System32', 'icacls.exe');
}

/** The same command as a user types it (cmd or PowerShell). */
export function icaclsCommandLine(path: string, account: string, kind: OwnerOnlyKind): string {
  const [p, ...rest] = icaclsArgs(path, account, kind);
  return `icacls "${p}" ${rest.slice(0, -1).join(' ')} "${rest.at(-1)}"`;
}

export function ownerOnlyWarning(path: string, kind: OwnerOnlyKind, reason: string, command: string): string {
  const what = kind === 'dir' ? 'The folder' : 'The file';
  return `${what} ${path} may be readable by other users of this computer: limiting it to you failed (${reason}). Fix: ${command}`;
}

const defaultRunner: IcaclsRunner = async (program, args) => {
  const { execFile } = await import('node:child_process');
  await new Promise<void>((res, rej) => {
    execFile(program, args, { windowsHide: true, timeout: 15_000 }, (err, stdout, stderr) => {
      if (!err) return res();
      const said = `${String(stderr)}\n${String(stdout)}`.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      const code = (err as NodeJS.ErrnoException).code;
      rej(new Error(said.length ? said.slice(0, 2).join(' ') : code === 'ENOENT' ? `${program} was not found` : err.message));
    });
  });
};

/**
 * Leaves `path` readable and writable by the current user alone. A no-op (nothing is spawned) except on win32.
 * `shownAs` names the file in the warning and the fix (a temp file that is renamed over it: its final name).
 */
export async function restrictToOwner(path: string, kind: OwnerOnlyKind, opts: OwnerOnlyOptions & { shownAs?: string } = {}): Promise<OwnerOnlyOutcome> {
  if ((opts.platform ?? process.platform) !== 'win32') return { status: 'not-needed' };
  const env = opts.env ?? process.env;
  const shown = opts.shownAs ?? path;
  const account = windowsAccount(env, opts.username);
  if (!account) {
    const command = icaclsCommandLine(shown, '%USERDOMAIN%\\%USERNAME%', kind);
    return { status: 'failed', reason: 'the current user name is unknown', command, warning: ownerOnlyWarning(shown, kind, 'the current user name is unknown', command) };
  }
  const command = icaclsCommandLine(shown, account, kind);
  try {
    await (opts.run ?? defaultRunner)(icaclsProgram(env), icaclsArgs(path, account, kind));
    return { status: 'restricted', command };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { status: 'failed', reason, command, warning: ownerOnlyWarning(shown, kind, reason, command) };
  }
}

// ---------------------------------------------------------------------------------------------
// Process-wide: what the CLI configured, and the folders already restricted in this run

interface Settings extends OwnerOnlyOptions {
  warn?: (message: string) => void;
}

let settings: Settings = {};
const restrictedDirs = new Set<string>();
const warned = new Set<string>();

/**
 * The CLI sets `warn` (its logger); tests set `platform` and `run` to see what would run on Windows. Resets the
 * memory of restricted folders and given warnings.
 */
export function configureOwnerOnly(next: Settings = {}): void {
  settings = { ...next };
  restrictedDirs.clear();
  warned.clear();
}

/**
 * restrictToOwner with the configured platform, runner and warner: a failure becomes one warning per path. A
 * file this process just created (`newFile`) in a folder it restricted already inherits the owner-only entry,
 * so nothing is spawned for it; a folder restricted once in this run is not restricted again.
 */
export async function keepOwnerOnly(path: string, kind: OwnerOnlyKind, opts: { shownAs?: string; newFile?: boolean } = {}): Promise<OwnerOnlyOutcome> {
  if ((settings.platform ?? process.platform) !== 'win32') return { status: 'not-needed' };
  const abs = resolve(path);
  if (kind === 'dir' && restrictedDirs.has(abs)) return { status: 'restricted', command: '', inherited: true };
  if (kind === 'file' && opts.newFile && restrictedDirs.has(dirname(abs))) return { status: 'restricted', command: '', inherited: true };
  const outcome = await restrictToOwner(path, kind, { ...settings, ...(opts.shownAs ? { shownAs: opts.shownAs } : {}) });
  if (outcome.status === 'restricted' && kind === 'dir') restrictedDirs.add(abs);
  if (outcome.status === 'failed') {
    const key = resolve(opts.shownAs ?? path);
    if (!warned.has(key)) {
      warned.add(key);
      if (settings.warn) settings.warn(outcome.warning);
      else process.emitWarning(outcome.warning, { code: 'AGENTCORE_AUTH_OWNER_ONLY' });
    }
  }
  return outcome;
}
