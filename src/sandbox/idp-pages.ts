/**
 * HTML for the sandbox identity provider's pages: sign-in, consent and errors.
 * Plain server-rendered forms (no JavaScript, no external assets) so that they work in any browser.
 */

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
  body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;margin:0;padding:40px 16px;color:#1f2328}
  main{max-width:380px;margin:0 auto;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:28px 32px}
  h1{font-size:1.35em;margin:0 0 4px}
  p.sub{color:#57606a;margin:0 0 20px;font-size:.92em}
  label{display:block;font-size:.9em;margin:12px 0 4px}
  input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px 10px;border:1px solid #d0d7de;border-radius:6px;font-size:1em}
  button{margin-top:18px;padding:9px 16px;border-radius:6px;border:1px solid #1f883d;background:#1f883d;color:#fff;font-size:1em;cursor:pointer}
  button.secondary{background:#fff;color:#1f2328;border-color:#d0d7de}
  .row{display:flex;gap:10px}
  .error{background:#ffebe9;border:1px solid #ff8182;color:#82071e;padding:8px 10px;border-radius:6px;font-size:.9em}
  ul{padding-left:20px}
  li{margin:4px 0}
  code{background:#f6f8fa;padding:1px 4px;border-radius:4px;font-size:.9em;word-break:break-all}
  footer{color:#8c959f;font-size:.8em;text-align:center;margin-top:16px}
`;

function layout(title: string, page: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sandbox-idp-page" content="${escapeHtml(page)}">
<title>${escapeHtml(title)} · agentcore-auth sandbox IdP</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
<footer>agentcore-auth sandbox identity provider (local, for testing only)</footer>
</body>
</html>`;
}

export interface LoginPageInput {
  uid: string;
  clientName: string;
  clientId: string;
  username?: string;
  error?: string;
  /** Usernames shown as a hint (sandbox accounts). */
  knownUsers?: string[];
}

export function loginPage(input: LoginPageInput): string {
  const error = input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : '';
  const hint = input.knownUsers?.length
    ? `<p class="sub">Sandbox accounts: ${input.knownUsers.map((u) => `<code>${escapeHtml(u)}</code>`).join(', ')}</p>`
    : '';
  return layout(
    'Sign in',
    'login',
    `<h1>Sign in</h1>
<p class="sub">to continue to <strong>${escapeHtml(input.clientName)}</strong> <code>${escapeHtml(input.clientId)}</code></p>
${error}
<form method="post" action="/interaction/${encodeURIComponent(input.uid)}/login" autocomplete="off">
  <label for="username">Username</label>
  <input type="text" id="username" name="username" value="${escapeHtml(input.username ?? '')}" required autofocus>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" required>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${encodeURIComponent(input.uid)}/abort">
  <button type="submit" class="secondary">Cancel</button>
</form>
${hint}`,
  );
}

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in (your user id)',
  profile: 'Your name, username and groups',
  email: 'Your email address',
  offline_access: 'Stay signed in (refresh tokens)',
};

export interface ConsentPageInput {
  uid: string;
  clientName: string;
  clientId: string;
  username: string;
  scopes: string[];
  resources: string[];
}

export function consentPage(input: ConsentPageInput): string {
  const scopes = input.scopes.length
    ? `<ul>${input.scopes
        .map((s) => `<li><code>${escapeHtml(s)}</code>${SCOPE_DESCRIPTIONS[s] ? ` ${escapeHtml(SCOPE_DESCRIPTIONS[s])}` : ''}</li>`)
        .join('')}</ul>`
    : '<p>No scopes.</p>';
  const resources = input.resources.length
    ? `<p>Access tokens will be issued for:</p><ul>${input.resources.map((r) => `<li><code>${escapeHtml(r)}</code></li>`).join('')}</ul>`
    : '';
  return layout(
    'Authorize',
    'consent',
    `<h1>Authorize ${escapeHtml(input.clientName)}</h1>
<p class="sub">Signed in as <strong>${escapeHtml(input.username)}</strong>. The application <code>${escapeHtml(input.clientId)}</code> asks for:</p>
${scopes}
${resources}
<div class="row">
  <form method="post" action="/interaction/${encodeURIComponent(input.uid)}/confirm"><button type="submit">Allow</button></form>
  <form method="post" action="/interaction/${encodeURIComponent(input.uid)}/abort"><button type="submit" class="secondary">Deny</button></form>
</div>`,
  );
}

export function errorPage(input: { title?: string; error: string; description?: string }): string {
  return layout(
    input.title ?? 'Error',
    'error',
    `<h1>${escapeHtml(input.title ?? 'Something went wrong')}</h1>
<p class="error"><strong>${escapeHtml(input.error)}</strong>${input.description ? `: <span class="error_description">${escapeHtml(input.description)}</span>` : ''}</p>
<p class="sub">Start the sign-in again from your application.</p>`,
  );
}
