/**
 * The retry policy of our own HTTP calls (src/core/retry.ts) and httpFetch (src/core/http.ts) that applies it:
 * which statuses and failures are retried in which mode, Retry-After, backoff bounds and caps, the messages a
 * user reads when retries end, and that the OAuth callers pick the right mode (a registration or a code
 * exchange is never sent twice; a revocation or an RFC 7592 delete is). Real servers on 127.0.0.1, and the fault
 * proxy (test/helpers/fault-proxy.ts) for resets and the forwarded-then-reset case.
 *
 * Run: node --test dist/test/unit/retry.test.js
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { CliError, UsageError } from '../../src/core/errors.js';
import { HTTP_TIMEOUT_ENV, httpFetch, httpTimeoutOverride, setHttpLogger } from '../../src/core/http.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  classifyFetchError,
  decideRetry,
  defaultRetryMode,
  isRetryable,
  parseRetryAfter,
  type AttemptOutcome,
  type RetryMode,
} from '../../src/core/retry.js';
import { deleteClient, registerClient } from '../../src/oauth/registration.js';
import { exchangeCode, refreshTokens, revokeToken } from '../../src/oauth/tokens.js';
import { forwardThenReset, hang, reset, startFaultProxy, throttled, type FaultProxy } from '../helpers/fault-proxy.js';

// --- a scripted server: the nth request gets the nth handler (the last one repeats) --------------------------------

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Scripted {
  url: string;
  origin: string;
  hits: Array<{ method: string; path: string; body: string; at: number }>;
  close(): Promise<void>;
}

const servers: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const status =
  (code: number, headers: Record<string, string> = {}, body: unknown = { ok: code < 400 }): Handler =>
  (_req, res) => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
const neverAnswer: Handler = () => undefined;

async function scripted(handlers: Handler[], path = '/x'): Promise<Scripted> {
  const hits: Scripted['hits'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ method: req.method ?? 'GET', path: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      handlers[Math.min(hits.length, handlers.length) - 1]!(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const s: Scripted = {
    url: `${origin}${path}`,
    origin,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  servers.push(s);
  return s;
}

async function proxyTo(origin: string): Promise<FaultProxy> {
  const p = await startFaultProxy({ target: origin });
  servers.push(p);
  return p;
}

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<CliError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CliError, `expected a CliError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

// ------------------------------------------------------------------------------------------------------------------

describe('the policy (pure)', () => {
  test('idempotent methods retry on failure; other methods only when the server clearly did not act', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'get', 'delete']) assert.equal(defaultRetryMode(m), 'idempotent', m);
    for (const m of ['POST', 'PATCH', 'post']) assert.equal(defaultRetryMode(m), 'refused-only', m);
    assert.equal(defaultRetryMode(undefined), 'idempotent', 'fetch defaults to GET');
  });

  test('which answers and failures each mode retries', () => {
    const yes = (mode: RetryMode, o: AttemptOutcome) => assert.equal(isRetryable(mode, o), true, `${mode} ${JSON.stringify(o)} should retry`);
    const no = (mode: RetryMode, o: AttemptOutcome) => assert.equal(isRetryable(mode, o), false, `${mode} ${JSON.stringify(o)} must not retry`);
    for (const s of [429, 500, 502, 503, 504]) yes('idempotent', { status: s });
    for (const s of [200, 201, 204, 301, 400, 401, 403, 404, 409, 501]) no('idempotent', { status: s });
    yes('idempotent', { failure: 'refused' });
    yes('idempotent', { failure: 'reset' });
    yes('idempotent', { failure: 'timeout' });
    // refused-only: a 429 always says "not processed"; a 503 only with Retry-After; a 500 may hide a created resource.
    yes('refused-only', { status: 429 });
    yes('refused-only', { status: 429, retryAfterMs: 1000 });
    yes('refused-only', { status: 503, retryAfterMs: 0 });
    no('refused-only', { status: 503 });
    for (const s of [500, 502, 504, 400, 403]) no('refused-only', { status: s });
    yes('refused-only', { failure: 'refused' });
    no('refused-only', { failure: 'reset' });
    no('refused-only', { failure: 'timeout' });
    for (const f of ['dns', 'aborted', 'other'] as const) {
      no('idempotent', { failure: f });
      no('refused-only', { failure: f });
    }
    for (const o of [{ status: 503 }, { status: 429 }, { failure: 'refused' as const }]) no('none', o);
  });

  test('Retry-After: delay-seconds and the three HTTP-date forms; garbage is ignored', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 12:00:05 GMT', now), 5000, 'IMF-fixdate');
    assert.equal(parseRetryAfter('Sunday, 01-Mar-26 12:00:07 GMT', now), 7000, 'RFC 850');
    assert.equal(parseRetryAfter('Sun Mar  1 12:00:09 2026', now), 9000, 'asctime');
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 11:59:00 GMT', now), 0, 'a date in the past means now');
    for (const bad of [null, undefined, '', 'soon', '1.5', '-1', '3 seconds', 'Mar 1 2026']) assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
  });

  test('backoff is exponential with jitter: between half and all of base*2^(n-1), capped', () => {
    const p = { baseDelayMs: 200, maxDelayMs: 3000 };
    const bounds = (n: number) => [backoffDelay(n, p, () => 0), backoffDelay(n, p, () => 0.999999)];
    assert.deepEqual(bounds(1), [100, 200]);
    assert.deepEqual(bounds(2), [200, 400]);
    assert.deepEqual(bounds(3), [400, 800]);
    assert.deepEqual(bounds(10), [1500, 3000], 'capped');
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2, p);
      assert.ok(d >= 200 && d <= 400, `jittered delay ${d} out of bounds`);
    }
    // The defaults the product uses: 4 attempts, worst case well under 2 s of backoff for a plain failure.
    assert.equal(DEFAULT_RETRY_POLICY.maxAttempts, 4);
    const worst = [1, 2, 3].reduce((t, n) => t + backoffDelay(n, DEFAULT_RETRY_POLICY, () => 0.999999), 0);
    assert.ok(worst <= 1500, `worst-case backoff ${worst} ms`);
  });

  test('caps: attempts, one timeout retry, a Retry-After that is too long, the total time', () => {
    const P = DEFAULT_RETRY_POLICY;
    const at = (attempt: number, extra: Partial<{ elapsedMs: number; timeoutRetries: number }> = {}) => ({ attempt, elapsedMs: 0, timeoutRetries: 0, ...extra });
    assert.equal(decideRetry('idempotent', { status: 503 }, at(3)).retry, true);
    assert.deepEqual(decideRetry('idempotent', { status: 503 }, at(4)), { retry: false, stop: 'attempts', why: 'HTTP 503 after 4 attempts' });
    assert.equal(decideRetry('idempotent', { failure: 'timeout' }, at(1)).retry, true);
    assert.equal(decideRetry('idempotent', { failure: 'timeout' }, at(2, { timeoutRetries: 1 })).retry, false, 'a timeout is retried once only');
    const ra = decideRetry('idempotent', { status: 429, retryAfterMs: 2000 }, at(1), P, () => 0);
    assert.deepEqual(ra, { retry: true, delayMs: 2000, why: 'HTTP 429' }, 'Retry-After wins over a shorter backoff');
    const small = decideRetry('idempotent', { status: 503, retryAfterMs: 0 }, at(1), P, () => 0);
    assert.equal(small.retry && small.delayMs, 100, 'backoff wins over a shorter Retry-After');
    const long = decideRetry('refused-only', { status: 429, retryAfterMs: 21_000 }, at(1));
    assert.deepEqual(long, { retry: false, stop: 'retry-after-too-long', why: 'HTTP 429 asking to wait 21 s' });
    assert.equal(decideRetry('idempotent', { status: 502 }, at(1, { elapsedMs: P.maxElapsedMs })).retry, false, 'no retry past the time budget');
    assert.equal(decideRetry('refused-only', { status: 500 }, at(1)).retry, false);
  });

  test('fetch failures are classified from the wrapped cause', () => {
    const wrapped = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
    assert.equal(classifyFetchError(wrapped('ECONNREFUSED')), 'refused');
    assert.equal(classifyFetchError(wrapped('ECONNRESET')), 'reset');
    assert.equal(classifyFetchError(wrapped('UND_ERR_SOCKET')), 'reset');
    assert.equal(classifyFetchError(wrapped('ENOTFOUND')), 'dns');
    assert.equal(classifyFetchError(Object.assign(new Error('x'), { name: 'TimeoutError' })), 'timeout');
    const caller = new AbortController();
    caller.abort();
    assert.equal(classifyFetchError(new Error('aborted'), { caller: caller.signal }), 'aborted');
  });
});

describe('httpFetch against real servers', () => {
  test('a GET answered 503 twice is retried and succeeds; each retry is logged at debug, without the query', async () => {
    const s = await scripted([status(503), status(503), status(200)]);
    const log = createMemoryLogger();
    const res = await httpFetch(`${s.url}?code=abc123secret`, {}, { logger: log });
    assert.equal(res.status, 200);
    assert.equal(s.hits.length, 3);
    assert.equal(log.lines.length, 2, log.lines.join('\n'));
    assert.match(log.lines[0]!, new RegExp(`retrying GET ${s.url} after HTTP 503 \\(attempt 2/4\\) in \\d+ ms`));
    assert.match(log.lines[1]!, /after HTTP 503 \(attempt 3\/4\)/);
    assert.ok(!log.lines.join('\n').includes('abc123secret'), 'the query never reaches the log');
    const gaps = [s.hits[1]!.at - s.hits[0]!.at, s.hits[2]!.at - s.hits[1]!.at];
    assert.ok(gaps[0]! >= 90 && gaps[1]! >= 190, `backoff observed: ${gaps.join(', ')} ms`);
  });

  test('a persistent 500 on a GET ends after 4 attempts with the 500 answer, within about 2 s', async () => {
    const s = await scripted([status(500)]);
    const t0 = Date.now();
    const res = await httpFetch(s.url);
    assert.equal(res.status, 500);
    assert.equal(s.hits.length, 4);
    assert.ok(Date.now() - t0 < 2500, `took ${Date.now() - t0} ms`);
  });

  test('a POST answered 500 is not repeated (it may have created something)', async () => {
    const s = await scripted([status(500), status(201)]);
    const res = await httpFetch(s.url, { method: 'POST', body: '{}' });
    assert.equal(res.status, 500);
    assert.equal(s.hits.length, 1);
  });

  test('a POST answered 429 with Retry-After is repeated after the wait the server asked for', async () => {
    const s = await scripted([status(429, { 'retry-after': '1' }), status(201)]);
    const res = await httpFetch(s.url, { method: 'POST', body: '{"a":1}' });
    assert.equal(res.status, 201);
    assert.equal(s.hits.length, 2);
    assert.equal(s.hits[1]!.body, '{"a":1}', 'the same body is sent again');
    assert.ok(s.hits[1]!.at - s.hits[0]!.at >= 950, `waited ${s.hits[1]!.at - s.hits[0]!.at} ms`);
  });

  test('a POST answered 503 is repeated only when the 503 carries Retry-After', async () => {
    const bare = await scripted([status(503), status(201)]);
    assert.equal((await httpFetch(bare.url, { method: 'POST', body: '{}' })).status, 503);
    assert.equal(bare.hits.length, 1);
    const withRa = await scripted([status(503, { 'retry-after': '0' }), status(201)]);
    assert.equal((await httpFetch(withRa.url, { method: 'POST', body: '{}' })).status, 201);
    assert.equal(withRa.hits.length, 2);
  });

  test('a 429 that outlives the retries becomes "rate limited; wait N s and run again"', async () => {
    const s = await scripted([status(429, { 'retry-after': '0' })]);
    const err = await rejection(httpFetch(s.url, {}, { purpose: 'the JWKS', retryPolicy: { baseDelayMs: 10 } }));
    assert.equal(err.code, 'rate_limited');
    assert.equal(s.hits.length, 4);
    assert.match(err.message, /rate limited \(HTTP 429 after 4 attempts\)/);
    assert.match(err.message, /\(the JWKS\)/);
    assert.match(err.fix ?? '', /wait 1 s and run the command again \(it resumes/);
  });

  test('a Retry-After longer than 20 s is not waited for: it fails at once and says how long to wait', async () => {
    const s = await scripted([status(429, { 'retry-after': '120' })]);
    const t0 = Date.now();
    const err = await rejection(httpFetch(s.url, { method: 'POST', body: '{}' }));
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(s.hits.length, 1);
    assert.match(err.message, /asks to wait 120 s, longer than the 20 s this tool waits/);
    assert.match(err.fix ?? '', /wait 120 s/);
  });

  test("mode 'none' returns the first answer, even a 429", async () => {
    const s = await scripted([status(429, { 'retry-after': '0' }), status(200)]);
    assert.equal((await httpFetch(s.url, {}, { retry: 'none' })).status, 429);
    assert.equal(s.hits.length, 1);
  });

  test('a connection reset before the server saw the request: a GET is retried; a POST fails saying it may have acted', async () => {
    const s = await scripted([status(200)]);
    const proxy = await proxyTo(s.origin);
    proxy.addRule({ path: /^\/x$/, nth: 1, action: reset });
    const res = await httpFetch(`${proxy.origin}/x`);
    assert.equal(res.status, 200);
    assert.equal(proxy.requests.length, 2);
    assert.equal(s.hits.length, 1, 'the reset request never reached the server');

    proxy.clearRules();
    proxy.addRule({ method: 'POST', path: /^\/x$/, nth: 1, action: reset });
    const err = await rejection(httpFetch(`${proxy.origin}/x`, { method: 'POST', body: '{}' }, { purpose: 'client registration', unknownOutcomeFix: 'Look in the console.' }));
    assert.equal(err.code, 'outcome_unknown');
    assert.match(err.message, /\(client registration\): the connection broke before the answer arrived/);
    assert.match(err.message, /may have acted on it; it was not repeated/);
    assert.equal(err.fix, 'Look in the console.');
    assert.equal(proxy.matching('POST', /^\/x$/).length, 1, 'not repeated');
  });

  test('forwarded, then the connection reset: a POST is not repeated (the server acted once); a GET is', async () => {
    const s = await scripted([status(201)]);
    const proxy = await proxyTo(s.origin);
    proxy.addRule({ path: /^\/x$/, nth: 1, action: forwardThenReset });
    const err = await rejection(httpFetch(`${proxy.origin}/x`, { method: 'POST', body: '{}' }));
    assert.equal(err.code, 'outcome_unknown');
    assert.equal(s.hits.length, 1, 'the server acted exactly once');
    assert.equal(proxy.requests[0]!.upstreamStatus, 201);
    assert.equal(proxy.requests[0]!.status, undefined, 'the client never got the answer');

    proxy.clearRules();
    proxy.addRule({ path: /^\/x$/, nth: 1, action: forwardThenReset });
    assert.equal((await httpFetch(`${proxy.origin}/x`)).status, 201);
    assert.equal(s.hits.length, 3);
  });

  test('a hung answer: a GET times out, is retried once, then fails with a timeout message; a POST fails at once saying it may have acted', async () => {
    const s = await scripted([neverAnswer]);
    const t0 = Date.now();
    const err = await rejection(httpFetch(s.url, {}, { timeoutMs: 200, purpose: 'fetching the JWKS' }));
    assert.equal(err.code, 'timeout');
    assert.match(err.message, new RegExp(`No answer from ${s.url} within 200 ms \\(fetching the JWKS\\) after 2 attempts\\.`));
    assert.match(err.fix ?? '', /AGENTCORE_AUTH_HTTP_TIMEOUT_MS/);
    assert.equal(s.hits.length, 2);
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);

    const post = await rejection(httpFetch(s.url, { method: 'POST', body: '{}' }, { timeoutMs: 200 }));
    assert.equal(post.code, 'outcome_unknown');
    assert.match(post.message, /no answer within 200 ms\. The request had been sent, so the server may have acted on it/);
    assert.equal(s.hits.length, 3, 'the POST was sent once');
  });

  test('connection refused: even a POST is retried (nothing was sent), and succeeds once the server is up', async () => {
    const port = await deadPort();
    let hits = 0;
    const late = createServer((_req, res) => {
      hits++;
      res.writeHead(201).end('{}');
    });
    const up = new Promise<void>((r) => setTimeout(() => late.listen(port, '127.0.0.1', r), 40));
    servers.push({ close: () => new Promise<void>((r) => late.close(() => r())) });
    const res = await httpFetch(`http://127.0.0.1:${port}/x`, { method: 'POST', body: '{}' });
    await up;
    assert.equal(res.status, 201);
    assert.equal(hits, 1);
  });

  test('connection refused for good: "Cannot reach ... ECONNREFUSED after 4 attempts" with the fix', async () => {
    const port = await deadPort();
    const err = await rejection(httpFetch(`http://127.0.0.1:${port}/x`, {}, { purpose: 'the discovery document', retryPolicy: { baseDelayMs: 10 } }));
    assert.equal(err.code, 'network');
    assert.equal(err.message, `Cannot reach http://127.0.0.1:${port}/x (the discovery document): ECONNREFUSED after 4 attempts.`);
    assert.match(err.fix ?? '', /Nothing is listening there/);
  });

  test('a POST that could not be sent at all (a bad URL) is a plain error, not "may have acted"', async () => {
    const err = await rejection(httpFetch('http://127.0.0.1:99999/x', { method: 'POST', body: '{}' }));
    assert.equal(err.code, 'network');
    assert.match(err.message, /^Cannot reach http:\/\/127\.0\.0\.1:99999\/x: /);
  });

  test('a body that cannot be replayed (a stream) is never retried', async () => {
    const s = await scripted([status(503), status(200)]);
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('{}'));
        c.close();
      },
    });
    const res = await httpFetch(s.url, { method: 'PUT', body, duplex: 'half' } as RequestInit, { retry: 'idempotent' });
    assert.equal(res.status, 503);
    assert.equal(s.hits.length, 1);
  });

  test("the caller's own signal ends the wait for a retry", async () => {
    const s = await scripted([status(503, { 'retry-after': '5' })]);
    const t0 = Date.now();
    const res = await httpFetch(s.url, { signal: AbortSignal.timeout(300) });
    assert.equal(res.status, 503);
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    assert.equal(s.hits.length, 1);
  });

  test(`${HTTP_TIMEOUT_ENV} overrides every timeout; a bad value is a usage error`, async () => {
    const saved = process.env[HTTP_TIMEOUT_ENV];
    try {
      process.env[HTTP_TIMEOUT_ENV] = '150';
      assert.equal(httpTimeoutOverride(), 150);
      const s = await scripted([neverAnswer]);
      const err = await rejection(httpFetch(s.url, {}, { timeoutMs: 60_000, retry: 'none' }));
      assert.match(err.message, /within 150 ms/);
      process.env[HTTP_TIMEOUT_ENV] = '10s';
      assert.throws(() => httpTimeoutOverride(), (e: unknown) => e instanceof UsageError && /whole number of milliseconds \(got "10s"\)/.test(e.message));
    } finally {
      if (saved === undefined) delete process.env[HTTP_TIMEOUT_ENV];
      else process.env[HTTP_TIMEOUT_ENV] = saved;
    }
  });

  test('setHttpLogger: retries of calls that pass no logger go to the process logger', async () => {
    const log = createMemoryLogger();
    setHttpLogger(log);
    try {
      const s = await scripted([status(502), status(200)]);
      await httpFetch(s.url, { method: 'DELETE' });
      assert.equal(log.lines.length, 1);
      assert.match(log.lines[0]!, /retrying DELETE .* after HTTP 502 \(attempt 2\/4\)/);
    } finally {
      setHttpLogger(undefined);
    }
  });
});

describe('the OAuth callers use the right mode', () => {
  test('RFC 7591 registration: a 500 is not repeated; a 429 is; a lost answer says the client may exist and names it', async () => {
    const s = await scripted([status(500, {}, { error: 'server_error' }), status(201, {}, { client_id: 'c1' })], '/reg');
    await rejection(registerClient({ registrationEndpoint: s.url, metadata: { client_name: 'agentcore-auth dev' } }));
    assert.equal(s.hits.length, 1);

    const t = await scripted([status(429, { 'retry-after': '0' }), status(201, {}, { client_id: 'c2' })], '/reg');
    assert.equal((await registerClient({ registrationEndpoint: t.url, metadata: {} })).client_id, 'c2');
    assert.equal(t.hits.length, 2);

    const u = await scripted([status(201, {}, { client_id: 'c3' })], '/reg');
    const proxy = await proxyTo(u.origin);
    proxy.addRule({ method: 'POST', path: /^\/reg$/, action: forwardThenReset });
    const err = await rejection(registerClient({ registrationEndpoint: `${proxy.origin}/reg`, metadata: { client_name: 'agentcore-auth dev' } }));
    assert.equal(err.code, 'outcome_unknown');
    assert.match(err.fix ?? '', /may have registered a client named "agentcore-auth dev"/);
    assert.match(err.fix ?? '', /admin console/);
    assert.equal(u.hits.length, 1, 'registered once, never twice');
  });

  test('RFC 7591 registration refused with 403: the message says 403 and names the initial access token variable', async () => {
    const s = await scripted([status(403, {}, { error: 'access_denied' })], '/reg');
    const err = await rejection(registerClient({ registrationEndpoint: s.url, metadata: {} }));
    assert.equal(err.code, 'registration_unauthorized');
    assert.match(err.message, /refused client registration \(HTTP 403, access_denied\): it requires an initial access token/);
    assert.match(err.fix ?? '', /AGENTCORE_AUTH_INITIAL_ACCESS_TOKEN/);
    assert.equal(s.hits.length, 1);
  });

  test('RFC 7592 delete and RFC 7009 revocation are repeated after a 5xx or a reset', async () => {
    const d = await scripted([status(503), (_req, res) => void res.writeHead(204).end()], '/reg/c1');
    assert.equal(await deleteClient({ registrationClientUri: d.url, registrationAccessToken: 'rat-123456789' }), 'deleted');
    assert.equal(d.hits.length, 2);

    const r = await scripted([status(200)], '/revoke');
    const proxy = await proxyTo(r.origin);
    proxy.addRule({ path: /^\/revoke$/, nth: 1, action: forwardThenReset });
    const out = await revokeToken({ revocationEndpoint: `${proxy.origin}/revoke`, clientId: 'c1', token: 'tok-123456789', tokenTypeHint: 'refresh_token' });
    assert.deepEqual(out, { ok: true, status: 200 });
    assert.equal(r.hits.length, 2, 'revoked twice: harmless');
  });

  test('the code exchange and the refresh are never repeated after the request was sent', async () => {
    const s = await scripted([status(502), status(200, {}, { access_token: 'x' })], '/token');
    const err = await rejection(exchangeCode({ tokenEndpoint: s.url, clientId: 'c', code: 'code-123456', redirectUri: 'http://localhost/cb', verifier: 'v' }));
    assert.equal(err.code, 'token_http_502');
    assert.equal(s.hits.length, 1);

    const t = await scripted([status(200, {}, { access_token: 'x' })], '/token');
    const proxy = await proxyTo(t.origin);
    proxy.addRule({ path: /^\/token$/, action: forwardThenReset });
    const lost = await rejection(refreshTokens({ tokenEndpoint: `${proxy.origin}/token`, clientId: 'c', refreshToken: 'rt-123456789' }));
    assert.equal(lost.code, 'outcome_unknown');
    assert.match(lost.fix ?? '', /may have rotated the refresh token/);
    assert.equal(t.hits.length, 1);

    // 429 means "not processed": safe to send again, and it succeeds.
    const u = await scripted([status(429, { 'retry-after': '0' }), status(200, {}, { access_token: 'y' })], '/token');
    assert.equal((await refreshTokens({ tokenEndpoint: u.url, clientId: 'c', refreshToken: 'rt-123456789' })).access_token, 'y');
    assert.equal(u.hits.length, 2);
  });

  test('the fault proxy hangs (without forwarding, or after forwarding) until the client gives up', async () => {
    const s = await scripted([status(200)]);
    const proxy = await proxyTo(s.origin);
    proxy.addRule({ path: /^\/x$/, action: hang });
    await rejection(httpFetch(`${proxy.origin}/x`, {}, { timeoutMs: 150, retry: 'none' }));
    assert.equal(s.hits.length, 0);
    assert.equal(proxy.requests[0]!.forwarded, false);

    // hang with forward: the server acts, the answer never comes back.
    proxy.clearRules();
    proxy.addRule({ path: /^\/x$/, action: { kind: 'hang', forward: true } });
    const err = await rejection(httpFetch(`${proxy.origin}/x`, { method: 'POST', body: '{}' }, { timeoutMs: 300 }));
    assert.equal(err.code, 'outcome_unknown');
    assert.equal(s.hits.length, 1, 'the server saw it once');
    assert.equal(proxy.requests[1]!.upstreamStatus, 200);
  });

  test('the fault proxy answers 429 with Retry-After and counts occurrences per rule', async () => {
    const s = await scripted([status(200)]);
    const proxy = await proxyTo(s.origin);
    proxy.addRule({ method: 'GET', path: /^\/x$/, nth: [1, 3], action: throttled(0) });
    assert.equal((await httpFetch(`${proxy.origin}/x`)).status, 200); // 429, then 200
    assert.equal((await httpFetch(`${proxy.origin}/x`)).status, 200); // 429 (3rd), then 200 (4th)
    assert.deepEqual(proxy.matching('GET', /^\/x$/).map((r) => r.status), [429, 200, 429, 200]);
    assert.equal(s.hits.length, 2);
  });
});
