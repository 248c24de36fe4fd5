#!/usr/bin/env node
// A BROWSER program for tests: `node test/helpers/browser.mjs <url>` follows the authorization URL headlessly
// (the sandbox IdP must run with autoLogin), delivers the code to the client's redirect URI and exits 0;
// exits 1 when the walk fails or the redirect URI received an OAuth error.
// mcp-remote opens URLs with the `open` package, which runs $BROWSER (point it at browser.sh).
// With $BROWSER_LOG set, appends one line per call:
//   ok <status> <final URL, code/state masked> (<hops> hops)   |   error <status> <final URL>   |   fail <message>
import { maskUrl, record } from './browser-log.mjs';
import { followAuthorization } from '../../dist/src/sandbox/headless-browser.js';

const url = process.argv[2];
if (!url) {
  console.error('usage: browser.mjs <authorization-url>');
  record('fail no URL given');
  process.exit(1);
}

try {
  const timeoutMs = Number(process.env.BROWSER_TIMEOUT_MS) || 20_000;
  const result = await followAuthorization(url, { timeoutMs });
  const oauthError = new URL(result.finalUrl).searchParams.get('error');
  record(`${oauthError ? 'error' : 'ok'} ${result.status} ${maskUrl(result.finalUrl)} (${result.hops} hops)`);
  process.exit(oauthError ? 1 : 0);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  record(`fail ${message}`);
  console.error(`browser.mjs: ${message}`);
  process.exit(1);
}
