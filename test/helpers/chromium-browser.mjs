#!/usr/bin/env node
// A BROWSER program for tests that is a real browser: `node test/helpers/chromium-browser.mjs <url>` opens the
// authorization URL in Debian's Chromium (/usr/bin/chromium, headless, fresh profile) driven by playwright-core,
// signs in at the sandbox IdP like a person would (fills oidc-provider's sign-in form, presses Allow or Deny on
// the consent page), and exits once the browser shows the page the client's loopback redirect URI served.
// Exit 0 when that page was reached with an authorization code, 1 otherwise (error, timeout, unknown page).
//
// Environment:
//   BROWSER_LOG            append what the browser saw, one line per page (codes, states, interaction ids masked)
//   SIGNIN_USER            sandbox user (default alice); SIGNIN_PASSWORD (default <user>-password, the sandbox's)
//   SIGNIN_ACTION          allow (default) | deny (press Deny at consent) | cancel (press Cancel at sign-in)
//   BROWSER_TIMEOUT_MS     whole walk, launch included (default 30000)
//   CHROMIUM_PATH          default /usr/bin/chromium
//
// The CLI and mcp-remote start $BROWSER detached and do not wait for it: this program must end by itself and
// must take its Chromium with it (the browser is closed in `finally`, and a hard timer kills everything).
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOG = process.env.BROWSER_LOG;
const USER = process.env.SIGNIN_USER || 'alice';
const PASSWORD = process.env.SIGNIN_PASSWORD || `${USER}-password`;
const ACTION = process.env.SIGNIN_ACTION || 'allow';
const TIMEOUT_MS = Number(process.env.BROWSER_TIMEOUT_MS) || 30_000;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function record(line) {
  if (!LOG) return;
  try {
    appendFileSync(LOG, `${line.replace(/[\r\n]+/g, ' ')}\n`);
  } catch (err) {
    console.error(`chromium-browser.mjs: cannot write ${LOG}: ${err.message}`);
  }
}

/** origin + path with interaction ids masked, and the query reduced to its keys (error's value kept: not a secret). */
function describeUrl(href) {
  try {
    const u = new URL(href);
    const keys = [...u.searchParams.keys()].map((k) => (k === 'error' ? `error=${u.searchParams.get(k)}` : k));
    return `${u.origin}${u.pathname.replace(/\/interaction\/[^/]+/, '/interaction/:uid')}${keys.length ? ` [${keys.join(' ')}]` : ''}`;
  } catch {
    return '(unparseable URL)';
  }
}

const url = process.argv[2];
if (!url) {
  record('fail no URL given');
  console.error('usage: chromium-browser.mjs <authorization-url>');
  process.exit(1);
}

const started = Date.now();
const profile = mkdtempSync(join(tmpdir(), 'agentcore-auth-chromium-'));
let context;
let exitCode = 1;
const hardStop = setTimeout(() => {
  record(`fail timeout after ${TIMEOUT_MS} ms`);
  try {
    context?.close().catch(() => undefined);
  } finally {
    setTimeout(() => process.exit(1), 2_000).unref();
  }
}, TIMEOUT_MS);
hardStop.unref();

try {
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  record(`open chromium ${context.browser()?.version() ?? ''} (launched in ${Date.now() - started} ms) ${describeUrl(url)}`.replace(/\s+/g, ' '));
  const idpOrigin = new URL(url).origin;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) record(`nav ${describeUrl(frame.url())}`);
  });

  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
  for (let steps = 0; steps < 10; steps++) {
    const here = new URL(page.url());
    if (here.origin !== idpOrigin) {
      // The client's loopback redirect URI: what does the person see?
      const title = (await page.title().catch(() => '')) || '';
      const heading = ((await page.locator('h1').first().textContent({ timeout: 2_000 }).catch(() => '')) || '').trim();
      const text = ((await page.locator('body').innerText({ timeout: 2_000 }).catch(() => '')) || '').replace(/\s+/g, ' ').trim().slice(0, 200);
      const withCode = here.searchParams.has('code') && !here.searchParams.has('error');
      record(`callback ${describeUrl(here.href)} title="${title}" h1="${heading}" text="${text}"`);
      exitCode = withCode ? 0 : 1;
      break;
    }
    const kind = await page.locator('meta[name="sandbox-idp-page"]').getAttribute('content', { timeout: 2_000 }).catch(() => null);
    record(`page ${kind ?? 'unknown'} ${describeUrl(here.href)} title="${await page.title().catch(() => '')}"`);
    if (kind === 'login') {
      if (ACTION === 'cancel') {
        await page.getByRole('button', { name: 'Cancel' }).click();
      } else {
        await page.fill('#username', USER);
        await page.fill('#password', PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
      }
    } else if (kind === 'consent') {
      await page.getByRole('button', { name: ACTION === 'deny' ? 'Deny' : 'Allow' }).click();
    } else {
      const text = ((await page.locator('body').innerText({ timeout: 2_000 }).catch(() => '')) || '').replace(/\s+/g, ' ').trim().slice(0, 200);
      record(`fail stuck on a page this browser cannot handle: "${text}"`);
      break;
    }
    await page.waitForLoadState('load', { timeout: TIMEOUT_MS });
  }
  record(`done exit ${exitCode} after ${Date.now() - started} ms`);
} catch (err) {
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  record(`fail ${message}`);
  console.error(`chromium-browser.mjs: ${message}`);
  exitCode = 1;
} finally {
  await context?.close().catch(() => undefined);
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(hardStop);
}
process.exit(exitCode);
