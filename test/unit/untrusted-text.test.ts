/**
 * Untrusted text (src/core/redact.ts and its sinks): whatever a profile, a config file or an HTTP response
 * says reaches the terminal as text only (no escape sequence, no control character, no bidi override), in
 * human and JSON output alike, while our own colours survive; credentials in URLs are masked everywhere.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import type { CheckResult } from '../../src/checks/types.js';
import { formatReport } from '../../src/checks/run.js';
import { createLogger, createMemoryLogger, type StyledText } from '../../src/core/logger.js';
import { withProgress } from '../../src/core/progress.js';
import { redact, redactObject, safeText, stripControl } from '../../src/core/redact.js';

/** Every hostile thing at once: CSI clear screen, OSC title (BEL and ST), OSC 8 hyperlink, DCS, C0, DEL, C1 CSI, bidi. */
const HOSTILE =
  '\u001b[2J\u001b]0;pwned\u0007A\u001b]8;;http://x.example\u0007click\u001b]8;;\u001b\\B\u001bP1;2|payload\u001b\\C\u0000\u0008\r\u000b\u007f\u0085\u009b31mD\u202eE\u2066F\u2069';
/** Any control: C0 (but tab and newline), DEL, C1, ESC itself, bidi overrides and isolates. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Exactly the SGR codes chalk adds for our styles. */
const OUR_SGR = /\u001b\[(?:1|2|22|31|32|33|36|39)m/g;

function sink(isTTY = true): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  (stream as { isTTY?: boolean }).isTTY = isTTY;
  return { stream, text: () => out };
}

describe('untrusted text: control characters', () => {
  test('stripControl removes escape sequences whole (with their payload) and every control character, keeps text, tabs and newlines', () => {
    assert.equal(stripControl(HOSTILE), 'AclickBCDEF');
    assert.equal(stripControl('tab\there\nnext line: é 日本 ✔ 🙂'), 'tab\there\nnext line: é 日本 ✔ 🙂');
    assert.equal(stripControl('unterminated \u001b]0;title'), 'unterminated ');
    assert.equal(stripControl('lone escape at the end\u001b'), 'lone escape at the end');
  });

  test('safeText also masks secrets: a JWT, a bearer value, user:password@ in a URL', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const out = safeText(`token ${jwt} \u001b[31mBearer abcdefghijklmnopqrstuvwxyz`);
    assert.doesNotMatch(out, /eyJzdWIi|abcdefghijklmnop|\u001b/);
    // An escape inside a token cannot split it past the mask: controls go before masking.
    assert.doesNotMatch(safeText('eyJhbGciOiJSUzI1NiJ9.\u001b[0meyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl'), /eyJzdWIi/);
  });
});

describe('untrusted text: credentials in URLs', () => {
  test('https://user:pass@host and a bare user@ are masked, the host is kept, a password with an @ shows no tail', () => {
    assert.equal(redact('see https://admin:hunter2@idp.example.com/realms/x'), 'see https://***@idp.example.com/realms/x');
    assert.equal(redact('http://token@127.0.0.1:4000/'), 'http://***@127.0.0.1:4000/');
    assert.equal(redact('"https://u:p@ss@word@host/x"'), '"https://***@host/x"');
    assert.equal(redact('--issuer https://bob:s3cret@[::1]:9/a and https://plain.example.com/?q=a@b'), '--issuer https://***@[::1]:9/a and https://plain.example.com/?q=a@b');
    assert.equal(redact('mail alice@example.com'), 'mail alice@example.com', 'no scheme: not a URL credential');
  });
});

describe('untrusted text: the JSON sink', () => {
  test('redactObject strips controls from every string value and key, masks secret keys and URL credentials', () => {
    const doc = redactObject({
      values: { clientId: `\u001b[2J\u001b]0;pwned\u0007abc`, list: ['x\u202ey', { deep: 'z\u0007' }] },
      [`key\u001b[31m`]: 'v',
      refresh_token: 'rt-very-secret-value',
      issuer: 'https://admin:hunter2@idp.example.com/',
      n: 3,
      ok: true,
    });
    const text = JSON.stringify(doc);
    assert.doesNotMatch(text, /\\u00|\\u20[26]/, 'no escaped control in the JSON text either');
    assert.equal((doc.values as { clientId: string }).clientId, 'abc');
    assert.deepEqual((doc.values as { list: unknown[] }).list, ['xy', { deep: 'z' }]);
    assert.ok('key' in doc);
    assert.doesNotMatch(text, /rt-very-secret-value|hunter2/);
    assert.equal(doc.n, 3);
    assert.equal(doc.ok, true);
  });
});

