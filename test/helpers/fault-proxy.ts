/**
 * A programmable fault-injecting HTTP reverse proxy for tests: listens on 127.0.0.1:0 and forwards every request
 * to one target origin, except those a rule catches. Rules match by method, path and occurrence, and can:
 *
 *   respond(status, headers, body)   answer without forwarding (500, 429 + Retry-After, an AWS-shaped 403...)
 *   hang                             never answer (the client's timeout fires); `forward: true` forwards first,
 *                                    so the server acts but the answer never comes back
 *   reset                            read the request, then reset the connection without forwarding (the server
 *                                    never saw it; the client cannot know that)
 *   forward-after(until)             hold the request until the test's promise settles, then forward it
 *   forward-then-reset               forward, wait for the server's full answer, then reset the client's connection:
 *                                    the server acted but the client never heard (the hard case)
 *
 * Every request is recorded (method, path, what happened, the status the client got) so tests can assert retries
 * and counts.
 *
 * Host handling: the proxy forwards the request's own Host header unchanged (a transparent reverse proxy). So
 * - AWS SDK requests keep the Host they were signed with (SigV4 covers `host`), and moto_server routes by the
 *   Authorization header's credential scope, not by Host;
 * - oidc-provider, which builds endpoint URLs (token, registration, registration_client_uri...) from the request's
 *   Host, builds them on the proxy's origin, so the client's later calls come back through the proxy too. Its
 *   issuer is fixed when it is created and must equal the origin the client uses: for IdP faults, create the IdP
 *   with `issuer: proxy.origin` (create the proxy first; see test/e2e/faults.test.ts for the composition).
 * Hop-by-hop headers (Connection, Keep-Alive, Proxy-*, TE, Trailer, Upgrade, Transfer-Encoding) are dropped both
 * ways, as RFC 9110 §7.6.1 requires; Node re-frames bodies itself.
 */
import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type FaultAction =
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'hang'; forward?: boolean }
  | { kind: 'reset' }
  | { kind: 'forward-then-reset' }
  /** Hold the request until `until()` settles (a test changes the world meanwhile), then forward it. */
  | { kind: 'forward-after'; until: () => Promise<unknown> }
  | { kind: 'forward' };

export interface FaultRule {
  /** Exact method (case-insensitive); omitted = any. */
  method?: string;
  /** Tested against the path without the query. */
  path: RegExp;
  /**
   * Which occurrences (1-based, counted over requests matching method + path, whether or not the rule fired) the
   * rule applies to; omitted = every one.
   */
  nth?: number | number[];
  action: FaultAction;
  /** A name for the request log (defaults to the action's kind). */
  label?: string;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Path with query. */
  url: string;
  /** Path without query. */
  path: string;
  /** The fault applied, or 'forward'. */
  action: FaultAction['kind'];
  /** Whether the target saw the request. */
  forwarded: boolean;
  /** The status the target answered (when forwarded and it answered). */
  upstreamStatus?: number;
  /** The status the client received; undefined when it got none (reset, hang). */
  status?: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  target: string;
  /** Adds a rule (rules are tried in the order added; the first that applies wins). Returns it, for removeRule. */
  addRule(rule: FaultRule): FaultRule;
  removeRule(rule: FaultRule): void;
  /** Removes every rule and resets occurrence counters: the proxy forwards everything again. */
  clearRules(): void;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests matching method (exact, any case) and path. */
  matching(method: string, path: RegExp): RecordedRequest[];
  /** Forgets the request log (rules stay). */
  clearLog(): void;
  close(): Promise<void>;
}

// --- ready-made actions -------------------------------------------------------------------------------------

/** A JSON error answer. */
export function respondJson(status: number, body: unknown, headers: Record<string, string> = {}): FaultAction {
  return { kind: 'respond', status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** An AWS JSON-protocol error as the REST-JSON services send it: x-amzn-errortype picks the SDK's exception class. */
export function awsError(status: number, type: string, message: string, headers: Record<string, string> = {}): FaultAction {
  return respondJson(status, { message }, { 'x-amzn-errortype': type, 'x-amzn-requestid': 'fault-proxy', ...headers });
}

export const internalError: FaultAction = respondJson(500, { error: 'server_error', error_description: 'injected by the fault proxy' });
export const awsInternalError: FaultAction = awsError(500, 'InternalServerException', 'Injected by the fault proxy.');

/** 429 with Retry-After (seconds); AWS-shaped when aws is true (ThrottlingException). */
export function throttled(retryAfterSeconds: number, opts: { aws?: boolean } = {}): FaultAction {
  return opts.aws
    ? awsError(429, 'ThrottlingException', 'Rate exceeded', { 'retry-after': String(retryAfterSeconds) })
    : respondJson(429, { error: 'rate_limited', error_description: 'slow down' }, { 'retry-after': String(retryAfterSeconds) });
}

export const reset: FaultAction = { kind: 'reset' };
export const forwardThenReset: FaultAction = { kind: 'forward-then-reset' };
export const hang: FaultAction = { kind: 'hang' };

// --- the proxy ----------------------------------------------------------------------------------------------

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'transfer-encoding']);

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function resetSocket(socket: Socket | null | undefined): void {
  if (!socket || socket.destroyed) return;
  // A TCP RST (ECONNRESET at the client) where Node supports it, else a plain close.
  if (typeof (socket as Socket & { resetAndDestroy?: () => void }).resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete) return resolve();
    req.on('end', resolve).on('error', () => resolve()).on('close', () => resolve());
    req.resume();
  });
}

