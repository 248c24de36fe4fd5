import { cancelledError, isCancelled, withCancel } from './cancel.js';
import { CliError, UsageError } from './errors.js';
import { isSecureTransportUrl } from './net.js';
import type { Logger } from './logger.js';
import {
  DEFAULT_RETRY_POLICY,
  classifyFetchError,
  decideRetry,
  defaultRetryMode,
  fetchErrorCode,
  parseRetryAfter,
  type AttemptOutcome,
  type FailureKind,
  type RetryMode,
  type RetryPolicy,
  parseRateLimitReset,
} from './retry.js';

export type { RetryMode, RetryPolicy } from './retry.js';

/** Per-request timeout for every call made through httpFetch, in ms: overrides what the code asks for. */
export const HTTP_TIMEOUT_ENV = 'AGENTCORE_AUTH_HTTP_TIMEOUT_MS';

export interface HttpOptions {
  /** Per attempt. AGENTCORE_AUTH_HTTP_TIMEOUT_MS, when set, wins (so a user on a slow link can raise every timeout). */
  timeoutMs?: number;
  /** What the request is for, used in error messages ("fetching the JWKS"). */
  purpose?: string;
  /**
   * Retry mode (src/core/retry.ts). Default by method: GET/HEAD/OPTIONS/PUT/DELETE 'idempotent', anything else
   * 'refused-only'. Pass 'idempotent' for a POST that is safe to repeat (RFC 7009 revocation).
   */
  retry?: RetryMode;
  /** Retries are logged here at debug level; default: the logger given to setHttpLogger, if any. */
  logger?: Pick<Logger, 'debug'>;
  /** Tests (and callers with a tighter budget) may change the policy. */
  retryPolicy?: Partial<RetryPolicy>;
  /**
   * For 'refused-only' calls: the fix line shown when the connection broke after the request was sent, so the
   * server may have acted (e.g. "Check the IdP's admin console for a client named X").
   */
  unknownOutcomeFix?: string;
  /**
   * The request carries a credential the checks below cannot see (they find an Authorization header and the
   * usual OAuth form fields on their own): it is refused unless it goes over https or to this machine.
   */
  secret?: boolean;
}

export type Fetch = typeof fetch;

let defaultLogger: Pick<Logger, 'debug'> | undefined;

/** The logger retries are reported to when a call passes none (the CLI sets its own, so --verbose shows them). */
export function setHttpLogger(logger: Pick<Logger, 'debug'> | undefined): void {
  defaultLogger = logger;
}

/** AGENTCORE_AUTH_HTTP_TIMEOUT_MS as a number, or undefined when unset. A bad value is a usage error. */
export function httpTimeoutOverride(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[HTTP_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) {
    throw new UsageError(`${HTTP_TIMEOUT_ENV} must be a whole number of milliseconds (got "${raw}").`, { fix: `Set e.g. ${HTTP_TIMEOUT_ENV}=30000, or unset it.` });
  }
  return Number(raw);
}

/** scheme://host/path of a URL, without its query (which may carry a state or a code): for logs. */
function forLog(url: string | URL): string {
  try {
    const u = new URL(String(url));
    return `${u.origin}${u.pathname}`;
  } catch {
    return String(url).split('?')[0]!;
  }
}