describe('untrusted text: the human sinks', () => {
  test('every logger line is stripped of data\'s escapes while our own colours stay', () => {
    const { stream, text } = sink();
    const log = createLogger({ stream, color: true, verbose: true });
    log.info(`info ${HOSTILE}`);
    log.step(`step ${HOSTILE}`);
    log.success(`success ${HOSTILE}`);
    log.warn(`warn ${HOSTILE}`);
    log.error(`error ${HOSTILE}`);
    log.debug(`debug ${HOSTILE}`);
    const out = text();
    assert.match(out, /\u001b\[33m!\u001b\[39m warn AclickBCDEF/, 'our yellow "!" and the cleaned text');
    assert.match(out, /\u001b\[36m›\u001b\[39m step/);
    assert.match(out, /\u001b\[2m {2}debug AclickBCDEF\u001b\[22m/);
    assert.doesNotMatch(out.replace(OUR_SGR, ''), CONTROL);
    const mem = createMemoryLogger();
    mem.warn(HOSTILE);
    assert.deepEqual(mem.lines, ['! AclickBCDEF']);
  });

  test('the verify report keeps its colours and shows findings, fixes and titles from outside as text only', () => {
    const checks: CheckResult[] = [
      { id: 'prm', stage: 'metadata', title: `Protected resource metadata ${HOSTILE}`, status: 'fail', finding: `scopes_supported has "openid\u001b[31m" ${HOSTILE}`, fix: `Fix it \u001b]52;c;ZXZpbA==\u0007now` },
      { id: 'challenge', stage: 'challenge', title: 'Challenge', status: 'pass', finding: 'HTTP 401.' },
    ];
    const report = formatReport(checks, { color: true });
    assert.match(report, /\u001b\[1mChallenge\u001b\[22m/, 'the bold heading');
    assert.match(report, /\u001b\[31m✖\u001b\[39m Protected resource metadata AclickBCDEF: scopes_supported has "openid" AclickBCDEF/);
    assert.match(report, /\u001b\[2mfix:\u001b\[22m Fix it now/);
    assert.doesNotMatch(report.replace(OUR_SGR, ''), CONTROL);
    const { stream, text } = sink();
    createLogger({ stream, color: true }).styled(report);
    assert.equal(text(), `${report}\n`, 'the styled sink passes our report through unchanged');
  });

  test('the styled sink keeps only our colour codes, even for text that did not come from `styled`', () => {
    const { stream, text } = sink();
    createLogger({ stream, color: true }).styled(`\u001b[2J\u001b[8mhidden\u001b[31mred\u001b[39m ${HOSTILE}` as StyledText);
    assert.equal(text(), 'hidden\u001b[31mred\u001b[39m AclickBCDEF\n', 'clear screen and conceal (SGR 8) are gone, red stays');
    assert.doesNotMatch(text().replace(OUR_SGR, ''), CONTROL);
  });

  test('the spinner shows progress text from outside without its escapes', async () => {
    const { stream, text } = sink();
    const ci = process.env.CI;
    delete process.env.CI;
    try {
      await withProgress(createMemoryLogger(), `Waiting for ${HOSTILE}`, async (p) => {
        p.update(`gateway \u001b]0;title\u0007READY\u001b[1A`);
        await new Promise((r) => setTimeout(r, 150));
      }, { stream });
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
    const out = text().replace(/\r\u001b\[2K/g, '');
    assert.match(out, /Waiting for AclickBCDEF|gateway READY/);
    assert.doesNotMatch(out, CONTROL);
  });
});

describe('printed commands run as printed', () => {
  test('flagArg writes --flag=VALUE for a value that starts with "-" (an IdP client id can), and quotes for the shell', async () => {
    const { flagArg } = await import('../../src/core/text.js');
    const { parseArgs } = await import('node:util');
    for (const id of ['0oa1b2c3', '-YDzmIowe6_HZ5J', "it's"]) {
      const printed = flagArg('--forget', id);
      const argv = id.startsWith('-') ? [printed] : [printed.slice('--forget '.length).replace(/^'(.*)'$/, '$1').replace(/'\\''/g, "'")].flatMap((v) => ['--forget', v]);
      assert.equal(parseArgs({ args: argv, options: { forget: { type: 'string' } } }).values.forget, id, printed);
    }
    assert.equal(flagArg('--forget', '-abc'), '--forget=-abc');
    assert.equal(flagArg('--forget', 'abc'), '--forget abc');
  });
});
