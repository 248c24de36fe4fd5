/** Small text helpers shared by the OAuth diagnostics. */

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