/** A body fetch can send twice (a stream can be read once only). */
function replayable(body: RequestInit['body']): boolean {
  if (body === undefined || body === null) return true;
  if (typeof body === 'string' || body instanceof URLSearchParams || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return true;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return true;
  if (typeof FormData !== 'undefined' && body instanceof FormData) return true;
  return false;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

const DEFAULT_UNKNOWN_FIX =
  'Check whether it took effect before running again: `agentcore-auth cleanup` undoes what was recorded, and the service\'s admin console shows anything that was not.';

/**
 * fetch with a per-attempt timeout, a retry policy (src/core/retry.ts) and clear messages.
 *
 * Resolves with the Response for any HTTP answer, including a 5xx that outlived its retries (callers describe
 * it), except HTTP 429: a 429 that is still there after the retries (or asks to wait longer than 20 s) becomes a
 * CliError (code rate_limited) that says how long to wait. Network failures and timeouts become CliErrors
 * (codes network, timeout); in 'refused-only' mode a timeout or a broken connection after the request was sent
 * becomes code outcome_unknown, whose message says the server may have acted.
 */
export async function httpFetch(url: string | URL, givenInit: RequestInit = {}, opts: HttpOptions = {}): Promise<Response> {
  // Ctrl-C ends every call at once, whoever made it (src/core/cancel.ts).
  const signal = withCancel(givenInit.signal);
  const init: RequestInit = signal ? { ...givenInit, signal } : givenInit;
  if (isCancelled()) throw cancelledError();
  const credential = assertCredentialTransport(url, init, opts);
  const timeoutMs = httpTimeoutOverride() ?? opts.timeoutMs ?? 10_000;
  const purpose = opts.purpose ? ` (${opts.purpose})` : '';
  const method = (init.method ?? 'GET').toUpperCase();
  const mode: RetryMode = replayable(init.body) ? (opts.retry ?? defaultRetryMode(method)) : 'none';
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retryPolicy };
  const logger = opts.logger ?? defaultLogger;
  const started = Date.now();
  let timeoutRetries = 0;

  for (let attempt = 1; ; attempt++) {
    const timeout = AbortSignal.timeout(timeoutMs);
    let outcome: AttemptOutcome;
    let res: Response | undefined;
    let error: unknown;
    try {
      const attemptInit = { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout };
      res = credential ? await fetchCredential(url, attemptInit, opts) : await fetch(url, attemptInit);
      outcome = { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) ?? parseRateLimitReset(res.headers.get('x-rate-limit-reset')) };
    } catch (err) {
      if (err instanceof CliError && err.code === 'insecure_transport') throw err; // a redirect off the rule: never retried
      error = err;
      outcome = { failure: classifyFetchError(err, { timeout, caller: init.signal ?? undefined }) };
    }

    // The caller's own signal (Ctrl-C, its overall deadline) ends the retries.
    const decision = init.signal?.aborted
      ? ({ retry: false, stop: 'final', why: 'aborted' } as const)
      : decideRetry(mode, outcome, { attempt, elapsedMs: Date.now() - started, timeoutRetries }, policy);
    if (decision.retry) {
      if ('failure' in outcome && outcome.failure === 'timeout') timeoutRetries++;
      logger?.debug(`retrying ${method} ${forLog(url)} after ${decision.why} (attempt ${attempt + 1}/${policy.maxAttempts}) in ${decision.delayMs} ms`);
      const waited = await sleep(decision.delayMs, init.signal ?? undefined).then(() => true, () => false);
      if (waited) {
        if (res) await res.body?.cancel().catch(() => undefined);
        continue;
      }
      // The caller gave up while we waited: report this attempt's outcome as it stands.
    }

    const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
    if (res) {
      if (res.status === 429 && mode !== 'none') {
        await res.body?.cancel().catch(() => undefined);
        const ra = 'status' in outcome ? outcome.retryAfterMs : undefined;
        const wait = ra !== undefined ? seconds(ra) : 60;
        throw new CliError(
          `${method} ${String(url)}${purpose} was rate limited (HTTP 429${tries})${ra !== undefined ? `; the server asks to wait ${wait} s${ra > policy.maxRetryAfterMs ? `, longer than the ${seconds(policy.maxRetryAfterMs)} s this tool waits on its own` : ''}` : ''}.`,
          { code: 'rate_limited', fix: `Rate limited: wait ${wait} s and run the command again (it resumes where it stopped).` },
        );
      }
      if (!decision.retry && decision.stop !== 'final') logger?.debug(`giving up on ${method} ${forLog(url)}: ${decision.why}`);
      return res;
    }
    throw failureError(url, method, purpose, timeoutMs, mode, (outcome as { failure: FailureKind }).failure, error, tries, opts);
  }
}

/** Form fields that hold a credential: a request with any of them is as sensitive as one with a bearer. */
const CREDENTIAL_FIELDS = ['token', 'refresh_token', 'access_token', 'code', 'code_verifier', 'client_secret', 'client_assertion', 'assertion', 'password', 'device_code', 'subject_token'];

