import type { Logger } from './logger.js';
import { safeText } from './redact.js';

/**
 * A long wait shows what it waits for and the elapsed time: a spinner on a terminal,
 * a start line and an end line elsewhere (CI logs stay readable).
 */
export interface Progress {
  update(text: string): void;
}

export async function withProgress<T>(
  logger: Logger,
  label: string,
  fn: (p: Progress) => Promise<T>,
  opts: { stream?: NodeJS.WriteStream; enabled?: boolean } = {},
): Promise<T> {
  const stream = opts.stream ?? process.stderr;
  const tty = (opts.enabled ?? true) && Boolean(stream.isTTY) && !process.env.CI;
  const start = Date.now();
  let text = label;
  const elapsed = () => `${((Date.now() - start) / 1000).toFixed(1)}s`;
  if (!tty) {
    logger.step(`${label}…`);
    const result = await fn({ update: (t) => logger.debug(`${t} (${elapsed()})`) });
    logger.success(`${label} (${elapsed()})`);
    return result;
  }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const render = () => stream.write(`\r\u001b[2K${frames[i++ % frames.length]} ${safeText(text)} ${elapsed()}`);
  render();
  const timer = setInterval(render, 100);
  try {
    const result = await fn({ update: (t) => (text = t) });
    clearInterval(timer);
    stream.write('\r\u001b[2K');
    logger.success(`${label} (${elapsed()})`);
    return result;
  } catch (err) {
    clearInterval(timer);
    stream.write('\r\u001b[2K');
    throw err;
  }
}
