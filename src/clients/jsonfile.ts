/**
 * The one safe JSON-file editor every MCP client writer uses.
 *
 * Rules (FACTS §6): strict JSON out; every other key, entry and their order kept; the file's indentation,
 * line endings, trailing newline and byte-order mark kept; a backup in the tool's state folder (mode 0600,
 * never in the project) before any change; a write that links lead out of the project or HOME is refused;
 * atomic write; never rewrite a file that does not parse; no change, no write.
 *
 * Client writers use editJsonMember: it changes only the text of one `<parentKey>.<name>` member, so every
 * other byte stays (number spellings, escapes, blank lines, and comments in the JSONC mode that clients such
 * as VS Code accept); strict mode refuses comments and trailing commas like any other parse error. The
 * edited text is parsed again and compared before it is written. editJsonFile (parse, edit, re-serialize)
 * remains for whole-document edits.
 */
import { constants as fsConstants } from 'node:fs';
import { access, chmod, copyFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from '../core/errors.js';
import { containedWriteTarget, ensureDir, isErrnoCode, readTextIfExists, writeFileAtomic, type WriteScope } from '../core/fs.js';
import { backupDir, resolveStateDir } from '../core/context.js';

export type JsonObject = Record<string, unknown>;

export interface EditJsonOptions {
  /** Compute everything, write nothing. */
  dryRun?: boolean;
  /** Back up the old file before changing it (default true). */
  backup?: boolean;
  /** Mode for a file that does not exist yet (default 0o644). */
  createMode?: number;
  /** Where the write may land (links out of the project or HOME are refused): src/core/fs.ts. */
  scope?: WriteScope;
  /**
   * The folder backups go to (the tool's state folder, never the project: a backup may hold secrets). Default:
   * ~/.agentcore-auth/backups (AGENTCORE_AUTH_HOME honoured).
   */
  backupDir?: string;
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

  const backupPath = await commitFile(path, before, after, opts);
  return { path, changed: true, created, ...(backupPath ? { backupPath } : {}), before, after };
}

/** Checks, backup, atomic write (or nothing but the checks on a dry run). Returns the backup's path. */
async function commitFile(path: string, before: string | null, after: string, opts: EditJsonOptions): Promise<string | undefined> {
  const target = await containedWriteTarget(path, opts.scope);
  if (before !== null) await assertWritableFile(path, target);
  await assertWritableFolder(path, dirname(target));
  if (opts.dryRun) return undefined;
  let backupPath: string | undefined;
  if (before === null) {
    await ensureDir(dirname(target));
  } else if (opts.backup !== false) {
    backupPath = await backupFile(target, opts.backupDir ?? backupDir(resolveStateDir(process.env)));
  }
  await writeFileAtomic(target, after, before === null ? { mode: opts.createMode ?? 0o644 } : {});
  return backupPath;
}

/** Client configs are small; a larger file is not one (and a FIFO or a device is refused at once). */
export const MAX_CONFIG_BYTES = 10 * 1024 * 1024;

function readConfigText(path: string): Promise<string | null> {
  return readTextIfExists(path, { limit: MAX_CONFIG_BYTES, what: 'config file' });
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

/**
 * Copy the current bytes into the backup folder (mode 0700) as `<the file's path, / as _>.bak-<timestamp>`,
 * mode 0600: never next to the file (a project folder is shared; the copy may hold a secret).
 */
async function backupFile(target: string, dir: string): Promise<string> {
  await ensureDir(dir, 0o700);
  await chmod(dir, 0o700).catch(() => undefined);
  const name = target.replace(/^[\\/]+/, '').replace(/[\\/:]/g, '_').slice(-180);
  const base = join(dir, `${name}.bak-${timestamp()}`);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await copyFile(target, candidate, fsConstants.COPYFILE_EXCL);
      await chmod(candidate, 0o600);
      return candidate;
    } catch (err) {
      if (isErrnoCode(err, 'EEXIST') && n < 100) continue;
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One member, edited in place

export interface MemberEditOptions extends EditJsonOptions {
  /**
   * The client reads JSON with comments and trailing commas (VS Code's mcp.json): accept them, and keep
   * them. Otherwise (the default) a comment or a trailing comma is refused like any other parse error.
   */
  jsonc?: boolean;
}

/** What to do with the member: put this value there, remove it, or leave it (null). */
export type MemberChange = { set: unknown } | { remove: true } | null;

export interface MemberEditResult extends EditJsonResult {
  /** Whether `parentKey.name` existed before, and its value then (null when it did not). */
  existed: boolean;
  previous: unknown | null;
}

/**
 * Set or remove `doc[parentKey][name]` by changing only that member's text. Every other byte of the file
 * stays as it was: other entries and keys, their order and spelling, comments (JSONC), blank lines, the
 * BOM, line endings. A new value is indented like its neighbours with the file's indent unit and line
 * ending. `decide` sees the current value and returns the change. The edited text is parsed again before
 * anything is written, and must say exactly what was meant with everything else equal.
 */
export async function editJsonMember(
  path: string,
  parentKey: string,
  name: string,
  decide: (current: { exists: boolean; value: unknown }) => MemberChange,
  opts: MemberEditOptions = {},
): Promise<MemberEditResult> {
  const before = await readConfigText(path);
  const unchanged = (existed: boolean, previous: unknown | null): MemberEditResult => ({
    path,
    changed: false,
    created: false,
    before,
    after: before ?? '',
    existed,
    previous,
  });
  if (before === null) {
    const change = decide({ exists: false, value: undefined });
    if (!change || 'remove' in change) return unchanged(false, null);
    const after = formatJson(single(parentKey, single(name, change.set)));
    await commitFile(path, null, after, opts);
    return { path, changed: true, created: true, before, after, existed: false, previous: null };
  }

  const bom = before.charCodeAt(0) === 0xfeff;
  const body = bom ? before.slice(1) : before;
  const format = detectJsonFormat(before);
  let newBody: string;
  let existed = false;
  let previous: unknown | null = null;
  let expected: { set: unknown } | { remove: true };
  let rootValue: JsonObject = {};
  if (body.trim() === '') {
    const change = decide({ exists: false, value: undefined });
    if (!change || 'remove' in change) return unchanged(false, null);
    expected = change;
    newBody = formatJson(single(parentKey, single(name, change.set)), { ...DEFAULT_FORMAT, eol: format.eol });
  } else {
    const root = parseJsonTree(body, path, opts.jsonc === true);
    rootValue = root.value as JsonObject;
    const parent = lastMember(root, parentKey);
    if (parent && parent.value.kind !== 'object') {
      throw new CliError(`${path}: "${parentKey}" is not a JSON object; the file was left untouched.`, { fix: INVALID_FIX, code: 'invalid_config' });
    }
    const member = parent ? lastMember(parent.value, name) : undefined;
    existed = member !== undefined;
    previous = member ? structuredClone(member.value.value) : null;
    const change = decide({ exists: existed, value: member ? structuredClone(member.value.value) : undefined });
    if (!change) return unchanged(existed, previous);
    const unit = typeof format.indent === 'number' ? ' '.repeat(format.indent) : format.indent;
    const style = { unit, eol: format.eol };
    if ('remove' in change) {
      if (!parent || !member) return unchanged(false, null);
      newBody = removeMember(body, parent.value, member);
    } else if (member) {
      if (JSON.stringify(member.value.value) === JSON.stringify(change.set)) return unchanged(true, previous);
      newBody = body.slice(0, member.value.start) + render(change.set, lineIndent(body, member.keyStart), style) + body.slice(member.value.end);
    } else if (parent) {
      newBody = insertMember(body, parent.value, name, change.set, style);
    } else {
      newBody = insertMember(body, root, parentKey, single(name, change.set), style);
    }
    expected = change;
  }
  assertEditResult(newBody, path, opts.jsonc === true, rootValue, parentKey, name, expected);
  const after = (bom ? '\ufeff' : '') + newBody;
  const backupPath = await commitFile(path, before, after, opts);
  return { path, changed: true, created: false, ...(backupPath ? { backupPath } : {}), before, after, existed, previous };
}

/** The value of `doc[parentKey][name]`, or null (no file, no parent, no such member). */
export async function readJsonMember(path: string, parentKey: string, name: string, opts: { jsonc?: boolean } = {}): Promise<unknown | null> {
  const text = await readConfigText(path);
  if (text === null) return null;
  const doc = parseConfigText(text, path, opts.jsonc === true);
  const parent = Object.prototype.hasOwnProperty.call(doc, parentKey) ? doc[parentKey] : undefined;
  if (parent === undefined) return null;
  if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) {
    throw new CliError(`${path}: "${parentKey}" is not a JSON object; the file was left untouched.`, { fix: INVALID_FIX, code: 'invalid_config' });
  }
  return Object.prototype.hasOwnProperty.call(parent, name) ? (parent as JsonObject)[name] : null;
}

/** Parse a config text as strict JSON, or (jsonc) as JSON with comments and trailing commas. Empty text is `{}`. */
export function parseConfigText(text: string, path: string, jsonc: boolean): JsonObject {
  if (!jsonc) return parseJsonObject(text, path);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return {};
  return parseJsonTree(body, path, true).value as JsonObject;
}

/** `{ key: value }` without `__proto__` surprises. */
function single(key: string, value: unknown): JsonObject {
  const o: JsonObject = {};
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

interface JsonNode {
  kind: 'object' | 'array' | 'string' | 'number' | 'literal';
  start: number;
  /** Just after the last character. */
  end: number;
  value: unknown;
  members: JsonMember[];
}

interface JsonMember {
  key: string;
  keyStart: number;
  value: JsonNode;
  /** Offset of the comma right after the value, or -1. */
  commaAfter: number;
}

function lastMember(node: JsonNode, key: string): JsonMember | undefined {
  for (let i = node.members.length - 1; i >= 0; i--) if (node.members[i]!.key === key) return node.members[i];
  return undefined;
}

/** Parse to a tree with offsets. Strict JSON errors are the same CliError as parseJsonObject's. */
function parseJsonTree(body: string, path: string, jsonc: boolean): JsonNode {
  if (!jsonc) parseJsonObject(body, path); // the usual message, with line and column, for anything invalid
  let root: JsonNode;
  try {
    root = new TreeParser(body, jsonc).document();
  } catch (err) {
    if (!(err instanceof ScanError)) {
      throw new CliError(`${path} cannot be read as JSON; it was left untouched.`, { fix: INVALID_FIX, code: 'invalid_json', cause: err });
    }
    const { line, column } = lineColumn(body, err.offset);
    throw new CliError(`${path} is not valid JSON with comments at line ${line}, column ${column} (${err.reason}); it was left untouched.`, {
      fix: INVALID_FIX,
      code: 'invalid_json',
      cause: err,
    });
  }
  if (root.kind !== 'object') {
    throw new CliError(`${path} does not hold a JSON object at the top level; it was left untouched.`, { fix: INVALID_FIX, code: 'invalid_json' });
  }
  return root;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStartAt = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStartAt = i + 1;
    }
  }
  return { line, column: offset - lineStartAt + 1 };
}

function lineStart(s: string, i: number): number {
  return s.lastIndexOf('\n', i - 1) + 1;
}

/** The leading whitespace of the line that holds offset i. */
function lineIndent(s: string, i: number): string {
  return /^[ \t]*/.exec(s.slice(lineStart(s, i)))![0];
}

/** Whether only spaces or tabs stand between the start of i's line and i. */
function firstOnLine(s: string, i: number): boolean {
  return /^[ \t]*$/.test(s.slice(lineStart(s, i), i));
}

interface Style {
  unit: string;
  eol: '\n' | '\r\n';
}

/** A value as JSON text whose continuation lines start at `base` (the member line's indentation). */
function render(value: unknown, base: string, style: Style): string {
  return JSON.stringify(value, null, style.unit).split('\n').join(style.eol + base);
}

function insertMember(body: string, obj: JsonNode, key: string, value: unknown, style: Style): string {
  const close = obj.end - 1;
  const keyText = JSON.stringify(key);
  const outer = lineIndent(body, obj.start);
  const last = obj.members.at(-1);
  if (!last && body.slice(obj.start + 1, close).trim() === '') {
    // {} or an empty multi-line object: the member on its own line, the brace on the next.
    const inner = outer + style.unit;
    return `${body.slice(0, obj.start + 1)}${style.eol}${inner}${keyText}: ${render(value, inner, style)}${style.eol}${outer}${body.slice(close)}`;
  }
  if (last && !body.slice(obj.start, obj.end).includes('\n')) {
    // A one-line object stays on one line.
    const at = last.commaAfter >= 0 ? last.commaAfter + 1 : last.value.end;
    return `${body.slice(0, at)}${last.commaAfter >= 0 ? ' ' : ', '}${keyText}: ${JSON.stringify(value)}${body.slice(at)}`;
  }
  const indent = last && firstOnLine(body, last.keyStart) ? lineIndent(body, last.keyStart) : outer + style.unit;
  const memberText = `${keyText}: ${render(value, indent, style)}`;
  let out: string;
  if (firstOnLine(body, close)) {
    const at = lineStart(body, close);
    out = `${body.slice(0, at)}${indent}${memberText}${style.eol}${body.slice(at)}`;
  } else {
    out = `${body.slice(0, close)}${style.eol}${indent}${memberText}${style.eol}${outer}${body.slice(close)}`;
  }
  // The separating comma goes right after the last value (before any comment on its line). Everything
  // inserted above lies after that offset, so it is still valid in `out`.
  if (last && last.commaAfter < 0) out = `${out.slice(0, last.value.end)},${out.slice(last.value.end)}`;
  return out;
}

function removeMember(body: string, obj: JsonNode, m: JsonMember): string {
  const idx = obj.members.indexOf(m);
  const ownLine = firstOnLine(body, m.keyStart);
  const start = ownLine ? lineStart(body, m.keyStart) : m.keyStart;
  let end = m.commaAfter >= 0 ? m.commaAfter + 1 : m.value.end;
  const rest = /^[ \t]*(\r?\n|$)/.exec(body.slice(end));
  if (ownLine && rest) end += rest[0].length;
  else if (!ownLine && m.commaAfter >= 0) end += /^[ \t]*/.exec(body.slice(end))![0].length;
  let out = body.slice(0, start) + body.slice(end);
  let removed = end - start;
  if (m.commaAfter < 0 && idx > 0) {
    // It was the last member: the comma before it now trails.
    const prev = obj.members[idx - 1]!;
    if (prev.commaAfter >= 0 && prev.commaAfter < start) {
      out = out.slice(0, prev.commaAfter) + out.slice(prev.commaAfter + 1);
      removed++;
    }
  }
  if (obj.members.length === 1) {
    const innerStart = obj.start + 1;
    const close = obj.end - 1 - removed;
    if (out.slice(innerStart, close).trim() === '') out = out.slice(0, innerStart) + out.slice(close);
  }
  return out;
}

/** The safety net: the new text parses, holds exactly the intended member, and everything else is equal. */
function assertEditResult(
  newBody: string,
  path: string,
  jsonc: boolean,
  beforeDoc: JsonObject,
  parentKey: string,
  name: string,
  change: { set: unknown } | { remove: true },
): void {
  const hadParent = Object.prototype.hasOwnProperty.call(beforeDoc, parentKey);
  const strip = (doc: JsonObject): string => {
    const copy = structuredClone(doc);
    const parent = copy[parentKey];
    if (parent && typeof parent === 'object' && !Array.isArray(parent)) {
      delete (parent as JsonObject)[name];
      if (!hadParent && Object.keys(parent).length === 0) delete copy[parentKey];
    }
    return JSON.stringify(copy);
  };
  let ok = false;
  try {
    const after = new TreeParser(newBody, jsonc).document().value as JsonObject;
    const parent = after[parentKey] as JsonObject | undefined;
    const has = parent !== undefined && Object.prototype.hasOwnProperty.call(parent, name);
    const memberOk = 'remove' in change ? !has : has && JSON.stringify(parent[name]) === JSON.stringify(change.set);
    ok = memberOk && strip(after) === strip(beforeDoc);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new CliError(`Could not edit ${path} without disturbing the rest of it; it was left untouched.`, {
      fix: `Add or remove "${name}" under "${parentKey}" by hand (this is a bug in agentcore-auth: please report it with the file's shape).`,
      code: 'edit_failed',
    });
  }
}

/** A JSON (or, with `jsonc`, JSON-with-comments) parser that keeps every value's offsets. */
class TreeParser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly jsonc: boolean,
  ) {}

  document(): JsonNode {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected content after the end');
    return v;
  }

  private fail(reason?: string): never {
    if (this.i >= this.s.length) throw new ScanError(this.i, reason ?? 'unexpected end of file');
    const ch = this.s[this.i]!;
    if (!reason) {
      if (ch === '/' && (this.s[this.i + 1] === '/' || this.s[this.i + 1] === '*')) reason = 'comments are not allowed';
      else reason = `unexpected character ${JSON.stringify(ch)}`;
    }
    throw new ScanError(this.i, reason);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.i++;
      else if (this.jsonc && c === '/' && s[this.i + 1] === '/') {
        const nl = s.indexOf('\n', this.i);
        this.i = nl === -1 ? s.length : nl;
      } else if (this.jsonc && c === '/' && s[this.i + 1] === '*') {
        const endAt = s.indexOf('*/', this.i + 2);
        if (endAt === -1) this.fail('unterminated comment');
        this.i = endAt + 2;
      } else break;
    }
  }

  private node(kind: JsonNode['kind'], start: number, value: unknown, members: JsonMember[] = []): JsonNode {
    return { kind, start, end: this.i, value, members };
  }

  private value(): JsonNode {
    const c = this.s[this.i];
    const start = this.i;
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') {
      const v = this.string();
      return this.node('string', start, v);
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const re = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
      re.lastIndex = this.i;
      const m = re.exec(this.s);
      if (!m) this.fail('bad number');
      this.i += m[0].length;
      return this.node('number', start, JSON.parse(m[0]));
    }
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return this.node('literal', start, v);
      }
    }
    this.fail();
  }

  private object(): JsonNode {
    const start = this.i++;
    const members: JsonMember[] = [];
    const value: JsonObject = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return this.node('object', start, value, members);
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        if (!this.jsonc) this.fail('trailing comma');
        this.i++;
        break;
      }
      if (this.s[this.i] !== '"') this.fail();
      const keyStart = this.i;
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      const v = this.value();
      const m: JsonMember = { key, keyStart, value: v, commaAfter: -1 };
      members.push(m);
      Object.defineProperty(value, key, { value: v.value, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        m.commaAfter = this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        break;
      }
      this.fail("expected ',' or '}'");
    }
    return this.node('object', start, value, members);
  }

  private array(): JsonNode {
    const start = this.i++;
    const items: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return this.node('array', start, items);
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] === ']') {
        if (!this.jsonc) this.fail('trailing comma');
        this.i++;
        break;
      }
      items.push(this.value().value);
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        break;
      }
      this.fail("expected ',' or ']'");
    }
    return this.node('array', start, items);
  }

  private string(): string {
    const start = this.i++;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return JSON.parse(this.s.slice(start, this.i)) as string;
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
}

/** Where and why a JSON text fails to parse (1-based line and column), or null if it parses. */
export function locateJsonError(text: string): { line: number; column: number; reason: string } | null {
  let offset: number;
  let reason: string;
  try {
    new TreeParser(text, false).document(); // strict mode: comments and trailing commas are errors
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

