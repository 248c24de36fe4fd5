/**
 * The retry policy for this tool's own HTTP calls (IdP, OAuth, discovery). The AWS SDK has its own.
 *
 * Modes:
 * - 'idempotent'   (GET, HEAD, OPTIONS, PUT, DELETE, and POSTs that are safe to repeat such as RFC 7009 revocation):
 *                  retried on HTTP 500/502/503/504 and 429, on a connection refused or reset, and once on a timeout.
 * - 'refused-only' (POSTs that create something or use something up: RFC 7591 registration, the code exchange,
 *                  a refresh that may rotate the refresh token): retried only when the server clearly did not act:
 *                  HTTP 429, HTTP 503 with Retry-After, or a connection that was refused before anything was sent.
 *                  Never after a timeout or a reset once the request was sent: the server may have acted.
 * - 'none'         no retry at all.
 *
 * Backoff is exponential with "equal jitter" (retry n waits between half and all of min(cap, base * 2^(n-1))).
 * A Retry-After (seconds or HTTP date) is honoured when it is at most `maxRetryAfterMs`; a longer one stops the
 * retries at once (the caller then tells the user how long to wait). No new attempt starts after `maxElapsedMs`.
 *
 * Pure functions only: http.ts does the I/O.
 */

export type RetryMode = 'idempotent' | 'refused-only' | 'none';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff base for the first retry. */
  baseDelayMs: number;
  /** Backoff cap (before jitter). */
  maxDelayMs: number;
  /** Longest Retry-After honoured; a longer one ends the retries. */
  maxRetryAfterMs: number;
  /** No new attempt starts once this much time has passed since the first one. */
  maxElapsedMs: number;
  /** Timeouts are expensive and usually persistent: retried at most this many times ('idempotent' only). */
  maxTimeoutRetries: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 3_000,
  maxRetryAfterMs: 20_000,
  maxElapsedMs: 30_000,
  maxTimeoutRetries: 1,
});

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** The mode a method gets when the caller does not choose: RFC 9110 idempotent methods retry, others only when refused. */
export function defaultRetryMode(method: string | undefined): RetryMode {
  return IDEMPOTENT_METHODS.has((method ?? 'GET').toUpperCase()) ? 'idempotent' : 'refused-only';
}

/** Statuses that mean "try again" to an idempotent caller. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns the wait in ms from `now` (0 for a
 * date in the past), or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date always names a weekday and "GMT"; Date.parse alone would accept "1.5" or "3 days".
  if (!/^[A-Za-z]{3},? .*\d{2}:\d{2}:\d{2} GMT$|^[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$|^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(v)) {
    return undefined;
  }
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Okta-style `X-Rate-Limit-Reset` (epoch seconds when the window resets) as a wait in ms. */
export function parseRateLimitReset(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  return Math.max(0, Number(value.trim()) * 1000 - now);
}

/** Backoff before retry number `retry` (1 = the first retry): between half and all of min(cap, base * 2^(retry-1)). */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'> = DEFAULT_RETRY_POLICY, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** How a request failed without an HTTP answer. */
export type FailureKind =
  /** Nothing accepted the connection (ECONNREFUSED, connect timeout): the request was never sent. */
  | 'refused'
  /** The connection broke after the request was (or may have been) sent: ECONNRESET, "other side closed", EPIPE. */
  | 'reset'
  /** No answer within the timeout. */
  | 'timeout'
  /** The host name did not resolve. */
  | 'dns'
  /** The caller aborted (Ctrl-C, its own deadline). */
  | 'aborted'
  | 'other';

const REFUSED = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const RESET = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED', 'ECONNABORTED', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']);

/** The error code of a fetch (undici) rejection: fetch wraps the socket error as `cause` (sometimes twice). */
export function fetchErrorCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && e.code !== 'ABORT_ERR') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Classifies a fetch rejection. `timeoutSignal` is the per-attempt timeout; `callerSignal` the caller's own. */
export function classifyFetchError(err: unknown, signals: { timeout?: AbortSignal; caller?: AbortSignal } = {}): FailureKind {
  if (signals.timeout?.aborted && !signals.caller?.aborted) return 'timeout';
  if (signals.caller?.aborted) return 'aborted';
  const name = (err as Error | undefined)?.name;
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError') return 'aborted';
  const code = fetchErrorCode(err);
  if (code && REFUSED.has(code)) return 'refused';
  if (code && RESET.has(code)) return 'reset';
  if (code && DNS.has(code)) return 'dns';
  return 'other';
}

/** What one attempt produced. */
export type AttemptOutcome = { status: number; retryAfterMs?: number } | { failure: FailureKind };

export interface RetryState {
  /** The attempt that just finished (1-based). */
  attempt: number;
  /** ms since the first attempt started. */
  elapsedMs: number;
  /** Timeouts retried so far. */
  timeoutRetries: number;
}

export type StopReason =
  /** The outcome is final for this mode (a 2xx-4xx answer, or a failure this mode must not repeat). */
  | 'final'
  | 'attempts'
  | 'elapsed'
  /** The server asked to wait longer than maxRetryAfterMs. */
  | 'retry-after-too-long';

export type RetryDecision = { retry: true; delayMs: number; why: string } | { retry: false; stop: StopReason; why: string };

function describeOutcome(o: AttemptOutcome): string {
  if ('status' in o) return `HTTP ${o.status}`;
  return { refused: 'connection refused', reset: 'connection reset', timeout: 'timeout', dns: 'DNS failure', aborted: 'abort', other: 'network error' }[o.failure];
}

/** Whether this outcome may be retried in this mode at all (ignoring attempts and time). */
export function isRetryable(mode: RetryMode, o: AttemptOutcome): boolean {
  if (mode === 'none') return false;
  if ('status' in o) {
    if (mode === 'idempotent') return RETRYABLE_STATUSES.has(o.status);
    // refused-only: the server said it did not process the request.
    return o.status === 429 || (o.status === 503 && o.retryAfterMs !== undefined);
  }
  if (o.failure === 'refused') return true;
  if (mode === 'idempotent') return o.failure === 'reset' || o.failure === 'timeout';
  return false;
}

/** Decides whether to retry after an attempt, and how long to wait first. */
export function decideRetry(
  mode: RetryMode,
  outcome: AttemptOutcome,
  state: RetryState,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): RetryDecision {
  const what = describeOutcome(outcome);
  if (!isRetryable(mode, outcome)) return { retry: false, stop: 'final', why: what };
  if (state.attempt >= policy.maxAttempts) return { retry: false, stop: 'attempts', why: `${what} after ${state.attempt} attempts` };
  if ('failure' in outcome && outcome.failure === 'timeout' && state.timeoutRetries >= policy.maxTimeoutRetries) {
    return { retry: false, stop: 'attempts', why: `${what} after ${state.attempt} attempts` };
  }
  const retryAfterMs = 'status' in outcome ? outcome.retryAfterMs : undefined;
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
    return { retry: false, stop: 'retry-after-too-long', why: `${what} asking to wait ${Math.ceil(retryAfterMs / 1000)} s` };
  }
  const delayMs = Math.max(backoffDelay(state.attempt, policy, random), retryAfterMs ?? 0);
  if (state.elapsedMs + delayMs > policy.maxElapsedMs) return { retry: false, stop: 'elapsed', why: `${what} after ${Math.round(state.elapsedMs / 1000)} s` };
  return { retry: true, delayMs, why: what };
}
