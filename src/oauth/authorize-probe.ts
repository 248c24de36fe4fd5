/**
 * The authorization request, tried once before anyone is sent to the browser: an IdP that refuses it (an
 * unregistered redirect URI, an unknown client, a missing nonce...) says so at once, as a redirect back to the
 * client with `error`, or an error page. Shared by the test login and --via-client.
 */
import { readText } from '../core/http.js';
import { bodyExcerpt } from '../core/text.js';

export interface IdpRefusal {
  status: number;
  error?: string;
  description?: string;
  text: string;
  endpoint: string;
}

const excerpt = (body: string, max = 240): string => bodyExcerpt(body, max);

/**
 * GET the authorization URL once, following nothing. A redirect to the client's redirect URI with `error`, or
 * an error status, is the IdP refusing the request before anyone can sign in. Anything else (a sign-in page,
 * a redirect to one) means the request was accepted: undefined.
 */
export async function probeAuthorization(authUrl: string, timeoutMs: number): Promise<IdpRefusal | undefined> {
  let url: URL;
  try {
    url = new URL(authUrl);
  } catch {
    return undefined;
  }
  const endpoint = `${url.origin}${url.pathname}`;
  const redirectUri = url.searchParams.get('redirect_uri');
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/html,application/json' } });
  } catch {
    return undefined; // unreachable IdP: mcp-remote's own messages tell more
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => undefined);
    const location = res.headers.get('location');
    if (!location) return undefined;
    let to: URL;
    try {
      to = new URL(location, url);
    } catch {
      return undefined;
    }
    const error = to.searchParams.get('error');
    const backToClient = redirectUri !== null && `${to.origin}${to.pathname}` === redirectUri.split('?')[0];
    if (error && backToClient) {
      const description = to.searchParams.get('error_description') ?? undefined;
      return { status: res.status, error, ...(description ? { description } : {}), text: `${error}${description ? `: ${description}` : ''}`, endpoint };
    }
    return undefined;
  }
  if (res.status >= 400) {
    const body = await readText(res).catch(() => '');
    const text = excerpt(body);
    const error = /\b(invalid_client|invalid_redirect_uri|redirect_uri_mismatch|unauthorized_client|invalid_scope|invalid_request|invalid_target|access_denied|unsupported_response_type|server_error|AADSTS\d+)\b/.exec(text)?.[1];
    return { status: res.status, ...(error ? { error } : {}), text: text || `HTTP ${res.status}`, endpoint };
  }
  await res.body?.cancel().catch(() => undefined);
  return undefined;
}

