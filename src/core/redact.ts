/**
 * Masking: nothing prints a token, and nothing from outside reaches the terminal as a control sequence.
 * Every line of human or JSON output passes through here.
 * A JWT, a bearer value or a long opaque secret is reduced to its first 4 characters and an ellipsis.
 */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|SSWS|Basic)\s+([A-Za-z0-9._~+/=-]{20,})/gi;
const KV = /("?(?:access_token|refresh_token|id_token|client_secret|registration_access_token|initial_access_token|password|code_verifier|code)"?\s*[:=]\s*"?)([^"&\s,}]{6,})/gi;

export function mask(value: string): string {
  if (value.length <= 8) return '****';
  return `${value.slice(0, 4)}…(${value.length} chars)`;
}

/**
 * scheme://user:password@ (or a bare user@) in a URL: the credentials are masked, the host is kept. Up to the
 * authority's last "@" (as URL parsers read it), so a password with an "@" in it does not show its tail.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi;

/**
 * Terminal control: escape sequences (CSI, OSC, DCS and the like: colours, cursor moves, window titles,
 * hyperlinks, clipboard writes), C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidi
 * overrides and isolates that can make text read other than it is.
 */
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[P^_X][^\u001b]*(?:\u001b\\)?|[\s\S]?)|\u009b[0-?]*[ -/]*[@-~]|\u009d[^\u0007\u009c]*(?:\u0007|\u009c)?/g;
const CONTROL_CHAR = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text from outside made safe to show: no escape sequence, no control character (tab and newline stay). */
export function stripControl(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL_CHAR, '');
}

/**
 * The colours our own `paint` adds (chalk: bold, dim, red, green, yellow, cyan and their resets), nothing
 * else: no other SGR (conceal, blink), no cursor move, no title, no hyperlink.
 */
const OUR_SGR = /(\u001b\[(?:1|2|22|31|32|33|36|39)m)/;

/**
 * For text we painted ourselves (src/core/logger.ts `styled`): our colour codes are kept, and the text between
 * them gets safeText, so even a piece that skipped `styled`'s own cleaning reaches the terminal as text only.
 */
export function safeTextKeepingColour(text: string): string {
  return text
    .split(OUR_SGR)
    .map((part, i) => (i % 2 ? part : safeText(part)))
    .join('');
}

/**
 * What every line of output passes through: no terminal control, masked secrets, masked URL credentials.
 * Controls go first, so that an escape sequence next to a secret cannot hide it from the masks.
 */
export function safeText(text: string): string {
  return redact(stripControl(text));
}

export function redact(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_m, scheme: string) => `${scheme}***@`)
    .replace(JWT, (m) => mask(m))
    .replace(BEARER, (_m, kind: string, v: string) => `${kind} ${mask(v)}`)
    .replace(KV, (_m, k: string, v: string) => `${k}${mask(v)}`);
}

/** Deep-redacts an object for --json output: keys that hold secrets are masked, strings are scanned. */
export function redactObject<T>(value: T): T {
  const SECRET_KEYS = /^(access_token|refresh_token|id_token|client_secret|registration_access_token|initial_access_token|password|token|code_verifier)$/i;
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return key && SECRET_KEYS.test(key) ? mask(v) : safeText(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[stripControl(k)] = walk(x, k);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
