/**
 * Transport rules, shared: a bearer token, a code, a refresh token or an admin credential travels over https,
 * or over plain http only to this machine. "This machine" is a literal loopback address or `localhost`:
 * not 0.0.0.0 (which reaches every interface) and not a name that merely resolves to loopback (DNS decides
 * where *.localhost or a hosts-file name really goes).
 */
import { UsageError } from './errors.js';

/** localhost, 127.0.0.0/8 or ::1 (with or without brackets), as the URL parser spells them. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The URL's host is loopback; false for anything that does not parse. */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** https anywhere, or http to this machine only: where a credential may be sent. */
export function isSecureTransportUrl(url: string | URL): boolean {
  try {
    const u = new URL(String(url));
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
  } catch {
    return false;
  }
}

/**
 * Refuses (exit 2) an http URL for a host that is not this machine: a token sent there would cross the
 * network unencrypted. `label` names where the value came from ("--gateway-url", "the team profile's issuer").
 */
export function requireSecureUrl(value: string, label: string): string {
  if (isSecureTransportUrl(value)) return value;
  let shown = value;
  try {
    const u = new URL(value);
    u.username = '';
    u.password = '';
    shown = u.href;
    if (u.protocol === 'http:') {
      throw new UsageError(`${label} ${shown} is plain http to ${u.hostname}, which is not this machine: tokens would cross the network unencrypted.`, {
        fix: `Use https://${u.host}${u.pathname} (plain http is accepted only for localhost, 127.0.0.1 or ::1).`,
      });
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  throw new UsageError(`${label} "${shown}" is not an https URL.`, { fix: 'Pass a full https:// URL.' });
}