export async function startFaultProxy(opts: { target: string; host?: string }): Promise<FaultProxy> {
  const target = new URL(opts.target);
  if (target.protocol !== 'http:') throw new Error(`fault proxy: only http targets (got ${opts.target})`);
  const rules: FaultRule[] = [];
  const counters = new Map<FaultRule, number>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let seq = 0;

  const pick = (method: string, path: string): FaultRule | undefined => {
    let chosen: FaultRule | undefined;
    for (const r of rules) {
      if (r.method && r.method.toUpperCase() !== method) continue;
      if (!r.path.test(path)) continue;
      const n = (counters.get(r) ?? 0) + 1;
      counters.set(r, n);
      const applies = r.nth === undefined || (Array.isArray(r.nth) ? r.nth.includes(n) : r.nth === n);
      if (applies && !chosen) chosen = r;
    }
    return chosen;
  };

  const forward = (req: IncomingMessage, rec: RecordedRequest, onResponse: (up: IncomingMessage) => void, onError: (err: Error) => void) => {
    rec.forwarded = true;
    const up = httpRequest(
      {
        host: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: req.url,
        headers: endToEnd(req.headers), // Host included, unchanged
        agent: false,
      },
      (res) => {
        rec.upstreamStatus = res.statusCode;
        onResponse(res);
      },
    );
    up.on('error', onError);
    req.pipe(up);
  };

  /** Forward the request and pipe the target's answer back. */
  const passThrough = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) => {
    forward(
      req,
      rec,
      (up) => {
        rec.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
        up.pipe(res);
      },
      (err) => {
        rec.status = 502;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: the target ${target.origin} failed: ${err.message}`);
      },
    );
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const rule = pick(method, path);
    const action: FaultAction = rule?.action ?? { kind: 'forward' };
    const rec: RecordedRequest = { seq: ++seq, method, url, path, action: action.kind, forwarded: false };
    requests.push(rec);

    switch (action.kind) {
      case 'respond': {
        void drain(req).then(() => {
          const body = action.body ?? '';
          res.writeHead(action.status, { 'content-length': Buffer.byteLength(body), ...action.headers });
          res.end(body);
          rec.status = action.status;
        });
        return;
      }
      case 'reset': {
        void drain(req).then(() => resetSocket(req.socket));
        return;
      }
      case 'hang': {
        if (action.forward) forward(req, rec, (up) => up.resume(), () => undefined);
        else req.resume();
        return; // the socket stays open until the client gives up or the proxy closes
      }
      case 'forward-then-reset': {
        forward(
          req,
          rec,
          (up) => {
            up.resume();
            up.on('end', () => resetSocket(req.socket));
          },
          () => resetSocket(req.socket),
        );
        return;
      }
      case 'forward-after': {
        void action.until().then(() => passThrough(req, res, rec), () => passThrough(req, res, rec));
        return;
      }
      case 'forward': {
        passThrough(req, res, rec);
        return;
      }
    }
  };

  const server: Server = createServer(handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A client that resets first must not crash the proxy.
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const host = opts.host ?? '127.0.0.1';

  return {
    origin: `http://${host}:${port}`,
    port,
    target: target.origin,
    addRule(rule) {
      rules.push(rule);
      return rule;
    },
    removeRule(rule) {
      const i = rules.indexOf(rule);
      if (i >= 0) rules.splice(i, 1);
      counters.delete(rule);
    },
    clearRules() {
      rules.length = 0;
      counters.clear();
    },
    requests,
    matching(m, p) {
      return requests.filter((r) => r.method === m.toUpperCase() && p.test(r.path));
    },
    clearLog() {
      requests.length = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
