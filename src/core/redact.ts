/**
 * Masking: nothing prints a token. Every line of human or JSON output passes through here.
 * A JWT, a bearer value or a long opaque secret is reduced to its first 4 characters and an ellipsis.
 */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|SSWS|Basic)\s+([A-Za-z0-9._~+/=-]{20,})/gi;
const KV = /("?(?:access_token|refresh_token|id_token|client_secret|registration_access_token|initial_access_token|password|code_verifier|code)"?\s*[:=]\s*"?)([^"&\s,}]{6,})/gi;

export function mask(value: string): string {
  if (value.length <= 8) return '****';
  return `${value.slice(0, 4)}…(${value.length} chars)`;
}

export function redact(text: string): string {
  return text
    .replace(JWT, (m) => mask(m))
    .replace(BEARER, (_m, kind: string, v: string) => `${kind} ${mask(v)}`)
    .replace(KV, (_m, k: string, v: string) => `${k}${mask(v)}`);
}

/** Deep-redacts an object for --json output: keys that hold secrets are masked, strings are scanned. */
export function redactObject<T>(value: T): T {
  const SECRET_KEYS = /^(access_token|refresh_token|id_token|client_secret|registration_access_token|initial_access_token|password|token|code_verifier)$/i;
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return key && SECRET_KEYS.test(key) ? mask(v) : redact(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, k);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
