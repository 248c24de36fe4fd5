/** Small text helpers: OAuth diagnostics, "did you mean". */

/** Text of an HTML/JSON body, short enough for an error message (oidc-provider's error and error_description). */
export function bodyExcerpt(body: string, max = 300): string {
  let text = body;
  try {
    const json = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    if (json && typeof json === 'object' && json.error) {
      text = `${String(json.error)}${json.error_description ? `: ${String(json.error_description)}` : ''}`;
    }
  } catch {
    // The sandbox's error page puts the OAuth error in class="error"; otherwise take the whole page's text.
    const focused = /class="error"[^>]*>([\s\S]*?)<\/p>/i.exec(body)?.[1];
    text = (focused ?? body)
      .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<\/?(strong|span|code|em|b|i|a)\b[^>]*>/gi, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The closest candidate by edit distance, when it is close enough to be what was meant. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  const best = candidates.map((c) => [c, dist(word.toLowerCase(), c.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? best[0] : undefined;
}


/** A POSIX shell word. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A flag and its value as a command line to print: `--flag value`, or `--flag=value` when the value starts with "-"
 * (an IdP's client id can: parseArgs would read it as a flag, and the printed command would not run).
 */
export function flagArg(flag: string, value: string): string {
  return `${flag}${value.startsWith('-') ? '=' : ' '}${shellQuote(value)}`;
}
