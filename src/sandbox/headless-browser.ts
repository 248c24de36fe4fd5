/**
 * A headless "browser" for OAuth authorization URLs: follows redirects like a browser would, keeping cookies,
 * until the identity provider sends it to another origin (the client's loopback redirect URI), then requests
 * that URL too so the waiting client receives the authorization code.
 *
 * It only works where the identity provider needs no person (the sandbox IdP with `autoLogin`). Reaching a
 * sign-in or consent page, or an error page, is a clear Error.
 */
import { CliError } from '../core/errors.js';
import { httpFetch } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import { bodyExcerpt } from '../core/text.js';

export { bodyExcerpt };

export interface FollowAuthorizationOptions {
  /** Redirects to follow on the IdP's origin before giving up. Default 20. */
  maxHops?: number;
  /** For the whole walk, the callback request included. Default 15000. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface FollowAuthorizationResult {
  /** The first URL outside the IdP's origin (the redirect URI with code/state, or error). */
  finalUrl: string;
  /** HTTP status the redirect URI answered with. */
  status: number;
  /** Redirects followed. */
  hops: number;
}

interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
  expires?: number;
}

/** A deliberately small cookie jar: host-only cookies, path matching, Max-Age/Expires. */
export class CookieJar {
  private cookies: Cookie[] = [];

  store(url: URL, setCookieHeaders: string[]): void {
    for (const header of setCookieHeaders) {
      const [pair, ...attrs] = header.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = defaultPath(url.pathname);
      let expires: number | undefined;
      let maxAge: number | undefined;
      for (const attr of attrs) {
        const i = attr.indexOf('=');
        const key = (i === -1 ? attr : attr.slice(0, i)).trim().toLowerCase();
        const val = i === -1 ? '' : attr.slice(i + 1).trim();
        if (key === 'path' && val.startsWith('/')) path = val;
        else if (key === 'max-age' && /^-?\d+$/.test(val)) maxAge = Number(val);
        else if (key === 'expires') {
          const t = Date.parse(val);
          if (!Number.isNaN(t)) expires = t;
        }
      }
      if (maxAge !== undefined) expires = Date.now() + maxAge * 1000;
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.hostname && c.path === path));
      if (expires !== undefined && expires <= Date.now()) continue;
      this.cookies.push({ name, value, host: url.hostname, path, expires });
    }
  }

  header(url: URL): string | undefined {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === undefined || c.expires > now);
    const matching = this.cookies
      .filter((c) => c.host === url.hostname && pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

function defaultPath(pathname: string): string {
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** The URL without its query values (for messages: authorization URLs carry state and challenges). */
function shortUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function looksLikeSignIn(body: string): boolean {
  return /name="sandbox-idp-page" content="login"/.test(body) || /<input[^>]+type=["']?password/i.test(body);
}

function looksLikeConsent(body: string): boolean {
  return /name="sandbox-idp-page" content="consent"/.test(body);
}

/**
 * Follows an authorization URL like a browser would, keeping cookies, until it reaches a URL whose origin is
 * not the IdP's (the loopback callback), then requests that final URL too (so the waiting client receives the
 * code) and returns it.
 */
export async function followAuthorization(
  url: string,
  opts: FollowAuthorizationOptions = {},
): Promise<FollowAuthorizationResult> {
  const maxHops = opts.maxHops ?? 20;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const log = opts.logger;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new CliError(`Not an authorization URL: "${url}".`, { code: 'usage' });
  }
  if (current.protocol !== 'http:' && current.protocol !== 'https:') {
    throw new CliError(`Not an http(s) authorization URL: ${shortUrl(current)}.`, { code: 'usage' });
  }
  const idpOrigin = current.origin;
  const jar = new CookieJar();
  const deadline = Date.now() + timeoutMs;
  const overall = AbortSignal.timeout(timeoutMs);
  let hops = 0;

  const request = async (target: URL, purpose: string): Promise<Response> => {
    const headers: Record<string, string> = {
      accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8',
      'user-agent': 'agentcore-auth-headless-browser',
    };
    const cookie = jar.header(target);
    if (cookie) headers.cookie = cookie;
    const remaining = Math.max(1, deadline - Date.now());
    const res = await httpFetch(target, { redirect: 'manual', headers, signal: overall }, { timeoutMs: remaining, purpose });
    jar.store(target, res.headers.getSetCookie());
    return res;
  };

  for (;;) {
    if (current.origin !== idpOrigin) {
      log?.debug(`browser: GET ${shortUrl(current)} (redirect URI)`);
      const res = await request(current, 'delivering the authorization response to the redirect URI');
      await res.arrayBuffer().catch(() => undefined);
      log?.debug(`browser: redirect URI answered HTTP ${res.status}`);
      return { finalUrl: current.href, status: res.status, hops };
    }

    const res = await request(current, 'following the authorization redirects');
    const location = res.headers.get('location');
    log?.debug(`browser: GET ${shortUrl(current)} -> HTTP ${res.status}`);

    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer().catch(() => undefined);
      if (hops >= maxHops) {
        throw new CliError(`The identity provider redirected more than ${maxHops} times without reaching the redirect URI (last: ${shortUrl(current)}).`, {
          code: 'too_many_redirects',
        });
      }
      current = new URL(location, current);
      hops += 1;
      continue;
    }

    const body = await res.text().catch(() => '');
    if (res.status >= 400) {
      throw new CliError(`The identity provider answered HTTP ${res.status} at ${shortUrl(current)}: ${bodyExcerpt(body) || '(empty body)'}`, {
        code: `http_${res.status}`,
      });
    }
    if (looksLikeSignIn(body)) {
      throw new CliError(`The identity provider showed its sign-in page (${shortUrl(current)}): a person has to sign in, the headless browser cannot.`, {
        code: 'login_required',
        fix: 'Start the sandbox with auto-login (autoLogin) or open the URL in a real browser.',
      });
    }
    if (looksLikeConsent(body)) {
      throw new CliError(`The identity provider showed its consent page (${shortUrl(current)}): a person has to allow access.`, {
        code: 'consent_required',
        fix: 'Start the sandbox with auto-login (autoLogin) or open the URL in a real browser.',
      });
    }
    throw new CliError(`The identity provider stopped at ${shortUrl(current)} (HTTP ${res.status}) without redirecting to the client: ${bodyExcerpt(body) || '(empty body)'}`, {
      code: 'no_redirect',
    });
  }
}
