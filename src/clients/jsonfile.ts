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
import { dirname, join } from 'node:path';
import { CliError } from '../core/errors.js';
import { containedWriteTarget, ensureDir, isErrnoCode, readTextIfExists, writeFileAtomic, type WriteScope } from '../core/fs.js';
import { backupDir, resolveStateDir } from '../core/context.js';
import { keepOwnerOnly } from '../core/owner-only.js';
import { ParseErrorCode, SyntaxKind, applyEdits, createScanner, modify, parseTree, printParseErrorCode, stripComments, type Edit, type Node, type ParseError } from 'jsonc-parser';

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

  const { backupPath } = await commitFile(path, before, after, opts);
  return { path, changed: true, created, ...(backupPath ? { backupPath } : {}), before, after };
}

/** Checks, backup, atomic write (or nothing but the checks on a dry run). Returns the backup and the folders it made. */
async function commitFile(path: string, before: string | null, after: string, opts: EditJsonOptions): Promise<{ backupPath?: string; createdDirs: string[] }> {
  const target = await containedWriteTarget(path, opts.scope);
  if (before !== null) await assertWritableFile(path, target);
  await assertWritableFolder(path, dirname(target));
  if (opts.dryRun) return { createdDirs: [] };
  let backupPath: string | undefined;
  const createdDirs: string[] = [];
  if (before === null) {
    // The folders that do not exist yet, outermost first: cleanup removes them again (when empty).
    for (let d = dirname(target); ; d = dirname(d)) {
      if (await stat(d).then(() => true, () => false)) break;
      createdDirs.unshift(d);
      if (dirname(d) === d) break;
    }
    await ensureDir(dirname(target));
  } else if (opts.backup !== false) {
    backupPath = await backupFile(target, opts.backupDir ?? backupDir(resolveStateDir(process.env)));
  }
  await writeFileAtomic(target, after, before === null ? { mode: opts.createMode ?? 0o644 } : {});
  return { ...(backupPath ? { backupPath } : {}), createdDirs };
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
      // win32: a copy gets no mode; the ACL leaves it to the current user (a warning names the fix if that fails).
      await keepOwnerOnly(candidate, 'file');
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

/**
 * What to do with the member: put this value there (as `text`, its exact JSON text, when given: a restore puts
 * back the bytes that were there), remove it, or leave it (null).
 */
export type MemberChange = { set: unknown; text?: string } | { remove: true } | null;

export interface MemberEditResult extends EditJsonResult {
  /** Whether `parentKey.name` existed before, and its value then (null when it did not). */
  existed: boolean;
  previous: unknown | null;
  /** The member's value exactly as it was written in the file before (its raw text), when it existed. */
  previousText?: string;
  /** Folders this write created for the file, outermost first (a new file in a new folder). */
  createdDirs?: string[];
}

/**
 * Set or remove `doc[parentKey][name]` by changing only that member's text. Every other byte of the file
 * stays as it was: other entries and keys, their order and spelling, comments (JSONC), blank lines, the
 * BOM, line endings. A new value is indented like its neighbours with the file's indent unit and line
 * ending. `decide` sees the current value and returns the change. The edited text is parsed again before
 * anything is written, and must say exactly what was meant with everything else equal.
 *
 * Microsoft's jsonc-parser (the library VS Code edits its own settings with) parses the file, with every
 * node's offsets, in strict or JSONC mode; `modify` computes the replacement of an existing member and
 * `applyEdits` applies every edit. Inserting and removing a member are our own edits on that tree: they keep
 * the file's layout (modify would put a new member on its neighbour's line, or re-indent the neighbour).
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
    const { createdDirs } = await commitFile(path, null, after, opts);
    return { path, changed: true, created: true, before, after, existed: false, previous: null, ...(createdDirs.length ? { createdDirs } : {}) };
  }

  const bom = before.charCodeAt(0) === 0xfeff;
  const body = bom ? before.slice(1) : before;
  const format = detectJsonFormat(before);
  const jsonc = opts.jsonc === true;
  let edits: Edit[];
  let existed = false;
  let previous: unknown | null = null;
  let previousText: string | undefined;
  let expected: { set: unknown } | { remove: true };
  let rootValue: JsonObject = {};
  if (body.trim() === '') {
    const change = decide({ exists: false, value: undefined });
    if (!change || 'remove' in change) return unchanged(false, null);
    expected = change;
    edits = [{ offset: 0, length: body.length, content: formatJson(single(parentKey, single(name, change.set)), { ...DEFAULT_FORMAT, eol: format.eol }) }];
  } else {
    const tree = parseConfigTree(body, path, jsonc);
    rootValue = tree.value;
    const parent = lastMember(body, tree.root, parentKey, path);
    if (parent && parent.value.kind !== 'object') {
      throw new CliError(`${path}: "${parentKey}" is not a JSON object; the file was left untouched.`, { fix: INVALID_FIX, code: 'invalid_config' });
    }
    const member = parent ? lastMember(body, parent.value.node, name, path) : undefined;
    existed = member !== undefined;
    const currentValue = existed ? (rootValue[parentKey] as JsonObject)[name] : undefined;
    previous = existed ? structuredClone(currentValue) : null;
    if (member) previousText = body.slice(member.value.start, member.value.end);
    const change = decide({ exists: existed, value: existed ? structuredClone(currentValue) : undefined });
    if (!change) return unchanged(existed, previous);
    const unit = typeof format.indent === 'number' ? ' '.repeat(format.indent) : format.indent;
    const style = { unit, eol: format.eol };
    if ('remove' in change) {
      if (!parent || !member) return unchanged(false, null);
      edits = removeMember(body, parent.value, member);
    } else if (member) {
      if (JSON.stringify(previous) === JSON.stringify(change.set) && (change.text === undefined || change.text === previousText)) return unchanged(true, previous);
      // modify finds the member's value; the new text is indented like the member's own line.
      const [edit] = modify(body, [parentKey, name], change.set, {});
      if (!edit || edit.offset !== member.value.start || edit.length !== member.value.end - member.value.start) {
        throw editFailed(path, parentKey, name);
      }
      edits = [{ ...edit, content: change.text ?? render(change.set, lineIndent(body, member.keyStart), style) }];
    } else if (parent) {
      edits = insertMember(body, parent.value, name, change.set, style);
    } else {
      edits = insertMember(body, memberNode(body, tree.root), parentKey, single(name, change.set), style);
    }
    expected = change;
  }
  const newBody = applyEdits(body, edits);
  assertEditResult(newBody, path, jsonc, rootValue, parentKey, name, expected);
  const after = (bom ? '\ufeff' : '') + newBody;
  const { backupPath } = await commitFile(path, before, after, opts);
  return { path, changed: true, created: false, ...(backupPath ? { backupPath } : {}), before, after, existed, previous, ...(previousText !== undefined ? { previousText } : {}) };
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
  return parseConfigTree(body, path, true).value;
}

/** `{ key: value }` without `__proto__` surprises. */
function single(key: string, value: unknown): JsonObject {
  const o: JsonObject = {};
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

// ---------------------------------------------------------------------------------------------
// The tree: jsonc-parser's nodes, with the offsets the layout below needs

/** An object or other value, by its offsets in the text. */
interface JsonNode {
  kind: 'object' | 'array' | 'string' | 'number' | 'literal';
  start: number;
  /** Just after the last character. */
  end: number;
  node: Node;
  members: JsonMember[];
}

interface JsonMember {
  key: string;
  keyStart: number;
  value: JsonNode;
  /** Offset of the comma right after the value, or -1. */
  commaAfter: number;
}

const KINDS: Record<Node['type'], JsonNode['kind']> = { object: 'object', array: 'array', string: 'string', number: 'number', boolean: 'literal', null: 'literal', property: 'literal' };

function memberNode(body: string, node: Node): JsonNode {
  const members: JsonMember[] =
    node.type !== 'object'
      ? []
      : (node.children ?? []).map((prop) => {
          const [key, value] = prop.children ?? [];
          const v = value!;
          return {
            key: String(key!.value),
            keyStart: key!.offset,
            value: { kind: KINDS[v.type], start: v.offset, end: v.offset + v.length, node: v, members: [] },
            commaAfter: commaAfter(body, v.offset + v.length),
          };
        });
  return { kind: KINDS[node.type], start: node.offset, end: node.offset + node.length, node, members };
}

/** The offset of a comma right after `offset` (only whitespace and comments between), or -1. */
function commaAfter(body: string, offset: number): number {
  const scanner = createScanner(body, false);
  scanner.setPosition(offset);
  for (;;) {
    const t = scanner.scan();
    if (t === SyntaxKind.Trivia || t === SyntaxKind.LineBreakTrivia || t === SyntaxKind.LineCommentTrivia || t === SyntaxKind.BlockCommentTrivia) continue;
    return t === SyntaxKind.CommaToken ? scanner.getTokenOffset() : -1;
  }
}

/**
 * The member `key` of an object node (JSON.parse keeps the last of duplicate keys; an edit of a file that repeats
 * the key it changes is refused rather than guessed).
 */
function lastMember(body: string, obj: Node, key: string, path: string): (JsonMember & { value: JsonNode }) | undefined {
  const all = memberNode(body, obj).members.filter((m) => m.key === key);
  if (all.length > 1) {
    throw new CliError(`${path} has "${key}" more than once in the same object; it was left untouched.`, { fix: 'Keep one of them, then run again', code: 'invalid_config' });
  }
  const m = all[0];
  if (!m) return undefined;
  return { ...m, value: memberNode(body, m.value.node) };
}

const PARSE_REASONS: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidCommentToken]: 'comments are not allowed',
  [ParseErrorCode.UnexpectedEndOfComment]: 'unterminated comment',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'unterminated number',
  [ParseErrorCode.InvalidUnicode]: 'bad \\u escape in a string',
  [ParseErrorCode.InvalidEscapeCharacter]: 'bad escape in a string',
  [ParseErrorCode.InvalidCharacter]: 'control character in a string',
  [ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'bad number',
  [ParseErrorCode.PropertyNameExpected]: 'a property name was expected',
  [ParseErrorCode.ValueExpected]: 'a value was expected',
  [ParseErrorCode.ColonExpected]: 'a colon was expected',
  [ParseErrorCode.CommaExpected]: 'a comma was expected',
  [ParseErrorCode.CloseBraceExpected]: 'a closing brace was expected',
  [ParseErrorCode.CloseBracketExpected]: 'a closing bracket was expected',
  [ParseErrorCode.EndOfFileExpected]: 'unexpected content after the end',
};

/** The first parse error of `text` (strict JSON unless jsonc), with its 1-based line and column, or null. */
function firstParseError(text: string, jsonc: boolean): { line: number; column: number; reason: string } | null {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: !jsonc, allowTrailingComma: jsonc, allowEmptyContent: false });
  const e = errors[0];
  if (!e) return null;
  let reason = PARSE_REASONS[e.error] ?? printParseErrorCode(e.error);
  // A comma right before the closing brace or bracket: name it for what it is.
  if ((e.error === ParseErrorCode.PropertyNameExpected || e.error === ParseErrorCode.ValueExpected) && /,\s*$/.test(stripComments(text.slice(0, e.offset))) && /^[}\]]/.test(text.slice(e.offset))) {
    reason = 'trailing comma';
  }
  if (e.error === ParseErrorCode.InvalidSymbol && text[e.offset] !== undefined) reason = `unexpected character ${JSON.stringify(text[e.offset])}`;
  const { line, column } = lineColumn(text, e.offset);
  return { line, column, reason };
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

