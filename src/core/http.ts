import { CliError } from './errors.js';

export interface HttpOptions {
  timeoutMs?: number;
  /** What the request is for, used in error messages ("fetching the JWKS"). */
  purpose?: string;
}

export type Fetch = typeof fetch;

/** fetch with a timeout and a clear message when it expires or the connection fails. */
export async function httpFetch(url: string | URL, init: RequestInit = {}, opts: HttpOptions = {}): Promise<Response> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const purpose = opts.purpose ? ` (${opts.purpose})` : '';
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || signal.aborted) {
      throw new CliError(`No answer from ${String(url)} within ${timeoutMs} ms${purpose}.`, {
        code: 'timeout',
        fix: 'Check that the host is reachable from this machine, or raise --timeout.',
      });
    }
    const code = e.cause?.code;
    throw new CliError(`Cannot reach ${String(url)}${purpose}: ${code ?? e.message}.`, {
      code: 'network',
      fix: code === 'ECONNREFUSED' ? 'Nothing is listening there: is the server (or the sandbox) running?' : 'Check the URL and your network.',
      cause: err,
    });
  }
}

/** GET a JSON document; non-2xx or non-JSON become CliErrors naming the URL. */
export async function getJson<T = unknown>(url: string | URL, opts: HttpOptions & { headers?: Record<string, string> } = {}): Promise<T> {
  const res = await httpFetch(url, { headers: { accept: 'application/json', ...opts.headers } }, opts);
  const text = await res.text();
  if (!res.ok) {
    throw new CliError(`GET ${String(url)} answered HTTP ${res.status}${opts.purpose ? ` (${opts.purpose})` : ''}.`, { code: `http_${res.status}` });
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`GET ${String(url)} did not return JSON${opts.purpose ? ` (${opts.purpose})` : ''}.`, { code: 'not_json' });
  }
}

/** Reads a response body as a JSON object; anything else (empty, not JSON, an array) gives undefined. */
export async function readJsonBody(res: Response): Promise<Record<string, unknown> | undefined> {
  const text = await res.text().catch(() => '');
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