function carriesCredential(init: RequestInit, opts: HttpOptions): boolean {
  if (opts.secret) return true;
  if (init.headers && new Headers(init.headers).has('authorization')) return true;
  const body = init.body;
  const form = body instanceof URLSearchParams ? body : typeof body === 'string' && !/^\s*[[{]/.test(body) ? new URLSearchParams(body) : undefined;
  return Boolean(form && CREDENTIAL_FIELDS.some((k) => form.has(k)));
}

function insecureTransport(u: URL, opts: HttpOptions, how = ''): CliError {
  return new CliError(`Refusing to send a credential${opts.purpose ? ` (${opts.purpose})` : ''} over plain http to ${u.host}${how}: it is not this machine, and the token would cross the network unencrypted. Nothing was sent there.`, {
    code: 'insecure_transport',
    fix: `The endpoint must be https (plain http only for localhost, 127.0.0.1 or ::1); check where ${u.origin} came from (the IdP's metadata, the gateway URL, a flag).`,
  });
}

/**
 * The last line of the transport rule (src/core/net.ts): whatever URL a caller got (a flag, a profile, an
 * endpoint some metadata named), a credential is never sent over plain http to another machine. Returns
 * whether the request carries a credential (its redirects are then checked too: fetchCredential).
 */
function assertCredentialTransport(url: string | URL, init: RequestInit, opts: HttpOptions): boolean {
  if (!carriesCredential(init, opts)) return false;
  if (URL.canParse(String(url)) && !isSecureTransportUrl(url)) throw insecureTransport(new URL(String(url)), opts);
  return true;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * fetch for a request that carries a credential: redirects are followed here, hop by hop, as fetch would
 * (303, and 301/302 after a POST, become a GET without a body; the Authorization header is not forwarded to
 * another origin), but a hop to a URL off the transport rule is refused before anything is sent there. A
 * 307/308 would otherwise replay a code, a verifier or a refresh token to wherever the server points.
 */
async function fetchCredential(url: string | URL, init: RequestInit, opts: HttpOptions): Promise<Response> {
  if (init.redirect !== undefined && init.redirect !== 'follow') return fetch(url, init);
  let current = new URL(String(url));
  let req: RequestInit = { ...init, redirect: 'manual' };
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, req);
    const location = res.headers.get('location');
    if (!REDIRECT_STATUSES.has(res.status) || !location || hop >= 20) return res;
    const next = new URL(location, current);
    await res.body?.cancel().catch(() => undefined);
    if (!isSecureTransportUrl(next)) throw insecureTransport(next, opts, ` (a redirect from ${current.host})`);
    const method = (req.method ?? 'GET').toUpperCase();
    if ((res.status === 303 && method !== 'GET' && method !== 'HEAD') || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      const headers = new Headers(req.headers);
      headers.delete('content-type');
      headers.delete('content-length');
      req = { ...req, method: 'GET', body: undefined, headers };
    }
    if (next.origin !== current.origin) {
      const headers = new Headers(req.headers);
      headers.delete('authorization');
      req = { ...req, headers };
    }
    current = next;
  }
}

function failureError(
  url: string | URL,
  method: string,
  purpose: string,
  timeoutMs: number,
  mode: RetryMode,
  failure: FailureKind,
  err: unknown,
  tries: string,
  opts: HttpOptions,
): CliError {
  if (err instanceof CliError) return err; // the caller aborted with a reason of ours (Ctrl-C: CancelledError)
  const code = fetchErrorCode(err);
  const e = err as Error;
  // The caller's own deadline (an AbortSignal.timeout of its own) reads like ours.
  if (failure === 'aborted' && e?.name === 'TimeoutError') failure = 'timeout';
  // Sent, and the answer lost: the server may have acted. (A refused connection or a DNS failure sent nothing.)
  const sentAndLost = failure === 'timeout' || failure === 'reset';
  if (mode === 'refused-only' && sentAndLost) {
    const how = failure === 'timeout' ? `no answer within ${timeoutMs} ms` : `the connection broke before the answer arrived (${code ?? e?.message ?? 'reset'})`;
    return new CliError(
      `${method} ${String(url)}${purpose}: ${how}. The request had been sent, so the server may have acted on it; it was not repeated, so that nothing is done twice.`,
      { code: 'outcome_unknown', fix: opts.unknownOutcomeFix ?? DEFAULT_UNKNOWN_FIX, cause: err },
    );
  }
  if (failure === 'timeout') {
    return new CliError(`No answer from ${String(url)} within ${timeoutMs} ms${purpose}${tries}.`, {
      code: 'timeout',
      fix: `Check that the host is reachable from this machine, or raise the timeout (${HTTP_TIMEOUT_ENV}=30000).`,
      cause: err,
    });
  }
  return new CliError(`Cannot reach ${String(url)}${purpose}: ${code ?? e?.message ?? String(err)}${tries}.`, {
    code: 'network',
    fix: code === 'ECONNREFUSED' ? 'Nothing is listening there: is the server (or the sandbox) running?' : 'Check the URL and your network.',
    cause: err,
  });
}

/** The most of a response body this tool reads: metadata, tokens, errors and profiles are a few KiB. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * A response body as text, read no further than `limit` bytes: a server that sends more (or streams without
 * end) gets a CliError naming the URL, and the rest is never read.
 */
export async function readText(res: Response, limit = MAX_RESPONSE_BYTES): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  const tooLarge = () =>
    new CliError(`${res.url ? forLog(res.url) : 'The server'} answered with more than ${Math.round(limit / 1024)} KiB; it was not read.`, {
      code: 'response_too_large',
      fix: 'This endpoint should answer with a small JSON document: check the URL.',
    });
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  // As Response.text() decodes: UTF-8, a byte-order mark dropped.
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** GET a JSON document; non-2xx or non-JSON become CliErrors naming the URL. */
export async function getJson<T = unknown>(url: string | URL, opts: HttpOptions & { headers?: Record<string, string> } = {}): Promise<T> {
  const res = await httpFetch(url, { headers: { accept: 'application/json', ...opts.headers } }, opts);
  const text = await readText(res);
  if (!res.ok) {
    throw new CliError(`GET ${String(url)} answered HTTP ${res.status}${opts.purpose ? ` (${opts.purpose})` : ''}.`, { code: `http_${res.status}` });
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`GET ${String(url)} did not return JSON${opts.purpose ? ` (${opts.purpose})` : ''}.`, { code: 'not_json' });
  }
}

/**
 * Reads a response body as a JSON object; anything else (empty, not JSON, an array, a broken stream) gives
 * undefined. A body past MAX_RESPONSE_BYTES is a CliError (response_too_large) naming the URL.
 */
export async function readJsonBody(res: Response): Promise<Record<string, unknown> | undefined> {
  const text = await readText(res).catch((err: unknown) => {
    if (err instanceof CliError && err.code === 'response_too_large') throw err;
    return '';
  });
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