/** Where and why a JSON text fails to parse as strict JSON (1-based line and column), or null if it parses. */
export function locateJsonError(text: string): { line: number; column: number; reason: string } | null {
  return firstParseError(text, false);
}

/**
 * The text as strict JSON: comments and trailing commas (JSONC) dropped, everything else as it is. Its value is
 * then JSON.parse's, the same a client's parser gives (the last of duplicate keys, `__proto__` an own key).
 */
function toStrictJson(text: string): string {
  const scanner = createScanner(text, false);
  const out: string[] = [];
  let pendingComma = '';
  for (let t = scanner.scan(); t !== SyntaxKind.EOF; t = scanner.scan()) {
    if (t === SyntaxKind.LineCommentTrivia || t === SyntaxKind.BlockCommentTrivia) continue;
    const raw = scanner.getTokenValue() === undefined ? '' : text.slice(scanner.getTokenOffset(), scanner.getTokenOffset() + scanner.getTokenLength());
    if (t === SyntaxKind.Trivia || t === SyntaxKind.LineBreakTrivia) {
      if (pendingComma) pendingComma += raw;
      else out.push(raw);
      continue;
    }
    if (pendingComma) {
      // a comma right before a closing brace or bracket is a trailing comma: dropped
      out.push(t === SyntaxKind.CloseBraceToken || t === SyntaxKind.CloseBracketToken ? pendingComma.slice(1) : pendingComma);
      pendingComma = '';
    }
    if (t === SyntaxKind.CommaToken) pendingComma = raw;
    else out.push(raw);
  }
  out.push(pendingComma);
  return out.join('');
}

