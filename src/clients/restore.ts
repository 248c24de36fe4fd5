/**
 * Undoing one client entry exactly (cleanup, and rollback of a failed run).
 *
 * What the write recorded (src/steps/write-client.ts) decides the undo:
 *   - `origin`: the file before this setup's first write: created by it (with the folders it made), or its
 *     backup (the original bytes, in the state folder);
 *   - `writtenSha256`: the file's bytes right after our last write;
 *   - `previousEntry` / `previousText`: the entry that stood under our name before (value and raw text);
 *   - `previousOwner` / `inheritedOrigin`: when that entry was another live setup's, which one, and its origin.
 * When the file is still exactly what we wrote, the origin comes back byte for byte (the file deleted with the
 * folders we made, or the backup's bytes written back). When someone changed the file since, only our member
 * changes back: removed, or the previous entry's own text put back; every other byte stays. An entry that is not
 * ours any more is left alone, and one another live setup wrote since is left to that setup. Backups go once
 * their entry is undone.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, rmdir } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { containedWriteTarget, readTextIfExists, writeFileAtomic, type WriteScope } from '../core/fs.js';
import { MAX_CONFIG_BYTES, editJsonMember, parseConfigText } from './jsonfile.js';
import { writerFor } from './registry.js';

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The state of the file before a setup's first write to it. */
export interface EntryOrigin {
  /** The write created the file (and these folders, outermost first). */
  created: boolean;
  createdDirs: string[];
  /** The original bytes, in the state folder (null when the file was created, or no backup was made). */
  backup: string | null;
}

/** A client-entry journal record, as write-client writes it. */
export interface ClientEntryRecord {
  client: string;
  path: string;
  serverName: string;
  gatewayUrl?: string;
  scope: WriteScope;
  writtenEntry?: unknown;
  writtenSha256?: string;
  origin?: EntryOrigin;
  previousEntry: unknown | null;
  previousText?: string | null;
  previousOwner?: string | null;
  inheritedOrigin?: EntryOrigin | null;
  /** Every backup this setup made of the file (removed once the entry is undone). */
  backups: string[];
  /** The state folder's backups folder: a recorded backup is read or removed only there (the journal is a file). */
  backupRoot: string;
}

/** A recorded backup path, when it really lies in the backups folder (an edited journal cannot point elsewhere). */
export function ownBackup(path: string | null | undefined, backupRoot: string): string | undefined {
  if (typeof path !== 'string' || !path) return undefined;
  const rel = relative(resolve(backupRoot), resolve(path));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? resolve(path) : undefined;
}

export type UndoOutcome = { status: 'done' | 'gone' | 'skipped'; detail?: string };

/** Another setup that has this very entry in its journal as live (its name), or undefined. */
export type OwnerLookup = (path: string, serverName: string, entry: unknown) => Promise<string | undefined>;
/** Whether a setup still has a live entry for this file and name. */
export type LiveLookup = (setup: string, path: string, serverName: string) => Promise<boolean>;

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

async function removeFileAndDirs(path: string, dirs: string[]): Promise<void> {
  await rm(path, { force: true });
  for (const d of [...dirs].reverse()) await rmdir(d).catch(() => undefined); // only when empty
}

/** Whether a document holds nothing but (optionally) an empty `topKey` object. */
function emptyShell(text: string, path: string, topKey: string, jsonc: boolean): boolean {
  const doc = parseConfigText(text, path, jsonc);
  const keys = Object.keys(doc);
  if (keys.length === 0) return true;
  const top = doc[topKey];
  return keys.length === 1 && keys[0] === topKey && typeof top === 'object' && top !== null && !Array.isArray(top) && Object.keys(top).length === 0;
}

/**
 * Undo one entry. `target` 'original' is cleanup (what was there before this setup); 'beforeRun' is a rollback of
 * one run (what that run replaced: `beforeRun` holds that write's own origin and previous entry).
 */
export async function undoClientEntry(
  rec: ClientEntryRecord,
  lookups: { ownerOf: OwnerLookup; isLive: LiveLookup },
): Promise<UndoOutcome> {
  const w = writerFor(rec.client);
  const text = await readTextIfExists(rec.path, { limit: MAX_CONFIG_BYTES, what: 'config file' });
  if (text === null) return { status: 'gone', detail: 'the file is gone' };
  const doc = parseConfigText(text, rec.path, w.jsonc);
  const top = doc[w.topKey];
  const current = top && typeof top === 'object' && !Array.isArray(top) && Object.prototype.hasOwnProperty.call(top, rec.serverName) ? (top as Record<string, unknown>)[rec.serverName] : undefined;
  if (current === undefined) return { status: 'gone' };
  const ours = rec.writtenEntry !== undefined ? same(current, rec.writtenEntry) : JSON.stringify(current).includes(rec.gatewayUrl ?? '\u0000');
  if (!ours) {
    const owner = await lookups.ownerOf(rec.path, rec.serverName, current);
    return {
      status: 'skipped',
      detail: owner ? `"${rec.serverName}" in ${rec.path} is also written by setup "${owner}"; left to it` : 'changed by someone else since; left as it is',
    };
  }

  // What should stand under our name afterwards, and what the file looked like before.
  let previous = rec.previousEntry;
  let previousText = rec.previousText ?? null;
  let origin = rec.origin;
  if (rec.previousOwner && previous !== null && !(await lookups.isLive(rec.previousOwner, rec.path, rec.serverName))) {
    // The entry we replaced belonged to a setup that is cleaned up now: never bring back its dead value. The file
    // goes back to how it was before that setup (its origin, recorded when we replaced its entry).
    previous = null;
    previousText = null;
    origin = rec.inheritedOrigin ?? undefined;
  }

  const untouched = rec.writtenSha256 !== undefined && sha256(text) === rec.writtenSha256;
  const backup = ownBackup(origin?.backup, rec.backupRoot);
  if (untouched && origin && (origin.created || backup)) {
    // The same containment as the write (the project folder or HOME): a recorded path cannot lead elsewhere.
    const target = await containedWriteTarget(rec.path, rec.scope);
    if (origin.created) {
      await removeFileAndDirs(target, origin.createdDirs);
      return { status: 'done', detail: 'the file init created is deleted' };
    }
    const original = await readFile(backup!, 'utf8').catch(() => null);
    if (original !== null) {
      await writeFileAtomic(target, original);
      return { status: 'done', detail: 'the file is back to its original bytes' };
    }
  }

  // Changed since (or no origin recorded): only our member changes back.
  const opts = { scope: rec.scope, backup: false, jsonc: w.jsonc };
  if (previous !== null && previous !== undefined) {
    await editJsonMember(rec.path, w.topKey, rec.serverName, () => ({ set: previous, ...(previousText ? { text: previousText } : {}) }), opts);
    return { status: 'done' };
  }
  const r = await editJsonMember(rec.path, w.topKey, rec.serverName, (cur) => (cur.exists ? { remove: true } : null), opts);
  // A file init created that now holds nothing else goes too.
  if (origin?.created && emptyShell(r.after, rec.path, w.topKey, w.jsonc)) await removeFileAndDirs(rec.path, origin.createdDirs);
  return { status: r.changed ? 'done' : 'gone' };
}

/** Remove this entry's backups (after it was undone, or when the setup no longer needs them). */
export async function removeBackups(paths: Array<string | null | undefined>, backupRoot: string): Promise<void> {
  for (const p of new Set(paths.map((x) => ownBackup(x, backupRoot)).filter((x): x is string => Boolean(x)))) await rm(p, { force: true });
}
