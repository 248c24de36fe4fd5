/**
 * The write-ahead state journal: one JSON file per setup under ~/.agentcore-auth/setups/ (mode 0600).
 * Every external change is recorded as an intent before it happens and completed with its result
 * (ids) after, so cleanup can always undo it, even after a crash. A lock file names the holder's pid.
 */
import { constants } from 'node:fs';
import { open, readFile, readdir, rm, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, UsageError } from '../core/errors.js';
import { ensureDir, fsWriteError, readTextIfExists, writeFileAtomic } from '../core/fs.js';
import { keepOwnerOnly } from '../core/owner-only.js';

export const JOURNAL_VERSION = 1;

export type EntryKind = 'idp-app' | 'idp-access' | 'gateway-create' | 'gateway-authorizer' | 'client-entry';
export type EntryState = 'intent' | 'done' | 'failed' | 'undone';

export interface JournalEntry {
  seq: number;
  kind: EntryKind;
  state: EntryState;
  /** What we were about to do, with everything needed to find or undo it. */
  intent: Record<string, unknown>;
  /** What happened: ids, previous values. */
  result?: Record<string, unknown>;
  error?: string;
  at: string;
  updatedAt: string;
}

/** The non-secret answers of a setup: enough for verify, status and cleanup to work without flags. */
export interface SetupConfig {
  provider?: string;
  issuer?: string;
  discoveryUrl?: string;
  clientId?: string;
  scopes?: string[];
  resource?: string;
  gatewayId?: string;
  gatewayUrl?: string;
  region?: string;
  endpointUrl?: string;
  profile?: string;
  callbackPort?: number;
  callbackHost?: 'localhost' | '127.0.0.1';
  serverName?: string;
  client?: string;
  clientConfigPath?: string;
  mcpRemoteArgs?: string[];
  /** The provider's own (non-secret) init options, to rebuild its adapter in cleanup, verify and status. */
  providerOptions?: Record<string, string | boolean | string[] | undefined>;
  [key: string]: unknown;
}

export interface JournalDoc {
  version: number;
  setup: string;
  createdAt: string;
  updatedAt: string;
  /** 'in-progress' while init runs, 'ready' after it finished, 'removed' after cleanup. */
  status: 'in-progress' | 'ready' | 'failed' | 'removed';
  config: SetupConfig;
  entries: JournalEntry[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function validateSetupName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(`Invalid setup name "${name}".`, { fix: 'Use letters, digits, "-" and "_" (at most 63), e.g. --setup team-gw.' });
  }
  return name;
}

export function setupsDir(stateDir: string): string {
  return join(stateDir, 'setups');
}