/** Parse to jsonc-parser's tree and the document's value. Errors name the file, the line and the column. */
function parseConfigTree(body: string, path: string, jsonc: boolean): { root: Node; value: JsonObject } {
  if (!jsonc) parseJsonObject(body, path); // the usual message, with line and column, for anything invalid
  const problem = firstParseError(body, jsonc);
  if (problem) {
    throw new CliError(`${path} is not valid JSON${jsonc ? ' with comments' : ''} at line ${problem.line}, column ${problem.column} (${problem.reason}); it was left untouched.`, {
      fix: INVALID_FIX,
      code: 'invalid_json',
    });
  }
  const root = parseTree(body, [], { disallowComments: !jsonc, allowTrailingComma: jsonc });
  let value: unknown;
  try {
    value = JSON.parse(jsonc ? toStrictJson(body) : body);
  } catch (err) {
    throw new CliError(`${path} cannot be read as JSON; it was left untouched.`, { fix: INVALID_FIX, code: 'invalid_json', cause: err });
  }
  if (!root || root.type !== 'object' || typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${path} does not hold a JSON object at the top level; it was left untouched.`, { fix: INVALID_FIX, code: 'invalid_json' });
  }
  return { root, value: value as JsonObject };
}

// ---------------------------------------------------------------------------------------------
// Layout: where a member goes and what goes with it, as jsonc-parser edits

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

function insertMember(body: string, obj: JsonNode, key: string, value: unknown, style: Style): Edit[] {
  const close = obj.end - 1;
  const keyText = JSON.stringify(key);
  const outer = lineIndent(body, obj.start);
  const last = obj.members.at(-1);
  if (!last && body.slice(obj.start + 1, close).trim() === '') {
    // {} or an empty multi-line object: the member on its own line, the brace on the next.
    const inner = outer + style.unit;
    return [{ offset: obj.start + 1, length: close - obj.start - 1, content: `${style.eol}${inner}${keyText}: ${render(value, inner, style)}${style.eol}${outer}` }];
  }
  if (last && !body.slice(obj.start, obj.end).includes('\n')) {
    // A one-line object stays on one line.
    const at = last.commaAfter >= 0 ? last.commaAfter + 1 : last.value.end;
    return [{ offset: at, length: 0, content: `${last.commaAfter >= 0 ? ' ' : ', '}${keyText}: ${JSON.stringify(value)}` }];
  }
  const indent = last && firstOnLine(body, last.keyStart) ? lineIndent(body, last.keyStart) : outer + style.unit;
  const memberText = `${keyText}: ${render(value, indent, style)}`;
  const edits: Edit[] = firstOnLine(body, close)
    ? [{ offset: lineStart(body, close), length: 0, content: `${indent}${memberText}${style.eol}` }]
    : [{ offset: close, length: 0, content: `${style.eol}${indent}${memberText}${style.eol}${outer}` }];
  // The separating comma goes right after the last value (before any comment on its line).
  if (last && last.commaAfter < 0) edits.push({ offset: last.value.end, length: 0, content: ',' });
  return edits;
}

function removeMember(body: string, obj: JsonNode, m: JsonMember): Edit[] {
  const idx = obj.members.findIndex((x) => x.keyStart === m.keyStart);
  const ownLine = firstOnLine(body, m.keyStart);
  const start = ownLine ? lineStart(body, m.keyStart) : m.keyStart;
  let end = m.commaAfter >= 0 ? m.commaAfter + 1 : m.value.end;
  const rest = /^[ \t]*(\r?\n|$)/.exec(body.slice(end));
  if (ownLine && rest) end += rest[0].length;
  else if (!ownLine && m.commaAfter >= 0) end += /^[ \t]*/.exec(body.slice(end))![0].length;
  if (obj.members.length === 1) {
    // The only member: an object left with nothing but whitespace closes up to {}.
    const innerStart = obj.start + 1;
    const close = obj.end - 1;
    if ((body.slice(innerStart, start) + body.slice(end, close)).trim() === '') return [{ offset: innerStart, length: close - innerStart, content: '' }];
  }
  const edits: Edit[] = [{ offset: start, length: end - start, content: '' }];
  if (m.commaAfter < 0 && idx > 0) {
    // It was the last member: the comma before it now trails.
    const prev = obj.members[idx - 1]!;
    if (prev.commaAfter >= 0 && prev.commaAfter < start) edits.push({ offset: prev.commaAfter, length: 1, content: '' });
  }
  return edits;
}

function editFailed(path: string, parentKey: string, name: string): CliError {
  return new CliError(`Could not edit ${path} without disturbing the rest of it; it was left untouched.`, {
    fix: `Add or remove "${name}" under "${parentKey}" by hand (this is a bug in agentcore-auth: please report it with the file's shape).`,
    code: 'edit_failed',
  });
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
    if (firstParseError(newBody, jsonc)) throw new Error('does not parse');
    const after = JSON.parse(jsonc ? toStrictJson(newBody) : newBody) as JsonObject;
    const parent = after[parentKey] as JsonObject | undefined;
    const has = parent !== undefined && Object.prototype.hasOwnProperty.call(parent, name);
    const memberOk = 'remove' in change ? !has : has && JSON.stringify(parent[name]) === JSON.stringify(change.set);
    ok = memberOk && strip(after) === strip(beforeDoc);
  } catch {
    ok = false;
  }
  if (!ok) throw editFailed(path, parentKey, name);
}
