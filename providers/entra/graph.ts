/**
 * A small Microsoft Graph client: JSON over src/core/http.ts (timeouts, retries, rate-limit messages), the admin
 * token from auth.ts, and Graph's error body ({"error":{"code","message"}}) turned into CliErrors that name the
 * permission a 403 lacks. No Graph SDK: five resources do not need one.
 */
import { decodeJwtClaims } from '../../src/oauth/tokens.js';
import { CliError } from '../../src/core/errors.js';
import { httpFetch, readJsonBody, type HttpOptions } from '../../src/core/http.js';
import type { AdapterContext } from '../types.js';

/** What a call needs the admin token to carry (device code asks for delegated scopes to match). */
export type GraphNeed = 'app' | 'policy' | 'sessions' | 'assign' | 'groups' | 'users';

export type TokenSource = (ctx: AdapterContext, needs: GraphNeed[]) => Promise<string>;

/** A Graph error answer, with Graph's own code and message. */
export class GraphError extends CliError {
  readonly status: number;
  readonly graphCode: string;
  readonly graphMessage: string;
  constructor(message: string, opts: { status: number; graphCode: string; graphMessage: string; fix?: string; code?: string }) {
    super(message, { fix: opts.fix, code: opts.code ?? `graph_${opts.status}` });
    this.name = 'GraphError';
    this.status = opts.status;
    this.graphCode = opts.graphCode;
    this.graphMessage = opts.graphMessage;
  }
}

export interface GraphCall {
  /** Path under the Graph base, e.g. /applications/{id}. */
  path: string;
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** What it is for ("creating the app registration"), for messages. */
  purpose: string;
  /** The permission(s) a 403 means are missing, in words. */
  permission: string;
  needs?: GraphNeed[];
  /** A 404 is an answer (gone), not an error. */
  allow404?: boolean;
  /** Shown when a POST's outcome is unknown (sent, answer lost). */
  unknownOutcomeFix?: string;
}

export interface GraphResult<T> {
  status: number;
  body?: T;
}

export interface GraphClientOptions {
  base: string;
  token: TokenSource;
  /** undici dispatcher passed through to fetch (tests: trust a local CA). */
  dispatcher?: RequestInit['dispatcher'];
}

export class GraphClient {
  constructor(private readonly opts: GraphClientOptions) {}

  get base(): string {
    return this.opts.base;
  }

  async call<T = Record<string, unknown>>(ctx: AdapterContext, c: GraphCall): Promise<GraphResult<T>> {
    const method = c.method ?? 'GET';
    const token = await this.opts.token(ctx, c.needs ?? ['app']);
    const url = `${this.opts.base}${c.path}`;
    const init: RequestInit = {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
      ...(this.opts.dispatcher ? { dispatcher: this.opts.dispatcher } : {}),
    };
    const http: HttpOptions = { timeoutMs: ctx.timeoutMs, purpose: c.purpose, logger: ctx.logger, ...(c.unknownOutcomeFix ? { unknownOutcomeFix: c.unknownOutcomeFix } : {}) };
    const res = await httpFetch(url, init, http);
    ctx.logger.debug(`Graph ${method} ${c.path}: HTTP ${res.status}`);
    if (res.status === 204) {
      await res.body?.cancel().catch(() => undefined);
      return { status: 204 };
    }
    const body = await readJsonBody(res);
    if (res.ok) return { status: res.status, body: body as T | undefined };
    if (res.status === 404 && c.allow404) return { status: 404 };
    throw graphError(method, c, res.status, body, res.headers.get('retry-after'));
  }
}

function graphError(method: string, c: GraphCall, status: number, body: Record<string, unknown> | undefined, retryAfter: string | null): GraphError {
  const err = (body?.error ?? {}) as { code?: unknown; message?: unknown };
  const graphCode = typeof err.code === 'string' ? err.code : '';
  const graphMessage = typeof err.message === 'string' ? err.message : '';
  const said = graphCode || graphMessage ? ` (${[graphCode, graphMessage].filter(Boolean).join(': ')})` : '';
  const base = `Microsoft Graph refused ${c.purpose}: ${method} ${c.path} answered HTTP ${status}${said}.`;
  const mk = (fix: string, code?: string) => new GraphError(base, { status, graphCode, graphMessage, fix, ...(code ? { code } : {}) });
  if (status === 401) {
    return mk('The admin token was not accepted: check AZURE_TENANT_ID / --entra-tenant (a token of another tenant?) and the admin credentials.', 'unauthorized');
  }
  if (status === 403) {
    return mk(`The admin identity needs ${c.permission}. For client credentials: add it as an application permission to AZURE_CLIENT_ID's app and grant admin consent; for device code: sign in as an admin who holds it (Application Administrator or Cloud Application Administrator role).`, 'forbidden');
  }
  if (status === 429) {
    const wait = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : 60;
    return mk(`Rate limited: wait ${wait} s and run the command again.`, 'rate_limited');
  }
  if (status >= 500) return mk('Microsoft Graph had a problem: wait a minute and run the command again (it resumes where it stopped).');
  return mk('This is what Graph said about the request; if it names a property, the tenant may have a policy on app registrations (app management policy).');
}

/** Decodes a JWT's payload without verifying it (only to read what Entra granted, never to trust it). */
export const peekJwt = (token: string): Record<string, unknown> | undefined => decodeJwtClaims(token)?.payload;