export function journalPath(stateDir: string, setup: string): string {
  return join(setupsDir(stateDir), `${setup}.json`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function parseJournal(text: string, path: string): JournalDoc {
  let doc: JournalDoc;
  try {
    doc = JSON.parse(text) as JournalDoc;
  } catch {
    throw new CliError(`The state journal ${path} is corrupt (not JSON).`, {
      code: 'journal_corrupt',
      fix: `Move it aside (mv ${path} ${path}.broken) and remove the resources it listed by hand, or restore it from a backup.`,
    });
  }
  const corrupt = (what: string) =>
    new CliError(`The state journal ${path} is corrupt (${what}).`, {
      code: 'journal_corrupt',
      fix: `Move it aside (mv ${path} ${path}.broken) and remove the resources it listed by hand, or restore it from a backup.`,
    });
  if (!isObject(doc)) throw corrupt('not a JSON object');
  if (typeof doc.version !== 'number' || !Array.isArray(doc.entries)) throw corrupt('no version or entries');
  if (doc.version > JOURNAL_VERSION) {
    throw new CliError(`The state journal ${path} was written by a newer agentcore-auth (schema ${doc.version}, this one reads ${JOURNAL_VERSION}).`, {
      code: 'journal_newer',
      fix: 'Upgrade agentcore-auth (npm i -g agentcore-auth@latest) and run again.',
    });
  }
  if (doc.config !== undefined && !isObject(doc.config)) throw corrupt('"config" is not an object');
  doc.config ??= {};
  doc.entries.forEach((e, i) => {
    const why = entryProblem(e);
    if (why) throw corrupt(`entry ${i + 1}: ${why}`);
  });
  // The values the flows read as strings, lists and numbers are that, or absent.
  const c = doc.config as Record<string, unknown>;
  for (const k of ['provider', 'issuer', 'discoveryUrl', 'clientId', 'gatewayId', 'gatewayUrl', 'region', 'endpointUrl', 'profile', 'serverName', 'client', 'clientConfigPath', 'kind', 'teamProfile']) {
    if (c[k] !== undefined && typeof c[k] !== 'string') throw corrupt(`"config.${k}" is not a string`);
  }
  for (const k of ['scopes', 'mcpRemoteArgs', 'clients']) if (c[k] !== undefined && !Array.isArray(c[k])) throw corrupt(`"config.${k}" is not a list`);
  if (c.callbackPort !== undefined && typeof c.callbackPort !== 'number') throw corrupt('"config.callbackPort" is not a number');
  return doc;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const KINDS: EntryKind[] = ['idp-app', 'idp-access', 'gateway-create', 'gateway-authorizer', 'client-entry'];
const STATES: EntryState[] = ['intent', 'done', 'failed', 'undone'];

/** Why a journal entry cannot be acted on (undefined when it can). */
function entryProblem(e: unknown): string | undefined {
  if (!isObject(e)) return 'not an object';
  if (typeof e.seq !== 'number') return 'no "seq" number';
  if (!KINDS.includes(e.kind as EntryKind)) return `unknown kind ${JSON.stringify(e.kind)}`;
  if (!STATES.includes(e.state as EntryState)) return `unknown state ${JSON.stringify(e.state)}`;
  if (!isObject(e.intent)) return '"intent" is not an object';
  if (e.result !== undefined && !isObject(e.result)) return '"result" is not an object';
  if (e.kind === 'client-entry' && (typeof e.intent.path !== 'string' || typeof e.intent.serverName !== 'string')) return 'a client entry without its file and server name';
  return undefined;
}

export async function readJournal(stateDir: string, setup: string): Promise<JournalDoc | null> {
  const path = journalPath(stateDir, validateSetupName(setup));
  const text = await readTextIfExists(path, { what: 'state journal' });
  return text === null ? null : parseJournal(text, path);
}

export async function listSetups(stateDir: string): Promise<string[]> {
  try {
    const names = await readdir(setupsDir(stateDir));
    return names.filter((n) => n.endsWith('.json') && !n.includes('.secrets')).map((n) => n.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

export class Journal {
  private constructor(
    readonly stateDir: string,
    readonly setup: string,
    public doc: JournalDoc,
    private readonly lockPath: string | null,
  ) {}

  get path(): string {
    return journalPath(this.stateDir, this.setup);
  }

  /** Opens (or, with create, starts) the setup's journal and takes its lock. */
  static async open(stateDir: string, setup: string, opts: { create: boolean; dryRun?: boolean }): Promise<Journal> {
    validateSetupName(setup);
    const dir = setupsDir(stateDir);
    let doc = await readJournal(stateDir, setup);
    if (!doc) {
      if (!opts.create) {
        const known = await listSetups(stateDir);
        throw new CliError(`No setup named "${setup}" in ${dir}.`, {
          code: 'unknown_setup',
          fix: known.length ? `Known setups: ${known.join(', ')} (pick one with --setup NAME).` : 'Run `agentcore-auth init` first, or pass --gateway-url to verify a gateway directly.',
        });
      }
      const now = new Date().toISOString();
      doc = { version: JOURNAL_VERSION, setup, createdAt: now, updatedAt: now, status: 'in-progress', config: {}, entries: [] };
    }
    if (opts.dryRun) return new Journal(stateDir, setup, doc, null);
    // 0700 (on win32: an ACL for the current user alone, src/core/owner-only.ts), for the state folder and the
    // setups folder the journal, its secrets and its lock live in.
    await ensureDir(dir, 0o700);
    await clearRemoved(stateDir, setup);
    await chmod(stateDir, 0o700).catch(() => undefined);
    await keepOwnerOnly(stateDir, 'dir');
    const lockPath = join(dir, `${setup}.lock`);
    await Journal.lock(lockPath, setup);
    // Nothing is written until the first change: a run that stops before changing anything (a declined
    // confirmation, a refused preflight) leaves no journal behind.
    return new Journal(stateDir, setup, doc, lockPath);
  }

  private static async lock(lockPath: string, setup: string): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(lockPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
        try {
          await fh.writeFile(`${process.pid}\n`);
        } catch (err) {
          await fh.close().catch(() => undefined);
          await rm(lockPath, { force: true });
          throw fsWriteError(err, lockPath, 'the lock file', 'run the command again. Nothing was changed.');
        }
        await fh.close();
        await keepOwnerOnly(lockPath, 'file', { newFile: true });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsWriteError(err, lockPath, 'the lock file', 'run the command again. Nothing was changed.');
        const pid = Number.parseInt((await readFile(lockPath, 'utf8').catch(() => '')).trim(), 10);
        if (Number.isFinite(pid) && pid !== process.pid && pidAlive(pid)) {
          throw new CliError(`Setup "${setup}" is in use by another agentcore-auth run (pid ${pid}).`, {
            code: 'locked',
            fix: `Wait for it to finish, or stop it (kill ${pid}). If no such run exists, delete ${lockPath}.`,
          });
        }
        await rm(lockPath, { force: true }); // stale lock: its holder is gone
      }
    }
  }

  async release(): Promise<void> {
    if (this.lockPath) await rm(this.lockPath, { force: true });
  }

  async save(): Promise<void> {
    if (!this.lockPath) return; // dry run
    this.doc.updatedAt = new Date().toISOString();
    // Atomic: the new version is written beside the old one and renamed over it, so a failed write leaves the
    // last complete journal, which init resumes from and cleanup finishes.
    try {
      await writeFileAtomic(this.path, `${JSON.stringify(this.doc, null, 2)}\n`, { mode: 0o600 });
    } catch (err) {
      throw fsWriteError(err, this.path, 'the setup journal', `\`agentcore-auth init${this.setupFlag}\` resumes and \`agentcore-auth cleanup${this.setupFlag}\` undoes what the journal recorded (a step whose outcome it could not record is named as a manual step).`);
    }
  }

  private get setupFlag(): string {
    return this.setup === 'default' ? '' : ` --setup ${this.setup}`;
  }

  async setConfig(patch: Partial<SetupConfig>): Promise<void> {
    this.doc.config = { ...this.doc.config, ...patch };
    await this.save();
  }

  async setStatus(status: JournalDoc['status']): Promise<void> {
    this.doc.status = status;
    await this.save();
  }

  /** Entries of a kind that are (or may be) live: done, or an intent whose outcome is unknown. */
  live(kind?: EntryKind): JournalEntry[] {
    return this.doc.entries.filter((e) => (!kind || e.kind === kind) && (e.state === 'done' || e.state === 'intent'));
  }

  find(kind: EntryKind): JournalEntry | undefined {
    return this.live(kind).at(-1);
  }

  /** Write-ahead: the intent is on disk before the external call is made. */
  async intend(kind: EntryKind, intent: Record<string, unknown>): Promise<JournalEntry> {
    const now = new Date().toISOString();
    const entry: JournalEntry = { seq: (this.doc.entries.at(-1)?.seq ?? 0) + 1, kind, state: 'intent', intent, at: now, updatedAt: now };
    this.doc.entries.push(entry);
    await this.save();
    return entry;
  }

  async done(entry: JournalEntry, result: Record<string, unknown>): Promise<void> {
    entry.state = 'done';
    entry.result = { ...entry.result, ...result };
    entry.updatedAt = new Date().toISOString();
    await this.save();
  }

  async failed(entry: JournalEntry, error: string): Promise<void> {
    entry.state = 'failed';
    entry.error = error;
    entry.updatedAt = new Date().toISOString();
    await this.save();
  }

  async undone(entry: JournalEntry, note?: string): Promise<void> {
    entry.state = 'undone';
    if (note) entry.result = { ...entry.result, undoNote: note };
    entry.updatedAt = new Date().toISOString();
    await this.save();
  }

  // Secrets live beside the journal in a 0600 file of their own, never in the journal itself.
  private get secretsPath(): string {
    return join(setupsDir(this.stateDir), `${this.setup}.secrets.json`);
  }

  async getSecrets(): Promise<Record<string, string>> {
    const text = await readTextIfExists(this.secretsPath, { what: 'secrets file' });
    if (text === null) return {};
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) {
      throw new CliError(`The secrets file ${this.secretsPath} is corrupt (not a JSON object of strings).`, {
        code: 'journal_corrupt',
        fix: `Move it aside (mv ${this.secretsPath} ${this.secretsPath}.broken): what it held (RFC 7592 registration tokens) is then lost, and the IdP apps it served must be deleted in the IdP's console.`,
      });
    }
    return v as Record<string, string>;
  }

  async setSecret(key: string, value: string | undefined): Promise<void> {
    if (!this.lockPath) return;
    const s = await this.getSecrets();
    if (value === undefined) delete s[key];
    else s[key] = value;
    if (Object.keys(s).length === 0) await rm(this.secretsPath, { force: true });
    else {
      await writeFileAtomic(this.secretsPath, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 }).catch((err: unknown) => {
        throw fsWriteError(err, this.secretsPath, 'the setup secrets file', `\`agentcore-auth cleanup${this.setupFlag}\` undoes what the journal recorded.`);
      });
    }
  }
}

/**
 * After a complete cleanup only a tombstone is left (`<setup>.removed`: a date, nothing else), so a second
 * cleanup can say "already cleaned up" (exit 0) while a mistyped setup name is an error.
 */
export async function markRemoved(stateDir: string, setup: string): Promise<void> {
  await writeFileAtomic(join(setupsDir(stateDir), `${setup}.removed`), `${new Date().toISOString()}\n`, { mode: 0o600 });
}

export async function removedAt(stateDir: string, setup: string): Promise<string | null> {
  try {
    return (await readTextIfExists(join(setupsDir(stateDir), `${setup}.removed`), { limit: 1024, what: 'tombstone' }))?.trim() ?? null;
  } catch {
    return null;
  }
}

export async function clearRemoved(stateDir: string, setup: string): Promise<void> {
  await rm(join(setupsDir(stateDir), `${setup}.removed`), { force: true });
}
