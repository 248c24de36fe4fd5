#!/usr/bin/env node
// A BROWSER program for the glewlwyd tests: `node test/helpers/glewlwyd-browser.mjs <authorization-url>` does what a
// person does in glewlwyd's login page, through glewlwyd's own API: password sign-in (POST /api/auth/ with
// $GLEWLWYD_USERNAME / $GLEWLWYD_PASSWORD), consent to the scopes asked (PUT /api/auth/grant/<client_id>), then the
// authorization URL again with `g_continue` (what the login page appends), and delivers the answer (code or error)
// to the client's loopback redirect URI. Exits 0 when a code was delivered, 1 otherwise.
// With $BROWSER_LOG set, appends one line per call: ok|error <final URL, code/state masked> | fail <message>.
// Never prints the code, the session cookie or a token.
import { maskUrl as mask, record } from './browser-log.mjs';

const timeout = () => AbortSignal.timeout(Number(process.env.BROWSER_TIMEOUT_MS) || 10_000);

async function main(href) {
  const url = new URL(href);
  const api = url.href.slice(0, url.href.indexOf('/api/') + 4);
  if (!url.pathname.includes('/api/')) throw new Error(`not a glewlwyd authorization URL: ${url.origin}${url.pathname}`);
  // 1. The authorization endpoint sends the browser to the login page (always, even with a session).
  const first = await fetch(url, { redirect: 'manual', signal: timeout() });
  const login = first.headers.get('location');
  if (first.status !== 302 || !login) throw new Error(`the authorization endpoint answered HTTP ${first.status} without a redirect`);
  if (!new URL(login, url).pathname.endsWith('/login.html')) return deliver(new URL(login, url).href); // an error for the client
  // 2. Password sign-in.
  const res = await fetch(`${api}/auth/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: process.env.GLEWLWYD_USERNAME, password: process.env.GLEWLWYD_PASSWORD }), signal: timeout() });
  if (res.status !== 200) throw new Error(`the password sign-in was refused (HTTP ${res.status})`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  // 3. Consent: the scopes asked, separated by spaces.
  const clientId = url.searchParams.get('client_id');
  const scope = url.searchParams.get('scope') ?? '';
  const grant = await fetch(`${api}/auth/grant/${encodeURIComponent(clientId)}`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ scope }), signal: timeout() });
  if (grant.status !== 200) throw new Error(`granting "${scope}" to ${clientId} was refused (HTTP ${grant.status})`);
  // 4. Back to the authorization endpoint as the login page does it.
  const again = new URL(url);
  again.searchParams.set('g_continue', '');
  const final = await fetch(again, { redirect: 'manual', headers: { cookie }, signal: timeout() });
  const to = final.headers.get('location');
  if (final.status !== 302 || !to) throw new Error(`after sign-in the authorization endpoint answered HTTP ${final.status} without a redirect`);
  return deliver(new URL(to, url).href);
}

async function deliver(to) {
  const u = new URL(to);
  if (u.pathname.endsWith('/login.html')) throw new Error('glewlwyd sent the browser to its login page again (the session does not cover the scopes asked)');
  await fetch(u, { redirect: 'manual', signal: timeout() }).then((r) => r.arrayBuffer()).catch(() => undefined);
  const error = u.searchParams.get('error');
  record(`${error ? 'error' : 'ok'} ${mask(to)}`);
  return error ? 1 : 0;
}

const href = process.argv[2];
if (!href) {
  record('fail no URL given');
  process.exit(1);
}
main(href).then(
  (code) => process.exit(code),
  (err) => {
    record(`fail ${err.message}`);
    console.error(`glewlwyd-browser.mjs: ${err.message}`);
    process.exit(1);
  },
);
