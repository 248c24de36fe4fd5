/** Opening the sign-in URL: always printed, then handed to an opener, $BROWSER or the platform's opener. */
import type { Logger } from '../core/logger.js';

export type Opener = (url: string) => Promise<void> | void;

/** Starts the opener detached (execa, loaded only here); no desktop or no opener is fine: the URL was printed. */
async function launch(command: string, args: string[], verbatim = false): Promise<void> {
  try {
    const { execa } = await import('execa');
    const child = execa(command, args, { detached: true, stdio: 'ignore', windowsHide: true, windowsVerbatimArguments: verbatim, reject: false, cleanup: false });
    child.catch(() => undefined);
    child.unref();
  } catch {
    /* same */
  }
}

export async function openBrowser(url: string, opts: { logger: Logger; opener?: Opener }): Promise<void> {
  opts.logger.info(`Open this URL to sign in: ${url}`);
  if (opts.opener) {
    try {
      await opts.opener(url);
    } catch (err) {
      opts.logger.debug(`The browser opener failed: ${(err as Error).message}`);
    }
    return;
  }
  const browser = process.env.BROWSER?.trim();
  if (browser) return launch(browser, [url]);
  if (process.platform === 'darwin') return launch('open', [url]);
  // quoted for cmd.exe so `&` in the query string is not a command separator
  if (process.platform === 'win32') return launch('cmd', ['/c', 'start', '""', `"${url}"`], true);
  return launch('xdg-open', [url]);
}
