// Shared by the test BROWSER programs (browser.mjs, glewlwyd-browser.mjs): a URL with its code and state masked, and
// one line per call in $BROWSER_LOG. Never a code, a cookie or a token.
import { appendFileSync } from 'node:fs';

export function maskUrl(href) {
  try {
    const u = new URL(href);
    for (const key of ['code', 'state']) if (u.searchParams.has(key)) u.searchParams.set(key, '***');
    return u.href.replace(/%2A%2A%2A/g, '***');
  } catch {
    return '(unparseable URL)';
  }
}

export function record(line) {
  const file = process.env.BROWSER_LOG;
  if (!file) return;
  try {
    appendFileSync(file, `${line.replace(/[\r\n]+/g, ' ')}\n`);
  } catch (err) {
    console.error(`cannot write ${file}: ${err.message}`);
  }
}
