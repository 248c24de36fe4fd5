/** Loopback tests, shared: plain http and dummy credentials are only ever accepted on loopback. */

/** localhost, *.localhost, 127.0.0.0/8 or ::1 (with or without brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
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
