/**
 * The one safe JSON-file editor every MCP client writer uses.
 *
 * Rules (FACTS §6): strict JSON out; every other key, entry and their order kept; the file's indentation,
 * line endings, trailing newline and byte-order mark kept; a backup `<file>.bak-<timestamp>` (same folder,
 * same mode) before any change; atomic write; never rewrite a file that does not parse; no change, no write.
 */
import { constants as fsConstants } from 'node:fs';
import { access, chmod, copyFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from '../core/errors.js';
import { ensureDir, isErrnoCode, readTextIfExists, resolveWriteTarget, writeFileAtomic } from '../core/fs.js';

export type JsonObject = Record<string, unknown>;

export interface EditJsonOptions {
  /** Compute everything, write nothing. */
  dryRun?: boolean;
  /** Back up the old file before changing it (default true). */
  backup?: boolean;
  /** Mode for a file that does not exist yet (default 0o644). */
  createMode?: number;
}

export interface EditJsonResult {
  path: string;
  changed: boolean;
  created: boolean;
  backupPath?: string;
  before: string | null;
  after: string;
}

export interface JsonFormat {
  indent: string | number;
  eol: '\n' | '\r\n';
  trailingNewline: boolean;
  bom: boolean;
}

const DEFAULT_FORMAT: JsonFormat = { indent: 2, eol: '\n', trailingNewline: true, bom: false };
const INVALID_FIX = 'Fix or move the file, then run again';

/** Indentation, line endings, trailing newline and BOM of an existing JSON text. */
export function detectJsonFormat(text: string): JsonFormat {
  const bom = text.charCodeAt(0) === 0xfeff;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const trailingNewline = /\r?\n$/.test(text);
  let indent: string | number = 2;
  const m = /^([ \t]+)\S/m.exec(bom ? text.slice(1) : text);
  if (m) {
    const ws = m[1]!;
    if (ws.startsWith('\t')) indent = '\t';
    else indent = Math.min(ws.length, 10);
  }
  return { indent, eol, trailingNewline, bom };
}

/** Serialize `doc` in the given format. */
export function formatJson(doc: unknown, format: JsonFormat = DEFAULT_FORMAT): string {
  // JSON.stringify escapes newlines inside strings, so every '\n' it emits is structural.
  let out = JSON.stringify(doc, null, format.indent);
  if (format.eol === '\r\n') out = out.replace(/\n/g, '\r\n');
  if (format.trailingNewline) out += format.eol;
  return (format.bom ? '\ufeff' : '') + out;
}

/**
 * Parse a JSON config text. Empty (or whitespace-only) text is an empty object. Anything that does not
 * parse, or whose top level is not an object, is a CliError naming the file and the line and column.
 */
export function parseJsonObject(text: string, path: string): JsonObject {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const loc = locateJsonError(body);
    const where = loc ? ` at line ${loc.line}, column ${loc.column} (${loc.reason})` : '';
    throw new CliError(`${path} is not valid JSON${where}; it was left untouched.`, {
      fix: INVALID_FIX,
      code: 'invalid_json',
      cause: err,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${path} does not hold a JSON object at the top level; it was left untouched.`, {
      fix: INVALID_FIX,
      code: 'invalid_json',
    });
  }
  return value as JsonObject;
}

/** Read and parse a JSON object file; null when the file does not exist. */
export async function readJsonObject(path: string): Promise<JsonObject | null> {
  const text = await readConfigText(path);
  return text === null ? null : parseJsonObject(text, path);
}

/**
 * Edit a JSON object file safely. `edit` may mutate the document it gets or return a new one.
 * A missing file starts from `{}` (parent folders are created on write).
 */
export async function editJsonFile(
  path: string,
  edit: (doc: JsonObject) => JsonObject | void,
  opts: EditJsonOptions = {},
): Promise<EditJsonResult> {
  const before = await readConfigText(path);
  const doc = before === null ? {} : parseJsonObject(before, path);
  const snapshot = JSON.stringify(doc);
  const result = edit(doc) ?? doc;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new Error('editJsonFile: the edit must produce a JSON object');
  }
  const serialized = JSON.stringify(result);
  const created = before === null && serialized !== '{}';
  const changed = before === null ? created : serialized !== snapshot;
  const after = formatJson(result, before === null ? DEFAULT_FORMAT : detectJsonFormat(before));
  if (!changed) return { path, changed: false, created: false, before, after: before ?? after };

  const target = await resolveWriteTarget(path);
  if (before !== null) await assertWritableFile(path, target);
  await assertWritableFolder(path, dirname(target));
  if (opts.dryRun) return { path, changed: true, created, before, after };

  let backupPath: string | undefined;
  if (before === null) {
    await ensureDir(dirname(target));
  } else if (opts.backup !== false) {
    backupPath = await backupFile(path, target);
  }
  await writeFileAtomic(path, after, before === null ? { mode: opts.createMode ?? 0o644 } : {});
  return { path, changed: true, created, ...(backupPath ? { backupPath } : {}), before, after };
}

async function readConfigText(path: string): Promise<string | null> {
  try {
    return await readTextIfExists(path);
  } catch (err) {
    if (isErrnoCode(err, 'EACCES') || isErrnoCode(err, 'EPERM')) {
      throw new CliError(`Cannot read ${path}: permission denied.`, {
        fix: `Make it readable (chmod u+r ${path}), then run again`,
        code: 'file_not_readable',
        cause: err,
      });
    }
    if (isErrnoCode(err, 'EISDIR')) {
      throw new CliError(`${path} is a folder, not a JSON file.`, { fix: INVALID_FIX, code: 'invalid_json', cause: err });
    }
    throw err;
  }
}

/**
 * Refuse a read-only file. access(W_OK) is what matters for a normal user; root can write anything, so a
 * file with no write bit at all is also read-only (the user made it so on purpose).
 */
async function assertWritableFile(path: string, target: string): Promise<void> {
  const st = await stat(target);
  let writable = (st.mode & 0o222) !== 0;
  if (writable) {
    try {
      await access(target, fsConstants.W_OK);
    } catch {
      writable = false;
    }
  }
  if (!writable) {
    throw new CliError(`${path} is read-only; it was left untouched.`, {
      fix: `Make it writable (chmod u+w ${target}), then run again`,
      code: 'file_read_only',
    });
  }
}

/** The folder (or its nearest existing ancestor, for a new file) must let us create the temp file. */
async function assertWritableFolder(path: string, dir: string): Promise<void> {
  let current = dir;
  for (;;) {
    try {
      await stat(current);
      break;
    } catch (err) {
      if (!isErrnoCode(err, 'ENOENT')) throw err;
      const parent = dirname(current);
      if (parent === current) return;
      current = parent;
    }
  }
  try {
    await access(current, fsConstants.W_OK | fsConstants.X_OK);
  } catch {
    throw new CliError(`Cannot write ${path}: the folder ${current} is not writable.`, {
      fix: `Make ${current} writable, then run again`,
      code: 'folder_not_writable',
    });
  }
}

function timestamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Copy the current bytes to `<file>.bak-<timestamp>` next to `path`, with the file's mode. */
async function backupFile(path: string, target: string): Promise<string> {
  const mode = (await stat(target)).mode & 0o7777;
  const base = join(dirname(resolve(path)), `${basename(path)}.bak-${timestamp()}`);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await copyFile(target, candidate, fsConstants.COPYFILE_EXCL);
      await chmod(candidate, mode);
      return candidate;
    } catch (err) {
      if (isErrnoCode(err, 'EEXIST') && n < 100) continue;
      throw err;
    }
  }
}

/** Where and why a JSON text fails to parse (1-based line and column), or null if it parses. */
export function locateJsonError(text: string): { line: number; column: number; reason: string } | null {
  let offset: number;
  let reason: string;
  try {
    new JsonScanner(text).document();
    return null;
  } catch (err) {
    if (!(err instanceof ScanError)) return null; // e.g. stack overflow on absurd nesting
    offset = err.offset;
    reason = err.reason;
  }
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, reason };
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** A strict RFC 8259 validator that reports the offset of the first error. */
class JsonScanner {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): void {
    this.ws();
    this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected content after the end');
  }

  private fail(reason?: string): never {
    if (this.i >= this.s.length) throw new ScanError(this.i, 'unexpected end of file');
    const ch = this.s[this.i]!;
    if (!reason) {
      if (ch === '/' && (this.s[this.i + 1] === '/' || this.s[this.i + 1] === '*')) reason = 'comments are not allowed';
      else reason = `unexpected character ${JSON.stringify(ch)}`;
    }
    throw new ScanError(this.i, reason);
  }

  private ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.i++;
      else break;
    }
  }

  private value(): void {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const lit of ['true', 'false', 'null']) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return;
      }
    }
    this.fail();
  }

  private object(): void {
    this.i++; // {
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') this.fail('trailing comma');
      if (this.s[this.i] !== '"') this.fail();
      this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      this.value();
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return;
      }
      this.fail("expected ',' or '}'");
    }
  }

  private array(): void {
    this.i++; // [
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] === ']') this.fail('trailing comma');
      this.value();
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return;
      }
      this.fail("expected ',' or ']'");
    }
  }

  private string(): void {
    this.i++; // opening quote
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return;
      }
      if (c < 0x20) this.fail('control character in a string');
      if (c === 0x5c) {
        const e = this.s[this.i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) this.i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) this.i += 6;
        else {
          this.i++;
          this.fail('bad escape in a string');
        }
        continue;
      }
      this.i++;
    }
    this.fail();
  }

  private number(): void {
    const re = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) this.fail('bad number');
    this.i += m[0].length;
  }
}
